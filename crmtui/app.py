"""The Textual console: ``make_app(settings, store)`` is the one factory for the CLI and tests."""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Iterable
from pathlib import Path

from textual import events, on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.worker import Worker, WorkerState

import crmtui.i18n.console  # noqa: F401 - registers the key map and confirmation texts
from crmtui.config import Settings
from crmtui.engine.cycle import run_cycle
from crmtui.engine.events import CycleFinished, Event, StepStarted
from crmtui.formats import number
from crmtui.i18n import t
from crmtui.intervals import describe_interval, remaining
from crmtui.logs import run_logging
from crmtui.screens.confirm import ConfirmScreen
from crmtui.screens.connectors import ConnectorsScreen
from crmtui.screens.customers import CustomersScreen
from crmtui.screens.dashboard import DashboardScreen
from crmtui.screens.deletions import DeletionsScreen
from crmtui.screens.forgotten import ForgottenScreen
from crmtui.screens.help import HelpScreen
from crmtui.screens.keymap import bindings_of, key_label, screen_actions
from crmtui.screens.messages import EngineReported, StoreChanged
from crmtui.screens.palette import GLOBAL_COMMANDS
from crmtui.screens.quality import QualityScreen
from crmtui.screens.reco_quality import RecoQualityScreen
from crmtui.screens.runs import RunsScreen
from crmtui.screens.scenarios import ScenariosScreen
from crmtui.screens.sources import SourcesScreen
from crmtui.screens.sync import RunHandle, SyncScreen
from crmtui.store import Store
from crmtui.store.locks import LockHeld
from crmtui.text import printable
from crmtui.widgets.idle_gc import IdleCollector
from crmtui.widgets.sync_common import engine_work_running

MODE_TITLES = {
    "dashboard": "key.dashboard",
    "runs": "key.runs",
    "connectors": "key.connectors",
    "sources": "key.sources",
    "quality": "key.quality",
    "sync": "sync_ui.key.show_sync",
    "deletions": "sync_ui.key.show_deletions",
    "forgotten": "sync_ui.key.show_forgotten",
    "scenarios": "key.scenarios",
    "customers": "key.customers",
    "reco_quality": "key.reco_quality",
}
"""Each screen's name in the catalogue (help, key map)."""


PREPARE_EVERY = 0.3
"""Seconds between two screens built ahead of their first visit (:meth:`CrmApp._prepare_next_screen`)."""
PREPARE_IDLE = 1.5
"""Seconds without a key before a screen is built ahead."""


