"""Run history: Enter on a past run opens its steps, errors, report and log (issue #15)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Log

from crmtui.app import make_app
from crmtui.config import Settings
from crmtui.screens.runs import RunDetailScreen, RunsScreen
from crmtui.store import Store


def _run_with_files(store: Store, tmp_path: Path) -> int:
    report = tmp_path / "sync_report_1.txt"
    report.write_text(
        "Contact mis à jour: Jean Dupont\nPoison \x1b[31mred\x1b[0m [bold]x[/bold]\n", encoding="utf-8"
    )
    log = tmp_path / "sync_log_1.txt"
    log.write_text("12:00:01 INFO run 1 started\n12:00:09 INFO run 1 finished: partial\n", encoding="utf-8")
    run_id = store.runs.start("cycle", mode="production")
    store.runs.finish(
        run_id,
        "partial",
        total=3,
        succeeded=2,
        failed=1,
        summary={"sync": {"status": "partial", "detail": "1 error", "errors": ["copper: HTTP 500"]}},
        report_path=str(report),
        log_path=str(log),
    )
    return run_id


async def _open_detail(settings: Settings, store: Store) -> tuple[RunDetailScreen, str]:
    app = make_app(settings, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("h")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RunDetailScreen)
        text = "\n".join(screen.query_one(Log).lines)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen)
        return screen, text


async def test_enter_on_a_run_opens_its_steps_report_and_log(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    run_id = _run_with_files(store, tmp_path)
    screen, text = await _open_detail(settings, store)
    assert screen.run.id == run_id
    assert "copper: HTTP 500" in text  # the step's error
    assert "Contact mis à jour: Jean Dupont" in text  # the report
    assert "run 1 finished: partial" in text  # the log
    assert "\x1b" not in text  # escape codes from a hostile name are shown, not obeyed


async def test_a_missing_report_is_said_not_fatal(settings: Settings, store: Store, tmp_path: Path) -> None:
    _run_with_files(store, tmp_path)
    (tmp_path / "sync_report_1.txt").unlink()
    _, text = await _open_detail(settings, store)
    assert "run 1 finished: partial" in text


async def test_the_detail_counts_are_written_as_the_operators_language_writes_numbers(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    """A French operator reads ``4 992 opérations`` in a run's detail, as on the line under the table."""
    from crmtui.i18n import get_language, set_language

    run_id = store.runs.start("cycle", mode="test")
    store.runs.finish(run_id, "ok", total=4992, succeeded=4991, failed=0, skipped=1027)
    before = get_language()
    set_language("fr")
    try:
        _, text = await _open_detail(settings, store)
    finally:
        set_language(before)
    assert "4\u202f992 opérations : 4\u202f991 réussies, 0 en échec, 1\u202f027 ignorées" in text, text


async def test_the_run_chart_draws_the_last_runs(settings: Settings, store: Store, tmp_path: Path) -> None:
    from crmtui.widgets.run_trend import RunTrend

    for _ in range(3):
        _run_with_files(store, tmp_path)
    app = make_app(settings, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        dashboard_chart = app.screen.query_one(RunTrend)
        assert not dashboard_chart.has_class("-short")  # 40 rows: room for the chart on the dashboard
        assert not dashboard_chart.has_class("-empty")
        await pilot.press("h")
        await app.workers.wait_for_complete()
        await pilot.pause()
        chart = app.screen.query_one(RunTrend)
        rendered = chart.plt.build()
        assert "The last 3 runs" in rendered
    async with make_app(settings, store).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert pilot.app.screen.query_one(RunTrend).has_class("-short")  # 80x24 keeps the tables
