"""Pilot tests of the console: dashboard figures, help, palette, navigation, hostile text."""

from __future__ import annotations

from textual.widgets import DataTable

from crmtui.app import make_app
from crmtui.config import Settings
from crmtui.screens.dashboard import DashboardScreen
from crmtui.screens.help import HelpScreen
from crmtui.store import Store
from crmtui.widgets.figure import Figure
from tests.tui.support import settle

HOSTILE = "\x1b[31mRouge\x1b[0m [bold]Gras[/bold] [@click=app.quit]Quitter[/]"


def _seed(store: Store) -> None:
    with store.write() as db:
        for i in range(3):
            db.execute(
                "INSERT INTO contacts (email, first_name, updated_at) VALUES (?, ?, '2026-01-01')",
                (f"c{i}@exemple.fr", "Élodie"),
            )
        db.execute(
            "INSERT INTO deletion_queue (email, name, tag, detected_at) VALUES (?, ?, ?, '2026-11-01T10:00:00+00:00')",
            ("hostile@exemple.fr", HOSTILE, "🗑️ À SUPPRIMER"),
        )
        db.execute(
            "INSERT INTO forgotten_emails (email, name, detected_at, resubscribe_url) VALUES (?, ?, ?, ?)",
            ("gone@exemple.fr", "Loïc", "2026-11-01", "https://x.us19.list-manage.com/subscribe?u=1&id=2"),
        )
    run_id = store.runs.start("sync", mode="test")
    store.runs.finish(run_id, "partial", total=5, succeeded=4, failed=1)


