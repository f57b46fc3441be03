"""``kill -9`` of a real sync process at random points, then a rerun: same final state, no duplicate."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from crmtui.engine.identity import normalize_email
from crmtui.sandbox.harness import Sandbox, running_sandbox

N = 300
SEED = 5


def state(sb: Sandbox) -> tuple[dict[str, Any], dict[str, Any], Counter[str]]:
    people: dict[str, Any] = {}
    per_email: Counter[str] = Counter()
    for p in sb.copper.people.values():
        if not p["emails"]:
            continue
        email = normalize_email(p["emails"][0]["email"])
        per_email[email] += 1
        people[f"{email}#{per_email[email]}"] = (p["first_name"], p["last_name"], tuple(sorted(p["tags"])))
    members = {
        normalize_email(m["email_address"]): (
            m["status"],
            tuple(sorted((m["merge_fields"] or {}).items())),
            tuple(sorted(t if isinstance(t, str) else t["name"] for t in (m["tags"] or ()))),
        )
        for m in sb.mailchimp.members.values()
    }
    return people, members, per_email


def run_cli(sb: Sandbox, data: Path, kill_when: Callable[[], bool] | None = None) -> int | None:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("COPPER", "MAILCHIMP", "SYNC_", "CRMTUI"))
    }
    env.update(sb.env())
    env.update({"SYNC_MODE": "production", "CRMTUI_DATA_DIR": str(data)})
    data.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "crmtui", "--headless", "--only", "sync"],
        env=env,
        cwd=data.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    if kill_when is None:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, out.decode()
        return proc.returncode
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        if kill_when():
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.002)
    proc.wait(timeout=30)
    return proc.returncode


def test_kill_9_during_apply_then_rerun_matches_an_uninterrupted_run(tmp_path: Path) -> None:
    with running_sandbox(N, seed=SEED) as reference:
        run_cli(reference, tmp_path / "ref" / "data")
        expected = state(reference)

    rng = random.Random(20261125)
    with running_sandbox(N, seed=SEED) as sb:
        # Slow the services down so the kills land inside the apply phase.
        sb.copper.control.latency = 0.01
        sb.mailchimp.control.latency = 0.01
        data = tmp_path / "crash" / "data"
        killed = 0
        writes = (
            "POST /people",
            "PUT /people/{id}",
            "POST /lists/{id}",
            "POST /lists/{id}/members/{id}/tags",
        )

        def written() -> int:
            calls = {**sb.copper.control.calls, **sb.mailchimp.control.calls}
            return sum(calls.get(k, 0) for k in writes)

        for _ in range(4):
            # Kill after a random number of further remote writes: inside the apply phase.
            target = written() + rng.randint(1, 25)
            if run_cli(sb, data, kill_when=lambda target=target: written() >= target) == -signal.SIGKILL:
                killed += 1
        sb.copper.control.latency = sb.mailchimp.control.latency = 0.0
        run_cli(sb, data)
        creates = sb.copper.control.calls.get("POST /people", 0)
        got = state(sb)

    assert killed >= 1, "no run was actually interrupted: raise the latency"
    people, members, per_email = got
    exp_people, exp_members, exp_per_email = expected
    assert members == exp_members
    assert people == exp_people
    duplicates = {e: n for e, n in per_email.items() if n > exp_per_email.get(e, 0)}
    assert duplicates == {}
    assert creates > 0
