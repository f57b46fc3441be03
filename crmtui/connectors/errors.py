"""Typed connector errors: the engine catches these, never parses response bodies.

Every error carries a plain-words ``message`` (already redacted) and, where we know it, a
``hint`` telling the operator what to do. ``str(error)`` is the one line the CLI prints.
"""

from __future__ import annotations

from typing import Any

from crmtui.secrets import redact


class ConnectorError(Exception):
    """Base class for every error a connector raises.

    Attributes:
        service: "copper", "mailchimp", "odoo", "ses", "smtp"...
        message: what went wrong, in plain words (redacted).
        hint: what the operator can do about it, or "".
        status: the HTTP status when there was one.
    """

    retryable: bool = False

    def __init__(self, service: str, message: str, *, hint: str = "", status: int | None = None) -> None:
        self.service = service
        self.message = redact(message)
        self.hint = redact(hint)
        self.status = status
        super().__init__(self.message)

    def __str__(self) -> str:
        text = f"{self.service}: {self.message}"
        return f"{text} — {self.hint}" if self.hint else text


class AuthError(ConnectorError):
    """Credentials were refused (401/403, Odoo authenticate False / fault 3)."""


class PermissionDenied(ConnectorError):
    """Authenticated, but not allowed to do this (Odoo fault 4, HTTP 403 on a resource)."""


class NotFound(ConnectorError):
    """The record or resource does not exist (404)."""


class RateLimited(ConnectorError):
    """The service answered 429 and retries were exhausted."""

    retryable = True

    def __init__(self, service: str, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(service, message, **kw)
        self.retry_after = retry_after


class ServerError(ConnectorError):
    """5xx answers persisted after the retries."""

    retryable = True


class NetworkError(ConnectorError):
    """The service could not be reached, timed out, or cut the connection (after retries)."""

    retryable = True


class TimedOut(NetworkError):
    """The service did not answer within the timeout, on every attempt."""


class InvalidResponse(ConnectorError):
    """The service answered something we cannot read (truncated or not JSON/XML)."""

    retryable = True


class OutcomeUnknown(ConnectorError):
    """A non-idempotent write may or may not have happened (connection lost after sending).

    The engine must reconcile (read back) rather than send again.
    """


class ReadIncomplete(ConnectorError):
    """The service cannot list every record asked for (Copper: more people modified in one second
    than its search serves). Nothing read may be acted on as if it were everything."""


class RequestRejected(ConnectorError):
    """A 4xx the service explains: bad input on our side. Not retried.

    Attributes:
        title: the service's own error title (Mailchimp problem+json ``title``).
        errors: field-level details ``[{"field": ..., "message": ...}]``.
    """

    def __init__(
        self,
        service: str,
        message: str,
        *,
        title: str = "",
        errors: list[dict[str, str]] | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(service, message, **kw)
        self.title = title
        self.errors = errors or []


class InvalidResource(RequestRejected):
    """Mailchimp "Invalid Resource" (merge fields, missing email...)."""


class MemberExists(RequestRejected):
    """Mailchimp "Member Exists" on POST."""


class ForgottenEmail(RequestRejected):
    """Mailchimp "Forgotten Email Not Subscribed": permanently deleted, must re-subscribe via the form."""


class ComplianceState(RequestRejected):
    """Mailchimp "Member In Compliance State": unsubscribed/cleaned, cannot be set to subscribed."""


class DuplicateRecord(RequestRejected):
    """Copper refused a create because the email already belongs to a person."""


class OdooFault(ConnectorError):
    """An Odoo XML-RPC fault (code 1 application error, 2 warning/validation)."""

    def __init__(self, service: str, message: str, *, code: int | str = 1, **kw: Any) -> None:
        super().__init__(service, message, **kw)
        self.code = code


class Interrupted(ConnectorError):
    """The run was cancelled while this client waited (rate limit, backoff): the request was not sent."""
