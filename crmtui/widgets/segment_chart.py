"""The RFM segment distribution as a picture: one horizontal bar per segment, its customers counted.

Drawn with textual-plotext (Textual's plotting widget over plotext), like the run trend and the A/B
curves. The screen hands over the counts with their labels already in the operator's language
(``segment_label``); nothing here reads the store. Narrow by design: it sits in Quality's 32-column
side pane at 80x24.
"""

from __future__ import annotations

from textual_plotext import PlotextPlot

from crmtui.formats import number


class SegmentChart(PlotextPlot):
    """Customers per RFM segment, largest segments as the longest bars."""

    DEFAULT_CSS = """
    SegmentChart { height: 1fr; min-height: 6; }
    SegmentChart.-empty { display: none; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.counts: dict[str, int] = {}

    def show(self, counts: dict[str, int]) -> None:
        """Replace the counts (label -> customers, in the order to show) and redraw."""
        self.counts = dict(counts)
        self.set_class(not self.counts, "-empty")
        plt = self.plt
        plt.clear_figure()
        if self.counts:
            # plotext draws the first label at the bottom: reversed, so the list reads top-down.
            labels = list(reversed(self.counts))
            plt.bar(labels, [self.counts[label] for label in labels], orientation="horizontal", width=0.6)
            plt.xlim(0, max(self.counts.values()) * 1.1)  # bars from zero, so lengths compare
            plt.xticks([])  # the counts are printed after the labels: no axis numbers to misread
            plt.yticks(
                list(range(1, len(labels) + 1)), [f"{label} {number(self.counts[label])}" for label in labels]
            )
        self.refresh()
