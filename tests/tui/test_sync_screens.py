"""Pilot tests of the sync screens, driven by keys only, over the loopback sandbox.

A real sync fills the deletion queue and the forgotten list first; every remote effect is checked
in the simulators' own state (``sb.copper.people``, ``sb.mailchimp.members``).
"""

from __future__ import annotations

import asyncio
import csv
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.binding import Binding
from textual.pilot import Pilot
from textual.worker import WorkerState

from crmtui.app import CrmApp, make_app
from crmtui.config import Settings, load_settings
from crmtui.engine.cycle import run_cycle
from crmtui.engine.identity import INACTIVE_TAG, is_deletion_tag, subscriber_hash
from crmtui.sandbox.data import generate_contacts
from crmtui.sandbox.harness import Sandbox, running_sandbox
from crmtui.screens.confirm import ConfirmScreen, TypedConfirmScreen
from crmtui.screens.deletions import DeletionsScreen
from crmtui.screens.forgotten import ForgottenScreen
from crmtui.screens.sync import ReportScreen, SyncScreen
from crmtui.store import Store
from crmtui.store.locks import RUN_LOCK
from crmtui.store.sync import Decision
from crmtui.widgets.sync_decisions import DecisionTable
from crmtui.widgets.sync_forgotten import ForgottenTable
from crmtui.widgets.sync_stream import OperationStream

CONTACTS = 200


@pytest.fixture(scope="module")
def served() -> Iterator[Sandbox]:
    """The simulators on loopback, started once for the module (stopping a server takes ~0.5 s)."""
    with running_sandbox(CONTACTS, 42, partners=5) as sandbox:
        yield sandbox


@pytest.fixture
def sb(served: Sandbox) -> Sandbox:
    """The served simulators re-seeded with the same 200 deterministic contacts for each test."""
    return reseed(served)


def reseed(sandbox: Sandbox) -> Sandbox:
    """Back to the seed data, as :func:`crmtui.sandbox.harness.build_sandbox` loads it."""
    data = generate_contacts(CONTACTS, 42)
    sandbox.copper.reset()
    sandbox.copper.load_people(data.copper_people(), allow_duplicate_emails=True)
    sandbox.mailchimp.reset()
    sandbox.mailchimp.load_members(data.mailchimp_members())
    for email in data.forgotten_emails():
        sandbox.mailchimp.forget(email)
    return sandbox


@pytest.fixture
def prod(sb: Sandbox) -> Settings:
    """Production mode (every contact in scope) against the sandbox, data in the test's folder."""
    return sb.apply_to(load_settings(overrides={"SYNC_MODE": "production"}, env_file=None, sandbox=True))


@pytest.fixture
def synced(prod: Settings, store: Store) -> Store:
    """A store after one real sync: deletion queue and forgotten list filled with real data."""
    outcome = asyncio.run(run_cycle(prod, store, owner="test", only=("sync",)))
    assert outcome.status == "ok"
    assert store.sync.decisions(("pending",)) and store.sync.forgotten_rows()
    return store


async def settle(pilot: Pilot[int], app: CrmApp, rounds: int = 10) -> None:
    """Let workers, the callbacks they schedule and the workers those start, finish."""
    for _ in range(rounds):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in app.workers):
            return


def _decision(store: Store, email: str) -> Decision:
    decision = store.sync.get_decision(email)
    assert decision is not None
    return decision


def _copper_person(sb: Sandbox, copper_id: int | None) -> dict[str, Any] | None:
    return sb.copper.people.get(copper_id) if copper_id is not None else None


# -- deletions review ----------------------------------------------------------------------------


async def _open_deletions(pilot: Pilot[int], app: CrmApp) -> tuple[DeletionsScreen, DecisionTable]:
    await pilot.press("b")
    await settle(pilot, app)
    screen = app.screen
    assert isinstance(screen, DeletionsScreen)
    table = screen.query_one(DecisionTable)
    assert table.row_count == len(screen.decisions) > 0
    return screen, table


