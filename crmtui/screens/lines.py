"""One scrollable text in a modal: a report file, a run's detail, an erasure's account.

A title line on top, the lines in a ``Log`` (read in a worker, so a long file never blocks a key),
Escape or ``q`` closes. Subclasses say what the title is and how the lines are read; every line is
made printable here (files and runs carry text from remote systems).
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, Log

from crmtui.i18n import t
from crmtui.screens.workers import deliver
from crmtui.text import literal, printable


class LinesScreen(ModalScreen[None]):
    """A titled, scrollable text; Escape closes it."""

    DEFAULT_CSS = """
    LinesScreen { align: center middle; }
    LinesScreen > .lines-title { dock: top; width: 100%; background: $primary; color: $text; padding: 0 1; }
    LinesScreen > Log { width: 100%; height: 1fr; background: $surface; }
    """
    BINDINGS = [
        Binding("escape", "close", t("key.close"), id="lines.close"),
        Binding("q", "close", t("key.close"), show=False, id="lines.close_q"),
    ]

    def title_text(self) -> str:
        """The title line (shown literally)."""
        raise NotImplementedError

    def read_lines(self) -> list[str]:
        """The lines, read in a worker thread (never raises for a missing or unreadable file)."""
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        """Title, the lines, footer."""
        yield Label(literal(self.title_text()), classes="lines-title")
        yield Log(highlight=False, auto_scroll=False)
        yield Footer()

    def on_mount(self) -> None:
        """Read the lines in a thread."""
        self.query_one(Log).focus()
        self.load()

    @work(thread=True, exclusive=True, group="lines:load", exit_on_error=False, description="Reading")
    def load(self) -> None:
        """Read, make printable, show."""
        deliver(self.app, self.query_one(Log).write_lines, [printable(line) for line in self.read_lines()])

    def action_close(self) -> None:
        """Back to where it was opened from."""
        self.dismiss(None)
