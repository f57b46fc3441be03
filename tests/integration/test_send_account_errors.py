"""Account-level refusals stop the batch with one notice; per-recipient ones fail only that recipient.

SES codes and meanings: https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html
(Errors); SMTP: RFC 5321 §4.2.1 (4yz transient, 5yz permanent), RFC 4954 §6 (530, 535).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest

from crmtui.cli.headless import run_headless
from crmtui.config import Settings
from crmtui.connectors.ses import SesClient
from crmtui.connectors.smtp import AccountRefused, OutgoingEmail
from crmtui.engine.sending import run_tick
from crmtui.i18n import set_language
from crmtui.sandbox.loopback import LoopbackServer
from crmtui.sandbox.mail import SANDBOX_FROM, SesSim, SmtpSink
from crmtui.secrets import Secret
from crmtui.store import Store
from crmtui.store.scenarios import scenario_repo
from tests.integration.send_support import (
    EMAILS,
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


def assert_stopped_with_one_notice(store: Store, scenario_id: int, result: object, *words: str) -> None:
    """One notice naming ``words``; nobody failed; at most the first send deferred; everyone still due."""
    assert result.failed == 0 and result.sent == 0 and result.unknown == 0  # type: ignore[attr-defined]
    assert len(result.errors) == 1, result.errors  # type: ignore[attr-defined]
    for word in words:
        assert word in result.errors[0]  # type: ignore[attr-defined]
    assert "Fix:" in result.errors[0]  # type: ignore[attr-defined]
    counts = scenario_repo(store).ledger_counts(scenario_id)
    assert set(counts) <= {"deferred"} and counts.get("deferred", 0) <= 1
    assert scenario_repo(store).sequence_counts(scenario_id) == {"active": len(EMAILS)}


# -- SES ---------------------------------------------------------------------------------------------


async def test_ses_sending_paused_after_get_account_stops_at_the_first_send(
    store: Store, settings: Settings, ses: tuple[SesSim, str]
) -> None:
    sim, url = ses
    scenario = make_scenario(store, EMAILS)
    live = ses_settings(settings, url)
    async with httpx.AsyncClient() as http:
        client = SesClient(
            http,
            region=live.ses_region,
            access_key_id=live.ses_access_key_id,
            secret_access_key=live.ses_secret_access_key,
            endpoint_url=url,
        )
        await client.get_account()
        sim.sending_paused = True  # paused while the tick runs: SendEmail says so
        result = await run_tick(live, store, sender=client)
    assert_stopped_with_one_notice(store, scenario.id, result, "paused")
    assert sim.refused == 1 and not sim.messages  # one request, then the tick stopped
    sim.sending_paused = False
    again = await run_tick(live, store)  # fixed: everyone gets it once, the deferred one included
    assert again.sent == len(EMAILS) and delivered(sim) == {e: 1 for e in EMAILS}


@pytest.mark.parametrize(
    ("setup", "words"),
    [
        ("paused", ("paused",)),
        ("suspended", ("permanently restricted", "AWS Support")),
    ],
)
async def test_ses_account_that_may_not_send_is_refused_before_any_claim(
    store: Store, settings: Settings, ses: tuple[SesSim, str], setup: str, words: tuple[str, ...]
) -> None:
    sim, url = ses
    scenario = make_scenario(store, EMAILS)
    sim.sending_paused = setup == "paused"
    sim.suspended = setup == "suspended"
    result = await run_tick(ses_settings(settings, url), store)
    assert_stopped_with_one_notice(store, scenario.id, result, *words)
    assert scenario_repo(store).ledger_counts(scenario.id) == {}  # GetAccount said so: nothing claimed
    assert sim.refused == 0 and not sim.messages


async def test_ses_unknown_configuration_set_stops_the_tick(
    store: Store, settings: Settings, ses: tuple[SesSim, str]
) -> None:
    sim, url = ses
    scenario = make_scenario(store, EMAILS)
    sim.configuration_sets = {"crm-events"}
    result = await run_tick(replace(ses_settings(settings, url), ses_configuration_set="crm-evnts"), store)
    assert_stopped_with_one_notice(store, scenario.id, result, "SES_CONFIGURATION_SET")
    assert sim.refused == 1


async def test_ses_daily_quota_stops_the_tick_and_the_rest_stays_due(
    store: Store, settings: Settings, ses: tuple[SesSim, str]
) -> None:
    sim, url = ses
    sim.max_24h_send = 4
    scenario = make_scenario(store, EMAILS)
    result = await run_tick(ses_settings(settings, url), store, concurrency=1)
    assert result.sent == 4 and result.failed == 0 and result.deferred == 1
    assert len(result.errors) == 1 and "quota" in result.errors[0]
    assert sim.refused == 1  # quota: not retried within the run
    assert scenario_repo(store).ledger_counts(scenario.id) == {"sent": 4, "deferred": 1}


async def test_ses_sandbox_unverified_recipient_fails_only_that_recipient(
    store: Store, settings: Settings, ses: tuple[SesSim, str]
) -> None:
    sim, url = ses
    sim.production_access = False  # the SES sandbox: recipients must be verified identities too
    sim.verified |= {e for e in EMAILS if e != EMAILS[3]}
    scenario = make_scenario(store, EMAILS)
    result = await run_tick(ses_settings(settings, url), store)
    assert result.failed == 1 and result.sent == 9 and not result.errors
    assert scenario_repo(store).ledger_counts(scenario.id) == {"failed": 1, "sent": 9}


async def test_ses_client_tells_an_unverified_sender_from_an_unverified_recipient() -> None:
    sim = SesSim()
    sim.production_access = False
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sim.app), base_url="http://ses.test"
    ) as http:
        client = SesClient(
            http,
            region=sim.region,
            access_key_id=sim.access_key_id,
            secret_access_key=Secret(sim.secret_access_key),
            endpoint_url="http://ses.test",
        )
        email = OutgoingEmail("k", "m@x", "Shop <shop@not-verified.fr>", "a@exemple.fr", "s", "", "t")
        with pytest.raises(AccountRefused) as refused:
            await client.send(email)
        assert refused.value.reason == "unverified_sender"
        from crmtui.connectors.smtp import RecipientRejected

        with pytest.raises(RecipientRejected) as rejected:
            await client.send(replace(email, from_addr=SANDBOX_FROM))
        assert not isinstance(rejected.value, AccountRefused) and "a@exemple.fr" in str(rejected.value)


def test_headless_unverified_sender_one_notice_zero_failed_in_both_languages(
    store: Store, settings: Settings, ses: tuple[SesSim, str]
) -> None:
    sim, url = ses
    scenario = make_scenario(store, EMAILS)
    live = replace(ses_settings(settings, url), email_from="x@not-verified.fr")
    for lang, words, level in (("en", "not verified", "[error]"), ("fr", "n'est pas vérifiée", "[erreur]")):
        set_language(lang)
        try:
            out = io.StringIO()
            run_headless(live, only=("scenarios",), out=out)
        finally:
            set_language("en")
        lines = out.getvalue().splitlines()
        notices = [line for line in lines if level in line]
        assert len(notices) == 1 and words in notices[0], out.getvalue()
    assert scenario_repo(store).ledger_counts(scenario.id) == {"deferred": 1}
    assert sim.refused == 2 and not sim.messages  # one request per run
    assert store.query("SELECT failed FROM scenarios WHERE id = ?", (scenario.id,))[0]["failed"] == 0


# -- SMTP --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mail", "rcpt", "words"),
    [
        ("530 5.7.0 Authentication required", "", ("530", "SMTP_USER")),
        ("", "554 5.7.1 <client0@exemple.fr>: Relay access denied", ("Relay access denied", "relay")),
        ("553 5.7.1 Sender address rejected: not owned by user", "", ("Sender address rejected",)),
        ("454 4.7.0 Throttling failure: Daily message quota exceeded.", "", ("quota",)),
    ],
)
async def test_smtp_account_refusals_stop_the_tick_with_one_notice(
    store: Store, settings: Settings, sink: SmtpSink, mail: str, rcpt: str, words: tuple[str, ...]
) -> None:
    scenario = make_scenario(store, EMAILS)
    sink.refuse_mail, sink.refuse_rcpt = mail, rcpt
    result = await run_tick(smtp_settings(settings, sink), store)
    assert_stopped_with_one_notice(store, scenario.id, result, *words)
    assert sink.refused == 1 and not sink.messages


async def test_smtp_refusals_for_one_recipient_and_deferrals_stay_per_recipient(
    store: Store, settings: Settings, sink: SmtpSink
) -> None:
    scenario = make_scenario(store, EMAILS)
    sink.reject_addresses.add(EMAILS[2])  # 550 5.1.1 User unknown: that recipient only
    sink.throttle_next = 2  # 454 Throttling failure: deferred, retried
    result = await run_tick(smtp_settings(settings, sink), store, retry_pause=0.05)
    assert result.failed == 1 and result.sent == 9 and not result.errors
    assert sink_delivered(sink) == {e: 1 for e in EMAILS if e != EMAILS[2]}
    assert scenario_repo(store).ledger_counts(scenario.id) == {"failed": 1, "sent": 9}
