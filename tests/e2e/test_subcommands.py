"""``connectors test``, ``sandbox`` and ``cron``: one readable line per outcome, documented exit codes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from crmtui.cli.entry import main
from crmtui.cli.tools import MARKER, cron_schedule
from crmtui.sandbox.harness import running_sandbox


def test_connectors_test_on_the_sandbox(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["connectors", "test"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in out if line.startswith(("✔", "✘"))] == [
        "copper",
        "mailchimp",
        "odoo",
        "isavigne",
        "ses",
        "smtp",
        "imap",
    ]
    # Every connector passes, the replies mailbox too (the sandbox's IMAP server, login and folder).
    assert all(line.startswith("✔") for line in out if line[:1] in "✔✘"), out
    assert any(line.startswith("✔ imap") and "INBOX" in line for line in out)


@pytest.mark.parametrize(
    ("service", "bad", "expected"),
    [
        ("copper", {"COPPER_API_KEY": "wrong-key-123"}, "COPPER_API_KEY"),
        ("mailchimp", {"MAILCHIMP_API_KEY": "ffffffffffffffffffffffffffffffff-us19"}, "MAILCHIMP_API_KEY"),
        ("mailchimp", {"MAILCHIMP_LIST_ID": "nolist0000"}, "MAILCHIMP_LIST_ID"),
        ("odoo", {"ODOO_API_KEY": "wrong-odoo-key"}, "ODOO"),
        (
            "ses",
            {"SES_SECRET_ACCESS_KEY": "wrong-ses-secret-0000000000000000000000"},
            "SES_SECRET_ACCESS_KEY",
        ),
        ("ses", {"EMAIL_FROM": "news@non-verifie.fr"}, "EMAIL_FROM"),
    ],
)
def test_a_wrong_credential_gives_one_readable_line(
    service: str,
    bad: dict[str, str],
    expected: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with running_sandbox(100) as sb:
        for key, value in {**sb.env(), **bad}.items():
            monkeypatch.setenv(key, value)
        assert main(["connectors", "test", "--only", service]) == 1
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    assert out.out.startswith(f"✘ {service}")
    assert expected in out.out
    for secret in bad.values():
        if "key" in secret.lower() or len(secret) > 20:
            assert secret not in out.out


def test_dead_network_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COPPER_API_KEY", "k-123456")
    monkeypatch.setenv("COPPER_API_EMAIL", "ops@domaine.fr")
    monkeypatch.setenv("COPPER_BASE_URL", "http://127.0.0.1:9/developer_api/v1")
    assert main(["connectors", "test", "--only", "copper"]) == 1
    out = capsys.readouterr()
    assert out.out.count("\n") == 1 and "cannot connect" in out.out and out.err == ""


@pytest.mark.parametrize(
    ("every", "fields"), [("15m", "*/15 * * * *"), ("1h", "0 * * * *"), ("6h", "0 */6 * * *")]
)
def test_cron_schedule(every: str, fields: str) -> None:
    assert cron_schedule(every) == fields


def test_cron_install_status_remove_keeps_other_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "crontab.txt"
    table.write_text("0 3 * * * /usr/bin/backup\n")
    fake = tmp_path / "crontab"
    fake.write_text(f'#!/bin/sh\nif [ "$1" = "-l" ]; then cat {table}; else cat > {table}; fi\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("CRMTUI_CRONTAB", str(fake))
    monkeypatch.setenv("HOME", str(tmp_path))
    assert main(["cron", "install", "--every", "15m"]) == 0
    assert main(["cron", "install", "--every", "30m"]) == 0  # replaces, never duplicates
    lines = table.read_text().splitlines()
    assert lines[0] == "0 3 * * * /usr/bin/backup"
    ours = [line for line in lines if line.endswith(MARKER)]
    assert len(ours) == 1 and ours[0].startswith("*/30 * * * *") and "--headless --no-sandbox" in ours[0]
    assert (tmp_path / ".local" / "state").is_dir()  # the log redirection's folder exists
    capsys.readouterr()
    assert main(["cron", "status"]) == 0
    assert "*/30" in capsys.readouterr().out
    assert main(["cron", "remove"]) == 0
    assert table.read_text().splitlines() == ["0 3 * * * /usr/bin/backup"]
    assert main(["cron", "install", "--every", "7m"]) == 2


def test_cron_without_crontab_prints_the_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CRMTUI_CRONTAB", raising=False)
    assert main(["cron", "install"]) == 2
    assert "--headless" in capsys.readouterr().err
    assert os.environ["PATH"] == str(tmp_path)


def test_cron_install_weekly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    table = tmp_path / "crontab.txt"
    table.write_text("")
    fake = tmp_path / "crontab"
    fake.write_text(f'#!/bin/sh\nif [ "$1" = "-l" ]; then cat {table}; else cat > {table}; fi\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("CRMTUI_CRONTAB", str(fake))
    monkeypatch.setenv("HOME", str(tmp_path))
    for every in ("1w", "7d", "168h"):
        assert main(["cron", "install", "--every", every]) == 0
        [ours] = [line for line in table.read_text().splitlines() if line.endswith(MARKER)]
        assert ours.startswith("0 0 * * 1 "), every
    assert main(["cron", "install", "--every", "1d"]) == 0
    assert table.read_text().startswith("0 0 * * * ")
    capsys.readouterr()
    assert main(["cron", "install", "--every", "2d"]) == 2
    err = capsys.readouterr().err
    assert "2d" in err and "1w" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "argv",
    [
        ["--log-level", "debug", "config", "check"],
        ["config", "check", "--log-level", "debug"],
        ["config", "check", "--log-level=DEBUG"],
        ["cron", "install", "--every", "7m", "--log-level", "warning"],
    ],
)
def test_every_command_takes_log_level(argv: list[str]) -> None:
    import logging

    from crmtui.logs import close_logging

    try:
        code = main(argv)
        assert code in (0, 2)
        expected = "DEBUG" if "debug" in " ".join(argv).lower() else "WARNING"
        assert logging.getLevelName(logging.getLogger("crmtui").level) == expected
    finally:
        main(["--log-level", "info", "config", "check"])
        close_logging()
        for handler in list(logging.getLogger("crmtui").handlers):
            if getattr(handler, "_crmtui_stderr", False):
                logging.getLogger("crmtui").removeHandler(handler)


def test_an_unknown_log_level_is_one_message(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--log-level", "verbose", "config", "check"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "debug" in err and "Traceback" not in err