async def test_archive_one_then_apply(sb: Sandbox, prod: Settings, synced: Store) -> None:
    app = make_app(prod, synced)
    async with app.run_test(size=(80, 24)) as pilot:
        screen, table = await _open_deletions(pilot, app)
        email = table.current_email()
        assert email is not None
        before = synced.sync.get_decision(email)
        assert before is not None and before.copper_id is not None
        await pilot.press("a")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot, app)
        decided = synced.sync.get_decision(email)
        assert decided is not None and (decided.decision, decided.state) == ("archive", "decided")
        assert decided.decided_by is not None and decided.decided_by.endswith("@console")
        audit = synced.audit.recent(5)
        assert any(a["action"] == "decision.archive" and a["subject"] == email for a in audit)
        # Not applied yet: nothing remote has changed.
        person = _copper_person(sb, before.copper_id)
        assert person is not None and any(is_deletion_tag(t) for t in person["tags"])

        await pilot.press("p")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot, app)
        assert not screen.applying
        person = _copper_person(sb, before.copper_id)
        assert person is not None
        tags = person["tags"]
        assert INACTIVE_TAG in tags and not any(is_deletion_tag(t) for t in tags)
        member = sb.mailchimp.members[subscriber_hash(email)]
        assert member.status not in ("subscribed", "pending")  # unsubscribed by default (SYNC_ARCHIVE_ACTION)
        applied = synced.sync.get_decision(email)
        assert applied is not None and applied.state == "applied"
        assert email not in screen.query_one(DecisionTable).visible_emails()


async def test_delete_one_with_typed_confirmation(sb: Sandbox, prod: Settings, synced: Store) -> None:
    app = make_app(prod, synced)
    async with app.run_test(size=(80, 24)) as pilot:
        screen, table = await _open_deletions(pilot, app)
        await pilot.press("down")
        email = table.current_email()
        assert email is not None
        decision = synced.sync.get_decision(email)
        assert decision is not None and decision.copper_id in sb.copper.people
        assert subscriber_hash(email) in sb.mailchimp.members

        await pilot.press("D")
        modal = app.screen
        assert isinstance(modal, TypedConfirmScreen)
        # A wrong text is refused and the modal stays.
        await pilot.press("x", "enter")
        assert modal.refusals == 1
        assert app.screen is modal
        assert _decision(synced, email).decision is None
        await pilot.press("backspace", *email, "enter")
        await settle(pilot, app)
        assert not isinstance(app.screen, TypedConfirmScreen)
        recorded = synced.sync.get_decision(email)
        assert recorded is not None and (recorded.decision, recorded.state) == ("delete", "decided")

        await pilot.press("p", "y")
        await settle(pilot, app)
        sources = {t["source"] for t in synced.sync.tombstones(email)}
        assert sources == {"copper", "mailchimp"}
        assert decision.copper_id not in sb.copper.people
        assert subscriber_hash(email) not in sb.mailchimp.members
        assert email not in screen.query_one(DecisionTable).visible_emails()


async def test_cancel_a_delete_changes_nothing(sb: Sandbox, prod: Settings, synced: Store) -> None:
    app = make_app(prod, synced)
    async with app.run_test(size=(80, 24)) as pilot:
        _, table = await _open_deletions(pilot, app)
        email = table.current_email()
        assert email is not None
        decision = synced.sync.get_decision(email)
        assert decision is not None
        audit_before = len(synced.audit.recent(1000))

        await pilot.press("D")
        assert isinstance(app.screen, TypedConfirmScreen)
        await pilot.press(*email[:3])  # started typing, not submitted
        await pilot.press("escape")
        await settle(pilot, app)
        assert not isinstance(app.screen, TypedConfirmScreen)
        # Apply has nothing to do either.
        await pilot.press("p")
        assert not isinstance(app.screen, ConfirmScreen)
        await settle(pilot, app)

        after = synced.sync.get_decision(email)
        assert after is not None and after.decision is None and after.state == "pending"
        assert len(synced.audit.recent(1000)) == audit_before
        assert synced.sync.tombstones(email) == []
        assert decision.copper_id in sb.copper.people
        assert subscriber_hash(email) in sb.mailchimp.members


async def test_multi_select_ignore_undo_and_filter(prod: Settings, synced: Store) -> None:
    app = make_app(prod, synced)
    async with app.run_test(size=(80, 24)) as pilot:
        screen, table = await _open_deletions(pilot, app)
        first, second = table.visible_emails()[:2]
        await pilot.press("space", "space")
        assert screen.selected == {first, second}
        await pilot.press("i")
        await settle(pilot, app)
        for email in (first, second):
            decision = synced.sync.get_decision(email)
            assert decision is not None and (decision.decision, decision.state) == ("ignore", "applied")
        assert not screen.selected
        # Ignored contacts stay listed (after the open ones) so they can be undone.
        assert table.visible_emails()[-2:] == [first, second]

        await pilot.press("ctrl+end", "u")
        await settle(pilot, app)
        undone = synced.sync.get_decision(second)
        assert undone is not None and undone.decision is None and undone.state == "pending"
        assert any(a["action"] == "decision.undo" and a["subject"] == second for a in synced.audit.recent(5))

        # Filter down to one contact, archive it, undo before it is applied, clear the filter.
        target = next(e for e in table.visible_emails() if e not in (first, second))
        await pilot.press("slash", *_unique_needle(target, screen), "enter")
        await settle(pilot, app)  # the filter runs in SQL, in a worker (Enter runs it at once)
        assert table.visible_emails() == [target]
        await pilot.press("a", "y")
        await settle(pilot, app)
        assert _decision(synced, target).decision == "archive"
        await pilot.press("u")
        await settle(pilot, app)
        assert _decision(synced, target).decision is None
        await pilot.press("slash", "escape")
        await settle(pilot, app)
        assert len(table.visible_emails()) == len(screen.decisions) > 1


