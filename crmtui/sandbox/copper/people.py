"""A protocol-faithful simulator of the Copper CRM Developer API v1 (people and webhooks).

Mounted at ``/developer_api/v1`` like the real service (``https://api.copper.com/developer_api/v1``),
written from ``docs/WIRE.md`` section 1. It runs in-process through ``httpx.ASGITransport`` for
fast tests and on a loopback port through :func:`crmtui.sandbox.loopback.serve_in_thread`::

    sim = CopperSim()
    sim.load_people([{"name": "Ada Lovelace", "emails": [{"email": "ada@example.org", "category": "work"}]}])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sim.app),
                                 base_url="https://api.copper.com/developer_api/v1") as client:
        ...

What it reproduces (WIRE.md §1):

- the three auth headers (``X-PW-AccessToken``, ``X-PW-Application: developer_api``,
  ``X-PW-UserEmail``), answered with 401 otherwise;
- people CRUD with partial ``PUT`` (absent fields untouched, ``null`` clears, ``tags``/``emails``
  replaced wholesale), email as a unique key, ``fetch_by_email``;
- ``POST /people/search``: AND-combined filters, paging from 1, sorting, a bare JSON array body,
  the total in ``X-PW-TOTAL``, and nothing past the first 100,000 records;
- webhooks: subscriptions (at most 100), notifications of ≤30 ids, secret fields at the top level,
  ``updated_attributes`` on updates only, custom headers, never retried, no signature;
- 180 requests per rolling 60 s window, answered with 429 and no ``Retry-After``;
- the shared admin API, counters and scripted faults of :mod:`crmtui.sandbox.control`.

Every point WIRE.md marks UNCONFIRMED is a design choice here; each is flagged ``UNCONFIRMED`` in a
comment next to the code and, where it matters to a client, is configurable.
"""

from __future__ import annotations

import gc
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import Receive, Scope, Send

from crmtui.sandbox.control import SimControl, with_control

log = logging.getLogger(__name__)

BASE_PATH = "/developer_api/v1"
"""Where the API is mounted, as on api.copper.com."""

Notify = Callable[[str, dict[str, str], dict[str, Any]], Awaitable[Any]]
"""Webhook sender: ``await notify(url, headers, json_body)``."""

# Every key of a person, in the order of the documented example responses (WIRE.md §1.5).
PERSON_KEYS: tuple[str, ...] = (
    "id",
    "name",
    "prefix",
    "first_name",
    "middle_name",
    "last_name",
    "suffix",
    "address",
    "assignee_id",
    "company_id",
    "company_name",
    "contact_type_id",
    "details",
    "emails",
    "phone_numbers",
    "socials",
    "tags",
    "title",
    "websites",
    "custom_fields",
    "date_created",
    "date_modified",
    "date_last_contacted",
    "interaction_count",
    "leads_converted_from",
    "date_lead_created",
)
_LIST_KEYS = (
    "emails",
    "phone_numbers",
    "socials",
    "tags",
    "websites",
    "custom_fields",
    "leads_converted_from",
)
_STR_KEYS = (
    "name",
    "prefix",
    "first_name",
    "middle_name",
    "last_name",
    "suffix",
    "company_name",
    "details",
    "title",
)
_INT_KEYS = ("assignee_id", "company_id", "contact_type_id", "date_last_contacted")
_ADDRESS_KEYS = ("street", "city", "state", "postal_code", "country")
# Scalars default to None, lists are filled per record (never shared between records).
_TEMPLATE: dict[str, Any] = {k: None for k in PERSON_KEYS} | {"interaction_count": 0}
# Fields a client may write. Server-managed ones (id, dates, counters) are ignored when sent.
_WRITABLE = frozenset(_STR_KEYS + _INT_KEYS + ("address",) + _LIST_KEYS[:-1])
# WIRE.md §1.3: company_id cannot be changed by a plain update (Related Items API instead). The
# simulator ignores it on PUT rather than failing (UNCONFIRMED what Copper answers).
_NOT_UPDATABLE = frozenset({"company_id"})

SORT_FIELDS = frozenset(
    {
        "name",
        "first_name",
        "last_name",
        "title",
        "email",
        "phone",
        "date_modified",
        "date_created",
        "city",
        "state",
        "country",
        "zip",
    }
)
WEBHOOK_TYPES = frozenset({"lead", "person", "company", "opportunity", "project", "task", "activity_log"})
WEBHOOK_EVENTS = frozenset({"new", "update", "delete"})
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def error_body(status: int, message: str) -> dict[str, Any]:
    """The Copper error envelope.

    UNCONFIRMED (WIRE.md §1.1): the docs only show ``{"success": false, "status": 422,
    "message": "Invalid input: ..."}`` for an invalid webhook target. The simulator uses the same
    envelope for 400, 401, 404, 405, 422 and 429 because no other shape was found.
    """
    return {"success": False, "status": status, "message": message}


_FAULT_MESSAGES = {429: "Rate limit exceeded", 500: "Internal server error", 503: "Service unavailable"}


