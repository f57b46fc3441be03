"""How fast a cancel (console ``x``) and SIGTERM (headless) stop a sync (issue #15: within 2 s).

Usage::

    .venv/bin/python bench/cancel.py              # each case 3 times, about 1 min
    .venv/bin/python bench/cancel.py --repeat 5

Four cases, each on a fresh sandbox (120 contacts, 600 for the batch) in production mode:

- **read wait**: Copper's window is full from the first request (the simulator's rate limit set
  to 0), so the client announces a 60 s wait; the run is cancelled when the wait is announced;
- **apply wait**: the same, once the plan is made (the first Copper write waits);
- **slow batch**: no wait, but every Copper request takes 0.4 s; cancelled once the first write
  went out (the few in flight must answer, the rest of the chunk must not start);
- **SIGTERM**: ``crmtui --headless --only sync`` in its own process, signalled when it prints the
  wait line; the time runs until the process has exited.

The baseline, measured in the same run, is what the run would have cost without the cancel: the
announced wait (60 s) for the wait cases, the rest of the chunk of writes (its pending writes x
0.4 s) for the batch. It prints the median and the worst time of each case and their ratio to
the 2 s goal.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from crmtui.config import Settings, load_settings  # noqa: E402
from crmtui.engine.cycle import run_cycle  # noqa: E402
from crmtui.engine.events import Event, RateWaiting, StepProgressed  # noqa: E402
from crmtui.sandbox.harness import Sandbox, running_sandbox  # noqa: E402
from crmtui.store import Store  # noqa: E402

GOAL = 2.0
"""Seconds: the issue's bound for a cancel or a SIGTERM."""


def _production(sb: Sandbox, folder: Path) -> Settings:
    base = load_settings(
        overrides={"SYNC_MODE": "production", "CRMTUI_DATA_DIR": str(folder)}, env_file=None, sandbox=True
    )
    return sb.apply_to(base)


async def _cancel_on_wait(settings: Settings, store: Store, throttle: Any) -> tuple[float, float]:
    """(seconds from cancel to the run's end, the announced wait)."""
    cancel = asyncio.Event()
    waiting = asyncio.Event()
    announced: list[float] = []
    loop = asyncio.get_running_loop()

    def emit(event: Event) -> None:
        throttle(event)
        if isinstance(event, RateWaiting) and event.service == "copper" and not announced:
            announced.append(event.seconds)
            loop.call_soon(waiting.set)

    task = asyncio.create_task(
        run_cycle(settings, store, owner="bench", only=("sync",), emit=emit, cancel=cancel)
    )
    await asyncio.wait_for(waiting.wait(), timeout=120)
    asked = time.monotonic()
    cancel.set()
    await asyncio.wait_for(task, timeout=120)
    return time.monotonic() - asked, announced[0]


def read_wait(folder: Path) -> tuple[float, float]:
    with running_sandbox(120, 42) as sb:
        sb.copper.rate_limit = 0
        store = Store(folder / "crmtui.db")
        try:
            return asyncio.run(_cancel_on_wait(_production(sb, folder), store, lambda e: None))
        finally:
            store.close()


def apply_wait(folder: Path) -> tuple[float, float]:
    with running_sandbox(120, 42) as sb:

        def throttle(event: Event) -> None:
            if isinstance(event, StepProgressed) and event.step == "sync:plan" and event.done == event.total:
                sb.copper.rate_limit = 0

        store = Store(folder / "crmtui.db")
        try:
            return asyncio.run(_cancel_on_wait(_production(sb, folder), store, throttle))
        finally:
            store.close()


def slow_batch(folder: Path) -> tuple[float, float]:
    with running_sandbox(600, 42) as sb:
        store = Store(folder / "crmtui.db")
        settings = _production(sb, folder)
        calls = sb.copper.control.calls

        def writes() -> int:
            return calls.get("POST /people", 0) + calls.get("PUT /people/{id}", 0)

        async def scenario() -> float:
            cancel = asyncio.Event()
            task = asyncio.create_task(
                run_cycle(settings, store, owner="bench", only=("sync",), emit=lambda e: None, cancel=cancel)
            )
            while writes() == 0:
                await asyncio.sleep(0.02)
            asked = time.monotonic()
            cancel.set()
            await asyncio.wait_for(task, timeout=120)
            return time.monotonic() - asked

        sb.copper.control.latency = 0.4
        try:
            elapsed = asyncio.run(scenario())
            pending = store.scalar(
                "SELECT COUNT(*) FROM sync_ops WHERE state = 'pending' "
                "AND action IN ('copper_create', 'copper_update')"
            )
        finally:
            sb.copper.control.latency = 0.0
            store.close()
        return elapsed, int(pending or 0) * 0.4


def sigterm(folder: Path) -> tuple[float, float]:
    with running_sandbox(120, 42) as sb:
        sb.copper.rate_limit = 0
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("COPPER_", "MAILCHIMP_", "ODOO_", "SES_", "SMTP_", "IMAP_", "CRMTUI_"))
        }
        env.update(sb.env())
        env.update(
            CRMTUI_DATA_DIR=str(folder / "data"),
            CRMTUI_DB=str(folder / "crmtui.db"),
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
            cwd=folder,
        )
        waiting = threading.Event()

        def read() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                if "waiting for Copper's limit" in line:
                    waiting.set()

        threading.Thread(target=read, daemon=True).start()
        try:
            if not waiting.wait(timeout=120):
                raise RuntimeError("the headless run never announced its wait")
            asked = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=120)
            return time.monotonic() - asked, 60.0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


CASES = {"read wait": read_wait, "apply wait": apply_wait, "slow batch": slow_batch, "SIGTERM": sigterm}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    logging.disable(logging.CRITICAL)  # the runs' own log lines (retries, the report) are not the output
    load = os.getloadavg()[0]
    print(f"bench/cancel.py: {args.repeat} runs per case; load average {load:.1f}; {os.cpu_count()} cores")
    print("| case | median s | worst s | worst ÷ 2 s goal | baseline s (no cancel) | baseline ÷ median |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, case in CASES.items():
        times, baselines = [], []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory(prefix="crmtui-cancel-") as tmp:
                elapsed, baseline = case(Path(tmp))
            times.append(elapsed)
            baselines.append(baseline)
        median, worst, base = statistics.median(times), max(times), statistics.median(baselines)
        print(
            f"| {name} | {median:.3f} | {worst:.3f} | {worst / GOAL:.2f} | {base:.1f} | "
            f"{base / median if median else float('inf'):,.0f}× |"
        )


if __name__ == "__main__":
    main()