def _unique_needle(email: str, screen: DeletionsScreen) -> str:
    """The shortest start of ``email`` that the filter matches on its row only (fewer keys to type)."""
    from crmtui.widgets.sync_decisions import matches

    for size in range(3, len(email) + 1):
        needle = email[:size]
        if [d.email for d in screen.decisions if matches(d, needle)] == [email]:
            return needle
    return email


# -- forgotten emails ------------------------------------------------------------------------------


async def test_copy_link_mark_reached_and_export(prod: Settings, synced: Store) -> None:
    synced.sync.record_forgotten(
        "formule@exemple.fr", copper_id=None, name='=HYPERLINK("http://evil","x")', url="", run_id=None
    )
    app = make_app(prod, synced)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("o")
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, ForgottenScreen)
        table = screen.query_one(ForgottenTable)
        rows = {r["email"]: r for r in synced.sync.forgotten_rows()}

        def on_a_link() -> bool:
            current = table.current_email()
            return current is not None and bool(rows[current]["resubscribe_url"])

        while not on_a_link():
            await pilot.press("down")
        email = table.current_email()
        assert email is not None
        url = rows[email]["resubscribe_url"]
        assert "EMAIL=" in url

        await pilot.press("l")
        assert app.clipboard == url
        app.copy_to_clipboard("")
        await pilot.press("enter")
        assert app.clipboard == url

        await pilot.press("m")
        await settle(pilot, app)
        reached = {r["email"]: r for r in synced.sync.forgotten_rows()}[email]
        assert reached["reached_at"] and reached["reached_by"].endswith("@console")

        await pilot.press("x")
        await settle(pilot, app)
        assert screen.last_export is not None
        path = Path(screen.last_export)
        assert path.parent == prod.report_dir and path.stat().st_mode & 0o777 == 0o600
        with path.open(encoding="utf-8-sig", newline="") as fh:
            exported = list(csv.reader(fh))
        assert len(exported) == len(rows) + 1
        by_email = {row[0]: row for row in exported[1:]}
        assert by_email["formule@exemple.fr"][1] == '\'=HYPERLINK("http://evil","x")'
        assert by_email[email][2] == url


# -- sync screen -----------------------------------------------------------------------------------


async def test_run_a_sync_and_see_the_summary(sb: Sandbox, prod: Settings, store: Store) -> None:
    people_before = len(sb.copper.people)
    app = make_app(prod, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("y")
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, SyncScreen)
        assert "No sync yet" in str(screen.query_one("#sync-summary").render())
        await pilot.press("g")
        await settle(pilot, app, rounds=10)
        assert not screen.running
        summary = str(screen.query_one("#sync-summary").render())
        run = store.runs.recent(1)[0]
        assert run.status == "ok" and run.total > 0
        assert f"#{run.id}: ok" in summary and f"{run.total} operations" in summary
        assert "Awaiting a deletion decision" in summary
        assert screen.report_path == run.report_path and run.report_path is not None
        # The stream showed every finished operation of the run, once.
        assert screen.query_one(OperationStream).shown == len(store.sync.ops_for_run(run.id))
        assert len(sb.copper.people) > people_before
        # The report opens in a modal and closes with Escape.
        await pilot.press("v")
        await settle(pilot, app)
        assert isinstance(app.screen, ReportScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, SyncScreen)


