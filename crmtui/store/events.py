"""The events repository: inbound queue, SNS replay guard, tracked links, observed email events,
the outbox of event-driven remote writes, and the scenario-table updates events cause.

Scenario tables are defined by ``scenario_schema`` (migration 20). What this module assumes about
them, beyond their columns:

- ``campaign_emails.message_id`` is our Message-ID without ``<>``; ``provider_id`` is SES's id;
- triggers (``opened``/``clicked`` children, ``not_opened`` skips) belong to the scenarios
  repository (``record_engagement``); this module only counts when that repository is absent;
- ``suppressions`` keeps one row per address, the first reason wins.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from crmtui.records.emails import email_key

if TYPE_CHECKING:
    from crmtui.store.db import Store

ACTIVE_SEQUENCE_STATES = ("active", "waiting", "held")


def now_iso() -> str:
    """Now, UTC, ISO 8601 with seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class InboundEvent:
    """A queued delivery from SES/SNS, Mailchimp, Copper or our tracking endpoints."""

    id: int
    source: str
    kind: str
    payload: dict[str, Any]
    received_at: str


@dataclass(frozen=True)
class SentEmail:
    """A row of ``campaign_emails`` (what the events processor needs of it)."""

    message_id: str
    ledger_key: str
    scenario_id: int
    step_id: int
    variant_id: int | None
    contact: str
    subject: str
    status: str
    sent_at: str
    opened_at: str | None
    clicked_at: str | None
    provider_id: str | None


@dataclass(frozen=True)
class EventAction:
    """A pending remote write caused by an event (Mailchimp unsubscribe, Copper tag)."""

    id: int
    email: str
    target: str
    action: str
    payload: dict[str, Any]
    reason: str
    attempts: int


def _sent_email(r: dict[str, Any]) -> SentEmail:
    return SentEmail(
        message_id=r["message_id"],
        ledger_key=r["ledger_key"],
        scenario_id=int(r["scenario_id"]),
        step_id=int(r["step_id"]),
        variant_id=r["variant_id"],
        contact=r["contact"],
        subject=r["subject"],
        status=r["status"],
        sent_at=r["sent_at"],
        opened_at=r["opened_at"],
        clicked_at=r["clicked_at"],
        provider_id=r["provider_id"],
    )


def strip_brackets(message_id: str) -> str:
    """A Message-ID without its angle brackets and surrounding spaces."""
    return message_id.strip().strip("<>").strip()


