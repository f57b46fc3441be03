"""Finding an erased person's traces in text: the forms of their address, name and phone.

An erasure must leave no copy of a person's email, name or phone in the database or in the files
crmtui wrote. Text holds them in many shapes: as typed, lower-cased, NFC or NFD, full-width, inside
JSON with ``\\u00e9`` escapes, base64-encoded (a token, a basic-auth header), or as the MD5 hash
Mailchimp uses as the member id. :class:`Needles` is every such form of one or more people, and
:class:`Matcher` tells whether a text holds one (:meth:`Matcher.hit`) and removes them from it
(:meth:`Matcher.scrub`). Pure functions: the store uses them over its tables, the engine over files.

Comparison is on ``NFKC(text).casefold()`` against the forms normalised the same way, so every
Unicode spelling of the address or the name is one. Base64 forms are compared as they are
(base64 is case-sensitive).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from crmtui.records.emails import email_key

ERASED = "[erased]"
"""What replaces a removed trace inside a text that is kept (a run summary, an audit line)."""

_MIN_NAME = 5  # "Jean Dupont" yes; a lone "Li" would match ordinary words everywhere
_DIGITS = re.compile(r"\D+")
_PLAIN_LIST = re.compile(r"^[^\s,]+(,[^\s,]+)+$")


def fold(text: str) -> str:
    """The comparison form of a text: NFKC, case-folded."""
    return unicodedata.normalize("NFKC", text).casefold()


def phone_forms(phone: str) -> set[str]:
    """The usual spellings of a (French) phone number: as stored, digits only, +33/0, spaced, dotted."""
    out = {phone.strip()} if phone.strip() else set()
    digits = _DIGITS.sub("", phone)
    if len(digits) < 8:
        return out
    national = digits
    if digits.startswith("33") and len(digits) == 11:
        national = "0" + digits[2:]
    elif digits.startswith("0033") and len(digits) == 13:
        national = "0" + digits[4:]
    forms = {digits, national}
    if national.startswith("0") and len(national) == 10:
        rest = national[1:]
        pairs = [national[i : i + 2] for i in range(0, 10, 2)]
        forms |= {
            "+33" + rest,
            "0033" + rest,
            "33" + rest,
            " ".join(pairs),
            ".".join(pairs),
            "-".join(pairs),
            "+33 " + rest[0] + " " + " ".join(rest[j : j + 2] for j in range(1, 9, 2)),
            "+33" + rest[0] + " " + " ".join(rest[j : j + 2] for j in range(1, 9, 2)),
            "+33 (0)" + rest[0] + " " + " ".join(rest[j : j + 2] for j in range(1, 9, 2)),
        }
    return out | forms


def _b64_forms(text: str) -> set[str]:
    raw = text.encode("utf-8")
    out: set[str] = set()
    for enc in (base64.b64encode, base64.urlsafe_b64encode):
        full = enc(raw).decode("ascii")
        out.add(full)
        out.add(full.rstrip("="))
    return {o for o in out if len(o) >= 8}


def _json_escaped(text: str) -> str:
    return json.dumps(text, ensure_ascii=True)[1:-1]


@dataclass
class Needles:
    """Every form of what identifies the people being erased.

    Attributes:
        strong: folded forms of emails, their MD5 hashes and phones: a text holding one is about
            the person (or a contact sharing that address or phone).
        names: folded forms of full names ("first last", "last first"): only searched where a
            homonym's own row cannot be hit (shared texts, files), see :meth:`Matcher.hit`.
        exact: base64 forms, compared case-sensitively.
    """

    strong: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    exact: set[str] = field(default_factory=set)

    def add_email(self, email: str) -> None:
        """An address in every form (as typed, key, lower, NFC, NFD, JSON-escaped, MD5, base64)."""
        if not email or not email.strip():
            return
        key = email_key(email)
        typed = email.strip()
        for form in {
            typed,
            key,
            typed.lower(),
            unicodedata.normalize("NFC", typed),
            unicodedata.normalize("NFD", typed),
        }:
            self.strong.add(fold(form))
            self.strong.add(fold(_json_escaped(form)))
            self.exact |= _b64_forms(form)
        for form in {key, typed.lower()}:
            self.strong.add(hashlib.md5(form.encode()).hexdigest())  # noqa: S324 - Mailchimp's member id

    def add_name(self, first: str | None, last: str | None = None) -> None:
        """A full name (both orders); a one-part name only when it is long enough to be specific."""
        parts = [p.strip() for p in (first or "", last or "") if p and p.strip()]
        candidates: set[str] = set()
        if len(parts) == 2:
            candidates |= {f"{parts[0]} {parts[1]}", f"{parts[1]} {parts[0]}"}
        elif len(parts) == 1 and " " in parts[0]:
            candidates.add(parts[0])
        for name in candidates:
            name = " ".join(name.split())
            if len(name) < _MIN_NAME:
                continue
            for form in {name, unicodedata.normalize("NFD", name), _strip_accents(name)}:
                self.names.add(fold(form))
                self.names.add(fold(_json_escaped(form)))
                self.exact |= _b64_forms(form)

    def add_phone(self, phone: str | None) -> None:
        """A phone number in its usual spellings."""
        if not phone:
            return
        for form in phone_forms(phone):
            if len(_DIGITS.sub("", form)) >= 8:
                self.strong.add(fold(form))

    def __bool__(self) -> bool:
        return bool(self.strong or self.names or self.exact)


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _alternation(forms: Iterable[str]) -> re.Pattern[str] | None:
    ordered = sorted({f for f in forms if f}, key=len, reverse=True)
    if not ordered:
        return None
    return re.compile("|".join(re.escape(f) for f in ordered))


class Matcher:
    """Tell whether a text holds one of the needles, and remove them from it."""

    def __init__(self, needles: Needles) -> None:
        self.needles = needles
        self._strong = _alternation(needles.strong)
        self._all = _alternation(needles.strong | needles.names)
        self._exact = _alternation(needles.exact)
        # Replacement works on the NFC text, case-insensitively (names and addresses as written).
        self._replace = (
            re.compile(
                "|".join(
                    re.escape(f)
                    for f in sorted(needles.strong | needles.names | needles.exact, key=len, reverse=True)
                ),
                re.IGNORECASE,
            )
            if needles
            else None
        )

    def hit(self, value: Any, *, names: bool = True) -> bool:
        """Whether ``value`` (text or bytes; anything else is not) holds a needle.

        Args:
            value: the text.
            names: also look for full names (off for a contact's own row: a homonym is not them).
        """
        if isinstance(value, bytes | bytearray | memoryview):
            value = bytes(value).decode("utf-8", "replace")
        if not isinstance(value, str) or not value:
            return False
        pattern = self._all if names else self._strong
        if pattern is not None and pattern.search(fold(value)):
            return True
        return self._exact is not None and self._exact.search(value) is not None

    def scrub(self, value: str, *, names: bool = True) -> str:
        """``value`` without the needles: JSON keeps its shape (matching list items dropped,
        matching strings replaced), a plain ``a,b,c`` list loses its matching items, other text gets
        :data:`ERASED` in place of each trace (or as a whole when a trace cannot be cut out).
        """
        if not self.hit(value, names=names):
            return value
        stripped = value.strip()
        if stripped[:1] in ("{", "["):
            try:
                decoded = json.loads(stripped)
            except ValueError:
                decoded = None
            if isinstance(decoded, dict | list):
                cleaned = self._scrub_json(decoded, names)
                return json.dumps(cleaned, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        if _PLAIN_LIST.match(stripped):
            kept = [item for item in stripped.split(",") if not self.hit(item, names=names)]
            if not any(self.hit(item, names=names) for item in kept):
                return ",".join(kept)
        text = unicodedata.normalize("NFC", value)
        if self._replace is not None:
            text = self._replace.sub(ERASED, text)
        return ERASED if self.hit(text, names=names) else text

    def _scrub_json(self, value: Any, names: bool) -> Any:
        if isinstance(value, dict):
            return {k: self._scrub_json(v, names) for k, v in value.items() if not self.hit(k, names=names)}
        if isinstance(value, list):
            return [
                self._scrub_json(v, names)
                for v in value
                if not (isinstance(v, str) and self.hit(v, names=names))
            ]
        if isinstance(value, str):
            return self.scrub(value, names=names)
        return value
