"""Locale formats (issue #15): the French the estate writes, not English digits in French sentences."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crmtui.formats import money, number, percent
from crmtui.i18n import get_language, set_language

NNBSP = "\u202f"  # CLDR's French group separator (narrow no-break space)


@pytest.fixture
def french() -> Iterator[None]:
    before = get_language()
    set_language("fr")
    yield
    set_language(before)


def test_french_money_percent_and_numbers(french: None) -> None:
    assert money(217985.92) == f"217{NNBSP}985,92\xa0€"
    assert percent(0.222) == "22,2\xa0%"
    assert number(12345) == f"12{NNBSP}345"
    assert number(1234.5, digits=1) == f"1{NNBSP}234,5"


def test_english_money_percent_and_numbers() -> None:
    before = get_language()
    set_language("en")
    try:
        assert money(217985.92) == "€217,985.92"
        assert percent(0.222) == "22.2%"
        assert number(12345) == "12,345"
    finally:
        set_language(before)
