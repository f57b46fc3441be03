"""Normalisers shared by every ETL source: pure functions, no I/O.

Each one takes what an export or an API hands over (French decimal commas, ``dd/mm/yyyy`` dates,
"Caisse 12 bouteilles", ``DUPONT Marie``, "06 12 34 56 78"...) and returns the canonical value,
or raises :class:`InvalidValue` with a plain reason when the value cannot be read. ``None`` means
"empty", which is not an error.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta
from functools import lru_cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from crmtui.records.emails import email_key

__all__ = [
    "COUNTRY_CODES",
    "InvalidValue",
    "bottles_per_unit",
    "category",
    "fold",
    "iso",
    "name_key",
    "normalize_column",
    "normalize_country",
    "normalize_email",
    "normalize_phone",
    "normalize_postcode",
    "parse_bool",
    "parse_date",
    "parse_decimal",
    "price_segment",
    "product_reference",
    "slug",
    "split_grapes",
    "split_name",
]


class InvalidValue(ValueError):
    """A source value that cannot be normalised; the message says why."""


# -- text -------------------------------------------------------------------------------------

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


@lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """Lower case, accents removed, whitespace collapsed: ``"  Rosé  d'Anjou"`` → ``"rose d'anjou"``."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.lower().replace("œ", "oe").replace("æ", "ae").split())


def normalize_column(name: str) -> str:
    """A column header as a key: ``"N° pièce"`` → ``"n_piece"``, ``"E-mail"`` → ``"e_mail"``."""
    return _NON_ALNUM.sub("_", fold(name.replace("\ufeff", ""))).strip("_")


def slug(text: str) -> str:
    """A key fragment: folded, runs of other characters as ``-`` (``"Dépôt Beaune"`` → ``"depot-beaune"``)."""
    return _NON_ALNUM.sub("-", fold(text)).strip("-")


def name_key(first: str | None, last: str | None) -> str:
    """The "same person" key used to find duplicates: folded ``last first``, hyphens as spaces."""
    text = f"{last or ''} {first or ''}".replace("-", " ")
    return fold(text)


def split_name(full: str, order: str = "first_last") -> tuple[str | None, str | None]:
    """Split a ``nom`` holding both names into ``(first, last)``.

    As the estate's document says (seed 003, "Split sur premier espace"): a leading run of words
    in capitals is the last name (``"DUPONT Marie"``, ``"LE GALL Anne Sophie"``); otherwise the
    name is split on its first space, first name first (``"Jean Dupont"``). With ``order``
    ``"last_first"`` (ISAVIGNE_NAME_ORDER, for exports known to write the last name first) the
    first word is the last name (``"Dupont Jean"``). A single word is a last name.
    """
    words = full.split()
    if not words:
        return None, None
    if len(words) == 1:
        return None, words[0]
    upper = 0
    for word in words:
        if any(c.isalpha() for c in word) and word.isupper():
            upper += 1
        else:
            break
    if 0 < upper < len(words):
        return " ".join(words[upper:]), " ".join(words[:upper])
    if order == "last_first":
        return " ".join(words[1:]), words[0]
    return words[0], " ".join(words[1:])


def product_reference(reference: str) -> str:
    """A product's own reference as its stable ``product_key``: upper case, spaces collapsed.

    iSaVigne's ``produit_key`` and Odoo's ``default_code`` go through the same function, so the
    same wine has the same key whichever system exported it (seed 003: "Identifiant STABLE").
    """
    return " ".join(reference.split()).upper()


def split_grapes(text: str | None) -> str | None:
    """Grape varieties split on commas (and ``;``/``/``), trimmed, joined by ``", "``; None if empty."""
    if not text:
        return None
    parts = [" ".join(p.split()) for p in re.split(r"[,;/]", text)]
    kept = [p for p in parts if p]
    return ", ".join(kept) or None


# -- numbers ----------------------------------------------------------------------------------

_SPACES = str.maketrans("", "", " \u00a0\u202f\u2009'’€%\t")


