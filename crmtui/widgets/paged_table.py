"""A table that holds a window of a long list read from SQL (the review screens' tables).

The screen fills it with a few hundred rows and says whether they touch either end of the list
(:attr:`WindowTable.at_start`, :attr:`WindowTable.at_end`); Home/End (and ctrl+Home/ctrl+End) past
the window post :class:`WindowTable.Jump` so the first or last rows are read. Row keys are the
rows' keys (emails, ledger keys); a table with a ``mark`` column shows the selection there. ← → choose
a column and ``S`` sorts by it (again: reversed) as the other tables do (:class:`SortHeaderTable`:
the header's arrow), but in SQL: :class:`WindowTable.Sorted` asks for the list in that order.
:class:`crmtui.widgets.review_queue.ReviewQueue` reads the windows and fills the table.
"""

from __future__ import annotations

from collections.abc import Sequence, Set

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets.data_table import CellDoesNotExist, ColumnKey

from crmtui.widgets.sortable import SortHeaderTable

WINDOW = 300
"""Rows a review table holds at a time."""
MARGIN = 60
"""Rows from either edge of the window at which the screen reads the next one (more than a screen's page)."""
SELECTED_MARK = "●"
"""The ``mark`` column of a selected row."""


class WindowTable(SortHeaderTable[Text]):
    """A window of a list; row keys are the rows' keys."""

    BINDINGS = [
        # In row mode DataTable's Home/End scroll sideways; here they go to either end of the list.
        Binding("home", "scroll_top", "Top", show=False),
        Binding("end", "scroll_bottom", "Bottom", show=False),
    ]

    class Jump(Message):
        """Home/End beyond the window: the screen reads the first (or last) rows of the list."""

        def __init__(self, last: bool) -> None:
            super().__init__()
            self.last = last

    class Sorted(Message):
        """The operator chose another order (:attr:`sorted_by`, :attr:`descending`): read the list so."""

    def __init__(self, *, id: str | None = None, zebra_stripes: bool = True) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=zebra_stripes)
        self.at_start = True
        """The window starts at the list's first row."""
        self.at_end = True
        """The window ends at the list's last row."""
        self.placing = False
        """A new window's scroll to the cursor waits for the next refresh (:meth:`place_cursor`)."""
        self.sortable: frozenset[str] = frozenset()
        """The columns the list's SQL sorts by (the source's)."""

    def can_sort(self, key: ColumnKey) -> bool:
        """Only the columns the SQL sorts by."""
        return key.value in self.sortable

    def apply_sort(self) -> None:
        """The header shows the new order now; the rows follow once read in it."""
        self._relabel()
        self.post_message(self.Sorted())

    def near_edge(self, margin: int) -> bool:
        """The cursor is within ``margin`` rows of an edge of the window that is not an end of the list."""
        if not self.row_count:
            return False
        row = self.cursor_row
        return (row >= self.row_count - margin and not self.at_end) or (row < margin and not self.at_start)

    def screen_row(self) -> int:
        """Where the cursor row is in the viewport (0 = the first row under the header)."""
        return self.cursor_row - round(self.scroll_y)

    def place_cursor(self, cursor: int, screen_row: int | None = None) -> None:
        """Put the cursor on row ``cursor`` (clamped to the rows shown), at ``screen_row`` in the viewport
        when given (a new window keeps the cursor where the eye is), else just in view."""
        if not self.row_count:
            return
        row = max(0, min(cursor, self.row_count - 1))
        if screen_row is None:
            self.move_cursor(row=row)
            return
        self.move_cursor(row=row, scroll=False)
        # The new rows' size is computed on the next refresh: scroll once it is known.
        self.placing = True
        self.call_after_refresh(self._scroll_cursor_to, row, screen_row)

    def _scroll_cursor_to(self, row: int, screen_row: int) -> None:
        self.placing = False
        if self.cursor_row == row:  # not moved since
            self.scroll_to(y=max(0, row - max(0, screen_row)), animate=False, immediate=True)
            self.move_cursor(row=row)  # in view whatever the height

    def action_scroll_top(self) -> None:
        """The first row of the list (read first when the window does not hold it)."""
        if self.at_start:
            super().action_scroll_top()
        else:
            self.post_message(self.Jump(last=False))

    def action_scroll_bottom(self) -> None:
        """The last row of the list (read first when the window does not hold it)."""
        if self.at_end:
            super().action_scroll_bottom()
        else:
            self.post_message(self.Jump(last=True))

    def fill(
        self,
        rows: Sequence[tuple[str, Sequence[Text]]],
        selected: Set[str] = frozenset(),
        *,
        cursor: int = 0,
        at_start: bool = True,
        at_end: bool = True,
    ) -> None:
        """Fill the table with a window of the list (each row's key and cells) and put the cursor on row
        ``cursor``, at the same height on screen as before; a ``mark`` column shows ``selected``."""
        self.at_start, self.at_end = at_start, at_end
        screen_row = self.screen_row() if self.row_count else None
        marked = "mark" in self.columns
        self.clear()
        for key, cells in rows:
            if marked:
                self.add_row(_mark(key in selected), *cells, key=key)
            else:
                self.add_row(*cells, key=key)
        self._relabel()
        self.place_cursor(cursor, screen_row)

    def mark(self, key: str, selected: bool) -> None:
        """Redraw one row's selection mark (a row not in the window has none to redraw)."""
        try:
            self.update_cell(key, "mark", _mark(selected))
        except CellDoesNotExist:
            pass

    def visible_keys(self) -> list[str]:
        """The keys of the rows in the window, in order."""
        return [str(row.key.value) for row in self.ordered_rows]

    def visible_emails(self) -> list[str]:
        """The emails of the rows in the window (the review lists are keyed by email)."""
        return self.visible_keys()

    def current_email(self) -> str | None:
        """The key under the cursor, an email in the review lists (None on an empty table)."""
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except CellDoesNotExist:
            return None
        return None if key.value is None else str(key.value)


def _mark(selected: bool) -> Text:
    return Text(SELECTED_MARK if selected else " ", style="bold")
