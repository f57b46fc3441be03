"""Small helpers shared by the repositories."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any


def now_iso() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def dumps(value: Any) -> str:
    """JSON for a TEXT column: compact, accents kept."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str)


def loads(value: str | None, default: Any = None) -> Any:
    """Decode a JSON column, tolerating NULL."""
    if value is None or value == "":
        return default
    return json.loads(value)


SEARCH_SEPARATOR = "\x1f"
"""Between the folded fields of a ``search`` column (a filter typed in a one-line field cannot contain it)."""


def fold(value: object) -> str:
    """Python's caseless form (``É`` → ``é``, ``ß`` → ``ss``); also the SQL function ``crm_fold``."""
    return value.casefold() if isinstance(value, str) else ""


def search_text(name: str | None, email: str, tag: str | None) -> str:
    """The ``search`` column of a deletion-queue entry: what the review filter looks in."""
    return SEARCH_SEPARATOR.join(fold(v) for v in (name or "", email, tag or ""))
