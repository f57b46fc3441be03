"""Mailchimp Marketing API v3 client (one audience), on the shared :class:`ServiceClient`.

Wire facts come from ``docs/WIRE.md`` §2. What this module adds to the shared plumbing of
:mod:`crmtui.connectors.http`:

- HTTP Basic auth with the API key, and the base URL derived from the key's data centre
  (``xxxx-us19`` → ``https://us19.api.mailchimp.com/3.0``);
- **at most 10 requests in flight per API key** (Mailchimp limits simultaneous connections, not
  requests per minute): every client of the same key in one event loop shares one semaphore, so a
  normal run never receives a 429;
- typed records (:class:`MailchimpMember`, :class:`MailchimpList`, :class:`MailchimpWebhook`,
  :class:`BatchResult`);
- problem+json errors turned into typed errors by ``title``: :class:`ForgottenEmail`,
  :class:`ComplianceState`, :class:`MemberExists`, :class:`InvalidResource`, :class:`AuthError`,
  :class:`NotFound`; batch-subscribe errors classified the same way per member;
- :meth:`MailchimpClient.iter_members`, a streaming read (``fields=`` trimmed to what the sync
  uses, one page in memory at a time).

Writes that are safe to repeat (PUT upsert, PATCH without an address change, DELETE archive, tag
updates, delete-permanent, batch subscribe with ``update_existing``) are retried on any transient
failure. The others (POST add, webhook creation) raise :class:`OutcomeUnknown` when the connection
breaks after sending; read back before trying again.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import re
import time
import unicodedata
import weakref
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, cast

import httpx

from crmtui.connectors import writes
from crmtui.connectors.errors import (
    ComplianceState,
    ConnectorError,
    ForgottenEmail,
    InvalidResource,
    MemberExists,
    NotFound,
    PermissionDenied,
    RequestRejected,
)
from crmtui.connectors.http import (
    RateWait,
    Retryable,
    RetryPolicy,
    ServiceClient,
    SharedBudgets,
    account_key,
    body_excerpt,
    check_verdict,
    json_object,
    reveal_key,
)
from crmtui.records.emails import email_key
from crmtui.secrets import Secret

log = logging.getLogger("crmtui.connectors.mailchimp")

SERVICE = "mailchimp"

MAX_CONNECTIONS = 10
"""Simultaneous connections Mailchimp allows per user (WIRE.md §2.6)."""

MAX_PAGE = 1000
"""The largest ``count`` the members list serves (WIRE.md §2.2)."""

MAX_BATCH = 500
"""Members per batch-subscribe call (WIRE.md §2.3)."""

MEMBER_FIELDS = (
    "id",
    "email_address",
    "unique_email_id",
    "email_type",
    "status",
    "merge_fields",
    "tags",
    "last_changed",
)
"""The member fields the sync reads; ``iter_members`` asks for these only."""

Status = Literal["subscribed", "unsubscribed", "cleaned", "pending", "transactional", "archived"]
ErrorKind = Literal["forgotten", "compliance", "exists", "invalid", "generic"]
Verdict = Literal["ok", "auth_refused", "list_not_found", "rate_limited", "unreachable", "error"]

_AUTH_HINT = "check MAILCHIMP_API_KEY; its '-usN' suffix must be the account's data centre (MAILCHIMP_DC)"
_FORGOTTEN_HINT = "the person must re-subscribe through the audience's signup form"
_COMPLIANCE_HINT = "set the status to 'pending' (double opt-in email) or send the signup form link"
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
_KIND_HINTS: dict[ErrorKind, str] = {
    "forgotten": _FORGOTTEN_HINT,
    "compliance": _COMPLIANCE_HINT,
    "exists": "update the member with PUT instead",
    "invalid": "fix the address or the merge fields",
    "generic": "",
}

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


_SHARED_SLOTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Semaphore]] = (
    weakref.WeakKeyDictionary()
)


def shared_slots(api_key: str, limit: int = MAX_CONNECTIONS) -> asyncio.Semaphore:
    """The one semaphore every client of ``api_key`` shares in the running event loop.

    Mailchimp counts connections per user, so two clients of the same key (sync and scenarios)
    must share the budget. Semaphores belong to one loop, hence one table per loop. Other
    processes are counted by the store's leases when the client has ``budgets``.
    """
    loop = asyncio.get_running_loop()
    table = _SHARED_SLOTS.setdefault(loop, {})
    key = hashlib.sha256(api_key.encode()).hexdigest()[:16]
    slots = table.get(key)
    if slots is None:
        slots = table[key] = asyncio.Semaphore(limit)
    return slots


class MailchimpClient(ServiceClient):
    """Async client for one Mailchimp audience.

    Args:
        client: the ``httpx.AsyncClient`` to send with (tests pass an ASGI transport or a loopback
            URL). When omitted, one is created (pool capped at 10 connections) and closed by
            :meth:`aclose`.
        api_key: the API key (``xxxx-usN``).
        list_id: the audience id.
        base_url: API root. ``None`` derives ``https://<dc>.api.mailchimp.com/3.0`` from the key;
            ``""`` uses the injected client's own ``base_url``.
        max_concurrency: requests in flight at once (Mailchimp's limit is 10).
        semaphore: an explicit semaphore to share; by default clients of the same key in the same
            event loop share one (:func:`shared_slots`).
        retry: retry policy (attempts, backoff).
        timeout: per-request timeout, seconds.
        sleep: injectable sleep for backoff (tests pass a fast one).
        budgets: the store's shared budgets: the ``max_concurrency`` connections are then counted
            across every crmtui process, not only in this one (None: this process only).
        on_wait: told when a 429 is waited out (see :class:`ServiceClient`).
        deadline: ``time.monotonic()`` instant past which a 429 is not waited for.
    """

    def __init__(
        self,
        client: httpx.AsyncClient | None = None,
        *,
        api_key: str | Secret,
        list_id: str,
        base_url: str | None = None,
        max_concurrency: int = MAX_CONNECTIONS,
        semaphore: asyncio.Semaphore | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        sleep: Callable[[float], Any] = asyncio.sleep,
        budgets: SharedBudgets | None = None,
        on_wait: Callable[[RateWait], None] | None = None,
        deadline: float | None = None,
    ) -> None:
        key = reveal_key(api_key)  # never printed, even when a plain string was passed
        if base_url is None:
            base_url = f"https://{datacenter_of(key)}.api.mailchimp.com/3.0"
        owns_client = client is None
        if client is None:
            client = httpx.AsyncClient(
                limits=httpx.Limits(
                    max_connections=max_concurrency, max_keepalive_connections=max_concurrency
                )
            )
        token = base64.b64encode(f"crmtui:{key}".encode()).decode()
        super().__init__(
            SERVICE,
            client,
            base_url=base_url,
            headers={"Authorization": f"Basic {token}", "Accept": "application/json"},
            rate_limit=None,  # Mailchimp limits connections, not requests per minute
            max_concurrency=None,  # the shared semaphore is attached on first use
            retry=retry,
            timeout=timeout,
            sleep=sleep,
            owns_client=owns_client,
            budgets=budgets,
            budget_name=f"{SERVICE}:{account_key(key)}",
            shared_slots=max_concurrency,
            on_wait=on_wait,
            deadline=deadline,
            # A gateway may answer 502/503/504 after the service applied a write: writes that are
            # not safe to repeat (crmtui.connectors.writes) become OutcomeUnknown, never re-sent.
            retry_gateway_writes=False,
        )
        self.list_id = list_id
        self._key = key
        self._max_concurrency = max_concurrency
        self.semaphore = semaphore

    @property
    def _list(self) -> str:
        return f"/lists/{self.list_id}"

    def _member_path(self, email_or_hash: str) -> str:
        ref = email_or_hash.strip()
        h = ref.lower() if _HASH_RE.match(ref.lower()) else subscriber_hash(ref)
        return f"{self._list}/members/{h}"

    async def call(self, method: str, path: str, **kwargs: Any) -> tuple[httpx.Response, Any]:
        """:meth:`ServiceClient.call`, with the shared connection budget attached on first use."""
        if self.semaphore is None:
            self.semaphore = shared_slots(self._key, self._max_concurrency)
        return await super().call(method, path, **kwargs)

    # -- errors ---------------------------------------------------------------------------

    def raise_for_error(self, response: httpx.Response) -> None:
        """Turn a problem+json answer into a typed error (see the module docstring)."""
        status = response.status_code
        problem = json_object(response)
        message = _describe_problem(response, problem)
        title = str(problem.get("title") or "")
        self.raise_refused(status, message, refused="API key refused", auth_hint=_AUTH_HINT)
        if status == 403:
            if not title:
                # WIRE.md §2.6: heavy throttling can surface as a bare 403 from the WAF. Back off and
                # retry like a 429; the base class reports it as PermissionDenied if it persists.
                raise Retryable(
                    PermissionDenied(
                        SERVICE, f"access denied (HTTP 403, no problem body): {message}", status=403
                    )
                )
            raise PermissionDenied(SERVICE, f"access denied (HTTP 403): {message}", status=403)
        if 400 <= status < 500 and status != 429:
            kind = _TITLE_KINDS.get(title.lower())
            if kind is None and title.lower() in ("", "bad request"):
                kind = classify_error(message)
            error_type = _KIND_ERRORS[kind] if kind else RequestRejected
            raise error_type(
                SERVICE,
                message,
                title=title,
                errors=_field_errors(problem),
                hint=_KIND_HINTS[kind] if kind else "",
                status=status,
            )
        super().raise_for_error(response)

    # -- the audience ---------------------------------------------------------------------

    async def get_list(self) -> MailchimpList:
        """The audience, with its signup form URLs and counts.

        Raises:
            NotFound: no audience has this id.
        """
        _, result = await self.call(
            "GET",
            self._list,
            params={"exclude_fields": "_links,modules,marketing_permissions"},
            parse=lambda r: MailchimpList.from_json(r.json()),
        )
        return cast(MailchimpList, result)

    # -- members: reads -------------------------------------------------------------------

    async def members_page(
        self,
        *,
        offset: int = 0,
        count: int = MAX_PAGE,
        status: str | None = None,
        since_last_changed: str | int | float | datetime | None = None,
        fields: Sequence[str] = MEMBER_FIELDS,
    ) -> tuple[list[MailchimpMember], int]:
        """One page of ``GET /lists/{id}/members`` sorted by ``last_changed`` (oldest first).

        Returns:
            The members and ``total_items``.
        """
        if not 1 <= count <= MAX_PAGE:
            raise ValueError(f"count must be between 1 and {MAX_PAGE}")
        params: dict[str, Any] = {
            "count": count,
            "offset": offset,
            "sort_field": "last_changed",
            "sort_dir": "ASC",
            "fields": ",".join([f"members.{f}" for f in fields] + ["total_items"]),
        }
        if status:
            params["status"] = status
        if since_last_changed is not None:
            params["since_last_changed"] = to_iso(since_last_changed)

        def parse(response: httpx.Response) -> tuple[list[MailchimpMember], int]:
            body = response.json()
            if not isinstance(body, dict) or not isinstance(body.get("members"), list):
                raise ValueError("members answer has no members array")
            total = body.get("total_items")
            members = [MailchimpMember.from_json(m) for m in body["members"]]
            return members, int(total) if isinstance(total, int) else len(members)

        _, result = await self.call("GET", f"{self._list}/members", params=params, parse=parse)
        return cast(tuple[list[MailchimpMember], int], result)

    async def iter_members(
        self,
        since_last_changed: str | int | float | datetime | None = None,
        statuses: Iterable[str] | None = None,
        count: int = MAX_PAGE,
        overlap: int | None = None,
    ) -> AsyncIterator[MailchimpMember]:
        """Stream members, one page in memory at a time, oldest change first.

        Archived members are not listed unless ``statuses`` names ``archived`` (RECALL: the live
        API hides them from the plain list).

        Pages are read by offset in ``last_changed`` order. A member changed during the stream
        moves to the end, shifting later members one place back; consecutive pages therefore
        overlap by ``overlap`` members (default 1% of ``count``) and the repeats are dropped, so up
        to that many changes per page never make the stream skip anyone. A member changed while
        the stream runs may be yielded twice, the second time newer: callers keep the last.

        Args:
            since_last_changed: only members changed at or after this (ISO string, unix seconds or
                datetime); ``None`` reads everybody.
            statuses: one query per status (the API filters one status at a time); ``None`` reads
                every status but archived in one query.
            count: members per request (1 to 1000; 1000 costs the fewest requests).
            overlap: members re-read at each page boundary.

        Yields:
            :class:`MailchimpMember` records.
        """
        step_overlap = count // 100 if overlap is None else overlap
        if not 0 <= step_overlap < count:
            raise ValueError("overlap must be smaller than count")
        for status in list(statuses) if statuses is not None else [None]:
            offset = 0
            previous: set[str] = set()
            while True:
                page, total = await self.members_page(
                    offset=offset, count=count, status=status, since_last_changed=since_last_changed
                )
                current: set[str] = set()
                for member in page:
                    current.add(member.hash)
                    if member.hash not in previous:
                        yield member
                if len(page) < count or offset + len(page) >= total:
                    break
                previous = current
                offset += count - step_overlap

    async def get_member(self, email_or_hash: str) -> MailchimpMember | None:
        """One member (archived ones included), or ``None`` when Mailchimp does not hold it."""
        try:
            _, member = await self.call(
                "GET",
                self._member_path(email_or_hash),
                params={"exclude_fields": "_links"},
                parse=_parse_member,
            )
        except NotFound:
            return None
        return cast(MailchimpMember, member)

    # -- members: writes ------------------------------------------------------------------

    async def add_member(
        self,
        email: str,
        status: str = "subscribed",
        *,
        merge_fields: Mapping[str, Any] | None = None,
        tags: Sequence[str] | None = None,
        email_type: str | None = None,
    ) -> MailchimpMember:
        """Add a new member (``POST``); prefer :meth:`upsert_member`, which is safe to repeat.

        Raises:
            MemberExists: the address is on the list.
            ForgottenEmail: the address was permanently deleted.
            InvalidResource: bad address or merge fields.
            OutcomeUnknown: the connection broke after sending; read back before retrying.
        """
        body: dict[str, Any] = {"email_address": email.strip(), "status": status}
        if merge_fields:
            body["merge_fields"] = dict(merge_fields)
        if tags:
            body["tags"] = list(tags)
        if email_type:
            body["email_type"] = email_type
        _, member = await self.call(
            "POST",
            f"{self._list}/members",
            json=body,
            idempotent=writes.idempotent(SERVICE, "POST /lists/{id}/members"),
            parse=_parse_member,
        )
        return cast(MailchimpMember, member)

    async def upsert_member(
        self,
        email: str,
        *,
        status_if_new: str = "subscribed",
        status: str | None = None,
        merge_fields: Mapping[str, Any] | None = None,
        email_type: str | None = None,
        skip_merge_validation: bool = False,
    ) -> MailchimpMember:
        """Add or update a member (``PUT``). Safe to repeat.

        ``status_if_new`` applies only to a new address; ``status`` changes an existing member's
        status (WIRE.md §2.2: ``status_if_new`` alone never re-subscribes anyone).

        Raises:
            ForgottenEmail: the address was permanently deleted.
            ComplianceState: ``status='subscribed'`` for an unsubscribed or cleaned member.
            InvalidResource: bad address or merge fields.
        """
        body: dict[str, Any] = {"email_address": email.strip(), "status_if_new": status_if_new}
        if status:
            body["status"] = status
        if merge_fields:
            body["merge_fields"] = dict(merge_fields)
        if email_type:
            body["email_type"] = email_type
        params = {"skip_merge_validation": "true"} if skip_merge_validation else None
        _, member = await self.call(
            "PUT", self._member_path(email), json=body, params=params, parse=_parse_member
        )
        return cast(MailchimpMember, member)

    async def patch_member(
        self,
        email_or_hash: str,
        *,
        status: str | None = None,
        merge_fields: Mapping[str, Any] | None = None,
        email_address: str | None = None,
        email_type: str | None = None,
    ) -> MailchimpMember:
        """Update an existing member (``PATCH``); can change its address.

        An address change is not repeated after a lost answer (the old hash is gone by then):
        it raises :class:`OutcomeUnknown` instead and the caller reads back.

        Raises:
            NotFound: no such member.
            ComplianceState: ``status='subscribed'`` for an unsubscribed or cleaned member.
            MemberExists: ``email_address`` belongs to another member.
        """
        body: dict[str, Any] = {}
        if status:
            body["status"] = status
        if merge_fields:
            body["merge_fields"] = dict(merge_fields)
        if email_address:
            body["email_address"] = email_address.strip()
        if email_type:
            body["email_type"] = email_type
        _, member = await self.call(
            "PATCH",
            self._member_path(email_or_hash),
            json=body,
            idempotent=writes.idempotent(
                SERVICE,
                "PATCH /lists/{id}/members/{id}" + (" email_address" if email_address else ""),
            ),
            parse=_parse_member,
        )
        return cast(MailchimpMember, member)

    async def archive_member(self, email_or_hash: str) -> bool:
        """Archive a member (``DELETE``; reversible by re-adding).

        Returns:
            True when the member exists (now archived), False when Mailchimp does not hold it.
        """
        return await self.request_if_found("DELETE", self._member_path(email_or_hash))

    async def delete_permanent(self, email_or_hash: str) -> bool:
        """Delete a member and all its data for good; the address can never be re-imported.

        Returns:
            True when deleted now, False when it was already gone (a retry whose first answer was
            lost lands here too).
        """
        return await self.request_if_found(
            "POST",
            f"{self._member_path(email_or_hash)}/actions/delete-permanent",
            idempotent=writes.idempotent(SERVICE, "POST /lists/{id}/members/{id}/actions/delete-permanent"),
        )

    async def get_tags(self, email_or_hash: str) -> list[str]:
        """A member's tag names.

        Raises:
            NotFound: no such member.
        """

        def parse(response: httpx.Response) -> list[str]:
            body = response.json()
            tags = body.get("tags") if isinstance(body, dict) else None
            if not isinstance(tags, list):
                raise ValueError("tags answer has no tags array")
            return [t["name"] for t in tags if isinstance(t, dict) and isinstance(t.get("name"), str)]

        _, names = await self.call(
            "GET", f"{self._member_path(email_or_hash)}/tags", params={"count": 1000}, parse=parse
        )
        return cast(list[str], names)

    async def update_tags(
        self,
        email_or_hash: str,
        add: Iterable[str] = (),
        remove: Iterable[str] = (),
        *,
        is_syncing: bool = False,
    ) -> None:
        """Add and remove tags on one member (unknown tags are created). Safe to repeat.

        Args:
            email_or_hash: the member.
            add: tag names to set active.
            remove: tag names to set inactive.
            is_syncing: True stops tag-triggered automations from firing.

        Raises:
            NotFound: no such member.
            InvalidResource: a tag name is too long or empty.
        """
        tags = [{"name": t, "status": "active"} for t in add]
        tags += [{"name": t, "status": "inactive"} for t in remove]
        if not tags:
            return
        await self.request(
            "POST",
            f"{self._member_path(email_or_hash)}/tags",
            json={"tags": tags, "is_syncing": is_syncing},
            idempotent=writes.idempotent(SERVICE, "POST /lists/{id}/members/{id}/tags"),
        )

    async def batch_subscribe(
        self,
        members: Iterable[MemberInput | Mapping[str, Any]],
        update_existing: bool = True,
        sync_tags: bool = False,
    ) -> BatchResult:
        """Create or update many members, 500 per call (``POST /lists/{id}``).

        Mailchimp answers 200 with per-member errors; each is classified (forgotten, compliance,
        exists, invalid, generic) and carried as a typed error. Within one call a repeated address
        is ignored after its first occurrence (``skipped``).

        Args:
            members: :class:`MemberInput` records or wire dicts (``email_address``, ``status``...).
            update_existing: update members already on the list (otherwise they are ``exists``
                errors). True makes the call safe to repeat after a lost answer.
            sync_tags: a member's ``tags`` replace all its tags instead of being added.

        Raises:
            InvalidResource: the whole call was refused.
            OutcomeUnknown: ``update_existing=False`` and the connection broke after sending.
        """
        items: list[BatchItemResult] = []
        calls = 0
        chunk: list[dict[str, Any]] = []
        for m in members:
            chunk.append(m.to_wire() if isinstance(m, MemberInput) else dict(m))
            if len(chunk) == MAX_BATCH:
                items += await self._batch_chunk(chunk, update_existing, sync_tags)
                calls += 1
                chunk = []
        if chunk:
            items += await self._batch_chunk(chunk, update_existing, sync_tags)
            calls += 1
        return BatchResult(items, calls)

    async def _batch_chunk(
        self, chunk: list[dict[str, Any]], update_existing: bool, sync_tags: bool
    ) -> list[BatchItemResult]:
        body = {"members": chunk, "update_existing": update_existing, "sync_tags": sync_tags}
        _, answer = await self.call(
            "POST",
            self._list,
            json=body,
            idempotent=writes.idempotent(
                SERVICE, "POST /lists/{id}" + (" update_existing" if update_existing else "")
            ),
            parse=lambda r: _batch_answer(r.json()),
        )
        created, updated, errors = cast(
            tuple[dict[str, MailchimpMember], dict[str, MailchimpMember], dict[str, dict[str, Any]]], answer
        )
        results: list[BatchItemResult] = []
        seen: set[str] = set()
        for item in chunk:
            raw_email = item.get("email_address")
            email = raw_email if isinstance(raw_email, str) else ""
            key = normalize_email(email)
            if key in seen:
                results.append(BatchItemResult(email, "skipped"))
                continue
            seen.add(key)
            if key in created:
                results.append(BatchItemResult(email, "created", created[key]))
            elif key in updated:
                results.append(BatchItemResult(email, "updated", updated[key]))
            elif key in errors:
                results.append(_batch_error(email, errors[key]))
            else:
                results.append(
                    _batch_error(email, {"error": "no result for this member", "error_code": "ERROR_GENERIC"})
                )
        return results

    # -- webhooks -------------------------------------------------------------------------

    async def create_webhook(
        self,
        url: str,
        *,
        events: Mapping[str, bool] | None = None,
        sources: Mapping[str, bool] | None = None,
    ) -> MailchimpWebhook:
        """Register a list webhook. Mailchimp first GETs ``url`` and expects 200.

        Args:
            url: our endpoint, with a hard-to-guess secret in it (deliveries are not signed).
            events: subscribe, unsubscribe, profile, cleaned, upemail, campaign → bool.
            sources: user, admin, api → bool. Leave ``api`` off to avoid echoes of our own writes.

        Raises:
            InvalidResource: the URL did not answer 200 to the verification GET (the message says
                which code it got).
        """
        body: dict[str, Any] = {
            "url": url,
            "events": dict(
                events
                or {"subscribe": True, "unsubscribe": True, "profile": True, "cleaned": True, "upemail": True}
            ),
            "sources": dict(sources or {"user": True, "admin": True, "api": False}),
        }
        _, hook = await self.call(
            "POST",
            f"{self._list}/webhooks",
            json=body,
            idempotent=writes.idempotent(SERVICE, "POST /lists/{id}/webhooks"),
            parse=lambda r: MailchimpWebhook.from_json(r.json()),
        )
        return cast(MailchimpWebhook, hook)

    async def list_webhooks(self) -> list[MailchimpWebhook]:
        """Every webhook of the audience."""

        def parse(response: httpx.Response) -> list[MailchimpWebhook]:
            body = response.json()
            hooks = body.get("webhooks") if isinstance(body, dict) else None
            if not isinstance(hooks, list):
                raise ValueError("webhooks answer has no webhooks array")
            return [MailchimpWebhook.from_json(h) for h in hooks]

        _, hooks = await self.call("GET", f"{self._list}/webhooks", parse=parse)
        return cast(list[MailchimpWebhook], hooks)

    async def delete_webhook(self, webhook_id: str) -> bool:
        """Remove a webhook. Returns False when it was already gone."""
        return await self.request_if_found("DELETE", f"{self._list}/webhooks/{webhook_id}")

    # -- health ---------------------------------------------------------------------------

    async def check(self) -> MailchimpCheck:
        """Test the key and the audience with one request; never raises a :class:`ConnectorError`."""
        started = time.perf_counter()

        def done(
            ok: bool, verdict: Verdict, message: str, name: str | None = None, count: int | None = None
        ) -> MailchimpCheck:
            return MailchimpCheck(ok, verdict, message, name, count, round(time.perf_counter() - started, 3))

        try:
            audience = await self.get_list()
        except NotFound:
            return done(
                False,
                "list_not_found",
                f"{SERVICE}: the API key works but audience {self.list_id!r} does not exist — "
                "check MAILCHIMP_LIST_ID",
            )
        except ConnectorError as exc:
            return done(False, check_verdict(exc), str(exc))
        return done(
            True,
            "ok",
            f"{SERVICE}: audience {audience.name!r} ({audience.id}), {audience.member_count} subscribed",
            audience.name,
            audience.member_count,
        )


def _parse_member(response: httpx.Response) -> MailchimpMember:
    return MailchimpMember.from_json(response.json())


def _batch_answer(
    body: Any,
) -> tuple[dict[str, MailchimpMember], dict[str, MailchimpMember], dict[str, dict[str, Any]]]:
    if not isinstance(body, dict):
        raise ValueError("batch answer is not an object")
    created = {
        normalize_email(m.email): m
        for m in (MailchimpMember.from_json(x) for x in body.get("new_members") or [])
    }
    updated = {
        normalize_email(m.email): m
        for m in (MailchimpMember.from_json(x) for x in body.get("updated_members") or [])
    }
    errors: dict[str, dict[str, Any]] = {}
    for e in body.get("errors") or []:
        if isinstance(e, dict) and isinstance(e.get("email_address"), str):
            errors.setdefault(normalize_email(e["email_address"]), e)
    return created, updated, errors


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
        hint=_KIND_HINTS[kind],
        status=400,
    )
    return BatchItemResult(email, "error", None, kind, typed, text)
