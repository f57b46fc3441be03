"""Applying operator decisions on contacts flagged for deletion.

- **archive**: in Copper the deletion tag is replaced by ``📥 INACTIF``; in Mailchimp the member
  is unsubscribed (the default, the document's "désabonnement automatique"), or archived with
  ``SYNC_ARCHIVE_ACTION=archive``. The
  member's status before is kept, so removing ``📥 INACTIF`` later restores it.
- **delete**: the full Copper person and Mailchimp member are written to ``tombstones`` first; then
  the Copper person is deleted and the member is permanently deleted.
- **ignore**: nothing remote; the contact stays excluded.

A decision is recorded (``decided``) before anything is written remotely and marked ``applied``
after, so an interruption simply repeats it: every step here is safe to repeat.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from crmtui.config import Settings
from crmtui.connectors.copper import CopperClient
from crmtui.connectors.errors import ConnectorError, NotFound
from crmtui.connectors.mailchimp import MailchimpClient
from crmtui.engine.events import StepProgressed
from crmtui.engine.identity import INACTIVE_TAG, is_deletion_tag
from crmtui.store import Store
from crmtui.store.sync import Decision

log = logging.getLogger("crmtui.engine.decisions")


@dataclass
class DecisionsOutcome:
    """What applying decisions did."""

    applied: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


async def apply_decisions(
    settings: Settings,
    store: Store,
    *,
    actor: str,
    emails: Iterable[str] | None = None,
    emit: Callable[[Any], None] = lambda e: None,
    clients: tuple[CopperClient, MailchimpClient] | None = None,
) -> DecisionsOutcome:
    """Apply every recorded archive/delete decision not yet applied (or only ``emails``)."""
    from crmtui.engine.sync_clients import make_clients

    wanted = set(emails) if emails is not None else None
    todo = [
        d
        for d in store.sync.decisions(("decided", "failed"))
        if d.decision in ("archive", "delete") and (wanted is None or d.email in wanted)
    ]
    outcome = DecisionsOutcome()
    if not todo:
        return outcome
    own = clients is None
    copper, mailchimp = clients or make_clients(settings, store=store, emit=emit)
    try:
        for i, decision in enumerate(todo, 1):
            try:
                if decision.decision == "archive":
                    await _archive(settings, store, copper, mailchimp, decision)
                else:
                    await _delete(settings, store, copper, mailchimp, decision)
            except ConnectorError as exc:
                store.sync.mark_decision(decision.email, "failed", error=str(exc))
                outcome.failed += 1
                outcome.errors.append(f"{decision.email}: {exc}")
                log.error("decision %s on %s failed: %s", decision.decision, decision.email, exc)
            else:
                outcome.applied += 1
                store.audit.record(actor, f"decision.{decision.decision}.applied", decision.email)
            emit(StepProgressed("decisions", i, len(todo), decision.email))
    finally:
        if own:
            await copper.aclose()
            await mailchimp.aclose()
    return outcome


async def _copper_person_id(copper: CopperClient, decision: Decision) -> int | None:
    if decision.copper_id:
        return decision.copper_id
    person = await copper.fetch_by_email(decision.email)
    return person.id if person else None


async def _archive(
    settings: Settings, store: Store, copper: CopperClient, mailchimp: MailchimpClient, decision: Decision
) -> None:
    person_id = await _copper_person_id(copper, decision)
    person = None
    tags: list[str] = []
    if person_id is not None:
        try:
            person = await copper.get_person(person_id)
        except NotFound:
            person = None
        if person is not None:
            tags = [t for t in person.tags if not is_deletion_tag(t)]
            if INACTIVE_TAG not in tags:
                tags.append(INACTIVE_TAG)
            if tags != person.tags:
                await copper.update_person(person_id, tags=tags)
    member = await mailchimp.get_member(decision.email)
    previous = decision.previous_status
    if member is not None:
        if member.status != "archived" and not (
            settings.archive_action == "unsubscribe" and member.status == "unsubscribed"
        ):
            previous = previous or member.status
        if settings.archive_action == "unsubscribe":
            if member.status in ("subscribed", "pending"):
                await mailchimp.patch_member(decision.email, status="unsubscribed")
        elif member.status != "archived":
            try:
                await mailchimp.archive_member(decision.email)
            except NotFound:
                pass
    store.sync.mark_decision(decision.email, "applied", previous_status=previous or "unsubscribed")
    _refresh_snapshots(
        store,
        decision.email,
        copper_tags=tags if person_id is not None and person else None,
        mc_status="unsubscribed" if settings.archive_action == "unsubscribe" else "archived",
    )


def _refresh_snapshots(store: Store, email: str, *, copper_tags: list[str] | None, mc_status: str) -> None:
    """Keep the sync's snapshots true after a decision, so an incremental run plans from reality."""
    row = store.sync.contacts_by_email([email]).get(email)
    if row is None:
        return
    update: dict[str, Any] = {"email": email}
    if row.mc_state:
        update["mc_state"] = {**row.mc_state, "status": mc_status}
        update["mailchimp_status"] = mc_status
    if row.copper_state and copper_tags is not None:
        update["copper_state"] = {**row.copper_state, "tags": copper_tags}
    store.sync.save_contacts([update])


async def _delete(
    settings: Settings, store: Store, copper: CopperClient, mailchimp: MailchimpClient, decision: Decision
) -> None:
    from crmtui.engine.erase import suppress_deleted

    # Suppressed first: from now on nothing emails nor re-creates them, whatever happens next.
    suppress_deleted(settings, store, decision.email)
    kept = {t["source"] for t in store.sync.tombstones(decision.email)}
    person_id = await _copper_person_id(copper, decision)
    person = None
    if person_id is not None:
        try:
            person = await copper.get_person(person_id)
        except NotFound:
            person = None
    member = await mailchimp.get_member(decision.email)
    # Tombstones first: nothing is deleted before its full record is kept.
    if person is not None and "copper" not in kept:
        store.sync.tombstone(
            decision.email, "copper", person.raw, f"decision delete by {decision.decided_by}"
        )
    if member is not None and "mailchimp" not in kept:
        store.sync.tombstone(
            decision.email, "mailchimp", member.raw, f"decision delete by {decision.decided_by}"
        )
    if person is not None:
        await copper.delete_person(person.id)
    if member is not None:
        try:
            await mailchimp.delete_permanent(decision.email)
        except NotFound:
            pass
    store.sync.mark_decision(decision.email, "applied")
    store.sync.forget_contact(decision.email)
