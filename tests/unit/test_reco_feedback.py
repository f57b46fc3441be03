"""Operator feedback and incremental recomputation."""

from __future__ import annotations

import dataclasses

import pytest

from crmtui.engine.reco import mark_bad, recompute
from crmtui.engine.reco_model import RecoConfig
from crmtui.records.canonical import Batch, Product, SalesLine
from crmtui.store import Store
from crmtui.store.etl import etl_repo
from crmtui.store.reco import reco_repo
from tests.unit.test_reco_engine import AS_OF, World, keys, only, recos
from tests.unit.test_reco_engine import world as world  # noqa: F401 - the fixture


def _two_alike(world: World) -> None:
    """Two customers of the same segment with the same taste, and a wine both should get."""
    bought = world.product("a", category="BLANC", region="Loire — Sancerre", grapes="Sauvignon Blanc")
    world.product("x", category="BLANC", region="Loire — Pouilly", grapes="Sauvignon Blanc")
    world.product("y", category="BLANC", region="Alsace — Alsace", grapes="Riesling")
    for key in ("c1", "c2"):
        world.customer(key)
        world.sale(key, bought)
    world.load()


def test_marking_bad_removes_it_lowers_the_rule_and_is_audited(world: World, store: Store) -> None:
    _two_alike(world)
    recompute(store, as_of=AS_OF)
    first = recos(store, "c1")[0]
    assert first.product_key == "x"
    c2_before = next(r for r in recos(store, "c2") if r.product_key == "x")

    outcome = mark_bad(store, "c1", "x", "does not like Pouilly", as_of=AS_OF)

    assert outcome.rule == first.rule
    assert (outcome.factor_before, outcome.factor_after) == (1.0, 0.8)
    assert "x" not in [r.product_key for r in outcome.recommendations]  # recomputed at once
    repo = reco_repo(store)
    assert repo.feedback_counts() == {first.rule: 1}
    fb = repo.feedback()[0]
    assert (fb.customer_key, fb.product_key, fb.reason, fb.segment, fb.category) == (
        "c1",
        "x",
        "does not like Pouilly",
        "STANDARD",
        "BLANC",
    )
    audit = store.audit.recent(1)[0]
    assert audit["action"] == "reco.mark_bad" and audit["subject"] == "c1 / x"
    assert '"factor":1.0' in audit["before"] and '"factor":0.8' in audit["after"]
    assert audit["detail"] == "does not like Pouilly"

    # Feedback changes the next result: c2 (same segment, same category) is recomputed by the next
    # incremental run, and the rule that produced x weighs less for it.
    result = recompute(store, as_of=AS_OF)
    assert "c2" in result.recomputed
    c2_after = next(r for r in recos(store, "c2") if r.product_key == "x")
    assert c2_after.score < c2_before.score
    # A full recompute never brings the bad one back for c1.
    recompute(store, full=True, as_of=AS_OF)
    assert "x" not in keys(store, "c1")


def test_feedback_floor(world: World, store: Store) -> None:
    _two_alike(world)
    cfg = dataclasses.replace(only("category"), top_n=1, feedback_decay=0.1, feedback_floor=0.5)
    recompute(store, cfg, as_of=AS_OF)
    outcome = mark_bad(store, "c1", keys(store, "c1")[0], config=cfg, as_of=AS_OF)
    assert (outcome.factor_before, outcome.factor_after) == (1.0, 0.5)


def test_marking_an_unknown_recommendation_is_refused(world: World, store: Store) -> None:
    _two_alike(world)
    recompute(store, as_of=AS_OF)
    with pytest.raises(KeyError):
        mark_bad(store, "c1", "nope", as_of=AS_OF)


