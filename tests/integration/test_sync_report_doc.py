"""The sync report and logs as the estate's documents show them (issue #14), over the simulators.

The examples are quoted from ``../shared/seeds/000…`` (the report of the old script, "Exemple de
rapport") and ``002…`` (the lines "→ Synchronisé avec 2 tags", "→ Nouveau contact ajouté", "→ Contact
identique ignoré (optimisation)"); the same operations are made against Copper and Mailchimp and
crmtui's report must hold the document's lines, byte for byte and in order.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from crmtui.config import Settings
from crmtui.engine.cycle import run_cycle
from crmtui.engine.identity import subscriber_hash
from crmtui.engine.report import render
from crmtui.i18n import set_language
from crmtui.logs import close_logging, setup_logging
from crmtui.sandbox.harness import Sandbox, running_sandbox
from crmtui.store import Store
from tests.integration.test_sync import copper_put, make_settings, sync

# 000, "Exemple de rapport", verbatim.
DOC_000 = """\
================================================================================
RAPPORT D'IMPORTATION COPPER ↔ MAILCHIMP
================================================================================
Date: 2025-07-07 14:23:07
Total d'opérations: 2

✅ Succès: 2
❌ Erreurs: 0
📊 Taux de réussite: 100.0%

DÉTAILS DES OPÉRATIONS:
--------------------------------------------------
  1. ✅ SUCCÈS | test3@exemple.fr
     Direction: Mailchimp → Copper
     Nom: Test3 TEST3

  2. ✅ SUCCÈS | test4@exemple.fr
     Direction: Mailchimp → Copper
     Nom: Test4 TEST4
"""

# crmtui's additions to 000's layout (REPORT_FORMAT.md): header figures and per-block lines.
ADDED_FR = ("🔁 ", "⏱️ ", "🔧 ", "🗑️ ", "     Résultat: ", "     Tags synchronisés: ", "     Tags retirés: ")


@pytest.fixture
def empty() -> Iterator[Sandbox]:
    """The simulators with no contact at all: each test makes the document's own."""
    with running_sandbox(1, seed=3) as sb:
        sb.copper.reset()
        sb.mailchimp.reset()
        yield sb


@pytest.fixture
def french() -> Iterator[None]:
    set_language("fr")
    yield
    set_language("en")


def _settings(sb: Sandbox, tmp_path: Path, **env: str) -> Settings:
    # Test mode, as in the documents ("traite uniquement les emails contenant @exemple").
    return make_settings(sb, tmp_path, SYNC_MODE="test", CRMTUI_LANG="fr", **env)


