"""Tables that sort: one key (``S``) sorts by the chosen column, pressing it again reverses.

- :class:`SortableTable` is a :class:`DataTable` whose ← → choose a column even with a row cursor
  (the chosen header is underlined), whose header shows ▲/▼ on the sorted column, and which keeps its
  order when a screen refills it (:meth:`SortableTable.resort`). A click on a header sorts too.
- :class:`SortHeaderTable` is the part they share with the tables sorted in SQL (the review screens'
  :class:`crmtui.widgets.paged_table.WindowTable`, the Customers list's :class:`SqlSortedTable`): the
  chosen column, the header's arrow, the key and the click; what sorting does is the subclass's
  :meth:`SortHeaderTable.apply_sort`.
- :class:`SortKey` is the screen side: :data:`SORT_BINDING`-style bindings call ``action_sort_table``,
  which sorts the focused sortable table (else the screen's first one).

Cells sort as numbers when they read as numbers in the operator's language (``12 345``, ``22,2 %``,
``217 985,92 €``), else as text the way a French reader expects, case and accents aside (the key the
tables sorted in SQL store: :func:`crmtui.store._util.sort_text`); empty cells and dashes go last.
"""

from __future__ import annotations

from typing import Any, TypeVar

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from crmtui.formats import parse_number
from crmtui.i18n import t
from crmtui.store._util import sort_text

_EMPTY = {"", "-", "—", "–"}
Cell = TypeVar("Cell")


def sort_key(cell: object) -> tuple[int, float, str]:
    """Numbers first (by value), then text (case and accents aside: ``élodie``, ``Élodie``, ``Emma``,
    ``Paul``), then empty cells."""
    text = (cell.plain if isinstance(cell, Text) else str(cell if cell is not None else "")).strip()
    if text in _EMPTY:
        return (2, 0.0, "")
    value = parse_number(text)
    if value is not None:
        return (0, value, "")
    return (1, 0.0, sort_text(text))


def sort_binding(screen: str) -> Binding:
    """The sort key of one screen (its own id, so the key map lists it per screen)."""
    # Not in the footer, already full at 80 columns: help, the palette and the README list it, and
    # the underlined header shows the column it sorts by.
    return Binding(
        "S",
        "sort_table",
        t("layout.key.sort"),
        show=False,
        id=f"{screen}.sort",
        tooltip=t("layout.key.sort.tip"),
    )


