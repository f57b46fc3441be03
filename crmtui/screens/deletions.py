"""Deletions review: decide what happens to contacts flagged with the deletion tag.

``a`` archive (confirmed), ``D`` delete (type the email to confirm), ``X`` erase for good (GDPR
art. 17, type the email: :mod:`crmtui.screens.erase_dialog`), ``i`` ignore, ``space``
multi-select, ``/`` filter, ``u`` undo a decision not yet applied, ``p`` apply the decisions.
Every decision is recorded and audited by the store (who: the OS user ``@console``) before
anything is written remotely; applying runs :func:`crmtui.engine.decisions.apply_decisions` in a
thread worker under the run lock, with progress.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.reactive import reactive, var
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Label, ProgressBar
from textual.worker import Worker

import crmtui.i18n_sync_ui  # noqa: F401  (registers the sync screens' text)
from crmtui.engine.decisions import DecisionsOutcome, apply_decisions
from crmtui.engine.events import Event, StepProgressed
from crmtui.i18n import t
from crmtui.messages import EngineReported
from crmtui.screens.confirm import ConfirmScreen, TypedConfirmScreen
from crmtui.screens.erase_dialog import ask_erase
from crmtui.screens.workers import deliver
from crmtui.store.locks import RUN_LOCK, LockHeld
from crmtui.store.sync import Decision
from crmtui.text import literal, printable
from crmtui.widgets.status import StatusBar
from crmtui.widgets.sync_common import console_actor, engine_work_running, notify_worker_error
from crmtui.widgets.sync_decisions import DecisionTable, can_undo, is_open

LIST_STATES = ("pending", "decided", "failed", "applied")
"""Queue states read for the screen (applied archives and deletes are then left out)."""

_MAX_LISTED = 8
"""How many emails a confirmation lists before "… and N more"."""


def _listing(decisions: Sequence[Decision]) -> Text:
    text = Text()
    for decision in decisions[:_MAX_LISTED]:
        text.append("  • ")
        text.append(printable(decision.email), style="bold")
        if decision.name:
            text.append(f"  {printable(decision.name)}")
        text.append("\n")
    if len(decisions) > _MAX_LISTED:
        text.append(t("sync_ui.and_more", n=len(decisions) - _MAX_LISTED) + "\n")
    return text


class DeletionsScreen(Screen[None]):
    """The deletion queue and the operator's decisions."""

    BINDINGS = [
        Binding("a", "archive", t("sync_ui.key.archive"), id="deletions.archive"),
        Binding("D", "delete", t("sync_ui.key.delete"), id="deletions.delete"),
        Binding("X", "erase", t("erase.ui.key"), show=False, id="deletions.erase", tooltip=t("erase.ui.tip")),
        Binding("i", "ignore", t("sync_ui.key.ignore"), id="deletions.ignore"),
        Binding("u", "undo", t("sync_ui.key.undo"), id="deletions.undo"),
        Binding("p", "apply", t("sync_ui.key.apply"), id="deletions.apply"),
        Binding("slash", "filter", t("sync_ui.key.filter"), id="deletions.filter"),
        Binding("space", "toggle_select", t("sync_ui.key.select"), show=False, id="deletions.select"),
        Binding("escape", "clear", t("console.key.back"), show=False, id="deletions.clear"),
    ]

    selected: var[frozenset[str]] = var(frozenset())
    """Emails picked with space (actions apply to them, else to the row under the cursor)."""
    needle: reactive[str] = reactive("")
    """The filter text."""
    applying: reactive[bool] = reactive(False, bindings=True)
    """Decisions are being applied."""

    def __init__(self) -> None:
        super().__init__()
        self.decisions: list[Decision] = []
        """The queue as last read from the store (the table shows it, filtered)."""

    def compose(self) -> ComposeResult:
        """Status bar, title and counts, the filter (hidden until ``/``), the table, progress, footer."""
        yield StatusBar()
        yield Label(t("sync_ui.deletions.title"), classes="section-title")
        yield Label("", id="deletions-counts")
        yield Input(placeholder=t("sync_ui.filter.placeholder"), id="deletions-filter")
        yield DecisionTable(id="deletions-table")
        with Horizontal(id="deletions-progress"):
            yield Label(t("sync_ui.applying"), id="deletions-progress-label")
            yield ProgressBar(total=1, show_eta=False)
        yield Footer()

    DEFAULT_CSS = """
    DeletionsScreen #deletions-counts { padding: 0 1; color: $text-muted; }
    DeletionsScreen #deletions-filter { display: none; }
    DeletionsScreen #deletions-filter.-visible { display: block; }
    DeletionsScreen #deletions-progress { height: 1; display: none; }
    DeletionsScreen #deletions-progress.-visible { display: block; }
    DeletionsScreen #deletions-progress-label { padding: 0 1; }
    """

    def on_mount(self) -> None:
        """Read the queue."""
        self.query_one(DecisionTable).focus()
        self.reload()

    def on_screen_resume(self) -> None:
        """A sync may have queued contacts meanwhile."""
        self.reload()

    # -- reading --------------------------------------------------------------------------------

    @work(
        thread=True,
        exclusive=True,
        group="deletions:load",
        exit_on_error=False,
        description="Reading the queue",
    )
    def reload(self) -> None:
        """Read the queue in a thread; applied archives and deletes are done and left out."""
        rows = self.app.store.sync.decisions(LIST_STATES)  # type: ignore[attr-defined]
        shown = [d for d in rows if d.state != "applied" or d.decision == "ignore"]
        # Open decisions first, ignored ones after: the queue is what still needs a look.
        shown.sort(key=lambda d: (d.decision == "ignore" and d.state == "applied", d.detected_at, d.email))
        deliver(self.app, self.show_queue, shown)

    def show_queue(self, decisions: list[Decision]) -> None:
        """Put the queue on screen; selections of contacts no longer listed are dropped."""
        self.decisions = decisions
        emails = {d.email for d in decisions}
        self.selected = frozenset(e for e in self.selected if e in emails)
        self._redraw()

    def _redraw(self) -> None:
        self.query_one(DecisionTable).show(self.decisions, self.selected, self.needle)
        self._show_counts()
        self.refresh_bindings()

    def _show_counts(self) -> None:
        pending = sum(1 for d in self.decisions if d.decision is None)
        to_apply = sum(
            1 for d in self.decisions if d.state in ("decided", "failed") and d.decision != "ignore"
        )
        ignored = sum(1 for d in self.decisions if d.decision == "ignore")
        text = t("sync_ui.deletions.counts", pending=pending, to_apply=to_apply, ignored=ignored)
        if self.selected:
            text += " · " + t("sync_ui.deletions.selected", n=len(self.selected))
        if self.needle:
            text += " · " + t("sync_ui.deletions.filtered", text=self.needle)
        self.query_one("#deletions-counts", Label).update(literal(text))

    # -- what an action applies to ----------------------------------------------------------------

    def _by_email(self) -> dict[str, Decision]:
        return {d.email: d for d in self.decisions}

    def targets(self) -> list[Decision]:
        """The selected contacts, else the one under the cursor."""
        by_email = self._by_email()
        if self.selected:
            return [by_email[e] for e in sorted(self.selected) if e in by_email]
        current = self.query_one(DecisionTable).current_email()
        return [by_email[current]] if current in by_email else []

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Grey out what cannot apply to the current targets (delete: exactly one contact)."""
        if not self.is_mounted:
            return True
        if action in ("archive", "ignore"):
            return any(is_open(d) for d in self.targets()) or None
        if action == "delete":
            targets = self.targets()
            return (len(targets) == 1 and is_open(targets[0])) or None
        if action == "erase":
            return len(self.targets()) == 1 or None
        if action == "undo":
            return any(can_undo(d) for d in self.targets()) or None
        if action == "apply":
            return (not self.applying and any(_to_apply(d) for d in self.decisions)) or None
        return True

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self) -> None:
        """What the keys apply to follows the cursor."""
        self.refresh_bindings()

    # -- selection and filter -------------------------------------------------------------------

    def action_toggle_select(self) -> None:
        """Add or remove the row under the cursor from the selection, then move down."""
        table = self.query_one(DecisionTable)
        email = table.current_email()
        if email is None:
            return
        chosen = set(self.selected)
        chosen.symmetric_difference_update({email})
        self.selected = frozenset(chosen)
        table.mark(email, email in chosen)
        table.action_cursor_down()
        self._show_counts()
        self.refresh_bindings()

    def action_filter(self) -> None:
        """Show the filter and type in it."""
        field = self.query_one("#deletions-filter", Input)
        field.add_class("-visible")
        field.focus()

    @on(Input.Changed, "#deletions-filter")
    def filter_changed(self, event: Input.Changed) -> None:
        """Filter as the operator types."""
        self.needle = event.value.strip()

    @on(Input.Submitted, "#deletions-filter")
    def filter_submitted(self) -> None:
        """Enter keeps the filter and goes back to the table."""
        self.query_one(DecisionTable).focus()

    def watch_needle(self) -> None:
        """Redraw with the filter."""
        if self.is_mounted:
            self._redraw()

    async def action_clear(self) -> None:
        """Escape: close the filter (clearing it), else drop the selection."""
        field = self.query_one("#deletions-filter", Input)
        if field.has_class("-visible"):
            field.value = ""
            field.remove_class("-visible")
            self.query_one(DecisionTable).focus()
        elif self.selected:
            self.selected = frozenset()
            self._redraw()
        else:
            await self.app.run_action("back_home")

    # -- decisions ------------------------------------------------------------------------------

    def action_archive(self) -> None:
        """Archive (after a confirmation): the contact leaves the audience, Copper gets ``📥 INACTIF``."""
        targets = [d for d in self.targets() if is_open(d)]
        if not targets:
            return
        body = Text(t("sync_ui.archive.body") + "\n\n")
        body.append_text(_listing(targets))

        def decided(confirmed: bool | None) -> None:
            if confirmed:
                self.decide([d.email for d in targets], "archive")

        self.app.push_screen(ConfirmScreen(t("sync_ui.archive.title", n=len(targets)), body), decided)

    def action_delete(self) -> None:
        """Delete for good, one contact at a time, after typing its email exactly."""
        targets = self.targets()
        if len(targets) != 1 or not is_open(targets[0]):
            self.notify(t("sync_ui.delete.one_at_a_time"), severity="warning")
            return
        target = targets[0]
        body = Text(t("sync_ui.delete.body") + "\n\n")
        body.append_text(_listing([target]))

        def decided(confirmed: bool | None) -> None:
            if confirmed:
                self.decide([target.email], "delete")
            else:
                self.notify(t("sync_ui.delete.cancelled"))

        self.app.push_screen(TypedConfirmScreen(t("sync_ui.delete.title"), body, target.email), decided)

    def action_erase(self) -> None:
        """Erase one contact for good (GDPR art. 17), after typing its email exactly.

        Unlike the delete decision, this also removes every trace of them here (history, logs,
        reports) at once, whatever the decision state.
        """
        targets = self.targets()
        if len(targets) != 1:
            self.notify(t("sync_ui.delete.one_at_a_time"), severity="warning")
            return
        target = targets[0]
        ask_erase(self, target.email, target.name or "", lambda _result: self.reload())

    def action_ignore(self) -> None:
        """Keep the contacts as they are (still excluded from the sync)."""
        targets = [d.email for d in self.targets() if is_open(d)]
        if targets:
            self.decide(targets, "ignore")

    def action_undo(self) -> None:
        """Withdraw decisions not yet applied: the contacts are pending again."""
        targets = [d.email for d in self.targets() if can_undo(d)]
        if targets:
            self.undo(targets)

    @work(thread=True, group="deletions:decide", exit_on_error=False, description="Recording decisions")
    def decide(self, emails: list[str], decision: str) -> None:
        """Record (and audit) a decision in the store."""
        count = self.app.store.sync.decide(emails, decision, console_actor())  # type: ignore[attr-defined]
        self.app.call_from_thread(self.decided, decision, count)

    def decided(self, decision: str, count: int) -> None:
        """Say what was recorded; reload."""
        key = "sync_ui.decided.ignore" if decision == "ignore" else "sync_ui.decided"
        self.notify(t(key, n=count, decision=t(f"sync_ui.decision.{decision}")))
        self.selected = frozenset()
        self.reload()

    @work(thread=True, group="deletions:decide", exit_on_error=False, description="Undoing decisions")
    def undo(self, emails: list[str]) -> None:
        """Withdraw decisions (audited by the store)."""
        store = self.app.store  # type: ignore[attr-defined]
        actor = console_actor()
        count = sum(1 for email in emails if store.sync.undo(email, actor))
        self.app.call_from_thread(self.undone, count)

    def undone(self, count: int) -> None:
        """Say how many were withdrawn; reload."""
        self.notify(t("sync_ui.undone", n=count))
        self.selected = frozenset()
        self.reload()

    # -- applying -------------------------------------------------------------------------------

    def action_apply(self) -> None:
        """Apply the recorded archive and delete decisions (after a confirmation)."""
        todo = [d for d in self.decisions if _to_apply(d)]
        if not todo or self.applying:
            return
        busy = engine_work_running(self.app)
        if busy:
            self.notify(printable(t("sync_ui.busy_here", what=busy)), severity="warning", markup=False)
            return
        archives = sum(1 for d in todo if d.decision == "archive")
        deletes = len(todo) - archives
        body = Text(t("sync_ui.apply.body", archives=archives, deletes=deletes) + "\n\n")
        body.append_text(_listing(todo))

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.start_apply(len(todo))

        self.app.push_screen(ConfirmScreen(t("sync_ui.apply.title", n=len(todo)), body), confirmed)

    def start_apply(self, total: int) -> None:
        """Show the progress and start the worker."""
        self.applying = True
        self.query_one("#deletions-progress").add_class("-visible")
        self.query_one("#deletions-progress", Horizontal).query_one(ProgressBar).update(
            total=total, progress=0
        )
        self.apply_worker()

    @work(
        thread=True,
        exclusive=True,
        group="deletions:apply",
        exit_on_error=False,
        description="Applying decisions",
    )
    def apply_worker(self) -> None:
        """Apply under the run lock (never alongside a sync), in this thread's own event loop."""
        app = self.app
        settings = app.settings  # type: ignore[attr-defined]
        store = app.store  # type: ignore[attr-defined]

        def emit(event: Event) -> None:
            self.post_message(EngineReported(event))

        outcome: DecisionsOutcome | None = None
        try:
            store.locks.acquire(RUN_LOCK, "console (decisions)")
        except LockHeld as exc:
            app.call_from_thread(self.applied, None, exc.holder.describe())
            return
        try:
            outcome = asyncio.run(apply_decisions(settings, store, actor=console_actor(), emit=emit))
        finally:
            store.locks.release(RUN_LOCK)
            app.call_from_thread(self.applied, outcome, "")

    @on(EngineReported)
    def engine_reported(self, message: EngineReported) -> None:
        """Progress of the decisions being applied."""
        event = message.event
        if isinstance(event, StepProgressed) and event.step == "decisions":
            bar = self.query_one("#deletions-progress", Horizontal).query_one(ProgressBar)
            bar.update(total=event.total or 1, progress=event.done)

    def applied(self, outcome: DecisionsOutcome | None, busy_owner: str) -> None:
        """The worker ended: say what happened, reload."""
        self.applying = False
        self.query_one("#deletions-progress").remove_class("-visible")
        if busy_owner:
            self.notify(printable(t("cycle.busy", owner=busy_owner)), severity="warning", markup=False)
        elif outcome is not None:
            text = t("sync_ui.applied", applied=outcome.applied, failed=outcome.failed)
            if outcome.errors:
                text += "\n" + "\n".join(printable(e) for e in outcome.errors[:3])
            if outcome.failed:
                self.notify(text, severity="error", markup=False, timeout=8)
            else:
                self.notify(text, markup=False)
        self.reload()

    @on(Worker.StateChanged)
    def _worker_state(self, event: Worker.StateChanged) -> None:
        """A failed worker becomes a notification."""
        notify_worker_error(self.app, event)


def _to_apply(decision: Decision) -> bool:
    return decision.decision in ("archive", "delete") and decision.state in ("decided", "failed")
