"""Monitoring from the command line: a scenario's status, one ledger operation, resetting a test.

The estate's document answers these with Python snippets (pending operations, active sequences,
A/B statistics per variant, ``query(OperationLedger).get(id)``, deleting a test scenario's rows);
``crmtui scenarios status|op|reset`` answer them with the same figures the console shows.
Every line is in the operator's language and safe to print (untrusted text through ``printable``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import crmtui.i18n.scenarios  # noqa: F401 - registers the scenario strings
from crmtui.engine import ab
from crmtui.engine.scenario_settings import DAY_NAMES
from crmtui.formats import percent
from crmtui.i18n import t
from crmtui.store import Store
from crmtui.store.scenario_reports import find_operations, operation_events, pending, step_counts
from crmtui.store.scenarios import ResetRefused, Scenario, iso, parse_iso, scenario_repo
from crmtui.text import printable

SEQUENCE_STATUSES = ("active", "waiting", "held", "completed", "stopped", "filtered", "unsubscribed")
"""Sequence states, in the order ``status`` lists them (active and stopped always, others when present)."""


def _local(moment: str, zone: str) -> str:
    """A stored UTC ISO time as ``YYYY-MM-DD HH:MM`` in the scenario's zone, with the zone named."""
    if not moment:
        return "-"
    try:
        local = parse_iso(moment).astimezone(ZoneInfo(zone))
    except (ValueError, KeyError):
        return moment
    return f"{local:%Y-%m-%d %H:%M} {zone}"


def _pct(part: int, whole: int) -> str:
    return percent(part / whole) if whole else "-"


def status_lines(store: Store, scenario: Scenario, now: datetime | None = None) -> list[str]:
    """The status of one scenario: pending sends, sequences, and per step and variant the figures."""
    repo = scenario_repo(store)
    moment = now or datetime.now(UTC)
    days = ",".join(DAY_NAMES[d - 1] for d in sorted(set(scenario.send_days)) if 1 <= d <= 7)
    lines = [
        t(
            "scenarios.status.head",
            name=printable(scenario.name),
            status=scenario.status,
            start=scenario.window_start,
            end=scenario.window_end,
            days=days,
            zone=scenario.timezone,
            cap=scenario.daily_cap or "-",
            cooldown=f"{scenario.cooldown_days:g}",
        )
    ]
    p = pending(store, scenario.id, iso(moment))
    lines.append(
        t(
            "scenarios.status.pending",
            due=p.due,
            scheduled=p.scheduled,
            held=p.held,
            waiting=p.waiting,
            next=_local(p.next_send_at, scenario.timezone),
        )
    )
    lines.append(t("scenarios.status.ledger", claimed=p.claimed, deferred=p.deferred, unknown=p.unknown))
    counts = repo.sequence_counts(scenario.id)
    shown = [s for s in SEQUENCE_STATUSES if s in ("active", "stopped") or counts.get(s)]
    shown += sorted(s for s in counts if s not in SEQUENCE_STATUSES)
    lines.append(
        t(
            "scenarios.status.sequences",
            counts=" · ".join(
                f"{t('scenarios.status.seq.' + s) if s in SEQUENCE_STATUSES else s} {counts.get(s, 0)}"
                for s in shown
            ),
        )
    )
    own = step_counts(store, scenario.id)
    for step in sorted(scenario.steps, key=lambda s: s.position):
        lines.append(
            t(
                "scenarios.status.step",
                position=step.position,
                name=printable(step.name),
                trigger=step.trigger,
            )
        )
        if step.variants:
            stats = [ab.VariantStats.of(v.id, v.name, v.sent, v.opened, v.clicked) for v in step.variants]
        else:
            sent, opened, clicked = own.get((step.id, None), (0, 0, 0))
            stats = [ab.VariantStats.of(0, step.template, sent, opened, clicked)]
        for v in stats:
            winner = (
                " ★" if step.winner_variant_id is not None and step.winner_variant_id == v.variant_id else ""
            )
            lines.append(
                t(
                    "scenarios.status.variant",
                    name=printable(v.name) + winner,
                    sent=v.sent,
                    opened=_pct(v.opened, v.sent),
                    clicked=_pct(v.clicked, v.sent),
                )
            )
        if len(stats) >= 2:
            metric, alpha = scenario.auto_winner.metric, scenario.auto_winner.alpha
            verdict = ab.compare(stats, metric, alpha)
            if not sum(v.sent for v in stats):
                text = t("scenarios.status.verdict.nothing")
            elif verdict.significant:
                text = t(
                    "scenarios.verdict.significant",
                    best=printable(verdict.best.name if verdict.best else ""),
                    other=printable(verdict.runner_up.name if verdict.runner_up else ""),
                    p=f"{verdict.p_value:.4f}",
                )
            else:
                text = t("scenarios.verdict.none", p=f"{verdict.p_value:.4f}")
            lines.append(t("scenarios.status.verdict", metric=metric, verdict=text))
    return lines


