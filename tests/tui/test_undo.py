"""Pilot tests: "mark bad" says its scope before it happens, and ``u`` undoes the last "mark bad"
(Customers) and the last "reached" (Forgotten), audited."""

from __future__ import annotations

from textual.widgets import DataTable, Label

from crmtui.app import make_app
from crmtui.config import Settings
from crmtui.engine.reco import mark_bad, recompute
from crmtui.engine.reco_undo import mark_bad_undoable, mark_scope, undo_mark_bad
from crmtui.i18n import set_language
from crmtui.screens.customers import BadRecoScreen, CustomersScreen
from crmtui.screens.forgotten import ForgottenScreen
from crmtui.store import Store
from crmtui.store.reco import reco_repo
from crmtui.widgets.sync_forgotten import ForgottenTable
from tests.tui.support import settle
from tests.unit.test_reco_engine import AS_OF, World


def _data(store: Store) -> None:
    world = World(store)
    bought = world.product("a", "Sancerre 2022", category="BLANC", region="Loire — Sancerre")
    world.product("x", "Pouilly-Fumé 2022", category="BLANC", region="Loire — Pouilly")
    world.product("y", "Riesling 2021", category="BLANC", region="Alsace — Alsace", grapes="Riesling")
    for key in ("dupont", "martin", "durand"):
        world.customer(key)
        world.sale(key, bought)
    world.load()
    recompute(store, as_of=AS_OF)


def _factors(store: Store) -> dict[tuple[str, str, str], tuple[float, int]]:
    return {
        (a.rule, a.segment, a.category): (a.factor, a.feedback_count) for a in reco_repo(store).adjustments()
    }


def test_scope_counts_the_segment_and_undo_restores_one_step(store: Store) -> None:
    _data(store)
    top = reco_repo(store).results_for("dupont")[0]
    scope = mark_scope(store, "dupont", top.product_key)
    assert scope.customers == 3 and scope.shown == 3  # the three bought the same: same segment, rule
    assert scope.factor_before == 1.0 and scope.factor_after < 1.0
    first = mark_bad_undoable(store, "dupont", top.product_key, "a", actor="t", as_of=AS_OF)
    other = reco_repo(store).results_for("martin")[0]
    mark_bad(store, "martin", other.product_key, "b", actor="t", as_of=AS_OF)  # same rule and segment
    twice = _factors(store)
    # Undo the first: one step back, the second mark stays applied.
    assert undo_mark_bad(store, first, actor="t", as_of=AS_OF) is not None
    (key,) = twice
    assert _factors(store)[key] == (round(twice[key][0] / (first.factor_after / first.factor_before), 6), 1)
    assert top.product_key in [r.product_key for r in reco_repo(store).results_for("dupont")]
    assert [f.customer_key for f in reco_repo(store).feedback()] == ["martin"]
    assert store.audit.recent(1)[0]["action"] == "reco.mark_bad.undo"
    assert undo_mark_bad(store, first, actor="t", as_of=AS_OF) is None  # already undone


async def test_mark_bad_explains_its_scope_then_u_undoes_it(settings: Settings, store: Store) -> None:
    _data(store)
    app = make_app(settings, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(CustomersScreen())
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, CustomersScreen)
        await pilot.press("slash", *"dupont")
        await settle(app, pilot)
        assert screen.customer_key == "dupont"
        first = reco_repo(store).results_for("dupont")[0].product_key
        assert not screen.check_action("undo_mark", ())  # nothing to undo yet
        recos = screen.query_one("#reco-table", DataTable)
        recos.focus()
        await pilot.press("m")
        await settle(app, pilot)
        modal = app.screen
        assert isinstance(modal, BadRecoScreen)
        scope = str(modal.query_one("#bad-scope", Label).render())
        assert "lowers rule" in scope and "for segment “Standard”" in scope
        assert "affects the recommendations of 3 customer(s)" in scope and "1.00 → " in scope
        assert "“u” undoes" in scope
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen is screen
        assert first not in [r.product_key for r in reco_repo(store).results_for("dupont")]
        assert _factors(store)

        recos.focus()
        await pilot.press("u")
        await settle(app, pilot)
        assert reco_repo(store).feedback() == []
        assert _factors(store) == {}
        assert first in [r.product_key for r in reco_repo(store).results_for("dupont")]
        assert store.audit.recent(1)[0]["action"] == "reco.mark_bad.undo"
        assert store.audit.recent(1)[0]["actor"] == "console"
        assert first in [str(k.value) for k in recos.rows] or recos.row_count > 0
        assert not screen.check_action("undo_mark", ())  # one undo per mark


async def test_scope_in_french(settings: Settings, store: Store) -> None:
    _data(store)
    set_language("fr")
    app = make_app(settings, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(CustomersScreen())
        await settle(app, pilot)
        await pilot.press("slash", *"dupont")
        await settle(app, pilot)
        app.screen.query_one("#reco-table", DataTable).focus()
        await pilot.press("m")
        await settle(app, pilot)
        scope = str(app.screen.query_one("#bad-scope", Label).render())
        assert "baisse le poids de la règle" in scope and "3 client(s)" in scope
        await pilot.press("escape")
        await settle(app, pilot)
    assert reco_repo(store).feedback() == []


async def test_u_undoes_the_last_reached(settings: Settings, store: Store) -> None:
    with store.write() as db:
        for email in ("anne@exemple.fr", "bob@exemple.fr"):
            db.execute(
                "INSERT INTO forgotten_emails (email, name, detected_at, resubscribe_url) VALUES (?, ?, ?, ?)",
                (email, "x", "2026-11-01", "https://x.us19.list-manage.com/subscribe?u=1&id=2"),
            )
    app = make_app(settings, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("o")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ForgottenScreen)
        email = screen.query_one(ForgottenTable).current_email()
        assert email is not None
        assert not screen.check_action("undo_reached", ())
        await pilot.press("m")
        await settle(app, pilot)
        rows = {r["email"]: r for r in store.sync.forgotten_rows()}
        assert rows[email]["reached_at"]
        await pilot.press("u")
        await settle(app, pilot)
        rows = {r["email"]: r for r in store.sync.forgotten_rows()}
        assert rows[email]["reached_at"] is None and rows[email]["reached_by"] is None
        entry = store.audit.recent(1)[0]
        assert entry["action"] == "forgotten.reached.undo" and entry["subject"] == email
        assert not screen.check_action("undo_reached", ())
