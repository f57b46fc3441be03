"""End to end through the sandbox: a two-variant scenario over 1,000 contacts.

Ticks send through the SES simulator on loopback (SigV4, MaxSendRate); the simulator's Send and
Delivery events reach ``crmtui serve`` (the real app the sandbox attaches to its https port) as
signed SNS notifications; simulated recipients open, click and unsubscribe through the tracking
endpoints with known per-variant probabilities and a fixed seed; ``crmtui serve``'s own processor
applies the queue. The SNS deliveries and the recipients' requests go to the app over an ASGI
transport (the URLs are the https ones from the emails): over the loopback socket the same ~3,500
requests take four times as long, and ``test_sandbox_demo.py`` covers the socket. The per-variant sent, opened and clicked counts in the store must equal what the
simulator delivered and what the recipients did, and the ``opened`` follow-up must reach exactly
the recipients who opened (and did not unsubscribe).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx

from crmtui.config import Settings
from crmtui.engine import scenarios as sc
from crmtui.engine.scenarios import loads_toml
from crmtui.sandbox.harness import Sandbox, running_sandbox
from crmtui.sandbox.recipients import Rates, SimulatedRecipients
from crmtui.sandbox.ses_feed import SesEventFeed
from crmtui.store import Store
from crmtui.store.scenarios import Audience, scenario_repo

N = 1000
SEED = 20261125
EMAILS = [f"client{i:04d}@exemple.fr" for i in range(N)]
LABELS = {"A": "Offre A", "B": "Offre B"}
"""Variant name → the subject fragment its recipients react to."""
RATES = {
    "Offre A": Rates(open=0.35, click=0.30, unsubscribe=0.02),
    "Offre B": Rates(open=0.55, click=0.40, unsubscribe=0.02),
}
FOLLOW_UP = Rates(open=0.50, click=0.20)

SCENARIO = """
name = "E2E A/B"
timezone = "Europe/Paris"
daily_cap = 0
cooldown_days = 0

[window]
start = "00:00"
end = "24:00"
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

[[steps]]
position = 1
name = "Offre"
trigger = "entry"
template = "offre_a"
variants = [
  { name = "A", template = "offre_a", weight = 50 },
  { name = "B", template = "offre_b", weight = 50 },
]

[[steps]]
position = 2
name = "Merci"
trigger = "opened"
parent = 1
template = "merci"

