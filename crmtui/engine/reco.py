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

Where it lives: settings, inputs and the run's statistics in :mod:`crmtui.engine.reco_model`; the
rules and reasons in :mod:`crmtui.engine.reco_scoring`; here, the recompute, feedback, template
variables and the cycle step.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import crmtui.i18n.reco  # noqa: F401 - registers the reco.* keys
from crmtui.engine.cycle import StepContext, StepResult, register_step
from crmtui.engine.events import EventSink, StepProgressed, ignore
from crmtui.engine.reco_model import (
    CHUNK,
    CustomerInfo,
    ProductInfo,
    RecoConfig,
    build_model,
    load_inputs,
    reco_config,
)
from crmtui.engine.reco_scoring import (
    category_label,
    reason_text,
    recommend,
    rule_label,
)
from crmtui.formats import number
from crmtui.i18n import t
from crmtui.store import Store
from crmtui.store.reco import Conversion, RecoRepo, StoredReco, reco_repo

# The public API, with what the screens import from here though it lives in reco_model/reco_scoring.
__all__ = [
    "category_label",
    "conversions",
    "customer_fingerprint",
    "FeedbackOutcome",
    "find_customer",
    "mark_bad",
    "reason_text",
    "reco_config",
    "reco_step",
    "RecoConfig",
    "recommendation_variables",
    "recompute",
    "stored_recommendation",
    "RecomputeResult",
    "record_suggestion",
    "rule_label",
    "STEP",
    "today_ordinal",
    "top_recommendation",
]

log = logging.getLogger("crmtui.engine.reco")

STEP = "reco"


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

    def summary(self) -> dict[str, Any]:
        """The figures of the run, as stored in the reco meta and in the cycle step's summary."""
        return {
            "full": self.full,
            "recomputed": len(self.recomputed),
            "changed_customers": self.changed_customers,
            "changed_products": self.changed_products,
            "results": self.results,
            "duration": round(self.duration, 2),
        }


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
                "last_run": {"at": datetime.now(UTC).isoformat(timespec="seconds"), **result.summary()},
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


def stored_recommendation(
    repo: RecoRepo, customer_key: str, product_key: str
) -> tuple[StoredReco, dict[str, Any]] | None:
    """The stored recommendation of ``product_key`` to ``customer_key`` and the customer's row, or
    None when either is gone (what marking it bad acts on)."""
    stored = next((r for r in repo.results_for(customer_key) if r.product_key == product_key), None)
    customer = repo.customer(customer_key)
    if stored is None or customer is None:
        return None
    return stored, customer


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
    found = stored_recommendation(repo, customer_key, product_key)
    if found is None:
        raise KeyError(t("reco.unknown", product=product_key, customer=customer_key))
    stored, customer = found
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
        summary=result.summary(),
    )
