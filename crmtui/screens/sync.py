"""The Sync screen: start a Copper ↔ Mailchimp sync, follow it phase by phase, cancel it safely.

A run goes through :func:`crmtui.engine.cycle.run_cycle` with ``only=("sync",)`` (the run lock and
the run record, as for cron) in a thread worker with its own event loop. Cancelling sets the
engine's ``asyncio.Event`` on that loop (``call_soon_threadsafe``): the engine stops between
batches and the store keeps what was done. Finished outbox operations stream in while the run
applies; a dry run's plan comes from its report file. ``v`` shows the report.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.reactive import reactive
from textual.widgets import Label
from textual.worker import Worker, get_current_worker

import crmtui.i18n.sync_ui  # noqa: F401  (registers the sync screens' text)
from crmtui.engine.cycle import run_cycle
from crmtui.engine.events import CycleFinished, CycleStarted, Event, Notice, RateWaiting, StepProgressed
from crmtui.i18n import t
from crmtui.logs import run_logging
from crmtui.screens.confirm import ConfirmScreen
from crmtui.screens.lines import LinesScreen
from crmtui.screens.messages import EngineReported
from crmtui.screens.mode_screen import ModeScreen
from crmtui.screens.workers import deliver
from crmtui.store.locks import LockHeld
from crmtui.store.runs import Run
from crmtui.store.sync import OpRow
from crmtui.text import literal, printable
from crmtui.widgets.footer import Footer
from crmtui.widgets.status import StatusBar
from crmtui.widgets.sync_common import engine_work_running, notify_worker_error
from crmtui.widgets.sync_progress import SyncProgress
from crmtui.widgets.sync_stream import FINISHED_STATES, OperationStream, ReportEntry, report_entries
from crmtui.widgets.sync_summary import SyncSummary, is_sync_run, stopped_reason

POLL_SECONDS = 0.5
"""How often finished operations are read from the outbox while a run applies."""


@dataclass(frozen=True)
class RunRequest:
    """What the operator asked for when starting a run."""

    dry_run: bool
    full: bool
    allow_large_change: bool


class RunHandle:
    """Cancel a running sync from the UI thread.

    The engine's ``asyncio.Event`` belongs to the worker's loop, so it is set through
    ``loop.call_soon_threadsafe``. A cancel that arrives before the loop exists is remembered.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None
        self.cancel_requested = False
        """Whether the operator asked to stop this run."""

    def attach(self, loop: asyncio.AbstractEventLoop, event: asyncio.Event) -> None:
        """Called on the worker's loop once it runs (sets the event at once if already cancelled)."""
        with self._lock:
            self._loop, self._event = loop, event
            if self.cancel_requested:
                event.set()

    def detach(self) -> None:
        """The loop is about to close: later cancels have nothing to do."""
        with self._lock:
            self._loop = self._event = None

    def cancel(self) -> None:
        """Ask the engine to stop after its current batch (safe from any thread)."""
        with self._lock:
            self.cancel_requested = True
            if self._loop is not None and self._event is not None:
                try:
                    self._loop.call_soon_threadsafe(self._event.set)
                except RuntimeError:  # the loop closed in between: the run is over anyway
                    pass


@dataclass(frozen=True)
class RunResult:
    """What the screen reads back once a run ended."""

    run: Run | None
    ops: list[OpRow]
    entries: list[ReportEntry]


