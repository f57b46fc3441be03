"""Inbound events: the processor that applies queued events to the store (parsing SES records,
Mailchimp webhook forms and Copper notifications is :mod:`crmtui.engine.events_parse`).

``crmtui serve`` only verifies and queues (Mailchimp wants an answer within 10 seconds, SNS
retries slow endpoints); :class:`EventProcessor` then applies the queue:

- **SES** ``Send``/``Delivery``/``Open``/``Click``/``Bounce``/``Complaint``/``Reject``/
  ``DeliveryDelay``/``Subscription`` records (``eventType`` or ``notificationType``) update
  ``campaign_emails``, per-variant counts and ``contact_history``; an ``unknown`` ledger row is
  settled by any event carrying its key (an SES email tag whose value is the ledger key, or our
  ``Message-ID`` header);
- **opens and clicks** (SES or our pixel/redirect) are flagged as machine or human
  (:func:`crmtui.engine.tracking.machine_reason`) and all logged in ``email_event_log``; a
  scenario that excludes machine opens (the default) neither counts them nor lets them trigger
  anything. A counted open/click goes through the scenarios repository's
  ``record_engagement`` (counters once per email, then the ``opened``/``clicked`` child step
  after its delay); ``not_opened`` steps are scheduled by the scenarios engine when the parent is
  sent and skipped at claim time when ``campaign_emails.opened_at`` is set, which only a counted
  (human) open sets;
- **hard bounces and complaints** suppress the address everywhere, stop its sequences, and queue
  a Copper tag and a Mailchimp unsubscribe; a complaint rate above 0.1 % over a scenario's last
  1,000 sends pauses it and records why;
- **unsubscribes** (our link, Mailchimp's webhook, SES subscription events) stop every sequence
  and queue Mailchimp ``unsubscribed`` (unless Mailchimp told us) and the Copper
  ``SYNC_UNSUBSCRIBED_TAG``;
- **Copper** notifications queue a targeted sync of their ids (the polling sweep stays).

Remote writes go through the ``event_actions`` outbox first; :meth:`EventProcessor.push_actions`
sends them (``crmtui serve`` runs it in its background loop; the sync step may too). So an
unsubscribe reaches Mailchimp and Copper within one loop, and at worst within the next cycle.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import crmtui.i18n.events  # noqa: F401 - registers the events.* keys
from crmtui.config import Settings
from crmtui.connectors.errors import ConnectorError, NotFound
from crmtui.engine.events_parse import SesEvent, _str, parse_copper, parse_mailchimp, parse_ses_record
from crmtui.engine.tracking import machine_reason
from crmtui.i18n import t
from crmtui.records.emails import email_key
from crmtui.store.events import EventsRepo, InboundEvent, SentEmail

if TYPE_CHECKING:
    from crmtui.connectors.copper import CopperClient
    from crmtui.connectors.mailchimp import MailchimpClient
    from crmtui.store.db import Store

log = logging.getLogger("crmtui.engine.events_in")

COMPLAINT_THRESHOLD = 0.001
"""Pause a scenario whose complaint rate goes above 0.1 % (Gmail's bulk-sender limit)."""

COMPLAINT_WINDOW = 1000
"""Over its last 1,000 sends."""


# -- the processor ---------------------------------------------------------------------------------


@dataclass
class ProcessStats:
    """What one :meth:`EventProcessor.process_pending` pass did."""

    done: int = 0
    ignored: int = 0
    failed: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, what: str) -> None:
        """Count one effect."""
        self.counts[what] = self.counts.get(what, 0) + 1


