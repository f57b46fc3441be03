"""The sync planner: a pure function from (Copper now, Mailchimp now, merge base) to operations.

No I/O here: the planner is property-tested over random states. The invariants it keeps:

- it never moves an unsubscribed, cleaned, archived or forgotten address to ``subscribed``;
- it never plans a remote write for a contact carrying a deletion tag (only a local queue entry);
- it never removes a Mailchimp tag the sync did not put there (``managed_tags``);
- applied, its result plans nothing on the next run (convergence).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from crmtui.engine.identity import (
    RESUBSCRIBE_TAG,
    find_deletion_tag,
    is_deletion_tag,
    is_inactive_tag,
    is_valid_email,
)

FIELDS = ("first_name", "last_name", "phone")
DEFAULT_MAPPING: Mapping[str, str] = {"first_name": "FNAME", "last_name": "LNAME", "phone": "PHONE"}
OPTED_OUT = frozenset({"unsubscribed", "cleaned", "archived", "forgotten"})
MISSING_FROM_COPPER_TAG = "(absent de Copper)"


class OpKind(StrEnum):
    """What an operation does."""

    MC_UPSERT = "mc_upsert"  # batch subscribe: create (new) or update merge fields / add tags
    MC_TAGS = "mc_tags"  # tags endpoint: add and remove (removals cannot go through the batch)
    MC_STATUS = "mc_status"  # reactivate an archived member with its previous status
    MC_EMAIL = "mc_email"  # the Copper person's email changed: the member follows it
    MC_INACTIVE = "mc_inactive"  # 📥 INACTIF added by hand in Copper: unsubscribe (or archive) the member
    COPPER_EMAIL = "copper_email"  # the member's address changed in Mailchimp: the person follows it
    COPPER_CREATE = "copper_create"
    COPPER_UPDATE = "copper_update"  # fields and/or the whole tag list
    QUEUE_DELETION = "queue_deletion"  # local only: ask an operator


class Direction(StrEnum):
    """Which way data flows, as the report shows it."""

    TO_MAILCHIMP = "copper_to_mailchimp"
    TO_COPPER = "mailchimp_to_copper"
    BOTH = "both"
    LOCAL = "local"


class Outcome(StrEnum):
    """What the planner concluded for a contact."""

    IDENTICAL = "identical"
    CHANGED = "changed"
    EXCLUDED_DELETION = "excluded_deletion"
    INACTIVE = "inactive"
    FORGOTTEN = "forgotten"
    INVALID_EMAIL = "invalid_email"
    SKIPPED = "skipped"  # opted out on Mailchimp only, archived...


@dataclass(frozen=True, slots=True)
class CopperSide:
    """A Copper person as the sync sees it."""

    id: int
    email: str
    fields: Mapping[str, str]
    tags: tuple[str, ...] = ()
    other_emails: tuple[str, ...] = ()
    modified: int = 0
    name: str = ""
    company: str = ""
    """The person's company name (read by templates: ``{{company}}``; never synced)."""
    custom_fields: Mapping[str, str] = field(default_factory=dict)
    """Copper custom field values by definition id, as text (``{{siret}}``; never synced)."""

    def to_json(self) -> dict[str, Any]:
        """For the store (``company`` and ``custom_fields`` only when present, so a person without
        them keeps the snapshot it always had)."""
        data: dict[str, Any] = {
            "id": self.id,
            "email": self.email,
            "fields": dict(self.fields),
            "tags": list(self.tags),
            "other_emails": list(self.other_emails),
            "modified": self.modified,
            "name": self.name,
        }
        if self.company:
            data["company"] = self.company
        if self.custom_fields:
            data["custom_fields"] = dict(self.custom_fields)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CopperSide:
        """From the store."""
        return cls(
            id=int(data["id"]),
            email=data["email"],
            fields=dict(data.get("fields") or {}),
            tags=tuple(data.get("tags") or ()),
            other_emails=tuple(data.get("other_emails") or ()),
            modified=int(data.get("modified") or 0),
            name=data.get("name") or "",
            company=data.get("company") or "",
            custom_fields=dict(data.get("custom_fields") or {}),
        )