def parse_decimal(value: object) -> float | None:
    """Read a number written the French or the English way.

    ``"1 234,50"``, ``"1\u00a0234,5"``, ``"1.234,50"``, ``"1,234.50"``, ``"12.5"``, ``"-3"``,
    ``"15 €"`` and numbers from a spreadsheet are accepted. With a single separator, a comma is
    the decimal mark; several identical separators are thousands separators.

    Raises:
        InvalidValue: not a number.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise InvalidValue(f"not a number: {value!r}")
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().translate(_SPACES)
    if not text:
        return None
    comma, dot = text.count(","), text.count(".")
    if comma and dot:
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif comma > 1:
        text = text.replace(",", "")
    elif comma == 1:
        text = text.replace(",", ".")
    elif dot > 1:
        text = text.replace(".", "")
    try:
        number = float(text)
    except ValueError:
        raise InvalidValue(f"not a number: {str(value)[:40]!r}") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise InvalidValue(f"not a number: {str(value)[:40]!r}")
    return number


_TRUE = frozenset({"oui", "o", "yes", "y", "true", "vrai", "1", "x", "actif", "active"})
_FALSE = frozenset({"non", "n", "no", "false", "faux", "0", "", "inactif", "archive"})


def parse_bool(value: object, default: bool = False) -> bool:
    """``Oui``/``Non``, ``yes``/``no``, ``1``/``0``, ``x``; empty gives ``default``.

    Raises:
        InvalidValue: anything else.
    """
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    text = fold(str(value))
    if not text:
        return default
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidValue(f"not yes/no: {str(value)[:40]!r}")


# -- dates ------------------------------------------------------------------------------------

_DMY = re.compile(
    r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?:[ T]+(\d{1,2})[:hH](\d{2})(?::(\d{2}))?)?$"
)
_ISO = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$"
)
_EXCEL_EPOCH = datetime(1899, 12, 30)


def parse_date(value: object) -> date | datetime | None:
    """Read a date, with or without a time.

    Accepts ``dd/mm/yyyy`` (also ``-`` or ``.``, two-digit years as 20yy), ``dd/mm/yyyy hh:mm[:ss]``,
    ISO ``yyyy-mm-dd[ hh:mm[:ss]]`` (a ``Z`` or offset is converted to UTC), spreadsheet dates
    and datetimes, and Excel serial day numbers. A time of exactly midnight from a spreadsheet
    stays a datetime; text without a time gives a :class:`date`.

    Raises:
        InvalidValue: not a date, or an impossible one (31/02).
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else _to_utc(value)
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 2_958_466:
            moment = _EXCEL_EPOCH + timedelta(days=float(value))
            return moment.date() if float(value).is_integer() else moment.replace(microsecond=0)
        raise InvalidValue(f"not a date: {value!r}")
    text = str(value).strip()
    if not text:
        return None
    try:
        m = _DMY.match(text)
        if m:
            day, month, year = int(m[1]), int(m[2]), int(m[3])
            if len(m[3]) == 2:
                year += 2000
            if m[4] is None:
                return date(year, month, day)
            return datetime(year, month, day, int(m[4]), int(m[5]), int(m[6] or 0))
        m = _ISO.match(text)
        if m:
            year, month, day = int(m[1]), int(m[2]), int(m[3])
            if m[4] is None:
                return date(year, month, day)
            moment = datetime(year, month, day, int(m[4]), int(m[5]), int(m[6] or 0))
            if m[7] and m[7] != "Z":
                sign = 1 if m[7][0] == "+" else -1
                digits = m[7][1:].replace(":", "")
                moment -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            return moment
    except ValueError as exc:
        raise InvalidValue(f"impossible date: {text[:40]!r} ({exc})") from None
    raise InvalidValue(f"not a date: {text[:40]!r}")


def _to_utc(value: datetime) -> datetime:
    offset = value.utcoffset() or timedelta(0)
    return (value - offset).replace(tzinfo=None)


