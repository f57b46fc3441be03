"""Amazon SES v2 over httpx: SendEmail, GetAccount and GetEmailIdentity, signed with botocore's SigV4 signer.

No boto3 client: the shared :class:`~crmtui.connectors.http.ServiceClient` does the I/O (retries,
counters, redaction), and ``botocore.auth.SigV4Auth`` signs each request with the signing name
``ses`` (the endpoint prefix is ``email``, the credential scope is ``ses``; WIRE.md §4.1).

Throttling: the client paces itself at ``MaxSendRate`` from GetAccount (a rolling one-second
window), so a normal run never sees a 429; a ``TooManyRequestsException`` that still comes back
is retried with backoff and, if it persists, raised as :class:`Throttled` (known not sent).

What an answer proves (SendEmail's errors:
https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html, section Errors):

- an SES error code (``x-amzn-ErrorType``) on a 4xx is an explicit refusal: the message was not
  sent. ``MessageRejected`` fails only that message (:class:`RecipientRejected`), unless it says
  the *sender* identity is not verified; that one, ``SendingPausedException``,
  ``AccountSuspendedException``, ``MailFromDomainNotVerifiedException``,
  ``LimitExceededException`` and ``NotFoundException`` (the configuration set) concern the account
  (:class:`AccountRefused`), and a throttling error saying "Daily message quota exceeded"
  (https://docs.aws.amazon.com/ses/latest/dg/manage-sending-quotas-errors.html) is
  :class:`QuotaExceeded`: the batch stops, nobody is marked failed;
- anything else after the request left — a 5xx (a gateway's 502/503/504 as well as SES's own
  500), a 4xx without an SES error code, a timeout, a reset, a truncated body — proves nothing:
  :class:`OutcomeUnknown`, never re-sent (the HTTP layer does not retry gateway answers to a send:
  ``retry_gateway_writes=False``). The ledger key travels as a message tag, so SES events settle it.
"""

from __future__ import annotations

import email.utils
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from crmtui.connectors.errors import (
    AuthError,
    ConnectorError,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    RequestRejected,
)
from crmtui.connectors.http import RetryPolicy, RollingWindowLimiter, ServiceClient, json_object
from crmtui.connectors.ses_ids import ses_headers
from crmtui.connectors.smtp import (
    AccountRefused,
    OutgoingEmail,
    QuotaExceeded,
    RecipientRejected,
    Throttled,
)
from crmtui.i18n import t
from crmtui.secrets import Secret

SEND_PATH = "/v2/email/outbound-emails"
ACCOUNT_PATH = "/v2/email/account"
IDENTITY_PATH = "/v2/email/identities/"
_TAG_VALUE = re.compile(r"[^A-Za-z0-9_.@-]")

RECIPIENT_ERRORS = frozenset({"MessageRejected", "BadRequestException"})
"""Error codes that concern one message only (but see :func:`unverified_identities`)."""

ACCOUNT_ERRORS = {
    "AccountSuspendedException": "account_suspended",
    "SendingPausedException": "sending_paused",
    "AccountSendingPausedException": "sending_paused",  # the SES v1 name
    "ConfigurationSetSendingPausedException": "sending_paused",  # SES v1
    "MailFromDomainNotVerifiedException": "mail_from_unverified",
    "LimitExceededException": "limit",
    "NotFoundException": "not_found",
    "ConfigurationSetDoesNotExistException": "not_found",  # SES v1
}
"""SendEmail error codes that concern the whole account, and their ``AccountRefused.reason``."""

AUTH_ERRORS = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "AccessDeniedException",
        "SignatureDoesNotMatch",
        "MissingAuthenticationTokenException",
    }
)

_UNVERIFIED = re.compile(r"Email address is not verified\..*?failed the check in region [^:]*:\s*(.*)", re.S)


def unverified_identities(message: str) -> list[str]:
    """The identities a ``MessageRejected`` "Email address is not verified" names (lower case).

    SES (https://docs.aws.amazon.com/ses/latest/dg/troubleshoot-error-messages.html): "Email
    address is not verified. The following identities failed the check in region REGION:
    identity1, identity2". In the SES sandbox a recipient can be named too, so the caller
    compares them with its own sender.
    """
    match = _UNVERIFIED.search(message)
    if match is None:
        return []
    return [part.strip().strip("<>").lower() for part in match.group(1).split(",") if part.strip()]


