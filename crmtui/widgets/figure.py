"""A labelled figure (a count on the dashboard)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Label

from crmtui.formats import number


class Figure(Widget):
    """A big number with a label under it."""

    DEFAULT_CSS = """
    Figure { height: 4; border: round $primary-darken-2; padding: 0 1; }
    Figure > .figure--value { text-style: bold; color: $text; width: 100%; content-align: center middle; }
    Figure > .figure--label { color: $text-muted; width: 100%; content-align: center middle; }
    Figure.-attention { border: round $warning; }
    """

    value: reactive[int | None] = reactive(None)
    """The figure; None while loading."""

    def __init__(self, label: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._label = label

    def compose(self) -> ComposeResult:
        """A value line and a label line."""
        yield Label("…", classes="figure--value")
        yield Label(self._label, classes="figure--label", markup=False)

    def watch_value(self, value: int | None) -> None:
        """Show the new number; highlight non-zero figures that need attention."""
        self.query_one(".figure--value", Label).update("…" if value is None else number(value))