@dataclass(frozen=True, slots=True)
class MailchimpSide:
    """A Mailchimp member as the sync sees it."""

    email: str
    status: str
    fields: Mapping[str, str]
    tags: tuple[str, ...] = ()
    unique_id: str = ""  # Mailchimp's ``unique_email_id``: the member's identity across address changes
    changed: str = ""
    hash: str = ""  # Mailchimp's ``id`` (MD5 of the address it holds, lower-cased): changes with it

    def to_json(self) -> dict[str, Any]:
        """For the store."""
        return {
            "email": self.email,
            "status": self.status,
            "fields": dict(self.fields),
            "tags": list(self.tags),
            "unique_id": self.unique_id,
            "changed": self.changed,
            "hash": self.hash,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MailchimpSide:
        """From the store."""
        return cls(
            email=data["email"],
            status=data["status"],
            fields=dict(data.get("fields") or {}),
            tags=tuple(data.get("tags") or ()),
            unique_id=data.get("unique_id") or "",
            changed=data.get("changed") or "",
            hash=data.get("hash") or "",
        )


@dataclass(frozen=True, slots=True)
class Base:
    """The merge base: the last state both sides agreed on."""

    fields: Mapping[str, str]
    managed_tags: tuple[str, ...] = ()
    status: str | None = None

    def to_json(self) -> dict[str, Any]:
        """For the store."""
        return {"fields": dict(self.fields), "managed_tags": sorted(self.managed_tags), "status": self.status}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Base | None:
        """From the store."""
        if not data:
            return None
        return cls(dict(data.get("fields") or {}), tuple(data.get("managed_tags") or ()), data.get("status"))


@dataclass(frozen=True, slots=True)
class Memory:
    """What the store remembers about a contact besides the base."""

    base: Base | None = None
    forgotten: bool = False
    decision: str | None = None  # None, "pending", "ignore", "archive", "delete"
    archived_previous_status: str | None = None  # set once an archive decision was applied
    known_in_copper: bool = False
    known_in_mailchimp: bool = False


@dataclass(frozen=True, slots=True)
class SyncOptions:
    """Planner settings."""

    policy: str = "copper-wins"
    new_member_status: str = "subscribed"
    unsubscribed_tag: str = "Désabonné Mailchimp"
    cleaned_tag: str = "Adresse invalide Mailchimp"
    fields: tuple[str, ...] = FIELDS  # the fields the mapping syncs (SYNC_FIELD_MAP)
    archive_action: str = "unsubscribe"  # SYNC_ARCHIVE_ACTION: what 📥 INACTIF does to the member

    def status_tag(self, status: str) -> str | None:
        """The Copper tag mirroring a Mailchimp status, if any."""
        return {"unsubscribed": self.unsubscribed_tag, "cleaned": self.cleaned_tag}.get(status)

    def is_special(self, tag: str) -> bool:
        """Tags that never flow to Mailchimp: deletion, inactive, resubscribe and status tags."""
        return (
            is_deletion_tag(tag)
            or is_inactive_tag(tag)
            or tag == RESUBSCRIBE_TAG
            or tag in (self.unsubscribed_tag, self.cleaned_tag)
        )


@dataclass(frozen=True, slots=True)
class Op:
    """One planned remote (or local) write."""

    kind: OpKind
    email: str
    payload: Mapping[str, Any]

    @property
    def target(self) -> str:
        """``copper``, ``mailchimp`` or ``local``."""
        if self.kind is OpKind.QUEUE_DELETION:
            return "local"
        copper_kinds = (OpKind.COPPER_CREATE, OpKind.COPPER_UPDATE, OpKind.COPPER_EMAIL)
        return "copper" if self.kind in copper_kinds else "mailchimp"


@dataclass(frozen=True, slots=True)
class Conflict:
    """A field changed on both sides, and how it was settled."""

    field: str
    copper: str
    mailchimp: str
    winner: str  # "copper" / "mailchimp"


@dataclass(slots=True)
class ContactPlan:
    """Everything planned for one contact."""

    email: str
    name: str
    outcome: Outcome
    ops: list[Op] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    new_base: Base | None = None
    direction: Direction = Direction.LOCAL
    tags_added: int = 0
    deletion_tag: str | None = None


def clean(value: Any) -> str:
    """Field values compare as NFC, trimmed strings; None is ``""``."""
    if value is None or value is False:
        return ""
    return unicodedata.normalize("NFC", str(value)).strip()


def _ts(value: str | int) -> float:
    if isinstance(value, int):
        return float(value)
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


def display_name(copper: CopperSide | None, mc: MailchimpSide | None) -> str:
    """``First LAST`` from whichever side has it."""
    for side in (copper, mc):
        if side is not None:
            name = " ".join(
                p for p in (clean(side.fields.get("first_name")), clean(side.fields.get("last_name"))) if p
            )
            if name:
                return name
    return copper.name if copper else ""


def plan_contact(
    email: str,
    copper: CopperSide | None,
    mc: MailchimpSide | None,
    memory: Memory,
    opts: SyncOptions,
) -> ContactPlan:
    """Plan the operations that bring one contact in sync. Pure.

    The plan's ``name`` is the contact's name once the plan is applied (a first name changed in
    Mailchimp shows the new one), as the report's "Nom" line gives it.
    """
    plan = _plan_contact(email, copper, mc, memory, opts)
    if plan.outcome is Outcome.CHANGED and plan.new_base is not None:
        fields = plan.new_base.fields
        before = {
            f: clean(side.fields.get(f))
            for side in (mc, copper)
            if side is not None
            for f in ("first_name", "last_name")
            if clean(side.fields.get(f))
        }
        parts = [clean(fields[f]) if f in fields else before.get(f, "") for f in ("first_name", "last_name")]
        current = " ".join(p for p in parts if p)
        if current:
            plan.name = current
    return plan


def _plan_contact(
    email: str,
    copper: CopperSide | None,
    mc: MailchimpSide | None,
    memory: Memory,
    opts: SyncOptions,
) -> ContactPlan:
    name = display_name(copper, mc)
    plan = ContactPlan(email, name, Outcome.IDENTICAL, new_base=memory.base)

    # 1. Deletion tag: excluded, queued once for a decision; never a remote write.
    if copper is not None:
        tag = find_deletion_tag(copper.tags)
        if tag is not None:
            plan.outcome = Outcome.EXCLUDED_DELETION
            plan.deletion_tag = tag
            if memory.decision is None:
                plan.ops.append(
                    Op(OpKind.QUEUE_DELETION, email, {"tag": tag, "copper_id": copper.id, "name": name})
                )
            return plan
        if any(is_inactive_tag(t) for t in copper.tags):
            plan.outcome = Outcome.INACTIVE
            # Tagged by hand (no archive decision applied): the same effect as an archive decision,
            # and the status before is remembered so that removing the tag restores it.
            leaves = mc is not None and (
                mc.status in ("subscribed", "pending")
                if opts.archive_action == "unsubscribe"
                else mc.status != "archived"
            )
            if leaves and mc is not None and memory.archived_previous_status is None:
                plan.ops.append(
                    Op(
                        OpKind.MC_INACTIVE,
                        email,
                        {"action": opts.archive_action, "previous": mc.status, "copper_id": copper.id},
                    )
                )
                plan.direction = Direction.TO_MAILCHIMP
            return plan

    # 2. Forgotten: Mailchimp refuses it forever; make sure Copper shows it needs a resubscribe.
    if memory.forgotten:
        plan.outcome = Outcome.FORGOTTEN
        if copper is not None and RESUBSCRIBE_TAG not in copper.tags:
            plan.ops.append(
                Op(OpKind.COPPER_UPDATE, email, {"id": copper.id, "tags": [*copper.tags, RESUBSCRIBE_TAG]})
            )
            plan.direction = Direction.TO_COPPER
        return plan

    if not is_valid_email(email):
        plan.outcome = Outcome.INVALID_EMAIL
        return plan

    # 3. Reactivation after an archive decision: the inactive tag is gone from Copper.
    if memory.decision == "archive" and memory.archived_previous_status and copper is not None:
        previous = memory.archived_previous_status
        status = (
            previous if previous in ("subscribed", "unsubscribed", "cleaned", "pending") else "unsubscribed"
        )
        if mc is None or mc.status != status:
            plan.ops.append(Op(OpKind.MC_STATUS, email, {"status": status, "reactivate": True}))
            plan.outcome = Outcome.CHANGED
            plan.direction = Direction.TO_MAILCHIMP
            base_fields = dict(memory.base.fields) if memory.base else dict(copper.fields)
            plan.new_base = Base(base_fields, memory.base.managed_tags if memory.base else (), status)
            return plan

    desired = tuple(
        sorted(
            {
                unicodedata.normalize("NFC", t)
                for t in (copper.tags if copper else ())
                if not opts.is_special(t)
            }
        )
    )

    # 4. Only in Copper: a new Mailchimp member, unless Copper records an opt-out.
    if copper is not None and mc is None:
        if any(t in (opts.unsubscribed_tag, opts.cleaned_tag) for t in copper.tags):
            plan.outcome = Outcome.SKIPPED
            return plan
        fields = {f: clean(copper.fields.get(f)) for f in opts.fields}
        plan.ops.append(
            Op(
                OpKind.MC_UPSERT,
                email,
                {"new": True, "status": opts.new_member_status, "fields": fields, "tags": list(desired)},
            )
        )
        plan.outcome = Outcome.CHANGED
        plan.direction = Direction.TO_MAILCHIMP
        plan.tags_added = len(desired)
        plan.new_base = Base(fields, desired, opts.new_member_status)
        return plan

    # 5. Only in Mailchimp.
    if copper is None and mc is not None:
        if memory.known_in_copper and memory.base is not None:
            # The person disappeared from Copper: never delete automatically, ask.
            if memory.decision is None:
                plan.ops.append(
                    Op(
                        OpKind.QUEUE_DELETION,
                        email,
                        {"tag": MISSING_FROM_COPPER_TAG, "copper_id": None, "name": name},
                    )
                )
            plan.outcome = Outcome.EXCLUDED_DELETION
            plan.deletion_tag = MISSING_FROM_COPPER_TAG
            return plan
        if mc.status not in ("subscribed", "pending"):
            plan.outcome = Outcome.SKIPPED
            return plan
        fields = {f: clean(mc.fields.get(f)) for f in opts.fields}
        tags = [t for t in (opts.status_tag(mc.status),) if t]
        plan.ops.append(Op(OpKind.COPPER_CREATE, email, {"fields": fields, "tags": tags}))
        plan.outcome = Outcome.CHANGED
        plan.direction = Direction.TO_COPPER
        plan.new_base = Base(fields, (), mc.status)
        return plan

    if copper is None or mc is None:  # neither side: nothing to do
        plan.outcome = Outcome.SKIPPED
        return plan

    # 6. On both sides.
    if mc.status == "archived":
        plan.outcome = Outcome.SKIPPED
        return plan
    return _plan_both(plan, copper, mc, memory, opts, desired)


def _plan_both(
    plan: ContactPlan,
    copper: CopperSide,
    mc: MailchimpSide,
    memory: Memory,
    opts: SyncOptions,
    desired: tuple[str, ...],
) -> ContactPlan:
    email = plan.email
    base = memory.base
    to_mc: dict[str, str] = {}
    to_copper: dict[str, str] = {}
    merged: dict[str, str] = {}
    for f in opts.fields:
        c, m = clean(copper.fields.get(f)), clean(mc.fields.get(f))
        b = clean(base.fields.get(f)) if base is not None else None
        if c == m:
            merged[f] = c
            continue
        if b is not None and c != b and m == b:
            winner = "copper"
        elif b is not None and m != b and c == b:
            winner = "mailchimp"
        elif b is None and (not c or not m):
            winner = "copper" if c else "mailchimp"  # first sync: fill the empty side
        else:
            if opts.policy == "newest-wins":
                winner = "copper" if _ts(copper.modified) >= _ts(mc.changed) else "mailchimp"
            else:
                winner = "copper"
            plan.conflicts.append(Conflict(f, c, m, winner))
        if winner == "copper":
            to_mc[f] = c
            merged[f] = c
        else:
            to_copper[f] = m
            merged[f] = m

    # Tags: Copper's tags flow to Mailchimp; only tags the sync manages are ever removed.
    managed = set(base.managed_tags) if base is not None else set()
    mc_tags = set(mc.tags)
    add = sorted(set(desired) - mc_tags)
    remove = sorted((managed & mc_tags) - set(desired))

    # Mailchimp status becomes a Copper tag; the tag leaves once the address is subscribed again.
    copper_tags = list(copper.tags)
    status_tag = opts.status_tag(mc.status)
    if status_tag and status_tag not in copper_tags:
        copper_tags.append(status_tag)
    if mc.status == "subscribed" and base is not None and base.status in ("unsubscribed", "cleaned"):
        # Re-subscribed through the hosted form: the opt-out tag no longer tells the truth.
        copper_tags = [t for t in copper_tags if t not in (opts.unsubscribed_tag, opts.cleaned_tag)]

    went_to_mc = bool(to_mc or add or remove)
    went_to_copper = bool(to_copper or copper_tags != list(copper.tags))
    if to_mc or (add and not remove):
        payload: dict[str, Any] = {"new": False, "status": mc.status, "fields": to_mc}
        if add and not remove:
            payload["tags"] = add
        plan.ops.append(Op(OpKind.MC_UPSERT, email, payload))
    if remove:
        plan.ops.append(Op(OpKind.MC_TAGS, email, {"add": add, "remove": remove}))
    if went_to_copper:
        update: dict[str, Any] = {"id": copper.id}
        if to_copper:
            update["fields"] = to_copper
        if copper_tags != list(copper.tags):
            update["tags"] = copper_tags
        plan.ops.append(Op(OpKind.COPPER_UPDATE, email, update))

    new_base = Base(merged, tuple(sorted(set(desired))), mc.status)
    plan.new_base = new_base
    plan.tags_added = len(add)
    if plan.ops:
        plan.outcome = Outcome.CHANGED
        plan.direction = (
            Direction.BOTH
            if went_to_mc and went_to_copper
            else Direction.TO_MAILCHIMP
            if went_to_mc
            else Direction.TO_COPPER
        )
    else:
        plan.outcome = Outcome.IDENTICAL
    return plan


def never_resubscribes(plan: ContactPlan, mc: MailchimpSide | None, memory: Memory) -> bool:
    """Invariant used by tests and by the apply phase as a last guard."""
    current = "forgotten" if memory.forgotten else (mc.status if mc else None)
    for op in plan.ops:
        status = op.payload.get("status")
        if status == "subscribed" and current in OPTED_OUT and not op.payload.get("reactivate"):
            return False
    return True


def project(
    ops: list[Op], copper: CopperSide | None, mc: MailchimpSide | None
) -> tuple[CopperSide | None, MailchimpSide | None]:
    """What both sides look like once ``ops`` succeeded (the snapshots the store keeps)."""
    from dataclasses import replace

    for op in ops:
        p = op.payload
        if op.kind is OpKind.MC_UPSERT:
            if mc is None:
                mc = MailchimpSide(op.email, p["status"], dict(p["fields"]), tuple(p.get("tags", ())))
            else:
                tags = tuple(sorted(set(mc.tags) | set(p.get("tags", ()))))
                mc = replace(mc, fields={**mc.fields, **p["fields"]}, tags=tags)
        elif op.kind is OpKind.MC_TAGS and mc is not None:
            mc = replace(mc, tags=tuple(sorted((set(mc.tags) | set(p["add"])) - set(p["remove"]))))
        elif op.kind is OpKind.MC_STATUS:
            mc = replace(mc, status=p["status"]) if mc else MailchimpSide(op.email, p["status"], {})
        elif op.kind is OpKind.MC_INACTIVE and mc is not None:
            mc = replace(mc, status="unsubscribed" if p["action"] == "unsubscribe" else "archived")
        elif op.kind is OpKind.MC_EMAIL and mc is not None:
            mc = replace(mc, email=op.email, hash="")  # the new id is the one Mailchimp answers
        elif op.kind is OpKind.COPPER_EMAIL and copper is not None:
            copper = replace(copper, email=op.email, other_emails=tuple(p["emails"][1:]))
        elif op.kind is OpKind.COPPER_CREATE:
            copper = CopperSide(int(p.get("id") or 0), op.email, dict(p["fields"]), tuple(p["tags"]))
        elif op.kind is OpKind.COPPER_UPDATE and copper is not None:
            copper = replace(
                copper,
                fields={**copper.fields, **p.get("fields", {})},
                tags=tuple(p.get("tags", copper.tags)),
            )
    return copper, mc