@dataclass(frozen=True)
class SesAccount:
    """``GetAccount``'s sending quota.

    Attributes:
        max_send_rate: messages per second.
        max_24h_send: messages per rolling 24 hours (-1: unlimited).
        sent_last_24h: messages sent in the last 24 hours.
        sending_enabled: whether the account may send.
        enforcement_status: ``HEALTHY``, ``PROBATION`` or ``SHUTDOWN``.
        production_access: False while the account is in the SES sandbox (verified recipients only).
    """

    max_send_rate: float
    max_24h_send: float
    sent_last_24h: float
    sending_enabled: bool
    enforcement_status: str = "HEALTHY"
    production_access: bool = True

    @property
    def remaining_24h(self) -> float | None:
        """Messages left in the daily quota (None: unlimited)."""
        if self.max_24h_send < 0:
            return None
        return max(0.0, self.max_24h_send - self.sent_last_24h)


@dataclass(frozen=True)
class SesIdentity:
    """``GetEmailIdentity``'s answer for one identity (an address or a domain).

    https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_GetEmailIdentity.html

    Attributes:
        identity: the address or domain asked about.
        kind: ``EMAIL_ADDRESS``, ``DOMAIN`` or ``MANAGED_DOMAIN``.
        verified: ``VerifiedForSendingStatus``: mail may be sent from it.
        status: ``VerificationStatus``: ``PENDING``, ``SUCCESS``, ``FAILED``,
            ``TEMPORARY_FAILURE`` or ``NOT_STARTED``.
    """

    identity: str
    kind: str
    verified: bool
    status: str


def error_code(response: httpx.Response) -> tuple[str, str]:
    """The rest-json error code (``x-amzn-ErrorType``, else the body's ``code``) and message."""
    code = response.headers.get("x-amzn-errortype", "")
    message = ""
    body = json_object(response)
    if body:
        message = str(body.get("message") or body.get("Message") or "")
        code = code or str(body.get("code") or body.get("Code") or body.get("__type") or "")
    code = code.split(":", 1)[0].rsplit("#", 1)[-1]
    return code, message


def _is_send(response: httpx.Response) -> bool:
    try:
        request = response.request
    except RuntimeError:  # a response built by hand, without its request
        return False
    return request.method == "POST" and request.url.path.endswith(SEND_PATH)


