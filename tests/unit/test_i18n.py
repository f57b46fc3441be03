"""The catalogue: both languages for every key, and placeholders that match."""

from __future__ import annotations

import string

from crmtui.i18n import CATALOGUE, LANGUAGES


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_has_every_language_with_the_same_placeholders() -> None:
    for key, entry in CATALOGUE.items():
        assert set(entry) == set(LANGUAGES), key
        assert _fields(entry["fr"]) == _fields(entry["en"]), key
