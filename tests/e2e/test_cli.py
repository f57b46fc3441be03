"""The CLI as cron sees it: exit codes, messages, no tracebacks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from crmtui.cli.entry import main
from crmtui.store import Store
from crmtui.store.locks import RUN_LOCK


def test_sandbox_database_starts_afresh_with_the_simulators(tmp_path: Path) -> None:
    db = tmp_path / "data" / "crmtui-sandbox.db"
    assert main(["--headless", "--only", "sync", "--sandbox"]) == 0
    assert main(["--headless", "--only", "sync", "--sandbox"]) == 0
    store = Store(db)
    assert store.runs.count() == 1  # the simulators were re-seeded, so was their database
    store.close()


def test_headless_ok_exit_0_and_records_a_run(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["--headless", "--sandbox"]) == 0
    out = capsys.readouterr().out
    assert "finished: ok" in out
    db = tmp_path / "data" / "crmtui-sandbox.db"
    store = Store(db)
    assert store.runs.count() == 1
    assert store.runs.recent(1)[0].log_path
    store.close()
    assert list((tmp_path / "data" / "logs").glob("sync_log_*.txt"))


def test_headless_log_level_debug_and_the_log_names_of_the_documents(tmp_path: Path) -> None:
    from datetime import date

    from crmtui.logs import close_logging, set_level

    try:
        assert main(["--log-level", "debug", "--headless", "--only", "sync", "--sandbox", "--verbose"]) == 0
    finally:
        set_level("info")
        close_logging()
    logs = tmp_path / "data" / "logs"
    [run_log] = logs.glob("sync_log_*.txt")
    text = run_log.read_text(encoding="utf-8")
    assert " DEBUG " in text and "step sync started" in text and "→ ok" in text
    # 001: `tail -f sync_$(date +%Y%m%d).log`
    daily = logs / f"sync_{date.today():%Y%m%d}.log"
    assert daily.exists() and "step sync started" in daily.read_text(encoding="utf-8")
    [report] = (tmp_path / "data" / "reports").glob("import_report_*.txt")
    assert "IDENTICAL CONTACTS SKIPPED (OPTIMISATION):" in report.read_text(encoding="utf-8")  # --verbose


def test_config_error_exit_2(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILCHIMP_API_KEY", "no-dc-suffix")
    assert main(["--headless"]) == 2
    err = capsys.readouterr().err
    assert "MAILCHIMP_API_KEY" in err and "Traceback" not in err


def test_lock_held_exit_3(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    store = Store(tmp_path / "data" / "crmtui.db")
    store.locks.acquire(RUN_LOCK, "console")
    with store.write() as db:
        db.execute("UPDATE locks SET host = 'other-host', pid = 1")
    store.close()
    assert main(["--headless", "--no-sandbox"]) == 3
    assert "Another cycle is running" in capsys.readouterr().err


def test_corrupt_store_exit_4(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = tmp_path / "data" / "crmtui.db"
    db.parent.mkdir(parents=True)
    db.write_bytes(b"garbage" * 1000)
    os.chmod(db, 0o600)
    assert main(["--headless", "--no-sandbox"]) == 4
    err = capsys.readouterr().err
    assert "damaged" in err and "Traceback" not in err


def test_newer_schema_exit_4(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = tmp_path / "data" / "crmtui.db"
    store = Store(db)
    with store.write() as conn:
        conn.execute("INSERT INTO _migrations VALUES (999, 'future', 'x')")
    store.close()
    assert main(["--headless", "--no-sandbox"]) == 4
    assert "newer than this crmtui" in capsys.readouterr().err


def test_config_check_masks_secrets(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COPPER_API_KEY", "canary-config-check-123456")
    monkeypatch.setenv("COPPER_API_EMAIL", "ops@domaine.fr")
    assert main(["config", "check"]) == 0
    out = capsys.readouterr().out
    assert "canary-config-check-123456" not in out
    assert "✔ copper" in out and "✘ mailchimp" in out


def test_python_dash_m_works_in_a_subprocess(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COPPER", "MAILCHIMP"))}
    env["CRMTUI_DATA_DIR"] = str(tmp_path / "sub")
    done = subprocess.run(
        [sys.executable, "-m", "crmtui", "--headless", "--sandbox", "--lang", "fr"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Cycle n°1 terminé" in done.stdout


def test_no_secret_reaches_the_store_logs_or_reports(tmp_path: Path) -> None:
    from crmtui.sandbox.harness import COPPER_KEY
    from crmtui.sandbox.mailchimp import DEFAULT_API_KEY
    from crmtui.sandbox.odoo import DEFAULT_KEY

    assert main(["--headless", "--sandbox", "--production"]) == 0
    secrets = [COPPER_KEY.encode(), DEFAULT_API_KEY.encode(), DEFAULT_KEY.encode()]
    files = [p for p in (tmp_path / "data").rglob("*") if p.is_file()]
    assert any(p.suffix == ".db" for p in files) and any(p.name.startswith("import_report_") for p in files)
    for path in files:
        data = path.read_bytes()
        for secret in secrets:
            assert secret not in data, (path, secret)
