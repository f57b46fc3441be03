"""A/B variants: deterministic weighted choice, rates with Wilson intervals, significance, winner.

The variant of a send is chosen from the SHA-256 digest of (scenario, step, contact), the ledger
key without its template, so a retry of the same send always picks the same variant, and the
choice over many contacts follows the weights (tested with a chi-square over 10,000 keys).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass


def slot_digest(scenario_id: int, step_id: int, contact: str) -> bytes:
    """SHA-256 of (scenario, step, contact): the part of the ledger key the variant depends on."""
    return hashlib.sha256(f"{scenario_id}\x1f{step_id}\x1f{contact}".encode()).digest()


def ledger_key(scenario_id: int, step_id: int, contact: str, template: str) -> str:
    """The ledger key: SHA-256 (hex) of (scenario, step, contact, template)."""
    return hashlib.sha256(f"{scenario_id}\x1f{step_id}\x1f{contact}\x1f{template}".encode()).hexdigest()


def choose(digest: bytes, weights: Sequence[float]) -> int:
    """Index of the variant picked for ``digest`` among ``weights`` (non-negative, not all zero).

    Args:
        digest: at least 8 bytes of a uniform hash (:func:`slot_digest`).
        weights: one weight per variant, in a stable order (by variant id).

    Raises:
        ValueError: no weights, a negative weight, or all zero.
    """
    if not weights or any(w < 0 for w in weights):
        raise ValueError("weights must be non-negative and not empty")
    total = float(sum(weights))
    if total <= 0:
        raise ValueError("at least one weight must be positive")
    point = int.from_bytes(digest[:8], "big") / 2**64 * total
    acc = 0.0
    for i, w in enumerate(weights):
        acc += w
        if point < acc:
            return i
    return max(i for i, w in enumerate(weights) if w > 0)  # float rounding at the very top


def wilson(successes: int, trials: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score interval of a proportion (95 % by default); (0, 0) with no trials."""
    if trials <= 0:
        return (0.0, 0.0)
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def two_proportion_test(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float]:
    """Two-sided two-proportion z-test with a pooled variance: ``(z, p_value)``.

    Returns ``(0.0, 1.0)`` when either group is empty or the pooled rate is 0 or 1.
    """
    if n1 <= 0 or n2 <= 0:
        return (0.0, 1.0)
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return (0.0, 1.0)
    z = (k1 / n1 - k2 / n2) / se
    return (z, math.erfc(abs(z) / math.sqrt(2)))


def chi_square_uniformity(observed: Sequence[int], expected: Sequence[float]) -> float:
    """Pearson's chi-square statistic of ``observed`` counts against ``expected`` counts."""
    return sum((o - e) ** 2 / e for o, e in zip(observed, expected, strict=True) if e > 0)


@dataclass(frozen=True)
class VariantStats:
    """One variant's counts and rates.

    Attributes:
        variant_id: the ``step_variants`` id.
        name: the variant's name.
        sent, opened, clicked: counts.
        open_rate, click_rate: proportions of ``sent``.
        open_ci, click_ci: 95 % Wilson intervals.
    """

    variant_id: int
    name: str
    sent: int
    opened: int
    clicked: int
    open_rate: float
    click_rate: float
    open_ci: tuple[float, float]
    click_ci: tuple[float, float]

    @classmethod
    def of(cls, variant_id: int, name: str, sent: int, opened: int, clicked: int) -> VariantStats:
        """Compute rates and intervals from the counts."""
        return cls(
            variant_id,
            name,
            sent,
            opened,
            clicked,
            opened / sent if sent else 0.0,
            clicked / sent if sent else 0.0,
            wilson(opened, sent),
            wilson(clicked, sent),
        )

    def successes(self, metric: str) -> int:
        """``opened`` or ``clicked``."""
        return self.clicked if metric == "clicked" else self.opened


@dataclass(frozen=True)
class Verdict:
    """The comparison of a step's best variant with the runner-up.

    Attributes:
        best: the variant with the highest rate (None with fewer than two variants).
        runner_up: the second best.
        z, p_value: the two-proportion test.
        significant: ``p_value < alpha``.
        metric: ``opened`` or ``clicked``.
    """

    best: VariantStats | None
    runner_up: VariantStats | None
    z: float
    p_value: float
    significant: bool
    metric: str


def compare(variants: Sequence[VariantStats], metric: str = "opened", alpha: float = 0.05) -> Verdict:
    """Best variant against the runner-up on ``metric`` (``opened`` or ``clicked``)."""
    if len(variants) < 2:
        return Verdict(variants[0] if variants else None, None, 0.0, 1.0, False, metric)

    def rate(v: VariantStats) -> float:
        return v.successes(metric) / v.sent if v.sent else 0.0

    ranked = sorted(variants, key=lambda v: (rate(v), v.sent), reverse=True)
    best, second = ranked[0], ranked[1]
    z, p = two_proportion_test(best.successes(metric), best.sent, second.successes(metric), second.sent)
    return Verdict(best, second, z, p, p < alpha, metric)


def pick_winner(
    variants: Sequence[VariantStats], *, metric: str = "opened", min_sends: int = 100, alpha: float = 0.05
) -> VariantStats | None:
    """The automatic winner: every variant has ``min_sends`` and the best beats the runner-up
    with ``p < alpha``; else None."""
    if len(variants) < 2 or any(v.sent < min_sends for v in variants):
        return None
    verdict = compare(variants, metric, alpha)
    return verdict.best if verdict.significant else None
