"""Keys never wait on a cycle (issue #15, "under 200 ms per key"): screens read in workers, in pages.

The cycle is held in the middle of its Copper read by the simulator's ``hold`` fault (the
deterministic "still running" point the crash tests use), so the console is shown to answer
while a cycle is running, not merely after a quick one. Waits are on conditions with generous
deadlines (the CI machine is loaded), never on sleeps.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable

from crmtui.app import CrmApp, make_app
from crmtui.config import load_settings
from crmtui.engine.cycle import run_cycle
from crmtui.sandbox.control import Fault
from crmtui.sandbox.harness import running_sandbox
from crmtui.store import Store

DEADLINE = 60.0


async def until(pilot: Pilot[int], done: Callable[[], bool], what: str, limit: float = DEADLINE) -> None:
    deadline = time.monotonic() + limit
    while not done():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause()
        await asyncio.sleep(0.02)


def cycling(app: CrmApp) -> bool:
    return any(w.group == "cycle" and not w.is_finished for w in app.workers)


async def test_customers_opens_and_searches_while_a_cycle_runs(tmp_path: Path) -> None:
    with running_sandbox(60, exports_dir=tmp_path / "exports") as sb:
        settings = sb.apply_to(load_settings({}, env_file=None, sandbox=True))
        store = Store(settings.store_path)
        control = sb.copper.control
        try:
            await run_cycle(settings, store, owner="test")  # customers and contacts in the store
            customers = store.reco.search_customers("", 1000)
            assert len(customers) > 1
            wanted = str(customers[-1]["customer_key"])
            held = control.held
            control.add_fault(Fault("hold", seconds=DEADLINE * 2), times=1)
            app = make_app(settings, store)
            async with app.run_test(size=(120, 40)) as pilot:
                await pilot.press("r")
                await until(pilot, lambda: control.held > held, "the cycle's held Copper request")
                await pilot.press("k")  # the first visit of Customers, the cycle still running
                await until(pilot, lambda: app.current_mode == "customers", "the Customers screen")
                table = app.screen.query_one("#customer-table", DataTable)
                await until(pilot, lambda: table.row_count > 0, "the first page of customers")
                assert control.holding and cycling(app)
                await pilot.press("slash", *wanted)
                await until(
                    pilot,
                    lambda: table.row_count == 1 and table.get_row_at(0)[0].plain == wanted,
                    "the search's answer",
                )
                assert control.holding and cycling(app), "the search was answered while the cycle ran"
                await pilot.press("escape")  # out of the search box; Escape again goes home
                assert app.current_mode == "customers"
                control.release()
                await until(pilot, lambda: not cycling(app), "the end of the cycle", DEADLINE * 2)
        finally:
            control.release()
            store.close()


async def test_customers_search_reads_the_next_page_at_the_last_row(tmp_path: Path) -> None:
    """The list holds one SQL page; the cursor on its last row reads the next one (keyset)."""
    from crmtui.records.canonical import Batch, Customer
    from crmtui.screens import customers as screen_module

    settings = load_settings(env_file=None, sandbox=True)
    store = Store(settings.store_path)
    try:
        total = screen_module.PAGE * 2 + 5
        people = [
            Customer(
                customer_key=f"c{n:04d}", last_name=f"Client {n}", email=f"c{n}@exemple.fr", source="test"
            )
            for n in range(total)
        ]
        store.etl.load_batch("test", Batch(records=list(people)))
        app = make_app(settings, store)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("k")
            await until(pilot, lambda: app.current_mode == "customers", "the Customers screen")
            table = app.screen.query_one("#customer-table", DataTable)
            await until(pilot, lambda: table.row_count == screen_module.PAGE, "the first page")
            await pilot.press("ctrl+end")
            await until(pilot, lambda: table.row_count == screen_module.PAGE * 2, "the second page")
            await pilot.press("ctrl+end")
            await until(pilot, lambda: table.row_count == total, "the last page")
            keys = {table.get_row_at(i)[0].plain for i in range(table.row_count)}
            assert keys == {p.customer_key for p in people}
    finally:
        store.close()
