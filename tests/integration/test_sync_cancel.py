"""A rate-limit wait is announced, and cancel (console ``x``) or SIGTERM (headless) ends it at once.

The Copper simulator is given a tiny rate window (none left), so the next Copper request gets a
429 and the client waits for the window (60 s). The run is cancelled during that wait; it must
stop within 2 s (asserted with a generous 5 s for a loaded machine; the measured time is logged),
with the outbox consistent: every op row either pending (never sent) or final, and every Copper
create recorded as sent is a person in the simulator, once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crmtui.config import Settings, load_settings
from crmtui.engine.cycle import run_cycle
from crmtui.engine.events import Event, RateWaiting, StepProgressed
from crmtui.sandbox.harness import Sandbox, running_sandbox
from crmtui.store import Store

log = logging.getLogger(__name__)

CONTACTS = 120
FINAL = {"sent", "failed", "forgotten", "superseded", "unknown"}


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with running_sandbox(CONTACTS, 42) as sandbox:
        yield sandbox


@pytest.fixture
def prod(sb: Sandbox) -> Settings:
    return sb.apply_to(load_settings(overrides={"SYNC_MODE": "production"}, env_file=None, sandbox=True))


def _outbox(store: Store, run_id: int) -> list[dict[str, Any]]:
    return store.query("SELECT state, action, result, error FROM sync_ops WHERE run_id = ?", (run_id,))


async def _cancel_during_wait(
    settings: Settings, store: Store, throttle: Any
) -> tuple[float, list[Event], int]:
    """Run a sync; ``throttle(event)`` closes Copper's window; cancel on the first announced wait."""
    cancel = asyncio.Event()
    events: list[Event] = []
    waiting = asyncio.Event()
    loop = asyncio.get_running_loop()

    def emit(event: Event) -> None:
        events.append(event)
        throttle(event)
        if isinstance(event, RateWaiting) and event.service == "copper":
            loop.call_soon(waiting.set)

    task = asyncio.create_task(
        run_cycle(settings, store, owner="test", only=("sync",), emit=emit, cancel=cancel)
    )
    await asyncio.wait_for(waiting.wait(), timeout=120)
    asked = time.monotonic()
    cancel.set()
    outcome = await asyncio.wait_for(task, timeout=60)
    elapsed = time.monotonic() - asked
    return elapsed, events, outcome.run_id


def test_cancel_interrupts_a_wait_during_the_read(sb: Sandbox, prod: Settings, store: Store) -> None:
    sb.copper.rate_limit = 0  # Copper's window is full from the first request: a 60 s wait

    elapsed, events, run_id = asyncio.run(_cancel_during_wait(prod, store, lambda e: None))
    log.warning("cancel during a read wait took %.3f s", elapsed)
    assert elapsed < 5.0, f"cancel took {elapsed:.1f} s"
    waits = [e for e in events if isinstance(e, RateWaiting)]
    assert waits and waits[0].seconds >= 30
    assert "waiting for Copper's limit (180/min): resuming in" in waits[0].message
    run = store.runs.get(run_id)
    assert run is not None and run.status == "interrupted"
    assert _outbox(store, run_id) == []  # nothing planned, nothing written
    reads = [e for e in events if isinstance(e, StepProgressed) and e.step == "sync:read_copper"]
    assert all(e.total is None for e in reads)  # never a full bar for a read that did not finish


def test_cancel_interrupts_a_wait_during_the_apply(sb: Sandbox, prod: Settings, store: Store) -> None:
    people_before = len(sb.copper.people)

    def throttle(event: Event) -> None:
        # Once the plan is made, Copper's window closes: the first Copper write waits 60 s.
        if isinstance(event, StepProgressed) and event.step == "sync:plan" and event.done == event.total:
            sb.copper.rate_limit = 0

    elapsed, events, run_id = asyncio.run(_cancel_during_wait(prod, store, throttle))
    log.warning("cancel during an apply wait took %.3f s", elapsed)
    assert elapsed < 5.0, f"cancel took {elapsed:.1f} s"
    run = store.runs.get(run_id)
    assert run is not None and run.status == "interrupted"
    ops = _outbox(store, run_id)
    assert ops, "the apply phase had operations"
    for op in ops:
        assert op["state"] in FINAL | {"pending"}, op
        if op["state"] == "pending":
            assert op["result"] is None  # never sent: nothing half-written
    created = [op for op in ops if op["action"] == "copper_create" and op["state"] == "sent"]
    assert len(sb.copper.people) == people_before + len(created)
    assert any(op["state"] == "pending" for op in ops)  # the ones the wait held back
    applied = [e for e in events if isinstance(e, StepProgressed) and e.step == "sync:apply"]
    assert applied and applied[-1].total is not None and applied[-1].done < applied[-1].total


