"""Pilot tests of the customers screen (mark a recommendation bad by keyboard) and the quality screen."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Label

from crmtui.app import make_app
from crmtui.config import Settings
from crmtui.engine.reco import recompute, record_suggestion
from crmtui.records.canonical import Batch, ContactEvent
from crmtui.screens.customers import BadRecoScreen, CustomersScreen
from crmtui.screens.reco_quality import RecoQualityScreen
from crmtui.store import Store
from crmtui.store.etl import etl_repo
from crmtui.store.reco import reco_repo
from tests.tui.support import settle
from tests.unit.test_reco_engine import AS_OF, World

HOSTILE = "[@click=app.quit]Q[/] \x1b[31mX"


def _data(store: Store) -> None:
    world = World(store)
    bought = world.product("a", "Sancerre 2022", category="BLANC", region="Loire — Sancerre")
    world.product("x", HOSTILE, category="BLANC", region="Loire — Pouilly")
    world.product("y", "Riesling 2021", category="BLANC", region="Alsace — Alsace", grapes="Riesling")
    world.customer("dupont")
    world.sale("dupont", bought)
    world.customer("martin")
    world.sale("martin", bought)
    world.load()
    recompute(store, as_of=AS_OF)


async def test_mark_a_recommendation_bad_by_keyboard(settings: Settings, store: Store) -> None:
    _data(store)
    assert [r.product_key for r in reco_repo(store).results_for("dupont")][0] == "x"
    app = make_app(settings, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.push_screen(CustomersScreen())
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, CustomersScreen)
        screen.query_one("#customer-table", DataTable).focus()
        await pilot.press("slash")  # back to the search box from anywhere
        assert screen.query_one("#customer-search", Input).has_focus
        await pilot.press(*"dupont")
        await settle(app, pilot)
        assert screen.query_one("#customer-table", DataTable).row_count == 1
        assert screen.customer_key == "dupont"
        recos = screen.query_one("#reco-table", DataTable)
        assert recos.row_count >= 2
        summary = str(screen.query_one("#customer-summary", Label).render())
        assert "Standard" in summary  # the RFM label, not the code
        # The hostile product name is shown literally (no markup, no escape code).
        assert HOSTILE.replace("\x1b", "\\x1b") in str(recos.get_row_at(0)[1])

        recos.focus()
        await pilot.press("m")
        await settle(app, pilot)
        assert isinstance(app.screen, BadRecoScreen)
        await pilot.press(*"too oaky")
        await pilot.press("enter")
        await settle(app, pilot)

        back: object = app.screen
        assert back is screen
        feedback = reco_repo(store).feedback()
        assert [(f.customer_key, f.product_key, f.reason, f.actor) for f in feedback] == [
            ("dupont", "x", "too oaky", "console")
        ]
        assert "x" not in [r.product_key for r in reco_repo(store).results_for("dupont")]
        assert "x" not in [str(k.value) for k in recos.rows]
        assert store.audit.recent(1)[0]["action"] == "reco.mark_bad"

        # Escape in the modal marks nothing.
        recos.focus()
        await pilot.press("m")
        await settle(app, pilot)
        await pilot.press("escape")
        await settle(app, pilot)
        assert len(reco_repo(store).feedback()) == 1


async def test_search_finds_nothing_and_recompute_key(settings: Settings, store: Store) -> None:
    _data(store)
    app = make_app(settings, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(CustomersScreen())
        await settle(app, pilot)
        app.screen.query_one("#customer-search", Input).value = "nobody-here"
        await settle(app, pilot)
        assert "No customer found" in str(app.screen.query_one("#customer-summary", Label).render())
        app.screen.query_one("#customer-table", DataTable).focus()
        await pilot.press("g")
        await settle(app, pilot)
        assert reco_repo(store).meta("last_run") is not None


async def test_quality_screen_shows_coverage_feedback_and_conversions(
    settings: Settings, store: Store
) -> None:
    _data(store)
    etl_repo(store).load_batch(
        "scenarios",
        Batch(
            records=[
                ContactEvent(
                    contact_key="s1",
                    customer_key="martin",
                    date_contact="2025-06-01T09:00:00+00:00",
                    campaign="Bienvenue",
                    source="scenarios",
                )
            ]
        ),
    )
    record_suggestion(store, "s1", "x", customer_key="martin", scenario="Bienvenue", variant="A")
    from crmtui.engine.reco import mark_bad

    mark_bad(store, "dupont", "x", "no", as_of=AS_OF)
    app = make_app(settings, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.push_screen(RecoQualityScreen())
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, RecoQualityScreen)
        figures = screen.figures()
        assert "Coverage: 2 of 2" in figures["coverage"]
        assert figures["feedback_rows"] == 1 and figures["conversion_rows"] == 1
        row = [str(c) for c in screen.query_one("#conversion-table", DataTable).get_row_at(0)]
        assert row[:4] == ["Bienvenue", "A", "1", "0"]


async def test_k_and_shift_k_open_the_screens(settings: Settings, store: Store) -> None:
    app = make_app(settings, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("k")
        await settle(app, pilot)
        assert isinstance(app.screen, CustomersScreen)
        app.screen.query_one("#customer-table", DataTable).focus()
        await pilot.press("K")
        await settle(app, pilot)
        assert isinstance(app.screen, RecoQualityScreen)
        assert "never" in app.screen.figures()["coverage"]


LONG_SCENARIO = "Bienvenue chez nous, découvrez nos cuvées de printemps"


def _headers_whole(table: DataTable[object]) -> None:
    """Every header is shown whole and the table does not scroll sideways."""
    assert table.virtual_size.width <= table.size.width, "the table scrolls sideways"
    for column in table.ordered_columns:
        label = column.label.plain
        assert column.get_render_width(table) - 2 >= len(label), f"{label!r} is cut"


async def test_conversion_table_fits_80_columns_in_both_languages(settings: Settings, store: Store) -> None:
    """80x24 first (#15): the conversion headers are whole, empty or not; long names in the detail line."""
    from crmtui.i18n import set_language

    for language in ("fr", "en"):
        set_language(language)
        app = make_app(settings, store)
        async with app.run_test(size=(80, 24)) as pilot:
            await app.push_screen(RecoQualityScreen())
            await settle(app, pilot)
            table = app.screen.query_one("#conversion-table", DataTable)
            table.focus()  # the focus border takes two columns
            await pilot.pause()
            _headers_whole(table)
            empty = "Aucun envoi" if language == "fr" else "No send"
            assert empty in str(app.screen.query_one("#conversion-detail", Label).render())
    set_language("en")
    _data(store)
    etl_repo(store).load_batch(
        "scenarios",
        Batch(
            records=[
                ContactEvent(
                    contact_key="s1",
                    customer_key="martin",
                    date_contact="2025-06-01T09:00:00+00:00",
                    campaign=LONG_SCENARIO,
                    source="scenarios",
                )
            ]
        ),
    )
    record_suggestion(store, "s1", "x", customer_key="martin", scenario=LONG_SCENARIO, variant="Printemps B")
    for language in ("fr", "en"):
        set_language(language)
        app = make_app(settings, store)
        async with app.run_test(size=(80, 24)) as pilot:
            await app.push_screen(RecoQualityScreen())
            await settle(app, pilot)
            table = app.screen.query_one("#conversion-table", DataTable)
            table.focus()
            await pilot.pause()
            _headers_whole(table)
            assert table.get_row_at(0)[0].plain == LONG_SCENARIO  # cut on screen, whole in the cell
            detail = str(app.screen.query_one("#conversion-detail", Label).render())
            assert LONG_SCENARIO in detail and "Printemps B" in detail
            await pilot.press("right", "right", "right", "S")  # sorted by conversions: "▲" in its header
            await pilot.pause()
            assert table.ordered_columns[3].label.plain.endswith("▲")
            _headers_whole(table)
    set_language("en")
