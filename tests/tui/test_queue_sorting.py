"""``S`` on the reviewed queues' tables (Deletions, Forgotten) at 80x24: the list read from SQL in the
column chosen with ← →, the header's arrow on it, again reversed, paged past the window in that order,
the cursor kept on its row and the selection kept; names in the order a French reader expects (case and
accents aside), both ways, across the window's edge."""

from __future__ import annotations

from crmtui.app import make_app
from crmtui.config import Settings
from crmtui.screens.forgotten import ForgottenScreen
from crmtui.store import Store
from crmtui.store._util import sort_text
from crmtui.widgets.scenario_unknown import UnknownTable
from crmtui.widgets.sync_decisions import DecisionTable
from crmtui.widgets.sync_forgotten import ForgottenTable
from tests.tui.test_deletions_paging import WINDOW, _queue, open_deletions, settle
from tests.tui.test_keymap import _seed_unknown
from tests.unit.test_review_sorts import ESTATE, FRENCH


def _header(table: DecisionTable | ForgottenTable | UnknownTable, key: str) -> str:
    return next(c.label.plain for c in table.ordered_columns if c.key.value == key)


def _names_in_order(table: DecisionTable) -> list[str]:
    """The names of the window's rows, each once, in the order shown."""
    return list(dict.fromkeys(table.get_cell(e, "name").plain for e in table.visible_emails()))


