"""An SNS-style publisher for tests, benchmarks and the demo: a test CA, a signing certificate, and
signed ``Notification`` / ``SubscriptionConfirmation`` envelopes POSTed like SNS does.

Everything is generated at run time with ``cryptography`` (nothing secret is committed). The
signing certificate is served through :meth:`SandboxPki.fetcher`, an in-memory certificate fetcher to
inject into :class:`crmtui.engine.sns.SnsVerifier` in place of the real https GET.

Usage::

    pki = sandbox_pki()
    pub = SnsPublisher(pki, topic_arn="arn:aws:sns:eu-west-3:123456789012:ses-events", version=2)
    body = pub.notification(json.dumps(event))
    httpx.post(url + "/sns/ses", content=json.dumps(body), headers=pub.headers(body))
"""

from __future__ import annotations

import base64
import functools
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from crmtui.engine.sns import string_to_sign

CERT_URL = "https://sns.eu-west-3.amazonaws.com/SimpleNotificationService-crmtui-test.pem"
"""Where the test signing certificate claims to live (served by :meth:`SandboxPki.fetcher`)."""


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


@dataclass(frozen=True)
class SandboxPki:
    """A test CA and an SNS signing certificate it issued."""

    ca_cert: x509.Certificate
    signing_key: rsa.RSAPrivateKey
    signing_cert: x509.Certificate
    cert_url: str = CERT_URL

    @property
    def signing_pem(self) -> bytes:
        """The signing certificate as PEM."""
        return self.signing_cert.public_bytes(serialization.Encoding.PEM)

    def fetcher(self, extra: dict[str, bytes] | None = None) -> Callable[[str], Awaitable[bytes]]:
        """An async certificate fetcher serving the signing certificate at :attr:`cert_url`."""
        served = {self.cert_url: self.signing_pem, **(extra or {})}

        async def fetch(url: str) -> bytes:
            if url not in served:
                raise LookupError(f"no certificate at {url}")
            return served[url]

        return fetch


def _issue(
    subject: str,
    key: rsa.RSAPrivateKey,
    issuer: str,
    issuer_key: rsa.RSAPrivateKey,
    *,
    ca: bool,
    days: int = 365,
) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    return builder.sign(issuer_key, hashes.SHA256())


@functools.lru_cache(maxsize=4)
def sandbox_pki(common_name: str = "sns.amazonaws.com") -> SandboxPki:
    """A test CA and signing certificate (cached per process: RSA key generation is slow)."""
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_cert = _issue("crmtui test CA", ca_key, "crmtui test CA", ca_key, ca=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = _issue(common_name, key, "crmtui test CA", ca_key, ca=False)
    return SandboxPki(ca_cert, key, cert)


def rogue_pki() -> SandboxPki:
    """A signing certificate issued by another CA, unknown to the verifier (forgery tests)."""
    return sandbox_pki("rogue.example")


class SnsPublisher:
    """Builds signed SNS envelopes for one topic.

    Args:
        pki: the certificates and key to sign with.
        topic_arn: the topic every message comes from.
        version: ``1`` (SHA1withRSA, SNS's default) or ``2`` (SHA256withRSA).
    """

    def __init__(self, pki: SandboxPki, topic_arn: str, version: int = 1) -> None:
        self.pki = pki
        self.topic_arn = topic_arn
        self.version = version

    def sign(self, envelope: dict[str, Any]) -> dict[str, Any]:
        """Set ``SignatureVersion``, ``SigningCertURL`` (unless given) and ``Signature``."""
        envelope = dict(envelope)
        envelope.setdefault("SignatureVersion", str(self.version))
        envelope.setdefault("SigningCertURL", self.pki.cert_url)
        algorithm = hashes.SHA1() if envelope["SignatureVersion"] == "1" else hashes.SHA256()
        signature = self.pki.signing_key.sign(string_to_sign(envelope), padding.PKCS1v15(), algorithm)
        envelope["Signature"] = base64.b64encode(signature).decode("ascii")
        return envelope

    def notification(
        self, message: str, *, subject: str | None = None, message_id: str = ""
    ) -> dict[str, Any]:
        """A signed ``Notification`` carrying ``message``."""
        envelope: dict[str, Any] = {
            "Type": "Notification",
            "MessageId": message_id or str(uuid.uuid4()),
            "TopicArn": self.topic_arn,
            "Message": message,
            "Timestamp": _now(),
            "UnsubscribeURL": "https://sns.eu-west-3.amazonaws.com/?Action=Unsubscribe&SubscriptionArn="
            + self.topic_arn
            + ":sub",
        }
        if subject is not None:
            envelope["Subject"] = subject
        return self.sign(envelope)

    def confirmation(
        self, kind: str = "SubscriptionConfirmation", *, subscribe_url: str = "", token: str = ""
    ) -> dict[str, Any]:
        """A signed ``SubscriptionConfirmation`` (or ``UnsubscribeConfirmation``)."""
        token = token or uuid.uuid4().hex
        envelope = {
            "Type": kind,
            "MessageId": str(uuid.uuid4()),
            "Token": token,
            "TopicArn": self.topic_arn,
            "Message": f"You have chosen to subscribe to the topic {self.topic_arn}.",
            "SubscribeURL": subscribe_url
            or f"https://sns.eu-west-3.amazonaws.com/?Action=ConfirmSubscription&TopicArn={self.topic_arn}&Token={token}",
            "Timestamp": _now(),
        }
        return self.sign(envelope)

    def headers(self, envelope: dict[str, Any]) -> dict[str, str]:
        """The headers SNS sends with a delivery (``text/plain``, as the real service does)."""
        return {
            "content-type": "text/plain; charset=UTF-8",
            "x-amz-sns-message-type": str(envelope.get("Type", "")),
            "x-amz-sns-message-id": str(envelope.get("MessageId", "")),
            "x-amz-sns-topic-arn": str(envelope.get("TopicArn", "")),
        }

    @staticmethod
    def body(envelope: dict[str, Any]) -> bytes:
        """The POST body."""
        return json.dumps(envelope).encode("utf-8")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{datetime.now(UTC).microsecond // 1000:03d}Z"


def ses_event(
    event_type: str,
    *,
    message_id: str,
    recipient: str,
    tags: dict[str, list[str]] | None = None,
    header_message_id: str = "",
    field: str = "eventType",
    **detail: Any,
) -> dict[str, Any]:
    """An SES event record (WIRE.md §4.2) as published to SNS.

    Args:
        event_type: ``Send``, ``Delivery``, ``Open``, ``Click``, ``Bounce``, ``Complaint``...
        message_id: the SES message id.
        recipient: the destination address.
        tags: configuration-set email tags (our ledger key travels as ``crmtui_key``).
        header_message_id: our ``Message-ID`` header, if it should appear in ``commonHeaders``.
        field: ``eventType`` (event publishing) or ``notificationType`` (identity feedback).
        **detail: the event's own object (``bounce={...}``, ``open={...}``...).
    """
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    mail: dict[str, Any] = {
        "timestamp": now,
        "messageId": message_id,
        "source": "crmtui@exemple.fr",
        "destination": [recipient],
        "headersTruncated": False,
        "headers": [{"name": "To", "value": recipient}],
        "commonHeaders": {"to": [recipient]},
    }
    if header_message_id:
        mail["headers"].append({"name": "Message-ID", "value": header_message_id})
        mail["commonHeaders"]["messageId"] = header_message_id
    if tags and field == "eventType":
        mail["tags"] = tags
    record: dict[str, Any] = {field: event_type, "mail": mail}
    record.update(detail)
    return record
