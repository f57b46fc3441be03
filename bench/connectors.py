"""Connector benchmark: read every sandbox contact from Copper and Mailchimp through our clients.

Usage::

    .venv/bin/python bench/connectors.py                   # 100,000 contacts
    .venv/bin/python bench/connectors.py --contacts 20000

The seeded simulators run in a child process (``bench/_sims.py``) and are reached over loopback
HTTP, so everything measured here is the client side: wall time, records per second, calls, and
the ``tracemalloc`` peak of the reading process (the simulators' memory is not in it).

Per side it prints the records read, the calls used, the minimum number of calls, their ratio,
wall time, records per second and peak memory, for two readers over the same data in the same run:

- **ours**: ``CopperClient.iter_people`` (200 people a page, the largest Copper serves) and
  ``MailchimpClient.iter_members`` (1,000 members a page, trimmed ``fields``), streaming;
- **baseline**: a naive reader with the APIs' default page sizes (Copper ``page_size`` 20,
  Mailchimp ``count`` 10, every field), also reading everything, through the same clients.

Each reader runs twice: once for time (no tracing) and once under ``tracemalloc`` for memory,
since tracing slows Python down. Copper's budget of 180 requests a minute is lifted on both sides
(the client built with ``rate_limit=None``, the simulator with a matching huge limit): the figure
that matters is the number of calls, and the output says how long the real service would take.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import platform
import sys
import time
import tracemalloc
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from _sims import SimProcess  # noqa: E402

from crmtui.connectors.copper import MAX_PAGE_SIZE, CopperClient  # noqa: E402
from crmtui.connectors.mailchimp import MAX_PAGE, MailchimpClient  # noqa: E402

COPPER_PER_MINUTE = 180
COPPER_DEFAULT_PAGE = 20  # Copper's page_size when none is sent (WIRE.md §1.4)
MAILCHIMP_DEFAULT_COUNT = 10  # Mailchimp's count when none is sent (WIRE.md §2.2)


@dataclass
class Reading:
    """One reader's figures on one side."""

    side: str
    reader: str
    records: int
    calls: int
    server_calls: int
    minimum: int
    seconds: float
    peak_bytes: int

    @property
    def ratio(self) -> float:
        return self.calls / self.minimum if self.minimum else float("nan")

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds else float("nan")


# -- the readers ---------------------------------------------------------------------------------


def copper_client(env: dict[str, str]) -> CopperClient:
    return CopperClient(
        api_key=env["COPPER_API_KEY"],
        user_email=env["COPPER_API_EMAIL"],
        base_url=env["COPPER_BASE_URL"],
        rate_limit=None,  # the simulator's limit is lifted to match; calls are what we count
    )


def mailchimp_client(env: dict[str, str]) -> MailchimpClient:
    return MailchimpClient(
        api_key=env["MAILCHIMP_API_KEY"], list_id=env["MAILCHIMP_LIST_ID"], base_url=env["MAILCHIMP_BASE_URL"]
    )


async def ours_copper(client: CopperClient) -> AsyncIterator[Any]:
    async for person in client.iter_people():
        yield person


async def ours_mailchimp(client: MailchimpClient) -> AsyncIterator[Any]:
    # Like a full sync: the plain list, then the archived members it hides.
    async for member in client.iter_members():
        yield member
    async for member in client.iter_members(statuses=["archived"]):
        yield member


async def naive_copper(client: CopperClient) -> AsyncIterator[Any]:
    """Page after page at Copper's default page size until a short page."""
    page_number = 1
    while True:
        page, _ = await client.search_people(page_number=page_number, page_size=COPPER_DEFAULT_PAGE)
        for person in page:
            yield person
        if len(page) < COPPER_DEFAULT_PAGE:
            return
        page_number += 1


async def naive_mailchimp(client: MailchimpClient) -> AsyncIterator[Any]:
    """Offset after offset with Mailchimp's default count and every field, then the archived."""
    path = f"/lists/{client.list_id}/members"
    for params in ({}, {"status": "archived"}):
        offset = 0
        while True:
            body = await client.json("GET", path, params={**params, "offset": offset})
            for member in body["members"]:
                yield member
            offset += len(body["members"])
            if not body["members"] or offset >= body["total_items"]:
                break


