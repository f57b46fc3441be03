"""Bad input is a message (issue #12, point 9): one readable line, a documented exit code, never a traceback.

Also: a password inside a URL is never printed, files naming customers are 0600 in 0700 folders,
and U+2028/U+2029 are escaped wherever control characters are.
"""

from __future__ import annotations

import csv
import logging
import os
import stat
from datetime import date, timedelta
from pathlib import Path

import pytest

from crmtui.cli.entry import EXIT_CONFIG, main
from crmtui.config import ConfigError, load_settings
from crmtui.engine.etl import write_quality_report
from crmtui.export import cell, write_csv
from crmtui.files import private_dir, write_private_text
from crmtui.logs import KEEP_DAYS, DailyLogHandler, close_logging, daily_log_name, setup_logging
from crmtui.secrets import redact, redact_url
from crmtui.store import Store
from crmtui.store.etl import QualityIssue
from crmtui.store.scenarios import scenario_repo
from crmtui.text import literal, printable

LATIN1_ENV = "COPPER_API_EMAIL=ops@domaine.fr\nCOPPER_API_KEY=clé-latin1\n".encode("latin-1")


def _env(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / ".env"
    path.write_bytes(data)
    path.chmod(0o600)
    return path


def _one_readable_line(err: str) -> None:
    assert "Traceback" not in err and "UnicodeDecodeError" not in err
    assert err.strip(), "a message is expected"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- a .env that is not UTF-8 -----------------------------------------------------------------------


@pytest.mark.parametrize("argv", [["config", "check"], ["--headless"], ["--headless", "--sandbox"]])
def test_a_latin1_env_is_a_config_error_naming_line_and_column(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = _env(tmp_path, LATIN1_ENV)
    assert main(["--env-file", str(env), *argv]) == EXIT_CONFIG
    captured = capsys.readouterr()
    _one_readable_line(captured.err)
    assert "is not UTF-8: byte 0xe9 on line 2, column 18" in captured.err
    assert (
        "clé" not in captured.err and "latin1" in captured.err
    )  # the line's content is not shown; the fix is
    assert not (tmp_path / "data" / "logs").exists()  # nothing was done


def test_config_check_with_a_latin1_env_exits_2_in_french(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRMTUI_LANG", "fr")
    env = _env(tmp_path, b"ODOO_DB=caf\xe9\n")
    assert main(["--env-file", str(env), "config", "check"]) == EXIT_CONFIG
    err = capsys.readouterr().err
    _one_readable_line(err)
    assert "n'est pas en UTF-8 : octet 0xe9 ligne 1, colonne 12" in err


def test_an_unreadable_env_is_a_config_error(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    env = _env(tmp_path, b"ODOO_DB=x\n")
    env.chmod(0o000)
    with pytest.raises(ConfigError) as caught:
        load_settings(env_file=env)
    assert "cannot be read: Permission denied" in caught.value.render()


def test_a_variable_with_undecodable_bytes_is_a_config_error() -> None:
    # os.environ keeps bytes that are not UTF-8 as lone surrogates (PEP 383); printing one would crash.
    with pytest.raises(ConfigError) as caught:
        load_settings({"COPPER_API_EMAIL": "ops\udce9@domaine.fr"}, env_file=None)
    text = caught.value.render()
    text.encode("utf-8")  # printable as it is
    assert "COPPER_API_EMAIL holds bytes that are not UTF-8" in text


# -- scenarios import of a file that is not UTF-8 ------------------------------------------------------


def test_scenarios_import_of_a_latin1_file_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bienvenue.toml"
    path.write_bytes('name = "Été"\n'.encode("cp1252"))
    assert main(["scenarios", "import", str(path)]) == EXIT_CONFIG
    err = capsys.readouterr().err
    _one_readable_line(err)
    assert err.count("\n") == 1 and "is not UTF-8: byte 0xc9 on line 1, column 9" in err


# -- sandbox serve --contacts -1 --------------------------------------------------------------------


@pytest.mark.parametrize("value", ["-1", "0", "1000001"])
def test_sandbox_serve_with_contacts_out_of_range_exits_2(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sandbox", "serve", "--contacts", value]) == EXIT_CONFIG
    err = capsys.readouterr().err
    _one_readable_line(err)
    assert err == f"--contacts must be between 1 and 1,000,000 (got: {value})\n"


# -- a password inside a URL ------------------------------------------------------------------------


def test_config_check_never_prints_a_password_inside_a_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = _env(
        tmp_path,
        b"ODOO_URL=https://api:Pa%24%24w0rd-99@odoo.exemple.fr\nODOO_DB=prod\nODOO_USER=api\n"
        b"ODOO_API_KEY=canary-odoo-c0ffee42\nSMTP_HOST=relay.exemple.fr\n"
        b"CRMTUI_PUBLIC_URL=https://crm.exemple.fr/?token=hunter22\n",
    )
    assert main(["--env-file", str(env), "config", "check"]) == 0
    out = capsys.readouterr().out
    assert "https://api:***@odoo.exemple.fr" in out
    assert "Pa%24%24w0rd-99" not in out and "Pa$$w0rd-99" not in out and "hunter22" not in out


def test_a_bad_url_with_a_password_is_reported_masked() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"COPPER_BASE_URL": "ftp://me:s3cr3t-pass@copper.test"}, env_file=None)
    assert "s3cr3t-pass" not in caught.value.render() and "ftp://me:***@copper.test" in caught.value.render()


def test_a_url_password_never_reaches_a_log_line_even_decoded(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "ODOO_URL": "https://api:Pa%24%24w0rd-77@odoo.test",
            "ODOO_DB": "d",
            "ODOO_USER": "u",
            "ODOO_API_KEY": "k" * 9,
        },
        env_file=None,
    )
    run_log = setup_logging(tmp_path / "logs")
    log = logging.getLogger("crmtui.test")
    log.warning("connecting to %s", settings.odoo_url)
    log.warning("the library said: login Pa$$w0rd-77 refused")  # a library that decoded the URL
    close_logging()
    assert run_log is not None
    text = run_log.read_text()
    assert "w0rd-77" not in text and text.count("***") == 2


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://user:pw@odoo.exemple.fr/x", "http://user:***@odoo.exemple.fr/x"),
        ("https://u:p@ss@h.test/", "https://u:***@h.test/"),  # a raw @ inside the password
        ("https://h.test/cb?api_key=abc&u=1", "https://h.test/cb?api_key=***&u=1"),
        ("https://h.test/?PASSWORD=abc#top", "https://h.test/?PASSWORD=***#top"),
        ("https://h.test/path?u=1&id=2", "https://h.test/path?u=1&id=2"),
        ("mailto:ops@domaine.fr", "mailto:ops@domaine.fr"),
        ("https://bob@h.test/", "https://bob@h.test/"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown
    assert redact(f"error reaching {url} (timeout)") == f"error reaching {shown} (timeout)"


# -- files naming customers: 0600 in 0700 folders -----------------------------------------------------


def test_private_files_and_folders(tmp_path: Path) -> None:
    os.umask(0o022)
    ours = tmp_path / "data" / "reports"
    ours.mkdir(parents=True, mode=0o755)
    private_dir(ours)
    assert _mode(ours) == 0o700  # crmtui's own folder left wider by an older version is tightened
    theirs = tmp_path / "mine"
    theirs.mkdir(mode=0o755)
    out = write_private_text(theirs / "new" / "deeper" / "x.toml", "x", ours=False)
    assert _mode(theirs) == 0o755  # a folder the operator chose is not chmod-ed
    assert _mode(theirs / "new") == 0o700 and _mode(theirs / "new" / "deeper") == 0o700
    assert _mode(out) == 0o600
    old = theirs / "old.csv"
    old.write_text("y")
    old.chmod(0o644)
    write_private_text(old, "z", ours=False)
    assert _mode(old) == 0o600 and old.read_text() == "z"


def test_quality_report_with_emails_and_phones_is_private(tmp_path: Path) -> None:
    os.umask(0o022)
    issue = QualityIssue(
        "customers", "missing:email", 1, [{"key": "C1", "detail": "+33 6 12 34 56 78 a@b.fr"}]
    )
    path = write_quality_report([issue], {"VIP": 1}, tmp_path / "data" / "reports")
    assert _mode(path) == 0o600 and _mode(path.parent) == 0o700 and _mode(path.parent.parent) == 0o700


def test_csv_export_is_private(tmp_path: Path) -> None:
    os.umask(0o022)
    path = write_csv(tmp_path / "exports" / "x.csv", ["email"], [["a@b.fr"]])
    assert _mode(path) == 0o600 and _mode(path.parent) == 0o700


def test_scenarios_export_o_is_private(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.umask(0o022)
    source = Path(__file__).parents[2] / "crmtui" / "sandbox" / "demo_scenario.toml"
    assert main(["scenarios", "import", str(source)]) == 0
    store = Store(load_settings(env_file=None).store_path)
    name = scenario_repo(store).all()[0].name
    store.close()
    out = tmp_path / "exports" / "scenario.toml"
    assert main(["scenarios", "export", name, "-o", str(out)]) == 0
    assert _mode(out) == 0o600 and _mode(out.parent) == 0o700
    assert main(["scenarios", "export", name, "-o", str(tmp_path / "exports")]) == EXIT_CONFIG  # a folder
    _one_readable_line(capsys.readouterr().err)


def test_headless_run_writes_only_private_files(tmp_path: Path) -> None:
    os.umask(0o022)
    data = tmp_path / "data"
    (data / "reports").mkdir(parents=True, mode=0o755)  # left wider by an older crmtui
    assert main(["--headless", "--sandbox", "--production"]) == 0
    for folder in (data / "logs", data / "reports"):
        assert _mode(folder) == 0o700, folder
        files = [p for p in folder.iterdir() if p.is_file()]
        assert files, folder
        for path in files:
            assert _mode(path) == 0o600, path
    assert list((data / "reports").glob("import_report_*"))


def test_the_daily_log_is_private_after_rotation(tmp_path: Path) -> None:
    os.umask(0o022)
    setup_logging(tmp_path / "logs")
    logger = logging.getLogger("crmtui")
    daily = next(h for h in logger.handlers if isinstance(h, DailyLogHandler))
    logger.warning("before")
    # What midnight does, long after start-up: a record of the next day opens the next day's file.
    tomorrow = logger.makeRecord("crmtui", logging.WARNING, __file__, 1, "after", None, None)
    tomorrow.created += 86400
    daily.handle(tomorrow)
    close_logging()
    files = sorted(p.name for p in (tmp_path / "logs").iterdir())
    next_day = date.fromtimestamp(tomorrow.created)
    assert daily_log_name() in files and daily_log_name(next_day) in files and len(files) == 3
    assert all(_mode(tmp_path / "logs" / name) == 0o600 for name in files)


def test_daily_logs_older_than_two_weeks_are_removed(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    old = folder / daily_log_name(date.today() - timedelta(days=KEEP_DAYS))
    kept = folder / daily_log_name(date.today() - timedelta(days=KEEP_DAYS - 1))
    for path in (old, kept):
        path.write_text("x\n")
    setup_logging(folder, per_run=False)
    close_logging()
    assert not old.exists() and kept.exists()


# -- U+2028 / U+2029 -------------------------------------------------------------------------------------


@pytest.mark.parametrize("char", ["\u2028", "\u2029", "\x85", "\x1b"])
def test_line_and_paragraph_separators_are_escaped_like_controls(char: str, tmp_path: Path) -> None:
    name = f"Jean{char}FORGED LINE"
    assert char not in printable(name) and f"\\u{ord(char):04x}" in printable(name).replace("\\x", "\\u00")
    assert char not in printable(name, single_line=False)
    assert char not in literal(name).plain
    assert char not in cell(name)
    path = write_csv(tmp_path / "x.csv", ["name"], [[name]])
    raw = path.read_text(encoding="utf-8-sig")
    assert char not in raw and len(raw.splitlines()) == 2
    assert [row for row in csv.reader(raw.splitlines())][1] == [printable(name)]
    issue = QualityIssue("customers", "missing:email", 1, [{"key": "C1", "detail": name}])
    report = write_quality_report([issue], {}, tmp_path / "reports").read_text()
    assert char not in report