class CrmApp(App[int]):
    """The crmtui console."""

    CSS_PATH = Path(__file__).parent / "crmtui.tcss"
    TITLE = "crmtui"
    MODES = {
        "dashboard": DashboardScreen,
        "runs": RunsScreen,
        "connectors": ConnectorsScreen,
        "sources": SourcesScreen,
        "quality": QualityScreen,
        "sync": SyncScreen,
        "deletions": DeletionsScreen,
        "forgotten": ForgottenScreen,
        "scenarios": ScenariosScreen,
        "customers": CustomersScreen,
        "reco_quality": RecoQualityScreen,
    }
    DEFAULT_MODE = "dashboard"
    BINDINGS = [
        Binding("ctrl+q", "quit", t("key.quit"), id="app.quit", priority=True),
        Binding("f1", "help", t("key.help"), id="app.help"),
        Binding("question_mark", "help", t("key.help"), show=False, id="app.help_question"),
        Binding("escape", "back_home", t("console.key.back"), show=False, id="app.back"),
        Binding("d", "show_dashboard", t("key.dashboard"), show=False, id="app.dashboard"),
        Binding("c", "show_connectors", t("key.connectors"), show=False, id="app.connectors"),
        Binding("h", "show_runs", t("key.runs"), show=False, id="app.runs"),
        Binding("s", "show_sources", t("key.sources"), show=False, id="app.sources"),
        Binding("Q", "show_quality", t("key.quality"), show=False, id="app.quality"),
        Binding("y", "show_sync", t("sync_ui.key.show_sync"), show=False, id="app.sync"),
        Binding("b", "show_deletions", t("sync_ui.key.show_deletions"), show=False, id="app.deletions"),
        Binding("o", "show_forgotten", t("sync_ui.key.show_forgotten"), show=False, id="app.forgotten"),
        Binding("e", "show_scenarios", t("key.scenarios"), show=False, id="app.scenarios"),
        Binding("k", "show_customers", t("key.customers"), show=False, id="app.customers"),
        Binding("K", "show_reco_quality", t("key.reco_quality"), show=False, id="app.reco_quality"),
        Binding("r", "run_cycle", t("key.run_cycle"), id="app.run_cycle"),
        Binding("ctrl+x", "cancel_cycle", t("key.cancel_cycle"), id="app.cancel_cycle"),
        Binding("f5", "refresh", t("key.refresh"), show=False, id="app.refresh"),
        Binding("ctrl+p", "command_palette", t("key.palette"), id="app.palette"),
    ]

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        background_every: float | None = None,
        prepare_screens: bool = True,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.store = store
        self.connector_checks: dict[str, tuple[object, str]] = {}
        """Last verdict and time per connector (this session)."""
        self.sub_title = t("app.sandbox_banner") if settings.sandbox else ""
        self.background_every = background_every
        """Seconds between background passes (scenario tick, then queued events); None: off."""
        self._background: Worker[None] | None = None
        self.auto_every = max(0, int(settings.sync_interval))
        """SYNC_INTERVAL: seconds between automatic cycles, counted from the end of the last run; 0: off."""
        self.next_cycle_at: float | None = time.monotonic() + self.auto_every if self.auto_every else None
        """When the next automatic cycle starts (``time.monotonic()``); None while a run is going."""
        self._cycle_handle: RunHandle | None = None
        """Stops the running cycle (``Ctrl+X``); None when no cycle was started here."""
        self._cycle_step = ""
        """The step the running cycle is in (said when a cancel stops it)."""
        self.idle_gc = IdleCollector()
        """Full garbage collections between keys, not during them."""
        self.prepare_screens = prepare_screens
        """Mount each mode's screen while the operator is idle, so no first visit pays for it."""
        self._preparing: Timer | None = None
        self._painted: weakref.WeakSet[Screen[object]] = weakref.WeakSet()

    def on_mount(self) -> None:
        """Start the cycle timer, and the background passes when asked (the sandbox console's demo)."""
        if self.background_every:
            self.set_interval(self.background_every, self._background_due)
        if self.auto_every:
            self.set_interval(min(1.0, self.auto_every / 4), self._timer_tick)
        self._check_unfinished_erasures()
        self.set_timer(2.0, self.idle_gc.freeze)  # once the dashboard has settled
        self.set_interval(4.0, self.idle_gc.tick)
        if self.prepare_screens:
            self._preparing = self.set_interval(PREPARE_EVERY, self._prepare_next_screen)

    async def on_event(self, event: events.Event) -> None:
        """Note each key and click (the idle collector waits for a pause), then Textual's handling."""
        if isinstance(event, events.Key | events.MouseDown):
            self.idle_gc.input()
        await super().on_event(event)

    def screens_prepared(self) -> bool:
        """Every mode's screen is built, mounted, marked as styled and painted once (nothing left to prepare)."""
        built = [stack[0] for mode in self.MODES if (stack := self._screen_stacks.get(mode))]
        return len(built) == len(self.MODES) and all(
            screen.is_mounted
            and screen._css_update_count != -1
            and (screen in self._painted or screen in self.screen_stack)
            for screen in built
        )

    def _screen_loading(self, screen: Screen[object]) -> bool:
        """A worker of ``screen`` or of one of its widgets is still reading."""
        for worker in self.workers:
            if worker.is_finished:
                continue
            node = worker.node
            if node is screen or (isinstance(node, Widget) and node.is_attached and node.screen is screen):
                return True
        return False

    def _prepare_next_screen(self) -> None:
        """While nobody types, mount the next mode screen never shown yet, one per tick.

        A mode's first visit used to build its screen on the key (compose, mount and style some
        hundred widgets: 150-250 ms of CPU on the sandbox store, issue #15); a visit to a screen
        already built only resumes it. So once the operator has left the keys alone for
        :data:`PREPARE_IDLE` seconds, each mode is built the way ``switch_mode`` builds it
        (``App._init_mode``, less the ``ScreenResume`` that makes it the current screen): it is
        mounted, its ``on_mount`` loads run, and its visit then resumes it (reloading what it shows).
        A key pressed during one screen's build waits for it (at most one screen's cost), so
        nothing is built while engine work (a cycle, a sync, decisions) runs.
        """
        if not self._running or self._closing:  # shutting down: Textual is closing the stacks
            return
        if time.monotonic() - self.idle_gc.last_input < PREPARE_IDLE:
            return
        if engine_work_running(self):  # a cycle's thread has the CPU: a key must not wait on both
            return
        # A screen mounted since the last tick was styled with the current CSS as it mounted:
        # marked so, its visit does not re-parse and restyle every screen (``refresh_css``).
        for stack in self._screen_stacks.values():
            if not stack:  # a mode Textual is setting up (the first screen, before it is pushed)
                continue
            built = stack[0]
            if built.is_mounted and built._css_update_count == -1:
                built._css_update_count = self._css_update_count
            elif (
                built.is_mounted
                and built not in self.screen_stack  # shown, or under a dialog that shows it
                and built not in self._painted
                and not self._screen_loading(built)
            ):
                # Laid out and rendered once off screen (its loads landed since the last tick):
                # the widgets' line caches are warm, so its visit repaints from them.
                self._painted.add(built)
                built._refresh_layout(self.size)
                built._compositor.render_update(full=True)
                return  # one screen's work per tick
        if not self._screen_stacks.get(self.current_mode):
            return  # the console's first screen is not up yet
        mode = next((m for m in self.MODES if m not in self._screen_stacks), None)
        if mode is None:
            if self._preparing is not None and self.screens_prepared():
                self._preparing.stop()
                # The screens' objects live as long as the console: out of the automatic full
                # collections' walk from now on (else one of them during a key walks them all).
                self.idle_gc.freeze()
            return
        factory = self.MODES[mode]
        screen = factory() if callable(factory) else self.get_screen(factory)
        self._screen_stacks[mode] = [screen]
        self._load_screen_css(screen)
        self._register(self, screen)

    def on_unmount(self) -> None:
        """The collector back to CPython's defaults."""
        self.idle_gc.release()

    @work(thread=True, exclusive=True, group="app:erasures", exit_on_error=False, description="Erasures")
    def _check_unfinished_erasures(self) -> None:
        """Say so when an erasure waits to be finished (its address is kept until then)."""
        n = len(self.store.erasure.unfinished())
        if n:
            self.call_from_thread(self.notify, t("erase.unfinished", n=n), severity="warning", timeout=15)

    def _load_screen_css(self, screen: Screen[object]) -> None:
        """Textual's, then a mode screen never styled yet is marked as styled with the current CSS.

        Textual re-parses every CSS source and restyles the whole app (``refresh_css``) when a
        screen's CSS generation differs from the app's, which a new screen's always does: twice on
        each first visit of a mode (~100 ms of CPU here, issue #15). A screen not mounted yet has no
        style to refresh: its widgets are styled as they mount, and a widget class that brings new
        ``DEFAULT_CSS`` makes the stylesheet re-parse itself then (``Stylesheet.add_source``).
        """
        super()._load_screen_css(screen)
        # Mode screens only, once the first screen is up (the start and pushed dialogs keep Textual's way).
        first_visit = type(screen) in self.MODES.values() and not screen.is_mounted
        if first_visit and screen._css_update_count == -1 and self._screen_stacks.get(self.current_mode):
            current = self._screen_stacks[self.current_mode][-1]
            if current.is_mounted and current._css_update_count == self._css_update_count:
                screen._css_update_count = self._css_update_count

    # -- the cycle timer (SYNC_INTERVAL) --------------------------------------------------------

    def _timer_tick(self) -> None:
        """Start a cycle when due; paused while any engine work runs (a cycle, a sync, decisions)."""
        now = time.monotonic()
        if engine_work_running(self):
            self.next_cycle_at = None  # paused; the countdown restarts when the run ends
            return
        if self.next_cycle_at is None:
            self.next_cycle_at = now + self.auto_every
            return
        if now >= self.next_cycle_at:
            self.next_cycle_at = None
            self.notify(t("timer.started", every=describe_interval(self.auto_every)))
            self.cycle_worker(automatic=True)

    def timer_text(self) -> str:
        """The dashboard's line: "next run in …", paused while a run is going, or off."""
        if not self.auto_every:
            return t("timer.off")
        every = describe_interval(self.auto_every)
        if self.next_cycle_at is None or engine_work_running(self):
            return t("timer.running", every=every)
        return t("timer.next", remaining=remaining(self.next_cycle_at - time.monotonic()), every=every)

    # -- palette --------------------------------------------------------------------------

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The palette mirrors the actions: each entry runs the same ``action_*`` as its key."""
        for entry in GLOBAL_COMMANDS:
            yield SystemCommand(entry.title, entry.help, self._palette_callback(entry.action))
        # Then every action of the current screen, run exactly as its key would run it.
        for binding in screen_actions(screen):
            yield SystemCommand(
                binding.description,
                t("console.keymap.screen", name=binding.key_display or key_label(binding.key)),
                self._screen_callback(screen, binding.action),
            )

    def action_command_palette(self) -> None:
        """The palette, its prompt in the operator's language (Textual's is English only)."""
        if self.use_command_palette and not isinstance(self.screen, CommandPalette):
            self.push_screen(
                CommandPalette(placeholder=t("console.palette.placeholder"), id="--command-palette")
            )

    def _screen_callback(self, screen: Screen[object], action: str):  # type: ignore[no-untyped-def]
        async def run() -> None:
            await screen.run_action(action)

        return run

    def _palette_callback(self, action: str):  # type: ignore[no-untyped-def]
        async def run() -> None:
            await self.run_action(action)

        return run

    # -- navigation -----------------------------------------------------------------------

    def action_show_dashboard(self) -> None:
        """Go to the dashboard."""
        self.switch_mode("dashboard")

    def action_show_runs(self) -> None:
        """Go to the run history."""
        self.switch_mode("runs")

    def action_show_sources(self) -> None:
        """Go to the data sources (ETL)."""
        self.switch_mode("sources")

    def action_show_quality(self) -> None:
        """Go to the data quality report and RFM segments."""
        self.switch_mode("quality")

    def action_show_sync(self) -> None:
        """Go to the sync (start, follow and cancel a run)."""
        self.switch_mode("sync")

    def action_show_deletions(self) -> None:
        """Go to the deletion review."""
        self.switch_mode("deletions")

    def action_show_forgotten(self) -> None:
        """Go to the forgotten emails."""
        self.switch_mode("forgotten")

    def action_show_scenarios(self) -> None:
        """Go to the email scenarios."""
        self.switch_mode("scenarios")

    def action_show_customers(self) -> None:
        """Go to the customers and their recommendations."""
        self.switch_mode("customers")

    def action_show_reco_quality(self) -> None:
        """Go to the recommendation quality figures."""
        self.switch_mode("reco_quality")

    def action_show_connectors(self) -> None:
        """Go to the connectors."""
        self.switch_mode("connectors")

    def action_back_home(self) -> None:
        """Escape: back to the dashboard (screens and dialogs handle Escape themselves first)."""
        if len(self.screen_stack) > 1:
            return
        if self.current_mode != "dashboard":
            self.switch_mode("dashboard")

    async def action_quit(self) -> None:
        """Quit; while a cycle is running, ask first (what was not done resumes next run)."""
        running = any(w.group == "cycle" and not w.is_finished for w in self.workers)
        if not running:
            self.exit()
            return

        def decided(confirmed: bool | None) -> None:
            if confirmed:
                if self._cycle_handle is not None:
                    self._cycle_handle.cancel()  # the engine stops at its next batch or wait
                self.workers.cancel_group(self, "cycle")
                self.exit()

        self.push_screen(ConfirmScreen(t("console.quit.title"), t("console.quit.body")), decided)

    def action_help(self) -> None:
        """Show the help screen."""
        if not isinstance(self.screen, HelpScreen):
            title = t(MODE_TITLES[self.current_mode]) if self.current_mode in MODE_TITLES else ""
            self.push_screen(HelpScreen(self.screen, bindings_of(self), title))

    def action_refresh(self) -> None:
        """Re-read the figures."""
        self.post_message(StoreChanged("refresh"))

    # -- the cycle worker ---------------------------------------------------------------------

    def action_run_cycle(self) -> None:
        """Run one cycle in the background; the screens stay live."""
        if self.cycle_running():
            self.notify(t("cycle.already"), severity="warning")
            return
        self.notify(t("cycle.started"))
        self.cycle_worker()

    def cycle_running(self) -> bool:
        """Whether a cycle started from this console is running."""
        return any(
            w.group == "cycle" and w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in self.workers
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """``Ctrl+X`` (stop the cycle) is shown and works only while a cycle runs and is not stopping."""
        if action == "cancel_cycle":
            handle = self._cycle_handle
            return self.cycle_running() and handle is not None and not handle.cancel_requested
        return True

    def action_cancel_cycle(self) -> None:
        """Stop the running cycle after its current batch or wait (safe: the outbox stays consistent)."""
        handle = self._cycle_handle
        if handle is None or handle.cancel_requested or not self.cycle_running():
            return
        handle.cancel()
        self.notify(t("cycle.cancelling"), severity="warning")
        self.refresh_bindings()

    def cycle_worker(self, automatic: bool = False) -> Worker[None]:
        """Start a cycle; its handle is made here, so ``Ctrl+X`` works before the thread runs."""
        self._cycle_handle = RunHandle()
        self._cycle_step = ""
        worker = self._cycle_thread(self._cycle_handle, automatic)
        self.call_after_refresh(self.refresh_bindings)
        return worker

    @work(thread=True, exclusive=True, group="cycle", exit_on_error=False, description="Running a cycle")
    def _cycle_thread(self, handle: RunHandle, automatic: bool = False) -> None:
        """Run the engine in its own thread and event loop (SQLite and network never block the UI).

        ``handle`` stops it (``Ctrl+X``). ``automatic``: started by the timer; when cron (or another
        console) holds the run lock the cycle is skipped with a notice and the timer tries again one
        interval later.
        """

        def emit(event: Event) -> None:
            self.post_message(EngineReported(event))

        async def main(log_path: str | None) -> None:
            cancel = asyncio.Event()
            handle.attach(asyncio.get_running_loop(), cancel)
            try:
                await run_cycle(
                    self.settings, self.store, owner="console", emit=emit, cancel=cancel, log_path=log_path
                )
            finally:
                handle.detach()

        try:
            with run_logging(self.settings.log_dir) as log_path:
                asyncio.run(main(str(log_path) if log_path else None))
        except LockHeld as exc:
            owner = exc.holder.describe()
            if automatic:
                text = t("timer.skipped", owner=owner, every=describe_interval(self.auto_every))
            else:
                text = t("cycle.busy", owner=owner)
            self.call_from_thread(self.notify, printable(text), severity="warning", markup=False)

    def _background_due(self) -> None:
        if self._background is None or self._background.is_finished:
            self._background = self.background_worker()

    @work(thread=True, group="background", exit_on_error=False, description="Scenario ticks and events")
    def background_worker(self) -> None:
        """One pass in its own thread and event loop: a scenario tick, then serve's queued events.

        Screens are not told: the Scenarios screen re-reads its figures on its own timer, and a
        reload every few seconds would reset selections elsewhere.
        """
        from crmtui.sandbox.demo import engine_pass

        asyncio.run(engine_pass(self.settings, self.store))

    @on(EngineReported)
    def _engine_reported(self, message: EngineReported) -> None:
        event = message.event
        if isinstance(event, StepStarted):
            self._cycle_step = event.step
        if isinstance(event, CycleFinished):
            self.refresh_bindings()
            if event.status == "interrupted":
                # Where it stopped: the step, and what was done (the rest waits for the next run).
                self.notify(
                    t(
                        "cycle.stopped",
                        step=self._cycle_step or "-",
                        done=number(event.succeeded),
                        total=number(event.total),
                    ),
                    severity="warning",
                    timeout=10,
                )
            else:
                self.notify(t("cycle.done", summary=t(f"status.{event.status}")))
            self.post_message(StoreChanged("cycle"))

    @on(StoreChanged)
    def _store_changed(self, _: StoreChanged) -> None:
        reload = getattr(self.screen, "reload", None)
        if callable(reload):
            reload()

    @on(Worker.StateChanged)
    def _worker_state(self, event: Worker.StateChanged) -> None:
        """One router for worker failures: a notification, never a traceback on screen."""
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self.notify(
                printable(
                    t("worker.failed", name=event.worker.description or event.worker.name, error=error)
                ),
                severity="error",
                timeout=10,
                markup=False,
            )


def make_app(settings: Settings, store: Store, *, background_every: float | None = None) -> CrmApp:
    """Build the console app for ``settings`` over ``store`` (CLI and tests use this).

    ``background_every``: seconds between background scenario ticks and event passes (the sandbox
    console's demo; None, the default, runs none).
    """
    return CrmApp(settings, store, background_every=background_every)
