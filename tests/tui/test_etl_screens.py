"""Pilot tests of the data sources and data quality screens."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

from rich.text import Text
from textual.widgets import DataTable, Label

from crmtui.app import make_app
from crmtui.config import Settings
from crmtui.engine.etl import SourceManager, run_quality
from crmtui.sandbox.isavigne_data import write_exports
from crmtui.screens.quality import QualityScreen
from crmtui.screens.sources import SourcesScreen
from crmtui.store import Store
from crmtui.store.etl import etl_repo
from crmtui.widgets.segment_chart import SegmentChart
from tests.tui.support import settle

HOSTILE = "[@click=app.quit]Q[/] \x1b[31mX"


def _settings(settings: Settings, tmp_path: Path) -> Settings:
    exports = write_exports(tmp_path / "ex", customers=25, seed=9, export_date=date(2025, 6, 1))
    return dataclasses.replace(settings, isavigne_export_path=exports["clients"].parent)


async def test_sources_screen_runs_an_import_and_shows_errors_and_mapping(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    s = _settings(settings, tmp_path)
    app = make_app(s, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.push_screen(SourcesScreen())
        await settle(app, pilot)
        table = app.screen.query_one("#sources-table", DataTable)
        assert table.row_count == 1
        await pilot.press("n")
        await settle(app, pilot)
        assert etl_repo(store).counts()["customers"] == 25
        progress = str(app.screen.query_one("#etl-progress", Label).render())
        assert "isavigne" in progress and "skipped" in progress
        row = [str(c) for c in table.get_row_at(0)]
        assert row[0] == "isavigne" and row[4] == "2"  # the malformed line and the duplicate code
        errors = app.screen.query_one("#errors-table", DataTable)
        assert any("ventes_" in str(errors.get_row_at(i)[0]) for i in range(errors.row_count))
        await pilot.press("m")
        await settle(app, pilot)
        grid = app.screen.query_one("#mapping-table", DataTable)
        assert grid.display and grid.row_count > 30
        cells = [[str(c) for c in grid.get_row_at(i)] for i in range(grid.row_count)]
        unmapped = [c for c in cells if c[2] == "unmapped"]
        assert any(c[1] == "flavors" for c in cells)
        assert unmapped, "contact_history has no feeder in an iSaVigne export"
        assert any("always empty" in c[3] for c in cells)


async def test_quality_screen_shows_issues_examples_and_rfm_bars(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    s = _settings(settings, tmp_path)
    await SourceManager(s, store).run("isavigne")
    with store.write() as db:
        db.execute("UPDATE customers SET email = ? WHERE customer_key = 'isavigne-C00001'", ("x@@y",))
        db.execute(
            "UPDATE customers SET invalid_fields = 'email', last_name = ? WHERE customer_key = 'isavigne-C00001'",
            (HOSTILE,),
        )
    run_quality(store, s, as_of=date(2025, 6, 1))
    app = make_app(s, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.push_screen(QualityScreen())
        await settle(app, pilot)
        table = app.screen.query_one("#quality-table", DataTable)
        checks = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        assert "invalid email" in checks and "negative stock" in checks
        index = checks.index("invalid email")
        table.move_cursor(row=index)
        await pilot.pause()
        examples = app.screen.query_one("#examples-table", DataTable)
        keys = [str(examples.get_row_at(i)[0]) for i in range(examples.row_count)]
        assert "isavigne-C00001" in keys
        bars = app.screen.query_one("#rfm-bars", SegmentChart)
        assert sum(bars.counts.values()) == 25
        assert bars.region.height >= 6 and bars.region.right <= 120
        drawn = Text.from_ansi(bars.plt.build()).plain  # the picture, as textual-plotext renders it
        assert any(label in drawn for label in bars.counts), drawn


async def test_keys_and_palette_reach_both_screens(settings: Settings, store: Store, tmp_path: Path) -> None:
    app = make_app(_settings(settings, tmp_path), store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("s")
        await settle(app, pilot)
        assert isinstance(app.screen, SourcesScreen)
        await pilot.press("Q")
        await settle(app, pilot)
        assert isinstance(app.screen, QualityScreen)
        assert "No report yet: s (Sources), then n" in str(
            app.screen.query_one("#quality-when", Label).render()
        )
    from crmtui.screens.palette import GLOBAL_COMMANDS

    assert {"show_sources", "show_quality"} <= {c.action for c in GLOBAL_COMMANDS}


async def test_mapping_view_maps_an_operators_header_into_the_env(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    s = dataclasses.replace(_settings(settings, tmp_path), sandbox=False)
    app = make_app(s, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.push_screen(SourcesScreen())
        await settle(app, pilot)
        await pilot.press("m")
        await settle(app, pilot)
        grid = app.screen.query_one("#mapping-table", DataTable)
        keys = [str(grid.coordinate_to_cell_key((i, 0)).row_key.value) for i in range(grid.row_count)]
        grid.move_cursor(row=keys.index("customers|customer_key"))
        await pilot.press("M")
        await settle(app, pilot)
        field = app.screen.query_one("#colmap-header")
        field.value = "Numéro fidélité"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, SourcesScreen)
        env = (tmp_path / ".env").read_text()
        assert "ISAVIGNE_COLUMNS=" in env and "clients:numero_fidelite=code" in env
        assert app.settings.isavigne_columns == {"clients": {"numero_fidelite": "code"}}  # type: ignore[attr-defined]
