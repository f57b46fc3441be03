"""Sample data for the sandbox: contacts (Copper/Mailchimp) and iSaVigne-style ERP exports."""

from __future__ import annotations

import csv
import io
import re
import time
import tracemalloc
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import openpyxl
import phonenumbers
import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from crmtui.sandbox.data import (
    CATEGORIES,
    DELETION_TAG_SPELLINGS,
    EXEMPLE_FILTER,
    HOSTILE_NAMES,
    INACTIVE_TAG,
    SampleContact,
    generate_contacts,
    normalize_email,
)
from crmtui.sandbox.isavigne_data import (
    CLIENT_COLUMNS,
    CLIENT_VARIANT_COLUMNS,
    PRICE_BANDS,
    PRODUCT_COLUMNS,
    SALES_COLUMNS,
    STOCK_COLUMNS,
    price_band,
    write_exports,
    write_malformed_csv,
)

NOW = 1_790_000_000  # a fixed "now" so runs on different days compare equal
YEAR = 365 * 86400

COPPER_KEYS = {
    "id",
    "name",
    "prefix",
    "first_name",
    "middle_name",
    "last_name",
    "suffix",
    "address",
    "assignee_id",
    "company_id",
    "company_name",
    "contact_type_id",
    "details",
    "emails",
    "phone_numbers",
    "socials",
    "tags",
    "title",
    "websites",
    "custom_fields",
    "date_created",
    "date_modified",
    "date_last_contacted",
    "interaction_count",
    "leads_converted_from",
    "date_lead_created",
}


@pytest.fixture(scope="module")
def sample() -> list[SampleContact]:
    """The default 500 contacts, generated once for the module."""
    return list(generate_contacts(500, seed=42, now=NOW).contacts())


def _deletion_key(tag: str) -> str:
    """A deliberately simple normalizer: every planted spelling must collapse to one key."""
    text = unicodedata.normalize("NFKD", tag)
    text = "".join(c for c in text if not unicodedata.combining(c) and c.isascii())
    return " ".join(text.split()).upper()


# ------------------------------------------------------------------------------------------------
# contacts: determinism, shape, summary
# ------------------------------------------------------------------------------------------------


def test_same_seed_same_data_and_other_seed_other_data() -> None:
    a = generate_contacts(300, seed=7, now=NOW)
    b = generate_contacts(300, seed=7, now=NOW)
    c = generate_contacts(300, seed=8, now=NOW)
    assert list(a.copper_people()) == list(b.copper_people())
    assert list(a.mailchimp_members()) == list(b.mailchimp_members())
    assert a.forgotten_emails() == b.forgotten_emails()
    assert list(a.copper_people()) != list(c.copper_people())
    assert list(a.mailchimp_members()) != list(c.mailchimp_members())
    # Replaying an iterator gives the same records again (nothing is consumed for good).
    assert list(a.copper_people()) == list(a.copper_people())


def test_summary_is_exact(sample: list[SampleContact]) -> None:
    data = generate_contacts(500, seed=42, now=NOW)
    summary = data.summary
    by_category = Counter(c.category for c in sample)
    assert {k: by_category[k] for k in CATEGORIES} == {k: summary[k] for k in CATEGORIES}
    assert sum(summary[k] for k in CATEGORIES) == summary["contacts"] == 500
    assert summary["copper_people"] == sum(1 for _ in data.copper_people())
    assert summary["mailchimp_members"] == sum(1 for _ in data.mailchimp_members())
    assert summary["forgotten"] == len(data.forgotten_emails())
    assert summary["hostile"] == sum(c.hostile for c in sample)
    assert summary["exemple"] == sum(c.exemple for c in sample)
    assert summary["two_emails"] == sum(1 for c in sample for p in c.people if len(p["emails"]) == 2)
    for category in CATEGORIES:
        assert summary[category] > 0, category