async def test_dry_run_lists_the_plan_and_writes_nothing(sb: Sandbox, prod: Settings, store: Store) -> None:
    people_before = len(sb.copper.people)
    app = make_app(prod, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("y", "p", "g")
        await settle(pilot, app, rounds=10)
        screen = app.screen
        assert isinstance(screen, SyncScreen)
        run = store.runs.recent(1)[0]
        assert run.dry_run and run.status == "ok"
        assert "(dry run)" in str(screen.query_one("#sync-summary").render())
        assert screen.query_one(OperationStream).shown == run.total > 0
        assert len(sb.copper.people) == people_before


async def test_cancel_stops_before_writing(sb: Sandbox, prod: Settings, store: Store) -> None:
    people_before = len(sb.copper.people)
    sb.copper.control.latency = 0.3  # reading Copper takes a while: "x" lands before the apply phase
    app = make_app(prod, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("y", "g", "x")
        await settle(pilot, app, rounds=10)
        screen = app.screen
        assert isinstance(screen, SyncScreen) and not screen.running
        run = store.runs.recent(1)[0]
        assert run.status == "interrupted"
        assert "interrupted" in str(screen.query_one("#sync-summary").render())
        assert len(sb.copper.people) == people_before
        assert store.sync.op_counts(run.id).get("sent", 0) == 0


async def test_rerun_after_cancel_reaches_the_uninterrupted_state(
    sb: Sandbox, prod: Settings, store: Store
) -> None:
    seeded = [p["emails"][0]["email"].strip().lower() for p in sb.copper.people.values() if p["emails"]]
    seeded_repeats = len(seeded) - len(set(seeded))
    sb.copper.control.latency = 0.3
    app = make_app(prod, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("y", "g", "x")
        await settle(pilot, app, rounds=10)
        cancelled = store.runs.recent(1)[0]
        assert cancelled.status == "interrupted"
        sb.copper.control.latency = 0.0
        await pilot.press("g")
        await settle(pilot, app, rounds=10)
    # Every subscriber the cancelled run did not get to is now a Copper person, exactly once.
    emails = [p["emails"][0]["email"].strip().lower() for p in sb.copper.people.values() if p["emails"]]
    subscribed = {
        m["email_address"].strip().lower()
        for m in sb.mailchimp.members.values()
        if m["status"] == "subscribed" and "@exemple" in m["email_address"].lower()
    }
    assert subscribed <= set(emails)
    assert len(emails) - len(set(emails)) == seeded_repeats  # our creates never repeat an address


async def test_circuit_breaker_then_allow_large_change(sb: Sandbox, prod: Settings, synced: Store) -> None:
    # 40 Copper people lose their tags (15 % of the audience would be untagged: limit 5 %).
    for person in [p for p in sb.copper.people.values() if p.get("tags")][:40]:
        person["tags"] = []  # edited behind the API's back: only a full read sees it
    app = make_app(prod, synced)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("y", "f", "g")
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, SyncScreen)
        assert synced.runs.recent(1)[0].status == "failed"
        assert screen.stopped.startswith("circuit breaker")
        assert "Stopped before writing" in str(screen.query_one("#sync-summary").render())
        await pilot.press("l")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y", "g")
        await settle(pilot, app)
        run = synced.runs.recent(1)[0]
        assert run.status == "ok" and run.total >= 30
        assert not screen.allow_large_change and not screen.stopped


async def test_lock_held_is_reported(prod: Settings, store: Store) -> None:
    # Another process (pid 1 is alive) holds the run lock; the lock is re-entrant within a process.
    with store.write() as db:
        db.execute(
            "INSERT INTO locks (name, owner, pid, host, acquired_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            (RUN_LOCK, "cron", 1, socket.gethostname(), "2026-11-25T09:00:00+00:00", time.time() + 3600),
        )
    app = make_app(prod, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("y", "g")
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, SyncScreen) and not screen.running
        assert "cron" in str(screen.query_one("#sync-summary").render())
        assert store.runs.count() == 0


def test_sync_ui_catalogue_has_both_languages_with_the_same_placeholders() -> None:
    import string

    from crmtui.i18n import LANGUAGES
    from crmtui.i18n.sync_ui import SYNC_UI_CATALOGUE

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    for key, entry in SYNC_UI_CATALOGUE.items():
        assert key.startswith("sync_ui."), key
        assert set(entry) == set(LANGUAGES), key
        assert fields(entry["fr"]) == fields(entry["en"]), key


def test_palette_and_help_mirror_the_screen_keys() -> None:
    from crmtui.i18n import CATALOGUE
    from crmtui.screens.palette import GLOBAL_COMMANDS

    actions = {entry.action for entry in GLOBAL_COMMANDS}
    keys = {b.action: b.key for b in CrmApp.BINDINGS if isinstance(b, Binding)}
    for action, key in (("show_sync", "y"), ("show_deletions", "b"), ("show_forgotten", "o")):
        assert action in actions and keys[action] == key
        assert callable(getattr(CrmApp, f"action_{action}"))
    for lang in ("fr", "en"):
        body = CATALOGUE["help.body"][lang]
        for fragment in ("  y ", "  b ", "  o ", "a ", "d ", "/ ", "OSC 52"):
            assert fragment in body, (lang, fragment)
