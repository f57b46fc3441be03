"""The help screen (F1)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.widgets import Label, Static

import crmtui.i18n.console  # noqa: F401 - registers the key map texts
from crmtui.i18n import t
from crmtui.screens.keymap import Section, bindings_of, rows_of


class HelpScreen(ModalScreen[None]):
    """Keys and what crmtui does; Escape or F1 closes it."""

    BINDINGS = [
        Binding("escape", "dismiss", t("key.close"), id="help.close"),
        Binding("f1", "dismiss", t("key.close"), show=False, id="help.close_f1"),
        Binding("question_mark", "dismiss", t("key.close"), show=False, id="help.close_question"),
        Binding("q", "dismiss", t("key.close"), show=False, id="help.close_q"),
    ]

    def __init__(
        self, current: DOMNode | None = None, global_bindings: list[Binding] | None = None, title: str = ""
    ) -> None:
        """Args:
        current: the screen help was opened from (its keys are listed first).
        global_bindings: the app's keys (read from the bindings, never retyped).
        title: the current screen's name.
        """
        super().__init__()
        self.sections: list[Section] = []
        if current is not None:
            rows = rows_of(bindings_of(current))
            if rows:
                self.sections.append(Section(t("console.keymap.screen", name=title), rows))
        if global_bindings:
            self.sections.append(Section(t("console.keymap.global"), rows_of(global_bindings)))

    def compose(self) -> ComposeResult:
        """Title, the keys of this screen and of every screen, then the body."""
        with VerticalScroll(id="help-dialog"):
            yield Label(t("help.title"), id="help-title")
            for section in self.sections:
                yield Label(section.title, classes="help-section")
                width = max(len(k) for k, _ in section.rows) + 2
                yield Static(
                    "\n".join(f"  {k.ljust(width)}{d}" for k, d in section.rows),
                    classes="help-keys",
                    markup=False,
                )
            yield Static(t("help.body"), id="help-body", markup=False)

    def action_dismiss(self, result: None = None) -> None:  # type: ignore[override]
        """Close the help."""
        self.dismiss(None)
