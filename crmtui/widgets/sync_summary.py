"""The result of the last sync: status, counts, why it stopped, pending decisions, the report file."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text
from textual.widgets import Static

import crmtui.i18n.sync_ui  # noqa: F401  (registers the sync screens' text)
from crmtui.i18n import t
from crmtui.store.runs import Run
from crmtui.text import printable

_STATUS_STYLE = {
    "ok": "bold green",
    "partial": "bold yellow",
    "failed": "bold red",
    "interrupted": "bold yellow",
}


def is_sync_run(run: Run) -> bool:
    """Whether a recorded cycle included the sync step."""
    return "sync" in run.kind.split("+")


def sync_detail(run: Run) -> dict[str, Any]:
    """The sync step's part of a run's summary (``{}`` when absent)."""
    detail = run.summary.get("sync") if isinstance(run.summary, dict) else None
    return detail if isinstance(detail, dict) else {}


def stopped_reason(run: Run) -> str:
    """Why the sync stopped before writing (the circuit breaker), or ""."""
    detail = sync_detail(run)
    if detail.get("status") == "failed" and detail.get("detail"):
        return str(detail["detail"])
    return ""


def duration(run: Run) -> str:
    """``12 s`` / ``3 min`` from the run's recorded start and end ("" while running)."""
    if not run.finished_at:
        return ""
    try:
        seconds = (
            datetime.fromisoformat(run.finished_at) - datetime.fromisoformat(run.started_at)
        ).total_seconds()
    except ValueError:
        return ""
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


class SyncSummary(Static):
    """A few lines under the progress: what the last (or current) run did."""

    DEFAULT_CSS = """
    SyncSummary { height: auto; padding: 0 1; }
    """

    def show_idle(self) -> None:
        """No sync was ever recorded."""
        self.update(Text(t("sync_ui.never"), style="italic"))

    def show_running(self, run_id: int | None, dry_run: bool) -> None:
        """A run is in progress."""
        key = "sync_ui.running_dry" if dry_run else "sync_ui.running"
        self.update(Text(t(key, id=run_id if run_id is not None else "…"), style="bold"))

    def show_refused(self, owner: str) -> None:
        """Another cycle holds the run lock."""
        self.update(Text(printable(t("cycle.busy", owner=owner)), style="bold yellow"))

    def show_run(self, run: Run) -> None:
        """A recorded run: status and counts, then the stop reason, pending decisions and report."""
        text = Text()
        status = (
            t(f"status.{run.status}")
            if run.status in _STATUS_STYLE or run.status == "running"
            else run.status
        )
        head = t(
            "sync_ui.finished_dry" if run.dry_run else "sync_ui.finished",
            id=run.id,
            status=printable(status),
            duration=duration(run) or "—",
            total=run.total,
            ok=run.succeeded,
            failed=run.failed,
            skipped=run.skipped,
        )
        text.append(head, style=_STATUS_STYLE.get(run.status, "bold"))
        reason = stopped_reason(run)
        if reason:
            text.append("\n")
            text.append(t("sync_ui.stopped", reason=printable(reason)), style="red")
        pending = sync_detail(run).get("pending_decisions")
        if isinstance(pending, int) and pending:
            text.append("\n")
            text.append(t("sync_ui.pending", n=pending), style="yellow")
        if run.report_path:
            text.append("\n")
            text.append(t("sync_ui.report_path", path=printable(run.report_path)), style="dim")
        self.update(text)
