"""A/B curves (issue #15 "pictures"): per step, each variant's cumulative rate by day with its interval."""

from __future__ import annotations

import pytest

from crmtui.app import make_app
from crmtui.config import Settings
from crmtui.screens.ab_chart import ABChartScreen, curves
from crmtui.screens.scenarios import ScenariosScreen
from crmtui.store import Store
from tests.integration.events_support import send_scenario, serve_settings


def test_curves_are_cumulative_with_wilson_intervals() -> None:
    rows = [
        {"step_id": 1, "variant_id": 10, "day": "2026-11-02", "sent": 100, "opened": 20, "clicked": 5},
        {"step_id": 1, "variant_id": 10, "day": "2026-11-01", "sent": 100, "opened": 40, "clicked": 5},
        {"step_id": 1, "variant_id": 11, "day": "2026-11-01", "sent": 50, "opened": 10, "clicked": 1},
        {"step_id": 2, "variant_id": 12, "day": "2026-11-01", "sent": 9, "opened": 9, "clicked": 0},
    ]
    a, b = curves(rows, 1)
    assert a.variant_id == 10 and a.days == ["2026-11-01", "2026-11-02"]
    assert a.rates == pytest.approx([40.0, 30.0])  # 40/100, then (40+20)/200
    assert all(lo <= r <= hi for lo, r, hi in zip(a.low, a.rates, a.high, strict=True))
    assert a.high[1] - a.low[1] < a.high[0] - a.low[0]  # more sends, a narrower interval
    assert b.rates == pytest.approx([20.0])
    assert curves(rows, 1, "clicked")[0].rates == pytest.approx([5.0, 5.0])


async def test_g_on_scenarios_opens_the_curves(settings: Settings, store: Store) -> None:
    s = serve_settings(settings)
    await send_scenario(s, store, [f"client{i}@exemple.fr" for i in range(12)])
    app = make_app(s, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ScenariosScreen)
        await pilot.press("g")
        await app.workers.wait_for_complete()
        await pilot.pause()
        chart = app.screen
        assert isinstance(chart, ABChartScreen)
        assert chart.rows and sum(int(r["sent"]) for r in chart.rows) == 12
        plots = chart.query("PlotextPlot")
        assert len(plots) >= 1
        await pilot.press("t")  # clicks
        await pilot.pause()
        assert chart.metric == "clicked"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ScenariosScreen)
