"""Reply detection: a contact who answers a scenario email leaves that scenario (``stop_on_reply``).

:func:`poll_replies` reads the configured IMAP folder (``IMAP_HOST``, ``IMAP_USER``,
``IMAP_PASSWORD``, ``IMAP_FOLDER``) from a stored UID cursor on, headers only, and for each new
message:

1. takes the Message-IDs it answers (``In-Reply-To`` first, then ``References`` newest first)
   and looks them up in ``campaign_emails``: our own Message-IDs (stored without ``<>``: what
   the SMTP path sends) and, for an id of the form ``<MessageId@REGION.amazonses.com>``, SES's
   MessageId (``provider_id``). SES overrides any Message-ID it is given with that form (AWS's
   "Amazon SES header fields" page), so a reply to an SES-sent email names only SES's id;
2. skips machine mail that answers us (out-of-office with ``Auto-Submitted``/``X-Autoreply``/
   ``Precedence: auto_reply``, delivery and read reports): it is counted, never acted on;
3. for each (scenario, contact) answered, records one ``contact_history`` row (``EMAIL``,
   status ``replied``) and, when the scenario has ``stop_on_reply``, stops that contact's
   sequence in that scenario (the next steps never send; other scenarios are untouched);
4. counts the messages that answer none of our emails.

The effects of a batch and the cursor (``cursors`` row ``imap.uid.<folder>``, value
``<UIDVALIDITY>:<last UID>``) are committed in one transaction. Everything is idempotent: a
sequence only stops while it runs and the history row is keyed by our Message-ID, so reading the
same UIDs again (a lost cursor, a folder whose UIDVALIDITY changed) changes nothing.

The scenarios cycle step calls :func:`poll_before_tick` first, so a reply that arrived since the
last cycle stops the sequence before its next step is claimed; an IMAP failure becomes a Notice
and sending goes on.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

import crmtui.i18n.replies  # noqa: F401 - registers the replies strings
from crmtui.config import Settings
from crmtui.connectors.errors import ConnectorError
from crmtui.connectors.imap import ImapClient, MailHeaders
from crmtui.connectors.ses_ids import provider_id_of
from crmtui.engine.cycle import StepContext
from crmtui.engine.events import Notice
from crmtui.i18n import t
from crmtui.store import Store
from crmtui.store.events import SentEmail
from crmtui.store.replies import reply_repo
from crmtui.store.scenarios import Scenario, scenario_repo

log = logging.getLogger("crmtui.engine.replies")

REPLIED = "replied"
"""``contact_history.status`` of a reply."""

BATCH = 200
"""UIDs fetched and committed together."""


def cursor_name(folder: str) -> str:
    """The ``cursors`` row of a folder."""
    return f"imap.uid.{folder}"


def parse_cursor(value: str | None) -> tuple[int, int]:
    """``(uidvalidity, last uid)`` of a stored cursor; ``(0, 0)`` when absent or unreadable."""
    if not value:
        return 0, 0
    validity, _, uid = value.partition(":")
    try:
        return int(validity), int(uid)
    except ValueError:
        return 0, 0


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine (where a clear-text IMAP session stays local)."""
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def imap_client(settings: Settings, *, timeout: float = 30.0) -> ImapClient:
    """An :class:`ImapClient` for the configured mailbox."""
    return ImapClient(
        settings.imap_host,
        settings.imap_port,
        username=settings.imap_user,
        password=settings.imap_password,
        use_tls=settings.imap_ssl,
        timeout=timeout,
    )


@dataclass
class RepliesResult:
    """What one poll found and did.

    Attributes:
        folder: the folder read.
        read: new messages read.
        matched: messages answering one of our emails (people, not machines).
        stopped: sequences stopped (or that would stop, in a dry run).
        kept: answered (scenario, contact) pairs left running: the scenario has no stop_on_reply,
            or the sequence had already ended.
        automatic: machine messages answering our emails (out-of-office, reports), ignored.
        unmatched: messages answering none of our emails.
        cursor: the last UID read (the stored cursor after this poll).
        reset: the folder's UIDVALIDITY changed, so it was read from the start.
        stops: ``(scenario name, contact)`` of every sequence stopped.
        warnings: things the operator should read (a clear-text session).
        dry_run: nothing was written.
    """

    folder: str = ""
    read: int = 0
    matched: int = 0
    stopped: int = 0
    kept: int = 0
    automatic: int = 0
    unmatched: int = 0
    cursor: int = 0
    reset: bool = False
    stops: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False


