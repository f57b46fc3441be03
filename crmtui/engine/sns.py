"""Amazon SNS message verification (HTTP/S deliveries of SES events).

WIRE.md §4.3 is the contract. A delivery is trusted only when every check passes:

1. the body parses as a JSON object (whatever the ``Content-Type`` says: SNS sends ``text/plain``);
2. ``Type`` is ``Notification``, ``SubscriptionConfirmation`` or ``UnsubscribeConfirmation``;
3. ``SignatureVersion`` is ``"1"`` (SHA1withRSA) or ``"2"`` (SHA256withRSA), nothing else;
4. ``TopicArn`` is one of the allowed topics;
5. ``SigningCertURL`` is ``https``, carries no user-info, no explicit non-443 port, and its host
   matches the allow-list pattern (by default ``sns.<region>.amazonaws.com``);
6. the certificate (fetched once through an injectable fetcher and cached) is currently valid,
   and, when trusted issuers are configured (the sandbox's test CA), signed by one of them;
7. the signature verifies over the exact string to sign (``Name\\nValue\\n`` pairs in the
   documented order; ``Subject`` only when present);
8. the signed ``Timestamp`` is at most :data:`MAX_AGE` old (and not far in the future): a captured
   genuine Bounce or Complaint cannot be replayed once the ``MessageId`` replay guard has pruned
   it (issue #12). Checked after the signature, so a forged date is a signature failure.

Checks that need no network (1–5) run before any certificate is fetched, so a forged URL never
makes us connect anywhere. Replays (a ``MessageId`` already seen) are decided by the caller inside
its store transaction, after the signature is known good, so forged messages cannot fill the
"seen" table.

Trust in production comes from the https fetch itself (TLS validates that the host really is
``sns.<region>.amazonaws.com``) plus the host allow-list, as the AWS SDK validators do; SNS serves
the leaf certificate alone, without its intermediates, so there is no chain to walk.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

DEFAULT_CERT_HOST_PATTERN = r"^sns\.[a-zA-Z0-9\-]{3,}\.amazonaws\.com(\.cn)?$"
"""Hosts allowed to serve signing certificates (the pattern used by common validators)."""

MESSAGE_TYPES = ("Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation")

NOTIFICATION_FIELDS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
"""Fields signed in a Notification, in order (``Subject`` only when present)."""

CONFIRMATION_FIELDS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
"""Fields signed in (Un)SubscriptionConfirmation messages, in order."""

_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}

CertFetcher = Callable[[str], Awaitable[bytes]]
"""Fetches a PEM certificate by URL (injectable: tests serve the sandbox's test certificate)."""

MAX_AGE = timedelta(hours=1)
"""A genuine delivery older than this (its signed ``Timestamp``) is refused as ``stale``.

"The total policy retry time for an HTTP/S endpoint cannot be greater than 3,600 seconds" (AWS,
https://docs.aws.amazon.com/sns/latest/dg/sns-message-delivery-retries.html; the default policy is
3 retries 20 s apart): a copy signed more than an hour ago is a replay, not an SNS retry."""

MAX_SKEW = timedelta(minutes=15)
"""How far in the future a ``Timestamp`` may be (clock skew between SNS and us)."""

MAX_BODY = 256 * 1024 + 16 * 1024
"""An SNS message is at most 256 KiB; the envelope adds a little."""


class SnsRejected(Exception):
    """A delivery that must not be trusted.

    Attributes:
        reason: a short machine-readable reason (``bad_json``, ``topic``, ``cert_url``...).
        status: the HTTP status to answer (400 for a malformed body, 403 for a failed check).
    """

    def __init__(self, reason: str, detail: str = "", status: int = 403) -> None:
        self.reason = reason
        self.detail = detail
        self.status = status
        super().__init__(f"{reason}: {detail}" if detail else reason)


@dataclass(frozen=True)
class SnsMessage:
    """A verified SNS delivery.

    Attributes:
        type: ``Notification``, ``SubscriptionConfirmation`` or ``UnsubscribeConfirmation``.
        message_id: SNS's ``MessageId`` (the replay key).
        topic_arn: the topic it came from.
        message: the ``Message`` string (for SES events: a JSON event record).
        timestamp: SNS's ``Timestamp`` (ISO 8601).
        subscribe_url: the URL confirming a subscription ("" on notifications).
        raw: the whole envelope.
    """

    type: str
    message_id: str
    topic_arn: str
    message: str
    timestamp: str
    subscribe_url: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


def parse_body(body: bytes) -> dict[str, Any]:
    """The envelope as a dict; JSON whatever the content type.

    Raises:
        SnsRejected: (status 400) not a JSON object, or too large.
    """
    if len(body) > MAX_BODY:
        raise SnsRejected("too_large", f"{len(body)} bytes", status=413)
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SnsRejected("bad_json", str(exc), status=400) from exc
    if not isinstance(data, dict):
        raise SnsRejected("bad_json", "not an object", status=400)
    return data


def string_to_sign(envelope: dict[str, Any]) -> bytes:
    """The exact bytes SNS signs for this envelope (WIRE.md §4.3).

    Raises:
        SnsRejected: a signed field is missing or not a string, or the type is unknown.
    """
    kind = envelope.get("Type")
    if kind == "Notification":
        names: Iterable[str] = NOTIFICATION_FIELDS
    elif kind in ("SubscriptionConfirmation", "UnsubscribeConfirmation"):
        names = CONFIRMATION_FIELDS
    else:
        raise SnsRejected("type", f"unknown Type {kind!r}")
    parts: list[str] = []
    for name in names:
        if name not in envelope:
            if name == "Subject":
                continue
            raise SnsRejected("missing_field", name)
        value = envelope[name]
        if name == "Subject" and value is None:
            continue
        if not isinstance(value, str):
            raise SnsRejected("missing_field", f"{name} is not a string")
        parts.append(f"{name}\n{value}\n")
    return "".join(parts).encode("utf-8")


def check_https_url(url: str, host_pattern: re.Pattern[str], what: str = "cert_url") -> None:
    """Refuse anything but ``https://<allowed host>[:443]/...`` with no user-info.

    Raises:
        SnsRejected: with ``reason=what``.
    """
    if not isinstance(url, str) or not url:
        raise SnsRejected(what, "missing")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise SnsRejected(what, f"unparsable URL: {exc}") from exc
    if parts.scheme != "https":
        raise SnsRejected(what, f"scheme {parts.scheme!r} is not https")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise SnsRejected(what, "user-info in URL")
    if port not in (None, 443):
        raise SnsRejected(what, f"port {port}")
    host = parts.hostname or ""
    if not host_pattern.fullmatch(host):
        raise SnsRejected(what, f"host {host!r} not allowed")
    if "\\" in url or any(ord(c) < 0x21 for c in url):
        raise SnsRejected(what, "control characters or backslashes in URL")


@dataclass
class _CachedCert:
    key: rsa.RSAPublicKey
    not_after: datetime
    not_before: datetime


class SnsVerifier:
    """Verifies SNS envelopes; see the module docstring for the checks.

    Args:
        allowed_topics: topic ARNs accepted (an empty set accepts none).
        cert_fetcher: async ``url -> PEM bytes``; the default GETs over https with httpx.
        cert_host_pattern: regular expression the certificate URL's host must match in full.
        trusted_issuers: CA certificates the signing certificate must be issued by (the sandbox
            test CA); ``()`` relies on TLS and the host allow-list (production).
        clock: returns now (tests freeze it).
    """

    def __init__(
        self,
        allowed_topics: Iterable[str],
        *,
        cert_fetcher: CertFetcher | None = None,
        cert_host_pattern: str = DEFAULT_CERT_HOST_PATTERN,
        trusted_issuers: Iterable[x509.Certificate] = (),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.allowed_topics = frozenset(allowed_topics)
        self.cert_fetcher = cert_fetcher or fetch_https
        self.host_pattern = re.compile(cert_host_pattern)
        self.trusted_issuers = tuple(trusted_issuers)
        self.clock = clock
        self._cache: dict[str, _CachedCert] = {}
        self._lock = threading.Lock()
        self.fetches = 0
        """How many certificates were fetched (the cache keeps this at one per URL)."""

    # -- checks ------------------------------------------------------------------------------

    def precheck(self, envelope: dict[str, Any]) -> SnsMessage:
        """Every check that needs no network; returns the typed message.

        Raises:
            SnsRejected: the first failed check.
        """
        kind = envelope.get("Type")
        if kind not in MESSAGE_TYPES:
            raise SnsRejected("type", f"unknown Type {kind!r}")
        version = envelope.get("SignatureVersion")
        if not isinstance(version, str) or version not in _HASHES:
            raise SnsRejected("signature_version", repr(version))
        topic = envelope.get("TopicArn")
        if not isinstance(topic, str) or topic not in self.allowed_topics:
            raise SnsRejected("topic", repr(topic))
        message_id = envelope.get("MessageId")
        if not isinstance(message_id, str) or not message_id:
            raise SnsRejected("missing_field", "MessageId")
        check_https_url(envelope.get("SigningCertURL", ""), self.host_pattern)
        string_to_sign(envelope)  # every signed field present
        subscribe_url = str(envelope.get("SubscribeURL") or "")
        if kind == "SubscriptionConfirmation":
            # We will GET it: same rules as the certificate URL (no SSRF through a forged body).
            check_https_url(subscribe_url, self.host_pattern, "subscribe_url")
        return SnsMessage(
            type=kind,
            message_id=message_id,
            topic_arn=topic,
            message=str(envelope.get("Message") or ""),
            timestamp=str(envelope.get("Timestamp") or ""),
            subscribe_url=subscribe_url,
            raw=envelope,
        )

    async def verify(self, envelope: dict[str, Any]) -> SnsMessage:
        """Run every check, signature included.

        Raises:
            SnsRejected: the first failed check.
        """
        message = self.precheck(envelope)
        try:
            signature = base64.b64decode(str(envelope.get("Signature") or ""), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise SnsRejected("signature", "not base64") from exc
        if not signature:
            raise SnsRejected("signature", "empty")
        key = await self._public_key(envelope["SigningCertURL"])
        algorithm = _HASHES[envelope["SignatureVersion"]]()
        try:
            key.verify(signature, string_to_sign(envelope), padding.PKCS1v15(), algorithm)
        except InvalidSignature as exc:
            raise SnsRejected("signature", "does not verify") from exc
        self.check_fresh(message.timestamp)
        return message

    def check_fresh(self, timestamp: str) -> None:
        """Refuse a ``Timestamp`` older than :data:`MAX_AGE` or beyond :data:`MAX_SKEW` ahead.

        Raises:
            SnsRejected: ``stale`` (too old, too far ahead, or unreadable).
        """
        try:
            at = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
        except ValueError as exc:
            raise SnsRejected("stale", f"unreadable Timestamp {timestamp[:40]!r}") from exc
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        now = self.clock()
        if at < now - MAX_AGE:
            raise SnsRejected("stale", f"Timestamp {timestamp[:40]} is older than {MAX_AGE}")
        if at > now + MAX_SKEW:
            raise SnsRejected("stale", f"Timestamp {timestamp[:40]} is in the future")

    async def verify_body(self, body: bytes) -> SnsMessage:
        """:func:`parse_body` then :meth:`verify`."""
        return await self.verify(parse_body(body))

    # -- certificates --------------------------------------------------------------------------

    async def _public_key(self, url: str) -> rsa.RSAPublicKey:
        now = self.clock()
        with self._lock:
            cached = self._cache.get(url)
        if cached is None:
            try:
                pem = await self.cert_fetcher(url)
            except SnsRejected:
                raise
            except Exception as exc:  # noqa: BLE001 - any fetch failure means "cannot trust"
                raise SnsRejected("cert_fetch", type(exc).__name__, status=403) from exc
            cached = self._load(pem)
            with self._lock:
                self._cache[url] = cached
                self.fetches += 1
        if not cached.not_before <= now <= cached.not_after:
            raise SnsRejected("cert_expired", cached.not_after.isoformat())
        return cached.key

    def _load(self, pem: bytes) -> _CachedCert:
        try:
            cert = x509.load_pem_x509_certificate(pem)
        except ValueError as exc:
            raise SnsRejected("cert_invalid", "not a PEM certificate") from exc
        key = cert.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise SnsRejected("cert_invalid", "not an RSA key")
        if self.trusted_issuers and not any(_issued_by(cert, ca) for ca in self.trusted_issuers):
            raise SnsRejected("cert_untrusted", "not issued by a trusted CA")
        return _CachedCert(key, cert.not_valid_after_utc, cert.not_valid_before_utc)


def _issued_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


async def fetch_https(url: str) -> bytes:
    """GET ``url`` over https (TLS verified, no redirects followed) and return the body."""
    import httpx

    async with httpx.AsyncClient(timeout=10.0, follow_redirects=False) as client:
        response = await client.get(url)
        response.raise_for_status()
        return response.content[:65536]
