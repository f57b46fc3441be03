"""Template variables, suggestions and conversions, the catalogue, and ``--headless --only reco``."""

from __future__ import annotations

import string
from datetime import date
from pathlib import Path

import pytest

from crmtui.cli.entry import main
from crmtui.engine.reco import conversions, recommendation_variables, recompute, record_suggestion
from crmtui.engine.reco_model import RecoConfig
from crmtui.i18n import LANGUAGES
from crmtui.i18n.reco import RECO_CATALOGUE
from crmtui.records.canonical import Batch, ContactEvent, SalesLine
from crmtui.sandbox.isavigne_data import write_exports
from crmtui.store import Store
from crmtui.store.etl import etl_repo
from crmtui.store.reco import reco_repo
from tests.unit.test_reco_engine import AS_OF, World
from tests.unit.test_reco_engine import world as world  # noqa: F401 - the fixture


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_reco_key_has_both_languages_and_the_same_placeholders() -> None:
    for key, entry in RECO_CATALOGUE.items():
        assert set(entry) == set(LANGUAGES), key
        assert _fields(entry["fr"]) == _fields(entry["en"]), key


def _one_customer(world: World) -> None:
    bought = world.product("a", category="BLANC", region="Loire — Sancerre")
    world.product("x", "Pouilly-Fumé « Silex » 2022", category="BLANC", region="Loire — Pouilly")
    world.customer("c", email="Marie.Dupont@exemple.fr")
    world.sale("c", bought)
    world.customer("out", opt_out=True)
    world.sale("out", bought)
    world.load()


def test_recommendation_variables_by_email_or_key(world: World, store: Store) -> None:
    _one_customer(world)
    recompute(store, as_of=AS_OF)
    cfg = RecoConfig(product_url="https://boutique.exemple.fr/vins/{slug}?ref={product_key}")
    by_email = recommendation_variables(store, "marie.dupont@EXEMPLE.fr", cfg)
    assert by_email["recommended_product"] == "Pouilly-Fumé « Silex » 2022"
    assert (
        by_email["recommended_product_url"]
        == "https://boutique.exemple.fr/vins/pouilly-fume-silex-2022?ref=x"
    )
    assert by_email["recommendation_reason"]
    assert by_email["recommended_product_key"] == "x"
    assert recommendation_variables(store, "c", cfg) == by_email
    empty = recommendation_variables(store, "out")
    assert set(empty) >= {"recommended_product", "recommended_product_url", "recommendation_reason"}
    assert not any(empty.values())
    assert not any(recommendation_variables(store, "nobody@exemple.fr").values())


def _send(store: Store, key: str, when: str, campaign: str) -> None:
    etl_repo(store).load_batch(
        "scenarios",
        Batch(
            records=[
                ContactEvent(
                    contact_key=key,
                    customer_key="c",
                    date_contact=when,
                    campaign=campaign,
                    source="scenarios",
                )
            ]
        ),
    )


def _buy(store: Store, key: str, product: str, day: str) -> None:
    etl_repo(store).load_batch(
        "t",
        Batch(
            records=[
                SalesLine(
                    sale_line_key=key,
                    customer_key="c",
                    product_key=product,
                    date_sale=day,
                    quantity_units=1,
                    price_total_eur=31.5,
                    source="t",
                )
            ]
        ),
    )


def test_suggestions_and_conversions_per_scenario_and_variant(world: World, store: Store) -> None:
    _one_customer(world)
    _send(store, "s1", "2025-06-01T09:00:00+00:00", "Bienvenue")
    _send(store, "s2", "2025-06-01T09:00:00+00:00", "Bienvenue")
    _send(store, "s3", "2025-03-01T09:00:00+00:00", "Relance")
    record_suggestion(store, "s1", "x", customer_key="c", scenario="Bienvenue", variant="A")
    record_suggestion(store, "s2", "a", customer_key="c", scenario="Bienvenue", variant="B")
    record_suggestion(store, "s3", "x", customer_key="c", scenario="Relance", variant="")
    assert etl_repo(store).get("contact_history", "s1")["product_key_suggested"] == "x"  # type: ignore[index]
    _buy(store, "buy-x", "x", "2025-06-01")  # the same day as the send (a date-only sale) counts
    _buy(store, "buy-a", "a", "2025-07-20")  # 49 days after: outside a 30-day window
    rows = {(c.scenario, c.variant): c for c in conversions(store, RecoConfig())}
    assert (rows["Bienvenue", "A"].sends, rows["Bienvenue", "A"].conversions) == (1, 1)
    assert rows["Bienvenue", "A"].revenue_eur == 31.5 and rows["Bienvenue", "A"].rate == 1.0
    assert (rows["Bienvenue", "B"].sends, rows["Bienvenue", "B"].conversions) == (1, 0)
    assert (rows["Relance", ""].sends, rows["Relance", ""].conversions) == (1, 0)  # bought 92 days later
    wider = {(c.scenario, c.variant): c.conversions for c in conversions(store, window_days=60)}
    assert wider["Bienvenue", "B"] == 1


def test_headless_only_reco_after_an_etl(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_exports(tmp_path / "ex", customers=30, seed=5, export_date=date(2025, 6, 1))
    monkeypatch.setenv("ISAVIGNE_EXPORT_PATH", str(tmp_path / "ex"))
    assert main(["--headless", "--only", "etl,reco", "--no-sandbox"]) == 0
    out = capsys.readouterr().out
    assert "step reco: ok" in out and "full recompute" in out
    store = Store(tmp_path / "data" / "crmtui.db")
    try:
        covered, eligible, _total = reco_repo(store).coverage()
        assert covered == eligible > 0
        assert store.runs.recent(1)[0].summary["reco"]["recomputed"] == 30
    finally:
        store.close()
    assert main(["--headless", "--only", "reco", "--no-sandbox"]) == 0
    assert "0 customers recomputed" in capsys.readouterr().out


def test_headless_reco_with_a_bad_setting_fails_the_step(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECO_TOP_N", "none")
    assert main(["--headless", "--only", "reco", "--no-sandbox"]) != 0
    assert "RECO_TOP_N" in capsys.readouterr().out
