"""The report's end-of-run lists are streamed, not held (issue #16).

At 1,000,000 contacts the sandbox data leaves ~80,000 deletions pending: held as tuples, then
joined into one string and redacted, the list was the run's memory peak. A run with a report
writer now counts them, keeps the first ``RESULTS_KEPT`` for the console, and spools every line
to a temporary file the report is copied from.
"""

from __future__ import annotations

import tracemalloc
from datetime import datetime
from pathlib import Path

from crmtui.engine.report import ReportWriter, render, write_report
from crmtui.engine.sync_types import RESULTS_KEPT, SyncReport
from crmtui.i18n import t

PENDING = 30_000


def _report(sink: ReportWriter | None) -> SyncReport:
    return SyncReport(
        run_id=7, mode="production", dry_run=False, full=True, started=datetime(2026, 12, 3, 9), sink=sink
    )


def test_a_streamed_report_lists_every_pending_deletion_without_holding_them(tmp_path: Path) -> None:
    report = _report(ReportWriter())
    tracemalloc.start()
    try:
        for i in range(PENDING):
            report.add_pending(f"client{i}@exemple.fr", f"Zoé Lefèvre {i}", "🗑️ À SUPPRIMER")
        for i in range(3):
            report.add_forgotten(f"oubli{i}@exemple.fr", f"Hélène {i}", f"https://exemple.fr/r/{i}")
        held = tracemalloc.get_traced_memory()[0] / 2**20
    finally:
        tracemalloc.stop()
    assert report.pending_count == PENDING and report.forgotten_count == 3
    assert len(report.pending_decisions) == RESULTS_KEPT  # the console's first page, not the queue
    assert held < 2, f"{held:.1f} MiB held for {PENDING:,} pending deletions"

    text = write_report(report, tmp_path).read_text(encoding="utf-8")
    assert f"🗑️ {t('report.pending')}: {PENDING}" in text
    lines = text.splitlines()
    start = lines.index(t("report.section.pending"))
    listed = [line for line in lines[start + 2 :] if line.startswith("  • client")]
    assert len(listed) == PENDING
    assert listed[0] == "  • client0@exemple.fr — Zoé Lefèvre 0 [🗑️ À SUPPRIMER]"
    forgotten = lines.index(t("report.section.forgotten"))
    assert forgotten > start
    assert lines[forgotten + 2 : forgotten + 4] == [
        "  • oubli0@exemple.fr — Hélène 0",
        "    https://exemple.fr/r/0",
    ]


def test_a_report_without_a_writer_keeps_and_renders_its_whole_lists() -> None:
    report = _report(None)
    for i in range(RESULTS_KEPT + 5):
        report.add_pending(f"client{i}@exemple.fr", "", "🗑️ À SUPPRIMER")
    assert len(report.pending_decisions) == RESULTS_KEPT + 5
    text = render(report)
    assert text.count("  • client") == RESULTS_KEPT + 5
    assert f"{t('report.pending')}: {RESULTS_KEPT + 5}" in text


def test_hostile_names_in_the_lists_are_made_printable(tmp_path: Path) -> None:
    report = _report(ReportWriter())
    report.add_pending("x@exemple.fr", "\x1b[31mRouge[/]", "🗑️ À SUPPRIMER")
    text = write_report(report, tmp_path).read_text(encoding="utf-8")
    assert "\x1b" not in text


def test_a_report_repr_is_its_figures_not_its_customers() -> None:
    """``asyncio.run`` formats a returned report (its SIGINT check reprs the task and its result):
    the dataclass repr of a large run was tens of MiB of customers' addresses (issue #16)."""
    report = _report(ReportWriter())
    for i in range(PENDING):
        report.add_pending(f"client{i}@exemple.fr", f"Zoé Lefèvre {i}", "🗑️ À SUPPRIMER")
    text = repr(report)
    assert len(text) < 300 and "@" not in text
    assert f"pending={PENDING}" in text
    assert report.sink is not None
    report.sink.close()


def test_warnings_are_streamed_too() -> None:
    """``report.warnings`` takes appends as a list does; with a writer, only the first are kept."""
    report = _report(ReportWriter())
    for i in range(RESULTS_KEPT + 10):
        report.warnings.append(f"client{i}@exemple.fr est partagé par deux personnes Copper")
    report.warnings.extend(["un de plus"])
    assert report.warning_count == RESULTS_KEPT + 11 and len(report.warnings) == RESULTS_KEPT
    text = render(report)
    assert text.count("est partagé par deux personnes Copper") == RESULTS_KEPT + 10
    assert "  • un de plus" in text
    without = _report(None)
    without.warnings.append("seule")
    assert "  • seule" in render(without) and without.warning_count == 1
