"""Deletions screen benchmark: open time and per-key times over a large deletion queue.

Usage::

    .venv/bin/python bench/console.py                       # 500, 5,000 and 50,000 queued (~3 min)
    .venv/bin/python bench/console.py --queued 5000

For each size a fresh store is filled the way a sync fills it (contact snapshots with
``save_contacts``, then ``queue_deletion`` per flagged contact, one transaction each): 100,000
contacts for 50,000 queued, else twice the queue (at least 1,000). Accented names (``Élodie
Lefèvre``…) and the usual deletion tags. Then the real console (``make_app``) is driven with
Textual's Pilot in a headless 120×40 terminal:

- **open**: ``b`` on the home screen until the first window of the queue is on screen;
- **PageDown**: 12 presses from the top (about 400 rows: past the first window's edge, never the list's
  end), each until any window it triggered has landed (median, max);
- **select**: 20 ``space`` presses (median, max);
- **filter key**: ``/`` then ``zoé lef`` typed one key at a time: the time the console is busy with
  the key, and the time until the matches are on screen after the last key (it includes the
  filter's 150 ms debounce);
- **clear**: backspace over the filter, one key at a time (busy time), and the full list back.

``--screens`` times every screen instead (:mod:`bench.console_screens`): open and common keys on
the sandbox store and on a 100,000-contact one, and Customers opened while a cycle runs.

Each time is printed as wall time and as this process's CPU time (all threads): on a shared machine
the CPU time is what the console itself spent. Ratios are against baselines measured in the same
run: the console opening the same screen on an empty queue (what any screen costs), and a key's
CPU time at the smallest size (a key should cost the same whatever the queue size); the screen's
SQL alone (one window and the counts, as its worker runs them) is printed too, and the filter's
(its first window for ``zoé lef`` and for a text matching nothing, CPU time). For scale, it also times reading the whole queue as ``decisions()`` does
(what the screen did twice before it paged from SQL).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from textual.pilot import Pilot  # noqa: E402
from textual.worker import WorkerState  # noqa: E402

from crmtui.app import CrmApp, make_app  # noqa: E402
from crmtui.config import load_settings  # noqa: E402
from crmtui.screens.deletions import DeletionsScreen  # noqa: E402
from crmtui.store import Store  # noqa: E402
from crmtui.widgets.paged_table import WINDOW  # noqa: E402
from crmtui.widgets.sync_decisions import DecisionTable  # noqa: E402

FIRST = (
    "Élodie",
    "Émile",
    "Zoé",
    "Hélène",
    "Jérôme",
    "Anaïs",
    "Loïc",
    "Marie",
    "Paul",
    "Chloé",
    "Noël",
    "Inès",
)
LAST = ("Lefèvre", "Dupont", "Bérard", "Rousseau", "Ménard", "Garçon", "Leroy", "Moreau", "Fabre", "Étienne")
TAGS = ("🗑️ A SUPPRIMER", "A SUPPRIMER", "à supprimer", "🗑 À SUPPRIMER")
NEEDLE = "zoé lef"
ASCII = str.maketrans("éèëêçïôÉ", "eeeecioe")


def build(path: Path, contacts: int, queued: int, seed: int = 7) -> Store:
    """A store with ``contacts`` snapshots, ``queued`` of them in the deletion queue."""
    rng = random.Random(seed)
    store = Store(path)
    people = []
    for i in range(contacts):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        people.append((i, first, last, f"{first[0]}.{last}{i}@exemple.fr".lower().translate(ASCII)))
    store.sync.save_contacts(
        {
            "email": email,
            "copper_id": 1000 + i,
            "first_name": first,
            "last_name": last,
            "copper_state": {
                "id": 1000 + i,
                "name": f"{first} {last}",
                "tags": ["client"],
                "emails": [email],
            },
            "mc_state": {"status": "subscribed", "unique_id": f"u{i}", "merge_fields": {"FNAME": first}},
        }
        for i, first, last, email in people
    )
    with store.write():
        for i, first, last, email in rng.sample(people, queued):
            tag = rng.choice(TAGS)
            store.sync.queue_deletion(
                email,
                copper_id=1000 + i,
                name=f"{first} {last}",
                tag=tag,
                run_id=None,
                copper_state={"id": 1000 + i, "name": f"{first} {last}", "tags": ["client", tag]},
                mc_state={"status": "subscribed", "unique_id": f"u{i}", "merge_fields": {"FNAME": first}},
            )
    return store


def busy(app: CrmApp) -> bool:
    """A load is running, or the filter is waiting for the typing to pause."""
    if getattr(getattr(app.screen, "queue", app.screen), "_filter_timer", None) is not None:
        return True
    return any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in app.workers)


async def until(pilot: Pilot[int], app: CrmApp, done: Callable[[], bool], limit: float = 120.0) -> None:
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        await pilot.pause()
        if not busy(app) and done():
            return
        await asyncio.sleep(0.002)
    raise TimeoutError("the console did not settle")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


class Clock:
    """Wall time and this process's CPU time (all threads) since it was made: on a shared machine the
    CPU time is what the console itself spent, the wall time includes waiting for a core."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def read(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


