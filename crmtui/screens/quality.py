"""Data quality: issues by table with drill-down to examples, and the RFM distribution as bars."""

from __future__ import annotations

from datetime import datetime

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Label

import crmtui.i18n.etl  # noqa: F401 - registers the quality.* keys
from crmtui.engine.etl import quality_label, segment_label, table_label
from crmtui.formats import date_time, number
from crmtui.i18n import t
from crmtui.records.canonical import RFM_SEGMENTS
from crmtui.screens.mode_screen import ModeScreen
from crmtui.screens.workers import deliver_changed
from crmtui.store.etl import QualityIssue, etl_repo
from crmtui.text import literal, printable
from crmtui.widgets.footer import Footer
from crmtui.widgets.segment_chart import SegmentChart
from crmtui.widgets.sortable import SortableTable, SortKey, sort_binding
from crmtui.widgets.status import StatusBar


def when_text(when: str | None, path: str | None) -> str:
    """``Checked 02/11/2026, 10:00 · reports/quality_report_….txt`` (local time, the operator's language)."""
    if not when:
        return t("quality.none_yet")
    try:
        shown = date_time(datetime.fromisoformat(when))
    except ValueError:
        shown = printable(when)
    if path:
        return t("quality.when_report", when=shown, path=printable(path))
    return t("quality.when", when=shown)


class QualityScreen(SortKey, ModeScreen):
    """The last data-quality report and the customers per RFM segment.

    Every check is listed with its count (found ones first, zero ones dimmed); at 80 columns the
    checks take the left side, their examples and the RFM bars the right.
    """

    # The layout (80x24 first) is in crmtui.tcss: the app's stylesheet outranks DEFAULT_CSS.

    BINDINGS = [sort_binding("quality")]

    def __init__(self) -> None:
        super().__init__()
        self.issues: list[QualityIssue] = []

    def compose(self) -> ComposeResult:
        """Status bar, issues, examples, RFM bars, footer."""
        yield StatusBar()
        yield Label(t("quality.title"), classes="section-title")
        yield Label("", id="quality-when", markup=False)
        with Horizontal(id="quality-body"):
            yield SortableTable(id="quality-table", cursor_type="row", zebra_stripes=True)
            with Vertical(id="quality-side"):
                yield Label(t("quality.examples"), id="examples-title", classes="section-title")
                yield DataTable(id="examples-table", cursor_type="row", zebra_stripes=True)
                yield Label(t("quality.rfm_title"), classes="section-title")
                yield SegmentChart(id="rfm-bars")
        yield Footer()

    def on_mount(self) -> None:
        """Columns, then load."""
        # The count first: at 80 columns a long check name is cut, never its count.
        self.query_one("#quality-table", DataTable).add_columns(
            t("col.count"), t("col.check"), t("col.table")
        )
        self.query_one("#examples-table", DataTable).add_columns(t("col.key"), t("col.detail"))
        self.reload()

    def on_screen_resume(self) -> None:
        """Re-read when shown again."""
        self.reload()

    @work(
        thread=True, exclusive=True, group="quality:load", exit_on_error=False, description="Reading quality"
    )
    def reload(self) -> None:
        """Read the stored report and the segments in a thread."""
        repo = etl_repo(self.app.store)  # type: ignore[attr-defined]
        issues, when, path = repo.latest_quality()
        segments = repo.segment_counts()
        deliver_changed(self.app, self.show, issues, when, path, segments)

    def show(
        self, issues: list[QualityIssue], when: str | None, path: str | None, segments: dict[str, int]
    ) -> None:
        """Fill the issues table (every check: found ones first, zero ones dimmed) and the RFM bars."""
        self.issues = sorted(issues, key=lambda i: (i.count == 0, i.table, -i.count))
        self.query_one("#quality-when", Label).update(when_text(when, path))
        table = self.query_one("#quality-table", SortableTable)
        table.clear()
        for k, issue in enumerate(self.issues):
            style = "" if issue.count else "dim"
            table.add_row(
                literal(number(issue.count), style),
                literal(quality_label(issue), style),
                literal(table_label(issue.table), style),
                key=str(k),
            )
        table.resort()
        ordered = {segment_label(s): segments.get(s, 0) for s in RFM_SEGMENTS if segments.get(s)}
        self.query_one("#rfm-bars", SegmentChart).show(ordered)
        self.show_examples(self._issue_at(table.cursor_row))

    def _issue_at(self, row: int) -> int:
        """The index in ``self.issues`` of the check shown at ``row`` (the table may be sorted)."""
        table = self.query_one("#quality-table", SortableTable)
        if not table.is_valid_row_index(row):
            return -1
        return int(table.coordinate_to_cell_key(Coordinate(row, 0)).row_key.value or -1)

    def show_examples(self, index: int) -> None:
        """The examples of one issue."""
        grid = self.query_one("#examples-table", DataTable)
        grid.clear()
        title = t("quality.examples")
        if 0 <= index < len(self.issues):
            # The table too: at 80 columns its column is off screen, and "missing customer" is in two.
            issue = self.issues[index]
            title = f"{title} · {table_label(issue.table)} · {quality_label(issue)}"
        self.query_one("#examples-title", Label).update(literal(title))
        if 0 <= index < len(self.issues):
            for example in self.issues[index].examples:
                grid.add_row(literal(example.get("key", "")), literal(example.get("detail", "")))

    @on(DataTable.RowHighlighted, "#quality-table")
    def _issue_highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value if event.row_key is not None else None  # None on an emptied table
        self.show_examples(int(key) if key is not None else -1)
