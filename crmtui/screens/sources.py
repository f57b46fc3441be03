"""Data sources: each ETL source with its last run, cursor, counts and errors; test, run, run full;
add (``a``) or edit (``E`` or Enter) a source in a form whose values go to the ``.env``
(:mod:`crmtui.screens.source_form`).

The screen does no I/O itself: thread workers call the engine (:class:`SourceManager`), whose
events come back as messages and update the live progress line.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.message import Message
from textual.widgets import DataTable, Label

import crmtui.i18n.etl  # noqa: F401 - registers the etl.* keys
from crmtui.connectors.errors import ConnectorError
from crmtui.engine.etl import MappingRow, SourceManager, cursor_text, describe_source, export_kind, mapping
from crmtui.engine.events import Event, StepProgressed
from crmtui.formats import number
from crmtui.i18n import t
from crmtui.screens.column_map import ColumnMapScreen
from crmtui.screens.dashboard import short_time
from crmtui.screens.mode_screen import ModeScreen
from crmtui.screens.source_form import SOURCE_KINDS, SourceFormScreen
from crmtui.screens.workers import deliver, deliver_changed
from crmtui.store.etl import EtlRun, SourceStats, etl_repo
from crmtui.text import literal, printable
from crmtui.widgets.footer import Footer
from crmtui.widgets.sortable import SortableTable, SortKey, sort_binding
from crmtui.widgets.status import StatusBar


@dataclass(frozen=True)
class SourceView:
    """What the table shows for one source."""

    name: str
    where: str
    stats: SourceStats
    cursor: str
    """Its stored cursors as people read them (:func:`crmtui.engine.etl.cursor_text`)."""
    errors: list[tuple[str, str]]


class SourcesScreen(SortKey, ModeScreen):
    """The configured ETL sources.

    At 80 columns the table keeps what decides (source, status, last run, counts, errors); where a
    source reads from, its runs and its cursor, which can be long, are on the lines under it.
    """

    # The layout (80x24 first) is in crmtui.tcss: the app's stylesheet outranks DEFAULT_CSS.

    BINDINGS = [
        Binding("t", "test_source", t("key.etl_test"), id="sources.test"),
        Binding("n", "run_source", t("key.etl_run"), id="sources.run"),
        Binding("f", "run_full", t("key.etl_full"), id="sources.full"),
        Binding("m", "toggle_mapping", t("key.etl_mapping"), id="sources.mapping"),
        Binding("M", "map_column", t("key.etl_map_column"), id="sources.map_column"),
        Binding("a", "add_source", t("key.etl_add"), id="sources.add", tooltip=t("key.etl_add.tip")),
        Binding("E", "edit_source", t("key.etl_edit"), id="sources.edit", tooltip=t("key.etl_edit.tip")),
        sort_binding("sources"),
    ]

    @dataclass
    class Progressed(Message):
        """Live progress of a source run."""

        text: str

    def compose(self) -> ComposeResult:
        """Status bar, sources, progress line, errors or mapping, footer."""
        yield StatusBar()
        yield Label(t("sources.title"), classes="section-title")
        yield DataTable(id="sources-table", cursor_type="row", zebra_stripes=True)
        yield Label("", id="source-detail", classes="detail-line", markup=False)
        yield Label("", id="etl-progress", markup=False)
        yield Label(t("sources.errors"), id="detail-title", classes="section-title")
        yield SortableTable(id="errors-table", cursor_type="row", zebra_stripes=True)
        yield DataTable(id="mapping-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        """Columns, then load."""
        self.query_one("#sources-table", DataTable).add_columns(
            t("col.source"),
            t("col.status"),
            t("col.last_run"),
            t("col.counts"),
            t("col.errors"),
        )
        self.query_one("#errors-table", DataTable).add_columns(t("col.location"), t("col.reason"))
        self.query_one("#mapping-table", DataTable).add_columns(
            t("col.table"), t("col.field"), t("col.feeds"), t("col.filled")
        )
        self.query_one("#mapping-table").display = False
        self.reload()

    def on_screen_resume(self) -> None:
        """Re-read when shown again."""
        self.reload()

    # -- data -------------------------------------------------------------------------------

    @property
    def manager(self) -> SourceManager:
        """The engine's source manager over the app's settings and store."""
        return SourceManager(self.app.settings, self.app.store)  # type: ignore[attr-defined]

    def selected(self) -> str | None:
        """The source under the cursor, if any."""
        table = self.query_one("#sources-table", DataTable)
        if not table.row_count:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    @work(
        thread=True, exclusive=True, group="sources:load", exit_on_error=False, description="Reading sources"
    )
    def reload(self) -> None:
        """Read every source's statistics in a thread and show them."""
        manager = self.manager
        repo = etl_repo(manager.store)
        views: list[SourceView] = []
        for stats in manager.stats():
            errors: list[tuple[str, str]] = []
            if stats.last is not None:
                errors = [(e.location, e.reason) for e in repo.errors(stats.last.id, 200)]
            views.append(
                SourceView(
                    stats.source,
                    describe_source(manager.settings, stats.source),
                    stats,
                    cursor_text(stats.source, repo.cursors(stats.source)),
                    errors,
                )
            )
        deliver_changed(self.app, self.show_sources, views)

    def show_sources(self, views: list[SourceView]) -> None:
        """Fill the sources and errors tables."""
        table = self.query_one("#sources-table", DataTable)
        keep = self.selected()
        table.clear()
        for view in views:
            last: EtlRun | None = view.stats.last
            table.add_row(
                literal(view.name),
                literal(
                    t(f"status.{last.status}")
                    if last and last.status != "running"
                    else (last.status if last else "—")
                ),
                literal(short_time(last.started_at) if last else "—"),
                literal(
                    f"{number(sum(last.processed.values()))} / {number(sum(last.changed.values()))}"
                    if last
                    else ""
                ),
                literal(number(last.error_count) if last else ""),
                key=view.name,
            )
        self.views = {view.name: view for view in views}
        if not views:
            self.query_one("#etl-progress", Label).update(t("sources.none"))
        if keep is not None and keep in {v.name for v in views}:
            table.move_cursor(row=[v.name for v in views].index(keep))
        self.show_selected(self.selected())
        self.refresh_bindings()

    def show_selected(self, name: str | None) -> None:
        """The selected source's errors, and where it reads from and its cursor under the table."""
        view = getattr(self, "views", {}).get(name) if name else None
        grid = self.query_one("#errors-table", SortableTable)
        grid.clear()
        for location, reason in view.errors if view is not None else []:
            grid.add_row(literal(location), literal(reason))
        grid.resort()
        text = Text()
        if view is not None:  # the cursor on a line of its own: one file or model after another
            runs, ok, failed = (
                number(n) for n in (view.stats.runs, view.stats.successes, view.stats.failures)
            )
            text = literal(t("layout.source_detail", where=view.where, runs=runs, ok=ok, failed=failed))
            text.append("\n")
            text.append_text(literal(t("layout.source_cursor", cursor=view.cursor)))
        self.query_one("#source-detail", Label).update(text)

    # -- actions ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Edit is dimmed until a source the form knows is selected."""
        if action == "edit_source":
            try:
                return True if self.selected() in SOURCE_KINDS else None
            except NoMatches:
                return None
        return True

    def action_add_source(self) -> None:
        """Open the form to add a source; what it saves goes to the ``.env`` (the table reloads on return)."""
        self.app.push_screen(SourceFormScreen(self.app.settings))  # type: ignore[attr-defined]

    def action_edit_source(self) -> None:
        """Open the form on the selected source."""
        name = self.selected()
        if name in SOURCE_KINDS:
            self.app.push_screen(SourceFormScreen(self.app.settings, kind=name))  # type: ignore[attr-defined]

    def action_test_source(self) -> None:
        """Check the selected source can be read."""
        name = self.selected()
        if name:
            self.test_worker(name)

    def action_run_source(self) -> None:
        """Import from the selected source now (incremental)."""
        name = self.selected()
        if name:
            self.run_worker_for(name, full=False)

    def action_run_full(self) -> None:
        """Import everything again from the selected source (cursors and file hashes forgotten)."""
        name = self.selected()
        if name:
            self.run_worker_for(name, full=True)

    def action_toggle_mapping(self) -> None:
        """Show the mapping view of the selected source instead of its errors, or back."""
        grid = self.query_one("#mapping-table", DataTable)
        showing = not grid.display
        grid.display = showing
        self.query_one("#errors-table").display = not showing
        self.query_one("#detail-title", Label).update(t("sources.mapping" if showing else "sources.errors"))
        name = self.selected()
        if showing and name:
            self.mapping_worker(name)

    @work(
        thread=True, exclusive=True, group="sources:test", exit_on_error=False, description="Testing a source"
    )
    def test_worker(self, name: str) -> None:
        """Run the engine's test in this thread's own event loop."""
        try:
            line = asyncio.run(self.manager.test(name))
            self.app.call_from_thread(self.notify, printable(line), markup=False)
        except ConnectorError as exc:
            self.app.call_from_thread(self.notify, printable(str(exc)), severity="error", markup=False)

    @work(thread=True, exclusive=True, group="sources:run", exit_on_error=False, description="Importing")
    def run_worker_for(self, name: str, *, full: bool) -> None:
        """Run one source; progress events become :class:`Progressed` messages."""

        def emit(event: Event) -> None:
            if isinstance(event, StepProgressed):
                self.post_message(self.Progressed(event.detail))

        self.post_message(self.Progressed(t("sources.running", source=name)))
        result = asyncio.run(self.manager.run(name, full=full, emit=emit))
        self.post_message(self.Progressed(result.detail))
        self.app.call_from_thread(self.reload)

    @work(thread=True, exclusive=True, group="sources:mapping", exit_on_error=False, description="Mapping")
    def mapping_worker(self, name: str) -> None:
        """Compute the mapping view in a thread."""
        rows = mapping(self.app.store, name)  # type: ignore[attr-defined]
        deliver(self.app, self.show_mapping, rows)

    def show_mapping(self, rows: list[MappingRow]) -> None:
        """Fill the mapping table; unmapped and always-empty fields are highlighted."""
        grid = self.query_one("#mapping-table", DataTable)
        grid.clear()
        self._mapping_rows = {f"{row.table}|{row.field}": row for row in rows}
        for row in rows:
            style = {"unmapped": "bold red", "empty": "yellow"}.get(row.state, "")
            feeder = row.feeder or t("mapping.unmapped")
            filled = f"{row.filled}/{row.rows}" + (f"  {t('mapping.empty')}" if row.state == "empty" else "")
            grid.add_row(
                literal(row.table),
                literal(row.field, style),
                literal(feeder, style),
                literal(filled, style),
                key=f"{row.table}|{row.field}",
            )

    def action_map_column(self) -> None:
        """In the iSaVigne mapping view: map one of the operator's headers to the selected row's field."""
        grid = self.query_one("#mapping-table", DataTable)
        if not grid.display or self.selected() != "isavigne" or not grid.row_count:
            self.notify(t("colmap.where"), markup=False)
            return
        key = str(grid.coordinate_to_cell_key(grid.cursor_coordinate).row_key.value)
        row = getattr(self, "_mapping_rows", {}).get(key)
        kind = export_kind(row.table) if row is not None else None
        if row is None or kind is None or row.feeder is None:
            self.notify(t("colmap.no_field"), severity="warning", markup=False)
            return

        def done(saved: str | None) -> None:
            if saved is not None:
                self.mapping_worker("isavigne")

        self.app.push_screen(ColumnMapScreen(self.app.settings, kind, row.feeder), done)  # type: ignore[attr-defined]

    @on(Progressed)
    def _progressed(self, message: Progressed) -> None:
        self.query_one("#etl-progress", Label).update(message.text)

    @on(DataTable.RowSelected, "#sources-table")
    def _source_selected(self, _: DataTable.RowSelected) -> None:
        """Enter on a source edits it."""
        self.action_edit_source()

    @on(DataTable.RowHighlighted, "#sources-table")
    def _source_highlighted(self, _: DataTable.RowHighlighted) -> None:
        self.show_selected(self.selected())
        if self.query_one("#mapping-table").display:
            name = self.selected()
            if name:
                self.mapping_worker(name)
