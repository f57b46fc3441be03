"""Mailchimp's records as typed values, and the email/key helpers they need.

One job: turn Mailchimp's JSON (members, the audience, webhooks, batch answers, the health check)
into frozen dataclasses, and compute what identifies a member (the normalised address, its
subscriber hash) and the data centre of an API key. No HTTP here: :mod:`crmtui.connectors.mailchimp`
sends the requests.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import httpx

from crmtui.connectors.errors import (
    ConnectorError,
)
from crmtui.records.emails import email_key

Status = Literal["subscribed", "unsubscribed", "cleaned", "pending", "transactional", "archived"]
ErrorKind = Literal["forgotten", "compliance", "exists", "invalid", "generic"]
Verdict = Literal["ok", "auth_refused", "list_not_found", "rate_limited", "unreachable", "error"]
_HASH_RE = re.compile(r"^[0-9a-f]{32}$")
_DC_RE = re.compile(r"-(us\d+)$")


def normalize_email(email: str) -> str:
    """The sync identity of an address (the one normaliser, :func:`crmtui.records.emails.email_key`)."""
    return email_key(email)


def subscriber_hash(email: str) -> str:
    """Mailchimp's member id for an address: MD5 of it lower-cased (WIRE.md §2.2).

    This is Mailchimp's scheme, applied to the address *as Mailchimp holds it*; for a member read
    from Mailchimp, use the ``id`` it returned (its address may not be our normalised key).
    """
    return hashlib.md5(unicodedata.normalize("NFC", email).strip().lower().encode("utf-8")).hexdigest()


def datacenter_of(api_key: str) -> str:
    """The data centre in a key (``xxxx-us19`` → ``us19``).

    Raises:
        ValueError: the key has no ``-usN`` suffix.
    """
    match = _DC_RE.search(api_key.strip())
    if not match:
        raise ValueError("a Mailchimp API key ends with its data centre, like '-us19'")
    return match.group(1)


def _parse_time(value: Any) -> int | None:
    """Mailchimp's ISO 8601 stamps as unix seconds (``""`` and missing give ``None``)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp())


