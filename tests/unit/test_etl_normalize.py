"""The ETL normalisers: table-driven cases plus properties for numbers, dates, units and names."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmtui.records.normalize import (
    InvalidValue,
    bottles_per_unit,
    category,
    name_key,
    normalize_column,
    normalize_country,
    normalize_email,
    normalize_phone,
    normalize_postcode,
    parse_bool,
    parse_date,
    parse_decimal,
    price_segment,
    split_name,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Code client", "code_client"),
        ("Prénom", "prenom"),
        ("N° pièce", "n_piece"),
        ("E-mail", "e_mail"),
        ("\ufeffRéférence", "reference"),
        ("  Date   inventaire ", "date_inventaire"),
        ("Opt-out e-mail", "opt_out_e_mail"),
        ("Degré (%)", "degre"),
    ],
)
def test_normalize_column(raw: str, expected: str) -> None:
    assert normalize_column(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12,50", 12.5),
        ("1 234,50", 1234.5),
        ("1\u00a0234,50", 1234.5),
        ("1\u202f234,5", 1234.5),
        ("1.234,50", 1234.5),
        ("1,234.50", 1234.5),
        ("1.234.567", 1234567.0),
        ("12.5", 12.5),
        ("-12", -12.0),
        ("15 €", 15.0),
        ("13,5 %", 13.5),
        (7, 7.0),
        (2.25, 2.25),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_parse_decimal(raw: object, expected: float | None) -> None:
    assert parse_decimal(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "12,5,3.1.2", "nan", "--3", True])
def test_parse_decimal_rejects(raw: object) -> None:
    with pytest.raises(InvalidValue):
        parse_decimal(raw)


@given(
    st.decimals(min_value=-10_000_000, max_value=10_000_000, places=2, allow_nan=False),
    st.sampled_from(["", " ", "\u00a0", "\u202f", "."]),
)
def test_parse_decimal_reads_french_formatting(value: object, thousands: str) -> None:
    number = float(str(value))
    text = f"{abs(number):,.2f}".replace(",", "\x00").replace(".", ",").replace("\x00", thousands)
    text = ("-" if number < 0 else "") + text
    assert parse_decimal(text) == pytest.approx(number)


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
def test_parse_decimal_reads_python_repr(number: float) -> None:
    assert parse_decimal(repr(number)) == pytest.approx(number)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("05/03/2024", date(2024, 3, 5)),
        ("5/3/2024", date(2024, 3, 5)),
        ("05-03-24", date(2024, 3, 5)),
        ("05.03.2024", date(2024, 3, 5)),
        ("05/03/2024 14:30", datetime(2024, 3, 5, 14, 30)),
        ("05/03/2024 14h30", datetime(2024, 3, 5, 14, 30)),
        ("05/03/2024 14:30:12", datetime(2024, 3, 5, 14, 30, 12)),
        ("2024-03-05", date(2024, 3, 5)),
        ("2024-03-05 14:30:00", datetime(2024, 3, 5, 14, 30)),
        ("2024-03-05T14:30:00Z", datetime(2024, 3, 5, 14, 30)),
        ("2024-03-05T14:30:00+01:00", datetime(2024, 3, 5, 13, 30)),
        ("2024-03-05T14:30:00.123", datetime(2024, 3, 5, 14, 30)),
        (datetime(2024, 3, 5, 9, 0), datetime(2024, 3, 5, 9, 0)),
        (date(2024, 3, 5), date(2024, 3, 5)),
        (45356, date(2024, 3, 5)),
        ("", None),
        (None, None),
    ],
)
def test_parse_date(raw: object, expected: date | None) -> None:
    assert parse_date(raw) == expected


@pytest.mark.parametrize("raw", ["31/02/2024", "hier", "2024-13-01", "12/2024", "05/03/2024 25:00"])
def test_parse_date_rejects(raw: str) -> None:
    with pytest.raises(InvalidValue):
        parse_date(raw)


@given(st.datetimes(min_value=datetime(1950, 1, 1), max_value=datetime(2099, 12, 31)), st.booleans())
def test_parse_date_round_trips_both_layouts(moment: datetime, with_time: bool) -> None:
    moment = moment.replace(microsecond=0, second=0 if not with_time else moment.second)
    french = moment.strftime("%d/%m/%Y %H:%M:%S" if with_time else "%d/%m/%Y")
    iso_text = moment.isoformat(sep=" ") if with_time else moment.date().isoformat()
    expected = moment if with_time else moment.date()
    assert parse_date(french) == expected
    assert parse_date(iso_text) == expected


@pytest.mark.parametrize(
    ("unit", "pack", "expected"),
    [
        ("Bouteille", None, 1.0),
        ("Bouteille 75cl", None, 1.0),
        ("", None, 1.0),
        ("Demi-bouteille", None, 0.5),
        ("Demi", None, 0.5),
        ("Fillette", None, 0.5),
        ("37,5 cl", None, 0.5),
        ("Clavelin 62cl", None, 62 / 75),
        ("Clavelin", None, 62 / 75),
        ("Magnum", None, 2.0),
        ("Jéroboam", None, 4.0),
        ("Réhoboam", None, 6.0),
        ("Mathusalem", None, 8.0),
        ("Salmanazar", None, 12.0),
        ("Balthazar", None, 16.0),
        ("Nabuchodonosor", None, 20.0),
        ("Carton de 6", None, 6.0),
        ("Caisse 12 bouteilles", None, 12.0),
        ("caisse 6 magnums", None, 12.0),
        ("Carton 6x75cl", None, 6.0),
        ("Carton", 6, 6.0),
        ("Carton", None, None),
        ("Caisse", None, 12.0),
        ("caisse", None, 12.0),
        ("Caisse de 6", None, 6.0),
        ("carton 12", None, 12.0),
        ("bouteille", None, 1.0),
        ("demi-bouteille", None, 0.5),
        ("magnum", None, 2.0),
        ("jéroboam", None, 4.0),
        ("75 cl", None, 1.0),
        ("1,5 l", None, 2.0),
        ("BIB 5L", None, 500 / 75),
        ("BIB 3 litres", None, 4.0),
        ("1,5 l", None, 2.0),
        ("750 ml", None, 1.0),
        ("BIB", None, None),
        ("pièce détachée", None, None),
    ],
)
def test_bottles_per_unit(unit: str, pack: float | None, expected: float | None) -> None:
    got = bottles_per_unit(unit, pack)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected, rel=1e-4)


@given(
    st.integers(min_value=1, max_value=480),
    st.sampled_from(["Carton de {n}", "Caisse {n} bouteilles", "caisse x{n}", "Colis de {n} btl"]),
)
def test_cases_count_their_bottles(n: int, layout: str) -> None:
    assert bottles_per_unit(layout.format(n=n)) == n


@given(st.integers(min_value=1, max_value=3000), st.sampled_from(["cl", " cl", "CL"]))
def test_volumes_in_cl(cl: int, suffix: str) -> None:
    assert bottles_per_unit(f"{cl}{suffix}") == pytest.approx(cl / 75, rel=1e-5)


@pytest.mark.parametrize(
    ("price", "bottles", "expected"),
    [
        (0.0, 1.0, "ENTRY"),
        (14.99, 1.0, "ENTRY"),
        (15.0, 1.0, "STANDARD"),
        (29.99, 1.0, "STANDARD"),
        (30.0, 1.0, "PREMIUM"),
        (74.99, 1.0, "PREMIUM"),
        (75.0, 1.0, "LUXURY"),
        (90.0, 6.0, "STANDARD"),
        (None, 1.0, None),
        (-1.0, 1.0, None),
    ],
)
def test_price_segment(price: float | None, bottles: float, expected: str | None) -> None:
    assert price_segment(price, bottles) == expected


@pytest.mark.parametrize(
    ("colour", "name", "expected"),
    [
        ("Rouge", "Bourgogne Pinot Noir", "ROUGE"),
        ("Blanc", None, "BLANC"),
        ("Rosé", None, "ROSÉ"),
        ("rose", None, "ROSÉ"),
        ("Effervescent", "Champagne Rosé", "MOUSSEUX"),
        (None, "Crémant de Bourgogne Brut", "MOUSSEUX"),
        (None, "Champagne Rosé", "MOUSSEUX"),
        (None, "Pétillant naturel", "PÉTILLANT"),
        (None, "Vin doux naturel Maury", "FORTIFIÉ"),
        ("fortified", None, "FORTIFIÉ"),
        ("red", None, "ROUGE"),
        ("sparkling", None, "MOUSSEUX"),
        (None, "Côtes du Rhône", "AUTRE"),
        ("", "Côtes de Provence Rosé", "ROSÉ"),
        (None, None, "AUTRE"),
    ],
)
def test_category(colour: str | None, name: str | None, expected: str) -> None:
    assert category(colour, name) == expected


@pytest.mark.parametrize(
    ("full", "first", "last"),
    [
        ("DUPONT Marie", "Marie", "DUPONT"),
        ("LE GALL Anne Sophie", "Anne Sophie", "LE GALL"),
        ("Jean Dupont", "Jean", "Dupont"),
        ("Jean Pierre Dupont", "Jean", "Pierre Dupont"),
        ("DUPONT", None, "DUPONT"),
        ("  DUPONT   Marie ", "Marie", "DUPONT"),
        ("", None, None),
        ("O'NEIL Seán", "Seán", "O'NEIL"),
    ],
)
def test_split_name(full: str, first: str | None, last: str | None) -> None:
    assert split_name(full) == (first, last)


def test_split_name_last_first_setting() -> None:
    assert split_name("Dupont Jean", "last_first") == ("Jean", "Dupont")
    assert split_name("DUPONT Marie", "last_first") == ("Marie", "DUPONT")
    assert split_name("Jean Dupont") == ("Jean", "Dupont")


def test_split_grapes() -> None:
    from crmtui.records.normalize import split_grapes

    assert split_grapes(" Merlot ,Cabernet  Franc,, ") == "Merlot, Cabernet Franc"
    assert split_grapes("") is None


_upper_word = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZÉÈÀ", min_size=1, max_size=12)
_first_word = st.builds(
    lambda a, b: a + b,
    st.sampled_from(list("ABCDEFGHIJKLMNOPQRSTUVWXYZÉ")),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzéèëïç", min_size=1, max_size=10),
)


@given(st.lists(_upper_word, min_size=1, max_size=3), st.lists(_first_word, min_size=1, max_size=2))
def test_split_name_capital_last_names(last: list[str], first: list[str]) -> None:
    assert split_name(" ".join(last + first)) == (" ".join(first), " ".join(last))


@given(st.lists(st.text(alphabet="abcdefXYZé'-", min_size=1, max_size=8), min_size=1, max_size=4))
def test_split_name_loses_no_word(words: list[str]) -> None:
    first, last = split_name(" ".join(words))
    in_order = [" ".join(w for w in pair if w).split() for pair in ((last, first), (first, last))]
    assert words in in_order


def test_name_key_ignores_case_accents_and_hyphens() -> None:
    assert name_key("Hélène", "LEFÈVRE-Durand") == name_key("helene", "Lefevre Durand")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("0612345678", "+33612345678"),
        ("06.12.34.56.78", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0033612345678", "+33612345678"),
        ("03 80 22 12 34", "+33380221234"),
        ("+32 2 512 34 56", "+3225123456"),
        ("", None),
    ],
)
def test_normalize_phone(raw: str, expected: str | None) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12", "not a phone", "06 12"])
def test_normalize_phone_rejects(raw: str) -> None:
    with pytest.raises(InvalidValue):
        normalize_phone(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Marie.Dupont@Orange.fr", "marie.dupont@orange.fr"),
        ("  jean@exemple.fr ", "jean@exemple.fr"),
        ("", None),
    ],
)
def test_normalize_email(raw: str, expected: str | None) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize("raw", ["marie@@orange.fr", "marie", "marie@", "a b@c.fr"])
def test_normalize_email_rejects(raw: str) -> None:
    with pytest.raises(InvalidValue):
        normalize_email(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", ("FR", "France")),
        ("FRANCE", ("FR", "France")),
        ("fr", ("FR", "France")),
        ("Belgique", ("BE", "Belgique")),
        ("Atlantide", ("", "Atlantide")),
    ],
)
def test_normalize_country(raw: str, expected: tuple[str, str]) -> None:
    assert normalize_country(raw) == expected


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        (1000, "FR", "01000"),
        (6000.0, "FR", "06000"),
        ("21200", "FR", "21200"),
        ("1000", "BE", "1000"),
        (None, "FR", None),
    ],
)
def test_normalize_postcode(raw: object, country: str, expected: str | None) -> None:
    assert normalize_postcode(raw, country) == expected


@pytest.mark.parametrize(
    ("raw", "expected"), [("Oui", True), ("Non", False), ("", False), ("x", True), (1, True), ("FAUX", False)]
)
def test_parse_bool(raw: object, expected: bool) -> None:
    assert parse_bool(raw) is expected


def test_parse_bool_rejects() -> None:
    with pytest.raises(InvalidValue):
        parse_bool("peut-être")