[templates.offre_a]
subject = "Offre A : nos cuvées, {{contact_name}}"
html = "<html><body><p>Bonjour</p><a href='https://www.domaine-exemple.fr/a'>Voir</a><a href='{{unsubscribe_link}}'>stop</a></body></html>"
[templates.offre_b]
subject = "Offre B : le rosé 2025"
html = "<html><body><p>Salut</p><a href='https://www.domaine-exemple.fr/b'>Réserver</a></body></html>"
[templates.merci]
subject = "Merci de votre lecture"
html = "<html><body><p>Merci</p><a href='https://www.domaine-exemple.fr/visite'>Visite</a></body></html>"
"""


async def _drain(app: Any) -> None:
    """Apply serve's queue until it is empty, with serve's own processor (as its loop does)."""
    while True:
        stats = await asyncio.to_thread(app.state.processor.process_pending, 5000)
        assert stats.failed == 0
        if not (stats.done or stats.ignored):
            return


def _label(subject: str) -> str:
    return next((fragment for fragment in RATES if fragment in subject), "")


async def _run(sb: Sandbox, live: Settings, store: Store, serve_store: Store) -> dict[str, Any]:
    app = sb.attach_serve(live, serve_store)
    scenario = loads_toml(SCENARIO)
    scenario.audience = Audience(emails=EMAILS)
    scenario_id = scenario_repo(store).save(scenario)
    # The recipients act at once; seconds after delivery, serve would take them for machine opens.
    store.events.set_exclude_machine_opens(scenario_id, False)
    assert sc.start(store, scenario.name) == N

    feed = SesEventFeed(sb.ses, sb.urls["serve"] + "/sns/ses")
    recipients = SimulatedRecipients(RATES, default=FOLLOW_UP, seed=SEED)
    ticks = []
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50000))
    async with httpx.AsyncClient(transport=transport, timeout=30.0) as client:
        for _ in range(2):  # the A/B step, then the follow-ups the opens scheduled
            ticks.append(await sc.tick(live, store))
            delivered = await feed.publish_new(client)
            await recipients.act_all(client, delivered, concurrency=24)
            await _drain(app)
    return {"scenario_id": scenario_id, "feed": feed, "recipients": recipients, "ticks": ticks}


async def test_per_variant_counts_equal_the_simulators_ground_truth(settings: Settings, store: Store) -> None:
    with running_sandbox(100, serve=True, ses_max_send_rate=1000) as sb:
        live = sb.apply_to(settings)
        assert live.public_base_url.startswith("https://127.0.0.1:")
        serve_store = Store(live.store_path)  # crmtui serve's own handle on the same file
        try:
            run = await _run(sb, live, store, serve_store)
        finally:
            sb.detach_serve()
            serve_store.close()
        messages = list(sb.ses.messages)
        duplicates = sb.ses.duplicates()

    feed: SesEventFeed = run["feed"]
    recipients: SimulatedRecipients = run["recipients"]
    first, second = run["ticks"]
    truth = recipients.totals()
    outcomes = {o.recipient + "|" + o.subject: o for o in recipients.truth}

    # Sent: exactly once each, every message's events accepted by crmtui serve.
    assert first.sent == N and not (first.failed or first.unknown or first.errors)
    assert duplicates == {}
    assert feed.failures == []
    assert feed.published == {"Send": len(messages), "Delivery": len(messages)}
    assert [e for o in recipients.truth for e in o.errors] == []

    # Per variant: the store's counters equal what the simulator delivered and the recipients did.
    scenario = scenario_repo(store).get(run["scenario_id"])
    assert scenario is not None
    step1, step2 = sorted(scenario.steps, key=lambda s: s.position)
    delivered_per_label = Counter(_label(m["Subject"]) for m in messages)
    counts = {v.name: (v.sent, v.opened, v.clicked) for v in step1.variants}
    expected = {
        name: (delivered_per_label[fragment], truth[fragment]["opened"], truth[fragment]["clicked"])
        for name, fragment in LABELS.items()
    }
    assert counts == expected
    assert sum(v[0] for v in counts.values()) == N
    assert all(v[0] > 400 for v in counts.values())  # 50/50 weights over 1,000 keys
    assert counts["A"][1] / counts["A"][0] < counts["B"][1] / counts["B"][0]  # B's subject does better

    # The follow-up went to every recipient who opened and did not unsubscribe, and to no one else.
    openers = {
        o.recipient
        for o in recipients.truth
        if _label(o.subject) in LABELS.values() and (o.opened or o.clicked) and not o.unsubscribed
    }
    follow_ups = {m["To"][0] for m in messages if _label(m["Subject"]) == ""}
    assert follow_ups == openers
    assert second.sent == len(openers)
    rows = store.query(
        "SELECT count(*) AS sent, count(opened_at) AS opened, count(clicked_at) AS clicked "
        "FROM campaign_emails WHERE step_id = ?",
        (step2.id,),
    )[0]
    assert (rows["sent"], rows["opened"], rows["clicked"]) == (
        len(follow_ups),
        truth[""]["opened"],
        truth[""]["clicked"],
    )

    # SES Delivery events came through serve: every campaign email is delivered (or opened on).
    statuses = Counter(r["status"] for r in store.query("SELECT status FROM campaign_emails"))
    assert statuses == {"delivered": len(messages)}, statuses

    # One-click unsubscribes: exactly the recipients who posted one are suppressed.
    unsubscribed = {o.recipient for o in outcomes.values() if o.unsubscribed}
    suppressed = {
        r["email"] for r in store.query("SELECT email FROM suppressions WHERE reason = 'unsubscribe'")
    }
    assert unsubscribed and suppressed == unsubscribed
