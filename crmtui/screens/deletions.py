"""Deletions review: decide what happens to contacts flagged with the deletion tag.

``a`` archive (confirmed), ``D`` delete (type the email to confirm), ``X`` erase for good (GDPR
art. 17, type the email: :mod:`crmtui.screens.erase_dialog`), ``i`` ignore, ``space``
multi-select, ``/`` filter, ``u`` undo a decision not yet applied, ``p`` apply the decisions.
Every decision is recorded and audited by the store (who: the OS user ``@console``) before
anything is written remotely; applying runs :func:`crmtui.engine.decisions.apply_decisions` in a
thread worker under the run lock, with progress.

The table holds a window of the queue (:data:`WINDOW` rows) read from SQL by one exclusive worker
(:meth:`DeletionsScreen.load`): the first rows on opening, a fresh window around the cursor when it
comes within :data:`MARGIN` rows of either edge, the first or last rows for Home/End, the filter's
matches (debounced while typing). Counts come from SQL too; the selection is a set of emails kept
across pages, with the entries it names read fresh on every load. A superseded load never lands
(:func:`crmtui.screens.workers.deliver`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.reactive import reactive, var
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Input, Label, ProgressBar
from textual.worker import Worker, WorkerState

import crmtui.i18n.sync_ui  # noqa: F401  (registers the sync screens' text)
from crmtui.engine.decisions import DecisionsOutcome, apply_decisions
from crmtui.engine.events import Event, StepProgressed
from crmtui.i18n import t
from crmtui.screens.confirm import ConfirmScreen, TypedConfirmScreen
from crmtui.screens.erase_dialog import ask_erase
from crmtui.screens.messages import EngineReported
from crmtui.screens.workers import deliver
from crmtui.store.locks import RUN_LOCK, LockHeld
from crmtui.store.review import Key, QueueCounts, review_key
from crmtui.store.sync import Decision
from crmtui.text import literal, printable
from crmtui.widgets.footer import Footer
from crmtui.widgets.paged_table import MARGIN, WINDOW
from crmtui.widgets.status import StatusBar
from crmtui.widgets.sync_common import console_actor, engine_work_running, notify_worker_error
from crmtui.widgets.sync_decisions import DecisionTable, can_undo, is_open, matches

FILTER_DELAY = 0.15
"""Seconds of quiet typing before the filter runs."""

_CHECKED = ("archive", "delete", "erase", "ignore", "undo", "apply")
"""The actions :meth:`DeletionsScreen.check_action` may grey out."""

_MAX_LISTED = 8
"""How many emails a confirmation lists before "… and N more"."""


def _listing(decisions: Sequence[Decision], total: int | None = None) -> Text:
    text = Text()
    for decision in decisions[:_MAX_LISTED]:
        text.append("  • ")
        text.append(printable(decision.email), style="bold")
        if decision.name:
            text.append(f"  {printable(decision.name)}")
        text.append("\n")
    total = len(decisions) if total is None else total
    if total > _MAX_LISTED:
        text.append(t("sync_ui.and_more", n=total - _MAX_LISTED) + "\n")
    return text


@dataclass(frozen=True)
class Loaded:
    """What one load read: a window of the list, where the cursor goes, and the whole list's figures."""

    needle: str
    rows: list[Decision]
    cursor: int
    at_start: bool
    at_end: bool
    counts: QueueCounts
    asked: frozenset[str] = frozenset()
    """The selection when the load started."""
    picked: dict[str, Decision] = field(default_factory=dict)
    """The emails of ``asked`` still listed, read fresh."""
    to_apply: list[Decision] = field(default_factory=list)
    """The first decisions ``p`` would apply (for its confirmation)."""


