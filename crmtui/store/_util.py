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
