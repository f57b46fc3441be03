"""The sync report operators already read: ``import_report_YYYY-MM-DD_HH-MM-SS.txt``.

Same name and layout as the team's old script (see REPORT_FORMAT.md), French or English, with
crmtui's additions (duration, mode, pending decisions, conflicts). Untrusted text is written with
:func:`crmtui.text.printable` and secrets are redacted.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from crmtui.engine.sync_plan import Direction, OpKind, Outcome
from crmtui.engine.sync_types import is_operation
from crmtui.files import open_private, private_dir, write_private_text
from crmtui.i18n import t, t_or
from crmtui.secrets import redact
from crmtui.text import printable

if TYPE_CHECKING:
    from crmtui.engine.sync_types import ContactResult, SyncReport

RULE = "=" * 80
SUBRULE = "-" * 50
_SIDES = {"copper": "Copper", "mailchimp": "Mailchimp"}


def _field_label(field: str) -> str:
    """A synced field as the operator reads it (``phone`` → ``téléphone``); another mapped field by its name."""
    return t_or(f"report.field.{field}", printable(field))


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


def _block(i: int, result: ContactResult, applied: bool) -> list[str]:
    """One contact's block: ``N. ✅ SUCCÈS | email`` / ``Direction:`` / ``Nom:`` / ``Résultat:``…"""
    lines = [
        f"{i:3d}. {_head(result, applied)} | {printable(result.plan.email)}",
        f"     Direction: {_direction(result)}",
        f"     {t('report.name')}: {printable(result.plan.name)}",
        f"     {t('report.result')}: {describe(result, not applied)}",
    ]
    added, removed = synced_tags(result)
    if added:
        lines.append(f"     {t('report.tags_synced')}: {', '.join(printable(tag) for tag in added)}")
    if removed:
        lines.append(f"     {t('report.tags_removed')}: {', '.join(printable(tag) for tag in removed)}")
    if result.resubscribe_url:
        lines.append(f"     {t('report.resubscribe')}: {printable(result.resubscribe_url)}")
    lines.append("")
    return lines


class ReportWriter:
    """The report written as the run goes: each section spooled to an anonymous temporary file.

    The header's figures are only known at the end, so the detail blocks, conflicts, invalid
    addresses and identical contacts go to unlinked temporary files (mode 0600, gone with the
    process) as results arrive, and :meth:`write` puts the header and the sections together in
    the report's order. Memory stays one block, whatever the run's size.
    """

    def __init__(self) -> None:
        self._details = tempfile.TemporaryFile("w+", encoding="utf-8")
        self._conflicts = tempfile.TemporaryFile("w+", encoding="utf-8")
        self._invalid = tempfile.TemporaryFile("w+", encoding="utf-8")
        self._identical = tempfile.TemporaryFile("w+", encoding="utf-8")
        self._pending = tempfile.TemporaryFile("w+", encoding="utf-8")
        self._forgotten = tempfile.TemporaryFile("w+", encoding="utf-8")
        self._warnings = tempfile.TemporaryFile("w+", encoding="utf-8")
        self._count = 0
        self._has = {
            "conflicts": False,
            "invalid": False,
            "identical": False,
            "pending": False,
            "forgotten": False,
            "warnings": False,
        }

    def add(self, result: ContactResult, applied: bool) -> None:
        """One contact's result: its block if the report details it, its conflicts, an invalid address."""
        if is_operation(result):
            self._count += 1
            self._details.write("\n".join(_block(self._count, result, applied)) + "\n")
        for c in result.plan.conflicts:
            self._has["conflicts"] = True
            conflict = t(
                "report.conflict",
                email=printable(result.plan.email),
                field=_field_label(c.field),
                copper=printable(c.copper),
                mailchimp=printable(c.mailchimp),
                winner=_SIDES.get(c.winner, printable(c.winner)),
            )
            self._conflicts.write(f"  • {conflict}\n")
        if result.plan.outcome is Outcome.INVALID_EMAIL:
            self._has["invalid"] = True
            self._invalid.write(f"  • {printable(result.plan.email)} — {printable(result.plan.name)}\n")

    def add_identical(self, email: str, name: str) -> None:
        """002's line as written: "• sophie.bernard@exemple.com → Contact identique ignoré (optimisation)"."""
        self._has["identical"] = True
        self._identical.write(f"• {printable(email)} → {t('report.result.identical')}\n")

    def add_pending(self, email: str, name: str, tag: str) -> None:
        """One deletion waiting for a decision: ``• email — name [tag]``."""
        self._has["pending"] = True
        self._pending.write(f"  • {printable(email)} — {printable(name)} [{printable(tag)}]\n")

    def add_forgotten(self, email: str, name: str, url: str) -> None:
        """One forgotten address and, on the next line, its resubscribe link."""
        self._has["forgotten"] = True
        self._forgotten.write(f"  • {printable(email)} — {printable(name)}\n    {printable(url)}\n")

    def add_warning(self, text: str) -> None:
        """One warning of the run, on its line."""
        self._has["warnings"] = True
        self._warnings.write(f"  • {printable(text)}\n")

    def write(self, report: SyncReport, out: TextIO) -> None:
        """The whole report to ``out``: header from the run's figures, then each section."""
        total = report.operations_count
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
            f"🗑️ {t('report.pending')}: {report.pending_count}",
        ]
        if report.stopped:
            lines += ["", f"⛔ {printable(report.stopped)}"]
        lines += ["", t("report.details"), SUBRULE]
        out.write(redact("\n".join(lines) + "\n"))
        _copy(self._details, out)
        if self._has["identical"] and report.verbose:
            out.write(redact("\n".join(["", t("report.section.identical"), SUBRULE]) + "\n"))
            _copy(self._identical, out)
        if self._has["pending"]:
            out.write(redact("\n".join(["", t("report.section.pending"), SUBRULE]) + "\n"))
            _copy(self._pending, out)
        if self._has["forgotten"]:
            out.write(redact("\n".join(["", t("report.section.forgotten"), SUBRULE]) + "\n"))
            _copy(self._forgotten, out)
        if self._has["conflicts"]:
            out.write(redact("\n".join(["", t("report.section.conflicts"), SUBRULE]) + "\n"))
            _copy(self._conflicts, out)
        if self._has["invalid"] and report.full:
            out.write(redact("\n".join(["", t("report.section.invalid"), SUBRULE]) + "\n"))
            _copy(self._invalid, out)
        if self._has["warnings"]:
            out.write(redact("\n".join(["", t("report.section.warnings"), SUBRULE]) + "\n"))
            _copy(self._warnings, out)

    def close(self) -> None:
        """Drop the spooled sections."""
        for spool in (
            self._details,
            self._conflicts,
            self._invalid,
            self._identical,
            self._pending,
            self._forgotten,
            self._warnings,
        ):
            spool.close()


