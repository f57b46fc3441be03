"""The console's automatic cycles every SYNC_INTERVAL (issue #14), over the loopback sandbox.

No key is pressed: the timer starts the cycles. Waits are on conditions with generous deadlines
(the CI machine is loaded), never fixed sleeps.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Label

from crmtui.app import CrmApp, make_app
from crmtui.config import Settings, load_settings
from crmtui.logs import close_logging
from crmtui.sandbox.harness import Sandbox, running_sandbox
from crmtui.store import Store
from crmtui.store.locks import RUN_LOCK

DEADLINE = 120.0


@pytest.fixture(scope="module")
def served() -> Iterator[Sandbox]:
    with running_sandbox(60, 7, partners=5) as sandbox:
        yield sandbox


def _settings(sb: Sandbox, every: str, lang: str = "en") -> Settings:
    overrides = {"SYNC_MODE": "production", "SYNC_INTERVAL": every, "CRMTUI_LANG": lang}
    return sb.apply_to(load_settings(overrides=overrides, env_file=None, sandbox=True))


@pytest.fixture
def store_for() -> Iterator[Callable[[Settings], Store]]:
    opened: list[Store] = []

    def open_store(settings: Settings) -> Store:
        opened.append(Store(settings.store_path))
        return opened[-1]

    yield open_store
    for store in opened:
        store.close()
    close_logging()


async def _until(pilot: Pilot[int], what: str, condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.1)


def _timer_line(app: CrmApp) -> str:
    return str(app.screen.query_one("#next-run", Label).render())


async def test_two_cycles_start_on_the_timer_without_a_key(
    served: Sandbox, store_for: Callable[[Settings], Store]
) -> None:
    settings = _settings(served, "2s")
    store = store_for(settings)
    app = make_app(settings, store)
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.auto_every == 2
        await _until(pilot, "the countdown", lambda: "Next run in" in _timer_line(app))
        assert "(every 2 s)" in _timer_line(app)
        await _until(pilot, "two cycles", lambda: store.runs.count() >= 2)
        await _until(pilot, "the second cycle's end", lambda: store.runs.recent(1)[0].status != "running")
        await app.workers.wait_for_complete()
    runs = store.runs.recent(5)
    assert [r.kind for r in runs[:2]] == ["cycle", "cycle"]
    assert all(r.status in ("ok", "partial") for r in runs)  # finished (a loaded CI may retry a call)
    # Each automatic cycle has its own run log (every step and action), named as the team knows it.
    logs = sorted(Path(settings.log_dir).glob("sync_log_*.txt"))
    assert logs and any("step sync started" in p.read_text(encoding="utf-8") for p in logs)


async def test_the_timer_is_paused_while_a_run_is_going(
    served: Sandbox, store_for: Callable[[Settings], Store]
) -> None:
    settings = _settings(served, "2s")
    store = store_for(settings)
    app = make_app(settings, store)
    release = threading.Event()
    async with app.run_test(size=(80, 24)) as pilot:
        # Engine work of the console (what the Sync screen's run is): the timer must wait for it.
        app.run_worker(lambda: release.wait(DEADLINE), thread=True, group="sync:run", description="a run")
        await _until(pilot, "the pause", lambda: "timer paused" in _timer_line(app))
        paused_at = time.monotonic()
        await _until(pilot, "three intervals", lambda: time.monotonic() - paused_at > 6)
        assert store.runs.count() == 0 and app.next_cycle_at is None
        assert "timer paused" in _timer_line(app)
        release.set()
        await _until(pilot, "the countdown again", lambda: "Next run in" in _timer_line(app))
        await _until(pilot, "a cycle after the run", lambda: store.runs.count() >= 1)
        await _until(pilot, "its end", lambda: store.runs.recent(1)[0].status != "running")
        await app.workers.wait_for_complete()


async def test_a_cycle_is_skipped_with_a_notice_while_cron_holds_the_lock(
    served: Sandbox, store_for: Callable[[Settings], Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(served, "2s")
    store = store_for(settings)
    with store.write() as db:  # cron (pid 1 is alive on this host) holds the run lock
        db.execute(
            "INSERT INTO locks (name, owner, pid, host, acquired_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            (RUN_LOCK, "cron", 1, socket.gethostname(), "2026-11-25T09:00:00+00:00", time.time() + 3600),
        )
    app = make_app(settings, store)
    seen: list[str] = []  # every notice, even one that expired from the screen (Textual's own notify)
    real = app.notify

    def spy(message: str, **kw: Any) -> None:
        seen.append(str(message))
        real(message, **kw)

    monkeypatch.setattr(app, "notify", spy)
    async with app.run_test(size=(80, 24)) as pilot:

        def skipped() -> list[str]:
            return [m for m in seen if "Automatic run skipped: cron" in m]

        await _until(pilot, "a skip notice", lambda: len(skipped()) >= 1)
        await _until(pilot, "the next try, skipped too", lambda: len(skipped()) >= 2)
        assert store.runs.count() == 0
        assert "Next try in 2 s." in skipped()[0]
        await app.workers.wait_for_complete()


async def test_off_and_french(served: Sandbox, store_for: Callable[[Settings], Store]) -> None:
    from crmtui.i18n import set_language

    store = store_for(_settings(served, "0"))
    app = make_app(_settings(served, "0"), store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.auto_every == 0 and "No automatic runs" in _timer_line(app)
    try:
        app = make_app(_settings(served, "1w", "fr"), store)
        async with app.run_test(size=(80, 24)) as pilot:
            await _until(pilot, "the countdown", lambda: "Prochaine exécution dans" in _timer_line(app))
            assert "dans 7 j 0 h (toutes les 1 sem.)" in _timer_line(app)
    finally:
        set_language("en")
