"""``crmtui --headless --only etl``: every configured source through the cycle step."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from crmtui.cli.entry import main
from crmtui.sandbox.isavigne_data import write_exports
from crmtui.store import Store
from crmtui.store.etl import etl_repo


def test_headless_only_etl_on_exports(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_exports(tmp_path / "ex", customers=30, seed=5, export_date=date(2025, 6, 1))
    monkeypatch.setenv("ISAVIGNE_EXPORT_PATH", str(tmp_path / "ex"))
    assert main(["--headless", "--only", "etl", "--no-sandbox"]) == 0
    out = capsys.readouterr().out
    assert "step etl: ok" in out and "isavigne:" in out and "quality report" in out
    store = Store(tmp_path / "data" / "crmtui.db")
    try:
        repo = etl_repo(store)
        assert repo.counts()["customers"] == 30
        run = store.runs.recent(1)[0]
        assert run.kind == "etl" and run.status == "ok"
        assert run.summary["etl"]["isavigne"]["skipped"] == 1
        assert Path(run.summary["etl"]["quality_report"]).exists()
        assert repo.stats("isavigne").successes == 0 and repo.stats("isavigne").runs == 1
    finally:
        store.close()
    # Second run: every file unchanged, nothing written.
    assert main(["--headless", "--only", "etl", "--no-sandbox"]) == 0
    assert "0 changed" in capsys.readouterr().out


def test_headless_only_etl_sandbox_runs_both_sources(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["--headless", "--only", "etl", "--sandbox"]) == 0
    out = capsys.readouterr().out
    assert "isavigne:" in out and "odoo:" in out
    store = Store(tmp_path / "data" / "crmtui-sandbox.db")
    try:
        counts = etl_repo(store).counts()
        assert counts["customers"] > 0 and counts["sales_lines"] > 0
        assert {r.source for r in etl_repo(store).runs()} == {"isavigne", "odoo"}
    finally:
        store.close()


def test_headless_etl_with_a_missing_folder_fails_the_etl_step_only(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ISAVIGNE_EXPORT_PATH", str(tmp_path / "nowhere"))
    code = main(["--headless", "--only", "etl"])
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert code == 1
    assert "step etl: failed" in text and "ISAVIGNE_EXPORT_PATH" in text and "Traceback" not in text
    # Not the sandbox: the estate's (missing) folder was the only configuration.
    assert "sandbox" not in captured.out.split("\n")[0]


def test_headless_with_only_the_export_folder_never_uses_the_sandbox(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_exports(tmp_path / "ex", customers=5, seed=3, export_date=date(2025, 6, 1))
    monkeypatch.setenv("ISAVIGNE_EXPORT_PATH", str(tmp_path / "ex"))
    assert main(["--headless", "--only", "etl"]) == 0
    assert "odoo:" not in capsys.readouterr().out
    assert (tmp_path / "data" / "crmtui.db").exists()
    assert not (tmp_path / "data" / "crmtui-sandbox.db").exists()


def test_headless_with_nothing_configured_exits_2_with_advice(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--headless", "--only", "etl"]) == 2
    err = capsys.readouterr().err
    assert "crmtui --sandbox" in err


def test_a_missing_export_folder_does_not_stop_sync(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ISAVIGNE_EXPORT_PATH", str(tmp_path / "nowhere"))
    assert main(["--headless", "--only", "sync", "--sandbox"]) == 0
    assert "step sync: ok" in capsys.readouterr().out