def iso(value: date | datetime | None) -> str | None:
    """The store's text form: ``2024-03-05`` or ``2024-03-05 14:30:00``."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return value.isoformat()


# -- units ------------------------------------------------------------------------------------

# Named bottle sizes, as 75 cl equivalents. Checked in this order (most specific first).
_FORMATS: tuple[tuple[str, float], ...] = (
    ("nabuchodonosor", 20.0),
    ("balthazar", 16.0),
    ("salmanazar", 12.0),
    ("mathusalem", 8.0),
    ("methusalem", 8.0),
    ("imperiale", 8.0),
    ("rehoboam", 6.0),
    ("jeroboam", 4.0),
    ("double magnum", 4.0),
    ("magnum", 2.0),
    ("clavelin", 62 / 75),
    ("demi-bouteille", 0.5),
    ("demi bouteille", 0.5),
    ("demi", 0.5),
    ("fillette", 0.5),
    ("pot lyonnais", 46 / 75),
    ("bouteille", 1.0),
    ("btl", 1.0),
    ("bout", 1.0),
    ("bt", 1.0),
    ("col", 1.0),
    ("unite", 1.0),
)
_CONTAINERS = ("caisse", "carton", "colis", "cagette", "pack", "lot", "cs", "ct")
_VOLUME = re.compile(r"(\d+(?:[.,]\d+)?)\s*(ml|cl|l|litres?|liters?)(?![a-z])")
_COUNT = re.compile(r"(?<![\d.,])(\d+)(?![\d.,]*\s*(?:ml|cl|l|litres?|liters?)(?![a-z]))")
_CONTAINER = re.compile(r"\b(" + "|".join(_CONTAINERS) + r")s?\b")
_BIB = re.compile(r"\b(bib|bag in box|cubi|fontaine)\b")


@lru_cache(maxsize=1024)
def bottles_per_unit(unit: str, pack_size: float | None = None) -> float | None:
    """How many 75 cl bottles one sold or stored ``unit`` is worth.

    ``"Bouteille"`` 1, ``"Demi-bouteille"``/``"fillette"`` 0.5, ``"Clavelin 62cl"`` 62/75,
    ``"Magnum"`` 2, ``"Jéroboam"`` 4, ``"Réhoboam"`` 6, ``"Mathusalem"`` 8, ``"Salmanazar"`` 12,
    ``"Balthazar"`` 16, ``"Nabuchodonosor"`` 20; ``"Carton de 6"``, ``"Caisse 12 bouteilles"``,
    ``"caisse 6 magnums"`` (12); volumes ``"BIB 5L"``, ``"1,5 l"``, ``"50 cl"``, ``"750 ml"``.

    Args:
        unit: the unit text; empty means one bottle.
        pack_size: bottles per case from a separate column, used when the text names a case
            without saying how many it holds.

    Returns:
        The factor, or ``None`` when it cannot be known (a bare "Carton" or "BIB" with no size).
    """
    text = fold(unit)
    if not text:
        return 1.0
    if _CONTAINER.search(text):
        rest = _CONTAINER.sub(" ", text)
        count = _COUNT.search(rest)
        inner_text = _COUNT.sub(" ", rest, count=1) if count else rest
        inner_text = re.sub(r"\b(de|x|of)\b", " ", inner_text).replace("x", " ").strip()
        inner = bottles_per_unit(inner_text) if inner_text else 1.0
        if count:
            return float(count.group(1)) * (inner or 1.0)
        if pack_size:
            return float(pack_size) * (inner or 1.0)
        if _CONTAINER.search(text).group(1) == "caisse":  # type: ignore[union-attr]
            # Seed 003: "1 caisse = 12" (a case of twelve 75 cl bottles is the trade's default).
            return 12.0 * (inner or 1.0)
        return None
    volume = _VOLUME.search(text)
    if volume:
        amount = float(volume.group(1).replace(",", "."))
        scale = {"ml": 0.1, "cl": 1.0}.get(volume.group(2), 100.0)
        return amount * scale / 75
    if _BIB.search(text):
        return None
    for word, factor in _FORMATS:
        if re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", text) or text.startswith(word):
            return factor
    return None


# -- prices and categories ------------------------------------------------------------------

PRICE_SEGMENT_BOUNDS: tuple[tuple[str, float], ...] = (
    ("ENTRY", 15.0),
    ("STANDARD", 30.0),
    ("PREMIUM", 75.0),
    ("LUXURY", float("inf")),
)
"""Upper bounds (exclusive) in euros per 75 cl bottle: ENTRY < 15 ≤ STANDARD < 30 ≤ PREMIUM < 75 ≤ LUXURY."""


def price_segment(price_eur: float | None, bottles: float = 1.0) -> str | None:
    """The price segment of ``price_eur`` for ``bottles`` 75 cl equivalents (None if no price)."""
    if price_eur is None or price_eur < 0:
        return None
    per_bottle = price_eur / bottles if bottles > 0 else price_eur
    for name, bound in PRICE_SEGMENT_BOUNDS:
        if per_bottle < bound:
            return name
    return "LUXURY"


_CATEGORY_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "MOUSSEUX",
        ("mousseux", "cremant", "champagne", "effervescent", "sparkling", "blanquette", "cava", "prosecco"),
    ),
    ("PÉTILLANT", ("petillant", "pet nat", "pet-nat", "petnat", "perle")),
    (
        "FORTIFIÉ",
        (
            "fortifie",
            "fortified",
            "vin doux naturel",
            "vdn",
            "porto",
            "port",
            "banyuls",
            "maury",
            "rivesaltes",
            "pineau",
            "macvin",
            "ratafia",
            "floc",
        ),
    ),
    ("ROSÉ", ("rose", "rosé", "gris")),
    ("BLANC", ("blanc", "white", "jaune", "liquoreux", "moelleux")),
    ("ROUGE", ("rouge", "red", "noir")),
)


@lru_cache(maxsize=1024)
def _category_of(text: str) -> str | None:
    folded = fold(text)
    for name, words in _CATEGORY_WORDS:
        for word in words:
            if re.search(rf"(?<![a-z]){re.escape(fold(word))}(?![a-z])", folded):
                return name
    return None


def category(colour: str | None, name: str | None = None) -> str:
    """The product category from a colour column (``Rouge``, ``red``, ``Effervescent``), else the name.

    Crémant, champagne and other sparkling wines are ``MOUSSEUX``; "vin doux naturel" and the
    like are ``FORTIFIÉ``. Unknown is ``AUTRE``.
    """
    if colour:
        found = _category_of(colour)
        if found:
            return found
    if name:
        found = _category_of(name)
        if found:
            return found
    return "AUTRE"


# -- contact details --------------------------------------------------------------------------

COUNTRY_CODES: dict[str, tuple[str, str]] = {
    "france": ("FR", "France"),
    "fr": ("FR", "France"),
    "fra": ("FR", "France"),
    "belgique": ("BE", "Belgique"),
    "belgium": ("BE", "Belgique"),
    "be": ("BE", "Belgique"),
    "suisse": ("CH", "Suisse"),
    "switzerland": ("CH", "Suisse"),
    "ch": ("CH", "Suisse"),
    "allemagne": ("DE", "Allemagne"),
    "germany": ("DE", "Allemagne"),
    "de": ("DE", "Allemagne"),
    "royaume-uni": ("GB", "Royaume-Uni"),
    "royaume uni": ("GB", "Royaume-Uni"),
    "united kingdom": ("GB", "Royaume-Uni"),
    "uk": ("GB", "Royaume-Uni"),
    "gb": ("GB", "Royaume-Uni"),
    "danemark": ("DK", "Danemark"),
    "denmark": ("DK", "Danemark"),
    "dk": ("DK", "Danemark"),
    "japon": ("JP", "Japon"),
    "japan": ("JP", "Japon"),
    "jp": ("JP", "Japon"),
    "luxembourg": ("LU", "Luxembourg"),
    "lu": ("LU", "Luxembourg"),
    "italie": ("IT", "Italie"),
    "italy": ("IT", "Italie"),
    "espagne": ("ES", "Espagne"),
    "spain": ("ES", "Espagne"),
    "pays-bas": ("NL", "Pays-Bas"),
    "pays bas": ("NL", "Pays-Bas"),
    "netherlands": ("NL", "Pays-Bas"),
    "etats-unis": ("US", "États-Unis"),
    "etats unis": ("US", "États-Unis"),
    "usa": ("US", "États-Unis"),
    "united states": ("US", "États-Unis"),
    "canada": ("CA", "Canada"),
}
"""Country names and codes seen in exports → (ISO code, display name)."""


def normalize_country(value: str | None) -> tuple[str, str]:
    """``(ISO code, name)`` of a country; empty means France; unknown keeps the text (code ``""``)."""
    text = (value or "").strip()
    if not text:
        return "FR", "France"
    known = COUNTRY_CODES.get(fold(text))
    if known:
        return known
    return "", " ".join(text.split())


def normalize_postcode(value: object, country_code: str = "FR") -> str | None:
    """A postcode as text; a French one that a spreadsheet stored as a number gets its zero back."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = " ".join(str(value).split())
    if not text:
        return None
    if country_code == "FR" and text.isdigit() and len(text) == 4:
        return text.zfill(5)
    return text


