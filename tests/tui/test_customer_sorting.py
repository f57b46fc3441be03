"""``S`` on the Customers list at 80x24 (issue #15): the whole list read from SQL in the chosen order,
names as a French reader expects (case and accents aside), both ways, page after page as the cursor
reaches the last row; segments by rank, best first, whatever the labels' language."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from crmtui.app import CrmApp, make_app
from crmtui.config import Settings
from crmtui.records.canonical import Batch, Customer
from crmtui.screens.customers import PAGE, CustomersScreen
from crmtui.store import Store
from crmtui.widgets.sortable import SqlSortedTable
from tests.tui.support import settle
from tests.unit.test_review_sorts import ESTATE, FRENCH

N = 2 * PAGE + 30
"""Customers listed: three pages."""


def _names(table: SqlSortedTable) -> list[str]:
    return [str(table.get_row_at(i)[1]) for i in range(table.row_count)]


async def _walk_to_the_end(pilot: Pilot[Any], app: CrmApp, table: SqlSortedTable) -> None:
    """Page down until every customer is listed and the cursor is on the last one."""
    for _ in range(200):
        if table.row_count == N and table.cursor_row == N - 1:
            return
        await pilot.press("pagedown")
        await settle(app, pilot)
    raise AssertionError(f"{table.row_count} rows listed")


async def test_S_sorts_customers_by_name_in_sql_as_a_french_reader_expects(
    settings: Settings, store: Store
) -> None:
    people = [
        Customer(
            customer_key=f"k{(i * 37) % N:04d}",
            first_name=ESTATE[i % len(ESTATE)],
            email=f"client{i}@exemple.fr",
            source="test",
        )
        for i in range(N)
    ]
    store.etl.load_batch("test", Batch(records=people))
    segments = ["INACTIVE", "VIP", None, "AT_RISK", "STANDARD", "PROSPECT"]
    with store.write() as db:
        for i, code in enumerate(segments):
            db.execute(
                "UPDATE customers SET segment = ? WHERE CAST(substr(customer_key, 2) AS INTEGER) % 6 = ?",
                (code, i),
            )
    by_name = [
        str(p.first_name)
        for p in sorted(people, key=lambda p: (FRENCH.index(str(p.first_name)), p.customer_key))
    ]
    app = make_app(settings, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(CustomersScreen())
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, CustomersScreen)
        table = screen.query_one("#customer-table", SqlSortedTable)
        table.focus()
        assert table.row_count == PAGE  # one page, best spenders first

        await pilot.press("right", "S")  # Name, ascending
        await settle(app, pilot)
        assert table.ordered_columns[1].label.plain.endswith("▲")
        assert _names(table) == by_name[:PAGE]  # d'Aubigné, Dalton, élodie, Élodie, Émile, Emma...
        await _walk_to_the_end(pilot, app, table)
        assert _names(table) == by_name  # the pages after the first in the same order

        await pilot.press("S")  # reversed: the rows listed, read again
        await settle(app, pilot)
        assert table.ordered_columns[1].label.plain.endswith("▼")
        assert _names(table) == by_name[::-1]

        await pilot.press("slash")  # a search matching everyone: one page, then the others
        await pilot.press(*"exemple", "enter")
        await settle(app, pilot)
        assert table.row_count == PAGE and _names(table) == by_name[::-1][:PAGE]  # Paul, Œnologue, Odile...
        await _walk_to_the_end(pilot, app, table)
        assert _names(table) == by_name[::-1]

        await pilot.press("right", "S")  # Segment: by its rank (best first), whatever the labels' language
        await settle(app, pilot)
        assert table.ordered_columns[2].label.plain.endswith("▲")
        assert not table.ordered_columns[1].label.plain.endswith(("▲", "▼"))
        shown = [str(table.get_row_at(i)[2]) for i in range(table.row_count)]
        firsts = list(dict.fromkeys(shown))
        assert firsts == ["VIP", "Standard", "At risk", "Prospect", "Inactive", "-"], firsts  # best first
