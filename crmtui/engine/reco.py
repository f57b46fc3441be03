"""Product recommendations from the canonical tables: scores, reasons, feedback, incremental recompute.

For each customer the engine keeps the top N products (``RECO_TOP_N``, 5) with a score and the
reasons behind it, in ``reco_results``. The score of a product for a customer is a weighted sum of
seven rules, each a feature in [0, 1]:

==============  ==============================================================  ==================
rule            feature                                                         default weight
==============  ==============================================================  ==================
``category``    share of the customer's purchase lines in the product's category    1.0
``region``      share of lines from the product's region (``Bourgogne — …``)        1.0
``grape``       share of lines containing the product's best-liked grape            0.5
``copurchase``  item-to-item similarity with something the customer bought         1.0
                ("customers who bought X also bought Y": co-purchase counts,
                cosine-normalised and damped for small counts)
``price``       fit with the usual price segment (half), pack size (0.3) and        1.5
                typical order line value (0.2)
``vintage``     a newer vintage of a wine (same cuvée) the customer bought          1.0
``popularity``  popularity within the customer's RFM segment; full weight for      1.0
                thin histories (fewer than ``RECO_THIN_HISTORY`` products),
                ``RECO_POPULARITY_TAIL`` (0.25) of it otherwise
==============  ==============================================================  ==================

Weights are set with ``RECO_WEIGHTS=category=1,region=0.8,...`` (unnamed rules keep their
default). Each weight is further multiplied by the operator-feedback factor of its rule for the
customer's segment and the product's category (1.0 until someone marks a recommendation bad).

**Exclusions** (never recommended): products whose summed ``available_qty`` is below
``RECO_MIN_AVAILABLE`` (6; products without a stock row count as 0 as soon as any source reports
stock), inactive products, categories in ``RECO_EXCLUDED_CATEGORIES`` (``AUTRE``: accessories and
services), the same wine (any format of the same cuvée and vintage) bought within
``RECO_REPURCHASE_DAYS`` (90), and anything an operator marked bad for that customer. Customers who
opted out of email get no recommendation at all. Only one format of a wine and vintage is kept in
a customer's top N (the best scored).

**Reasons**: the rules that contribute at least 15 % of the score (up to three) are stored with
their parameters (``{"rule": "region", "share": 0.4, "params": {"region": "Loire", "count": 3}}``)
and rendered in the operator's language by :func:`reason_text`.

**Feedback**: :func:`mark_bad` removes the product for that customer for good, multiplies the
weight of the rule that produced it by ``RECO_FEEDBACK_DECAY`` (0.8, never below
``RECO_FEEDBACK_FLOOR`` 0.2) for the same customer segment and product category, writes both to
the store with an ``audit_log`` entry, and recomputes that customer at once.

**Incremental recompute** (:func:`recompute`): each customer's inputs are fingerprinted (its
``customers.row_hash`` and segment, the ``row_hash`` of each of its sales lines, its bad marks,
the feedback factors of its segment, and the set of wines currently inside its repurchase
window); each product's too (``row_hash`` and whether it is recommendable now). A run recomputes
only customers whose fingerprint changed, plus customers holding or related to (same cuvée) a
changed product. A change of weights or settings, or ``full=True``, recomputes everybody. The
shared statistics (popularity, co-purchases) are rebuilt from the tables on every run, so a
customer recomputed today sees today's statistics; the others keep results computed with the
statistics of their last recompute until their data changes or a full run.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import os
import re
import time
import unicodedata
from array import array
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import crmtui.i18n.reco  # noqa: F401 - registers the reco.* keys
from crmtui.config import Settings
from crmtui.engine.cycle import StepContext, StepResult, register_step
from crmtui.engine.events import EventSink, StepProgressed, ignore
from crmtui.formats import number
from crmtui.i18n import t
from crmtui.store import Store
from crmtui.store.reco import Conversion, RecoRepo, StoredReco, reco_repo

log = logging.getLogger("crmtui.engine.reco")

STEP = "reco"
RULES = ("category", "region", "grape", "copurchase", "price", "vintage", "popularity")
"""The scoring rules, in display order."""

POOL_SIZE = 15
"""Candidates taken from each attribute pool (most popular first); category × region pools take
twice as many."""
NEIGHBOURS = 12
"""Co-purchase neighbours kept per product."""
RECENT_SOURCES = 10
"""Most recent distinct products whose co-purchase neighbours become candidates."""
RECENT_ITEMS = 30
"""Most recent distinct products of a customer used for co-purchases (model and candidates)."""
REASON_SHARE = 0.15
"""A rule is given as a reason when it contributes at least this share of the score."""
CHUNK = 2000
"""Customers written per transaction."""


# -- configuration -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RecoWeights:
    """Weight of each rule in the score (``RECO_WEIGHTS``); see the module docstring."""

    category: float = 1.0
    """Affinity to the customer's categories."""
    region: float = 1.0
    """Affinity to the customer's regions."""
    grape: float = 0.5
    """Affinity to the customer's grapes."""
    copurchase: float = 1.0
    """Customers who bought X also bought Y."""
    price: float = 1.5
    """Fit with the usual price segment, pack size and order value."""
    vintage: float = 1.0
    """A newer vintage of a wine the customer bought."""
    popularity: float = 1.0
    """Popularity within the customer's RFM segment (full for thin histories)."""

    def get(self, rule: str) -> float:
        """The weight of ``rule``."""
        return float(getattr(self, rule))


