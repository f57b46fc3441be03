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

The records are in :mod:`crmtui.connectors.mailchimp_records` and the error classification in
:mod:`crmtui.connectors.mailchimp_errors`; this module re-exports the names callers import from it.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

import httpx

from crmtui.connectors import writes
from crmtui.connectors.errors import (
    ConnectorError,
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
    check_verdict,
    json_object,
    reveal_key,
)
from crmtui.connectors.mailchimp_errors import (
    _KIND_ERRORS,
    _TITLE_KINDS,
    SERVICE,
    _batch_error,
    _describe_problem,
    _field_errors,
    classify_error,
    kind_hint,
)
from crmtui.connectors.mailchimp_records import (
    _HASH_RE,
    BatchItemResult,
    BatchResult,
    MailchimpCheck,
    MailchimpList,
    MailchimpMember,
    MailchimpWebhook,
    MemberInput,
    Verdict,
    _parse_time,
    datacenter_of,
    normalize_email,
    subscriber_hash,
    to_iso,
)
from crmtui.i18n import t
from crmtui.secrets import Secret

# The client, and the records and errors callers import from here (mailchimp_records, mailchimp_errors).
__all__ = [
    "shared_slots",
    "MailchimpClient",
    "MAX_CONNECTIONS",
    "MAX_PAGE",
    "MAX_BATCH",
    "MEMBER_FIELDS",
    "classify_error",
    "MailchimpMember",
    "MemberInput",
    "Verdict",
    "_parse_time",
    "datacenter_of",
    "normalize_email",
    "subscriber_hash",
]

log = logging.getLogger("crmtui.connectors.mailchimp")


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
        self.raise_refused(
            status, message, refused=t("cerr.api_key_refused"), auth_hint=t("cerr.mailchimp.auth.fix")
        )
        if status == 403:
            if not title:
                # WIRE.md §2.6: heavy throttling can surface as a bare 403 from the WAF. Back off and
                # retry like a 429; the base class reports it as PermissionDenied if it persists.
                raise Retryable(
                    PermissionDenied(SERVICE, t("cerr.access_denied.bare", text=message), status=403)
                )
            raise PermissionDenied(SERVICE, t("cerr.access_denied", text=message), status=403)
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
                hint=kind_hint(kind) if kind else "",
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
                    _batch_error(
                        email, {"error": t("cerr.mailchimp.no_result"), "error_code": "ERROR_GENERIC"}
                    )
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
                f"{SERVICE}: {t('cerr.mailchimp.no_audience', list_id=self.list_id)} — "
                f"{t('cerr.mailchimp.no_audience.fix')}",
            )
        except ConnectorError as exc:
            return done(False, check_verdict(exc), str(exc))
        return done(
            True,
            "ok",
            f"{SERVICE}: "
            + t("cerr.mailchimp.check_ok", name=audience.name, id=audience.id, count=audience.member_count),
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