@settings(max_examples=25, deadline=None)
@given(n=st.integers(min_value=0, max_value=1500), seed=st.integers(min_value=-(2**31), max_value=2**31))
def test_summary_matches_generation_for_any_size(n: int, seed: int) -> None:
    data = generate_contacts(n, seed=seed, now=NOW)
    contacts = list(data.contacts())
    assert len(contacts) == n
    counts = Counter(c.category for c in contacts)
    assert all(counts[k] == data.summary[k] for k in CATEGORIES)
    assert data.summary["copper_people"] == sum(len(c.people) for c in contacts)
    assert data.summary["mailchimp_members"] == sum(c.member is not None for c in contacts)
    assert data.summary["hostile"] == sum(c.hostile for c in contacts)
    assert all(data.category_of(c.index) == c.category for c in contacts)


def test_copper_people_have_the_wire_shape(sample: list[SampleContact]) -> None:
    people = [p for c in sample for p in c.people]
    ids = [p["id"] for p in people]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    for person in people:
        assert set(person) == COPPER_KEYS
        assert isinstance(person["id"], int)
        assert person["name"] == f"{person['first_name']} {person['last_name']}"
        assert NOW - YEAR <= person["date_created"] <= person["date_modified"] <= NOW
        assert all(isinstance(t, str) for t in person["tags"])
        assert person["emails"] and all(set(e) == {"email", "category"} for e in person["emails"])
        assert all(set(p) == {"number", "category"} for p in person["phone_numbers"])
        address = person["address"]
        assert address is None or set(address) == {"street", "city", "state", "postal_code", "country"}


def test_mailchimp_members_have_the_loader_shape(sample: list[SampleContact]) -> None:
    statuses: Counter[str] = Counter()
    for contact in sample:
        member = contact.member
        if member is None:
            continue
        assert set(member) == {"email_address", "status", "merge_fields", "tags", "last_changed"}
        assert set(member["merge_fields"]) == {"FNAME", "LNAME", "PHONE"}
        assert member["email_address"] == member["email_address"].strip()
        assert normalize_email(member["email_address"]) == contact.email
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", member["last_changed"])
        statuses[member["status"]] += 1
    assert set(statuses) == {"subscribed", "unsubscribed", "cleaned", "archived"}


def test_categories_mean_what_they_say(sample: list[SampleContact]) -> None:
    for c in sample:
        on_copper, on_mailchimp = bool(c.people), c.member is not None
        if c.category in {"copper_only", "forgotten", "invalid_emails"}:
            assert on_copper and not on_mailchimp
        elif c.category == "mailchimp_only":
            assert not on_copper and c.member is not None and c.member["status"] == "subscribed"
        elif c.category != "deletion_tagged":
            assert on_copper and on_mailchimp
        if c.member is None or not c.people:
            continue
        person, member = c.people[0], c.member
        copper_view = (person["first_name"], person["last_name"], _phone(person))
        mc_view = (
            member["merge_fields"]["FNAME"],
            member["merge_fields"]["LNAME"],
            member["merge_fields"]["PHONE"],
        )
        if c.category == "both_conflicting":
            assert copper_view != mc_view
        else:
            assert copper_view == mc_view
        if c.category in {"unsubscribed", "cleaned", "archived"}:
            assert member["status"] == c.category
        if c.category == "inactive":
            assert INACTIVE_TAG in person["tags"] and member["status"] == "archived"


def _phone(person: dict[str, Any]) -> str:
    numbers = person["phone_numbers"]
    return numbers[0]["number"] if numbers else ""


