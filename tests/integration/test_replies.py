"""Reply detection end to end: scenario sends over the SMTP sink, replies land in the IMAP sandbox
(aioimaplib's testing server), the poll stops the replying contact's sequence."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crmtui.config import Settings
from crmtui.connectors.errors import AuthError, NetworkError
from crmtui.connectors.imap import ImapClient, message_ids, parse_fetch
from crmtui.engine import scenarios as sc
from crmtui.engine.cycle import run_cycle
from crmtui.engine.events import Event, Notice
from crmtui.engine.replies import cursor_name, poll_replies
from crmtui.engine.sending import run_tick
from crmtui.sandbox.imap import ImapSandbox
from crmtui.sandbox.loopback import free_port
from crmtui.sandbox.mail import SmtpSink
from crmtui.secrets import Secret
from crmtui.store import Store
from crmtui.store.scenarios import Audience, Scenario, Step, TemplateRow, scenario_repo

FROM = "Domaine Exemple <contact@domaine-exemple.fr>"
MAILBOX = "contact@domaine-exemple.fr"
PASSWORD = "imap-s3cret-pass"
ALICE, BOB = "alice@exemple.fr", "bob@exemple.fr"


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as s:
        yield s


@pytest.fixture
def imap() -> Iterator[ImapSandbox]:
    with ImapSandbox(users={MAILBOX: PASSWORD}) as server:
        yield server


def live(settings: Settings, sink: SmtpSink, imap: ImapSandbox, password: str = PASSWORD) -> Settings:
    return replace(
        settings,
        smtp_host=sink.host,
        smtp_port=sink.port,
        smtp_starttls=False,
        email_from=FROM,
        imap_host=imap.host,
        imap_port=imap.port,
        imap_user=MAILBOX,
        imap_password=Secret(password),
        imap_ssl=False,
        imap_folder="INBOX",
    )


def make_scenario(store: Store, name: str = "Relance", *, stop_on_reply: bool = True) -> Scenario:
    s = Scenario(
        name=name,
        window_start="00:00",
        window_end="24:00",
        send_days=[1, 2, 3, 4, 5, 6, 7],
        audience=Audience(emails=[ALICE, BOB]),
        stop_on_reply=stop_on_reply,
        steps=[Step(1, "welcome", "a"), Step(2, "reminder", "a", trigger="delay", delay_days=1)],
        templates={"a": TemplateRow("a", "Bonjour", "", "Bonjour {{email}}")},
    )
    scenario_repo(store).save(s)
    sc.start(store, name)
    loaded = scenario_repo(store).get(name)
    assert loaded is not None
    return loaded


def sent_ids(store: Store) -> dict[str, str]:
    """contact -> our Message-ID of the first step."""
    rows = store.query("SELECT contact, message_id FROM campaign_emails ORDER BY sent_at")
    return {r["contact"]: r["message_id"] for r in rows}


def sequence(store: Store, contact: str) -> dict[str, object]:
    return store.query("SELECT status, reason FROM contact_sequences WHERE contact = ?", (contact,))[0]


def replied_history(store: Store) -> list[dict[str, object]]:
    return store.query("SELECT * FROM contact_history WHERE status = 'replied'")


async def test_a_reply_stops_that_sequence_and_its_next_step_never_sends(
    store: Store, settings: Settings, sink: SmtpSink, imap: ImapSandbox
) -> None:
    cfg = live(settings, sink, imap)
    make_scenario(store)
    assert (await run_tick(cfg, store)).sent == 2
    ids = sent_ids(store)
    assert set(ids) == {ALICE, BOB} and all("<" not in m for m in ids.values())

    imap.reply(MAILBOX, to_message_id=ids[ALICE], from_addr=f"Alice <{ALICE}>", references=["older@x.fr"])
    imap.reply(MAILBOX, to_message_id="someone-else@elsewhere.fr", from_addr="news@elsewhere.fr")
    imap.deliver(MAILBOX, f"From: {BOB}\r\nSubject: hello\r\nMessage-ID: <fresh@exemple.fr>\r\n\r\nhi\r\n")

    # The scenarios step polls first: the reply is applied, the unrelated mail changes nothing.
    events: list[Event] = []
    outcome = await run_cycle(cfg, store, owner="test", only=("scenarios",), emit=events.append)
    assert outcome.status == "ok"
    notices = [e.text for e in events if isinstance(e, Notice)]
    assert any("3 message(s) read" in n and "1 sequence(s) stopped" in n for n in notices), notices
    assert sequence(store, ALICE) == {"status": "stopped", "reason": "replied"}
    assert sequence(store, BOB)["status"] == "active"
    history = replied_history(store)
    assert len(history) == 1 and history[0]["channel"] == "EMAIL" and history[0]["campaign"] == "Relance"
    assert history[0]["response_details"] == ALICE
    assert all("\\Seen" not in flags for flags in imap.flags(MAILBOX).values())  # never marked read

    # Two days later only Bob gets the reminder.
    later = datetime.now(UTC) + timedelta(days=2)
    assert (await run_tick(cfg, store, now=lambda: later)).sent == 1
    assert sorted(m["to"][0] for m in sink.messages) == [ALICE, BOB, BOB]


async def test_polling_twice_and_rereading_the_same_uids_changes_nothing(
    store: Store, settings: Settings, sink: SmtpSink, imap: ImapSandbox
) -> None:
    cfg = live(settings, sink, imap)
    make_scenario(store)
    await run_tick(cfg, store)
    imap.reply(MAILBOX, to_message_id=sent_ids(store)[ALICE], from_addr=ALICE)
    imap.reply(MAILBOX, to_message_id="", from_addr="unrelated@x.fr")

    first = await poll_replies(cfg, store, batch=1)  # one UID per fetch and transaction
    assert (first.read, first.matched, first.stopped, first.unmatched) == (2, 1, 1, 1)
    assert first.stops == [("Relance", ALICE)]
    snapshot = (
        store.query("SELECT * FROM contact_sequences ORDER BY id"),
        store.query("SELECT * FROM contact_history ORDER BY contact_key"),
        store.query("SELECT * FROM audit_log ORDER BY id"),
    )
    assert store.sync.cursor(cursor_name("INBOX")) == f"{imap.uidvalidity}:2"

    second = await poll_replies(cfg, store)
    assert (second.read, second.stopped) == (0, 0)

    store.sync.set_cursor(cursor_name("INBOX"), f"{imap.uidvalidity}:0")  # a lost cursor: the same UIDs again
    again = await poll_replies(cfg, store)
    assert (again.read, again.matched, again.stopped, again.kept) == (2, 1, 0, 1)

    imap.uidvalidity += 1  # the server renumbered the folder
    renumbered = await poll_replies(cfg, store)
    assert renumbered.reset and renumbered.read == 2 and renumbered.stopped == 0
    assert store.sync.cursor(cursor_name("INBOX")) == f"{imap.uidvalidity}:2"
    assert snapshot == (
        store.query("SELECT * FROM contact_sequences ORDER BY id"),
        store.query("SELECT * FROM contact_history ORDER BY contact_key"),
        store.query("SELECT * FROM audit_log ORDER BY id"),
    )


async def test_without_stop_on_reply_the_reply_is_recorded_and_the_sequence_goes_on(
    store: Store, settings: Settings, sink: SmtpSink, imap: ImapSandbox
) -> None:
    cfg = live(settings, sink, imap)
    make_scenario(store, stop_on_reply=False)
    await run_tick(cfg, store)
    imap.reply(MAILBOX, to_message_id=sent_ids(store)[ALICE], from_addr=ALICE)
    result = await poll_replies(cfg, store)
    assert (result.matched, result.stopped, result.kept) == (1, 0, 1)
    assert sequence(store, ALICE)["status"] == "active" and len(replied_history(store)) == 1


async def test_out_of_office_and_delivery_reports_do_not_stop_anything(
    store: Store, settings: Settings, sink: SmtpSink, imap: ImapSandbox
) -> None:
    cfg = live(settings, sink, imap)
    make_scenario(store)
    await run_tick(cfg, store)
    ids = sent_ids(store)
    imap.reply(MAILBOX, to_message_id=ids[ALICE], from_addr=ALICE, headers={"Auto-Submitted": "auto-replied"})
    imap.reply(MAILBOX, to_message_id=ids[BOB], from_addr="MAILER-DAEMON@mx.exemple.fr")
    result = await poll_replies(cfg, store)
    assert (result.read, result.automatic, result.matched, result.stopped) == (2, 2, 0, 0)
    assert {sequence(store, c)["status"] for c in (ALICE, BOB)} == {"active"}
    assert replied_history(store) == []


async def test_dry_run_reads_but_writes_nothing(
    store: Store, settings: Settings, sink: SmtpSink, imap: ImapSandbox
) -> None:
    cfg = live(settings, sink, imap)
    make_scenario(store)
    await run_tick(cfg, store)
    imap.reply(MAILBOX, to_message_id=sent_ids(store)[BOB], from_addr=BOB)
    result = await poll_replies(cfg, store, dry_run=True)
    assert (result.read, result.stopped) == (1, 1)
    assert sequence(store, BOB)["status"] == "active" and store.sync.cursor(cursor_name("INBOX")) is None


async def test_a_wrong_password_is_one_clear_line_and_sending_goes_on(
    store: Store, settings: Settings, sink: SmtpSink, imap: ImapSandbox
) -> None:
    bad = live(settings, sink, imap, password="not-the-password")
    with pytest.raises(AuthError) as refused:
        await poll_replies(bad, store)
    line = str(refused.value)
    assert "\n" not in line and line.startswith("imap: login refused for contact@domaine-exemple.fr")
    assert "IMAP_PASSWORD" in line and "not-the-password" not in line
    assert imap.failed_logins == 1

    make_scenario(store)
    events: list[Event] = []
    outcome = await run_cycle(bad, store, owner="test", only=("scenarios",), emit=events.append)
    errors = [e.text for e in events if isinstance(e, Notice) and e.level == "error"]
    assert len(errors) == 1 and "reply detection (IMAP) failed: imap: login refused" in errors[0]
    assert outcome.status == "ok" and len(sink.messages) == 2  # the tick still sent


async def test_an_unreachable_server_is_a_network_error(settings: Settings, store: Store) -> None:
    cfg = replace(
        settings,
        imap_host="127.0.0.1",
        imap_port=free_port(),
        imap_user=MAILBOX,
        imap_password=Secret(PASSWORD),
        imap_ssl=False,
    )
    with pytest.raises(NetworkError, match="cannot connect to 127.0.0.1"):
        await poll_replies(cfg, store)


async def test_a_missing_folder_and_the_client_alone(imap: ImapSandbox) -> None:
    imap.reply(MAILBOX, to_message_id="a@b.fr", from_addr="x@y.fr")
    async with ImapClient(
        imap.host, imap.port, username=MAILBOX, password=Secret(PASSWORD), use_tls=False
    ) as c:
        box = await c.select("INBOX")
        assert box.uidvalidity == imap.uidvalidity and box.exists == 1
        assert await c.uids_after(0) == [1] and await c.uids_after(1) == []  # "2:*" still names UID 1
        [mail] = await c.headers([1])
        assert mail.in_reply_to == ("a@b.fr",) and mail.from_addr == "x@y.fr" and mail.automatic == ""


def tls_pair(tmp: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A self-signed certificate for 127.0.0.1: (server context, client context trusting it)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    (tmp / "cert.pem").write_bytes(pem)
    (tmp / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(tmp / "cert.pem", tmp / "key.pem")
    return server, ssl.create_default_context(cadata=pem.decode("ascii"))


async def test_tls_verifies_the_certificate(tmp_path: Path) -> None:
    server_ctx, client_ctx = tls_pair(tmp_path)
    with ImapSandbox(users={MAILBOX: PASSWORD}, ssl_context=server_ctx) as imaps:
        imaps.reply(MAILBOX, to_message_id="a@b.fr", from_addr="x@y.fr")
        untrusted = ImapClient(imaps.host, imaps.port, username=MAILBOX, password=Secret(PASSWORD))
        with pytest.raises(NetworkError, match="not trusted"):
            await untrusted.connect()
        assert imaps.logins == 0  # the password never left
        trusted = ImapClient(
            imaps.host, imaps.port, username=MAILBOX, password=Secret(PASSWORD), ssl_context=client_ctx
        )
        async with trusted as c:
            await c.select("INBOX")
            assert await c.uids_after(0) == [1]
        plain = ImapClient(imaps.host, imaps.port, username=MAILBOX, password=Secret(PASSWORD), use_tls=False)
        plain.timeout = 0.5
        with pytest.raises(NetworkError):  # a plain client on a TLS port: no greeting
            await plain.connect()


def test_header_parsing_is_tolerant() -> None:
    assert message_ids("<a@b.fr>\r\n <c@d.fr>") == ["a@b.fr", "c@d.fr"]
    assert message_ids(" bare@id.fr ") == ["bare@id.fr"] and message_ids("no id here") == []
    raw = bytearray(
        b"In-Reply-To: <x@y.fr>\r\nReferences: <w@y.fr> <x@y.fr>\r\nFrom: =?utf-8?q?=C3=89lise?= <E@X.FR>\r\n\r\n"
    )
    lines = [
        b"7 FETCH (BODY[HEADER.FIELDS (IN-REPLY-TO REFERENCES FROM)] {96}",
        raw,
        b" UID 42)",
        b"FETCH completed",
    ]
    [mail] = parse_fetch(lines)
    assert mail.uid == 42 and mail.from_addr == "e@x.fr" and mail.referenced_ids() == ["x@y.fr", "w@y.fr"]
    assert parse_fetch([b"3 FETCH (FLAGS (\\Seen))", b"FETCH completed"]) == []