async def measure(
    make: Callable[[], Any], read: Callable[[Any], AsyncIterator[Any]], traced: bool
) -> tuple[int, int, float, int]:
    """Read everything once; return records, client-side calls, seconds and the traced peak."""
    start_bytes = 0
    if traced:
        tracemalloc.start()
        start_bytes = tracemalloc.get_traced_memory()[0]
    client = make()
    records = 0
    started = time.perf_counter()
    try:
        async for _ in read(client):
            records += 1
        seconds = time.perf_counter() - started
    finally:
        await client.aclose()
    peak = 0
    if traced:
        peak = tracemalloc.get_traced_memory()[1] - start_bytes
        tracemalloc.stop()
    return records, sum(client.call_counts().values()), seconds, peak


# -- minimum calls -------------------------------------------------------------------------------


def copper_minimum(records: int, page_size: int) -> int:
    """Pages of ``page_size``, plus one when the last page is full.

    Only a short page proves the end: ``X-PW-TOTAL`` is documented as an upper bound (WIRE.md
    §1.4), so a reader that trusted it could stop early and miss nobody only by luck.
    """
    return records // page_size + 1


def mailchimp_minimum(counts: list[int], page_size: int) -> int:
    """Pages of ``page_size`` per query; ``total_items`` is exact, so no trailing empty page."""
    return sum(max(1, math.ceil(n / page_size)) for n in counts)


# -- output --------------------------------------------------------------------------------------


def _mib(n: int) -> str:
    return f"{n / 2**20:.1f}"


def print_table(rows: list[Reading]) -> None:
    head = (
        f"{'side':<10}{'reader':<22}{'records':>9}{'calls':>8}{'minimum':>9}{'calls/min':>11}"
        f"{'wall s':>8}{'records/s':>11}{'peak MiB':>10}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r.side:<10}{r.reader:<22}{r.records:>9,}{r.calls:>8,}{r.minimum:>9,}{r.ratio:>11.3f}"
            f"{r.seconds:>8.1f}{r.rate:>11,.0f}{_mib(r.peak_bytes):>10}"
        )


async def run(contacts: int, seed: int) -> None:
    t0 = time.perf_counter()
    with SimProcess(contacts, seed) as sims:
        people = sims.info["copper_people"]
        listed = sims.mailchimp_get(f"/lists/{sims.env['MAILCHIMP_LIST_ID']}/members", {"count": 1})
        archived = sims.mailchimp_get(
            f"/lists/{sims.env['MAILCHIMP_LIST_ID']}/members", {"count": 1, "status": "archived"}
        )
        mc_counts = [int(listed["total_items"]), int(archived["total_items"])]
        print(
            f"bench/connectors.py — {contacts:,} sandbox contacts (seed {seed}), built and served in "
            f"{time.perf_counter() - t0:.1f} s by a child process on loopback"
        )
        print(
            f"Copper holds {people:,} people; Mailchimp {sum(mc_counts):,} members "
            f"({mc_counts[0]:,} in the plain list + {mc_counts[1]:,} archived, a second query)"
        )
        print(f"{date.today().isoformat()}, {platform.python_implementation()} {platform.python_version()}")
        print()

        env = sims.env
        plans: list[tuple[str, str, Callable[[], Any], Callable[[Any], AsyncIterator[Any]], int]] = [
            (
                "Copper",
                f"ours (page {MAX_PAGE_SIZE})",
                lambda: copper_client(env),
                ours_copper,
                copper_minimum(people, MAX_PAGE_SIZE),
            ),
            (
                "Copper",
                f"naive (page {COPPER_DEFAULT_PAGE})",
                lambda: copper_client(env),
                naive_copper,
                copper_minimum(people, MAX_PAGE_SIZE),
            ),
            (
                "Mailchimp",
                f"ours (count {MAX_PAGE})",
                lambda: mailchimp_client(env),
                ours_mailchimp,
                mailchimp_minimum(mc_counts, MAX_PAGE),
            ),
            (
                "Mailchimp",
                f"naive (count {MAILCHIMP_DEFAULT_COUNT})",
                lambda: mailchimp_client(env),
                naive_mailchimp,
                mailchimp_minimum(mc_counts, MAX_PAGE),
            ),
        ]
        rows: list[Reading] = []
        for side, reader, make, read, minimum in plans:
            sim = side.lower()
            sims.reset_calls()
            records, calls, seconds, _ = await measure(make, read, traced=False)
            server = sum(sims.calls(sim).values())
            _, traced_calls, _, peak = await measure(make, read, traced=True)
            if traced_calls != calls:
                print(f"note: {side} {reader}: {traced_calls} calls under tracemalloc, {calls} untraced")
            rows.append(Reading(side, reader, records, calls, server, minimum, seconds, peak))
            print(f"  measured {side} {reader}: {records:,} records, {calls:,} calls, {seconds:.1f} s")
        print()
        print_table(rows)
        print()
        _explain(rows, people, mc_counts)
    print(f"\ntotal benchmark time {time.perf_counter() - t0:.0f} s")


