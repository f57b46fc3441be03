"""Run history: every recorded cycle with its outcome; Enter opens one run's steps, report and log."""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Label

from crmtui.formats import number
from crmtui.i18n import t
from crmtui.screens.dashboard import short_time
from crmtui.screens.lines import LinesScreen
from crmtui.screens.mode_screen import ModeScreen
from crmtui.screens.workers import deliver_changed
from crmtui.store.runs import Run
from crmtui.text import literal, printable
from crmtui.widgets.footer import Footer
from crmtui.widgets.run_trend import RunTrend
from crmtui.widgets.sortable import SortableTable, SortKey, sort_binding
from crmtui.widgets.status import StatusBar

LOG_TAIL = 2_000
"""At most this many lines of a log are shown (the end of it: a daily log can be long)."""


class RunsScreen(SortKey, ModeScreen):
    """The last 200 runs, newest first; the highlighted one's mode and counts in words under the table."""

    BINDINGS = [
        Binding("enter", "open_run", t("runs.key.open"), id="runs.open"),
        sort_binding("runs"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.runs: dict[str, Run] = {}

    def compose(self) -> ComposeResult:
        """Status bar, title, table, footer."""
        yield StatusBar()
        yield Label(t("runs.title"), classes="section-title")
        yield RunTrend(id="runs-trend")
        yield SortableTable(id="all-runs", cursor_type="row", zebra_stripes=True)
        yield Label("", id="run-line", classes="detail-line", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        """Columns, then load."""
        table = self.query_one(DataTable)
        table.add_columns(
            "#",
            t("col.started"),
            t("col.kind"),
            t("col.status"),
            t("col.duration"),
            t("col.summary"),
        )
        table.focus()
        self.reload()

    def on_screen_resume(self) -> None:
        """Re-read when shown again."""
        self.reload()

    @work(thread=True, exclusive=True, group="runs:load", exit_on_error=False, description="Reading runs")
    def reload(self) -> None:
        """Read runs in a thread and show them."""
        runs = self.app.store.runs.recent(200)  # type: ignore[attr-defined]
        deliver_changed(self.app, self.show_runs, runs)

    def show_runs(self, runs: list[Run]) -> None:
        """Fill the table."""
        table = self.query_one(SortableTable)
        table.clear()
        self.runs = {str(run.id): run for run in runs}
        self.query_one(RunTrend).show_runs(runs)
        for run in runs:
            table.add_row(
                str(run.id),
                short_time(run.started_at),
                literal(run.kind),
                literal(t(f"status.{run.status}")),
                literal(_duration(run)),
                literal(f"{number(run.succeeded)} ✔ · {number(run.failed)} ✘ · {number(run.skipped)} ↷"),
                key=str(run.id),
            )
        table.resort()
        if not runs:  # what would appear here, and the key that fills it
            self.query_one("#run-line", Label).update(literal(t("runs.empty")))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The mode and the counts in words of the highlighted run, under the table."""
        # No row key on an emptied table (a store with no run yet).
        run = self.runs.get(str(event.row_key.value)) if event.row_key is not None else None
        text = ""
        if run is not None:
            counts = t(
                "runs.detail.counts",
                total=number(run.total),
                ok=number(run.succeeded),
                failed=number(run.failed),
                skipped=number(run.skipped),
            )
            text = f"#{run.id} · {mode_text(run)} · {counts}"
        self.query_one("#run-line", Label).update(literal(text))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row (DataTable handles Enter itself when focused)."""
        event.stop()
        self._open(event.row_key.value)

    def action_open_run(self) -> None:
        """Open the run under the cursor."""
        table = self.query_one(DataTable)
        if not table.row_count:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        self._open(key)

    def _open(self, key: str | None) -> None:
        run = self.runs.get(str(key)) if key is not None else None
        if run is not None:
            self.app.push_screen(RunDetailScreen(run))


def mode_text(run: Run) -> str:
    """``PRODUCTION · dry run · sandbox`` in the operator's language."""
    parts = [run.mode.upper()]
    if run.dry_run:
        parts.append(t("runs.dry_run"))
    if run.sandbox:
        parts.append(t("headless.sandbox"))
    return " · ".join(parts)


def detail_lines(run: Run) -> list[str]:
    """What one run did: its steps (status, detail, errors), then its report, then its log.

    Every line comes from files or rows crmtui wrote from remote data, so each is made printable
    (no escape codes); a missing file is said, never fatal.
    """
    lines = [
        t(
            "runs.detail.head",
            id=run.id,
            kind=run.kind,
            mode=mode_text(run),
            status=t(f"status.{run.status}"),
        ),
        t(
            "runs.detail.when",
            started=run.started_at,
            finished=run.finished_at or "—",
            duration=_duration(run),
        ),
        t(
            "runs.detail.counts",
            total=number(run.total),
            ok=number(run.succeeded),
            failed=number(run.failed),
            skipped=number(run.skipped),
        ),
        "",
        t("runs.detail.steps"),
    ]
    for name, step in (run.summary or {}).items():
        if not isinstance(step, dict):
            continue
        status = str(step.get("status") or "?")
        lines.append(f"  {name}: {t(f'status.{status}') if status in _STATUSES else status}")
        detail = step.get("detail")
        if detail:
            lines.append(f"    {detail}")
        for error in step.get("errors") or []:
            lines.append(f"    ✘ {error}")
    for title, path in ((t("runs.detail.report"), run.report_path), (t("runs.detail.log"), run.log_path)):
        lines += ["", f"── {title} ──"]
        lines += _file_lines(path)
    return [printable(line) for line in lines]


_STATUSES = frozenset({"ok", "failed", "partial", "running", "interrupted"})


def _file_lines(path: str | None) -> list[str]:
    if not path:
        return [t("runs.detail.none")]
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return [t("sync_ui.report_missing", error=exc.strerror or type(exc).__name__)]
    lines = text.splitlines()
    if len(lines) > LOG_TAIL:
        return [t("runs.detail.tail", n=LOG_TAIL, total=len(lines)), *lines[-LOG_TAIL:]]
    return lines


class RunDetailScreen(LinesScreen):
    """One run: steps and errors, the report and the log, scrollable; Escape closes it."""

    def __init__(self, run: Run) -> None:
        super().__init__()
        self.run = run

    def title_text(self) -> str:
        """The run's number."""
        return t("runs.detail.title", id=self.run.id)

    def read_lines(self) -> list[str]:
        """Steps, report, log."""
        return detail_lines(self.run)


def _duration(run: Run) -> str:
    seconds = run.seconds
    if seconds is None:
        return ""
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"
