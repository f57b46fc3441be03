"""A send whose fate is unknown is never re-sent: SES behind a real fault proxy.

The proxy (:class:`crmtui.sandbox.proxy.FaultProxy`) forwards every SendEmail to the SES simulator,
which accepts and counts it, and only then answers the client with a gateway 502/503/504, a reset,
a truncated body or nothing at all. Whatever the answer, each recipient must be delivered exactly
once over three ticks, and the ledger must say ``unknown``, never ``failed`` or ``deferred``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from crmtui.config import Settings
from crmtui.connectors.ses import SEND_PATH, SesClient
from crmtui.engine.sending import run_tick
from crmtui.sandbox.loopback import LoopbackServer
from crmtui.sandbox.mail import SesSim
from crmtui.sandbox.proxy import FaultProxy
from crmtui.store import Store
from crmtui.store.scenarios import Scenario, scenario_repo
from tests.integration.send_support import EMAILS, delivered, make_scenario, ses_settings


@pytest.fixture
def ses_behind_proxy() -> Iterator[tuple[SesSim, FaultProxy]]:
    sim = SesSim(max_send_rate=200)
    server = LoopbackServer(sim.app)
    url = server.start()
    proxy = FaultProxy(url, path_prefix=SEND_PATH).start()  # GetAccount always passes
    yield sim, proxy
    proxy.stop()
    server.stop()


def wait_for(condition: object, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def assert_each_once_and_unknown(sim: SesSim, store: Store, scenario: Scenario) -> None:
    wait_for(lambda: sum(delivered(sim).values()) >= len(EMAILS))
    assert delivered(sim) == Counter(EMAILS)  # exactly once each, as SES saw it
    assert scenario_repo(store).ledger_counts(scenario.id) == {"unknown": len(EMAILS)}
    held = store.query("SELECT status, reason FROM contact_sequences WHERE scenario_id = ?", (scenario.id,))
    assert {(r["status"], r["reason"]) for r in held} == {("held", "outcome unknown")}


@pytest.mark.parametrize("fault", ["502", "503", "504", "reset", "truncate"])
async def test_a_gateway_fault_after_ses_accepted_is_unknown_and_never_resent(
    store: Store, settings: Settings, ses_behind_proxy: tuple[SesSim, FaultProxy], fault: str
) -> None:
    sim, proxy = ses_behind_proxy
    scenario = make_scenario(store, EMAILS)
    proxy.fault = fault  # type: ignore[assignment]
    live = ses_settings(settings, proxy.url)
    results = [await run_tick(live, store, retry_pause=0.05) for _ in range(3)]
    assert results[0].unknown == len(EMAILS)
    assert all(r.failed == 0 and r.deferred == 0 and r.sent == 0 and not r.errors for r in results)
    assert results[1].total == 0 and results[2].total == 0  # unknown rows are never claimed again
    assert proxy.faulted[fault] == len(EMAILS)  # one SendEmail per recipient reached the proxy
    assert proxy.forwarded[f"POST {SEND_PATH}"] == len(EMAILS)
    assert_each_once_and_unknown(sim, store, scenario)


async def test_no_answer_after_ses_accepted_is_unknown_and_never_resent(
    store: Store, settings: Settings, ses_behind_proxy: tuple[SesSim, FaultProxy]
) -> None:
    sim, proxy = ses_behind_proxy
    scenario = make_scenario(store, EMAILS)
    proxy.fault = "hang"
    live = ses_settings(settings, proxy.url)
    async with httpx.AsyncClient() as http:
        client = SesClient(
            http,
            region=live.ses_region,
            access_key_id=live.ses_access_key_id,
            secret_access_key=live.ses_secret_access_key,
            endpoint_url=proxy.url,
        )
        await client.get_account()  # the account read keeps the generous default timeout
        client.timeout = 3.0  # the sends are expected to time out: keep the test short
        results = [await run_tick(live, store, sender=client, retry_pause=0.05) for _ in range(3)]
    assert results[0].unknown == len(EMAILS) and results[0].failed == 0 and results[0].deferred == 0
    assert results[1].total == 0 and results[2].total == 0
    assert all("may or may not" in str(r["error"]) for r in scenario_repo(store).unknown())
    assert_each_once_and_unknown(sim, store, scenario)


async def test_an_explicit_ses_refusal_through_the_proxy_fails_only_that_recipient(
    store: Store, settings: Settings, ses_behind_proxy: tuple[SesSim, FaultProxy]
) -> None:
    sim, proxy = ses_behind_proxy
    scenario = make_scenario(store, EMAILS)
    sim.reject_addresses.add(EMAILS[4])  # 400 MessageRejected: SES said no, in its own words
    live = ses_settings(settings, proxy.url)
    results = [await run_tick(live, store) for _ in range(3)]
    assert results[0].sent == 9 and results[0].failed == 1 and results[0].unknown == 0
    assert results[1].total == 0 and results[2].total == 0
    assert delivered(sim) == Counter(e for e in EMAILS if e != EMAILS[4])
    assert scenario_repo(store).ledger_counts(scenario.id) == {"failed": 1, "sent": 9}


async def test_ses_own_500_is_unknown_too(
    store: Store, settings: Settings, ses_behind_proxy: tuple[SesSim, FaultProxy]
) -> None:
    from crmtui.sandbox.control import Fault

    sim, proxy = ses_behind_proxy
    scenario = make_scenario(store, EMAILS[:3])
    sim.control.add_fault(Fault("status", status=500, path_prefix=SEND_PATH), times=3)
    result = await run_tick(ses_settings(settings, proxy.url), store)
    # SES's InternalFailure does not say the message was refused: unknown, not retried.
    assert result.unknown == 3 and result.failed == 0 and result.deferred == 0
    assert proxy.forwarded[f"POST {SEND_PATH}"] == 3
    assert scenario_repo(store).ledger_counts(scenario.id) == {"unknown": 3}