def test_sigterm_ends_a_headless_wait(sb: Sandbox, tmp_path: Path) -> None:
    sb.copper.rate_limit = 0
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("COPPER_", "MAILCHIMP_", "ODOO_", "SES_", "SMTP_", "IMAP_", "CRMTUI_"))
    }
    env.update(sb.env())
    env.update(
        CRMTUI_DATA_DIR=str(tmp_path / "data"),
        CRMTUI_DB=str(tmp_path / "crmtui.db"),
        CRMTUI_LANG="en",
        SYNC_MODE="production",
        PYTHONUNBUFFERED="1",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "crmtui", "--headless", "--no-sandbox", "--only", "sync"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
    )
    lines: list[str] = []
    waiting = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "waiting for Copper's limit" in line:
                waiting.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert waiting.wait(timeout=120), "".join(lines)
        asked = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
        elapsed = time.monotonic() - asked
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(timeout=10)
    log.warning("SIGTERM during a headless wait: exited after %.3f s", elapsed)
    output = "".join(lines)
    assert elapsed < 5.0, f"SIGTERM took {elapsed:.1f} s\n{output}"
    assert code == 1, output  # interrupted
    assert "Traceback" not in output
    assert "resuming in" in output


def _copper_writes(sb: Sandbox) -> int:
    calls = sb.copper.control.calls
    return calls.get("POST /people", 0) + calls.get("PUT /people/{id}", 0)


@pytest.fixture
def big() -> Iterator[Sandbox]:
    with running_sandbox(600, 42) as sandbox:
        yield sandbox


def test_cancel_interrupts_a_batch_of_slow_writes(big: Sandbox, store: Store) -> None:
    """No wait at all, but every Copper request takes 0.4 s: a cancel in the middle of the writes
    stops the run once the few in flight answered (not after the whole chunk of 200)."""
    sb = big
    prod = sb.apply_to(load_settings(overrides={"SYNC_MODE": "production"}, env_file=None, sandbox=True))
    people_before = len(sb.copper.people)

    async def scenario() -> tuple[float, int]:
        cancel = asyncio.Event()
        task = asyncio.create_task(
            run_cycle(prod, store, owner="test", only=("sync",), emit=lambda e: None, cancel=cancel)
        )
        deadline = time.monotonic() + 120
        while _copper_writes(sb) == 0:  # the first Copper write went out: the batch is under way
            assert time.monotonic() < deadline and not task.done()
            await asyncio.sleep(0.02)
        asked = time.monotonic()
        cancel.set()
        outcome = await asyncio.wait_for(task, timeout=60)
        return time.monotonic() - asked, outcome.run_id

    sb.copper.control.latency = 0.4
    elapsed, run_id = asyncio.run(scenario())
    sb.copper.control.latency = 0.0
    log.warning("cancel during a batch of slow Copper writes took %.3f s", elapsed)
    assert elapsed < 5.0, f"cancel took {elapsed:.1f} s"
    ops = _outbox(store, run_id)
    singles = [op for op in ops if op["action"] in ("copper_create", "copper_update")]
    assert any(op["state"] == "pending" for op in singles)  # not started: never sent
    for op in ops:
        assert op["state"] in FINAL | {"pending"}, op
        if op["state"] == "pending":
            assert op["result"] is None
    created = [op for op in ops if op["action"] == "copper_create" and op["state"] == "sent"]
    assert len(sb.copper.people) == people_before + len(created)
