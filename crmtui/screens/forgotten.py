"""Forgotten emails: addresses Mailchimp will not take back without the person's own signup.

Each has a resubscribe link (the list's hosted signup form with the email prefilled). ``l`` (or
Enter) copies the link to the clipboard (OSC 52: works over SSH), ``m`` records that the person was reached
(audited), ``u`` takes the last such mark back (audited too), ``x`` exports the list to a CSV that is safe
to open in a spreadsheet.

The table holds a window of the list read from SQL (keyset pages, newest first then by email), a
fresh one around the cursor near either edge, the first or last rows for Home/End; the counts come
from SQL. The export still writes every row (in its own worker).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Label
from textual.worker import Worker, WorkerState

import crmtui.i18n.sync_ui  # noqa: F401  (registers the sync screens' text)
import crmtui.i18n.undo  # noqa: F401  (registers the undo.* keys)
from crmtui.export import export_forgotten
from crmtui.i18n import t
from crmtui.screens.workers import deliver
from crmtui.text import literal, printable
from crmtui.widgets.footer import Footer
from crmtui.widgets.paged_table import MARGIN, WINDOW
from crmtui.widgets.status import StatusBar
from crmtui.widgets.sync_common import console_actor, notify_worker_error
from crmtui.widgets.sync_forgotten import ForgottenTable


@dataclass(frozen=True)
class Loaded:
    """A window of the list, where the cursor goes, and the whole list's counts."""

    rows: list[dict[str, Any]]
    cursor: int
    at_start: bool
    at_end: bool
    total: int
    reached: int


