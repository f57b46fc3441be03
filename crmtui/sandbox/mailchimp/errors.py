"""Mailchimp's errors: RFC 7807 problem bodies with the exact titles and details (WIRE.md 2.5)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from crmtui.sandbox.mailchimp.wire import ERROR_TYPE_URL, PROBLEM_CONTENT_TYPE, parse_iso

# Exact strings from WIRE.md 2.5 (and RECALL where noted).
DETAIL_INVALID = (
    "The resource submitted could not be validated. For field-specific details, see the 'errors' array."
)
DETAIL_MERGE_INVALID = "Your merge fields were invalid."
DETAIL_NOT_FOUND = "The requested resource could not be found."
DETAIL_METHOD = (
    "The requested method and resource are not compatible. See the Allow header for this resource's "
    "available methods."
)
DETAIL_KEY_INVALID = "Your API key may be invalid, or you've attempted to access the wrong datacenter."
DETAIL_KEY_MISSING = "Your request did not include an API key."  # RECALL: drewm/mailchimp-api#59
DETAIL_WEBHOOK_VERIFY = (
    "We couldn't verify the URL is working. Please double check and try again. HTTP Code: {code}"
)


class Problem(Exception):
    """An RFC 7807 error the simulator answers with (``application/problem+json``)."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {title}: {detail}")
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The JSON body Mailchimp sends for this error."""
        return problem_body(self.status, self.title, self.detail, self.errors)


def problem_body(
    status: int, title: str, detail: str, errors: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    """Build a problem+json body ``{type,title,status,detail,instance[,errors]}``."""
    body: dict[str, Any] = {
        "type": ERROR_TYPE_URL,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": str(uuid.uuid4()),
    }
    if errors is not None:
        body["errors"] = errors
    return body


def _fault_body(status: int) -> dict[str, Any]:
    """Body for scripted ``status``/``rate_limit`` faults, in Mailchimp's error format."""
    if status == 429:
        return problem_body(429, "Too Many Requests", _too_many_detail(10))
    if status == 500:
        return problem_body(
            500,
            "Internal Server Error",
            "An unexpected internal error has occurred. Please contact Support for more information.",
        )
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return problem_body(status, phrase, f"The server answered {status} {phrase}.")


def _too_many_detail(limit: int) -> str:
    # UNCONFIRMED (WIRE 2.6): the real title/detail of the concurrency 429 are not documented; the title
    # "Too Many Requests" is our choice and no Retry-After header is sent.
    return f"You have exceeded the limit of {limit} simultaneous connections."


def _not_found() -> Problem:
    return Problem(404, "Resource Not Found", DETAIL_NOT_FOUND)


def _invalid(errors: list[dict[str, str]], detail: str = DETAIL_INVALID) -> Problem:
    return Problem(400, "Invalid Resource", detail, errors)


def _member_exists(email: str) -> Problem:
    return Problem(
        400, "Member Exists", f"{email} is already a list member. Use PUT to insert or update list members."
    )


def _forgotten(email: str) -> Problem:
    return Problem(
        400,
        "Forgotten Email Not Subscribed",
        f"{email} was permanently deleted and cannot be re-imported. The contact must re-subscribe to "
        "get back on the list.",
    )


def _compliance(email: str) -> Problem:
    return Problem(
        400,
        "Member In Compliance State",
        f"{email} is in a compliance state due to unsubscribe, bounce, or compliance review and cannot "
        "be subscribed.",
    )


def _fake_email(email: str) -> Problem:
    # RECALL: seen in JustFixNYC/tenants2#1554, amro/gibbon#265 (title Invalid Resource, no errors array).
    return Problem(
        400, "Invalid Resource", f"{email} looks fake or invalid, please enter a real email address."
    )


def _required(field: str) -> dict[str, str]:
    return {"field": "", "message": f"Required fields were not provided: {field}"}


_ANYOF = "Data did not match any of the schemas described in anyOf."


def _date_param(q: Mapping[str, str], name: str) -> float | None:
    value = q.get(name)
    if not value:
        return None
    try:
        return parse_iso(value)
    except ValueError:
        raise _invalid(
            [{"field": name, "message": "The value must be a valid ISO 8601 date-time."}]
        ) from None


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        # RECALL: Mailchimp's answer to an unparsable body.
        raise Problem(400, "JSON Parse Error", "We encountered an unspecified JSON parsing error.") from None
    if not isinstance(data, dict):
        raise Problem(400, "JSON Parse Error", "We encountered an unspecified JSON parsing error.")
    return data


def _problem_response(problem: Problem) -> Response:
    response = Response(
        json.dumps(problem.body(), ensure_ascii=False).encode(),
        status_code=problem.status,
        headers=problem.headers,
    )
    response.headers["content-type"] = PROBLEM_CONTENT_TYPE
    return response
