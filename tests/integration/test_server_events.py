"""``crmtui serve`` end to end in-process: SNS (forgeries, replays, confirmations), webhooks, tracking,
unsubscribe, and what the events processor does with each."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from crmtui.config import Settings
from crmtui.engine.events_in import EventProcessor
from crmtui.engine.sending import run_tick
from crmtui.sandbox.sns import SnsPublisher
from crmtui.store import Store
from crmtui.store.events import EventsRepo
from crmtui.store.scenarios import scenario_repo
from tests.integration.events_support import (
    SECRETS,
    T0,
    RecordingSender,
    app_for,
    client_for,
    links_of,
    post_ses,
    publisher,
    send_scenario,
    serve_settings,
)
from tests.unit.test_sns import forgery_corpus

EMAILS = [f"client{i}@exemple.fr" for i in range(10)]
HUMAN = {"user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/126.0"}


def nothing_written(store: Store) -> bool:
    events = EventsRepo(store)
    return (
        events.count_inbound() == 0
        and not store.query("SELECT 1 FROM sns_seen")
        and not store.query("SELECT 1 FROM suppressions")
        and not store.query("SELECT 1 FROM event_actions")
    )


@pytest.fixture
def live(settings: Settings) -> Settings:
    return serve_settings(settings)


# -- SNS ---------------------------------------------------------------------------------------------


async def test_forgeries_rejected_and_nothing_written(live: Settings, store: Store) -> None:
    async with client_for(app_for(live, store)) as client:
        statuses = []
        for envelope in forgery_corpus().values():
            r = await client.post(
                "/sns/ses", content=json.dumps(envelope), headers={"content-type": "text/plain"}
            )
            statuses.append(r.status_code)
        r = await client.post("/sns/ses", content=b"not json")
        statuses.append(r.status_code)
    assert all(s in (400, 401, 403) for s in statuses), statuses
    assert nothing_written(store)


@pytest.mark.parametrize("version", [1, 2])
async def test_genuine_notification_queued_once_replay_ignored(
    live: Settings, store: Store, version: int
) -> None:
    pub = publisher(version)
    envelope = pub.notification(
        json.dumps({"eventType": "Delivery", "mail": {"messageId": "x"}, "delivery": {}})
    )
    body = SnsPublisher.body(envelope)
    async with client_for(app_for(live, store)) as client:
        first = await client.post("/sns/ses", content=body, headers=pub.headers(envelope))
        again = await client.post("/sns/ses", content=body, headers={"content-type": "application/json"})
    assert (first.status_code, first.text) == (200, "ok")
    assert (again.status_code, again.text) == (200, "duplicate")
    assert EventsRepo(store).count_inbound("ses") == 1


async def test_subscription_confirmed_only_for_allowed_topics(live: Settings, store: Store) -> None:
    fetched: list[str] = []

    async def confirm(url: str) -> None:
        fetched.append(url)

    app = app_for(live, store, confirm_fetcher=confirm)
    other = SnsPublisher(publisher().pki, "arn:aws:sns:eu-west-3:123456789012:not-ours", version=2)
    async with client_for(app) as client:
        refused = other.confirmation()
        r1 = await client.post("/sns/ses", content=json.dumps(refused))
        good = publisher().confirmation()
        r2 = await client.post("/sns/ses", content=json.dumps(good))
        r3 = await client.post("/sns/ses", content=json.dumps(good))
        unsub = await client.post(
            "/sns/ses", content=json.dumps(publisher(1).confirmation("UnsubscribeConfirmation"))
        )
    assert r1.status_code == 403
    assert (r2.status_code, r2.text, r3.text) == (200, "confirmed", "duplicate")
    assert fetched == [good["SubscribeURL"]]
    assert unsub.status_code == 200 and len(fetched) == 1  # an UnsubscribeConfirmation is only noted


# -- Mailchimp and Copper webhooks ----------------------------------------------------------------------


async def test_mailchimp_webhook(live: Settings, store: Store) -> None:
    _, _ = await send_scenario(live, store, EMAILS[:2])
    form = {
        "type": "unsubscribe",
        "fired_at": "2025-06-02 10:00:00",
        "data[action]": "unsub",
        "data[email]": EMAILS[0],
        "data[list_id]": "L1",
    }
    async with client_for(app_for(live, store)) as client:
        assert (await client.get(f"/webhooks/mailchimp/{SECRETS.mailchimp}")).status_code == 200
        assert (await client.get("/webhooks/mailchimp/wrong")).status_code == 403
        assert (await client.post("/webhooks/mailchimp/wrong", data=form)).status_code == 403
        assert EventsRepo(store).count_inbound() == 0
        ok = await client.post(f"/webhooks/mailchimp/{SECRETS.mailchimp}", data=form)
        retry = await client.post(f"/webhooks/mailchimp/{SECRETS.mailchimp}", data=form)
    assert ok.status_code == retry.status_code == 200
    events = EventsRepo(store)
    assert events.count_inbound("mailchimp") == 1  # Mailchimp's retry of the same delivery is queued once
    EventProcessor(live, store).process_pending()
    assert events.suppression(EMAILS[0])["reason"] == "unsubscribe"  # type: ignore[index]
    assert events.sequence(1, EMAILS[0])["status"] == "unsubscribed"  # type: ignore[index]
    assert events.sequence(1, EMAILS[1])["status"] == "active"  # type: ignore[index]
    targets = {(a["target"], a["action"]) for a in events.actions(EMAILS[0])}
    assert targets == {("copper", "tag")}  # Mailchimp told us: no write back to Mailchimp


async def test_copper_webhook(live: Settings, store: Store) -> None:
    note = {"ids": [11, 12], "type": "person", "event": "update", "subscription_id": 3}
    async with client_for(app_for(live, store)) as client:
        assert (await client.post("/webhooks/copper", json=note)).status_code == 401
        assert (await client.post("/webhooks/copper", json={**note, "secret": "nope"})).status_code == 401
        assert EventsRepo(store).count_inbound() == 0
        ok = await client.post("/webhooks/copper", json={**note, "secret": SECRETS.copper})
    assert ok.status_code == 200
    EventProcessor(live, store).process_pending()
    events = EventsRepo(store)
    assert events.pending_copper_ids() == {11: "update", 12: "update"}
    assert "cu-secret" not in json.dumps(store.query("SELECT payload FROM inbound_events"))


# -- opens, clicks, triggers ---------------------------------------------------------------------------


async def test_open_and_click_count_once_and_schedule_children(live: Settings, store: Store) -> None:
    scenario_id, sender = await send_scenario(live, store, EMAILS[:2])
    message = sender.sent[EMAILS[0]]
    urls = links_of(message)
    events = EventsRepo(store)
    async with client_for(app_for(live, store)) as client:
        pixel = await client.get(urls["open"], headers=HUMAN)
        await client.get(urls["open"], headers=HUMAN)
        forged = await client.get(urls["open"].replace("/t/o/", "/t/o/x"), headers=HUMAN)
    assert pixel.status_code == 200 and pixel.headers["content-type"] == "image/gif"
    assert forged.status_code == 403
    EventProcessor(live, store).process_pending()
    email = events.email(message.message_id)
    assert email is not None and email.opened_at is not None
    counts = events.variant_counts(scenario_id)
    assert sum(c["opened"] for c in counts.values()) == 1  # two pixel hits, one open
    seq = events.sequence(scenario_id, EMAILS[0])
    assert seq is not None and seq["next_position"] == 2 and seq["status"] == "active"
    assert seq["next_send_at"] > (T0 + timedelta(hours=1)).isoformat()  # the 2-hour delay after the open

    async with client_for(app_for(live, store)) as client:
        click = await client.get(urls["click"], headers=HUMAN)
        unknown_link = await client.get(
            urls["click"][: urls["click"].rfind("/") + 1] + "AAAA.AAAA", headers=HUMAN
        )
    assert click.status_code == 302
    assert click.headers["location"] in ("https://vins.exemple.fr/cuvee", "https://vins.exemple.fr/promo")
    assert unknown_link.status_code == 403
    EventProcessor(live, store).process_pending()
    counts = events.variant_counts(scenario_id)
    assert sum(c["clicked"] for c in counts.values()) == 1
    assert sum(c["opened"] for c in counts.values()) == 1
    seq = events.sequence(scenario_id, EMAILS[0])
    assert seq is not None and seq["next_position"] == 3  # the clicked branch
    history = store.query("SELECT status FROM contact_history WHERE source = 'crmtui-events'")
    assert sorted(r["status"] for r in history) == ["clicked", "opened"]


async def test_click_only_to_recorded_urls(live: Settings, store: Store) -> None:
    from crmtui.engine.tracking import TrackingSigner, click_url

    _, sender = await send_scenario(live, store, EMAILS[:1])
    signer = TrackingSigner(live.tracking_secret)
    message_id = sender.sent[EMAILS[0]].message_id
    async with client_for(app_for(live, store)) as client:
        beyond = await client.get(click_url("https://crm.exemple.fr", signer, message_id, 7))
        other_message = await client.get(click_url("https://crm.exemple.fr", signer, "nobody@x", 0))
    assert beyond.status_code == other_message.status_code == 404
    assert EventsRepo(store).count_inbound() == 0


async def test_machine_open_is_logged_but_neither_counted_nor_triggering(
    live: Settings, store: Store
) -> None:
    scenario_id, sender = await send_scenario(live, store, EMAILS[:1])
    urls = links_of(sender.sent[EMAILS[0]])
    async with client_for(app_for(live, store)) as client:
        await client.get(urls["open"], headers={"user-agent": "Mozilla/5.0"})  # Apple MPP
    EventProcessor(live, store).process_pending()
    events = EventsRepo(store)
    logged = events.events_for(sender.sent[EMAILS[0]].message_id, "open")
    assert [(e["machine"], e["subtype"]) for e in logged] == [(1, "apple_mpp")]
    assert sum(c["opened"] for c in events.variant_counts(scenario_id).values()) == 0
    seq = events.sequence(scenario_id, EMAILS[0])
    assert seq is not None and seq["next_position"] == 4  # still heading for the not_opened reminder

    # A scenario that keeps machine opens counts it.
    events.set_exclude_machine_opens(scenario_id, False)
    async with client_for(app_for(live, store)) as client:
        await client.get(urls["open"], headers={"user-agent": "Mozilla/5.0"})
    EventProcessor(live, store).process_pending()
    assert sum(c["opened"] for c in events.variant_counts(scenario_id).values()) == 1


async def test_not_opened_fires_without_a_human_open_only(live: Settings, store: Store) -> None:
    scenario_id, sender = await send_scenario(live, store, EMAILS[:2])
    async with client_for(app_for(live, store)) as client:
        await client.get(links_of(sender.sent[EMAILS[0]])["open"], headers=HUMAN)
        await client.get(links_of(sender.sent[EMAILS[1]])["open"], headers={"user-agent": "Mozilla/5.0"})
    EventProcessor(live, store).process_pending()
    # Later (the opens are stamped now, sends at T0): the reminder goes to the machine-only opener,
    # never to the human opener.
    later = RecordingSender()
    await run_tick(live, store, sender=later, now=lambda: datetime.now(UTC) + timedelta(hours=3))
    subjects = {to: m.subject for to, m in later.sent.items()}
    assert subjects.get(EMAILS[1]) == "Suite"
    assert EMAILS[0] in subjects  # the human opener got the "opened" follow-up instead...
    repo = scenario_repo(store)
    rows = {r["contact"]: r["position"] for r in repo.ledger_rows(scenario_id) if r["position"] != 1}
    assert rows == {EMAILS[0]: 2, EMAILS[1]: 4}  # ...step 2 (opened), not step 4 (not_opened)


# -- unsubscribe ---------------------------------------------------------------------------------------


async def test_unsubscribe_get_changes_nothing_post_twice_forged_rejected(
    live: Settings, store: Store
) -> None:
    scenario_id, sender = await send_scenario(live, store, EMAILS[:3])
    url = links_of(sender.sent[EMAILS[0]])["unsubscribe"]
    assert url.startswith("https://crm.exemple.fr/u/")
    events = EventsRepo(store)
    async with client_for(app_for(live, store)) as client:
        page = await client.get(url, headers={"accept-language": "fr-FR,fr;q=0.9"})
        assert page.status_code == 200 and "Me désinscrire" in page.text and EMAILS[0] in page.text
        english = await client.get(url + "?lang=en")
        assert "Unsubscribe me" in english.text
        assert events.suppression(EMAILS[0]) is None and nothing_written(store)

        forged = await client.post(url[:-3] + "AAA", data={"List-Unsubscribe": "One-Click"})
        assert forged.status_code == 403 and nothing_written(store)

        first = await client.post(url, data={"List-Unsubscribe": "One-Click"})
        second = await client.post(
            url, files={"List-Unsubscribe": (None, "One-Click")}
        )  # multipart, as RFC 8058 recommends
    for r in (first, second):
        assert r.status_code == 200
        assert "location" not in r.headers and "set-cookie" not in r.headers
    assert events.suppression(EMAILS[0])["reason"] == "unsubscribe"  # type: ignore[index]
    assert events.sequence(scenario_id, EMAILS[0])["status"] == "unsubscribed"  # type: ignore[index]
    actions = {(a["target"], a["action"]) for a in events.actions(EMAILS[0])}
    assert actions == {("mailchimp", "unsubscribe"), ("copper", "tag")}
    assert len(events.actions(EMAILS[0])) == 2  # idempotent: the second POST queued nothing more
    # Nothing more is ever sent to the address.
    later = RecordingSender()
    await run_tick(live, store, sender=later, now=lambda: datetime.now(UTC) + timedelta(days=5))
    assert EMAILS[0] not in later.sent and EMAILS[1] in later.sent


# -- bounces, complaints, unknown sends -------------------------------------------------------------------


def _ses_kw(sender: RecordingSender, email: str) -> dict[str, Any]:
    return {"message_id": sender.provider_ids[email], "recipient": email}


async def test_bounces_and_complaints(live: Settings, store: Store) -> None:
    scenario_id, sender = await send_scenario(live, store, EMAILS)
    events = EventsRepo(store)
    async with client_for(app_for(live, store)) as client:
        for email, kind in ((EMAILS[0], "Permanent"), (EMAILS[1], "Transient"), (EMAILS[2], "Undetermined")):
            r = await post_ses(
                client,
                "Bounce",
                **_ses_kw(sender, email),
                bounce={"bounceType": kind, "bouncedRecipients": [{"emailAddress": email}]},
            )
            assert r.status_code == 200
        await post_ses(client, "Delivery", **_ses_kw(sender, EMAILS[3]), delivery={})
        await post_ses(
            client, "DeliveryDelay", **_ses_kw(sender, EMAILS[5]), deliveryDelay={"delayType": "MailboxFull"}
        )
        await post_ses(
            client,
            "Complaint",
            version=1,
            field="notificationType",
            **_ses_kw(sender, EMAILS[4]),
            complaint={
                "complainedRecipients": [{"emailAddress": EMAILS[4]}],
                "complaintFeedbackType": "abuse",
            },
        )
    EventProcessor(live, store).process_pending()
    status = {r["contact"]: r["status"] for r in store.query("SELECT contact, status FROM campaign_emails")}
    assert status[EMAILS[0]] == "bounced" and status[EMAILS[1]] == "sent" and status[EMAILS[3]] == "delivered"
    assert status[EMAILS[4]] == "complained"
    assert events.suppression(EMAILS[0])["reason"] == "bounce"  # type: ignore[index]
    assert events.suppression(EMAILS[4])["reason"] == "complaint"  # type: ignore[index]
    assert events.suppression(EMAILS[1]) is None and events.suppression(EMAILS[2]) is None
    assert events.sequence(scenario_id, EMAILS[0])["status"] == "stopped"  # type: ignore[index]
    tags = {
        a["email"]: json.loads(a["payload"]).get("tag") for a in events.actions() if a["target"] == "copper"
    }
    assert tags == {EMAILS[0]: live.cleaned_tag, EMAILS[4]: live.unsubscribed_tag}
    # 1 complaint in 10 sends is above 0.1 %: the scenario is paused, and says why.
    assert scenario_repo(store).get(scenario_id).status == "paused"  # type: ignore[union-attr]
    assert "1" in (events.paused_reason(scenario_id) or "")


async def test_unknown_send_settled_by_ses_event(live: Settings, store: Store) -> None:
    sender = RecordingSender(unknown={EMAILS[1]})
    scenario_id, sender = await send_scenario(live, store, EMAILS[:2], sender)
    repo = scenario_repo(store)
    assert [r["contact"] for r in repo.unknown()] == [EMAILS[1]]
    message = sender.sent[EMAILS[1]]
    async with client_for(app_for(live, store)) as client:
        await post_ses(
            client,
            "Send",
            message_id="ses-real-id",
            recipient=EMAILS[1],
            tags={"ledger_key": [message.key], "scenario": [str(scenario_id)]},
            send={},
        )
    EventProcessor(live, store).process_pending()
    assert repo.unknown() == []
    ledger = {r["contact"]: r for r in repo.ledger_rows(scenario_id)}
    assert ledger[EMAILS[1]]["status"] == "sent" and ledger[EMAILS[1]]["settled_by"] == "provider"
    email = EventsRepo(store).email(message.message_id)
    assert email is not None and email.provider_id == "ses-real-id"


async def test_health(live: Settings, store: Store) -> None:
    async with client_for(app_for(live, store)) as client:
        r = await client.get("/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"


async def test_copper_webhook_deliveries_are_deduplicated(live: Settings, store: Store) -> None:
    """5 identical deliveries (together and one after another) are 1 row; another change is another."""
    import asyncio

    note = {"ids": [21], "type": "person", "event": "update", "subscription_id": 3, "secret": SECRETS.copper}
    note["updated_attributes"] = {"tags": [["Client"], ["Client", "VIP"]]}
    events = EventsRepo(store)
    async with client_for(app_for(live, store)) as client:
        answers = await asyncio.gather(*(client.post("/webhooks/copper", json=note) for _ in range(3)))
        answers += [await client.post("/webhooks/copper", json=note) for _ in range(2)]
        assert [a.status_code for a in answers] == [200] * 5  # a duplicate is acknowledged, not refused
        assert events.count_inbound() == 1
        # Key order or spacing do not make a copy new; other content does.
        reordered = dict(reversed(list(note.items())))
        assert (await client.post("/webhooks/copper", json=reordered)).status_code == 200
        assert events.count_inbound() == 1
        other = {**note, "ids": [22]}
        assert (await client.post("/webhooks/copper", json=other)).status_code == 200
        assert events.count_inbound() == 2
        # The same change made again later (past the window) is a new notification.
        with store.write() as db:
            db.execute("UPDATE inbound_events SET received_at = '2020-01-01T00:00:00+00:00'")
        assert (await client.post("/webhooks/copper", json=note)).status_code == 200
        assert events.count_inbound() == 3
    EventProcessor(live, store).process_pending()
    assert set(events.pending_copper_ids()) == {21, 22}
