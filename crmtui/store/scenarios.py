"""Scenario repository: definitions, enrolment, the send ledger, statistics.

The one operation that matters most is :meth:`ScenarioRepo.claim`: a single ``BEGIN IMMEDIATE``
transaction that re-reads the scenario and the sequence, checks suppressions and unsubscribes,
the send window and days (in the scenario's time zone), the daily cap (counted inside the same
transaction, so it is exact across processes), the cooldown (every email sent the contact) and the recipient
filters, and only then inserts the ledger row. Nothing is sent without a committed claim, and
:meth:`ScenarioRepo.mark_sent` records the outcome, the campaign email, the counters, the
``contact_history`` row and the sequence's next step in one more transaction.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from crmtui.records.canonical import ContactEvent
from crmtui.records.emails import email_key
from crmtui.store._util import dumps, loads, now_iso

if TYPE_CHECKING:
    from crmtui.store.db import Store

STATUSES = ("draft", "active", "paused", "stopped")
"""Scenario statuses."""

TRIGGERS = ("entry", "delay", "opened", "not_opened", "clicked")
"""Step triggers."""

LIVE_LEDGER = ("claimed", "sent", "unknown")
"""Ledger states that count as a send (daily cap, cooldown)."""

SUPPRESSED_MC_STATUSES = ("unsubscribed", "cleaned", "forgotten")
"""Mailchimp statuses that forbid sending."""


def iso(moment: datetime) -> str:
    """A UTC ISO 8601 string to the second (the store's one time format: sorts as text)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def parse_iso(text: str) -> datetime:
    """Inverse of :func:`iso`."""
    return datetime.fromisoformat(text)


# -- the model ------------------------------------------------------------------------------------


@dataclass
class Audience:
    """Who enters a scenario: the union of every non-empty criterion.

    Attributes:
        copper_tags: synced contacts carrying any of these Copper tags.
        mailchimp_tags: synced contacts carrying any of these Mailchimp tags.
        segments: canonical customers in any of these RFM segments.
        sources: ``copper``/``mailchimp`` (synced contacts known there) or an ETL source name.
        emails: an explicit list.
    """

    copper_tags: list[str] = field(default_factory=list)
    mailchimp_tags: list[str] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[str]]:
        """The non-empty criteria."""
        return {k: list(v) for k, v in vars(self).items() if v}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Audience:
        """Build from a dict (unknown keys are the caller's validation problem)."""
        data = data or {}
        return cls(**{k: [str(x) for x in data.get(k) or []] for k in vars(cls()).keys()})


@dataclass
class AutoWinner:
    """The automatic A/B winner policy.

    Attributes:
        enabled: pick a winner automatically.
        metric: ``opened`` or ``clicked``.
        min_sends: sends every variant needs first.
        alpha: significance threshold of the two-proportion test.
    """

    enabled: bool = False
    metric: str = "opened"
    min_sends: int = 100
    alpha: float = 0.05


@dataclass
class Variant:
    """A weighted template choice of a step (``step_variants``)."""

    name: str
    template: str
    weight: float = 1.0
    id: int = 0
    sent: int = 0
    opened: int = 0
    clicked: int = 0


@dataclass
class Step:
    """One step of a scenario (``scenario_steps``)."""

    position: int
    name: str
    template: str
    trigger: str = "entry"
    delay_days: float = 0.0
    delay_hours: float = 0.0
    parent_position: int | None = None
    variants: list[Variant] = field(default_factory=list)
    id: int = 0
    winner_variant_id: int | None = None

    @property
    def delay(self) -> timedelta:
        """The step's delay."""
        return timedelta(days=self.delay_days, hours=self.delay_hours)


@dataclass
class TemplateRow:
    """A scenario's template as stored."""

    name: str
    subject: str
    html: str = ""
    text: str = ""


