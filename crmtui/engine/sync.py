"""The two-way Copper ↔ Mailchimp sync: read, plan, guard, apply through the outbox, report.

One run:

1. **Read** both sides: incrementally from the stored cursors, or fully (first run, ``--full``,
   every ``SYNC_FULL_EVERY`` runs: the only way to see deletions and archives).
2. **Plan** every touched contact with the pure planner (:mod:`crmtui.engine.sync_plan`) against the
   merge base kept in the store; a side that did not change since the cursor is taken from its
   stored snapshot.
3. **Guard**: test mode keeps only emails matching the filter; the circuit breaker stops a run that
   would untag or remove more than ``SYNC_MAX_CHANGE_SHARE`` of the audience.
4. **Apply**: ops are written to ``sync_ops`` first, then executed in batches (Mailchimp batch
   subscribe, 500 per call; Copper one call per change within its rate budget), each result
   recorded. The new merge base is stored only for contacts whose ops all succeeded; cursors move
   only at the end. After a crash, the next run re-reads live state, so what was applied is not
   planned again (no duplicate) and what was not is planned again (no gap).
5. **Report**: ``import_report_<timestamp>.txt`` and the per-run log.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from crmtui.config import Settings
from crmtui.connectors.copper import CopperClient, CopperPerson
from crmtui.connectors.errors import (
    Interrupted,
    NotFound,
)
from crmtui.connectors.mailchimp import MailchimpClient, MailchimpMember
from crmtui.engine.cycle import StepContext, StepResult, register_step
from crmtui.engine.events import Notice
from crmtui.engine.identity import normalize_email
from crmtui.engine.sync_apply import STEP, SyncApply
from crmtui.engine.sync_chunks import PlanCensus, SyncPlanning
from crmtui.engine.sync_clients import make_clients
from crmtui.engine.sync_identity import (
    find_in_doubt_members,
    find_in_doubt_people,
)
from crmtui.engine.sync_log import describe_op, log_plan_contacts, log_plan_summary
from crmtui.engine.sync_plan import (
    DEFAULT_MAPPING,
    FIELDS,
    ContactPlan,
    CopperSide,
    MailchimpSide,
    OpKind,
    SyncOptions,
    clean,
)
from crmtui.engine.sync_types import (
    CURSOR_COPPER,
    CURSOR_MAILCHIMP,
    CURSOR_RETRY,
    CURSOR_RUNS_SINCE_FULL,
    ContactResult,
    SyncReport,
)
from crmtui.engine.sync_verify import resume_unknown
from crmtui.formats import number, percent
from crmtui.i18n import t
from crmtui.store import Store
from crmtui.store.sync_stage import StagedSides, SyncStage

log = logging.getLogger("crmtui.engine.sync")


def sync_options(settings: Settings) -> SyncOptions:
    """Planner options from the settings."""
    return SyncOptions(
        policy=settings.conflict_policy,
        new_member_status=settings.new_member_status,
        unsubscribed_tag=settings.unsubscribed_tag,
        cleaned_tag=settings.cleaned_tag,
        fields=tuple(f for f in FIELDS if f in settings.field_map),
        archive_action=settings.archive_action,
    )


# -- adapters from connector records ------------------------------------------------------------


def copper_side(person: CopperPerson) -> CopperSide | None:
    """The sync's view of a Copper person (None without a usable email)."""
    emails = [normalize_email(e) for e in person.emails if normalize_email(e)]
    if not emails:
        return None
    return CopperSide(
        id=person.id,
        email=emails[0],
        fields={
            "first_name": clean(person.first_name),
            "last_name": clean(person.last_name),
            "phone": clean(person.phone_numbers[0]) if person.phone_numbers else "",
        },
        tags=tuple(person.tags),
        other_emails=tuple(emails[1:]),
        modified=person.date_modified,
        name=person.name,
        company=clean(person.raw.get("company_name")),
        custom_fields=_custom_fields(person.raw.get("custom_fields")),
    )


def _custom_fields(value: object) -> dict[str, str]:
    """Copper's ``custom_fields`` (``[{"custom_field_definition_id": 1, "value": …}]``) as ``{"1": "…"}``.

    Kept in the stored snapshot for templates (``{{siret}}`` from COPPER_SIRET_FIELD); never synced.
    """
    out: dict[str, str] = {}
    for item in value if isinstance(value, list) else []:
        if not isinstance(item, dict) or item.get("custom_field_definition_id") is None:
            continue
        raw = item.get("value")
        if raw is None or raw == "" or isinstance(raw, dict | list):
            continue
        out[str(item["custom_field_definition_id"])] = clean(str(raw))
    return out


