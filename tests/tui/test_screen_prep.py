"""Screens built ahead while the operator is idle (issue #15, "every key under 200 ms").

A mode's first visit used to compose, mount and style its whole screen on the key. The console now
builds each mode's screen while nobody types (``CrmApp._prepare_next_screen``), so a first visit
only resumes it. These tests show the screens are built without being shown, and that a screen
built before a cycle shows that cycle's data when visited (its visit reloads it).
"""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable

from crmtui.app import CrmApp
from crmtui.config import load_settings
from crmtui.engine.cycle import run_cycle
from crmtui.sandbox.harness import running_sandbox
from crmtui.store import Store
from tests.tui.test_console_speed import until


def _built(app: CrmApp) -> bool:
    return app.screens_prepared()


async def test_idle_console_builds_every_screen_without_showing_one(tmp_path: Path) -> None:
    with running_sandbox(60, exports_dir=tmp_path / "exports") as sb:
        settings = sb.apply_to(load_settings({}, env_file=None, sandbox=True))
        store = Store(settings.store_path)
        try:
            app = CrmApp(settings, store)
            async with app.run_test(size=(120, 40)) as pilot:
                assert not _built(app)  # nothing built at start: the dashboard comes first
                await until(pilot, lambda: _built(app), "every screen built ahead")
                assert app.current_mode == "dashboard"
                assert all(app._screen_stacks[m][0].is_mounted for m in CrmApp.MODES)
                # Built before any data: the cycle fills the store, then each visit shows it.
                await run_cycle(settings, store, owner="test")
                assert next(store.sync.pending_listing(), None) is not None
                await pilot.press("b")
                assert app.current_mode == "deletions"
                table = app.screen.query_one(DataTable)
                await until(pilot, lambda: table.row_count > 0, "the deletion queue the cycle filled")
                await pilot.press("k")
                assert app.current_mode == "customers"
                customers = app.screen.query_one("#customer-table", DataTable)
                await until(pilot, lambda: customers.row_count > 0, "the customers the cycle loaded")
        finally:
            store.close()


async def test_screen_building_can_be_turned_off(tmp_path: Path) -> None:
    settings = load_settings({"CRMTUI_DATA_DIR": str(tmp_path)}, env_file=None, sandbox=True)
    store = Store(settings.store_path)
    try:
        app = CrmApp(settings, store, prepare_screens=False)
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(3):
                await pilot.pause(1.0)
            assert list(app._screen_stacks) == ["dashboard"]
    finally:
        store.close()


async def test_a_visit_after_a_theme_change_shows_the_new_theme(tmp_path: Path) -> None:
    """A built screen keeps its styles on a visit only while they are current (``ModeScreen``)."""
    settings = load_settings({"CRMTUI_DATA_DIR": str(tmp_path)}, env_file=None, sandbox=True)
    store = Store(settings.store_path)
    try:
        app = CrmApp(settings, store)
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: _built(app), "every screen built ahead")
            runs = app._screen_stacks["runs"][0]
            dark = runs.styles.background
            app.theme = "textual-light"
            await pilot.pause()
            await pilot.press("h")
            await until(pilot, lambda: app.current_mode == "runs", "the Runs screen")
            await pilot.pause()
            assert app.screen is runs
            assert runs.styles.background != dark, "the light theme's background"
    finally:
        store.close()


async def test_unchanged_data_is_not_drawn_again(tmp_path: Path) -> None:
    """``deliver_changed``: a reload that reads what is shown does not refill the tables."""
    settings = load_settings({"CRMTUI_DATA_DIR": str(tmp_path)}, env_file=None, sandbox=True)
    store = Store(settings.store_path)
    try:
        app = CrmApp(settings, store, prepare_screens=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("h")
            await until(pilot, lambda: app.current_mode == "runs", "the Runs screen")
            screen = app.screen
            table = screen.query_one(DataTable)

            def loaded() -> bool:
                return not any(not w.is_finished for w in app.workers if w.group == "runs:load")

            await until(pilot, loaded, "the first read")
            await pilot.pause()
            table.add_row(*[""] * len(table.columns), key="marker")  # drawn by nobody but this test
            screen.reload()  # type: ignore[attr-defined]
            await until(pilot, loaded, "the reload")
            await pilot.pause()
            assert table.row_count == 1, "the same (empty) list of runs: the table was not refilled"
            store.runs.start("sync", mode="test")
            screen.reload()  # type: ignore[attr-defined]
            await until(
                pilot, lambda: "marker" not in table.rows and table.row_count == 1, "the new run drawn"
            )
    finally:
        store.close()
