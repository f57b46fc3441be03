"""The account one simulator holds: people, the email index, subscriptions, queued changes and the
rate-limit window; seeding and the JSON body every route reads."""

from __future__ import annotations

import gc
import json
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Literal

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.types import ASGIApp

from crmtui.sandbox.control import SimControl
from crmtui.sandbox.copper.errors import ApiError
from crmtui.sandbox.copper.fields import _LIST_KEYS, _TEMPLATE, email_key, join_name, split_name
from crmtui.sandbox.ratelimit import RollingWindow

BASE_PATH = "/developer_api/v1"
"""Where the API is mounted, as on api.copper.com."""

Notify = Callable[[str, dict[str, str], dict[str, Any]], Awaitable[Any]]
"""Webhook sender: ``await notify(url, headers, json_body)``."""


async def http_notify(url: str, headers: dict[str, str], body: dict[str, Any]) -> None:
    """Default webhook sender: one POST with httpx, 10 s timeout, result ignored."""
    async with httpx.AsyncClient(timeout=10.0) as client:
        await client.post(url, headers=headers, json=body)


class CopperState:
    """The account's state and the simulator's options (the base of :class:`~.app.CopperSim`)."""

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
        self.app: ASGIApp = self._build_app()
        """The ASGI app to serve or to pass to ``httpx.ASGITransport`` (admin API included)."""

    def _build_app(self) -> ASGIApp:
        """Auth, rate limit and routes under the shared controls; see :mod:`.app`."""
        raise NotImplementedError

    def _build_router(self) -> Starlette:
        """The routes of every resource; see :mod:`.app`."""
        raise NotImplementedError

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
        self._window = RollingWindow()
        self._search_cache: dict[str, list[int]] = {}
        self._router = self._build_router()

    def reset(self, *, control: bool = True) -> None:
        """Forget every person, subscription, pending notification and the rate-limit window.

        Args:
            control: also zero the call counters, drop scripted faults and latency.
        """
        self._init_state()
        if control:
            self.control.reset()

    @property
    def rate_limited(self) -> int:
        """How many requests this simulator refused with 429 since the last reset (tests assert on it)."""
        return self._window.refused

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