@dataclass(frozen=True)
class RecoConfig:
    """Recommendation settings, from ``RECO_*`` variables (environment or ``.env``)."""

    top_n: int = 5
    """RECO_TOP_N: recommendations kept per customer."""
    min_available: float = 6.0
    """RECO_MIN_AVAILABLE: available units (all warehouses) below which a product is excluded."""
    repurchase_days: int = 90
    """RECO_REPURCHASE_DAYS: a wine bought within this many days is not recommended again."""
    conversion_days: int = 30
    """RECO_CONVERSION_DAYS: a purchase of the suggested product within this many days of a send
    counts as a conversion."""
    thin_history: int = 3
    """RECO_THIN_HISTORY: customers with fewer distinct products get full segment popularity."""
    popularity_tail: float = 0.25
    """RECO_POPULARITY_TAIL: share of the popularity weight for customers with a real history."""
    feedback_decay: float = 0.8
    """RECO_FEEDBACK_DECAY: a bad mark multiplies its rule's weight for similar cases by this."""
    feedback_floor: float = 0.2
    """RECO_FEEDBACK_FLOOR: feedback never lowers a rule's factor below this."""
    excluded_categories: tuple[str, ...] = ("AUTRE",)
    """RECO_EXCLUDED_CATEGORIES: comma-separated categories never recommended."""
    product_url: str = ""
    """RECO_PRODUCT_URL: link to a product page, with ``{product_key}`` and/or ``{slug}``
    (e.g. ``https://boutique.exemple.fr/vins/{slug}``); empty gives an empty link."""
    weights: RecoWeights = field(default_factory=RecoWeights)
    """RECO_WEIGHTS: ``rule=weight`` pairs, comma-separated."""

    def fingerprint(self) -> str:
        """A hash of everything that changes scores (not the URL or the conversion window)."""
        data = asdict(self)
        data.pop("product_url")
        data.pop("conversion_days")
        return hashlib.blake2b(repr(sorted(data.items())).encode(), digest_size=12).hexdigest()

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> RecoConfig:
        """Read the ``RECO_*`` variables; raise ValueError naming the first bad one."""
        cfg = cls()
        numeric: dict[str, tuple[str, type]] = {
            "RECO_TOP_N": ("top_n", int),
            "RECO_MIN_AVAILABLE": ("min_available", float),
            "RECO_REPURCHASE_DAYS": ("repurchase_days", int),
            "RECO_CONVERSION_DAYS": ("conversion_days", int),
            "RECO_THIN_HISTORY": ("thin_history", int),
            "RECO_POPULARITY_TAIL": ("popularity_tail", float),
            "RECO_FEEDBACK_DECAY": ("feedback_decay", float),
            "RECO_FEEDBACK_FLOOR": ("feedback_floor", float),
        }
        changes: dict[str, Any] = {}
        for var, (name, kind) in numeric.items():
            raw = environ.get(var, "").strip()
            if not raw:
                continue
            try:
                value = kind(raw)
            except ValueError:
                raise ValueError(t("reco.bad_config", name=var, value=raw)) from None
            if value < 0 or (name == "top_n" and value < 1):
                raise ValueError(t("reco.bad_config", name=var, value=raw))
            changes[name] = value
        if raw := environ.get("RECO_EXCLUDED_CATEGORIES", "").strip():
            changes["excluded_categories"] = tuple(c.strip().upper() for c in raw.split(",") if c.strip())
        if raw := environ.get("RECO_PRODUCT_URL", "").strip():
            changes["product_url"] = raw
        if raw := environ.get("RECO_WEIGHTS", "").strip():
            weights: dict[str, float] = {}
            known = {f.name for f in fields(RecoWeights)}
            for part in raw.split(","):
                name, _, value = part.partition("=")
                name = name.strip()
                try:
                    number = float(value)
                except ValueError:
                    raise ValueError(t("reco.bad_config", name="RECO_WEIGHTS", value=part.strip())) from None
                if name not in known or number < 0:
                    raise ValueError(t("reco.bad_config", name="RECO_WEIGHTS", value=part.strip()))
                weights[name] = number
            changes["weights"] = replace(cfg.weights, **weights)
        return replace(cfg, **changes)


