"""``crmtui scenarios ...``: import/export round trip, start, ``run --interval`` stopping on SIGTERM,
and ``crmtui --headless --only scenarios`` as one tick."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from crmtui.sandbox.mail import SmtpSink

SCENARIO = '''
name = "Relance"
daily_cap = 50
timezone = "Europe/Paris"

[window]
start = "00:00"
end = "24:00"
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

[audience]
emails = ["anne@exemple.fr", "paul@exemple.fr"]

[[steps]]
name = "Bonjour"
template = "hello"

[templates.hello]
subject = "Bonjour {{first_name}}"
html = """
<p>Bonjour {{contact_name}},</p>
<p><a href="{{unsubscribe_link}}">Se désabonner</a></p>
"""
'''

CLI = [sys.executable, "-m", "crmtui.cli.scenarios", "--no-sandbox"]


def env(tmp: Path, sink: SmtpSink | None = None) -> dict[str, str]:
    out = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("COPPER", "MAILCHIMP", "SES_", "SMTP_", "CRMTUI"))
    }
    out.update(
        CRMTUI_DB=str(tmp / "crm.db"),
        CRMTUI_DATA_DIR=str(tmp / "data"),
        EMAIL_FROM="Shop <shop@domaine.fr>",
        CRMTUI_TRACKING_SECRET="test-tracking-secret-0123456789",
        CRMTUI_PUBLIC_URL="https://crm.domaine-exemple.test",
    )
    if sink is not None:
        out.update(sink.env())
    return out


def cli(tmp: Path, *args: str, sink: SmtpSink | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "scenarios", *args], env=env(tmp, sink), cwd=tmp, capture_output=True, text=True, timeout=60
    )


def test_import_export_start_and_headless_tick(tmp_path: Path) -> None:
    src = tmp_path / "relance.toml"
    src.write_text(SCENARIO, encoding="utf-8")
    done = cli(tmp_path, "import", str(src))
    assert done.returncode == 0 and "Relance" in done.stdout, done.stderr
    exported = cli(tmp_path, "export", "Relance")
    assert exported.returncode == 0 and 'name = "Relance"' in exported.stdout
    (tmp_path / "again.toml").write_text(exported.stdout, encoding="utf-8")
    assert cli(tmp_path, "import", str(tmp_path / "again.toml")).returncode == 0
    assert cli(tmp_path, "export", "Relance").stdout == exported.stdout  # stable round trip

    bad = tmp_path / "bad.toml"
    bad.write_text(SCENARIO.replace("{{first_name}}", "{{prenom}}"), encoding="utf-8")
    refused = cli(tmp_path, "import", str(bad))
    assert refused.returncode == 2 and "{{prenom}}" in refused.stderr

    assert cli(tmp_path, "start", "Relance").returncode == 0
    with SmtpSink() as sink:
        headless = subprocess.run(
            [sys.executable, "-m", "crmtui", "--no-sandbox", "--headless", "--only", "scenarios"],
            env=env(tmp_path, sink),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert headless.returncode == 0, headless.stdout + headless.stderr
        assert "2 sent" in headless.stdout
        assert len(sink.deliveries) == 2
    listing = cli(tmp_path, "list")
    assert "Relance" in listing.stdout and "active" in listing.stdout


def test_run_interval_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    src = tmp_path / "relance.toml"
    src.write_text(SCENARIO, encoding="utf-8")
    assert cli(tmp_path, "import", str(src)).returncode == 0
    assert cli(tmp_path, "start", "Relance").returncode == 0
    with SmtpSink() as sink:
        proc = subprocess.Popen(
            [*CLI, "scenarios", "run", "--interval", "60"],
            env=env(tmp_path, sink),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 30
        while len(sink.deliveries) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert "stopped cleanly" in out and "2 sent" in out
