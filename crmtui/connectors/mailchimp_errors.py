"""Mailchimp's refusals as typed errors.

One job: read a problem+json answer or a batch-subscribe error and say which refusal it is
(:func:`classify_error`: forgotten, compliance, exists, invalid, generic), as the typed error of
:mod:`crmtui.connectors.errors` with the hint the operator needs. The client
(:mod:`crmtui.connectors.mailchimp`) raises them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from crmtui.connectors.errors import (
    ComplianceState,
    ForgottenEmail,
    InvalidResource,
    MemberExists,
    RequestRejected,
)
from crmtui.connectors.http import (
    body_excerpt,
)
from crmtui.connectors.mailchimp_records import (
    BatchItemResult,
    ErrorKind,
)
from crmtui.i18n import t

SERVICE = "mailchimp"


def classify_error(title_or_text: str, code: str = "") -> ErrorKind:
    """Which kind of refusal a Mailchimp error is, from its title, text or batch error code.

    Batch-subscribe errors only carry ``ERROR_CONTACT_EXISTS`` or ``ERROR_GENERIC`` (WIRE.md §2.3),
    so forgotten and compliance refusals are told apart by their text.
    """
    text = title_or_text.lower()
    if "forgotten email" in text or "permanently deleted" in text:
        return "forgotten"
    if "compliance state" in text:
        return "compliance"
    if code == "ERROR_CONTACT_EXISTS" or "member exists" in text or "already a list member" in text:
        return "exists"
    if "invalid resource" in text or "looks fake or invalid" in text or "merge fields were invalid" in text:
        return "invalid"
    return "generic"


_KIND_ERRORS: dict[ErrorKind, type[RequestRejected]] = {
    "forgotten": ForgottenEmail,
    "compliance": ComplianceState,
    "exists": MemberExists,
    "invalid": InvalidResource,
    "generic": RequestRejected,
}


def kind_hint(kind: ErrorKind) -> str:
    """What the operator can do about a refusal of this kind, in the run's language; "" for a generic one."""
    return "" if kind == "generic" else t(f"cerr.mailchimp.{kind}.fix")


# Problem titles seen on the wire (WIRE.md §2.5) and their error kinds.
_TITLE_KINDS: dict[str, ErrorKind] = {
    "forgotten email not subscribed": "forgotten",
    "member in compliance state": "compliance",
    "member exists": "exists",
    "invalid resource": "invalid",
}


def _describe_problem(response: httpx.Response, problem: Mapping[str, Any]) -> str:
    title = problem.get("title")
    detail = problem.get("detail")
    if isinstance(title, str) and title:
        text = f"{title}: {detail}" if isinstance(detail, str) and detail else title
    else:
        text = body_excerpt(response)
    errors = problem.get("errors")
    if isinstance(errors, list) and errors:
        parts = [f"{e.get('field') or '-'}: {e.get('message')}" for e in errors[:5] if isinstance(e, dict)]
        text += " (" + "; ".join(parts) + ")"
    return text


def _field_errors(problem: Mapping[str, Any]) -> list[dict[str, str]]:
    errors = problem.get("errors")
    if not isinstance(errors, list):
        return []
    return [
        {"field": str(e.get("field") or ""), "message": str(e.get("message") or "")}
        for e in errors
        if isinstance(e, dict)
    ]


def _batch_error(email: str, error: Mapping[str, Any]) -> BatchItemResult:
    text = str(error.get("error") or "")
    code = str(error.get("error_code") or "")
    kind = classify_error(text, code)
    field_name = str(error.get("field") or "")
    field_message = str(error.get("field_message") or "")
    typed = _KIND_ERRORS[kind](
        SERVICE,
        text or code,
        title=code,
        errors=[{"field": field_name, "message": field_message}] if field_name or field_message else [],
        hint=kind_hint(kind),
        status=400,
    )
    return BatchItemResult(email, "error", None, kind, typed, text)
