"""The sync's lines in the per-run log: every operation, with its contact, in plain words.

Values are passed as logging arguments; :class:`crmtui.logs.RedactionFilter` redacts secrets and
escapes control characters of the formatted line (a hostile name cannot forge a log line).
"""

from __future__ import annotations

import logging

from crmtui.engine.sync_plan import ContactPlan, Op, OpKind, Outcome

log = logging.getLogger("crmtui.engine.sync")


def describe_op(op: Op) -> str:
    """One operation in a log line: what it writes where (names of tags, fields; never a secret)."""
    p = op.payload
    if op.kind is OpKind.MC_UPSERT:
        what = "new member" if p.get("new") else "update member"
        parts = [f"Mailchimp: {what} ({p.get('status')})"]
        if p.get("fields"):
            parts.append("fields " + ", ".join(sorted(p["fields"])))
        if p.get("tags"):
            parts.append("tags + " + ", ".join(p["tags"]))
        return "; ".join(parts)
    if op.kind is OpKind.MC_TAGS:
        return f"Mailchimp: tags + [{', '.join(p['add'])}] - [{', '.join(p['remove'])}]"
    if op.kind is OpKind.MC_STATUS:
        return f"Mailchimp: status → {p['status']}" + (" (reactivation)" if p.get("reactivate") else "")
    if op.kind is OpKind.MC_INACTIVE:
        return f"Mailchimp: {p['action']} (📥 INACTIF; was {p['previous']})"
    if op.kind is OpKind.MC_EMAIL:
        return f"Mailchimp: address {p['old']} → {op.email}"
    if op.kind is OpKind.COPPER_EMAIL:
        return f"Copper: person {p['id']} emails → {', '.join(p['emails'])}"
    if op.kind is OpKind.COPPER_CREATE:
        return "Copper: new person" + (f"; tags {', '.join(p['tags'])}" if p.get("tags") else "")
    if op.kind is OpKind.COPPER_UPDATE:
        parts = [f"Copper: update person {p['id']}"]
        if p.get("fields"):
            parts.append("fields " + ", ".join(sorted(p["fields"])))
        if "tags" in p:
            parts.append("tags = " + ", ".join(p["tags"]))
        return "; ".join(parts)
    if op.kind is OpKind.QUEUE_DELETION:
        return f"deletion queue (tag {p.get('tag')})"
    return op.kind.value


def log_plan_contacts(plans: list[ContactPlan]) -> None:
    """The plan step in the log, contact by contact (identical ones at debug)."""
    for plan in plans:
        if plan.outcome is Outcome.IDENTICAL and not plan.ops:
            log.debug("%s (%s): compared, identical: nothing to write", plan.email, plan.name)
        elif not plan.ops and plan.outcome is not Outcome.IDENTICAL:
            log.info("%s (%s): %s, nothing to write", plan.email, plan.name, plan.outcome.value)


def log_plan_summary(outcomes: dict[str, int], writes: int, settled: int) -> None:
    """The plan step's summary line: contacts with writes, already in sync, outcomes."""
    detail = ", ".join(f"{n} {k}" for k, n in sorted(outcomes.items()))
    log.info(
        "sync: planned %d contacts with writes; %d already in sync%s",
        writes,
        settled,
        f"; outcomes: {detail}" if detail else "",
    )
