"""One cycle of whatever is configured: the same code for the console and for cron.

A cycle takes the run lock (so two cycles never overlap, across processes), records a run, runs
each registered step that applies to the configuration (ETL, sync, scenarios: each area registers
its step with :func:`register_step`), then records the outcome. Steps report through events.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from crmtui.config import Settings
from crmtui.connectors.errors import ConnectorError
from crmtui.engine.events import (
    CycleFinished,
    CycleStarted,
    EventSink,
    Notice,
    StepFinished,
    StepStarted,
    ignore,
)
from crmtui.i18n import t
from crmtui.store import Store
from crmtui.store.locks import RUN_LOCK

log = logging.getLogger("crmtui.engine.cycle")

STEP_ORDER = ("etl", "reco", "sync", "scenarios")
"""ETL first, then recommendations from it, then the sync, then the sends (which use both)."""


@dataclass
class StepResult:
    """What a step did."""

    status: str = "ok"  # ok / partial / failed / skipped
    total: int = 0
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    detail: str = ""
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass
class StepContext:
    """Everything a step needs; steps never read globals."""

    settings: Settings
    store: Store
    run_id: int
    dry_run: bool
    emit: EventSink
    cancel: asyncio.Event
    options: dict[str, Any] = field(default_factory=dict)


StepRun = Callable[[StepContext], Awaitable[StepResult]]


@dataclass(frozen=True)
class StepSpec:
    """A registered step: its name, whether the configuration allows it, and how to run it."""

    name: str
    applies: Callable[[Settings], bool]
    run: StepRun


STEPS: dict[str, StepSpec] = {}


def register_step(name: str, applies: Callable[[Settings], bool]) -> Callable[[StepRun], StepRun]:
    """Decorator: register ``fn`` as the cycle step ``name``."""

    def deco(fn: StepRun) -> StepRun:
        STEPS[name] = StepSpec(name, applies, fn)
        return fn

    return deco


@dataclass(frozen=True)
class CycleOutcome:
    """The result of :func:`run_cycle`."""

    run_id: int
    status: str
    duration: float
    total: int
    succeeded: int
    failed: int
    skipped: int
    steps: dict[str, StepResult]

    @property
    def exit_code(self) -> int:
        """0 ok, 1 some records failed or the cycle was interrupted."""
        return 0 if self.status == "ok" else 1


def _load_steps() -> None:
    # Steps live with their areas; importing the modules registers them.
    import importlib

    for module in (
        "crmtui.engine.sync",
        "crmtui.engine.etl",
        "crmtui.engine.scenarios",
        "crmtui.engine.reco",
    ):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


async def run_cycle(
    settings: Settings,
    store: Store,
    *,
    owner: str,
    only: tuple[str, ...] | None = None,
    dry_run: bool = False,
    emit: EventSink = ignore,
    cancel: asyncio.Event | None = None,
    log_path: str | None = None,
    options: dict[str, Any] | None = None,
) -> CycleOutcome:
    """Run one cycle.

    Args:
        settings: the validated configuration.
        store: the open store.
        owner: who runs it ("console", "cron"), recorded on the lock.
        only: restrict to these steps.
        dry_run: plan without writing anything remote.
        emit: event sink.
        cancel: set it to stop cooperatively between pages/batches.
        log_path: the per-run log file, recorded on the run.
        options: step options (``apply_decisions`` ...).

    Raises:
        LockHeld: another cycle holds the run lock.
    """
    _load_steps()
    cancel = cancel or asyncio.Event()
    store.locks.acquire(RUN_LOCK, owner)
    started = time.monotonic()
    try:
        store.runs.mark_interrupted()
        wanted = [s for s in STEP_ORDER if only is None or s in only]
        run_id = store.runs.start(
            "cycle" if only is None else "+".join(wanted),
            mode=settings.sync_mode,
            dry_run=dry_run,
            sandbox=settings.sandbox,
        )
        if log_path:
            store.runs.set_log_path(run_id, log_path)
        emit(CycleStarted(run_id, tuple(wanted), settings.sync_mode, dry_run, settings.sandbox))
        log.info("run %d started: steps=%s mode=%s dry_run=%s", run_id, wanted, settings.sync_mode, dry_run)
        ctx = StepContext(settings, store, run_id, dry_run, emit, cancel, dict(options or {}))
        results: dict[str, StepResult] = {}
        status = "ok"
        try:
            for name in wanted:
                spec = STEPS.get(name)
                if spec is None or not spec.applies(settings):
                    log.info("run %d: step %s skipped (not configured)", run_id, name)
                    results[name] = StepResult(status="skipped", detail=t("headless.nothing"))
                    emit(StepFinished(name, "skipped", detail=t("headless.nothing")))
                    continue
                emit(StepStarted(name))
                log.info("run %d: step %s started", run_id, name)
                try:
                    result = await spec.run(ctx)
                except ConnectorError as exc:
                    log.error("step %s failed: %s", name, exc)
                    result = StepResult(status="failed", detail=str(exc))
                    emit(Notice("error", f"{name}: {exc}"))
                except (asyncio.CancelledError, KeyboardInterrupt):
                    raise
                except Exception as exc:  # noqa: BLE001 - one broken step must not stop the others
                    log.exception("step %s failed unexpectedly", name)
                    detail = f"unexpected error ({type(exc).__name__}: {exc}); details in the log"
                    result = StepResult(status="failed", detail=detail)
                    emit(Notice("error", f"{name}: {detail}"))
                results[name] = result
                log.info(
                    "run %d: step %s %s: %d total, %d ok, %d failed, %d skipped%s",
                    run_id,
                    name,
                    result.status,
                    result.total,
                    result.succeeded,
                    result.failed,
                    result.skipped,
                    f" ({result.detail})" if result.detail else "",
                )
                emit(
                    StepFinished(
                        name,
                        result.status,
                        result.total,
                        result.succeeded,
                        result.failed,
                        result.skipped,
                        result.detail,
                    )
                )
                if result.status in ("failed", "partial") or result.failed:
                    status = "partial" if status == "ok" else status
                if cancel.is_set():
                    status = "interrupted"
                    break
        except (asyncio.CancelledError, KeyboardInterrupt):
            status = "interrupted"
            _finish(store, run_id, status, results, started, log_path)
            emit(CycleFinished(run_id, status, time.monotonic() - started))
            raise
        if cancel.is_set():
            status = "interrupted"
        elif (
            results
            and all(r.status == "failed" for r in results.values() if r.status != "skipped")
            and any(r.status == "failed" for r in results.values())
        ):
            status = "failed"
        outcome = _finish(store, run_id, status, results, started, log_path)
        emit(
            CycleFinished(
                run_id,
                status,
                outcome.duration,
                outcome.total,
                outcome.succeeded,
                outcome.failed,
                outcome.skipped,
                {k: v.status for k, v in results.items()},
            )
        )
        log.info("run %d finished: %s in %.1fs", run_id, status, outcome.duration)
        return outcome
    finally:
        store.locks.release(RUN_LOCK)


def _finish(
    store: Store,
    run_id: int,
    status: str,
    results: dict[str, StepResult],
    started: float,
    log_path: str | None,
) -> CycleOutcome:
    total = sum(r.total for r in results.values())
    succeeded = sum(r.succeeded for r in results.values())
    failed = sum(r.failed for r in results.values())
    skipped = sum(r.skipped for r in results.values())
    summary = {name: {"status": r.status, "detail": r.detail, **r.summary} for name, r in results.items()}
    report = next(
        (r.summary.get("report_path") for r in results.values() if r.summary.get("report_path")), None
    )
    store.runs.finish(
        run_id,
        status,
        total=total,
        succeeded=succeeded,
        failed=failed,
        skipped=skipped,
        summary=summary,
        report_path=report,
        log_path=log_path,
    )
    return CycleOutcome(
        run_id, status, time.monotonic() - started, total, succeeded, failed, skipped, results
    )
