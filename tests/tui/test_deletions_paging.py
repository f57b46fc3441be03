"""The Deletions screen over a queue larger than its window: paging across the window's edge, Home/End,
a selection kept across pages, and the casefolded filter (rows read from SQL, never the whole queue)."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Label
from textual.worker import Worker, WorkerState

from crmtui.app import CrmApp, make_app
from crmtui.config import Settings
from crmtui.screens.deletions import WINDOW, DeletionsScreen
from crmtui.screens.help import HelpScreen
from crmtui.store import Store
from crmtui.widgets.footer import Footer
from crmtui.widgets.review_queue import ReviewQueue
from crmtui.widgets.sync_decisions import DecisionTable, detail_text

ROWS = 1200


async def settle(pilot: Pilot[int], app: CrmApp) -> None:
    """Wait until the screen's queue says its last read landed: mounted with its source, no read under
    way, no filter debounce pending, the new window scrolled to its cursor (a load started by the key
    just pressed, or a screen still mounting, is waited for, however slow the machine)."""
    for _ in range(400):
        await app.workers.wait_for_complete()
        await pilot.pause()
        queue = getattr(app.screen, "queue", None)
        busy = isinstance(queue, ReviewQueue) and (
            queue.source is None or queue.loading or queue._filter_timer is not None or queue.table.placing
        )
        if not busy and not any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in app.workers):
            return
        await pilot.pause(0.05)
    raise AssertionError("the queue never settled")


async def open_deletions(pilot: Pilot[int], app: CrmApp) -> DeletionsScreen:
    """``b``, then the first window read."""
    await pilot.press("b")
    await settle(pilot, app)
    screen = app.screen
    assert isinstance(screen, DeletionsScreen)
    return screen


def _queue(store: Store) -> list[str]:
    """ROWS queued contacts, one name in ten accented; the screen's order is by email here."""
    with store.write():
        for i in range(ROWS):
            store.sync.queue_deletion(
                f"c{i:05d}@exemple.fr",
                copper_id=i,
                name="Élodie Lefèvre" if i % 10 == 3 else f"Paul {i}",
                tag="a supprimer",
                run_id=None,
                copper_state={"id": i, "tags": ["a supprimer"]},
                mc_state={"status": "subscribed"},
            )
    with store.write() as db:
        db.execute("UPDATE deletion_queue SET detected_at = '2026-11-01T10:00:00+00:00'")
    return [f"c{i:05d}@exemple.fr" for i in range(ROWS)]


