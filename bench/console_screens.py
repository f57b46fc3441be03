"""Every screen of the console: time to open it and per-key times there (``bench/console.py --screens``).

Two stores:

- **sandbox**: the sandbox the console starts (``crmtui --sandbox``: 500 contacts, the iSaVigne exports,
  Odoo's sample, the demo scenario) after one cycle run the way ``r`` runs it;
- **100k**: 100,000 contact snapshots with 50,000 in the deletion queue (``bench/console.py``'s
  ``build``), plus 100,000 ETL customers with their sales and RFM segments (``bench/reco.py``'s
  ``synthetic``, 2,000 products).

On each, the real console (``make_app``) is driven with Pilot in a headless 120×40 terminal. For every
mode in ``CrmApp.MODES`` (and Help, F1) from the dashboard: **paint**, the key until the screen is the
current one (its placeholder is shown), and **open**, until its loading workers are done; then, there,
the common keys each until the console has settled: cursor down (median of 5), PageDown (median of 3),
and where the screen has a ``/`` search, ``/``, then two letters typed one at a time (max) and Escape.
A second visit is timed too (the screen is kept by its mode). Then, on a fresh console, ``r`` starts a
cycle, held in its Copper read by the simulator's ``hold`` fault (so it is really running), and ``k``
opens Customers (first visit), then one search key; the hold is released at the end.

Times are wall and this process's CPU time (all threads: during the cycle it includes the cycle's
own work). Ratios are against a baseline measured in the same run: pushing an empty screen (one
``Static``), which is what any screen costs to show at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import WorkerState

from crmtui.app import CrmApp, make_app
from crmtui.config import Settings, load_settings
from crmtui.screens.help import HelpScreen
from crmtui.store import Store

BACKGROUND = {"cycle", "background", "app:erasures"}
"""Worker groups that are not a screen's loading (the cycle may run while we time a screen)."""
Timed = tuple[float, float]


class Clock:
    """Wall time and this process's CPU time (all threads) since it was made."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def read(self) -> Timed:
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


class Blank(Screen[None]):
    """The baseline: a screen with one static line."""

    def compose(self) -> ComposeResult:
        yield Static("baseline")


def loading(app: CrmApp) -> bool:
    """A screen's worker is still reading (the cycle and background passes excluded)."""
    return any(
        w.state in (WorkerState.PENDING, WorkerState.RUNNING) and w.group not in BACKGROUND
        for w in app.workers
    )


async def until(pilot: Pilot[int], done: Callable[[], bool], limit: float = 120.0) -> None:
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        await pilot.pause()
        if done():
            return
        await asyncio.sleep(0.002)
    raise TimeoutError("the console did not settle")


def mode_keys() -> dict[str, str]:
    """The key that opens each mode (from the app's bindings)."""
    out = {}
    for b in CrmApp.BINDINGS:
        assert isinstance(b, Binding)
        if b.action.startswith("show_"):
            out[b.action.removeprefix("show_")] = b.key
    return out


def has_search(screen: Screen[object]) -> bool:
    return any(isinstance(b, Binding) and b.key == "slash" for b in type(screen).BINDINGS)


Figures = dict[str, dict[str, list[Timed]]]


def prepared(app: CrmApp) -> bool:
    """Every mode's screen is built (``CrmApp._prepare_next_screen``) and nothing is loading."""
    return app.screens_prepared() and not loading(app)


