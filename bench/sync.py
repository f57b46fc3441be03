"""Sync benchmark: calls, time and memory of the Copper ↔ Mailchimp sync against a per-contact baseline.

Usage::

    .venv/bin/python bench/sync.py                    # 20,000 contacts
    .venv/bin/python bench/sync.py --contacts 5000 --sample 500

On a production-mode sandbox (seeded simulators in a child process, ``bench/_sims.py``, reached
over loopback HTTP, and a fresh store), ``run_sync`` runs four times:

(a) the first full sync;
(b) a rerun with nothing changed by anybody since (a) (it still reads back what (a) wrote);
(b') another rerun with nothing changed (steady state);
(c) a rerun after 1 % of the contacts changed: half through Copper's API (a last name or a new
    tag), half on the Mailchimp side (a subscriber edits their profile, or unsubscribes).

For each it prints the calls used, the minimum, their ratio (target ≤ 1.1), wall time and the
``tracemalloc`` peak of the syncing process (the simulators are not in it). The minimum is:

- **reads**: pages needed to list what changed since the previous run started (everything on
  a full run), by the services' own count: Copper ``n // 200 + 1`` pages (only a short page
  proves the end, ``X-PW-TOTAL`` being an upper bound), Mailchimp ``ceil(n / 1000)`` pages per
  query, at least 1 (the plain list, plus the archived members on a full run). What a run wrote
  comes back in the next run's read: neither API can leave out one's own writes;
- **writes**: what the run's outbox holds: ``ceil(members to create or update / 500)``
  batch-subscribe calls, one call per tag change, status change, address change, Copper create or
  Copper update (the forgotten addresses' ``Réinscription requise`` tag included), and one
  ``GET /lists/{id}`` for the resubscribe link when a forgotten address is found.

The baseline, in the same process, is what the team's current script does every run: for each
Copper person one ``GET`` of the Mailchimp member, one ``PUT`` upsert and one tag call, one
contact at a time, with the same clients against a second sandbox of the same seed. It is
measured on a sample (1,000 people by default) and extrapolated linearly to every Copper person.

Copper's budget of 180 requests a minute is lifted on both sides (our client built with
``rate_limit=None``, the simulator with a matching huge limit), so loopback times show our own
cost; the output says how long Copper's budget alone would make each run on the real service.
The timed pass runs without tracing; a second pass on a fresh sandbox measures memory.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import platform
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from _sims import SimProcess  # noqa: E402

from crmtui.config import Settings, load_settings  # noqa: E402
from crmtui.connectors.copper import MAX_PAGE_SIZE, CopperClient  # noqa: E402
from crmtui.connectors.errors import ConnectorError  # noqa: E402
from crmtui.connectors.mailchimp import MAX_BATCH, MAX_PAGE, MailchimpClient, subscriber_hash  # noqa: E402
from crmtui.engine.sync import CURSOR_COPPER, CURSOR_MAILCHIMP, run_sync  # noqa: E402
from crmtui.store import Store  # noqa: E402

COPPER_PER_MINUTE = 180
PAUSE = 1.1  # seconds between changes and runs: "changed since" queries have one-second resolution
SCENARIO = [
    ("(a) first full sync", "first"),
    ("(b) no-change rerun", "same"),
    ("(b') no-change, steady", "same"),
    ("(c) 1 % change rerun", "change"),
]


@dataclass
class Phase:
    """One sync run's figures."""

    label: str
    calls: dict[str, int]
    server_calls: int
    seconds: float
    full: bool
    read: tuple[int, int]  # records the engine read: Copper, Mailchimp
    changed_before: tuple[int, int, int]  # changed since the last run: Copper, Mailchimp listed, archived
    listed_since_cursor: tuple[int, int]  # what the services list from the stored cursors
    writes: Counter[str]
    forgotten_found: int
    operations: int
    failed: int
    changed_by_run: tuple[int, int]  # records the run changed: Copper people, Mailchimp members
    stopped: str = ""
    peak: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def side(self, prefix: str) -> int:
        return sum(v for k, v in self.calls.items() if k.startswith(prefix))

    @property
    def read_minimum(self) -> dict[str, int]:
        copper, listed, archived = self.changed_before
        out = {"copper": copper // MAX_PAGE_SIZE + 1, "mailchimp": max(1, math.ceil(listed / MAX_PAGE))}
        if self.full:
            out["mailchimp"] += max(1, math.ceil(archived / MAX_PAGE))
        return out

    @property
    def write_minimum(self) -> dict[str, int]:
        out = {
            kind: (math.ceil(n / MAX_BATCH) if kind == "mc_upsert" else n) for kind, n in self.writes.items()
        }
        if self.forgotten_found:
            out["get_list (resubscribe link)"] = 1
        return out

    @property
    def minimum(self) -> int:
        return sum(self.read_minimum.values()) + sum(self.write_minimum.values())


@dataclass
class Baseline:
    """The per-contact script, measured on a sample and extrapolated."""

    sample: int
    people: int
    calls: dict[str, int]
    seconds: float

    @property
    def factor(self) -> float:
        return self.people / self.sample

    @property
    def total_calls(self) -> int:
        return round(sum(self.calls.values()) * self.factor)

    @property
    def total_seconds(self) -> float:
        return self.seconds * self.factor


# -- helpers over the simulators ---------------------------------------------------------------


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _members_path(sims: SimProcess) -> str:
    return f"/lists/{sims.env['MAILCHIMP_LIST_ID']}/members"


def count_copper(sims: SimProcess, since: int | None) -> int:
    """How many people Copper lists modified at or after ``since`` (everybody for None)."""
    body: dict[str, Any] = {"page_size": 1, "sort_by": "date_modified"}
    if since is not None:
        body["minimum_modified_date"] = since
    return sims.copper_search(body)[1]


def count_mailchimp(sims: SimProcess, since: str | None, status: str | None = None) -> int:
    """How many members Mailchimp lists changed at or after ``since`` (ISO; everybody for None)."""
    params: dict[str, Any] = {"count": 1, "fields": "total_items"}
    if since is not None:
        params["since_last_changed"] = since
    if status is not None:
        params["status"] = status
    return int(sims.mailchimp_get(_members_path(sims), params)["total_items"])


def make_changes(sims: SimProcess, contacts: int, share: float) -> dict[str, int]:
    """Change ``share`` of the contacts: half in Copper (API), half on the Mailchimp side."""
    n = max(2, round(contacts * share))
    n_copper, n_mc = n // 2, n - n // 2
    done: Counter[str] = Counter()
    # Copper: people spread evenly over the account, by id.
    total = count_copper(sims, None)
    pages: dict[int, list[dict[str, Any]]] = {}
    for i in range(n_copper):
        index = i * total // n_copper
        page_number = index // MAX_PAGE_SIZE + 1
        if page_number not in pages:
            pages[page_number] = sims.copper_search(
                {"page_size": MAX_PAGE_SIZE, "page_number": page_number, "sort_by": "date_created"}
            )[0]
        person = pages[page_number][index % MAX_PAGE_SIZE]
        if i % 2 == 0:
            sims.copper_put(person["id"], {"last_name": f"{person.get('last_name') or 'Martin'}-Roux"})
            done["copper last name"] += 1
        else:
            sims.copper_put(person["id"], {"tags": [*person.get("tags", []), "Salon des vins 2025"]})
            done["copper new tag"] += 1
    # Mailchimp: subscribed members spread evenly over the list.
    subscribed = count_mailchimp(sims, None, "subscribed")
    chosen = sorted({i * subscribed // n_mc for i in range(n_mc)})
    members: dict[int, list[dict[str, Any]]] = {}
    emails: list[str] = []
    for index in chosen:  # every address first: a change moves the member to the end of the list
        offset = index // MAX_PAGE * MAX_PAGE
        if offset not in members:
            members[offset] = sims.mailchimp_get(
                _members_path(sims),
                {
                    "status": "subscribed",
                    "count": MAX_PAGE,
                    "offset": offset,
                    "sort_field": "last_changed",
                    "sort_dir": "ASC",
                    "fields": "members.email_address",
                },
            )["members"]
        emails.append(members[offset][index - offset]["email_address"])
    for i, email in enumerate(emails):
        if i % 3 == 2:
            sims.mailchimp_event("unsubscribe", email)
            done["mailchimp unsubscribe"] += 1
        else:
            phone = f"06 12 34 {i // 100:02d} {i % 100:02d}"
            sims.mailchimp_event("profile", email, merge_fields={"PHONE": phone})
            done["mailchimp profile (phone)"] += 1
    return dict(done)


# -- our sync ----------------------------------------------------------------------------------


def make_settings(sims: SimProcess, folder: Path) -> Settings:
    env = {
        **sims.env,
        "SYNC_MODE": "production",
        "CRMTUI_DATA_DIR": str(folder / "data"),
        "CRMTUI_DB": str(folder / "crmtui.db"),
    }
    return load_settings(env, env_file=None, sandbox=True)


def make_clients(settings: Settings) -> tuple[CopperClient, MailchimpClient]:
    # Not engine.sync.make_clients: it forwards its keywords to both clients, and MailchimpClient
    # takes no rate_limit (Mailchimp limits connections, not requests per minute).
    copper = CopperClient(
        api_key=settings.copper_api_key,
        user_email=settings.copper_api_email,
        base_url=settings.copper_base_url,
        rate_limit=None,
    )
    mailchimp = MailchimpClient(
        api_key=settings.mailchimp_api_key,
        list_id=settings.mailchimp_list_id,
        base_url=settings.mailchimp_api_root,
    )
    return copper, mailchimp


async def scenario(contacts: int, seed: int, share: float, traced: bool, log: bool) -> list[Phase]:
    """Run (a), (b), (b'), (c) on a fresh sandbox and store; return their figures."""
    phases: list[Phase] = []
    with SimProcess(contacts, seed) as sims, tempfile.TemporaryDirectory(prefix="crmtui-bench-sync-") as tmp:
        settings = make_settings(sims, Path(tmp))
        store = Store(settings.store_path)
        previous_start: int | None = None
        try:
            for label, kind in SCENARIO:
                notes: list[str] = []
                if kind == "change":
                    changes = make_changes(sims, contacts, share)
                    notes.append("changed: " + ", ".join(f"{n} {what}" for what, n in changes.items()))
                time.sleep(PAUSE)
                full = previous_start is None
                if full:
                    changed_before = (
                        count_copper(sims, None),
                        count_mailchimp(sims, None),
                        count_mailchimp(sims, None, "archived"),
                    )
                    listed = (changed_before[0], changed_before[1] + changed_before[2])
                else:
                    since = previous_start
                    changed_before = (count_copper(sims, since), count_mailchimp(sims, _iso(since)), 0)
                    copper_cursor = store.sync.cursor(CURSOR_COPPER)
                    mc_cursor = store.sync.cursor(CURSOR_MAILCHIMP)
                    listed = (
                        count_copper(sims, int(copper_cursor or 0)),
                        count_mailchimp(sims, mc_cursor),
                    )
                sims.reset_calls()
                copper, mailchimp = make_clients(settings)
                run_id = store.runs.start("sync", mode=settings.sync_mode, sandbox=True)
                start = int(time.time())
                if traced:
                    tracemalloc.start()
                    base = tracemalloc.get_traced_memory()[0]
                started = time.perf_counter()
                try:
                    report = await run_sync(settings, store, run_id=run_id, clients=(copper, mailchimp))
                finally:
                    await copper.aclose()
                    await mailchimp.aclose()
                seconds = time.perf_counter() - started
                peak = 0
                if traced:
                    peak = tracemalloc.get_traced_memory()[1] - base
                    tracemalloc.stop()
                store.runs.finish(run_id, "ok" if report.failed == 0 else "partial")
                server = sum(sims.calls("copper").values()) + sum(sims.calls("mailchimp").values())
                ops = store.sync.ops_for_run(run_id)
                phase = Phase(
                    label=label,
                    calls=report.calls,
                    server_calls=server,
                    seconds=seconds,
                    full=report.full,
                    read=(report.read_copper, report.read_mailchimp),
                    changed_before=changed_before,
                    listed_since_cursor=listed,
                    writes=Counter(op.action for op in ops),
                    forgotten_found=sum(1 for r in report.results if r.forgotten_now),
                    operations=len(report.operations),
                    failed=report.failed,
                    changed_by_run=(
                        count_copper(sims, start),
                        count_mailchimp(sims, _iso(start)) + count_mailchimp(sims, _iso(start), "archived"),
                    ),
                    stopped=report.stopped,
                    peak=peak,
                    notes=notes,
                )
                phases.append(phase)
                previous_start = start
                if log:
                    print(
                        f"  {label}: {phase.total:,} calls (minimum {phase.minimum:,}), {seconds:.1f} s"
                        + (f", peak {peak / 2**20:.1f} MiB" if traced else ""),
                        flush=True,
                    )
        finally:
            store.close()
    return phases


# -- the baseline ------------------------------------------------------------------------------


async def baseline(contacts: int, seed: int, sample: int) -> Baseline:
    """The team's script on ``sample`` Copper people: one GET, one PUT, one tag call each."""
    with SimProcess(contacts, seed) as sims, tempfile.TemporaryDirectory() as tmp:
        settings = make_settings(sims, Path(tmp))
        copper, mailchimp = make_clients(settings)
        people_total = count_copper(sims, None)
        sims.reset_calls()
        members = f"/lists/{settings.mailchimp_list_id}/members"
        done = 0
        page_number = 1
        started = time.perf_counter()
        try:
            while done < sample:
                page, _ = await copper.search_people(page_number=page_number, page_size=MAX_PAGE_SIZE)
                for person in page[: sample - done]:
                    done += 1
                    if not person.emails:
                        continue
                    email = person.emails[0]
                    try:
                        await mailchimp.get_member(email)
                    except ConnectorError:
                        pass
                    try:
                        await mailchimp.upsert_member(
                            email,
                            status_if_new="subscribed",
                            merge_fields={
                                "FNAME": person.first_name or "",
                                "LNAME": person.last_name or "",
                                "PHONE": person.phone_numbers[0] if person.phone_numbers else "",
                            },
                        )
                    except ConnectorError:
                        pass
                    try:
                        await mailchimp.request(
                            "POST",
                            f"{members}/{subscriber_hash(email)}/tags",
                            json={"tags": [{"name": t, "status": "active"} for t in person.tags]},
                            idempotent=True,
                        )
                    except ConnectorError:
                        pass
                if len(page) < MAX_PAGE_SIZE:
                    break
                page_number += 1
            seconds = time.perf_counter() - started
        finally:
            await copper.aclose()
            await mailchimp.aclose()
        calls = {
            **{f"copper {k}": v for k, v in copper.call_counts().items()},
            **{f"mailchimp {k}": v for k, v in mailchimp.call_counts().items()},
        }
        return Baseline(done, people_total, calls, seconds)


# -- output ------------------------------------------------------------------------------------


def print_table(phases: list[Phase], base: Baseline) -> None:
    head = (
        f"{'run':<24}{'calls':>7}{'minimum':>9}{'ratio':>7}{'wall s':>8}{'peak MiB':>10}"
        f"{'Copper calls':>14}{'at 180/min':>12}{'baseline calls':>16}{'baseline s':>12}"
        f"{'÷ calls':>9}{'÷ time':>8}"
    )
    print(head)
    print("-" * len(head))
    for p in phases:
        copper = p.side("copper ")
        print(
            f"{p.label:<24}{p.total:>7,}{p.minimum:>9,}{p.total / p.minimum:>7.2f}{p.seconds:>8.1f}"
            f"{p.peak / 2**20:>10.1f}{copper:>14,}{copper / COPPER_PER_MINUTE:>10.1f} m"
            f"{base.total_calls:>16,}{base.total_seconds:>12.0f}"
            f"{base.total_calls / max(p.total, 1):>9,.0f}{base.total_seconds / p.seconds:>8,.0f}"
        )
    print(
        "ratio = calls ÷ minimum (target ≤ 1.1); ÷ calls, ÷ time = baseline ÷ ours; "
        "at 180/min = Copper calls ÷ 180, the minutes Copper's budget alone takes on the real service"
    )


def print_details(phases: list[Phase], base: Baseline) -> None:
    for p in phases:
        print(
            f"{p.label}: {'full' if p.full else 'incremental'}; {p.operations:,} contacts written, {p.failed} failed"
        )
        for note in p.notes:
            print(f"    {note}")
        copper, listed, archived = p.changed_before
        scope = "in the account" if p.full else "changed since the last run started"
        mc_scope = f"{listed:,} listed + {archived:,} archived" if p.full else f"{listed:,}"
        print(
            f"    read: Copper {p.read[0]:,} records ({copper:,} {scope}; {p.listed_since_cursor[0]:,} "
            f"listed from the cursor), Mailchimp {p.read[1]:,} ({mc_scope} {scope}; "
            f"{p.listed_since_cursor[1]:,} listed from the cursor)"
        )
        print(
            "    minimum: reads "
            + ", ".join(f"{k} {v}" for k, v in p.read_minimum.items())
            + "; writes "
            + (", ".join(f"{k} {v:,}" for k, v in sorted(p.write_minimum.items())) or "none")
            + (
                f" (mc_upsert: {p.writes['mc_upsert']:,} members / {MAX_BATCH})"
                if p.writes["mc_upsert"]
                else ""
            )
        )
        print("    used: " + ", ".join(f"{k} {v:,}" for k, v in sorted(p.calls.items())))
        print(
            f"    records the run changed: Copper {p.changed_by_run[0]:,} people, "
            f"Mailchimp {p.changed_by_run[1]:,} members"
        )
        if p.server_calls != p.total:
            print(f"    ! the simulators counted {p.server_calls:,} calls, the clients {p.total:,}")
        if p.stopped:
            print(f"    ! stopped: {p.stopped}")
    print(
        f"baseline: {base.sample:,} Copper people measured ({sum(base.calls.values()):,} calls, "
        f"{base.seconds:.1f} s: " + ", ".join(f"{k} {v:,}" for k, v in sorted(base.calls.items())) + "), "
        f"extrapolated ×{base.factor:.1f} to all {base.people:,} Copper people; it does the same every run "
        "(it cannot tell what changed)"
    )


def print_notes(phases: list[Phase], base: Baseline) -> None:
    print(
        "Copper's 180 requests/minute budget is lifted here on both sides, so loopback times show our own "
        "cost; on the real Copper a run takes at least 'at 180/min'. Mailchimp limits connections (10), not "
        "requests per minute."
    )
    print(
        "Each call is also a network round trip on the real services (about 1 ms on loopback). The baseline "
        f"makes its {base.total_calls:,} calls one after the other: at 100 ms a call that alone is "
        f"{base.total_calls * 0.1 / 60:,.0f} min per run."
    )
    print(
        "peak MiB: tracemalloc peak of this process during run_sync (engine, clients, store; SQLite's own "
        "C memory not included), from a second pass on a fresh sandbox; wall times are from the untraced pass."
    )
    for p in phases:
        if p.total / p.minimum > 1.1:
            listed = p.listed_since_cursor
            print(
                f"above target: {p.label} uses {p.total} calls for a minimum of {p.minimum}: the services list "
                f"{listed[0]:,} Copper and {listed[1]:,} Mailchimp records from the stored cursors, of which "
                f"{p.changed_before[0]:,} and {p.changed_before[1]:,} changed since the last run (the rest "
                "share the cursor's second and are read again on every run)"
            )


async def run(contacts: int, seed: int, sample: int, share: float) -> None:
    t0 = time.perf_counter()
    print(f"bench/sync.py — {contacts:,} sandbox contacts (seed {seed}), production mode")
    print(f"{date.today().isoformat()}, {platform.python_implementation()} {platform.python_version()}")
    print("timed pass:")
    phases = await scenario(contacts, seed, share, traced=False, log=True)
    print("memory pass (tracemalloc):")
    traced = await scenario(contacts, seed, share, traced=True, log=True)
    for p, q in zip(phases, traced, strict=True):
        p.peak = q.peak
        if q.total != p.total:
            p.notes.append(f"the traced pass used {q.total:,} calls (this one {p.total:,})")
    print(f"baseline: one GET, one PUT, one tag call per Copper person, on {sample:,} people:")
    base = await baseline(contacts, seed, sample)
    print()
    print_table(phases, base)
    print()
    print_details(phases, base)
    print_notes(phases, base)
    print(f"\ntotal benchmark time {time.perf_counter() - t0:.0f} s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--contacts", type=int, default=20_000, help="sandbox contacts (default 20,000)")
    parser.add_argument("--seed", type=int, default=42, help="sample data seed")
    parser.add_argument("--sample", type=int, default=1000, help="Copper people the baseline is measured on")
    parser.add_argument("--change", type=float, default=0.01, help="share of contacts changed before (c)")
    args = parser.parse_args(argv)
    asyncio.run(run(args.contacts, args.seed, args.sample, args.change))


if __name__ == "__main__":
    main()