def mailchimp_side(member: MailchimpMember, mapping: Mapping[str, str] | None = None) -> MailchimpSide:
    """The sync's view of a Mailchimp member (fields read through the Copper→merge-tag mapping)."""
    mapping = mapping or DEFAULT_MAPPING
    changed = ""
    if member.last_changed:
        changed = datetime.fromtimestamp(member.last_changed, UTC).isoformat(timespec="seconds")
    return MailchimpSide(
        email=member.normalized_email,
        status=member.status,
        fields={f: clean(member.merge_fields.get(mapping[f])) if f in mapping else "" for f in FIELDS},
        tags=tuple(member.tags),
        unique_id=member.unique_email_id,
        changed=changed,
        hash=member.hash,
    )


# -- the run ------------------------------------------------------------------------------------


class SyncEngine(SyncPlanning, SyncApply):
    """One sync run over two connected clients."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        copper: CopperClient,
        mailchimp: MailchimpClient,
        *,
        emit: Callable[[Any], None] = lambda e: None,
        cancel: asyncio.Event | None = None,
        run_id: int = 0,
        on_phase: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.on_phase = on_phase  # called as each phase ends (read, plan, apply): bench/scale.py
        self.store = store
        self.copper = copper
        self.mailchimp = mailchimp
        self.emit = emit
        self.cancel = cancel or asyncio.Event()
        self.run_id = run_id
        self.opts = sync_options(settings)
        self._list_url: str | None = None
        self._email_changes: list[tuple[str, str]] = []  # (old, new) changed in Copper
        self._copper_deleted: set[str] = set()  # contacts whose Copper person a webhook says is gone
        self._mc_email_changes: list[tuple[str, str]] = []  # (old, new) changed in Mailchimp
        # Member ids (``id``, ``unique_email_id``) Mailchimp answered to this run's writes, by contact.
        self._mc_ids: dict[str, tuple[str, str]] = {}
        self._op_ids: dict[int, int] = {}  # id(op) → its outbox row, while applying
        self._apply_done = 0  # remote operations done so far (the apply's progress, across chunks)
        self._apply_total = 0

    async def run(
        self,
        *,
        dry_run: bool = False,
        full: bool | None = None,
        allow_large_change: bool = False,
        verbose: bool = False,
        report: SyncReport | None = None,
    ) -> SyncReport:
        """Read, plan, guard, apply, report (each step and each action in the log).

        ``report``: the run's report to fill (with its ``sink`` for a report written as the run
        goes); a new one otherwise.
        """
        started = time.monotonic()
        sync = self.store.sync
        runs_since_full = int(sync.cursor(CURSOR_RUNS_SINCE_FULL) or 0)
        copper_cursor = sync.cursor(CURSOR_COPPER)
        mc_cursor = sync.cursor(CURSOR_MAILCHIMP)
        if full is None:
            full = (
                copper_cursor is None or mc_cursor is None or runs_since_full + 1 >= self.settings.full_every
            )
        if report is None:
            report = SyncReport(self.run_id, self.settings.sync_mode, dry_run, full, datetime.now())
        else:
            report.mode, report.dry_run, report.full = self.settings.sync_mode, dry_run, full
        report.verbose = verbose or self.settings.report_verbose
        log.info(
            "sync: %s read (%s mode%s)",
            "full" if full else "incremental",
            self.settings.sync_mode,
            ", dry run" if dry_run else "",
        )
        stage = SyncStage(self.store)
        stage.reset()
        try:
            return await self._run(stage, report, started, dry_run, full, allow_large_change, runs_since_full)
        finally:
            stage.close()  # the snapshots name customers: not kept past the run

    async def _run(
        self,
        stage: SyncStage,
        report: SyncReport,
        started: float,
        dry_run: bool,
        full: bool,
        allow_large_change: bool,
        runs_since_full: int,
    ) -> SyncReport:
        sync = self.store.sync
        copper_cursor = sync.cursor(CURSOR_COPPER)
        mc_cursor = sync.cursor(CURSOR_MAILCHIMP)
        copper_now: StagedSides[CopperSide] = StagedSides(
            stage, "copper", CopperSide.from_json, _stage_copper
        )
        mc_now: StagedSides[MailchimpSide] = StagedSides(stage, "mc", MailchimpSide.from_json, _stage_mc)
        in_doubt: list[tuple[str, dict[str, Any]]] = []
        in_doubt_people: list[tuple[str, dict[str, Any]]] = []
        held: set[str] = set()  # contacts whose earlier write is still of unknown fate
        if not dry_run:
            held = await resume_unknown(self.store, self.copper, self.mailchimp)
            # Superseded only when this run writes its own plan (in the apply): a run stopped before
            # leaves them for the next one, which still knows which creates went unanswered.
            in_doubt = sync.unfinished_member_creates()
            in_doubt_people = sync.unfinished_person_creates()

        # 1. Read, page by page into the stage. A cancel during a rate-limit wait interrupts it
        # (crmtui.engine.waits).
        try:
            copper_max = await self._read_copper(None if full else int(copper_cursor or 0), report, stage)
            requested_before = datetime.now(UTC).isoformat(timespec="seconds")
            requested = await self._read_requested_people(copper_now)
            mc_max = await self._read_mailchimp(None if full else mc_cursor, full, report, stage)
        except Interrupted:
            # A partial read must not be planned: absent people would look deleted.
            self.cancel.set()
            report.stopped = t("sync.stopped.read")
            report.duration = time.monotonic() - started
            return report
        log.info(
            "sync: read %d Copper people and %d Mailchimp members", report.read_copper, report.read_mailchimp
        )
        self._phase("read")

        if self.cancel.is_set():
            # A partial read must not be planned: absent people would look deleted.
            report.stopped = t("sync.stopped.read")
            report.duration = time.monotonic() - started
            return report

        if in_doubt:
            await find_in_doubt_members(
                self.store, self.mailchimp, self.opts.fields, in_doubt, mc_now, copper_now, report.warnings
            )
        if in_doubt_people:
            find_in_doubt_people(self.store, in_doubt_people, mc_now, copper_now, report.warnings)

        # 2. Plan, first pass: counted only (the circuit breaker and the progress total), nothing
        # kept; the second pass plans again chunk by chunk and applies (the planner is pure).
        scope = self._scope(stage, copper_now, mc_now, full)
        census = PlanCensus()
        for plans, _ in self._iter_plans(scope, held, None):
            census.count(plans)
        self._phase("plan")

        # 3. Guard (SQL counts and the first pass's, before anything is written).
        breaker = self._circuit_breaker(census.risky, len(mc_now), allow_large_change)
        if breaker:
            log.warning("sync: %s", breaker)
            report.stopped = breaker
            self.emit(Notice("error", breaker))
        for email in sorted(held):
            report.warnings.append(t("sync.verify.held", email=email))

        # 4. Apply (or, for a dry run or a stopped one, report what was planned), chunk by chunk.
        self._apply_done, self._apply_total = 0, census.remote
        batch: list[ContactPlan] = []
        batch_sides: dict[str, tuple[CopperSide | None, MailchimpSide | None]] = {}
        upserts = whole = 0
        first = True
        for plans, sides in self._iter_plans(scope, held, report):
            log_plan_contacts(plans)
            if not report.applied:
                for plan in plans:
                    if dry_run:
                        for op in plan.ops:
                            log.info(
                                "%s (%s): %s → planned (dry run)", plan.email, plan.name, describe_op(op)
                            )
                    report.add(ContactResult(plan))
                continue
            for plan in plans:
                batch.append(plan)
                batch_sides[plan.email] = sides[plan.email]
                upserts += sum(1 for op in plan.ops if op.kind is OpKind.MC_UPSERT)
                if upserts % MAILCHIMP_BATCH == 0:
                    whole = len(batch)  # the batch up to here holds whole Mailchimp batches
                if upserts >= APPLY_UPSERTS or len(batch) >= APPLY_PLANS:
                    # Whole Mailchimp batches (500) per apply, so chunking adds no call: the plans
                    # after the last whole batch wait for the next apply.
                    cut = whole or len(batch)
                    for result in await self._apply(batch[:cut], batch_sides, first=first):
                        report.add(result)
                    batch = batch[cut:]
                    batch_sides = {p.email: batch_sides[p.email] for p in batch}
                    upserts = sum(1 for p in batch for op in p.ops if op.kind is OpKind.MC_UPSERT)
                    whole, first = 0, False
        if batch or (first and report.applied):
            for result in await self._apply(batch, batch_sides, first=first):
                report.add(result)
        log_plan_summary(census.outcomes, census.writes, report.unchanged)
        if report.suppressed:
            report.warnings.append(t("erase.sync_suppressed", n=report.suppressed))
        self._collect_lists(report)
        report.duration = time.monotonic() - started
        if not report.applied:
            return report
        self._phase("apply")

        failed = sorted(set(report.failed_emails))
        if not self.cancel.is_set():
            with self.store.write():
                if copper_max is not None:
                    sync.set_cursor(CURSOR_COPPER, str(copper_max))
                if mc_max is not None:
                    sync.set_cursor(CURSOR_MAILCHIMP, mc_max)
                sync.set_cursor(CURSOR_RUNS_SINCE_FULL, "0" if full else str(runs_since_full + 1))
                sync.set_cursor(CURSOR_RETRY, ",".join(failed))
                if requested:
                    self.store.events.mark_copper_synced(requested, before=requested_before)
        log.info(
            "sync: %d operations, %d ok, %d errors, %d identical; cursors %s",
            report.operations_count,
            report.succeeded,
            report.failed,
            report.identical,
            "kept (cancelled)" if self.cancel.is_set() else "moved",
        )
        report.calls = {
            **_prefixed("copper", self.copper.call_counts()),
            **_prefixed("mailchimp", self.mailchimp.call_counts()),
        }
        return report

    def _phase(self, name: str) -> None:
        """A phase ended: its memory high-water mark for ``bench/scale.py`` (``on_phase``)."""
        if self.on_phase is not None:
            self.on_phase(name)

    # -- read ---------------------------------------------------------------------------------

    async def _read_copper(self, since: int | None, report: SyncReport, stage: SyncStage) -> int | None:
        newest: int | None = since
        started = int(time.time())
        count = 0
        page: list[CopperPerson] = []
        async for person in self.copper.iter_people(modified_since=since):
            count += 1
            newest = max(newest or 0, person.date_modified)
            page.append(person)
            if len(page) >= STAGE_PAGE:
                self._stage_people(stage, page, report)
                page = []
            if count % 1000 == 0:
                self._progress("read_copper", count)
                if self.cancel.is_set():
                    break
        self._stage_people(stage, page, report)
        report.read_copper = count
        # Cancelled: the count so far, not a full bar (the read did not reach the end).
        self._progress("read_copper", count, None if self.cancel.is_set() else count)
        return next_cursor(since, newest if count else None, started, self.copper.clock_offset)

    def _stage_people(self, stage: SyncStage, people: list[CopperPerson], report: SyncReport) -> None:
        """A page of people into the stage, in stream order (a person re-listed later wins)."""
        with stage.batch():
            for person in people:
                side = copper_side(person)
                if side is None:
                    # A person re-listed during the stream without a usable email now.
                    stage.drop_copper_id(person.id, None)
                    continue
                shared = stage.put_copper(side.email, side.id, side.to_json())
                if shared is not None:
                    # Two people share an address: the older record is the contact; say so.
                    keep, other = shared
                    report.warnings.append(t("sync.warn.shared", email=side.email, kept=keep, other=other))

    async def _read_mailchimp(
        self, since: str | None, full: bool, report: SyncReport, stage: SyncStage
    ) -> str | None:
        newest = since
        started = int(time.time())
        count = 0
        statuses: list[str | None] = [None]
        if full:
            statuses.append("archived")  # hidden from the plain list
        page: list[MailchimpSide] = []
        for status in statuses:
            stream = self.mailchimp.iter_members(
                since_last_changed=since, statuses=None if status is None else [status]
            )
            async for member in stream:
                count += 1
                side = mailchimp_side(member, self.settings.field_map)
                page.append(side)
                if len(page) >= STAGE_PAGE:
                    _stage_members(stage, page)
                    page = []
                if side.changed and (newest is None or side.changed > newest):
                    newest = side.changed
                if count % 1000 == 0:
                    self._progress("read_mailchimp", count)
                    if self.cancel.is_set():
                        break
        _stage_members(stage, page)
        report.read_mailchimp = count
        self._progress("read_mailchimp", count, None if self.cancel.is_set() else count)
        if newest is None or not count:
            return since
        cursor = next_cursor(
            _epoch(since) if since else None, _epoch(newest), started, self.mailchimp.clock_offset
        )
        return datetime.fromtimestamp(cursor or 0, UTC).isoformat(timespec="seconds")

    # -- plan ---------------------------------------------------------------------------------

    async def _read_requested_people(
        self, copper_now: StagedSides[CopperSide], limit: int = 500
    ) -> list[int]:
        """People Copper's webhooks named (``crmtui serve`` queues them): read each one directly.

        Copper never retries a notification and the polling sweep catches new and changed people,
        so the point here is deletions, which no incremental read can see: a person the webhook
        named who is now gone (404) makes their contact "absent from Copper", queued for a decision.
        """
        pending = list(self.store.events.pending_copper_ids())[:limit]
        if not pending:
            return []
        sync = self.store.sync
        for person_id in pending:
            if copper_now.stage.get_copper_by_id(person_id) is not None:
                continue  # read this run
            try:
                person = await self.copper.get_person(person_id)
            except NotFound:
                known = sync.email_for_copper_id(person_id)
                if known is not None:
                    self._copper_deleted.add(known)
                continue
            side = copper_side(person)
            if side is not None and side.email not in copper_now:
                copper_now[side.email] = side
        return pending

    def _circuit_breaker(self, risky: int, members: int, allow_large_change: bool) -> str:
        if allow_large_change:
            return ""
        audience = max(members, self.store.contacts.count(), 1)
        limit = self.settings.max_change_share
        if audience >= 20 and risky > limit * audience:
            return t(
                "sync.breaker",
                risky=number(risky),
                share=percent(risky / audience),
                audience=number(audience),
                limit=percent(limit, 0),
            )
        return ""

    def _collect_lists(self, report: SyncReport) -> None:
        # Streamed from SQL to the report's spools: at 1,000,000 contacts the pending list alone
        # is ~80,000 lines, which held as lists then joined was the run's peak (issue #16).
        report.pending_decisions, report.forgotten = [], []
        report.pending_count = report.forgotten_count = 0
        for email, name, tag in self.store.sync.pending_listing():
            report.add_pending(email, name, tag)
        for email, name, url in self.store.sync.forgotten_listing():
            report.add_forgotten(email, name, url)


STAGE_PAGE = 500
"""Records staged per transaction while reading."""
APPLY_UPSERTS = 2500
"""Member upserts per apply: whole Mailchimp batches of 500, so no call is added by chunking."""
APPLY_PLANS = 2500
"""Contacts' plans held at once, at most (a chunk with few upserts; see the cut in ``_run``)."""
MAILCHIMP_BATCH = 500
"""Members per batch-subscribe call (:meth:`SyncApply._apply`)."""


