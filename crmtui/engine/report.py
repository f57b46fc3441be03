"""The sync report operators already read: ``import_report_YYYY-MM-DD_HH-MM-SS.txt``.

Same name and layout as the team's old script (see REPORT_FORMAT.md), French or English, with
crmtui's additions (duration, mode, pending decisions, conflicts). Untrusted text is written with
:func:`crmtui.text.printable` and secrets are redacted.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from crmtui.engine.sync_plan import Direction, OpKind, Outcome
from crmtui.files import write_private_text
from crmtui.i18n import t
from crmtui.secrets import redact
from crmtui.text import printable

if TYPE_CHECKING:
    from crmtui.engine.sync_types import ContactResult, SyncReport

RULE = "=" * 80
SUBRULE = "-" * 50


def report_name(report: SyncReport) -> str:
    """``import_report_YYYY-MM-DD_HH-MM-SS.txt``."""
    return f"import_report_{report.started.strftime('%Y-%m-%d_%H-%M-%S')}.txt"


def _direction(result: ContactResult) -> str:
    d = result.plan.direction
    if d is Direction.TO_MAILCHIMP:
        return "Copper → Mailchimp"
    if d is Direction.TO_COPPER:
        return "Mailchimp → Copper"
    if d is Direction.BOTH:
        return "Copper ↔ Mailchimp"
    return "—"


def describe(result: ContactResult, dry_run: bool = False) -> str:
    """What happened to a contact, in the words the team expects (002's lines)."""
    plan = result.plan
    if not result.ok and not result.forgotten_now:
        return t("report.result.error", reason="; ".join(printable(e) for e in result.errors))
    if result.forgotten_now or plan.outcome is Outcome.FORGOTTEN:
        return t("report.result.forgotten")
    if plan.outcome is Outcome.EXCLUDED_DELETION:
        return t("report.result.excluded", tag=printable(plan.deletion_tag or ""))
    if plan.outcome is Outcome.INVALID_EMAIL:
        return t("report.result.invalid")
    if plan.outcome is Outcome.IDENTICAL and not plan.ops:
        return t("report.result.identical")
    suffix = f" {t('report.planned')}" if dry_run else ""
    kinds = {op.kind for op in plan.ops}
    if OpKind.MC_INACTIVE in kinds:
        archived = any(op.payload.get("action") == "archive" for op in plan.ops)
        return t("report.result.inactive_archived" if archived else "report.result.inactive") + suffix
    if OpKind.MC_STATUS in kinds:
        return t("report.result.reactivated") + suffix
    if (
        any(op.kind is OpKind.MC_UPSERT and op.payload.get("new") for op in plan.ops)
        or OpKind.COPPER_CREATE in kinds
    ):
        return t("report.result.added") + suffix
    if plan.tags_added:
        return t("report.result.updated", n=plan.tags_added) + suffix
    return t("report.result.synced") + suffix


def synced_tags(result: ContactResult) -> tuple[list[str], list[str]]:
    """The Mailchimp tags this contact's operations add and remove, by name."""
    added: list[str] = []
    removed: list[str] = []
    for op in result.plan.ops:
        if op.kind is OpKind.MC_UPSERT:
            added += [tag for tag in op.payload.get("tags") or () if tag not in added]
        elif op.kind is OpKind.MC_TAGS:
            added += [tag for tag in op.payload.get("add") or () if tag not in added]
            removed += [tag for tag in op.payload.get("remove") or () if tag not in removed]
    return added, removed


def _head(result: ContactResult, applied: bool) -> str:
    if not applied:
        return f"🔎 {t('report.planned_head')}"
    return f"✅ {t('report.ok')}" if result.ok or result.forgotten_now else f"❌ {t('report.error')}"


def render(report: SyncReport) -> str:
    """The report text: 000's layout, line for line, with crmtui's additions in between.

    The header's figures and each block's ``N. ✅ SUCCÈS | email`` / ``Direction:`` / ``Nom:`` lines
    are the old script's; crmtui adds the duration, mode, identical count and pending decisions to
    the header, and ``Résultat:`` and the tags synced to each block. Operations not carried out (a dry
    run, a run the circuit breaker stopped) are ``PRÉVU``, and no success rate is claimed for them.
    """
    ops = report.operations
    total = len(ops)
    ok = report.succeeded
    errors = report.failed
    rate = (ok / total * 100) if total else 100.0
    mode = report.mode.upper() + (f" · {t('report.dry_run')}" if report.dry_run else "")
    mode += f" · {t('report.full') if report.full else t('report.incremental')}"
    lines = [
        RULE,
        t("report.title"),
        RULE,
        f"Date: {report.started.strftime('%Y-%m-%d %H:%M:%S')}",
        f"{t('report.total')}: {total}",
        "",
    ]
    if report.applied:
        lines += [
            f"✅ {t('report.success')}: {ok}",
            f"❌ {t('report.errors')}: {errors}",
            f"📊 {t('report.rate')}: {rate:.1f}%",
        ]
    else:
        lines.append(f"🔎 {t('report.planned_count')}: {total}")
    lines += [
        f"🔁 {t('report.identical_count')}: {report.identical}",
        f"⏱️ {t('report.duration')}: {report.duration:.1f} s",
        f"🔧 {t('report.mode')}: {mode}",
        f"🗑️ {t('report.pending')}: {len(report.pending_decisions)}",
    ]
    if report.stopped:
        lines += ["", f"⛔ {printable(report.stopped)}"]
    lines += ["", t("report.details"), SUBRULE]
    for i, result in enumerate(ops, 1):
        lines += [
            f"{i:3d}. {_head(result, report.applied)} | {printable(result.plan.email)}",
            f"     Direction: {_direction(result)}",
            f"     {t('report.name')}: {printable(result.plan.name)}",
            f"     {t('report.result')}: {describe(result, not report.applied)}",
        ]
        added, removed = synced_tags(result)
        if added:
            lines.append(f"     {t('report.tags_synced')}: {', '.join(printable(tag) for tag in added)}")
        if removed:
            lines.append(f"     {t('report.tags_removed')}: {', '.join(printable(tag) for tag in removed)}")
        if result.resubscribe_url:
            lines.append(f"     {t('report.resubscribe')}: {printable(result.resubscribe_url)}")
        lines.append("")
    identical = report.identical_contacts
    if identical:
        lines += ["", t("report.section.identical"), SUBRULE]
        # 002's line as written: "• sophie.bernard@exemple.com → Contact identique ignoré (optimisation)".
        lines += [f"• {printable(email)} → {t('report.result.identical')}" for email, _ in identical]
    if report.pending_decisions:
        lines += ["", t("report.section.pending"), SUBRULE]
        lines += [
            f"  • {printable(e)} — {printable(n)} [{printable(tag)}]"
            for e, n, tag in report.pending_decisions
        ]
    if report.forgotten:
        lines += ["", t("report.section.forgotten"), SUBRULE]
        lines += [
            f"  • {printable(e)} — {printable(n)}\n    {printable(url)}" for e, n, url in report.forgotten
        ]
    conflicts = [(r.plan.email, c) for r in report.results for c in r.plan.conflicts]
    if conflicts:
        lines += ["", t("report.section.conflicts"), SUBRULE]
        for email, c in conflicts:
            lines.append(
                f"  • {printable(email)} {c.field}: Copper « {printable(c.copper)} » / Mailchimp « {printable(c.mailchimp)} »"
                f" → {c.winner}"
            )
    if report.invalid_emails and report.full:
        lines += ["", t("report.section.invalid"), SUBRULE]
        lines += [f"  • {printable(r.plan.email)} — {printable(r.plan.name)}" for r in report.invalid_emails]
    if report.warnings:
        lines += ["", t("report.section.warnings"), SUBRULE]
        lines += [f"  • {printable(w)}" for w in report.warnings]
    return redact("\n".join(lines) + "\n")


def write_report(report: SyncReport, folder: Path) -> Path:
    """Write the report file (mode 0600 in a 0700 folder: it names customers) and remember its path on the report."""
    path = write_private_text(folder / report_name(report), render(report))
    report.path = str(path)
    return path
