"""One reviewed queue: a long list read from SQL a window at a time, used by Deletions, Forgotten and
the Scenarios screen's unknown sends (issue #17).

- **The source** (:class:`QueueSource`) is the list's SQL: a keyset page of rows matching a filter,
  the key of a row (what the selection holds), its place in the order, the rows still listed among
  some keys, every key matching a filter, and the figures the screen shows with the list.
- **The widget** (:class:`ReviewQueue`) holds a table of one window (:data:`WINDOW` rows, a
  :class:`ReviewTable`) read by one exclusive thread worker: the first rows on opening, a fresh window
  around the cursor when it comes within :data:`MARGIN` rows of either edge (following the row under
  the cursor if it moved), the first or last rows for Home/End, the filter's matches, the list in
  another order (``S`` on a column the source sorts by: :attr:`ReviewQueue.order`, the cursor stays on
  its row, the selection stays). A superseded
  read never lands. The selection is a set of keys kept across windows; the rows it names are read
  fresh on every load, and :meth:`ReviewQueue.select_matching` selects every match of the filter with
  one query. The ``/`` filter (:meth:`ReviewQueue.open_filter`) runs in SQL once the typing pauses,
  Enter keeps it, Escape (:meth:`ReviewQueue.escape`) clears and leaves it, then drops the selection.
  An optional detail pane under the table shows a long value of the row under the cursor whole.
- **Actions** stay the screen's; :meth:`ReviewQueue.confirm` asks the console's one confirmation
  dialog (given by the screen: this layer does not import the screens) before running one.

The screen's keys call the widget (they stay the screen's own bindings, so the footer, help and the
README key map list them per screen), and ``on_change`` tells the screen what changed (the rows, the
selection, the row under the cursor, the filter text): its counts line and greyed-out keys follow.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Protocol, TypeVar, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import DataTable, Input, Label
from textual.worker import Worker, WorkerState, get_current_worker

from crmtui.store.review import Order, Page, Seek
from crmtui.widgets.paged_table import MARGIN, WINDOW, WindowTable
from crmtui.widgets.sync_common import notify_worker_error

Row = TypeVar("Row")
Summary = TypeVar("Summary")
Summary_co = TypeVar("Summary_co", covariant=True)

FILTER_DELAY = 0.15
"""Seconds of quiet typing before the filter runs."""


class QueueSource(Protocol[Row, Summary_co]):
    """A list's SQL, as the widget reads it (each method runs in a worker thread)."""

    def page(self, needle: str, seek: Seek, order: Order) -> Page:
        """The page ``seek`` names of the rows matching ``needle``, in ``order`` (none: the list's own)."""
        ...

    def key(self, row: Row) -> str:
        """What identifies a row (its table row key, what a selection holds)."""
        ...

    def position(self, row: Row, order: Order) -> Hashable:
        """Where a row sits in ``order`` (the keyset ``after``/``before`` take)."""
        ...

    def sorts(self) -> frozenset[str]:
        """The table columns the SQL sorts by (:attr:`Order.column`)."""
        ...

    def matches(self, row: Row, needle: str) -> bool:
        """Whether the filter ``needle`` lists the row (as the SQL of :meth:`page` does)."""
        ...

    def listed(self, keys: Iterable[str]) -> dict[str, Row]:
        """The rows still listed among ``keys``, read fresh, by key."""
        ...

    def keys_matching(self, needle: str) -> list[str]:
        """Every listed key matching ``needle`` ("select all matching")."""
        ...

    def summary(self) -> Summary_co:
        """The figures the screen shows with the list, read with each window."""
        ...

    def tags(self, row: Row) -> Iterable[str]:
        """What the screen counts in a selection (e.g. how many are still open), kept as it changes."""
        ...