def _stage_copper(stage: SyncStage, email: str, side: CopperSide | None) -> None:
    stage.set_copper(email, None if side is None else side.to_json(), None if side is None else side.id)


def _stage_mc(stage: SyncStage, email: str, side: MailchimpSide | None) -> None:
    if side is None:
        stage.set_mc(email, None)
    else:
        stage.set_mc(email, side.to_json(), side.unique_id, side.hash)


def _stage_members(stage: SyncStage, page: list[MailchimpSide]) -> None:
    with stage.batch():
        for side in page:
            _stage_mc(stage, side.email, side)


CLOCK_MARGIN = 120
"""Seconds of clock difference tolerated when a service's clock is unknown (no ``Date`` header)."""
KNOWN_CLOCK_MARGIN = 3
"""Seconds of margin when the service's clock offset is known (``Date`` has one-second resolution)."""


def next_cursor(
    since: int | None, newest: int | None, started: int, clock_offset: float | None = None
) -> int | None:
    """The next "changed since" cursor (inclusive, unix seconds).

    Both APIs filter "changed at or after" a second. Keeping the newest change seen would re-read
    that second's records on every run; ``newest + 1`` would miss a change stamped in that same
    second after our read. Any change made after the read began is stamped at or after the read's
    start by the service's clock, so ``min(newest + 1, start on the service's clock - margin)`` is
    safe, and re-reads nothing in the steady state. The service's clock comes from its ``Date``
    headers; without them a wide margin covers the difference.
    """
    if newest is None:
        return since
    if clock_offset is None:
        service_start = started - CLOCK_MARGIN
    else:
        service_start = int(started + clock_offset) - KNOWN_CLOCK_MARGIN
    cursor = min(newest + 1, service_start)
    return max(cursor, since) if since is not None else cursor


