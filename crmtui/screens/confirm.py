"""Confirmation modals for destructive actions.

- :class:`ConfirmScreen` asks yes or no (archive, apply decisions, allow a large change).
- :class:`TypedConfirmScreen` asks to type a text exactly (the email of a contact to delete for
  good); anything else is refused and the modal stays open until the text matches or Escape.

Both return ``True`` only on an explicit confirmation; Escape returns ``False``.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

import crmtui.i18n.console  # noqa: F401  (registers the confirmation keys)
import crmtui.i18n.sync_ui  # noqa: F401  (registers the sync screens' text)
from crmtui.i18n import t
from crmtui.text import literal

_DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 72; max-width: 95%; height: auto; max-height: 90%;
    border: thick $error; background: $surface; padding: 1 2;
}}
{name} .confirm-title {{ text-style: bold; margin-bottom: 1; }}
{name} .confirm-body {{ margin-bottom: 1; }}
{name} .confirm-error {{ color: $error; text-style: bold; height: auto; }}
{name} Horizontal {{ height: auto; align-horizontal: right; }}
{name} Button {{ margin-left: 2; }}
"""


class ConfirmScreen(ModalScreen[bool]):
    """Yes or no, the one confirmation style of the console.

    Bordered; "No" is focused so a stray Enter never confirms; the yes key is the language's own
    (``o`` for *oui* in French, ``y`` in English); ``n`` and Escape answer no.
    """

    DEFAULT_CSS = _DIALOG_CSS.format(name="ConfirmScreen")
    BINDINGS = [
        Binding(t("console.confirm.yes_key"), "confirm", t("sync_ui.confirm.yes"), id="confirm.yes"),
        Binding("n,escape", "cancel", t("sync_ui.confirm.no"), id="confirm.no"),
    ]

    def __init__(self, title: str, body: str | Text, *, confirm_label: str | None = None) -> None:
        """Args:
        title: our own text (the question).
        body: the details; pass remote values through :func:`crmtui.text.literal`.
        confirm_label: the confirm button's label (default "Yes").
        """
        super().__init__()
        self.title_text = title
        self.body = body
        self.confirm_label = confirm_label or t("console.confirm.yes_hint")

    def compose(self) -> ComposeResult:
        """Title, body, two buttons (No is focused: Enter alone never destroys)."""
        with Vertical():
            yield Label(literal(self.title_text), classes="confirm-title")
            yield Static(
                self.body if isinstance(self.body, Text) else literal(self.body), classes="confirm-body"
            )
            with Horizontal():
                yield Button(self.confirm_label, variant="error", id="confirm-yes")
                yield Button(t("console.confirm.no_hint"), id="confirm-no")

    def on_mount(self) -> None:
        """Focus "No" so a stray Enter cancels."""
        self.query_one("#confirm-no", Button).focus()

    @on(Button.Pressed, "#confirm-yes")
    def action_confirm(self) -> None:
        """Confirmed."""
        self.dismiss(True)

    @on(Button.Pressed, "#confirm-no")
    def action_cancel(self) -> None:
        """Cancelled."""
        self.dismiss(False)


class TypedConfirmScreen(ModalScreen[bool]):
    """Type ``expected`` exactly, then Enter. A mismatch is refused; Escape cancels."""

    DEFAULT_CSS = _DIALOG_CSS.format(name="TypedConfirmScreen")
    BINDINGS = [Binding("escape", "cancel", t("sync_ui.confirm.cancel"), id="typed_confirm.cancel")]

    def __init__(self, title: str, body: str | Text, expected: str) -> None:
        """Args:
        title: our own text (what will happen).
        body: the details; pass remote values through :func:`crmtui.text.literal`.
        expected: the text to type (surrounding spaces are forgiven, nothing else).
        """
        super().__init__()
        self.title_text = title
        self.body = body
        self.expected = expected
        self.refusals = 0
        """How many times a wrong text was submitted."""

    def compose(self) -> ComposeResult:
        """Title, body, what to type, the input, an error line, Cancel."""
        with Vertical():
            yield Label(literal(self.title_text), classes="confirm-title")
            yield Static(
                self.body if isinstance(self.body, Text) else literal(self.body), classes="confirm-body"
            )
            yield Label(literal(t("sync_ui.confirm.type", text=self.expected)))
            yield Input(id="typed-confirm-input", select_on_focus=False)
            yield Label("", id="typed-confirm-error", classes="confirm-error")
            with Horizontal():
                yield Button(t("sync_ui.confirm.cancel"), id="typed-confirm-cancel")

    def on_mount(self) -> None:
        """Typing starts in the input."""
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        """Accept only the exact text."""
        if event.value.strip() == self.expected:
            self.dismiss(True)
            return
        self.refusals += 1
        self.query_one("#typed-confirm-error", Label).update(literal(t("sync_ui.confirm.mismatch")))

    @on(Button.Pressed, "#typed-confirm-cancel")
    def action_cancel(self) -> None:
        """Cancelled: nothing happens."""
        self.dismiss(False)
