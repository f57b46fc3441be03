"""``kill -9`` of ``crmtui erase`` at chosen points, then a rerun: the erasure is finished exactly once.

The CLI runs in a subprocess against the loopback simulators (their servers are threads of this
process). Each kill point is made deterministic by a condition, never by a sleep:

- ``outbox``: the outbox row and the suppression are written, Mailchimp's first request is held
  by the simulator before it is handled (nothing remote done yet);
- ``mailchimp_answer``: Mailchimp handled ``delete-permanent`` but its answer is held (the member is
  gone, the run never heard of it);
- ``after_mailchimp``: Mailchimp's answer is recorded, Copper's first request is held;
- ``copper_answer``: Copper handled ``DELETE /people/{id}`` but its answer is held;
- ``compaction``: everything is done and audited, the run waits for a reader this test holds open
  before the WAL checkpoint and ``VACUUM`` (the raw bytes still hold the removed rows).

After the kill the rerun (with the address, or with none: it resumes every unfinished erasure) must
leave exactly one ``delete-permanent`` at Mailchimp and one ``DELETE`` at Copper in the simulators'
call logs, the store and its files without a trace of the person, and one audit entry.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from crmtui.records.emails import email_key
from crmtui.sandbox.control import Fault
from crmtui.sandbox.harness import Sandbox, running_sandbox
from tests.integration.test_erase_e2e import EMAIL, copper_holders, crmtui, environment, occurrences, plant

MC_DELETE = "POST /lists/{id}/members/{id}/actions/delete-permanent"
CP_DELETE = "DELETE /people/{id}"
DEADLINE = 120.0


def _ops(db: Path) -> list[dict[str, Any]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM erasure_ops ORDER BY id")]
    finally:
        conn.close()


def _scalar(db: Path, sql: str) -> Any:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def _wait(proc: subprocess.Popen[bytes], cond: Callable[[], bool], what: str, log: Path) -> None:
    """Until ``cond()`` (polled) or the deadline; the run must still be alive when it holds."""
    deadline = time.monotonic() + DEADLINE
    while not cond():
        if proc.poll() is not None:
            pytest.fail(f"erase exited ({proc.returncode}) before {what}:\n{log.read_text()}")
        if time.monotonic() > deadline:
            pytest.fail(f"erase never reached {what}:\n{log.read_text()}")
        time.sleep(0.05)
    assert proc.poll() is None, f"erase exited before {what}"


@contextmanager
def _reader(db: Path) -> Iterator[None]:
    """A read transaction held open: a WAL checkpoint waits for it to end."""
    conn = sqlite3.connect(db, timeout=30)
    conn.isolation_level = None
    conn.execute("BEGIN")
    conn.execute("SELECT count(*) FROM erasure_ops").fetchone()
    try:
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()


def _member_path(sb: Sandbox) -> str:
    import hashlib

    digest = hashlib.md5(email_key(EMAIL).encode()).hexdigest()  # noqa: S324 - Mailchimp's own key
    return f"/lists/{sb.mailchimp.list_id}/members/{digest}"


def _run_and_kill(
    point: str, sb: Sandbox, env: dict[str, str], tmp: Path, db: Path, args: tuple[str, ...]
) -> None:
    """Start ``crmtui ARGS``, wait until it reaches ``point``, SIGKILL it."""
    mc, cp = sb.mailchimp.control, sb.copper.control
    if point == "outbox":
        mc.add_fault(Fault("hold", path_prefix=_member_path(sb), method="GET", seconds=DEADLINE))
    elif point == "mailchimp_answer":
        mc.add_fault(
            Fault(
                "hold",
                path_prefix=_member_path(sb) + "/actions/delete-permanent",
                after=True,
                seconds=DEADLINE,
            )
        )
    elif point == "after_mailchimp":
        cp.add_fault(Fault("hold", path_prefix="/people", seconds=DEADLINE))
    elif point == "copper_answer":
        cp.add_fault(Fault("hold", path_prefix="/people/", method="DELETE", after=True, seconds=DEADLINE))
    control = cp if point in ("after_mailchimp", "copper_answer") else mc
    held = control.held
    log = tmp / f"killed-{point}.log"
    cmd = [sys.executable, "-m", "crmtui", "--no-sandbox", "--env-file", str(tmp / ".env"), *args]
    with log.open("wb") as out, _maybe_reader(point == "compaction", db):
        proc = subprocess.Popen(cmd, env=env, cwd=tmp, stdout=out, stderr=subprocess.STDOUT)
        try:
            if point == "compaction":
                _wait(proc, lambda: any(o["state"] == "done" for o in _ops(db)), "the audit entry", log)
            else:
                _wait(proc, lambda: control.held > held, f"the held request ({point})", log)
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, log.read_text()


def _kill_at(point: str, sb: Sandbox, env: dict[str, str], tmp: Path, db: Path) -> None:
    """Start ``crmtui erase --yes EMAIL``, wait for ``point``, SIGKILL it, check what it left."""
    mc, cp = sb.mailchimp.control, sb.copper.control
    _run_and_kill(point, sb, env, tmp, db, ("erase", "--yes", EMAIL))
    ops = _ops(db)

    # What the killed run left: one erasure in the outbox, the person already suppressed.
    assert len(ops) == 1, ops
    op = ops[0]
    assert _scalar(db, "SELECT count(*) FROM suppressed_hashes WHERE reason = 'erased'") >= 1
    expected = {
        "outbox": ("running", "pending", "pending"),
        "mailchimp_answer": ("running", "pending", "pending"),
        "after_mailchimp": ("running", "deleted", "pending"),
        "copper_answer": ("running", "deleted", "pending"),
        "compaction": ("done", "deleted", "deleted"),
    }[point]
    assert (op["state"], op["mailchimp"], op["copper"]) == expected, op
    if point == "compaction":
        assert op["vacuumed"] == 0 and op["email"] is None
    deleted_before = {"outbox": 0, "after_mailchimp": 1}.get(point, 1)
    assert mc.calls.get(MC_DELETE, 0) == deleted_before
    assert cp.calls.get(CP_DELETE, 0) == (1 if point in ("copper_answer", "compaction") else 0)


def _finished_once(sb: Sandbox, db: Path, tmp_path: Path) -> None:
    """One delete at each system in the simulators' call logs, the outbox done and wiped, one audit
    entry, no trace of the person in the store's raw bytes, logs or reports."""
    mc, cp = sb.mailchimp.control, sb.copper.control
    assert mc.calls.get(MC_DELETE, 0) == 1, dict(mc.calls)
    assert cp.calls.get(CP_DELETE, 0) == 1, dict(cp.calls)
    assert email_key(EMAIL) in sb.mailchimp.forgotten
    assert not copper_holders(sb, EMAIL)

    ops = _ops(db)
    assert len(ops) == 1
    op = ops[0]
    assert (op["state"], op["mailchimp"], op["copper"], op["store"], op["files"], op["vacuumed"]) == (
        "done",
        "deleted",
        "deleted",
        "done",
        "done",
        1,
    ), op
    assert op["email"] is None and op["identity"] is None
    assert _scalar(db, "SELECT count(*) FROM audit_log WHERE action = 'erase.done'") == 1

    data = tmp_path / "data"
    files = [p for p in (db, Path(str(db) + "-wal")) if p.exists()]
    files += [p for p in data.rglob("*") if p.is_file() and not p.name.startswith("crmtui.db")]
    assert occurrences(files) == {}


