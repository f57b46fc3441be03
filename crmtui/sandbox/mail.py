"""Mail simulators: an Amazon SES v2 simulator (ASGI) and an SMTP sink (aiosmtpd).

Both count deliveries per ``Message-ID`` so tests and the demo can prove "exactly once":
``deliveries[message_id] == 1`` for every email, whatever crashed in between.

SES v2 simulator (faithful to WIRE.md §4.1):

- ``POST /v2/email/outbound-emails``: SigV4 verified (signing name ``ses``, the configured key),
  ``FromEmailAddress`` must be a verified identity (else ``400 MessageRejected`` "Email address is
  not verified..."), rate limited at ``MaxSendRate`` with a token bucket (``429`` with
  ``x-amzn-ErrorType: TooManyRequestsException`` and ``{"message":"Maximum sending rate
  exceeded."}``), a daily quota (``429 TooManyRequestsException`` "Daily message quota
  exceeded."), configurable rejections (``400 MessageRejected``) and ``{"MessageId": ...}`` on
  success; ``Simple`` and ``Raw`` content (``Raw.Data`` is base64 on the wire); the message as its
  recipient receives it is kept (``messages[i]["raw"]``), with SES's own ``Message-ID``
  ``<MessageId@REGION.amazonses.com>`` and ``Date`` in place of any the client gave (see
  :meth:`SesSim.delivered`). The account-level errors of SendEmail can be switched on:
  ``sending_paused`` (``400 SendingPausedException``), ``suspended`` (``400
  AccountSuspendedException``), an unknown configuration set (``404 NotFoundException``, when
  ``configuration_sets`` is given), and the SES sandbox's rule that recipients must be verified
  too (``production_access=False``). Codes and meanings:
  https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html (section Errors); the
  quota and rate messages: https://docs.aws.amazon.com/ses/latest/dg/manage-sending-quotas-errors.html;
- ``GET /v2/email/account``: ``SendQuota{Max24HourSend, MaxSendRate, SentLast24Hours}``...;
- ``POST /v2/email/identities``: CreateEmailIdentity (verifies at once, as a sandbox should);
- ``GET /v2/email/identities/{EmailIdentity}``: GetEmailIdentity with the response shape of
  https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_GetEmailIdentity.html
  (``IdentityType``, ``VerifiedForSendingStatus``, ``VerificationStatus`` ``SUCCESS``/``PENDING``,
  ``DkimAttributes``, ``FeedbackForwardingStatus``, ``Policies``, ``Tags``; no custom MAIL FROM, so
  no ``MailFromAttributes``)
  and ``404 NotFoundException`` for an unknown identity (same page, section Errors); the GetAccount
  shape is https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_GetAccount.html.

SMTP sink: an aiosmtpd server in a thread with ``start()``/``stop()``, ``host``/``port``/``url``,
optional AUTH, scripted ``454 Throttling failure`` answers, rejected recipients (``550``) and
latency before accepting a message.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import email
import email.header
import email.parser
import email.policy
import email.utils
import json
import re
import ssl
import tempfile
import threading
import time
import uuid
import warnings
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from email.header import Header
from email.message import Message
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from crmtui.sandbox.control import SimControl, with_control
from crmtui.sandbox.loopback import free_port
from crmtui.sandbox.ratelimit import TokenBucket

SES_REGION = "eu-west-3"
SES_ACCESS_KEY_ID = "AKIASANDBOXEXAMPLE01"
SES_SECRET_ACCESS_KEY = "sandbox-ses-secret-key-0000000000000000"
SANDBOX_FROM = "Domaine Exemple <contact@domaine-exemple.fr>"
"""The sandbox's verified sender."""

_AUTH = re.compile(
    r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
    r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})"
)


def _message_id(value: str | None) -> str:
    return (value or "").strip().strip("<>")


def _addr(value: str) -> str:
    return email.utils.parseaddr(value)[1].lower() or value.lower()


