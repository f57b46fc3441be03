"""One person, one record: how the sync knows a contact again after an address change.

A contact is its email key (:func:`crmtui.records.emails.email_key`), but an address can change on
either side:

- in Copper, the person keeps its id: the contact follows the id (and the member is renamed);
- in Mailchimp (an ``upemail``), the member keeps its ``unique_email_id`` while its ``id`` (the MD5
  of the address) follows the address: the contact follows the member's ids, stored from the answer
  to the write that created it (so a rename made before the sync ever read the member back is
  followed too), then the Copper person's email follows through the outbox;
- a create whose answer was lost (``kill -9`` after Mailchimp committed it) left no ids: on the next
  run it is matched with the one member nobody knows that carries exactly what was sent, or with
  the id Mailchimp's ``upemail`` webhook gave (:meth:`crmtui.store.sync.SyncRepo.note_member_id`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from crmtui.connectors.errors import ConnectorError
from crmtui.connectors.mailchimp import MailchimpClient
from crmtui.connectors.mailchimp import subscriber_hash as mailchimp_subscriber_hash
from crmtui.engine.sync_plan import ContactPlan, CopperSide, MailchimpSide, clean
from crmtui.i18n import t
from crmtui.store import Store
from crmtui.store.sync_stage import StagedSides

log = logging.getLogger("crmtui.engine.sync")


def member_columns(mc: MailchimpSide | None) -> dict[str, str | None]:
    """``contacts.mailchimp_hash``/``mailchimp_unique_id`` for a member (both None: not a member)."""
    if mc is None:
        return {"mailchimp_hash": None, "mailchimp_unique_id": None}
    return {
        "mailchimp_hash": mc.hash or mailchimp_subscriber_hash(mc.email),
        "mailchimp_unique_id": mc.unique_id or None,
    }


def known_members(
    plans: Iterable[ContactPlan], sides: Mapping[str, tuple[CopperSide | None, MailchimpSide | None]]
) -> list[tuple[str, str, str, int | None]]:
    """``(email, member id, unique_email_id, copper_id)`` of the planned contacts, as read this run.

    Stored before anything is sent, so that a run killed mid-apply leaves the next one the ids to
    follow a rename made in between, on either side.
    """
    rows: list[tuple[str, str, str, int | None]] = []
    for plan in plans:
        copper, mc = sides[plan.email]
        if mc is not None or copper is not None:
            member_hash, unique_id = (mc.hash, mc.unique_id) if mc is not None else ("", "")
            rows.append((plan.email, member_hash, unique_id, copper.id if copper else None))
    return rows


def follow_copper_email_changes(store: Store, copper_now: StagedSides[CopperSide]) -> list[tuple[str, str]]:
    """A Copper person whose email changed keeps its contact (and Mailchimp member).

    One join of the stage with the contacts (by ``copper_id``), not a dict of every known person.

    Returns:
        The renames ``(old, new)`` done in the store.
    """
    sync = store.sync
    rows = copper_now.stage.copper_renames()
    renames: list[tuple[str, str]] = []
    seen: set[str] = set()
    for email, copper_id, old in rows:
        if email in seen:
            continue  # one stored contact per person (several would be a store inconsistency)
        seen.add(email)
        log.info("copper person %d changed email: %s → %s", copper_id, old, email)
        sync.rename_contact(old, email)
        renames.append((old, email))
    return renames


def follow_mailchimp_email_changes(
    store: Store,
    mc_now: StagedSides[MailchimpSide],
    copper_now: StagedSides[CopperSide],
    copper_moves: Iterable[tuple[str, str]] = (),
) -> list[tuple[str, str]]:
    """A member whose address changed in Mailchimp keeps its contact (and its Copper person).

    A member is recognised by its ``unique_email_id`` first (it survives an address change), then
    by its ``id`` (the subscriber hash), and only then by its address. The candidates (members a
    contact knows under another address) come from one join of the stage with the contacts.

    A member still at the address its Copper person just left (``copper_moves``, this pass's
    Copper renames ``(old, new)``) has not moved: it is behind, and the plan moves it.

    Returns:
        The renames ``(old, new)`` done in the store.
    """
    sync = store.sync
    behind = set(copper_moves)  # (member's address, contact) pairs the Copper side just renamed
    candidates = mc_now.stage.member_renames()
    moved: dict[str, str] = {}  # contacts renamed in this pass: old → new
    renames: list[tuple[str, str]] = []
    for email, unique_id, found in candidates:
        old = found
        while old in moved:
            old = moved[old]
        if not old or old == email or old in mc_now or (email, old) in behind:
            continue
        person = copper_now.get(email)
        if person is not None and person.id != sync.copper_id_of(old):
            # The new address is another Copper person's: two people, never merged silently.
            log.warning("%s: member %s moved to another Copper person's address", email, unique_id)
            continue
        log.info("mailchimp member %s changed address: %s → %s", unique_id, old, email)
        sync.rename_contact(old, email)
        renames.append((old, email))
        moved[old] = email
    return renames


async def find_in_doubt_members(
    store: Store,
    mailchimp: MailchimpClient,
    fields: Iterable[str],
    in_doubt: list[tuple[str, dict[str, Any]]],
    mc_now: StagedSides[MailchimpSide],
    copper_now: StagedSides[CopperSide],
    warnings: list[str],
) -> None:
    """Member creates an interrupted run sent without hearing back: find the members they made.

    The answer carried the member's ids; without it, a member renamed in Mailchimp since (an
    ``upemail`` before any read) would look like a stranger: a second Copper person, and the old
    address created again. A create whose address Mailchimp does not hold now is matched with the
    one member, read in this run, that no contact knows, whose address is no Copper person's, and
    whose fields are the ones sent. Anything less certain is left as it is (and said in
    ``warnings``, the report's). The strangers are read from the stage only for a create that
    needs one (rare: the member was renamed before any read), never all held at once.
    """
    sync = store.sync
    synced = set(fields)
    claimed: set[str] = set()
    found: list[tuple[str, str, str, int | None]] = []
    for email, payload in in_doubt:
        if email in mc_now or sync.knows_member_of(email):
            continue  # Mailchimp holds it under this address (read now), or we know its member
        # The person it was created for, even if their email changed in Copper since.
        person = copper_now.get(email)
        if person is None:
            stored_id = sync.copper_id_of(email)
            if stored_id is not None and (data := copper_now.stage.get_copper_by_id(stored_id)):
                person = CopperSide.from_json(data)
        if person is None:
            continue
        try:
            if await mailchimp.get_member(email) is not None:
                continue  # there, unchanged: this run reads it as usual
        except ConnectorError as exc:
            warnings.append(t("sync.warn.member_check", email=email, error=str(exc)))
            continue
        sent = {f: v for f, v in (payload.get("fields") or {}).items() if f in synced}
        matches = []
        for stranger_email in mc_now.stage.strange_members():
            side = mc_now.get(stranger_email)
            if (
                side is not None
                and side.unique_id not in claimed
                and all(clean(side.fields.get(f)) == clean(v) for f, v in sent.items())
                and set(payload.get("tags") or ()) <= set(side.tags) | set(person.tags)
            ):
                matches.append(side)
        if len(matches) != 1:
            if matches:
                warnings.append(t("sync.warn.members_ambiguous", email=email, n=len(matches)))
            continue
        member = matches[0]
        claimed.add(member.unique_id)
        log.info("member created for %s by an interrupted run is now %s", email, member.email)
        found.append((email, member.hash, member.unique_id, person.id))
    if found:
        sync.record_member_ids(found)


def find_in_doubt_people(
    store: Store,
    in_doubt: list[tuple[str, dict[str, Any]]],
    mc_now: StagedSides[MailchimpSide],
    copper_now: StagedSides[CopperSide],
    warnings: list[str],
) -> None:
    """Copper creates an interrupted run sent without hearing back: find the people they made.

    Without the answer the person's id is unknown; if its email changed in Copper since, nothing
    else ties it to the contact, and the next run would create a second person. A create whose
    address no Copper person holds now is matched with the one person read in this run that no
    contact knows, whose address is no member's and no contact's, with the names sent.
    """
    sync = store.sync
    claimed: set[int] = set()
    found: list[tuple[str, str, str, int | None]] = []
    for email, payload in in_doubt:
        if email in copper_now or sync.copper_id_of(email) is not None:
            continue  # read under this address, or its person is known by id
        sent = payload.get("fields") or {}
        matches = []
        for stranger_email in copper_now.stage.strange_people():
            side = copper_now.get(stranger_email)
            if (
                side is not None
                and side.id not in claimed
                and all(clean(side.fields.get(f)) == clean(sent.get(f)) for f in ("first_name", "last_name"))
            ):
                matches.append(side)
        if len(matches) != 1:
            if matches:
                warnings.append(t("sync.warn.people_ambiguous", email=email, n=len(matches)))
            continue
        person = matches[0]
        claimed.add(person.id)
        log.info("person created for %s by an interrupted run is now %s", email, person.email)
        found.append((email, "", "", person.id))
    if found:
        sync.record_member_ids(found)
