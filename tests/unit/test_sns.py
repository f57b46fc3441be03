"""SNS verification: genuine v1/v2 messages accepted, the forgery corpus 100 % rejected."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from crmtui.engine.sns import SnsRejected, SnsVerifier, parse_body, string_to_sign
from crmtui.sandbox.sns import SnsPublisher, rogue_pki, sandbox_pki

TOPIC = "arn:aws:sns:eu-west-3:123456789012:ses-events"
OTHER_TOPIC = "arn:aws:sns:eu-west-3:123456789012:someone-else"


def verifier(**kw: Any) -> SnsVerifier:
    pki = sandbox_pki()
    kw.setdefault("trusted_issuers", [pki.ca_cert])
    return SnsVerifier([TOPIC], cert_fetcher=pki.fetcher(), **kw)


@pytest.mark.parametrize("version", [1, 2])
async def test_genuine_messages_verify(version: int) -> None:
    pub = SnsPublisher(sandbox_pki(), TOPIC, version=version)
    v = verifier()
    for envelope in (
        pub.notification(json.dumps({"eventType": "Delivery"})),
        pub.notification("hello", subject="with a subject"),
        pub.confirmation(),
        pub.confirmation("UnsubscribeConfirmation"),
    ):
        message = await v.verify_body(SnsPublisher.body(envelope))
        assert message.topic_arn == TOPIC
        assert message.message_id == envelope["MessageId"]
    assert v.fetches == 1  # the certificate is cached


def test_string_to_sign_is_the_documented_one() -> None:
    envelope = {
        "Type": "Notification",
        "MessageId": "m1",
        "TopicArn": TOPIC,
        "Message": 'line1\nline2 "quoted"',
        "Timestamp": "2025-01-01T00:00:00.000Z",
        "Subject": "S",
        "Ignored": "x",
    }
    expected = (
        'Message\nline1\nline2 "quoted"\nMessageId\nm1\nSubject\nS\n'
        f"Timestamp\n2025-01-01T00:00:00.000Z\nTopicArn\n{TOPIC}\nType\nNotification\n"
    )
    assert string_to_sign(envelope) == expected.encode()
    del envelope["Subject"]
    assert b"Subject" not in string_to_sign(envelope)


def test_body_is_json_whatever_the_content_type() -> None:
    assert parse_body(b'{"Type": "Notification"}') == {"Type": "Notification"}
    for bad in (b"not json", b"[1, 2]", b"\xff\xfe"):
        with pytest.raises(SnsRejected) as info:
            parse_body(bad)
        assert info.value.status == 400


def _resign(mutate: Callable[[dict[str, Any]], None], version: int = 1) -> dict[str, Any]:
    """A genuine signature over a message we then change (or re-sign with changed fields)."""
    pub = SnsPublisher(sandbox_pki(), TOPIC, version=version)
    envelope = pub.notification(json.dumps({"eventType": "Open"}))
    mutate(envelope)
    return envelope


def _signed_with(field: str, value: str, version: int = 2) -> dict[str, Any]:
    """Signed by the genuine key, but with a forbidden field value (the URL/topic checks must catch it)."""
    pub = SnsPublisher(sandbox_pki(), TOPIC, version=version)
    envelope = {
        "Type": "Notification",
        "MessageId": "forged-" + field,
        "TopicArn": TOPIC,
        "Message": "{}",
        "Timestamp": "2025-01-01T00:00:00.000Z",
        field: value,
    }
    return pub.sign(envelope)


def _rogue_signed() -> dict[str, Any]:
    return SnsPublisher(rogue_pki(), TOPIC, version=2).notification("{}")


def forgery_corpus() -> dict[str, dict[str, Any]]:
    return {
        "bad cert host": _signed_with(
            "SigningCertURL", "https://sns.eu-west-3.amazonaws.com.evil.example/c.pem"
        ),
        "lookalike host": _signed_with("SigningCertURL", "https://sns-eu-west-3.amazonaws.com/c.pem"),
        "other aws service": _signed_with("SigningCertURL", "https://s3.eu-west-3.amazonaws.com/c.pem"),
        "http url": _signed_with("SigningCertURL", "http://sns.eu-west-3.amazonaws.com/c.pem"),
        "user-info in url": _signed_with(
            "SigningCertURL", "https://evil.example@sns.eu-west-3.amazonaws.com/c.pem"
        ),
        "user-info with password": _signed_with(
            "SigningCertURL", "https://sns.eu-west-3.amazonaws.com:x@evil.example/c.pem"
        ),
        "odd port": _signed_with("SigningCertURL", "https://sns.eu-west-3.amazonaws.com:8443/c.pem"),
        "wrong topic": SnsPublisher(sandbox_pki(), OTHER_TOPIC, version=2).notification("{}"),
        "tampered message": _resign(lambda e: e.__setitem__("Message", '{"eventType": "Click"}')),
        "tampered message v2": _resign(lambda e: e.__setitem__("Message", "x"), version=2),
        "tampered timestamp": _resign(lambda e: e.__setitem__("Timestamp", "2030-01-01T00:00:00.000Z")),
        "added subject": _resign(lambda e: e.__setitem__("Subject", "injected")),
        "v1 signature labelled v2": _resign(lambda e: e.__setitem__("SignatureVersion", "2")),
        "unknown signature version": _resign(lambda e: e.__setitem__("SignatureVersion", "3")),
        "numeric signature version": _resign(lambda e: e.__setitem__("SignatureVersion", 1)),
        "no signature version": _resign(lambda e: e.pop("SignatureVersion")),
        "empty signature": _resign(lambda e: e.__setitem__("Signature", "")),
        "garbage signature": _resign(lambda e: e.__setitem__("Signature", "!!!")),
        "random signature": _resign(
            lambda e: e.__setitem__("Signature", base64.b64encode(b"x" * 256).decode())
        ),
        "unknown type": _resign(lambda e: e.__setitem__("Type", "Surprise")),
        "certificate from another CA": _rogue_signed(),
        "missing message id": _resign(lambda e: e.pop("MessageId")),
        "subscribe url elsewhere": SnsPublisher(sandbox_pki(), TOPIC, version=2).confirmation(
            subscribe_url="https://evil.example/confirm"
        ),
    }


async def test_forgery_corpus_is_entirely_rejected() -> None:
    rogue = rogue_pki()
    v = SnsVerifier(
        [TOPIC],
        cert_fetcher=sandbox_pki().fetcher({rogue.cert_url + "?rogue": rogue.signing_pem}),
        trusted_issuers=[sandbox_pki().ca_cert],
    )
    corpus = forgery_corpus()
    # The rogue certificate is served where the genuine one is expected by a second verifier.
    rejected: dict[str, str] = {}
    for name, envelope in corpus.items():
        target = v
        if name == "certificate from another CA":
            target = SnsVerifier(
                [TOPIC], cert_fetcher=rogue.fetcher(), trusted_issuers=[sandbox_pki().ca_cert]
            )
        with pytest.raises(SnsRejected) as info:
            await target.verify(envelope)
        rejected[name] = info.value.reason
    assert len(rejected) == len(corpus)
    assert rejected["bad cert host"] == "cert_url"
    assert rejected["http url"] == "cert_url"
    assert rejected["user-info in url"] == "cert_url"
    assert rejected["wrong topic"] == "topic"
    assert rejected["tampered message"] == "signature"
    assert rejected["unknown signature version"] == "signature_version"
    assert rejected["certificate from another CA"] == "cert_untrusted"
    assert rejected["subscribe url elsewhere"] == "subscribe_url"
    assert v.fetches <= 1  # URL checks run before any fetch


async def test_forged_urls_are_never_fetched() -> None:
    fetched: list[str] = []

    async def fetch(url: str) -> bytes:
        fetched.append(url)
        return sandbox_pki().signing_pem

    v = SnsVerifier([TOPIC], cert_fetcher=fetch)
    for name, envelope in forgery_corpus().items():
        if "url" in name or "host" in name or "port" in name or "service" in name:
            with pytest.raises(SnsRejected):
                await v.verify(envelope)
    assert fetched == []


async def test_expired_certificate_rejected() -> None:
    pub = SnsPublisher(sandbox_pki(), TOPIC, version=2)
    later = datetime.now(UTC) + timedelta(days=4000)
    v = verifier(clock=lambda: later)
    with pytest.raises(SnsRejected) as info:
        await v.verify(pub.notification("{}"))
    assert info.value.reason == "cert_expired"


async def test_fetch_failure_is_a_rejection() -> None:
    async def broken(url: str) -> bytes:
        raise OSError("down")

    v = SnsVerifier([TOPIC], cert_fetcher=broken)
    with pytest.raises(SnsRejected) as info:
        await v.verify(SnsPublisher(sandbox_pki(), TOPIC).notification("{}"))
    assert info.value.reason == "cert_fetch"


async def test_a_genuine_message_older_than_one_hour_is_refused() -> None:
    pub = SnsPublisher(sandbox_pki(), TOPIC, version=2)
    envelope = pub.notification(json.dumps({"eventType": "Bounce"}))
    now = datetime.now(UTC)
    assert (await verifier(clock=lambda: now + timedelta(minutes=59)).verify(envelope)).message_id
    for later in (now + timedelta(minutes=61), now - timedelta(minutes=16)):
        with pytest.raises(SnsRejected) as info:
            await verifier(clock=lambda later=later: later).verify(envelope)  # type: ignore[misc]
        assert info.value.reason == "stale"