def _parse_time(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds")


class EventProcessor:
    """Applies queued events to the store and pushes the resulting remote writes.

    Args:
        settings: for the Copper tag names.
        store: the open store.
        clock: returns now (tests move it).
    """

    def __init__(
        self, settings: Settings, store: Store, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.settings = settings
        self.store = store
        self.events = EventsRepo(store)
        self.clock = clock
        self.scenarios = store.scenarios

    # -- the queue ------------------------------------------------------------------------------

    def process_pending(self, limit: int = 1000) -> ProcessStats:
        """Apply queued events, oldest first."""
        stats = ProcessStats()
        while True:
            batch = self.events.pending(min(limit, 500))
            if not batch:
                break
            for event in batch:
                try:
                    with self.store.write():
                        # Inside the write lock: another processor (serve's loop, a sync cycle)
                        # may have applied it since the batch was read.
                        if not self.events.is_pending(event.id):
                            continue
                        outcome = self.apply(event, stats)
                        self.events.finish(event.id, outcome)
                except Exception as exc:  # noqa: BLE001 - one bad event must not block the queue
                    log.exception("event %d (%s/%s) failed", event.id, event.source, event.kind)
                    self.events.finish(event.id, "failed", f"{type(exc).__name__}: {exc}")
                    stats.failed += 1
                    continue
                if outcome == "done":
                    stats.done += 1
                else:
                    stats.ignored += 1
            limit -= len(batch)
            if limit <= 0:
                break
        return stats

    def apply(self, event: InboundEvent, stats: ProcessStats | None = None) -> str:
        """Apply one queued event; returns ``done`` or ``ignored``."""
        stats = stats or ProcessStats()
        if event.source == "ses":
            return self._ses(event.payload, stats)
        if event.source == "tracking":
            return self._tracking(event.payload, stats)
        if event.source == "mailchimp":
            return self._mailchimp(event.payload, stats)
        if event.source == "copper":
            return self._copper(event.payload, stats)
        return "ignored"

    # -- SES ------------------------------------------------------------------------------------

    def _find_email(self, ses: SesEvent) -> SentEmail | None:
        found = self.events.email_by_provider_id(ses.provider_id) if ses.provider_id else None
        if found is None and ses.header_message_id:
            found = self.events.email(ses.header_message_id)
        if found is None:
            for key in ses.ledger_keys:
                found = self.events.email_by_ledger_key(key)
                if found:
                    break
        return found

    def _settle(self, ses: SesEvent) -> SentEmail | None:
        keys = list(ses.ledger_keys)
        if not keys and ses.header_message_id:
            row = self.events.ledger_row(message_id=ses.header_message_id)
            if row:
                keys.append(row["key"])
        at = ses.at or _iso(self.clock())
        for key in keys:
            if ses.kind == "reject":
                if self.events.settle_failed(key, ses.provider_id, "rejected by SES"):
                    log.info("ledger %s settled as failed by an SES Reject", key[:12])
                continue
            settled = self._settle_sent(key, ses.provider_id, at)
            if settled:
                log.info("ledger %s settled as sent by an SES %s event", key[:12], ses.kind)
                return settled
        return None

    def _settle_sent(self, key: str, provider_id: str, at: str) -> SentEmail | None:
        # The scenarios repo records the send exactly as its sender would have (campaign email,
        # counters, history) and moves the held sequence on.
        if not self.scenarios.resolve_unknown(
            key, "sent", actor="provider", provider_id=provider_id, now=_parse_time(at) or self.clock()
        ):
            return None
        return self.events.email_by_ledger_key(key)

    def _ses(self, payload: dict[str, Any], stats: ProcessStats) -> str:
        ses = parse_ses_record(payload)
        email = self._find_email(ses)
        if ses.kind in (
            "send",
            "delivery",
            "bounce",
            "complaint",
            "open",
            "click",
            "reject",
            "delivery_delay",
        ):
            settled = self._settle(ses)
            if settled is not None:
                stats.add("settled")
                email = email or settled
        if email is not None and ses.provider_id and not email.provider_id:
            self.events.set_provider_id(email.message_id, ses.provider_id)
        at = ses.at or _iso(self.clock())
        contact = email.contact if email else (ses.recipients[0] if ses.recipients else "")
        if not contact:
            return "ignored"
        stats.add(ses.kind)
        if ses.kind == "send":
            self.events.log_event(contact=contact, kind="send", source="ses", at=at, email=email)
        elif ses.kind == "delivery":
            self.events.log_event(contact=contact, kind="delivery", source="ses", at=at, email=email)
            if email:
                self.events.set_status(email.message_id, "delivered", only_from=("sent",))
        elif ses.kind == "open":
            self.record_open(email, contact, at, ses.user_agent, ses.ip, source="ses")
        elif ses.kind == "click":
            self.record_click(email, contact, at, ses.user_agent, ses.ip, link=ses.link, source="ses")
        elif ses.kind == "bounce":
            for address in ses.recipients or [contact]:
                self._bounce(email if address == contact else None, address, ses, at)
        elif ses.kind == "complaint":
            for address in ses.recipients or [contact]:
                self._complaint(email if address == contact else None, address, ses, at)
        elif ses.kind == "reject":
            self.events.log_event(contact=contact, kind="reject", source="ses", at=at, email=email)
            if email:
                self.events.set_status(email.message_id, "rejected", only_from=("sent",))
        elif ses.kind == "delivery_delay":
            self.events.log_event(
                contact=contact,
                kind="delivery_delay",
                source="ses",
                at=at,
                email=email,
                subtype=_str(ses.detail.get("delayType")),
            )
        elif ses.kind == "subscription":
            if ses.unsubscribe_all:
                self.unsubscribe(contact, source="ses", email=email, at=at)
        else:
            return "ignored"
        return "done"

    def _bounce(self, email: SentEmail | None, address: str, ses: SesEvent, at: str) -> None:
        detail = {"subtype": ses.bounce_subtype}
        self.events.log_event(
            contact=address,
            kind="bounce",
            source="ses",
            at=at,
            email=email,
            subtype=ses.bounce_type,
            detail=detail,
        )
        if ses.bounce_type != "Permanent":
            return  # Transient / Undetermined: SES retried or gave up softly; no suppression
        if email:
            self.events.set_status(email.message_id, "bounced")
        self.events.add_history(email, address, "bounced", at, ses.bounce_subtype)
        self._suppress_everywhere(address, "bounce", "ses", self.settings.cleaned_tag)

    def _complaint(self, email: SentEmail | None, address: str, ses: SesEvent, at: str) -> None:
        self.events.log_event(
            contact=address,
            kind="complaint",
            source="ses",
            at=at,
            email=email,
            subtype=_str(ses.detail.get("complaintFeedbackType")),
        )
        if email:
            self.events.set_status(email.message_id, "complained")
        self.events.add_history(email, address, "complained", at)
        self._suppress_everywhere(address, "complaint", "ses", self.settings.unsubscribed_tag)
        if email:
            self._check_complaint_rate(email.scenario_id)

    def _suppress_everywhere(self, address: str, reason: str, source: str, copper_tag: str) -> None:
        self.events.suppress(address, reason, source)
        self.events.stop_sequences(address, "stopped", reason)
        self.events.queue_action(address, "mailchimp", "unsubscribe", reason)
        if copper_tag:
            self.events.queue_action(address, "copper", "tag", reason, {"tag": copper_tag})

    def _check_complaint_rate(self, scenario_id: int) -> None:
        complaints, sends = self.events.complaint_window(scenario_id, COMPLAINT_WINDOW)
        if sends and complaints / sends > COMPLAINT_THRESHOLD:
            reason = t(
                "events.paused_complaints",
                rate=f"{complaints / sends:.2%}",
                complaints=complaints,
                sends=sends,
                limit=f"{COMPLAINT_THRESHOLD:.1%}",
            )
            if self.events.pause_scenario(scenario_id, reason, self.scenarios):
                log.warning("scenario %d paused: %s", scenario_id, reason)

    # -- opens, clicks, unsubscribes ------------------------------------------------------------

    def _seconds_after_delivery(self, email: SentEmail | None, at: str) -> float | None:
        if email is None:
            return None
        base = _parse_time(self.events.delivered_at(email.message_id) or email.sent_at)
        when = _parse_time(at)
        if base is None or when is None:
            return None
        return (when - base).total_seconds()

    def record_open(
        self, email: SentEmail | None, contact: str, at: str, user_agent: str, ip: str, *, source: str
    ) -> bool:
        """Record an open; count it and fire ``opened`` steps when it is human (or allowed)."""
        return self._record_engagement("open", email, contact, at, user_agent, ip, source=source)

    def record_click(
        self,
        email: SentEmail | None,
        contact: str,
        at: str,
        user_agent: str,
        ip: str,
        *,
        link: str = "",
        source: str,
    ) -> bool:
        """Record a click; count it and fire ``clicked`` steps when it is human (or allowed)."""
        return self._record_engagement("click", email, contact, at, user_agent, ip, source=source, link=link)

    def _record_engagement(
        self,
        kind: str,
        email: SentEmail | None,
        contact: str,
        at: str,
        user_agent: str,
        ip: str,
        *,
        source: str,
        link: str = "",
    ) -> bool:
        reason = machine_reason(user_agent, ip, self._seconds_after_delivery(email, at))
        detail: dict[str, str] = {"user_agent": user_agent[:300], "ip": ip}
        if kind == "click":
            detail["link"] = link[:2000]
        self.events.log_event(
            contact=contact,
            kind=kind,
            source=source,
            at=at,
            email=email,
            machine=bool(reason),
            subtype=reason,
            detail=detail,
        )
        if email is None or (reason and self.events.exclude_machine_opens(email.scenario_id)):
            return False
        engaged = "opened" if kind == "open" else "clicked"
        first = self._engage(email, engaged, at)
        if first:
            self.events.add_history(email, contact, engaged, at, link[:500])
        return first

    def _engage(self, email: SentEmail, kind: str, at: str) -> bool:
        """Count a human open/click once and schedule its ``opened``/``clicked`` child step."""
        first = (email.opened_at if kind == "opened" else email.clicked_at) is None
        self.scenarios.record_engagement(email.message_id, kind, now=_parse_time(at) or self.clock())
        return first

    def unsubscribe(self, address: str, *, source: str, email: SentEmail | None = None, at: str = "") -> bool:
        """Unsubscribe an address everywhere (idempotent); False when it already was.

        Local effects are immediate (suppression, every sequence stopped); Mailchimp and Copper
        are written through the ``event_actions`` outbox.
        """
        address = email_key(address)
        at = at or _iso(self.clock())
        with self.store.write():
            new = self.events.suppress(address, "unsubscribe", source)
            self.events.stop_sequences(address, "unsubscribed", f"unsubscribe ({source})")
            if source != "mailchimp":
                self.events.queue_action(address, "mailchimp", "unsubscribe", "unsubscribe")
            if self.settings.unsubscribed_tag:
                self.events.queue_action(
                    address, "copper", "tag", "unsubscribe", {"tag": self.settings.unsubscribed_tag}
                )
            if new:
                self.events.log_event(contact=address, kind="unsubscribe", source=source, at=at, email=email)
                self.events.add_history(email, address, "unsubscribed", at, source)
        return new

    def _tracking(self, payload: dict[str, Any], stats: ProcessStats) -> str:
        kind = _str(payload.get("kind"))
        email = self.events.email(_str(payload.get("message_id")))
        at = _str(payload.get("at")) or _iso(self.clock())
        ua, ip = _str(payload.get("user_agent")), _str(payload.get("ip"))
        contact = email.contact if email else _str(payload.get("email"))
        if not contact:
            return "ignored"
        stats.add(kind)
        if kind == "open":
            self.record_open(email, contact, at, ua, ip, source="pixel")
        elif kind == "click":
            self.record_click(email, contact, at, ua, ip, link=_str(payload.get("link")), source="redirect")
        elif kind == "unsubscribe":
            self.unsubscribe(contact, source="link", email=email, at=at)
        else:
            return "ignored"
        return "done"

    # -- Mailchimp and Copper ---------------------------------------------------------------------

    def _mailchimp(self, payload: dict[str, Any], stats: ProcessStats) -> str:
        event = parse_mailchimp(payload)
        stats.add("mailchimp_" + event.type)
        if event.type == "unsubscribe":
            self.unsubscribe(event.email, source="mailchimp")
            return "done"
        if event.type == "cleaned":
            reason = "complaint" if event.reason == "abuse" else "bounce"
            tag = self.settings.unsubscribed_tag if reason == "complaint" else self.settings.cleaned_tag
            with self.store.write():
                self.events.suppress(event.email, reason, "mailchimp")
                self.events.stop_sequences(event.email, "stopped", f"{reason} (mailchimp cleaned)")
                if tag:
                    self.events.queue_action(event.email, "copper", "tag", reason, {"tag": tag})
            return "done"
        if event.type == "upemail" and event.old_email and event.new_id:
            # The sync reads the renamed member since its cursor; the member's id from the webhook
            # lets it follow even a member it never heard back about (a create whose answer was lost).
            noted = self.store.sync.note_member_id(event.old_email, event.new_id)
            return "done" if noted else "ignored"
        # subscribe / profile: the sync reads Mailchimp's changes since its cursor; a re-subscribe
        # never lifts a suppression by itself (an operator does).
        return "ignored"

    def _copper(self, payload: dict[str, Any], stats: ProcessStats) -> str:
        note = parse_copper(payload)
        if note.type not in ("person", ""):
            return "ignored"
        self.events.request_copper_sync(note.ids, note.event)
        stats.add("copper_" + note.event)
        return "done"

    # -- remote writes ------------------------------------------------------------------------------

    async def push_actions(
        self, copper: CopperClient | None, mailchimp: MailchimpClient | None, limit: int = 200
    ) -> tuple[int, int]:
        """Send pending outbox rows (Mailchimp unsubscribes, Copper tags); returns (sent, failed).

        A missing member or person is ``skipped`` (nothing to update); a connector error is
        ``failed`` and retried on the next pass (up to five attempts).
        """
        sent = failed = 0
        for action in self.events.pending_actions(limit):
            try:
                if action.target == "mailchimp" and action.action == "unsubscribe":
                    if mailchimp is None:
                        continue
                    state = await self._mc_unsubscribe(mailchimp, action.email)
                elif action.target == "copper" and action.action == "tag":
                    if copper is None:
                        continue
                    state = await self._copper_tag(copper, action.email, str(action.payload.get("tag") or ""))
                else:
                    state = "skipped"
            except ConnectorError as exc:
                self.events.mark_action(action.id, "failed", str(exc))
                failed += 1
                continue
            self.events.mark_action(action.id, state)
            sent += state == "sent"
        return sent, failed

    @staticmethod
    async def _mc_unsubscribe(mailchimp: MailchimpClient, address: str) -> str:
        member = await mailchimp.get_member(address)
        if member is None:
            return "skipped"
        if member.status in ("unsubscribed", "cleaned", "archived"):
            return "sent"
        try:
            await mailchimp.patch_member(address, status="unsubscribed")
        except NotFound:
            return "skipped"
        return "sent"

    async def _copper_tag(self, copper: CopperClient, address: str, tag: str) -> str:
        if not tag:
            return "skipped"
        person_id = self.events.copper_id(address)
        person = None
        if person_id is not None:
            try:
                person = await copper.get_person(person_id)
            except NotFound:
                person = None
        if person is None:
            person = await copper.fetch_by_email(address)
        if person is None:
            return "skipped"
        if tag in person.tags:
            return "sent"
        await copper.update_person(person.id, tags=[*person.tags, tag])
        return "sent"
