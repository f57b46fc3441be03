"""Scenario repository: definitions, enrolment, settling, statistics (the send ledger's
transactions are :mod:`crmtui.store.scenario_ledger`, the records :mod:`crmtui.store.scenario_model`).

The one operation that matters most is :meth:`ScenarioRepo.claim`: a single ``BEGIN IMMEDIATE``
transaction that re-reads the scenario and the sequence, checks suppressions and unsubscribes,
the send window and days (in the scenario's time zone), the daily cap (counted inside the same
transaction, so it is exact across processes), the cooldown (every email sent the contact) and the recipient
filters, and only then inserts the ledger row. Nothing is sent without a committed claim, and
:meth:`ScenarioRepo.mark_sent` records the outcome, the campaign email, the counters, the
``contact_history`` row and the sequence's next step in one more transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from crmtui.records.emails import email_key
from crmtui.store._util import dumps, loads, now_iso, sort_text
from crmtui.store.scenario_ledger import _SQL, ScenarioLedger, process_owner
from crmtui.store.scenario_model import (
    _BOOLS,
    _SCALARS,
    LIVE_LEDGER,
    STATUSES,
    SUPPRESSED_MC_STATUSES,
    TRIGGERS,
    Audience,
    AutoWinner,
    Claim,
    ClaimRules,
    DueSend,
    Refusal,
    ResetRefused,
    Scenario,
    Step,
    TemplateRow,
    Variant,
    iso,
    parse_iso,
)

if TYPE_CHECKING:
    from crmtui.store.db import Store

# The repository, and the model and send-path names callers import from here (scenario_model,
# scenario_ledger).
__all__ = [
    "ScenarioRepo",
    "scenario_repo",
    "_SQL",
    "process_owner",
    "STATUSES",
    "TRIGGERS",
    "LIVE_LEDGER",
    "SUPPRESSED_MC_STATUSES",
    "iso",
    "parse_iso",
    "Audience",
    "AutoWinner",
    "Variant",
    "Step",
    "TemplateRow",
    "Scenario",
    "Claim",
    "Refusal",
    "ClaimRules",
    "DueSend",
    "ResetRefused",
]

# -- the repository ---------------------------------------------------------------------------------


class ScenarioRepo(ScenarioLedger):
    """Named operations on the scenario tables."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._field_names: frozenset[str] | None = None

    # -- definitions ------------------------------------------------------------------------

    def save(self, scenario: Scenario, *, actor: str = "operator") -> int:
        """Insert or update ``scenario`` by name, with its templates, steps and variants.

        Step ids stay stable per position and variant ids per (step, name), because the ledger's
        uniqueness is per step id: re-creating steps would let a contact receive a step twice.
        Counters are never overwritten by a save.

        Returns:
            The scenario id.
        """
        now = now_iso()
        values = {k: getattr(scenario, k) for k in _SCALARS}
        values.update({k: int(getattr(scenario, k)) for k in _BOOLS})
        values["send_days"] = dumps(sorted(set(scenario.send_days)))
        values["exclude_domains"] = dumps(list(scenario.exclude_domains))
        values["auto_winner"] = dumps(vars(scenario.auto_winner))
        values["name_sort"] = sort_text(scenario.name)  # the unknown sends' sort by scenario
        with self.store.write() as db:
            conn = db.conn
            row = conn.execute("SELECT id FROM scenarios WHERE name = ?", (scenario.name,)).fetchone()
            if row is None:
                cols = ["name", *values, "created_at", "updated_at"]
                conn.execute(
                    f"INSERT INTO scenarios ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                    (scenario.name, *values.values(), now, now),
                )
                sid = int(conn.execute("SELECT last_insert_rowid()").fetchone()[0])
                action = "scenario.create"
            else:
                sid = int(row[0])
                sets = ", ".join(f"{k} = ?" for k in values)
                conn.execute(
                    f"UPDATE scenarios SET {sets}, updated_at = ? WHERE id = ?", (*values.values(), now, sid)
                )
                action = "scenario.update"
            self._save_audience(conn, sid, scenario.audience)
            conn.execute("DELETE FROM scenario_templates WHERE scenario_id = ?", (sid,))
            conn.executemany(
                "INSERT INTO scenario_templates (scenario_id, name, subject, html, text) VALUES (?, ?, ?, ?, ?)",
                [(sid, t.name, t.subject, t.html, t.text) for t in scenario.templates.values()],
            )
            keep_positions = [s.position for s in scenario.steps]
            conn.execute(
                f"DELETE FROM scenario_steps WHERE scenario_id = ? AND position NOT IN "
                f"({', '.join('?' * len(keep_positions)) or 'NULL'})",
                (sid, *keep_positions),
            )
            for step in scenario.steps:
                conn.execute(
                    "INSERT INTO scenario_steps (scenario_id, position, name, trigger, delay_days, delay_hours, "
                    "parent_position, template) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT(scenario_id, position) DO UPDATE SET name = excluded.name, "
                    "trigger = excluded.trigger, delay_days = excluded.delay_days, "
                    "delay_hours = excluded.delay_hours, parent_position = excluded.parent_position, "
                    "template = excluded.template",
                    (
                        sid,
                        step.position,
                        step.name,
                        step.trigger,
                        step.delay_days,
                        step.delay_hours,
                        step.parent_position,
                        step.template,
                    ),
                )
                step_id = int(
                    conn.execute(
                        "SELECT id FROM scenario_steps WHERE scenario_id = ? AND position = ?",
                        (sid, step.position),
                    ).fetchone()[0]
                )
                names = [v.name for v in step.variants]
                conn.execute(
                    f"DELETE FROM step_variants WHERE step_id = ? AND name NOT IN "
                    f"({', '.join('?' * len(names)) or 'NULL'})",
                    (step_id, *names),
                )
                for variant in step.variants:
                    conn.execute(
                        "INSERT INTO step_variants (step_id, name, template, weight) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT(step_id, name) DO UPDATE SET template = excluded.template, "
                        "weight = excluded.weight",
                        (step_id, variant.name, variant.template, variant.weight),
                    )
            self.store.audit.record(actor, action, scenario.name)
        return sid

    @staticmethod
    def _save_audience(conn: Any, sid: int, audience: Audience) -> None:
        # One row per criterion value (``scenario_audience``), so the scenario's own row stays small
        # and a send's counter update never rewrites the audience. Rewritten only when it changed.
        rows = [
            (sid, kind, i, v) for kind, values in audience.as_dict().items() for i, v in enumerate(values)
        ]
        current = conn.execute(
            "SELECT scenario_id, kind, position, value FROM scenario_audience WHERE scenario_id = ? "
            "ORDER BY kind, position",
            (sid,),
        ).fetchall()
        if [tuple(r) for r in current] == sorted(rows):
            return
        conn.execute("DELETE FROM scenario_audience WHERE scenario_id = ?", (sid,))
        conn.executemany(
            "INSERT INTO scenario_audience (scenario_id, kind, position, value) VALUES (?, ?, ?, ?)", rows
        )

    def load_audience(self, scenario_id: int) -> Audience:
        """A scenario's audience criteria (``scenario_audience``)."""
        data: dict[str, list[str]] = {}
        for kind, value in self.store.db.execute(
            "SELECT kind, value FROM scenario_audience WHERE scenario_id = ? ORDER BY kind, position",
            (scenario_id,),
        ):
            data.setdefault(str(kind), []).append(str(value))
        return Audience.from_dict(data)

    def names(self) -> list[str]:
        """Every scenario name, sorted."""
        return [r["name"] for r in self.store.query("SELECT name FROM scenarios ORDER BY name")]

    def get(self, name_or_id: str | int, *, audience: bool = True) -> Scenario | None:
        """A scenario with its steps, variants and templates, by name or id.

        Args:
            audience: also load the audience criteria (an explicit list may hold hundreds of
                thousands of addresses: the send path, which never needs it, passes False; such a
                scenario must not be saved back).
        """
        column = "id" if isinstance(name_or_id, int) else "name"
        rows = self.store.query(f"SELECT * FROM scenarios WHERE {column} = ?", (name_or_id,))
        if not rows:
            return None
        return self._load(rows[0], audience=audience)

    def all(self, *, audience: bool = True) -> list[Scenario]:
        """Every scenario, by name (``audience`` as in :meth:`get`)."""
        return [
            self._load(r, audience=audience)
            for r in self.store.query("SELECT * FROM scenarios ORDER BY name")
        ]

    def _load(self, row: dict[str, Any], *, audience: bool = True) -> Scenario:
        sid = int(row["id"])
        scenario = Scenario(
            name=row["name"],
            id=sid,
            send_days=[int(d) for d in loads(row["send_days"], [])],
            exclude_domains=list(loads(row["exclude_domains"], [])),
            audience=self.load_audience(sid) if audience else Audience(),
            auto_winner=AutoWinner(**loads(row["auto_winner"], {})),
            sent=int(row["sent"]),
            failed=int(row["failed"]),
            opened=int(row["opened"]),
            clicked=int(row["clicked"]),
        )
        for k in _SCALARS:
            setattr(scenario, k, row[k])
        for k in _BOOLS:
            setattr(scenario, k, bool(row[k]))
        for t in self.store.query(
            "SELECT name, subject, html, text FROM scenario_templates WHERE scenario_id = ? ORDER BY name",
            (sid,),
        ):
            scenario.templates[t["name"]] = TemplateRow(t["name"], t["subject"], t["html"], t["text"])
        variants: dict[int, list[Variant]] = {}
        for v in self.store.query(
            "SELECT v.* FROM step_variants v JOIN scenario_steps s ON s.id = v.step_id "
            "WHERE s.scenario_id = ? ORDER BY v.id",
            (sid,),
        ):
            variants.setdefault(int(v["step_id"]), []).append(
                Variant(
                    v["name"],
                    v["template"],
                    float(v["weight"]),
                    int(v["id"]),
                    v["sent"],
                    v["opened"],
                    v["clicked"],
                )
            )
        for s in self.store.query(
            "SELECT * FROM scenario_steps WHERE scenario_id = ? ORDER BY position", (sid,)
        ):
            scenario.steps.append(
                Step(
                    position=int(s["position"]),
                    name=s["name"],
                    template=s["template"],
                    trigger=s["trigger"],
                    delay_days=float(s["delay_days"]),
                    delay_hours=float(s["delay_hours"]),
                    parent_position=s["parent_position"],
                    variants=variants.get(int(s["id"]), []),
                    id=int(s["id"]),
                    winner_variant_id=s["winner_variant_id"],
                )
            )
        return scenario

    def set_status(self, scenario_id: int, status: str, *, actor: str = "operator") -> str:
        """Change a scenario's status (audited); stopping also stops its sequences.

        Returns:
            The previous status.
        """
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        with self.store.write() as db:
            row = db.conn.execute(
                "SELECT name, status FROM scenarios WHERE id = ?", (scenario_id,)
            ).fetchone()
            if row is None:
                raise KeyError(scenario_id)
            db.conn.execute(
                "UPDATE scenarios SET status = ?, updated_at = ? WHERE id = ?",
                (status, now_iso(), scenario_id),
            )
            if status == "stopped":
                db.conn.execute(
                    "UPDATE contact_sequences SET status = 'stopped', reason = 'scenario stopped', updated_at = ? "
                    "WHERE scenario_id = ? AND status IN ('active', 'waiting')",
                    (now_iso(), scenario_id),
                )
            self.store.audit.record(
                actor, f"scenario.{status}", row[0], before={"status": row[1]}, after={"status": status}
            )
        return str(row[1])

    def delete(self, scenario_id: int, *, actor: str = "operator") -> None:
        """Delete a scenario and its definition (the ledger and sent emails are kept)."""
        with self.store.write() as db:
            row = db.conn.execute("SELECT name FROM scenarios WHERE id = ?", (scenario_id,)).fetchone()
            db.conn.execute("DELETE FROM scenarios WHERE id = ?", (scenario_id,))
            self.store.audit.record(actor, "scenario.delete", row[0] if row else str(scenario_id))

    # -- audience and enrolment -------------------------------------------------------------

    def audience_emails(self, audience: Audience) -> list[str]:
        """Normalized emails matching ``audience`` (union of its criteria), sorted, each once."""
        parts: list[str] = []
        params: list[Any] = []
        if audience.copper_tags:
            parts.append(
                "SELECT c.email FROM contacts c, json_each(c.copper_tags) j "
                f"WHERE j.value IN ({', '.join('?' * len(audience.copper_tags))})"
            )
            params += audience.copper_tags
        if audience.mailchimp_tags:
            parts.append(
                "SELECT c.email FROM contacts c, json_each(coalesce(json_extract(c.mc_state, '$.tags'), '[]')) j "
                f"WHERE j.value IN ({', '.join('?' * len(audience.mailchimp_tags))})"
            )
            params += audience.mailchimp_tags
        if audience.segments:
            parts.append(
                "SELECT email FROM customers WHERE email IS NOT NULL AND email != '' AND active = 1 "
                f"AND segment IN ({', '.join('?' * len(audience.segments))})"
            )
            params += audience.segments
        for source in audience.sources:
            if source == "copper":
                parts.append("SELECT email FROM contacts WHERE copper_id IS NOT NULL")
            elif source == "mailchimp":
                parts.append("SELECT email FROM contacts WHERE mailchimp_hash IS NOT NULL")
            else:
                parts.append(
                    "SELECT email FROM customers WHERE email IS NOT NULL AND email != '' "
                    "AND active = 1 AND source = ?"
                )
                params.append(source)
        emails = {email_key(e) for e in audience.emails if email_key(e)}
        if parts:
            sql = " UNION ".join(parts)
            emails |= {
                email_key(r[0]) for r in self.store.db.execute(sql, params).fetchall() if email_key(r[0])
            }
        return sorted(emails)

    def enrol(self, scenario: Scenario, emails: Sequence[str], *, now: datetime, test: bool = False) -> int:
        """Give each email a sequence at the entry step (idempotent: existing ones are kept).

        Returns:
            Sequences created now.
        """
        first = scenario.first_step()
        if first is None:
            return 0
        # One sequence per person: every spelling of an address (NFD, full-width, case) is one key.
        emails = sorted({key for key in map(email_key, emails) if key})
        gone = self.store.erasure.suppressed_emails(emails)  # erased or deleted: never enrolled
        emails = [e for e in emails if e not in gone]
        at = iso(now + first.delay) if first.trigger in ("entry", "delay") else None
        status = "active" if at is not None else "waiting"
        created = 0
        stamp = iso(now)
        batch = 5000
        for i in range(0, len(emails), batch):
            with self.store.write() as db:
                before = db.conn.total_changes
                db.conn.executemany(
                    "INSERT OR IGNORE INTO contact_sequences (scenario_id, contact, next_position, next_send_at, "
                    "status, test, entered_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (scenario.id, e, first.position, at, status, int(test), stamp, stamp)
                        for e in emails[i : i + batch]
                    ],
                )
                created += db.conn.total_changes - before
        return created

    def reset_blockers(self, scenario_id: int) -> dict[str, int]:
        """Why a scenario's tests cannot be reset: counts of what is not a finished test send.

        ``real``: sequences of contacts enrolled for real (the audience), ``real_sends``: ledger rows
        of contacts that are not test contacts, ``claimed``: sends in flight, ``unknown``: sends whose
        outcome is unknown (settle them first: a reset would let them go again). All zero: resettable.
        """
        row = self.store.query(
            "SELECT (SELECT count(*) FROM contact_sequences WHERE scenario_id = :s AND test = 0) AS real, "
            "(SELECT count(*) FROM operation_ledger l WHERE l.scenario_id = :s AND NOT EXISTS ("
            " SELECT 1 FROM contact_sequences q WHERE q.scenario_id = :s AND q.contact = l.contact AND q.test = 1"
            ")) AS real_sends, "
            "(SELECT count(*) FROM operation_ledger WHERE scenario_id = :s AND status = 'claimed') AS claimed, "
            "(SELECT count(*) FROM operation_ledger WHERE scenario_id = :s AND status = 'unknown') AS unknown",
            {"s": scenario_id},
        )[0]
        return {k: int(row[k] or 0) for k in ("real", "real_sends", "claimed", "unknown")}

    def reset_test_sequences(self, scenario_id: int, *, actor: str = "operator") -> int:
        """Forget a scenario's test sends so the test can run again: its test sequences, their ledger
        rows, campaign emails, tracked links and events, and the scenario's counters.

        Only for a scenario whose every send went to a test contact (``crmtui scenarios test``) and
        settled: see :meth:`reset_blockers`, checked again inside the transaction.

        Raises:
            ResetRefused: what stands in the way (unknown scenario, real contacts, sends in flight...).
        """
        with self.store.write() as db:
            conn = db.conn
            row = conn.execute("SELECT name FROM scenarios WHERE id = ?", (scenario_id,)).fetchone()
            if row is None:
                raise ResetRefused({"missing": 1})
            blockers = {k: v for k, v in self.reset_blockers(scenario_id).items() if v}
            if blockers:
                raise ResetRefused(blockers)
            keys = [
                (r[0], r[1])
                for r in conn.execute(
                    "SELECT key, message_id FROM operation_ledger WHERE scenario_id = ?", (scenario_id,)
                )
            ]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            for table in ("tracked_links", "email_event_log"):
                if table in tables:
                    conn.executemany(f"DELETE FROM {table} WHERE message_id = ?", [(m,) for _, m in keys])
            conn.execute("DELETE FROM campaign_emails WHERE scenario_id = ?", (scenario_id,))
            conn.execute("DELETE FROM operation_ledger WHERE scenario_id = ?", (scenario_id,))
            n = conn.execute(
                "DELETE FROM contact_sequences WHERE scenario_id = ? AND test = 1", (scenario_id,)
            ).rowcount
            conn.execute(
                "UPDATE scenarios SET sent = 0, opened = 0, clicked = 0 WHERE id = ?", (scenario_id,)
            )
            conn.execute(
                "UPDATE step_variants SET sent = 0, opened = 0, clicked = 0 WHERE step_id IN "
                "(SELECT id FROM scenario_steps WHERE scenario_id = ?)",
                (scenario_id,),
            )
            self.store.audit.record(
                actor, "scenario.reset_tests", row[0], detail=f"{n} sequences, {len(keys)} sends"
            )
        return int(n)

    def contact_field_names(self) -> set[str]:
        """Columns of ``contacts`` and ``customers`` (the contact fields a template may name).

        Read once per repository: the columns are the migrations' and do not change while open.
        """
        if self._field_names is None:
            db = self.store.db
            names: set[str] = set()
            for table in ("contacts", "customers"):
                if table in db.table_names():
                    names |= {c.name for c in db.table(table).columns}
            self._field_names = frozenset(names)
        return set(self._field_names)

    def contact_values(self, email: str) -> dict[str, Any]:
        """Template values of a contact: synced contact fields, then canonical customer fields."""
        return self.contact_values_and_sources(email)[0]

    def contact_values_and_sources(self, email: str) -> tuple[dict[str, Any], dict[str, str]]:
        """Template values of a contact and where each comes from.

        Sources: ``customer`` (the ETL's canonical customer, by email; its ``source`` column names
        iSaVigne or Odoo), ``contact`` (the synced Copper/Mailchimp contact, which wins over the
        customer), ``copper_company`` (the Copper person's company name, when no customer gives
        one). ``copper_custom_fields`` holds the Copper person's custom field values by definition
        id (``{{siret}}`` reads COPPER_SIRET_FIELD from it).
        """
        values: dict[str, Any] = {"email": email}
        sources: dict[str, str] = {}
        customer = self.store.query(
            "SELECT * FROM customers WHERE email = ? ORDER BY active DESC, customer_key LIMIT 1",
            (email,),
        )
        if customer:
            c = customer[0]
            for k, v in c.items():
                if k not in ("row_hash", "name_key", "invalid_fields") and v not in (None, ""):
                    values[k] = v
                    sources[k] = "customer"
        contact = self.store.query(
            "SELECT first_name, last_name, phone, copper_id, mailchimp_status, copper_tags, copper_state "
            "FROM contacts WHERE email = ?",
            (email,),
        )
        if contact:
            row = dict(contact[0])
            state = loads(row.pop("copper_state"), None)
            for k, v in row.items():
                if v not in (None, ""):
                    values[k] = ", ".join(loads(v, [])) if k == "copper_tags" else v
                    sources[k] = "contact"
            if isinstance(state, dict):
                if state.get("company") and "company" not in values:
                    values["company"] = state["company"]
                    sources["company"] = "copper_company"
                custom = state.get("custom_fields")
                if isinstance(custom, dict) and custom:
                    values["copper_custom_fields"] = {str(k): str(v) for k, v in custom.items()}
        return values, sources

    def sample_contacts(self, scenario_id: int, limit: int = 20) -> list[str]:
        """Some enrolled contacts (for the template preview)."""
        return [
            r["contact"]
            for r in self.store.query(
                "SELECT contact FROM contact_sequences WHERE scenario_id = ? ORDER BY id LIMIT ?",
                (scenario_id, limit),
            )
        ]

    # -- settling, engagement, suppression ----------------------------------------------------------

    def unknown(self, limit: int = 200, *, after: tuple[str, str] | None = None) -> list[dict[str, Any]]:
        """Sends whose outcome is unknown, oldest first (the console's resolve queue), one page.

        ``after``: the ``(claimed_at, key)`` of the last row of the previous page (keyset paging:
        the next page costs the same however deep it is; the status index finds the rows).
        """
        where = "l.status = 'unknown'"
        params: tuple[Any, ...] = (limit,)
        if after is not None:
            where += " AND (l.claimed_at, l.key) > (?, ?)"
            params = (after[0], after[1], limit)
        return self.store.query(
            "SELECT l.key, l.contact, l.claimed_at, l.error, l.template, s.name AS scenario, st.name AS step "
            "FROM operation_ledger l JOIN scenarios s ON s.id = l.scenario_id "
            f"LEFT JOIN scenario_steps st ON st.id = l.step_id WHERE {where} "
            "ORDER BY l.claimed_at, l.key LIMIT ?",
            params,
        )

    def resolve_unknown(
        self,
        key: str,
        outcome: str,
        *,
        actor: str = "operator",
        provider_id: str = "",
        now: datetime | None = None,
    ) -> bool:
        """Settle an ``unknown`` send: ``sent`` (it was delivered) or ``not_sent`` (claimable again).

        Returns:
            False when ``key`` is not an unknown row.
        """
        if outcome not in ("sent", "not_sent"):
            raise ValueError("outcome must be 'sent' or 'not_sent'")
        moment = now or datetime.now(UTC)
        row = self.store.query("SELECT * FROM operation_ledger WHERE key = ? AND status = 'unknown'", (key,))
        if not row:
            return False
        r = row[0]
        scenario = self.get(int(r["scenario_id"]), audience=False)
        claim = Claim(
            r["key"],
            int(r["scenario_id"]),
            int(r["step_id"]),
            int(r["position"]),
            r["contact"],
            r["template"],
            r["variant_id"],
            r["message_id"],
            r["local_day"],
            int(r["attempts"]),
        )
        with self.store.write() as db:
            if outcome == "sent" and scenario is not None:
                subject = scenario.templates.get(claim.template, TemplateRow(claim.template, "")).subject
                self.mark_sent(
                    scenario,
                    claim,
                    provider_id=provider_id,
                    sender=r["sender"] or "unknown",
                    subject=subject,
                    now=moment,
                )
            else:
                db.conn.execute(
                    "UPDATE operation_ledger SET status = 'deferred', error = 'settled as not sent' WHERE key = ?",
                    (key,),
                )
                db.conn.execute(
                    "UPDATE contact_sequences SET status = 'active', reason = NULL, updated_at = ? "
                    "WHERE scenario_id = ? AND contact = ? AND status = 'held'",
                    (iso(moment), claim.scenario_id, claim.contact),
                )
            db.conn.execute("UPDATE operation_ledger SET settled_by = ? WHERE key = ?", (actor, key))
            self.store.audit.record(actor, f"ledger.resolve.{outcome}", claim.contact, detail=key)
        return True

    def record_engagement(self, message_id: str, kind: str, *, now: datetime | None = None) -> bool:
        """An open or click of a sent email: counters once per email, and the follow-up step.

        Args:
            message_id: our Message-ID (without angle brackets).
            kind: ``opened`` or ``clicked`` (a click implies an open).

        Returns:
            False when the email is unknown.
        """
        moment = now or datetime.now(UTC)
        now_s = iso(moment)
        with self.store.write() as db:
            conn = db.conn
            row = conn.execute(
                "SELECT scenario_id, step_id, variant_id, contact, opened_at, clicked_at FROM campaign_emails "
                "WHERE message_id = ?",
                (message_id,),
            ).fetchone()
            if row is None:
                return False
            sid, step_id, variant_id, contact, opened_at, clicked_at = row
            kinds = ["opened"] if kind == "opened" else ["opened", "clicked"]
            for k in kinds:
                if (k == "opened" and opened_at) or (k == "clicked" and clicked_at):
                    continue
                conn.execute(
                    f"UPDATE campaign_emails SET {k}_at = ? WHERE message_id = ?", (now_s, message_id)
                )
                if variant_id is not None:
                    conn.execute(f"UPDATE step_variants SET {k} = {k} + 1 WHERE id = ?", (variant_id,))
                conn.execute(f"UPDATE scenarios SET {k} = {k} + 1 WHERE id = ?", (sid,))
                conn.execute(
                    f"UPDATE contact_sequences SET {k} = {k} + 1 WHERE scenario_id = ? AND contact = ?",
                    (sid, contact),
                )
            step_row = conn.execute("SELECT position FROM scenario_steps WHERE id = ?", (step_id,)).fetchone()
            seq = conn.execute(
                "SELECT id, status, current_position, next_position FROM contact_sequences "
                "WHERE scenario_id = ? AND contact = ?",
                (sid, contact),
            ).fetchone()
        scenario = self.get(int(sid), audience=False)
        if scenario is None or step_row is None or seq is None or seq[2] != step_row[0]:
            return True
        follow = [s for s in scenario.children(int(step_row[0])) if s.trigger in kinds]
        if follow and seq[1] in ("waiting", "active"):
            nxt = sorted(follow, key=lambda s: (s.trigger != kind, s.position))[0]
            with self.store.write() as db:
                db.conn.execute(
                    "UPDATE contact_sequences SET status = 'active', next_position = ?, next_send_at = ?, "
                    "updated_at = ? WHERE id = ? AND status IN ('waiting', 'active')",
                    (nxt.position, iso(moment + nxt.delay), now_s, seq[0]),
                )
        return True

    def suppress(self, email: str, reason: str, *, source: str = "", stop_sequences: bool = True) -> None:
        """Never email ``email`` again from a scenario (unsubscribe, bounce, complaint, manual)."""
        email = email_key(email)
        with self.store.write() as db:
            db.conn.execute(
                "INSERT OR IGNORE INTO suppressions (email, reason, source, created_at) VALUES (?, ?, ?, ?)",
                (email, reason, source, now_iso()),
            )
            if stop_sequences:
                db.conn.execute(
                    "UPDATE contact_sequences SET status = 'unsubscribed', reason = ?, next_send_at = NULL, "
                    "updated_at = ? WHERE contact = ? AND status IN ('active', 'waiting', 'held')",
                    (reason, now_iso(), email),
                )

    def set_winner(self, step_id: int, variant_id: int | None, *, actor: str, detail: str = "") -> None:
        """Send the rest of a step's traffic to one variant (audited); None clears it."""
        with self.store.write() as db:
            before = db.conn.execute(
                "SELECT winner_variant_id, scenario_id, name FROM scenario_steps WHERE id = ?", (step_id,)
            ).fetchone()
            db.conn.execute(
                "UPDATE scenario_steps SET winner_variant_id = ? WHERE id = ?", (variant_id, step_id)
            )
            self.store.audit.record(
                actor,
                "scenario.winner",
                f"step {step_id}" + (f" ({before[2]})" if before else ""),
                before={"winner_variant_id": before[0] if before else None},
                after={"winner_variant_id": variant_id},
                detail=detail,
            )

    # -- figures ---------------------------------------------------------------------------------

    def ledger_counts(self, scenario_id: int | None = None) -> dict[str, int]:
        """Ledger rows per status (all scenarios or one)."""
        where, params = ("WHERE scenario_id = ?", (scenario_id,)) if scenario_id is not None else ("", ())
        rows = self.store.query(
            f"SELECT status, count(*) AS n FROM operation_ledger {where} GROUP BY status", params
        )
        return {r["status"]: int(r["n"]) for r in rows}

    def variant_daily(self, scenario_id: int) -> list[dict[str, Any]]:
        """Emails sent per step, variant and UTC day, with how many were opened and clicked.

        The A/B chart draws cumulative rates from these rows (``day`` is ``YYYY-MM-DD``).
        """
        return self.store.query(
            "SELECT step_id, variant_id, substr(sent_at, 1, 10) AS day, count(*) AS sent, "
            "count(opened_at) AS opened, count(clicked_at) AS clicked FROM campaign_emails "
            "WHERE scenario_id = ? GROUP BY step_id, variant_id, day ORDER BY step_id, variant_id, day",
            (scenario_id,),
        )

    def sequence_counts(self, scenario_id: int | None = None) -> dict[str, int]:
        """Sequences per status."""
        where, params = ("WHERE scenario_id = ?", (scenario_id,)) if scenario_id is not None else ("", ())
        rows = self.store.query(
            f"SELECT status, count(*) AS n FROM contact_sequences {where} GROUP BY status", params
        )
        return {r["status"]: int(r["n"]) for r in rows}

    def sent_today(self, scenario_id: int, local_day: str) -> int:
        """Claims counted against the daily cap of ``local_day``."""
        return int(
            self.store.scalar(
                "SELECT count(*) FROM operation_ledger WHERE scenario_id = ? AND local_day = ? "
                "AND status IN ('claimed', 'sent', 'unknown')",
                (scenario_id, local_day),
            )
            or 0
        )

    def ledger_rows(self, scenario_id: int) -> Iterator[dict[str, Any]]:
        """Every ledger row of a scenario (tests and reports)."""
        yield from self.store.query(
            "SELECT * FROM operation_ledger WHERE scenario_id = ? ORDER BY key", (scenario_id,)
        )


def scenario_repo(store: Store) -> ScenarioRepo:
    """The store's scenario repository (created once and kept on the store)."""
    repo: ScenarioRepo | None = getattr(store, "scenarios", None)
    if not isinstance(repo, ScenarioRepo):
        repo = ScenarioRepo(store)
        setattr(store, "scenarios", repo)  # noqa: B010 - Store does not declare it yet
    return repo