class EventsRepo:
    """Named operations for ``crmtui serve`` and the events processor."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- the inbound queue ------------------------------------------------------------------

    def enqueue(
        self, source: str, kind: str, payload: dict[str, Any], dedup_key: str | None = None
    ) -> int | None:
        """Queue one delivery; None when ``dedup_key`` was already queued."""
        with self.store.write() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO inbound_events (source, kind, dedup_key, payload, received_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (source, kind, dedup_key, json.dumps(payload, ensure_ascii=False), now_iso()),
            )
            return int(cur.lastrowid or 0) if cur.rowcount else None

    def enqueue_unless_recent(
        self, source: str, kind: str, payload: dict[str, Any], content_key: str, window: float
    ) -> int | None:
        """Queue one delivery unless the same content (``content_key``) was queued within ``window`` seconds.

        For sources whose deliveries carry no id (Copper): the key is the content, and the time of
        receipt tells a duplicate delivery from the same change made again later. Checked and written
        in one transaction, so simultaneous duplicates give one row.

        Returns:
            The new row id, or None for a duplicate.
        """
        now = datetime.now(UTC)
        cutoff = (now - timedelta(seconds=window)).isoformat(timespec="seconds")
        prefix = content_key + "@"
        with self.store.write() as db:
            seen = db.execute(
                "SELECT 1 FROM inbound_events WHERE dedup_key >= ? AND dedup_key < ? AND received_at >= ? "
                "LIMIT 1",
                (prefix, content_key + "A", cutoff),  # 'A' follows '@': every key of this content
            ).fetchone()
            if seen:
                return None
            stamp = now.isoformat(timespec="microseconds")
            cur = db.execute(
                "INSERT OR IGNORE INTO inbound_events (source, kind, dedup_key, payload, received_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    source,
                    kind,
                    prefix + stamp,
                    json.dumps(payload, ensure_ascii=False),
                    now.isoformat(timespec="seconds"),
                ),
            )
            return int(cur.lastrowid or 0) if cur.rowcount else None

    def enqueue_sns(
        self, message_id: str, topic_arn: str, sns_type: str, kind: str, payload: dict[str, Any]
    ) -> bool:
        """Remember a verified SNS MessageId and queue its event, in one transaction.

        Returns:
            False when the MessageId was seen before (a replay or an SNS retry): nothing written.
        """
        with self.store.write() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO sns_seen (message_id, topic_arn, type, received_at) VALUES (?, ?, ?, ?)",
                (message_id, topic_arn, sns_type, now_iso()),
            )
            if not cur.rowcount:
                return False
            if kind:
                db.execute(
                    "INSERT OR IGNORE INTO inbound_events (source, kind, dedup_key, payload, received_at) "
                    "VALUES ('ses', ?, ?, ?, ?)",
                    (kind, "sns:" + message_id, json.dumps(payload, ensure_ascii=False), now_iso()),
                )
            return True

    def sns_seen(self, message_id: str) -> bool:
        """Whether this SNS MessageId was already accepted."""
        return bool(self.store.scalar("SELECT 1 FROM sns_seen WHERE message_id = ?", (message_id,)))

    def prune_sns_seen(self, before: str) -> int:
        """Forget SNS MessageIds received before ``before`` (ISO); SNS stops retrying long before."""
        with self.store.write() as db:
            return int(db.execute("DELETE FROM sns_seen WHERE received_at < ?", (before,)).rowcount)

    def pending(self, limit: int = 500) -> list[InboundEvent]:
        """The oldest queued deliveries."""
        rows = self.store.query(
            "SELECT id, source, kind, payload, received_at FROM inbound_events "
            "WHERE state = 'pending' ORDER BY id LIMIT ?",
            (limit,),
        )
        return [
            InboundEvent(int(r["id"]), r["source"], r["kind"], json.loads(r["payload"]), r["received_at"])
            for r in rows
        ]

    def is_pending(self, event_id: int) -> bool:
        """Whether a queued delivery is still waiting (checked inside the applying transaction)."""
        row = self.store.db.execute("SELECT state FROM inbound_events WHERE id = ?", (event_id,)).fetchone()
        return bool(row) and row[0] == "pending"

    def finish(self, event_id: int, state: str, error: str | None = None) -> None:
        """Mark a queued delivery done/ignored/failed."""
        with self.store.write() as db:
            db.execute(
                "UPDATE inbound_events SET state = ?, processed_at = ?, error = ? WHERE id = ?",
                (state, now_iso(), error, event_id),
            )

    def queue_counts(self) -> dict[str, int]:
        """Queued deliveries by state."""
        rows = self.store.query("SELECT state, count(*) AS n FROM inbound_events GROUP BY state")
        return {r["state"]: int(r["n"]) for r in rows}

    def count_inbound(self, source: str | None = None) -> int:
        """How many deliveries were queued (all states), optionally from one source."""
        if source is None:
            return int(self.store.scalar("SELECT count(*) FROM inbound_events") or 0)
        return int(self.store.scalar("SELECT count(*) FROM inbound_events WHERE source = ?", (source,)) or 0)

    # -- tracked links ----------------------------------------------------------------------

    def record_links(self, message_id: str, urls: Iterable[str]) -> None:
        """Record the links of a sent message (the only targets its clicks may reach)."""
        mid = strip_brackets(message_id)
        with self.store.write() as db:
            db.conn.executemany(
                "INSERT OR REPLACE INTO tracked_links (message_id, idx, url) VALUES (?, ?, ?)",
                [(mid, i, url) for i, url in enumerate(urls)],
            )

    def link(self, message_id: str, idx: int) -> str | None:
        """The URL recorded at ``idx`` for this message, or None."""
        value = self.store.scalar(
            "SELECT url FROM tracked_links WHERE message_id = ? AND idx = ?",
            (strip_brackets(message_id), idx),
        )
        return None if value is None else str(value)

    # -- sent emails and the ledger -----------------------------------------------------------

    def email(self, message_id: str) -> SentEmail | None:
        """The campaign email with our Message-ID."""
        rows = self.store.query(
            "SELECT * FROM campaign_emails WHERE message_id = ?", (strip_brackets(message_id),)
        )
        return _sent_email(rows[0]) if rows else None

    def email_by_provider_id(self, provider_id: str) -> SentEmail | None:
        """The campaign email SES knows as ``provider_id``."""
        rows = self.store.query("SELECT * FROM campaign_emails WHERE provider_id = ?", (provider_id,))
        return _sent_email(rows[0]) if rows else None

    def email_by_ledger_key(self, key: str) -> SentEmail | None:
        """The campaign email of a ledger row."""
        rows = self.store.query("SELECT * FROM campaign_emails WHERE ledger_key = ?", (key,))
        return _sent_email(rows[0]) if rows else None

    def ledger_row(self, *, key: str = "", message_id: str = "") -> dict[str, Any] | None:
        """A ledger row by key or by our Message-ID."""
        if key:
            rows = self.store.query("SELECT * FROM operation_ledger WHERE key = ?", (key,))
        else:
            mid = strip_brackets(message_id)
            rows = self.store.query(
                "SELECT * FROM operation_ledger WHERE message_id IN (?, ?)", (mid, f"<{mid}>")
            )
        return rows[0] if rows else None

    def settle_failed(self, key: str, provider_id: str, error: str) -> bool:
        """Settle an ``unknown`` ledger row as failed (SES rejected the message: it was never sent)."""
        with self.store.write() as db:
            cur = db.execute(
                "UPDATE operation_ledger SET status = 'failed', provider_id = COALESCE(provider_id, ?), "
                "error = ?, settled_by = 'provider' WHERE key = ? AND status = 'unknown'",
                (provider_id or None, error, key),
            )
            return bool(cur.rowcount)

    def set_provider_id(self, message_id: str, provider_id: str) -> None:
        """Fill ``provider_id`` when the sender did not record it."""
        with self.store.write() as db:
            db.execute(
                "UPDATE campaign_emails SET provider_id = ? WHERE message_id = ? AND provider_id IS NULL",
                (provider_id, strip_brackets(message_id)),
            )

    def set_status(self, message_id: str, status: str, *, only_from: tuple[str, ...] = ()) -> None:
        """Change a campaign email's status (optionally only from some statuses)."""
        sql = "UPDATE campaign_emails SET status = ? WHERE message_id = ?"
        params: list[Any] = [status, strip_brackets(message_id)]
        if only_from:
            sql += f" AND status IN ({','.join('?' * len(only_from))})"
            params += list(only_from)
        with self.store.write() as db:
            db.execute(sql, params)

    # -- observed events ------------------------------------------------------------------------

    def log_event(
        self,
        *,
        contact: str,
        kind: str,
        source: str,
        at: str,
        email: SentEmail | None = None,
        subtype: str = "",
        machine: bool = False,
        detail: dict[str, Any] | None = None,
    ) -> int:
        """Record one observed event (every open and click, machine or human)."""
        with self.store.write() as db:
            cur = db.execute(
                "INSERT INTO email_event_log (message_id, contact, scenario_id, step_id, variant_id, kind, "
                "subtype, machine, source, at, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    email.message_id if email else None,
                    contact,
                    email.scenario_id if email else None,
                    email.step_id if email else None,
                    email.variant_id if email else None,
                    kind,
                    subtype,
                    int(machine),
                    source,
                    at,
                    json.dumps(detail or {}, ensure_ascii=False),
                ),
            )
            return int(cur.lastrowid or 0)

    def events_for(self, message_id: str, kind: str | None = None) -> list[dict[str, Any]]:
        """Observed events of one message (oldest first)."""
        sql = "SELECT * FROM email_event_log WHERE message_id = ?"
        params: list[Any] = [strip_brackets(message_id)]
        if kind:
            sql += " AND kind = ?"
            params.append(kind)
        return self.store.query(sql + " ORDER BY id", tuple(params))

    def delivered_at(self, message_id: str) -> str | None:
        """When SES reported the message delivered (None if it did not)."""
        value = self.store.scalar(
            "SELECT min(at) FROM email_event_log WHERE message_id = ? AND kind = 'delivery'",
            (strip_brackets(message_id),),
        )
        return None if value is None else str(value)

    def variant_counts(self, scenario_id: int) -> dict[int, dict[str, int]]:
        """``{variant_id: {"sent", "opened", "clicked"}}`` for a scenario."""
        rows = self.store.query(
            "SELECT v.id, v.sent, v.opened, v.clicked FROM step_variants v "
            "JOIN scenario_steps s ON s.id = v.step_id WHERE s.scenario_id = ?",
            (scenario_id,),
        )
        return {
            int(r["id"]): {"sent": int(r["sent"]), "opened": int(r["opened"]), "clicked": int(r["clicked"])}
            for r in rows
        }

    # -- suppression and sequences ------------------------------------------------------------

    def suppress(self, email: str, reason: str, source: str) -> bool:
        """Suppress an address for every scenario; False if it already was."""
        email = email_key(email)
        with self.store.write() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO suppressions (email, reason, source, created_at) VALUES (?, ?, ?, ?)",
                (email, reason, source, now_iso()),
            )
            return bool(cur.rowcount)

    def suppression(self, email: str) -> dict[str, Any] | None:
        """The suppression row of an address, if any."""
        rows = self.store.query("SELECT * FROM suppressions WHERE email = ?", (email_key(email),))
        return rows[0] if rows else None

    def stop_sequences(self, email: str, status: str, reason: str) -> int:
        """Stop every running sequence of an address; returns how many stopped."""
        email = email_key(email)
        with self.store.write() as db:
            cur = db.execute(
                "UPDATE contact_sequences SET status = ?, reason = ?, next_position = NULL, "
                "next_send_at = NULL, updated_at = ? WHERE contact = ? AND status IN (?, ?, ?)",
                (status, reason, now_iso(), email, *ACTIVE_SEQUENCE_STATES),
            )
            return int(cur.rowcount)

    def sequence(self, scenario_id: int, contact: str) -> dict[str, Any] | None:
        """A contact's sequence in a scenario."""
        rows = self.store.query(
            "SELECT * FROM contact_sequences WHERE scenario_id = ? AND contact = ?", (scenario_id, contact)
        )
        return rows[0] if rows else None

    # -- scenarios ----------------------------------------------------------------------------

    def exclude_machine_opens(self, scenario_id: int) -> bool:
        """Whether machine opens are kept out of triggers and counts (default yes)."""
        value = self.store.scalar(
            "SELECT exclude_machine_opens FROM scenario_event_options WHERE scenario_id = ?", (scenario_id,)
        )
        return True if value is None else bool(value)

    def set_exclude_machine_opens(self, scenario_id: int, exclude: bool) -> None:
        """Per scenario: keep machine opens out of triggers and winner selection, or not."""
        with self.store.write() as db:
            db.execute(
                "INSERT INTO scenario_event_options (scenario_id, exclude_machine_opens) VALUES (?, ?) "
                "ON CONFLICT(scenario_id) DO UPDATE SET exclude_machine_opens = excluded.exclude_machine_opens",
                (scenario_id, int(exclude)),
            )

    def complaint_window(self, scenario_id: int, window: int = 1000) -> tuple[int, int]:
        """``(complaints, sends)`` over the scenario's last ``window`` sends."""
        row = self.store.query(
            "SELECT count(*) AS sends, coalesce(sum(status = 'complained'), 0) AS complaints FROM "
            "(SELECT status FROM campaign_emails WHERE scenario_id = ? ORDER BY sent_at DESC LIMIT ?)",
            (scenario_id, window),
        )[0]
        return int(row["complaints"]), int(row["sends"])

    def pause_scenario(self, scenario_id: int, reason: str, scenarios: Any = None) -> bool:
        """Pause an active scenario and record why (audit log and ``paused_reason``).

        Args:
            scenarios: the scenarios repository, whose ``set_status`` is used when given.
        """
        with self.store.write() as db:
            status = db.execute("SELECT status, name FROM scenarios WHERE id = ?", (scenario_id,)).fetchone()
            if status is None or status[0] != "active":
                return False
            if scenarios is not None:
                scenarios.set_status(scenario_id, "paused", actor="events")
            else:
                db.execute(
                    "UPDATE scenarios SET status = 'paused', updated_at = ? WHERE id = ?",
                    (now_iso(), scenario_id),
                )
            db.execute(
                "INSERT INTO scenario_event_options (scenario_id, paused_reason) VALUES (?, ?) "
                "ON CONFLICT(scenario_id) DO UPDATE SET paused_reason = excluded.paused_reason",
                (scenario_id, reason),
            )
            db.execute(
                "INSERT INTO audit_log (at, actor, action, subject, before, after, detail) "
                "VALUES (?, 'events', 'scenario.paused.reason', ?, NULL, NULL, ?)",
                (now_iso(), status[1], reason),
            )
            return True

    def paused_reason(self, scenario_id: int) -> str | None:
        """Why the events processor paused a scenario, if it did."""
        value = self.store.scalar(
            "SELECT paused_reason FROM scenario_event_options WHERE scenario_id = ?", (scenario_id,)
        )
        return None if value is None else str(value)

    def scenario_name(self, scenario_id: int) -> str:
        """A scenario's name ("" if unknown)."""
        return str(self.store.scalar("SELECT name FROM scenarios WHERE id = ?", (scenario_id,)) or "")

    # -- contact history ----------------------------------------------------------------------

    def add_history(
        self, email: SentEmail | None, contact: str, kind: str, at: str, detail: str = ""
    ) -> None:
        """One ``contact_history`` row per (message, kind): opened, clicked, bounced, unsubscribed..."""
        ident = f"{email.message_id if email else contact}:{kind}"
        key = "evt-" + hashlib.sha1(ident.encode()).hexdigest()[:24]
        campaign = self.scenario_name(email.scenario_id) if email else ""
        customer = self.store.scalar("SELECT customer_key FROM customers WHERE email = ? LIMIT 1", (contact,))
        row_hash = hashlib.sha1(f"{key}|{kind}|{at}|{detail}".encode()).hexdigest()
        with self.store.write() as db:
            db.execute(
                "INSERT OR IGNORE INTO contact_history (contact_key, customer_key, date_contact, channel, "
                "campaign, subject, status, response, response_details, source, row_hash) "
                "VALUES (?, ?, ?, 'EMAIL', ?, ?, ?, ?, ?, 'crmtui-events', ?)",
                (
                    key,
                    customer,
                    at[:10],
                    campaign or None,
                    email.subject if email else None,
                    kind,
                    kind,
                    detail or None,
                    row_hash,
                ),
            )

    # -- the outbox of remote writes -----------------------------------------------------------

    def queue_action(
        self, email: str, target: str, action: str, reason: str, payload: dict[str, Any] | None = None
    ) -> bool:
        """Queue a remote write (one per address, target and action); False if already queued."""
        stamp = now_iso()
        with self.store.write() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO event_actions (op_key, email, target, action, payload, reason, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    f"{target}:{action}:{json.dumps(payload or {}, sort_keys=True)}:{email}",
                    email,
                    target,
                    action,
                    json.dumps(payload or {}, ensure_ascii=False),
                    reason,
                    stamp,
                    stamp,
                ),
            )
            return bool(cur.rowcount)

    def pending_actions(self, limit: int = 200, max_attempts: int = 5) -> list[EventAction]:
        """Remote writes still to do (failed ones retried up to ``max_attempts``)."""
        rows = self.store.query(
            "SELECT * FROM event_actions WHERE state = 'pending' OR (state = 'failed' AND attempts < ?) "
            "ORDER BY id LIMIT ?",
            (max_attempts, limit),
        )
        return [
            EventAction(
                int(r["id"]),
                r["email"],
                r["target"],
                r["action"],
                json.loads(r["payload"]),
                r["reason"],
                int(r["attempts"]),
            )
            for r in rows
        ]

    def mark_action(self, action_id: int, state: str, error: str | None = None) -> None:
        """Record the outcome of a remote write."""
        with self.store.write() as db:
            db.execute(
                "UPDATE event_actions SET state = ?, error = ?, attempts = attempts + 1, updated_at = ? "
                "WHERE id = ?",
                (state, error, now_iso(), action_id),
            )

    def actions(self, email: str | None = None) -> list[dict[str, Any]]:
        """Outbox rows (for tests and the console)."""
        if email is None:
            return self.store.query("SELECT * FROM event_actions ORDER BY id")
        return self.store.query("SELECT * FROM event_actions WHERE email = ? ORDER BY id", (email,))

    def copper_id(self, email: str) -> int | None:
        """The Copper person id the sync recorded for an address."""
        value = self.store.scalar("SELECT copper_id FROM contacts WHERE email = ?", (email_key(email),))
        return None if value is None else int(value)

    # -- Copper targeted sync ------------------------------------------------------------------

    def request_copper_sync(self, ids: Iterable[int], event: str) -> int:
        """Ask the next sync to re-read these Copper people (from a webhook)."""
        stamp = now_iso()
        with self.store.write() as db:
            cur = db.conn.executemany(
                "INSERT INTO copper_sync_requests (copper_id, event, requested_at) VALUES (?, ?, ?) "
                "ON CONFLICT(copper_id) DO UPDATE SET event = excluded.event, "
                "requested_at = excluded.requested_at, done_at = NULL",
                [(int(i), event, stamp) for i in ids],
            )
            return int(cur.rowcount)

    def pending_copper_ids(self) -> dict[int, str]:
        """Copper ids awaiting a targeted sync, with their latest event."""
        rows = self.store.query(
            "SELECT copper_id, event FROM copper_sync_requests WHERE done_at IS NULL ORDER BY requested_at"
        )
        return {int(r["copper_id"]): r["event"] for r in rows}

    def mark_copper_synced(self, ids: Iterable[int], before: str | None = None) -> None:
        """The sync re-read these ids (requests newer than ``before`` stay due)."""
        stamp = now_iso()
        with self.store.write() as db:
            db.conn.executemany(
                "UPDATE copper_sync_requests SET done_at = ? WHERE copper_id = ? AND requested_at <= ?",
                [(stamp, int(i), before or stamp) for i in ids],
            )