def _typed_throttling(app: Any) -> Any:
    """Give the scripted 429s (``Fault("rate_limit")``) SES's ``x-amzn-ErrorType`` header.

    SES answers throttling with ``TooManyRequestsException`` in ``x-amzn-ErrorType`` (WIRE.md §4.1);
    boto3's sesv2 client reads the code from that header (botocore/parsers.py
    ``RestJSONParser._inject_error_code``) and, without it, reports the bare status ``"429"`` (seen in
    tests/contract/test_ses_sim.py, which drives this simulator with boto3).
    """

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        async def typed(message: Any) -> None:
            if message["type"] == "http.response.start" and message.get("status") == 429:
                headers = list(message.get("headers") or [])
                if not any(k.lower() == b"x-amzn-errortype" for k, _ in headers):
                    headers.append((b"x-amzn-errortype", b"TooManyRequestsException"))
                    message = {**message, "headers": headers}
            await send(message)

        await app(scope, receive, typed if scope["type"] == "http" else send)

    return wrapped


class SesSim:
    """An in-memory SES v2 account.

    Args:
        region, access_key_id, secret_access_key: the account the client must sign for.
        verified: verified identities (addresses or ``@domain``/``domain``).
        max_send_rate: MaxSendRate (messages per second; the token bucket holds one second).
        max_24h_send: Max24HourSend (-1 unlimited).
        control: shared test controls.
        clock: monotonic seconds (tests may drive it).

    Attributes:
        app: the ASGI app (with the shared ``/__sim__`` controls).
        deliveries: accepted messages per delivery key: the ``ledger_key`` email tag crmtui puts on
            every send, else the Message-ID the client submitted, else SES's MessageId. (SES replaces
            the Message-ID, so the delivered header cannot tell a re-send from a new message.)
        messages: every accepted SendEmail: ``MessageId``, ``From``, ``To``, ``Subject``, the
            ``Headers`` as submitted, ``Tags``, ``Body``, ``raw`` (the delivered RFC 5322 bytes;
            :func:`parse_message` reads them) and ``MessageIdHeader`` (the delivered Message-ID).
        throttled: 429 answers given.
        rejected: ``MessageRejected`` answers given.
        reject_addresses: recipients refused with ``MessageRejected``.
        sending_paused: SendEmail answers ``SendingPausedException`` (GetAccount: SendingEnabled false).
        suspended: SendEmail answers ``AccountSuspendedException`` (EnforcementStatus SHUTDOWN).
        production_access: False for the SES sandbox: recipients must be verified identities too.
        configuration_sets: the existing configuration sets (None: any name is accepted).
        refused: account-level refusals given (unverified sender, paused, suspended, quota...).
    """

    def __init__(
        self,
        *,
        region: str = SES_REGION,
        access_key_id: str = SES_ACCESS_KEY_ID,
        secret_access_key: str = SES_SECRET_ACCESS_KEY,
        verified: tuple[str, ...] = ("domaine-exemple.fr",),
        max_send_rate: float = 14.0,
        max_24h_send: float = 50_000,
        control: SimControl | None = None,
        clock: Callable[[], float] = time.monotonic,
        check_signature: bool = True,
    ) -> None:
        self.region = region
        self.access_key_id = access_key_id
        self.secret_access_key = secret_access_key
        self.verified = {v.lower().lstrip("@") for v in verified}
        self.pending: set[str] = set()
        """Identities created but not verified yet (GetEmailIdentity: ``PENDING``)."""
        self.max_send_rate = max_send_rate
        self.max_24h_send = max_24h_send
        self.control = control or SimControl()
        self.clock = clock
        self.check_signature = check_signature
        self.reject_addresses: set[str] = set()
        self.sending_paused = False
        self.suspended = False
        self.production_access = True
        self.configuration_sets: set[str] | None = None
        self.lock = threading.Lock()
        self.reset()
        routes = [
            Route("/v2/email/outbound-emails", self._send, methods=["POST"]),
            Route("/v2/email/account", self._account, methods=["GET"]),
            Route("/v2/email/identities", self._identity, methods=["POST"]),
            Route("/v2/email/identities/{identity:path}", self._get_identity, methods=["GET"]),
        ]
        self.app = _typed_throttling(
            with_control(Starlette(routes=routes), self.control, fault_body=self._fault_body)
        )

    def reset(self) -> None:
        """Forget every message and counter (identities and settings stay)."""
        self.deliveries: Counter[str] = Counter()
        self.messages: list[dict[str, Any]] = []
        self.throttled = 0
        self.rejected = 0
        self.refused = 0
        self.sent_times: list[float] = []
        self._bucket = TokenBucket(self.max_send_rate, self.clock())

    @staticmethod
    def _fault_body(status: int) -> dict[str, str]:
        if status == 429:
            return {"message": "Maximum sending rate exceeded."}
        return {"message": "Service unavailable."}

    # -- helpers ------------------------------------------------------------------------------

    def is_verified(self, address: str) -> bool:
        """Whether ``address`` (or its domain) is a verified identity."""
        addr = _addr(address)
        return addr in self.verified or addr.rsplit("@", 1)[-1] in self.verified

    def duplicates(self) -> dict[str, int]:
        """Delivery keys (see :attr:`deliveries`) accepted more than once."""
        return {k: v for k, v in self.deliveries.items() if v > 1}

    def _take_token(self) -> bool:
        with self.lock:
            return self._bucket.take(self.clock(), self.max_send_rate)

    def _refuse(self, status: int, code: str, message: str) -> JSONResponse:
        with self.lock:
            self.refused += 1
        return self._error(status, code, message)

    @staticmethod
    def _error(status: int, code: str, message: str) -> JSONResponse:
        return JSONResponse({"message": message}, status_code=status, headers={"x-amzn-ErrorType": code})

    def _verify(self, request: Request, body: bytes) -> JSONResponse | None:
        if not self.check_signature:
            return None
        match = _AUTH.fullmatch(request.headers.get("authorization", ""))
        if match is None:
            return self._error(403, "MissingAuthenticationTokenException", "Missing Authentication Token")
        key_id, _day, region, service, signed, signature = match.groups()
        if key_id != self.access_key_id:
            return self._error(
                403, "UnrecognizedClientException", "The security token included in the request is invalid."
            )
        if service != "ses" or region != self.region:
            return self._error(
                403, "InvalidSignatureException", "Credential should be scoped to correct service: 'ses'."
            )
        names = signed.split(";")
        headers = {n: request.headers.get(n, "") for n in names}
        query = f"?{request.url.query}" if request.url.query else ""
        # The path as the client sent (and signed) it: ``%40`` stays ``%40`` (Starlette's
        # ``url.path`` is decoded).
        raw_path = request.scope.get("raw_path") or b""
        path = raw_path.decode("latin-1") if raw_path else request.url.path
        aws = AWSRequest(
            method=request.method,
            url=f"{request.url.scheme}://{headers.get('host') or request.url.netloc}{path}{query}",
            data=body,
            headers=headers,
        )
        aws.context["timestamp"] = request.headers.get("x-amz-date", "")
        signer = SigV4Auth(Credentials(self.access_key_id, self.secret_access_key), "ses", self.region)
        expected = signer.signature(signer.string_to_sign(aws, signer.canonical_request(aws)), aws)
        if expected != signature:
            return self._error(
                403,
                "InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided.",
            )
        return None

    # -- endpoints -------------------------------------------------------------------------------

    def message_id_header(self, ses_id: str) -> str:
        """The Message-ID SES gives a message: ``<MessageId@REGION.amazonses.com>``.

        Amazon's "Amazon SES header fields" page
        (https://docs.aws.amazon.com/ses/latest/dg/header-fields.html): "If you provide a
        Message-ID header, Amazon SES overrides the header with its own value". The value is the
        API's MessageId at ``<region>.amazonses.com`` (github.com/Mnexa-AI/e2a pull 498 shows it
        from live Gmail headers: ``<010f…-000000@<region>.amazonses.com>``; drewblas/aws-ses pull 68
        moved from ``@email.amazonses.com`` to ``@#{region}.amazonses.com`` for the same reason).
        """
        return f"<{ses_id}@{self.region}.amazonses.com>"

    def delivered(self, raw: bytes, ses_id: str, accepted: datetime) -> bytes:
        """``raw`` as SES hands it on: its own Message-ID and Date replace the client's.

        Same page: "If you specify a Date header, Amazon SES overrides it with a timestamp that
        corresponds to the date and time in the UTC time zone when Amazon SES accepted the
        message." The rest of the message is kept byte for byte.
        """
        crlf, lf = raw.find(b"\r\n\r\n"), raw.find(b"\n\n")
        sep = b"\n\n" if lf >= 0 and (crlf < 0 or lf < crlf) else b"\r\n\r\n"
        head, _, body = raw.partition(sep)
        kept: list[bytes] = []
        dropping = False
        for line in head.splitlines():
            if line[:1] in (b" ", b"\t"):  # a folded continuation belongs to the header above
                if not dropping:
                    kept.append(line)
                continue
            dropping = line.split(b":", 1)[0].strip().lower() in (b"message-id", b"date")
            if not dropping:
                kept.append(line)
        date = email.utils.format_datetime(accepted.astimezone(UTC), usegmt=True)
        kept += [f"Date: {date}".encode(), f"Message-ID: {self.message_id_header(ses_id)}".encode()]
        return b"\r\n".join(kept) + b"\r\n\r\n" + body

    @staticmethod
    def _simple_raw(sender: str, to: list[str], cc: list[str], simple: dict[str, Any]) -> bytes:
        """The RFC 5322 message SES builds from ``Simple`` content (text and/or HTML, base64 parts).

        Built by hand: the stdlib's generator folds every header through ``email.header``, which
        cost 2.5 ms a message and capped the simulator well below the send rates tests ask for.
        """

        def header(value: str, charset: str = "utf-8") -> str:
            return value if value.isascii() else Header(value, charset).encode()

        def address(value: str) -> str:
            name, addr = email.utils.parseaddr(value)
            return email.utils.formataddr((name, addr), charset="utf-8") if name else (addr or value)

        body = simple.get("Body") or {}
        parts = []
        for kind, key in (("plain", "Text"), ("html", "Html")):
            part = body.get(key) or {}
            if part.get("Data") is not None:
                charset = str(part.get("Charset") or "utf-8")
                data = base64.encodebytes(str(part["Data"]).encode(charset)).replace(b"\n", b"\r\n")
                parts.append(
                    f"Content-Type: text/{kind}; charset={charset}\r\n"
                    "Content-Transfer-Encoding: base64\r\n\r\n".encode()
                    + data
                )
        subject = simple["Subject"]
        lines = [f"From: {address(sender)}", f"To: {', '.join(address(a) for a in to)}"]
        if cc:
            lines.append(f"Cc: {', '.join(address(a) for a in cc)}")
        lines.append(f"Subject: {header(str(subject['Data']), str(subject.get('Charset') or 'utf-8'))}")
        lines += [f"{h['Name']}: {h['Value']}" for h in simple.get("Headers") or []]
        lines.append("MIME-Version: 1.0")
        head = "\r\n".join(lines).encode() + b"\r\n"
        if len(parts) == 1:
            return head + parts[0]
        boundary = f"=_{uuid.uuid4().hex}"
        out = head + f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'.encode()
        for part in parts:
            out += f"--{boundary}\r\n".encode() + part
        return out + f"--{boundary}--\r\n".encode()

    @staticmethod
    def _bodies(message: Message) -> dict[str, dict[str, str]]:
        """The text and HTML parts of a raw message, as a Simple ``Body``."""
        out: dict[str, dict[str, str]] = {}
        for part in message.walk():
            kind = {"text/plain": "Text", "text/html": "Html"}.get(part.get_content_type())
            if kind and kind not in out and not part.is_multipart():
                payload = part.get_payload(decode=True)
                if isinstance(payload, bytes):
                    charset = part.get_content_charset() or "utf-8"
                    out[kind] = {"Data": payload.decode(charset, "replace"), "Charset": charset}
        return out

    async def _send(self, request: Request) -> JSONResponse:
        body = await request.body()
        refused = self._verify(request, body)
        if refused is not None:
            return refused
        try:
            data = json.loads(body)
            destination = data.get("Destination") or {}
            to = [str(a) for a in destination.get("ToAddresses") or []]
            cc = [str(a) for a in destination.get("CcAddresses") or []]
            bcc = [str(a) for a in destination.get("BccAddresses") or []]
            content = data["Content"]
            if "Raw" in content:
                # "The raw data of the message needs to base64-encoded if you are accessing Amazon
                # SES directly through the HTTPS interface" (botocore sesv2 RawMessage.Data).
                submitted = base64.b64decode(content["Raw"]["Data"], validate=True)
                mime = email.message_from_bytes(submitted)
                sender = str(data.get("FromEmailAddress") or mime.get("From") or "")
                if not (to or cc or bcc):
                    to = [a for _, a in email.utils.getaddresses(mime.get_all("To", []))]
                    cc = [a for _, a in email.utils.getaddresses(mime.get_all("Cc", []))]
                    bcc = [a for _, a in email.utils.getaddresses(mime.get_all("Bcc", []))]
                subject = _decoded(str(mime.get("Subject") or ""))
                headers = {k: _decoded(str(v)) for k, v in mime.items()}
                bodies = self._bodies(mime)
            else:
                simple = content["Simple"]
                sender = str(data["FromEmailAddress"])
                subject = str(simple["Subject"]["Data"])
                headers = {str(h["Name"]): str(h["Value"]) for h in simple.get("Headers") or []}
                bodies = simple.get("Body") or {}
                submitted = self._simple_raw(sender, to, cc, simple)
        except (ValueError, KeyError, TypeError, binascii.Error):
            return self._error(400, "BadRequestException", "Invalid request body.")
        recipients = [*to, *cc, *bcc]
        if not sender or not recipients:
            return self._error(400, "BadRequestException", "Missing required sender or recipient.")
        # The account-level refusals first: none of them sends anything.
        if self.suspended:
            return self._refuse(
                400,
                "AccountSuspendedException",
                "The message can't be sent because the account's ability to send email has been "
                "permanently restricted.",
            )
        if self.sending_paused:
            return self._refuse(
                400,
                "SendingPausedException",
                "The message can't be sent because the account's ability to send email is currently paused.",
            )
        config_set = data.get("ConfigurationSetName")
        if config_set and self.configuration_sets is not None and config_set not in self.configuration_sets:
            return self._refuse(404, "NotFoundException", f"Configuration set <{config_set}> does not exist.")
        unverified = [] if self.is_verified(sender) else [_addr(sender)]
        if not self.production_access:  # the SES sandbox: recipients must be verified too
            unverified += [_addr(a) for a in recipients if not self.is_verified(a)]
        if unverified:
            with self.lock:
                self.rejected += 1
                self.refused += not self.is_verified(sender)
            return self._error(
                400,
                "MessageRejected",
                f"Email address is not verified. The following identities failed the check in region "
                f"{self.region.upper()}: {', '.join(unverified)}",
            )
        if self.max_24h_send >= 0 and len(self.messages) >= self.max_24h_send:
            # The API answers a throttling error for the daily quota (manage-sending-quotas-errors).
            return self._refuse(429, "TooManyRequestsException", "Daily message quota exceeded.")
        if not self._take_token():
            with self.lock:
                self.throttled += 1
            return self._error(429, "TooManyRequestsException", "Maximum sending rate exceeded.")
        bad = [a for a in recipients if _addr(a) in self.reject_addresses]
        if bad:
            with self.lock:
                self.rejected += 1
            return self._error(400, "MessageRejected", f"Address blacklisted: {_addr(bad[0])}")
        tags = {str(t["Name"]): str(t["Value"]) for t in data.get("EmailTags") or []}
        ses_id = f"0107{int(time.time() * 1000):013x}-{uuid.uuid4()}-000000"
        accepted = datetime.now(UTC)
        raw = self.delivered(submitted, ses_id, accepted)
        key = tags.get("ledger_key") or _message_id(headers.get("Message-ID")) or ses_id
        with self.lock:
            self.deliveries[key] += 1
            self.sent_times.append(self.clock())
            self.messages.append(
                {
                    "MessageId": ses_id,
                    "From": sender,
                    "To": to,
                    "Cc": cc,
                    "Bcc": bcc,
                    "Subject": subject,
                    "Headers": headers,
                    "Tags": tags,
                    "ConfigurationSetName": data.get("ConfigurationSetName"),
                    "Body": bodies,
                    "MessageIdHeader": self.message_id_header(ses_id),
                    "raw": raw,
                    "at": accepted.isoformat(),
                }
            )
        return JSONResponse({"MessageId": ses_id})

    async def _account(self, request: Request) -> JSONResponse:
        refused = self._verify(request, await request.body())
        if refused is not None:
            return refused
        return JSONResponse(
            {
                "DedicatedIpAutoWarmupEnabled": False,
                "EnforcementStatus": "SHUTDOWN" if self.suspended else "HEALTHY",
                "ProductionAccessEnabled": self.production_access,
                "SendQuota": {
                    "Max24HourSend": self.max_24h_send,
                    "MaxSendRate": self.max_send_rate,
                    "SentLast24Hours": float(len(self.messages)),
                },
                "SendingEnabled": not (self.sending_paused or self.suspended),
                "SuppressionAttributes": {"SuppressedReasons": ["BOUNCE", "COMPLAINT"]},
            }
        )

    async def _identity(self, request: Request) -> JSONResponse:
        body = await request.body()
        refused = self._verify(request, body)
        if refused is not None:
            return refused
        try:
            identity = str(json.loads(body)["EmailIdentity"]).lower()
        except (ValueError, KeyError, TypeError):
            return self._error(400, "BadRequestException", "EmailIdentity is required.")
        self.verified.add(identity)
        kind = "EMAIL_ADDRESS" if "@" in identity else "DOMAIN"
        return JSONResponse({"IdentityType": kind, "VerifiedForSendingStatus": True})

    async def _get_identity(self, request: Request) -> JSONResponse:
        """GetEmailIdentity (API_GetEmailIdentity.html): the identity exactly, not its domain."""
        refused = self._verify(request, await request.body())
        if refused is not None:
            return refused
        identity = str(request.path_params["identity"]).lower()
        verified = identity in self.verified
        if not verified and identity not in self.pending:
            return self._error(404, "NotFoundException", f"Email identity {identity} does not exist.")
        domain = "@" not in identity
        dkim: dict[str, Any] = {}
        if domain:
            dkim = {
                "SigningEnabled": verified,
                "Status": "SUCCESS" if verified else "PENDING",
                "Tokens": [f"{identity.replace('.', '')[:20]}{n}" for n in range(3)],
                "SigningAttributesOrigin": "AWS_SES",
                "NextSigningKeyLength": "RSA_2048_BIT",
                "CurrentSigningKeyLength": "RSA_2048_BIT",
            }
        return JSONResponse(
            {
                "IdentityType": "DOMAIN" if domain else "EMAIL_ADDRESS",
                "FeedbackForwardingStatus": True,
                "VerifiedForSendingStatus": verified,
                "DkimAttributes": dkim,
                "Policies": {},
                "Tags": [],
                "VerificationStatus": "SUCCESS" if verified else "PENDING",
            }
        )