@dataclass
class Scenario:
    """A behavioural email scenario (``scenarios`` plus its steps, variants and templates)."""

    name: str
    description: str = ""
    status: str = "draft"
    daily_cap: int = 0
    cooldown_days: float = 0.0
    window_start: str = "09:00"
    window_end: str = "18:00"
    send_days: list[int] = field(default_factory=lambda: [1, 2, 3, 4, 5])
    timezone: str = "Europe/Paris"
    min_validation_score: int = 0
    only_deliverable: bool = True
    exclude_domains: list[str] = field(default_factory=list)
    stop_on_reply: bool = True
    stop_on_unsubscribe: bool = True
    include_unsubscribe: bool = True
    audience: Audience = field(default_factory=Audience)
    auto_winner: AutoWinner = field(default_factory=AutoWinner)
    sender: str = "auto"
    steps: list[Step] = field(default_factory=list)
    templates: dict[str, TemplateRow] = field(default_factory=dict)
    id: int = 0
    sent: int = 0
    failed: int = 0
    opened: int = 0
    clicked: int = 0

    def step_at(self, position: int) -> Step | None:
        """The step at ``position``."""
        return next((s for s in self.steps if s.position == position), None)

    def first_step(self) -> Step | None:
        """The entry step (lowest position)."""
        return min(self.steps, key=lambda s: s.position) if self.steps else None

    def children(self, position: int) -> list[Step]:
        """Steps that follow ``position``: explicit children, else the next position."""
        explicit = [s for s in self.steps if s.parent_position == position]
        if explicit:
            return sorted(explicit, key=lambda s: s.position)
        later = sorted(
            (s for s in self.steps if s.position > position and s.parent_position is None),
            key=lambda s: s.position,
        )
        return later[:1]


_SCALARS = (
    "description",
    "status",
    "daily_cap",
    "cooldown_days",
    "window_start",
    "window_end",
    "timezone",
    "min_validation_score",
    "sender",
)
_BOOLS = ("only_deliverable", "stop_on_reply", "stop_on_unsubscribe", "include_unsubscribe")


@dataclass(frozen=True)
class Claim:
    """A committed claim: the caller may now send exactly this email.

    Attributes:
        key: the ledger key.
        scenario_id, step_id, position, contact, template, variant_id: what is sent.
        message_id: our deterministic Message-ID (without angle brackets).
        local_day: the scenario's local date the claim counts against.
        attempts: 1 for a first claim, more for a deferred row claimed again.
    """

    key: str
    scenario_id: int
    step_id: int
    position: int
    contact: str
    template: str
    variant_id: int | None
    message_id: str
    local_day: str
    attempts: int


@dataclass(frozen=True)
class Refusal:
    """Why a due send was not claimed.

    Attributes:
        reason: ``inactive``, ``not_due``, ``already``, ``suppressed``, ``window``, ``cap``,
            ``cooldown``, ``filtered``, ``opened``.
        stop_scenario: nothing more of this scenario can be claimed in this tick (window, cap).
        detail: for ``filtered``: the filter that refused the address.
    """

    reason: str
    stop_scenario: bool = False
    detail: str = ""


@dataclass(frozen=True)
class ClaimRules:
    """The checks of one claim, computed by the engine from the scenario and the clock.

    Attributes:
        now: the current UTC time.
        local_day: the scenario's local date now.
        in_window: whether now is inside the send window and days.
        recipient_problem: a recipient filter's refusal ("" when the address passes).
        owner: this process's owner tag.
    """

    now: datetime
    local_day: str
    in_window: bool
    recipient_problem: str
    owner: str


@dataclass(frozen=True)
class DueSend:
    """A sequence whose next step is due."""

    sequence_id: int
    contact: str
    position: int
    next_send_at: str


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


class ResetRefused(ValueError):
    """A scenario's tests cannot be reset; ``blockers`` counts what stands in the way (see
    :meth:`ScenarioRepo.reset_blockers`; ``missing``: no such scenario)."""

    def __init__(self, blockers: dict[str, int]) -> None:
        self.blockers = blockers
        super().__init__(", ".join(f"{k} {v}" for k, v in blockers.items()))


def process_owner() -> str:
    """``host:pid:token`` of this process (the token guards against pid reuse)."""
    return f"{socket.gethostname()}:{os.getpid()}:{_OWNER_TOKEN}"


# -- the repository ---------------------------------------------------------------------------------


class ScenarioRepo:
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

    # -- the tick ------------------------------------------------------------------------------

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
                conn.execute(
                    "INSERT INTO operation_ledger (key, scenario_id, step_id, position, contact, template, "
                    "variant_id, status, local_day, claimed_at, owner, message_id) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, 'claimed', ?, ?, ?, ?)",
                    (
                        key,
                        scenario.id,
                        step.id,
                        step.position,
                        due.contact,
                        template,
                        variant_id,
                        rules.local_day,
                        now_s,
                        rules.owner,
                        message_id,
                    ),
                )
            if before_commit is not None:
                before_commit()
        return Claim(
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
