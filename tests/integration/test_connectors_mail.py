"""``crmtui connectors test`` for SES, SMTP and IMAP, against the simulators over loopback.

SES: GetAccount (quota, sending enabled, production access) and GetEmailIdentity of the sender,
SigV4-signed, against :class:`SesSim`; SMTP: connect, STARTTLS / TLS, AUTH against the aiosmtpd
sink; IMAP: LOGIN and SELECT against the aioimaplib testing server. Every verdict comes from the
catalogue: the French run checks one of them in French.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from crmtui.config import Settings
from crmtui.engine.connectivity import check_connectors
from crmtui.i18n import set_language
from crmtui.sandbox.harness import loopback_tls
from crmtui.sandbox.imap import ImapSandbox
from crmtui.sandbox.loopback import LoopbackServer
from crmtui.sandbox.mail import SANDBOX_FROM, SesSim, SmtpSink
from crmtui.secrets import Secret

MAILBOX = "replies@domaine-exemple.fr"
PASSWORD = "imap-s3cret-pass"


@pytest.fixture
def ses() -> Iterator[SesSim]:
    sim = SesSim(max_send_rate=14, max_24h_send=50_000)
    server = LoopbackServer(sim.app)
    sim.url = server.start()  # type: ignore[attr-defined]
    yield sim
    server.stop()


def with_ses(settings: Settings, sim: SesSim, **kw: object) -> Settings:
    values: dict[str, object] = {
        "ses_region": sim.region,
        "ses_access_key_id": sim.access_key_id,
        "ses_secret_access_key": Secret(sim.secret_access_key),
        "ses_endpoint_url": sim.url,  # type: ignore[attr-defined]
        "email_from": SANDBOX_FROM,
    }
    values.update(kw)
    return replace(settings, **values)  # type: ignore[arg-type]


def one(settings: Settings, name: str) -> object:
    (verdict,) = asyncio.run(check_connectors(settings, (name,)))
    return verdict


# -- SES ---------------------------------------------------------------------------------------


def test_ses_reports_quota_and_verified_sender(settings: Settings, ses: SesSim) -> None:
    verdict = one(with_ses(settings, ses), "ses")
    assert verdict.ok, verdict  # type: ignore[attr-defined]
    text = verdict.message  # type: ignore[attr-defined]
    assert "0 of 50,000 sent in 24 h" in text and "14/s" in text
    assert "production access" in text and "contact@domaine-exemple.fr verified" in text
    details = verdict.details  # type: ignore[attr-defined]
    assert details["identity"] == "domaine-exemple.fr" and details["status"] == "SUCCESS"


def test_ses_unknown_sender_says_how_to_verify(settings: Settings, ses: SesSim) -> None:
    verdict = one(with_ses(settings, ses, email_from="news@autre-domaine.fr"), "ses")
    assert not verdict.ok  # type: ignore[attr-defined]
    assert "news@autre-domaine.fr is not an SES identity" in verdict.message  # type: ignore[attr-defined]
    assert "Configuration › Identities" in verdict.hint and "autre-domaine.fr" in verdict.hint  # type: ignore[attr-defined]


def test_ses_pending_identity(settings: Settings, ses: SesSim) -> None:
    ses.verified.clear()
    ses.pending.add("contact@domaine-exemple.fr")
    verdict = one(with_ses(settings, ses), "ses")
    assert not verdict.ok  # type: ignore[attr-defined]
    assert "not verified (status PENDING)" in verdict.message  # type: ignore[attr-defined]
    assert "DKIM" in verdict.hint  # type: ignore[attr-defined]


def test_ses_sending_paused_and_sandbox_account(settings: Settings, ses: SesSim) -> None:
    ses.production_access = False
    verdict = one(with_ses(settings, ses), "ses")
    assert not verdict.ok and "SES sandbox" in verdict.message  # type: ignore[attr-defined]
    assert "Request production access" in verdict.hint  # type: ignore[attr-defined]
    ses.sending_paused = True
    verdict = one(with_ses(settings, ses), "ses")
    assert not verdict.ok and "sending is disabled" in verdict.message  # type: ignore[attr-defined]


def test_ses_wrong_secret_is_a_clear_verdict(settings: Settings, ses: SesSim) -> None:
    verdict = one(with_ses(settings, ses, ses_secret_access_key=Secret("wrong-secret")), "ses")
    assert not verdict.ok and "credentials refused by SES" in verdict.message  # type: ignore[attr-defined]
    assert "SES_SECRET_ACCESS_KEY" in verdict.hint  # type: ignore[attr-defined]
    assert "wrong-secret" not in verdict.line()  # type: ignore[attr-defined]


def test_ses_verdict_in_french(settings: Settings, ses: SesSim) -> None:
    set_language("fr")
    verdict = one(with_ses(settings, ses), "ses")
    assert verdict.ok  # type: ignore[attr-defined]
    assert "envoi activé" in verdict.message and "accès production" in verdict.message  # type: ignore[attr-defined]
    assert "50\u202f000" in verdict.message  # type: ignore[attr-defined]


# -- SMTP --------------------------------------------------------------------------------------


def test_smtp_plain_auth_ok_and_wrong_password(settings: Settings) -> None:
    with SmtpSink(username="relay", password="good-pass") as sink:
        base = replace(
            settings, smtp_host=sink.host, smtp_port=sink.port, smtp_starttls=False, smtp_user="relay"
        )
        ok = one(replace(base, smtp_password=Secret("good-pass")), "smtp")
        assert ok.ok, ok  # type: ignore[attr-defined]
        assert "unencrypted" in ok.message and "login of relay accepted" in ok.message  # type: ignore[attr-defined]
        bad = one(replace(base, smtp_password=Secret("bad-pass")), "smtp")
        assert not bad.ok  # type: ignore[attr-defined]
        assert "login of relay refused" in bad.message and "535" in bad.message  # type: ignore[attr-defined]
        assert "SMTP_PASSWORD" in bad.hint  # type: ignore[attr-defined]
        assert "bad-pass" not in bad.line()  # type: ignore[attr-defined]
        assert sink.messages == []  # a test never sends


@pytest.mark.parametrize("mode", ["starttls", "implicit"])
def test_smtp_tls_modes(settings: Settings, tmp_path: Path, mode: str) -> None:
    tls = loopback_tls()
    ca = tmp_path / "ca.pem"
    ca.write_bytes(tls.ca_pem)
    with SmtpSink(username="relay", password="good-pass", tls=tls, tls_mode=mode) as sink:
        live = replace(
            settings,
            smtp_host=sink.host,
            smtp_port=sink.port,
            smtp_starttls=mode == "starttls",
            smtp_user="relay",
            smtp_password=Secret("good-pass"),
            smtp_ca_file=ca,
        )
        if mode == "implicit":
            # SMTP_PORT=465 means implicit TLS; any other port with STARTTLS off is plain, which
            # a TLS-only server cannot speak: the verdict must say which step failed.
            verdict = one(live, "smtp")
            assert not verdict.ok and verdict.details["auth"] == "skipped"  # type: ignore[attr-defined]
            assert "SMTP_PORT" in verdict.hint or "SMTP_STARTTLS" in verdict.hint  # type: ignore[attr-defined]
        else:
            verdict = one(live, "smtp")
            assert verdict.ok, verdict  # type: ignore[attr-defined]
            assert "STARTTLS" in verdict.message  # type: ignore[attr-defined]
            plain = one(replace(live, smtp_starttls=False), "smtp")
            assert not plain.ok  # type: ignore[attr-defined]


def test_smtp_unreachable(settings: Settings) -> None:
    from crmtui.sandbox.loopback import free_port

    verdict = one(replace(settings, smtp_host="127.0.0.1", smtp_port=free_port("127.0.0.1")), "smtp")
    assert not verdict.ok and "cannot reach" in verdict.message  # type: ignore[attr-defined]
    assert "SMTP_HOST" in verdict.hint  # type: ignore[attr-defined]


# -- IMAP --------------------------------------------------------------------------------------


@pytest.fixture
def imap() -> Iterator[ImapSandbox]:
    with ImapSandbox(users={MAILBOX: PASSWORD}) as server:
        yield server


def with_imap(settings: Settings, imap: ImapSandbox, **kw: object) -> Settings:
    values: dict[str, object] = {
        "imap_host": imap.host,
        "imap_port": imap.port,
        "imap_user": MAILBOX,
        "imap_password": Secret(PASSWORD),
        "imap_ssl": False,
        "imap_folder": "INBOX",
    }
    values.update(kw)
    return replace(settings, **values)  # type: ignore[arg-type]


def test_imap_login_and_folder(settings: Settings, imap: ImapSandbox) -> None:
    imap.deliver(MAILBOX, "From: a@exemple.fr\r\nSubject: hi\r\nMessage-ID: <1@x>\r\n\r\nhello\r\n")
    verdict = one(with_imap(settings, imap), "imap")
    assert verdict.ok, verdict  # type: ignore[attr-defined]
    assert "folder INBOX: 1 message(s)" in verdict.message  # type: ignore[attr-defined]


def test_imap_wrong_password_and_missing_folder(settings: Settings, imap: ImapSandbox) -> None:
    bad = one(with_imap(settings, imap, imap_password=Secret("nope")), "imap")
    assert not bad.ok and "refused" in bad.message and "IMAP_PASSWORD" in bad.hint  # type: ignore[attr-defined]
    missing = one(with_imap(settings, imap, imap_folder="Archives2019"), "imap")
    assert not missing.ok and "Archives2019" in missing.message  # type: ignore[attr-defined]
    assert "IMAP_FOLDER" in missing.hint  # type: ignore[attr-defined]


def test_unconfigured_mail_connectors_are_listed(settings: Settings) -> None:
    verdicts = asyncio.run(check_connectors(replace(settings, ses_region=""), ("ses", "smtp", "imap")))
    assert [v.name for v in verdicts] == ["ses", "smtp", "imap"]
    assert all(not v.configured and v.message == "not configured" for v in verdicts)


def test_smtp_probe_implicit_tls_and_auth(tmp_path: Path) -> None:
    """Implicit TLS (port 465 style) from the first byte, the certificate checked against the CA."""
    from crmtui.connectors.smtp_probe import probe_smtp

    tls = loopback_tls()
    ca = tmp_path / "ca.pem"
    ca.write_bytes(tls.ca_pem)
    with SmtpSink(username="relay", password="good-pass", tls=tls, tls_mode="implicit") as sink:

        async def probe(password: str) -> object:
            return await probe_smtp(
                sink.host,
                sink.port,
                username="relay",
                password=Secret(password),
                use_tls=True,
                cert_bundle=str(ca),
                timeout=30,
            )

        ok = asyncio.run(probe("good-pass"))
        assert ok.ok and ok.tls == "implicit" and ok.auth == "ok", ok  # type: ignore[attr-defined]
        bad = asyncio.run(probe("bad-pass"))
        assert not bad.ok and bad.failed == "auth" and bad.code == 535, bad  # type: ignore[attr-defined]
