"""Reply detection when SES sends: SES replaces our Message-ID with ``<MessageId@REGION.amazonses.com>``
(AWS's "Amazon SES header fields" page), so a reply names SES's id. The scenario sends through the SES
simulator (which rewrites the header as SES does), the IMAP sandbox writes the reply a mail client
would write to the message as delivered, and the poll before the next tick stops the sequence."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from crmtui.config import Settings
from crmtui.connectors.imap import message_ids
from crmtui.connectors.ses_ids import delivered_message_id, provider_id_of
from crmtui.engine import scenarios as sc
from crmtui.engine.cycle import run_cycle
from crmtui.engine.events import Event, Notice
from crmtui.engine.replies import poll_replies
from crmtui.engine.sending import run_tick
from crmtui.sandbox.control import Fault
from crmtui.sandbox.imap import ImapSandbox
from crmtui.sandbox.loopback import LoopbackServer
from crmtui.sandbox.mail import (
    SANDBOX_FROM,
    SES_ACCESS_KEY_ID,
    SES_SECRET_ACCESS_KEY,
    SesSim,
    SmtpSink,
    parse_message,
)
from crmtui.secrets import Secret
from crmtui.store import Store
from crmtui.store.scenarios import Audience, Scenario, Step, TemplateRow, scenario_repo

MAILBOX = "contact@domaine-exemple.fr"
PASSWORD = "imap-s3cret-pass"
ALICE, BOB, CAROL = "alice@exemple.fr", "bob@exemple.fr", "carol@exemple.fr"


@pytest.fixture
def ses() -> Iterator[SesSim]:
    sim = SesSim(max_send_rate=200)
    server = LoopbackServer(sim.app)
    sim.url = server.start()  # type: ignore[attr-defined]
    yield sim
    server.stop()


@pytest.fixture
def imap() -> Iterator[ImapSandbox]:
    with ImapSandbox(users={MAILBOX: PASSWORD}) as server:
        yield server


def with_imap(settings: Settings, imap: ImapSandbox) -> Settings:
    return replace(
        settings,
        imap_host=imap.host,
        imap_port=imap.port,
        imap_user=MAILBOX,
        imap_password=Secret(PASSWORD),
        imap_ssl=False,
        imap_folder="INBOX",
    )


def over_ses(settings: Settings, sim: SesSim, imap: ImapSandbox) -> Settings:
    return replace(
        with_imap(settings, imap),
        ses_region="eu-west-3",
        ses_access_key_id=SES_ACCESS_KEY_ID,
        ses_secret_access_key=Secret(SES_SECRET_ACCESS_KEY),
        ses_endpoint_url=sim.url,  # type: ignore[attr-defined]
        email_from=SANDBOX_FROM,
    )


def make_scenario(store: Store, emails: tuple[str, ...] = (ALICE, BOB)) -> Scenario:
    s = Scenario(
        name="Relance",
        window_start="00:00",
        window_end="24:00",
        send_days=[1, 2, 3, 4, 5, 6, 7],
        audience=Audience(emails=list(emails)),
        stop_on_reply=True,
        steps=[Step(1, "welcome", "a"), Step(2, "reminder", "a", trigger="delay", delay_days=1)],
        templates={"a": TemplateRow("a", "Bonjour", "", "Bonjour {{email}}")},
    )
    scenario_repo(store).save(s)
    sc.start(store, s.name)
    loaded = scenario_repo(store).get(s.name)
    assert loaded is not None
    return loaded


def sequence(store: Store, contact: str) -> dict[str, object]:
    return store.query("SELECT status, reason FROM contact_sequences WHERE contact = ?", (contact,))[0]


async def test_a_reply_to_an_ses_sent_email_stops_the_sequence(
    store: Store, settings: Settings, ses: SesSim, imap: ImapSandbox
) -> None:
    cfg = over_ses(settings, ses, imap)
    make_scenario(store, (ALICE, BOB, CAROL))
    assert (await run_tick(cfg, store)).sent == 3

    emails = {r["contact"]: r for r in store.query("SELECT * FROM campaign_emails")}
    delivered = {m["To"][0]: m for m in ses.messages}
    for contact, row in emails.items():
        message = delivered[contact]
        raw = parse_message(message["raw"])
        # What the recipient sees is SES's id, not ours: we never sent one, and SES would override it.
        assert raw["Message-ID"] == f"<{message['MessageId']}@eu-west-3.amazonses.com>"
        assert "Message-ID" not in message["Headers"]
        assert raw["References"] == f"<{row['message_id']}>"  # our id travels in References (SES keeps it)
        assert row["provider_id"] == message["MessageId"]  # SES's MessageId is recorded with the send
        assert message_ids(raw["Message-ID"]) == [delivered_message_id(row["provider_id"], "eu-west-3")]

    # Alice's mail client answers what she received (In-Reply-To: SES's id; References: ours, SES's).
    imap.answer(MAILBOX, delivered[ALICE]["raw"])
    # Bob's names SES's id only (a client may trim References): matched by the recorded MessageId.
    bob_id = parse_message(delivered[BOB]["raw"])["Message-ID"].strip("<>")
    imap.reply(MAILBOX, to_message_id=bob_id, from_addr=BOB, subject="Re: Bonjour")

    events: list[Event] = []
    outcome = await run_cycle(cfg, store, owner="test", only=("scenarios",), emit=events.append)
    assert outcome.status == "ok"
    notices = [e.text for e in events if isinstance(e, Notice)]
    assert any("2 message(s) read" in n and "2 sequence(s) stopped" in n for n in notices), notices
    for contact in (ALICE, BOB):
        assert sequence(store, contact) == {"status": "stopped", "reason": "replied"}
    assert sequence(store, CAROL)["status"] == "active"
    history = store.query("SELECT * FROM contact_history WHERE status = 'replied' ORDER BY response_details")
    assert [h["response_details"] for h in history] == [ALICE, BOB]

    # Two days later the reminder goes to Carol only: the next step of those who replied is never sent.
    later = datetime.now(UTC) + timedelta(days=2)
    assert (await run_tick(cfg, store, now=lambda: later)).sent == 1
    assert sorted(m["To"][0] for m in ses.messages) == [ALICE, BOB, CAROL, CAROL]
    assert not ses.duplicates()


def test_the_sandbox_reply_has_the_headers_a_mail_client_writes(imap: ImapSandbox) -> None:
    """The sandbox's reply is the one RFC 5322 §3.6.4 describes, whatever the parent carried."""
    parent = (
        b"From: Domaine Exemple <contact@domaine-exemple.fr>\r\nTo: alice@exemple.fr\r\n"
        b"Subject: =?utf-8?q?Nouveaut=C3=A9s?=\r\nDate: Wed, 02 Dec 2026 10:00:00 +0000\r\n"
        b"Message-ID: <0107abc-000000@eu-west-3.amazonses.com>\r\nReferences: <a@x.fr> <b@x.fr>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nBonjour Alice,\r\nA bient\xc3\xb4t\r\n"
    )
    uid = imap.answer(MAILBOX, parent, body="Oui, merci !")
    reply = parse_message(imap.messages(MAILBOX)[uid])
    assert reply["In-Reply-To"] == "<0107abc-000000@eu-west-3.amazonses.com>"
    assert reply["References"].split() == ["<a@x.fr>", "<b@x.fr>", "<0107abc-000000@eu-west-3.amazonses.com>"]
    assert (
        reply["Subject"] == "Re: Nouveautés" and reply["To"] == "Domaine Exemple <contact@domaine-exemple.fr>"
    )
    assert reply["From"] == ALICE
    text = reply.get_content()
    assert text.startswith("Oui, merci !") and "> Bonjour Alice," in text and "> A bientôt" in text


