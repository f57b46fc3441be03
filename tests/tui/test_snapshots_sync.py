"""Snapshots of the sync screens at 80x24 (``pytest --snapshot-update`` after reviewing the report).

Deterministic by construction: the sandbox's fixed seed, dates pinned after the real sync, a hostile
name added through the store's API, and (Sync screen) a replay of engine events with a fixed clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from itertools import chain, repeat

import pytest
from textual.pilot import Pilot

from crmtui.app import CrmApp, make_app
from crmtui.config import Settings, load_settings
from crmtui.engine.cycle import run_cycle
from crmtui.engine.events import CycleStarted, Notice, StepProgressed, StepStarted
from crmtui.sandbox.data import generate_contacts
from crmtui.sandbox.harness import Sandbox, running_sandbox
from crmtui.screens.messages import EngineReported
from crmtui.screens.sync import SyncScreen
from crmtui.store import Store
from crmtui.store.sync import OpRow
from crmtui.widgets.sync_progress import SyncProgress

SnapCompare = Callable[..., bool]

HOSTILE = "\x1b[31mRouge\x1b[0m [bold]Gras[/bold] [@click=app.quit]Quitter[/]"
PINNED = "2026-11-02T10:00:00+00:00"


@pytest.fixture(scope="module")
def served() -> Iterator[Sandbox]:
    """The simulators on loopback, started once for the module."""
    with running_sandbox(200, 42, partners=5) as sandbox:
        yield sandbox


@pytest.fixture
def prod(served: Sandbox) -> Settings:
    """Production mode against the simulators, re-seeded: every snapshot starts from the same data."""
    data = generate_contacts(200, 42)
    served.copper.reset()
    served.copper.load_people(data.copper_people(), allow_duplicate_emails=True)
    served.mailchimp.reset()
    served.mailchimp.load_members(data.mailchimp_members())
    for email in data.forgotten_emails():
        served.mailchimp.forget(email)
    return served.apply_to(load_settings(overrides={"SYNC_MODE": "production"}, env_file=None, sandbox=True))


@pytest.fixture
def synced_app(prod: Settings, store: Store) -> CrmApp:
    """The console over a store filled by a real sync, plus a hostile name, with dates pinned."""
    asyncio.run(run_cycle(prod, store, owner="test", only=("sync",)))
    store.sync.queue_deletion(
        "hostile@exemple.fr",
        copper_id=None,
        name=HOSTILE,
        tag="🗑️ À SUPPRIMER",
        run_id=None,
        copper_state=None,
        mc_state={"email": "hostile@exemple.fr", "status": "unsubscribed"},
    )
    with store.write() as db:  # "since when" must not depend on the day the snapshot is taken
        db.execute("UPDATE deletion_queue SET detected_at = ?", (PINNED,))
        db.execute("UPDATE forgotten_emails SET detected_at = ?", (PINNED,))
    return make_app(prod, store)


def test_deletions_screen(synced_app: CrmApp, snap_compare: SnapCompare) -> None:
    """The queue: one archive decided (not applied), two contacts selected, a hostile name literal."""

    async def run_before(pilot: Pilot[int]) -> None:
        await pilot.press("b")
        await _settle(pilot)
        await pilot.press("a", "y")
        await _settle(pilot)
        await pilot.press("down", "space", "space")
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(synced_app, terminal_size=(80, 24), run_before=run_before)


def test_delete_confirmation_refuses_a_wrong_text(synced_app: CrmApp, snap_compare: SnapCompare) -> None:
    """The typed confirmation after a wrong text: refused, still open."""

    async def run_before(pilot: Pilot[int]) -> None:
        await pilot.press("b")
        await _settle(pilot)
        await pilot.press("D", "n", "o", "enter")
        await _settle(pilot)

    assert snap_compare(synced_app, terminal_size=(80, 24), run_before=run_before)


def test_forgotten_screen(synced_app: CrmApp, snap_compare: SnapCompare) -> None:
    """Forgotten emails with their links."""

    async def run_before(pilot: Pilot[int]) -> None:
        await pilot.press("o")
        await _settle(pilot)

    assert snap_compare(synced_app, terminal_size=(80, 24), run_before=run_before)


def test_sync_screen_during_a_run(prod: Settings, store: Store, snap_compare: SnapCompare) -> None:
    """A run replayed from engine events with a fixed clock: phases, rates, stream, a hostile notice."""
    app = make_app(prod, store)

    async def run_before(pilot: Pilot[int]) -> None:
        await pilot.press("y")
        await _settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, SyncScreen)
        progress = screen.query_one(SyncProgress)
        ticks = chain([0.0, 0.4, 0.6, 0.65, 2.65], repeat(2.65))
        progress.clock = lambda: next(ticks)
        progress.reset()
        for event in (
            CycleStarted(7, ("sync",), "production", False, True),
            StepStarted("sync"),
            StepProgressed("sync:read_copper", 188, 188),
            StepProgressed("sync:read_mailchimp", 148, 148),
            StepProgressed("sync:plan", 200, 200),
            Notice("warning", f"x@exemple.fr: shared by Copper people 1 and 2 {HOSTILE}"),
            StepProgressed("sync:apply", 56, 94),
        ):
            screen.post_message(EngineReported(event))
            await pilot.pause()
        screen.show_ops(
            7,
            [
                OpRow(1, 7, "jeanne.martin@exemple.fr", "mailchimp", "mc_upsert", {}, "sent", None),
                OpRow(2, 7, "paul@exemple.fr", "copper", "copper_create", {}, "sent", None),
                OpRow(3, 7, "oubli@exemple.fr", "mailchimp", "mc_upsert", {}, "forgotten", "forgotten"),
                OpRow(4, 7, "marc@exemple.fr", "copper", "copper_update", {}, "failed", HOSTILE),
            ],
        )
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


async def _settle(pilot: Pilot[int]) -> None:
    for _ in range(4):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
