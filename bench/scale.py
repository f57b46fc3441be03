"""Sync memory at scale (issue #16): peak RSS per phase of a full first sync, 100,000 vs 1,000,000.

For each size, a fresh child process (so each size starts from the same interpreter) syncs from an
empty store either the seeded sandbox (``--data sandbox``: about half the contacts written, so the
outbox and the providers' answers are in it; slow at 1,000,000 because every Copper write is one
call) or ``--data same`` (the same people on both sides: everything read, compared and saved,
nothing written remote). The simulators run in their own process (``bench/_sims.py``),
the sync is ``run_sync`` as cron runs it (report file included), with the rate limits lifted on
both sides so the wall time is our own. After each phase (read, plan, apply, report) the child
reads its peak resident size (``VmHWM`` in ``/proc/self/status``) and resets it (``echo 5 >
/proc/self/clear_refs``), so each figure is that phase's own high-water mark::

    .venv/bin/python bench/scale.py                          # sandbox data, 100,000 then 1,000,000 (~2 h)
    .venv/bin/python bench/scale.py --data same              # same people, 100,000 then 1,000,000 (over 1 h)
    .venv/bin/python bench/scale.py --contacts 20000,100000

It prints the table for the README and the ratio peak(largest) / peak(smallest).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crmtui.config import Settings
    from crmtui.connectors.copper import CopperClient
    from crmtui.connectors.mailchimp import MailchimpClient
    from crmtui.engine.sync_types import SyncReport
    from crmtui.store import Store

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))


def _status(field: str) -> int:
    """A ``/proc/self/status`` figure in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


PER_SECOND = 20
"""Copper people created (and last modified) per second in the ``same`` data set."""


def serve_same(contacts: int) -> None:
    """The ``same`` data set, served from this process: the same people on both sides.

    Copper and Mailchimp hold ``contacts`` identical people (accented names, subscribed, no tag), so
    a first full sync compares each one and writes nothing remote: the run's cost is reading,
    planning and saving, with no provider's pace in it. Prints the two URLs as one JSON line.
    """
    from crmtui.sandbox.copper import CopperSim
    from crmtui.sandbox.harness import COPPER_EMAIL, COPPER_KEY, LIST_ID
    from crmtui.sandbox.loopback import LoopbackServer
    from crmtui.sandbox.mailchimp import DEFAULT_API_KEY, MailchimpSim

    copper = CopperSim(api_key=COPPER_KEY, user_email=COPPER_EMAIL, auto_deliver=False)
    copper.rate_limit = 1_000_000_000
    mailchimp = MailchimpSim(api_key=DEFAULT_API_KEY, list_id=LIST_ID)
    # Copper serves at most the first 100,000 records of a search; crmtui reads past that cap by
    # searching again from the last ``date_modified`` seen, which cannot get past more than
    # 100,000 people modified in the same second. People made at one instant would be that case,
    # which no real account is (WIRE.md §1.4): they are spread as an account fills, 20 a second.
    start = int(time.time()) - contacts // PER_SECOND - 1
    copper.load_people(
        {
            "first_name": f"Zoé{i}",
            "last_name": f"Lefèvre{i}",
            "emails": [{"email": f"client{i}@exemple.fr", "category": "work"}],
            "tags": [],
            "date_created": start + i // PER_SECOND,
            "date_modified": start + i // PER_SECOND,
        }
        for i in range(contacts)
    )
    mailchimp.load_members(
        {
            "email_address": f"client{i}@exemple.fr",
            "status": "subscribed",
            "merge_fields": {"FNAME": f"Zoé{i}", "LNAME": f"Lefèvre{i}"},
            "tags": [],
        }
        for i in range(contacts)
    )
    servers = [LoopbackServer(copper.app), LoopbackServer(mailchimp.app)]
    print(json.dumps([server.start() for server in servers]), flush=True)
    for _ in sys.stdin:  # serve until the parent closes our stdin
        pass