def _fault_body(status: int) -> dict[str, Any]:
    return error_body(status, _FAULT_MESSAGES.get(status, f"HTTP {status}"))


class ApiError(Exception):
    """Raised inside a handler; becomes an error envelope with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _envelope(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(status, message), status_code=status, headers=headers)


def email_key(email: str) -> str:
    """Normalise an email for the unique index and lookups: trimmed and case-folded."""
    return email.strip().casefold()


def split_name(name: str) -> tuple[str | None, str | None]:
    """Derive ``(first_name, last_name)`` from a full name.

    The first word is the first name, the rest the last name ("Jean de la Tour" gives "Jean",
    "de la Tour"); a single word is a first name only. UNCONFIRMED: WIRE.md §1.5 only shows
    "My Contact" -> "My", "Contact"; how Copper splits longer names is not documented.
    """
    parts = name.strip().split(None, 1)
    if not parts:
        return None, None
    return parts[0], (parts[1] if len(parts) > 1 else None)


def join_name(first: str | None, last: str | None) -> str | None:
    """Compose ``name`` from first and last names (``None`` when both are empty)."""
    text = " ".join(p.strip() for p in (first, last) if p and p.strip())
    return text or None


# --------------------------------------------------------------------------------------------
# Validation of written fields
# --------------------------------------------------------------------------------------------


def _check_list_of_objects(key: str, value: Any, required: str) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise ApiError(422, f"Invalid input: {key} must be an array")
    out = []
    for item in value:
        if (
            not isinstance(item, dict)
            or not isinstance(item.get(required), str)
            or not item[required].strip()
        ):
            raise ApiError(422, f"Invalid input: each item of {key} needs a non-empty '{required}'")
        out.append(dict(item))
    return out


def _clean_value(key: str, value: Any) -> Any:
    """Validate one written field; ``None`` is always allowed (it clears the field)."""
    if value is None:
        return [] if key in _LIST_KEYS else None
    if key in _STR_KEYS:
        if not isinstance(value, str):
            raise ApiError(422, f"Invalid input: {key} must be a string")
        return value
    if key in _INT_KEYS:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ApiError(422, f"Invalid input: {key} must be an integer")
        return value
    if key == "address":
        if not isinstance(value, dict):
            raise ApiError(422, "Invalid input: address must be an object")
        return {k: value.get(k) for k in _ADDRESS_KEYS}
    if key == "tags":
        if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
            raise ApiError(422, "Invalid input: tags must be an array of strings")
        return list(value)
    if key == "emails":
        return [
            {"email": e["email"], "category": e.get("category") or "work"}
            for e in _check_list_of_objects(key, value, "email")
        ]
    if key == "phone_numbers":
        return _check_list_of_objects(key, value, "number")
    if key in ("socials", "websites"):
        return _check_list_of_objects(key, value, "url")
    if key == "custom_fields":
        if not isinstance(value, list) or not all(
            isinstance(c, dict) and "custom_field_definition_id" in c for c in value
        ):
            raise ApiError(422, "Invalid input: custom_fields items need a custom_field_definition_id")
        return [dict(c) for c in value]
    return value


def _clean_fields(body: dict[str, Any], *, updating: bool) -> dict[str, Any]:
    skip = _NOT_UPDATABLE if updating else frozenset()
    # Unknown and server-managed keys (id, date_created, interaction_count...) are ignored, as a
    # permissive JSON API would; UNCONFIRMED whether Copper rejects them.
    return {k: _clean_value(k, v) for k, v in body.items() if k in _WRITABLE and k not in skip}


def _first(items: list[dict[str, Any]], key: str) -> str | None:
    return items[0].get(key) if items else None


def _text_key(value: Any) -> tuple[int, str]:
    # Case-insensitive, empty values last in ascending order. UNCONFIRMED: Copper's collation.
    if value is None or value == "":
        return (1, "")
    return (0, str(value).casefold())


def _address_part(part: str) -> Callable[[dict[str, Any]], tuple[int, str]]:
    def key(p: dict[str, Any]) -> tuple[int, str]:
        address = p["address"]
        return _text_key(address.get(part) if address else None)

    return key


_SORT_KEYS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "name": lambda p: _text_key(p["name"]),
    "first_name": lambda p: _text_key(p["first_name"]),
    "last_name": lambda p: _text_key(p["last_name"]),
    "title": lambda p: _text_key(p["title"]),
    "email": lambda p: _text_key(_first(p["emails"], "email")),
    "phone": lambda p: _text_key(_first(p["phone_numbers"], "number")),
    "date_modified": lambda p: p["date_modified"] or 0,
    "date_created": lambda p: p["date_created"] or 0,
    "city": _address_part("city"),
    "state": _address_part("state"),
    "country": _address_part("country"),
    "zip": _address_part("postal_code"),
}


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


# --------------------------------------------------------------------------------------------
# The simulator
# --------------------------------------------------------------------------------------------


async def http_notify(url: str, headers: dict[str, str], body: dict[str, Any]) -> None:
    """Default webhook sender: one POST with httpx, 10 s timeout, result ignored."""
    async with httpx.AsyncClient(timeout=10.0) as client:
        await client.post(url, headers=headers, json=body)


class CopperSim:
    """The Copper simulator: state, the ASGI app and in-process helpers for tests.

    Attributes:
        app: the ASGI app to serve or to pass to ``httpx.ASGITransport`` (admin API included).
        control: the shared counters / latency / scripted faults (:class:`SimControl`).
        people: every person by id (the exact JSON the API returns).
        webhooks: every subscription by id.
        deliveries: the last notifications sent (``{"url", "headers", "json", "error"}``), newest last.
    """

    def __init__(
        self,
        *,
        api_key: str = "sandbox-copper-key",
        user_email: str = "ops@domaine-exemple.fr",
        clock: Callable[[], float] = time.time,
        rate_limit: int = 180,
        rate_window: float = 60.0,
        page_size_max: int = 200,
        page_size_policy: Literal["reject", "clamp"] = "reject",
        search_cap: int = 100_000,
        notify: Notify | None = None,
        auto_deliver: bool = True,
        max_subscriptions: int = 100,
        ids_per_notification: int = 30,
        https_targets_only: bool = True,
        first_person_id: int = 100_000_001,
        first_webhook_id: int = 17_001,
        control: SimControl | None = None,
    ) -> None:
        """Build a simulator with an empty account.

        Args:
            api_key: the only accepted ``X-PW-AccessToken``.
            user_email: the only accepted ``X-PW-UserEmail`` (compared case-insensitively).
            clock: returns the current unix time; drives dates and the rate-limit window.
            rate_limit: requests allowed per rolling ``rate_window`` seconds (WIRE.md §1.2: 180/60 s).
            rate_window: length of the rolling window, in seconds.
            page_size_max: largest accepted search ``page_size``.
            page_size_policy: what to do above ``page_size_max``: ``"reject"`` (422) or ``"clamp"``.
                UNCONFIRMED (WIRE.md §1.4) what Copper does; rejecting makes a client bug visible.
            search_cap: searches never return records past this index (WIRE.md §1.4: 100,000).
            notify: webhook sender ``await notify(url, headers, body)``; defaults to an httpx POST.
            auto_deliver: deliver queued notifications in a background task after each response
                that changed something. With ``False``, call :meth:`deliver_webhooks` yourself.
            max_subscriptions: at most this many webhook subscriptions (WIRE.md §1.6: 100).
            ids_per_notification: at most this many ids in one notification (WIRE.md §1.6: 30).
            https_targets_only: refuse non-https webhook targets (WIRE.md §1.6), except on
                loopback hosts, which the sandbox needs for its local receiver.
            first_person_id: the id given to the first person created without one.
            first_webhook_id: the id given to the first subscription.
            control: a shared :class:`SimControl`; a new one by default.
        """
        self.api_key = api_key
        self.user_email = user_email
        self.clock = clock
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.page_size_max = page_size_max
        self.page_size_policy = page_size_policy
        self.search_cap = search_cap
        self.notify: Notify = notify or http_notify
        self.auto_deliver = auto_deliver
        self.max_subscriptions = max_subscriptions
        self.ids_per_notification = ids_per_notification
        self.https_targets_only = https_targets_only
        self._first_person_id = first_person_id
        self._first_webhook_id = first_webhook_id
        self.control = control or SimControl()
        self.people: dict[int, dict[str, Any]] = {}
        self.webhooks: dict[int, dict[str, Any]] = {}
        self.deliveries: deque[dict[str, Any]] = deque(maxlen=10_000)
        self._init_state()
        self.app = with_control(self._gate, self.control, fault_body=_fault_body, count_prefix=BASE_PATH)

    # ---------------------------------------------------------------- state

    def _init_state(self) -> None:
        self.people.clear()
        self.webhooks.clear()
        self.deliveries.clear()
        self._email_index: dict[str, int] = {}
        self._shared: dict[str, list[int]] = {}
        """Legacy people sharing an indexed address (``allow_duplicate_emails``), not its owner."""
        self._next_person_id = self._first_person_id
        self._next_webhook_id = self._first_webhook_id
        # Queued changes: (event, person id, updated_attributes or None, subscription ids).
        self._pending: list[tuple[str, int, dict[str, list[Any]] | None, tuple[int, ...]]] = []
        self._requests: deque[float] = deque()
        self.rate_limited = 0
        """How many requests this simulator refused with 429 since the last reset (tests assert on it)."""
        self._search_cache: dict[str, list[int]] = {}
        self._router = self._build_router()

    def reset(self, *, control: bool = True) -> None:
        """Forget every person, subscription, pending notification and the rate-limit window.

        Args:
            control: also zero the call counters, drop scripted faults and latency.
        """
        self._init_state()
        if control:
            self.control.reset_calls()
            self.control.clear_faults()
            self.control.latency = 0.0

    def now(self) -> int:
        """The simulator's current time in unix seconds."""
        return int(self.clock())

    def load_people(
        self, records: Iterable[dict[str, Any]], *, allow_duplicate_emails: bool = False
    ) -> list[int]:
        """Seed people directly: no call counted, no rate limit, no webhook.

        ``allow_duplicate_emails`` seeds legacy data where two people share an address (records
        imported or merged before Copper enforced the rule); the first owner keeps the index.

        Records are shallow-copied and completed to the full person shape. ``id`` is assigned when
        absent; ``date_created``/``date_modified`` default to now; names are derived as on create.
        Fast enough for a million records (one dict per person plus an email index).

        Args:
            records: person dicts, in the API's JSON shape (any subset of its keys).

        Returns:
            The ids of the loaded people, in order.

        Raises:
            ValueError: a record has no name at all, or an email already belongs to someone else
                (the records before it stay loaded).
        """
        # A million fresh dicts and lists would trigger many full collections for nothing: none
        # of them can form a cycle, so the collector is paused while loading.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            return self._load(records, allow_duplicate_emails)
        finally:
            if gc_was_enabled:
                gc.enable()

    def _load(self, records: Iterable[dict[str, Any]], allow_duplicates: bool = False) -> list[int]:
        self._search_cache.clear()
        now = self.now()
        people = self.people
        index = self._email_index
        ids: list[int] = []
        next_id = self._next_person_id
        for record in records:
            person = {**_TEMPLATE, **record}
            for key in _LIST_KEYS:
                if person[key] is None:
                    person[key] = []
            pid = person["id"]
            if pid is None:
                while next_id in people:
                    next_id += 1
                pid = person["id"] = next_id
            next_id = max(next_id, pid + 1)
            if person["date_created"] is None:
                person["date_created"] = now
            if person["date_modified"] is None:
                person["date_modified"] = person["date_created"]
            if person["first_name"] is None and person["last_name"] is None and person["name"]:
                person["first_name"], person["last_name"] = split_name(person["name"])
            elif not person["name"]:
                person["name"] = join_name(person["first_name"], person["last_name"])
                if not person["name"]:
                    raise ValueError(f"person {pid} has no name")
            old = people.get(pid)
            if old is not None:
                self._unindex(old)
            for item in person["emails"]:
                key = email_key(item["email"])
                owner = index.get(key)
                if owner is not None and owner != pid:
                    if allow_duplicates:
                        self._shared.setdefault(key, []).append(pid)
                        continue
                    raise ValueError(f"email {item['email']!r} already belongs to person {owner}")
                index[key] = pid
            people[pid] = person
            ids.append(pid)
            self._next_person_id = next_id
        return ids

    def person_by_email(self, email: str) -> dict[str, Any] | None:
        """The person owning ``email`` (trimmed, case-insensitive), or ``None``."""
        pid = self._email_index.get(email_key(email))
        return None if pid is None else self.people.get(pid)

    @property
    def pending_notifications(self) -> int:
        """How many person changes wait for :meth:`deliver_webhooks`."""
        return len(self._pending)

    def _unindex(self, person: dict[str, Any]) -> None:
        for item in person["emails"]:
            key = email_key(item["email"])
            shared = self._shared.get(key)
            if shared and person["id"] in shared:
                shared.remove(person["id"])
            if self._email_index.get(key) == person["id"]:
                del self._email_index[key]
                if shared:  # a legacy person sharing the address becomes the one it finds
                    self._email_index[key] = shared.pop(0)
            if not shared:
                self._shared.pop(key, None)

    def _check_unique_emails(self, emails: list[dict[str, Any]], pid: int | None) -> None:
        for item in emails:
            owner = self._email_index.get(email_key(item["email"]))
            if owner is not None and owner != pid:
                # UNCONFIRMED (WIRE.md §1.3): the docs only say the request fails; status and
                # message are our choice.
                raise ApiError(
                    422, f"Invalid input: Email {item['email']} is already in use by another person"
                )

    def _changed(self, event: str, pid: int, attributes: dict[str, list[Any]] | None = None) -> None:
        self._search_cache.clear()
        subs = tuple(
            sid for sid, sub in self.webhooks.items() if sub["type"] == "person" and sub["event"] == event
        )
        if subs:
            self._pending.append((event, pid, attributes, subs))

    # ---------------------------------------------------------------- ASGI plumbing

    def _build_router(self) -> Starlette:
        api = [
            Route("/people", self._wrap(self._create_person), methods=["POST"]),
            Route("/people/fetch_by_email", self._wrap(self._fetch_by_email), methods=["POST"]),
            Route("/people/search", self._wrap(self._search_people), methods=["POST"]),
            Route("/people/{pid:int}", self._wrap(self._get_person), methods=["GET"]),
            Route("/people/{pid:int}", self._wrap(self._update_person), methods=["PUT"]),
            Route("/people/{pid:int}", self._wrap(self._delete_person), methods=["DELETE"]),
            Route("/webhooks", self._wrap(self._create_webhook), methods=["POST"]),
            Route("/webhooks", self._wrap(self._list_webhooks), methods=["GET"]),
            Route("/webhooks/{wid:int}", self._wrap(self._get_webhook), methods=["GET"]),
            Route("/webhooks/{wid:int}", self._wrap(self._update_webhook), methods=["PUT"]),
            Route("/webhooks/{wid:int}", self._wrap(self._delete_webhook), methods=["DELETE"]),
        ]

        async def http_error(request: Request, exc: Exception) -> Response:
            status = exc.status_code if isinstance(exc, HTTPException) else 500
            return _envelope(status, "Resource not found" if status == 404 else f"HTTP {status}")

        return Starlette(
            routes=[Mount(BASE_PATH, routes=api)],
            exception_handlers={HTTPException: http_error},
        )

    def _wrap(
        self, handler: Callable[[Request], Awaitable[Response]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            pending_before = len(self._pending)
            try:
                response = await handler(request)
            except ApiError as exc:
                return _envelope(exc.status, exc.message)
            if self.auto_deliver and len(self._pending) > pending_before:
                response.background = BackgroundTask(self.deliver_webhooks)
            return response

        return endpoint

    async def _gate(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Auth, then the rate limit, then routing."""
        if scope["type"] != "http":
            await self._router(scope, receive, send)
            return
        problem = self._auth_problem(Headers(scope=scope))
        if problem:
            await _envelope(401, problem)(scope, receive, send)
            return
        if not self._admit():
            # WIRE.md §1.2: 429 with no documented Retry-After or rate-limit header, so none is sent.
            self.rate_limited += 1
            await _envelope(429, "Rate limit exceeded")(scope, receive, send)
            return
        await self._router(scope, receive, send)

    def _auth_problem(self, headers: Headers) -> str:
        # UNCONFIRMED: Copper's 401 wording. The messages name the header so a misconfiguration is
        # obvious; they never echo the value sent.
        token = headers.get("x-pw-accesstoken")
        if not token:
            return "Missing X-PW-AccessToken header"
        if token != self.api_key:
            return "Invalid X-PW-AccessToken"
        if headers.get("x-pw-application") != "developer_api":
            return "X-PW-Application must be developer_api"
        email = headers.get("x-pw-useremail")
        if not email:
            return "Missing X-PW-UserEmail header"
        if email_key(email) != email_key(self.user_email):
            return "X-PW-UserEmail does not match the API key's owner"
        return ""

    def _admit(self) -> bool:
        """Rolling-window limiter. Refused requests do not use up the window (our choice), so a
        client that backs off recovers exactly ``rate_window`` seconds after its oldest call."""
        now = self.clock()
        window = self._requests
        while window and window[0] <= now - self.rate_window:
            window.popleft()
        if len(window) >= self.rate_limit:
            return False
        window.append(now)
        return True

    @staticmethod
    async def _json_object(request: Request, *, empty_ok: bool = True) -> dict[str, Any]:
        raw = await request.body()
        if not raw.strip():
            if empty_ok:
                return {}
            raise ApiError(422, "Invalid input: a JSON body is required")
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise ApiError(400, "Invalid JSON body") from exc
        if not isinstance(data, dict):
            raise ApiError(422, "Invalid input: the body must be a JSON object")
        return data

    def _person_or_404(self, request: Request) -> dict[str, Any]:
        person = self.people.get(request.path_params["pid"])
        if person is None:
            raise ApiError(404, "Resource not found")
        return person

    # ---------------------------------------------------------------- people

    async def _create_person(self, request: Request) -> Response:
        fields = _clean_fields(await self._json_object(request), updating=False)
        if not (fields.get("name") or "").strip():
            fields["name"] = join_name(fields.get("first_name"), fields.get("last_name"))
            if not fields["name"]:
                raise ApiError(422, "Invalid input: name is required")
        elif "first_name" not in fields and "last_name" not in fields:
            fields["first_name"], fields["last_name"] = split_name(fields["name"])
        self._check_unique_emails(fields.get("emails", []), None)
        now = self.now()
        while self._next_person_id in self.people:
            self._next_person_id += 1
        pid = self._next_person_id
        self._next_person_id += 1
        person = {**_TEMPLATE, **fields, "id": pid, "date_created": now, "date_modified": now}
        for key in _LIST_KEYS:
            if person[key] is None:
                person[key] = []
        self.people[pid] = person
        for item in person["emails"]:
            self._email_index[email_key(item["email"])] = pid
        self._changed("new", pid)
        return JSONResponse(person)

    async def _get_person(self, request: Request) -> Response:
        return JSONResponse(self._person_or_404(request))

    async def _update_person(self, request: Request) -> Response:
        person = self._person_or_404(request)
        fields = _clean_fields(await self._json_object(request), updating=True)
        if "name" in fields:
            if not (fields["name"] or "").strip():
                raise ApiError(422, "Invalid input: name can't be blank")
            if "first_name" not in fields and "last_name" not in fields:
                fields["first_name"], fields["last_name"] = split_name(fields["name"])
        elif "first_name" in fields or "last_name" in fields:
            # Keep name consistent with its parts (our choice; UNCONFIRMED whether Copper does).
            name = join_name(
                fields.get("first_name", person["first_name"]), fields.get("last_name", person["last_name"])
            )
            if name:
                fields["name"] = name
        if "emails" in fields:
            self._check_unique_emails(fields["emails"], person["id"])
        changes = {k: [person[k], v] for k, v in fields.items() if person[k] != v}
        if changes:
            # An empty body or same values change nothing: no new date_modified, no webhook.
            if "emails" in changes:
                self._unindex(person)
                for item in fields["emails"]:
                    self._email_index[email_key(item["email"])] = person["id"]
            for key, (_, new) in changes.items():
                person[key] = new
            person["date_modified"] = max(self.now(), person["date_modified"] or 0)
            self._changed("update", person["id"], changes)
        return JSONResponse(person)

    async def _delete_person(self, request: Request) -> Response:
        person = self._person_or_404(request)
        self._unindex(person)
        del self.people[person["id"]]
        self._changed("delete", person["id"])
        return JSONResponse({"id": person["id"], "is_deleted": True})

    async def _fetch_by_email(self, request: Request) -> Response:
        body = await self._json_object(request, empty_ok=False)
        email = body.get("email")
        if not isinstance(email, str) or not email.strip():
            raise ApiError(422, "Invalid input: email is required")
        person = self.person_by_email(email)
        if person is None:
            # UNCONFIRMED (WIRE.md §1.3): Copper's answer for no match; a 404 envelope is likely.
            raise ApiError(404, "Resource not found")
        return JSONResponse(person)

    # ---------------------------------------------------------------- search

    async def _search_people(self, request: Request) -> Response:
        body = await self._json_object(request)
        page_number = body.get("page_number", 1)
        page_size = body.get("page_size", 20)
        for label, value in (("page_number", page_number), ("page_size", page_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ApiError(422, f"Invalid input: {label} must be a positive integer")
        if page_size > self.page_size_max:
            if self.page_size_policy == "reject":
                raise ApiError(422, f"Invalid input: page_size must be at most {self.page_size_max}")
            page_size = self.page_size_max
        matches = self._matching_ids(body)
        start = (page_number - 1) * page_size
        end = min(start + page_size, self.search_cap)
        page = [self.people[pid] for pid in matches[start:end]] if start < end else []
        # X-PW-TOTAL counts every match, past the 100,000 cap too, so a client can tell more remain
        # (WIRE.md §1.4 calls it an upper bound; UNCONFIRMED whether Copper caps it).
        return JSONResponse(page, headers={"X-PW-TOTAL": str(len(matches))})

    def _matching_ids(self, body: dict[str, Any]) -> list[int]:
        """Ids matching the filters, sorted; cached per query until the next change."""
        query = {k: v for k, v in body.items() if k not in ("page_number", "page_size")}
        key = json.dumps(query, sort_keys=True, default=str)
        cached = self._search_cache.get(key)
        if cached is not None:
            return cached
        sort_by = query.get("sort_by", "first_name")
        direction = query.get("sort_direction", "asc")
        if sort_by not in SORT_FIELDS:
            raise ApiError(422, f"Invalid input: cannot sort by {sort_by!r}")
        if direction not in ("asc", "desc"):
            raise ApiError(422, "Invalid input: sort_direction must be asc or desc")
        candidates, checks = self._compile_filters(query)
        people = self.people
        pool = people.values() if candidates is None else (people[i] for i in candidates if i in people)
        if checks:
            found = [p for p in pool if all(check(p) for check in checks)]
        else:
            found = list(pool)
        field_key = _SORT_KEYS[sort_by]
        # Ties break on id so paging is stable (and cursors on date_modified can de-duplicate).
        found.sort(key=lambda p: (field_key(p), p["id"]), reverse=direction == "desc")
        ids = [p["id"] for p in found]
        if len(self._search_cache) >= 64:
            self._search_cache.pop(next(iter(self._search_cache)))
        self._search_cache[key] = ids
        return ids

    def _compile_filters(
        self, query: dict[str, Any]
    ) -> tuple[list[int] | None, list[Callable[[dict[str, Any]], bool]]]:
        """Turn the search body into an optional candidate id list plus AND-ed predicates.

        Supported: ids, emails, name, phone_number, tags, city, state, postal_code, country,
        contact_type_ids, assignee_ids, company_ids (-2 = none), minimum_/maximum_ modified,
        created, interaction_count and interaction_date. Other documented filters (followed,
        age, opportunity_ids, custom fields) are accepted and ignored: the simulator has no data
        for them.
        """
        candidates: list[int] | None = None
        checks: list[Callable[[dict[str, Any]], bool]] = []

        def str_list(name: str) -> list[str] | None:
            value = query.get(name)
            if value is None:
                return None
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ApiError(422, f"Invalid input: {name} must be an array of strings")
            return value

        def int_list(name: str) -> list[int] | None:
            value = query.get(name)
            if value is None:
                return None
            if not isinstance(value, list) or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in value
            ):
                raise ApiError(422, f"Invalid input: {name} must be an array of integers")
            return value

        def number(name: str) -> float | None:
            value = query.get(name)
            if value is None:
                return None
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ApiError(422, f"Invalid input: {name} must be a number")
            return value

        ids = int_list("ids")
        if ids is not None:
            candidates = list(dict.fromkeys(ids))
        emails = str_list("emails")
        if emails is not None:
            # Matched like fetch_by_email: trimmed and case-insensitive (our choice, UNCONFIRMED).
            # Every person holding one of the addresses, legacy duplicates included: "filter to people
            # with any of these email addresses" (Copper's POST /people/search ``emails`` filter, as
            # documented for integrators, e.g. glama.ai's Copper connector reference).
            owners = [
                o
                for e in emails
                for o in (self._email_index.get(email_key(e)), *self._shared.get(email_key(e), []))
            ]
            by_email = [o for o in dict.fromkeys(owners) if o is not None]
            if candidates is None:
                candidates = by_email
            else:
                keep = set(by_email)
                candidates = [i for i in candidates if i in keep]

        name = query.get("name")
        if name is not None:
            if not isinstance(name, str):
                raise ApiError(422, "Invalid input: name must be a string")
            # Case-insensitive substring of the full name (UNCONFIRMED: Copper's matching rule).
            needle = name.strip().casefold()
            checks.append(lambda p: needle in (p["name"] or "").casefold())
        phone = query.get("phone_number")
        if phone is not None:
            if not isinstance(phone, str):
                raise ApiError(422, "Invalid input: phone_number must be a string")
            wanted = _digits(phone)
            checks.append(lambda p: any(wanted in _digits(n.get("number") or "") for n in p["phone_numbers"]))
        tags = str_list("tags")
        if tags:
            # At least one of the tags, compared exactly as strings (WIRE.md §1.4). An empty list
            # is no filter: the "empty value" search syntax is UNCONFIRMED.
            wanted_tags = frozenset(tags)
            checks.append(lambda p: not wanted_tags.isdisjoint(p["tags"]))
        for field, part in (
            ("city", "city"),
            ("state", "state"),
            ("postal_code", "postal_code"),
            ("country", "country"),
        ):
            value = query.get(field)
            if value is None:
                continue
            if not isinstance(value, str):
                raise ApiError(422, f"Invalid input: {field} must be a string")
            target = value.strip().casefold()

            def by_address(p: dict[str, Any], part: str = part, target: str = target) -> bool:
                # "" matches people with no value (the documented empty-value filter).
                actual = ((p["address"] or {}).get(part) or "").strip().casefold()
                return actual == target

            checks.append(by_address)
        for field, attr in (
            ("contact_type_ids", "contact_type_id"),
            ("assignee_ids", "assignee_id"),
            ("company_ids", "company_id"),
        ):
            values = int_list(field)
            if values is None:
                continue
            allowed = {None if v == -2 else v for v in values}

            def by_id(p: dict[str, Any], attr: str = attr, allowed: set[int | None] = allowed) -> bool:
                return p[attr] in allowed

            checks.append(by_id)
        for field, attr in (
            ("modified_date", "date_modified"),
            ("created_date", "date_created"),
            ("interaction_count", "interaction_count"),
            ("interaction_date", "date_last_contacted"),
        ):
            low, high = number(f"minimum_{field}"), number(f"maximum_{field}")
            if low is not None:

                def above(p: dict[str, Any], attr: str = attr, low: float = low) -> bool:
                    return p[attr] is not None and p[attr] >= low

                checks.append(above)
            if high is not None:

                def below(p: dict[str, Any], attr: str = attr, high: float = high) -> bool:
                    return p[attr] is not None and p[attr] <= high

                checks.append(below)
        return candidates, checks

    # ---------------------------------------------------------------- webhooks

    def _check_target(self, target: Any) -> str:
        if not isinstance(target, str):
            raise ApiError(422, "Invalid input: target is required")
        parts = urlsplit(target)
        loopback = parts.scheme == "http" and (parts.hostname or "") in _LOOPBACK_HOSTS
        if not parts.hostname or parts.scheme not in ("https", "http"):
            raise ApiError(422, f"Invalid input: {target!r} is not a valid URL")
        if self.https_targets_only and parts.scheme != "https" and not loopback:
            raise ApiError(422, "Invalid input: target must be an https URL")
        return target

    @staticmethod
    def _check_mapping(name: str, value: Any, *, strings: bool) -> dict[str, Any] | None:
        if value is None:
            return None
        if not isinstance(value, dict) or (strings and not all(isinstance(v, str) for v in value.values())):
            kind = "an object of strings" if strings else "an object"
            raise ApiError(422, f"Invalid input: {name} must be {kind}")
        return dict(value)

    def _webhook_or_404(self, request: Request) -> dict[str, Any]:
        sub = self.webhooks.get(request.path_params["wid"])
        if sub is None:
            raise ApiError(404, "Resource not found")
        return sub

    async def _create_webhook(self, request: Request) -> Response:
        body = await self._json_object(request, empty_ok=False)
        target = self._check_target(body.get("target"))
        if body.get("type") not in WEBHOOK_TYPES:
            raise ApiError(422, f"Invalid input: type must be one of {', '.join(sorted(WEBHOOK_TYPES))}")
        if body.get("event") not in WEBHOOK_EVENTS:
            raise ApiError(422, "Invalid input: event must be one of new, update, delete")
        secret = self._check_mapping("secret", body.get("secret"), strings=False)
        headers = self._check_mapping("headers", body.get("headers"), strings=True)
        if len(self.webhooks) >= self.max_subscriptions:
            # WIRE.md §1.6 documents the limit, not the error (UNCONFIRMED status and wording).
            raise ApiError(422, f"Invalid input: at most {self.max_subscriptions} subscriptions are allowed")
        sid = self._next_webhook_id
        self._next_webhook_id += 1
        sub = {
            "id": sid,
            "target": target,
            "type": body["type"],
            "event": body["event"],
            "secret": secret,
            "headers": headers,
            "custom_field_computed_values": body.get("custom_field_computed_values"),
            "created_at": self.now(),
        }
        self.webhooks[sid] = sub
        return JSONResponse(sub)

    async def _list_webhooks(self, request: Request) -> Response:
        return JSONResponse(list(self.webhooks.values()))

    async def _get_webhook(self, request: Request) -> Response:
        return JSONResponse(self._webhook_or_404(request))

    async def _update_webhook(self, request: Request) -> Response:
        sub = self._webhook_or_404(request)
        body = await self._json_object(request)
        # WIRE.md §1.6: target, secret and headers can change; type and event are kept.
        changes: dict[str, Any] = {}
        if "target" in body:
            changes["target"] = self._check_target(body["target"])
        if "secret" in body:
            changes["secret"] = self._check_mapping("secret", body["secret"], strings=False)
        if "headers" in body:
            changes["headers"] = self._check_mapping("headers", body["headers"], strings=True)
        if "custom_field_computed_values" in body:
            changes["custom_field_computed_values"] = body["custom_field_computed_values"]
        sub.update(changes)
        return JSONResponse(sub)

    async def _delete_webhook(self, request: Request) -> Response:
        sub = self._webhook_or_404(request)
        del self.webhooks[sub["id"]]
        return JSONResponse({"id": sub["id"]})

    # ---------------------------------------------------------------- notifications

    def build_notifications(self) -> list[tuple[str, dict[str, str], dict[str, Any]]]:
        """Turn the queued changes into notifications and empty the queue.

        Changes are grouped per subscription and event (update events also per identical
        ``updated_attributes``, since one notification carries one such object), in order of first
        change, and split into notifications of at most ``ids_per_notification`` ids. A person
        changed twice appears once per group. Subscriptions deleted since the change get nothing.

        Returns:
            ``(url, headers, body)`` triples, ready to send.
        """
        pending, self._pending = self._pending, []
        groups: dict[tuple[int, str, str], tuple[dict[str, list[Any]] | None, dict[int, None]]] = {}
        for event, pid, attributes, subs in pending:
            attr_key = json.dumps(attributes, sort_keys=True, default=str) if attributes else ""
            for sid in subs:
                group = groups.setdefault((sid, event, attr_key), (attributes, {}))
                group[1][pid] = None
        out: list[tuple[str, dict[str, str], dict[str, Any]]] = []
        size = self.ids_per_notification
        for (sid, event, _), (attributes, pids) in groups.items():
            sub = self.webhooks.get(sid)
            if sub is None:
                continue
            headers = {"Content-Type": "application/json", **(sub["headers"] or {})}
            ids = list(pids)
            for start in range(0, len(ids), size):
                body: dict[str, Any] = {
                    "ids": ids[start : start + size],
                    "type": sub["type"],
                    "event": event,
                    "subscription_id": sid,
                }
                # WIRE.md §1.6: every secret key/value is a top-level field (no HMAC signature).
                for key, value in (sub["secret"] or {}).items():
                    body.setdefault(key, value)
                if event == "update":
                    body["updated_attributes"] = attributes or {}
                out.append((sub["target"], headers, body))
        return out

    async def deliver_webhooks(self) -> list[dict[str, Any]]:
        """Send every queued notification once. Failures are recorded and never retried.

        Returns:
            One record per notification: ``{"url", "headers", "json", "error"}`` (``error`` is
            ``None`` or the exception's text). The same records are appended to ``deliveries``.
        """
        sent: list[dict[str, Any]] = []
        for url, headers, body in self.build_notifications():
            error: str | None = None
            try:
                await self.notify(url, headers, body)
            except Exception as exc:  # noqa: BLE001 - a notification is never retried (WIRE.md §1.6)
                error = f"{type(exc).__name__}: {exc}"
                log.debug("copper sim: webhook to %s failed: %s", url, error)
            record = {"url": url, "headers": headers, "json": body, "error": error}
            self.deliveries.append(record)
            sent.append(record)
        return sent
