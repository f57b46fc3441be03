"""Copper CRM Developer API v1 client (people and webhooks), on the shared :class:`ServiceClient`.

Wire facts come from ``docs/WIRE.md`` §1. What this module adds to the shared plumbing of
:mod:`crmtui.connectors.http`:

- the three ``X-PW-*`` auth headers, and a rolling budget of 180 requests a minute (Copper's
  limit) so a normal run never receives a 429; with ``budgets`` (the store's) it is counted across
  every crmtui process on the account, and a 429 (no ``Retry-After`` on Copper) waits for the rest
  of the window;
- typed records (:class:`CopperPerson`, :class:`CopperWebhook`) instead of raw JSON;
- error bodies (``{"success": false, "status": ..., "message": ...}``) turned into typed errors:
  :class:`AuthError` on 401, :class:`NotFound` on 404, :class:`DuplicateRecord` when an email
  already belongs to someone, :class:`RequestRejected` for other 4xx;
- :meth:`CopperClient.iter_people`, an incremental read that streams every person modified since a
  cursor, working around Copper's 100,000-record search cap.

Reads (``GET``, searches and ``fetch_by_email``, which are POSTs that change nothing) are retried
on any transient failure. Creates are not idempotent (:mod:`crmtui.connectors.writes`): if the
connection breaks after the request left, or a gateway answers 502/503/504, :class:`OutcomeUnknown`
is raised instead of a second send, and the engine searches Copper for the address
(:mod:`crmtui.engine.sync_verify`) before trying again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import httpx

from crmtui.connectors import writes
from crmtui.connectors.errors import (
    ConnectorError,
    DuplicateRecord,
    NotFound,
    ReadIncomplete,
    RequestRejected,
)
from crmtui.connectors.http import (
    RateWait,
    RetryPolicy,
    ServiceClient,
    SharedBudgets,
    account_key,
    body_excerpt,
    check_verdict,
    json_object,
    reveal_key,
)
from crmtui.formats import number
from crmtui.i18n import t
from crmtui.records.emails import email_key
from crmtui.secrets import Secret

log = logging.getLogger("crmtui.connectors.copper")

SERVICE = "copper"
DEFAULT_BASE_URL = "https://api.copper.com/developer_api/v1"
"""Copper's API root (WIRE.md §1)."""

RATE_LIMIT: tuple[int, float] = (180, 61.0)
"""180 requests per rolling minute (WIRE.md §1.2). Our window is one second longer than Copper's:
we count a request when it leaves, Copper when it arrives, and the margin absorbs that delay."""

MAX_PAGE_SIZE = 200
"""The largest search page Copper is known to serve (WIRE.md §1.4)."""

SEARCH_CAP = 100_000
"""A search never returns records past this index, whatever the paging (WIRE.md §1.4)."""


def _as_str_list(items: Any, key: str) -> list[str]:
    """Pull ``key`` out of a list of objects (``emails[].email``), skipping malformed items."""
    if not isinstance(items, list):
        return []
    return [item[key] for item in items if isinstance(item, dict) and isinstance(item.get(key), str)]


@dataclass(frozen=True)
class CopperPerson:
    """One Copper person, typed.

    Attributes:
        id: Copper's id.
        name: the full name.
        first_name: first name (Copper derives it from ``name`` when only ``name`` was sent).
        last_name: last name.
        emails: email addresses, in Copper's order (categories stay in ``raw``).
        phone_numbers: phone numbers as entered.
        tags: tags, plain strings.
        date_modified: last change, unix seconds.
        date_created: creation, unix seconds.
        raw: the JSON object as received, for every other field.
    """

    id: int
    name: str
    first_name: str | None
    last_name: str | None
    emails: list[str]
    phone_numbers: list[str]
    tags: list[str]
    date_modified: int
    date_created: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def primary_email(self) -> str | None:
        """The first email as the sync key (:func:`crmtui.records.emails.email_key`), or ``None``."""
        return email_key(self.emails[0]) if self.emails else None

    @classmethod
    def from_json(cls, data: Any) -> CopperPerson:
        """Build a person from Copper's JSON.

        Raises:
            ValueError: ``data`` is not a person object (no integer ``id``).
        """
        if (
            not isinstance(data, dict)
            or isinstance(data.get("id"), bool)
            or not isinstance(data.get("id"), int)
        ):
            raise ValueError("not a Copper person")
        tags = data.get("tags")
        return cls(
            id=data["id"],
            name=data.get("name") or "",
            first_name=data.get("first_name"),
            last_name=data.get("last_name"),
            emails=_as_str_list(data.get("emails"), "email"),
            phone_numbers=_as_str_list(data.get("phone_numbers"), "number"),
            tags=[t for t in tags if isinstance(t, str)] if isinstance(tags, list) else [],
            date_modified=int(data.get("date_modified") or 0),
            date_created=int(data["date_created"]) if data.get("date_created") is not None else None,
            raw=data,
        )