async def test_S_sorts_the_deletion_queue_in_sql_at_80x24(settings: Settings, store: Store) -> None:
    emails = _queue(store)  # 1200 rows: 120 share the name "Élodie Lefèvre", the others "Paul N"
    names = {e: ("Élodie Lefèvre" if i % 10 == 3 else f"Paul {i}") for i, e in enumerate(emails)}
    by_name = sorted(emails, key=lambda e: (sort_text(names[e]), e))  # Élodie before Paul, then the email
    app = make_app(settings, store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_deletions(pilot, app)
        table = screen.query_one(DecisionTable)
        await pilot.press("down", "space")  # the selection: a key, kept whatever the order
        picked = emails[1]
        kept = table.current_email()
        assert screen.selected == {picked} and kept == emails[2]

        await pilot.press("S")  # the chosen column is Name
        await settle(pilot, app)
        assert _header(table, "name").endswith(" ▲") and not _header(table, "email").endswith("▲")
        assert table.current_email() == kept  # the cursor stayed on its row
        shown = table.visible_emails()  # the window around the cursor's row, in the new order
        start = by_name.index(shown[0])
        assert shown == by_name[start : start + len(shown)] and kept in shown
        assert screen.selected == {picked}

        await pilot.press("S")  # again: reversed
        await settle(pilot, app)
        assert _header(table, "name").endswith(" ▼")
        await pilot.press("home")
        await settle(pilot, app)
        assert table.current_email() == by_name[-1]
        seen: list[str] = []  # page down past the window: every row once, in the reversed order
        while len(seen) < WINDOW + 100:
            seen.append(table.current_email() or "")
            await pilot.press("down")
            if table.near_edge(60):
                await settle(pilot, app)
        await settle(pilot, app)
        assert seen == by_name[::-1][: len(seen)]
        await pilot.press("end")
        await settle(pilot, app)
        assert table.current_email() == by_name[0] and table.at_end

        await pilot.press("right", "S")  # Email, ascending
        await settle(pilot, app)
        assert _header(table, "email").endswith(" ▲") and _header(table, "name") == "Name"
        await pilot.press("home")
        await settle(pilot, app)
        assert table.visible_emails() == emails[: table.row_count]
        assert screen.selected == {picked} and "1 selected" in str(
            screen.query_one("#deletions-counts").render()
        )

        await pilot.press("right", "S")  # Decision: not a column the SQL sorts by, nothing changes
        await settle(pilot, app)
        assert _header(table, "email").endswith(" ▲") and table.visible_emails() == emails[: table.row_count]


async def test_S_sorts_the_forgotten_list_at_80x24(settings: Settings, store: Store) -> None:
    with store.write():
        for i in range(40):
            store.sync.record_forgotten(
                f"f{i:04d}@exemple.fr",
                copper_id=None,
                name=f"N{39 - i:02d}",
                url=f"https://x/{i}",
                run_id=None,
            )
    app = make_app(settings, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("o")
        await settle(pilot, app)
        assert isinstance(app.screen, ForgottenScreen)  # the table has the focus: S sorts it
        table = app.screen.query_one(ForgottenTable)
        await pilot.press("S", "S")  # Name, then reversed
        await settle(pilot, app)
        assert _header(table, "name").endswith(" ▼")
        assert table.visible_keys()[:3] == ["f0000@exemple.fr", "f0001@exemple.fr", "f0002@exemple.fr"]
        await pilot.press("S")
        await settle(pilot, app)
        assert table.visible_keys()[:2] == ["f0039@exemple.fr", "f0038@exemple.fr"]


async def test_S_sorts_the_unknown_sends_when_they_have_the_focus(settings: Settings, store: Store) -> None:
    key = _seed_unknown(store)
    with store.write() as db:  # two more unknown sends of the same step, contacts in reverse key order
        for n, contact in ((1, "zoe@exemple.fr"), (2, "bob@exemple.fr")):
            db.execute(
                "INSERT INTO operation_ledger (key, scenario_id, step_id, position, contact, template, status, "
                "local_day, claimed_at, owner, message_id) SELECT ?, scenario_id, step_id, ?, ?, template, status, "
                "local_day, claimed_at, owner, ? FROM operation_ledger WHERE key = ?",
                (str(n) * 64, n + 1, contact, f"<m{n}@x>", key),
            )
    app = make_app(settings, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e")
        await settle(pilot, app)
        table = app.screen.query_one(UnknownTable)
        table.focus()
        await pilot.press("right", "right", "S")  # Contact
        await settle(pilot, app)
        assert _header(table, "contact").endswith(" ▲")
        assert table.visible_keys() == [key, "2" * 64, "1" * 64]  # anne, bob, zoe
        await pilot.press("S")
        await settle(pilot, app)
        assert table.visible_keys() == ["1" * 64, "2" * 64, key]


async def test_S_sorts_names_as_a_french_reader_expects_across_the_window(
    settings: Settings, store: Store
) -> None:
    n = WINDOW + 90  # the walk crosses the first window's edge
    emails = [f"c{(i * 7919) % n:05d}@exemple.fr" for i in range(n)]
    names = {
        e: ESTATE[i % len(ESTATE)] for i, e in enumerate(emails)
    }  # long runs of each name, shuffled emails
    with store.write():
        for i, email in enumerate(emails):
            store.sync.queue_deletion(
                email,
                copper_id=i,
                name=names[email],
                tag="a supprimer",
                run_id=None,
                copper_state=None,
                mc_state=None,
            )
    by_name = sorted(emails, key=lambda e: (FRENCH.index(names[e]), e))
    app = make_app(settings, store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_deletions(pilot, app)
        table = screen.query_one(DecisionTable)

        async def walk(expected: list[str]) -> None:
            """Home, then page down to the end: each window on screen a run of ``expected``, names and all."""
            await pilot.press("home")
            await settle(pilot, app)
            reached = 0
            while True:
                shown = table.visible_emails()
                start = expected.index(shown[0])
                assert shown == expected[start : start + len(shown)]
                assert [table.get_cell(e, "name").plain for e in shown] == [names[e] for e in shown]
                current = expected.index(table.current_email() or "")
                assert current >= reached
                reached = current
                if reached == len(expected) - 1:
                    break
                await pilot.press("pagedown")
                await settle(pilot, app)
            assert reached > WINDOW  # the rows past the first window came in the same order

        await pilot.press("S")  # Name, ascending: d'Aubigné, Dalton, élodie, Élodie, Émile, Emma...
        await settle(pilot, app)
        assert _header(table, "name").endswith(" ▲")
        await pilot.press("home")
        await settle(pilot, app)
        first = _names_in_order(table)
        assert first == FRENCH[: len(first)] and len(first) > 5  # the first window: the first names
        await walk(by_name)

        await pilot.press("S")  # reversed: Paul, Œnologue, Odile, ÉRIC, eric...
        await settle(pilot, app)
        assert _header(table, "name").endswith(" ▼")
        await pilot.press("home")
        await settle(pilot, app)
        first = _names_in_order(table)
        assert first == FRENCH[::-1][: len(first)] and len(first) > 5
        await walk(by_name[::-1])