Times = dict[str, list[tuple[float, float]]]


async def drive(store: Store, folder: Path, queued: int) -> Times:
    """Open Deletions and time the keys; returns (wall, cpu) seconds per measure."""
    settings = load_settings(overrides={"CRMTUI_DATA_DIR": str(folder)}, env_file=None, sandbox=True)
    app = make_app(settings, store)
    out: Times = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        clock = Clock()
        await pilot.press("b")

        def opened() -> bool:
            screen = app.screen
            if not isinstance(screen, DeletionsScreen):
                return False
            return screen.query_one(DecisionTable).row_count == min(queued, WINDOW)

        await until(pilot, app, opened)
        out["open"] = [clock.read()]
        if not queued:
            return out
        screen = app.screen
        assert isinstance(screen, DeletionsScreen)
        table = screen.query_one(DecisionTable)

        async def timed(key: str) -> tuple[float, float]:
            clock = Clock()
            await pilot.press(key)
            await until(pilot, app, lambda: True)
            return clock.read()

        # 12 pages of 33 rows: past the first window's edge at every size, never past the end of the list.
        out["pagedown"] = [await timed("pagedown") for _ in range(12)]
        out["select"] = [await timed("space") for _ in range(20)]
        await pilot.press("slash")
        keys = []
        for char in NEEDLE:
            clock = Clock()
            await pilot.press("space" if char == " " else char)
            keys.append(clock.read())
        await until(pilot, app, lambda: screen.needle == NEEDLE and table.row_count > 0)
        out["filter_key"], out["filter_result"] = keys, [clock.read()]
        keys = []
        for _ in NEEDLE:
            clock = Clock()
            await pilot.press("backspace")
            keys.append(clock.read())
        await until(pilot, app, lambda: not screen.needle and table.row_count == min(queued, WINDOW))
        out["clear_key"], out["clear_result"] = keys, [clock.read()]
    return out


def sql_alone(store: Store) -> float:
    """The screen's reads for one window, as its worker runs them (best of 5)."""
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        store.review.deletion_page(limit=WINDOW)
        store.review.deletion_counts()
        store.review.to_apply(8)
        best = min(best, time.perf_counter() - t)
    return best


def filter_alone(store: Store) -> tuple[float, float]:
    """The filter's first window as its worker reads it, CPU time (best of 5): ``NEEDLE``, and a
    filter matching nothing (what a lookup costs, whatever the queue size)."""
    best = [float("inf"), float("inf")]
    for _ in range(5):
        for i, needle in enumerate((NEEDLE, "qqq")):
            t = time.process_time()
            store.review.deletion_page(needle, limit=WINDOW)
            best[i] = min(best[i], time.process_time() - t)
    return best[0], best[1]


