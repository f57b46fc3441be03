"""The scenario tick: find due sends, claim each in the ledger, send, record the outcome.

For every active scenario inside its send window, a tick walks the due sequences and, for each:

1. renders the email (variant chosen from the ledger key, so a retry gets the same variant);
2. **claims** it (:meth:`ScenarioRepo.claim`: one ``BEGIN IMMEDIATE`` transaction checking
   suppressions, window and days in the scenario's time zone, the exact daily cap, the cooldown
   (every email crmtui sent the contact, in any scenario, this one's earlier steps included) and
   the recipient filters);
3. sends it through SES or SMTP, paced at the provider's rate;
4. records the outcome: ``sent`` (with the provider's id, the campaign email, the counters, the
   ``contact_history`` row and the next step, in one transaction), ``failed`` (this recipient was
   refused), ``deferred`` (throttled or quota: known not sent, claimed again later, never counted
   as a failure) or ``unknown`` (no answer after sending: never re-sent automatically).

What an answer means is the sender's business (see :mod:`crmtui.connectors.ses` and
:mod:`crmtui.connectors.smtp`): only an explicit refusal makes a row ``failed`` (this recipient)
or ``deferred``; an answer that proves nothing (a gateway's 5xx, a timeout, a reset, a truncated
body) makes it ``unknown``, and an ``unknown`` row is never claimed again: SES events (the ledger
key is a message tag) or the operator settle it.

An **account-level** refusal (unverified sender, sending paused, daily quota, login or relay
refused...) stops the tick for that sender: the send that got it is ``deferred`` (known not sent,
due again), nothing more is claimed, nobody is marked failed, and the tick reports one notice
with the fix (:func:`account_notice`). The first send of each scenario goes out alone, so such a
refusal costs one request and leaves every other recipient unclaimed.

Each scenario's ``sender`` is honoured: ``ses`` or ``smtp`` picks that one even when both are
configured; ``auto`` prefers SES.

**TEST mode** (``SYNC_MODE=test``) sends only to addresses containing ``TEST_EMAIL_FILTER``, as
the sync does. The others are *held back*: not claimed, not sent, not failed; their sequence stays
due, so they go out once ``SYNC_MODE=production``. The tick counts them (``held_back``).

At most ``concurrency`` claims are in flight at once (a claim is taken only when a send slot is
free), so a crash leaves at most that many ``unknown`` rows. A claim left ``claimed`` by a process
that died becomes ``unknown`` at the next tick.

Crash tests set ``CRMTUI_TEST_CRASH_AT`` to one of :data:`CRASH_POINTS` (and optionally
``CRMTUI_TEST_CRASH_AFTER=N`` for the N-th time): the process then kills itself with ``SIGKILL``
at that point, which is what a real ``kill -9`` does.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import signal
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import crmtui.i18n.scenarios  # noqa: F401 - registers the footer strings
from crmtui.config import Settings
from crmtui.connectors.errors import ConnectorError, OutcomeUnknown
from crmtui.connectors.smtp import (
    OutgoingEmail,
    RecipientRejected,
    Throttled,
)
from crmtui.engine import ab
from crmtui.engine.events import EventSink, StepProgressed, ignore
from crmtui.engine.senders import Sender, TickSenders
from crmtui.engine.sending_rules import (
    in_window,
    link_problem,
    local_day,
    message_id_for,
    pick_variant,
    public_base,
    recipient_problem,
    template_values,
    tracking_signer,
)
from crmtui.engine.templates import (
    KNOWN_VARIABLES,
    Template,
    TemplateProblem,
    render,
    uses_unsubscribe_link,
    with_unsubscribe_footer,
)
from crmtui.i18n import t
from crmtui.store import Store
from crmtui.store.scenarios import (
    Claim,
    ClaimRules,
    DueSend,
    Refusal,
    Scenario,
    Step,
    process_owner,
    scenario_repo,
)

# The tick, and the rules the screens import from here though they live in sending_rules.
__all__ = [
    "crash_point",
    "TickResult",
    "in_test_scope",
    "run_tick",
    "template_names",
    "uses_recommendation",
    "CRASH_POINTS",
    "STALE_CLAIM",
    "pick_variant",
    "template_values",
]

log = logging.getLogger("crmtui.engine.sending")

CRASH_POINTS = ("before_claim_commit", "after_claim", "during_send", "after_accepted", "after_sent")
"""Where ``CRMTUI_TEST_CRASH_AT`` can kill the process (in ledger order)."""

STALE_CLAIM = timedelta(minutes=15)
"""A claim older than this is ``unknown`` even if its process seems alive (sends time out long before)."""

_crash_counts: Counter[str] = Counter()
_active_ticks = 0
_ticks_lock = threading.Lock()


def crash_point(name: str) -> None:
    """Kill this process with SIGKILL when ``CRMTUI_TEST_CRASH_AT`` names this point (tests only)."""
    if os.environ.get("CRMTUI_TEST_CRASH_AT") != name:
        return
    _crash_counts[name] += 1
    if _crash_counts[name] >= int(os.environ.get("CRMTUI_TEST_CRASH_AFTER", "1")):
        os.kill(os.getpid(), signal.SIGKILL)


def _crash_timer(name: str) -> threading.Timer | None:
    """For ``during_send``: a timer that kills the process while the send is in flight."""
    if os.environ.get("CRMTUI_TEST_CRASH_AT") != name:
        return None
    _crash_counts[name] += 1
    if _crash_counts[name] < int(os.environ.get("CRMTUI_TEST_CRASH_AFTER", "1")):
        return None
    delay = float(os.environ.get("CRMTUI_TEST_CRASH_DELAY", "0.05"))
    timer = threading.Timer(delay, lambda: os.kill(os.getpid(), signal.SIGKILL))
    timer.daemon = True
    timer.start()
    return timer


# -- the tick --------------------------------------------------------------------------------------------


@dataclass
class TickResult:
    """What a tick did.

    Attributes:
        sent, failed, deferred, unknown: ledger outcomes of this tick.
        recovered: stale claims turned ``unknown`` at the start.
        refused: refusals by reason (window, cap, cooldown, suppressed, filtered...).
        throttled: throttling answers received (each retried later, never a failed recipient).
        held_back: due sends not made because TEST mode excludes the address (they stay due).
        test_filter: TEST_EMAIL_FILTER when sends were held back (for the summary line).
        scenarios: active scenarios looked at.
        errors: sender-level problems that stopped sending, one notice each (plain words, with
            the fix); an account-level refusal gives exactly one, however many scenarios use it.
        winners: automatic winners picked at the end.
        duration: seconds.
    """

    sent: int = 0
    failed: int = 0
    deferred: int = 0
    unknown: int = 0
    recovered: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    throttled: int = 0
    held_back: int = 0
    test_filter: str = ""
    scenarios: int = 0
    errors: list[str] = field(default_factory=list)
    winners: list[str] = field(default_factory=list)
    duration: float = 0.0

    @property
    def total(self) -> int:
        """Sends attempted."""
        return self.sent + self.failed + self.deferred + self.unknown


def in_test_scope(settings: Settings, address: str) -> bool:
    """Whether TEST mode lets a scenario email ``address`` (the sync's rule: it contains the filter)."""
    from crmtui.engine.sync_chunks import in_scope

    return in_scope(address, settings)


def _alive_checker() -> Callable[[str], bool]:
    me = process_owner()
    host = socket.gethostname()

    def alive(owner: str) -> bool:
        if owner == me:
            return _active_ticks > 1  # our own claims are in flight only while another tick of ours runs
        parts = owner.split(":")
        if len(parts) < 2 or parts[0] != host:
            return True  # another machine: only the age rule applies
        try:
            pid = int(parts[1])
        except ValueError:
            return False
        from crmtui.store.runs import pid_alive

        return pid_alive(pid) and pid != os.getpid()

    return alive


async def run_tick(
    settings: Settings,
    store: Store,
    *,
    sender: Sender | None = None,
    now: Callable[[], datetime] | None = None,
    emit: EventSink = ignore,
    cancel: asyncio.Event | None = None,
    concurrency: int | None = None,
    max_passes: int = 6,
    retry_pause: float = 1.0,
    scenario_names: tuple[str, ...] | None = None,
    dry_run: bool = False,
) -> TickResult:
    """Run one tick over every active scenario (or ``scenario_names``).

    Args:
        settings: configuration (EMAIL_FROM, links, sender credentials, SYNC_MODE).
        store: the open store.
        sender: the sender to use for every scenario; when None, each scenario's ``sender``
            (auto, ses, smtp) is opened from the settings (and closed).
        now: the clock (UTC); tests drive it.
        emit: event sink (progress).
        cancel: set to stop between sends (claims in flight finish first).
        concurrency: sends in flight (default: the sender's rate, between 1 and 16).
        max_passes: passes over the due sends while throttled ones wait to be retried.
        retry_pause: seconds between passes.
        scenario_names: restrict to these scenarios.
        dry_run: count what is due, claim and send nothing.
    """
    global _active_ticks
    clock = now or (lambda: datetime.now(UTC))
    cancel = cancel or asyncio.Event()
    repo = scenario_repo(store)
    result = TickResult()
    started = time.monotonic()
    with _ticks_lock:
        _active_ticks += 1
    senders = TickSenders(settings, sender)
    try:
        result.recovered = repo.recover_stale(_alive_checker(), older_than=clock() - STALE_CLAIM)
        scenarios = [
            s
            for s in repo.all(audience=False)
            if (s.status == "active" or s.status == "draft")
            and (scenario_names is None or s.name in scenario_names)
        ]
        if not scenarios:
            return result
        if dry_run:
            for s in scenarios:
                result.refused["dry_run"] += len(repo.due(s.id, clock(), limit=1_000_000))
            return result
        problem = link_problem(settings)
        if problem:
            result.errors.append(problem)
            return result
        from_addr = settings.email_from or ""
        if not from_addr:
            result.errors.append("EMAIL_FROM is not set")
            return result
        for scenario in scenarios:
            if cancel.is_set():
                break
            if not scenario.steps:
                continue
            kind = senders.kind(scenario)
            if not kind:
                message = t("sending.no_sender", scenario=scenario.name, sender=scenario.sender)
                if message not in result.errors:
                    result.errors.append(message)
                continue
            if kind in senders.blocked:
                continue
            try:
                chosen = await senders.get(kind)
            except ConnectorError as exc:  # SES refused GetAccount, or says the account may not send
                senders.block(kind, exc, errors=result.errors)
                continue
            if chosen is None:
                continue
            result.scenarios += 1
            width = concurrency or max(1, min(16, int(getattr(chosen, "concurrency", 0) or chosen.rate or 8)))
            try:
                await _run_scenario(
                    settings,
                    store,
                    scenario,
                    chosen,
                    from_addr,
                    clock,
                    emit,
                    cancel,
                    width,
                    max_passes,
                    retry_pause,
                    result,
                    functools.partial(senders.block, kind, errors=result.errors),
                )
            except _StopScenario:
                pass
            _auto_winner(store, scenario, result)
    finally:
        with _ticks_lock:
            _active_ticks -= 1
        await senders.close()
        result.duration = time.monotonic() - started
    return result


class _StopScenario(Exception):
    """Internal: nothing more of this scenario in this tick."""


async def _run_scenario(
    settings: Settings,
    store: Store,
    scenario: Scenario,
    sender: Sender,
    from_addr: str,
    clock: Callable[[], datetime],
    emit: EventSink,
    cancel: asyncio.Event,
    width: int,
    max_passes: int,
    retry_pause: float,
    result: TickResult,
    stop_sender: Callable[[ConnectorError], None],
) -> None:
    repo = scenario_repo(store)
    owner = process_owner()
    slots = asyncio.Semaphore(width)
    tasks: set[asyncio.Task[None]] = set()
    stop = asyncio.Event()
    state: dict[str, Any] = {"throttled": 0, "stop_reason": ""}
    templates = {name: Template(t.name, t.subject, t.html, t.text) for name, t in scenario.templates.items()}
    steps = {s.position: s for s in scenario.steps}
    held: set[int] = set()
    test_mode = settings.sync_mode != "production"
    probed = False
    done = 0

    async def deliver(claim: Claim, message: OutgoingEmail, subject: str, suggested: str = "") -> None:
        try:
            crash_point("after_claim")
            timer = _crash_timer("during_send")
            try:
                provider_id = await sender.send(message)
            finally:
                if timer is not None:
                    await asyncio.sleep(1)  # let the timer fire while the send is "in flight"
            crash_point("after_accepted")
            repo.mark_sent(
                scenario, claim, provider_id=provider_id, sender=sender.name, subject=subject, now=clock()
            )
            crash_point("after_sent")
            if suggested:
                from crmtui.engine.reco import record_suggestion

                # The contact_history row of this send now names the product it suggested.
                record_suggestion(
                    store,
                    f"scenario-{claim.key[:32]}",
                    suggested,
                    scenario=scenario.name,
                    variant=claim.template,
                )
            result.sent += 1
        except Throttled as exc:
            repo.mark_deferred(claim, str(exc))
            result.deferred += 1
            result.throttled += 1
            state["throttled"] += 1
        except RecipientRejected as exc:
            repo.mark_failed(scenario, claim, str(exc), now=clock())
            result.failed += 1
        except OutcomeUnknown as exc:
            # Nothing proves it was refused: held for SES events or the operator, never re-sent.
            repo.mark_unknown(claim, str(exc))
            result.unknown += 1
        except ConnectorError as exc:
            # Known not sent, for a reason about the account or the connection (unverified sender,
            # paused, quota, login, relay, unreachable): due again later, never a failed recipient.
            repo.mark_deferred(claim, str(exc))
            result.deferred += 1
            stop_sender(exc)
            stop.set()
        except Exception as exc:  # noqa: BLE001 - whatever it was, the send may have left
            log.exception("unexpected error while sending %s", claim.key)
            repo.mark_unknown(claim, f"unexpected {type(exc).__name__}: {exc}")
            result.unknown += 1
        finally:
            slots.release()

    for pass_no in range(max_passes):
        state["throttled"] = 0
        after = 0
        while not cancel.is_set() and not stop.is_set():
            now = clock()
            if not in_window(scenario, now):
                result.refused["window"] += 1
                break
            batch = repo.due(scenario.id, now, after_id=after, limit=500)
            if not batch:
                break
            for due in batch:
                after = due.sequence_id
                if cancel.is_set() or stop.is_set():
                    break
                step = steps.get(due.position)
                if step is None:
                    continue
                if test_mode and not in_test_scope(settings, due.contact):
                    # TEST mode: not claimed, not sent, not failed; the sequence stays due.
                    if due.sequence_id not in held:
                        held.add(due.sequence_id)
                        result.held_back += 1
                        result.test_filter = settings.test_email_filter
                    continue
                await slots.acquire()
                if cancel.is_set() or stop.is_set():  # stopped while this one waited for a slot
                    slots.release()
                    break
                try:
                    prepared = _prepare(settings, repo, scenario, step, due, templates, from_addr)
                except TemplateProblem as exc:
                    # Validation catches syntax and unknown names; what is left (``{% if x > 1 %}``
                    # on a text value...) stops this scenario before anything is claimed.
                    slots.release()
                    state["stop_reason"] = _problem_text(exc)
                    stop.set()
                    break
                except BaseException:
                    slots.release()
                    raise
                try:
                    now = clock()
                    rules = ClaimRules(
                        now=now,
                        local_day=local_day(scenario, now),
                        in_window=in_window(scenario, now),
                        recipient_problem=recipient_problem(scenario, due.contact),
                        owner=owner,
                    )
                    outcome = repo.claim(
                        scenario,
                        due,
                        step,
                        prepared.template,
                        prepared.variant_id,
                        prepared.key,
                        prepared.message.message_id,
                        rules,
                        before_commit=lambda: crash_point("before_claim_commit"),
                    )
                except BaseException:
                    slots.release()
                    raise
                if isinstance(outcome, Refusal):
                    slots.release()
                    result.refused[outcome.reason] += 1
                    if outcome.stop_scenario:
                        stop.set()
                        break
                    continue
                message = prepared.message
                if outcome.key != prepared.key:  # a deferred row claimed again keeps its own template
                    try:
                        prepared = _prepare(
                            settings,
                            repo,
                            scenario,
                            step,
                            due,
                            templates,
                            from_addr,
                            template=outcome.template,
                            variant_id=outcome.variant_id,
                        )
                    except TemplateProblem as exc:
                        # Claimed but not sent: back to deferred (known not sent), and stop here.
                        repo.mark_deferred(outcome, _problem_text(exc))
                        slots.release()
                        result.deferred += 1
                        state["stop_reason"] = _problem_text(exc)
                        stop.set()
                        break
                    message = prepared.message
                _record_links(store, message.message_id, prepared.links)
                task = asyncio.create_task(deliver(outcome, message, prepared.subject, prepared.suggested))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                done += 1
                if not probed:
                    # The first send goes alone: an account-level refusal then costs one request
                    # and leaves every other recipient unclaimed.
                    probed = True
                    await task
                if done % 100 == 0:
                    emit(StepProgressed("scenarios", done, None, scenario.name))
        if tasks:
            await asyncio.gather(*list(tasks))
        if state["stop_reason"]:  # this scenario's own problem (a template that cannot render)
            result.errors.append(f"{scenario.name}: {state['stop_reason']}")
            return
        if not state["throttled"] or cancel.is_set() or stop.is_set():
            return
        # Throttled sends are deferred (known not sent): pause, then another pass picks them up.
        await asyncio.sleep(retry_pause * (pass_no + 1))


@dataclass(frozen=True)
class _Prepared:
    key: str
    template: str
    variant_id: int | None
    subject: str
    message: OutgoingEmail
    links: list[str] = field(default_factory=list)
    suggested: str = ""  # the recommended product key the message carries, if any


def _prepare(
    settings: Settings,
    repo: Any,
    scenario: Scenario,
    step: Step,
    due: DueSend,
    templates: dict[str, Template],
    from_addr: str,
    *,
    template: str | None = None,
    variant_id: int | None = None,
) -> _Prepared:
    if template is None:
        template, variant_id = pick_variant(scenario, step, due.contact)
    key = ab.ledger_key(scenario.id, step.id, due.contact, template)
    message_id = message_id_for(key, from_addr)
    tpl = templates.get(template) or Template(template, scenario.name, "", "")
    values = template_values(settings, scenario, due.contact, repo.contact_values(due.contact))
    signer = tracking_signer(settings)
    base = public_base(settings)
    from crmtui.engine.tracking import unsubscribe_url

    values["unsubscribe_link"] = unsubscribe_url(base, signer, message_id, due.contact)
    suggested = ""
    if uses_recommendation(tpl):
        from crmtui.engine.reco import recommendation_variables
        from crmtui.engine.reco_model import reco_config

        reco = recommendation_variables(repo.store, due.contact, reco_config(settings))
        suggested = reco.pop("recommended_product_key", "")
        values.update(reco)
    rendered = render(tpl, values, known=template_names(repo))
    if scenario.include_unsubscribe and not uses_unsubscribe_link(tpl):
        rendered = with_unsubscribe_footer(rendered, str(values["unsubscribe_link"]))
    body_html, links = rendered.html, []
    if signer is not None and body_html:
        from crmtui.engine.tracking import track_html

        tracked = track_html(body_html, message_id=message_id, signer=signer, base_url=base)
        body_html, links = tracked.html, list(tracked.links)
    message = OutgoingEmail(
        key=key,
        message_id=message_id,
        from_addr=from_addr,
        to=due.contact,
        subject=rendered.subject,
        html=body_html,
        text=rendered.text,
        unsubscribe_url=str(values["unsubscribe_link"]) if scenario.include_unsubscribe else "",
        tags={"ledger_key": key, "scenario": str(scenario.id), "step": str(step.id)},
    )
    return _Prepared(key, template, variant_id, rendered.subject, message, links, suggested)


def template_names(repo: Any) -> frozenset[str]:
    """Variables that render as "" for a contact without a value: the base ones and every contact
    field (validation has refused any other name already)."""
    names: set[str] = repo.contact_field_names()
    return KNOWN_VARIABLES | names


def uses_recommendation(template: Template) -> bool:
    """Whether a template names any recommendation variable (they cost a query per send)."""
    from crmtui.engine.templates import RECOMMENDATION_VARIABLES, variables

    names = {*variables(template.subject), *variables(template.html), *variables(template.text)}
    return bool(names & RECOMMENDATION_VARIABLES)


def _problem_text(problem: TemplateProblem) -> str:
    from crmtui.engine.scenarios import problem_text

    return problem_text(problem)


def _record_links(store: Store, message_id: str, links: list[str]) -> None:
    """Record tracked links before sending (the click endpoint redirects only to these)."""
    if not links:
        return
    store.events.record_links(message_id, links)


def _auto_winner(store: Store, scenario: Scenario, result: TickResult) -> None:
    policy = scenario.auto_winner
    if not policy.enabled:
        return
    repo = scenario_repo(store)
    fresh = repo.get(scenario.id, audience=False)
    if fresh is None:
        return
    for step in fresh.steps:
        if len(step.variants) < 2 or step.winner_variant_id is not None:
            continue
        stats = [ab.VariantStats.of(v.id, v.name, v.sent, v.opened, v.clicked) for v in step.variants]
        winner = ab.pick_winner(stats, metric=policy.metric, min_sends=policy.min_sends, alpha=policy.alpha)
        if winner is None:
            continue
        verdict = ab.compare(stats, policy.metric, policy.alpha)
        detail = (
            f"{winner.name}: {policy.metric} {winner.successes(policy.metric)}/{winner.sent} vs "
            f"{verdict.runner_up.name if verdict.runner_up else '-'}; z={verdict.z:.2f} p={verdict.p_value:.4f} "
            f"< {policy.alpha}"
        )
        repo.set_winner(step.id, winner.variant_id, actor="auto-winner", detail=detail)
        result.winners.append(f"{scenario.name} › {step.name}: {detail}")
