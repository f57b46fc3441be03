"""The dashboard: real figures from the store, last runs and contacts awaiting a decision."""

from __future__ import annotations

from dataclasses import dataclass, field

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Label

from crmtui.i18n import t
from crmtui.screens.mode_screen import ModeScreen
from crmtui.screens.workers import deliver_changed
from crmtui.store.contacts import PendingDecision
from crmtui.store.runs import Run
from crmtui.text import literal
from crmtui.widgets.figure import Figure
from crmtui.widgets.footer import Footer
from crmtui.widgets.run_trend import TREND_RUNS, RunTrend
from crmtui.widgets.status import StatusBar


@dataclass(frozen=True)
class DashboardData:
    """A snapshot of the figures the dashboard shows."""

    contacts: int
    pending: int
    forgotten: int
    runs: int
    last_runs: list[Run]
    pending_list: list[PendingDecision]
    trend: list[Run] = field(default_factory=list)


def short_time(iso: str | None) -> str:
    """``2026-11-25T09:07:15+00:00`` → local ``25/11 10:07``."""
    if not iso:
        return ""
    from datetime import datetime

    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%d/%m %H:%M")
    except ValueError:
        return iso


class DashboardScreen(ModeScreen):
    """Figures, last runs, pending decisions."""

    def compose(self) -> ComposeResult:
        """Status bar, four figures, two tables, footer."""
        yield StatusBar()
        with Horizontal(id="figures"):
            yield Figure(t("dashboard.contacts"), id="fig-contacts")
            yield Figure(t("dashboard.pending"), id="fig-pending")
            yield Figure(t("dashboard.forgotten"), id="fig-forgotten")
            yield Figure(t("dashboard.runs"), id="fig-runs")
        yield Label("", id="next-run", markup=False)
        yield RunTrend(id="dashboard-trend")
        with Vertical(id="dashboard-tables"):
            yield Label(t("dashboard.last_runs"), classes="section-title")
            yield DataTable(id="runs-table", cursor_type="row", zebra_stripes=True)
            yield Label(t("dashboard.pending_list"), classes="section-title")
            yield DataTable(id="pending-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        """Set up the tables and load the figures."""
        runs = self.query_one("#runs-table", DataTable)
        runs.add_columns("#", t("col.started"), t("col.kind"), t("col.status"), t("col.summary"))
        pending = self.query_one("#pending-table", DataTable)
        # The whole email and the tag first: at 80 columns a long name is what gets cut.
        pending.add_columns(t("col.email"), t("col.tag"), t("col.since"), t("col.name"))
        self.show_timer()
        self.set_interval(1.0, self.show_timer)
        self.reload()

    def show_timer(self) -> None:
        """SYNC_INTERVAL's countdown: "next run in …", paused during a run, or off."""
        text = getattr(self.app, "timer_text", None)
        self.query_one("#next-run", Label).update(text() if callable(text) else "")

    def on_screen_resume(self) -> None:
        """Figures may have changed while another screen was shown."""
        self.reload()

    def on_resize(self) -> None:
        """The run chart only where it leaves the tables room (80x24 keeps the tables)."""
        self.query_one(RunTrend).set_class(self.size.height < TREND_MIN_HEIGHT, "-short")

    @work(
        thread=True,
        exclusive=True,
        group="dashboard:load",
        exit_on_error=False,
        description="Reading figures",
    )
    def reload(self) -> DashboardData:
        """Read the figures in a thread (SQLite is blocking) and show them."""
        store = self.app.store  # type: ignore[attr-defined]
        trend = store.runs.recent(max(TREND_RUNS, LAST_RUNS))  # one read for the table and the chart
        data = DashboardData(
            contacts=store.contacts.count(),
            pending=store.contacts.pending_count(),
            forgotten=store.contacts.forgotten_count(),
            runs=store.runs.count(),
            pending_list=store.contacts.pending(50),
            trend=trend,
            last_runs=trend[:LAST_RUNS],
        )
        deliver_changed(self.app, self.show_data, data)
        return data

    def show_data(self, data: DashboardData) -> None:
        """Put a snapshot on screen. Untrusted text goes through ``literal``."""
        self.query_one("#fig-contacts", Figure).value = data.contacts
        pending_fig = self.query_one("#fig-pending", Figure)
        pending_fig.value = data.pending
        pending_fig.set_class(data.pending > 0, "-attention")
        forgotten_fig = self.query_one("#fig-forgotten", Figure)
        forgotten_fig.value = data.forgotten
        forgotten_fig.set_class(data.forgotten > 0, "-attention")
        self.query_one("#fig-runs", Figure).value = data.runs
        runs = self.query_one("#runs-table", DataTable)
        runs.clear()
        for run in data.last_runs:
            counts = f"{run.succeeded} ✔ {run.failed} ✘ {run.skipped} ↷" if run.total else ""
            runs.add_row(
                str(run.id),
                short_time(run.started_at),
                literal(run.kind),
                literal(t(f"status.{run.status}"), style=_STATUS_STYLE.get(run.status, "")),
                literal(counts),
                key=str(run.id),
            )
        if not data.last_runs:
            # In the last column: a column never narrows again, so the message would widen "Kind".
            runs.add_row("", "", "", "", literal(t("dashboard.no_runs")))
        pending = self.query_one("#pending-table", DataTable)
        pending.clear()
        for item in data.pending_list:
            pending.add_row(
                literal(item.email),
                literal(item.tag),
                short_time(item.detected_at),
                literal(item.name),
                key=item.email,
            )
        if not data.pending_list:
            pending.add_row(literal(t("dashboard.no_pending")), "", "", "")
        self.query_one(RunTrend).show_runs(data.trend)  # last: the tables are filled whatever it draws


LAST_RUNS = 8
"""Rows of the dashboard's run table."""

TREND_MIN_HEIGHT = 34
"""Terminal rows from which the dashboard shows the run chart (the Runs screen always does)."""

_STATUS_STYLE = {
    "ok": "green",
    "partial": "yellow",
    "failed": "red",
    "interrupted": "yellow",
    "running": "cyan",
}
