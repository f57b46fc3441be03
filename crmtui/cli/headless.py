"""Headless runner for cron: one cycle, progress lines, report files, an exit code.

On a terminal it prints live progress; otherwise plain lines that read well in a cron mail.
Untrusted text (names, errors) is printed literally. SIGTERM stops the cycle cooperatively: the
store keeps what was done and the next run resumes. A rate-limit wait prints one line saying for
what and how long; SIGTERM ends it at once (:mod:`crmtui.engine.waits`).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from typing import TextIO

from crmtui import __version__
from crmtui.config import Settings
from crmtui.engine.cycle import CycleOutcome, run_cycle
from crmtui.engine.events import (
    CycleFinished,
    CycleStarted,
    Event,
    Notice,
    RateWaiting,
    StepFinished,
    StepProgressed,
    StepStarted,
)
from crmtui.formats import number
from crmtui.i18n import t, t_or
from crmtui.logs import close_logging, setup_logging
from crmtui.store import Store, StoreError
from crmtui.store.locks import LockHeld, since
from crmtui.text import printable

EXIT_OK, EXIT_RECORDS_FAILED, EXIT_CONFIG, EXIT_LOCKED, EXIT_STORE = 0, 1, 2, 3, 4

log = logging.getLogger("crmtui.cli.headless")


def format_duration(seconds: float) -> str:
    """``1 min 05 s`` / ``4.2 s``."""
    if seconds < 60:
        return f"{number(seconds, digits=1)} s"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes} min {secs:02d} s"


def status_label(status: str) -> str:
    """A step or run status in the operator's language (``skipped`` → "ignorée")."""
    return t_or(f"status.{status}", status)


def level_label(level: str) -> str:
    """A notice level in the operator's language (``warning`` → "attention")."""
    return t_or(f"notice.{level}", level)


class LinePrinter:
    """Turns engine events into progress lines."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.tty = out.isatty()
        self._last_progress = ""

    def __call__(self, event: Event) -> None:
        line = self.render(event)
        if line is None:
            return
        if isinstance(event, StepProgressed):
            if self.tty:
                self.out.write("\r" + line[:120].ljust(len(self._last_progress)))
                self._last_progress = line[:120]
                self.out.flush()
            return
        if self._last_progress:
            self.out.write("\n")
            self._last_progress = ""
        self.out.write(line + "\n")
        self.out.flush()

    def render(self, event: Event) -> str | None:
        """One line for an event, or None."""
        if isinstance(event, CycleStarted):
            return t("headless.cycle_started", run_id=event.run_id, steps=", ".join(event.steps))
        if isinstance(event, StepStarted):
            return f"→ {event.step}"
        if isinstance(event, StepProgressed):
            total = f"/{event.total}" if event.total is not None else ""
            return f"  {event.step}: {event.done}{total} {printable(event.detail)}"
        if isinstance(event, StepFinished):
            detail = f" — {printable(event.detail)}" if event.detail else ""
            counts = (
                " ("
                + t("headless.counts", ok=event.succeeded, failed=event.failed, skipped=event.skipped)
                + ")"
                if event.total
                else ""
            )
            return (
                f"  {t('headless.step', step=event.step, status=status_label(event.status))}{counts}{detail}"
            )
        if isinstance(event, Notice):
            # One line per line of the notice: a "\n" in it is a line break, not two characters.
            lines = [printable(part) for part in str(event.text).splitlines() or [""]]
            return "\n".join(
                [f"  [{level_label(event.level)}] {lines[0]}", *(f"    {x.strip()}" for x in lines[1:])]
            )
        if isinstance(event, RateWaiting):
            # "waiting for Copper's limit (180/min): resuming in 23 s": a wait is never a silent freeze.
            return f"  … {printable(event.message)}"
        if isinstance(event, CycleFinished):
            return None
        return None


def run_headless(
    settings: Settings,
    *,
    only: tuple[str, ...] | None = None,
    dry_run: bool = False,
    options: dict[str, object] | None = None,
    out: TextIO | None = None,
) -> int:
    """Run one cycle and return the exit code."""
    out = out or sys.stdout
    err = sys.stderr if out is sys.stdout else out
    try:
        store = Store(settings.store_path)
        store.erasure.configure(settings.erasure_secret, settings.env_file)
    except StoreError as exc:
        print(f"{t('error.prefix')}: {exc.message}\n  → {exc.hint}", file=err)
        return EXIT_STORE
    try:
        log_path = setup_logging(settings.log_dir)
    except OSError as exc:
        print(f"{t('error.prefix')}: {settings.log_dir}: {exc.strerror}", file=err)
        store.close()
        return EXIT_STORE
    mode = t(f"app.mode.{settings.sync_mode}", filter=settings.test_email_filter)
    if settings.sandbox:
        mode += f", {t('headless.sandbox')}"
    if dry_run:
        mode += ", dry run"
    print(t("headless.start", version=__version__, kind="+".join(only or ("all",)), mode=mode), file=out)
    print(t("headless.store", path=settings.store_path), file=out)
    printer = LinePrinter(out)
    try:
        outcome = asyncio.run(
            _run(settings, store, only, dry_run, dict(options or {}), printer, str(log_path or ""))
        )
        unfinished = len(store.erasure.unfinished())
    except LockHeld as exc:
        print(t("headless.locked", owner=exc.holder.describe(), since=since(exc.holder)), file=err)
        print(f"  → {t('headless.locked.fix')}", file=err)
        return EXIT_LOCKED
    except StoreError as exc:
        print(f"{t('error.prefix')}: {exc.message}\n  → {exc.hint}", file=err)
        return EXIT_STORE
    except KeyboardInterrupt:
        print(t("headless.interrupted"), file=err)
        return EXIT_RECORDS_FAILED
    except Exception as exc:  # noqa: BLE001 - last resort: a message, the traceback goes to the log
        log.exception("unexpected error")
        print(t("error.unexpected", kind=type(exc).__name__, log=log_path), file=err)
        return EXIT_RECORDS_FAILED
    finally:
        store.close()
        close_logging()
    status = t(f"status.{outcome.status}")
    print(
        t("headless.done", run_id=outcome.run_id, status=status, duration=format_duration(outcome.duration)),
        file=out,
    )
    for step in outcome.steps.values():
        if step.summary.get("report_path"):
            print(t("headless.report", path=step.summary["report_path"]), file=out)
    if log_path:
        print(t("headless.log", path=log_path), file=out)
    if unfinished:  # the person's address waits in the outbox until an erase run finishes it
        print(t("erase.unfinished", n=unfinished), file=err)
    return outcome.exit_code


async def _run(
    settings: Settings,
    store: Store,
    only: tuple[str, ...] | None,
    dry_run: bool,
    options: dict[str, object],
    printer: LinePrinter,
    log_path: str,
) -> CycleOutcome:
    cancel = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, cancel.set)
        except (NotImplementedError, RuntimeError):  # not the main thread (tests), or no signals
            pass
    return await run_cycle(
        settings,
        store,
        owner="cron",
        only=only,
        dry_run=dry_run,
        emit=printer,
        cancel=cancel,
        log_path=log_path or None,
        options=options,
    )