class ReportScreen(LinesScreen):
    """A report file, scrollable; Escape closes it."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path

    def title_text(self) -> str:
        """The file."""
        return t("sync_ui.report_title", path=self.path)

    def read_lines(self) -> list[str]:
        """The report (UTF-8; unreadable bytes are replaced, never fatal)."""
        try:
            text = Path(self.path).read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            text = t("sync_ui.report_missing", error=exc)
        return text.splitlines()


class SyncScreen(ModeScreen):
    """Start, follow and cancel a sync; read its summary and report."""

    DEFAULT_CSS = """
    SyncScreen #sync-options { padding: 0 1; color: $text-muted; }
    """

    BINDINGS = [
        Binding("g", "start", t("sync_ui.key.start"), id="sync.start", tooltip=t("sync_ui.tip.start")),
        Binding("p", "toggle_dry_run", t("sync_ui.key.dry_run"), id="sync.dry_run"),
        Binding("f", "toggle_full", t("sync_ui.key.full"), id="sync.full"),
        Binding("x", "cancel", t("sync_ui.key.cancel"), id="sync.cancel"),
        Binding("escape", "cancel", t("sync_ui.key.cancel"), show=False, id="sync.cancel_escape"),
        Binding("v", "view_report", t("sync_ui.key.report"), id="sync.report"),
        Binding("l", "allow_large_change", t("sync_ui.key.allow_large"), id="sync.allow_large"),
    ]

    dry_run: reactive[bool] = reactive(False, bindings=True)
    """Plan only: nothing is written remotely."""
    full: reactive[bool] = reactive(False, bindings=True)
    """Force a full read (otherwise the engine decides: first run, every N runs)."""
    running: reactive[bool] = reactive(False, bindings=True)
    """A run started from this screen is in progress."""
    report_path: reactive[str | None] = reactive(None, bindings=True)
    """The last sync's report file."""
    stopped: reactive[str] = reactive("", bindings=True)
    """Why the last sync stopped before writing (the circuit breaker), or ""."""
    allow_large_change: reactive[bool] = reactive(False)
    """The operator confirmed that the next run may make a large change."""

    def __init__(self) -> None:
        super().__init__()
        self.run_id: int | None = None
        self._handle: RunHandle | None = None
        self._request: RunRequest | None = None
        self._shown_ops: set[int] = set()
        self._applying = False
        self._polling = False

    def compose(self) -> ComposeResult:
        """Status bar, options, the four phases, the summary, the stream, the footer."""
        yield StatusBar()
        yield Label(t("sync_ui.title"), classes="section-title")
        yield Label("", id="sync-options")
        yield SyncProgress(clock=time.monotonic, id="sync-progress")
        yield SyncSummary(id="sync-summary")
        yield OperationStream(id="sync-stream")
        yield Footer()

    def on_mount(self) -> None:
        """Show the options and the last recorded sync; poll the outbox while applying."""
        self._show_options()
        self.set_interval(POLL_SECONDS, self._poll_ops, name="sync:poll")
        self.reload()

    def on_unmount(self) -> None:
        """Leaving the app stops a run cleanly (between batches) instead of abandoning it."""
        if self._handle is not None:
            self._handle.cancel()

    # -- options ----------------------------------------------------------------------------

    def watch_dry_run(self) -> None:
        """Redraw the options line."""
        self._show_options()

    def watch_full(self) -> None:
        """Redraw the options line."""
        self._show_options()

    def watch_allow_large_change(self) -> None:
        """Redraw the options line."""
        self._show_options()

    def _show_options(self) -> None:
        options = self.query("#sync-options")
        if not options:
            return
        settings = self.app.settings  # type: ignore[attr-defined]
        on, off = t("sync_ui.on"), t("sync_ui.off")
        text = t(
            "sync_ui.options",
            dry_run=on if self.dry_run else off,
            full=on if self.full else t("sync_ui.auto"),
            mode=t(f"app.mode.{settings.sync_mode}", filter=settings.test_email_filter),
        )
        if self.allow_large_change:
            text += " · " + t("sync_ui.large_armed")
        options.first(Label).update(literal(text))

    def action_toggle_dry_run(self) -> None:
        """Plan only, or plan and apply."""
        self.dry_run = not self.dry_run

    def action_toggle_full(self) -> None:
        """Force a full read, or let the engine choose."""
        self.full = not self.full

    def action_allow_large_change(self) -> None:
        """After the circuit breaker stopped a run: confirm, then let the next run through."""

        def armed(confirmed: bool | None) -> None:
            if confirmed:
                self.allow_large_change = True
                self.notify(t("sync_ui.large_armed"), severity="warning")

        self.app.push_screen(
            ConfirmScreen(
                t("sync_ui.allow_large.title"), literal(t("sync_ui.allow_large.body", reason=self.stopped))
            ),
            armed,
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide what cannot run now; grey out options while a run is in progress."""
        if action in ("start", "toggle_dry_run", "toggle_full"):
            return None if self.running else True
        if action == "cancel":
            return self.running
        if action == "view_report":
            return bool(self.report_path)
        if action == "allow_large_change":
            return bool(self.stopped) and not self.running and not self.allow_large_change
        return True

    # -- a run ---------------------------------------------------------------------------------

    def action_start(self) -> None:
        """Start a run with the chosen options."""
        if self.running:
            return
        busy = engine_work_running(self.app)
        if busy:
            self.notify(printable(t("sync_ui.busy_here", what=busy)), severity="warning", markup=False)
            return
        request = RunRequest(self.dry_run, self.full, self.allow_large_change)
        self.allow_large_change = False
        self._request = request
        self._handle = RunHandle()
        self.run_id = None
        self._shown_ops.clear()
        self._applying = False
        self.running = True
        self.query_one(SyncProgress).reset()
        stream = self.query_one(OperationStream)
        stream.clear()
        stream.shown = 0
        self.query_one(SyncSummary).show_running(None, request.dry_run)
        self.sync_worker(request, self._handle)

    def action_cancel(self) -> None:
        """Stop after the current batch; what was done is kept."""
        if not self.running or self._handle is None or self._handle.cancel_requested:
            return
        self._handle.cancel()
        self.query_one(OperationStream).add_status(t("sync_ui.cancelling"))
        self.notify(t("sync_ui.cancelling"), severity="warning")

    @work(
        thread=True,
        exclusive=True,
        group="sync:run",
        exit_on_error=False,
        description="Syncing Copper and Mailchimp",
    )
    def sync_worker(self, request: RunRequest, handle: RunHandle) -> None:
        """Run the cycle (sync only) in this thread's own event loop; events come back as messages."""
        app = self.app
        settings = app.settings  # type: ignore[attr-defined]
        store = app.store  # type: ignore[attr-defined]

        run_ids: list[int] = []

        def emit(event: Event) -> None:
            if isinstance(event, CycleStarted):
                run_ids.append(event.run_id)  # known here before the message is handled
            self.post_message(EngineReported(event))

        async def main(log_path: str | None) -> None:
            cancel = asyncio.Event()
            handle.attach(asyncio.get_running_loop(), cancel)
            try:
                await run_cycle(
                    settings,
                    store,
                    owner="console",
                    only=("sync",),
                    dry_run=request.dry_run,
                    emit=emit,
                    cancel=cancel,
                    log_path=log_path,
                    options={
                        "full": True if request.full else None,
                        "allow_large_change": request.allow_large_change,
                    },
                )
            finally:
                handle.detach()

        refused = ""
        try:
            with run_logging(settings.log_dir) as log_path:
                asyncio.run(main(str(log_path) if log_path else None))
        except LockHeld as exc:
            refused = exc.holder.describe()
        finally:
            app.call_from_thread(self.run_ended, run_ids[0] if run_ids else None, refused)

    def run_ended(self, run_id: int | None, refused: str = "") -> None:
        """The worker finished (well or not): read the run back, or say who holds the lock."""
        self.running = False
        self._applying = False
        if refused:
            self.query_one(SyncSummary).show_refused(refused)
            self.notify(printable(t("cycle.busy", owner=refused)), severity="warning", markup=False)
            return
        if run_id is None:
            self.reload()
            return
        self.run_id = run_id
        request = self._request
        self.collect_run(run_id, bool(request and request.dry_run), frozenset(self._shown_ops))

    @on(EngineReported)
    def engine_reported(self, message: EngineReported) -> None:
        """Engine events: progress per phase, notices; the message bubbles on to the app."""
        event = message.event
        if isinstance(event, CycleStarted):
            self.run_id = event.run_id
            self.query_one(SyncSummary).show_running(event.run_id, event.dry_run)
            self.query_one(OperationStream).add_status(t("sync_ui.started", id=event.run_id))
        elif isinstance(event, StepProgressed) and event.step.startswith("sync:"):
            phase = event.step.split(":", 1)[1]
            self.query_one(SyncProgress).progressed(phase, event.done, event.total)
            if phase == "apply":
                self._applying = True
        elif isinstance(event, RateWaiting):
            self.query_one(SyncProgress).waiting(event)
        elif isinstance(event, Notice):
            self.query_one(OperationStream).add_notice(event.level, event.text)
        elif isinstance(event, CycleFinished):
            self._applying = False
            if event.status == "interrupted":
                self.query_one(SyncProgress).stopped()

    # -- the stream of operations ---------------------------------------------------------------

    def _poll_ops(self) -> None:
        if not (self.running and self._applying) or self.run_id is None or self._polling:
            return
        self._polling = True
        self.read_ops(self.run_id, frozenset(self._shown_ops))

    @work(thread=True, group="sync:ops", exit_on_error=False, description="Reading operations")
    def read_ops(self, run_id: int, shown: frozenset[int]) -> None:
        """Finished outbox operations of ``run_id`` not shown yet."""
        try:
            ops = _finished_ops(self.app.store.sync.ops_for_run(run_id), shown)  # type: ignore[attr-defined]
        finally:
            self.app.call_from_thread(self._polled)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show_ops, run_id, ops)

    def _polled(self) -> None:
        self._polling = False

    def show_ops(self, run_id: int, ops: list[OpRow]) -> None:
        """Append operations (each at most once)."""
        if run_id != self.run_id:
            return
        fresh = [op for op in ops if op.id not in self._shown_ops]
        self._shown_ops.update(op.id for op in fresh)
        self.query_one(OperationStream).add_ops(fresh)

    # -- summary --------------------------------------------------------------------------------

    @work(
        thread=True, exclusive=True, group="sync:collect", exit_on_error=False, description="Reading the run"
    )
    def collect_run(self, run_id: int, dry_run: bool, shown: frozenset[int]) -> None:
        """The recorded run, its last operations, and (dry run) the planned operations of its report."""
        store = self.app.store  # type: ignore[attr-defined]
        run = store.runs.get(run_id)
        ops = [] if dry_run else _finished_ops(store.sync.ops_for_run(run_id), shown)
        entries: list[ReportEntry] = []
        if dry_run and run is not None and run.report_path:
            try:
                entries = report_entries(Path(run.report_path).read_text(encoding="utf-8", errors="replace"))
            except OSError:
                entries = []
        self.app.call_from_thread(self.show_result, RunResult(run, ops, entries))

    def show_result(self, result: RunResult) -> None:
        """The end of a run: remaining operations, the dry run's plan, the summary."""
        if result.run is not None:
            self.show_ops(result.run.id, result.ops)
        stream = self.query_one(OperationStream)
        if result.entries:
            stream.add_status(t("sync_ui.planned", n=len(result.entries)))
            stream.add_entries(result.entries)
        self.show_run(result.run)

    @work(
        thread=True,
        exclusive=True,
        group="sync:load",
        exit_on_error=False,
        description="Reading the last sync",
    )
    def reload(self) -> None:
        """Read the last recorded sync (any cycle that included it)."""
        runs = self.app.store.runs.recent(50)  # type: ignore[attr-defined]
        last = next((run for run in runs if is_sync_run(run) and run.status != "running"), None)
        deliver(self.app, self.show_run, last)

    def show_run(self, run: Run | None) -> None:
        """Summary, report path and stop reason of ``run`` (unless a run is in progress)."""
        if self.running:
            return
        summary = self.query_one(SyncSummary)
        if run is None:
            summary.show_idle()
            return
        summary.show_run(run)
        self.report_path = run.report_path
        self.stopped = stopped_reason(run)

    def action_view_report(self) -> None:
        """Show the last report in a scrollable modal."""
        if self.report_path:
            self.app.push_screen(ReportScreen(self.report_path))

    @on(Worker.StateChanged)
    def _worker_state(self, event: Worker.StateChanged) -> None:
        """A failed worker becomes a notification."""
        notify_worker_error(self.app, event)


def _finished_ops(ops: list[OpRow], shown: frozenset[int]) -> list[OpRow]:
    return [op for op in ops if op.state in FINISHED_STATES and op.id not in shown]