def next_send_text(store: Store, scenario: Scenario, now: datetime | None = None) -> str:
    """One line for the console: sends due now, the next send time and how many the cooldown holds."""
    p = pending(store, scenario.id, iso(now or datetime.now(UTC)))
    return t(
        "scenarios.next_send",
        due=p.due,
        scheduled=p.scheduled,
        held=p.held,
        next=_local(p.next_send_at, scenario.timezone),
    )


class AmbiguousKey(Exception):
    """A key prefix that matches several operations; ``keys`` lists them."""

    def __init__(self, keys: list[str]) -> None:
        self.keys = keys
        super().__init__(", ".join(keys))


MIN_PREFIX = 8
"""Characters of a ledger key ``op`` needs at least (the CLI prints 16)."""


def op_lines(store: Store, key: str) -> list[str] | None:
    """One ledger operation and its events, or None when no operation has that key (or prefix).

    Raises:
        AmbiguousKey: the prefix matches more than one operation.
    """
    key = key.strip().lower()
    if len(key) < MIN_PREFIX:
        return None
    rows = find_operations(store, key)
    if not rows:
        return None
    if rows[0]["key"] != key and len(rows) > 1:
        raise AmbiguousKey([r["key"] for r in rows])
    op = rows[0]
    lines = [
        t("scenarios.op.head", key=op["key"]),
        t(
            "scenarios.op.where",
            scenario=printable(op["scenario"] or f"#{op['scenario_id']}"),
            position=op["position"],
            step=printable(op["step"] or f"#{op['step_id']}"),
            variant=printable(op["variant"] or "-"),
            template=printable(op["template"]),
        ),
        t("scenarios.op.contact", contact=printable(op["contact"])),
        t(
            "scenarios.op.status",
            status=op["status"],
            attempts=op["attempts"],
            claimed=op["claimed_at"],
            day=op["local_day"],
            owner=printable(op["owner"]),
        ),
    ]
    if op["sent_at"] or op["provider_id"]:
        lines.append(
            t(
                "scenarios.op.sent",
                sent=op["sent_at"] or "-",
                sender=op["sender"] or "-",
                provider=printable(op["provider_id"] or "-"),
            )
        )
    lines.append(t("scenarios.op.message", message=printable(op["message_id"])))
    if op["error"]:
        lines.append(t("scenarios.op.error", error=printable(op["error"])))
    if op["settled_by"]:
        lines.append(t("scenarios.op.settled", by=printable(op["settled_by"])))
    email, events = operation_events(store, op["key"], op["message_id"])
    if email is not None:
        lines.append(
            t(
                "scenarios.op.email",
                status=email["status"],
                subject=printable(email["subject"]),
                opened=email["opened_at"] or "-",
                clicked=email["clicked_at"] or "-",
            )
        )
    lines.append(t("scenarios.op.events", n=len(events)))
    for e in events:
        machine = f" [{t('scenarios.op.machine')}]" if e["machine"] else ""
        subtype = f" {printable(e['subtype'])}" if e["subtype"] else ""
        lines.append(f"    {e['at']}  {e['kind']}{subtype}  ({printable(e['source'])}){machine}")
    return lines


def reset_tests(store: Store, name: str, *, actor: str = "cli") -> int:
    """Forget a test scenario's sends (only test sends, all settled) so the test can run again.

    Raises:
        KeyError: no scenario of that name.
        ResetRefused: why not (:func:`refusal_text` says it in words).
    """
    repo = scenario_repo(store)
    scenario = repo.get(name, audience=False)
    if scenario is None:
        raise KeyError(name)
    return repo.reset_test_sequences(scenario.id, actor=actor)


def refusal_text(name: str, refused: ResetRefused) -> str:
    """Why a reset was refused, every reason in plain words."""
    reasons = [t(f"scenarios.reset.why.{k}", n=v) for k, v in refused.blockers.items() if k != "missing"]
    return t("scenarios.reset.refused", name=printable(name), reasons="; ".join(reasons))