def to_iso(value: str | int | float | datetime) -> str:
    """A date parameter in the form Mailchimp expects (``2015-10-21T15:41:36+00:00``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        dt = value if value.tzinfo else value.replace(tzinfo=UTC)
    else:
        dt = datetime.fromtimestamp(float(value), UTC)
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


@dataclass(frozen=True)
class MailchimpMember:
    """One audience member, typed.

    Attributes:
        email: the address as Mailchimp holds it.
        hash: the subscriber hash (Mailchimp's ``id``).
        unique_email_id: Mailchimp's stable id (survives an address change).
        status: subscribed, unsubscribed, cleaned, pending, transactional or archived.
        merge_fields: merge tag → value (``FNAME``, ``LNAME``...).
        tags: tag names.
        last_changed: last change, unix seconds (None when absent).
        raw: the JSON object as received.
    """

    email: str
    hash: str
    unique_email_id: str
    status: str
    merge_fields: dict[str, Any]
    tags: list[str]
    last_changed: int | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def normalized_email(self) -> str:
        """The sync key: NFC, trimmed, lower-cased."""
        return normalize_email(self.email)

    @classmethod
    def from_json(cls, data: Any) -> MailchimpMember:
        """Build a member from Mailchimp's JSON.

        Raises:
            ValueError: ``data`` is not a member object.
        """
        if not isinstance(data, dict) or not isinstance(data.get("email_address"), str):
            raise ValueError("not a Mailchimp member")
        email = data["email_address"]
        tags = data.get("tags")
        merges = data.get("merge_fields")
        return cls(
            email=email,
            hash=str(data.get("id") or subscriber_hash(email)),
            unique_email_id=str(data.get("unique_email_id") or ""),
            status=str(data.get("status") or ""),
            merge_fields=dict(merges) if isinstance(merges, dict) else {},
            tags=[t["name"] for t in tags if isinstance(t, dict) and isinstance(t.get("name"), str)]
            if isinstance(tags, list)
            else [],
            last_changed=_parse_time(data.get("last_changed")),
            raw=data,
        )


@dataclass(frozen=True)
class MailchimpList:
    """The audience (``GET /lists/{id}``).

    Attributes:
        id: the list id.
        name: the audience name.
        subscribe_url_long: the hosted signup form (the resubscribe link for forgotten addresses).
        subscribe_url_short: the eepurl short link.
        member_count: subscribed members.
        unsubscribe_count: unsubscribed members.
        cleaned_count: cleaned members.
        raw: the JSON object as received.
    """

    id: str
    name: str
    subscribe_url_long: str
    subscribe_url_short: str
    member_count: int
    unsubscribe_count: int
    cleaned_count: int
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def resubscribe_url(self, email: str | None = None) -> str:
        """The signup form link, prefilled with ``email`` when given.

        UNCONFIRMED (WIRE.md §2.8): hosted forms are said to accept ``EMAIL=`` to prefill the
        address; best effort.
        """
        if not email or not self.subscribe_url_long:
            return self.subscribe_url_long
        sep = "&" if "?" in self.subscribe_url_long else "?"
        return f"{self.subscribe_url_long}{sep}{httpx.QueryParams({'EMAIL': email.strip()})}"

    @classmethod
    def from_json(cls, data: Any) -> MailchimpList:
        """Build the audience record from Mailchimp's JSON.

        Raises:
            ValueError: ``data`` is not a list object.
        """
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            raise ValueError("not a Mailchimp list")
        raw_stats = data.get("stats")
        stats: dict[str, Any] = raw_stats if isinstance(raw_stats, dict) else {}
        return cls(
            id=data["id"],
            name=str(data.get("name") or ""),
            subscribe_url_long=str(data.get("subscribe_url_long") or ""),
            subscribe_url_short=str(data.get("subscribe_url_short") or ""),
            member_count=int(stats.get("member_count") or 0),
            unsubscribe_count=int(stats.get("unsubscribe_count") or 0),
            cleaned_count=int(stats.get("cleaned_count") or 0),
            raw=data,
        )


@dataclass(frozen=True)
class MailchimpWebhook:
    """One list webhook.

    Attributes:
        id: webhook id.
        url: where Mailchimp POSTs events (put a hard-to-guess secret in it: there is no signature).
        events: event name → enabled (subscribe, unsubscribe, profile, cleaned, upemail, campaign).
        sources: source → enabled (user, admin, api).
        raw: the JSON object as received.
    """

    id: str
    url: str
    events: dict[str, bool]
    sources: dict[str, bool]
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> MailchimpWebhook:
        """Build a webhook from Mailchimp's JSON.

        Raises:
            ValueError: ``data`` is not a webhook object.
        """
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            raise ValueError("not a Mailchimp webhook")
        raw_events, raw_sources = data.get("events"), data.get("sources")
        events: dict[str, Any] = raw_events if isinstance(raw_events, dict) else {}
        sources: dict[str, Any] = raw_sources if isinstance(raw_sources, dict) else {}
        return cls(
            id=data["id"],
            url=str(data.get("url") or ""),
            events={str(k): bool(v) for k, v in events.items()},
            sources={str(k): bool(v) for k, v in sources.items()},
            raw=data,
        )


@dataclass(frozen=True)
class MemberInput:
    """One member to send in a batch subscribe.

    Attributes:
        email: the address.
        status: status for a new member (and for an existing one when ``update_existing``).
        merge_fields: merge tag → value.
        tags: tag names (added; with ``sync_tags`` they replace the member's tags).
        email_type: ``html`` or ``text``.
    """

    email: str
    status: str = "subscribed"
    merge_fields: Mapping[str, Any] | None = None
    tags: Sequence[str] | None = None
    email_type: str | None = None

    def to_wire(self) -> dict[str, Any]:
        """The member item of the batch-subscribe body."""
        item: dict[str, Any] = {"email_address": self.email.strip(), "status": self.status}
        if self.merge_fields:
            item["merge_fields"] = dict(self.merge_fields)
        if self.tags is not None:
            item["tags"] = list(self.tags)
        if self.email_type:
            item["email_type"] = self.email_type
        return item


@dataclass(frozen=True)
class BatchItemResult:
    """The outcome for one member of a batch subscribe.

    Attributes:
        email: the address as sent.
        outcome: ``created``, ``updated``, ``error`` or ``skipped`` (a duplicate within the call,
            which Mailchimp ignores).
        member: the member as Mailchimp holds it now (created/updated).
        error_kind: ``forgotten``, ``compliance``, ``exists``, ``invalid`` or ``generic``.
        error: the same failure as a typed error (:class:`ForgottenEmail`...), for ``error``.
        message: Mailchimp's error text.
    """

    email: str
    outcome: Literal["created", "updated", "error", "skipped"]
    member: MailchimpMember | None = None
    error_kind: ErrorKind | None = None
    error: ConnectorError | None = None
    message: str = ""

    @property
    def ok(self) -> bool:
        """True when the member was created or updated."""
        return self.outcome in ("created", "updated")


@dataclass(frozen=True)
class BatchResult:
    """Every member's outcome, in the order sent.

    Attributes:
        items: one result per member sent.
        calls: batch-subscribe requests made (one per 500 members).
    """

    items: list[BatchItemResult]
    calls: int = 1

    @property
    def created(self) -> int:
        """Members created."""
        return sum(1 for i in self.items if i.outcome == "created")

    @property
    def updated(self) -> int:
        """Members updated."""
        return sum(1 for i in self.items if i.outcome == "updated")

    @property
    def errors(self) -> list[BatchItemResult]:
        """The failed members."""
        return [i for i in self.items if i.outcome == "error"]


@dataclass(frozen=True)
class MailchimpCheck:
    """The outcome of :meth:`MailchimpClient.check` (``crmtui connectors test``).

    Attributes:
        ok: the key works and the audience exists.
        verdict: one word for the screen and the exit code.
        message: one plain-words line (redacted).
        list_name: the audience name, when ok.
        member_count: subscribed members, when ok.
        seconds: how long the check took.
    """

    ok: bool
    verdict: Verdict
    message: str
    list_name: str | None = None
    member_count: int | None = None
    seconds: float = 0.0
