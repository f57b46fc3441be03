"""Small helpers shared by the repositories."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from crmtui.records.normalize import fold as plain


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


SORT_SEPARATOR = "\x01"
"""Between the two parts of a sort key (below every character a name holds: a shorter word sorts first)."""


def sort_text(value: str | None) -> str:
    """The stored sort key of a text column: the order a French reader expects, as plain bytes.

    First the text without case, accents or ligatures (:func:`crmtui.records.normalize.fold`, then
    ``casefold``: ``Élodie`` and ``élodie`` → ``elodie``, ``Œnologue`` → ``oenologue``,
    ``d'Aubigné`` → ``d'aubigne``), so ``Élodie`` sorts with ``Emma``, not after ``Paul``; then, among
    equal ones, the text case-swapped, so the order stays fixed and lower case comes first, as in
    French dictionaries (``élodie``, ``Élodie``, ``Emma``, ``Paul``). Compared with SQLite's default
    ``BINARY`` collation, so an index on the column serves the sort and any SQLite tool can read the
    database (a custom collation in an index would need crmtui's code loaded to read it).
    """
    if not value:
        return ""
    return f"{plain(value).casefold()}{SORT_SEPARATOR}{value.swapcase()}"
