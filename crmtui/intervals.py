"""Intervals as operators write them: ``SYNC_INTERVAL``, ``crmtui cron install --every``.

Shared by every layer, so it lives at the package root.

One parser for both, so a value the console accepts is one cron accepts (when cron can express
it). The forms:

- a number of seconds: ``3600`` (the seed README's ``SYNC_INTERVAL=3600``), ``900``;
- a number and a unit: ``30s``, ``15m``, ``15 min``, ``15 minutes``, ``1h``, ``2 heures``, ``1d``,
  ``1j``, ``7d``, ``168h``, ``1w``, ``2 semaines``; several in a row: ``1h30m``, ``1d12h``;
- words: ``hourly`` / ``horaire``, ``daily`` / ``quotidien(ne)`` / ``journalier``, ``weekly`` /
  ``hebdomadaire`` (the seed documents' "Hebdomadaire", "Quotidienne");
- ``0`` or ``off`` (console only): no automatic cycle.
"""

from __future__ import annotations

import math
import re

from crmtui.i18n import t

_UNITS: dict[str, int] = {}
for _names, _seconds in (
    (("", "s", "sec", "secs", "second", "seconds", "seconde", "secondes"), 1),
    (("m", "mn", "min", "mins", "minute", "minutes"), 60),
    (("h", "hr", "hrs", "hour", "hours", "heure", "heures"), 3600),
    (("d", "j", "day", "days", "jour", "jours"), 86400),
    (("w", "wk", "week", "weeks", "sem", "semaine", "semaines"), 7 * 86400),
):
    for _name in _names:
        _UNITS[_name] = _seconds

_WORDS = {
    "hourly": 3600,
    "horaire": 3600,
    "daily": 86400,
    "quotidien": 86400,
    "quotidienne": 86400,
    "journalier": 86400,
    "journaliere": 86400,
    "journalière": 86400,
    "weekly": 7 * 86400,
    "hebdomadaire": 7 * 86400,
}
_OFF = frozenset({"0", "off", "none", "never", "jamais", "non"})
_PART = re.compile(r"(\d+(?:[.,]\d+)?)\s*([a-zéè]*)")


def parse_interval(text: str, *, allow_off: bool = False) -> int:
    """Seconds for an interval written like ``15m``, ``1w`` or ``3600``.

    Args:
        text: the operator's value.
        allow_off: accept ``0`` / ``off`` (returns 0: no automatic cycle).

    Raises:
        ValueError: not an interval (the message names the value and the accepted forms).
    """
    value = text.strip().lower()
    if allow_off and value in _OFF:
        return 0
    if value in _WORDS:
        return _WORDS[value]
    total = 0.0
    pos = 0
    compact = value.replace(" ", "")
    if not compact:
        raise ValueError(t("interval.bad", value=text))
    while pos < len(compact):
        m = _PART.match(compact, pos)
        bare = m is not None and not m.group(2) and (pos > 0 or m.end() < len(compact))
        if m is None or m.group(2) not in _UNITS or bare:  # "1h30": 30 what? say so
            raise ValueError(t("interval.bad", value=text))
        total += float(m.group(1).replace(",", ".")) * _UNITS[m.group(2)]
        pos = m.end()
    seconds = round(total)
    if seconds <= 0:
        raise ValueError(t("interval.bad", value=text))
    return seconds


def describe_interval(seconds: int) -> str:
    """``15 min``, ``1 h``, ``1 j`` / ``1 d``, ``1 semaine`` / ``1 week`` (the catalogue's words)."""
    if seconds <= 0:
        return t("interval.off")
    for unit, size in (("week", 7 * 86400), ("day", 86400), ("hour", 3600), ("min", 60)):
        if seconds % size == 0:
            return t(f"interval.{unit}", n=seconds // size)
    return t("interval.sec", n=seconds)


def remaining(seconds: float) -> str:
    """A countdown that reads well and stays still between refreshes.

    ``45 s`` under two minutes; minutes rounded up (``14 min``) under two hours; then ``1 h 05 min``,
    and from two days ``6 j 23 h`` / ``6 d 23 h``.
    """
    secs = max(0, math.ceil(seconds))
    if secs < 120:
        return t("interval.sec", n=secs)
    minutes = math.ceil(secs / 60)
    if minutes < 120:
        return t("interval.min", n=minutes)
    if minutes < 2 * 1440:
        hours, mins = divmod(minutes, 60)
        return t("interval.hour_min", h=hours, m=f"{mins:02d}")
    days, rest = divmod(minutes, 1440)
    return t("interval.day_hour", d=days, h=rest // 60)


def cron_schedule(text: str) -> str:
    """The five cron fields for an interval: ``15m`` → ``*/15 * * * *``, ``1w`` → Mondays at 00:00.

    Cron runs on minute boundaries, so the interval must divide the hour or the day, or be one day
    or one week.

    Raises:
        ValueError: not an interval, or one cron cannot express evenly.
    """
    seconds = parse_interval(text)
    if seconds % 60:
        raise ValueError(t("cron.bad_every", every=text))
    minutes = seconds // 60
    if minutes < 60 and 60 % minutes == 0:
        return "* * * * *" if minutes == 1 else f"*/{minutes} * * * *"
    if minutes % 60 == 0 and minutes < 1440 and 24 % (minutes // 60) == 0:
        hours = minutes // 60
        return "0 * * * *" if hours == 1 else f"0 */{hours} * * *"
    if minutes == 1440:
        return "0 0 * * *"
    if minutes == 7 * 1440:
        return "0 0 * * 1"
    raise ValueError(t("cron.bad_every", every=text))