class ForgottenScreen(Screen[None]):
    """The forgotten addresses and their resubscribe links."""

    BINDINGS = [
        Binding("l", "copy_link", t("sync_ui.key.copy"), id="forgotten.copy"),
        Binding("m", "mark_reached", t("sync_ui.key.reached"), id="forgotten.reached"),
        Binding("u", "undo_reached", t("undo.key"), id="forgotten.undo"),
        Binding("x", "export", t("sync_ui.key.export"), id="forgotten.export"),
    ]

    DEFAULT_CSS = """
    ForgottenScreen #forgotten-hint { padding: 0 1; color: $text-muted; }
    ForgottenScreen #forgotten-link { width: 100%; padding: 0 1; height: auto; max-height: 3; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, Any]] = []
        """The window of the list on screen, as last read from the store."""
        self.total = 0
        """Unresolved forgotten addresses (the whole list), as last counted."""
        self._by_email: dict[str, dict[str, Any]] = {}
        self._loading = False
        self._keys: tuple[bool | None, ...] = ()
        self.last_export: str | None = None
        """The last CSV written from this screen."""
        self.last_reached: str | None = None
        """The address last marked reached here, which ``u`` takes back."""

    def compose(self) -> ComposeResult:
        """Status bar, title, a hint, the table, footer."""
        yield StatusBar()
        yield Label(t("sync_ui.forgotten.title"), classes="section-title")
        yield Label("", id="forgotten-hint")
        yield ForgottenTable(id="forgotten-table")
        yield Label("", id="forgotten-link")
        yield Footer()

    def on_mount(self) -> None:
        """Read the first rows."""
        self.query_one(ForgottenTable).focus()
        self._load("first")

    def on_screen_resume(self) -> None:
        """A sync may have found new ones meanwhile."""
        self.reload()

    def reload(self) -> None:
        """Read the window again around the row under the cursor."""
        self._load("around")

    def _load(self, mode: str) -> None:
        email = self.query_one(ForgottenTable).current_email()
        row = self._by_email.get(email or "")
        anchor = (
            (str(row["detected_at"]), str(row["email"])) if row is not None and mode == "around" else None
        )
        self._loading = True
        self.load("first" if mode == "around" and anchor is None else mode, anchor, email)

    @work(
        thread=True,
        exclusive=True,
        group="forgotten:load",
        exit_on_error=False,
        description="Reading forgotten emails",
    )
    def load(self, mode: str, anchor: tuple[str, str] | None, email: str | None) -> None:
        """Read a window of the list (``first``, ``last`` or ``around`` ``anchor``) and the counts, in a thread."""
        review = self.app.store.review  # type: ignore[attr-defined]
        if mode == "last":
            page = review.forgotten_page(limit=WINDOW, last=True)
            rows, cursor, at_start, at_end = page.rows, len(page.rows) - 1, page.at_start, page.at_end
        elif mode == "around" and anchor is not None:
            back = review.forgotten_page(limit=WINDOW // 2, before=anchor)
            ahead = review.forgotten_page(limit=WINDOW - len(back.rows), after=anchor, inclusive=True)
            rows, cursor, at_start, at_end = (
                back.rows + ahead.rows,
                len(back.rows),
                back.at_start,
                ahead.at_end,
            )
            if at_end and not at_start and len(rows) < WINDOW:  # near the end: a full window all the same
                first = rows[0] if rows else {"detected_at": anchor[0], "email": anchor[1]}
                more = review.forgotten_page(
                    limit=WINDOW - len(rows), before=(first["detected_at"], first["email"])
                )
                rows, cursor, at_start = more.rows + rows, cursor + len(more.rows), more.at_start
            cursor = next((i for i, r in enumerate(rows) if r["email"] == email), cursor)
        else:
            page = review.forgotten_page(limit=WINDOW)
            rows, cursor, at_start, at_end = page.rows, 0, page.at_start, page.at_end
        total, reached = review.forgotten_counts()
        deliver(self.app, self.show_rows, Loaded(rows, cursor, at_start, at_end, total, reached))

    def show_rows(self, loaded: Loaded) -> None:
        """Put the window on screen."""
        self._loading = False
        self.rows = loaded.rows
        self._by_email = {str(row["email"]): row for row in loaded.rows}
        self.total = loaded.total
        self.query_one(ForgottenTable).show(
            loaded.rows, cursor=loaded.cursor, at_start=loaded.at_start, at_end=loaded.at_end
        )
        self._show_link()
        self.query_one("#forgotten-hint", Label).update(
            literal(
                t("sync_ui.forgotten.counts", n=loaded.total, reached=loaded.reached)
                if loaded.total
                else t("sync_ui.forgotten.empty")  # what would appear here, and the key that fills it
            )
        )
        self._refresh_keys()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Copy needs a link, marking needs a contact not yet reached, export needs rows."""
        if not self.is_mounted:
            return True
        table = self.query_one(ForgottenTable)
        email = table.current_email()
        if action == "copy_link":
            return bool(email and table.links.get(email)) or None
        if action == "mark_reached":
            row = self._row(email)
            return bool(row and not row.get("reached_at")) or None
        if action == "export":
            return bool(self.total) or None
        if action == "undo_reached":
            return self.last_reached is not None  # hidden until there is a mark to take back
        return True

    def _refresh_keys(self) -> None:
        """Refresh the footer only when a key's availability changed (the footer rebuilds itself each time)."""
        keys = tuple(
            self.check_action(action, ())
            for action in ("copy_link", "mark_reached", "undo_reached", "export")
        )
        if keys != self._keys:
            self._keys = keys
            self.refresh_bindings()

    def _row(self, email: str | None) -> dict[str, Any] | None:
        return self._by_email.get(email or "")

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self) -> None:
        """What the keys apply to, and the full link shown under the table, follow the cursor; near an
        edge of the window, the next one is read."""
        self._show_link()
        self._refresh_keys()
        if not self._loading and self.query_one(ForgottenTable).near_edge(MARGIN):
            self._load("around")

    @on(ForgottenTable.Jump)
    def _jump(self, event: ForgottenTable.Jump) -> None:
        """Home/End beyond the window."""
        self._load("last" if event.last else "first")

    def _show_link(self) -> None:
        table = self.query_one(ForgottenTable)
        url = table.links.get(table.current_email() or "", "")
        text = literal(t("sync_ui.forgotten.link", url=url) if url else "")
        text.overflow = "fold"  # a URL has no spaces: fold it rather than cut it
        self.query_one("#forgotten-link", Label).update(text)

    @on(DataTable.RowSelected)
    def _row_selected(self) -> None:
        """Enter on a row copies its link, like ``l``."""
        self.action_copy_link()

    def action_copy_link(self) -> None:
        """Copy the resubscribe link under the cursor (OSC 52, so it works over SSH)."""
        table = self.query_one(ForgottenTable)
        email = table.current_email()
        url = table.links.get(email or "")
        if not email or not url:
            self.notify(t("sync_ui.forgotten.no_link"), severity="warning")
            return
        self.app.copy_to_clipboard(url)
        self.notify(printable(t("sync_ui.forgotten.copied", email=email)), markup=False)

    def action_mark_reached(self) -> None:
        """Record (audited) that the person under the cursor was sent the link."""
        email = self.query_one(ForgottenTable).current_email()
        row = self._row(email)
        if email is None or row is None or row.get("reached_at"):
            return
        self.mark_reached(email)

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
        """A failed worker becomes a notification (a failed load lets the next one start)."""
        if event.worker.group == "forgotten:load" and event.state == WorkerState.ERROR:
            self._loading = False
        notify_worker_error(self.app, event)
