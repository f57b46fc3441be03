"""Data quality: issues by table with drill-down to examples, and the RFM distribution as bars."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label

import crmtui.i18n_etl  # noqa: F401 - registers the quality.* keys
from crmtui.engine.etl import quality_label, segment_label, table_label
from crmtui.i18n import t
from crmtui.records.canonical import RFM_SEGMENTS
from crmtui.screens.workers import deliver
from crmtui.store.etl import QualityIssue, etl_repo
from crmtui.text import literal
from crmtui.widgets.etl_bars import BarChart
from crmtui.widgets.status import StatusBar


class QualityScreen(Screen[None]):
    """The last data-quality report and the customers per RFM segment."""

    def __init__(self) -> None:
        super().__init__()
        self.issues: list[QualityIssue] = []

    def compose(self) -> ComposeResult:
        """Status bar, issues, examples, RFM bars, footer."""
        yield StatusBar()
        yield Label(t("quality.title"), classes="section-title")
        yield Label("", id="quality-when", markup=False)
        yield DataTable(id="quality-table", cursor_type="row", zebra_stripes=True)
        yield Label(t("quality.examples"), classes="section-title")
        yield DataTable(id="examples-table", cursor_type="row", zebra_stripes=True)
        yield Label(t("quality.rfm_title"), classes="section-title")
        yield BarChart(id="rfm-bars")
        yield Footer()

    def on_mount(self) -> None:
        """Columns, then load."""
        self.query_one("#quality-table", DataTable).add_columns(
            t("col.table"), t("col.check"), t("col.count")
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
        deliver(self.app, self.show, issues, when, path, segments)

    def show(
        self, issues: list[QualityIssue], when: str | None, path: str | None, segments: dict[str, int]
    ) -> None:
        """Fill the issues table (issues found first) and the RFM bars."""
        self.issues = sorted((i for i in issues if i.count), key=lambda i: (i.table, -i.count))
        self.query_one("#quality-when", Label).update(f"{when} · {path}" if when else t("quality.none_yet"))
        table = self.query_one("#quality-table", DataTable)
        table.clear()
        for k, issue in enumerate(self.issues):
            table.add_row(
                literal(table_label(issue.table)),
                literal(quality_label(issue)),
                literal(str(issue.count)),
                key=str(k),
            )
        ordered = {segment_label(s): segments.get(s, 0) for s in RFM_SEGMENTS if segments.get(s)}
        self.query_one("#rfm-bars", BarChart).show(ordered)
        self.show_examples(0)

    def show_examples(self, index: int) -> None:
        """The examples of one issue."""
        grid = self.query_one("#examples-table", DataTable)
        grid.clear()
        if 0 <= index < len(self.issues):
            for example in self.issues[index].examples:
                grid.add_row(literal(example.get("key", "")), literal(example.get("detail", "")))

    @on(DataTable.RowHighlighted, "#quality-table")
    def _issue_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_examples(event.cursor_row)