class SameSims:
    """:func:`serve_same` in a child process (``with SameSims(n) as sims: sims.env``)."""

    def __init__(self, contacts: int) -> None:
        self.contacts = contacts
        self.env: dict[str, str] = {}
        self.info: dict[str, object] = {"copper_people": contacts, "mailchimp_members": contacts}
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> SameSims:
        from crmtui.sandbox.harness import COPPER_EMAIL, COPPER_KEY, LIST_ID
        from crmtui.sandbox.mailchimp import DEFAULT_API_KEY

        self._proc = subprocess.Popen(
            [sys.executable, __file__, "--serve-same", str(self.contacts)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._proc.stdout is not None
        copper_url, mailchimp_url = json.loads(self._proc.stdout.readline())
        self.env = {
            "COPPER_API_KEY": COPPER_KEY,
            "COPPER_API_EMAIL": COPPER_EMAIL,
            "COPPER_BASE_URL": f"{copper_url}/developer_api/v1",
            "MAILCHIMP_API_KEY": DEFAULT_API_KEY,
            "MAILCHIMP_LIST_ID": LIST_ID,
            "MAILCHIMP_BASE_URL": f"{mailchimp_url}/3.0",
        }
        return self

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None and self._proc.stdin is not None:
            self._proc.stdin.close()
            self._proc.wait(timeout=60)


def child(contacts: int, seed: int, data: str) -> dict[str, object]:
    """One size, in this (fresh) process: the figures as a dict."""
    from _sims import SimProcess
    from sync import make_clients, make_settings

    from crmtui.store import Store

    phases: dict[str, float] = {}
    marks: dict[str, float] = {}
    started = time.monotonic()
    resettable = _reset_peak()

    def on_phase(name: str) -> None:
        phases[name] = _status("VmHWM") / 1024
        marks[name] = time.monotonic() - started
        _reset_peak()

    sims_cm = SimProcess(contacts, seed) if data == "sandbox" else SameSims(contacts)
    with sims_cm as sims, tempfile.TemporaryDirectory(prefix="crmtui-bench-scale-") as tmp:
        settings = make_settings(sims, Path(tmp))
        store = Store(settings.store_path)
        before = _status("VmRSS") / 1024
        _reset_peak()
        started = time.monotonic()
        run_id = store.runs.start("sync", mode=settings.sync_mode, sandbox=True)
        # The bench's clients: Copper's 180/min lifted on our side too (the simulator's is).
        report = asyncio.run(_sync(settings, store, run_id, make_clients(settings), on_phase))
        phases["report"] = _status("VmHWM") / 1024
        marks["report"] = time.monotonic() - started
        store.close()
        return {
            "contacts": contacts,
            "copper": sims.info["copper_people"],
            "mailchimp": sims.info["mailchimp_members"],
            "before": before,
            "phases": phases,
            "marks": marks,
            "operations": report.operations_count,
            "failed": report.failed,
            "stopped": report.stopped,
            "resettable": resettable,
        }


async def _sync(
    settings: Settings,
    store: Store,
    run_id: int,
    clients: tuple[CopperClient, MailchimpClient],
    on_phase: Callable[[str], None],
) -> SyncReport:
    from crmtui.engine.sync import run_sync

    copper, mailchimp = clients
    try:
        return await run_sync(settings, store, run_id=run_id, full=True, clients=clients, on_phase=on_phase)
    finally:
        await copper.aclose()
        await mailchimp.aclose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", default="100000,1000000", help="sizes, comma-separated")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--data",
        choices=("sandbox", "same"),
        default="sandbox",
        help="sandbox: the seeded sample (about half the contacts written); same: identical people on both sides",
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--serve-same", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_same:
        serve_same(args.serve_same)
        return
    if args.child:
        print(json.dumps(child(args.child, args.seed, args.data)), flush=True)
        return
    sizes = [int(s) for s in args.contacts.split(",")]
    print(
        f"bench/scale.py: full first sync ({args.data} data), peak RSS per phase; "
        f"{platform.python_version()}, {os.cpu_count()} cores"
    )
    rows = []
    for n in sizes:
        t = time.monotonic()
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(n), "--seed", str(args.seed), "--data", args.data],
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            print(out.stderr[-3000:])
            raise SystemExit(f"{n:,} contacts: the child failed ({out.returncode})")
        row = json.loads(out.stdout.strip().splitlines()[-1])
        row["wall"] = time.monotonic() - t
        rows.append(row)
        p = row["phases"]
        print(
            f"{n:,} contacts ({row['copper']:,} Copper people, {row['mailchimp']:,} members): "
            + ", ".join(f"{k} {v:.0f} MiB (at {row['marks'][k]:.0f} s)" for k, v in p.items())
            + f"; {row['operations']:,} contacts written, {row['failed']} failed{'; STOPPED ' + str(row['stopped']) if row['stopped'] else ''}",
            flush=True,
        )
    print()
    print("| contacts | before the run | read | plan | apply | report | peak | sync s |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        p = row["phases"]
        peak = max(p.values())
        print(
            f"| {row['contacts']:,} | {row['before']:.0f} MiB | "
            + " | ".join(f"{p.get(k, 0):.0f} MiB" for k in ("read", "plan", "apply", "report"))
            + f" | **{peak:.0f} MiB** | {row['marks']['report']:.0f} |"
        )
    if len(rows) > 1:
        small, large = rows[0], rows[-1]
        ratio = max(large["phases"].values()) / max(small["phases"].values())
        print(f"\npeak({large['contacts']:,}) / peak({small['contacts']:,}) = {ratio:.2f} (goal ≤ 1.5)")


if __name__ == "__main__":
    main()
