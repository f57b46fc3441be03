"""80x24 first, and tables that sort: pilot tests on stores seeded with fixed rows (issue #15)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import DataTable, Label, Static
from textual.worker import WorkerCancelled, WorkerState

from crmtui.app import make_app
from crmtui.config import Settings
from crmtui.engine.etl import SourceManager
from crmtui.screens.quality import QualityScreen
from crmtui.screens.runs import RunsScreen
from crmtui.screens.sources import SourcesScreen
from crmtui.store import Store
from crmtui.store.etl import etl_repo
from crmtui.store.scenarios import Audience, Scenario, Step, TemplateRow, Variant, scenario_repo
from crmtui.widgets.sortable import SortableTable, SqlSortedTable, sort_key
from tests.tui.test_etl_screens import _settings as _etl_settings


async def settle(pilot: Pilot[Any], app: App[Any]) -> None:
    """Let the load workers and what they schedule finish."""
    for _ in range(20):
        try:
            await app.workers.wait_for_complete()
        except WorkerCancelled:  # an exclusive reload replaced an earlier one
            pass
        await pilot.pause()
        if not any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in app.workers):
            return


def _history(store: Store, key: str, source: str, customer: str | None) -> None:
    with store.write() as db:
        db.execute(
            "INSERT INTO contact_history (contact_key, customer_key, date_contact, channel, status, source, "
            "row_hash) VALUES (?, ?, '2026-11-02', 'EMAIL', 'SENT', ?, 'h')",
            (key, customer, source),
        )


def test_quality_checks_leave_crmtuis_own_history_rows_alone(store: Store) -> None:
    """A scenario's send to a non-customer, or its open, is not imported data: not a missing customer."""
    _history(store, "scenario-1", "scenarios", None)
    _history(store, "evt-1", "crmtui-events", None)
    _history(store, "crm-1", "isavigne", None)
    issues = {(i.table, i.check): i for i in etl_repo(store).quality_checks()}
    missing = issues[("contact_history", "missing:customer_key")]
    assert missing.count == 1 and [e["key"] for e in missing.examples] == ["crm-1"]