# -- SMTP sink ----------------------------------------------------------------------------------------


def _decoded(value: str) -> str:
    return str(email.header.make_header(email.header.decode_header(value)))


def parse_message(raw: bytes) -> email.message.EmailMessage:
    """A delivered message, fully parsed (``SmtpSink.messages[i]["raw"]``)."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, email.message.EmailMessage)
    return msg


class _SinkHandler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_MAIL(  # noqa: N802 - aiosmtpd hook name
        self, server: SMTPServer, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        with self.sink.lock:
            if self.sink.refuse_mail:
                self.sink.refused += 1
                return self.sink.refuse_mail
            if self.sink.throttle_next > 0:
                self.sink.throttle_next -= 1
                self.sink.throttled += 1
                return "454 4.7.0 Throttling failure: Maximum sending rate exceeded."
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(  # noqa: N802 - aiosmtpd hook name
        self, server: SMTPServer, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.sink.refuse_rcpt:
            with self.sink.lock:
                self.sink.refused += 1
            return self.sink.refuse_rcpt
        if address.lower() in self.sink.reject_addresses:
            with self.sink.lock:
                self.sink.rejected += 1
            return "550 5.1.1 Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd hook name
        self, server: SMTPServer, session: Session, envelope: Envelope
    ) -> str:
        if self.sink.latency:
            await asyncio.sleep(self.sink.latency)
        raw = envelope.original_content or b""
        headers = email.parser.BytesHeaderParser().parsebytes(raw)  # headers only: fast
        mid = _message_id(headers.get("Message-ID")) or str(uuid.uuid4())
        with self.sink.lock:
            self.sink.deliveries[mid] += 1
            self.sink.messages.append(
                {
                    "message_id": mid,
                    "from": envelope.mail_from,
                    "to": list(envelope.rcpt_tos),
                    "headers": {k: _decoded(v) for k, v in headers.items()},
                    "raw": raw,
                }
            )
            lose = self.sink.lose_reply
        if lose == "drop":
            # Accepted and queued, then the connection dies before the 250 reaches the client.
            transport = server.transport
            if isinstance(transport, asyncio.Transport):
                transport.abort()
        elif lose == "hang":
            await asyncio.sleep(self.sink.hang_seconds)  # accepted, but the 250 comes too late
        return f"250 2.0.0 OK queued as {mid[:16]}"


class SmtpSink:
    """A local SMTP server that keeps every message and counts deliveries per Message-ID.

    Args:
        host: the address to listen on.
        port: the port (a free one by default).
        username, password: require this AUTH LOGIN/PLAIN (none by default).
        latency: seconds to wait before accepting each message (crash tests land "during the send").

    Attributes:
        deliveries: accepted messages per Message-ID.
        messages: every accepted message: ``message_id``, ``from``, ``to``, decoded ``headers``, ``raw``
            bytes (:func:`parse_message` gives the full message).
        throttle_next: answer ``454 Throttling failure`` to that many next ``MAIL FROM``.
        reject_addresses: recipients refused with ``550``.
        refuse_mail: a reply to give every ``MAIL FROM`` instead of 250, e.g. ``530 5.7.0
            Authentication required`` (RFC 4954 §6) or ``454 Throttling failure: Daily message
            quota exceeded`` (Amazon SES SMTP, manage-sending-quotas-errors).
        refuse_rcpt: a reply to give every ``RCPT TO``, e.g. Postfix's ``554 5.7.1 <addr>: Relay
            access denied`` (smtpd_relay_restrictions, https://www.postfix.org/SMTPD_ACCESS_README.html).
        refused: scripted refusals given.
        lose_reply: after accepting a message (it is counted): ``"drop"`` aborts the connection
            instead of answering 250, ``"hang"`` waits ``hang_seconds`` first: the relay took
            the message but the client cannot know (RFC 5321 §6.1: once it has said 250 the
            server is responsible for delivery, and a client that never saw the 250 cannot tell).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int | None = None,
        *,
        username: str = "",
        password: str = "",
        latency: float = 0.0,
        tls: Any = None,
        tls_mode: str = "starttls",
    ) -> None:
        """Build a sink (not started).

        Args:
            tls: a :class:`crmtui.sandbox.harness.LoopbackTls` to speak TLS with its test
                certificate (clients trust it through its CA); None for plain SMTP.
            tls_mode: with ``tls``: ``starttls`` (STARTTLS required before MAIL) or ``implicit``
                (TLS from the first byte, as on port 465).
        """
        self.host = host
        self.port = port or free_port(host)
        self.username = username
        self.password = password
        self.latency = latency
        self.lock = threading.Lock()
        self.deliveries: Counter[str] = Counter()
        self.messages: list[dict[str, Any]] = []
        self.throttle_next = 0
        self.throttled = 0
        self.rejected = 0
        self.reject_addresses: set[str] = set()
        self.refuse_mail = ""
        self.refuse_rcpt = ""
        self.refused = 0
        self.lose_reply = ""
        self.hang_seconds = 30.0
        kwargs: dict[str, Any] = {}
        if username:
            # A loopback test sink: AUTH without TLS is the point, not a risk.
            warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
            kwargs.update(authenticator=self._authenticate, auth_require_tls=False, auth_required=True)
        self._tls_dir: tempfile.TemporaryDirectory[str] | None = None
        if tls is not None:
            context = self._server_context(tls)
            if tls_mode == "implicit":
                kwargs["ssl_context"] = context
            else:
                kwargs.update(tls_context=context, require_starttls=True)
        self._auto_port = port is None
        self._controller_kwargs = kwargs
        self._controller = Controller(
            _SinkHandler(self), hostname=host, port=self.port, ready_timeout=10, **kwargs
        )

    def _server_context(self, tls: Any) -> ssl.SSLContext:
        self._tls_dir = tempfile.TemporaryDirectory(prefix="crmtui-smtp-tls-")
        cert = Path(self._tls_dir.name) / "cert.pem"
        key = Path(self._tls_dir.name) / "key.pem"
        cert.write_bytes(tls.cert_pem + tls.ca_pem)
        key.write_bytes(tls.key_pem)
        key.chmod(0o600)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(cert), str(key))
        return context

    def _authenticate(
        self, server: SMTPServer, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == self.username
            and auth_data.password.decode() == self.password
        )
        return AuthResult(success=ok, handled=False)

    @property
    def url(self) -> str:
        """``smtp://host:port``."""
        return f"smtp://{self.host}:{self.port}"

    def start(self) -> SmtpSink:
        """Start serving in a background thread.

        aiosmtpd binds the port itself, so an auto-chosen port may be taken meanwhile by another
        process (parallel test workers): then a new one is chosen, a few times.
        """
        for attempt in range(5):
            try:
                self._controller.start()
                return self
            except (OSError, RuntimeError):
                if not self._auto_port or attempt == 4:
                    raise
                self.port = free_port(self.host)
                self._controller = Controller(
                    _SinkHandler(self),
                    hostname=self.host,
                    port=self.port,
                    ready_timeout=10,
                    **self._controller_kwargs,
                )
        return self

    def stop(self) -> None:
        """Stop the server."""
        self._controller.stop()
        if self._tls_dir is not None:
            self._tls_dir.cleanup()
            self._tls_dir = None

    def duplicates(self) -> dict[str, int]:
        """Message-IDs delivered more than once."""
        return {k: v for k, v in self.deliveries.items() if v > 1}

    def env(self) -> dict[str, str]:
        """``SMTP_*`` variables pointing at this sink."""
        env = {"SMTP_HOST": self.host, "SMTP_PORT": str(self.port), "SMTP_STARTTLS": "false"}
        if self.username:
            env.update(SMTP_USER=self.username, SMTP_PASSWORD=self.password)
        return env

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def ses_env(url: str, sim: SesSim | None = None) -> dict[str, str]:
    """``SES_*`` variables pointing at a served :class:`SesSim`."""
    return {
        "SES_REGION": sim.region if sim else SES_REGION,
        "SES_ACCESS_KEY_ID": sim.access_key_id if sim else SES_ACCESS_KEY_ID,
        "SES_SECRET_ACCESS_KEY": sim.secret_access_key if sim else SES_SECRET_ACCESS_KEY,
        "SES_ENDPOINT_URL": url,
        "EMAIL_FROM": SANDBOX_FROM,
    }