def reco_config(settings: Settings, environ: Mapping[str, str] | None = None) -> RecoConfig:
    """The recommendation settings: the settings' ``.env`` file, overridden by the environment."""
    values: dict[str, str] = {}
    if settings.env_file is not None and Path(settings.env_file).is_file():
        from dotenv import dotenv_values

        values.update({k: v for k, v in dotenv_values(settings.env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)
    return RecoConfig.from_env(values)


# -- inputs ------------------------------------------------------------------------------------

_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_FORMAT_SUFFIX = re.compile(r"\s+[—–-]\s+.*$")
_SPACES = re.compile(r"\s+")


def cuvee_of(name: str | None, category: str) -> str:
    """The cuvée of a product: its name without vintage year and format (``— Magnum 150 cl``).

    ``Alsace Riesling 2023 - Caisse 12 bouteilles`` and ``Alsace Riesling 2024`` share a cuvée;
    the category keeps a red and a white of the same name apart.
    """
    text = unicodedata.normalize("NFC", name or "").lower()
    text = _FORMAT_SUFFIX.sub("", text)
    text = _YEAR.sub("", text)
    return f"{category}|{_SPACES.sub(' ', text).strip()}"


def main_region(region: str | None) -> str:
    """``Bourgogne — Meursault`` → ``Bourgogne`` (the region, without the appellation)."""
    if not region:
        return ""
    return re.split(r"\s+[—–-]\s+", region, maxsplit=1)[0].strip()


@dataclass(slots=True)
class ProductInfo:
    """A catalogue product as the scorer sees it."""

    key: str
    name: str
    category: str
    segment: str
    price75: float
    unit_price: float
    pack: float
    grapes: tuple[str, ...]
    region: str
    vintage: int | None
    cuvee: str
    eligible: bool
    fingerprint: str
    wine: tuple[str, int | None] = ("", None)
    """The wine regardless of format: (cuvée, vintage)."""

    def __post_init__(self) -> None:
        self.wine = (self.cuvee, self.vintage)


@dataclass(slots=True)
class CustomerInfo:
    """A customer's history as the scorer sees it: ``(product index, day ordinal, line total)``."""

    key: str
    segment: str
    opt_out: bool
    lines: list[tuple[int, int, float]]
    row_hash: str = ""
    lines_hash: str = ""


@dataclass
class RecoInputs:
    """Everything a recompute reads from the store."""

    products: list[ProductInfo]
    index: dict[str, int]
    customers: list[CustomerInfo]
    bad: dict[str, set[str]]
    adjustments: dict[tuple[str, str, str], float]


def _product_fingerprint(row_hash: str, eligible: bool) -> str:
    return f"{row_hash}:{int(eligible)}"


def load_inputs(repo: RecoRepo, config: RecoConfig) -> RecoInputs:
    """Read the catalogue (with stock), the customers and their sales lines (streamed)."""
    stock_known = repo.stock_known()
    excluded = set(config.excluded_categories)
    products: list[ProductInfo] = []
    index: dict[str, int] = {}
    for row in repo.products():
        category = str(row["category"] or "AUTRE")
        pack = float(row["bottles_75cl_eq"] or 1.0) or 1.0
        unit_price = float(row["list_price_eur"] or 0.0)
        eligible = (
            bool(row["active"])
            and category not in excluded
            and (not stock_known or float(row["available"] or 0) >= config.min_available)
        )
        grapes = tuple(g.strip() for g in str(row["grape_varieties"] or "").split(",") if g.strip())
        vintage = int(row["vintage"]) if row["vintage"] not in (None, "") else None
        index[row["product_key"]] = len(products)
        products.append(
            ProductInfo(
                key=row["product_key"],
                name=str(row["name"] or row["product_key"]),
                category=category,
                segment=str(row["price_segment"] or ""),
                price75=unit_price / pack if pack else unit_price,
                unit_price=unit_price,
                pack=pack,
                grapes=grapes,
                region=main_region(row["region"]),
                vintage=vintage,
                cuvee=cuvee_of(row["name"], category),
                eligible=eligible,
                fingerprint=_product_fingerprint(str(row["row_hash"]), eligible),
            )
        )
    histories: dict[str, tuple[list[tuple[int, int, float]], Any]] = {}
    days: dict[str, int] = {}
    current: str | None = None
    lines: list[tuple[int, int, float]] = []
    digest: Any = None
    for customer, product, when, _bottles, total, row_hash in repo.sales():
        if customer != current:
            if current is not None:
                histories[current] = (lines, digest)
            current, lines, digest = customer, [], hashlib.blake2b(digest_size=12)
        digest.update(row_hash.encode())
        idx = index.get(product)
        if idx is None:
            continue  # an orphan line (unknown product): reported by data quality, useless here
        day_text = when[:10]
        day = days.get(day_text)
        if day is None:
            try:
                day = days[day_text] = date.fromisoformat(day_text).toordinal()
            except ValueError:
                continue
        lines.append((idx, day, float(total or 0.0)))
    if current is not None:
        histories[current] = (lines, digest)
    customers: list[CustomerInfo] = []
    for key, segment, opt_out, _aov, row_hash in repo.customers():
        found = histories.get(key)
        customers.append(
            CustomerInfo(
                key=key,
                segment=segment or "",
                opt_out=bool(opt_out),
                lines=found[0] if found else [],
                row_hash=str(row_hash),
                lines_hash=found[1].hexdigest() if found else "",
            )
        )
    adjustments = {(a.rule, a.segment, a.category): a.factor for a in repo.adjustments()}
    return RecoInputs(products, index, customers, repo.bad_marks(), adjustments)


# -- the model -----------------------------------------------------------------------------------


@dataclass
class RecoModel:
    """Shared statistics built from every history: popularity, co-purchases, candidate pools."""

    products: list[ProductInfo]
    config: RecoConfig
    popularity: list[int]
    """Distinct customers per product."""
    segment_popularity: dict[str, dict[int, float]]
    """Per RFM segment: eligible product -> popularity in [0, 1] (top products only)."""
    global_popularity: dict[int, float]
    """Eligible product -> popularity in [0, 1] over all customers (top products only)."""
    neighbours: list[list[tuple[int, float]]]
    """Per product: (product, similarity in [0, 1]) of the most co-purchased products."""
    pools: dict[tuple[str, str], list[int]]
    """Eligible products per attribute (``("c", category)``, ``("r", region)``, ``("g", grape)``,
    ``("cr", category + region)``), most popular first."""
    cuvees: dict[str, list[int]]
    """Eligible products per cuvée."""
    rows: list[tuple[bool, str, tuple[str, int | None], str, str, str, float, float, tuple[str, ...]]] = (
        field(default_factory=list)
    )
    """Per product, what scoring reads: (eligible, key, wine, category, region, segment, pack, unit price,
    grapes) — one tuple unpack instead of nine attribute reads in the hot loop."""

    def __post_init__(self) -> None:
        self.rows = [
            (p.eligible, p.key, p.wine, p.category, p.region, p.segment, p.pack, p.unit_price, p.grapes)
            for p in self.products
        ]


def _recent_distinct(lines: list[tuple[int, int, float]], limit: int) -> list[int]:
    seen: dict[int, None] = {}
    for idx, _day, _total in reversed(lines):
        if idx not in seen:
            seen[idx] = None
            if len(seen) >= limit:
                break
    return list(seen)


def build_model(
    products: list[ProductInfo], customers: Iterable[CustomerInfo], config: RecoConfig
) -> RecoModel:
    """Popularity (global and per segment), co-purchase neighbours and candidate pools."""
    size = len(products)
    popularity = [0] * size
    per_segment: dict[str, list[int]] = {}
    dense = size <= 4000
    pairs_dense = array("I", bytes(4 * size * size)) if dense else array("I")
    pairs_sparse: dict[int, int] = {}
    for customer in customers:
        if not customer.lines:
            continue
        distinct = {idx for idx, _d, _t in customer.lines}
        seg = per_segment.get(customer.segment)
        if seg is None:
            seg = per_segment[customer.segment] = [0] * size
        for idx in distinct:
            popularity[idx] += 1
            seg[idx] += 1
        recent = (
            _recent_distinct(customer.lines, RECENT_ITEMS) if len(distinct) > RECENT_ITEMS else list(distinct)
        )
        if len(recent) < 2:
            continue
        for a_pos, a in enumerate(recent):
            base = a * size
            for b in recent[a_pos + 1 :]:
                if dense:
                    pairs_dense[base + b] += 1
                    pairs_dense[b * size + a] += 1
                else:
                    pairs_sparse[base + b] = pairs_sparse.get(base + b, 0) + 1
                    pairs_sparse[b * size + a] = pairs_sparse.get(b * size + a, 0) + 1
    neighbours: list[list[tuple[int, float]]] = [[] for _ in range(size)]
    rows: dict[int, list[tuple[int, int]]] = {}
    if dense:
        for a in range(size):
            if popularity[a] < 2:
                continue
            counts = pairs_dense[a * size : (a + 1) * size]
            rows[a] = [(b, c) for b, c in enumerate(counts) if c]
    else:
        for k, c in pairs_sparse.items():
            rows.setdefault(k // size, []).append((k % size, c))
    for a, pairs in rows.items():
        scored = []
        for b, c in pairs:
            if c < 2:
                continue  # one shared customer is noise, not a pattern
            # Cosine on customer sets, damped for small counts (c / (c + 3)).
            sim = c / math.sqrt(popularity[a] * popularity[b]) * (c / (c + 3.0))
            scored.append((sim, b))
        scored.sort(reverse=True)
        neighbours[a] = [(b, min(1.0, sim * 2.5)) for sim, b in scored[:NEIGHBOURS]]
    eligible = sorted((i for i in range(size) if products[i].eligible), key=lambda i: (-popularity[i], i))
    pools: dict[tuple[str, str], list[int]] = {}
    for i in eligible:
        p = products[i]
        keys = [("c", p.category), ("r", p.region), ("cr", f"{p.category}|{p.region}")]
        keys += [("g", g) for g in p.grapes]
        for key in keys:
            pool = pools.setdefault(key, [])
            if len(pool) < (2 * POOL_SIZE if key[0] == "cr" else POOL_SIZE):
                pool.append(i)
    cuvees: dict[str, list[int]] = {}
    for i in eligible:
        cuvees.setdefault(products[i].cuvee, []).append(i)

    def normalised(counts: list[int]) -> dict[int, float]:
        top = sorted((i for i in eligible if counts[i]), key=lambda i: (-counts[i], i))[:POOL_SIZE]
        best = counts[top[0]] if top else 1
        return {i: counts[i] / best for i in top}

    return RecoModel(
        products=products,
        config=config,
        popularity=popularity,
        segment_popularity={seg: normalised(counts) for seg, counts in per_segment.items()},
        global_popularity=normalised(popularity),
        neighbours=neighbours,
        pools=pools,
        cuvees=cuvees,
    )


# -- scoring -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recommendation:
    """One recommended product for one customer."""

    product_key: str
    score: float
    rule: str
    """The rule that contributed most."""
    reasons: list[dict[str, Any]]
    """``[{"rule", "share", "params"}]``, largest contribution first."""


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    if not n:
        return 0.0
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


@dataclass(slots=True)
class Profile:
    """What one customer's history says: counts per attribute, budget, candidates' signals."""

    n: int
    categories: dict[str, int]
    regions: dict[str, int]
    grapes: dict[str, int]
    bands: dict[str, int]
    packs: dict[float, int]
    last_day: dict[int, int]
    typical_line: float
    median_price: float
    co_best: dict[int, tuple[float, int]] = field(default_factory=dict)
    """Candidate -> (similarity, the bought product it comes from)."""
    vintage_of: dict[int, int] = field(default_factory=dict)
    """Newer-vintage candidate -> the bought product of the same cuvée."""


def profile_of(model: RecoModel, customer: CustomerInfo) -> Profile:
    """Count a customer's lines per category, region, grape, price band and pack size."""
    prods = model.products
    cat_c: dict[str, int] = {}
    reg_c: dict[str, int] = {}
    grape_c: dict[str, int] = {}
    band_c: dict[str, int] = {}
    pack_c: dict[float, int] = {}
    last_day: dict[int, int] = {}
    prices: list[float] = []
    line_total = 0.0
    for idx, day, total in customer.lines:
        p = prods[idx]
        cat_c[p.category] = cat_c.get(p.category, 0) + 1
        if p.region:
            reg_c[p.region] = reg_c.get(p.region, 0) + 1
        for g in p.grapes:
            grape_c[g] = grape_c.get(g, 0) + 1
        band_c[p.segment] = band_c.get(p.segment, 0) + 1
        pack_c[p.pack] = pack_c.get(p.pack, 0) + 1
        prices.append(p.price75)
        line_total += total
        if day > last_day.get(idx, -1):
            last_day[idx] = day
    n = len(customer.lines)
    return Profile(
        n, cat_c, reg_c, grape_c, band_c, pack_c, last_day, line_total / n if n else 0.0, _median(prices)
    )


def contributions(model: RecoModel, prof: Profile, j: int, popularity: float) -> dict[str, float]:
    """Each rule's weighted contribution to the score of product ``j`` (before feedback factors).

    Args:
        model: the shared statistics.
        prof: the customer's profile (with its co-purchase and vintage signals).
        j: the product index.
        popularity: the popularity weight times the product's popularity in the segment.
    """
    w = model.config.weights
    p = model.products[j]
    n = prof.n
    parts = dict.fromkeys(RULES, 0.0)
    if n:
        parts["category"] = w.category * prof.categories.get(p.category, 0) / n
        if p.region:
            parts["region"] = w.region * prof.regions.get(p.region, 0) / n
        if p.grapes:
            parts["grape"] = w.grape * max(prof.grapes.get(g, 0) for g in p.grapes) / n
        best = prof.co_best.get(j)
        if best is not None:
            parts["copurchase"] = w.copurchase * best[0]
        aov_fit = min(1.0, prof.typical_line / p.unit_price) if p.unit_price > 0 else 1.0
        parts["price"] = w.price * (
            0.5 * prof.bands.get(p.segment, 0) / n + 0.3 * prof.packs.get(p.pack, 0) / n + 0.2 * aov_fit
        )
        if j in prof.vintage_of:
            parts["vintage"] = w.vintage
    parts["popularity"] = popularity
    return parts


def recommend(
    model: RecoModel,
    customer: CustomerInfo,
    as_of: int,
    *,
    bad: set[str] | frozenset[str] = frozenset(),
    adjustments: Mapping[tuple[str, str, str], float] | None = None,
    top_n: int | None = None,
) -> list[Recommendation]:
    """The top N products for one customer (pure: the model, the history, a day ordinal).

    Args:
        model: shared statistics from :func:`build_model`.
        customer: the customer and its history.
        as_of: "today" as a date ordinal (the repurchase window ends here).
        bad: product keys an operator marked bad for this customer.
        adjustments: feedback factors per (rule, segment, category).
        top_n: how many to return (default: the configuration's).
    """
    cfg = model.config
    if customer.opt_out:
        return []
    top_n = top_n or cfg.top_n
    prods = model.products
    w = cfg.weights
    prof = profile_of(model, customer)
    n = prof.n
    cutoff = as_of - cfg.repurchase_days
    blocked_wines = {prods[i].wine for i, d in prof.last_day.items() if d > cutoff}
    thin = len(prof.last_day) < cfg.thin_history
    in_segment = model.segment_popularity.get(customer.segment)
    seg_pop = in_segment or model.global_popularity
    pop_scope = customer.segment if in_segment else ""
    pop_weight = w.popularity * (1.0 if thin else cfg.popularity_tail)
    factors = {
        (rule, cat): f for (rule, seg, cat), f in (adjustments or {}).items() if seg == customer.segment
    }

    # Candidates: pools of what they like, co-purchase neighbours, newer vintages, popular products.
    candidates: dict[int, None] = dict.fromkeys(seg_pop)
    if n:
        pools = model.pools
        top_categories = sorted(prof.categories, key=lambda k: -prof.categories[k])[:2]
        top_regions = sorted(prof.regions, key=lambda k: -prof.regions[k])[:3]
        top_grapes = sorted(prof.grapes, key=lambda k: -prof.grapes[k])[:3]
        for c in top_categories:
            candidates.update(dict.fromkeys(pools.get(("c", c), ())))
            for r in top_regions:
                candidates.update(dict.fromkeys(pools.get(("cr", f"{c}|{r}"), ())))
        for r in top_regions:
            candidates.update(dict.fromkeys(pools.get(("r", r), ())))
        for g in top_grapes:
            candidates.update(dict.fromkeys(pools.get(("g", g), ())))
        co_best = prof.co_best
        for src in _recent_distinct(customer.lines, RECENT_SOURCES):
            for dst, sim in model.neighbours[src]:
                best = co_best.get(dst)
                if best is None or sim > best[0]:
                    co_best[dst] = (sim, src)
        candidates.update(dict.fromkeys(co_best))
        newest: dict[str, tuple[int, int]] = {}
        for i in prof.last_day:
            p = prods[i]
            if p.vintage is not None:
                current = newest.get(p.cuvee)
                if current is None or p.vintage > current[0]:
                    newest[p.cuvee] = (p.vintage, i)
        for cuvee, (vintage, src) in newest.items():
            for j in model.cuvees.get(cuvee, ()):
                v = prods[j].vintage
                if v is not None and v > vintage:
                    prof.vintage_of[j] = src
                    candidates[j] = None

    scored: list[tuple[float, str, int]] = []
    inv_n = 1.0 / n if n else 0.0
    # Per-attribute contributions for this customer, so each candidate costs a few lookups.
    a_cat = {k: w.category * v * inv_n for k, v in prof.categories.items()}
    a_reg = {k: w.region * v * inv_n for k, v in prof.regions.items()}
    a_grape = {k: w.grape * v * inv_n for k, v in prof.grapes.items()}
    a_band = {k: w.price * 0.5 * v * inv_n for k, v in prof.bands.items()}
    a_pack = {k: w.price * 0.3 * v * inv_n for k, v in prof.packs.items()}
    w_line = w.price * 0.2
    w_co, w_vintage = w.copurchase, w.vintage
    co_best, vintage_of, typical_line = prof.co_best, prof.vintage_of, prof.typical_line
    rows = model.rows
    for j in candidates:
        eligible, key, wine, category, region, segment, pack, unit_price, grapes = rows[j]
        if not eligible or wine in blocked_wines or key in bad:
            continue
        if factors:
            parts = contributions(model, prof, j, pop_weight * seg_pop.get(j, 0.0))
            score = sum(v * factors.get((rule, category), 1.0) for rule, v in parts.items())
        else:
            # The same sum as contributions(), inlined: this loop runs for every candidate.
            score = pop_weight * seg_pop.get(j, 0.0)
            if n:
                score += a_cat.get(category, 0.0) + a_reg.get(region, 0.0) + a_band.get(segment, 0.0)
                score += a_pack.get(pack, 0.0)
                if grapes:
                    best_grape = 0.0
                    for g in grapes:
                        value = a_grape.get(g, 0.0)
                        if value > best_grape:
                            best_grape = value
                    score += best_grape
                best = co_best.get(j)
                if best is not None:
                    score += w_co * best[0]
                if unit_price <= typical_line or unit_price <= 0:
                    score += w_line
                else:
                    score += w_line * typical_line / unit_price
                if j in vintage_of:
                    score += w_vintage
        if score > 0:
            scored.append((-score, key, j))
    scored.sort()
    out: list[Recommendation] = []
    kept_wines: set[tuple[str, int | None]] = set()
    for neg, _key, j in scored:
        p = prods[j]
        if p.wine in kept_wines:
            continue
        kept_wines.add(p.wine)
        parts = contributions(model, prof, j, pop_weight * seg_pop.get(j, 0.0))
        weighted = {rule: v * factors.get((rule, p.category), 1.0) for rule, v in parts.items()}
        total = sum(weighted.values()) or -neg
        ranked = sorted(((v, rule) for rule, v in weighted.items() if v > 0), reverse=True)
        reasons: list[dict[str, Any]] = []
        for value, rule in ranked[:3]:
            if reasons and value / total < REASON_SHARE:
                break
            reasons.append(
                {
                    "rule": rule,
                    "share": round(value / total, 2),
                    "params": _params(rule, model, prof, j, pop_scope),
                }
            )
        out.append(Recommendation(p.key, round(-neg, 6), ranked[0][1] if ranked else "popularity", reasons))
        if len(out) >= top_n:
            break
    return out


def _params(rule: str, model: RecoModel, prof: Profile, j: int, pop_scope: str) -> dict[str, Any]:
    """The values a reason's sentence needs."""
    p = model.products[j]
    if rule == "category":
        return {
            "category": p.category,
            "share": round(100 * prof.categories.get(p.category, 0) / max(prof.n, 1)),
        }
    if rule == "region":
        return {"region": p.region, "count": prof.regions.get(p.region, 0)}
    if rule == "grape":
        return {"grape": max(p.grapes, key=lambda g: prof.grapes.get(g, 0)) if p.grapes else ""}
    if rule == "copurchase":
        src = model.products[prof.co_best[j][1]]
        return {"product": src.name, "product_key": src.key}
    if rule == "price":
        return {"segment": p.segment, "price": round(prof.median_price)}
    if rule == "vintage":
        src = model.products[prof.vintage_of[j]]
        return {"product": src.name, "product_key": src.key, "old": src.vintage, "vintage": p.vintage}
    return {"segment": pop_scope}


def reason_text(reason: Mapping[str, Any]) -> str:
    """One stored reason as a sentence in the current language (product names left as they are)."""
    rule = str(reason.get("rule", ""))
    params = dict(reason.get("params") or {})
    try:
        if rule == "category":
            label = category_label(str(params.get("category", "")))
            return t("reco.reason.category", category=label, share=params.get("share", 0))
        if rule == "popularity" and not params.get("segment"):
            return t("reco.reason.popularity_all")
        key = f"reco.reason.{rule}"
        return t(key, **params)
    except (KeyError, IndexError, ValueError):
        return rule


def category_label(category: str) -> str:
    """``ROUGE`` → "Red wines" (the code itself when unknown)."""
    try:
        return t(f"reco.cat.{category}")
    except KeyError:
        return category


def rule_label(rule: str) -> str:
    """The operator's name of a rule."""
    try:
        return t(f"reco.rule.{rule}")
    except KeyError:
        return rule


def reasons_text(reasons: Iterable[Mapping[str, Any]]) -> str:
    """Every reason of a recommendation, joined with `` · ``."""
    return " · ".join(reason_text(r) for r in reasons)


# -- incremental recompute -----------------------------------------------------------------------


@dataclass
class RecomputeResult:
    """What a recompute did."""

    full: bool = False
    why: str = ""
    customers: int = 0
    """Customers known."""
    recomputed: set[str] = field(default_factory=set)
    """Customers whose results were recomputed."""
    changed_customers: int = 0
    """Customers whose own inputs changed."""
    changed_products: int = 0
    """Products whose row or recommendability changed."""
    removed: int = 0
    """Customers gone from the tables (their results deleted)."""
    results: int = 0
    """Recommendations written."""
    duration: float = 0.0
    interrupted: bool = False

    @property
    def detail(self) -> str:
        """One line for the operator."""
        return t(
            "reco.result",
            customers=len(self.recomputed),
            changed=self.changed_customers,
            products=self.changed_products,
            results=self.results,
            seconds=number(self.duration, digits=1),
        )


def customer_fingerprint(
    customer: CustomerInfo,
    products: list[ProductInfo],
    bad: Iterable[str],
    adjustments: Mapping[tuple[str, str, str], float],
    as_of: int,
    config: RecoConfig,
) -> str:
    """A hash of everything one customer's results depend on (besides shared statistics)."""
    cutoff = as_of - config.repurchase_days
    blocked = sorted({products[i].key for i, day, _ in customer.lines if day > cutoff})
    own_adjustments = sorted((k, v) for k, v in adjustments.items() if k[1] == customer.segment)
    digest = hashlib.blake2b(digest_size=12)
    digest.update(
        repr(
            (customer.row_hash, customer.segment, customer.lines_hash, sorted(bad), own_adjustments, blocked)
        ).encode()
    )
    return digest.hexdigest()


def today_ordinal() -> int:
    """Today (UTC) as a date ordinal."""
    return datetime.now(UTC).date().toordinal()


def recompute(
    store: Store,
    config: RecoConfig | None = None,
    *,
    full: bool = False,
    only: Iterable[str] | None = None,
    as_of: date | None = None,
    emit: EventSink = ignore,
    cancel: Callable[[], bool] = lambda: False,
    dry_run: bool = False,
) -> RecomputeResult:
    """Recompute the recommendations of customers whose inputs changed (or everybody).

    Args:
        store: the open store.
        config: the settings (defaults when None).
        full: recompute every customer.
        only: recompute exactly these customers (after a feedback mark).
        as_of: "today" (repurchase window); today's date when None.
        emit: progress events.
        cancel: returns True to stop between chunks (what was written stays consistent).
        dry_run: compute, write nothing.
    """
    config = config or RecoConfig()
    started = time.monotonic()
    repo = reco_repo(store)
    day = (as_of or datetime.now(UTC).date()).toordinal()
    inputs = load_inputs(repo, config)
    result = RecomputeResult(customers=len(inputs.customers))
    model_fp = config.fingerprint()
    stored_model = repo.meta("model_fingerprint")
    states = repo.customer_states()
    if only is None and not full:
        if stored_model is None or not states:
            full, result.why = True, t("reco.why.first")
        elif stored_model != model_fp:
            full, result.why = True, t("reco.why.config")
    elif full:
        result.why = t("reco.why.asked")
    result.full = full and only is None

    fingerprints = {
        c.key: customer_fingerprint(
            c, inputs.products, inputs.bad.get(c.key, ()), inputs.adjustments, day, config
        )
        for c in inputs.customers
    }
    product_fps = {p.key: p.fingerprint for p in inputs.products}
    stored_products = repo.product_states()
    changed_products = {k for k, fp in product_fps.items() if stored_products.get(k) != fp}
    changed_products |= set(stored_products) - set(product_fps)
    result.changed_products = len(changed_products) if not result.full else len(product_fps)
    removed = [k for k in states if k not in fingerprints]

    if only is not None:
        targets = set(only) & set(fingerprints)
    elif full:
        targets = set(fingerprints)
    else:
        changed = {k for k, fp in fingerprints.items() if states.get(k) != fp}
        result.changed_customers = len(changed)
        affected = repo.customers_holding(changed_products) if changed_products else set()
        if changed_products:
            related = {inputs.products[inputs.index[k]].cuvee for k in changed_products if k in inputs.index}
            if related:
                affected |= {
                    c.key
                    for c in inputs.customers
                    if any(inputs.products[i].cuvee in related for i, _d, _t in c.lines)
                }
        targets = changed | (affected & set(fingerprints))
    if result.full:
        result.changed_customers = len(targets)

    model = build_model(inputs.products, inputs.customers, config)
    ordered = [c for c in inputs.customers if c.key in targets]
    total = len(ordered)
    for start in range(0, total, CHUNK):
        if cancel():
            result.interrupted = True
            break
        chunk = ordered[start : start + CHUNK]
        batch: dict[str, list[tuple[str, float, str, list[dict[str, Any]]]]] = {}
        for customer in chunk:
            recos = recommend(
                model, customer, day, bad=inputs.bad.get(customer.key, set()), adjustments=inputs.adjustments
            )
            batch[customer.key] = [(r.product_key, r.score, r.rule, r.reasons) for r in recos]
        if not dry_run:
            result.results += repo.save(
                batch,
                {c.key: fingerprints[c.key] for c in chunk},
                removed=removed if start == 0 else (),
            )
        else:
            result.results += sum(len(v) for v in batch.values())
        result.recomputed.update(batch)
        done = min(start + CHUNK, total)
        emit(StepProgressed(STEP, done, total, t("reco.progress", done=done, total=total)))
    if not total and removed and not dry_run:
        repo.save({}, {}, removed=removed)
    result.removed = len(removed)
    if not dry_run and not result.interrupted and only is None:
        repo.save_product_states(product_fps, replace_all=True)
        result.duration = time.monotonic() - started
        repo.set_meta(
            {
                "model_fingerprint": model_fp,
                "last_run": {
                    "at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "full": result.full,
                    "recomputed": len(result.recomputed),
                    "changed_customers": result.changed_customers,
                    "changed_products": result.changed_products,
                    "results": result.results,
                    "duration": round(result.duration, 2),
                },
            }
        )
    result.duration = time.monotonic() - started
    log.info("%s", result.detail)
    return result


# -- feedback ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackOutcome:
    """What marking a recommendation bad did."""

    rule: str
    factor_before: float
    factor_after: float
    recommendations: list[StoredReco]
    """The customer's recommendations after the immediate recompute."""


def mark_bad(
    store: Store,
    customer_key: str,
    product_key: str,
    reason: str = "",
    *,
    actor: str = "operator",
    config: RecoConfig | None = None,
    as_of: date | None = None,
) -> FeedbackOutcome:
    """Mark a recommendation bad: excluded for this customer, its rule weighs less for similar cases.

    Similar cases are the same rule for customers of the same RFM segment and products of the
    same category. The feedback, the new factor and an ``audit_log`` entry are written in one
    transaction; the customer is then recomputed at once.

    Raises:
        KeyError: the customer has no such recommendation.
    """
    config = config or RecoConfig()
    repo = reco_repo(store)
    stored = next((r for r in repo.results_for(customer_key) if r.product_key == product_key), None)
    customer = repo.customer(customer_key)
    if stored is None or customer is None:
        raise KeyError(t("reco.unknown", product=product_key, customer=customer_key))
    before, after = repo.mark_bad(
        customer_key,
        product_key,
        rule=stored.rule,
        segment=str(customer.get("segment") or ""),
        category=stored.category,
        reason=reason.strip(),
        actor=actor,
        decay=config.feedback_decay,
        floor=config.feedback_floor,
    )
    recompute(store, config, only=[customer_key], as_of=as_of)
    return FeedbackOutcome(stored.rule, before, after, repo.results_for(customer_key))


# -- templates and conversions ----------------------------------------------------------------------


def _slug(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")


def find_customer(store: Store, email_or_customer_key: str) -> dict[str, Any] | None:
    """A customer by key, else by email (case-insensitive)."""
    repo = reco_repo(store)
    return repo.customer(email_or_customer_key) or (
        repo.customer_by_email(email_or_customer_key) if "@" in email_or_customer_key else None
    )


def top_recommendation(store: Store, email_or_customer_key: str) -> StoredReco | None:
    """The best stored recommendation still allowed now (opt-out and bad marks re-checked)."""
    customer = find_customer(store, email_or_customer_key)
    if customer is None or customer.get("email_opt_out"):
        return None
    repo = reco_repo(store)
    bad = repo.bad_marks().get(customer["customer_key"], set())
    return next((r for r in repo.results_for(customer["customer_key"]) if r.product_key not in bad), None)


def recommendation_variables(
    store: Store, email_or_customer_key: str, config: RecoConfig | None = None
) -> dict[str, str]:
    """Template variables for a contact: ``recommended_product``, ``recommended_product_url``,
    ``recommendation_reason`` (all empty strings when there is no recommendation).

    Also returns ``recommended_product_key`` (what :func:`record_suggestion` needs after the send).
    """
    config = config or RecoConfig()
    best = top_recommendation(store, email_or_customer_key)
    if best is None:
        return {
            "recommended_product": "",
            "recommended_product_url": "",
            "recommendation_reason": "",
            "recommended_product_key": "",
        }
    url = ""
    if config.product_url:
        url = config.product_url.replace("{product_key}", best.product_key).replace(
            "{slug}", _slug(best.product_name)
        )
    reason = reason_text(best.reasons[0]) if best.reasons else ""
    return {
        "recommended_product": best.product_name,
        "recommended_product_url": url,
        "recommendation_reason": reason,
        "recommended_product_key": best.product_key,
    }


def record_suggestion(
    store: Store,
    contact_key: str,
    product_key: str,
    *,
    customer_key: str | None = None,
    scenario: str = "",
    variant: str = "",
    sent_at: str | None = None,
) -> None:
    """Record that the send ``contact_key`` (its ``contact_history`` row) suggested ``product_key``.

    Sets ``contact_history.product_key_suggested`` and keeps the scenario and variant for
    :func:`conversions`. Call it in (or right after) the transaction that records the send.
    """
    reco_repo(store).record_suggestion(
        contact_key,
        product_key,
        customer_key=customer_key,
        scenario=scenario,
        variant=variant,
        sent_at=sent_at or datetime.now(UTC).isoformat(timespec="seconds"),
    )


def conversions(
    store: Store, config: RecoConfig | None = None, *, window_days: int | None = None
) -> list[Conversion]:
    """Sends with a suggested product and their conversions, per scenario and variant."""
    config = config or RecoConfig()
    return reco_repo(store).conversions(config.conversion_days if window_days is None else window_days)


# -- the cycle step ----------------------------------------------------------------------------------


@register_step(STEP, applies=lambda s: True)
async def reco_step(ctx: StepContext) -> StepResult:
    """The cycle's recommendation step: an incremental recompute (``reco_full`` option: everybody)."""
    try:
        config = reco_config(ctx.settings)
    except ValueError as exc:
        return StepResult(status="failed", detail=str(exc))
    full = bool(ctx.options.get("reco_full") or ctx.options.get("full"))
    result = await asyncio.to_thread(
        recompute,
        ctx.store,
        config,
        full=full,
        emit=ctx.emit,
        cancel=ctx.cancel.is_set,
        dry_run=ctx.dry_run,
    )
    if not result.customers:
        return StepResult(status="ok", detail=t("reco.nothing"))
    detail = result.detail if not result.full else f"{result.detail}; {t('reco.full', why=result.why)}"
    return StepResult(
        status="partial" if result.interrupted else "ok",
        total=len(result.recomputed),
        succeeded=len(result.recomputed),
        detail=detail,
        summary={
            "full": result.full,
            "recomputed": len(result.recomputed),
            "changed_customers": result.changed_customers,
            "changed_products": result.changed_products,
            "results": result.results,
            "duration": round(result.duration, 2),
        },
    )
