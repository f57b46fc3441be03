"""``kill -9`` of a real tick process at each ledger step and at random moments: never a duplicate.

The tick runs as ``crmtui --headless --only scenarios`` in a subprocess sending over SMTP to an
aiosmtpd sink in this process, which counts deliveries per Message-ID. ``CRMTUI_TEST_CRASH_AT``
makes the engine ``SIGKILL`` itself at one ledger step; other runs are killed from outside at
random moments. After each crash a clean rerun finishes the work; then every ledger row must be
``sent`` or ``unknown`` (or the contact is not claimed at all), and no Message-ID may have been
delivered twice.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crmtui.engine import scenarios as sc
from crmtui.sandbox.mail import SmtpSink
from crmtui.store import Store
from crmtui.store.scenarios import Audience, Scenario, Step, TemplateRow, scenario_repo


def prepare(db: Path, n: int, daily_cap: int = 0) -> None:
    store = Store(db)
    try:
        s = Scenario(
            name="Crash",
            window_start="00:00",
            window_end="24:00",
            send_days=[1, 2, 3, 4, 5, 6, 7],
            daily_cap=daily_cap,
            audience=Audience(emails=[f"c{i:05d}@exemple.fr" for i in range(n)]),
            steps=[Step(1, "one", "t"), Step(2, "two", "t", trigger="delay", delay_days=7)],
            templates={"t": TemplateRow("t", "Bonjour {{email}}", "<p>{{contact_name}}</p>")},
        )
        scenario_repo(store).save(s)
        sc.start(store, "Crash")
    finally:
        store.close()


def env_for(sink: SmtpSink, db: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("COPPER", "MAILCHIMP", "SES_", "SMTP_", "CRMTUI"))
    }
    env.update(sink.env())
    env.update(
        CRMTUI_DB=str(db),
        CRMTUI_DATA_DIR=str(db.parent / "data"),
        EMAIL_FROM="Domaine <contact@domaine-exemple.fr>",
        SMTP_CONNECTIONS="4",
        CRMTUI_TRACKING_SECRET="test-tracking-secret-0123456789",
        CRMTUI_PUBLIC_URL="https://crm.domaine-exemple.test",
        **extra,
    )
    return env


HEADLESS = [sys.executable, "-m", "crmtui", "--no-sandbox", "--headless", "--only", "scenarios"]
ONCE = [sys.executable, "-m", "crmtui.cli.scenarios", "--no-sandbox", "scenarios", "run", "--once"]


def run(cmd: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


def check(db: Path, sink: SmtpSink, n: int) -> dict[str, int]:
    """No duplicate; every row sent or unknown; sent rows delivered exactly once."""
    assert not sink.duplicates()
    store = Store(db)
    try:
        rows = store.query("SELECT status, message_id, contact FROM operation_ledger")
        statuses = {r["status"] for r in rows}
        assert statuses <= {"sent", "unknown"}, statuses
        for r in rows:
            if r["status"] == "sent":
                assert sink.deliveries[r["message_id"]] == 1
            else:
                assert sink.deliveries[r["message_id"]] <= 1
        claimed = {r["contact"] for r in rows}
        assert len(claimed) == len(rows) <= n
        counts = scenario_repo(store).ledger_counts()
    finally:
        store.close()
    assert sum(sink.deliveries.values()) == len(sink.deliveries)
    return counts


@pytest.mark.parametrize(
    "point", ["before_claim_commit", "after_claim", "during_send", "after_accepted", "after_sent"]
)
def test_kill_9_at_each_ledger_step(tmp_path: Path, point: str) -> None:
    n = 24
    db = tmp_path / "crm.db"
    prepare(db, n)
    with SmtpSink(latency=0.3 if point == "during_send" else 0.0) as sink:
        crashed = run(
            HEADLESS, env_for(sink, db, CRMTUI_TEST_CRASH_AT=point, CRMTUI_TEST_CRASH_AFTER="6"), tmp_path
        )
        assert crashed.returncode == -signal.SIGKILL, crashed.stdout + crashed.stderr
        before = len(sink.deliveries)
        sink.latency = 0.0
        rerun = run(HEADLESS, env_for(sink, db), tmp_path)
        assert rerun.returncode in (0, 1), rerun.stdout + rerun.stderr
        counts = check(db, sink, n)
    assert counts.get("sent", 0) + counts.get("unknown", 0) == n
    if point in ("after_claim", "during_send", "after_accepted"):
        assert counts.get("unknown", 0) >= 1  # the claim that was in flight is never re-sent
    if point == "after_sent":
        assert before >= 6
    assert counts.get("unknown", 0) <= 4  # at most one per send slot in flight


def test_random_kills_during_a_5000_contact_send(tmp_path: Path) -> None:
    n = 5000
    db = tmp_path / "crm.db"
    prepare(db, n)
    rng = random.Random(6)
    with SmtpSink() as sink:
        env = env_for(sink, db)
        for _ in range(3):
            proc = subprocess.Popen(
                HEADLESS, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            start = len(sink.deliveries)
            deadline = time.monotonic() + 60
            target = start + rng.randint(100, 1200)
            while proc.poll() is None and len(sink.deliveries) < target and time.monotonic() < deadline:
                time.sleep(0.005)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        final = run(HEADLESS, env, tmp_path)
        assert final.returncode in (0, 1), final.stdout + final.stderr
        counts = check(db, sink, n)
    assert counts.get("sent", 0) + counts.get("unknown", 0) == n
    assert counts.get("unknown", 0) <= 3 * 4


def test_two_tick_processes_at_once_respect_the_daily_cap_exactly(tmp_path: Path) -> None:
    db = tmp_path / "crm.db"
    prepare(db, 300, daily_cap=100)
    with SmtpSink() as sink:
        env = env_for(sink, db)
        procs = [
            subprocess.Popen(
                ONCE, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
            for _ in range(2)
        ]
        outs = [p.communicate(timeout=120)[0] for p in procs]
        assert all(p.returncode == 0 for p in procs), outs
        counts = check(db, sink, 300)
    assert len(sink.deliveries) == 100 and counts == {"sent": 100}
    assert all("sent" in out for out in outs)
