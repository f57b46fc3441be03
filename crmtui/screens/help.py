"""The help screen (F1)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from crmtui.i18n import t


class HelpScreen(ModalScreen[None]):
    """Keys and what crmtui does; Escape or F1 closes it."""

    BINDINGS = [
        Binding("escape", "dismiss", t("key.close"), id="help.close"),
        Binding("f1", "dismiss", t("key.close"), show=False, id="help.close_f1"),
        Binding("q", "dismiss", t("key.close"), show=False, id="help.close_q"),
    ]

    def compose(self) -> ComposeResult:
        """Title and body."""
        with VerticalScroll(id="help-dialog"):
            yield Label(t("help.title"), id="help-title")
            yield Static(t("help.body"), id="help-body", markup=False)

    def action_dismiss(self, result: None = None) -> None:  # type: ignore[override]
        """Close the help."""
        self.dismiss(None)