def _explain(rows: list[Reading], people: int, mc_counts: list[int]) -> None:
    ours_c, naive_c, ours_m, naive_m = rows
    for r in rows:
        if r.server_calls != r.calls:
            print(
                f"! {r.side} {r.reader}: the simulator counted {r.server_calls:,} calls, the client {r.calls:,}"
            )
    print("baseline ÷ ours (same data, same run):")
    for ours, naive in ((ours_c, naive_c), (ours_m, naive_m)):
        print(
            f"  {ours.side:<10} calls ×{naive.calls / ours.calls:.1f}, time ×{naive.seconds / ours.seconds:.1f}, "
            f"peak memory ×{naive.peak_bytes / max(ours.peak_bytes, 1):.2f}"
        )
    print(
        f"real Copper at {COPPER_PER_MINUTE} requests/minute: ours {ours_c.calls:,} calls ≈ "
        f"{ours_c.calls / COPPER_PER_MINUTE:.1f} min, naive {naive_c.calls:,} calls ≈ "
        f"{naive_c.calls / COPPER_PER_MINUTE:.1f} min (loopback times above exclude that wait; Mailchimp "
        "has no per-minute budget, only 10 connections)"
    )
    rtt = 0.1
    print(
        f"each call is also a network round trip on the real services (about 1 ms on loopback): at "
        f"{rtt * 1000:.0f} ms a call, ours adds {(ours_c.calls + ours_m.calls) * rtt / 60:.1f} min, "
        f"the naive reader {(naive_c.calls + naive_m.calls) * rtt / 60:.1f} min (sequential pages)"
    )
    print(
        f"minimum, Copper: ceil({people:,} / {MAX_PAGE_SIZE}) pages, +1 when the last page is full "
        "(only a short page proves the end; X-PW-TOTAL is an upper bound)"
    )
    print(
        f"minimum, Mailchimp: ceil(n / {MAX_PAGE}) pages per query ({mc_counts[0]:,} listed, "
        f"{mc_counts[1]:,} archived: the plain list hides archived members); total_items is exact, "
        "so no trailing page"
    )
    extra = ours_m.calls - ours_m.minimum
    if extra > 0:
        print(
            f"Mailchimp above minimum: {extra} call(s) from iter_members' page overlap (each page re-reads "
            f"the previous page's last {MAX_PAGE // 100} members so that members changed during the "
            "stream are not skipped)"
        )
    print(
        "peak MiB: tracemalloc peak of this process while reading (client, parsing, records in flight), "
        "from a second, traced pass; wall time comes from the untraced pass"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--contacts", type=int, default=100_000, help="sandbox contacts (default 100,000)")
    parser.add_argument("--seed", type=int, default=42, help="sample data seed")
    args = parser.parse_args(argv)
    asyncio.run(run(args.contacts, args.seed))


if __name__ == "__main__":
    main()
