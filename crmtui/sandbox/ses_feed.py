"""SES event publishing for the SES simulator: every accepted message becomes a ``Send`` and a
``Delivery`` event record, published as a signed SNS notification to an https endpoint, as a
configuration set with an SNS event destination does.

The feed reads :attr:`crmtui.sandbox.mail.SesSim.messages` from a cursor (SES publishes events
asynchronously, after ``SendEmail`` has answered), builds the records of WIRE.md §4.2 (the
``Message-ID`` the client submitted, if any, in ``commonHeaders``; the email tags, among them the
ledger key, in ``mail.tags``),
signs the SNS envelopes with the sandbox's test PKI (:func:`crmtui.sandbox.sns.sandbox_pki`, the CA
that ``crmtui serve`` trusts in sandbox mode) and POSTs them like SNS: ``text/plain`` bodies, the
``x-amz-sns-*`` headers, a few retries when the endpoint does not answer 200.

Usage::

    feed = SesEventFeed(sandbox.ses, sandbox.urls["serve"] + "/sns/ses")
    async with httpx.AsyncClient(verify=sandbox.tls.client_context()) as client:
        delivered = await feed.publish_new(client)
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import unescape
from typing import Any

import httpx

from crmtui.sandbox.mail import SesSim
from crmtui.sandbox.sns import SandboxPki, SnsPublisher, sandbox_pki, ses_event

SANDBOX_TOPIC = "arn:aws:sns:eu-west-3:000000000000:crmtui-sandbox-ses-events"
"""The topic the sandbox publishes to: ``crmtui serve`` accepts it in sandbox mode
(``crmtui.cli.serve.SANDBOX_TOPIC``, the same ARN; a test keeps them equal)."""

_PIXEL = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*(["'])([^"']*/t/o/[^"']+)\1""", re.IGNORECASE)
_CLICK = re.compile(r"""<a\b[^>]*?\bhref\s*=\s*(["'])([^"']*/t/c/[^"']+)\1""", re.IGNORECASE)
_ANGLE = re.compile(r"<(https?://[^>]+)>")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Delivered:
    """One message the simulator delivered, as its recipient receives it.

    Attributes:
        ses_id: SES's ``MessageId``.
        message_id: the delivered ``Message-ID`` header (SES's ``MessageId@REGION.amazonses.com``),
            without angle brackets.
        key: the ``ledger_key`` email tag ("" when absent).
        recipient: the address it went to.
        subject: the subject line.
        html: the HTML body ("" for text only).
        headers: the extra headers sent (``List-Unsubscribe``...).
        delivered_at: when the Delivery event says it arrived.
        raw: the message as delivered (``ImapSandbox.answer`` replies to it).
    """

    ses_id: str
    message_id: str
    recipient: str
    subject: str
    html: str
    headers: dict[str, str]
    delivered_at: datetime
    key: str = ""
    raw: bytes = b""

    @property
    def open_url(self) -> str:
        """The open pixel's URL ("" when the body has none)."""
        match = _PIXEL.search(self.html)
        return unescape(match.group(2)) if match else ""

    @property
    def click_urls(self) -> list[str]:
        """The tracked links, in order."""
        return [unescape(m.group(2)) for m in _CLICK.finditer(self.html)]

    @property
    def unsubscribe_url(self) -> str:
        """The https ``List-Unsubscribe`` URL ("" when absent)."""
        match = _ANGLE.search(self.headers.get("List-Unsubscribe", ""))
        return match.group(1) if match else ""