@dataclass(frozen=True)
class CopperWebhook:
    """One webhook subscription.

    Attributes:
        id: subscription id (``subscription_id`` in notifications).
        target: the URL notifications are POSTed to.
        type: entity type (``person``, ``lead``...).
        event: ``new``, ``update`` or ``delete``.
        secret: key/values Copper copies to the top level of every notification body.
        headers: extra HTTP headers sent with every notification.
        created_at: unix seconds.
        raw: the JSON object as received.
    """

    id: int
    target: str
    type: str
    event: str
    secret: dict[str, Any] | None = None
    headers: dict[str, str] | None = None
    created_at: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> CopperWebhook:
        """Build a subscription from Copper's JSON.

        Raises:
            ValueError: ``data`` is not a subscription object.
        """
        if not isinstance(data, dict) or not isinstance(data.get("id"), int):
            raise ValueError("not a Copper webhook subscription")
        return cls(
            id=data["id"],
            target=str(data.get("target") or ""),
            type=str(data.get("type") or ""),
            event=str(data.get("event") or ""),
            secret=data.get("secret"),
            headers=data.get("headers"),
            created_at=data.get("created_at"),
            raw=data,
        )


Verdict = Literal["ok", "auth_refused", "rate_limited", "unreachable", "error"]


@dataclass(frozen=True)
class CopperCheck:
    """The outcome of :meth:`CopperClient.check` (``crmtui connectors test``).

    Attributes:
        ok: the credentials work and the API answers.
        verdict: one word for the screen and the exit code.
        message: one plain-words line (redacted).
        people: how many people the account holds (``X-PW-TOTAL``, an upper bound), when ok.
        seconds: how long the check took.
    """

    ok: bool
    verdict: Verdict
    message: str
    people: int | None = None
    seconds: float = 0.0


def _envelope_message(response: httpx.Response) -> str:
    """The ``message`` of Copper's error envelope, or a short body excerpt."""
    message = json_object(response).get("message")
    return message if isinstance(message, str) else body_excerpt(response)


def _is_duplicate_email(message: str) -> bool:
    # UNCONFIRMED (WIRE.md §1.3): Copper's wording for a taken email. Match loosely.
    text = message.lower()
    return "email" in text and any(w in text for w in ("in use", "exist", "taken", "unique", "duplicate"))


