"""SMTP sender (aiosmtplib) and the email both senders send.

:class:`OutgoingEmail` is what the scenario engine hands a sender: one recipient, a subject, HTML
and text parts, our deterministic ``Message-ID``, the RFC 8058 one-click unsubscribe headers and
the tags (the ledger key) that come back with provider events.

:class:`SmtpSender` keeps a few connections open and sends each message with explicit
``MAIL``/``RCPT``/``DATA`` steps, because *where* a failure happens decides what it means:

- refused before ``DATA`` completes (connection refused, ``4xx`` such as ``454 Throttling
  failure``) → :class:`Throttled` or :class:`~crmtui.connectors.errors.NetworkError`: known not
  sent, retried later, never a failed recipient;
- ``5xx`` on ``RCPT`` or at the end of ``DATA`` → :class:`RecipientRejected`: only this
  recipient fails;
- the connection drops or times out after the message body left → :class:`OutcomeUnknown`: it
  may have been delivered, so it is never re-sent automatically;
- an answer about the *account* rather than this message (``530``/``535`` authentication,
  ``5yz`` relay denied, the sender refused at ``MAIL FROM``, ``454 Throttling failure: Daily
  message quota exceeded``) → :class:`AccountRefused` or :class:`QuotaExceeded`: known not sent,
  and the tick stops instead of failing every recipient one by one.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from typing import Any

import aiosmtplib

from crmtui.connectors.errors import (
    AuthError,
    ConnectorError,
    NetworkError,
    OutcomeUnknown,
    RateLimited,
    RequestRejected,
)
from crmtui.connectors.http import RollingWindowLimiter
from crmtui.i18n import t
from crmtui.secrets import Secret, redact

log = logging.getLogger("crmtui.connectors.smtp")

SMTP_POLICY = compat32.clone(linesep="\r\n")
"""CRLF line ends, the fast classic header handling (``email.policy.SMTP`` parses every header)."""


class Throttled(RateLimited):
    """The provider asked us to slow down (HTTP 429, SMTP 454): known not sent, retry later."""


class QuotaExceeded(RateLimited):
    """The provider's daily quota is used up: known not sent, retry after the quota resets."""


class RecipientRejected(RequestRejected):
    """The provider refused this one recipient or message (SES ``MessageRejected``, SMTP 5xx)."""


ACCOUNT_REASONS = (
    "unverified_sender",
    "mail_from_unverified",
    "sending_paused",
    "account_suspended",
    "limit",
    "not_found",
    "auth",
    "relay_denied",
    "sender_refused",
    "quota",
    "refused",
)
"""Why an account was refused; each has a notice with the fix in the catalogue (``sending.account.*``)."""


class AccountRefused(RequestRejected):
    """The provider refused the account, not this message: known not sent, stop the batch.

    SES: an unverified sender identity, ``SendingPausedException``, ``AccountSuspendedException``,
    ``LimitExceededException``...; SMTP: ``530``/``535`` authentication, relay denied, the sender
    refused. The message is not a failed recipient: it is due again once the account is fixed.

    Attributes:
        reason: one of :data:`ACCOUNT_REASONS`.
    """

    def __init__(self, service: str, message: str, *, reason: str, **kw: Any) -> None:
        super().__init__(service, message, **kw)
        self.reason = reason if reason in ACCOUNT_REASONS else "refused"


_AUTH_CODES = frozenset({530, 535})
"""RFC 4954: 530 authentication required, 535 authentication credentials invalid."""


def _smtp_refusal(stage: str, code: int, text: str) -> ConnectorError:
    """The typed error for an SMTP reply ``code``/``text`` refusing ``stage`` (mail, rcpt, data).

    RFC 5321 §4.2.1: ``4yz`` is a transient refusal (deferred), ``5yz`` a permanent one; either
    way the server said it did not take the message.
    """
    detail = f"{code} {text}".strip()
    lowered = text.lower()
    if code in _AUTH_CODES:
        return AccountRefused("smtp", t("cerr.smtp.auth_refused", detail=detail), reason="auth", status=code)
    if "quota" in lowered:
        # Amazon SES over SMTP: "454 Throttling failure: Daily message quota exceeded".
        return QuotaExceeded("smtp", t("cerr.smtp.quota", detail=detail), status=code)
    if 400 <= code < 500:
        which = stage if stage in ("mail", "rcpt") else "data"
        return Throttled("smtp", t(f"cerr.smtp.deferred.{which}", detail=detail), status=code)
    if "relay" in lowered:
        # Postfix "554 5.7.1 <x>: Relay access denied", Exchange "550 5.7.1 Unable to relay".
        return AccountRefused("smtp", t("cerr.smtp.relay", detail=detail), reason="relay_denied", status=code)
    if stage == "mail":
        return AccountRefused(
            "smtp", t("cerr.smtp.sender", detail=detail), reason="sender_refused", status=code
        )
    which = "recipient" if stage == "rcpt" else "message"
    return RecipientRejected("smtp", t(f"cerr.smtp.{which}", detail=detail), status=code)


