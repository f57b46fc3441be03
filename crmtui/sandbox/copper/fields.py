"""The person record: its keys in the documented order, names, emails, and the validation of
written fields."""

from __future__ import annotations

from typing import Any

from crmtui.sandbox.copper.errors import ApiError

# Every key of a person, in the order of the documented example responses (WIRE.md §1.5).
PERSON_KEYS: tuple[str, ...] = (
    "id",
    "name",
    "prefix",
    "first_name",
    "middle_name",
    "last_name",
    "suffix",
    "address",
    "assignee_id",
    "company_id",
    "company_name",
    "contact_type_id",
    "details",
    "emails",
    "phone_numbers",
    "socials",
    "tags",
    "title",
    "websites",
    "custom_fields",
    "date_created",
    "date_modified",
    "date_last_contacted",
    "interaction_count",
    "leads_converted_from",
    "date_lead_created",
)
_LIST_KEYS = (
    "emails",
    "phone_numbers",
    "socials",
    "tags",
    "websites",
    "custom_fields",
    "leads_converted_from",
)
_STR_KEYS = (
    "name",
    "prefix",
    "first_name",
    "middle_name",
    "last_name",
    "suffix",
    "company_name",
    "details",
    "title",
)
_INT_KEYS = ("assignee_id", "company_id", "contact_type_id", "date_last_contacted")
_ADDRESS_KEYS = ("street", "city", "state", "postal_code", "country")
# Scalars default to None, lists are filled per record (never shared between records).
_TEMPLATE: dict[str, Any] = {k: None for k in PERSON_KEYS} | {"interaction_count": 0}
# Fields a client may write. Server-managed ones (id, dates, counters) are ignored when sent.
_WRITABLE = frozenset(_STR_KEYS + _INT_KEYS + ("address",) + _LIST_KEYS[:-1])
# WIRE.md §1.3: company_id cannot be changed by a plain update (Related Items API instead). The
# simulator ignores it on PUT rather than failing (UNCONFIRMED what Copper answers).
_NOT_UPDATABLE = frozenset({"company_id"})


def email_key(email: str) -> str:
    """Normalise an email for the unique index and lookups: trimmed and case-folded."""
    return email.strip().casefold()


def split_name(name: str) -> tuple[str | None, str | None]:
    """Derive ``(first_name, last_name)`` from a full name.

    The first word is the first name, the rest the last name ("Jean de la Tour" gives "Jean",
    "de la Tour"); a single word is a first name only. UNCONFIRMED: WIRE.md §1.5 only shows
    "My Contact" -> "My", "Contact"; how Copper splits longer names is not documented.
    """
    parts = name.strip().split(None, 1)
    if not parts:
        return None, None
    return parts[0], (parts[1] if len(parts) > 1 else None)


def join_name(first: str | None, last: str | None) -> str | None:
    """Compose ``name`` from first and last names (``None`` when both are empty)."""
    text = " ".join(p.strip() for p in (first, last) if p and p.strip())
    return text or None


# --------------------------------------------------------------------------------------------
# Validation of written fields
# --------------------------------------------------------------------------------------------


def _check_list_of_objects(key: str, value: Any, required: str) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise ApiError(422, f"Invalid input: {key} must be an array")
    out = []
    for item in value:
        if (
            not isinstance(item, dict)
            or not isinstance(item.get(required), str)
            or not item[required].strip()
        ):
            raise ApiError(422, f"Invalid input: each item of {key} needs a non-empty '{required}'")
        out.append(dict(item))
    return out


def _clean_value(key: str, value: Any) -> Any:
    """Validate one written field; ``None`` is always allowed (it clears the field)."""
    if value is None:
        return [] if key in _LIST_KEYS else None
    if key in _STR_KEYS:
        if not isinstance(value, str):
            raise ApiError(422, f"Invalid input: {key} must be a string")
        return value
    if key in _INT_KEYS:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ApiError(422, f"Invalid input: {key} must be an integer")
        return value
    if key == "address":
        if not isinstance(value, dict):
            raise ApiError(422, "Invalid input: address must be an object")
        return {k: value.get(k) for k in _ADDRESS_KEYS}
    if key == "tags":
        if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
            raise ApiError(422, "Invalid input: tags must be an array of strings")
        return list(value)
    if key == "emails":
        return [
            {"email": e["email"], "category": e.get("category") or "work"}
            for e in _check_list_of_objects(key, value, "email")
        ]
    if key == "phone_numbers":
        return _check_list_of_objects(key, value, "number")
    if key in ("socials", "websites"):
        return _check_list_of_objects(key, value, "url")
    if key == "custom_fields":
        if not isinstance(value, list) or not all(
            isinstance(c, dict) and "custom_field_definition_id" in c for c in value
        ):
            raise ApiError(422, "Invalid input: custom_fields items need a custom_field_definition_id")
        return [dict(c) for c in value]
    return value


def _clean_fields(body: dict[str, Any], *, updating: bool) -> dict[str, Any]:
    skip = _NOT_UPDATABLE if updating else frozenset()
    # Unknown and server-managed keys (id, date_created, interaction_count...) are ignored, as a
    # permissive JSON API would; UNCONFIRMED whether Copper rejects them.
    return {k: _clean_value(k, v) for k, v in body.items() if k in _WRITABLE and k not in skip}