def normalize_phone(value: object, region: str = "FR") -> str | None:
    """A phone number in E.164 (``+33612345678``); ``region`` reads national numbers.

    Raises:
        InvalidValue: not a valid number.
    """
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region or "FR")
    except phonenumbers.NumberParseException:
        raise InvalidValue(f"not a phone number: {text[:40]!r}") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidValue(f"not a valid phone number: {text[:40]!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(value: object) -> str | None:
    """A syntactically valid email as crmtui's one identity key (:func:`crmtui.records.emails.email_key`).

    No DNS lookup. Full-width and NFD forms give the same key as the plain address.

    Raises:
        InvalidValue: not a valid address, with email-validator's reason.
    """
    if value is None:
        return None
    text = email_key(str(value))
    if not text:
        return None
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidValue(f"invalid email {text[:60]!r}: {exc}") from None
    return email_key(checked.normalized)


def contact_points(
    email: str | None, phones: dict[str, str | None], region: str | None
) -> tuple[str | None, dict[str, str | None], list[str]]:
    """Normalise a customer's email and phones; keep invalid values (printable) and name them.

    Args:
        email: the address as received.
        phones: field name (``phone``, ``mobile``) → the number as received.
        region: the country for numbers without a prefix (France when unknown).

    Returns:
        ``(email, phones, invalid)``: normalised values (invalid ones kept as received, made
        printable) and the names of the invalid fields, for the quality report.
    """
    from crmtui.text import printable

    invalid: list[str] = []
    try:
        clean_email = normalize_email(email)
    except InvalidValue:
        clean_email = printable(email)
        invalid.append("email")
    clean_phones: dict[str, str | None] = {}
    for field, raw in phones.items():
        try:
            clean_phones[field] = normalize_phone(raw, region or "FR")
        except InvalidValue:
            clean_phones[field] = printable(raw)
            invalid.append(field)
    return clean_email, clean_phones, invalid
