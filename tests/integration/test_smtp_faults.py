"""SMTP: a message the relay accepted whose 250 never arrived is ``unknown``, never sent again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crmtui.config import Settings
from crmtui.connectors.smtp import SmtpSender
from crmtui.engine.sending import run_tick
from crmtui.sandbox.mail import SmtpSink
from crmtui.store import Store
from crmtui.store.scenarios import scenario_repo
from tests.integration.send_support import EMAILS, make_scenario, sink_delivered, smtp_settings


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as s:
        yield s


async def test_a_lost_250_after_data_is_unknown_and_never_resent(
    store: Store, settings: Settings, sink: SmtpSink
) -> None:
    scenario = make_scenario(store, EMAILS)
    sink.lose_reply = "drop"  # accepted and counted, then the connection dies before the 250
    live = smtp_settings(settings, sink)
    sender = SmtpSender(sink.host, sink.port, starttls=False, validate_certs=False, connections=10)
    try:
        results = [await run_tick(live, store, sender=sender) for _ in range(3)]
    finally:
        await sender.close()
    assert results[0].unknown == len(EMAILS) and results[0].failed == 0 and results[0].deferred == 0
    assert results[1].total == 0 and results[2].total == 0
    assert sink_delivered(sink) == {e: 1 for e in EMAILS}  # the relay has each exactly once
    assert scenario_repo(store).ledger_counts(scenario.id) == {"unknown": len(EMAILS)}


async def test_an_idle_connection_the_relay_closed_is_replaced_without_a_failure(
    store: Store, settings: Settings, sink: SmtpSink
) -> None:
    scenario = make_scenario(store, EMAILS[:2])
    sender = SmtpSender(sink.host, sink.port, starttls=False, validate_certs=False, connections=1)
    try:
        first = await run_tick(smtp_settings(settings, sink), store, sender=sender)
        assert first.sent == 2 and len(sender._idle) == 1
        sender._idle[0].close()  # the relay dropped the idle connection (its own timeout)
        make_scenario(store, EMAILS[2:4], name="Suite")
        second = await run_tick(smtp_settings(settings, sink), store, sender=sender)
    finally:
        await sender.close()
    assert second.sent == 2 and not second.errors and second.deferred == 0
    assert sink_delivered(sink) == {e: 1 for e in EMAILS[:4]}
    assert scenario_repo(store).ledger_counts(scenario.id) == {"sent": 2}
