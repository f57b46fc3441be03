"""Recommendation rules and exclusions, one at a time, through the store (canonical rows in, results out)."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest

from crmtui.engine.etl import compute_rfm
from crmtui.engine.reco import recompute
from crmtui.engine.reco_model import RULES, RecoConfig, RecoWeights, cuvee_of, main_region
from crmtui.engine.reco_scoring import reason_text
from crmtui.i18n import set_language
from crmtui.records.canonical import Batch, Canonical, Customer, Product, SalesLine, StockLevel
from crmtui.store import Store
from crmtui.store.etl import etl_repo
from crmtui.store.reco import StoredReco, reco_repo

AS_OF = date(2025, 6, 1)


def only(rule: str, **extra: float) -> RecoConfig:
    """A configuration where only ``rule`` (and ``extra`` rules) weigh anything."""
    weights = RecoWeights(**{r: 0.0 for r in RULES})
    return RecoConfig(weights=dataclasses.replace(weights, **{rule: 1.0, **extra}))


class World:
    """Builds canonical rows for a test and loads them like an ETL run would."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.records: list[Canonical] = []
        self._line = 0

    def product(
        self,
        key: str,
        name: str | None = None,
        *,
        category: str = "ROUGE",
        region: str = "Bourgogne — Beaune",
        grapes: str = "Pinot Noir",
        segment: str = "STANDARD",
        price: float = 20.0,
        vintage: int | None = 2020,
        active: bool = True,
        stock: float | None = 100.0,
        pack: float = 1.0,
    ) -> str:
        self.records.append(
            Product(
                product_key=key,
                name=name or f"Wine {key} {vintage or ''}".strip(),
                category=category,
                price_segment=segment,
                list_price_eur=price,
                grape_varieties=grapes,
                vintage=vintage,
                region=region,
                bottles_75cl_eq=pack,
                source="t",
                active=active,
            )
        )
        if stock is not None:
            self.records.append(
                StockLevel(
                    stock_key=f"{key}@chai",
                    product_key=key,
                    warehouse="Chai",
                    quantity_units=stock,
                    available_qty=stock,
                    source="t",
                )
            )
        return key

    def customer(self, key: str, *, opt_out: bool = False, email: str | None = None) -> str:
        self.records.append(
            Customer(
                customer_key=key,
                last_name=key.upper(),
                email=email or f"{key}@exemple.fr",
                email_opt_out=opt_out,
                source="t",
            )
        )
        return key

    def sale(self, customer: str, product: str, days_ago: int = 30, total: float = 20.0) -> str:
        self._line += 1
        key = f"t-{self._line}"
        self.records.append(
            SalesLine(
                sale_line_key=key,
                order_ref=f"O{self._line}",
                customer_key=customer,
                product_key=product,
                date_sale=(AS_OF - timedelta(days=days_ago)).isoformat(),
                quantity_units=1.0,
                quantity_bottles_75cl_eq=1.0,
                price_total_eur=total,
                source="t",
            )
        )
        return key

    def load(self) -> None:
        etl_repo(self.store).load_batch("t", Batch(records=self.records))
        self.records = []
        compute_rfm(self.store, as_of=AS_OF)


def recos(store: Store, customer: str) -> list[StoredReco]:
    return reco_repo(store).results_for(customer)


def keys(store: Store, customer: str) -> list[str]:
    return [r.product_key for r in recos(store, customer)]


@pytest.fixture
def world(store: Store) -> World:
    return World(store)


# -- rules -------------------------------------------------------------------------------------


def test_category_affinity(world: World, store: Store) -> None:
    bought = world.product("red-1", category="ROUGE", region="Loire — Chinon")
    world.product("red-2", category="ROUGE", region="Alsace — Alsace", grapes="Syrah")
    world.product("white", category="BLANC", region="Alsace — Alsace", grapes="Syrah")
    world.customer("c")
    world.sale("c", bought)
    world.load()
    recompute(store, only("category"), as_of=AS_OF)
    got = recos(store, "c")
    assert [r.product_key for r in got] == ["red-2"]  # the white scores 0 under this rule alone
    assert got[0].rule == "category"
    assert got[0].reasons[0]["params"] == {"category": "ROUGE", "share": 100}
    assert reason_text(got[0].reasons[0]) == "Red wines: 100% of your purchases"


