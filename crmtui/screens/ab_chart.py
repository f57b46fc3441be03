"""A/B curves: per step, each variant's cumulative open (or click) rate by day with its 95 % interval.

Opened from Scenarios (``g``) on the highlighted scenario. One textual-plotext chart per step that has
sent something: a solid line per variant for the rate, dotted lines for its Wilson interval, so an
operator sees whether the variants have separated or still overlap. ``t`` switches opens ↔ clicks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label
from textual_plotext import PlotextPlot

from crmtui.engine import ab
from crmtui.i18n import t
from crmtui.screens.workers import deliver
from crmtui.store.scenarios import Scenario, scenario_repo
from crmtui.text import literal
from crmtui.widgets.footer import Footer

COLOURS = ("cyan", "magenta", "green", "yellow", "blue", "red")


@dataclass(frozen=True)
class Curve:
    """One variant's cumulative rate by day."""

    variant_id: int
    days: list[str]
    rates: list[float]
    low: list[float]
    high: list[float]


def curves(rows: Iterable[Mapping[str, Any]], step_id: int, metric: str = "opened") -> list[Curve]:
    """Cumulative rates of ``metric`` (``opened``/``clicked``) per variant of one step, by day."""
    per_variant: dict[int, list[Mapping[str, Any]]] = {}
    for row in rows:
        if row["step_id"] == step_id:
            per_variant.setdefault(int(row["variant_id"] or 0), []).append(row)
    out = []
    for variant_id, days in sorted(per_variant.items()):
        sent = hits = 0
        day_labels, rates, low, high = [], [], [], []
        for row in sorted(days, key=lambda r: str(r["day"])):
            sent += int(row["sent"])
            hits += int(row[metric])
            lo, hi = ab.wilson(hits, sent)
            day_labels.append(str(row["day"]))
            rates.append(100 * hits / sent if sent else 0.0)
            low.append(100 * lo)
            high.append(100 * hi)
        out.append(Curve(variant_id, day_labels, rates, low, high))
    return out


class ABChartScreen(ModalScreen[None]):
    """The A/B curves of one scenario."""

    DEFAULT_CSS = """
    ABChartScreen { align: center middle; }
    ABChartScreen > #ab-title { dock: top; width: 100%; background: $primary; color: $text; padding: 0 1; }
    ABChartScreen > VerticalScroll { width: 100%; height: 1fr; background: $surface; }
    ABChartScreen PlotextPlot { height: 14; }
    ABChartScreen .ab-empty { padding: 1 2; color: $text-muted; }
    """
    BINDINGS = [
        Binding("escape", "close", t("key.close"), id="ab_chart.close"),
        Binding("q", "close", t("key.close"), show=False, id="ab_chart.close_q"),
        Binding("t", "toggle_metric", t("ab_chart.key.metric"), id="ab_chart.metric"),
    ]

    def __init__(self, scenario: Scenario) -> None:
        super().__init__()
        self.scenario = scenario
        self.metric = "opened"
        self.rows: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        """Title, the charts, footer."""
        yield Label(literal(t("ab_chart.title", name=self.scenario.name)), id="ab-title")
        yield VerticalScroll(id="ab-charts")
        yield Footer()

    def on_mount(self) -> None:
        """Read the daily figures in a thread."""
        self.load()

    @work(thread=True, exclusive=True, group="ab_chart:load", exit_on_error=False, description="Reading")
    def load(self) -> None:
        """Emails per step, variant and day."""
        rows = scenario_repo(self.app.store).variant_daily(self.scenario.id)  # type: ignore[attr-defined]
        deliver(self.app, self.show, rows)

    async def show(self, rows: list[dict[str, Any]]) -> None:
        """One chart per step that has sent something."""
        self.rows = rows
        box = self.query_one("#ab-charts", VerticalScroll)
        await box.remove_children()
        names = {v.id: v.name for step in self.scenario.steps for v in step.variants}
        drawn = 0
        for step in self.scenario.steps:
            lines = curves(rows, step.id, self.metric)
            if not lines:
                continue
            plot = PlotextPlot()
            await box.mount(plot)
            _draw(plot, f"{step.position}. {step.name}", lines, names, self.metric)
            drawn += 1
        if not drawn:
            await box.mount(Label(t("ab_chart.empty"), classes="ab-empty"))

    async def action_toggle_metric(self) -> None:
        """Opens ↔ clicks."""
        self.metric = "clicked" if self.metric == "opened" else "opened"
        await self.show(self.rows)

    def action_close(self) -> None:
        """Back to Scenarios."""
        self.dismiss(None)


def _draw(plot: PlotextPlot, title: str, lines: list[Curve], names: Mapping[int, str], metric: str) -> None:
    plt = plot.plt
    plt.clear_figure()
    plt.title(t("ab_chart.step_title", step=title, metric=t(f"ab_chart.metric.{metric}")))
    days = sorted({d for c in lines for d in c.days})
    x_of = {d: i + 1 for i, d in enumerate(days)}
    for k, curve in enumerate(lines):
        colour = COLOURS[k % len(COLOURS)]
        xs = [x_of[d] for d in curve.days]
        # plotext reads text given to plot() as dates: the days are drawn at 1..n, labelled below.
        plt.plot(xs, curve.rates, color=colour, label=names.get(curve.variant_id, "?"), marker="braille")
        plt.plot(xs, curve.low, color=colour, marker="dot")
        plt.plot(xs, curve.high, color=colour, marker="dot")
    step = max(1, len(days) // 6)
    plt.xticks([x_of[d] for d in days[::step]], [d[5:] for d in days[::step]])
    plt.ylim(0, 100)
    plt.ylabel("%")
    plot.refresh()