def test_incremental_recompute_touches_only_changed_customers(world: World, store: Store) -> None:
    bought = world.product("a")
    world.product("x", region="Loire — Chinon")
    for n in range(6):
        world.customer(f"c{n}")
        world.sale(f"c{n}", bought)
    world.load()
    first = recompute(store, as_of=AS_OF)
    assert first.full and len(first.recomputed) == 6
    assert recompute(store, as_of=AS_OF).recomputed == set()

    # One new sales line for c3 (what an ETL run would load): only c3 is recomputed.
    etl_repo(store).load_batch(
        "t",
        Batch(
            records=[
                SalesLine(
                    sale_line_key="t-new",
                    customer_key="c3",
                    product_key="x",
                    date_sale=AS_OF.isoformat(),
                    quantity_units=1,
                    price_total_eur=20,
                    source="t",
                )
            ]
        ),
    )
    again = recompute(store, as_of=AS_OF)
    assert again.recomputed == {"c3"} and again.changed_customers == 1 and not again.full
    assert "x" not in keys(store, "c3")  # just bought: inside the repurchase window now


def test_a_changed_product_recomputes_the_customers_holding_it(world: World, store: Store) -> None:
    bought = world.product("a", region="Jura — Arbois")
    world.product("x", "Chinon 2020", region="Loire — Chinon")
    world.product("lone", region="Alsace — Alsace", category="BLANC")
    for n in range(3):
        world.customer(f"c{n}")
        world.sale(f"c{n}", bought)
    world.customer("d")
    world.sale("d", "lone")
    world.load()
    recompute(store, only("category"), as_of=AS_OF)
    assert "x" in keys(store, "c0")
    etl_repo(store).load_batch(
        "t",
        Batch(
            records=[Product(product_key="x", name="Chinon 2020", category="ROUGE", source="t", active=False)]
        ),
    )
    result = recompute(store, only("category"), as_of=AS_OF)
    assert result.changed_products == 1
    assert result.recomputed == {"c0", "c1", "c2"}  # d never had x
    assert "x" not in keys(store, "c0")


def test_a_new_vintage_reaches_the_buyers_of_the_cuvee(world: World, store: Store) -> None:
    old = world.product("ch-19", "Chinon 2019", vintage=2019, region="Loire — Chinon")
    world.customer("fan")
    world.sale("fan", old)
    world.customer("other")
    world.sale("other", world.product("z", "Cahors 2019", region="Sud-Ouest — Cahors", grapes="Malbec"))
    world.load()
    recompute(store, only("vintage"), as_of=AS_OF)
    assert keys(store, "fan") == []
    world.product("ch-22", "Chinon 2022", vintage=2022, region="Loire — Chinon")
    world.load()
    result = recompute(store, only("vintage"), as_of=AS_OF)
    assert result.recomputed == {"fan"}
    assert keys(store, "fan") == ["ch-22"]


def test_changed_weights_recompute_everybody_and_dry_run_writes_nothing(world: World, store: Store) -> None:
    bought = world.product("a")
    world.product("x", region="Loire — Chinon")
    for n in range(3):
        world.customer(f"c{n}")
        world.sale(f"c{n}", bought)
    world.load()
    assert recompute(store, RecoConfig(), as_of=AS_OF, dry_run=True).results > 0
    assert reco_repo(store).coverage()[0] == 0
    recompute(store, RecoConfig(), as_of=AS_OF)
    changed = recompute(store, only("category"), as_of=AS_OF)
    assert changed.full and len(changed.recomputed) == 3


def test_time_passing_reopens_the_repurchase_window(world: World, store: Store) -> None:
    bought = world.product("a")
    world.customer("c")
    world.sale("c", bought, days_ago=80)
    world.load()
    recompute(store, only("category"), as_of=AS_OF)
    assert keys(store, "c") == []
    later = recompute(store, only("category"), as_of=AS_OF.replace(month=7))
    assert later.recomputed == {"c"} and keys(store, "c") == ["a"]


def test_removed_customers_lose_their_results(world: World, store: Store) -> None:
    bought = world.product("a")
    world.product("x", region="Loire — Chinon")
    world.customer("c")
    world.sale("c", bought)
    world.load()
    recompute(store, as_of=AS_OF)
    with store.write() as db:
        db.execute("DELETE FROM customers WHERE customer_key = 'c'")
    result = recompute(store, as_of=AS_OF)
    assert result.removed == 1 and reco_repo(store).results_for("c") == []
