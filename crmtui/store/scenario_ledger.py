"""The send path's side of the scenario repository: claim, mark, recover.

One job: the transactions of a tick — the due scan, the claim (one ``BEGIN IMMEDIATE`` checking
status, suppression, consent, daily cap and cooldown before writing the ledger row), marking a
claim sent, failed, deferred or of unknown fate, and recovering claims whose process died. Its
statements are named in :data:`_SQL` so a test can check each one's query plan.
:class:`crmtui.store.scenarios.ScenarioRepo` inherits these methods.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from crmtui.records.canonical import ContactEvent
from crmtui.records.emails import email_key
from crmtui.store._util import now_iso

if TYPE_CHECKING:
    from crmtui.store.db import Store
from crmtui.store.scenario_model import (
    SUPPRESSED_MC_STATUSES,
    Claim,
    ClaimRules,
    DueSend,
    Refusal,
    Scenario,
    Step,
    iso,
    parse_iso,
)

_SQL: dict[str, str] = {
    # INDEXED BY: with ANALYZE statistics the planner may prefer walking the rowids after ``id > ?``,
    # which reads every later sequence when only a few are due (2,000 due of 300,000).
    "due": "SELECT id, contact, next_position, next_send_at FROM contact_sequences "
    "INDEXED BY contact_sequences_scenario_due WHERE scenario_id = ? AND status = 'active' AND next_send_at <= ? AND id > ? "
    "ORDER BY id LIMIT ?",
    "suppression": "SELECT 1 FROM suppressions WHERE email = ?",
    "contact_status": "SELECT mailchimp_status, forgotten FROM contacts WHERE email = ?",
    "opt_out": "SELECT 1 FROM customers WHERE email = ? AND email_opt_out = 1 LIMIT 1",
    "scenario_status": "SELECT status FROM scenarios WHERE id = ?",
    "sequence": "SELECT status, next_position, next_send_at, test FROM contact_sequences WHERE id = ?",
    "ledger_existing": "SELECT key, status, attempts, template, variant_id FROM operation_ledger "
    "WHERE scenario_id = ? AND step_id = ? AND contact = ?",
    "daily_cap": "SELECT count(*) FROM operation_ledger WHERE scenario_id = ? AND local_day = ? "
    "AND status IN ('claimed', 'sent', 'unknown')",
    # Every email crmtui sent the contact (claimed, sent or of unknown fate), in any scenario, this
    # one's earlier steps included: the document's "Attendre 3 jours entre 2 contacts".
    "cooldown": "SELECT max(claimed_at) FROM operation_ledger WHERE contact = ? "
    "AND status IN ('claimed', 'sent', 'unknown') AND claimed_at > ?",
    "parent_engaged": "SELECT opened_at, clicked_at FROM campaign_emails "
    "WHERE scenario_id = ? AND step_id = ? AND contact = ?",
    "history_customer": "SELECT customer_key FROM customers WHERE email = ? "
    "ORDER BY active DESC, customer_key LIMIT 1",
    "count_sent": "UPDATE scenarios SET sent = sent + 1 WHERE id = ?",
    "count_variant_sent": "UPDATE step_variants SET sent = sent + 1 WHERE id = ?",
    "ledger_sent": "UPDATE operation_ledger SET status = 'sent', provider_id = ?, sender = ?, sent_at = ?, "
    "error = NULL WHERE key = ?",
    "advance": "UPDATE contact_sequences SET current_position = ?, next_position = ?, next_send_at = ?, "
    "status = ?, reason = NULL, sent = sent + 1, updated_at = ? WHERE scenario_id = ? AND contact = ?",
}
"""The statements of the send path (due scan, claim, mark_sent), by name: a test runs ``EXPLAIN QUERY
PLAN`` on each and refuses a full scan of a table that grows with the audience or the ledger."""


_OWNER_TOKEN = secrets.token_hex(4)


def process_owner() -> str:
    """``host:pid:token`` of this process (the token guards against pid reuse)."""
    return f"{socket.gethostname()}:{os.getpid()}:{_OWNER_TOKEN}"


class ScenarioLedger:
    """The send-path methods of :class:`crmtui.store.scenarios.ScenarioRepo` (a mixin)."""

    store: Store

    def due(self, scenario_id: int, now: datetime, *, after_id: int = 0, limit: int = 500) -> list[DueSend]:
        """Active sequences whose next send time has come, in id order after ``after_id``."""
        rows = self.store.db.execute(
            _SQL["due"],
            (scenario_id, iso(now), after_id, limit),
        ).fetchall()
        return [DueSend(int(r[0]), str(r[1]), int(r[2]), str(r[3])) for r in rows]

    def is_suppressed(self, email: str) -> bool:
        """Whether ``email`` must never receive a scenario email (suppressed or unsubscribed)."""
        return self._suppressed(self.store.db.conn, email_key(email))

    def _suppressed(self, conn: Any, email: str) -> bool:
        if conn.execute(_SQL["suppression"], (email,)).fetchone():
            return True
        if self.store.erasure.is_suppressed(email):  # erased or deleted: keyed-hash suppression
            return True
        row = conn.execute(_SQL["contact_status"], (email,)).fetchone()
        if row and (row[0] in SUPPRESSED_MC_STATUSES or row[1]):
            return True
        return bool(
            conn.execute(
                _SQL["opt_out"],
                (email,),
            ).fetchone()
        )

    def claim(
        self,
        scenario: Scenario,
        due: DueSend,
        step: Step,
        template: str,
        variant_id: int | None,
        key: str,
        message_id: str,
        rules: ClaimRules,
        *,
        before_commit: Callable[[], None] | None = None,
    ) -> Claim | Refusal:
        """Claim one due send in a single ``BEGIN IMMEDIATE`` transaction (see the module doc).

        Permanent refusals (suppressed, filtered) also end the sequence in the same transaction;
        a cooldown (counting every email crmtui sent the contact, this scenario's earlier steps
        included) pushes the sequence's next send time to the end of the cooldown: the step waits.
        """
        now_s = iso(rules.now)
        with self.store.write() as db:
            conn = db.conn
            status = conn.execute(_SQL["scenario_status"], (scenario.id,)).fetchone()
            seq = conn.execute(
                _SQL["sequence"],
                (due.sequence_id,),
            ).fetchone()
            if status is None or seq is None:
                return Refusal("inactive", stop_scenario=status is None)
            if status[0] != "active" and not (status[0] == "draft" and seq[3]):
                return Refusal("inactive", stop_scenario=True)
            if seq[0] != "active" or seq[1] != step.position or seq[2] is None or seq[2] > now_s:
                return Refusal("not_due")  # another process moved it on
            existing = conn.execute(
                _SQL["ledger_existing"],
                (scenario.id, step.id, due.contact),
            ).fetchone()
            if existing is not None and existing[1] != "deferred":
                return Refusal("already")
            if self._suppressed(conn, due.contact):
                self._end_sequence(conn, due.sequence_id, "unsubscribed", "suppressed or unsubscribed", now_s)
                return Refusal("suppressed")
            if rules.recipient_problem:
                self._end_sequence(conn, due.sequence_id, "filtered", rules.recipient_problem, now_s)
                return Refusal("filtered", detail=rules.recipient_problem)
            if step.trigger == "not_opened" and self._parent_engaged(conn, scenario, step, due.contact):
                self._after_engaged_skip(conn, scenario, step, due, now_s)
                return Refusal("opened")
            if not rules.in_window:
                return Refusal("window", stop_scenario=True)
            if scenario.daily_cap > 0:
                used = conn.execute(
                    _SQL["daily_cap"],
                    (scenario.id, rules.local_day),
                ).fetchone()[0]
                if used >= scenario.daily_cap:
                    return Refusal("cap", stop_scenario=True)
            if scenario.cooldown_days > 0:
                since = iso(rules.now - timedelta(days=scenario.cooldown_days))
                last = conn.execute(_SQL["cooldown"], (due.contact, since)).fetchone()[0]
                if last is not None:
                    until = iso(parse_iso(last) + timedelta(days=scenario.cooldown_days))
                    conn.execute(
                        "UPDATE contact_sequences SET next_send_at = ?, reason = 'cooldown', updated_at = ? "
                        "WHERE id = ?",
                        (until, now_s, due.sequence_id),
                    )
                    return Refusal("cooldown")
            if existing is not None:
                # A deferred row (known not sent): claim it again with its own template and variant.
                key, attempts, template, variant_id = (
                    existing[0],
                    int(existing[2]) + 1,
                    existing[3],
                    existing[4],
                )
                conn.execute(
                    "UPDATE operation_ledger SET status = 'claimed', attempts = ?, owner = ?, claimed_at = ?, "
                    "local_day = ?, error = NULL WHERE key = ?",
                    (attempts, rules.owner, now_s, rules.local_day, key),
                )
                message_id = conn.execute(
                    "SELECT message_id FROM operation_ledger WHERE key = ?", (key,)
                ).fetchone()[0]
            else:
                attempts = 1
            claim = Claim(
                key,
                scenario.id,
                step.id,
                step.position,
                due.contact,
                template,
                variant_id,
                message_id,
                rules.local_day,
                attempts,
            )
            if existing is None:
                # The ledger row is the claim itself, plus who holds it since when.
                conn.execute(
                    "INSERT INTO operation_ledger (key, scenario_id, step_id, position, contact, template, "
                    "variant_id, status, local_day, claimed_at, owner, message_id) VALUES (:key, "
                    ":scenario_id, :step_id, :position, :contact, :template, :variant_id, 'claimed', "
                    ":local_day, :claimed_at, :owner, :message_id)",
                    {**asdict(claim), "claimed_at": now_s, "owner": rules.owner},
                )
            if before_commit is not None:
                before_commit()
        return claim

    @staticmethod
    def _end_sequence(conn: Any, sequence_id: int, status: str, reason: str, now_s: str) -> None:
        conn.execute(
            "UPDATE contact_sequences SET status = ?, reason = ?, next_send_at = NULL, updated_at = ? WHERE id = ?",
            (status, reason, now_s, sequence_id),
        )

    @staticmethod
    def _parent_engaged(conn: Any, scenario: Scenario, step: Step, contact: str) -> bool:
        parent = step.parent_position
        if parent is None:
            earlier = [s.position for s in scenario.steps if s.position < step.position]
            parent = max(earlier) if earlier else None
        if parent is None:
            return False
        parent_step = scenario.step_at(parent)
        if parent_step is None:
            return False
        row = conn.execute(
            _SQL["parent_engaged"],
            (scenario.id, parent_step.id, contact),
        ).fetchone()
        return bool(row and (row[0] or row[1]))

    def _after_engaged_skip(
        self, conn: Any, scenario: Scenario, step: Step, due: DueSend, now_s: str
    ) -> None:
        # The contact opened before the "not opened" reminder was due: wait for an opened/clicked sibling.
        siblings = [
            s
            for s in scenario.children(step.parent_position or 0)
            if s.trigger in ("opened", "clicked") and s.position != step.position
        ]
        if siblings:
            conn.execute(
                "UPDATE contact_sequences SET status = 'waiting', next_position = NULL, next_send_at = NULL, "
                "updated_at = ? WHERE id = ?",
                (now_s, due.sequence_id),
            )
        else:
            self._end_sequence(conn, due.sequence_id, "completed", "opened before the reminder", now_s)

    def mark_sent(
        self,
        scenario: Scenario,
        claim: Claim,
        *,
        provider_id: str,
        sender: str,
        subject: str,
        now: datetime,
    ) -> None:
        """Record an accepted send: ledger, campaign email, counters, history, next step (one transaction)."""
        now_s = iso(now)
        with self.store.write() as db:
            conn = db.conn
            conn.execute(
                _SQL["ledger_sent"],
                (provider_id, sender, now_s, claim.key),
            )
            conn.execute(
                "INSERT OR IGNORE INTO campaign_emails (message_id, ledger_key, scenario_id, step_id, variant_id, "
                "contact, subject, sender, provider_id, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    claim.message_id,
                    claim.key,
                    claim.scenario_id,
                    claim.step_id,
                    claim.variant_id,
                    claim.contact,
                    subject,
                    sender,
                    provider_id,
                    now_s,
                ),
            )
            if claim.variant_id is not None:
                conn.execute(_SQL["count_variant_sent"], (claim.variant_id,))
            conn.execute(_SQL["count_sent"], (claim.scenario_id,))
            self._history(conn, scenario.name, claim, subject, "SENT", now_s)
            self._advance(conn, scenario, claim, now)

    def _history(self, conn: Any, campaign: str, claim: Claim, subject: str, status: str, now_s: str) -> None:
        customer = conn.execute(
            _SQL["history_customer"],
            (claim.contact,),
        ).fetchone()
        event = ContactEvent(
            contact_key=f"scenario-{claim.key[:32]}",
            customer_key=customer[0] if customer else None,
            date_contact=now_s,
            channel="EMAIL",
            campaign=campaign,
            subject=subject,
            status=status,
            response_details=claim.contact if customer is None else None,
            source="scenarios",
        )
        cols = [*ContactEvent.columns(), "row_hash"]
        conn.execute(
            f"INSERT OR REPLACE INTO contact_history ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            event.values(),
        )

    def _advance(self, conn: Any, scenario: Scenario, claim: Claim, now: datetime) -> None:
        now_s = iso(now)
        children = scenario.children(claim.position)
        timed = [s for s in children if s.trigger in ("entry", "delay")] or [
            s for s in children if s.trigger == "not_opened"
        ]
        after: tuple[int | None, str | None, str]
        if timed:
            nxt = timed[0]
            after = (nxt.position, iso(now + nxt.delay), "active")
        elif children:
            after = (None, None, "waiting")
        else:
            after = (None, None, "completed")
        conn.execute(_SQL["advance"], (claim.position, *after, now_s, claim.scenario_id, claim.contact))

    def mark_failed(self, scenario: Scenario, claim: Claim, error: str, *, now: datetime) -> None:
        """The provider refused this recipient: the row is ``failed`` and the sequence stops."""
        now_s = iso(now)
        with self.store.write() as db:
            conn = db.conn
            conn.execute(
                "UPDATE operation_ledger SET status = 'failed', error = ?, sent_at = ? WHERE key = ?",
                (error[:500], now_s, claim.key),
            )
            conn.execute("UPDATE scenarios SET failed = failed + 1 WHERE id = ?", (claim.scenario_id,))
            conn.execute(
                "UPDATE contact_sequences SET status = 'stopped', reason = ?, next_send_at = NULL, updated_at = ? "
                "WHERE scenario_id = ? AND contact = ?",
                (f"rejected: {error[:200]}", now_s, claim.scenario_id, claim.contact),
            )
            self._history(conn, scenario.name, claim, "", "FAILED", now_s)

    def mark_deferred(self, claim: Claim, error: str) -> None:
        """Known not sent (throttled, quota, connection refused): claimable again, not counted."""
        with self.store.write() as db:
            db.conn.execute(
                "UPDATE operation_ledger SET status = 'deferred', error = ? WHERE key = ? AND status = 'claimed'",
                (error[:500], claim.key),
            )

    def mark_unknown(self, claim: Claim, error: str) -> None:
        """The outcome is unknown (timeout after sending): hold the sequence; never re-sent automatically."""
        with self.store.write() as db:
            self._to_unknown(db.conn, [claim.key], error)

    @staticmethod
    def _to_unknown(conn: Any, keys: Sequence[str], error: str) -> None:
        now_s = now_iso()
        for key in keys:
            row = conn.execute(
                "SELECT scenario_id, contact FROM operation_ledger WHERE key = ? AND status = 'claimed'",
                (key,),
            ).fetchone()
            if row is None:
                continue
            conn.execute(
                "UPDATE operation_ledger SET status = 'unknown', error = ? WHERE key = ?", (error[:500], key)
            )
            conn.execute(
                "UPDATE contact_sequences SET status = 'held', reason = 'outcome unknown', updated_at = ? "
                "WHERE scenario_id = ? AND contact = ? AND status = 'active'",
                (now_s, row[0], row[1]),
            )

    def recover_stale(self, alive: Callable[[str], bool], *, older_than: datetime) -> int:
        """Claims left by a dead process (or older than ``older_than``) become ``unknown``.

        Args:
            alive: ``owner -> bool``: whether the claiming process still runs.
            older_than: claims before this moment are stale whoever owns them.

        Returns:
            Rows turned ``unknown``.
        """
        rows = self.store.db.execute(
            "SELECT key, owner, claimed_at FROM operation_ledger WHERE status = 'claimed'"
        ).fetchall()
        stale = [r[0] for r in rows if not alive(str(r[1])) or str(r[2]) < iso(older_than)]
        if not stale:
            return 0
        with self.store.write() as db:
            self._to_unknown(db.conn, stale, "the sending process stopped before recording the outcome")
        return len(stale)