def _to_wire(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Accept plain strings for emails and phone numbers; Copper wants objects with a category."""
    body = dict(fields)
    if isinstance(body.get("emails"), list):
        body["emails"] = [
            {"email": e, "category": "work"} if isinstance(e, str) else e for e in body["emails"]
        ]
    if isinstance(body.get("phone_numbers"), list):
        body["phone_numbers"] = [
            {"number": n, "category": "work"} if isinstance(n, str) else n for n in body["phone_numbers"]
        ]
    return body


def _parse_person(response: httpx.Response) -> CopperPerson:
    return CopperPerson.from_json(response.json())


def _parse_search(response: httpx.Response) -> tuple[list[CopperPerson], int | None]:
    body = response.json()
    if not isinstance(body, list):
        raise ValueError("search answer is not a JSON array")
    header = response.headers.get("X-PW-TOTAL")
    total = int(header) if header and header.strip().isdigit() else None
    return [CopperPerson.from_json(item) for item in body], total


class CopperClient(ServiceClient):
    """Async client for Copper's Developer API v1.

    Args:
        client: the ``httpx.AsyncClient`` to send with (tests pass an ASGI transport or a loopback
            URL). When omitted, one is created and closed by :meth:`aclose`.
        api_key: ``X-PW-AccessToken``.
        user_email: ``X-PW-UserEmail``, the email of the key's owner.
        base_url: API root; ``""`` uses the injected client's own ``base_url``.
        rate_limit: ``(requests, window_seconds)`` budget; default :data:`RATE_LIMIT`.
        max_concurrency: requests in flight at once (Copper documents no such limit; ours).
        retry: retry policy (attempts, backoff).
        timeout: per-request timeout, seconds.
        sleep: injectable sleep for backoff and the budget (tests pass a fast one).
        search_cap: Copper's search cap (100,000); :meth:`iter_people` uses it when
            ``X-PW-TOTAL`` is missing and to tell a real cap from an overcounted total.
        budgets: the store's shared budgets, so every crmtui process together stays under the
            account's 180 a minute (None: this process only).
        on_wait: told when a 429 is waited out (see :class:`ServiceClient`).
        deadline: ``time.monotonic()`` instant past which a 429 is not waited for.
    """

    def __init__(
        self,
        client: httpx.AsyncClient | None = None,
        *,
        api_key: str | Secret,
        user_email: str,
        base_url: str = DEFAULT_BASE_URL,
        rate_limit: tuple[int, float] | None = RATE_LIMIT,
        max_concurrency: int | None = 8,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        sleep: Callable[[float], Any] = asyncio.sleep,
        search_cap: int = SEARCH_CAP,
        budgets: SharedBudgets | None = None,
        on_wait: Callable[[RateWait], None] | None = None,
        deadline: float | None = None,
    ) -> None:
        key = reveal_key(api_key)  # never printed, even when a plain string was passed
        owns_client = client is None
        super().__init__(
            SERVICE,
            client if client is not None else httpx.AsyncClient(),
            base_url=base_url,
            headers={
                "X-PW-AccessToken": key,
                "X-PW-Application": "developer_api",
                "X-PW-UserEmail": user_email,
                "Content-Type": "application/json",
            },
            rate_limit=rate_limit,
            # Our own cap instead of the base class's: see call().
            max_concurrency=None,
            retry=retry,
            timeout=timeout,
            sleep=sleep,
            owns_client=owns_client,
            budgets=budgets,
            budget_name=f"{SERVICE}:{account_key(key)}",
            on_wait=on_wait,
            deadline=deadline,
            # A gateway may answer 502/503/504 after the service applied a write: writes that are
            # not safe to repeat (crmtui.connectors.writes) become OutcomeUnknown, never re-sent.
            retry_gateway_writes=False,
        )
        self.user_email = user_email
        self.search_cap = search_cap
        self._slots = asyncio.Semaphore(max_concurrency) if max_concurrency else None

    async def call(self, method: str, path: str, **kwargs: Any) -> tuple[httpx.Response, Any]:
        """:meth:`ServiceClient.call` with the concurrency cap taken *before* the rate budget.

        The base class stamps a request in the budget and then waits for a free connection; a
        request queued there reaches Copper later than it was counted, and Copper's own window
        then holds more requests than ours. Taking the slot first keeps the stamp next to the send.
        """
        if self._slots is None:
            return await super().call(method, path, **kwargs)
        async with self._slots:
            return await super().call(method, path, **kwargs)

    # -- errors ---------------------------------------------------------------------------

    def raise_for_error(self, response: httpx.Response) -> None:
        """Turn Copper's error envelope into a typed error (see the module docstring)."""
        status = response.status_code
        message = _envelope_message(response)
        self.raise_refused(status, message, auth_hint=t("cerr.copper.auth.fix"))
        if status == 422 and _is_duplicate_email(message):
            raise DuplicateRecord(
                SERVICE,
                t("cerr.copper.duplicate", text=message),
                hint=t("cerr.copper.duplicate.fix"),
                status=422,
            )
        if 400 <= status < 500 and status not in (403, 429):
            raise RequestRejected(SERVICE, t("cerr.rejected", status=status, text=message), status=status)
        super().raise_for_error(response)

    # -- people ---------------------------------------------------------------------------

    async def get_person(self, person_id: int) -> CopperPerson:
        """Fetch one person.

        Raises:
            NotFound: no person has this id.
        """
        _, person = await self.call("GET", f"/people/{person_id}", parse=_parse_person)
        return cast(CopperPerson, person)

    async def fetch_by_email(self, email: str) -> CopperPerson | None:
        """The person owning ``email`` (Copper's unique key), or ``None`` when nobody does.

        UNCONFIRMED (WIRE.md §1.3): "no match" is taken to be a 404.
        """
        try:
            _, person = await self.call(
                "POST",
                "/people/fetch_by_email",
                json={"email": email.strip()},
                idempotent=True,  # a lookup: safe to send again
                parse=_parse_person,
            )
        except NotFound:
            return None
        return cast(CopperPerson, person)

    async def create_person(self, name: str | None = None, **fields: Any) -> CopperPerson:
        """Create a person.

        Args:
            name: full name (required by Copper unless ``first_name``/``last_name`` are given).
            **fields: any other person field; ``emails`` and ``phone_numbers`` may be plain
                strings (category ``work``).

        Raises:
            DuplicateRecord: one of the emails already belongs to a person.
            OutcomeUnknown: the connection broke after sending; read back before retrying.
        """
        body = _to_wire(fields)
        if name is not None:
            body["name"] = name
        _, person = await self.call(
            "POST",
            "/people",
            json=body,
            idempotent=writes.idempotent(SERVICE, "POST /people"),
            parse=_parse_person,
        )
        return cast(CopperPerson, person)

    async def update_person(self, person_id: int, **fields: Any) -> CopperPerson:
        """Partial update: only the given fields change; ``None`` clears a field.

        ``tags`` and ``emails`` replace the whole list (WIRE.md §1.3), so pass the full new list.
        ``company_id`` cannot be changed this way (Copper's Related Items API does that).

        Raises:
            NotFound: no person has this id.
            DuplicateRecord: a new email already belongs to another person.
        """
        _, person = await self.call("PUT", f"/people/{person_id}", json=_to_wire(fields), parse=_parse_person)
        return cast(CopperPerson, person)

    async def delete_person(self, person_id: int) -> bool:
        """Delete a person permanently.

        Returns:
            True when deleted now, False when it was already gone (a retried DELETE whose first
            answer was lost lands here too).
        """
        return await self.request_if_found("DELETE", f"/people/{person_id}")

    async def search_people(
        self,
        *,
        page_number: int = 1,
        page_size: int = MAX_PAGE_SIZE,
        sort_by: str = "date_modified",
        sort_direction: Literal["asc", "desc"] = "asc",
        **filters: Any,
    ) -> tuple[list[CopperPerson], int | None]:
        """One page of ``POST /people/search``.

        Args:
            page_number: from 1.
            page_size: 1 to 200.
            sort_by: a Copper sort field (``date_modified``, ``name``, ``email``...).
            sort_direction: ``asc`` or ``desc``.
            **filters: Copper search filters (``emails``, ``tags``, ``minimum_modified_date``...).

        Returns:
            The page and ``X-PW-TOTAL`` (an upper bound on the matches; ``None`` if absent).
        """
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        body = {
            **filters,
            "page_number": page_number,
            "page_size": page_size,
            "sort_by": sort_by,
            "sort_direction": sort_direction,
        }
        _, result = await self.call("POST", "/people/search", json=body, idempotent=True, parse=_parse_search)
        return cast(tuple[list[CopperPerson], int | None], result)

    async def count_people(self, **filters: Any) -> int:
        """How many people match ``filters`` (all people without), from ``X-PW-TOTAL``.

        Copper documents the header as an upper bound. One request of one record.
        """
        page, total = await self.search_people(page_size=1, **filters)
        return total if total is not None else len(page)

    async def iter_people(
        self, modified_since: int | None = None, page_size: int = MAX_PAGE_SIZE
    ) -> AsyncIterator[CopperPerson]:
        """Stream every person modified at or after ``modified_since``, oldest change first.

        Pages are read in ``date_modified`` order (ties in Copper's order) and the stream stops on
        a page shorter than ``page_size``.

        Copper never serves a search past its first 100,000 records. When a query ends there while
        ``X-PW-TOTAL`` says more match, the search starts again with ``minimum_modified_date`` set
        to the last ``date_modified`` seen (the bound is inclusive), skipping the ids already
        yielded at that second. Limits: more than 100,000 people modified within one second
        cannot all be reached (:class:`ReadIncomplete` is raised); a person modified while the
        stream runs may be yielded twice, the second time with its new ``date_modified`` — callers de-duplicate by
        ``(id, date_modified)`` and keep the last.

        Args:
            modified_since: unix seconds, inclusive; ``None`` reads everybody.
            page_size: records per request (1 to 200; 200 costs the fewest requests).

        Yields:
            :class:`CopperPerson` records.

        Raises:
            ReadIncomplete: more people than the search cap share one ``date_modified`` second.
        """
        cursor = modified_since
        skip: set[int] = set()  # ids already yielded whose date_modified == cursor
        while True:
            filters: dict[str, Any] = {} if cursor is None else {"minimum_modified_date": cursor}
            read = new = 0
            total: int | None = None
            last_stamp: int | None = None
            at_last_stamp: set[int] = set()
            page_number = 1
            while True:
                page, total = await self.search_people(
                    page_number=page_number, page_size=page_size, sort_by="date_modified", **filters
                )
                read += len(page)
                for person in page:
                    if person.date_modified == cursor and person.id in skip:
                        continue
                    if person.date_modified != last_stamp:
                        last_stamp, at_last_stamp = person.date_modified, set()
                    at_last_stamp.add(person.id)
                    new += 1
                    yield person
                if len(page) < page_size:
                    break
                page_number += 1
            more = read < total if total is not None else read >= self.search_cap
            if not more or read == 0:
                return
            if new == 0 or last_stamp is None:
                # Every record of the re-query was already yielded: either X-PW-TOTAL, an upper
                # bound, overcounted (people deleted meanwhile: nothing is missing), or more people
                # than the cap share one second: those past the cap cannot be listed by any query
                # of this API, and a sync planned from part of the account would take the rest
                # for missing people, so the read fails, loudly, before anything is planned.
                log.log(
                    logging.WARNING if read >= self.search_cap else logging.INFO,
                    "copper: no progress past date_modified %s after %d records (X-PW-TOTAL %s)",
                    cursor,
                    read,
                    total,
                )
                if read >= self.search_cap:
                    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(cursor or 0))
                    raise ReadIncomplete(
                        self.service,
                        t(
                            "copper.cap_stuck",
                            cap=number(self.search_cap),
                            at=stamp,
                            total=number(total or read),
                        ),
                        hint=t("copper.cap_stuck.fix"),
                    )
                return
            skip = (skip | at_last_stamp) if last_stamp == cursor else at_last_stamp
            cursor = last_stamp
            log.info("copper: search cap reached after %d records; continuing from %s", read, cursor)

    # -- webhooks -------------------------------------------------------------------------

    async def subscribe(
        self,
        target: str,
        *,
        event: Literal["new", "update", "delete"],
        type: str = "person",
        secret: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> CopperWebhook:
        """Create a webhook subscription (at most 100 per account; https targets only).

        Args:
            target: the URL Copper POSTs notifications to.
            event: which change to be told about.
            type: entity type.
            secret: key/values echoed at the top level of each notification (there is no
                signature: check one of these on receipt).
            headers: extra HTTP headers Copper sends with each notification.
        """
        body: dict[str, Any] = {"target": target, "type": type, "event": event}
        if secret is not None:
            body["secret"] = dict(secret)
        if headers is not None:
            body["headers"] = dict(headers)
        _, hook = await self.call(
            "POST",
            "/webhooks",
            json=body,
            idempotent=writes.idempotent(SERVICE, "POST /webhooks"),
            parse=lambda r: CopperWebhook.from_json(r.json()),
        )
        return cast(CopperWebhook, hook)

    async def list_webhooks(self) -> list[CopperWebhook]:
        """Every subscription of the account."""

        def parse(response: httpx.Response) -> list[CopperWebhook]:
            body = response.json()
            if not isinstance(body, list):
                raise ValueError("webhook list is not a JSON array")
            return [CopperWebhook.from_json(item) for item in body]

        _, hooks = await self.call("GET", "/webhooks", parse=parse)
        return cast(list[CopperWebhook], hooks)

    async def delete_webhook(self, webhook_id: int) -> bool:
        """Unsubscribe. Returns False when the subscription was already gone."""
        return await self.request_if_found("DELETE", f"/webhooks/{webhook_id}")

    # -- health ---------------------------------------------------------------------------

    async def check(self) -> CopperCheck:
        """Test the credentials with one cheap search; never raises a :class:`ConnectorError`."""
        started = time.perf_counter()

        def done(ok: bool, verdict: Verdict, message: str, people: int | None = None) -> CopperCheck:
            return CopperCheck(ok, verdict, message, people, round(time.perf_counter() - started, 3))

        try:
            people = await self.count_people()
        except ConnectorError as exc:
            return done(False, check_verdict(exc), str(exc))
        message = t("cerr.copper.check_ok", user=self.user_email, people=people)
        return done(True, "ok", f"{SERVICE}: {message}", people)
