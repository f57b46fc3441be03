"""Numbers, money and percentages as the operator's language writes them (Babel's CLDR data).

Shared by every layer, so it lives at the package root.

French: ``217 985,92 €``, ``22,2 %``, ``12 345`` (narrow no-break spaces, as CLDR has it);
English: ``€217,985.92``, ``22.2%``, ``12,345``. Babel rather than the ``locale`` module: it does not
depend on which locales the server has generated (a minimal Debian has only ``C.UTF-8``), and it
never changes process-wide state under the console's threads.
"""

from __future__ import annotations

import re
from datetime import datetime

from babel.dates import format_datetime
from babel.numbers import NumberFormatError, format_currency, format_decimal, format_percent, parse_decimal

from crmtui.i18n import get_language

_LOCALES = {"fr": "fr_FR", "en": "en_GB"}


def _locale() -> str:
    return _LOCALES.get(get_language(), "en_GB")


def number(value: float | int, digits: int = 0) -> str:
    """``12 345`` / ``12,345``; ``digits`` decimals, always shown."""
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return str(format_decimal(value, format=pattern, locale=_locale()))


def seconds(value: float | int) -> str:
    """A duration in seconds, as few digits as it needs: ``2,5`` / ``2.5``, ``30`` (no grouping)."""
    return str(format_decimal(value, format="0.###", locale=_locale()))


def money(value: float | int, currency: str = "EUR") -> str:
    """``217 985,92 €`` / ``€217,985.92``."""
    return str(format_currency(value, currency, locale=_locale()))


def percent(ratio: float, digits: int = 1) -> str:
    """A ratio (0.222) as ``22,2 %`` / ``22.2%``."""
    decimals = "." + "0" * digits if digits else ""
    pattern = f"#,##0{decimals}\u00a0%" if get_language() == "fr" else f"#,##0{decimals}%"
    return str(format_percent(ratio, format=pattern, locale=_locale()))


def date_time(moment: datetime) -> str:
    """A moment in local time, as the operator's language writes it: ``30/11/2026 14:02`` / ``30/11/2026, 14:02``.

    A naive ``moment`` is taken as local time already.
    """
    local = moment.astimezone().replace(tzinfo=None) if moment.tzinfo is not None else moment
    return str(format_datetime(local, "short", locale=_locale()))  # naive: shown as it is


_NOT_DIGITS = re.compile(r"[\s\u00a0\u202f€$£%]")
_NUMERIC = re.compile(r"[-+]?[\d.,]*\d[\d.,]*")


def parse_number(text: str) -> float | None:
    """A number as :func:`number`, :func:`money` or :func:`percent` wrote it, else None (table sorts)."""
    bare = _NOT_DIGITS.sub("", text)
    if not _NUMERIC.fullmatch(bare):
        return None
    try:
        return float(parse_decimal(bare, locale=_locale()))
    except NumberFormatError:
        return None