# ------------------------------------------------------------------------------------------------
# contacts: the planted hard cases
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [42, 1, 2024])
def test_every_deletion_spelling_is_present(seed: int) -> None:
    tags = Counter(t for p in generate_contacts(500, seed=seed, now=NOW).copper_people() for t in p["tags"])
    for spelling in DELETION_TAG_SPELLINGS:
        assert tags[spelling] >= 1, repr(spelling)
    # They are distinct strings that all mean the same tag.
    assert len(set(DELETION_TAG_SPELLINGS)) == len(DELETION_TAG_SPELLINGS)
    assert {_deletion_key(s) for s in DELETION_TAG_SPELLINGS} == {"A SUPPRIMER"}
    assert "\U0001f5d1\ufe0f" in DELETION_TAG_SPELLINGS[0]
    assert any("\U0001f5d1" in s and "\ufe0f" not in s for s in DELETION_TAG_SPELLINGS)
    assert any("A\u0300" in s for s in DELETION_TAG_SPELLINGS)  # NFD


@pytest.mark.parametrize("n", [100, 500, 5000])
def test_exemple_share_gives_test_mode_work(n: int) -> None:
    contacts = list(generate_contacts(n, seed=3, now=NOW).contacts())
    matching = [c for c in contacts if EXEMPLE_FILTER in c.email]
    assert len(matching) >= 0.10 * n
    if n >= 500:  # the test filter sees every kind of work
        assert {c.category for c in matching} == set(CATEGORIES)


def test_hostile_names_are_present_on_both_sides(sample: list[SampleContact]) -> None:
    copper_names = {p[k] for c in sample for p in c.people for k in ("first_name", "last_name")}
    mc_names = {
        c.member["merge_fields"][k] for c in sample if c.member is not None for k in ("FNAME", "LNAME")
    }
    for name in HOSTILE_NAMES:
        assert name in copper_names | mc_names, repr(name)
    assert any("\x1b[" in n for n in copper_names) and any("[@click=" in n for n in mc_names | copper_names)
    assert any(len(n) > 255 for n in copper_names)


def test_forgotten_emails_are_still_in_copper_and_not_in_mailchimp() -> None:
    data = generate_contacts(500, seed=42, now=NOW)
    forgotten = data.forgotten_emails()
    copper = {normalize_email(e["email"]) for p in data.copper_people() for e in p["emails"]}
    mailchimp = {normalize_email(m["email_address"]) for m in data.mailchimp_members()}
    assert forgotten and len(set(forgotten)) == len(forgotten) == data.summary["forgotten"]
    assert set(forgotten) <= copper
    assert not set(forgotten) & mailchimp
    assert all(e == normalize_email(e) for e in forgotten)


def test_only_planted_duplicates_share_an_address(sample: list[SampleContact]) -> None:
    copper = Counter(normalize_email(e["email"]) for c in sample for p in c.people for e in p["emails"])
    shared = {e for e, k in copper.items() if k > 1}
    duplicates = {c.email for c in sample if c.category == "duplicates"}
    assert shared == duplicates and len(duplicates) == sum(c.category == "duplicates" for c in sample)
    mailchimp = [c.email for c in sample if c.member is not None]
    assert len(mailchimp) == len(set(mailchimp))
    # A household: two different people, one address, one Mailchimp member.
    household = next(c for c in sample if c.category == "duplicates")
    assert len(household.people) == 2 and household.member is not None
    assert household.people[0]["id"] != household.people[1]["id"]


def test_invalid_emails_are_invalid_and_the_rest_valid(sample: list[SampleContact]) -> None:
    invalid = [c for c in sample if c.category == "invalid_emails"]
    shapes = {"no @": False, "double dot": False, "trailing dot": False}
    for contact in invalid:
        with pytest.raises(EmailNotValidError):
            validate_email(contact.email, check_deliverability=False)
        shapes["no @"] |= "@" not in contact.email
        shapes["double dot"] |= ".." in contact.email
        shapes["trailing dot"] |= contact.email.endswith(".")
    assert all(shapes.values()), shapes
    for contact in sample:
        if contact.category != "invalid_emails":
            validate_email(contact.email, check_deliverability=False)


