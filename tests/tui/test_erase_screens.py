"""Pilot tests of the console's erase (``X``): on a customer (Customers) and a contact (Deletions).

The erasure runs against the loopback simulators: after typing the email exactly, Mailchimp holds the
address as permanently deleted, Copper no longer has the person, the store no longer names them, and
what remains is the keyed-hash suppression and one audit entry. A wrong text is refused, Escape
changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable
from textual.worker import WorkerState

from crmtui.app import CrmApp, make_app
from crmtui.config import Settings, load_settings
from crmtui.engine.cycle import run_cycle
from crmtui.engine.identity import subscriber_hash
from crmtui.records.emails import email_key
from crmtui.sandbox.harness import Sandbox, running_sandbox
from crmtui.screens.confirm import TypedConfirmScreen
from crmtui.screens.customers import CustomersScreen
from crmtui.screens.deletions import DeletionsScreen
from crmtui.screens.erase_dialog import ErasureReportScreen
from crmtui.store import Store
from crmtui.widgets.sync_decisions import DecisionTable
from tests.unit.test_reco_engine import World


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with running_sandbox(60, 42, partners=5) as sandbox:
        yield sandbox


@pytest.fixture
def prod(sb: Sandbox) -> Settings:
    return sb.apply_to(load_settings(overrides={"SYNC_MODE": "production"}, env_file=None, sandbox=True))


async def settle(pilot: Pilot[int], app: CrmApp, rounds: int = 20) -> None:
    for _ in range(rounds):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in app.workers):
            return


def _in_both(sb: Sandbox) -> tuple[str, int]:
    """An address Mailchimp holds as a member and one Copper person holds."""
    for person in sb.copper.people.values():
        emails = [email_key(e["email"]) for e in person["emails"]]
        if len(emails) != 1:
            continue
        holders = [
            p
            for p in sb.copper.people.values()
            if any(email_key(e["email"]) == emails[0] for e in p["emails"])
        ]
        if len(holders) == 1 and subscriber_hash(emails[0]) in sb.mailchimp.members:
            return emails[0], int(person["id"])
    raise AssertionError("the sandbox has no contact in both systems")


def _named(store: Store, email: str) -> list[str]:
    """Tables with a row naming ``email`` (outside the erasure's own bookkeeping)."""
    out = []
    for table in store.db.table_names():
        if table in ("erasure_ops", "suppressed_hashes"):
            continue
        for row in store.db.execute(f'SELECT * FROM "{table}"').fetchall():
            if email in repr(row).lower():
                out.append(table)
                break
    return out


def _erased(sb: Sandbox, store: Store, email: str, copper_id: int) -> None:
    assert email in sb.mailchimp.forgotten
    assert subscriber_hash(email) not in sb.mailchimp.members
    assert copper_id not in sb.copper.people
    assert _named(store, email) == []
    ops = store.query("SELECT state, mailchimp, copper, email FROM erasure_ops")
    assert ops == [{"state": "done", "mailchimp": "deleted", "copper": "deleted", "email": None}]
    assert store.erasure.is_suppressed(email)
    audit = [a for a in store.audit.recent(50) if a["action"] == "erase.done"]
    assert len(audit) == 1 and audit[0]["actor"].endswith("@console")
    assert email not in repr(audit).lower()


async def test_erase_a_customer_from_the_customers_screen(sb: Sandbox, prod: Settings, store: Store) -> None:
    email, copper_id = _in_both(sb)
    world = World(store)
    world.customer("dupont", email=email)
    world.customer("martin")
    world.load()
    app = make_app(prod, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.push_screen(CustomersScreen())
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, CustomersScreen)
        table = screen.query_one("#customer-table", DataTable)
        keys = [r["customer_key"] for r in screen.found]
        table.move_cursor(row=keys.index("dupont"))
        await settle(pilot, app)
        assert screen.customer_key == "dupont" and screen.customer_email == email

        # Escape: nothing happens.
        await pilot.press("X")
        assert isinstance(app.screen, TypedConfirmScreen)
        await pilot.press("escape")
        await settle(pilot, app)
        assert not isinstance(app.screen, TypedConfirmScreen)
        assert email in sb.mailchimp.members.get(subscriber_hash(email)).email_address.lower()
        assert store.query("SELECT count(*) AS n FROM erasure_ops")[0]["n"] == 0

        await pilot.press("X")
        modal = app.screen
        assert isinstance(modal, TypedConfirmScreen)
        await pilot.press("x", "enter")  # a wrong text is refused, the modal stays
        assert modal.refusals == 1 and app.screen is modal
        await pilot.press("backspace", *email, "enter")
        await settle(pilot, app)
        report = app.screen
        assert isinstance(report, ErasureReportScreen)  # what each system answered, which files
        assert "Mailchimp: deleted" in report.text and "Copper: deleted (1 person(s))" in report.text
        assert email in report.text and "Every system confirmed" in report.text
        await pilot.press("escape")
        await settle(pilot, app)
        assert app.screen is screen
        _erased(sb, store, email, copper_id)
        assert [r["customer_key"] for r in screen.found] == ["martin"]


async def test_erase_a_contact_from_the_deletions_screen(sb: Sandbox, prod: Settings, store: Store) -> None:
    outcome = await run_cycle(prod, store, owner="test", only=("sync",))
    assert outcome.status == "ok"
    queued = store.sync.decisions(("pending",))
    assert queued
    app = make_app(prod, store)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("b")
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, DeletionsScreen)
        table = screen.query_one(DecisionTable)
        email = table.current_email()
        assert email is not None
        decision = store.sync.get_decision(email)
        assert decision is not None and decision.copper_id in sb.copper.people
        copper_id = decision.copper_id

        await pilot.press("X")
        assert isinstance(app.screen, TypedConfirmScreen)
        await pilot.press(*email, "enter")
        await settle(pilot, app)
        assert isinstance(app.screen, ErasureReportScreen)
        assert email not in table.visible_emails()
        _erased(sb, store, email, copper_id)
        # The app now knows the secret: the next cycle checks the suppression list with it.
        assert app.settings.erasure_secret


def test_erase_key_is_free_on_both_screens() -> None:
    from crmtui.screens.keymap import bindings_of

    for screen in (CustomersScreen, DeletionsScreen):
        keys: dict[str, Any] = {}
        for b in bindings_of(screen):
            for key in b.key.split(","):
                assert key not in keys, f"{screen.__name__}: {key} bound twice"
                keys[key] = b.action
        assert keys["X"] == "erase"


async def test_the_console_says_when_an_erasure_waits(settings: Settings, store: Store) -> None:
    store.erasure.configure("a-secret")
    digest = store.erasure.email_hash("anne@exemple.fr")
    assert digest is not None
    store.erasure.start(digest, "anne@exemple.fr", {"emails": ["anne@exemple.fr"]}, "test", [])
    app = make_app(settings, store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        assert any("1 erasure(s) unfinished" in str(n.message) for n in app._notifications)
