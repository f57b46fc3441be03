"""Settings that work: a scenario's ``sender`` is honoured, TEST mode covers scenario sends, visibly."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace

import pytest

from crmtui.cli.headless import run_headless
from crmtui.config import Settings
from crmtui.engine import scenarios as sc
from crmtui.engine.sending import run_tick
from crmtui.i18n import set_language
from crmtui.sandbox.loopback import LoopbackServer
from crmtui.sandbox.mail import SesSim, SmtpSink
from crmtui.store import Store
from crmtui.store.scenarios import scenario_repo
from tests.integration.send_support import (
    delivered,
    make_scenario,
    ses_settings,
    sink_delivered,
    smtp_settings,
)


@pytest.fixture
def ses() -> Iterator[tuple[SesSim, str]]:
    sim = SesSim(max_send_rate=200)
    server = LoopbackServer(sim.app)
    url = server.start()
    yield sim, url
    server.stop()


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as s:
        yield s


async def test_each_scenario_uses_its_own_sender_when_ses_and_smtp_are_both_configured(
    store: Store, settings: Settings, ses: tuple[SesSim, str], sink: SmtpSink
) -> None:
    sim, url = ses
    both = smtp_settings(ses_settings(settings, url), sink)
    by_smtp = make_scenario(store, ["a1@exemple.fr", "a2@exemple.fr"], name="Par SMTP", sender="smtp")
    by_auto = make_scenario(store, ["b1@exemple.fr"], name="Auto")
    by_ses = make_scenario(store, ["c1@exemple.fr"], name="Par SES", sender="ses")
    result = await run_tick(both, store)
    assert result.sent == 4 and not result.errors
    assert sink_delivered(sink) == {"a1@exemple.fr": 1, "a2@exemple.fr": 1}
    assert delivered(sim) == {"b1@exemple.fr": 1, "c1@exemple.fr": 1}  # auto prefers SES
    senders = {
        r["scenario_id"]: r["sender"] for r in store.query("SELECT scenario_id, sender FROM operation_ledger")
    }
    assert senders == {by_smtp.id: "smtp", by_auto.id: "ses", by_ses.id: "ses"}


async def test_a_scenario_whose_sender_is_not_configured_sends_nothing_and_says_so(
    store: Store, settings: Settings, ses: tuple[SesSim, str]
) -> None:
    sim, url = ses
    scenario = make_scenario(store, ["a1@exemple.fr"], name="Par SMTP", sender="smtp")
    make_scenario(store, ["b1@exemple.fr"], name="Auto")
    result = await run_tick(ses_settings(settings, url), store)
    assert result.sent == 1 and delivered(sim) == {"b1@exemple.fr": 1}  # the SMTP one was not sent by SES
    assert len(result.errors) == 1 and "Par SMTP" in result.errors[0] and "smtp" in result.errors[0]
    assert scenario_repo(store).ledger_counts(scenario.id) == {}


# -- TEST mode ------------------------------------------------------------------------------------------


AUDIENCE = ["anne@exemple.fr", "vraie.cliente@free.fr", "paul@exemple.fr", "pierre@gmail.com"]


async def test_test_mode_holds_back_addresses_outside_the_filter_and_counts_them(
    store: Store, settings: Settings, sink: SmtpSink
) -> None:
    live = replace(smtp_settings(settings, sink), sync_mode="test", test_email_filter="@exemple")
    scenario = make_scenario(store, AUDIENCE)
    result = await run_tick(live, store)
    assert result.sent == 2 and result.held_back == 2 and result.failed == 0 and result.deferred == 0
    assert sink_delivered(sink) == {"anne@exemple.fr": 1, "paul@exemple.fr": 1}
    # Held back: never claimed, and their sequence is still due (not failed, not skipped for good).
    contacts = {r["contact"] for r in store.query("SELECT contact FROM operation_ledger")}
    assert contacts == {"anne@exemple.fr", "paul@exemple.fr"}
    due = {r["contact"] for r in store.query("SELECT contact FROM contact_sequences WHERE next_position = 1")}
    assert due == {"vraie.cliente@free.fr", "pierre@gmail.com"}
    line = sc.summarize(result)
    assert "2 held back (TEST mode" in line and "@exemple" in line
    set_language("fr")
    try:
        assert "2 retenu(s) (mode TEST" in sc.summarize(result)
    finally:
        set_language("en")
    again = await run_tick(live, store)  # held back again, still counted, still nothing sent to them
    assert again.held_back == 2 and again.sent == 0 and len(sink.messages) == 2
    production = await run_tick(replace(live, sync_mode="production"), store)
    assert production.sent == 2 and production.held_back == 0
    assert sink_delivered(sink) == {a: 1 for a in AUDIENCE}
    assert scenario_repo(store).ledger_counts(scenario.id) == {"sent": 4}


def test_headless_tick_line_says_how_many_were_held_back(
    store: Store, settings: Settings, sink: SmtpSink
) -> None:
    live = replace(smtp_settings(settings, sink), sync_mode="test", test_email_filter="@exemple")
    make_scenario(store, AUDIENCE)
    out = io.StringIO()
    run_headless(live, only=("scenarios",), out=out)
    text = out.getvalue()
    assert "TEST" in text.splitlines()[0]  # the banner
    assert "2 sent" in text and "2 held back (TEST mode" in text, text
    assert sink_delivered(sink) == {"anne@exemple.fr": 1, "paul@exemple.fr": 1}
