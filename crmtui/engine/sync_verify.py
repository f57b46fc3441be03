"""Writes whose fate is unknown: checked against the service before anything is sent again.

A write that is not safe to repeat (:mod:`crmtui.connectors.writes`: a Copper person create, a
Mailchimp address change) may have been applied even though the answer says otherwise: a gateway's
502/503/504, a timeout or a reset after the request left, a truncated body. The connector raises
:class:`OutcomeUnknown` instead of sending it again, and this module settles it:

1. **Store first**: the outbox op is marked ``unknown`` before anything else is tried, so a process
   killed now leaves a row the next run checks.
2. **Check, then retry**: the service is read (Copper: ``POST /people/search`` with ``emails``;
   Mailchimp: the member at the new address and at the old one). Found: the write happened, its
   record is adopted (the op is ``sent``). Proved absent: it did not happen and it is sent again,
   in the same run, up to :data:`ATTEMPTS` times. The check itself failing leaves the op
   ``unknown``.
3. **Next run, check first**: :func:`resume_unknown` runs before the plan. Each ``unknown`` op is
   checked again: done → ``sent``; proved not done → ``superseded`` (the plan, read from live
   state, writes it again); still unreadable → the contact is held out of this run's plan
   (:meth:`crmtui.engine.sync.SyncEngine._iter_plans`), so nothing is re-sent while its fate is unknown.

Nothing is lost: a write is only ever dropped when the service shows it landed.

Limit: a gateway that timed out may still be forwarding the request when the check reads (the
check waits :data:`CHECK_PAUSE` first). For a Copper create that race cannot make a second person:
Copper refuses an address already in use (422, "Contact emails must be unique",
https://developer.copper.com/people/bulk-create-people.html), and that refusal is answered by
adopting the person found by the same search.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from crmtui.connectors.copper import CopperClient, CopperPerson
from crmtui.connectors.errors import ConnectorError, DuplicateRecord, OutcomeUnknown
from crmtui.connectors.mailchimp import MailchimpClient, MailchimpMember
from crmtui.engine.sync_plan import OpKind
from crmtui.records.emails import email_key
from crmtui.store import Store

log = logging.getLogger("crmtui.engine.sync")

ATTEMPTS = 3
"""Sends of one non-idempotent write in a run, each after a check proved the previous did not land."""

CHECK_PAUSE = 0.5
"""Seconds before the check: a gateway that timed out may still be forwarding the request."""

MarkUnknown = Callable[[str], None]
T = TypeVar("T")


async def find_person(copper: CopperClient, email: str) -> CopperPerson | None:
    """The Copper person holding ``email`` (the oldest, if several do), or None.

    ``POST /people/search`` with ``emails`` ("Emails of the People to search for",
    https://developer.copper.com/people/list-people-search.html), then an exact match on the key.
    """
    key = email_key(email)
    page, _ = await copper.search_people(emails=[email.strip()], sort_by="date_created")
    holders = [p for p in page if key in {email_key(e) for e in p.emails}]
    return min(holders, key=lambda p: p.id) if holders else None


async def create_person_checked(
    copper: CopperClient,
    email: str,
    name: str,
    body: dict[str, Any],
    mark_unknown: MarkUnknown,
    *,
    pause: float = CHECK_PAUSE,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> CopperPerson:
    """Create the person, or adopt the one an earlier, unanswered create made.

    Raises:
        OutcomeUnknown: still unknown after :data:`ATTEMPTS` sends, or the check could not be read
            (the op stays ``unknown``; the next run checks first).
        ConnectorError: any refusal of the create.
    """
    last: OutcomeUnknown | None = None
    for _ in range(ATTEMPTS):
        try:
            return await copper.create_person(name=name, **body)
        except DuplicateRecord:
            # Created by an earlier, interrupted run (or by a colleague): use it.
            found = await find_person(copper, email)
            if found is None:
                raise
            return found
        except OutcomeUnknown as exc:
            last = exc
            mark_unknown(str(exc))
            await sleep(pause)
            found = await _checked(find_person(copper, email), exc)
            if found is not None:
                log.info("%s: the unanswered create did land (Copper person %d): adopted", email, found.id)
                return found
            log.info("%s: the unanswered create did not land: created again", email)
    assert last is not None
    raise last


async def move_member_checked(
    mailchimp: MailchimpClient,
    old: str,
    new: str,
    mark_unknown: MarkUnknown,
    *,
    pause: float = CHECK_PAUSE,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> MailchimpMember:
    """Change the member's address from ``old`` to ``new``, checking after an unanswered attempt.

    Raises:
        OutcomeUnknown: still unknown after :data:`ATTEMPTS` sends, or the check could not be read.
        ConnectorError: any refusal of the change.
    """
    last: OutcomeUnknown | None = None
    for _ in range(ATTEMPTS):
        try:
            return await mailchimp.patch_member(old, email_address=new)
        except OutcomeUnknown as exc:
            last = exc
            mark_unknown(str(exc))
            await sleep(pause)
            moved = await _checked(mailchimp.get_member(new), exc)
            if moved is not None:
                return moved
            if await _checked(mailchimp.get_member(old), exc) is None:
                raise  # neither address: someone else changed it; the next run reads again
    assert last is not None
    raise last


async def _checked(check: Awaitable[T], unknown: OutcomeUnknown) -> T:
    """The check's answer; a check that fails keeps the write unknown (never a blind re-send)."""
    try:
        return await check
    except ConnectorError as exc:
        log.warning("cannot check an unanswered write (%s): it stays unknown", exc)
        raise unknown from exc


async def resume_unknown(store: Store, copper: CopperClient, mailchimp: MailchimpClient) -> set[str]:
    """Check every ``unknown`` outbox op before the run plans anything.

    Returns:
        The contacts whose write is still unknown (the check failed): held out of this run.
    """
    sync = store.sync
    held: set[str] = set()
    settled: list[tuple[int, str, Any, str | None]] = []
    for op in sync.unknown_ops():
        try:
            if op.action == OpKind.COPPER_CREATE.value:
                person = await find_person(copper, op.email)
                if person is not None:
                    settled.append((op.id, "sent", {"id": person.id, "adopted": True}, None))
                else:
                    settled.append((op.id, "superseded", None, "checked: not created; planned again"))
            elif op.action == OpKind.MC_EMAIL.value:
                moved = await mailchimp.get_member(op.email)
                if moved is not None:
                    result = {"id": moved.hash, "unique_email_id": moved.unique_email_id, "adopted": True}
                    settled.append((op.id, "sent", result, None))
                else:
                    settled.append((op.id, "superseded", None, "checked: address not changed; planned again"))
            else:
                # An idempotent write never ends unknown; an older row is planned again from live state.
                settled.append((op.id, "superseded", None, "planned again from live state"))
        except ConnectorError as exc:
            log.warning("%s: %s still unknown, held out of this run: %s", op.email, op.action, exc)
            held.add(op.email)
    if settled:
        sync.mark_ops(settled)
        log.info("sync: %d writes of unknown fate checked before planning", len(settled))
    return held