def test_region_affinity_uses_the_region_without_the_appellation(world: World, store: Store) -> None:
    bought = world.product("a", region="Bourgogne — Meursault", category="BLANC")
    world.product("same-region", region="Bourgogne — Pommard", category="ROUGE", grapes="Gamay")
    world.product("elsewhere", region="Loire — Chinon", category="ROUGE", grapes="Gamay")
    world.customer("c")
    world.sale("c", bought)
    world.load()
    recompute(store, only("region"), as_of=AS_OF)
    got = recos(store, "c")
    assert [r.product_key for r in got] == ["same-region"]
    assert got[0].reasons[0]["params"] == {"region": "Bourgogne", "count": 1}
    assert main_region("Bourgogne — Meursault") == "Bourgogne"


def test_grape_affinity(world: World, store: Store) -> None:
    bought = world.product("a", grapes="Syrah, Viognier", region="Rhône — Côte-Rôtie")
    world.product("syrah", grapes="Grenache, Syrah", region="Languedoc — Faugères")
    world.product("merlot", grapes="Merlot", region="Languedoc — Faugères")
    world.customer("c")
    world.sale("c", bought)
    world.load()
    recompute(store, only("grape"), as_of=AS_OF)
    got = recos(store, "c")
    assert [r.product_key for r in got] == ["syrah"]
    assert got[0].reasons[0]["params"] == {"grape": "Syrah"}


def test_item_to_item_copurchase(world: World, store: Store) -> None:
    a = world.product("a", "Chablis 2020", category="BLANC")
    b = world.product("b", "Morgon 2021", region="Beaujolais — Morgon", grapes="Gamay")
    world.product("lonely", "Cahors 2019", region="Sud-Ouest — Cahors", grapes="Malbec")
    for n in range(3):
        world.customer(f"o{n}")
        world.sale(f"o{n}", a)
        world.sale(f"o{n}", b)
    world.customer("c")
    world.sale("c", a)
    world.load()
    recompute(store, only("copurchase"), as_of=AS_OF)
    got = recos(store, "c")
    assert [r.product_key for r in got] == ["b"]
    assert got[0].rule == "copurchase"
    assert got[0].reasons[0]["params"]["product"] == "Chablis 2020"
    assert "Chablis 2020" in reason_text(got[0].reasons[0])


def test_a_single_shared_customer_is_not_a_copurchase_pattern(world: World, store: Store) -> None:
    a = world.product("a")
    b = world.product("b", region="Loire — Chinon")
    world.customer("o")
    world.sale("o", a)
    world.sale("o", b)
    world.customer("c")
    world.sale("c", a)
    world.load()
    recompute(store, only("copurchase"), as_of=AS_OF)
    assert keys(store, "c") == []


def test_price_segment_and_order_value_fit(world: World, store: Store) -> None:
    bought = world.product("a", segment="STANDARD", price=20.0)
    world.product("fits", segment="STANDARD", price=22.0, region="Loire — Chinon")
    world.product("luxury", segment="LUXURY", price=150.0, region="Loire — Chinon")
    world.product("case", segment="STANDARD", price=130.0, pack=6.0, region="Loire — Chinon")
    world.customer("c")
    world.sale("c", bought, total=20.0)
    world.load()
    recompute(store, only("price"), as_of=AS_OF)
    got = keys(store, "c")
    assert got[0] == "fits"
    assert got.index("case") > 0 and got.index("luxury") > got.index("case")
    assert recos(store, "c")[0].reasons[0]["params"] == {"segment": "STANDARD", "price": 20}


def test_newer_vintage_of_a_wine_bought(world: World, store: Store) -> None:
    old = world.product("chinon-19", "Chinon « Les Puys » 2019", vintage=2019, region="Loire — Chinon")
    world.product("chinon-22", "Chinon « Les Puys » 2022", vintage=2022, region="Loire — Chinon")
    world.product("chinon-18", "Chinon « Les Puys » 2018", vintage=2018, region="Loire — Chinon")
    world.product("other-22", "Bourgueil 2022", vintage=2022, region="Loire — Bourgueil")
    world.customer("c")
    world.sale("c", old)
    world.load()
    recompute(store, only("vintage"), as_of=AS_OF)
    got = recos(store, "c")
    assert [r.product_key for r in got] == ["chinon-22"]
    assert got[0].reasons[0]["params"]["old"] == 2019 and got[0].reasons[0]["params"]["vintage"] == 2022
    assert cuvee_of("Chinon « Les Puys » 2019 — Magnum 150 cl", "ROUGE") == cuvee_of(
        "Chinon « Les Puys » 2022", "ROUGE"
    )