class DeletionsScreen(Screen[None]):
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
        Binding("escape", "clear", t("console.key.back"), show=False, id="deletions.clear"),
    ]

    selected: var[frozenset[str]] = var(frozenset())
    """Emails picked with space, on any page (actions apply to them, else to the row under the cursor)."""
    needle: reactive[str] = reactive("")
    """The filter text."""
    applying: reactive[bool] = reactive(False)
    """Decisions are being applied."""

    def __init__(self) -> None:
        super().__init__()
        self.decisions: list[Decision] = []
        """The window of the (filtered) queue on screen, as last read from the store."""
        self.counts = QueueCounts()
        """The whole list's counts (whatever the filter), as last read."""
        self._by_email: dict[str, Decision] = {}
        self._picked: dict[str, Decision] = {}
        self._picked_open = 0
        self._picked_undoable = 0
        self._to_apply: list[Decision] = []
        self._loaded_needle = ""
        self._loading = False
        self._filter_timer: Timer | None = None
        self._keys: tuple[bool | None, ...] = ()

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
        """Read the first rows."""
        self.query_one(DecisionTable).focus()
        self._load("first")

    def on_screen_resume(self) -> None:
        """A sync may have queued contacts meanwhile."""
        self.reload()

    # -- reading --------------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the window again around the row under the cursor (it follows its contact if it moved)."""
        self._load("around")

    def _load(self, mode: str) -> None:
        """Start a load: ``first``, ``last`` or ``around`` the row under the cursor, with the current filter."""
        table = self.query_one(DecisionTable)
        email = table.current_email()
        current = self._by_email.get(email or "")
        anchor = review_key(current) if current is not None and mode == "around" else None
        if mode == "around" and anchor is None:
            mode = "first"
        refilter = self.needle != self._loaded_needle
        self._loading = True
        self._loaded_needle = self.needle
        self.load(mode, self.needle, anchor, email, self.selected, refilter)

    @work(
        thread=True,
        exclusive=True,
        group="deletions:load",
        exit_on_error=False,
        description="Reading the queue",
    )
    def load(
        self,
        mode: str,
        needle: str,
        anchor: Key | None,
        email: str | None,
        selected: frozenset[str],
        refilter: bool = False,
    ) -> None:
        """Read a window of the list, its counts and the selected entries, in a thread.

        ``around``: the rows before and after ``anchor`` (the row under the cursor); ``refilter``: the
        filter changed, so a cursor on a row it hides goes to the first match instead.
        """
        review = self.app.store.review  # type: ignore[attr-defined]
        picked = review.listed_decisions(sorted(selected | ({email} if email else set())))
        current = picked.get(email or "")
        if mode == "around":
            # The contact under the cursor may have moved (an ignore lists it last): follow it. If the
            # filter hides it, a new filter starts at its first match; otherwise the window opens where
            # the contact was (it was applied, or a sync closed it).
            if current is not None and matches(current, needle):
                anchor = review_key(current)
            else:
                current = None
                anchor = None if refilter else anchor
        if email is not None and email not in selected:
            picked.pop(email, None)
        if mode == "first" or anchor is None and mode != "last":
            page = review.deletion_page(needle, limit=WINDOW)
            rows, cursor, at_start, at_end = page.rows, 0, page.at_start, page.at_end
        elif mode == "last":
            page = review.deletion_page(needle, limit=WINDOW, last=True)
            rows, cursor, at_start, at_end = page.rows, len(page.rows) - 1, page.at_start, page.at_end
        else:
            back = review.deletion_page(needle, limit=WINDOW // 2, before=anchor)
            ahead = review.deletion_page(needle, limit=WINDOW - len(back.rows), after=anchor, inclusive=True)
            rows, cursor = back.rows + ahead.rows, len(back.rows)
            at_start, at_end = back.at_start, ahead.at_end
            if at_end and not at_start and len(rows) < WINDOW:  # near the end: a full window all the same
                more = review.deletion_page(needle, limit=WINDOW - len(rows), before=review_key(rows[0]))
                rows, cursor, at_start = more.rows + rows, cursor + len(more.rows), more.at_start
            if current is not None:
                cursor = next((i for i, d in enumerate(rows) if d.email == current.email), cursor)
        loaded = Loaded(
            needle,
            rows,
            cursor,
            at_start,
            at_end,
            review.deletion_counts(),
            selected,
            picked,
            review.to_apply(_MAX_LISTED),
        )
        deliver(self.app, self.show_queue, loaded)

    def show_queue(self, loaded: Loaded) -> None:
        """Put the window on screen; selections of contacts no longer listed are dropped."""
        self._loading = False
        self.decisions = loaded.rows
        self._by_email = {d.email: d for d in loaded.rows}
        self.counts = loaded.counts
        self._to_apply = loaded.to_apply
        # Space pressed while this load ran: those picks stand as they are (the next load reads them).
        picked = {e: d for e, d in loaded.picked.items() if e in self.selected}
        picked.update((e, self._picked[e]) for e in self.selected - loaded.asked if e in self._picked)
        self._set_picked(picked)
        self.selected = frozenset(e for e in self.selected if e in picked)
        self.query_one(DecisionTable).show(
            loaded.rows, self.selected, cursor=loaded.cursor, at_start=loaded.at_start, at_end=loaded.at_end
        )
        self._show_counts()
        self._refresh_keys()

    def _set_picked(self, picked: dict[str, Decision]) -> None:
        self._picked = picked
        self._picked_open = sum(1 for d in picked.values() if is_open(d))
        self._picked_undoable = sum(1 for d in picked.values() if can_undo(d))

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

    def _current(self) -> Decision | None:
        return self._by_email.get(self.query_one(DecisionTable).current_email() or "")

    def targets(self) -> list[Decision]:
        """The selected contacts, else the one under the cursor."""
        if self.selected:
            return [self._picked[e] for e in sorted(self.selected) if e in self._picked]
        current = self._current()
        return [current] if current is not None else []

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Grey out what cannot apply to the current targets (delete: exactly one contact).

        Constant time whatever the queue size: the row under the cursor from the window, the
        selection's figures kept as it changes, the number of decisions to apply from the last count.
        """
        if not self.is_mounted:
            return True
        if action == "erase":
            if self.selected:
                return len(self._picked) == 1 or None
            return self._current() is not None or None
        if action in ("archive", "ignore", "delete", "undo"):
            if self.selected:
                picked = len(self._picked)
                if action == "delete":
                    return (picked == 1 and self._picked_open == 1) or None
                return (self._picked_undoable if action == "undo" else self._picked_open) > 0 or None
            current = self._current()
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

    def _refresh_keys(self) -> None:
        """Refresh the footer only when a key's availability changed (the footer rebuilds itself each time)."""
        keys = tuple(self.check_action(action, ()) for action in _CHECKED)
        if keys != self._keys:
            self._keys = keys
            self.refresh_bindings()

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self) -> None:
        """What the keys apply to follows the cursor; near an edge of the window, the next one is read."""
        self._refresh_keys()
        if not self._loading and self.query_one(DecisionTable).near_edge(MARGIN):
            self._load("around")

    @on(DecisionTable.Jump)
    def _jump(self, event: DecisionTable.Jump) -> None:
        """Home/End beyond the window."""
        self._load("last" if event.last else "first")

    # -- selection and filter -------------------------------------------------------------------

    def action_toggle_select(self) -> None:
        """Add or remove the row under the cursor from the selection, then move down."""
        table = self.query_one(DecisionTable)
        current = self._current()
        if current is None:
            return
        email = current.email
        if email in self.selected:
            self.selected = self.selected - {email}
            self._picked.pop(email, None)
        else:
            self.selected = self.selected | {email}
            self._picked[email] = current
        self._picked_open += (1 if is_open(current) else 0) * (1 if email in self.selected else -1)
        self._picked_undoable += (1 if can_undo(current) else 0) * (1 if email in self.selected else -1)
        table.mark(email, email in self.selected)
        table.action_cursor_down()
        self._show_counts()
        self._refresh_keys()

    def action_filter(self) -> None:
        """Show the filter and type in it."""
        field = self.query_one("#deletions-filter", Input)
        field.add_class("-visible")
        field.focus()

    @on(Input.Changed, "#deletions-filter")
    def filter_changed(self, event: Input.Changed) -> None:
        """Filter as the operator types, once the typing pauses."""
        self.needle = event.value.strip()
        self._show_counts()
        if self._filter_timer is not None:
            self._filter_timer.stop()
            self._filter_timer = None
        if self.needle != self._loaded_needle:
            self._filter_timer = self.set_timer(FILTER_DELAY, self._run_filter)

    def _run_filter(self) -> None:
        """Read the filter's matches now (the typing paused, Enter, or Escape)."""
        if self._filter_timer is not None:
            self._filter_timer.stop()
            self._filter_timer = None
        if self.needle != self._loaded_needle:
            self._load("around")

    @on(Input.Submitted, "#deletions-filter")
    def filter_submitted(self) -> None:
        """Enter keeps the filter (read now) and goes back to the table."""
        self._run_filter()
        self.query_one(DecisionTable).focus()

    async def action_clear(self) -> None:
        """Escape: close the filter (clearing it), else drop the selection."""
        field = self.query_one("#deletions-filter", Input)
        if field.has_class("-visible"):
            field.value = ""
            self.needle = ""
            self._run_filter()
            field.remove_class("-visible")
            self.query_one(DecisionTable).focus()
        elif self.selected:
            self.selected = frozenset()
            self._set_picked({})
            for email in self._by_email:
                self.query_one(DecisionTable).mark(email, False)
            self._show_counts()
            self._refresh_keys()
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
        counts = self.counts
        if not counts.applicable or self.applying:
            return
        busy = engine_work_running(self.app)
        if busy:
            self.notify(printable(t("sync_ui.busy_here", what=busy)), severity="warning", markup=False)
            return
        body = Text(t("sync_ui.apply.body", archives=counts.archives, deletes=counts.deletes) + "\n\n")
        body.append_text(_listing(self._to_apply, counts.applicable))

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.start_apply(counts.applicable)

        self.app.push_screen(ConfirmScreen(t("sync_ui.apply.title", n=counts.applicable), body), confirmed)

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
        """A failed worker becomes a notification (a failed load lets the next one start)."""
        if event.worker.group == "deletions:load" and event.state == WorkerState.ERROR:
            self._loading = False
        notify_worker_error(self.app, event)
