"""Secret values that never print, and the redaction used by logs, reports and errors.

Every :class:`Secret` registers its value in a process-wide registry; :func:`redact` replaces any
registered value (and the common encodings of it that end up in URLs and headers) with ``***``.
The logging filter, the report writer and connector errors all go through :func:`redact`, so a key
typed into ``.env`` cannot reach a log line even when a library formats it into a message.
"""

from __future__ import annotations

import base64
import re
import threading
from urllib.parse import quote

MASK = "***"
_MIN_LEN = 6  # shorter "secrets" would redact ordinary words ("wrong", "test")

_lock = threading.Lock()
_registry: set[str] = set()
_pattern: re.Pattern[str] | None = None


def _variants(value: str) -> set[str]:
    out = {value, quote(value, safe=""), quote(value)}
    # Basic auth headers carry "user:key" base64-encoded (Mailchimp).
    for user in ("user", "anystring", "crmtui"):
        out.add(base64.b64encode(f"{user}:{value}".encode()).decode())
    return {v for v in out if len(v) >= _MIN_LEN}


def register_secret(value: str) -> None:
    """Add ``value`` to the set of strings :func:`redact` removes."""
    global _pattern
    if not value or len(value) < _MIN_LEN:
        return
    with _lock:
        before = len(_registry)
        _registry.update(_variants(value))
        if len(_registry) != before:
            alternatives = sorted(_registry, key=len, reverse=True)
            _pattern = re.compile("|".join(re.escape(v) for v in alternatives))


def redact(text: str) -> str:
    """Return ``text`` with every registered secret replaced by ``***``."""
    pattern = _pattern
    if pattern is None or not text:
        return text
    return pattern.sub(MASK, text)


def mask(value: str) -> str:
    """Show a secret the way ``config check`` does: its length and last two characters."""
    if not value:
        return ""
    if len(value) <= 8:
        return MASK
    return f"{MASK}{value[-2:]} ({len(value)} chars)"


class Secret:
    """A string that does not show itself in ``repr``, ``str`` or f-strings.

    Call :meth:`reveal` at the single place the value is needed (an HTTP header).
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        register_secret(value)

    def reveal(self) -> str:
        """The real value. Use only where it goes on the wire."""
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __repr__(self) -> str:
        return "Secret('***')" if self._value else "Secret('')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("secrets cannot be pickled")