async def walk(settings: Settings, store: Store, *, prepare: bool = True) -> tuple[Timed, Timed, Figures]:
    """The baseline, then every screen: paint, open, keys, second visit.

    ``prepare``: the operator leaves the dashboard alone until the console has built every mode's
    screen ahead (what it does after 1.5 s without a key), the time that took is ``figures["prepared"]``;
    otherwise (``prepare=False``, the console's screen building off) each first visit builds its screen
    on the key, as a key pressed in the console's first second does.
    """
    app = CrmApp(settings, store, prepare_screens=prepare)
    figures: Figures = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: not loading(app))
        if prepare:
            clock = Clock()
            await until(pilot, lambda: prepared(app))
            figures["prepared"] = {"ready": [clock.read()]}
        # Baseline: an empty screen (best of 3).
        runs = []
        for _ in range(3):
            clock = Clock()
            app.push_screen(Blank())
            await until(pilot, lambda: isinstance(app.screen, Blank))
            runs.append(clock.read())
            app.pop_screen()
            await until(pilot, lambda: not isinstance(app.screen, Blank) and not loading(app))
        baseline = min(runs)
        # A key that does nothing, on the empty screen: what any key costs through Pilot (median of 5).
        app.push_screen(Blank())
        await until(pilot, lambda: isinstance(app.screen, Blank))
        idle = sorted([await timed_key(pilot, app, "down") for _ in range(5)])[2]
        app.pop_screen()
        await until(pilot, lambda: not isinstance(app.screen, Blank) and not loading(app))
        keys = mode_keys()
        names = [m for m in CrmApp.MODES if m != "dashboard"] + ["dashboard", "help"]
        for visit in ("first", "again"):
            for name in names:
                if name == "dashboard" and visit == "first":
                    continue  # the dashboard's first visit is the app's start
                out = figures.setdefault(name, {})
                key = "f1" if name == "help" else keys[name]
                if name == "dashboard":  # from another screen
                    app.switch_mode("runs")
                    await until(pilot, lambda: app.current_mode == "runs" and not loading(app))
                clock = Clock()
                await pilot.press(key)

                def current(name: str = name) -> bool:
                    if name == "help":
                        return isinstance(app.screen, HelpScreen)
                    return app.current_mode == name

                await until(pilot, current)
                out.setdefault(f"paint {visit}", []).append(clock.read())
                await until(pilot, lambda: not loading(app))
                out.setdefault(f"open {visit}", []).append(clock.read())
                if visit == "first":
                    await keys_on(pilot, app, out)
                if name == "help":
                    await pilot.press("escape")
                    await until(pilot, lambda: not isinstance(app.screen, HelpScreen))
                elif name != "dashboard":
                    app.switch_mode("dashboard")
                await until(pilot, lambda: app.current_mode == "dashboard" and not loading(app))
    return baseline, idle, figures


async def timed_key(pilot: Pilot[int], app: CrmApp, key: str) -> Timed:
    clock = Clock()
    await pilot.press(key)
    await until(pilot, lambda: not loading(app))
    return clock.read()


async def keys_on(pilot: Pilot[int], app: CrmApp, out: dict[str, list[Timed]]) -> None:
    out["down"] = [await timed_key(pilot, app, "down") for _ in range(5)]
    out["pagedown"] = [await timed_key(pilot, app, "pagedown") for _ in range(3)]
    if has_search(app.screen):
        out["/"] = [await timed_key(pilot, app, "slash")]
        out["type"] = [await timed_key(pilot, app, c) for c in "ma"]
        out["escape"] = [await timed_key(pilot, app, "escape")]


async def during_cycle(settings: Settings, store: Store, control: Any) -> dict[str, Timed]:
    """``r`` then ``k``: Customers' first visit while a cycle runs, then one search key.

    The cycle is held in its Copper read (the simulator's ``hold`` fault, released at the end), so
    Customers is timed while the cycle is really running, whatever the machine's speed.
    """
    from crmtui.sandbox.control import Fault

    app = make_app(settings, store)
    out: dict[str, Timed] = {}
    held = control.held
    control.add_fault(Fault("hold", seconds=300), times=1)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await until(pilot, lambda: not loading(app))
            await pilot.press("r")
            await until(pilot, lambda: control.held > held)
            clock = Clock()
            await pilot.press("k")
            await until(pilot, lambda: app.current_mode == "customers")
            out["paint"] = clock.read()
            table = app.screen.query_one("#customer-table")
            await until(pilot, lambda: not loading(app) and getattr(table, "row_count", 0) > 0)
            out["open"] = clock.read()
            await pilot.press("slash")
            clock = Clock()
            await pilot.press("a")
            await until(pilot, lambda: not loading(app))
            out["search key"] = clock.read()
            running = any(w.group == "cycle" and not w.is_finished for w in app.workers)
            out["cycle still running"] = (float(running and control.holding > 0), 0.0)
            control.release()
            await until(pilot, lambda: all(w.is_finished for w in app.workers if w.group == "cycle"), 600)
    finally:
        control.release()
    return out


@contextlib.contextmanager
def sandbox_store(folder: Path) -> Iterator[tuple[Settings, Store, Any]]:
    """The console's sandbox (the CLI's seed and size) after one cycle."""
    from crmtui.cli.entry import SANDBOX_CONTACTS, SANDBOX_SEED
    from crmtui.engine.cycle import run_cycle
    from crmtui.sandbox.demo import seed_scenario
    from crmtui.sandbox.harness import running_sandbox

    base = load_settings(overrides={"CRMTUI_DATA_DIR": str(folder)}, env_file=None, sandbox=True)
    with running_sandbox(SANDBOX_CONTACTS, SANDBOX_SEED, exports_dir=folder / "sandbox-exports") as sandbox:
        settings = sandbox.apply_to(base)
        store = Store(settings.store_path)
        seed_scenario(store)
        asyncio.run(run_cycle(settings, store, owner="bench"))
        try:
            yield settings, store, sandbox.copper.control
        finally:
            store.close()


