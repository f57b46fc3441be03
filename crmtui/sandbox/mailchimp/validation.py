"""Validation of what clients write: addresses, statuses, merge fields, tag names, status changes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from crmtui.sandbox.mailchimp.errors import (
    _ANYOF,
    DETAIL_MERGE_INVALID,
    _compliance,
    _fake_email,
    _invalid,
    _required,
)
from crmtui.sandbox.mailchimp.record import Member
from crmtui.sandbox.mailchimp.state import AudienceState
from crmtui.sandbox.mailchimp.wire import _EMAIL_RE, STATUSES


class Validation(AudienceState):
    """Checks that raise the :class:`~.errors.Problem` Mailchimp answers."""

    def _check_email(self, email: Any) -> str:
        if not isinstance(email, str) or not email.strip():
            raise _invalid([_required("email_address")])
        value = email.strip()
        if len(value) > 254 or not _EMAIL_RE.match(value) or ".." in value:
            raise _fake_email(value)
        return value

    @staticmethod
    def _check_status(value: Any, field: str, allowed: tuple[str, ...] = STATUSES) -> str:
        if value not in allowed:
            raise _invalid(
                [
                    {
                        "field": field,
                        "message": "Data presented is not one of the accepted values: "
                        + ", ".join(allowed)
                        + ".",
                    }
                ]
            )
        return str(value)

    def _check_merge(self, values: Any, *, new: bool, skip: bool) -> dict[str, Any]:
        """Validate merge fields; return the cleaned dict (raise Invalid Resource with ``errors``)."""
        if values is None:
            values = {}
        if not isinstance(values, dict):
            raise _invalid(
                [{"field": "merge_fields", "message": "Schema describes object, array found instead"}]
            )
        errors: list[dict[str, str]] = []
        merge_errors: list[dict[str, str]] = []
        out: dict[str, Any] = {}
        for tag, value in values.items():
            d = self._merge_by_tag.get(tag)
            if d is None:
                # UNCONFIRMED: unknown merge tags are rejected here (the live API's wording is unknown).
                merge_errors.append({"field": tag, "message": "This merge field does not exist."})
                continue
            kind = d["type"]
            if kind == "address":
                if not isinstance(value, dict | str):
                    errors.append({"field": f"merge_fields.{tag}", "message": _ANYOF})
                    continue
            elif kind == "number":
                if isinstance(value, bool) or not isinstance(value, int | float | str):
                    errors.append({"field": f"merge_fields.{tag}", "message": _ANYOF})
                    continue
                if isinstance(value, str) and value.strip():
                    try:
                        float(value.replace(",", "."))
                    except ValueError:
                        merge_errors.append({"field": tag, "message": "Please enter a number"})
                        continue
            elif not isinstance(value, str):
                # OperationCode#692: a non-string text merge value fails schema validation.
                errors.append({"field": f"merge_fields.{tag}", "message": _ANYOF})
                continue
            out[tag] = value
        if errors:
            raise _invalid(errors)
        if not skip:
            for d in self.merge_field_defs:
                if not d["required"]:
                    continue
                tag = d["tag"]
                if (new and tag not in out) or (tag in out and out[tag] in ("", None)):
                    merge_errors.append({"field": tag, "message": "Please enter a value"})
        if merge_errors:
            raise _invalid(merge_errors, DETAIL_MERGE_INVALID)
        return out

    def _check_tag_names(self, names: Iterable[Any], field: str = "tags") -> list[str]:
        out = []
        for i, name in enumerate(names):
            if not isinstance(name, str) or not name.strip():
                raise _invalid([{"field": f"{field}.item:{i}", "message": "Tag name must not be empty."}])
            # UNCONFIRMED (WIRE 2.2): the maximum tag name length; configurable, default 100.
            if len(name) > self.tag_max_length:
                raise _invalid(
                    [
                        {
                            "field": f"{field}.item:{i}",
                            "message": f"Tag names must be {self.tag_max_length} characters or fewer.",
                        }
                    ]
                )
            out.append(name)
        return out

    def _check_transition(self, m: Member, new_status: str) -> None:
        current = m.status
        if current == "archived" and self.archived_keeps_compliance:
            current = m.prev_status or "subscribed"
        if new_status == "subscribed" and current in ("unsubscribed", "cleaned"):
            raise _compliance(m.email_address)
