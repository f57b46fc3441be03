"""Sync repository: contact snapshots and merge bases, the outbox, decisions, forgotten emails, cursors."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from crmtui.store._util import dumps, loads, now_iso, search_text, sort_text

if TYPE_CHECKING:
    from crmtui.store.db import Store

DECISIONS = ("archive", "delete", "ignore")


@dataclass(frozen=True)
class ContactRow:
    """What the store knows about one contact (JSON columns decoded)."""

    email: str
    copper_id: int | None
    copper_state: dict[str, Any] | None
    mc_state: dict[str, Any] | None
    base: dict[str, Any] | None
    forgotten: bool


@dataclass(frozen=True)
class OpRow:
    """One outbox row."""

    id: int
    run_id: int
    email: str
    target: str
    action: str
    payload: dict[str, Any]
    state: str
    error: str | None


@dataclass(frozen=True)
class Decision:
    """A deletion-queue entry."""

    email: str
    copper_id: int | None
    name: str
    tag: str
    detected_at: str
    decision: str | None
    decided_at: str | None
    decided_by: str | None
    state: str
    error: str | None
    previous_status: str | None
    copper_state: dict[str, Any] | None
    mc_state: dict[str, Any] | None
    name_sort: str = ""
    """The name's stored sort key (:func:`crmtui.store._util.sort_text`): its place when sorted by name."""
    tag_sort: str = ""
    """The tag's stored sort key."""


def op_key(run_id: int, action: str, email: str, payload: dict[str, Any]) -> str:
    """The idempotency key of a planned write."""
    return hashlib.sha256(f"{run_id}|{action}|{email}|{dumps(payload)}".encode()).hexdigest()