def _copper(sb: Sandbox, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """Copper's API, as a colleague in the Copper UI would change it."""
    env = sb.env()
    headers = {
        "X-PW-AccessToken": env["COPPER_API_KEY"],
        "X-PW-Application": "developer_api",
        "X-PW-UserEmail": env["COPPER_API_EMAIL"],
    }
    response = httpx.request(method, f"{env['COPPER_BASE_URL']}{path}", json=body, headers=headers)
    response.raise_for_status()
    return dict(response.json())


def _new_person(sb: Sandbox, email: str, first: str, last: str, tags: list[str] | None = None) -> int:
    body = {
        "name": f"{first} {last}",
        "first_name": first,
        "last_name": last,
        "emails": [{"email": email, "category": "work"}],
        "tags": tags or [],
    }
    return int(_copper(sb, "POST", "/people", body)["id"])


def _mailchimp(sb: Sandbox, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """Mailchimp's API, as a signup form or a colleague in Mailchimp would change it."""
    env = sb.env()
    url = f"{env['MAILCHIMP_BASE_URL']}/lists/{env['MAILCHIMP_LIST_ID']}{path}"
    response = httpx.request(method, url, json=body, auth=("crmtui", env["MAILCHIMP_API_KEY"]))
    response.raise_for_status()
    return dict(response.json())


def _subscribe(sb: Sandbox, email: str, first: str, last: str) -> None:
    body = {"email_address": email, "status": "subscribed", "merge_fields": {"FNAME": first, "LNAME": last}}
    _mailchimp(sb, "POST", "/members", body)


def _subsequence(expected: list[str], actual: list[str]) -> list[str]:
    """``actual`` holds ``expected`` in order; returns the lines of ``actual`` that are not in it."""
    extra: list[str] = []
    it = iter(expected)
    want = next(it, None)
    for line in actual:
        if want is not None and line == want:
            want = next(it, None)
        else:
            extra.append(line)
    assert want is None, f"document line missing or out of order: {want!r}"
    return extra


async def test_report_of_000_reproduced_line_for_line(empty: Sandbox, tmp_path: Path, french: None) -> None:
    # 000's operations: two Mailchimp subscribers, not yet in Copper, synced Mailchimp → Copper.
    _subscribe(empty, "test3@exemple.fr", "Test3", "TEST3")
    _subscribe(empty, "test4@exemple.fr", "Test4", "TEST4")
    settings = _settings(empty, tmp_path)
    store = Store(settings.store_path)
    try:
        report = await sync(settings, store)
    finally:
        store.close()
    report.started = datetime(2025, 7, 7, 14, 23, 7)  # the document's date
    text = render(report)
    extra = _subsequence(DOC_000.splitlines(), text.splitlines())
    # Everything else is one of crmtui's documented additions, or the blank line after the last block.
    assert all(line.startswith(ADDED_FR) or line == "" for line in extra), extra
    assert text.count("     Résultat: Nouveau contact ajouté\n") == 2
    assert "🔁 Contacts identiques ignorés (optimisation): 0" in text
    # The file on disk is the same report (its own date).
    on_disk = Path(report.path or "").read_text(encoding="utf-8")
    assert on_disk.split("\n", 4)[4] == text.split("\n", 4)[4]
    assert Path(report.path or "").name.startswith("import_report_")
    people = {p["emails"][0]["email"]: p for p in empty.copper.people.values()}
    assert people["test3@exemple.fr"]["first_name"] == "Test3"


async def _two_runs_of_002(sb: Sandbox, settings: Settings, store: Store, **kw: Any) -> Any:
    """002's three contacts: Marie gets two tags, Jean is new, Sophie has not changed."""
    marie = _new_person(sb, "marie.dupont@exemple.com", "Marie", "DUPONT")
    _new_person(sb, "sophie.bernard@exemple.com", "Sophie", "BERNARD")
    first = await sync(settings, store)
    assert first.failed == 0
    copper_put(sb, marie, tags=["Client VIP", "Salon des vins 2025"])
    _new_person(sb, "jean.martin@exemple.com", "Jean", "MARTIN")
    return await sync(settings, store, full=True, **kw)  # full: every contact is compared


async def test_lines_of_002_tags_by_name_new_and_identical(
    empty: Sandbox, tmp_path: Path, french: None
) -> None:
    settings = _settings(empty, tmp_path)
    store = Store(settings.store_path)
    try:
        report = await _two_runs_of_002(empty, settings, store)
    finally:
        store.close()
    text = Path(report.path or "").read_text(encoding="utf-8")
    blocks = {b.split(" | ", 1)[1].split("\n", 1)[0]: b for b in text.split("\n\n") if " | " in b}
    marie = blocks["marie.dupont@exemple.com"]
    assert "     Résultat: Synchronisé avec 2 tags\n" in marie + "\n"
    assert "     Tags synchronisés: Client VIP, Salon des vins 2025" in marie
    assert "     Direction: Copper → Mailchimp" in marie
    jean = blocks["jean.martin@exemple.com"]
    assert "     Résultat: Nouveau contact ajouté" in jean and "     Nom: Jean MARTIN" in jean
    # Sophie was compared and found identical: counted in the header, not listed by default.
    assert "🔁 Contacts identiques ignorés (optimisation): 1\n" in text
    assert "sophie.bernard@exemple.com" not in text
    assert "Total d'opérations: 2\n" in text and "✅ Succès: 2\n" in text
    member = empty.mailchimp.member(subscriber_hash("marie.dupont@exemple.com"))
    assert member is not None
    assert sorted(t["name"] for t in member["tags"]) == ["Client VIP", "Salon des vins 2025"]


@pytest.mark.parametrize("how", ["option", "setting"])
async def test_identical_contacts_listed_with_verbose(
    empty: Sandbox, tmp_path: Path, french: None, how: str
) -> None:
    settings = _settings(empty, tmp_path, **({"SYNC_REPORT_VERBOSE": "oui"} if how == "setting" else {}))
    store = Store(settings.store_path)
    try:
        report = await _two_runs_of_002(
            empty, settings, store, **({"verbose": True} if how == "option" else {})
        )
    finally:
        store.close()
    lines = Path(report.path or "").read_text(encoding="utf-8").splitlines()
    assert "CONTACTS IDENTIQUES IGNORÉS (OPTIMISATION):" in lines
    # 002's line, verbatim.
    assert "• sophie.bernard@exemple.com → Contact identique ignoré (optimisation)" in lines


async def test_the_name_line_shows_the_name_after_the_change(
    empty: Sandbox, tmp_path: Path, french: None
) -> None:
    _new_person(empty, "claire.martin@exemple.fr", "Claire", "MARTIN")
    settings = _settings(empty, tmp_path)
    store = Store(settings.store_path)
    try:
        await sync(settings, store)
        # Claire married: her last name changed in Mailchimp (the preference centre), not in Copper.
        path = f"/members/{subscriber_hash('claire.martin@exemple.fr')}"
        _mailchimp(empty, "PATCH", path, {"merge_fields": {"LNAME": "DURAND"}})
        report = await sync(settings, store, full=True)
    finally:
        store.close()
    text = Path(report.path or "").read_text(encoding="utf-8")
    assert "     Direction: Mailchimp → Copper\n     Nom: Claire DURAND\n" in text
    assert "MARTIN" not in text


async def test_a_dry_run_says_planned_and_claims_no_success(
    empty: Sandbox, tmp_path: Path, french: None
) -> None:
    _subscribe(empty, "test3@exemple.fr", "Test3", "TEST3")
    _new_person(empty, "paul.durand@exemple.fr", "Paul", "DURAND", tags=["Client"])
    settings = _settings(empty, tmp_path)
    store = Store(settings.store_path)
    try:
        report = await sync(settings, store, dry_run=True)
    finally:
        store.close()
    text = Path(report.path or "").read_text(encoding="utf-8")
    assert "  1. 🔎 PRÉVU | paul.durand@exemple.fr\n" in text
    assert "  2. 🔎 PRÉVU | test3@exemple.fr\n" in text
    assert "🔎 Opérations prévues (non effectuées): 2\n" in text
    assert "Résultat: Nouveau contact ajouté (prévu)" in text
    assert "     Tags synchronisés: Client\n" in text
    for claim in ("✅", "SUCCÈS", "Succès:", "Taux de réussite"):
        assert claim not in text, claim
    assert empty.copper.person_by_email("test3@exemple.fr") is None  # nothing was written


HOSTILE_LAST = "\x1b[31mROUGE\x1b[0m"


@pytest.mark.parametrize("level", ["info", "debug"])
async def test_the_run_log_holds_every_step_and_action(empty: Sandbox, tmp_path: Path, level: str) -> None:
    _subscribe(empty, "test3@exemple.fr", "Test3", "TEST3")
    _new_person(empty, "hostile@exemple.fr", "Eve", HOSTILE_LAST, tags=["Client"])
    _new_person(empty, "same@exemple.fr", "Sam", "SAME")
    settings = _settings(empty, tmp_path)
    store = Store(settings.store_path)
    try:
        await run_cycle(settings, store, owner="test", only=("sync",))  # Sam is in sync after this one
        log_path = setup_logging(settings.log_dir, level=getattr(logging, level.upper()))
        assert log_path is not None
        _copper(
            empty,
            "PUT",
            f"/people/{empty.copper.person_by_email('hostile@exemple.fr')['id']}",
            {"tags": ["Client", "VIP"]},
        )  # type: ignore[index]
        await run_cycle(
            settings, store, owner="test", only=("sync",), log_path=str(log_path), options={"full": True}
        )
    finally:
        close_logging()
        store.close()
    text = log_path.read_text(encoding="utf-8")
    # Every step...
    assert "step sync started" in text and "step sync ok" in text
    assert "sync: read " in text and "sync: planned " in text and "sync: report " in text
    # ...and every action, with its contact and its result; hostile text escaped, secrets absent.
    assert (
        "hostile@exemple.fr (Eve \\x1b[31mROUGE\\x1b[0m): Mailchimp: update member (subscribed); tags + VIP → ok"
        in text
    )
    assert "\x1b" not in text
    assert settings.mailchimp_api_key.reveal() not in text and settings.copper_api_key.reveal() not in text
    identical = "same@exemple.fr (Sam SAME): compared, identical: nothing to write"
    assert (identical in text) == (level == "debug")


async def test_report_of_000_in_english_has_the_same_layout(empty: Sandbox, tmp_path: Path) -> None:
    _subscribe(empty, "test3@exemple.fr", "Test3", "TEST3")
    settings = make_settings(empty, tmp_path, SYNC_MODE="test", CRMTUI_LANG="en")
    store = Store(settings.store_path)
    try:
        report = await sync(settings, store)
    finally:
        store.close()
    lines = Path(report.path or "").read_text(encoding="utf-8").splitlines()
    assert lines[:3] == ["=" * 80, "COPPER ↔ MAILCHIMP SYNC REPORT", "=" * 80]
    block = lines.index("  1. ✅ SUCCESS | test3@exemple.fr")
    assert lines[block + 1 : block + 4] == [
        "     Direction: Mailchimp → Copper",
        "     Name: Test3 TEST3",
        "     Result: New contact added",
    ]
    assert "📊 Success rate: 100.0%" in lines and "🔁 Identical contacts skipped (optimisation): 0" in lines


async def test_a_hand_added_inactive_tag_is_said_in_the_report(
    empty: Sandbox, tmp_path: Path, french: None
) -> None:
    from crmtui.engine.identity import INACTIVE_TAG

    person = _new_person(empty, "jean.martin@exemple.com", "Jean", "MARTIN")
    settings = _settings(empty, tmp_path)
    store = Store(settings.store_path)
    try:
        await sync(settings, store)
        copper_put(empty, person, tags=[INACTIVE_TAG])
        report = await sync(settings, store)
    finally:
        store.close()
    text = Path(report.path or "").read_text(encoding="utf-8")
    assert "  1. ✅ SUCCÈS | jean.martin@exemple.com\n" in text
    assert "     Résultat: 📥 INACTIF : désabonné de Mailchimp\n" in text
    member = empty.mailchimp.member("jean.martin@exemple.com")
    assert member is not None and member["status"] == "unsubscribed"
