"""Cost of the shared API budgets: one store round-trip per request, measured.

Usage::

    .venv/bin/python bench/budget.py                 # 2,000 takes, one and two processes
    .venv/bin/python bench/budget.py --calls 5000

Copper allows 3 requests a second (180 a minute), so each request may afford one short
``BEGIN IMMEDIATE`` transaction on the store. This measures it on a fresh store file (WAL,
``synchronous=NORMAL``): the time of :meth:`BudgetsRepo.take_call` (the Copper window) and of an
``acquire_slot`` + ``release_slot`` pair (the Mailchimp connections), alone and with a second
process hammering the same budget (the worst case: every call queues on the write lock).
It prints the median and the 99th percentile in milliseconds, and their share of Copper's
333 ms between two requests.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from crmtui.store import Store  # noqa: E402

# The window never fills: every take records a call, as a real request under the limit does.
LIMIT, WINDOW = 1_000_000_000, 61.0


def _quantiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 3),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 3),
    }


def measure(path: Path, calls: int) -> dict[str, dict[str, float]]:
    store = Store(path)
    takes, slots = [], []
    for _ in range(calls):
        t0 = time.perf_counter()
        store.budgets.take_call("copper:bench", LIMIT, WINDOW)
        takes.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        lease = store.budgets.acquire_slot("mailchimp:bench", 10, 120.0)
        assert lease is not None
        store.budgets.release_slot(lease)
        slots.append(time.perf_counter() - t0)
    store.close()
    return {"take_call": _quantiles(takes), "slot_pair": _quantiles(slots)}


def _hammer(path: str, seconds: float) -> None:
    store = Store(path)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        store.budgets.take_call("copper:bench", LIMIT, WINDOW)
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--hammer", help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.hammer:
        _hammer(args.hammer, args.seconds)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        Store(path).close()
        alone = measure(path, args.calls)
        started = time.monotonic()
        other = subprocess.Popen(
            [sys.executable, __file__, "--hammer", str(path), "--seconds", "600"],
            stdout=subprocess.DEVNULL,
        )
        try:
            time.sleep(0.5)  # let it open the store and start writing
            contended = measure(path, args.calls)
        finally:
            other.kill()
            other.wait()
        elapsed = time.monotonic() - started
    gap_ms = 1000 / 3
    result = {
        "calls": args.calls,
        "alone": alone,
        "with_a_second_process_writing": contended,
        "share_of_copper_gap_p99": round(contended["take_call"]["p99_ms"] / gap_ms, 4),
        "seconds": round(elapsed, 1),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
