"""Secret values that never print, and the redaction used by logs, reports and errors.

Shared by every layer, so it lives at the package root.

Every :class:`Secret` registers its value in a process-wide registry; :func:`redact` replaces any
registered value (and the common encodings of it that end up in URLs and headers) with ``***``.
The logging filter, the report writer and connector errors all go through :func:`redact`, so a key
typed into ``.env`` cannot reach a log line even when a library formats it into a message.

:func:`redact` also masks what is secret *inside a URL* whether or not it was registered: the
password of ``scheme://user:password@host`` (RFC 3986 §3.2.1 calls putting one there deprecated,
precisely because URLs get shown) and the value of query parameters named like credentials
(``?api_key=…``, ``&token=…``, ``password=``...). :func:`redact_url` is the same for one URL.
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


# ``scheme://user:password@`` anywhere in a text: the password runs to the last ``@`` of the
# authority (as urllib.parse reads it), so a raw ``@`` inside it is masked too.
_URL_PASSWORD = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#@:]*:)(?P<pw>[^\s/?#]*)@")
# ``?name=value`` / ``&name=value`` for parameter names that carry credentials.
_SECRET_PARAMS = (
    "password|passwd|pwd|pass|secret|client_secret|api_key|apikey|api-key|key|token|access_token"
    "|refresh_token|auth|signature|sig"
)
_URL_PARAM = re.compile(rf"(?P<head>[?&;](?:{_SECRET_PARAMS})=)(?P<value>[^&#\s\"'<>]+)", re.IGNORECASE)


def _mask_urls(text: str) -> str:
    if "://" in text:
        text = _URL_PASSWORD.sub(lambda m: m.group("head") + MASK + "@", text)
    if "=" in text:
        text = _URL_PARAM.sub(lambda m: m.group("head") + MASK, text)
    return text


def redact(text: str) -> str:
    """Return ``text`` with every registered secret, and every secret inside a URL, replaced by ``***``."""
    if not text:
        return text
    pattern = _pattern
    if pattern is not None:
        text = pattern.sub(MASK, text)
    return _mask_urls(text)


def redact_url(url: str) -> str:
    """``url`` as it may be shown: a password in it and credential-like query values masked."""
    return redact(url)


def url_password(url: str) -> str:
    """The password inside ``scheme://user:password@host`` ("" when there is none)."""
    match = _URL_PASSWORD.search(url)
    return match.group("pw") if match else ""


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