COLUMNS = (
    ("open", "open", max),
    ("PgDn med", "pagedown", statistics.median),
    ("PgDn max", "pagedown", max),
    ("select", "select", statistics.median),
    ("key med", "filter_key", statistics.median),
    ("key max", "filter_key", max),
    ("matches", "filter_result", max),
    ("clr max", "clear_key", max),
    ("full list", "clear_result", max),
)


def row(label: str, times: Times, which: int) -> str:
    return f"{label:>18}" + "".join(
        f" {ms(pick([t[which] for t in times[name]])):>9}" for _, name, pick in COLUMNS
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--queued", type=int, action="append", help="queue size (repeatable)")
    parser.add_argument(
        "--screens",
        choices=("sandbox", "100k", "all", "none"),
        help="every screen's open and key times (bench/console_screens.py) on the sandbox store, the "
        "100,000-contact one, or both; default: both, then the Deletions sizes unless --queued is given alone",
    )
    args = parser.parse_args(argv)
    screens = args.screens or ("none" if args.queued else "all")
    if screens != "none":
        from bench.console_screens import run

        print(
            f"bench/console.py --screens {screens} — every screen, Pilot 120×40; "
            f"{date.today().isoformat()}, {platform.python_implementation()} {platform.python_version()}, "
            f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start\n"
        )
        run(["sandbox", "100k"] if screens == "all" else [screens])
        if args.screens:
            return
    sizes = args.queued or [500, 5000, 50000]
    print(f"bench/console.py — Deletions screen, Pilot 120×40, window {WINDOW} rows")
    print(
        f"{date.today().isoformat()}, {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start"
    )
    with tempfile.TemporaryDirectory() as tmp:
        empty = Store(Path(tmp) / "empty.db")
        base = asyncio.run(drive(empty, Path(tmp) / "e", 0))["open"][0]
        print(f"baseline: opening Deletions on an empty queue {ms(base[0])} wall, {ms(base[1])} CPU\n")
        print(f"{'':>18}" + "".join(f" {label:>9}" for label, _, _ in COLUMNS))
        results: list[tuple[int, Times]] = []
        for queued in sizes:
            contacts = 100_000 if queued >= 50_000 else max(2 * queued, 1000)
            folder = Path(tmp) / f"q{queued}"
            t = time.perf_counter()
            store = build(folder / "crm.db", contacts, queued)
            built = time.perf_counter() - t
            sql = sql_alone(store)
            found, nothing = filter_alone(store)
            times = asyncio.run(drive(store, folder, queued))
            t = time.perf_counter()
            store.sync.decisions(("pending", "decided", "failed", "applied"))
            old = time.perf_counter() - t
            store.close()
            results.append((queued, times))
            print(f"{queued:,} queued, {contacts:,} contacts (built in {built:.0f} s)")
            print(row("wall", times, 0))
            print(row("CPU", times, 1))
            opened = times["open"][0]
            print(
                f"{'':>18} open ÷ empty-queue open: {opened[0] / base[0]:.2f} wall, {opened[1] / base[1]:.2f} CPU;"
                f" the screen's SQL alone {ms(sql)}; reading the whole queue as decisions() {old:.2f} s"
            )
            print(
                f"{'':>18} the filter's first window alone (CPU): {NEEDLE!r} {found * 1000:.1f} ms, no match {nothing * 1000:.1f} ms"
            )
        if len(results) > 1:
            first_q, first = results[0]
            print(
                f"\nPageDown median CPU ÷ the {first_q:,}-row run's (the cost of a key whatever the queue size):"
            )
            for queued, times in results[1:]:
                ratio = statistics.median(t[1] for t in times["pagedown"]) / statistics.median(
                    t[1] for t in first["pagedown"]
                )
                print(f"  {queued:,}: {ratio:.2f}")
    print(
        "\nkey: the console busy with one filter key; matches: from the last key until the matches are shown"
        "\n(150 ms debounce included); clr: one backspace; full list: back after the last backspace."
    )


if __name__ == "__main__":
    main()
