"""The sync's results as data: what one contact's plan became, and what a whole run did.

Below the engine that produces them (:mod:`crmtui.engine.sync`) and the modules that read them
(:mod:`crmtui.engine.report` writes the report file, :mod:`crmtui.engine.decisions` and the console
show them), so none of those needs to import the sync engine itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from crmtui.engine.sync_plan import ContactPlan, Outcome


@dataclass(slots=True)
class ContactResult:
    """How one contact's plan ended, for the report."""

    plan: ContactPlan
    ok: bool = True
    errors: list[str] = field(default_factory=list)
    resubscribe_url: str = ""
    forgotten_now: bool = False


@dataclass
class SyncReport:
    """Everything a run did (the report and the console read it)."""

    run_id: int
    mode: str
    dry_run: bool
    full: bool
    started: datetime
    duration: float = 0.0
    results: list[ContactResult] = field(default_factory=list)
    pending_decisions: list[tuple[str, str, str]] = field(default_factory=list)  # email, name, tag
    forgotten: list[tuple[str, str, str]] = field(default_factory=list)  # email, name, url
    stopped: str = ""  # why the run stopped before writing (circuit breaker)
    read_copper: int = 0
    read_mailchimp: int = 0
    unchanged: int = 0  # contacts already in sync whose stored state is current (not kept in results)
    identical_settled: int = 0  # of those, compared and found identical (the rest: opted out, inactive)
    identical_settled_list: list[tuple[str, str]] = field(default_factory=list)  # email, name; verbose only
    verbose: bool = False  # list identical contacts in the report (--verbose, SYNC_REPORT_VERBOSE)
    suppressed: int = 0  # erased or deleted people a side still sent (never planned)
    calls: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    path: str | None = None  # the report file, once written

    @property
    def operations(self) -> list[ContactResult]:
        """Contacts the report details: something was (or would be) written, or went wrong."""
        return [r for r in self.results if r.plan.ops or not r.ok or r.forgotten_now]

    @property
    def applied(self) -> bool:
        """Whether the operations were carried out (not a dry run, not stopped by the circuit breaker)."""
        return not self.dry_run and not self.stopped

    @property
    def identical(self) -> int:
        """Contacts compared and found identical on both sides: nothing written ("optimisation")."""
        return self.identical_settled + sum(1 for r in self.results if is_identical(r))

    @property
    def identical_contacts(self) -> list[tuple[str, str]]:
        """Those contacts (email, name), when the run was asked to list them (``verbose``)."""
        if not self.verbose:
            return []
        more = [(r.plan.email, r.plan.name) for r in self.results if is_identical(r)]
        return sorted([*self.identical_settled_list, *more])

    @property
    def invalid_emails(self) -> list[ContactResult]:
        """Contacts skipped because their address is not valid."""
        return [r for r in self.results if r.plan.outcome is Outcome.INVALID_EMAIL]

    @property
    def succeeded(self) -> int:
        """Detailed contacts that ended well."""
        return sum(1 for r in self.operations if r.ok)

    @property
    def failed(self) -> int:
        """Detailed contacts with an error."""
        return sum(1 for r in self.operations if not r.ok)


def is_identical(result: ContactResult) -> bool:
    return result.plan.outcome is Outcome.IDENTICAL and not result.plan.ops and result.ok
