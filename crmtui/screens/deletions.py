"""Deletions review: decide what happens to contacts flagged with the deletion tag.

``a`` archive (confirmed), ``D`` delete (type the email to confirm), ``X`` erase for good (GDPR
art. 17, type the email: :mod:`crmtui.screens.erase_dialog`), ``i`` ignore, ``space``
multi-select, ``A`` select every match of the filter (on any page), ``/`` filter, ``u`` undo a
decision not yet applied, ``p`` apply the decisions, ``S`` sort by the column chosen with ← → (in SQL).
Every decision is recorded and audited by the store (who: the OS user ``@console``) before
anything is written remotely; applying runs :func:`crmtui.engine.decisions.apply_decisions` in a
thread worker under the run lock, with progress.

The list is a :class:`crmtui.widgets.review_queue.ReviewQueue` over
:class:`crmtui.widgets.sync_decisions.DeletionSource`: a window of the queue read from SQL, the
filter's matches (debounced while typing), counts from SQL too, and the selection as a set of emails
kept across pages, with the entries it names read fresh on every load.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Label, ProgressBar
from textual.worker import Worker

import crmtui.i18n.sync_ui  # noqa: F401  (registers the sync screens' text)
from crmtui.engine.decisions import DecisionsOutcome, apply_decisions
from crmtui.engine.events import Event, StepProgressed
from crmtui.i18n import t
from crmtui.screens.confirm import ConfirmScreen, TypedConfirmScreen
from crmtui.screens.erase_dialog import ask_erase
from crmtui.screens.messages import EngineReported
from crmtui.screens.mode_screen import ModeScreen
from crmtui.store.locks import RUN_LOCK, LockHeld
from crmtui.store.review import QueueCounts
from crmtui.store.sync import Decision
from crmtui.text import literal, printable
from crmtui.widgets.footer import Footer
from crmtui.widgets.paged_table import WINDOW as WINDOW  # the rows a window holds (tests and bench read it)
from crmtui.widgets.review_queue import QueueScreen, ReviewQueue
from crmtui.widgets.sortable import SortKey, sort_binding
from crmtui.widgets.status import StatusBar
from crmtui.widgets.sync_common import console_actor, engine_work_running, notify_worker_error
from crmtui.widgets.sync_decisions import (
    MAX_LISTED,
    DecisionTable,
    DeletionFigures,
    DeletionSource,
    can_undo,
    detail_text,
    is_open,
)


def _listing(decisions: Sequence[Decision], total: int | None = None) -> Text:
    text = Text()
    for decision in decisions[:MAX_LISTED]:
        text.append("  • ")
        text.append(printable(decision.email), style="bold")
        if decision.name:
            text.append(f"  {printable(decision.name)}")
        text.append("\n")
    total = len(decisions) if total is None else total
    if total > MAX_LISTED:
        text.append(t("sync_ui.and_more", n=total - MAX_LISTED) + "\n")
    return text


class DeletionsScreen(QueueScreen, SortKey, ModeScreen):
    """The deletion queue and the operator's decisions."""

    BINDINGS = [
        Binding("a", "archive", t("sync_ui.key.archive"), id="deletions.archive"),
        Binding("D", "delete", t("sync_ui.key.delete"), id="deletions.delete"),
        Binding("X", "erase", t("erase.ui.key"), show=False, id="deletions.erase", tooltip=t("erase.ui.tip")),
        Binding("i", "ignore", t("sync_ui.key.ignore"), id="deletions.ignore"),
        Binding("p", "apply", t("sync_ui.key.apply"), id="deletions.apply"),
        Binding("u", "undo", t("sync_ui.key.undo"), id="deletions.undo"),
        Binding("slash", "filter", t("sync_ui.key.filter"), id="deletions.filter"),
        Binding("space", "toggle_select", t("sync_ui.key.select"), show=False, id="deletions.select"),
        Binding(
            "A",
            "select_matching",
            t("sync_ui.key.select_all"),
            show=False,
            id="deletions.select_all",
            tooltip=t("sync_ui.key.select_all.tip"),
        ),
        sort_binding("deletions"),
        Binding("escape", "clear", t("console.key.back"), show=False, id="deletions.clear"),
    ]
    CHECKED = ("archive", "delete", "erase", "ignore", "undo", "apply")
    """The actions :meth:`check_action` may grey out."""

    applying: reactive[bool] = reactive(False)
    """Decisions are being applied."""

    def __init__(self) -> None:
        super().__init__()
        self.queue: ReviewQueue[Decision, DeletionFigures] = ReviewQueue(
            DeletionSource,
            DecisionTable(id="deletions-table"),
            summary=DeletionFigures(),
            on_change=self._queue_changed,
            filter_id="deletions-filter",
            filter_placeholder=t("sync_ui.filter.placeholder"),
            detail_id="deletions-detail",
            detail=detail_text,
            ask=ConfirmScreen,
        )

    @property
    def decisions(self) -> list[Decision]:
        """The window of the (filtered) queue on screen, as last read from the store."""
        return self.queue.rows

    @property
    def counts(self) -> QueueCounts:
        """The whole list's counts (whatever the filter), as last read."""
        return self.queue.summary.counts

    @property
    def selected(self) -> frozenset[str]:
        """Emails picked with space, on any page (actions apply to them, else to the row under the cursor)."""
        return self.queue.selected

    @property
    def needle(self) -> str:
        """The filter text."""
        return self.queue.needle

    def compose(self) -> ComposeResult:
        """Status bar, title and counts, the queue (its filter hidden until ``/``, the full email and tag
        under it), progress, footer."""
        yield StatusBar()
        yield Label(t("sync_ui.deletions.title"), classes="section-title")
        yield Label("", id="deletions-counts")
        yield self.queue
        with Horizontal(id="deletions-progress"):
            yield Label(t("sync_ui.applying"), id="deletions-progress-label")
            yield ProgressBar(total=1, show_eta=False)
        yield Footer()

    DEFAULT_CSS = """
    DeletionsScreen #deletions-counts { padding: 0 1; color: $text-muted; }
    DeletionsScreen #deletions-progress { height: 1; display: none; }
    DeletionsScreen #deletions-progress.-visible { display: block; }
    DeletionsScreen #deletions-progress-label { padding: 0 1; }
    """

    def on_mount(self) -> None:
        """The table has the focus (the queue reads its first rows)."""
        self.queue.table.focus()

    def _queue_changed(self, what: str) -> None:
        """The counts line follows the rows, the selection and the filter; the keys what they apply to."""
        if what != "cursor":
            self._show_counts()
        if what != "filter":
            self._refresh_keys()

    def _show_counts(self) -> None:
        counts = self.counts
        text = t(
            "sync_ui.deletions.counts",
            pending=counts.pending,
            to_apply=counts.to_apply,
            ignored=counts.ignored,
        )
        if self.selected:
            text += " · " + t("sync_ui.deletions.selected", n=len(self.selected))
        if self.needle:
            text += " · " + t("sync_ui.deletions.filtered", text=self.needle)
        elif not (counts.pending or counts.to_apply or counts.ignored):
            text = t("sync_ui.deletions.empty")  # what would appear here, and the key that fills it
        self.query_one("#deletions-counts", Label).update(literal(text))

    # -- what an action applies to ----------------------------------------------------------------

    def targets(self) -> list[Decision]:
        """The selected contacts, else the one under the cursor."""
        return self.queue.targets()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Grey out what cannot apply to the current targets (delete: exactly one contact).

        Constant time whatever the queue size: the row under the cursor from the window, the
        selection's figures kept as it changes, the number of decisions to apply from the last count.
        """
        if not self.is_mounted:
            return True
        queue = self.queue
        if action == "erase":
            if self.selected:
                return len(queue.picked) == 1 or None
            return queue.current() is not None or None
        if action in ("archive", "ignore", "delete", "undo"):
            if self.selected:
                picked, tags = len(queue.picked), queue.picked_tags
                if action == "delete":
                    return (picked == 1 and tags["open"] == 1) or None
                return tags["undoable" if action == "undo" else "open"] > 0 or None
            current = queue.current()
            if current is None:
                return None
            return (can_undo(current) if action == "undo" else is_open(current)) or None
        if action == "apply":
            return (not self.applying and self.counts.applicable > 0) or None
        return True

    def watch_applying(self) -> None:
        """``p`` is greyed out while applying."""
        if self.is_mounted:
            self._refresh_keys()

    # -- selection and filter -------------------------------------------------------------------

    def action_toggle_select(self) -> None:
        """Add or remove the row under the cursor from the selection, then move down."""
        self.queue.toggle_select()

    def action_select_matching(self) -> None:
        """Select every row the filter lists (the whole queue without a filter), on any page."""
        self.queue.select_matching()

    def action_filter(self) -> None:
        """Show the filter and type in it."""
        self.queue.open_filter()

    async def action_clear(self) -> None:
        """Escape: close the filter (clearing it), else drop the selection, else go back."""
        if not self.queue.escape():
            await self.app.run_action("back_home")

    # -- decisions ------------------------------------------------------------------------------

    def action_archive(self) -> None:
        """Archive (after a confirmation): the contact leaves the audience, Copper gets ``📥 INACTIF``."""
        targets = [d for d in self.targets() if is_open(d)]
        if not targets:
            return
        body = Text(t("sync_ui.archive.body") + "\n\n")
        body.append_text(_listing(targets))
        self.queue.confirm(
            t("sync_ui.archive.title", n=len(targets)),
            body,
            lambda: self.decide([d.email for d in targets], "archive"),
        )

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
        self.queue.selected = frozenset()
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
        self.queue.selected = frozenset()
        self.reload()

    # -- applying -------------------------------------------------------------------------------

    def action_apply(self) -> None:
        """Apply the recorded archive and delete decisions (after a confirmation)."""
        counts = self.counts
        if not counts.applicable or self.applying:
            return
        busy = engine_work_running(self.app)
        if busy:
            self.notify(printable(t("sync_ui.busy_here", what=busy)), severity="warning", markup=False)
            return
        body = Text(t("sync_ui.apply.body", archives=counts.archives, deletes=counts.deletes) + "\n\n")
        body.append_text(_listing(self.queue.summary.to_apply, counts.applicable))
        self.queue.confirm(
            t("sync_ui.apply.title", n=counts.applicable), body, lambda: self.start_apply(counts.applicable)
        )

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
        """A failed worker becomes a notification (the queue's own reads say so themselves)."""
        notify_worker_error(self.app, event)
