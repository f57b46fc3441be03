"""A horizontal bar chart of counts (the RFM distribution), drawn with block characters."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from crmtui.text import printable


def bars(counts: dict[str, int], width: int = 40) -> Text:
    """One line per label: ``VIP       ████████████ 92``; labels shown literally."""
    text = Text(no_wrap=True)
    if not counts:
        return text
    top = max(counts.values()) or 1
    pad = max(len(label) for label in counts)
    for label, count in counts.items():
        length = round(count / top * width) if count else 0
        text.append(f"{printable(label):<{pad}} ")
        text.append("█" * length, style="bold")
        text.append(f" {count}\n")
    text.rstrip()  # no blank line under the last bar
    return text


class BarChart(Static):
    """Shows :func:`bars` of its ``counts``."""

    DEFAULT_CSS = "BarChart { height: auto; padding: 0 1; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.counts: dict[str, int] = {}

    def show(self, counts: dict[str, int]) -> None:
        """Replace the counts and redraw."""
        self.counts = dict(counts)
        self.update(bars(self.counts, self._bar_width()))

    def _bar_width(self) -> int:
        """Bars fit the widget: its width less the labels, the count and the padding (at most 40)."""
        if not self.counts or not self.size.width:
            return 40
        pad = max(len(label) for label in self.counts) + 1
        count = max(len(str(c)) for c in self.counts.values()) + 1
        return max(4, min(40, self.size.width - 2 - pad - count))

    def on_resize(self) -> None:
        """Redraw at the new width."""
        self.update(bars(self.counts, self._bar_width()))
