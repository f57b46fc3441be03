"""Run history: every recorded cycle with its outcome, report and log files."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label

from crmtui.i18n import t
from crmtui.screens.dashboard import short_time
from crmtui.screens.workers import deliver
from crmtui.store.runs import Run
from crmtui.text import literal
from crmtui.widgets.status import StatusBar


class RunsScreen(Screen[None]):
    """The last 200 runs, newest first."""

    def compose(self) -> ComposeResult:
        """Status bar, title, table, footer."""
        yield StatusBar()
        yield Label(t("runs.title"), classes="section-title")
        yield DataTable(id="all-runs", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        """Columns, then load."""
        table = self.query_one(DataTable)
        table.add_columns(
            "#",
            t("col.started"),
            t("col.kind"),
            t("col.mode"),
            t("col.status"),
            t("col.duration"),
            t("col.summary"),
        )
        self.reload()

    def on_screen_resume(self) -> None:
        """Re-read when shown again."""
        self.reload()

    @work(thread=True, exclusive=True, group="runs:load", exit_on_error=False, description="Reading runs")
    def reload(self) -> None:
        """Read runs in a thread and show them."""
        runs = self.app.store.runs.recent(200)  # type: ignore[attr-defined]
        deliver(self.app, self.show_runs, runs)

    def show_runs(self, runs: list[Run]) -> None:
        """Fill the table."""
        table = self.query_one(DataTable)
        table.clear()
        for run in runs:
            mode = (
                run.mode.upper()
                + (" · dry run" if run.dry_run else "")
                + (" · sandbox" if run.sandbox else "")
            )
            table.add_row(
                str(run.id),
                short_time(run.started_at),
                literal(run.kind),
                literal(mode),
                literal(t(f"status.{run.status}")),
                literal(_duration(run)),
                literal(f"{run.total} · {run.succeeded} ✔ · {run.failed} ✘ · {run.skipped} ↷"),
                key=str(run.id),
            )


def _duration(run: Run) -> str:
    from datetime import datetime

    if not run.finished_at:
        return ""
    try:
        seconds = (
            datetime.fromisoformat(run.finished_at) - datetime.fromisoformat(run.started_at)
        ).total_seconds()
    except ValueError:
        return ""
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"
