"""SMTP over TLS against a real aiosmtpd server: STARTTLS and implicit TLS, with the certificate checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmtui.connectors.errors import NetworkError, RequestRejected
from crmtui.connectors.smtp import OutgoingEmail, SmtpSender
from crmtui.sandbox.harness import loopback_tls
from crmtui.sandbox.mail import SmtpSink


def message(n: int = 1) -> OutgoingEmail:
    return OutgoingEmail(
        key=f"{n:064x}",
        message_id=f"{n:040x}@domaine-exemple.fr",
        from_addr="Domaine <contact@domaine-exemple.fr>",
        to="client@exemple.fr",
        subject="Bonjour",
        html="",
        text="Bonjour",
        unsubscribe_url="https://crm.domaine-exemple.fr/u/token",
    )


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, Path]:
    tls = loopback_tls()
    ca = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.write_bytes(tls.ca_pem)
    return tls, ca


@pytest.mark.parametrize("mode", ["starttls", "implicit"])
async def test_tls_with_a_verified_certificate(tls_files: tuple[object, Path], mode: str) -> None:
    tls, ca = tls_files
    with SmtpSink(tls=tls, tls_mode=mode) as sink:
        sender = SmtpSender(
            sink.host,
            sink.port,
            starttls=mode == "starttls",
            use_tls=mode == "implicit",
            validate_certs=True,
            cert_bundle=str(ca),
        )
        try:
            await sender.send(message())
        finally:
            await sender.close()
    assert len(sink.messages) == 1


async def test_an_untrusted_certificate_is_refused_with_one_clear_error(
    tls_files: tuple[object, Path],
) -> None:
    tls, _ = tls_files
    with SmtpSink(tls=tls) as sink:
        sender = SmtpSender(sink.host, sink.port, starttls=True, validate_certs=True)  # system CAs only
        with pytest.raises(NetworkError) as info:
            try:
                await sender.send(message())
            finally:
                await sender.close()
    assert "smtp" in str(info.value) and sink.messages == []


async def test_a_server_requiring_starttls_refuses_plain_text(tls_files: tuple[object, Path]) -> None:
    tls, _ = tls_files
    with SmtpSink(tls=tls) as sink:
        sender = SmtpSender(sink.host, sink.port, starttls=False, validate_certs=False)
        with pytest.raises(RequestRejected) as info:
            try:
                await sender.send(message())
            finally:
                await sender.close()
    assert "STARTTLS" in str(info.value).upper() and sink.messages == []