def test_realistic_french_names_emails_and_phones(sample: list[SampleContact]) -> None:
    people = [p for c in sample for p in c.people]
    assert all(unicodedata.is_normalized("NFC", p["name"]) for c in sample if not c.hostile for p in c.people)
    firsts = {p["first_name"] for p in people}
    lasts = {p["last_name"] for p in people}
    assert any("-" in f for f in firsts) and any(re.search("[éèêëïîôûüçà]", f) for f in firsts)
    assert any(" " in last for last in lasts) and any(last.isupper() and len(last) > 3 for last in lasts)
    raw = [e["email"] for p in people for e in p["emails"]]
    assert any(e != e.strip() for e in raw), "stray spaces"
    assert any(e.strip() != e.strip().lower() for e in raw), "mixed case"
    assert all(e.isascii() for e in raw)
    assert sum(len(p["emails"]) == 2 for p in people) >= 10
    domains = Counter(normalize_email(e).rsplit("@", 1)[-1] for e in raw if "@" in e)
    assert {"exemple.fr", "exemple.com", "gmail.com", "orange.fr", "free.fr", "wanadoo.fr"} <= set(domains)
    phones = [n["number"] for p in people for n in p["phone_numbers"]]
    phones += [
        c.member["merge_fields"]["PHONE"] for c in sample if c.member and c.member["merge_fields"]["PHONE"]
    ]
    for number in phones:
        parsed = phonenumbers.parse(number, "FR")
        assert phonenumbers.is_valid_number(parsed) and parsed.country_code == 33, number
    assert any(re.fullmatch(r"0\d( \d\d){4}", n) for n in phones)
    assert any(n.startswith("+33 ") for n in phones) and any(re.fullmatch(r"0\d{9}", n) for n in phones)
    tags = {t for p in people for t in p["tags"]}
    assert {"Client", "Prospect", "Salon des vins 2025", "Caviste", "VIP", "Newsletter", "Export 🇧🇪"} <= tags


def test_tiny_sizes_do_not_break() -> None:
    for n in (0, 1, 2, 7, 30):
        data = generate_contacts(n, seed=5, now=NOW)
        assert sum(data.summary[k] for k in CATEGORIES) == n
        assert len(list(data.contacts())) == n
    with pytest.raises(ValueError):
        generate_contacts(-1)
    with pytest.raises(IndexError):
        generate_contacts(10).contact(10)


def test_default_now_is_stable_within_a_day() -> None:
    a, b = generate_contacts(50), generate_contacts(50)
    assert a.now == b.now and a.now % 86400 == 0 and a.now <= time.time()


# ------------------------------------------------------------------------------------------------
# contacts: scale
# ------------------------------------------------------------------------------------------------


def test_two_hundred_thousand_contacts_stream() -> None:
    """200k contacts: first record at once, flat memory, both sides well within the time budget.

    Budgets are in CPU time of this process, so parallel test workers do not make them flaky.
    """
    start = time.process_time()
    data = generate_contacts(200_000, seed=11, now=NOW)
    people = data.copper_people()
    first = next(people)
    # Building a 200k list up front would take seconds; a generator answers at once.
    assert time.process_time() - start < 0.5, "the first record must come before the rest are built"
    assert first["id"] > 0

    # tracemalloc slows allocation about tenfold, so it watches a 10k-record stretch only:
    # records that were kept would make the peak grow with the stretch (~2 kB each).
    tracemalloc.start()
    try:
        seen = 1 + sum(1 for _, __ in zip(range(10_000), people, strict=False))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000, f"peak {peak / 1e6:.1f} MB over 10k records: generation does not stream"

    seen += sum(1 for _ in people)
    members = sum(1 for _ in data.mailchimp_members())
    elapsed = time.process_time() - start
    assert seen == data.summary["copper_people"]
    assert members == data.summary["mailchimp_members"]
    # A guard against an accidental quadratic, not a benchmark (bench/ measures throughput): about 8 s
    # of CPU alone, but CPU time still inflates on a machine shared by many workers (17 s seen under
    # `-n 2` with 8 test runs at once), so the budget is generous; quadratic would be hours.
    assert elapsed < 90, f"{elapsed:.1f} s for 200k contacts on both sides"


