"""The scenario model: what a scenario, its steps, variants and audience are, as stored.

One job: the frozen records the scenario repository reads and writes (:class:`Scenario`,
:class:`Step`, :class:`Variant`, :class:`Audience`, :class:`TemplateRow`), those of the send path
(:class:`Claim`, :class:`Refusal`, :class:`ClaimRules`, :class:`DueSend`), the status words and
the ISO timestamps they carry. No SQL here: :mod:`crmtui.store.scenarios` and
:mod:`crmtui.store.scenario_ledger` do the reading and writing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass


STATUSES = ("draft", "active", "paused", "stopped")
"""Scenario statuses."""

TRIGGERS = ("entry", "delay", "opened", "not_opened", "clicked")
"""Step triggers."""

LIVE_LEDGER = ("claimed", "sent", "unknown")
"""Ledger states that count as a send (daily cap, cooldown)."""

SUPPRESSED_MC_STATUSES = ("unsubscribed", "cleaned", "forgotten")
"""Mailchimp statuses that forbid sending."""


def iso(moment: datetime) -> str:
    """A UTC ISO 8601 string to the second (the store's one time format: sorts as text)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def parse_iso(text: str) -> datetime:
    """Inverse of :func:`iso`."""
    return datetime.fromisoformat(text)


# -- the model ------------------------------------------------------------------------------------


@dataclass
class Audience:
    """Who enters a scenario: the union of every non-empty criterion.

    Attributes:
        copper_tags: synced contacts carrying any of these Copper tags.
        mailchimp_tags: synced contacts carrying any of these Mailchimp tags.
        segments: canonical customers in any of these RFM segments.
        sources: ``copper``/``mailchimp`` (synced contacts known there) or an ETL source name.
        emails: an explicit list.
    """

    copper_tags: list[str] = field(default_factory=list)
    mailchimp_tags: list[str] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[str]]:
        """The non-empty criteria."""
        return {k: list(v) for k, v in vars(self).items() if v}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Audience:
        """Build from a dict (unknown keys are the caller's validation problem)."""
        data = data or {}
        return cls(**{k: [str(x) for x in data.get(k) or []] for k in vars(cls()).keys()})


@dataclass
class AutoWinner:
    """The automatic A/B winner policy.

    Attributes:
        enabled: pick a winner automatically.
        metric: ``opened`` or ``clicked``.
        min_sends: sends every variant needs first.
        alpha: significance threshold of the two-proportion test.
    """

    enabled: bool = False
    metric: str = "opened"
    min_sends: int = 100
    alpha: float = 0.05


@dataclass
class Variant:
    """A weighted template choice of a step (``step_variants``)."""

    name: str
    template: str
    weight: float = 1.0
    id: int = 0
    sent: int = 0
    opened: int = 0
    clicked: int = 0


@dataclass
class Step:
    """One step of a scenario (``scenario_steps``)."""

    position: int
    name: str
    template: str
    trigger: str = "entry"
    delay_days: float = 0.0
    delay_hours: float = 0.0
    parent_position: int | None = None
    variants: list[Variant] = field(default_factory=list)
    id: int = 0
    winner_variant_id: int | None = None

    @property
    def delay(self) -> timedelta:
        """The step's delay."""
        return timedelta(days=self.delay_days, hours=self.delay_hours)


@dataclass
class TemplateRow:
    """A scenario's template as stored."""

    name: str
    subject: str
    html: str = ""
    text: str = ""


@dataclass
class Scenario:
    """A behavioural email scenario (``scenarios`` plus its steps, variants and templates)."""

    name: str
    description: str = ""
    status: str = "draft"
    daily_cap: int = 0
    cooldown_days: float = 0.0
    window_start: str = "09:00"
    window_end: str = "18:00"
    send_days: list[int] = field(default_factory=lambda: [1, 2, 3, 4, 5])
    timezone: str = "Europe/Paris"
    min_validation_score: int = 0
    only_deliverable: bool = True
    exclude_domains: list[str] = field(default_factory=list)
    stop_on_reply: bool = True
    stop_on_unsubscribe: bool = True
    include_unsubscribe: bool = True
    audience: Audience = field(default_factory=Audience)
    auto_winner: AutoWinner = field(default_factory=AutoWinner)
    sender: str = "auto"
    steps: list[Step] = field(default_factory=list)
    templates: dict[str, TemplateRow] = field(default_factory=dict)
    id: int = 0
    sent: int = 0
    failed: int = 0
    opened: int = 0
    clicked: int = 0

    def step_at(self, position: int) -> Step | None:
        """The step at ``position``."""
        return next((s for s in self.steps if s.position == position), None)

    def first_step(self) -> Step | None:
        """The entry step (lowest position)."""
        return min(self.steps, key=lambda s: s.position) if self.steps else None

    def children(self, position: int) -> list[Step]:
        """Steps that follow ``position``: explicit children, else the next position."""
        explicit = [s for s in self.steps if s.parent_position == position]
        if explicit:
            return sorted(explicit, key=lambda s: s.position)
        later = sorted(
            (s for s in self.steps if s.position > position and s.parent_position is None),
            key=lambda s: s.position,
        )
        return later[:1]


_SCALARS = (
    "description",
    "status",
    "daily_cap",
    "cooldown_days",
    "window_start",
    "window_end",
    "timezone",
    "min_validation_score",
    "sender",
)
_BOOLS = ("only_deliverable", "stop_on_reply", "stop_on_unsubscribe", "include_unsubscribe")


@dataclass(frozen=True)
class Claim:
    """A committed claim: the caller may now send exactly this email.

    Attributes:
        key: the ledger key.
        scenario_id, step_id, position, contact, template, variant_id: what is sent.
        message_id: our deterministic Message-ID (without angle brackets).
        local_day: the scenario's local date the claim counts against.
        attempts: 1 for a first claim, more for a deferred row claimed again.
    """

    key: str
    scenario_id: int
    step_id: int
    position: int
    contact: str
    template: str
    variant_id: int | None
    message_id: str
    local_day: str
    attempts: int


@dataclass(frozen=True)
class Refusal:
    """Why a due send was not claimed.

    Attributes:
        reason: ``inactive``, ``not_due``, ``already``, ``suppressed``, ``window``, ``cap``,
            ``cooldown``, ``filtered``, ``opened``.
        stop_scenario: nothing more of this scenario can be claimed in this tick (window, cap).
        detail: for ``filtered``: the filter that refused the address.
    """

    reason: str
    stop_scenario: bool = False
    detail: str = ""


@dataclass(frozen=True)
class ClaimRules:
    """The checks of one claim, computed by the engine from the scenario and the clock.

    Attributes:
        now: the current UTC time.
        local_day: the scenario's local date now.
        in_window: whether now is inside the send window and days.
        recipient_problem: a recipient filter's refusal ("" when the address passes).
        owner: this process's owner tag.
    """

    now: datetime
    local_day: str
    in_window: bool
    recipient_problem: str
    owner: str


@dataclass(frozen=True)
class DueSend:
    """A sequence whose next step is due."""

    sequence_id: int
    contact: str
    position: int
    next_send_at: str


class ResetRefused(ValueError):
    """A scenario's tests cannot be reset; ``blockers`` counts what stands in the way (see
    :meth:`ScenarioRepo.reset_blockers`; ``missing``: no such scenario)."""

    def __init__(self, blockers: dict[str, int]) -> None:
        self.blockers = blockers
        super().__init__(", ".join(f"{k} {v}" for k, v in blockers.items()))