def _epoch(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


def _prefixed(prefix: str, counts: dict[str, int]) -> dict[str, int]:
    return {f"{prefix} {k}": v for k, v in counts.items()}


# -- clients and the cycle step ----------------------------------------------------------------


async def run_sync(
    settings: Settings,
    store: Store,
    *,
    run_id: int = 0,
    dry_run: bool = False,
    full: bool | None = None,
    allow_large_change: bool = False,
    verbose: bool = False,
    emit: Callable[[Any], None] = lambda e: None,
    cancel: asyncio.Event | None = None,
    clients: tuple[CopperClient, MailchimpClient] | None = None,
    on_phase: Callable[[str], None] | None = None,
) -> SyncReport:
    """Run one sync and write its report file (``verbose``: list identical contacts too;
    ``on_phase``: called as each phase ends, for ``bench/scale.py``)."""
    from crmtui.engine.report import ReportWriter, write_report

    own = clients is None
    # A cycle should end before the next one is due: no 429 is waited out past one interval.
    deadline = time.monotonic() + settings.sync_interval
    copper, mailchimp = clients or make_clients(
        settings, store=store, emit=emit, deadline=deadline, cancel=cancel
    )
    try:
        if not dry_run:
            await _deliver_inbound_events(settings, store, copper, mailchimp, emit)
        engine = SyncEngine(
            settings, store, copper, mailchimp, emit=emit, cancel=cancel, run_id=run_id, on_phase=on_phase
        )
        # The report is written as the run goes (its sections spooled), never held whole.
        report = SyncReport(
            run_id, settings.sync_mode, dry_run, bool(full), datetime.now(), sink=ReportWriter()
        )
        try:
            await engine.run(
                dry_run=dry_run,
                full=full,
                allow_large_change=allow_large_change,
                verbose=verbose,
                report=report,
            )
        except BaseException:
            if isinstance(report.sink, ReportWriter):
                report.sink.close()
            raise
    finally:
        if own:
            await copper.aclose()
            await mailchimp.aclose()
    path = write_report(report, settings.report_dir)
    log.info("sync: report %s", path)
    return report


async def _deliver_inbound_events(
    settings: Settings,
    store: Store,
    copper: CopperClient,
    mailchimp: MailchimpClient,
    emit: Callable[[Any], None],
) -> None:
    """Unsubscribes, bounces and complaints received by ``crmtui serve`` reach Mailchimp and Copper.

    ``serve`` queues events and their remote effects in the store; whether or not it pushes them
    itself, every sync cycle applies what is queued, so an unsubscribe lands within one cycle.
    """
    from crmtui.engine.events_in import EventProcessor

    processor = EventProcessor(settings, store)
    processor.process_pending()
    # SNS retries a delivery for about an hour at most: a month of MessageIds is a generous guard.
    store.events.prune_sns_seen((datetime.now(UTC) - timedelta(days=30)).isoformat(timespec="seconds"))
    sent, failed = await processor.push_actions(copper, mailchimp)
    if sent or failed:
        log.info("inbound events: %d remote updates sent, %d failed (retried next cycle)", sent, failed)
        if failed:
            emit(Notice("warning", f"{failed} unsubscribe/suppression updates failed; retried next cycle"))


def _applies(settings: Settings) -> bool:
    c = settings.connectors()
    return c["copper"] and c["mailchimp"]


@register_step(STEP, _applies)
async def sync_step(ctx: StepContext) -> StepResult:
    """The cycle step: a sync, then the decisions operators recorded (headless: only if asked)."""
    report = await run_sync(
        ctx.settings,
        ctx.store,
        run_id=ctx.run_id,
        dry_run=ctx.dry_run,
        full=ctx.options.get("full"),
        allow_large_change=bool(ctx.options.get("allow_large_change")),
        verbose=bool(ctx.options.get("verbose")),
        emit=ctx.emit,
        cancel=ctx.cancel,
    )
    summary: dict[str, Any] = {
        "report_path": report.path,
        "calls": report.calls,
        "pending_decisions": report.pending_count,
    }
    if report.stopped:
        return StepResult(status="failed", detail=report.stopped, summary=summary)
    if ctx.options.get("apply_decisions") and not ctx.dry_run:
        from crmtui.engine.decisions import apply_decisions

        applied = await apply_decisions(
            ctx.settings, ctx.store, actor="cron (--apply-decisions)", emit=ctx.emit
        )
        summary["decisions_applied"] = applied.applied
        summary["decisions_failed"] = applied.failed
    status = "ok" if report.failed == 0 else "partial"
    detail = t("sync.detail", n=report.operations_count, ok=report.succeeded, errors=report.failed)
    if report.pending_count:
        detail += ", " + t("sync.detail.pending", n=report.pending_count)
    return StepResult(
        status=status,
        total=report.operations_count,
        succeeded=report.succeeded,
        failed=report.failed,
        skipped=report.unchanged + report.identical_planned,
        detail=detail,
        summary=summary,
    )