class SesClient(ServiceClient):
    """SES v2 (``sesv2``) over the shared HTTP plumbing.

    Args:
        client: the injected httpx client.
        region: the SES region (``eu-west-3``).
        access_key_id, secret_access_key: IAM credentials with ``ses:SendEmail``.
        endpoint_url: only for the simulator; defaults to ``https://email.<region>.amazonaws.com``.
        configuration_set: the configuration set publishing events (SNS).
        max_in_flight: concurrent requests.
        sleep: injectable backoff sleep.
        retry: retry policy (429s are retried with backoff before :class:`Throttled`).
        timeout: seconds per request (an unanswered send is then :class:`OutcomeUnknown`).
    """

    name = "ses"

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        region: str,
        access_key_id: str,
        secret_access_key: Secret,
        endpoint_url: str = "",
        configuration_set: str = "",
        max_in_flight: int = 16,
        sleep: Callable[[float], Any] | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
    ) -> None:
        kwargs: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
        super().__init__(
            "ses",
            client,
            base_url=endpoint_url or f"https://email.{region}.amazonaws.com",
            max_concurrency=max_in_flight,
            retry=retry or RetryPolicy(attempts=4, base=0.25, cap=2.0, max_retry_after=30.0),
            timeout=timeout,
            # A 502/503/504 may come after SES accepted the message: never send it again.
            retry_gateway_writes=False,
            **kwargs,
        )
        self.region = region
        self.configuration_set = configuration_set
        self._credentials = Credentials(access_key_id, secret_access_key.reveal())
        self.account: SesAccount | None = None
        self.throttled = 0

    # -- signing ---------------------------------------------------------------------------

    def _signed_headers(self, method: str, path: str, body: bytes) -> dict[str, str]:
        request = AWSRequest(
            method=method,
            url=f"{self.base_url}{path}",
            data=body,
            headers={"Content-Type": "application/json"} if body else {},
        )
        SigV4Auth(self._credentials, "ses", self.region).add_auth(request)
        return {k: str(v) for k, v in request.headers.items()}

    # -- errors --------------------------------------------------------------------------------

    def raise_for_error(self, response: httpx.Response) -> None:
        """SES error codes as typed errors (see the module doc and WIRE.md §4.1)."""
        code, message = error_code(response)
        text = f"{code or 'HTTP ' + str(response.status_code)}: {message}".strip()
        status = response.status_code
        is_send = _is_send(response)
        if status >= 500 or (is_send and not code):
            # A gateway's 502/503/504, SES's own 500, or a 4xx SES did not write: nothing proves
            # the message was refused.
            raise OutcomeUnknown(
                "ses",
                t("cerr.ses.maybe_accepted", text=text),
                status=status,
                hint=t("cerr.ses.unknown.fix"),
            )
        if code in RECIPIENT_ERRORS:
            raise RecipientRejected("ses", text, title=code, status=status)
        if "quota" in message.lower():
            raise QuotaExceeded("ses", text, status=status)
        if code == "TooManyRequestsException" or status == 429:
            raise Throttled("ses", text, status=status)
        if code in ACCOUNT_ERRORS:
            raise AccountRefused("ses", text, reason=ACCOUNT_ERRORS[code], title=code, status=status)
        if status in (401, 403) or code in AUTH_ERRORS:
            raise AuthError("ses", text, status=status, hint=t("cerr.ses.auth.fix"))
        raise RequestRejected("ses", text, title=code, status=status)

    def gateway_write_unknown(self, response: httpx.Response, method: str, key: str) -> None:
        """SES's own wording for a send whose fate is unknown (:meth:`raise_for_error`)."""
        self.raise_for_error(response)

    def refusal_for_429(self, response: httpx.Response) -> ConnectorError | None:
        """The daily quota comes as a throttling error too: no use retrying it within the run."""
        code, message = error_code(response)
        if "quota" in message.lower():
            return QuotaExceeded("ses", f"{code or 'HTTP 429'}: {message}", status=429)
        return None

    # -- calls -----------------------------------------------------------------------------------

    async def get_account(self) -> SesAccount:
        """``GET /v2/email/account``: the quota; also paces this client at ``MaxSendRate``."""
        headers = self._signed_headers("GET", ACCOUNT_PATH, b"")
        body = await self.json("GET", ACCOUNT_PATH, headers=headers, endpoint="GET /v2/email/account")
        quota = (body or {}).get("SendQuota") or {}
        account = SesAccount(
            max_send_rate=float(quota.get("MaxSendRate") or 1.0),
            max_24h_send=float(quota["Max24HourSend"]) if quota.get("Max24HourSend") is not None else -1.0,
            sent_last_24h=float(quota.get("SentLast24Hours") or 0.0),
            sending_enabled=bool((body or {}).get("SendingEnabled", True)),
            enforcement_status=str((body or {}).get("EnforcementStatus") or "HEALTHY"),
            production_access=bool((body or {}).get("ProductionAccessEnabled", True)),
        )
        self.account = account
        self.set_rate(account.max_send_rate)
        return account

    async def get_email_identity(self, identity: str) -> SesIdentity | None:
        """``GET /v2/email/identities/{identity}``; None when SES does not know it (404).

        The identity is percent-encoded in the path (``@`` as ``%40``, as boto3 sends it), and the
        path is signed as sent.
        """
        path = IDENTITY_PATH + quote(identity, safe="")
        headers = self._signed_headers("GET", path, b"")
        try:
            body = await self.json("GET", path, headers=headers, endpoint="GET /v2/email/identities")
        except AccountRefused as exc:
            if exc.reason == "not_found":
                return None
            raise
        except NotFound:
            return None
        body = body if isinstance(body, dict) else {}
        return SesIdentity(
            identity=identity,
            kind=str(body.get("IdentityType") or ""),
            verified=bool(body.get("VerifiedForSendingStatus", False)),
            status=str(body.get("VerificationStatus") or ""),
        )

    async def sender_identity(self, sender: str) -> SesIdentity | None:
        """The identity that lets ``sender`` send: the address itself, else its domain.

        SES accepts mail from a verified address or from any address of a verified domain
        (https://docs.aws.amazon.com/ses/latest/dg/creating-identities.html); the address is
        asked first, then the domain when the address is unknown or not verified.
        """
        address = email.utils.parseaddr(sender)[1].lower() or sender.lower()
        found = await self.get_email_identity(address) if "@" in address else None
        if found is not None and found.verified:
            return found
        domain = address.rsplit("@", 1)[-1]
        by_domain = await self.get_email_identity(domain) if domain else None
        return by_domain if by_domain is not None and (by_domain.verified or found is None) else found

    def set_rate(self, per_second: float) -> None:
        """Pace sends at ``per_second`` (a rolling one-second window)."""
        self.limiter = RollingWindowLimiter(max(1, int(per_second)), 1.0, sleep=self._sleep)

    @property
    def rate(self) -> float | None:
        """Sends per second allowed (None before :meth:`get_account`)."""
        return self.account.max_send_rate if self.account else None

    def payload(self, message: OutgoingEmail) -> dict[str, Any]:
        """The SendEmail body for ``message`` (Simple content with our headers and tags)."""
        body: dict[str, Any] = {"Text": {"Data": message.text or " ", "Charset": "UTF-8"}}
        if message.html:
            body["Html"] = {"Data": message.html, "Charset": "UTF-8"}
        payload: dict[str, Any] = {
            "FromEmailAddress": message.from_addr,
            "Destination": {"ToAddresses": [message.to]},
            "Content": {
                "Simple": {
                    "Subject": {"Data": message.subject, "Charset": "UTF-8"},
                    "Body": body,
                    # No Message-ID (SES sets its own); our id rides in References instead.
                    "Headers": ses_headers(message.extra_headers(), message.message_id),
                }
            },
            "EmailTags": [
                {"Name": k, "Value": _TAG_VALUE.sub("_", v)[:256]} for k, v in message.tags.items()
            ],
        }
        if self.configuration_set:
            payload["ConfigurationSetName"] = self.configuration_set
        return payload

    async def send(self, message: OutgoingEmail) -> str:
        """``POST /v2/email/outbound-emails``; return SES's MessageId.

        Raises:
            Throttled: still 429 after the retries (known not sent).
            QuotaExceeded: the daily quota is used up (known not sent; stops the batch).
            RecipientRejected: ``MessageRejected`` / ``BadRequestException`` for this message.
            AccountRefused: the sender is not verified, sending is paused... (stops the batch).
            OutcomeUnknown: no answer proving a refusal (5xx, timeout, reset, truncated body).
            AuthError, RequestRejected: account-level refusals (stop the batch).
        """
        raw = json.dumps(self.payload(message), ensure_ascii=False).encode()
        headers = self._signed_headers("POST", SEND_PATH, raw)
        try:
            body = await self.json(
                "POST", SEND_PATH, content=raw, headers=headers, endpoint="POST /v2/email/outbound-emails"
            )
        except Throttled:
            self.throttled += 1
            raise
        except RecipientRejected as exc:
            names = unverified_identities(exc.message)
            sender = email.utils.parseaddr(message.from_addr)[1].lower()
            if sender and (sender in names or sender.rsplit("@", 1)[-1] in names):
                raise AccountRefused(
                    "ses", exc.message, reason="unverified_sender", title=exc.title, status=exc.status
                ) from exc
            raise
        except RateLimited as exc:
            if isinstance(exc, QuotaExceeded):
                raise
            self.throttled += 1
            raise Throttled("ses", str(exc.message), status=429) from exc
        message_id = (body or {}).get("MessageId") if isinstance(body, dict) else None
        if not message_id:
            raise OutcomeUnknown("ses", t("cerr.ses.no_message_id"))
        return str(message_id)

    async def close(self) -> None:
        """Nothing to close: the httpx client belongs to the caller."""

    async def check(self) -> None:
        """GetAccount once (credentials, sending enabled)."""
        await self.get_account()
