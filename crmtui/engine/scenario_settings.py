"""Scenario settings in the forms operators write them: day and domain lists, booleans, flat keys.

The estate's scenario document (``../shared/seeds/004…``) writes its settings as Python attributes::

    scenario.send_days = 'mon,tue,wed,thu,fri'  # Jours ouvrés seulement
    scenario.only_deliverable = True
    scenario.exclude_domains = 'gmail.com,yahoo.com'

A scenario file accepts those lines as they are (before its first ``[section]``), besides its own
``[window]``/``[filters]``/``[options]`` tables: a comma-separated string and a list are the same,
day names are English or French (``mon``/``lun``, ``monday``/``lundi``, ``1``…``7``, ranges
``mon-fri``), and Python's ``True``/``False`` are TOML's ``true``/``false``. Every value is checked:
an unknown day or a domain that is not a domain is an error naming it (never silently dropped).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""ISO weekday names (1 = mon), as scenario files are written."""

_FULL_DAYS = (
    ("monday", "lundi"),
    ("tuesday", "mardi"),
    ("wednesday", "mercredi"),
    ("thursday", "jeudi"),
    ("friday", "vendredi"),
    ("saturday", "samedi"),
    ("sunday", "dimanche"),
)

FLAT_KEYS: dict[str, tuple[str, str]] = {
    "send_window_start": ("window", "start"),
    "send_window_end": ("window", "end"),
    "send_days": ("window", "days"),
    "min_validation_score": ("filters", "min_validation_score"),
    "only_deliverable": ("filters", "only_deliverable"),
    "exclude_domains": ("filters", "exclude_domains"),
    "stop_on_reply": ("options", "stop_on_reply"),
    "stop_on_unsubscribe": ("options", "stop_on_unsubscribe"),
    "include_unsubscribe": ("options", "include_unsubscribe"),
}
"""The document's attribute names (``scenario.send_days``…) and where a scenario file keeps them."""

BOOLEAN_KEYS = (
    "only_deliverable",
    "stop_on_reply",
    "stop_on_unsubscribe",
    "include_unsubscribe",
    "auto_winner",
)

_DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_SPLIT = re.compile(r"[\s,;]+")
_PY_BOOL = re.compile(
    r"^(\s*(?:scenario\.)?(?:" + "|".join(BOOLEAN_KEYS) + r")\s*=\s*)(True|False)(\s*(?:#.*)?)$",
    re.MULTILINE,
)


def day_number(token: str) -> int | None:
    """An ISO weekday from ``mon``/``lun``/``monday``/``lundi``/``tues``/``3``; None when it is no day."""
    word = token.strip().lower().rstrip(".")
    if word.isdigit():
        return int(word) if 1 <= int(word) <= 7 else None
    if len(word) < 3:
        return None
    for number, names in enumerate(_FULL_DAYS, start=1):
        if any(name.startswith(word) for name in names):
            return number
    return None


def _items(value: Any) -> list[Any]:
    """A list, or a string split on commas, semicolons and spaces (blanks dropped)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [p for p in _SPLIT.split(value.strip()) if p]
    if isinstance(value, list | tuple):
        out: list[Any] = []
        for item in value:
            out.extend(_items(item) if isinstance(item, str) else [item])
        return out
    return [value]


def parse_days(value: Any) -> tuple[list[int], list[str]]:
    """``'mon,tue,wed'``, ``["lun", "mar"]``, ``"mon-fri"``, ``[1, 2]`` → (sorted ISO weekdays, bad tokens)."""
    days: set[int] = set()
    bad: list[str] = []
    for item in _items(value):
        if isinstance(item, bool) or not isinstance(item, int | str):
            bad.append(str(item))
            continue
        if isinstance(item, int):
            (days.add(item) if 1 <= item <= 7 else bad.append(str(item)))
            continue
        bounds = item.split("-")
        numbers = [day_number(b) for b in bounds]
        if len(bounds) > 2 or any(n is None for n in numbers):
            bad.append(item)
            continue
        first, last = numbers[0], numbers[-1]
        assert first is not None and last is not None
        if last < first:
            bad.append(item)
            continue
        days.update(range(first, last + 1))
    return sorted(days), bad


def is_domain(name: str) -> bool:
    """Whether ``name`` is a domain name with at least two labels (``gmail.com``, ``exemple.fr``)."""
    try:
        ascii_name = name.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = ascii_name.lower().split(".")
    return (
        len(ascii_name) <= 253
        and len(labels) >= 2
        and all(_DOMAIN_LABEL.match(label) for label in labels)
        and not labels[-1].isdigit()
    )


def parse_domains(value: Any) -> tuple[list[str], list[str]]:
    """``'gmail.com,yahoo.com'`` or a list → (lower-case domains, entries that are not domains).

    A leading ``@`` is allowed (``@gmail.com``).
    """
    domains: list[str] = []
    bad: list[str] = []
    for item in _items(value):
        text = str(item).strip().lower().lstrip("@")
        if not isinstance(item, str) or not is_domain(text):
            bad.append(str(item))
        elif text not in domains:
            domains.append(text)
    return domains, bad


def bad_domains(domains: Iterable[str]) -> list[str]:
    """The entries of ``domains`` that are not domains."""
    return [d for d in domains if not is_domain(d.strip().lower().lstrip("@"))]


_TRUE = ("true", "yes", "oui", "on", "1")
_FALSE = ("false", "no", "non", "off", "0")


def parse_bool(value: Any) -> bool | None:
    """``true``/``True``/``"yes"``/``"oui"``/``1`` and their opposites; None for anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    return None


def python_booleans(text: str) -> str:
    """``only_deliverable = True`` (Python, as the document writes it) → ``= true`` (TOML).

    Only lines setting one of :data:`BOOLEAN_KEYS` are touched, and only when the value is exactly
    ``True`` or ``False`` (which TOML itself refuses), so template text is never changed.
    """
    return _PY_BOOL.sub(lambda m: m.group(1) + m.group(2).lower() + m.group(3), text)


def flatten(data: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str, Any, Any]]]:
    """Fold ``scenario.x`` keys and the document's flat names into the file's tables.

    Returns:
        The folded document, and the conflicts ``(key, other, value, other_value)`` where a key is
        set twice to different values (``send_days`` and ``[window] days``).
    """
    out = dict(data)
    conflicts: list[tuple[str, str, Any, Any]] = []
    flat = out.pop("scenario", None)
    if isinstance(flat, dict):
        for key, value in flat.items():
            if key in out and out[key] != value:
                conflicts.append((f"scenario.{key}", key, value, out[key]))
            out[key] = value
    elif flat is not None:
        out["scenario"] = flat  # not a table: reported as an unknown key's type by the caller
    for key, (table, name) in FLAT_KEYS.items():
        if key not in out:
            continue
        value = out.pop(key)
        section = out.get(table, {})
        if not isinstance(section, dict):
            continue
        section = dict(section)
        if name in section and section[name] != value:
            conflicts.append((key, f"[{table}] {name}", value, section[name]))
        section[name] = value
        out[table] = section
    return out, conflicts


def misplaced_flat_keys(data: dict[str, Any]) -> list[str]:
    """Tables where ``scenario.x = …`` lines landed because they came after a ``[section]`` header."""
    found: list[str] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                here = f"{path}.{key}" if path else str(key)
                # ``[templates.scenario]`` is a template named "scenario", not a misplaced line.
                if key == "scenario" and path and path != "templates":
                    found.append(path)
                walk(value, here)
        elif isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, f"{path}[{i + 1}]")

    for key, value in data.items():
        if key != "scenario":
            walk(value, key)
    return found
