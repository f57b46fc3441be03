"""The Mailchimp wire vocabulary: constants, subscriber hashes, dates, query parameters, JSON bodies
and the ``fields``/``exclude_fields`` filters."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from starlette.responses import Response

from crmtui.sandbox.control import ADMIN_PREFIX

DEFAULT_API_KEY = "sandbox0000000000000000000000000-us19"
PROBLEM_CONTENT_TYPE = "application/problem+json; charset=utf-8"
ERROR_TYPE_URL = "https://mailchimp.com/developer/marketing/docs/errors/"
SIM_HOOKS = f"{ADMIN_PREFIX}/mailchimp"

STATUSES = ("subscribed", "unsubscribed", "cleaned", "pending", "transactional")
LIST_STATUSES = (*STATUSES, "archived")
SORT_FIELDS = ("timestamp_opt", "timestamp_signup", "last_changed")
MAX_BATCH_MEMBERS = 500
MAX_PAGE = 1000
WEBHOOK_EVENTS = ("subscribe", "unsubscribe", "profile", "cleaned", "upemail", "campaign")
WEBHOOK_SOURCES = ("user", "admin", "api")

_HASH_RE = re.compile(r"^[0-9a-fA-F]{32}$")
_EMAIL_RE = re.compile(
    r"^[^@\s\"(),:;<>\[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$"
)
_NO_TAGS: tuple[str, ...] = ()


def subscriber_hash(email: str) -> str:
    """Mailchimp's member id: the MD5 hex digest of the lower-cased address."""
    return hashlib.md5(email.strip().lower().encode("utf-8")).hexdigest()


def iso(ts: float | None) -> str:
    """Render an epoch timestamp the way Mailchimp does (``2015-10-21T15:41:36+00:00``), or ``""``."""
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def parse_iso(value: str) -> float:
    """Parse an ISO 8601 date-time (naive means UTC) into an epoch timestamp."""
    dt = datetime.fromisoformat(value.strip().replace(" ", "+") if "T" in value else value.strip())
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def _to_epoch(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    return parse_iso(str(value))


def _merge_defs(spec: Iterable[str | Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    if spec is None:
        spec = ("FNAME", "LNAME", "PHONE")
    out = []
    names = {"FNAME": "First Name", "LNAME": "Last Name", "PHONE": "Phone Number", "ADDRESS": "Address"}
    for item in spec:
        if isinstance(item, str):
            item = {"tag": item}
        tag = str(item["tag"]).upper()
        out.append(
            {
                "tag": tag,
                "name": item.get("name") or names.get(tag, tag.title()),
                "type": item.get("type", "text"),
                "required": bool(item.get("required", False)),
            }
        )
    return out


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")


def _json_response(data: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode(),
        status_code=status,
        media_type="application/json; charset=utf-8",
    )


def _jsonable(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "body"} for r in records]


def _field_tree(spec: str) -> dict[str, Any]:
    """``"members.email_address,total_items"`` -> ``{"members": {"email_address": True}, "total_items": True}``."""
    tree: dict[str, Any] = {}
    for path in spec.split(","):
        parts = [p for p in path.strip().split(".") if p]
        if not parts:
            continue
        node = tree
        for part in parts[:-1]:
            child = node.get(part)
            if child is True:
                break
            node = node.setdefault(part, {})
        else:
            node[parts[-1]] = True
    return tree


def _include(data: Any, tree: dict[str, Any]) -> Any:
    if isinstance(data, list):
        return [_include(x, tree) for x in data]
    if not isinstance(data, dict):
        return data
    out = {}
    for key, sub in tree.items():
        if key in data:
            out[key] = data[key] if sub is True else _include(data[key], sub)
    return out


def _exclude(data: Any, tree: dict[str, Any]) -> Any:
    if isinstance(data, list):
        return [_exclude(x, tree) for x in data]
    if not isinstance(data, dict):
        return data
    out = {}
    for key, value in data.items():
        sub = tree.get(key)
        if sub is True:
            continue
        out[key] = value if sub is None else _exclude(value, sub)
    return out
