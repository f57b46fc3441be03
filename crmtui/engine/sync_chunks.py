"""The sync's planning passes: every staged contact planned from SQL, a chunk at a time.

Mixed into :class:`crmtui.engine.sync.SyncEngine` (which reads and applies). A run plans twice over
the staging table (:mod:`crmtui.store.sync_stage`), in email order, :data:`PLAN_CHUNK` contacts at
a time: the first pass only counts (:class:`PlanCensus`: the circuit breaker's figure and the
apply's total, known before any write), the second plans again (the planner is pure) and hands each
chunk to the apply. Per chunk, the stored contacts, decisions, forgotten flags and suppressions are
read with one query each; nothing proportional to the audience is held.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

from crmtui.config import Settings
from crmtui.engine.sync_identity import follow_copper_email_changes, follow_mailchimp_email_changes
from crmtui.engine.sync_plan import (
    Base,
    ContactPlan,
    CopperSide,
    Direction,
    MailchimpSide,
    Memory,
    Op,
    OpKind,
    Outcome,
    SyncOptions,
    never_resubscribes,
    plan_contact,
)
from crmtui.engine.sync_types import CURSOR_RETRY, SyncReport
from crmtui.records.emails import email_key
from crmtui.store import Store
from crmtui.store.sync import ContactRow, Decision
from crmtui.store.sync_stage import StagedSides, SyncStage

log = logging.getLogger("crmtui.engine.sync")

PLAN_CHUNK = 1000
"""Contacts planned per chunk (one query each for their stored rows, decisions, forgotten flags)."""


def in_scope(email: str, settings: Settings) -> bool:
    """Test mode touches only emails containing the filter."""
    if settings.sync_mode == "production":
        return True
    return email_key(settings.test_email_filter) in email  # ``email`` is a key: compare keys


class SyncPlanning:
    """The planning half of a sync run (the attributes are set by :class:`~crmtui.engine.sync.SyncEngine`)."""

    settings: Settings
    store: Store
    opts: SyncOptions
    _email_changes: list[tuple[str, str]]
    _mc_email_changes: list[tuple[str, str]]
    _copper_deleted: set[str]
    _progress: Callable[..., None]

    def _scope(
        self,
        stage: SyncStage,
        copper_now: StagedSides[CopperSide],
        mc_now: StagedSides[MailchimpSide],
        full: bool,
    ) -> PlanScope:
        """What this run plans: the stage, completed with the contacts it must look at anyway."""
        sync = self.store.sync
        self._email_changes += follow_copper_email_changes(self.store, copper_now)
        self._mc_email_changes += follow_mailchimp_email_changes(
            self.store, mc_now, copper_now, self._email_changes
        )
        if full:
            stage.add_known_contacts()
        else:
            retry = [e for e in (sync.cursor(CURSOR_RETRY) or "").split(",") if e]
            stage.add_emails([*retry, *self._copper_deleted, *sync.archived_emails()])
        renamed = {new: old for old, new in self._email_changes}
        renamed_in_mc = {new: old for old, new in self._mc_email_changes}
        return PlanScope(
            stage=stage,
            copper_now=copper_now,
            mc_now=mc_now,
            full=full,
            renamed=renamed,
            renamed_in_mc=renamed_in_mc,
            # The old address is the same contact, planned under the new one.
            skip=set(renamed.values()) | set(renamed_in_mc.values()),
            total=stage.count(),
        )

    def _iter_plans(
        self, scope: PlanScope, held: set[str], report: SyncReport | None
    ) -> Iterator[tuple[list[ContactPlan], dict[str, tuple[CopperSide | None, MailchimpSide | None]]]]:
        """The plans of every staged contact, a chunk at a time, in email order.

        ``report``: the pass that counts (settled contacts, suppressed people, identical ones);
        None for the census pass, which only looks.
        """
        sync = self.store.sync
        done = 0
        for chunk in scope.stage.chunks(PLAN_CHUNK):
            emails = [email for email, _, _ in chunk if email not in scope.skip]
            # Erased or deleted people are never planned again, whatever a side still sends.
            suppressed = self.store.erasure.suppressed_emails(emails)
            if suppressed and report is not None:
                report.suppressed += len(suppressed)
            known = sync.contacts_by_email(emails)
            decisions = sync.decisions_for(emails)
            forgotten = sync.forgotten_in(emails)
            plans: list[ContactPlan] = []
            sides: dict[str, tuple[CopperSide | None, MailchimpSide | None]] = {}
            for email, copper_raw, mc_raw in chunk:
                if email in scope.skip or email in suppressed or not in_scope(email, self.settings):
                    continue
                copper = CopperSide.from_json(json.loads(copper_raw)) if copper_raw else None
                mc = MailchimpSide.from_json(json.loads(mc_raw)) if mc_raw else None
                plan = self._plan_one(
                    scope,
                    email,
                    known.get(email),
                    copper,
                    mc,
                    decisions.get(email),
                    email in forgotten,
                    report,
                )
                if plan is not None and plan[0].email not in held:
                    plans.append(plan[0])
                    sides[email] = (plan[1], plan[2])
            done += len(chunk)
            if done % (PLAN_CHUNK * 2) == 0:
                self._progress("plan", done, scope.total)
            yield plans, sides
        self._progress("plan", scope.total, scope.total)

    def _plan_one(
        self,
        scope: PlanScope,
        email: str,
        row: ContactRow | None,
        copper: CopperSide | None,
        mc: MailchimpSide | None,
        decision: Decision | None,
        forgotten: bool,
        report: SyncReport | None,
    ) -> tuple[ContactPlan, CopperSide | None, MailchimpSide | None] | None:
        """One contact's plan and the sides it was planned from (None: nothing to do or to keep)."""
        full = scope.full
        moved_from = None
        if email in scope.renamed and mc is None:
            old = scope.renamed[email]
            old_member = scope.mc_now.get(old)
            if old_member is None and row is not None and row.mc_state and not full:
                old_member = MailchimpSide.from_json(row.mc_state)
            if old_member is not None and old_member.email == old:
                moved_from = old
                mc = replace(old_member, email=email)  # the member, once renamed
        copper_moved_from = None
        if email in scope.renamed_in_mc and copper is None:
            old = scope.renamed_in_mc[email]
            old_person = scope.copper_now.get(old)
            if old_person is None and row is not None and row.copper_state and not full:
                old_person = CopperSide.from_json(row.copper_state)
            if old_person is not None and old_person.email == old:
                copper_moved_from = old
                copper = replace(old_person, email=email)  # the person, once its email follows
        if not full and row is not None:
            # Unchanged since the cursor: the stored snapshot is the live state.
            if copper is None and row.copper_state and email not in self._copper_deleted:
                copper = CopperSide.from_json(row.copper_state)
            if mc is None and row.mc_state:
                mc = MailchimpSide.from_json(row.mc_state)
        memory = Memory(
            base=Base.from_json(row.base) if row else None,
            forgotten=forgotten or bool(row and row.forgotten),
            decision=None if decision is None else (decision.decision or "pending"),
            archived_previous_status=decision.previous_status
            if decision and decision.decision == "archive" and decision.state == "applied"
            else None,
            known_in_copper=bool(row and row.copper_state),
            known_in_mailchimp=bool(row and row.mc_state),
        )
        if decision and decision.decision == "delete" and decision.state == "applied":
            return None  # deleted for good on both sides
        plan = plan_contact(email, copper, mc, memory, self.opts)
        if moved_from is not None:
            plan.ops.insert(0, Op(OpKind.MC_EMAIL, email, {"old": moved_from}))
            if plan.outcome is Outcome.IDENTICAL:
                plan.outcome = Outcome.CHANGED
                plan.direction = Direction.TO_MAILCHIMP
        if copper_moved_from is not None and copper is not None:
            emails_now = [email, *copper.other_emails]
            plan.ops.insert(0, Op(OpKind.COPPER_EMAIL, email, {"id": copper.id, "emails": emails_now}))
            if plan.outcome is Outcome.IDENTICAL:
                plan.outcome = Outcome.CHANGED
                plan.direction = Direction.TO_COPPER
        if not never_resubscribes(plan, mc, memory):  # last guard; the planner is tested for it
            raise AssertionError(f"planner tried to re-subscribe {email}")
        if report is not None and plan.outcome is Outcome.IDENTICAL and not plan.ops:
            report.add_identical(email, plan.name)
        if _settled(plan, row, copper, mc):
            # Nothing to write and nothing new to remember: keep neither the plan nor the sides.
            if report is not None:
                report.unchanged += 1
                if plan.outcome is Outcome.IDENTICAL:
                    report.identical_settled += 1
                    log.debug("%s (%s): compared, identical: nothing to write", email, plan.name)
            return None
        return plan, copper, mc


