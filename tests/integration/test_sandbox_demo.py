"""The sandbox demo's wiring: the demo scenario, ``crmtui serve`` on the sandbox's https port, and
the mail flow (SES events over the loopback socket, recipients through the tracking endpoints)."""

from __future__ import annotations

import asyncio
import time

import httpx

from crmtui.config import Settings
from crmtui.engine.cycle import run_cycle
from crmtui.sandbox.demo import DEMO_RATES, DEMO_SCENARIO, engine_pass, running_demo, seed_scenario
from crmtui.sandbox.harness import TRACKING_SECRET, running_sandbox
from crmtui.sandbox.mail import SANDBOX_FROM
from crmtui.sandbox.ses_feed import SANDBOX_TOPIC
from crmtui.store import Store
from crmtui.store.scenarios import scenario_repo


def test_demo_scenario_is_valid_idempotent_and_matches_the_recipients_rates(store: Store) -> None:
    name = seed_scenario(store)
    assert seed_scenario(store) == name  # a second launch keeps the same scenario
    scenario = scenario_repo(store).get(name)
    assert scenario is not None and scenario.status == "active"
    first, second = sorted(scenario.steps, key=lambda s: s.position)
    assert [(v.name, v.weight) for v in first.variants] == [("A", 50.0), ("B", 50.0)]
    assert (second.trigger, second.parent_position) == ("opened", 1)
    assert 0 < second.delay.total_seconds() <= 120  # "a short delay suitable for a demo"
    subjects = {v.name: scenario.templates[v.template].subject.lower() for v in first.variants}
    for fragment in DEMO_RATES:
        assert [v for v, subject in subjects.items() if fragment.lower() in subject], fragment
    assert DEMO_SCENARIO.is_file()


def test_serve_port_is_https_and_answers_once_attached(settings: Settings, store: Store) -> None:
    from crmtui.cli.serve import SANDBOX_TOPIC as SERVED_TOPIC

    assert SANDBOX_TOPIC == SERVED_TOPIC  # what the feed publishes to is what `crmtui serve` accepts
    with running_sandbox(100, serve=True) as sb:
        live = sb.apply_to(settings)
        assert live.public_base_url == sb.urls["serve"] and live.public_base_url.startswith("https://")
        assert live.tracking_secret.reveal() == TRACKING_SECRET and len(TRACKING_SECRET) >= 16
        assert live.email_from == SANDBOX_FROM
        assert live.connectors()["ses"] and live.ses_endpoint_url == sb.urls["ses"]
        assert {"SES_REGION", "SES_ACCESS_KEY_ID", "SES_SECRET_ACCESS_KEY", "EMAIL_FROM"} <= set(sb.env())
        url = sb.urls["serve"] + "/health"
        verify = sb.tls.client_context()
        assert httpx.get(url, verify=verify).status_code == 503
        sb.attach_serve(live, store)
        assert httpx.get(url, verify=verify).json()["status"] == "ok"
        sb.detach_serve()
        assert httpx.get(url, verify=verify).status_code == 503


async def test_demo_flow_over_loopback(settings: Settings, store: Store) -> None:
    """Sync, seed, one background pass: the emails go out, SES events come back through serve,
    the recipients' opens reach serve. They act at once here, so serve takes them for machine
    opens and does not count them: that is why the demo waits 35 s and more."""
    with running_sandbox(100, serve=True) as sb:
        live = sb.apply_to(settings)
        synced = await run_cycle(live, store, owner="test", only=("sync",))
        assert synced.status == "ok"
        with running_demo(sb, live, delay=(0.0, 0.0)) as flow:
            assert await engine_pass(live, store)
            sent = len(sb.ses.messages)
            assert sent > 5
            deadline = time.monotonic() + 20
            while len(flow.recipients.truth) < sent and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            assert flow.feed.published == {"Send": sent, "Delivery": sent}, flow.feed.failures
            assert len(flow.recipients.truth) == sent
            await engine_pass(live, store)
    assert sb.ses.duplicates() == {}
    assert [e for o in flow.recipients.truth for e in o.errors] == []
    statuses = {r["status"] for r in store.query("SELECT status FROM campaign_emails")}
    assert statuses == {"delivered"}
    opened = sum(o.opened for o in flow.recipients.truth)
    assert opened > 0
    opens = store.query(
        "SELECT machine, subtype FROM email_event_log WHERE kind = 'open' AND source = 'pixel'"
    )
    assert len(opens) == opened and all(r["machine"] == 1 and r["subtype"] == "too_fast" for r in opens)
    scenario = scenario_repo(store).all()[0]
    assert sum(v.sent for v in scenario.steps[0].variants) == sent
    assert sum(v.opened for v in scenario.steps[0].variants) == 0