@dataclass(frozen=True)
class OutgoingEmail:
    """One email to one recipient, ready for any sender.

    Attributes:
        key: the ledger key (SHA-256 hex).
        message_id: our Message-ID without angle brackets (derived from the key).
        from_addr: the From header (``Name <addr>`` or ``addr``).
        to: the recipient address.
        subject: the subject line.
        html: the HTML part ("" for none).
        text: the text part.
        unsubscribe_url: the https one-click URL ("" to leave the headers out).
        unsubscribe_mailto: an optional ``mailto:`` alternative.
        tags: provider tags (SES email tags); values are ASCII letters, digits, ``_-.@``.
        headers: further headers.
    """

    key: str
    message_id: str
    from_addr: str
    to: str
    subject: str
    html: str
    text: str
    unsubscribe_url: str = ""
    unsubscribe_mailto: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)

    def extra_headers(self) -> dict[str, str]:
        """Message-ID, the RFC 8058 headers and any further headers, as sent by every sender."""
        out = {"Message-ID": f"<{self.message_id}>"}
        if self.unsubscribe_url:
            links = [f"<{self.unsubscribe_url}>"]
            if self.unsubscribe_mailto:
                links.append(f"<{self.unsubscribe_mailto}>")
            out["List-Unsubscribe"] = ", ".join(links)
            out["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        out.update(self.headers)
        return out

    def mime(self) -> Message:
        """The MIME message (text, plus an HTML alternative when there is one).

        Built with the classic ``email.mime`` classes: they are several times faster than the
        ``EmailMessage`` header registry, which matters at thousands of sends per tick.
        """
        text = MIMEText(self.text or " ", "plain", "utf-8")
        msg: Message
        if self.html:
            msg = MIMEMultipart("alternative")
            msg.attach(text)
            msg.attach(MIMEText(self.html, "html", "utf-8"))
        else:
            msg = text
        name, addr = email.utils.parseaddr(self.from_addr)
        msg["From"] = email.utils.formataddr((name, addr), charset="utf-8") if name else addr
        msg["To"] = self.to
        msg["Subject"] = self.subject if self.subject.isascii() else Header(self.subject, "utf-8").encode()
        msg["Date"] = email.utils.formatdate(localtime=False, usegmt=True)
        for header, value in self.extra_headers().items():
            msg[header] = value
        return msg


def _address(value: str) -> str:
    return email.utils.parseaddr(value)[1] or value


class SmtpSender:
    """Sends :class:`OutgoingEmail` over SMTP with a few reusable connections.

    Args:
        host, port: the SMTP server.
        username, password: login (none when ``username`` is empty).
        starttls: upgrade with STARTTLS (ignored with ``use_tls``).
        use_tls: implicit TLS (port 465); defaults to ``port == 465``.
        max_rate: messages per second at most (None: as fast as the server answers).
        connections: connections kept open at once.
        timeout: seconds for each SMTP command.
        validate_certs: check the server's certificate (off only for a local sink).
        cert_bundle: a CA bundle to trust (a relay with a private CA), instead of the system's.
    """

    name = "smtp"

    def __init__(
        self,
        host: str,
        port: int = 587,
        *,
        username: str = "",
        password: Secret | None = None,
        starttls: bool = True,
        use_tls: bool | None = None,
        max_rate: float | None = None,
        connections: int = 4,
        timeout: float = 30.0,
        validate_certs: bool = True,
        cert_bundle: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.username = username
        self.password = password or Secret("")
        self.use_tls = port == 465 if use_tls is None else use_tls
        self.starttls = starttls and not self.use_tls
        self.timeout = timeout
        self.validate_certs = validate_certs
        self.cert_bundle = cert_bundle
        self.max_rate = max_rate
        self.concurrency = max(1, connections)
        self.limiter = RollingWindowLimiter(max(1, int(max_rate)), 1.0) if max_rate else None
        self._idle: list[aiosmtplib.SMTP] = []
        self._slots = asyncio.Semaphore(self.concurrency)
        self.sent = 0
        self.throttled = 0

    @property
    def rate(self) -> float | None:
        """Messages per second allowed (None: no limit of ours)."""
        return self.max_rate

    async def _connect(self) -> aiosmtplib.SMTP:
        client = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            use_tls=self.use_tls,
            start_tls=self.starttls,
            timeout=self.timeout,
            validate_certs=self.validate_certs,
            cert_bundle=self.cert_bundle,
        )
        try:
            await client.connect()
            if self.username:
                await client.login(self.username, self.password.reveal())
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise AuthError(
                "smtp",
                t("cerr.smtp.login", code=exc.code, detail=exc.message),
                hint=t("cerr.smtp.login.fix"),
                status=exc.code,
            ) from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise NetworkError(
                "smtp",
                t("cerr.smtp.connect", host=self.host, port=self.port, detail=redact(str(exc))),
                hint=t("cerr.smtp.connect.fix"),
            ) from exc
        return client

    async def send(self, message: OutgoingEmail) -> str:
        """Send one email; return the server's acceptance text.

        Raises:
            Throttled: 4xx before the message was accepted (454 and friends).
            QuotaExceeded: the daily quota is used up (stops the batch).
            RecipientRejected: 5xx for this recipient or message.
            OutcomeUnknown: the connection broke after the body was sent.
            NetworkError: could not connect (nothing sent).
            AuthError, AccountRefused: login, authentication, relay or sender refused (stops the batch).
        """
        async with self._slots:
            if self.limiter is not None:
                await self.limiter.acquire()
            reused = bool(self._idle)
            client = self._idle.pop() if reused else await self._connect()
            keep = False
            try:
                try:
                    reply = await self._transaction(client, message)
                except NetworkError:
                    if not reused:
                        raise
                    # An idle connection the server had closed: lost before DATA, so nothing was
                    # sent. Once more on a fresh connection.
                    with contextlib.suppress(Exception):
                        client.close()
                    client = await self._connect()
                    reply = await self._transaction(client, message)
                keep = True
                self.sent += 1
                return reply
            except (Throttled, RecipientRejected, AccountRefused, QuotaExceeded):
                keep = client.is_connected
                raise
            finally:
                if keep and client.is_connected:
                    self._idle.append(client)
                else:
                    with contextlib.suppress(Exception):
                        client.close()

    async def _transaction(self, client: aiosmtplib.SMTP, message: OutgoingEmail) -> str:
        sender = _address(message.from_addr)
        try:
            await client.mail(sender)
        except aiosmtplib.SMTPResponseException as exc:
            await _reset(client)
            raise self._refused("mail", exc) from exc
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError) as exc:
            raise NetworkError("smtp", t("cerr.smtp.lost_before", detail=exc)) from exc
        try:
            await client.rcpt(message.to)
        except aiosmtplib.SMTPResponseException as exc:
            await _reset(client)
            raise self._refused("rcpt", exc) from exc
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError) as exc:
            raise NetworkError("smtp", t("cerr.smtp.lost_before", detail=exc)) from exc
        body = message.mime().as_bytes(policy=SMTP_POLICY)
        try:
            response = await client.data(body)
        except aiosmtplib.SMTPResponseException as exc:
            # A definite answer to DATA: the message was not accepted.
            await _reset(client)
            raise self._refused("data", exc) from exc
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError) as exc:
            raise OutcomeUnknown(
                "smtp",
                t("cerr.smtp.lost_during", detail=exc),
                hint=t("cerr.smtp.lost_during.fix"),
            ) from exc
        return f"{response.code} {response.message}"[:200]

    def _refused(self, stage: str, exc: aiosmtplib.SMTPResponseException) -> ConnectorError:
        error = _smtp_refusal(stage, exc.code, exc.message)
        if isinstance(error, Throttled):
            self.throttled += 1
        return error

    async def close(self) -> None:
        """Close every idle connection politely."""
        while self._idle:
            client = self._idle.pop()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.quit(), 2)
            with contextlib.suppress(Exception):
                client.close()

    async def check(self) -> None:
        """Connect (and log in) once.

        Raises:
            ConnectorError: the server cannot be reached or refuses the login.
        """
        client = await self._connect()
        self._idle.append(client)


async def _reset(client: aiosmtplib.SMTP) -> None:
    with contextlib.suppress(aiosmtplib.SMTPException, OSError):
        await client.rset()


__all__ = [
    "AccountRefused",
    "ConnectorError",
    "OutgoingEmail",
    "QuotaExceeded",
    "RecipientRejected",
    "SmtpSender",
    "Throttled",
]
