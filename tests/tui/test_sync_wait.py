"""Pilot test: the sync screen shows a rate-limit wait live, counting down, and ``x`` ends it at once.

The Copper simulator answers the first Copper update of the apply phase with a 429, so the client
waits for Copper's window (60 s). The console must say so under the phases ("waiting
for Copper's limit (180/min): resuming in N s", N going down), ``x`` must end the run within 2 s
(5 s asserted for a loaded machine, the time logged), and the apply bar must show where it
stopped, not 100 %.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest
from textual.pilot import Pilot
from textual.widgets import Label
from textual.worker import WorkerState

from crmtui.app import CrmApp, make_app
from crmtui.config import Settings, load_settings
from crmtui.sandbox.control import Fault
from crmtui.sandbox.harness import Sandbox, running_sandbox
from crmtui.screens.sync import SyncScreen
from crmtui.store import Store
from crmtui.widgets.sync_progress import PhaseRow, SyncProgress

log = logging.getLogger(__name__)


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with running_sandbox(120, 42) as sandbox:
        yield sandbox


@pytest.fixture
def prod(sb: Sandbox) -> Settings:
    return sb.apply_to(load_settings(overrides={"SYNC_MODE": "production"}, env_file=None, sandbox=True))


async def until(pilot: Pilot[int], condition: object, timeout: float = 120.0) -> None:
    """Wait for ``condition()`` with a generous deadline (no sleep as synchronisation)."""
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached"
        await pilot.pause(0.05)


async def test_wait_is_shown_counting_down_and_x_ends_it(sb: Sandbox, prod: Settings, store: Store) -> None:
    app: CrmApp = make_app(prod, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, SyncScreen))
        screen = app.screen
        assert isinstance(screen, SyncScreen)
        progress = screen.query_one(SyncProgress)

        # The first Copper update of the apply phase gets Copper's 429 (no Retry-After, WIRE.md
        # §1.2): the client waits for the rest of Copper's window.
        sb.copper.control.faults.append(Fault("rate_limit", path_prefix="/people/", method="PUT"))
        await pilot.press("g")
        label = progress.query_one("#sync-wait", Label)
        await until(pilot, lambda: "waiting for Copper's limit (180/min)" in str(label.render()))
        assert label.display and label.region.height > 0  # on screen at 80x24
        first = progress.wait_text()
        assert "resuming in" in first
        # The countdown goes down without any new event.
        seconds = int(first.rsplit("in ", 1)[1].split()[0])
        await until(pilot, lambda: int(progress.wait_text().rsplit("in ", 1)[1].split()[0]) < seconds)

        asked = time.monotonic()
        await pilot.press("x")
        await until(pilot, lambda: not screen.running)
        elapsed = time.monotonic() - asked
        log.warning("console cancel during a wait took %.3f s", elapsed)
        assert elapsed < 5.0, f"cancel took {elapsed:.1f} s"
        for _ in range(20):
            await app.workers.wait_for_complete()
            await pilot.pause()
            if not any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in app.workers):
                break
        run = store.runs.recent(1)[0]
        assert run.status == "interrupted"
        assert not str(label.render())  # no wait any more
        apply = progress.states["apply"]
        assert apply.reported and apply.total and apply.done < apply.total
        counts = screen.query_one("#phase-apply", PhaseRow).query_one(".phase-counts", Label)
        assert "stopped at" in str(counts.render())