async def test_a_reply_matches_through_references_when_ses_messageid_was_never_recorded(
    store: Store, settings: Settings, ses: SesSim, imap: ImapSandbox
) -> None:
    """SES accepts the message but its answer is cut: the send is ``unknown``, no MessageId is known.
    An operator settles it as sent (``scenarios resolve KEY sent``); the reply is still matched, by our
    own Message-ID, which the delivered message carries in ``References``."""
    cfg = over_ses(settings, ses, imap)
    scenario = make_scenario(store)
    ses.control.add_fault(Fault("truncate", path_prefix="/v2/email/outbound-emails"), times=2)
    result = await run_tick(cfg, store)
    assert result.unknown == 2 and result.sent == 0 and len(ses.messages) == 2  # delivered, fate unknown
    repo = scenario_repo(store)
    for row in repo.ledger_rows(scenario.id):
        assert repo.resolve_unknown(row["key"], "sent", actor="cli")
    assert [r["provider_id"] for r in store.query("SELECT provider_id FROM campaign_emails")] == ["", ""]

    bob = next(m for m in ses.messages if m["To"] == [BOB])
    imap.answer(MAILBOX, bob["raw"])
    polled = await poll_replies(cfg, store)
    assert (polled.read, polled.matched, polled.stopped) == (1, 1, 1) and polled.stops == [("Relance", BOB)]
    assert sequence(store, ALICE)["status"] == "active"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("<0107019a-1b2c-000000@eu-west-3.amazonses.com>", "0107019a-1b2c-000000"),
        ("0107019a-1b2c-000000@EU-WEST-3.AMAZONSES.COM", "0107019a-1b2c-000000"),
        ("0100018f-aa-000000@email.amazonses.com", "0100018f-aa-000000"),  # us-east-1's older form
        ("abc@domaine-exemple.fr", ""),
        ("abc@amazonses.com.evil.fr", ""),
        ("", ""),
    ],
)
def test_provider_id_of_reads_only_ses_message_ids(header: str, expected: str) -> None:
    assert provider_id_of(header) == expected


async def test_a_reply_to_an_smtp_sent_email_still_matches_our_own_message_id(
    store: Store, settings: Settings, imap: ImapSandbox
) -> None:
    with SmtpSink() as sink:
        cfg = replace(
            with_imap(settings, imap),
            smtp_host=sink.host,
            smtp_port=sink.port,
            smtp_starttls=False,
            email_from=SANDBOX_FROM,
        )
        make_scenario(store)
        assert (await run_tick(cfg, store)).sent == 2
        bob = next(m for m in sink.messages if m["to"] == [BOB])
        ours = store.query("SELECT message_id FROM campaign_emails WHERE contact = ?", (BOB,))[0][
            "message_id"
        ]
        assert bob["message_id"] == ours  # over SMTP the relay keeps the Message-ID we set
        imap.answer(MAILBOX, bob["raw"])
        result = await poll_replies(cfg, store)
        assert (result.read, result.matched, result.stopped) == (1, 1, 1)
        assert result.stops == [("Relance", BOB)]
        assert sequence(store, ALICE)["status"] == "active"