class SyncRepo:
    """Named operations for the sync engine and its screens."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- cursors ---------------------------------------------------------------------------

    def cursor(self, name: str) -> str | None:
        """A stored cursor value."""
        value = self.store.scalar("SELECT value FROM cursors WHERE name = ?", (name,))
        return None if value is None else str(value)

    def set_cursor(self, name: str, value: str) -> None:
        """Store a cursor (inside the caller's transaction when there is one)."""
        with self.store.write() as db:
            db.execute(
                "INSERT INTO cursors (name, value, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                (name, value, now_iso()),
            )

    # -- contacts --------------------------------------------------------------------------

    def iter_contacts(self) -> Iterator[ContactRow]:
        """Every known contact (streamed)."""
        cursor = self.store.db.execute(
            "SELECT email, copper_id, copper_state, mc_state, base, forgotten FROM contacts ORDER BY email"
        )
        for email, copper_id, copper_state, mc_state, base, forgotten in cursor:
            yield ContactRow(
                email, copper_id, loads(copper_state), loads(mc_state), loads(base), bool(forgotten)
            )

    def contacts_by_email(self, emails: Iterable[str]) -> dict[str, ContactRow]:
        """Known contacts for these emails."""
        out: dict[str, ContactRow] = {}
        chunk: list[str] = []

        def flush() -> None:
            rows = self.store.query(
                "SELECT email, copper_id, copper_state, mc_state, base, forgotten FROM contacts "
                f"WHERE email IN ({','.join('?' * len(chunk))})",
                tuple(chunk),
            )
            for r in rows:
                out[r["email"]] = ContactRow(
                    r["email"],
                    r["copper_id"],
                    loads(r["copper_state"]),
                    loads(r["mc_state"]),
                    loads(r["base"]),
                    bool(r["forgotten"]),
                )

        for email in emails:
            chunk.append(email)
            if len(chunk) >= 500:
                flush()
                chunk = []
        if chunk:
            flush()
        return out

    def copper_id_of(self, email: str) -> int | None:
        """The Copper person id the store knows for a contact."""
        value = self.store.scalar("SELECT copper_id FROM contacts WHERE email = ?", (email,))
        return None if value is None else int(value)

    def knows_member_of(self, email: str) -> bool:
        """Whether the store knows the contact's Mailchimp member by its ``unique_email_id``."""
        return bool(
            self.store.scalar(
                "SELECT 1 FROM contacts WHERE email = ? AND mailchimp_unique_id IS NOT NULL", (email,)
            )
        )

    def email_for_copper_id(self, copper_id: int) -> str | None:
        """The email the store knows for a Copper person (to follow an email change)."""
        value = self.store.scalar("SELECT email FROM contacts WHERE copper_id = ?", (copper_id,))
        return None if value is None else str(value)

    def copper_ids(self) -> dict[int, str]:
        """Copper person id → the email the store knows it under."""
        rows = self.store.db.execute("SELECT copper_id, email FROM contacts WHERE copper_id IS NOT NULL")
        return {int(copper_id): email for copper_id, email in rows}

    def mailchimp_unique_ids(self) -> dict[str, str]:
        """Mailchimp ``unique_email_id`` → the email the store knows the contact under."""
        rows = self.store.db.execute(
            "SELECT mailchimp_unique_id, email FROM contacts WHERE mailchimp_unique_id IS NOT NULL"
        )
        return {str(uid): email for uid, email in rows if uid}

    def mailchimp_hashes(self) -> dict[str, str]:
        """Mailchimp member ``id`` (subscriber hash) → the email the store knows the contact under."""
        rows = self.store.db.execute(
            "SELECT mailchimp_hash, email FROM contacts WHERE mailchimp_hash IS NOT NULL"
        )
        return {str(h): email for h, email in rows if h}

    def note_member_id(self, email: str, unique_id: str) -> bool:
        """Mailchimp said (an ``upemail`` webhook) that the member of contact ``email`` has this id.

        A contact not stored yet is noted only when an interrupted run left a member create for it
        without an answer (the member was made, then renamed, before any read).

        Returns:
            Whether it was noted (a contact already renamed by a sync is left alone).
        """
        with self.store.write() as db:
            cur = db.execute(
                "UPDATE contacts SET mailchimp_unique_id = ?, updated_at = ? WHERE email = ?",
                (unique_id, now_iso(), email),
            )
            if cur.rowcount:
                return True
            in_doubt = db.execute(
                "SELECT 1 FROM sync_ops WHERE email = ? AND state IN ('pending', 'sending') "
                "AND action = 'mc_upsert' AND json_extract(payload, '$.new') LIMIT 1",
                (email,),
            ).fetchone()
            if in_doubt:
                db.execute(
                    "INSERT INTO contacts (email, mailchimp_unique_id, updated_at) VALUES (?, ?, ?)",
                    (email, unique_id, now_iso()),
                )
            return bool(in_doubt)

    def record_member_ids(self, rows: Iterable[tuple[str, str, str, int | None]]) -> None:
        """Keep the ids Mailchimp answered to a write, as soon as it answered.

        Each row: ``(email, member id, unique_email_id, copper_id)``. A contact the store does not hold
        yet gets a row with only these (its snapshots come with the end of the run).
        """
        now = now_iso()
        with self.store.write() as db:
            db.conn.executemany(
                "INSERT INTO contacts (email, copper_id, mailchimp_hash, mailchimp_unique_id, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(email) DO UPDATE SET "
                "mailchimp_hash = coalesce(excluded.mailchimp_hash, mailchimp_hash), "
                "mailchimp_unique_id = coalesce(excluded.mailchimp_unique_id, mailchimp_unique_id), "
                "copper_id = coalesce(copper_id, excluded.copper_id), updated_at = excluded.updated_at",
                (
                    (email, copper_id, member_hash or None, unique_id or None, now)
                    for email, member_hash, unique_id, copper_id in rows
                ),
            )

    def save_contacts(self, rows: Iterable[dict[str, Any]]) -> int:
        """Upsert contact snapshots and bases in one transaction.

        Each row: ``email`` and any of ``copper_id, copper_state, mc_state, base, forgotten,
        first_name, last_name, phone, mailchimp_status, copper_tags, mailchimp_hash``; JSON values are
        encoded here.
        """
        now = now_iso()
        count = 0
        # Rows with the same columns share one statement, run with executemany (one row at a time
        # through execute() was most of a large run's save).
        groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
        for row in rows:
            data = dict(row)
            for key in ("copper_state", "mc_state", "base", "copper_tags", "managed_tags"):
                if key in data and data[key] is not None and not isinstance(data[key], str):
                    data[key] = dumps(data[key])
            if "forgotten" in data:
                data["forgotten"] = int(bool(data["forgotten"]))
            data["updated_at"] = now
            groups.setdefault(tuple(data), []).append(tuple(data.values()))
            count += 1
        with self.store.write() as db:
            for cols, values in groups.items():
                db.conn.executemany(
                    f"INSERT INTO contacts ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
                    f"ON CONFLICT(email) DO UPDATE SET "
                    + ", ".join(f"{c} = excluded.{c}" for c in cols if c != "email"),
                    values,
                )
        return count

    def rename_contact(self, old: str, new: str) -> None:
        """Follow an email change: the contact keeps its history under the new address."""
        with self.store.write() as db:
            if db.execute("SELECT 1 FROM contacts WHERE email = ?", (new,)).fetchone():
                db.execute("DELETE FROM contacts WHERE email = ?", (old,))
            else:
                db.execute(
                    "UPDATE contacts SET email = ?, updated_at = ? WHERE email = ?", (new, now_iso(), old)
                )

    # -- outbox ----------------------------------------------------------------------------

    def unfinished_member_creates(self) -> list[tuple[str, dict[str, Any]]]:
        """Mailchimp member creates an interrupted run left without an answer: ``(email, payload)``.

        Their fate is unknown: Mailchimp may hold the member, under that address or, renamed since,
        under another one.
        """
        rows = self.store.db.execute(
            "SELECT email, payload FROM sync_ops WHERE state IN ('pending', 'sending') AND action = 'mc_upsert' "
            "AND json_extract(payload, '$.new') ORDER BY id"
        )
        return [(str(email), loads(payload) or {}) for email, payload in rows]

    def unknown_ops(self, limit: int = 1000) -> list[OpRow]:
        """Writes whose fate is unknown (``unknown``), oldest first: checked before anything is re-sent."""
        rows = self.store.query(
            "SELECT id, run_id, email, target, action, payload, state, error FROM sync_ops "
            "WHERE state = 'unknown' ORDER BY id LIMIT ?",
            (limit,),
        )
        return [_op_row(r) for r in rows]

    def unfinished_person_creates(self) -> list[tuple[str, dict[str, Any]]]:
        """Copper person creates an interrupted run left without an answer: ``(email, payload)``."""
        rows = self.store.db.execute(
            "SELECT email, payload FROM sync_ops WHERE state IN ('pending', 'sending') "
            "AND action = 'copper_create' ORDER BY id"
        )
        return [(str(email), loads(payload) or {}) for email, payload in rows]

    def supersede_unfinished(self) -> int:
        """Ops left pending by an interrupted run: the new plan, read from live state, replaces them."""
        with self.store.write() as db:
            cur = db.execute(
                "UPDATE sync_ops SET state = 'superseded', updated_at = ? WHERE state IN ('pending', 'sending')",
                (now_iso(),),
            )
            return int(cur.rowcount or 0)

    def add_ops(self, run_id: int, ops: Iterable[tuple[str, str, str, dict[str, Any]]]) -> list[int]:
        """Write planned ops ``(email, target, action, payload)`` as pending; return their ids."""
        now = now_iso()
        rows = []
        for email, target, action, payload in ops:
            rows.append(
                (
                    run_id,
                    op_key(run_id, action, email, payload),
                    email,
                    target,
                    action,
                    dumps(payload),
                    now,
                    now,
                )
            )
        ids: list[int] = []
        with self.store.write() as db:
            db.conn.executemany(
                "INSERT OR IGNORE INTO sync_ops (run_id, op_key, email, target, action, payload, state, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
                rows,
            )
            for start in range(0, len(rows), 500):
                keys = [r[1] for r in rows[start : start + 500]]
                found = dict(
                    db.execute(
                        f"SELECT op_key, id FROM sync_ops WHERE op_key IN ({','.join('?' * len(keys))})", keys
                    ).fetchall()
                )
                ids += [int(found[k]) for k in keys]
        return ids

    def mark_ops(self, updates: Iterable[tuple[int, str, Any, str | None]]) -> None:
        """Record results ``(op_id, state, result, error)`` in one transaction."""
        now = now_iso()
        with self.store.write() as db:
            db.conn.executemany(
                "UPDATE sync_ops SET state = ?, result = ?, error = ?, attempts = attempts + 1, updated_at = ? "
                "WHERE id = ?",
                (
                    (state, None if result is None else dumps(result), error, now, op_id)
                    for op_id, state, result, error in updates
                ),
            )

    def ops_for_run(self, run_id: int) -> list[OpRow]:
        """Every op of a run, in order."""
        rows = self.store.query(
            "SELECT id, run_id, email, target, action, payload, state, error FROM sync_ops WHERE run_id = ? ORDER BY id",
            (run_id,),
        )
        return [_op_row(r) for r in rows]

    def op_counts(self, run_id: int) -> dict[str, int]:
        """Ops of a run by state."""
        rows = self.store.query(
            "SELECT state, count(*) AS n FROM sync_ops WHERE run_id = ? GROUP BY state", (run_id,)
        )
        return {r["state"]: int(r["n"]) for r in rows}

    # -- deletion queue ----------------------------------------------------------------------

    def queue_deletion(
        self,
        email: str,
        *,
        copper_id: int | None,
        name: str,
        tag: str,
        run_id: int | None,
        copper_state: dict[str, Any] | None,
        mc_state: dict[str, Any] | None,
    ) -> bool:
        """Queue a contact for a decision once; return True if it was new."""
        with self.store.write() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO deletion_queue (email, copper_id, name, tag, detected_at, run_id, state, "
                "copper_state, mc_state, search, name_sort, tag_sort) "
                "VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?)",
                (
                    email,
                    copper_id,
                    name,
                    tag,
                    now_iso(),
                    run_id,
                    None if copper_state is None else dumps(copper_state),
                    None if mc_state is None else dumps(mc_state),
                    search_text(name, email, tag),
                    sort_text(name),
                    sort_text(tag),
                ),
            )
            return bool(cur.rowcount)

    def decisions(self, states: tuple[str, ...] = ("pending", "decided", "failed")) -> list[Decision]:
        """Queue entries in these states."""
        rows = self.store.query(
            f"SELECT * FROM deletion_queue WHERE state IN ({','.join('?' * len(states))}) ORDER BY detected_at, email",
            states,
        )
        return [_decision(r) for r in rows]

    def pending_listing(self) -> Iterator[tuple[str, str, str]]:
        """``(email, name, tag)`` of each pending entry, in the queue's order: what a report lists.

        Three columns, no snapshot decoded, one row at a time: :meth:`decisions` decodes both
        stored snapshots of every entry, which at 1,000,000 contacts (80,000 pending) was a
        ~300 MiB transient at the end of the sync's apply (issue #16).
        """
        for email, name, tag in self.store.db.execute(
            "SELECT email, name, tag FROM deletion_queue WHERE state = 'pending' ORDER BY detected_at, email"
        ):
            yield str(email), str(name or ""), str(tag or "")

    def forgotten_listing(self) -> Iterator[tuple[str, str, str]]:
        """``(email, name, resubscribe_url)`` of each unresolved forgotten address, in
        :meth:`forgotten_rows`' order, one row at a time (the report's list)."""
        for email, name, url in self.store.db.execute(
            "SELECT email, COALESCE(name, ''), COALESCE(resubscribe_url, '') FROM forgotten_emails "
            "WHERE resolved_at IS NULL ORDER BY detected_at DESC, email"
        ):
            yield str(email), str(name), str(url)

    def decision_map(self) -> dict[str, Decision]:
        """Every queue entry by email (the planner's memory)."""
        return {r["email"]: _decision(r) for r in self.store.query("SELECT * FROM deletion_queue")}

    def decisions_for(self, emails: list[str]) -> dict[str, Decision]:
        """The queue entries of these emails (a chunk of the plan: never the whole queue)."""
        out: dict[str, Decision] = {}
        for start in range(0, len(emails), 500):
            part = emails[start : start + 500]
            rows = self.store.query(
                f"SELECT * FROM deletion_queue WHERE email IN ({','.join('?' * len(part))})", tuple(part)
            )
            out.update((r["email"], _decision(r)) for r in rows)
        return out

    def archived_emails(self) -> list[str]:
        """Contacts archived by an applied decision (an incremental run checks them for reactivation)."""
        return [
            str(r["email"])
            for r in self.store.query(
                "SELECT email FROM deletion_queue WHERE decision = 'archive' AND state = 'applied'"
            )
        ]

    def get_decision(self, email: str) -> Decision | None:
        """One entry."""
        rows = self.store.query("SELECT * FROM deletion_queue WHERE email = ?", (email,))
        return _decision(rows[0]) if rows else None

    def decide(self, emails: Iterable[str], decision: str, actor: str) -> int:
        """Record an operator decision (audited). Applied later by the decisions worker."""
        if decision not in DECISIONS:
            raise ValueError(f"unknown decision {decision!r}")
        from crmtui.store.audit import AuditRepo

        audit = AuditRepo(self.store)
        count = 0
        with self.store.write() as db:
            for email in emails:
                before = self.get_decision(email)
                if before is None or before.state not in ("pending", "decided", "failed"):
                    continue
                state = "applied" if decision == "ignore" else "decided"
                db.execute(
                    "UPDATE deletion_queue SET decision = ?, decided_at = ?, decided_by = ?, state = ?, error = NULL, "
                    "applied_at = CASE WHEN ? = 'applied' THEN ? ELSE NULL END WHERE email = ?",
                    (decision, now_iso(), actor, state, state, now_iso(), email),
                )
                audit.record(
                    actor, f"decision.{decision}", email, before=_public(before), after={"decision": decision}
                )
                count += 1
        return count

    def undo(self, email: str, actor: str) -> bool:
        """Withdraw a decision not yet applied (or an ignore); the contact is pending again."""
        from crmtui.store.audit import AuditRepo

        before = self.get_decision(email)
        if before is None or before.decision is None:
            return False
        if before.state == "applied" and before.decision != "ignore":
            return False
        with self.store.write() as db:
            db.execute(
                "UPDATE deletion_queue SET decision = NULL, decided_at = NULL, decided_by = NULL, state = 'pending', "
                "applied_at = NULL, error = NULL WHERE email = ?",
                (email,),
            )
            AuditRepo(self.store).record(actor, "decision.undo", email, before=_public(before))
        return True

    def mark_decision(
        self, email: str, state: str, *, error: str | None = None, previous_status: str | None = None
    ) -> None:
        """Record the outcome of applying a decision."""
        with self.store.write() as db:
            db.execute(
                "UPDATE deletion_queue SET state = ?, error = ?, applied_at = CASE WHEN ? = 'applied' THEN ? ELSE "
                "applied_at END, previous_status = COALESCE(?, previous_status) WHERE email = ?",
                (state, error, state, now_iso(), previous_status, email),
            )

    def reactivated(self, email: str, actor: str = "sync") -> None:
        """The inactive tag was removed in Copper: the archive decision is closed."""
        from crmtui.store.audit import AuditRepo

        with self.store.write() as db:
            before = self.get_decision(email)
            db.execute("DELETE FROM deletion_queue WHERE email = ?", (email,))
            AuditRepo(self.store).record(
                actor, "decision.reactivated", email, before=_public(before) if before else None
            )

    def record_inactive(
        self, email: str, *, copper_id: int | None, name: str, previous_status: str, run_id: int | None
    ) -> None:
        """A hand-added ``📥 INACTIF`` was applied: kept like an applied archive decision (audited),
        with the status before, so removing the tag restores it."""
        from crmtui.store.audit import AuditRepo

        with self.store.write() as db:
            db.execute(
                "INSERT INTO deletion_queue (email, copper_id, name, tag, detected_at, run_id, decision, "
                "decided_at, decided_by, state, applied_at, previous_status, search, name_sort, tag_sort) "
                "VALUES (?, ?, ?, '📥 INACTIF', ?, ?, 'archive', ?, 'copper tag', 'applied', ?, ?, ?, ?, ?) "
                "ON CONFLICT(email) DO UPDATE SET decision = 'archive', state = 'applied', "
                "decided_by = 'copper tag', applied_at = excluded.applied_at, "
                "previous_status = excluded.previous_status, error = NULL",
                (
                    email,
                    copper_id,
                    name,
                    now_iso(),
                    run_id,
                    now_iso(),
                    now_iso(),
                    previous_status,
                    search_text(name, email, "📥 INACTIF"),
                    sort_text(name),
                    sort_text("📥 INACTIF"),
                ),
            )
            AuditRepo(self.store).record(
                "sync", "decision.archive.tagged", email, after={"previous_status": previous_status}
            )

    def tombstone(self, email: str, source: str, record: dict[str, Any], reason: str) -> None:
        """Keep the full record before a permanent delete."""
        with self.store.write() as db:
            db.execute(
                "INSERT INTO tombstones (email, source, record, reason, created_at) VALUES (?, ?, ?, ?, ?)",
                (email, source, dumps(record), reason, now_iso()),
            )

    def tombstones(self, email: str) -> list[dict[str, Any]]:
        """Tombstones of an address."""
        rows = self.store.query(
            "SELECT source, record, reason FROM tombstones WHERE email = ? ORDER BY id", (email,)
        )
        return [{"source": r["source"], "record": loads(r["record"]), "reason": r["reason"]} for r in rows]

    def forget_contact(self, email: str) -> None:
        """Drop a permanently deleted contact from the sync's memory (its tombstones stay)."""
        with self.store.write() as db:
            db.execute("DELETE FROM contacts WHERE email = ?", (email,))

    # -- forgotten ---------------------------------------------------------------------------

    def record_forgotten(
        self, email: str, *, copper_id: int | None, name: str, url: str, run_id: int | None
    ) -> bool:
        """Record a forgotten address once; return True if it was new."""
        with self.store.write() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO forgotten_emails (email, copper_id, name, detected_at, run_id, resubscribe_url, "
                "name_sort) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (email, copper_id, name, now_iso(), run_id, url, sort_text(name)),
            )
            db.execute(
                "INSERT INTO contacts (email, copper_id, forgotten, updated_at) VALUES (?, ?, 1, ?) "
                "ON CONFLICT(email) DO UPDATE SET forgotten = 1, mailchimp_hash = NULL, "
                "mailchimp_unique_id = NULL",  # Mailchimp holds no member for it any more
                (email, copper_id, now_iso()),
            )
            return bool(cur.rowcount)

    def forgotten_set(self) -> set[str]:
        """Every forgotten address."""
        return {r["email"] for r in self.store.query("SELECT email FROM forgotten_emails")}

    def forgotten_in(self, emails: list[str]) -> set[str]:
        """Which of these addresses are forgotten (a chunk of the plan)."""
        out: set[str] = set()
        for start in range(0, len(emails), 500):
            part = emails[start : start + 500]
            rows = self.store.query(
                f"SELECT email FROM forgotten_emails WHERE email IN ({','.join('?' * len(part))})",
                tuple(part),
            )
            out.update(str(r["email"]) for r in rows)
        return out

    def mark_forgotten_tagged(self, email: str) -> None:
        """The Copper person carries the resubscribe tag."""
        with self.store.write() as db:
            db.execute("UPDATE forgotten_emails SET copper_tagged = 1 WHERE email = ?", (email,))

    def mark_reached(self, email: str, actor: str) -> None:
        """An operator reached the person with the link."""
        from crmtui.store.audit import AuditRepo

        with self.store.write() as db:
            db.execute(
                "UPDATE forgotten_emails SET reached_at = ?, reached_by = ? WHERE email = ?",
                (now_iso(), actor, email),
            )
            AuditRepo(self.store).record(actor, "forgotten.reached", email)

    def unmark_reached(self, email: str, actor: str) -> bool:
        """Take back :meth:`mark_reached` (a mistaken ``m``); audited. False when it was not marked."""
        from crmtui.store.audit import AuditRepo

        with self.store.write() as db:
            row = db.execute(
                "SELECT reached_at, reached_by FROM forgotten_emails WHERE email = ?", (email,)
            ).fetchone()
            if row is None or row[0] is None:
                return False
            db.execute(
                "UPDATE forgotten_emails SET reached_at = NULL, reached_by = NULL WHERE email = ?", (email,)
            )
            AuditRepo(self.store).record(
                actor,
                "forgotten.reached.undo",
                email,
                before={"reached_at": row[0], "reached_by": row[1]},
                after={"reached_at": None},
            )
        return True

    def forgotten_rows(self) -> list[dict[str, Any]]:
        """Forgotten addresses for the screen and the CSV export."""
        return self.store.query(
            "SELECT email, COALESCE(name, '') AS name, COALESCE(resubscribe_url, '') AS resubscribe_url, detected_at, "
            "copper_tagged, reached_at, reached_by FROM forgotten_emails WHERE resolved_at IS NULL "
            "ORDER BY detected_at DESC, email"
        )


def _op_row(r: dict[str, Any]) -> OpRow:
    return OpRow(
        r["id"],
        r["run_id"],
        r["email"],
        r["target"],
        r["action"],
        loads(r["payload"], {}),
        r["state"],
        r["error"],
    )


def _decision(r: dict[str, Any]) -> Decision:
    return Decision(
        email=r["email"],
        copper_id=r["copper_id"],
        name=r["name"] or "",
        tag=r["tag"],
        detected_at=r["detected_at"],
        decision=r["decision"],
        decided_at=r["decided_at"],
        decided_by=r["decided_by"],
        state=r["state"],
        error=r["error"],
        previous_status=r["previous_status"],
        copper_state=loads(r["copper_state"]),
        mc_state=loads(r["mc_state"]),
        name_sort=r.get("name_sort") or "",
        tag_sort=r.get("tag_sort") or "",
    )


def _public(d: Decision) -> dict[str, Any]:
    return {"decision": d.decision, "state": d.state, "tag": d.tag, "name": d.name, "copper_id": d.copper_id}
