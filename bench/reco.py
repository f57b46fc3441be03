"""Recommendation benchmark: quality against two baselines, then time and memory at scale.

Usage::

    .venv/bin/python bench/reco.py                       # quality + 100,000 customers x 2,000 products
    .venv/bin/python bench/reco.py --customers 20000     # a smaller scale run
    .venv/bin/python bench/reco.py --skip-scale          # quality only (a few seconds)

**Quality.** The sandbox's two sources (iSaVigne exports and the Odoo simulator, seeded with
customers who have planted tastes: a category, a region and a price band) are loaded through the
real ETL (``SourceManager``) into a fresh store. For every customer with at least two orders, the
last order (every line of the customer's latest sale day) is held out; the engine recommends from
the rest of that customer's history, with the shared statistics (popularity, co-purchases) built
from every customer's history minus their held-out order, "today" set to the held-out day and the
customer's RFM segment recomputed without it. Two baselines are computed in the same run, from the
same training data and with the same exclusions (stock, inactive, repurchase window): global
popularity (most customers) and popularity within the customer's RFM segment.

Printed per method: **hit rate@5** (share of customers with at least one held-out product in their
top 5), **recall@10** (share of held-out products found in the top 10, averaged over customers) and
**taste@5** (share of top-5 products matching the customer's planted category, region and price
band).

**Scale.** A synthetic catalogue (``--products``, 2,000: cuvées in several vintages and formats,
seven categories, twelve regions, stock with some products below the threshold, a few inactive)
and ``--customers`` (100,000) customers with tastes and about six purchase lines each are written
into a fresh store through ``EtlRepo.load_batch``; RFM segments are computed. Then a full
recompute (read, model, scoring, writing the top 5 of every customer) is timed, run again under
``tracemalloc`` for its peak memory, and an incremental run after changing 1 % of the customers'
histories is timed.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import random
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from crmtui.config import Settings  # noqa: E402
from crmtui.engine.etl import RfmThresholds, SourceManager, compute_rfm, rfm_segment  # noqa: E402
from crmtui.engine.reco import recompute  # noqa: E402
from crmtui.engine.reco_model import (  # noqa: E402
    CHUNK,
    CustomerInfo,
    ProductInfo,
    RecoConfig,
    build_model,
    load_inputs,
    main_region,
)
from crmtui.engine.reco_scoring import recommend  # noqa: E402
from crmtui.records.canonical import Batch, Customer, Product, SalesLine, StockLevel  # noqa: E402
from crmtui.secrets import Secret  # noqa: E402
from crmtui.store import Store  # noqa: E402
from crmtui.store.etl import etl_repo  # noqa: E402
from crmtui.store.reco import reco_repo  # noqa: E402

TODAY = date(2025, 6, 1)


# -- quality ---------------------------------------------------------------------------------------

_COLOURS = {
    "rouge": "ROUGE",
    "blanc": "BLANC",
    "rosé": "ROSÉ",
    "effervescent": "MOUSSEUX",
    "mutés": "FORTIFIÉ",
}


def _category_of_taste(text: str) -> str:
    low = text.lower()
    return next((code for word, code in _COLOURS.items() if word in low), text.upper())


async def load_sandbox(
    folder: Path, isavigne_customers: int, odoo_partners: int, seed: int
) -> tuple[Store, dict[str, dict[str, str]]]:
    """Both sandbox sources through the ETL into a fresh store; the planted tastes by customer key."""
    from crmtui.sandbox.isavigne_data import write_exports
    from crmtui.sandbox.odoo import DEFAULT_DB, DEFAULT_KEY, DEFAULT_LOGIN, ManualClock, OdooSim
    from crmtui.sandbox.odoo_data import load_sample

    exports = write_exports(folder / "exports", customers=isavigne_customers, seed=seed, export_date=TODAY)
    sim = OdooSim(clock=ManualClock(datetime(TODAY.year, TODAY.month, TODAY.day, tzinfo=UTC)))
    summary = load_sample(sim, partners=odoo_partners, seed=seed)
    settings = Settings(
        isavigne_export_path=exports["clients"].parent,
        odoo_url="http://odoo.bench",
        odoo_db=DEFAULT_DB,
        odoo_user=DEFAULT_LOGIN,
        odoo_api_key=Secret(DEFAULT_KEY),
        db_path=folder / "quality.db",
        data_dir=folder,
    )
    store = Store(settings.db_path)
    transport = httpx.ASGITransport(app=sim.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://odoo.bench", timeout=60) as http:
        results = await SourceManager(settings, store, http=http).run_all()
    for r in results:
        print(f"  {r.detail}")
    compute_rfm(store, as_of=TODAY)
    tastes: dict[str, dict[str, str]] = {}
    for code, taste in exports["tastes"].items():
        tastes[f"isavigne-{code}"] = {
            "category": _category_of_taste(taste["colour"]),
            "region": taste["region"],
            "price_band": taste["price_band"],
        }
    for pid, taste in summary["tastes"].items():
        tastes[f"odoo-{pid}"] = {
            "category": _category_of_taste(taste["category"]),
            "region": taste["region"],
            "price_band": taste["price_band"],
        }
    return store, tastes


@dataclasses.dataclass
class Scores:
    """Sums over evaluated customers."""

    customers: int = 0
    hits5: int = 0
    recall10: float = 0.0
    taste5: float = 0.0
    shown5: int = 0

    def row(self, name: str) -> str:
        n = max(self.customers, 1)
        taste = self.taste5 / max(self.shown5, 1)
        return f"| {name:<32} | {self.hits5 / n:>11.1%} | {self.recall10 / n:>9.1%} | {taste:>7.1%} |"


def _popular(counts: dict[int, int], products: list[ProductInfo]) -> list[int]:
    return sorted((i for i, c in counts.items() if c and products[i].eligible), key=lambda i: (-counts[i], i))


def evaluate(store: Store, config: RecoConfig, tastes: dict[str, dict[str, str]]) -> dict[str, Scores]:
    """Leave-last-order-out evaluation of the engine and both baselines."""
    inputs = load_inputs(reco_repo(store), config)
    products = inputs.products
    thresholds = RfmThresholds()
    training: list[CustomerInfo] = []
    held: dict[str, tuple[CustomerInfo, set[str], int]] = {}
    for c in inputs.customers:
        days = sorted({d for _i, d, _t in c.lines})
        if len(days) < 2:
            training.append(c)
            continue
        last = days[-1]
        history = [line for line in c.lines if line[1] < last]
        orders = len({d for _i, d, _t in history})
        spent = sum(t for _i, _d, t in history)
        segment = rfm_segment(
            orders,
            spent,
            date.fromordinal(max(d for _i, d, _t in history)),
            date.fromordinal(last),
            thresholds,
        )
        truncated = dataclasses.replace(c, lines=history, segment=segment)
        training.append(truncated)
        held[c.key] = (truncated, {products[i].key for i, d, _t in c.lines if d == last}, last)
    model = build_model(products, training, config)
    global_counts = dict(enumerate(model.popularity))
    by_segment: dict[str, dict[int, int]] = {}
    for c in training:
        seg = by_segment.setdefault(c.segment, {})
        for i in {i for i, _d, _t in c.lines}:
            seg[i] = seg.get(i, 0) + 1
    global_rank = _popular(global_counts, products)
    segment_rank = {seg: _popular(counts, products) for seg, counts in by_segment.items()}

    def baseline(ranking: list[int]) -> Callable[[CustomerInfo, int], list[str]]:
        def run(c: CustomerInfo, day: int) -> list[str]:
            blocked = {products[i].wine for i, d, _t in c.lines if d > day - config.repurchase_days}
            out: list[str] = []
            for i in ranking:
                if products[i].wine not in blocked:
                    out.append(products[i].key)
                    if len(out) == 10:
                        break
            return out

        return run

    def engine(c: CustomerInfo, day: int) -> list[str]:
        return [r.product_key for r in recommend(model, dataclasses.replace(c, opt_out=False), day, top_n=10)]

    def in_segment(c: CustomerInfo, day: int) -> list[str]:
        ranking = segment_rank.get(c.segment, [])
        picks = baseline(ranking)(c, day)
        if len(picks) < 10:  # a small segment: complete with the global ranking
            picks += [k for k in baseline(global_rank)(c, day) if k not in picks][: 10 - len(picks)]
        return picks

    methods: dict[str, Callable[[CustomerInfo, int], list[str]]] = {
        "crmtui engine": engine,
        "baseline: global popularity": baseline(global_rank),
        "baseline: popularity in segment": in_segment,
    }
    by_key = {p.key: p for p in products}
    scores = {name: Scores() for name in methods}
    for key, (customer, truth, day) in held.items():
        taste = tastes.get(key)
        for name, method in methods.items():
            picks = method(customer, day)
            s = scores[name]
            s.customers += 1
            s.hits5 += bool(truth & set(picks[:5]))
            s.recall10 += len(truth & set(picks[:10])) / len(truth)
            if taste:
                for k in picks[:5]:
                    p = by_key[k]
                    s.shown5 += 1
                    s.taste5 += (
                        p.category == taste["category"]
                        and main_region(p.region) == taste["region"]
                        and p.segment == taste["price_band"]
                    )
    return scores


def quality(args: argparse.Namespace, folder: Path) -> None:
    """Load the sandbox, evaluate, print the table."""
    started = time.perf_counter()
    print(
        f"quality: sandbox with {args.isavigne_customers:,} iSaVigne customers and "
        f"{args.odoo_partners:,} Odoo partners (seed {args.seed})"
    )
    store, tastes = asyncio.run(load_sandbox(folder, args.isavigne_customers, args.odoo_partners, args.seed))
    counts = etl_repo(store).counts()
    print(
        f"  {counts['customers']:,} customers, {counts['product_catalog']:,} products, "
        f"{counts['sales_lines']:,} sales lines; loaded in {time.perf_counter() - started:.1f} s"
    )
    scores = evaluate(store, RecoConfig(), tastes)
    n = next(iter(scores.values())).customers
    print(f"\n{n:,} customers with at least two orders, last order held out:\n")
    print(f"| {'method':<32} | hit rate@5 | recall@10 | taste@5 |")
    print(f"|{'-' * 34}|{'-' * 12}|{'-' * 11}|{'-' * 9}|")
    for name, s in scores.items():
        print(s.row(name))
    engine, *baselines = scores.values()
    best = max(b.hits5 for b in baselines) or 1
    print(f"\nhit rate@5: engine / best baseline = {engine.hits5 / best:.2f}x")
    store.close()


# -- scale -------------------------------------------------------------------------------------------

_REGIONS = [
    "Bourgogne", "Bordeaux", "Loire", "Rhône", "Champagne", "Alsace", "Languedoc", "Provence",
    "Beaujolais", "Jura", "Sud-Ouest", "Corse",
]  # fmt: skip
_CATEGORIES = [
    ("ROUGE", 45),
    ("BLANC", 28),
    ("ROSÉ", 10),
    ("MOUSSEUX", 10),
    ("FORTIFIÉ", 5),
    ("PÉTILLANT", 2),
]
_GRAPES = [
    "Pinot Noir", "Chardonnay", "Merlot", "Cabernet Sauvignon", "Cabernet Franc", "Syrah", "Grenache",
    "Mourvèdre", "Sauvignon Blanc", "Chenin Blanc", "Riesling", "Gamay", "Sémillon", "Viognier",
    "Cinsault", "Carignan", "Malbec", "Savagnin", "Meunier", "Muscat",
]  # fmt: skip
_BANDS = [("ENTRY", 6, 15), ("STANDARD", 15, 30), ("PREMIUM", 30, 75), ("LUXURY", 75, 300)]
_FORMATS = [("75", 1.0, ""), ("C6", 6.0, " - Carton de 6"), ("MG", 2.0, " - Magnum")]


def synthetic(store: Store, customers: int, products: int, seed: int) -> None:
    """Write a synthetic catalogue, stock, customers and sales into ``store``."""
    rng = random.Random(seed)
    repo = etl_repo(store)
    catalogue: list[Product] = []
    stock: list[StockLevel] = []
    names = [c for c, _w in _CATEGORIES]
    weights = [w for _c, w in _CATEGORIES]
    k = 0
    while len(catalogue) < products:
        k += 1
        category = rng.choices(names, weights)[0]
        region = rng.choice(_REGIONS)
        band, low, high = rng.choice(_BANDS)
        price = round(rng.uniform(low, high), 2)
        grapes = ", ".join(rng.sample(_GRAPES, rng.choice([1, 1, 2, 3])))
        for vintage in rng.sample(range(2015, 2025), rng.choice([1, 2, 2, 3])):
            for code, pack, suffix in _FORMATS[: rng.choice([1, 2, 2, 3])]:
                if len(catalogue) >= products:
                    break
                key = f"bench-{k}-{vintage}-{code}"
                catalogue.append(
                    Product(
                        product_key=key,
                        name=f"Cuvée {k} {region} {vintage}{suffix}",
                        category=category,
                        price_segment=band,
                        list_price_eur=round(price * pack * (0.95 if pack > 1 else 1.0), 2),
                        grape_varieties=grapes,
                        vintage=vintage,
                        region=f"{region} — AOC {k % 40}",
                        bottles_75cl_eq=pack,
                        source="bench",
                        active=rng.random() > 0.03,
                    )
                )
                available = 0.0 if rng.random() < 0.08 else float(rng.randrange(6, 900))
                stock.append(
                    StockLevel(
                        stock_key=f"{key}@chai",
                        product_key=key,
                        warehouse="Chai",
                        quantity_units=available,
                        available_qty=available,
                        source="bench",
                    )
                )
    repo.load_batch("bench", Batch(records=[*catalogue, *stock]))
    by_taste: dict[tuple[str, str, str], list[int]] = {}
    by_category: dict[str, list[int]] = {}
    for i, p in enumerate(catalogue):
        by_taste.setdefault((p.category, main_region(p.region), str(p.price_segment)), []).append(i)
        by_category.setdefault(p.category, []).append(i)
    tastes = list(by_taste)
    start = TODAY - timedelta(days=3 * 365)
    people: list[Customer] = []
    lines: list[SalesLine] = []
    order = 0
    for n in range(customers):
        key = f"bench-c{n:06d}"
        people.append(
            Customer(
                customer_key=key,
                last_name=f"Client {n}",
                email=f"client{n}@exemple.fr",
                email_opt_out=rng.random() < 0.05,
                source="bench",
            )
        )
        taste = rng.choice(tastes)
        pool = by_taste[taste]
        near = by_category[taste[0]]
        for _ in range(min(12, int(rng.expovariate(1 / 2.2)) + 1)):
            order += 1
            day = start + timedelta(days=rng.randrange(3 * 365))
            for line in range(rng.choice([1, 1, 2, 3])):
                roll = rng.random()
                i = rng.choice(pool if roll < 0.6 else near if roll < 0.85 else range(len(catalogue)))
                p = catalogue[i]
                qty = float(rng.choice([1, 1, 2, 3, 6]))
                lines.append(
                    SalesLine(
                        sale_line_key=f"bench-{order}-{line}",
                        order_ref=f"B{order}",
                        customer_key=key,
                        product_key=p.product_key,
                        date_sale=day.isoformat(),
                        quantity_units=qty,
                        quantity_bottles_75cl_eq=qty * p.bottles_75cl_eq,
                        price_unit_eur=p.list_price_eur,
                        price_total_eur=round(qty * (p.list_price_eur or 0), 2),
                        source="bench",
                    )
                )
        if len(lines) >= 50_000:
            repo.load_batch("bench", Batch(records=[*people, *lines]))
            people, lines = [], []
    repo.load_batch("bench", Batch(records=[*people, *lines]))
    compute_rfm(store, as_of=TODAY)


def change_some(store: Store, share: float, seed: int) -> int:
    """Add one sales line to a share of the customers (a new ETL run's worth of changes)."""
    rng = random.Random(seed + 1)
    repo = etl_repo(store)
    keys = [
        r["customer_key"] for r in store.query("SELECT customer_key FROM customers ORDER BY customer_key")
    ]
    products = [r["product_key"] for r in store.query("SELECT product_key FROM product_catalog")]
    chosen = rng.sample(keys, max(1, int(len(keys) * share)))
    lines = [
        SalesLine(
            sale_line_key=f"bench-new-{k}",
            order_ref=f"N{k}",
            customer_key=k,
            product_key=rng.choice(products),
            date_sale=(TODAY - timedelta(days=1)).isoformat(),
            quantity_units=1.0,
            quantity_bottles_75cl_eq=1.0,
            price_total_eur=20.0,
            source="bench",
        )
        for k in chosen
    ]
    repo.load_batch("bench", Batch(records=list(lines)))
    return len(chosen)


def scale(args: argparse.Namespace, folder: Path) -> None:
    """Generate, then time a full recompute, its traced peak, and an incremental run."""
    print(f"\nscale: {args.customers:,} customers x {args.products:,} products")
    store = Store(folder / "scale.db")
    started = time.perf_counter()
    synthetic(store, args.customers, args.products, args.seed)
    counts = etl_repo(store).counts()
    print(
        f"  generated {counts['customers']:,} customers, {counts['product_catalog']:,} products, "
        f"{counts['sales_lines']:,} sales lines in {time.perf_counter() - started:.1f} s"
    )
    config = RecoConfig()
    t0 = time.perf_counter()
    full = recompute(store, config, full=True, as_of=TODAY)
    full_s = time.perf_counter() - t0
    print(
        f"  full recompute: {len(full.recomputed):,} customers, {full.results:,} recommendations "
        f"in {full_s:.1f} s ({len(full.recomputed) / full_s:,.0f} customers/s)"
    )
    if not args.no_memory:
        # tracemalloc slows object-heavy Python code 10-20x, so the traced run covers reading the
        # tables, building the model and the first --traced-chunks chunks of scoring and writing.
        # Memory does not grow across chunks (each chunk's results are written, then dropped):
        # the traced size after each chunk is printed to show it.
        chunks: list[int] = []

        def watch(event: Any) -> None:
            chunks.append(tracemalloc.get_traced_memory()[0])

        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        t0 = time.perf_counter()
        recompute(
            store,
            config,
            full=True,
            as_of=TODAY,
            emit=watch,
            cancel=lambda: len(chunks) >= args.traced_chunks,
        )
        traced_s = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
        after = ", ".join(f"{(c - base) / 2**20:.0f}" for c in chunks)
        print(
            f"  peak memory (tracemalloc): {peak / 2**20:,.0f} MiB over read + model + {len(chunks)} chunks of "
            f"{CHUNK:,} customers ({traced_s:.0f} s traced); traced MiB after each chunk: {after}"
        )
    changed = change_some(store, 0.01, args.seed)
    t0 = time.perf_counter()
    inc = recompute(store, config, as_of=TODAY)
    inc_s = time.perf_counter() - t0
    print(
        f"  incremental after {changed:,} customers changed: {len(inc.recomputed):,} recomputed in {inc_s:.1f} s "
        f"({full_s / inc_s:.1f}x faster than full)"
    )
    store.close()


def main(argv: list[str] | None = None) -> None:
    """Run the quality comparison, then the scale measurement."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--isavigne-customers", type=int, default=1500, help="iSaVigne customers (quality)")
    parser.add_argument("--odoo-partners", type=int, default=1500, help="Odoo partners (quality)")
    parser.add_argument("--customers", type=int, default=100_000, help="synthetic customers (scale)")
    parser.add_argument("--products", type=int, default=2_000, help="synthetic products (scale)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--no-memory", action="store_true", help="skip the traced (slower) second run")
    parser.add_argument("--traced-chunks", type=int, default=3, help="scoring chunks run under tracemalloc")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="crmtui-bench-reco-") as tmp:
        if not args.skip_quality:
            quality(args, Path(tmp))
        if not args.skip_scale:
            scale(args, Path(tmp))


if __name__ == "__main__":
    main()
