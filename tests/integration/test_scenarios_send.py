"""Scenario sends through the real senders: SMTP against an aiosmtpd sink, SES v2 against the simulator."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from crmtui.config import Settings
from crmtui.connectors.errors import AuthError
from crmtui.connectors.ses import SesClient
from crmtui.engine import scenarios as sc
from crmtui.engine.ab import ledger_key
from crmtui.engine.sending import run_tick
from crmtui.engine.sending_rules import message_id_for
from crmtui.sandbox.control import Fault
from crmtui.sandbox.loopback import LoopbackServer
from crmtui.sandbox.mail import SANDBOX_FROM, SES_ACCESS_KEY_ID, SES_SECRET_ACCESS_KEY, SesSim, SmtpSink
from crmtui.secrets import Secret
from crmtui.store import Store
from crmtui.store.scenarios import Audience, Scenario, Step, TemplateRow, Variant, scenario_repo

FROM = "Domaine Exemple <contact@domaine-exemple.fr>"


def make_scenario(
    store: Store, emails: list[str], name: str = "Bienvenue", now: datetime | None = None, **kw: object
) -> Scenario:
    s = Scenario(
        name=name,
        window_start="00:00",
        window_end="24:00",
        send_days=[1, 2, 3, 4, 5, 6, 7],
        audience=Audience(emails=emails),
        steps=[
            Step(1, "welcome", "a", variants=[Variant("A", "a", 1), Variant("B", "b", 1)]),
            Step(2, "reminder", "a", trigger="delay", delay_days=3),
        ],
        templates={
            "a": TemplateRow(
                "a",
                "Bonjour {{first_name}}",
                "<p>Bonjour {{contact_name}}</p><a href='{{unsubscribe_link}}'>x</a>",
            ),
            "b": TemplateRow("b", "Hello {{email}}", "", "Hello {{email}}"),
        },
        **kw,  # type: ignore[arg-type]
    )
    s.id = scenario_repo(store).save(s)
    sc.start(store, name, now=now)
    loaded = scenario_repo(store).get(name)
    assert loaded is not None
    return loaded


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as s:
        yield s


def smtp(settings: Settings, sink: SmtpSink) -> Settings:
    return replace(settings, smtp_host=sink.host, smtp_port=sink.port, smtp_starttls=False, email_from=FROM)


@pytest.fixture
def ses() -> Iterator[tuple[SesSim, str]]:
    sim = SesSim(max_send_rate=200)
    server = LoopbackServer(sim.app)
    url = server.start()
    yield sim, url
    server.stop()


def ses_settings(settings: Settings, url: str) -> Settings:
    return replace(
        settings,
        ses_region="eu-west-3",
        ses_access_key_id=SES_ACCESS_KEY_ID,
        ses_secret_access_key=Secret(SES_SECRET_ACCESS_KEY),
        ses_endpoint_url=url,
        email_from=SANDBOX_FROM,
        public_base_url="https://crm.domaine-exemple.fr",
    )


EMAILS = [f"client{i}@exemple.fr" for i in range(30)]


# -- SMTP ------------------------------------------------------------------------------------------


async def test_smtp_sends_once_with_one_click_unsubscribe_and_a_deterministic_message_id(
    store: Store, settings: Settings, sink: SmtpSink
) -> None:
    scenario = make_scenario(store, EMAILS)
    result = await run_tick(smtp(settings, sink), store)
    assert result.sent == 30 and result.failed == 0
    assert len(sink.deliveries) == 30 and not sink.duplicates()
    again = await run_tick(smtp(settings, sink), store)
    assert again.sent == 0 and len(sink.messages) == 30  # the next step is three days away
    rows = list(scenario_repo(store).ledger_rows(scenario.id))
    by_contact = {r["contact"]: r for r in rows}
    for m in sink.messages:
        headers = m["headers"]
        assert headers["List-Unsubscribe"].strip().startswith("<https://")
        assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        row = by_contact[m["to"][0]]
        key = ledger_key(scenario.id, row["step_id"], row["contact"], row["template"])
        assert row["key"] == key and m["message_id"] == message_id_for(key, FROM)
    history = store.query("SELECT * FROM contact_history WHERE source = 'scenarios'")
    assert len(history) == 30 and {h["channel"] for h in history} == {"EMAIL"}
    assert {h["campaign"] for h in history} == {"Bienvenue"}
    variants = {v.name: v.sent for v in scenario_repo(store).get("Bienvenue").steps[0].variants}  # type: ignore[union-attr]
    assert sum(variants.values()) == 30 and min(variants.values()) > 0


async def test_smtp_throttling_is_retried_and_never_fails_a_recipient(
    store: Store, settings: Settings, sink: SmtpSink
) -> None:
    make_scenario(store, EMAILS[:10])
    sink.throttle_next = 4  # 454 Throttling failure on the next four MAIL FROM
    result = await run_tick(smtp(settings, sink), store, retry_pause=0.05)
    assert sink.throttled == 4 and result.throttled == 4
    assert result.failed == 0 and len(sink.deliveries) == 10 and not sink.duplicates()
    assert scenario_repo(store).ledger_counts() == {"sent": 10}


async def test_smtp_one_rejected_recipient_does_not_stop_the_batch(
    store: Store, settings: Settings, sink: SmtpSink
) -> None:
    scenario = make_scenario(store, EMAILS[:10])
    sink.reject_addresses.add(EMAILS[3])
    result = await run_tick(smtp(settings, sink), store)
    assert result.failed == 1 and result.sent == 9 and len(sink.deliveries) == 9
    assert scenario_repo(store).ledger_counts(scenario.id) == {"failed": 1, "sent": 9}
    seq = store.query("SELECT status, reason FROM contact_sequences WHERE contact = ?", (EMAILS[3],))[0]
    assert seq["status"] == "stopped" and "550" in seq["reason"]


async def test_smtp_login(store: Store, settings: Settings) -> None:
    with SmtpSink(username="crm", password="s3cret-pass") as sink:
        make_scenario(store, EMAILS[:2])
        live = replace(smtp(settings, sink), smtp_user="crm", smtp_password=Secret("s3cret-pass"))
        assert (await run_tick(live, store)).sent == 2
        bad = replace(live, smtp_password=Secret("wrong"))
        make_scenario(store, ["late@exemple.fr"], name="Other")
        result = await run_tick(bad, store)
        assert result.sent == 0 and result.errors and result.deferred == 1
        assert scenario_repo(store).ledger_counts()["deferred"] == 1  # known not sent: claimable again


# -- SES ------------------------------------------------------------------------------------------------


async def test_ses_sends_with_headers_tags_and_a_verified_signature(
    store: Store, settings: Settings, ses: tuple[SesSim, str]
) -> None:
    sim, url = ses
    scenario = make_scenario(store, EMAILS)
    result = await run_tick(replace(ses_settings(settings, url), ses_configuration_set="crm-events"), store)
    assert result.sent == 30 and len(sim.deliveries) == 30 and not sim.duplicates()
    msg = sim.messages[0]
    assert msg["Headers"]["List-Unsubscribe"].startswith("<https://crm.domaine-exemple.fr/u/")
    assert msg["Headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["ConfigurationSetName"] == "crm-events"
    keys = {r["key"] for r in scenario_repo(store).ledger_rows(scenario.id)}
    assert {m["Tags"]["ledger_key"] for m in sim.messages} == keys
    provider_ids = {r["provider_id"] for r in scenario_repo(store).ledger_rows(scenario.id)}
    assert provider_ids == {m["MessageId"] for m in sim.messages}


async def test_ses_throttling_is_retried_and_one_rejection_fails_only_that_recipient(
    store: Store, settings: Settings, ses: tuple[SesSim, str]
) -> None:
    sim, url = ses
    scenario = make_scenario(store, EMAILS)
    sim.reject_addresses.add(EMAILS[5])
    sim.control.add_fault(Fault("rate_limit"), times=3)  # 429 {"message":"Maximum sending rate exceeded."}
    live = ses_settings(settings, url)
    result = await run_tick(live, store, retry_pause=0.05)
    # The account said 200/s, but the simulator now allows 5/s: 429s come back and are retried.
    assert result.failed == 1 and result.sent == 29
    assert len(sim.deliveries) == 29 and not sim.duplicates()
    assert scenario_repo(store).ledger_counts(scenario.id) == {"failed": 1, "sent": 29}


async def test_ses_client_paces_at_max_send_rate_and_retries_429() -> None:
    sim = SesSim(max_send_rate=10)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sim.app), base_url="http://ses.test"
    ) as http:
        client = SesClient(
            http,
            region="eu-west-3",
            access_key_id=SES_ACCESS_KEY_ID,
            secret_access_key=Secret(SES_SECRET_ACCESS_KEY),
            endpoint_url="http://ses.test",
        )
        account = await client.get_account()
        assert account.max_send_rate == 10 and account.remaining_24h == 50_000
        sim.max_send_rate = 5  # the account slows down after we read it
        from crmtui.connectors.smtp import OutgoingEmail

        started = asyncio.get_running_loop().time()
        ids = await asyncio.gather(
            *(
                client.send(
                    OutgoingEmail(f"k{i}", f"m{i}@x.fr", SANDBOX_FROM, f"c{i}@exemple.fr", "s", "", "t")
                )
                for i in range(15)
            )
        )
        assert len(set(ids)) == 15 and len(sim.deliveries) == 15
        assert sim.throttled > 0 and client.retries >= sim.throttled
        assert asyncio.get_running_loop().time() - started >= 1.0

        bad = SesClient(
            http,
            region="eu-west-3",
            access_key_id=SES_ACCESS_KEY_ID,
            secret_access_key=Secret("wrong-secret"),
            endpoint_url="http://ses.test",
        )
        with pytest.raises(AuthError):
            await bad.get_account()


async def test_ses_unverified_sender_stops_the_tick_with_one_notice_and_no_failed_recipient(
    store: Store, settings: Settings, ses: tuple[SesSim, str]
) -> None:
    sim, url = ses
    scenario = make_scenario(store, EMAILS[:10])
    unverified = replace(ses_settings(settings, url), email_from="x@not-verified.fr")
    result = await run_tick(unverified, store)
    assert result.failed == 0 and result.sent == 0 and not sim.deliveries
    assert len(result.errors) == 1 and "not verified" in result.errors[0] and "EMAIL_FROM" in result.errors[0]
    assert sim.rejected == 1  # the first send went alone: the nine others were never claimed
    assert scenario_repo(store).ledger_counts(scenario.id) == {"deferred": 1}
    assert scenario_repo(store).sequence_counts(scenario.id) == {"active": 10}  # all still due
    fixed = await run_tick(ses_settings(settings, url), store)  # a verified sender: everyone gets it
    assert fixed.sent == 10 and len(sim.deliveries) == 10 and not sim.duplicates()


async def test_ses_daily_quota_defers_without_failing(
    store: Store, settings: Settings, ses: tuple[SesSim, str]
) -> None:
    sim, url = ses
    sim.max_24h_send = 5
    make_scenario(store, EMAILS[:10])
    result = await run_tick(ses_settings(settings, url), store)
    assert result.sent == 5 and result.failed == 0 and result.deferred >= 1
    assert "quota" in result.errors[0].lower()


# -- the ledger's checks ---------------------------------------------------------------------------------


async def test_daily_cap_is_exact_and_counted_per_local_day(
    store: Store, settings: Settings, sink: SmtpSink
) -> None:
    day1 = datetime(2025, 6, 30, 21, 0, tzinfo=UTC)  # 23:00 in Paris
    scenario = make_scenario(store, EMAILS, now=day1, daily_cap=7, timezone="Europe/Paris")
    result = await run_tick(smtp(settings, sink), store, now=lambda: day1)
    assert result.sent == 7 and result.refused["cap"] == 1
    assert scenario_repo(store).sent_today(scenario.id, "2025-06-30") == 7
    # 22:30 UTC is already 1 July in Paris: a new day, a new cap.
    day2 = day1 + timedelta(minutes=90)
    assert (await run_tick(smtp(settings, sink), store, now=lambda: day2)).sent == 7
    assert scenario_repo(store).sent_today(scenario.id, "2025-07-01") == 7
    assert len(sink.deliveries) == 14


async def test_suppressed_unsubscribed_and_filtered_contacts_get_nothing(
    store: Store, settings: Settings, sink: SmtpSink
) -> None:
    emails = ["ok@exemple.fr", "gone@exemple.fr", "unsub@exemple.fr", "x@rival.fr", "bad@@exemple.fr"]
    with store.write() as db:
        db.execute(
            "INSERT INTO contacts (email, mailchimp_status, updated_at) VALUES ('unsub@exemple.fr', 'unsubscribed', '')"
        )
    scenario_repo(store).suppress("gone@exemple.fr", "complaint", source="ses")
    scenario = make_scenario(store, emails, exclude_domains=["rival.fr"])
    # Production mode: in TEST mode x@rival.fr would be held back before its filter is checked.
    result = await run_tick(replace(smtp(settings, sink), sync_mode="production"), store)
    assert result.sent == 1 and [m["to"] for m in sink.messages] == [["ok@exemple.fr"]]
    assert result.refused["suppressed"] == 2 and result.refused["filtered"] == 2
    statuses = scenario_repo(store).sequence_counts(scenario.id)
    assert statuses == {"active": 1, "unsubscribed": 2, "filtered": 2}


async def test_cooldown_across_scenarios(store: Store, settings: Settings, sink: SmtpSink) -> None:
    make_scenario(store, ["anne@exemple.fr"], name="First")
    await run_tick(smtp(settings, sink), store)
    second = make_scenario(store, ["anne@exemple.fr", "paul@exemple.fr"], name="Second", cooldown_days=2)
    result = await run_tick(smtp(settings, sink), store)
    assert result.sent == 1 and result.refused["cooldown"] == 1
    seq = store.query(
        "SELECT next_send_at FROM contact_sequences WHERE scenario_id = ? AND contact = 'anne@exemple.fr'",
        (second.id,),
    )[0]
    assert seq["next_send_at"] > (datetime.now(UTC) + timedelta(days=1, hours=23)).isoformat()


async def test_outside_the_window_nothing_is_claimed(
    store: Store, settings: Settings, sink: SmtpSink
) -> None:
    make_scenario(store, EMAILS[:3])
    with store.write() as db:
        db.execute(
            "UPDATE scenarios SET window_start = '09:00', window_end = '18:00', send_days = '[1,2,3,4,5]'"
        )
    saturday = datetime(2025, 1, 18, 10, 0, tzinfo=UTC)
    result = await run_tick(smtp(settings, sink), store, now=lambda: saturday)
    assert result.sent == 0 and not sink.messages and not scenario_repo(store).ledger_counts()


async def test_a_dead_claim_becomes_unknown_and_is_never_resent_until_settled(
    store: Store, settings: Settings, sink: SmtpSink
) -> None:
    scenario = make_scenario(store, EMAILS[:3])
    step = scenario.steps[0]
    key = ledger_key(scenario.id, step.id, EMAILS[0], "a")
    with store.write() as db:  # a claim left by a process that died (pid 999999 on this host)
        import socket

        db.execute(
            "INSERT INTO operation_ledger (key, scenario_id, step_id, position, contact, template, status, local_day, "
            "claimed_at, owner, message_id) VALUES (?, ?, ?, 1, ?, 'a', 'claimed', '2025-01-01', ?, ?, ?)",
            (
                key,
                scenario.id,
                step.id,
                EMAILS[0],
                datetime.now(UTC).isoformat(timespec="seconds"),
                f"{socket.gethostname()}:999999:dead",
                f"{key[:40]}@domaine-exemple.fr",
            ),
        )
    result = await run_tick(smtp(settings, sink), store)
    assert result.recovered == 1 and result.sent == 2
    assert EMAILS[0] not in {m["to"][0] for m in sink.messages}
    repo = scenario_repo(store)
    assert [r["key"] for r in repo.unknown()] == [key]
    assert (await run_tick(smtp(settings, sink), store)).sent == 0  # still never re-sent
    assert repo.resolve_unknown(key, "not_sent", actor="test")
    assert (await run_tick(smtp(settings, sink), store)).sent == 1
    assert sink.deliveries[f"{key[:40]}@domaine-exemple.fr"] == 1
    assert store.audit.recent(5)[0]["action"].startswith("scenario") or any(
        a["action"] == "ledger.resolve.not_sent" for a in store.audit.recent(10)
    )


async def test_start_is_idempotent_and_pause_stops_sending(
    store: Store, settings: Settings, sink: SmtpSink
) -> None:
    make_scenario(store, EMAILS[:5])
    assert sc.start(store, "Bienvenue") == 0  # nobody enrolled twice
    sc.set_status(store, "Bienvenue", "paused")
    assert (await run_tick(smtp(settings, sink), store)).sent == 0
    sc.set_status(store, "Bienvenue", "active")
    assert (await run_tick(smtp(settings, sink), store)).sent == 5


async def test_automatic_winner_is_recorded_in_the_audit_log(
    store: Store, settings: Settings, sink: SmtpSink
) -> None:
    scenario = make_scenario(store, [f"w{i}@exemple.fr" for i in range(120)])
    with store.write() as db:
        db.execute(
            "UPDATE scenarios SET auto_winner = ?",
            ('{"enabled": true, "metric": "opened", "min_sends": 20, "alpha": 0.05}',),
        )
    await run_tick(smtp(settings, sink), store)
    repo = scenario_repo(store)
    emails = store.query("SELECT message_id, variant_id FROM campaign_emails")
    variants = {v.name: v.id for v in scenario.steps[0].variants}
    for e in emails:  # variant A is opened by everyone, B by nobody
        if e["variant_id"] == variants["A"]:
            assert repo.record_engagement(e["message_id"], "opened")
    result = await run_tick(smtp(settings, sink), store)
    assert result.winners and "A" in result.winners[0]
    step = repo.get(scenario.id).steps[0]  # type: ignore[union-attr]
    assert step.winner_variant_id == variants["A"]
    assert any(
        a["action"] == "scenario.winner" and a["actor"] == "auto-winner" for a in store.audit.recent(20)
    )
