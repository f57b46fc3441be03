"""Scoring: one customer's recommendations from the run's model, and their reasons in words.

One job: a customer's profile (:func:`profile_of`), each rule's contribution to a candidate
(:func:`contributions`), the ranked, diversified list (:func:`recommend`) and the reasons shown
to the operator (:func:`reason_text`, :func:`category_label`, :func:`rule_label`). Pure: the
inputs come from :mod:`crmtui.engine.reco_model`, and :mod:`crmtui.engine.reco` stores the result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import crmtui.i18n.reco  # noqa: F401 - registers the reco.* keys
from crmtui.engine.reco_model import (
    REASON_SHARE,
    RECENT_SOURCES,
    RULES,
    CustomerInfo,
    RecoModel,
    _recent_distinct,
)
from crmtui.i18n import t

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
