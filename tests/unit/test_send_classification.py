"""What each SES / SMTP answer means: refused for one recipient, for the account, deferred, or unknown.

SES: https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html (Errors) and
https://docs.aws.amazon.com/ses/latest/dg/manage-sending-quotas-errors.html; SMTP: RFC 5321
§4.2.1, RFC 4954 §6.
"""

from __future__ import annotations

import json

import httpx
import pytest

from crmtui.connectors.errors import AuthError, ConnectorError, OutcomeUnknown, RequestRejected
from crmtui.connectors.ses import SEND_PATH, SesClient, unverified_identities
from crmtui.connectors.smtp import (
    AccountRefused,
    QuotaExceeded,
    RecipientRejected,
    Throttled,
    _smtp_refusal,
)
from crmtui.engine.senders import account_notice
from crmtui.secrets import Secret


def ses_client() -> SesClient:
    return SesClient(
        httpx.AsyncClient(),
        region="eu-west-3",
        access_key_id="AKIAEXAMPLE",
        secret_access_key=Secret("x" * 40),
        endpoint_url="https://email.eu-west-3.amazonaws.com",
    )


def answer(status: int, code: str = "", message: str = "", *, body: bytes | None = None) -> httpx.Response:
    request = httpx.Request("POST", f"https://email.eu-west-3.amazonaws.com{SEND_PATH}")
    headers = {"x-amzn-ErrorType": code} if code else {}
    content = body if body is not None else json.dumps({"message": message}).encode()
    return httpx.Response(status, headers=headers, content=content, request=request)


def raised(response: httpx.Response) -> ConnectorError:
    with pytest.raises(ConnectorError) as caught:
        ses_client().raise_for_error(response)
    return caught.value


@pytest.mark.parametrize(
    ("status", "code", "message", "kind", "reason"),
    [
        (400, "MessageRejected", "Address blacklisted.", RecipientRejected, None),
        (400, "BadRequestException", "Invalid request body.", RecipientRejected, None),
        (400, "SendingPausedException", "paused", AccountRefused, "sending_paused"),
        (400, "AccountSendingPausedException", "paused (v1)", AccountRefused, "sending_paused"),
        (400, "AccountSuspendedException", "restricted", AccountRefused, "account_suspended"),
        (400, "MailFromDomainNotVerifiedException", "mx", AccountRefused, "mail_from_unverified"),
        (400, "LimitExceededException", "too many", AccountRefused, "limit"),
        (404, "NotFoundException", "no such configuration set", AccountRefused, "not_found"),
        (400, "LimitExceededException", "Daily message quota exceeded.", QuotaExceeded, None),
        (403, "InvalidSignatureException", "signature", AuthError, None),
        (400, "SerializationException", "odd", RequestRejected, None),
        (500, "InternalFailure", "oops", OutcomeUnknown, None),
        (502, "", "", OutcomeUnknown, None),
        (503, "", "", OutcomeUnknown, None),
        (504, "", "", OutcomeUnknown, None),
        (400, "", "", OutcomeUnknown, None),  # a 4xx SES did not write (no error code): proves nothing
    ],
)
def test_ses_answers(status: int, code: str, message: str, kind: type, reason: str | None) -> None:
    error = raised(answer(status, code, message))
    assert type(error) is kind
    if reason is not None:
        assert isinstance(error, AccountRefused) and error.reason == reason


def test_a_gateway_page_is_unknown_not_a_refusal() -> None:
    error = raised(answer(504, body=b"<html><head><title>504 Gateway Time-out</title></head></html>"))
    assert isinstance(error, OutcomeUnknown) and "may or may not" in str(error)


def test_daily_quota_as_a_throttling_error_is_not_retried() -> None:
    quota = ses_client().refusal_for_429(
        answer(429, "TooManyRequestsException", "Daily message quota exceeded.")
    )
    assert isinstance(quota, QuotaExceeded)
    rate = ses_client().refusal_for_429(
        answer(429, "TooManyRequestsException", "Maximum sending rate exceeded.")
    )
    assert rate is None  # retried with backoff, then Throttled


def test_unverified_identities_are_read_from_the_message() -> None:
    text = (
        "Email address is not verified. The following identities failed the check in region "
        "EU-WEST-3: Shop@Exemple.fr, <client@free.fr>"
    )
    assert unverified_identities(text) == ["shop@exemple.fr", "client@free.fr"]
    assert unverified_identities("Address blacklisted.") == []


@pytest.mark.parametrize(
    ("stage", "code", "text", "kind", "reason"),
    [
        ("mail", 530, "5.7.0 Authentication required", AccountRefused, "auth"),
        ("rcpt", 535, "5.7.8 Authentication credentials invalid", AccountRefused, "auth"),
        ("rcpt", 554, "5.7.1 <a@b.fr>: Relay access denied", AccountRefused, "relay_denied"),
        ("rcpt", 550, "5.7.1 Unable to relay", AccountRefused, "relay_denied"),
        ("mail", 553, "5.7.1 Sender address rejected", AccountRefused, "sender_refused"),
        ("mail", 454, "Throttling failure: Daily message quota exceeded.", QuotaExceeded, None),
        ("mail", 454, "4.7.0 Throttling failure: Maximum sending rate exceeded.", Throttled, None),
        ("rcpt", 450, "4.2.1 Mailbox busy", Throttled, None),
        ("data", 451, "4.3.0 Try again later", Throttled, None),
        ("rcpt", 550, "5.1.1 User unknown", RecipientRejected, None),
        ("data", 554, "5.6.0 Message content rejected", RecipientRejected, None),
    ],
)
def test_smtp_replies(stage: str, code: int, text: str, kind: type, reason: str | None) -> None:
    error = _smtp_refusal(stage, code, text)
    assert type(error) is kind
    if reason is not None:
        assert isinstance(error, AccountRefused) and error.reason == reason
    assert str(code) in str(error)


def test_every_account_reason_has_a_notice_with_a_fix() -> None:
    from crmtui.connectors.smtp import ACCOUNT_REASONS

    for reason in ACCOUNT_REASONS:
        text = account_notice(AccountRefused("ses", "detail", reason=reason))
        assert "detail" in text and "Sending stopped" in text
    assert "SMTP_USER" in account_notice(AuthError("smtp", "login refused (535)"))
    assert "quota" in account_notice(QuotaExceeded("ses", "Daily message quota exceeded."))