# ------------------------------------------------------------------------------------------------
# iSaVigne exports
# ------------------------------------------------------------------------------------------------

DECIMAL = re.compile(r"^-?\d{1,3}(?:[ \u00a0]\d{3})*,\d{2}$|^-?\d+,\d{1,2}$")
DATE = re.compile(r"^\d\d/\d\d/\d{4}( \d\d:\d\d)?$")


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One export folder for the module."""
    return dict(write_exports(tmp_path_factory.mktemp("isavigne"), customers=150, seed=42))


def _read(path: Path) -> list[list[str]]:
    text = path.read_bytes().decode("cp1252")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def test_exports_are_cp1252_semicolon_csv(exports: dict[str, Any]) -> None:
    expected = {
        "clients": CLIENT_COLUMNS,
        "produits": PRODUCT_COLUMNS,
        "ventes": SALES_COLUMNS,
        "stock": STOCK_COLUMNS,
    }
    for key, columns in expected.items():
        path = exports[key]
        assert re.fullmatch(rf"{key}_\d{{8}}\.csv", path.name)
        raw = path.read_bytes()
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")  # accents are single cp1252 bytes, not UTF-8
        rows = _read(path)
        assert rows[0] == columns
        assert len(rows) > 5
        assert b"\r\n" in raw
        # Round trip: decoding and re-encoding gives the same bytes.
        assert raw.decode("cp1252").encode("cp1252") == raw


def test_numbers_and_dates_are_french(exports: dict[str, Any]) -> None:
    products = _read(exports["produits"])
    header = products[0]
    prices = [row[header.index("Prix TTC")] for row in products[1:] if len(row) == len(header)]
    assert prices and all(DECIMAL.match(p) for p in prices if p), prices[:5]
    sales = _read(exports["ventes"])
    head = sales[0]
    amounts = [r[head.index("Montant HT")] for r in sales[1:] if len(r) == len(head)]
    assert all(DECIMAL.match(a) for a in amounts), [a for a in amounts if not DECIMAL.match(a)][:5]
    assert any(" " in a for a in amounts) and any("\u00a0" in a for a in amounts)  # thousands separators
    dates = [r[head.index("Date")] for r in sales[1:] if len(r) == len(head)]
    assert all(DATE.match(d) for d in dates)
    assert any(" " in d for d in dates) and any(" " not in d for d in dates)
    assert {r[head.index("Canal")] for r in sales[1:] if len(r) == len(head)} == {
        "Caveau",
        "Salon",
        "Web",
        "Caviste",
        "Export",
    }
    packaging = {r[header.index("Conditionnement")] for r in products[1:] if len(r) == len(header)}
    assert {"Bouteille 75cl", "Magnum", "Demi-bouteille", "Carton de 6", "Caisse 12 bouteilles"} <= packaging
    assert {"BIB 5L", "Jéroboam", "Clavelin 62cl"} <= packaging


def test_planted_dirty_rows(exports: dict[str, Any]) -> None:
    dirty = exports["dirty"]
    sales = _read(exports["ventes"])
    assert any(len(r) != len(sales[0]) for r in sales[1:]), "a malformed line"
    products = _read(exports["produits"])
    refs = {r[0] for r in products[1:]}
    sold = {r[SALES_COLUMNS.index("Référence")] for r in sales[1:] if len(r) == len(SALES_COLUMNS)}
    assert sold - refs == {dirty["orphan_reference"]}
    clients = _read(exports["clients"])
    codes = Counter(r[0] for r in clients[1:])
    assert [c for c, k in codes.items() if k > 1] == [dirty["duplicate_client_code"]]
    emails = {r[CLIENT_COLUMNS.index("E-mail")] for r in clients[1:]}
    assert dirty["invalid_email"] in emails
    with pytest.raises(EmailNotValidError):
        validate_email(dirty["invalid_email"], check_deliverability=False)
    code, column = dirty["empty_mandatory"]
    row = next(r for r in clients[1:] if r[0] == code)
    assert row[CLIENT_COLUMNS.index(column)] == ""


def test_xlsx_variant_is_readable(exports: dict[str, Any]) -> None:
    workbook = openpyxl.load_workbook(exports["clients_xlsx"], read_only=True)
    sheet = workbook.active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    workbook.close()
    assert list(rows[0]) == CLIENT_VARIANT_COLUMNS
    assert "Prénom" not in rows[0]
    names = [r[CLIENT_VARIANT_COLUMNS.index("Nom")] for r in rows[1:]]
    # "DUPONT Marie": the last name in capitals, then the first name.
    assert any(re.fullmatch(r"[A-ZÀ-Ý' -]+ [A-ZÀ-Ý][a-zà-ÿ-]+.*", str(n)) for n in names)
    assert len(rows) > 10


def test_tastes_are_planted_in_the_sales(exports: dict[str, Any]) -> None:
    tastes = exports["tastes"]
    clients = {r[0] for r in _read(exports["clients"])[1:]}
    workbook = openpyxl.load_workbook(exports["clients_xlsx"], read_only=True)
    sheet = workbook.active
    assert sheet is not None
    clients |= {str(r[0]) for r in list(sheet.iter_rows(values_only=True))[1:]}
    workbook.close()
    assert set(tastes) == clients and len(tastes) == 150
    products = _read(exports["produits"])
    head = products[0]
    catalog = {
        r[0]: (
            r[head.index("Couleur")],
            r[head.index("Région")],
            price_band(r[head.index("Prix TTC")], r[head.index("Conditionnement")]),
        )
        for r in products[1:]
    }
    sales = _read(exports["ventes"])
    hits = total = 0
    for row in sales[1:]:
        if len(row) != len(SALES_COLUMNS) or row[3] not in catalog:
            continue
        taste = tastes[row[2]]
        total += 1
        hits += catalog[row[3]] == (taste["colour"], taste["region"], taste["price_band"])
    assert total > 300
    assert hits / total > 0.5, f"{hits}/{total} lines match the planted taste"


def test_price_bands_match_the_etl_segments(exports: dict[str, Any]) -> None:
    from crmtui.records.normalize import PRICE_SEGMENT_BOUNDS

    assert [(name, high) for name, _, high in PRICE_BANDS] == list(PRICE_SEGMENT_BOUNDS)
    products = _read(exports["produits"])
    head = products[0]
    bands = {price_band(r[head.index("Prix TTC")], r[head.index("Conditionnement")]) for r in products[1:]}
    assert bands == {name for name, _, _ in PRICE_BANDS}
    assert price_band("1 234,50", "Caisse 12 bouteilles") == "LUXURY"  # 102,88 € a bottle
    assert price_band("534,00", "Caisse 12 bouteilles") == "PREMIUM"
    assert price_band("12,50") == "ENTRY"


def test_exports_are_deterministic(tmp_path: Path) -> None:
    a = write_exports(tmp_path / "a", customers=40, seed=9)
    b = write_exports(tmp_path / "b", customers=40, seed=9)
    c = write_exports(tmp_path / "c", customers=40, seed=10)
    for key in ("clients", "produits", "ventes", "stock"):
        assert a[key].read_bytes() == b[key].read_bytes()
    assert a["ventes"].read_bytes() != c["ventes"].read_bytes()
    assert a["tastes"] == b["tastes"]


def test_malformed_csv_is_truly_broken(tmp_path: Path) -> None:
    path = write_malformed_csv(tmp_path / "casse.csv")
    raw = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("latin-1")
    with pytest.raises(csv.Error):
        list(csv.reader(io.StringIO(text, newline=""), delimiter=";", strict=True))
