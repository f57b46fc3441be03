"""Forgotten emails: addresses Mailchimp will not take back without the person's own signup.

Each has a resubscribe link (the list's hosted signup form with the email prefilled). ``l`` (or
Enter) copies the link to the clipboard (OSC 52: works over SSH), ``m`` records that the person was reached
(audited), ``u`` takes the last such mark back (audited too), ``x`` exports the list to a CSV that is safe
to open in a spreadsheet, ``S`` sorts by the column chosen with ← → (in SQL).

The list is a :class:`crmtui.widgets.review_queue.ReviewQueue` over
:class:`crmtui.widgets.sync_forgotten.ForgottenSource`: a window read from SQL (keyset pages, newest
first then by email), the counts from SQL, the full link of the row under the cursor in its detail
pane. The export still writes every row (in its own worker).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Label
from textual.worker import Worker

import crmtui.i18n.sync_ui  # noqa: F401  (registers the sync screens' text)
import crmtui.i18n.undo  # noqa: F401  (registers the undo.* keys)
from crmtui.export import export_forgotten
from crmtui.i18n import t
from crmtui.screens.mode_screen import ModeScreen
from crmtui.text import literal, printable
from crmtui.widgets.footer import Footer
from crmtui.widgets.review_queue import QueueScreen, ReviewQueue
from crmtui.widgets.sortable import SortKey, sort_binding
from crmtui.widgets.status import StatusBar
from crmtui.widgets.sync_common import console_actor, notify_worker_error
from crmtui.widgets.sync_forgotten import ForgottenSource, ForgottenTable, link_text


class ForgottenScreen(QueueScreen, SortKey, ModeScreen):
    """The forgotten addresses and their resubscribe links."""

    BINDINGS = [
        Binding("l", "copy_link", t("sync_ui.key.copy"), id="forgotten.copy"),
        Binding("m", "mark_reached", t("sync_ui.key.reached"), id="forgotten.reached"),
        Binding("u", "undo_reached", t("undo.key"), id="forgotten.undo"),
        Binding("x", "export", t("sync_ui.key.export"), id="forgotten.export"),
        sort_binding("forgotten"),
    ]
    CHECKED = ("copy_link", "mark_reached", "undo_reached", "export")
    """The actions :meth:`check_action` may grey out."""

    DEFAULT_CSS = """
    ForgottenScreen #forgotten-hint { padding: 0 1; color: $text-muted; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.queue: ReviewQueue[dict[str, Any], tuple[int, int]] = ReviewQueue(
            ForgottenSource,
            ForgottenTable(id="forgotten-table"),
            summary=(0, 0),
            on_change=self._queue_changed,
            detail_id="forgotten-link",
            detail=link_text,
        )
        self.last_export: str | None = None
        """The last CSV written from this screen."""
        self.last_reached: str | None = None
        """The address last marked reached here, which ``u`` takes back."""

    @property
    def rows(self) -> list[dict[str, Any]]:
        """The window of the list on screen, as last read from the store."""
        return self.queue.rows

    @property
    def total(self) -> int:
        """Unresolved forgotten addresses (the whole list), as last counted."""
        return self.queue.summary[0]

    def compose(self) -> ComposeResult:
        """Status bar, title, a hint, the list (the full link under it), footer."""
        yield StatusBar()
        yield Label(t("sync_ui.forgotten.title"), classes="section-title")
        yield Label("", id="forgotten-hint")
        yield self.queue
        yield Footer()

    def on_mount(self) -> None:
        """The table has the focus (the queue reads its first rows)."""
        self.queue.table.focus()

    def _queue_changed(self, what: str) -> None:
        """The counts follow the rows; what the keys apply to follows the cursor."""
        if what == "rows":
            total, reached = self.queue.summary
            self.query_one("#forgotten-hint", Label).update(
                literal(
                    t("sync_ui.forgotten.counts", n=total, reached=reached)
                    if total
                    else t("sync_ui.forgotten.empty")  # what would appear here, and the key that fills it
                )
            )
        self._refresh_keys()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Copy needs a link, marking needs a contact not yet reached, export needs rows."""
        if not self.is_mounted:
            return True
        row = self.queue.current()
        if action == "copy_link":
            return bool(row and row.get("resubscribe_url")) or None
        if action == "mark_reached":
            return bool(row and not row.get("reached_at")) or None
        if action == "export":
            return bool(self.total) or None
        if action == "undo_reached":
            return self.last_reached is not None  # hidden until there is a mark to take back
        return True

    @on(DataTable.RowSelected)
    def _row_selected(self) -> None:
        """Enter on a row copies its link, like ``l``."""
        self.action_copy_link()

    def action_copy_link(self) -> None:
        """Copy the resubscribe link under the cursor (OSC 52, so it works over SSH)."""
        row = self.queue.current()
        email = str(row["email"]) if row is not None else None
        url = str(row.get("resubscribe_url") or "") if row is not None else ""
        if not email or not url:
            self.notify(t("sync_ui.forgotten.no_link"), severity="warning")
            return
        self.app.copy_to_clipboard(url)
        self.notify(printable(t("sync_ui.forgotten.copied", email=email)), markup=False)

    def action_mark_reached(self) -> None:
        """Record (audited) that the person under the cursor was sent the link."""
        row = self.queue.current()
        if row is None or row.get("reached_at"):
            return
        self.mark_reached(str(row["email"]))

    @work(thread=True, group="forgotten:write", exit_on_error=False, description="Marking as reached")
    def mark_reached(self, email: str) -> None:
        """Write the mark in the store."""
        self.app.store.sync.mark_reached(email, console_actor())  # type: ignore[attr-defined]
        self.app.call_from_thread(self.marked, email)

    def marked(self, email: str) -> None:
        """Say so; reload."""
        self.last_reached = email
        self.notify(printable(t("sync_ui.forgotten.reached", email=email)), markup=False)
        self.reload()

    def action_undo_reached(self) -> None:
        """Take the last "reached" mark back (audited)."""
        if self.last_reached is not None:
            self.undo_reached(self.last_reached)

    @work(thread=True, group="forgotten:write", exit_on_error=False, description="Undoing")
    def undo_reached(self, email: str) -> None:
        """Clear the mark in the store."""
        undone = self.app.store.sync.unmark_reached(email, console_actor())  # type: ignore[attr-defined]
        self.app.call_from_thread(self.unmarked, email, undone)

    def unmarked(self, email: str, undone: bool) -> None:
        """Say so; reload."""
        self.last_reached = None
        key = "undo.reached.done" if undone else "undo.reached.gone"
        self.notify(printable(t(key, email=email)), markup=False)
        self.reload()

    def action_export(self) -> None:
        """Export the list to a CSV in the reports folder."""
        self.export()

    @work(thread=True, exclusive=True, group="forgotten:export", exit_on_error=False, description="Exporting")
    def export(self) -> None:
        """Read the list fresh and write the CSV."""
        app = self.app
        rows = app.store.sync.forgotten_rows()  # type: ignore[attr-defined]
        path = export_forgotten(rows, Path(app.settings.report_dir))  # type: ignore[attr-defined]
        app.call_from_thread(self.exported, str(path), len(rows))

    def exported(self, path: str, count: int) -> None:
        """Tell where the file is."""
        self.last_export = path
        self.notify(printable(t("sync_ui.forgotten.exported", n=count, path=path)), markup=False, timeout=10)

    @on(Worker.StateChanged)
    def _worker_state(self, event: Worker.StateChanged) -> None:
        """A failed worker becomes a notification (the queue's own reads say so themselves)."""
        notify_worker_error(self.app, event)
