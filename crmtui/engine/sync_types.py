"""The sync's results as data: what one contact's plan became, and what a whole run did.

Below the engine that produces them (:mod:`crmtui.engine.sync`) and the modules that read them
(:mod:`crmtui.engine.report` writes the report file, :mod:`crmtui.engine.decisions` and the console
show them), so none of those needs to import the sync engine itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from crmtui.engine.sync_plan import ContactPlan, Outcome

CURSOR_COPPER = "sync.copper.modified"
CURSOR_MAILCHIMP = "sync.mailchimp.changed"
CURSOR_RUNS_SINCE_FULL = "sync.runs_since_full"
CURSOR_RETRY = "sync.retry"


@dataclass(slots=True)
class ContactResult:
    """How one contact's plan ended, for the report."""

    plan: ContactPlan
    ok: bool = True
    errors: list[str] = field(default_factory=list)
    resubscribe_url: str = ""
    forgotten_now: bool = False


RESULTS_KEPT = 2000
"""Contact results a run keeps in memory for the console and tests; beyond, they are only counted
(and written to the report as they come, through :attr:`SyncReport.sink`)."""


class ResultSink(Protocol):
    """Where a run's results go as they are known (the report writer, :mod:`crmtui.engine.report`)."""

    def add(self, result: ContactResult, applied: bool) -> None:
        """One contact's result."""

    def add_identical(self, email: str, name: str) -> None:
        """One contact compared and found identical (listed only in a verbose report)."""

    def add_pending(self, email: str, name: str, tag: str) -> None:
        """One deletion waiting for an operator's decision at the end of the run."""

    def add_forgotten(self, email: str, name: str, url: str) -> None:
        """One forgotten address still waiting to be reached, with its resubscribe link."""

    def add_warning(self, text: str) -> None:
        """One warning of the run (an address shared by two Copper people, a write held…)."""


