"""The key map has no traps: global keys mean the same everywhere, ledger and destructive actions are
confirmed, Escape goes back, ``?`` opens help, and the README's key map is generated from the bindings."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Input

from crmtui.app import MODE_TITLES, CrmApp, make_app
from crmtui.config import Settings
from crmtui.i18n import CATALOGUE
from crmtui.screens.confirm import ConfirmScreen, TypedConfirmScreen
from crmtui.screens.customers import CustomersScreen
from crmtui.screens.dashboard import DashboardScreen
from crmtui.screens.deletions import DeletionsScreen
from crmtui.screens.help import HelpScreen
from crmtui.screens.keymap import bindings_of
from crmtui.screens.scenarios import ScenariosScreen
from crmtui.store import Store
from crmtui.store.scenarios import Audience, Scenario, Step, TemplateRow, Variant, scenario_repo
from tests.tui.keymap_doc import readme_keymap

README = Path(__file__).resolve().parents[2] / "README.md"
CATALOGUE_TEXTS = {text for entry in CATALOGUE.values() for text in entry.values()}


def _global_keys() -> set[str]:
    keys: set[str] = set()
    for b in bindings_of(CrmApp):
        keys.update(k.strip() for k in b.key.split(","))
    return keys


def test_no_screen_shadows_a_global_key_and_every_binding_is_described() -> None:
    global_keys = _global_keys() - {"escape"}  # Escape is "back" everywhere; screens refine it
    for mode, screen in CrmApp.MODES.items():
        for b in bindings_of(screen):
            for key in b.key.split(","):
                assert key.strip() not in global_keys, f"{mode}: {key!r} shadows a global key"
            if b.show or b.description:
                assert b.description in CATALOGUE_TEXTS, f"{mode}: {b.key} has no catalogue description"
    assert set(MODE_TITLES) == set(CrmApp.MODES)


def test_readme_key_map_is_the_generated_one() -> None:
    text = README.read_text(encoding="utf-8")
    block = readme_keymap()
    assert block in text, "README's key map drifted: run `python -m tests.tui.keymap_doc` and paste it"


def _seed_unknown(store: Store) -> str:
    s = Scenario(
        name="Bienvenue",
        window_start="00:00",
        window_end="24:00",
        send_days=[1, 2, 3, 4, 5, 6, 7],
        audience=Audience(emails=["anne@exemple.fr"]),
        steps=[Step(1, "welcome", "a", variants=[Variant("A", "a", 1)])],
        templates={"a": TemplateRow("a", "Bonjour", "<p>Bonjour</p>")},
    )
    repo = scenario_repo(store)
    repo.save(s)
    saved = repo.get("Bienvenue")
    assert saved is not None
    key = "k" * 64
    with store.write() as db:
        db.execute(
            "INSERT INTO operation_ledger (key, scenario_id, step_id, position, contact, template, status, "
            "local_day, claimed_at, owner, message_id) VALUES (?, ?, ?, 1, 'anne@exemple.fr', 'a', 'unknown', "
            "'2026-12-01', '2026-12-01T10:00:00+00:00', 'test', '<m@x>')",
            (key, saved.id, saved.steps[0].id),
        )
    return key


def _status(store: Store, key: str) -> str:
    rows = store.query("SELECT status FROM operation_ledger WHERE key = ?", (key,))
    return str(rows[0]["status"])


async def test_k_and_K_on_scenarios_navigate_and_never_settle_a_send(
    settings: Settings, store: Store
) -> None:
    key = _seed_unknown(store)
    app = make_app(settings, store)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("e")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("k")
        await pilot.pause()
        assert isinstance(app.screen, CustomersScreen)
        assert _status(store, key) == "unknown"
        await pilot.press("escape")  # leaves Customers (the table has the focus, not the search box)
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        await pilot.press("e")
        await app.workers.wait_for_complete()
        await pilot.pause()
        # The ledger action asks first; Escape answers no.
        await pilot.press("M")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.focused is not None and app.screen.focused.id == "confirm-no"
        await pilot.press("enter")  # a stray Enter is "no"
        await pilot.pause()
        assert _status(store, key) == "unknown"
        await pilot.press("m")
        await pilot.pause()
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert _status(store, key) == "sent"


async def test_d_on_deletions_is_the_dashboard_and_escape_goes_back(settings: Settings, store: Store) -> None:
    with store.write() as db:
        db.execute(
            "INSERT INTO deletion_queue (email, name, tag, detected_at) VALUES "
            "('x@exemple.fr', 'X', '🗑️ À SUPPRIMER', '2026-11-01T10:00:00+00:00')"
        )
    app = make_app(settings, store)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("b")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, DeletionsScreen)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        await pilot.press("b")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("D")
        await pilot.pause()
        assert isinstance(app.screen, TypedConfirmScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DeletionsScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)


async def test_question_mark_opens_help_listing_this_screens_keys(settings: Settings, store: Store) -> None:
    app = make_app(settings, store)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ScenariosScreen)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        titles = [s.title for s in app.screen.sections]
        assert any("Scenarios" in title for title in titles)
        keys = {k for s in app.screen.sections for k, _ in s.rows}
        assert {"m", "M", "R", "x"} <= keys
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ScenariosScreen)


async def test_customers_search_is_entered_with_slash_and_left_with_escape(
    settings: Settings, store: Store
) -> None:
    app = make_app(settings, store)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("k")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CustomersScreen)
        assert isinstance(screen.focused, DataTable)
        await pilot.press("slash")
        await pilot.press("z", "z", "z")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(screen.focused, Input) and screen.focused.value == "zzz"
        assert screen.customer_key is None and screen.recos == []
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(screen.focused, DataTable)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)


async def test_stop_dialog_is_the_one_confirmation_style_in_french(settings: Settings, store: Store) -> None:
    from crmtui.i18n import set_language

    set_language("fr")
    try:
        # Bindings are read at class creation: a French console builds its confirmation keys in French.
        from importlib import reload

        import crmtui.screens.confirm as confirm

        reload(confirm)
        keys = {b.key for b in bindings_of(confirm.ConfirmScreen)}
        assert "o" in keys and "n,escape" in keys
    finally:
        set_language("en")
        reload(confirm)


async def test_scenarios_footer_shows_the_ledger_keys_first_when_the_unknown_sends_have_the_focus(
    settings: Settings, store: Store
) -> None:
    """At 80x24 the footer fits a/p/u/x; with the unknown sends focused, m and M come first (#15)."""
    from textual.widgets._footer import FooterKey

    _seed_unknown(store)
    app = make_app(settings, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e")
        await app.workers.wait_for_complete()
        await pilot.pause()

        def shown() -> list[str]:
            return [k.key for k in app.screen.query(FooterKey) if "-command-palette" not in k.classes]

        assert shown()[:4] == ["a", "p", "u", "x"] and "m" not in shown()
        app.screen.query_one("#scenario-unknown").focus()
        await pilot.pause()
        await pilot.pause()
        assert shown()[:2] == ["m", "M"], shown()
        assert "f1" in shown()
        app.screen.query_one("#scenario-list").focus()
        await pilot.pause()
        await pilot.pause()
        assert shown()[:4] == ["a", "p", "u", "x"], shown()


async def test_the_palette_asks_in_french_and_names_keys_as_printed(settings: Settings, store: Store) -> None:
    """The palette's prompt is the operator's language (Textual's own is English), and a screen's action
    names its key as printed on the keyboard (``/``, not Textual's ``slash``)."""
    from textual.command import CommandInput, CommandPalette

    from crmtui.i18n import get_language, set_language

    before = get_language()
    set_language("fr")
    try:
        app = make_app(settings, store)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("k")
            await app.workers.wait_for_complete()
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, CustomersScreen)
            helps = {str(c.help) for c in app.get_system_commands(screen)}
            assert "Cet écran : /" in helps and not any("slash" in h for h in helps), helps
            await pilot.press("ctrl+p")
            await pilot.pause()
            assert isinstance(app.screen, CommandPalette)
            assert app.screen.query_one(CommandInput).placeholder == "Chercher une commande…"
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is screen
    finally:
        set_language(before)