@contextmanager
def _maybe_reader(hold: bool, db: Path) -> Iterator[None]:
    if not hold:
        yield
        return
    with _reader(db):
        yield


@pytest.mark.parametrize(
    "point", ["outbox", "mailchimp_answer", "after_mailchimp", "copper_answer", "compaction"]
)
def test_kill_9_then_rerun_finishes_the_erasure_exactly_once(tmp_path: Path, point: str) -> None:
    exports = tmp_path / "exports"
    with running_sandbox(20, seed=5, exports_dir=exports) as sb:
        try:
            plant(sb, exports)
            env = environment(sb, tmp_path)
            first = crmtui(env, tmp_path, "--headless", "--full")
            assert first.returncode in (0, 1), first.stdout + first.stderr
            db = tmp_path / "data" / "crmtui.db"
            assert occurrences([db]), "the store should name them before the erasure"
            assert len(copper_holders(sb, EMAIL)) == 1
            sb.mailchimp.control.reset_calls()
            sb.copper.control.reset_calls()

            _kill_at(point, sb, env, tmp_path, db)

            # The rerun: with the address, or with none (every unfinished erasure is resumed).
            args = ("erase", "--yes") if point in ("outbox", "after_mailchimp") else ("erase", "--yes", EMAIL)
            rerun = crmtui(env, tmp_path, *args)
            assert rerun.returncode == 0, rerun.stdout + rerun.stderr

            _finished_once(sb, db, tmp_path)

            # Once more: already erased, nothing asked of either system.
            again = crmtui(env, tmp_path, "erase", "--yes", EMAIL)
            assert again.returncode == 0 and "already erased" in again.stdout, again.stdout
            assert sb.mailchimp.control.calls.get(MC_DELETE, 0) == 1
            assert sb.copper.control.calls.get(CP_DELETE, 0) == 1
        finally:
            sb.mailchimp.control.release()
            sb.copper.control.release()


def test_kill_9_three_times_in_a_row_then_rerun_finishes_it_once(tmp_path: Path) -> None:
    """Killed after Mailchimp deleted (answer lost), the rerun killed after Copper deleted (answer
    lost), that rerun killed before the compaction: the fourth run finishes it, each system asked once."""
    exports = tmp_path / "exports"
    with running_sandbox(20, seed=6, exports_dir=exports) as sb:
        try:
            plant(sb, exports)
            env = environment(sb, tmp_path)
            first = crmtui(env, tmp_path, "--headless", "--full")
            assert first.returncode in (0, 1), first.stdout + first.stderr
            db = tmp_path / "data" / "crmtui.db"
            sb.mailchimp.control.reset_calls()
            sb.copper.control.reset_calls()
            _run_and_kill("mailchimp_answer", sb, env, tmp_path, db, ("erase", "--yes", EMAIL))
            _run_and_kill("copper_answer", sb, env, tmp_path, db, ("erase", "--yes"))
            assert [(o["mailchimp"], o["copper"]) for o in _ops(db)] == [("deleted", "pending")]
            _run_and_kill("compaction", sb, env, tmp_path, db, ("erase", "--yes"))
            assert [(o["state"], o["vacuumed"]) for o in _ops(db)] == [("done", 0)]
            rerun = crmtui(env, tmp_path, "erase", "--yes")
            assert rerun.returncode == 0, rerun.stdout + rerun.stderr
            _finished_once(sb, db, tmp_path)
        finally:
            sb.mailchimp.control.release()
            sb.copper.control.release()