@dataclass
class SesEventFeed:
    """Publishes the simulator's Send/Delivery events to ``url`` as signed SNS notifications.

    Args:
        ses: the simulator whose accepted messages are published.
        url: the endpoint (``crmtui serve``'s ``/sns/ses``).
        topic_arn: the topic the notifications come from.
        pki: the signing certificate and key (the sandbox's test PKI by default).
        version: SNS ``SignatureVersion`` (1: SHA1withRSA, SNS's default; 2: SHA256withRSA).
        retries: further attempts when the endpoint does not answer 200 (SNS retries too).

    Attributes:
        published: notifications accepted by the endpoint, per event type.
        failures: ``(event type, status, body)`` of notifications given up on.
    """

    ses: SesSim
    url: str
    topic_arn: str = SANDBOX_TOPIC
    pki: SandboxPki | None = None
    version: int = 1
    retries: int = 3
    published: Counter[str] = field(default_factory=Counter)
    failures: list[tuple[str, int, str]] = field(default_factory=list)
    _cursor: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.publisher = SnsPublisher(self.pki or sandbox_pki(), self.topic_arn, version=self.version)

    def take_new(self) -> list[dict[str, Any]]:
        """Messages accepted by the simulator since the last call."""
        with self._lock, self.ses.lock:
            new = self.ses.messages[self._cursor :]
            self._cursor = len(self.ses.messages)
        return list(new)

    def records(self, message: dict[str, Any], delivered_at: datetime) -> list[dict[str, Any]]:
        """The ``Send`` and ``Delivery`` event records of one accepted message."""
        headers: dict[str, str] = dict(message.get("Headers") or {})
        recipient = str(message["To"][0])
        tags = {str(k): [str(v)] for k, v in (message.get("Tags") or {}).items()}
        if message.get("ConfigurationSetName"):
            tags["ses:configuration-set"] = [str(message["ConfigurationSetName"])]
        sent_at = str(message.get("at") or _iso(delivered_at))
        out = []
        for kind, detail in (
            ("Send", {"send": {}}),
            (
                "Delivery",
                {
                    "delivery": {
                        "timestamp": _iso(delivered_at),
                        "processingTimeMillis": 412,
                        "recipients": [recipient],
                        "smtpResponse": "250 2.0.0 OK  1732531200 sandbox",
                        "reportingMTA": "a8-12.smtp-out.eu-west-3.amazonses.com",
                    }
                },
            ),
        ):
            record = ses_event(
                kind,
                message_id=str(message["MessageId"]),
                recipient=recipient,
                tags=tags,
                header_message_id=headers.get("Message-ID", ""),
                **detail,
            )
            record["mail"]["timestamp"] = sent_at.replace("+00:00", "Z")
            record["mail"]["source"] = str(message.get("From", ""))
            record["mail"]["commonHeaders"].update(
                {"from": [str(message.get("From", ""))], "subject": str(message.get("Subject", ""))}
            )
            out.append(record)
        return out

    async def _post(self, client: httpx.AsyncClient, kind: str, record: dict[str, Any]) -> bool:
        envelope = self.publisher.notification(json.dumps(record))
        body = SnsPublisher.body(envelope)
        status, text = 0, ""
        for attempt in range(self.retries + 1):
            try:
                response = await client.post(self.url, content=body, headers=self.publisher.headers(envelope))
                status, text = response.status_code, response.text[:200]
            except httpx.HTTPError as exc:
                status, text = 0, f"{type(exc).__name__}: {exc}"
            if status == 200:
                self.published[kind] += 1
                return True
            await asyncio.sleep(0.2 * (attempt + 1))
        self.failures.append((kind, status, text))
        return False

    async def publish(self, client: httpx.AsyncClient, message: dict[str, Any]) -> Delivered | None:
        """Publish one message's Send then Delivery; the delivered message, or None if refused."""
        delivered_at = datetime.now(UTC)
        send, delivery = self.records(message, delivered_at)
        await self._post(client, "Send", send)
        if not await self._post(client, "Delivery", delivery):
            return None
        body = message.get("Body") or {}
        return Delivered(
            ses_id=str(message["MessageId"]),
            message_id=str(message.get("MessageIdHeader") or "").strip("<>"),
            recipient=str(message["To"][0]).lower(),
            subject=str(message.get("Subject", "")),
            html=str((body.get("Html") or {}).get("Data", "")),
            headers=dict(message.get("Headers") or {}),
            delivered_at=delivered_at,
            key=str((message.get("Tags") or {}).get("ledger_key", "")),
            raw=bytes(message.get("raw") or b""),
        )

    async def publish_new(self, client: httpx.AsyncClient, concurrency: int = 16) -> list[Delivered]:
        """Publish every message accepted since the last call (``concurrency`` at once)."""
        slots = asyncio.Semaphore(concurrency)

        async def one(message: dict[str, Any]) -> Delivered | None:
            async with slots:
                return await self.publish(client, message)

        results = await asyncio.gather(*(one(m) for m in self.take_new()))
        return [d for d in results if d is not None]
