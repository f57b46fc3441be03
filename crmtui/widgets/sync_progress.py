"""Live progress of a sync, one row per phase: read Copper, read Mailchimp, plan, apply.

The engine reports ``StepProgressed("sync:<phase>", done, total)``; :class:`SyncProgress` shows the
counts, a bar and a rate per phase. Phases run one after the other, so a phase's clock starts when
the previous phase last reported (or when the run started): the first report of a phase, which may
come after 1,000 records, then gives a true rate.

A rate-limit wait (:class:`~crmtui.engine.events.RateWaiting`) shows under the phases and counts
down ("waiting for Copper's limit (180/min): resuming in 23 s"); after a cancel, each phase that
did not finish says where it stopped instead of looking complete.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, ProgressBar

import crmtui.i18n.sync_ui  # noqa: F401  (registers the sync screens' text)
import crmtui.i18n.waits  # noqa: F401  (registers the wait.* keys)
from crmtui.engine.events import RateWaiting
from crmtui.engine.waits import wait_message
from crmtui.formats import number
from crmtui.i18n import t

PHASES: tuple[str, ...] = ("read_copper", "read_mailchimp", "plan", "apply")
"""The sync's phases, in the order they run (``sync:<phase>`` in the engine's events)."""

Clock = Callable[[], float]


@dataclass
class PhaseState:
    """What is known about one phase of the current run."""

    done: int = 0
    total: int | None = None
    started: float | None = None
    updated: float | None = None
    reported: bool = False

    def rate(self) -> float | None:
        """Records per second since the phase started (None before two distinct instants)."""
        if self.started is None or self.updated is None:
            return None
        elapsed = self.updated - self.started
        if elapsed <= 0:
            return None
        return self.done / elapsed


def format_rate(rate: float | None) -> str:
    """``1234.5`` → ``1 235/s``; "" when unknown."""
    if rate is None:
        return ""
    return t("sync_ui.rate", rate=number(rate))


def format_counts(state: PhaseState) -> str:
    """``188 / 188``, ``1 000`` (total unknown) or ``—`` (not reached)."""
    if not state.reported:
        return "—"
    done = number(state.done)
    if state.total is None:
        return done
    return f"{done} / {number(state.total)}"


class PhaseRow(Horizontal):
    """One phase: its name, a bar, ``done / total`` and a rate."""

    DEFAULT_CSS = """
    PhaseRow { height: 1; }
    PhaseRow > .phase-name { width: 18; padding: 0 1; }
    PhaseRow > ProgressBar { width: 36; }
    PhaseRow > ProgressBar > Bar { width: 28; }
    PhaseRow > .phase-counts { width: 15; content-align-horizontal: right; }
    PhaseRow > .phase-rate { width: 1fr; content-align-horizontal: right; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, phase: str) -> None:
        super().__init__(id=f"phase-{phase.replace('_', '-')}")
        self.phase = phase

    def compose(self) -> ComposeResult:
        """Name, bar, counts, rate."""
        yield Label(t(f"sync_ui.phase.{self.phase}"), classes="phase-name", markup=False)
        yield ProgressBar(total=1, show_eta=False)
        yield Label("—", classes="phase-counts", markup=False)
        yield Label("", classes="phase-rate", markup=False)

    def show_stopped(self, state: PhaseState) -> None:
        """The run was cancelled in this phase: say where, and leave the bar where it was."""
        self.query_one(".phase-counts", Label).update(t("wait.stopped_at", done=number(state.done)))
        bar = self.query_one(ProgressBar)
        bar.update(total=max(state.total or state.done, 1), progress=state.done)

    def show(self, state: PhaseState) -> None:
        """Draw ``state``: an unknown total pulses, a known one fills the bar."""
        bar = self.query_one(ProgressBar)
        if not state.reported:
            bar.update(total=1, progress=0)
        elif state.total is None:
            bar.update(total=None, progress=state.done)
        else:
            # An empty phase (nothing to apply) is complete, not stuck at 0 %.
            bar.update(total=max(state.total, 1), progress=state.done if state.total else 1)
        self.query_one(".phase-counts", Label).update(format_counts(state))
        self.query_one(".phase-rate", Label).update(format_rate(state.rate()))


class SyncProgress(Vertical):
    """The four phase rows of a run; the screen feeds it engine progress."""

    DEFAULT_CSS = """
    SyncProgress { height: auto; }
    SyncProgress > #sync-wait { height: auto; padding: 0 1; color: $warning; display: none; }
    SyncProgress > #sync-wait.waiting { display: block; }
    """

    def __init__(self, *, clock: Clock, id: str | None = None) -> None:
        super().__init__(id=id)
        self.clock = clock
        """Where times come from (``time.monotonic``; tests pass a fixed clock)."""
        self.states: dict[str, PhaseState] = {phase: PhaseState() for phase in PHASES}
        self._run_started: float | None = None
        self.wait: RateWaiting | None = None
        """The rate-limit wait under way, if any."""

    def compose(self) -> ComposeResult:
        """One row per phase, then the wait line (hidden unless waiting)."""
        for phase in PHASES:
            yield PhaseRow(phase)
        yield Label("", id="sync-wait", markup=False)

    def on_mount(self) -> None:
        """Count the wait down twice a second."""
        self.set_interval(0.5, self._tick, name="sync:wait")

    def waiting(self, event: RateWaiting) -> None:
        """A client started waiting for a service's limit: show it, counting down."""
        self.wait = event
        self._tick()

    def wait_text(self) -> str:
        """The wait line as of now ("" when no wait is under way)."""
        if self.wait is None:
            return ""
        left = self.wait.until - self.clock()
        if left <= 0:
            return ""
        return wait_message(self.wait.service, self.wait.limit, left)

    def _tick(self) -> None:
        text = self.wait_text()
        if not text:
            self.wait = None
        label = self.query_one("#sync-wait", Label)
        label.update(text)
        label.set_class(bool(text), "waiting")

    def stopped(self) -> None:
        """The run was cancelled: no wait any more; unfinished phases say where they stopped."""
        self.wait = None
        self._tick()
        for row in self.query(PhaseRow):
            state = self.states[row.phase]
            if state.reported and (state.total is None or state.done < state.total):
                row.show_stopped(state)

    def reset(self) -> None:
        """A new run starts: every phase back to "not reached"."""
        self._run_started = self.clock()
        self.states = {phase: PhaseState() for phase in PHASES}
        self.wait = None
        for row in self.query(PhaseRow):
            row.show(self.states[row.phase])
        self._tick()

    def progressed(self, phase: str, done: int, total: int | None) -> None:
        """The engine reported progress of ``phase`` (unknown phases are ignored)."""
        state = self.states.get(phase)
        if state is None:
            return
        now = self.clock()
        if state.started is None:
            state.started = self._previous_end(phase)
            if state.started is None:
                state.started = now if self._run_started is None else self._run_started
        state.done, state.total, state.updated, state.reported = done, total, now, True
        self.query_one(f"#phase-{phase.replace('_', '-')}", PhaseRow).show(state)
        if self.wait is not None and self.wait.until <= now + 0.5:
            self.wait = None  # progress again: the wait is over
            self._tick()

    def _previous_end(self, phase: str) -> float | None:
        index = PHASES.index(phase)
        for earlier in reversed(PHASES[:index]):
            updated = self.states[earlier].updated
            if updated is not None:
                return updated
        return None