def test_popularity_in_segment_for_thin_histories(world: World, store: Store) -> None:
    popular = world.product("popular", region="Rhône — Tavel", category="ROSÉ", grapes="Grenache")
    world.product("niche", region="Jura — Arbois", category="BLANC", grapes="Savagnin")
    first = world.product("first", region="Alsace — Alsace", category="BLANC", grapes="Riesling")
    for n in range(4):
        world.customer(f"o{n}")
        world.sale(f"o{n}", popular, days_ago=30)
    world.customer("thin")
    world.sale("thin", first, days_ago=30)
    world.customer("prospect")
    world.load()
    recompute(store, only("popularity"), as_of=AS_OF)
    thin = recos(store, "thin")
    assert thin[0].product_key == "popular" and thin[0].rule == "popularity"
    assert thin[0].reasons[0]["params"] == {"segment": "STANDARD"}
    # No purchase at all: the PROSPECT segment has no popularity of its own, the global one is used.
    prospect = recos(store, "prospect")
    assert prospect[0].product_key == "popular"
    assert reason_text(prospect[0].reasons[0]) == "Among our most bought wines"


def test_popularity_weighs_less_once_the_history_is_real(world: World, store: Store) -> None:
    popular = world.product("popular", region="Rhône — Tavel")
    mine = [world.product(f"m{k}", region="Jura — Arbois") for k in range(3)]
    for n in range(4):
        world.customer(f"o{n}")
        world.sale(f"o{n}", popular, days_ago=30)
    world.customer("thin")
    world.sale("thin", mine[0], days_ago=30)
    world.customer("rich")
    for m in mine:
        world.sale("rich", m, days_ago=30)
    world.load()
    recompute(store, only("popularity"), as_of=AS_OF)
    thin = next(r for r in recos(store, "thin") if r.product_key == "popular")
    rich = next(r for r in recos(store, "rich") if r.product_key == "popular")
    assert rich.score == pytest.approx(thin.score * RecoConfig().popularity_tail)


def test_default_weights_combine_rules_and_give_reasons_in_both_languages(world: World, store: Store) -> None:
    bought = world.product("a", category="BLANC", region="Loire — Sancerre", grapes="Sauvignon Blanc")
    world.product("loire-white", category="BLANC", region="Loire — Pouilly", grapes="Sauvignon Blanc")
    world.product("red", category="ROUGE", region="Bordeaux — Pauillac", grapes="Merlot")
    world.customer("c")
    world.sale("c", bought)
    world.sale("c", bought, days_ago=400)
    world.load()
    recompute(store, as_of=AS_OF)
    got = recos(store, "c")
    assert got[0].product_key == "loire-white"
    assert {r["rule"] for r in got[0].reasons} >= {"category", "region"}
    assert all(0 < r["share"] <= 1 for r in got[0].reasons)
    set_language("fr")
    assert reason_text(got[0].reasons[0]).startswith(("Vins blancs", "Région", "Un vin"))


def test_one_format_per_wine_in_the_top(world: World, store: Store) -> None:
    bought = world.product("a", category="BLANC")
    world.product("x-75", "Sancerre 2022", category="BLANC", region="Loire — Sancerre")
    world.product("x-c6", "Sancerre 2022 - Carton de 6", category="BLANC", region="Loire — Sancerre", pack=6)
    world.customer("c")
    world.sale("c", bought)
    world.load()
    recompute(store, only("category"), as_of=AS_OF)
    assert len([k for k in keys(store, "c") if k.startswith("x-")]) == 1


# -- exclusions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("available", "threshold", "kept"), [(5, 6, False), (6, 6, True), (5, 3, True), (0, 0, True)]
)
def test_stock_threshold(world: World, store: Store, available: float, threshold: float, kept: bool) -> None:
    bought = world.product("a")
    world.product("x", stock=available, region="Loire — Chinon")
    world.customer("c")
    world.sale("c", bought)
    world.load()
    recompute(store, dataclasses.replace(only("category"), min_available=threshold), as_of=AS_OF)
    assert ("x" in keys(store, "c")) is kept


