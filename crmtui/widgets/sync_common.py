"""Small helpers shared by the sync screens (Sync, Deletions review, Forgotten emails).

Nothing here does I/O: who the operator is, how a stored date is shown, and how a failed screen
worker becomes a notification (screen workers' ``Worker.StateChanged`` does not bubble to the app's
router, so each sync screen forwards failures through :func:`notify_worker_error`).
"""

from __future__ import annotations

import getpass
from datetime import datetime
from typing import Any

from textual.app import App
from textual.worker import Worker, WorkerState

from crmtui.i18n import t
from crmtui.text import printable

ENGINE_GROUPS = frozenset({"cycle", "sync:run", "deletions:apply", "erase"})
"""Worker groups that write through the engine: at most one of them runs at a time in the console.

The run lock stops another *process*; it is re-entrant within this one, so the console checks its
own workers too (a cycle started with ``r`` and a sync started from the Sync screen must not overlap).
"""


def console_actor() -> str:
    """Who decides, for the audit log: the OS user name followed by ``@console``."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER (some containers)
        user = "operator"
    return f"{printable(user) or 'operator'}@console"


def local_date(iso: str | None) -> str:
    """``2026-11-01T10:00:00+00:00`` → the local calendar date ``2026-11-01`` ("" when unknown)."""
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return printable(iso)
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%Y-%m-%d")


def engine_work_running(app: App[Any]) -> str | None:
    """The description of a running engine worker of this app (None when there is none)."""
    for worker in app.workers:
        if worker.group in ENGINE_GROUPS and worker.state in (WorkerState.PENDING, WorkerState.RUNNING):
            return worker.description or worker.name
    return None


def notify_worker_error(app: App[object], event: Worker.StateChanged) -> None:
    """Turn a failed worker into an error notification (never a traceback on screen).

    Args:
        app: the running app.
        event: the worker's state change; anything but ``ERROR`` is ignored.
    """
    if event.state != WorkerState.ERROR:
        return
    worker = event.worker
    app.notify(
        printable(t("worker.failed", name=worker.description or worker.name, error=worker.error)),
        severity="error",
        timeout=10,
        markup=False,
    )
