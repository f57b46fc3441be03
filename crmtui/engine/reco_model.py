"""The recommender's settings, inputs and shared statistics: what scoring reads.

One job: build, from the store and the settings, everything the scoring rules need and nothing
they write — the weights and thresholds (:class:`RecoConfig`), the products and customers as
compact inputs (:func:`load_inputs`), and the shared statistics of one run (:class:`RecoModel`:
popularity, co-purchase neighbours, attribute pools). :mod:`crmtui.engine.reco_scoring` scores
with them; :mod:`crmtui.engine.reco` runs the step.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import unicodedata
from array import array
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date
from pathlib import Path
from typing import Any

import crmtui.i18n.reco  # noqa: F401 - registers the reco.* keys
from crmtui.config import Settings
from crmtui.i18n import t
from crmtui.store.reco import RecoRepo

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
