"""The console's right to erasure: ``X`` on a customer (Customers) or a contact (Deletions review).

The operator types the person's email exactly (:class:`~crmtui.screens.confirm.TypedConfirmScreen`,
as for the delete decision); the erasure then runs :func:`crmtui.engine.erase.erase` in a thread
worker, under the run lock and never alongside the console's own cycle or decisions, and says
what every system answered. It is the same recorded operation as ``crmtui erase``: a crash or a
system that does not answer leaves it in the outbox, and the next ``crmtui erase`` (or ``X``
again) finishes it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.screen import Screen

import crmtui.i18n.erase  # noqa: F401  (registers the erase.* keys)
from crmtui.engine.erase import EraseError, EraseOutcome, ensure_secret, erase
from crmtui.engine.erase_report import render_outcome
from crmtui.i18n import t
from crmtui.screens.confirm import TypedConfirmScreen
from crmtui.screens.lines import LinesScreen
from crmtui.store import StoreError
from crmtui.store.locks import RUN_LOCK, LockHeld
from crmtui.text import printable
from crmtui.widgets.sync_common import console_actor, engine_work_running

GROUP = "erase"
"""The worker group (one of :data:`crmtui.widgets.sync_common.ENGINE_GROUPS`)."""


@dataclass(frozen=True)
class ConsoleErasure:
    """What the worker reports back: the outcome, or why there is none."""

    outcome: EraseOutcome | None
    error: str = ""
    busy_owner: str = ""


class ErasureReportScreen(LinesScreen):
    """What every system answered, the rows and the files (which were rewritten, which deleted)."""

    def __init__(self, outcome: EraseOutcome) -> None:
        super().__init__()
        self.text = render_outcome(outcome, show_addresses=True)
        """The account shown (the same as ``crmtui erase`` prints on a terminal)."""

    def title_text(self) -> str:
        """The erasure."""
        return t("erase.title")

    def read_lines(self) -> list[str]:
        """The account, line by line."""
        return self.text.splitlines()


def ask_erase(screen: Screen[Any], email: str, name: str, done: Callable[[ConsoleErasure], object]) -> None:
    """Ask for the typed email, then erase in a worker; ``done`` runs on the UI thread after."""
    app = screen.app
    busy = engine_work_running(app)
    if busy:
        app.notify(printable(t("sync_ui.busy_here", what=busy)), severity="warning", markup=False)
        return
    body = Text(t("erase.ui.body", email=printable(email)))
    if name:
        body.append("\n" + printable(name))

    def confirmed(ok: bool | None) -> None:
        if not ok:
            app.notify(t("erase.cancelled"))
            return
        app.notify(t("erase.ui.started"))
        screen.run_worker(
            lambda: _erase_in_thread(screen, email, done),
            thread=True,
            exclusive=True,
            group=GROUP,
            exit_on_error=False,
            description="Erasing",
        )

    app.push_screen(TypedConfirmScreen(t("erase.ui.title"), body, email.strip()), confirmed)


def _erase_in_thread(screen: Screen[Any], email: str, done: Callable[[ConsoleErasure], object]) -> None:
    app: Any = screen.app
    store = app.store
    result = ConsoleErasure(None)
    try:
        settings = ensure_secret(app.settings, app.settings.env_file, store)
    except EraseError as exc:
        app.call_from_thread(_finish, app, ConsoleErasure(None, error=str(exc)), done)
        return
    app.call_from_thread(setattr, app, "settings", settings)
    try:
        store.locks.acquire(RUN_LOCK, "console (erase)")
    except LockHeld as exc:
        app.call_from_thread(_finish, app, ConsoleErasure(None, busy_owner=exc.holder.describe()), done)
        return
    try:
        outcome = asyncio.run(erase(settings, store, [email], actor=console_actor()))
        result = ConsoleErasure(outcome)
    except EraseError as exc:
        result = ConsoleErasure(None, error=str(exc))
    except StoreError as exc:
        result = ConsoleErasure(None, error=f"{exc.message} → {exc.hint}")
    finally:
        store.locks.release(RUN_LOCK)
        app.call_from_thread(_finish, app, result, done)


def _finish(app: Any, result: ConsoleErasure, done: Callable[[ConsoleErasure], object]) -> None:
    if result.busy_owner:
        app.notify(printable(t("cycle.busy", owner=result.busy_owner)), severity="warning", markup=False)
    elif result.error:
        app.notify(printable(t("erase.ui.failed", error=result.error)), severity="error", markup=False)
    elif result.outcome is not None:
        outcome = result.outcome
        ref = ", ".join(f"#{r.op_id}" for r in outcome.results if r.op_id) or "-"
        if outcome.confirmed:
            app.notify(t("erase.ui.done", ref=ref), markup=False)
        else:
            errors = [printable(e) for r in outcome.results for e in r.errors][:3]
            text = "\n".join([t("erase.ui.partial", ref=ref), *errors])
            app.notify(text, severity="error", markup=False, timeout=10)
        app.push_screen(ErasureReportScreen(outcome))
    done(result)
