"""Scenario sending benchmark: SES pacing, and one tick over many active sequences.

Usage::

    .venv/bin/python bench/send.py                   # 10,000 sends at 50/s (~3.5 min) + 100,000 sequences
    .venv/bin/python bench/send.py --sends 2000      # a shorter pacing run
    .venv/bin/python bench/send.py --skip-rate       # only the 100,000-sequence tick

Part 1 sends ``--sends`` emails through the SES v2 simulator served by uvicorn on loopback, with
``MaxSendRate`` 50/s enforced by the simulator (token bucket, 429 ``TooManyRequestsException``
beyond it). The client reads ``GetAccount`` and paces itself. Printed: the achieved rate between
the first and the last accepted message divided by the allowed rate (target ≥ 0.95), the 429s the
simulator answered (retried, never a failed recipient) and the throttles that reached a recipient
(ledger rows failed because of throttling: target 0), and duplicates (target 0).

Part 2, for each of ``--sequences`` (default 10,000, 100,000 and 300,000), enrols that many
contacts (an explicit address list) in one active scenario in a fresh store, makes ``--due`` of
them due now (the rest are scheduled later, as in a real sequence table), re-runs the audience
enrolment once (what each tick does first; nobody new), then times one send tick against the
simulator in-process (``httpx.ASGITransport``, MaxSendRate raised so the provider is not the
limit). Printed per size: sends/s of the send tick (due scan, claims, renders, sends, records),
the enrolment time, and the per-send cost relative to the smallest size (goal ≤ 1.2 at 300k).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crmtui.config import Settings, load_settings  # noqa: E402
from crmtui.connectors.ses import SesClient  # noqa: E402
from crmtui.engine import scenarios as sc  # noqa: E402
from crmtui.engine.sending import TickResult, run_tick  # noqa: E402
from crmtui.sandbox.loopback import LoopbackServer  # noqa: E402
from crmtui.sandbox.mail import SANDBOX_FROM, SES_ACCESS_KEY_ID, SES_SECRET_ACCESS_KEY, SesSim  # noqa: E402
from crmtui.secrets import Secret  # noqa: E402
from crmtui.store import Store  # noqa: E402
from crmtui.store.scenarios import Audience, Scenario, Step, TemplateRow, scenario_repo  # noqa: E402


def scenario(emails: list[str]) -> Scenario:
    return Scenario(
        name="Bench",
        window_start="00:00",
        window_end="24:00",
        send_days=[1, 2, 3, 4, 5, 6, 7],
        audience=Audience(emails=emails),
        steps=[Step(1, "welcome", "w"), Step(2, "reminder", "w", trigger="delay", delay_days=3)],
        templates={
            "w": TemplateRow(
                "w",
                "Bonjour {{contact_name}}",
                "<p>Bonjour {{contact_name}},</p><p>Nos nouveautés : <a href='https://domaine.fr/vins'>les vins</a></p>"
                "<p><a href='{{unsubscribe_link}}'>Se désabonner</a></p>",
            )
        },
    )


def ses_settings(url: str) -> Settings:
    return replace(
        load_settings(env_file=None, sandbox=False),
        ses_region="eu-west-3",
        ses_access_key_id=SES_ACCESS_KEY_ID,
        ses_secret_access_key=Secret(SES_SECRET_ACCESS_KEY),
        ses_endpoint_url=url,
        email_from=SANDBOX_FROM,
        public_base_url="https://crm.domaine-exemple.fr",
        tracking_secret=Secret("bench-tracking-secret-0123456789"),
    )


def fresh_store(tmp: Path, name: str) -> Store:
    return Store(tmp / f"{name}.db")


def bench_rate(tmp: Path, sends: int, rate: float) -> None:
    store = fresh_store(tmp, "rate")
    repo = scenario_repo(store)
    repo.save(scenario([f"client{i:06d}@exemple.fr" for i in range(sends)]))
    sc.start(store, "Bench")
    sim = SesSim(max_send_rate=rate, max_24h_send=-1)
    server = LoopbackServer(sim.app)
    url = server.start()
    try:
        started = time.monotonic()
        result = asyncio.run(run_tick(ses_settings(url), store))
        elapsed = time.monotonic() - started
    finally:
        server.stop()
    times = sim.sent_times
    # Steady state after the first second: the simulator's token bucket starts full (a one-second
    # burst, as SES allows), which would flatter the figure.
    steady = [t for t in times if t >= times[0] + 1.0] if times else []
    span = steady[-1] - steady[0] if len(steady) > 1 else 0.0
    achieved = (len(steady) - 1) / span if span else 0.0
    throttle_failures = repo.ledger_counts().get(
        "failed", 0
    )  # no recipient is refused here: any is a throttle
    print(f"SES pacing: {len(sim.deliveries):,} accepted of {sends:,} in {elapsed:.1f} s (tick)")
    print(f"  achieved {achieved:.2f}/s ÷ allowed {rate:g}/s = {achieved / rate:.3f}  (target ≥ 0.95)")
    print(
        f"  429 answered by the simulator: {sim.throttled} (retried; tick counted {result.throttled} deferrals)"
    )
    print(f"  throttles that reached a recipient: {throttle_failures}  (target 0)")
    print(f"  duplicates: {len(sim.duplicates())}; ledger: {repo.ledger_counts()}")
    store.close()


def bench_tick(tmp: Path, sequences: int, due: int) -> float:
    """One send tick over ``sequences`` sequences with ``due`` due; returns the seconds per send."""
    import httpx

    store = fresh_store(tmp, f"tick{sequences}")
    repo = scenario_repo(store)
    emails = [f"client{i:07d}@exemple.fr" for i in range(sequences)]
    repo.save(scenario(emails))
    sc.start(store, "Bench")
    later = (datetime.now(UTC) + timedelta(days=2)).isoformat(timespec="seconds")
    with store.write() as db:  # most sequences wait for a later step, as in a live table
        db.execute("UPDATE contact_sequences SET next_send_at = ? WHERE id > ?", (later, due))
        db.execute("ANALYZE")
    bench = repo.get("Bench")
    assert bench is not None
    t0 = time.monotonic()
    sc.enrol(store, bench)  # each tick's audience check (nobody new)
    enrol_time = time.monotonic() - t0
    sim = SesSim(max_send_rate=100_000, max_24h_send=-1)

    async def tick() -> TickResult:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=sim.app), base_url="http://ses.local"
        ) as http:
            client = SesClient(
                http,
                region="eu-west-3",
                access_key_id=SES_ACCESS_KEY_ID,
                secret_access_key=Secret(SES_SECRET_ACCESS_KEY),
                endpoint_url="http://ses.local",
            )
            await client.get_account()
            return await run_tick(ses_settings("http://ses.local"), store, sender=client, concurrency=16)

    started = time.monotonic()
    result = asyncio.run(tick())
    elapsed = time.monotonic() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"  {sequences:>9,} sequences: {result.sent:,} sent in {elapsed:.2f} s = {result.sent / elapsed:,.0f} sends/s"
        f"  ({elapsed / max(result.sent, 1) * 1000:.2f} ms/send; audience check {enrol_time:.2f} s; "
        f"max RSS so far {rss:.0f} MB)"
    )
    store.close()
    return elapsed / max(result.sent, 1)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sends", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument(
        "--sequences",
        default="10000,100000,300000",
        help="comma-separated sequence counts (default 10000,100000,300000)",
    )
    parser.add_argument("--due", type=int, default=2_000)
    parser.add_argument("--skip-rate", action="store_true")
    parser.add_argument("--skip-tick", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_rate:
            bench_rate(Path(tmp), args.sends, args.rate)
        if not args.skip_tick:
            sizes = [int(x) for x in str(args.sequences).split(",") if x.strip()]
            print(f"Send tick, {args.due:,} due emails, per number of sequences:")
            costs = [bench_tick(Path(tmp), n, args.due) for n in sizes]
            if len(costs) > 1:
                print(
                    f"  per-send cost {sizes[-1]:,} ÷ {sizes[0]:,} sequences: {costs[-1] / costs[0]:.2f}"
                    "  (goal ≤ 1.2)"
                )


if __name__ == "__main__":
    main()
