"""What "mark bad" will change, said before it happens, and taking the last one back.

Marking a recommendation bad does two things (:func:`crmtui.engine.reco.mark_bad`): it removes it
for this customer, and it lowers the producing rule's factor for every customer of the same RFM
segment and products of the same category. :func:`mark_scope` says that in numbers before the
operator confirms; :func:`undo_mark_bad` takes the last mark back (audited), and the customer is
recomputed at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from crmtui.engine.reco import mark_bad, recompute, stored_recommendation
from crmtui.engine.reco_model import RecoConfig
from crmtui.store import Store
from crmtui.store.reco import reco_repo


@dataclass(frozen=True)
class MarkScope:
    """What marking one recommendation bad would change.

    Attributes:
        rule, segment, category: the factor that goes down.
        factor_before, factor_after: its value now and after the mark.
        customers: active customers of the segment (their scores use the factor).
        shown: of them, those currently recommended something from this rule in this category.
    """

    rule: str
    segment: str
    category: str
    factor_before: float
    factor_after: float
    customers: int
    shown: int


@dataclass(frozen=True)
class LastMark:
    """One mark that can be taken back."""

    customer_key: str
    product_key: str
    product_name: str
    rule: str
    factor_before: float
    factor_after: float


def mark_scope(
    store: Store, customer_key: str, product_key: str, config: RecoConfig | None = None
) -> MarkScope:
    """The scope of marking ``product_key`` bad for ``customer_key`` (nothing is written).

    Raises:
        KeyError: the customer has no such recommendation.
    """
    config = config or RecoConfig()
    repo = reco_repo(store)
    found = stored_recommendation(repo, customer_key, product_key)
    if found is None:
        raise KeyError(product_key)
    stored, customer = found
    segment = str(customer.get("segment") or "")
    factors = {(a.rule, a.segment, a.category): a.factor for a in repo.adjustments()}
    before = factors.get((stored.rule, segment, stored.category), 1.0)
    after = round(max(config.feedback_floor, before * config.feedback_decay), 6)
    customers, shown = repo.mark_scope(stored.rule, segment, stored.category)
    return MarkScope(stored.rule, segment, stored.category, before, after, customers, shown)


def mark_bad_undoable(
    store: Store,
    customer_key: str,
    product_key: str,
    reason: str = "",
    *,
    actor: str,
    config: RecoConfig | None = None,
    as_of: date | None = None,
) -> LastMark:
    """:func:`~crmtui.engine.reco.mark_bad`, returning what :func:`undo_mark_bad` needs."""
    repo = reco_repo(store)
    name = next(
        (r.product_name for r in repo.results_for(customer_key) if r.product_key == product_key), product_key
    )
    outcome = mark_bad(store, customer_key, product_key, reason, actor=actor, config=config, as_of=as_of)
    return LastMark(
        customer_key, product_key, name, outcome.rule, outcome.factor_before, outcome.factor_after
    )


def undo_mark_bad(
    store: Store,
    mark: LastMark,
    *,
    actor: str,
    config: RecoConfig | None = None,
    as_of: date | None = None,
) -> tuple[float, float] | None:
    """Take ``mark`` back: the recommendation may come back, the factor goes up one step; audited.

    Returns:
        The factor before and after the undo, or None when the mark was already gone.
    """
    factors = reco_repo(store).undo_mark_bad(
        mark.customer_key, mark.product_key, before=mark.factor_before, after=mark.factor_after, actor=actor
    )
    if factors is not None:
        recompute(store, config or RecoConfig(), only=[mark.customer_key], as_of=as_of)
    return factors