async def test_quality_lists_every_check_with_zero_ones_dimmed(settings: Settings, store: Store) -> None:
    _history(store, "crm-1", "isavigne", None)
    _history(store, "scenario-1", "scenarios", None)
    repo = etl_repo(store)
    checks = repo.quality_checks()
    repo.save_quality(checks, None)
    app = make_app(settings, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(QualityScreen())
        await settle(pilot, app)
        table = app.screen.query_one("#quality-table", DataTable)
        assert table.row_count == len(checks) > 8
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        counts = [cell.plain for cell, *_ in rows]
        assert counts[0] == "1" and set(counts[1:]) == {"0"}  # found first
        assert all("dim" in str(row[0].style) for row in rows[1:]) and "dim" not in str(rows[0][0].style)
        # The count is the first column: never pushed off screen at 80 columns.
        assert table.ordered_columns[0].get_render_width(table) < table.size.width
        title = str(app.screen.query_one("#examples-title", Label).render())
        assert "missing customer" in title and "customer_key" not in title
        when = str(app.screen.query_one("#quality-when", Label).render())
        assert when.startswith("Checked ") and "+00:00" not in when, when  # no raw ISO moment (#15)


def test_quality_checks_name_every_required_field_in_the_operators_words() -> None:
    """No raw column name (``last_name manquant``) on the quality screen or in its report (#15)."""
    from crmtui.engine.etl import quality_label
    from crmtui.i18n import CATALOGUE, get_language, set_language, t
    from crmtui.store.etl import _REQUIRED, QualityIssue

    before = get_language()
    try:
        for language in ("fr", "en"):
            set_language(language)
            for table, fields in _REQUIRED.items():
                for field in fields:
                    assert set(CATALOGUE[f"quality.missing:{field}"]) >= {"fr", "en"}
                    label = quality_label(QualityIssue(table, f"missing:{field}", 1, []))
                    assert "_" not in label and label == t(f"quality.missing:{field}"), (language, label)
        set_language("fr")
        assert quality_label(QualityIssue("customers", "missing:last_name", 1, [])) == "nom manquant"
        assert quality_label(QualityIssue("customers", "missing:zip_code", 1, [])) == "zip code manquant"
        set_language("en")
        assert quality_label(QualityIssue("customers", "missing:last_name", 1, [])) == "missing last name"
    finally:
        set_language(before)


async def test_sources_status_fits_80_columns_and_the_detail_is_under_the_table(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    s = _etl_settings(settings, tmp_path)
    await SourceManager(s, store).run("isavigne")
    app = make_app(s, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(SourcesScreen())
        await settle(pilot, app)
        table = app.screen.query_one("#sources-table", DataTable)
        assert table.row_count >= 1
        labels = [c.label.plain for c in table.ordered_columns]
        assert labels[1] == "Status"
        assert table.virtual_size.width <= table.size.width, "the sources table scrolls at 80 columns"
        row = [str(c) for c in table.get_row_at(0)]
        assert row[:2] == ["isavigne", "partial"]
        detail = str(app.screen.query_one("#source-detail", Label).render())
        assert str(s.isavigne_export_path) in detail and "\nCursor: " in detail
        # The cursor in words (#15): each file and the line it was read up to, no JSON, no hash.
        assert ".csv up to line " in detail and "{" not in detail and "sha" not in detail, detail


def test_cursors_read_as_words_in_both_languages(monkeypatch: pytest.MonkeyPatch) -> None:
    """iSaVigne: the file and its line; Odoo: the table and the write date in local time; others: cut."""
    import time

    from crmtui.engine.etl import cursor_text
    from crmtui.i18n import get_language, set_language

    monkeypatch.setenv("TZ", "Europe/Paris")
    time.tzset()
    before = get_language()
    files = {
        "file:clients_20261102.csv": '{"sha": "d9816f8e9cf01fc98e8def4d2b3280a1", "line": 2808}',
        "file:ventes_20261102.csv": '{"sha": "0a1b", "line": 12}',
    }
    models = {"model:res.partner": '{"write_date": "2026-11-30 13:02:11", "id": 42}'}
    try:
        set_language("fr")
        assert cursor_text("isavigne", files) == (
            "clients_20261102.csv jusqu'à la ligne 2\u202f808; ventes_20261102.csv jusqu'à la ligne 12"
        )
        assert cursor_text("odoo", models) == "clients : changements après le 30/11/2026 14:02"
        assert cursor_text("isavigne", {}) == "—"
        set_language("en")
        assert cursor_text("isavigne", files).startswith("clients_20261102.csv up to line 2,808; ")
        assert cursor_text("odoo", models) == "customers: changes after 30/11/2026, 14:02"
        odd = cursor_text("isavigne", {"clients": '{"sha": "d9816f8e9cf01fc98e8def4d2b3280a1"}'})
        assert odd == "clients: sha d9816f8e9cf0…"
        assert cursor_text("odoo", {"model:res.partner": "not json"}) == "model:res.partner: not json"
    finally:
        set_language(before)
        monkeypatch.delenv("TZ")
        time.tzset()


def _seed_runs(store: Store) -> None:
    with store.write() as db:
        for i, (status, total) in enumerate((("ok", 12), ("failed", 3), ("partial", 40)), start=1):
            db.execute(
                "INSERT INTO sync_runs (kind, mode, started_at, finished_at, status, total, succeeded, failed, "
                "skipped) VALUES ('cycle', 'test', ?, ?, ?, ?, 0, 0, 0)",
                (f"2026-11-0{i}T09:00:00+00:00", f"2026-11-0{i}T09:00:10+00:00", status, total),
            )


def _column(table: DataTable[Any], index: int) -> list[str]:
    out = []
    for i in range(table.row_count):
        cell = table.get_row_at(i)[index]
        out.append(cell.plain if isinstance(cell, Text) else str(cell))
    return out


async def test_sort_key_sorts_by_the_chosen_column_and_again_reverses(
    settings: Settings, store: Store
) -> None:
    _seed_runs(store)
    app = make_app(settings, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(RunsScreen())
        await settle(pilot, app)
        table = app.screen.query_one(SortableTable)
        assert _column(table, 0) == ["3", "2", "1"]  # newest first, as stored
        await pilot.press("S")
        assert _column(table, 0) == ["1", "2", "3"]
        assert table.ordered_columns[0].label.plain == "# ▲"
        await pilot.press("S")
        assert _column(table, 0) == ["3", "2", "1"]
        assert table.ordered_columns[0].label.plain == "# ▼"
        for _ in range(4):  # ← → choose the column even with a row cursor: Status is the 5th
            await pilot.press("right")
        await pilot.press("S")
        assert _column(table, 4) == sorted(_column(table, 4), key=str.casefold)
        assert table.ordered_columns[4].label.plain.endswith("▲")
        assert table.ordered_columns[0].label.plain == "#"
        # A refill (f5, a finished cycle) keeps the order.
        app.screen.reload()
        await settle(pilot, app)
        assert _column(table, 4) == sorted(_column(table, 4), key=str.casefold)
        assert table.ordered_columns[4].label.plain.endswith("▲")


def test_sort_key_reads_numbers_as_the_operators_language_writes_them() -> None:
    from crmtui.i18n import get_language, set_language

    before = get_language()
    try:
        set_language("fr")
        cells = ["217\u202f985,92\u00a0€", "22,2\u00a0%", "9", "—", "abc", "1\u202f000"]
        assert sorted(cells, key=sort_key) == [
            "9",
            "22,2\u00a0%",
            "1\u202f000",
            "217\u202f985,92\u00a0€",
            "abc",
            "—",
        ]
        set_language("en")
        assert sorted(["€1,000.50", "22.2%", "3"], key=sort_key) == ["3", "22.2%", "€1,000.50"]
        # Text as a French reader expects, as the tables sorted in SQL: case and accents aside.
        names = ["Paul", "Émile", "Emma", "élodie", "Œnologue", "Élodie", "d'Aubigné", "Odile"]
        expected = ["d'Aubigné", "élodie", "Élodie", "Émile", "Emma", "Odile", "Œnologue", "Paul"]
        assert sorted(names, key=sort_key) == expected
    finally:
        set_language(before)


async def test_scenario_preview_renders_line_breaks(settings: Settings, store: Store) -> None:
    repo = scenario_repo(store)
    repo.save(
        Scenario(
            name="Bienvenue",
            window_start="00:00",
            window_end="24:00",
            send_days=[1, 2, 3, 4, 5, 6, 7],
            audience=Audience(emails=["anne@exemple.fr"]),
            steps=[Step(1, "welcome", "a", variants=[Variant("A", "a", 1)])],
            templates={"a": TemplateRow("a", "Bonjour", "<p>Bonjour</p>", "Bonjour,\nÀ bientôt.")},
        )
    )
    saved = repo.get("Bienvenue")
    assert saved is not None
    with store.write() as db:  # enrolled, so the preview has a contact to render for
        db.execute(
            "INSERT INTO contact_sequences (scenario_id, contact, next_position, entered_at, updated_at) "
            "VALUES (?, 'anne@exemple.fr', 1, '2026-11-02T10:00:00+00:00', '2026-11-02T10:00:00+00:00')",
            (saved.id,),
        )
    app = make_app(settings, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e")
        await settle(pilot, app)
        await pilot.press("v")
        await pilot.pause()
        shown = app.screen.query_one("#scenario-preview", Static).render()
        text = shown.plain if isinstance(shown, Text) else str(shown)
        assert "\\n" not in text
        assert "Bonjour,\nÀ bientôt." in text


def test_every_long_table_screen_has_the_sort_key() -> None:
    from crmtui.screens.customers import CustomersScreen
    from crmtui.screens.keymap import bindings_of
    from crmtui.screens.reco_quality import RecoQualityScreen
    from crmtui.screens.scenarios import ScenariosScreen
    from crmtui.widgets.sortable import SortKey

    for screen in (
        RunsScreen,
        CustomersScreen,
        SourcesScreen,
        QualityScreen,
        RecoQualityScreen,
        ScenariosScreen,
    ):
        assert issubclass(screen, SortKey), screen.__name__
        sort = [b for b in bindings_of(screen) if b.action == "sort_table"]
        assert [b.key for b in sort] == ["S"] and sort[0].description == "Sort", screen.__name__


async def test_sorted_customers_follow_the_row_under_the_cursor(settings: Settings, store: Store) -> None:
    """After a sort, the customer shown is the one highlighted, not the one at that index before."""
    from crmtui.screens.customers import CustomersScreen
    from crmtui.store.customer_search import name_sort

    with store.write() as db:  # as the ETL writes them: with the name's sort key
        for key, last, spent in (("c-1", "Zola", 300.0), ("c-2", "Aubert", 200.0), ("c-3", "Martin", 100.0)):
            db.execute(
                "INSERT INTO customers (customer_key, last_name, source, row_hash, total_spent_eur, name_sort) "
                "VALUES (?, ?, 'isavigne', 'h', ?, ?)",
                (key, last, spent, name_sort(None, last, None)),
            )
    app = make_app(settings, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(CustomersScreen())
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, CustomersScreen)
        table = screen.query_one("#customer-table", SqlSortedTable)
        table.focus()
        assert _column(table, 1) == ["Zola", "Aubert", "Martin"]  # by amount spent, as searched
        await pilot.press("right", "S")
        await settle(pilot, app)
        assert _column(table, 1) == ["Aubert", "Martin", "Zola"]
        assert table.ordered_columns[1].label.plain.endswith("▲")
        table.move_cursor(row=0)
        await settle(pilot, app)
        assert screen.customer_key == "c-2"
        await pilot.press("down")
        await settle(pilot, app)
        assert screen.customer_key == "c-3"


def test_template_preview_keeps_line_breaks_and_escapes_control_codes() -> None:
    from crmtui.engine.preview import Preview
    from crmtui.screens.template_preview import preview_text

    shown = preview_text(
        Preview("anne@exemple.fr", "a", "A", "Bonjour", "Bonjour,\r\nÀ bientôt.\n\x1b[31m", "<p>Bonjour</p>")
    ).plain
    assert "Bonjour,\nÀ bientôt.\n\\x1b[31m" in shown and "\\n" not in shown and "\x1b" not in shown


LONG_URL = (
    "https://domaine-exemple.us1.list-manage.com/subscribe?u=8f3a9c2b1d4e5f6a7b8c9d0e1&id=a1b2c3d4e5"
    "&EMAIL=marie-christine.dupont-de-la-fontaine%40exemple.fr"
)


async def test_forgotten_cells_stay_on_one_line_and_the_detail_has_it_all(
    settings: Settings, store: Store
) -> None:
    """The forgotten list (#15): one line per cell, cut with "…"; the whole link, name and mark in the pane."""
    from rich.cells import cell_len

    from crmtui.i18n import set_language
    from crmtui.screens.forgotten import ForgottenScreen
    from crmtui.widgets.sync_forgotten import ForgottenTable

    email = "marie-christine.dupont-de-la-fontaine@exemple.fr"
    name = "Marie-Christine Dupont de La Fontaine"
    store.sync.record_forgotten(email, copper_id=None, name=name, url=LONG_URL, run_id=None)
    store.sync.mark_reached(email, "marie@console")
    try:
        for language in ("fr", "en"):
            set_language(language)
            for size in ((80, 24), (120, 40)):
                app = make_app(settings, store)
                async with app.run_test(size=size) as pilot:
                    await pilot.press("o")
                    await settle(pilot, app)
                    assert isinstance(app.screen, ForgottenScreen)
                    table = app.screen.query_one(ForgottenTable)
                    cells = table.get_row_at(0)
                    assert cells[-1].plain == LONG_URL  # cut on screen, whole in the cell
                    for cell in cells:
                        assert cell.no_wrap and cell.overflow == "ellipsis", (language, size, cell.plain)
                    widths = [c.get_render_width(table) for c in table.ordered_columns]
                    for column, width in zip(table.ordered_columns, widths, strict=True):
                        assert width - 2 >= cell_len(column.label.plain), (language, size, column.label.plain)
                    room = table.scrollable_content_region.width
                    if size == (80, 24):  # who, since when, tagged, reached: the link is in the pane
                        assert sum(widths[:5]) <= room, (language, widths, room)
                    else:
                        assert sum(widths) <= room, (language, widths, room)
                    shown = app.screen.query_one("#forgotten-link", Label).render()
                    detail = shown.plain if isinstance(shown, Text) else str(shown)
                    assert LONG_URL in detail and name in detail and email in detail, detail
                    assert "marie@console" in detail, detail
    finally:
        set_language("en")
