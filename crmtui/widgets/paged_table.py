"""A table that holds a window of a long list read from SQL (the review screens' tables).

The screen fills it with a few hundred rows and says whether they touch either end of the list
(:attr:`WindowTable.at_start`, :attr:`WindowTable.at_end`); Home/End (and ctrl+Home/ctrl+End) past
the window post :class:`WindowTable.Jump` so the screen reads the first or last rows. Row keys are
the emails.
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist

WINDOW = 300
"""Rows a review table holds at a time."""
MARGIN = 60
"""Rows from either edge of the window at which the screen reads the next one (more than a screen's page)."""


class WindowTable(DataTable[Text]):
    """A window of a list; row keys are the emails."""

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

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.at_start = True
        """The window starts at the list's first row."""
        self.at_end = True
        """The window ends at the list's last row."""

    def near_edge(self, margin: int) -> bool:
        """The cursor is within ``margin`` rows of an edge of the window that is not an end of the list."""
        if not self.row_count:
            return False
        row = self.cursor_row
        return (row >= self.row_count - margin and not self.at_end) or (row < margin and not self.at_start)

    def place_cursor(self, cursor: int) -> None:
        """Put the cursor on row ``cursor`` (clamped to the rows shown)."""
        if self.row_count:
            self.move_cursor(row=max(0, min(cursor, self.row_count - 1)))

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

    def current_email(self) -> str | None:
        """The email under the cursor (None on an empty table)."""
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except CellDoesNotExist:
            return None
        return None if key.value is None else str(key.value)