class _Poll:
    """The store side of one poll (lookups cached for its duration)."""

    def __init__(self, store: Store, result: RepliesResult, *, dry_run: bool) -> None:
        self.store = store
        self.result = result
        self.dry_run = dry_run
        self.scenarios = scenario_repo(store)
        self.replies = reply_repo(store)
        self._scenario: dict[int, Scenario | None] = {}

    def scenario(self, scenario_id: int) -> Scenario | None:
        if scenario_id not in self._scenario:
            self._scenario[scenario_id] = self.scenarios.get(scenario_id)
        return self._scenario[scenario_id]

    def answered(self, mail: MailHeaders) -> list[SentEmail]:
        """Our emails ``mail`` answers, one per (scenario, contact), the most direct first."""
        found: dict[tuple[int, str], SentEmail] = {}
        for mid in mail.referenced_ids():
            sent = self.store.events.email(mid)
            if sent is None and (provider_id := provider_id_of(mid)):
                sent = self.store.events.email_by_provider_id(provider_id)
            if sent is not None:
                found.setdefault((sent.scenario_id, sent.contact), sent)
        return list(found.values())

    def apply(self, mail: MailHeaders, now: datetime) -> None:
        result = self.result
        result.read += 1
        answered = self.answered(mail)
        if not answered:
            result.unmatched += 1
            return
        if mail.automatic:
            result.automatic += 1
            log.info("uid %s answers our email but is automatic (%s): ignored", mail.uid, mail.automatic)
            return
        result.matched += 1
        at = (mail.date or now).astimezone(UTC).isoformat(timespec="seconds")
        for sent in answered:
            scenario = self.scenario(sent.scenario_id)
            stop = scenario is not None and scenario.stop_on_reply
            name = scenario.name if scenario is not None else str(sent.scenario_id)
            detail = f"uid {mail.uid} from {mail.from_addr or '?'}"
            if self.dry_run:
                stopped = stop and self.replies.sequence_running(sent.scenario_id, sent.contact)
            else:
                self.store.events.add_history(sent, sent.contact, REPLIED, at, detail=mail.from_addr)
                stopped = stop and self.replies.stop_sequence(sent.scenario_id, sent.contact, detail=detail)
            if stopped:
                result.stopped += 1
                result.stops.append((name, sent.contact))
            else:
                result.kept += 1


async def poll_replies(
    settings: Settings,
    store: Store,
    *,
    client: ImapClient | None = None,
    dry_run: bool = False,
    batch: int = BATCH,
    now: datetime | None = None,
    cancel: asyncio.Event | None = None,
) -> RepliesResult:
    """Read new messages of the IMAP folder and apply the replies to our emails.

    Args:
        settings: the IMAP settings (``settings.connectors()["imap"]`` should be true).
        store: the store.
        client: an unconnected client (default: from ``settings``).
        dry_run: read and match, but write nothing (the cursor stays).
        batch: UIDs per fetch and per transaction.
        now: the time used when a reply has no readable ``Date``.
        cancel: set it to stop between batches (what was applied stays, with its cursor).

    Raises:
        AuthError: the login was refused.
        NetworkError: the server cannot be reached (TimedOut when it does not answer).
        NotFound: the folder does not exist.
    """
    folder = settings.imap_folder or "INBOX"
    result = RepliesResult(folder=folder, dry_run=dry_run)
    if not settings.imap_ssl and not is_loopback(settings.imap_host):
        result.warnings.append(t("replies.plain", host=settings.imap_host))
    name = cursor_name(folder)
    stored = store.sync.cursor(name)
    validity, last = parse_cursor(stored)
    poll = _Poll(store, result, dry_run=dry_run)
    imap = client or imap_client(settings)
    async with imap:
        box = await imap.select(folder)
        if validity and box.uidvalidity != validity:
            log.warning(
                "IMAP folder %s: UIDVALIDITY %s -> %s, reading it again", folder, validity, box.uidvalidity
            )
            result.reset = True
            last = 0
        result.cursor = last
        uids = await imap.uids_after(last)
        batch = max(1, batch)
        for start in range(0, len(uids), batch):
            if cancel is not None and cancel.is_set():
                break
            chunk = uids[start : start + batch]
            mails = await imap.headers(chunk)
            moment = now or datetime.now(UTC)
            if dry_run:
                for mail in mails:
                    poll.apply(mail, moment)
            else:
                with store.write():
                    for mail in mails:
                        poll.apply(mail, moment)
                    store.sync.set_cursor(name, f"{box.uidvalidity}:{chunk[-1]}")
            result.cursor = chunk[-1]
        current = f"{box.uidvalidity}:{result.cursor}"
        if not dry_run and stored != current:
            store.sync.set_cursor(name, current)  # the folder's UIDVALIDITY, even with nothing new
    return result


def summary(result: RepliesResult) -> str:
    """One line for the step's notices."""
    if result.dry_run:
        return t("replies.dry_run", stopped=result.stopped)
    return t(
        "replies.summary",
        folder=result.folder,
        read=result.read,
        matched=result.matched,
        stopped=result.stopped,
        automatic=result.automatic,
    )


async def poll_before_tick(ctx: StepContext) -> RepliesResult | None:
    """Poll replies at the start of the scenarios step; never fails the step.

    Does nothing unless the IMAP connector is configured. An IMAP error (wrong password, server
    down) or an unexpected one becomes one Notice and the tick goes on.
    """
    if not ctx.settings.connectors()["imap"]:
        return None
    try:
        result = await poll_replies(ctx.settings, ctx.store, dry_run=ctx.dry_run, cancel=ctx.cancel)
    except ConnectorError as exc:
        log.warning("reply detection: %s", exc)
        ctx.emit(Notice("error", t("replies.error", error=str(exc))))
        return None
    except Exception as exc:  # a bug here must not stop the sends
        log.exception("reply detection failed")
        ctx.emit(Notice("error", t("replies.bug", error=type(exc).__name__)))
        return None
    for warning in result.warnings:
        ctx.emit(Notice("warning", warning))
    if result.reset:
        ctx.emit(Notice("info", t("replies.reset", folder=result.folder)))
    if result.read:
        ctx.emit(Notice("info", summary(result)))
    return result
