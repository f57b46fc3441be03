"""The last 30 runs as a picture: operations done and failed per run, and how long each took.

Drawn with textual-plotext (Textual's plotting widget over plotext). Bars are stacked per run
(succeeded, then failed, in red); the duration is a line on the right-hand axis. Runs are oldest
first, labelled by their number. Nothing here reads the store: the screen hands the runs over.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual_plotext import PlotextPlot

from crmtui.i18n import t
from crmtui.store.runs import Run

TREND_RUNS = 30


class RunTrend(PlotextPlot):
    """Operations and errors per run, with durations."""

    DEFAULT_CSS = """
    RunTrend { height: 10; }
    RunTrend.-empty, RunTrend.-short { display: none; }
    """

    def show_runs(self, runs: Sequence[Run]) -> None:
        """Draw ``runs`` (newest first, as the store lists them); the last :data:`TREND_RUNS` only."""
        chosen = list(reversed(list(runs)[:TREND_RUNS]))
        self.set_class(not chosen, "-empty")  # no empty frame before the first run
        plt = self.plt
        plt.clear_figure()
        plt.title(t("trend.title", n=len(chosen)))
        if not chosen:
            self.refresh()
            return
        labels = [str(run.id) for run in chosen]
        # plotext's stacked_bar takes `labels` and a list of colours (plotext/_figure.py); the
        # stub shipped with textual-plotext is narrower than the function it describes.
        plt.stacked_bar(  # type: ignore[call-arg]
            labels,
            [[run.succeeded for run in chosen], [run.failed for run in chosen]],
            labels=[t("trend.ok"), t("trend.failed")],
            color=["green", "red"],  # type: ignore[arg-type]
        )
        # Bars with text labels sit at x = 1..n; the line needs those numbers (plotext reads strings
        # given to plot() as dates).
        plt.plot(
            list(range(1, len(chosen) + 1)),
            [run.seconds or 0.0 for run in chosen],
            yside="right",
            label=t("trend.seconds"),
            marker="braille",
        )
        plt.ylabel(t("trend.operations"))
        self.refresh()
