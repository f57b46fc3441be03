"""The sync's apply: planned writes through the outbox, in batches, each result recorded.

Mixed into :class:`crmtui.engine.sync.SyncEngine` (which reads and plans): ops are written to
``sync_ops`` first, then executed (email changes first, then Mailchimp batch subscribe 500 a call,
then one call per remaining change within each client's own limits), each batch's outcome marked
in the same transaction as the member ids Mailchimp answered. A cancel leaves the ops not started
pending; an answer of unknown fate marks the op ``unknown`` before it is checked
(:mod:`crmtui.engine.sync_verify`). Forgotten addresses get their resubscribe link and the Copper
tag in the same run. The new merge base is saved only for contacts whose ops all succeeded.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from crmtui.config import Settings
from crmtui.connectors.copper import CopperClient
from crmtui.connectors.errors import (
    ComplianceState,
    ConnectorError,
    ForgottenEmail,
    Interrupted,
    NotFound,
    OutcomeUnknown,
)
from crmtui.connectors.mailchimp import MailchimpClient, MailchimpMember, MemberInput
from crmtui.engine.events import StepProgressed
from crmtui.engine.identity import RESUBSCRIBE_TAG
from crmtui.engine.sync_identity import known_members, member_columns
from crmtui.engine.sync_log import describe_op
from crmtui.engine.sync_plan import ContactPlan, CopperSide, MailchimpSide, Op, OpKind, Outcome, project
from crmtui.engine.sync_types import ContactResult
from crmtui.engine.sync_verify import create_person_checked, move_member_checked
from crmtui.store import Store

log = logging.getLogger("crmtui.engine.sync")

STEP = "sync"

SINGLE_WORKERS = 24
"""Single-record writes in flight at once (above the clients' own caps, so they set the pace)."""


class SyncApply:
    """The apply half of a sync run (the attributes are set by :class:`~crmtui.engine.sync.SyncEngine`)."""

    settings: Settings
    store: Store
    copper: CopperClient
    mailchimp: MailchimpClient
    emit: Callable[[Any], None]
    cancel: asyncio.Event
    run_id: int
    _list_url: str | None
    _mc_ids: dict[str, tuple[str, str]]
    _op_ids: dict[int, int]
    _apply_done: int
    _apply_total: int

    def _progress(self, phase: str, done: int, total: int | None = None, detail: str = "") -> None:
        self.emit(StepProgressed(f"{STEP}:{phase}", done, total, detail))

    # -- apply --------------------------------------------------------------------------------

    async def _apply(
        self,
        plans: list[ContactPlan],
        sides: dict[str, tuple[CopperSide | None, MailchimpSide | None]],
        *,
        first: bool = True,
    ) -> list[ContactResult]:
        """Apply one chunk of the run's plans (``first``: the run's first chunk, which supersedes
        what an interrupted run left pending). Everything it holds is the chunk's."""
        sync = self.store.sync
        results = {p.email: ContactResult(p) for p in plans}
        # Local: the deletion queue.
        for plan in plans:
            for op in plan.ops:
                if op.kind is OpKind.QUEUE_DELETION:
                    log.info("%s (%s): %s → queued", plan.email, plan.name, describe_op(op))
                    copper, mc = sides[plan.email]
                    sync.queue_deletion(
                        plan.email,
                        copper_id=op.payload.get("copper_id"),
                        name=plan.name,
                        tag=op.payload["tag"],
                        run_id=self.run_id or None,
                        copper_state=copper.to_json() if copper else None,
                        mc_state=mc.to_json() if mc else None,
                    )
        # Remote: through the outbox.
        remote = [(plan, op) for plan in plans for op in plan.ops if op.target != "local"]
        with self.store.write():
            superseded = sync.supersede_unfinished() if first else 0
            if superseded:
                log.info(
                    "%d operations left by an interrupted run are re-planned from live state", superseded
                )
            ids = sync.add_ops(
                self.run_id, ((op.email, op.target, op.kind.value, dict(op.payload)) for _, op in remote)
            )
            # The members this run read are known by their ids before anything is sent (those with
            # nothing to write too): a run killed mid-apply leaves the next one able to follow a
            # member renamed in between.
            sync.record_member_ids(known_members(plans, sides))
        op_ids = {id(op): op_id for (_, op), op_id in zip(remote, ids, strict=True)}
        self._op_ids = op_ids
        self._mc_ids = {}
        created_ids: dict[str, int] = {}

        executed: set[int] = set()
        op_states: dict[int, str] = {}

        async def record(batch: list[tuple[Op, str, Any, str | None]]) -> None:
            executed.update(id(op) for op, *_ in batch)
            op_states.update((id(op), state) for op, state, *_ in batch)
            ids = []
            for op, state, _, _ in batch:
                if state == "sent" and op.email in self._mc_ids:
                    copper = sides[op.email][0]
                    ids.append((op.email, *self._mc_ids[op.email], copper.id if copper else None))
            with self.store.write():
                sync.mark_ops((op_ids[id(op)], state, result, error) for op, state, result, error in batch)
                # The member's identity is kept from the write's answer on, before anything else can
                # fail: an address changed in Mailchimp before we read the member back is still ours.
                sync.record_member_ids(ids)
            for op, state, _, error in batch:
                name = results[op.email].plan.name
                if state == "sent":
                    log.info("%s (%s): %s → ok", op.email, name, describe_op(op))
                else:
                    log.warning("%s (%s): %s → %s: %s", op.email, name, describe_op(op), state, error or "")
                if state not in ("sent", "forgotten"):
                    results[op.email].ok = False
                    results[op.email].errors.append(error or state)
            # Ops a cancel held back (still pending) are not done: the bar stops where the run did.
            self._apply_done += sum(1 for _, state, _, _ in batch if state != "pending")
            self._progress("apply", self._apply_done, max(self._apply_total, self._apply_done))

        # Email changes first: the member must carry its new address before it is updated.
        moves = [op for _, op in remote if op.kind in (OpKind.MC_EMAIL, OpKind.COPPER_EMAIL)]
        if moves and not self.cancel.is_set():
            outcomes = await asyncio.gather(*(self._single(op, created_ids) for op in moves))
            await record([(op, *outcome) for op, outcome in zip(moves, outcomes, strict=True)])
        # Mailchimp batch subscribe, 500 a call.
        upserts = [op for _, op in remote if op.kind is OpKind.MC_UPSERT]
        for start in range(0, len(upserts), 500):
            if self.cancel.is_set():
                break
            await record(await self._mc_batch(upserts[start : start + 500], results))
        # One call per remaining change, concurrently within each client's own limits.
        singles = [
            op for _, op in remote if op.kind not in (OpKind.MC_UPSERT, OpKind.MC_EMAIL, OpKind.COPPER_EMAIL)
        ]
        for start in range(0, len(singles), 200):
            if self.cancel.is_set():
                break
            chunk = singles[start : start + 200]
            outcomes = await self._singles(chunk, created_ids)
            await record([(op, *outcome) for op, outcome in zip(chunk, outcomes, strict=True)])

        # Forgotten addresses found now: tag the Copper person in the same run.
        for res in results.values():
            if res.forgotten_now and not self.cancel.is_set():
                await self._tag_forgotten(res, sides)

        # Cancelled part-way: contacts with an op never sent keep their old merge base, so the next
        # run plans them again (their outbox rows stay pending and are superseded by that plan).
        for _, op in remote:
            if id(op) not in executed:
                results[op.email].ok = False
                if "cancelled" not in results[op.email].errors:
                    results[op.email].errors.append("cancelled")
        self._save_contacts(plans, sides, results, created_ids, op_states)
        self._mc_ids = {}
        return list(results.values())

    async def _mc_batch(
        self, ops: list[Op], results: dict[str, ContactResult]
    ) -> list[tuple[Op, str, Any, str | None]]:
        inputs = []
        for op in ops:
            p = op.payload
            mapping = self.settings.field_map
            merge = {
                mapping[f]: v for f, v in p["fields"].items() if f in mapping and (v or not p.get("new"))
            }
            inputs.append(
                MemberInput(
                    op.email, status=p["status"], merge_fields=merge or None, tags=p.get("tags") or None
                )
            )
        try:
            answer = await self.mailchimp.batch_subscribe(inputs, update_existing=True, sync_tags=False)
        except Interrupted:
            # Cancelled while waiting to send the batch: not sent, the rows stay pending.
            return [(op, "pending", None, "cancelled") for op in ops]
        except ConnectorError as exc:
            return [(op, "failed", None, str(exc)) for op in ops]
        out: list[tuple[Op, str, Any, str | None]] = []
        for op, item in zip(ops, answer.items, strict=True):
            if item.ok:
                result: dict[str, Any] = {"outcome": item.outcome}
                if item.member is not None:
                    self._remember_member(op.email, item.member)
                    result.update(id=item.member.hash, unique_email_id=item.member.unique_email_id)
                out.append((op, "sent", result, None))
            elif item.error_kind == "forgotten":
                await self._record_forgotten(op.email, results[op.email])
                out.append((op, "forgotten", None, "forgotten"))
            else:
                out.append((op, "failed", None, item.message or (item.error_kind or "error")))
        return out

    def _remember_member(self, email: str, member: MailchimpMember) -> None:
        """Keep the ids Mailchimp answered for ``email``'s member (stored with the op's result)."""
        if member.hash or member.unique_email_id:
            self._mc_ids[email] = (member.hash, member.unique_email_id)

    async def _singles(
        self, ops: list[Op], created_ids: dict[str, int], workers: int = SINGLE_WORKERS
    ) -> list[tuple[str, Any, str | None]]:
        """Run ``ops`` with at most ``workers`` at a time, each started only if no cancel came.

        The clients cap their own concurrency (Copper 8, Mailchimp 10); starting a whole chunk at
        once would queue 200 requests behind those caps, all already past any cancel check. With a
        pool, a cancel leaves the ops not started pending (never sent) and the run stops once the
        few in flight have answered.
        """
        outcomes: list[tuple[str, Any, str | None]] = [("pending", None, "cancelled")] * len(ops)
        queue = iter(enumerate(ops))

        async def worker() -> None:
            for i, op in queue:
                if self.cancel.is_set():
                    return  # the rest stay pending ("cancelled")
                outcomes[i] = await self._single(op, created_ids)

        await asyncio.gather(*(worker() for _ in range(min(workers, len(ops)))))
        return outcomes

    async def _single(self, op: Op, created_ids: dict[str, int]) -> tuple[str, Any, str | None]:
        p = op.payload
        try:
            if op.kind is OpKind.MC_EMAIL:
                member = await move_member_checked(self.mailchimp, p["old"], op.email, self._unknown(op))
                self._remember_member(op.email, member)
            elif op.kind is OpKind.MC_TAGS:
                await self.mailchimp.update_tags(op.email, add=p["add"], remove=p["remove"], is_syncing=True)
            elif op.kind is OpKind.MC_STATUS:
                try:
                    member = await self.mailchimp.upsert_member(
                        op.email, status_if_new=p["status"], status=p["status"]
                    )
                    self._remember_member(op.email, member)
                except ComplianceState:
                    if not (p.get("reactivate") and p["status"] == "subscribed"):
                        raise
                    # Archived by unsubscribing: Mailchimp never re-subscribes an unsubscribed
                    # address directly; "pending" sends its confirmation email (consent kept).
                    member = await self.mailchimp.upsert_member(
                        op.email, status_if_new="pending", status="pending"
                    )
                    self._remember_member(op.email, member)
                    return "sent", {"status": "pending"}, None
            elif op.kind is OpKind.MC_INACTIVE:
                if p["action"] == "unsubscribe":
                    await self.mailchimp.patch_member(op.email, status="unsubscribed")
                else:
                    await self.mailchimp.archive_member(op.email)
            elif op.kind is OpKind.COPPER_CREATE:
                fields = p["fields"]
                name = (
                    " ".join(v for v in (fields.get("first_name"), fields.get("last_name")) if v) or op.email
                )
                body: dict[str, Any] = {
                    "first_name": fields.get("first_name") or None,
                    "last_name": fields.get("last_name") or None,
                    "emails": [{"email": op.email, "category": "work"}],
                    "tags": list(p["tags"]),
                }
                if fields.get("phone"):
                    body["phone_numbers"] = [{"number": fields["phone"], "category": "mobile"}]
                person = await create_person_checked(self.copper, op.email, name, body, self._unknown(op))
                created_ids[op.email] = person.id
                return "sent", {"id": person.id}, None
            elif op.kind is OpKind.COPPER_EMAIL:
                await self.copper.update_person(
                    int(p["id"]), emails=[{"email": e, "category": "work"} for e in p["emails"]]
                )
            elif op.kind is OpKind.COPPER_UPDATE:
                update: dict[str, Any] = {}
                fields = p.get("fields") or {}
                for f in ("first_name", "last_name"):
                    if f in fields:
                        update[f] = fields[f] or None
                if "phone" in fields:
                    update["phone_numbers"] = (
                        [{"number": fields["phone"], "category": "mobile"}] if fields["phone"] else []
                    )
                if "tags" in p:
                    update["tags"] = list(p["tags"])
                await self.copper.update_person(int(p["id"]), **update)
            return "sent", None, None
        except ForgottenEmail as exc:
            return "forgotten", None, str(exc)
        except Interrupted:
            # Cancelled while waiting for the rate limit: never sent, the row stays pending and the
            # next run plans it again from live state.
            return "pending", None, "cancelled"
        except OutcomeUnknown as exc:
            return "unknown", None, str(exc)  # checked before anything is re-sent (sync_verify)
        except NotFound as exc:
            return "failed", None, str(exc)
        except ConnectorError as exc:
            return "failed", None, str(exc)

    def _unknown(self, op: Op) -> Callable[[str], None]:
        """Store first: mark ``op`` unknown before its fate is checked (see :mod:`sync_verify`)."""
        return lambda error: self.store.sync.mark_ops([(self._op_ids[id(op)], "unknown", None, error)])

    async def _record_forgotten(self, email: str, result: ContactResult) -> None:
        url = await self._resubscribe_url(email)
        copper_id = None
        for op in result.plan.ops:
            copper_id = op.payload.get("copper_id") or copper_id
        self.store.sync.record_forgotten(
            email, copper_id=copper_id, name=result.plan.name, url=url, run_id=self.run_id or None
        )
        result.resubscribe_url = url
        result.forgotten_now = True

    async def _resubscribe_url(self, email: str) -> str:
        if self._list_url is None:
            try:
                self._list_url = (await self.mailchimp.get_list()).subscribe_url_long
            except ConnectorError as exc:
                log.warning("cannot read the list's signup form: %s", exc)
                self._list_url = ""
        if not self._list_url:
            return ""
        from urllib.parse import quote

        sep = "&" if "?" in self._list_url else "?"
        return f"{self._list_url}{sep}EMAIL={quote(email)}"

    async def _tag_forgotten(
        self, res: ContactResult, sides: dict[str, tuple[CopperSide | None, MailchimpSide | None]]
    ) -> None:
        copper, _ = sides.get(res.plan.email, (None, None))
        if copper is None or RESUBSCRIBE_TAG in copper.tags:
            return
        tags = [*copper.tags, RESUBSCRIBE_TAG]
        [op_id] = self.store.sync.add_ops(
            self.run_id,
            [(res.plan.email, "copper", OpKind.COPPER_UPDATE.value, {"id": copper.id, "tags": tags})],
        )
        try:
            await self.copper.update_person(copper.id, tags=tags)
        except Interrupted:
            return  # not sent: the row stays pending, the next run tags the person
        except ConnectorError as exc:
            self.store.sync.mark_ops([(op_id, "failed", None, str(exc))])
            return
        self.store.sync.mark_ops([(op_id, "sent", None, None)])
        self.store.sync.mark_forgotten_tagged(res.plan.email)
        sides[res.plan.email] = (
            CopperSide(copper.id, copper.email, copper.fields, tuple(tags), copper.other_emails),
            None,
        )

    def _save_contacts(
        self,
        plans: list[ContactPlan],
        sides: dict[str, tuple[CopperSide | None, MailchimpSide | None]],
        results: dict[str, ContactResult],
        created_ids: dict[str, int],
        op_states: Mapping[int, str],
    ) -> None:
        rows: list[dict[str, Any]] = []
        for plan in plans:
            copper, mc = sides[plan.email]
            res = results[plan.email]
            if res.forgotten_now:
                continue  # recorded by record_forgotten; no base
            ops = [op for op in plan.ops if op.target != "local"]
            if plan.email in created_ids:
                ops = [
                    Op(op.kind, op.email, {**op.payload, "id": created_ids[plan.email]})
                    if op.kind is OpKind.COPPER_CREATE
                    else op
                    for op in ops
                ]
            if not res.ok:
                # Keep the old base: the next run plans this contact again. The snapshots show what
                # did land (a member created now keeps its ids, so it is recognised after a rename).
                done = [op for op in ops if op_states.get(id(op)) == "sent"]
                new_copper, new_mc = self._with_member_ids(plan.email, *project(done, copper, mc))
                rows.append(
                    {
                        "email": plan.email,
                        "copper_id": new_copper.id if new_copper else None,
                        "copper_state": new_copper.to_json() if new_copper else None,
                        "mc_state": new_mc.to_json() if new_mc else None,
                        **member_columns(new_mc),
                    }
                )
                continue
            new_copper, new_mc = self._with_member_ids(plan.email, *project(ops, copper, mc))
            row: dict[str, Any] = {
                "email": plan.email,
                "copper_id": new_copper.id if new_copper else None,
                "copper_state": new_copper.to_json() if new_copper else None,
                "mc_state": new_mc.to_json() if new_mc else None,
                "mailchimp_status": new_mc.status if new_mc else None,
                **member_columns(new_mc),
                "synced_at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            if plan.new_base is not None and plan.outcome not in (
                Outcome.EXCLUDED_DELETION,
                Outcome.INACTIVE,
            ):
                row["base"] = plan.new_base.to_json()
                row["first_name"] = plan.new_base.fields.get("first_name")
                row["last_name"] = plan.new_base.fields.get("last_name")
                row["phone"] = plan.new_base.fields.get("phone")
            if new_copper:
                row["copper_tags"] = list(new_copper.tags)
            rows.append(row)
            if any(op.kind is OpKind.MC_STATUS and op.payload.get("reactivate") for op in plan.ops):
                self.store.sync.reactivated(plan.email)
            for op in plan.ops:
                if op.kind is OpKind.MC_INACTIVE:  # remembered like an applied archive decision
                    self.store.sync.record_inactive(
                        plan.email,
                        copper_id=op.payload.get("copper_id"),
                        name=plan.name,
                        previous_status=op.payload["previous"],
                        run_id=self.run_id or None,
                    )
        for start in range(0, len(rows), 1000):
            self.store.sync.save_contacts(rows[start : start + 1000])

    def _with_member_ids(
        self, email: str, copper: CopperSide | None, mc: MailchimpSide | None
    ) -> tuple[CopperSide | None, MailchimpSide | None]:
        """The projected member with the ids Mailchimp answered (a new member has none before)."""
        ids = self._mc_ids.get(email)
        if mc is None or ids is None:
            return copper, mc
        member_hash, unique_id = ids
        return copper, replace(mc, hash=member_hash or mc.hash, unique_id=unique_id or mc.unique_id)