async def test_dashboard_shows_real_figures(settings: Settings, store: Store) -> None:
    _seed(store)
    app = make_app(settings, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        assert screen.query_one("#fig-contacts", Figure).value == 3
        assert screen.query_one("#fig-pending", Figure).value == 1
        assert screen.query_one("#fig-forgotten", Figure).value == 1
        assert screen.query_one("#fig-runs", Figure).value == 1
        runs = screen.query_one("#runs-table", DataTable)
        assert runs.row_count == 1


async def test_fresh_database_shows_zeros(settings: Settings, store: Store) -> None:
    app = make_app(settings, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        for fig in app.screen.query(Figure):
            assert fig.value == 0
        assert "SANDBOX" in app.screen.query_one("#sandbox-banner").render().plain  # type: ignore[attr-defined]


async def test_hostile_name_is_shown_literally(settings: Settings, store: Store) -> None:
    _seed(store)
    app = make_app(settings, store)
    async with app.run_test(size=(160, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one("#pending-table", DataTable)
        name_cell = table.get_row_at(0)[3]  # email, tag, since, name
        assert "[bold]Gras[/bold]" in name_cell.plain
        assert "[@click=app.quit]Quitter[/]" in name_cell.plain
        assert "\x1b" not in name_cell.plain and "\\x1b[31mRouge" in name_cell.plain
        assert not name_cell.spans  # no markup was interpreted
        # Clicking the cell must not run the embedded action.
        await pilot.click("#pending-table")
        await pilot.pause()
        assert app.is_running


async def test_help_opens_and_closes(settings: Settings, store: Store) -> None:
    app = make_app(settings, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_navigation_between_screens(settings: Settings, store: Store) -> None:
    app = make_app(settings, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("h")
        assert app.current_mode == "runs"
        await pilot.press("c")
        assert app.current_mode == "connectors"
        await pilot.press("d")
        assert app.current_mode == "dashboard"


async def test_palette_runs_the_same_actions(settings: Settings, store: Store) -> None:
    app = make_app(settings, store)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Runs")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert app.current_mode == "runs"


async def test_run_cycle_in_background_records_a_run(settings: Settings, store: Store) -> None:
    app = make_app(settings, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert store.runs.count() == 1
        assert store.runs.recent(1)[0].status == "ok"


async def test_connectors_screen_tests_in_background(tmp_path: object) -> None:
    from crmtui.config import load_settings
    from crmtui.sandbox.harness import running_sandbox

    with running_sandbox(100) as sb:
        settings = sb.apply_to(load_settings({}, env_file=None, sandbox=True))
        store = Store(settings.store_path)
        app = make_app(settings, store)
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.press("c")
            await pilot.press("t")
            await app.workers.wait_for_complete()
            await pilot.pause()
            table = app.screen.query_one("#connectors-table", DataTable)
            statuses = {name: table.get_row(name)[2].plain for name in ("copper", "mailchimp", "odoo")}
            assert "470" not in statuses["copper"] and "people" in statuses["copper"]
            assert "subscribed" in statuses["mailchimp"]
            assert "17.0" in statuses["odoo"]
        store.close()


async def test_ctrl_x_stops_a_running_cycle_and_says_where(tmp_path: object) -> None:
    """``r`` then ``Ctrl+X`` during Copper's rate-limit wait: the run stops within seconds, interrupted,
    the key is in the footer only while the cycle runs, and the notice names the step it stopped in."""
    import time

    from textual.widgets._footer import FooterKey

    from crmtui.config import load_settings
    from crmtui.sandbox.harness import running_sandbox

    with running_sandbox(120, 42) as sb:
        sb.copper.rate_limit = 0  # Copper's window is full from the first request: a 60 s wait
        settings = sb.apply_to(load_settings({"SYNC_MODE": "production"}, env_file=None, sandbox=True))
        store = Store(settings.store_path)
        app = make_app(settings, store)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert "ctrl+x" not in {k.key for k in app.screen.query(FooterKey)}
            await pilot.press("r")
            deadline = time.monotonic() + 60
            while app._cycle_step != "sync" and time.monotonic() < deadline:
                await pilot.pause(0.1)
            assert app._cycle_step == "sync"
            await pilot.pause(0.5)  # into the wait
            assert "ctrl+x" in {k.key for k in app.screen.query(FooterKey)}
            asked = time.monotonic()
            await pilot.press("ctrl+x")
            while app.cycle_running() and time.monotonic() < asked + 30:
                await pilot.pause(0.1)
            elapsed = time.monotonic() - asked
            await pilot.pause()
            assert elapsed < 5.0, f"cancel took {elapsed:.1f} s"
            run = store.runs.recent(1)[0]
            assert run.status == "interrupted"
            messages = [n.message for n in app._notifications]
            assert any(m.startswith("Cycle stopped during “sync”") for m in messages), messages
            assert "ctrl+x" not in {k.key for k in app.screen.query(FooterKey)}
        store.close()


async def test_empty_tables_say_what_would_appear_and_which_key_fills_them(
    settings: Settings, store: Store
) -> None:
    from textual.widgets import Label

    app = make_app(settings, store)
    expected = {
        "h": ("#run-line", "No run yet: r runs a cycle"),
        "b": ("#deletions-counts", "Nothing to review: a sync (y, then g)"),
        "o": ("#forgotten-hint", "No forgotten email: a sync (y, then g)"),
        "Q": ("#quality-when", "No report yet: s (Sources), then n"),
    }
    async with app.run_test(size=(80, 24)) as pilot:
        for key, (label, text) in expected.items():
            await pilot.press(key)
            await settle(app, pilot)
            shown = str(app.screen.query_one(label, Label).render())
            assert shown.startswith(text), (key, shown)
            assert app.screen.query_one(label, Label).region.height == 1, (key, "one line at 80 columns")


async def test_quitting_during_a_cycle_asks_first_and_no_keeps_it_running(tmp_path: object) -> None:
    """Ctrl+Q while a cycle runs asks in the one confirmation style; No (``n``, Escape) keeps the console
    and the cycle; Yes stops the cycle (interrupted, resumed next run) and quits. Idle, Ctrl+Q just quits."""
    import time

    from crmtui.config import load_settings
    from crmtui.sandbox.harness import running_sandbox

    def asking() -> bool:  # by name: another test reloads crmtui.screens.confirm (a new class object)
        return type(app.screen).__name__ == "ConfirmScreen"

    with running_sandbox(120, 42) as sb:
        sb.copper.rate_limit = 0  # Copper's window is full from the first request: the cycle waits
        settings = sb.apply_to(load_settings({"SYNC_MODE": "production"}, env_file=None, sandbox=True))
        store = Store(settings.store_path)
        app = make_app(settings, store)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("r")
            deadline = time.monotonic() + 60
            while app._cycle_step != "sync" and time.monotonic() < deadline:
                await pilot.pause(0.1)
            assert app.cycle_running()
            for no in ("n", "escape"):
                await pilot.press("ctrl+q")
                await pilot.pause()
                assert asking()
                assert getattr(app.screen, "title_text", None) == "A cycle is running. Quit anyway?"
                await pilot.press(no)
                await pilot.pause()
                assert not asking() and app.is_running and app.cycle_running()
            await pilot.press("ctrl+q")
            await pilot.pause()
            await pilot.press("y")
            asked = time.monotonic()
            while app.is_running and time.monotonic() < asked + 10:
                await pilot.pause(0.1)
            assert not app.is_running
        deadline = time.monotonic() + 10
        while store.runs.recent(1)[0].status == "running" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert store.runs.recent(1)[0].status == "interrupted"
        store.close()

        idle = make_app(settings, Store(settings.store_path))
        async with idle.run_test(size=(80, 24)) as pilot:
            await pilot.press("ctrl+q")
            await pilot.pause()
            assert not idle.is_running


async def test_every_dashboard_figure_label_is_whole_at_80x24(settings: Settings, store: Store) -> None:
    """A figure's label is one line of a quarter of 80 columns: each must fit whole, in both languages
    ("Pending decisions" / "Décisions en attente" were cut to "Pending" / "Décisions en")."""
    from rich.cells import cell_len
    from textual.widgets import Label

    from crmtui.i18n import get_language, set_language

    before = get_language()
    try:
        for lang in ("en", "fr"):
            set_language(lang)
            app = make_app(settings, store)
            async with app.run_test(size=(80, 24)) as pilot:
                await settle(app, pilot)
                labels = list(app.screen.query(".figure--label").results(Label))
                assert len(labels) == 4
                for label in labels:
                    text = str(label.render())
                    assert cell_len(text) <= label.size.width, (lang, text, label.size.width)
    finally:
        set_language(before)
