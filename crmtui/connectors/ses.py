"""Amazon SES v2 over httpx: SendEmail and GetAccount, signed with botocore's SigV4 signer.

No boto3 client: the shared :class:`~crmtui.connectors.http.ServiceClient` does the I/O (retries,
counters, redaction), and ``botocore.auth.SigV4Auth`` signs each request with the signing name
``ses`` (the endpoint prefix is ``email``, the credential scope is ``ses``; WIRE.md §4.1).

Throttling: the client paces itself at ``MaxSendRate`` from GetAccount (a rolling one-second
window), so a normal run never sees a 429; a ``TooManyRequestsException`` that still comes back
is retried with backoff and, if it persists, raised as :class:`Throttled` (known not sent). A
``MessageRejected`` fails only that message (:class:`RecipientRejected`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from crmtui.connectors.errors import AuthError, OutcomeUnknown, RequestRejected
from crmtui.connectors.http import RetryPolicy, RollingWindowLimiter, ServiceClient
from crmtui.connectors.ses_ids import SES_SET_HEADERS
from crmtui.connectors.smtp import OutgoingEmail, QuotaExceeded, RecipientRejected, Throttled
from crmtui.secrets import Secret

SEND_PATH = "/v2/email/outbound-emails"
ACCOUNT_PATH = "/v2/email/account"
_TAG_VALUE = re.compile(r"[^A-Za-z0-9_.@-]")

RECIPIENT_ERRORS = frozenset({"MessageRejected", "BadRequestException"})
"""Error codes that concern one message only."""


@dataclass(frozen=True)
class SesAccount:
    """``GetAccount``'s sending quota.

    Attributes:
        max_send_rate: messages per second.
        max_24h_send: messages per rolling 24 hours (-1: unlimited).
        sent_last_24h: messages sent in the last 24 hours.
        sending_enabled: whether the account may send.
    """

    max_send_rate: float
    max_24h_send: float
    sent_last_24h: float
    sending_enabled: bool

    @property
    def remaining_24h(self) -> float | None:
        """Messages left in the daily quota (None: unlimited)."""
        if self.max_24h_send < 0:
            return None
        return max(0.0, self.max_24h_send - self.sent_last_24h)


def error_code(response: httpx.Response) -> tuple[str, str]:
    """The rest-json error code (``x-amzn-ErrorType``, else the body's ``code``) and message."""
    code = response.headers.get("x-amzn-errortype", "")
    message = ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        message = str(body.get("message") or body.get("Message") or "")
        code = code or str(body.get("code") or body.get("Code") or body.get("__type") or "")
    code = code.split(":", 1)[0].rsplit("#", 1)[-1]
    return code, message


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
    ) -> None:
        kwargs: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
        super().__init__(
            "ses",
            client,
            base_url=endpoint_url or f"https://email.{region}.amazonaws.com",
            max_concurrency=max_in_flight,
            retry=retry or RetryPolicy(attempts=4, base=0.25, cap=2.0, max_retry_after=30.0),
            timeout=30.0,
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
        """SES error codes as typed errors (see WIRE.md §4.1)."""
        code, message = error_code(response)
        text = f"{code or 'HTTP ' + str(response.status_code)}: {message}".strip()
        status = response.status_code
        if code in RECIPIENT_ERRORS:
            raise RecipientRejected("ses", text, title=code, status=status)
        if code == "TooManyRequestsException" or status == 429:
            raise Throttled("ses", text, status=status)
        if code == "LimitExceededException" or "quota" in message.lower():
            raise QuotaExceeded("ses", text, status=status)
        if status in (401, 403) or code in (
            "UnrecognizedClientException",
            "InvalidSignatureException",
            "AccessDeniedException",
            "SignatureDoesNotMatch",
        ):
            raise AuthError(
                "ses", text, status=status, hint="check SES_ACCESS_KEY_ID / SES_SECRET_ACCESS_KEY"
            )
        if status >= 500:
            raise OutcomeUnknown(
                "ses", f"{text} (the message may or may not have been accepted)", status=status
            )
        raise RequestRejected("ses", text, title=code, status=status)

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
        )
        self.account = account
        self.set_rate(account.max_send_rate)
        return account

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
                    # No Message-ID: SES replaces it with <MessageId@REGION.amazonses.com> (see
                    # crmtui.connectors.ses_ids), so replies are matched on SES's MessageId instead.
                    "Headers": [
                        {"Name": k, "Value": v}
                        for k, v in message.extra_headers().items()
                        if k.lower() not in SES_SET_HEADERS
                    ],
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
            QuotaExceeded: the daily quota is used up.
            RecipientRejected: ``MessageRejected`` / ``BadRequestException`` for this message.
            OutcomeUnknown: the connection broke after sending, or a 500.
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
        except Exception as exc:
            from crmtui.connectors.errors import RateLimited

            if isinstance(exc, RateLimited) and not isinstance(exc, QuotaExceeded):
                self.throttled += 1
                raise Throttled("ses", str(exc.message), status=429) from exc
            raise
        message_id = (body or {}).get("MessageId")
        if not message_id:
            raise OutcomeUnknown("ses", "SendEmail answered without a MessageId")
        return str(message_id)

    async def close(self) -> None:
        """Nothing to close: the httpx client belongs to the caller."""

    async def check(self) -> None:
        """GetAccount once (credentials, sending enabled)."""
        await self.get_account()