def _copy(spool: TextIO, out: TextIO) -> None:
    spool.flush()
    spool.seek(0)
    while chunk := spool.read(1 << 16):
        # A block ends with its newline, but 64 KiB may cut a secret in two: redact line by line.
        head, sep, rest = chunk.rpartition("\n")
        out.write(redact(head + sep))
        if rest:
            rest += spool.readline()
            out.write(redact(rest))
    spool.seek(0, io.SEEK_END)


def render(report: SyncReport) -> str:
    """The report text: 000's layout, line for line, with crmtui's additions in between.

    The header's figures and each block's ``N. ✅ SUCCÈS | email`` / ``Direction:`` / ``Nom:`` lines
    are the old script's; crmtui adds the duration, mode, identical count and pending decisions to
    the header, and ``Résultat:`` and the tags synced to each block. Operations not carried out (a dry
    run, a run the circuit breaker stopped) are ``PRÉVU``, and no success rate is claimed for them.

    A run that streamed its results to a :class:`ReportWriter` (:attr:`SyncReport.sink`) is
    rendered from it; otherwise from the results it kept.
    """
    out = io.StringIO()
    writer = report.sink if isinstance(report.sink, ReportWriter) else None
    if writer is None:
        writer = ReportWriter()
        try:
            for result in report.results:
                writer.add(result, report.applied)
            for email, name in report.identical_settled_list:
                writer.add_identical(email, name)
            for email, name, tag in report.pending_decisions:
                writer.add_pending(email, name, tag)
            for email, name, url in report.forgotten:
                writer.add_forgotten(email, name, url)
            for warning in report.warnings:
                writer.add_warning(warning)
            writer.write(report, out)
        finally:
            writer.close()
    else:
        writer.write(report, out)
    return out.getvalue()


def write_report(report: SyncReport, folder: Path) -> Path:
    """Write the report file (mode 0600 in a 0700 folder: it names customers) and remember its path on the report.

    A streamed run's sections are copied from their spools, never held whole in memory.
    """
    path = folder / report_name(report)
    writer = report.sink if isinstance(report.sink, ReportWriter) else None
    if writer is None:
        path = write_private_text(path, render(report))
    else:
        private_dir(path.parent)
        with open_private(path, encoding="utf-8") as out:
            writer.write(report, out)
        writer.close()
        report.sink = None
    report.path = str(path)
    return path