def test_stock_is_summed_over_warehouses_and_a_missing_row_counts_as_zero(world: World, store: Store) -> None:
    bought = world.product("a")
    world.product("split", stock=4, region="Loire — Chinon")
    world.records.append(
        StockLevel(stock_key="split@btq", product_key="split", warehouse="Btq", available_qty=4, source="t")
    )
    world.product("unknown", stock=None, region="Loire — Chinon")
    world.customer("c")
    world.sale("c", bought)
    world.load()
    recompute(store, only("category"), as_of=AS_OF)
    got = keys(store, "c")
    assert "split" in got and "unknown" not in got


def test_without_any_stock_data_stock_excludes_nothing(world: World, store: Store) -> None:
    bought = world.product("a", stock=None)
    world.product("x", stock=None, region="Loire — Chinon")
    world.customer("c")
    world.sale("c", bought, days_ago=400)
    world.load()
    recompute(store, only("category"), as_of=AS_OF)
    assert set(keys(store, "c")) == {"a", "x"}


def test_inactive_products_and_excluded_categories(world: World, store: Store) -> None:
    bought = world.product("a")
    world.product("archived", active=False, region="Loire — Chinon")
    world.product("corkscrew", category="AUTRE", region="", grapes="")
    world.customer("c")
    world.sale("c", bought)
    world.sale("c", world.product("other", category="AUTRE", region="", grapes=""))
    world.load()
    recompute(store, only("category"), as_of=AS_OF)
    assert keys(store, "c") == []


@pytest.mark.parametrize(
    ("days_ago", "window", "kept"), [(30, 90, False), (89, 90, False), (120, 90, True), (30, 20, True)]
)
def test_repurchase_window(world: World, store: Store, days_ago: int, window: int, kept: bool) -> None:
    bought = world.product("a", "Sancerre 2022")
    world.product("a-c6", "Sancerre 2022 - Carton de 6", pack=6)
    world.customer("c")
    world.sale("c", bought, days_ago=days_ago)
    world.load()
    recompute(store, dataclasses.replace(only("category"), repurchase_days=window), as_of=AS_OF)
    got = keys(store, "c")
    # The same wine in another format is the same purchase: blocked or allowed together.
    assert (bool({"a", "a-c6"} & set(got))) is kept


def test_customers_who_opted_out_of_email_get_nothing(world: World, store: Store) -> None:
    bought = world.product("a")
    world.product("x", region="Loire — Chinon")
    world.customer("out", opt_out=True)
    world.sale("out", bought)
    world.customer("in")
    world.sale("in", bought)
    world.load()
    recompute(store, only("category"), as_of=AS_OF)
    assert keys(store, "out") == [] and keys(store, "in") == ["x"]
    covered, eligible, total = reco_repo(store).coverage()
    assert (covered, eligible, total) == (1, 1, 2)


# -- configuration -----------------------------------------------------------------------------


def test_config_from_env() -> None:
    cfg = RecoConfig.from_env(
        {
            "RECO_TOP_N": "8",
            "RECO_MIN_AVAILABLE": "12",
            "RECO_REPURCHASE_DAYS": "60",
            "RECO_WEIGHTS": "category=2, copurchase=0.5",
            "RECO_EXCLUDED_CATEGORIES": "autre, fortifié",
            "RECO_PRODUCT_URL": "https://shop.exemple.fr/{slug}",
        }
    )
    assert (cfg.top_n, cfg.min_available, cfg.repurchase_days) == (8, 12.0, 60)
    assert cfg.weights.category == 2.0 and cfg.weights.copurchase == 0.5 and cfg.weights.region == 1.0
    assert cfg.excluded_categories == ("AUTRE", "FORTIFIÉ")
    assert cfg.fingerprint() != RecoConfig().fingerprint()
    assert RecoConfig(product_url="x").fingerprint() == RecoConfig().fingerprint()


@pytest.mark.parametrize(
    "env",
    [
        {"RECO_TOP_N": "0"},
        {"RECO_MIN_AVAILABLE": "many"},
        {"RECO_WEIGHTS": "colour=1"},
        {"RECO_WEIGHTS": "region=-1"},
    ],
)
def test_bad_config_names_the_variable(env: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="RECO_"):
        RecoConfig.from_env(env)
