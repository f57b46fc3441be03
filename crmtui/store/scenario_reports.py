"""Read-only figures for ``crmtui scenarios status`` and ``op``: what is pending, what a ledger row did.

The estate's document monitors its scenarios with SQLAlchemy queries (pending operations, active
sequences, A/B statistics, one operation by id); these are the same questions over crmtui's tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crmtui.store import Store


@dataclass(frozen=True)
class Pending:
    """A scenario's sends still to come.

    Attributes:
        due: active sequences whose next send time has come (the next tick sends them).
        scheduled: active sequences whose next send time is later.
        held: of those, sequences held by the cooldown (their next send time is its end).
        waiting: sequences waiting for an event (an open, a click) before their next step.
        next_send_at: the earliest next send time after now ("" when none).
        deferred: ledger rows known not sent, to be claimed again (throttled, quota).
        claimed: ledger rows being sent now.
        unknown: ledger rows whose outcome is unknown (never re-sent until settled).
    """

    due: int
    scheduled: int
    held: int
    waiting: int
    next_send_at: str
    deferred: int
    claimed: int
    unknown: int


def pending(store: Store, scenario_id: int, now_iso: str) -> Pending:
    """What is still to be sent in a scenario at ``now_iso`` (UTC ISO)."""
    row = store.query(
        "SELECT "
        "sum(status = 'active' AND next_send_at <= :now) AS due, "
        "sum(status = 'active' AND next_send_at > :now) AS scheduled, "
        "sum(status = 'active' AND next_send_at > :now AND reason = 'cooldown') AS held, "
        "sum(status = 'waiting') AS waiting, "
        "min(CASE WHEN status = 'active' AND next_send_at > :now THEN next_send_at END) AS next_at "
        "FROM contact_sequences WHERE scenario_id = :sid",
        {"now": now_iso, "sid": scenario_id},
    )[0]
    ledger = {
        r["status"]: int(r["n"])
        for r in store.query(
            "SELECT status, count(*) AS n FROM operation_ledger WHERE scenario_id = ? "
            "AND status IN ('deferred', 'claimed', 'unknown') GROUP BY status",
            (scenario_id,),
        )
    }
    return Pending(
        due=int(row["due"] or 0),
        scheduled=int(row["scheduled"] or 0),
        held=int(row["held"] or 0),
        waiting=int(row["waiting"] or 0),
        next_send_at=str(row["next_at"] or ""),
        deferred=ledger.get("deferred", 0),
        claimed=ledger.get("claimed", 0),
        unknown=ledger.get("unknown", 0),
    )


def step_counts(store: Store, scenario_id: int) -> dict[tuple[int, int | None], tuple[int, int, int]]:
    """``(step_id, variant_id) → (sent, opened, clicked)`` from the campaign emails (steps without variants)."""
    rows = store.query(
        "SELECT step_id, variant_id, count(*) AS sent, count(opened_at) AS opened, count(clicked_at) AS clicked "
        "FROM campaign_emails WHERE scenario_id = ? GROUP BY step_id, variant_id",
        (scenario_id,),
    )
    return {
        (int(r["step_id"]), r["variant_id"]): (int(r["sent"]), int(r["opened"]), int(r["clicked"]))
        for r in rows
    }


def find_operations(store: Store, key: str, limit: int = 5) -> list[dict[str, Any]]:
    """Ledger rows whose key is ``key`` or starts with it (the first match first), with names."""
    exact = key.strip().lower()
    if not exact:
        return []
    return store.query(
        "SELECT l.*, s.name AS scenario, st.name AS step, v.name AS variant "
        "FROM operation_ledger l LEFT JOIN scenarios s ON s.id = l.scenario_id "
        "LEFT JOIN scenario_steps st ON st.id = l.step_id LEFT JOIN step_variants v ON v.id = l.variant_id "
        "WHERE l.key >= ? AND l.key < ? ORDER BY l.key = ? DESC, l.key LIMIT ?",
        (exact, exact + "\uffff", exact, limit),
    )


def operation_events(
    store: Store, key: str, message_id: str
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The campaign email of a ledger row and its events (delivery, opens, clicks, bounces...), in order."""
    emails = store.query("SELECT * FROM campaign_emails WHERE ledger_key = ?", (key,))
    events: list[dict[str, Any]] = []
    if "email_event_log" in store.db.table_names():
        events = store.query(
            "SELECT kind, subtype, machine, source, at FROM email_event_log WHERE message_id = ? ORDER BY at, id",
            (message_id,),
        )
    return (emails[0] if emails else None), events