@dataclass(slots=True)
class PlanScope:
    """What a run plans (:meth:`SyncEngine._scope`)."""

    stage: SyncStage
    copper_now: StagedSides[CopperSide]
    mc_now: StagedSides[MailchimpSide]
    full: bool
    renamed: dict[str, str]
    renamed_in_mc: dict[str, str]
    skip: set[str]
    total: int


@dataclass(slots=True)
class PlanCensus:
    """The first planning pass, counted: the circuit breaker's figure, the apply's total, the log's."""

    risky: int = 0  # contacts that would lose tags or leave the audience
    remote: int = 0  # remote operations
    writes: int = 0  # contacts with an operation
    outcomes: dict[str, int] = field(default_factory=dict)

    def count(self, plans: list[ContactPlan]) -> None:
        for plan in plans:
            self.outcomes[plan.outcome.value] = self.outcomes.get(plan.outcome.value, 0) + 1
            self.writes += bool(plan.ops)
            self.remote += sum(1 for op in plan.ops if op.target != "local")
            self.risky += any(
                (op.kind is OpKind.MC_TAGS and op.payload.get("remove")) or op.kind is OpKind.MC_INACTIVE
                for op in plan.ops
            )


def _settled(
    plan: ContactPlan, row: ContactRow | None, copper: CopperSide | None, mc: MailchimpSide | None
) -> bool:
    """Whether a contact needs nothing at all: no op, and the store already holds this state."""
    if plan.ops or plan.outcome not in (Outcome.IDENTICAL, Outcome.SKIPPED, Outcome.INACTIVE) or row is None:
        return False
    base = plan.new_base.to_json() if plan.new_base is not None else None
    return (
        row.base == base
        and row.copper_state == (copper.to_json() if copper else None)
        and row.mc_state == (mc.to_json() if mc else None)
    )