def large_store(folder: Path) -> tuple[Settings, Store]:
    """100,000 contacts (50,000 queued for deletion) and 100,000 ETL customers with sales."""
    from bench.console import build  # noqa: PLC0415 - bench/console.py imports this module
    from bench.reco import synthetic

    store = build(folder / "crm.db", 100_000, 50_000)
    synthetic(store, 100_000, 2_000, seed=7)
    settings = load_settings(overrides={"CRMTUI_DATA_DIR": str(folder)}, env_file=None, sandbox=True)
    return settings, store


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


COLUMNS = (
    ("paint", "paint first", max),
    ("open", "open first", max),
    ("again", "open again", max),
    ("down", "down", statistics.median),
    ("PgDn", "pagedown", statistics.median),
    ("/", "/", max),
    ("type", "type", max),
    ("Esc", "escape", max),
)


def report(label: str, baseline: Timed, idle: Timed, figures: Figures) -> list[str]:
    lines = [
        f"{label}: baselines: an empty screen opens in {ms(baseline[0])} ms wall, {ms(baseline[1])} ms CPU;"
        f" a key that does nothing there {ms(idle[0])} ms wall, {ms(idle[1])} ms CPU",
        "ms, wall / CPU".ljust(14)
        + "".join(f"{c:>12}" for c, _, _ in COLUMNS)
        + "   open÷baseline (wall, CPU)",
    ]
    worst_key = 0.0
    worst_open = 0.0
    for name, out in figures.items():
        if name == "prepared":
            wall, cpu = out["ready"][0]
            lines.insert(
                1, f"every screen built ahead {ms(wall)} ms after the dashboard settled ({ms(cpu)} ms CPU)"
            )
            continue
        cells = []
        for _, measure, pick in COLUMNS:
            if measure not in out:
                cells.append("")
                continue
            wall = pick(t[0] for t in out[measure])
            cpu = pick(t[1] for t in out[measure])
            if measure.startswith("open"):
                worst_open = max(worst_open, wall)
            elif not measure.startswith("paint"):
                worst_key = max(worst_key, wall)
            cells.append(f"{ms(wall)}/{ms(cpu)}")
        opened = out.get("open first") or out["open again"]
        ratio = f"{opened[0][0] / baseline[0]:.1f}, {opened[0][1] / max(baseline[1], 1e-6):.1f}"
        lines.append(name.ljust(14) + "".join(f"{c:>12}" for c in cells) + f"   {ratio}")
    lines.append(
        f"worst key {ms(worst_key)} ms wall ({worst_key / idle[0]:.1f}× the idle key);"
        f" worst open {ms(worst_open)} ms wall ({worst_open / baseline[0]:.1f}× the empty screen)"
    )
    return lines


def run(which: list[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="crmtui-bench-screens-") as tmp:
        if "sandbox" in which:
            t = time.perf_counter()
            with sandbox_store(Path(tmp) / "sandbox") as (settings, store, control):
                built = time.perf_counter() - t
                for prepare in (False, True):
                    baseline, idle, figures = asyncio.run(walk(settings, store, prepare=prepare))
                    label = f"sandbox store (one cycle, built in {built:.0f} s), " + (
                        "screens built ahead while idle"
                        if prepare
                        else "first visits cold (nothing built ahead)"
                    )
                    print("\n".join(report(label, baseline, idle, figures)), flush=True)
                cycle = asyncio.run(during_cycle(settings, store, control))
            print(
                "Customers while a cycle runs (r, the cycle held in its Copper read, then k): "
                f"paint {ms(cycle['paint'][0])} ms, open {ms(cycle['open'][0])} ms wall "
                f"({ms(cycle['open'][1])} ms CPU); a search key {ms(cycle['search key'][0])} ms;"
                f" the cycle still running then: {'yes' if cycle['cycle still running'][0] else 'no'}\n",
                flush=True,
            )
        if "100k" in which:
            t = time.perf_counter()
            settings, store = large_store(Path(tmp) / "large")
            built = time.perf_counter() - t
            try:
                baseline, idle, figures = asyncio.run(walk(settings, store))
            finally:
                store.close()
            label = f"100,000 contacts / customers (built in {built:.0f} s)"
            print("\n".join(report(label, baseline, idle, figures)))