@dataclass(repr=False)
class SyncReport:
    """Everything a run did (the report and the console read it).

    Results arrive one by one (:meth:`add`): the figures are counted, the first
    :data:`RESULTS_KEPT` results are kept in :attr:`results`, and every one goes to :attr:`sink`
    (the report file, written as the run goes), so a run over a million contacts holds none of them.
    """

    run_id: int
    mode: str
    dry_run: bool
    full: bool
    started: datetime
    duration: float = 0.0
    results: list[ContactResult] = field(default_factory=list)  # the first RESULTS_KEPT results
    # The pending deletions and forgotten addresses at the end of the run: counted, passed to the
    # sink, and kept here whole only without a sink (else the first RESULTS_KEPT): issue #16.
    pending_decisions: list[tuple[str, str, str]] = field(default_factory=list)  # email, name, tag
    forgotten: list[tuple[str, str, str]] = field(default_factory=list)  # email, name, url
    pending_count: int = 0
    forgotten_count: int = 0
    stopped: str = ""  # why the run stopped before writing (circuit breaker)
    read_copper: int = 0
    read_mailchimp: int = 0
    unchanged: int = 0  # contacts already in sync whose stored state is current (not kept in results)
    identical_settled: int = 0  # of those, compared and found identical (the rest: opted out, inactive)
    identical_settled_list: list[tuple[str, str]] = field(default_factory=list)  # email, name; verbose only
    verbose: bool = False  # list identical contacts in the report (--verbose, SYNC_REPORT_VERBOSE)
    suppressed: int = 0  # erased or deleted people a side still sent (never planned)
    calls: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # the first RESULTS_KEPT with a sink (see _Warnings)
    warning_count: int = 0
    path: str | None = None  # the report file, once written
    sink: ResultSink | None = None  # the report writer fed as results come (None: rendered at the end)
    counted: int = 0  # results added
    operations_count: int = 0  # of those, detailed in the report (see ``operations``)
    succeeded: int = 0  # detailed contacts that ended well
    failed: int = 0  # detailed contacts with an error
    identical_planned: int = 0  # results whose outcome is identical (with or without a write)
    identical_unsettled: int = 0  # results identical with nothing to write (``is_identical``)
    failed_emails: list[str] = field(default_factory=list)  # retried first by the next run

    def __post_init__(self) -> None:
        self.warnings = _Warnings(self, self.warnings)

    def __repr__(self) -> str:
        """Figures only: the dataclass's repr listed every kept result and address (megabytes of
        customers' data at scale). ``asyncio.run`` builds it when a coroutine returns a report:
        its SIGINT check formats the task, and the task its result (CPython 3.11's
        ``signal.getsignal`` on a ``functools.partial`` handler), a 54 MiB transient at the end of
        a 1,000,000-contact run (issue #16)."""
        return (
            f"SyncReport(run_id={self.run_id}, mode={self.mode!r}, dry_run={self.dry_run}, full={self.full}, "
            f"counted={self.counted}, operations={self.operations_count}, succeeded={self.succeeded}, "
            f"failed={self.failed}, pending={self.pending_count}, forgotten={self.forgotten_count})"
        )

    def add(self, result: ContactResult) -> None:
        """Count one contact's result, keep it while under :data:`RESULTS_KEPT`, pass it to the sink."""
        self.counted += 1
        if len(self.results) < RESULTS_KEPT:
            self.results.append(result)
        if is_operation(result):
            self.operations_count += 1
            if result.ok:
                self.succeeded += 1
            else:
                self.failed += 1
        if not result.ok:
            self.failed_emails.append(result.plan.email)
        if result.plan.outcome is Outcome.IDENTICAL:
            self.identical_planned += 1
        if is_identical(result):
            self.identical_unsettled += 1
        if self.sink is not None:
            self.sink.add(result, self.applied)

    def add_identical(self, email: str, name: str) -> None:
        """A contact compared and found identical, in planning (email) order: for a verbose report."""
        if not self.verbose:
            return
        if len(self.identical_settled_list) < RESULTS_KEPT:
            self.identical_settled_list.append((email, name))
        if self.sink is not None:
            self.sink.add_identical(email, name)

    def add_pending(self, email: str, name: str, tag: str) -> None:
        """A deletion still pending at the end of the run (queue order), for the report's list."""
        self.pending_count += 1
        self._keep(self.pending_decisions, (email, name, tag))
        if self.sink is not None:
            self.sink.add_pending(email, name, tag)

    def add_forgotten(self, email: str, name: str, url: str) -> None:
        """A forgotten address not yet reached at the end of the run, for the report's list."""
        self.forgotten_count += 1
        self._keep(self.forgotten, (email, name, url))
        if self.sink is not None:
            self.sink.add_forgotten(email, name, url)

    def _keep(self, kept: list[tuple[str, str, str]], item: tuple[str, str, str]) -> None:
        """Keep ``item`` in memory: always without a sink (it renders from the lists), else the first few."""
        if self.sink is None or len(kept) < RESULTS_KEPT:
            kept.append(item)

    @property
    def operations(self) -> list[ContactResult]:
        """Kept contacts the report details: something was (or would be) written, or went wrong."""
        return [r for r in self.results if is_operation(r)]

    @property
    def applied(self) -> bool:
        """Whether the operations were carried out (not a dry run, not stopped by the circuit breaker)."""
        return not self.dry_run and not self.stopped

    @property
    def identical(self) -> int:
        """Contacts compared and found identical on both sides: nothing written ("optimisation")."""
        return self.identical_settled + self.identical_unsettled

    @property
    def identical_contacts(self) -> list[tuple[str, str]]:
        """Those contacts (email, name), when the run was asked to list them (``verbose``; kept ones)."""
        if not self.verbose:
            return []
        return list(self.identical_settled_list)

    @property
    def invalid_emails(self) -> list[ContactResult]:
        """Kept contacts skipped because their address is not valid."""
        return [r for r in self.results if r.plan.outcome is Outcome.INVALID_EMAIL]


def is_operation(result: ContactResult) -> bool:
    """Whether the report details this contact: a write (planned or done), an error, a forgotten address."""
    return bool(result.plan.ops) or not result.ok or result.forgotten_now


def is_identical(result: ContactResult) -> bool:
    """Compared, identical, nothing to write, nothing failed."""
    return result.plan.outcome is Outcome.IDENTICAL and not result.plan.ops and result.ok


class _Warnings(list[str]):
    """A run's warnings as they come: counted, passed to the report's sink, and kept whole only
    without one (else the first :data:`RESULTS_KEPT`). At 1,000,000 contacts the sandbox data
    gives ~40,000 warnings (addresses shared by two Copper people): held as strings, then joined
    and redacted at the end, they were the report phase's last growth (issue #16). Code that
    collects warnings appends to ``report.warnings`` as to a list."""

    def __init__(self, report: SyncReport, initial: list[str]) -> None:
        super().__init__()
        self._report = report
        for text in initial:
            self.append(text)

    def append(self, text: str) -> None:
        report = self._report
        report.warning_count += 1
        if report.sink is None or len(self) < RESULTS_KEPT:
            super().append(text)
        if report.sink is not None:
            report.sink.add_warning(text)

    def extend(self, texts: Iterable[str]) -> None:
        for text in texts:
            self.append(text)