class SortHeaderTable(DataTable[Cell]):
    """A data table sorted by one column, asc or desc: ← → choose it, ``S`` (or a click) sorts by it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.chosen_column = 0
        """The column ← → point at (the one ``S`` sorts by)."""
        self.sorted_by: ColumnKey | None = None
        self.descending = False
        self._labels: dict[ColumnKey, Text] = {}

    # -- columns ---------------------------------------------------------------------------------

    def _base_label(self, key: ColumnKey) -> Text:
        if key not in self._labels:
            self._labels[key] = self.columns[key].label.copy()
        return self._labels[key]

    def _relabel(self) -> None:
        """Headers: ▲/▼ on the sorted column, the chosen one underlined."""
        for index, column in enumerate(self.ordered_columns):
            label = self._base_label(column.key).copy()
            if column.key == self.sorted_by:
                label.append(" ▼" if self.descending else " ▲")
            if index == self.chosen_column and self.cursor_type == "row":
                label.stylize("underline")
            column.label = label
            column.content_width = max(column.content_width, label.cell_len)
        self._require_update_dimensions = True
        self.refresh()

    def clear(self, columns: bool = False) -> SortHeaderTable[Cell]:
        """Clear rows (the sort is kept for the next rows); with ``columns``, forget it."""
        super().clear(columns)
        for column in self.columns.values():  # widths follow the new rows, not the widest ever shown
            column.content_width = column.label.cell_len
        if columns:
            self._labels.clear()
            self.sorted_by = None
            self.chosen_column = 0
        return self

    # -- choosing and sorting --------------------------------------------------------------------

    def action_cursor_left(self) -> None:
        """With a row cursor, ← chooses the previous column; else the usual move."""
        if self.cursor_type == "row" and self.columns:
            self.chosen_column = max(0, self.chosen_column - 1)
            self._relabel()
            self._scroll_to_chosen()
        else:
            super().action_cursor_left()

    def action_cursor_right(self) -> None:
        """With a row cursor, → chooses the next column; else the usual move."""
        if self.cursor_type == "row" and self.columns:
            self.chosen_column = min(len(self.columns) - 1, self.chosen_column + 1)
            self._relabel()
            self._scroll_to_chosen()
        else:
            super().action_cursor_right()

    def _scroll_to_chosen(self) -> None:
        x = sum(c.get_render_width(self) for c in self.ordered_columns[: self.chosen_column])
        width = self.ordered_columns[self.chosen_column].get_render_width(self)
        if x < self.scroll_x:
            self.scroll_to(x=x, animate=False)
        elif x + width > self.scroll_x + self.scrollable_content_region.width:
            self.scroll_to(x=x + width - self.scrollable_content_region.width, animate=False)

    def current_column(self) -> int:
        """The column ``S`` sorts by: the cell cursor's, else the chosen one."""
        if self.cursor_type in ("cell", "column"):
            return self.cursor_coordinate.column
        return self.chosen_column

    def sort_by_column(self, index: int | None = None) -> None:
        """Sort by column ``index`` (default: the current one); the same column again reverses."""
        if not self.columns:
            return
        index = self.current_column() if index is None else index
        index = min(max(index, 0), len(self.columns) - 1)
        key = self.ordered_columns[index].key
        if not self.can_sort(key):
            self.app.bell()
            return
        self.descending = not self.descending if key == self.sorted_by else False
        self.sorted_by = key
        self.chosen_column = index
        self.apply_sort()

    def can_sort(self, key: ColumnKey) -> bool:
        """Whether the table sorts by column ``key`` (all of them here)."""
        return True

    def apply_sort(self) -> None:
        """Sort by :attr:`sorted_by` (:attr:`descending`): the subclass's own way."""
        raise NotImplementedError

    def sort_description(self) -> str:
        """ "Sorted by Status, descending" (empty when not sorted)."""
        if self.sorted_by is None or self.sorted_by not in self.columns:
            return ""
        name = self._base_label(self.sorted_by).plain
        return t("layout.sorted.down" if self.descending else "layout.sorted.up", column=name)

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        """A click on a header sorts by it (again: reversed)."""
        if event.data_table is self:
            event.stop()
            self.sort_by_column(event.column_index)


class SortableTable(SortHeaderTable[Any]):
    """A data table sorted in memory, that stays sorted across refills."""

    def apply_sort(self) -> None:
        """Sort the rows held."""
        self.resort()

    def resort(self) -> None:
        """Apply the current sort again (after a refill), keeping the cursor on the same row."""
        if self.sorted_by is None or self.sorted_by not in self.columns:
            self._relabel()
            return
        current = None
        if self.row_count and self.is_valid_row_index(self.cursor_row):
            current = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        self.sort(self.sorted_by, key=sort_key, reverse=self.descending)
        self._relabel()
        if current is not None and current in self.rows:
            self.move_cursor(row=self.get_row_index(current), animate=False)


class SqlSortedTable(SortHeaderTable[Any]):
    """A table whose screen reads its rows from SQL, a page at a time, in the order chosen: ``S`` (or a
    click) on a column of :attr:`sortable` shows the new order in the header and posts :class:`Sorted`;
    the rows follow once read. Another column rings the bell."""

    class Sorted(Message):
        """The operator chose another order (:attr:`sorted_by`, :attr:`descending`): read the rows so."""

        def __init__(self, table: SqlSortedTable) -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> SqlSortedTable:
            """The table (what ``@on(..., selector)`` matches)."""
            return self.table

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sortable: frozenset[str] = frozenset()
        """The column keys the SQL sorts by."""

    def can_sort(self, key: ColumnKey) -> bool:
        """Only the columns the SQL sorts by."""
        return key.value in self.sortable

    def apply_sort(self) -> None:
        """The header shows the new order now; the screen reads the rows in it."""
        self._relabel()
        self.post_message(self.Sorted(self))

    def rows_added(self) -> None:
        """After the screen added rows: the headers (the arrow, the chosen column underlined) again."""
        self._relabel()


class SortKey:
    """Screen mixin: ``action_sort_table`` sorts the focused sortable table, else the first shown."""

    def action_sort_table(self) -> None:
        """Sort by the current column of the table in use; again: reversed."""
        focused = getattr(self, "focused", None)
        table = focused if isinstance(focused, SortHeaderTable) else None
        if table is None:
            shown = [w for w in self.query(SortHeaderTable) if w.display]  # type: ignore[attr-defined]
            table = shown[0] if shown else None
        if table is not None:
            table.sort_by_column()
