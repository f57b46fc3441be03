"""The Message-ID an SES-sent email is delivered with (no botocore here: the reply poller imports it).

AWS's "Amazon SES header fields" page (https://docs.aws.amazon.com/ses/latest/dg/header-fields.html):
"If you provide a Message-ID header, Amazon SES overrides the header with its own value", and "If you
specify a Date header, Amazon SES overrides it with a timestamp [...] when Amazon SES accepted the
message". The value recipients see is ``<MessageId@REGION.amazonses.com>``, the API's MessageId at the
region's ``amazonses.com`` host (github.com/Mnexa-AI/e2a pull 498, from live Gmail headers:
``<010f…-000000@<region>.amazonses.com>``; drewblas/aws-ses pull 68 moved from
``@email.amazonses.com`` to ``@#{region}.amazonses.com`` for that reason). A reply names that id in
``In-Reply-To``/``References``, never the one we would have set.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

SES_SET_HEADERS = frozenset({"message-id", "date"})
"""Headers (lower case) SES sets itself, so crmtui's SES sender never sends them."""

_SES_HEADER_ID = re.compile(r"(?P<id>[^@\s<>]+)@(?:[a-z0-9-]+\.)*amazonses\.com", re.IGNORECASE)


def ses_headers(headers: Mapping[str, str], message_id: str) -> list[dict[str, str]]:
    """``Simple.Headers`` for SendEmail: ``headers`` without those SES sets, plus ``References``.

    ``References: <our Message-ID>`` (unless ``headers`` has one): SES leaves References alone, and a
    mail client answering puts the parent's References before its Message-ID (RFC 5322 §3.6.4), so
    a reply still names our id when SES's MessageId was never recorded (a send whose outcome was
    unknown, settled by an operator). twentyhq/twenty pull 25884 threads SES replies the same way.
    """
    out = [{"Name": k, "Value": v} for k, v in headers.items() if k.lower() not in SES_SET_HEADERS]
    if message_id and not any(k.lower() == "references" for k in headers):
        out.append({"Name": "References", "Value": f"<{message_id}>"})
    return out


def delivered_message_id(provider_id: str, region: str) -> str:
    """The Message-ID (bracketless) of the email SES accepted as ``provider_id`` in ``region``."""
    return f"{provider_id}@{region}.amazonses.com"


def provider_id_of(message_id: str) -> str:
    """SES's MessageId inside a delivered Message-ID (with or without ``<>``), "" for any other id.

    Any ``*.amazonses.com`` host is accepted (``eu-west-3.amazonses.com``; ``email.amazonses.com``
    in older messages): the MessageId alone identifies the message.
    """
    match = _SES_HEADER_ID.fullmatch(message_id.strip().strip("<>"))
    return match.group("id") if match else ""
