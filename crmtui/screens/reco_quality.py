"""Recommendation quality: coverage, reasons given, operator feedback and conversions."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.widgets import DataTable, Label

import crmtui.i18n.reco  # noqa: F401 - registers the reco.* keys
from crmtui.engine.reco import RecoConfig, category_label, conversions, reco_config, rule_label
from crmtui.formats import money, number, percent
from crmtui.i18n import t
from crmtui.screens.mode_screen import ModeScreen
from crmtui.screens.workers import deliver_changed
from crmtui.store.reco import Adjustment, Conversion, reco_repo
from crmtui.text import literal, literal_cell, printable
from crmtui.widgets.etl_bars import BarChart
from crmtui.widgets.footer import Footer
from crmtui.widgets.sortable import SortableTable, SortKey, sort_binding
from crmtui.widgets.status import StatusBar

SCENARIO_WIDTH = 18
"""Scenario names are cut at this width in the conversion table (whole on the detail line)."""
VARIANT_WIDTH = 10
"""Variant names likewise: with these, the six columns fit 80 columns, a sorted header's arrow included."""


class RecoQualityScreen(SortKey, ModeScreen):
    """How the recommendations do: who gets one, why, what operators said, what converted."""

    # The layout (80x24 first) is in crmtui.tcss: the app's stylesheet outranks DEFAULT_CSS.

    BINDINGS = [sort_binding("reco_quality")]

    def __init__(self) -> None:
        super().__init__()
        self.converted: dict[str, Conversion] = {}
        """The conversion rows on screen, by row key (the table may be sorted)."""

    def compose(self) -> ComposeResult:
        """Status bar, coverage, reasons as bars, feedback, conversions and their detail line, footer."""
        yield StatusBar()
        yield Label(t("reco.quality.title"), classes="section-title")
        yield Label("", id="reco-coverage")
        yield Label(t("reco.quality.reasons"), classes="section-title")
        yield BarChart(id="reason-bars")
        yield Label(t("reco.quality.feedback"), classes="section-title")
        yield SortableTable(id="feedback-table", cursor_type="row", zebra_stripes=True)
        yield Label("", id="conversion-title", classes="section-title")
        yield SortableTable(id="conversion-table", cursor_type="row", zebra_stripes=True)
        yield Label("", id="conversion-detail", classes="detail-line")
        yield Footer()

    def on_mount(self) -> None:
        """Columns, then load."""
        self.query_one("#feedback-table", DataTable).add_columns(
            t("reco.col.rule"),
            t("reco.col.segment"),
            t("reco.col.product"),
            t("reco.col.count"),
            t("reco.col.factor"),
        )
        conversion = self.query_one("#conversion-table", DataTable)
        conversion.add_column(t("reco.col.scenario"), width=SCENARIO_WIDTH)  # whole on the detail line
        conversion.add_column(t("reco.col.variant"), width=VARIANT_WIDTH)
        conversion.add_columns(
            t("reco.col.sends"),
            t("reco.col.conversions"),
            t("reco.col.rate"),
            t("reco.col.revenue"),
        )
        self.reload()

    def on_screen_resume(self) -> None:
        """Re-read when shown again."""
        self.reload()

    @work(thread=True, exclusive=True, group="reco_quality:load", exit_on_error=False, description="Reading")
    def reload(self) -> None:
        """Read the figures in a thread."""
        store = self.app.store  # type: ignore[attr-defined]
        try:
            config = reco_config(self.app.settings)  # type: ignore[attr-defined]
        except ValueError:
            config = RecoConfig()
        repo = reco_repo(store)
        last = repo.meta("last_run") or {}
        data = (
            repo.coverage(),
            str(last.get("at") or ""),
            repo.reason_distribution(),
            repo.adjustments(),
            conversions(store, config),
            config.conversion_days,
        )
        deliver_changed(self.app, self.show, *data)

    def show(
        self,
        coverage: tuple[int, int, int],
        when: str,
        reasons: dict[str, int],
        adjustments: list[Adjustment],
        converted: list[Conversion],
        days: int,
    ) -> None:
        """Fill the coverage line, the reason bars and both tables."""
        covered, eligible, total = coverage
        share = f"{100 * covered / eligible:.0f}" if eligible else "0"
        line = t(
            "reco.quality.coverage",
            covered=covered,
            eligible=eligible,
            share=share,
            total=total,
            when=printable(when) or t("reco.quality.never"),
        )
        self.query_one("#reco-coverage", Label).update(Text(line))
        self.query_one("#reason-bars", BarChart).show({rule_label(k): v for k, v in reasons.items()})
        feedback = self.query_one("#feedback-table", SortableTable)
        feedback.clear()
        for a in adjustments:
            feedback.add_row(
                literal(rule_label(a.rule)),
                literal(a.segment or "-"),
                literal(category_label(a.category)),
                literal(str(a.feedback_count)),
                literal(number(a.factor, 2)),
            )
        feedback.resort()
        self.query_one("#conversion-title", Label).update(Text(t("reco.quality.conversions", days=days)))
        table = self.query_one("#conversion-table", SortableTable)
        table.clear()
        self.converted = {str(i): c for i, c in enumerate(converted)}
        for key, c in self.converted.items():
            table.add_row(
                literal_cell(c.scenario or "-"),
                literal_cell(c.variant or "-"),
                literal(str(c.sends)),
                literal(str(c.conversions)),
                literal(percent(c.rate)),
                literal(money(c.revenue_eur)),
                key=key,
            )
        table.resort()
        if not converted:  # said under the table: a row would widen the scenario column past 80
            self.query_one("#conversion-detail", Label).update(Text(t("reco.quality.no_conversions")))

    @on(DataTable.RowHighlighted, "#conversion-table")
    def _conversion_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The detail line: the whole scenario and variant names of the row under the cursor."""
        c = self.converted.get(str(event.row_key.value))
        if c is not None:
            line = t("reco.quality.conversion_detail", scenario=c.scenario or "-", variant=c.variant or "-")
            self.query_one("#conversion-detail", Label).update(literal(line))

    def figures(self) -> dict[str, Any]:
        """What the screen shows, for tests: the coverage line and the table sizes."""
        return {
            "coverage": str(self.query_one("#reco-coverage", Label).render()),
            "feedback_rows": self.query_one("#feedback-table", DataTable).row_count,
            "conversion_rows": self.query_one("#conversion-table", DataTable).row_count,
        }