async def test_paging_selection_and_filter_over_a_large_queue(settings: Settings, store: Store) -> None:
    emails = _queue(store)
    app = make_app(settings, store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_deletions(pilot, app)
        table = screen.query_one(DecisionTable)
        assert table.row_count == WINDOW < ROWS and table.at_start and not table.at_end
        assert "1200 pending" in str(screen.query_one("#deletions-counts").render())

        # PageDown past the window's edge: the cursor keeps going, the window follows it.
        seen = [emails.index(table.current_email() or "")]
        height = table.scrollable_content_region.height - 1  # rows under the header
        while seen[-1] < WINDOW + 100:
            await pilot.press("pagedown")
            await settle(pilot, app)
            seen.append(emails.index(table.current_email() or ""))
            assert 0 <= table.screen_row() < height  # the cursor stays in view across a new window
            shown = table.visible_emails()
            assert shown == emails[emails.index(shown[0]) : emails.index(shown[0]) + len(shown)]
        assert seen == sorted(seen) and len(set(seen)) == len(seen)
        assert not table.at_start and table.row_count <= WINDOW
        far = table.current_email()
        assert far is not None
        await pilot.press("space")
        await pilot.press("pageup")
        await settle(pilot, app)
        assert emails.index(table.current_email() or "") < emails.index(far)

        # Home reads the first rows, End the last ones; the selection stays across pages.
        await pilot.press("home")
        await settle(pilot, app)
        assert table.current_email() == emails[0] and table.at_start
        await pilot.press("space")
        assert screen.selected == {far, emails[0]}
        await pilot.press("end")
        await settle(pilot, app)
        assert table.current_email() == emails[-1] and table.at_end
        assert "2 selected" in str(screen.query_one("#deletions-counts").render())

        await pilot.press("i")
        await settle(pilot, app)
        for email in (far, emails[0]):
            decision = store.sync.get_decision(email)
            assert decision is not None and (decision.decision, decision.state) == ("ignore", "applied")
        assert not screen.selected
        await pilot.press("end")
        await settle(pilot, app)
        # Ignored contacts are listed last.
        assert table.visible_emails()[-2:] == [emails[0], far]

        # The filter runs in SQL with Python's casefold: "ÉLO" finds "Élodie".
        await pilot.press("slash", *"ÉLO")
        await settle(pilot, app)
        shown = table.visible_emails()
        assert shown == [e for i, e in enumerate(emails) if i % 10 == 3][:WINDOW]
        await pilot.press("escape")
        await settle(pilot, app)
        assert table.row_count == WINDOW and not screen.needle


async def test_select_all_matching_is_one_query_across_windows(settings: Settings, store: Store) -> None:
    """The reviewed queue's "select all matching": every match of the filter, beyond the window, is
    selected (read by one query, the rows read fresh), and an action applies to all of them."""
    emails = _queue(store)
    matching = [e for i, e in enumerate(emails) if i % 10 == 3]  # "Élodie Lefèvre": 120 of them
    app = make_app(settings, store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_deletions(pilot, app)
        await pilot.press("slash", *"lefèvre", "enter")
        await settle(pilot, app)
        screen.queue.select_matching()
        await settle(pilot, app)
        assert screen.selected == set(matching) and len(screen.queue.picked) == len(matching)
        assert f"{len(matching)} selected" in str(screen.query_one("#deletions-counts").render())
        await pilot.press("slash", "escape")  # the filter left: the selection stays
        await settle(pilot, app)
        assert screen.selected == set(matching) and screen.queue.picked_tags["open"] == len(matching)
        await pilot.press("i")
        await settle(pilot, app)
        ignored = {d.email for d in store.sync.decisions(("applied",)) if d.decision == "ignore"}
        assert ignored == set(matching) and not screen.selected


async def test_forgotten_pages_past_its_window(settings: Settings, store: Store) -> None:
    from crmtui.screens.forgotten import ForgottenScreen
    from crmtui.widgets.sync_forgotten import ForgottenTable

    with store.write():
        for i in range(700):
            store.sync.record_forgotten(
                f"f{i:04d}@exemple.fr", copper_id=None, name="", url=f"https://x/{i}", run_id=None
            )
    with store.write() as db:
        db.execute("UPDATE forgotten_emails SET detected_at = '2026-11-01T10:00:00+00:00'")
    emails = [f"f{i:04d}@exemple.fr" for i in range(700)]
    app = make_app(settings, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("o")
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, ForgottenScreen)
        table = screen.query_one(ForgottenTable)
        assert table.row_count == WINDOW and not table.at_end
        while emails.index(table.current_email() or "") < WINDOW + 50:
            await pilot.press("pagedown")
            await settle(pilot, app)
        shown = [str(row.key.value) for row in table.ordered_rows]
        assert shown == emails[emails.index(shown[0]) : emails.index(shown[0]) + len(shown)]
        await pilot.press("end")
        await settle(pilot, app)
        assert table.current_email() == emails[-1]
        await pilot.press("l")
        assert app.clipboard == "https://x/699"
        await pilot.press("home")
        await settle(pilot, app)
        assert table.current_email() == emails[0]


async def test_A_selects_every_match_at_80x24(settings: Settings, store: Store) -> None:
    """``A`` (help lists it) selects every match of the filter, beyond the window; Escape twice leaves the
    filter, then drops the selection."""
    emails = _queue(store)
    matching = {e for i, e in enumerate(emails) if i % 10 == 3}
    app = make_app(settings, store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_deletions(pilot, app)
        await pilot.press("slash", *"élodie", "enter", "A")
        await settle(pilot, app)
        assert screen.selected == matching
        assert f"{len(matching)} selected" in str(screen.query_one("#deletions-counts").render())
        await pilot.press("escape")  # the filter goes, the selection stays
        await settle(pilot, app)
        assert screen.selected == matching and not screen.needle
        await pilot.press("escape")
        await settle(pilot, app)
        assert not screen.selected
        await pilot.press("A")  # no filter: the whole queue
        await settle(pilot, app)
        assert screen.selected == set(emails)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert ("A", "Select all matching") in app.screen.sections[0].rows


async def test_detail_pane_shows_the_full_email_and_tag_at_80x24(settings: Settings, store: Store) -> None:
    """The table cuts a long email and the tag at 80 columns; the pane under it shows both whole, on
    screen above the footer, for the entry under the cursor (``🗑️`` measured as the terminal draws it)."""
    long_email = "marie-christine.dupont-de-la-fontaine.service-achats@exemple-long.fr"
    tag = "🗑️ À SUPPRIMER DÉFINITIVEMENT"
    with store.write():
        for i, email in enumerate(("a@exemple.fr", long_email)):
            store.sync.queue_deletion(
                email, copper_id=i, name="Marie", tag=tag, run_id=None, copper_state={}, mc_state={}
            )
    app = make_app(settings, store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_deletions(pilot, app)
        table = screen.query_one(DecisionTable)
        while table.current_email() != long_email:
            await pilot.press("down")
            await settle(pilot, app)
        pane = screen.query_one("#deletions-detail", Label)
        shown = str(pane.render())
        assert long_email in shown.replace("\n", "") and "🗑 À SUPPRIMER DÉFINITIVEMENT" in shown
        assert "\ufe0f" not in shown
        # Whole and on screen: every wrapped line fits the pane, which sits above the footer.
        text = detail_text(screen.queue.current())
        lines = text.wrap(app.console, pane.content_region.width)
        assert all(line.cell_len <= pane.content_region.width for line in lines)
        assert len(lines) <= pane.content_region.height
        footer = screen.query_one(Footer)
        assert 0 < pane.region.y and pane.region.bottom <= footer.region.y <= 23
        await pilot.press("up")
        await settle(pilot, app)
        assert "a@exemple.fr" in str(pane.render()) and long_email not in str(pane.render())


async def test_opening_reads_the_window_once_and_coming_back_reads_it_again(
    settings: Settings, store: Store
) -> None:
    """Textual resumes a new mode's screen twice: the queue's first read (on mount) is the only one,
    and coming back from another screen reads the list again (a row queued meanwhile shows)."""
    _queue(store)
    seen: list[object] = []
    app = make_app(settings, store)
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:

        def reads() -> int:
            return len(
                {
                    id(m.worker)
                    for m in seen
                    if isinstance(m, Worker.StateChanged)
                    and m.worker.group == "review:load"
                    and m.state == WorkerState.RUNNING
                }
            )

        screen = await open_deletions(pilot, app)
        assert reads() == 1 and screen.query_one(DecisionTable).row_count == WINDOW
        await pilot.press("escape")  # home
        await settle(pilot, app)
        with store.write() as db:
            store.sync.queue_deletion(
                "a0000@exemple.fr",
                copper_id=None,
                name="Zoé",
                tag="a supprimer",
                run_id=None,
                copper_state=None,
                mc_state=None,
            )
            db.execute(
                "UPDATE deletion_queue SET detected_at = '2026-10-01T10:00:00+00:00' WHERE name = 'Zoé'"
            )
        screen = await open_deletions(pilot, app)
        assert reads() == 2
        assert screen.query_one(DecisionTable).visible_keys()[:2] == ["a0000@exemple.fr", "c00000@exemple.fr"]
        assert "1201 pending" in str(screen.query_one("#deletions-counts").render())