class PlainSource:
    """The common part of a source over rows read as dicts, with neither filter nor selection (Forgotten,
    unknown sends): the key is the :attr:`KEY` column, the place in the order the :attr:`ORDER` ones,
    and the store's page and listed reads are given; sorted by a column of :attr:`SORTS` (a table column
    key and the row's fields that place it, the key last: a text column's stored sort key first), the
    place is those fields."""

    KEY: ClassVar[str] = "email"
    ORDER: ClassVar[tuple[str, ...]] = ()
    SORTS: ClassVar[Mapping[str, tuple[str, ...]]] = {}

    def __init__(
        self,
        page: Callable[[Seek, Order], Page],
        listed: Callable[[Iterable[str]], dict[str, dict[str, Any]]],
    ) -> None:
        """Args:
        page: the store's ``*_page`` read.
        listed: the store's read of the rows still listed among some keys.
        """
        self._page = page
        self._listed = listed

    def page(self, needle: str, seek: Seek, order: Order) -> Page:
        """The page ``seek`` names in ``order`` (no filter: ``needle`` is always empty)."""
        return self._page(seek, order)

    def sorts(self) -> frozenset[str]:
        """The :attr:`SORTS` columns."""
        return frozenset(self.SORTS)

    def listed(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The rows still listed among ``keys``, by key."""
        return self._listed(keys)

    def key(self, row: Mapping[str, Any]) -> str:
        """The :attr:`KEY` column."""
        return str(row[self.KEY])

    def position(self, row: Mapping[str, Any], order: Order) -> tuple[object, ...]:
        """The :attr:`ORDER` columns (the keyset of the list's pages), else the sorted column's fields."""
        if order.column is not None:
            return tuple("" if row[f] is None else row[f] for f in self.SORTS[order.column])
        return tuple(str(row[column]) for column in self.ORDER)

    def matches(self, row: Mapping[str, Any], needle: str) -> bool:
        """No filter: every row is listed."""
        return True

    def keys_matching(self, needle: str) -> list[str]:
        """No selection."""
        return []

    def tags(self, row: Mapping[str, Any]) -> Iterable[str]:
        """Nothing counted in a selection."""
        return ()


class ReviewTable(WindowTable, Generic[Row]):
    """The table of a reviewed queue: its columns (set on mount) and one row's cells."""

    def cells(self, row: Row) -> Sequence[Text]:
        """The cells of ``row``, after the ``mark`` column if the table has one."""
        raise NotImplementedError


@dataclass(frozen=True)
class Window(Generic[Row, Summary]):
    """What one load read: a window of the list, where the cursor goes, and the screen's figures."""

    needle: str
    rows: list[Row]
    cursor: int
    at_start: bool
    at_end: bool
    summary: Summary
    asked: frozenset[str] = frozenset()
    """The selection when the load started."""
    picked: dict[str, Row] = field(default_factory=dict)
    """The keys of ``asked`` still listed, their rows read fresh."""


Ask = Callable[[str, Text], ModalScreen[bool]]
"""The confirmation dialog: a title and a body give the modal to push."""


class ReviewQueue(Vertical, Generic[Row, Summary]):
    """A reviewed queue: the filter (hidden until ``/``), the window table, an optional detail pane."""

    DEFAULT_CSS = """
    ReviewQueue { height: 1fr; }
    ReviewQueue > .review-filter { display: none; }
    ReviewQueue > .review-filter.-visible { display: block; }
    ReviewQueue > .review-detail { width: 100%; padding: 0 1; height: auto; max-height: 3; }
    """

    def __init__(
        self,
        source: Callable[[Any], QueueSource[Row, Summary]],
        table: ReviewTable[Row],
        *,
        summary: Summary,
        on_change: Callable[[str], None] | None = None,
        filter_id: str | None = None,
        filter_placeholder: str = "",
        detail_id: str | None = None,
        detail: Callable[[Row | None], Text] | None = None,
        ask: Ask | None = None,
        id: str | None = None,
    ) -> None:
        """Args:
        source: builds the list's source from the app's store (on mount).
        table: the table (its columns, its cells per row).
        summary: the figures before the first read.
        on_change: called with ``rows`` (a window landed), ``selection``, ``cursor`` or ``filter``
            (the filter text changed) when that changed.
        filter_id: the ``/`` filter's input id (no filter without it).
        filter_placeholder: what the empty filter says.
        detail_id: the detail pane's id (no pane without it).
        detail: the pane's text for the row under the cursor (None: no row).
        ask: the confirmation dialog :meth:`confirm` pushes.
        """
        super().__init__(id=id)
        self._make_source = source
        self.source: QueueSource[Row, Summary] | None = None
        self.table = table
        self.summary: Summary = summary
        """The screen's figures, as last read with a window."""
        self.rows: list[Row] = []
        """The window on screen, as last read."""
        self.by_key: dict[str, Row] = {}
        self.selected: frozenset[str] = frozenset()
        """Keys picked with space (or every match), on any page."""
        self.picked: dict[str, Row] = {}
        """The selected rows still listed, as last read."""
        self.picked_tags: Counter[str] = Counter()
        """The selection's :meth:`QueueSource.tags`, counted."""
        self.needle = ""
        """The filter text."""
        self.order = Order()
        """The order chosen with ``S`` (none: the list's own)."""
        self.loading = False
        self._shown: tuple[object, ...] | None = None
        """What the table was last filled with (rows, selection, order, edges)."""
        self._loaded_needle = ""
        self._filter_timer: Timer | None = None
        self._on_change = on_change
        self._filter_id = filter_id
        self._filter_placeholder = filter_placeholder
        self._detail_id = detail_id
        self._detail = detail
        self._ask = ask

    def compose(self) -> ComposeResult:
        """The filter (if any), the table, the detail pane (if any)."""
        if self._filter_id is not None:
            yield Input(placeholder=self._filter_placeholder, id=self._filter_id, classes="review-filter")
        yield self.table
        if self._detail_id is not None:
            yield Label("", id=self._detail_id, classes="review-detail")

    def on_mount(self) -> None:
        """The source, over the app's store; the first rows."""
        self.source = self._make_source(self.app.store)  # type: ignore[attr-defined]
        self.table.sortable = self.source.sorts()
        self.load("first")

    def _changed(self, what: str) -> None:
        if what in ("rows", "cursor"):
            self._show_detail()
        if self._on_change is not None:
            self._on_change(what)

    # -- reading ------------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the window again around the row under the cursor (it follows its row if it moved)."""
        self.load("around")

    def load(self, mode: str) -> None:
        """Start a load: ``first``, ``last`` or ``around`` the row under the cursor, with the filter."""
        if self.source is None:
            return
        key = self.table.current_email()
        current = self.by_key.get(key or "")
        order = self.order
        anchor = self.source.position(current, order) if current is not None and mode == "around" else None
        if mode == "around" and anchor is None:
            mode = "first"
        refilter = self.needle != self._loaded_needle
        self.loading = True
        self._loaded_needle = self.needle
        source, needle, selected = self.source, self.needle, self.selected
        self.run_worker(
            lambda: self._read(source, mode, needle, anchor, key, selected, refilter, order),
            thread=True,
            exclusive=True,
            group="review:load",
            exit_on_error=False,
            description="Reading the list",
        )

    def _read(
        self,
        source: QueueSource[Row, Summary],
        mode: str,
        needle: str,
        anchor: Hashable | None,
        key: str | None,
        selected: frozenset[str],
        refilter: bool,
        order: Order,
    ) -> None:
        """Read a window, the figures and the selected rows (in a thread), then show them if still current.

        ``around``: the rows before and after ``anchor`` (the row under the cursor); ``refilter``: the
        filter changed, so a cursor on a row it hides goes to the first match instead.
        """
        worker = get_current_worker()
        picked = source.listed(sorted(selected | ({key} if key else set())))
        current = picked.get(key or "")
        if mode == "around":
            # The row under the cursor may have moved (an ignore lists it last): follow it. If the
            # filter hides it, a new filter starts at its first match; otherwise the window opens where
            # the row was (it was applied, resolved, or closed meanwhile).
            if current is not None and source.matches(current, needle):
                anchor = source.position(current, order)
            else:
                current = None
                anchor = None if refilter else anchor
        if key is not None and key not in selected:
            picked.pop(key, None)
        if mode == "first" or anchor is None and mode != "last":
            page = source.page(needle, Seek(WINDOW), order)
            rows, cursor, at_start, at_end = page.rows, 0, page.at_start, page.at_end
        elif mode == "last":
            page = source.page(needle, Seek(WINDOW, last=True), order)
            rows, cursor, at_start, at_end = page.rows, len(page.rows) - 1, page.at_start, page.at_end
        else:
            back = source.page(needle, Seek(WINDOW // 2, before=anchor), order)
            ahead = source.page(needle, Seek(WINDOW - len(back.rows), after=anchor, inclusive=True), order)
            rows, cursor = back.rows + ahead.rows, len(back.rows)
            at_start, at_end = back.at_start, ahead.at_end
            if at_end and not at_start and len(rows) < WINDOW:  # near the end: a full window all the same
                start = source.position(rows[0], order)
                more = source.page(needle, Seek(WINDOW - len(rows), before=start), order)
                rows, cursor, at_start = more.rows + rows, cursor + len(more.rows), more.at_start
            if current is not None:
                wanted = source.key(current)
                cursor = next((i for i, row in enumerate(rows) if source.key(row) == wanted), cursor)
        window = Window(needle, rows, cursor, at_start, at_end, source.summary(), selected, picked)

        def land() -> None:
            if not worker.is_cancelled:  # a newer read replaced this one: its rows land instead
                self.show(window)

        self.app.call_from_thread(land)

    def show(self, window: Window[Row, Summary]) -> None:
        """Put a window on screen; selected rows no longer listed are dropped from the selection."""
        assert self.source is not None
        key = self.source.key
        self.loading = False
        self.rows = window.rows
        self.by_key = {key(row): row for row in window.rows}
        self.summary = window.summary
        # Space pressed while this load ran: those picks stand as they are (the next load reads them).
        picked = {k: row for k, row in window.picked.items() if k in self.selected}
        picked.update((k, self.picked[k]) for k in self.selected - window.asked if k in self.picked)
        self._set_picked(picked)
        self.selected = frozenset(k for k in self.selected if k in picked)
        shown = (window.rows, self.selected, self.order, window.at_start, window.at_end)
        if shown == self._shown and self.table.row_count == len(window.rows):
            # What the table shows already (a visit's reload of an unchanged list): refilling it
            # would clear its render caches and repaint every cell (issue #15).
            self._changed("rows")
            return
        self.table.fill(
            [(key(row), self.table.cells(row)) for row in window.rows],
            self.selected,
            cursor=window.cursor,
            at_start=window.at_start,
            at_end=window.at_end,
        )
        self._shown = shown
        self._changed("rows")

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """What the keys apply to follows the cursor; near an edge of the window, the next one is read."""
        if event.data_table is not self.table:
            return
        self._changed("cursor")
        if not self.loading and self.table.near_edge(MARGIN):
            self.load("around")

    @on(WindowTable.Jump)
    def _jump(self, event: WindowTable.Jump) -> None:
        """Home/End beyond the window."""
        event.stop()
        self.load("last" if event.last else "first")

    @on(WindowTable.Sorted)
    def _sorted(self, event: WindowTable.Sorted) -> None:
        """``S``: the list in the order the header shows, around the row under the cursor."""
        event.stop()
        column = self.table.sorted_by
        self.order = Order(None if column is None else str(column.value), self.table.descending)
        self.load("around")

    @on(Worker.StateChanged)
    def _worker_state(self, event: Worker.StateChanged) -> None:
        """A failed read becomes a notification and lets the next one start."""
        if event.worker.group != "review:load":
            return
        event.stop()
        if event.state == WorkerState.ERROR:
            self.loading = False
        notify_worker_error(self.app, event)

    # -- the row under the cursor, the selection ----------------------------------------------

    def current(self) -> Row | None:
        """The row under the cursor (None on an empty list)."""
        return self.by_key.get(self.table.current_email() or "")

    def targets(self) -> list[Row]:
        """The selected rows (in key order), else the one under the cursor."""
        if self.selected:
            return [self.picked[k] for k in sorted(self.selected) if k in self.picked]
        current = self.current()
        return [current] if current is not None else []

    def _set_picked(self, picked: dict[str, Row]) -> None:
        assert self.source is not None
        self.picked = picked
        self.picked_tags = Counter(tag for row in picked.values() for tag in self.source.tags(row))

    def toggle_select(self) -> None:
        """Add or remove the row under the cursor from the selection, then move down."""
        current = self.current()
        if current is None or self.source is None:
            return
        key = self.source.key(current)
        sign = -1 if key in self.selected else 1
        if sign < 0:
            self.selected = self.selected - {key}
            self.picked.pop(key, None)
        else:
            self.selected = self.selected | {key}
            self.picked[key] = current
        self.picked_tags.update({tag: sign for tag in self.source.tags(current)})
        self.table.mark(key, sign > 0)
        self.table.action_cursor_down()
        self._changed("selection")

    def select_matching(self) -> None:
        """Select every row the filter lists (one query, in a thread; the next window reads them)."""
        if self.source is None:
            return
        source, needle = self.source, self.needle
        self.run_worker(
            lambda: self._read_matching(source, needle),
            thread=True,
            exclusive=True,
            group="review:select",
            exit_on_error=False,
            description="Selecting",
        )

    def _read_matching(self, source: QueueSource[Row, Summary], needle: str) -> None:
        keys = frozenset(source.keys_matching(needle))
        self.app.call_from_thread(self._select, keys)

    def _select(self, keys: frozenset[str]) -> None:
        self.selected = self.selected | keys
        self.reload()  # reads the selected rows fresh, marks them, counts them

    def clear_selection(self) -> None:
        """Drop the selection."""
        self.selected = frozenset()
        self._set_picked({})
        for key in self.by_key:
            self.table.mark(key, False)
        self._changed("selection")

    # -- the filter ---------------------------------------------------------------------------

    def _filter(self) -> Input | None:
        return None if self._filter_id is None else self.query_one(f"#{self._filter_id}", Input)

    def open_filter(self) -> None:
        """Show the filter and type in it."""
        field = self._filter()
        if field is not None:
            field.add_class("-visible")
            field.focus()

    @on(Input.Changed)
    def _filter_changed(self, event: Input.Changed) -> None:
        """Filter as the operator types, once the typing pauses."""
        event.stop()
        self.needle = event.value.strip()
        self._changed("filter")
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
            self.load("around")

    @on(Input.Submitted)
    def _filter_submitted(self, event: Input.Submitted) -> None:
        """Enter keeps the filter (read now) and goes back to the table."""
        event.stop()
        self._run_filter()
        self.table.focus()

    def escape(self) -> bool:
        """Escape: close the filter (clearing it), else drop the selection; False when neither was there."""
        field = self._filter()
        if field is not None and field.has_class("-visible"):
            field.value = ""
            self.needle = ""
            self._run_filter()
            field.remove_class("-visible")
            self.table.focus()
            return True
        if self.selected:
            self.clear_selection()
            return True
        return False

    # -- the detail pane, the confirmation ----------------------------------------------------

    def _show_detail(self) -> None:
        if self._detail_id is not None and self._detail is not None:
            self.query_one(f"#{self._detail_id}", Label).update(self._detail(self.current()))

    def confirm(
        self,
        title: str,
        body: Text,
        then: Callable[[], object],
        otherwise: Callable[[], object] | None = None,
    ) -> None:
        """Ask the console's confirmation dialog; ``then()`` runs only on an explicit yes."""
        if self._ask is None:
            raise RuntimeError("this queue was given no confirmation dialog")

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                then()
            elif otherwise is not None:
                otherwise()

        self.app.push_screen(self._ask(title, body), answered)


class QueueScreen:
    """Mixin of a screen built around one :class:`ReviewQueue` (its ``queue``): ``f5`` and coming back
    to the screen read the window again, and the footer is refreshed only when one of the screen's
    :attr:`CHECKED` actions changes availability (the footer rebuilds itself each time)."""

    CHECKED: ClassVar[tuple[str, ...]] = ()
    """The actions the screen's ``check_action`` may grey out."""
    queue: ReviewQueue[Any, Any]
    _keys: tuple[bool | None, ...] = ()
    _away: bool = False

    def reload(self) -> None:
        """Read the window again around the row under the cursor (it follows its row if it moved)."""
        self.queue.reload()

    def on_screen_suspend(self) -> None:
        """Another screen (or mode) is shown instead: the list is read again when this one comes back."""
        self._away = True

    def on_screen_resume(self) -> None:
        """Back from another screen: a sync (or that screen) may have changed the list meanwhile.

        Not when the screen first shows (Textual resumes a new mode's screen twice): the queue's own
        first read, on mount, is under way, and each resume read the same window and figures again
        (issue #16).
        """
        if self._away:
            self.reload()
        self._away = False

    def _refresh_keys(self) -> None:
        screen = cast(Screen[Any], self)
        keys = tuple(screen.check_action(action, ()) for action in self.CHECKED)
        if keys != self._keys:
            self._keys = keys
            screen.refresh_bindings()
