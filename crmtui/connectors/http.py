"""Shared HTTP plumbing for every connector.

One :class:`ServiceClient` per service wraps one injected ``httpx.AsyncClient`` and gives it:

- **retries** (tenacity) on 429, 5xx, connection errors, timeouts and truncated bodies, with
  jittered exponential backoff that honours ``Retry-After``; never on other 4xx;
- **our own limits**, so a normal run never receives a 429: a rolling-window request budget
  (Copper: 180 a minute) and a cap on requests in flight (Mailchimp: 10 connections). Each is
  counted in this process first (the fast path) and, when a :class:`SharedBudgets` is wired in
  (the store's ``budgets``), across every crmtui process using the same store, so ``crmtui serve``
  and a cron sync together stay under the service's limit;
- **429s waited out**: ``Retry-After`` when the service sends one, else the rest of the rolling
  window, announced to the operator (``on_wait``) and never past the run's ``deadline``;
- a **call counter** per endpoint (benchmarks and the Connectors screen read it);
- **redaction**: errors and log lines go through :func:`crmtui.secrets.redact`;
- **safety for writes**: a non-idempotent request that may have reached the server before the
  connection broke raises :class:`OutcomeUnknown` instead of being sent again. A 502/503/504 to a
  write is retried only when the client allows it (``retry_gateway_writes``): a gateway may answer
  so *after* the service accepted the request (an SES send behind a proxy), so SES, Copper and
  Mailchimp turn it off and get :meth:`ServiceClient.gateway_write_unknown` (``OutcomeUnknown``)
  instead. Which Copper and Mailchimp writes are safe to repeat is decided in one place,
  :mod:`crmtui.connectors.writes`.

Service clients subclass it and override :meth:`ServiceClient.raise_for_error` to turn their error
bodies into typed exceptions. What every service's error mapping shares lives here too: reading an
error body (:func:`json_object`, :func:`body_excerpt`), the 401/404 statuses
(:meth:`ServiceClient.raise_refused`), an API key as a redacted secret (:func:`reveal_key`) and a
failed ``connectors test`` in one word (:func:`check_verdict`).
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import logging
import random
import re
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol, Self, TypedDict, Unpack

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from crmtui.connectors.errors import (
    AuthError,
    ConnectorError,
    InvalidResponse,
    NetworkError,
    NotFound,
    OutcomeUnknown,
    PermissionDenied,
    RateLimited,
    RequestRejected,
    ServerError,
    TimedOut,
)
from crmtui.formats import seconds as seconds_text
from crmtui.i18n import t
from crmtui.secrets import Secret, redact, register_secret

log = logging.getLogger("crmtui.connectors")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})

# Path segments that are identifiers are folded into "{id}" so counters group by endpoint.
_ID_SEGMENT = re.compile(r"^(\d+|[0-9a-f]{32}|[0-9a-f-]{36}|[^/]*@[^/]*|[0-9a-zA-Z]{10})$")


def account_key(secret: str) -> str:
    """A short stable key for one account's shared budget, derived from its credential (not it)."""
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


def endpoint_key(method: str, path: str) -> str:
    """Group a request into an endpoint key such as ``"GET /people/{id}"``."""
    parts = [("{id}" if _ID_SEGMENT.match(p) else p) for p in path.split("/")]
    return f"{method.upper()} {'/'.join(parts)}"


class SharedBudgets(Protocol):
    """Budgets shared by every crmtui process: the store implements it (``store.budgets``).

    The connectors only know this interface, never the store. Times are unix seconds: processes
    share the wall clock, not the monotonic one.
    """

    def take_call(self, name: str, max_calls: int, window: float, now: float | None = None) -> float:
        """Record one request if it fits in the rolling window (0.0), else the seconds to wait."""
        ...

    def refused(self, name: str, max_calls: int, window: float, now: float | None = None) -> float:
        """A 429 without ``Retry-After``: pause every process for the rest of the window; its length."""
        ...

    def pause(self, name: str, until: float) -> None:
        """Hold every process off ``name`` until ``until`` (a ``Retry-After``)."""
        ...

    def acquire_slot(self, name: str, max_slots: int, ttl: float) -> str | None:
        """One of ``max_slots`` simultaneous connections (a lease), or None when all are in use."""
        ...

    def release_slot(self, lease: str) -> None:
        """Give a connection slot back."""
        ...


class RollingWindowLimiter:
    """At most ``max_calls`` acquisitions in any rolling ``window`` seconds.

    Copper counts requests over a rolling minute; we count the same way on our side and wait for
    the oldest call to leave the window instead of letting the server answer 429. The in-process
    count is the fast path (a process that filled the window waits without asking anyone); with
    ``shared``, each request is then also recorded in the shared budget, which holds it back while
    other processes filled the window.
    """

    def __init__(
        self,
        max_calls: int,
        window: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Any] = asyncio.sleep,
        shared: SharedBudgets | None = None,
        name: str = "",
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.max_calls = max_calls
        self.window = window
        self.shared = shared
        self.name = name
        self._clock = clock
        self._wall = wall
        self._sleep = sleep
        self._stamps: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait until one more call fits in the window (ours, then the shared one), then record it."""
        async with self._lock:
            while True:
                now = self._clock()
                while self._stamps and now - self._stamps[0] >= self.window:
                    self._stamps.popleft()
                if len(self._stamps) < self.max_calls:
                    break
                await self._sleep(self.window - (now - self._stamps[0]) + 0.001)
            if self.shared is not None:
                while (
                    wait := self.shared.take_call(self.name, self.max_calls, self.window, self._wall())
                ) > 0:
                    await self._sleep(wait + 0.001)
            self._stamps.append(self._clock())

    def refused(self) -> float:
        """The service answered 429 without ``Retry-After``: seconds to the end of its window.

        When our window is full, a slot opens as our oldest call leaves it; when it is not, someone
        else used the account's budget and only a full window surely clears it. With ``shared``,
        every other process holds off until then too (the refused request waits in its retry).
        """
        if self.shared is not None:
            wait = self.shared.refused(self.name, self.max_calls, self.window, self._wall())
        else:
            now = self._clock()
            while self._stamps and now - self._stamps[0] >= self.window:
                self._stamps.popleft()
            wait = self.window
            if len(self._stamps) >= self.max_calls:
                wait = max(1.0, min(self._stamps[0] + self.window - now, self.window))
        return wait

    def pause(self, seconds: float) -> None:
        """Hold the other processes off for ``seconds`` (the service's ``Retry-After``)."""
        if self.shared is not None:
            self.shared.pause(self.name, self._wall() + seconds)

    @property
    def in_window(self) -> int:
        """Calls counted in the current window."""
        now = self._clock()
        return sum(1 for s in self._stamps if now - s < self.window)


WaitReason = Literal["window", "retry_after", "backoff"]


@dataclass(frozen=True)
class RateWait:
    """The service refused a request with 429; the client waits ``seconds`` before trying again.

    Attributes:
        service: the service ("copper").
        seconds: how long the client waits.
        reason: ``window`` (the rest of the service's rolling window), ``retry_after`` (the
            service said so), ``backoff`` (neither is known).
        message: one line for the operator, in the current language.
    """

    service: str
    seconds: float
    reason: WaitReason
    message: str


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try before giving up.

    Attributes:
        attempts: total attempts, the first included.
        base: first backoff in seconds; doubles each attempt, with full jitter.
        cap: the longest single wait.
        max_retry_after: a ``Retry-After`` longer than this is not waited for: we give up instead
            (cron runs must end; the next run resumes).
    """

    attempts: int = 5
    base: float = 0.5
    cap: float = 30.0
    max_retry_after: float = 120.0


class Retryable(Exception):
    """One failed attempt that may be retried.

    Raise it from :meth:`ServiceClient.raise_for_error` to back off and try again (Mailchimp's bare
    403 under throttling); ``error`` is raised if the retries run out.
    """

    def __init__(
        self, error: ConnectorError, retry_after: float | None = None, reason: WaitReason | None = None
    ) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after
        self.reason = reason


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class RequestOptions(TypedDict, total=False):
    """The options of one request (:meth:`ServiceClient.call` documents each)."""

    json: Any
    params: Mapping[str, Any] | None
    content: bytes | str | None
    headers: Mapping[str, str] | None
    endpoint: str | None
    idempotent: bool | None


class ServiceClient:
    """Base async client for one remote service.

    Args:
        service: short service name used in errors and counters ("copper").
        client: the injected ``httpx.AsyncClient`` (tests pass an ASGI transport or loopback URL).
        base_url: prefix for every path, unless the client already has one.
        headers: headers sent on every request (credentials go here; they are never logged).
        rate_limit: ``(max_calls, window_seconds)`` for a rolling budget, or None.
        max_concurrency: cap on requests in flight, or None.
        retry: the retry policy.
        timeout: per-request timeout in seconds (connect, read, write, pool).
        sleep: injectable sleep for backoff (tests pass a fast one).
        owns_client: close ``client`` in :meth:`aclose` (the subclass created it).
        budgets: the budgets shared with the other crmtui processes (``store.budgets``), or None
            to count in this process only.
        budget_name: the shared budgets' key, one per service account ("copper:<key hash>").
        shared_slots: simultaneous connections allowed across every process (needs ``budgets``).
        on_wait: told each time a 429 is waited out (the engine turns it into a notice).
        deadline: ``time.monotonic()`` instant the run must end by: a 429 whose wait would end
            later is not waited for (the next run resumes).
        retry_gateway_writes: retry a non-idempotent request answered 502/503/504 (the services
            that read a record back before writing again keep it; SES sends turn it off, since
            nothing proves the gateway did not forward the request).
    """

    def __init__(
        self,
        service: str,
        client: httpx.AsyncClient,
        *,
        base_url: str = "",
        headers: Mapping[str, str] | None = None,
        rate_limit: tuple[int, float] | None = None,
        max_concurrency: int | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        sleep: Callable[[float], Any] = asyncio.sleep,
        owns_client: bool = False,
        budgets: SharedBudgets | None = None,
        budget_name: str | None = None,
        shared_slots: int | None = None,
        on_wait: Callable[[RateWait], None] | None = None,
        deadline: float | None = None,
        retry_gateway_writes: bool = True,
    ) -> None:
        self.service = service
        self.client = client
        self.base_url = base_url.rstrip("/")
        self.headers = dict(headers or {})
        self.budgets = budgets
        self.budget_name = budget_name or service
        self.limiter = (
            RollingWindowLimiter(*rate_limit, sleep=sleep, shared=budgets, name=self.budget_name)
            if rate_limit
            else None
        )
        self.shared_slots = shared_slots if budgets is not None else None
        self.on_wait = on_wait
        self.deadline = deadline
        self._announced_until = 0.0
        self.semaphore = asyncio.Semaphore(max_concurrency) if max_concurrency else None
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self._sleep = sleep
        self.calls: Counter[str] = Counter()
        self.retries = 0
        self.clock_offset: float | None = None
        """Service clock minus ours, in seconds, from the last ``Date`` header (None: unknown)."""
        self._owns_client = owns_client
        self.retry_gateway_writes = retry_gateway_writes
        """Whether :meth:`aclose` closes ``client`` (True when the subclass created it)."""

    async def aclose(self) -> None:
        """Close the HTTP client if this object created it (an injected one belongs to the caller)."""
        if self._owns_client:
            await self.client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- hooks for subclasses -------------------------------------------------------------

    def raise_for_error(self, response: httpx.Response) -> None:
        """Raise the typed error for a non-2xx response. Subclasses refine by body.

        Called only for statuses that are not retried (4xx other than 429), and for the final
        429/5xx once retries are exhausted.
        """
        status = response.status_code
        text = _short_body(response)
        self.raise_refused(status, text)
        if status == 403:
            raise PermissionDenied(self.service, t("cerr.access_denied", text=text), status=status)
        if status == 429:
            raise RateLimited(self.service, t("cerr.too_many.final"), status=status)
        if status >= 500:
            raise ServerError(self.service, t("cerr.server_error.final", status=status), status=status)
        raise RequestRejected(self.service, t("cerr.rejected", status=status, text=text), status=status)

    def raise_refused(self, status: int, message: str, *, refused: str = "", auth_hint: str = "") -> None:
        """Raise the typed error for a 401 (:class:`AuthError`) or a 404 (:class:`NotFound`); else return.

        Args:
            status: the HTTP status.
            message: what the service said (its error envelope, or a body excerpt).
            refused: how the 401 is worded (``t("cerr.api_key_refused")``); "credentials refused" by default.
            auth_hint: what the operator should check on a 401.
        """
        if status == 401:
            refused = refused or t("cerr.credentials_refused")
            raise AuthError(
                self.service, t("cerr.refused", refused=refused, text=message), hint=auth_hint, status=401
            )
        if status == 404:
            raise NotFound(self.service, t("cerr.not_found", text=message), status=404)

    def gateway_write_unknown(self, response: httpx.Response, method: str, key: str) -> None:
        """A gateway answered a write that is not safe to repeat: its fate is unknown.

        Raises:
            OutcomeUnknown: always (SES refines the message from its own error body).
        """
        raise OutcomeUnknown(
            self.service,
            t("cerr.gateway_unknown", method=method, path=key.split(" ", 1)[1], status=response.status_code),
            status=response.status_code,
            hint=t("cerr.read_back_step.fix"),
        )

    def refusal_for_429(self, response: httpx.Response) -> ConnectorError | None:
        """A 429 that retrying cannot cure (SES's daily quota), as the error to raise at once; else None."""
        return None

    # -- the request loop -----------------------------------------------------------------

    async def request(self, method: str, path: str, **options: Unpack[RequestOptions]) -> httpx.Response:
        """Send one logical request, with retries, limits and counting; return a 2xx response.

        See :meth:`call` for the arguments.
        """
        response, _ = await self.call(method, path, **options)
        return response

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        content: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        endpoint: str | None = None,
        idempotent: bool | None = None,
        parse: Callable[[httpx.Response], Any] | None = None,
    ) -> tuple[httpx.Response, Any]:
        """Send one logical request and parse its body inside the retry loop.

        A body that cannot be parsed (cut mid-way) is retried like a dropped connection for an
        idempotent request, and is :class:`OutcomeUnknown` for a write.

        Args:
            method: HTTP method.
            path: path relative to ``base_url``.
            json: JSON body.
            params: query parameters.
            content: raw body (XML-RPC).
            headers: extra headers for this request.
            endpoint: counter key; defaults to the method and the path with ids folded.
            idempotent: whether re-sending is harmless. Defaults by method (POST is not);
                searches and XML-RPC reads pass True.
            parse: decodes the 2xx body (``ValueError`` and friends mean "unreadable").

        Returns:
            The response and the parsed body (None without ``parse``).

        Raises:
            ConnectorError: a typed subclass for every failure.
        """
        method = method.upper()
        key = endpoint or endpoint_key(method, path)
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        url = f"{self.base_url}{path}" if self.base_url else path
        merged = {**self.headers, **(headers or {})}

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.retry.attempts),
            wait=self._wait,
            retry=retry_if_exception(lambda e: isinstance(e, Retryable)),
            sleep=self._sleep,
            reraise=True,
            before_sleep=self._before_sleep,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    response = await self._attempt(
                        method, url, key, merged, json, params, content, idempotent
                    )
                    return response, self._parse(response, parse, idempotent, method, key)
        except Retryable as final:
            raise final.error from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempt(
        self,
        method: str,
        url: str,
        key: str,
        headers: dict[str, str],
        json: Any,
        params: Mapping[str, Any] | None,
        content: bytes | str | None,
        idempotent: bool,
    ) -> httpx.Response:
        sent = False
        try:
            # A connection slot first, then the rate stamp: a request that waited for a slot is
            # counted when it really leaves, so our window never runs behind the server's.
            if self.semaphore is not None:
                await self.semaphore.acquire()
            lease: str | None = None
            try:
                if self.shared_slots is not None:
                    lease = await self._take_slot(self.shared_slots)
                if self.limiter is not None:
                    await self.limiter.acquire()
                self.calls[key] += 1
                request = self.client.build_request(
                    method,
                    url,
                    json=json,
                    params=params,
                    content=content,
                    headers=headers,
                    timeout=self.timeout,
                )
                sent = True
                response = await self.client.send(request)
                await response.aread()
            finally:
                if lease is not None and self.budgets is not None:
                    self.budgets.release_slot(lease)
                if self.semaphore is not None:
                    self.semaphore.release()
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # Nothing reached the server: always safe to retry.
            raise Retryable(
                NetworkError(
                    self.service, t("cerr.cannot_connect", detail=_describe(exc)), hint=t("cerr.network.fix")
                )
            ) from exc
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            error: ConnectorError
            if isinstance(exc, httpx.TimeoutException):
                error = TimedOut(
                    self.service,
                    t("cerr.no_answer", seconds=seconds_text(self.timeout)),
                    hint=t("cerr.network.fix"),
                )
            else:
                error = NetworkError(
                    self.service, t("cerr.connection_lost", detail=_describe(exc)), hint=t("cerr.network.fix")
                )
            if idempotent or not sent:
                raise Retryable(error) from exc
            raise OutcomeUnknown(
                self.service,
                t("cerr.maybe_applied", method=method, path=key.split(" ", 1)[1], detail=_describe(exc)),
                hint=t("cerr.read_back.fix"),
            ) from exc

        self._note_clock(response)
        status = response.status_code
        if status == 429:
            final = self.refusal_for_429(response)
            if final is not None:
                raise final
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            error = RateLimited(
                self.service,
                t("cerr.too_many"),
                hint=t("budget.refused.fix"),
                retry_after=retry_after,
                status=429,
            )
            if retry_after is not None and retry_after > self.retry.max_retry_after:
                raise error
            reason: WaitReason = "backoff"
            if retry_after is not None:
                reason = "retry_after"
                if self.limiter is not None:
                    self.limiter.pause(retry_after)
            elif self.limiter is not None:
                # Copper sends no Retry-After (WIRE.md §1.2): wait for its rolling window to turn over
                # (unless this client waits for nothing that long: ``connectors test``).
                reason, retry_after = "window", self.limiter.refused()
                if retry_after > self.retry.max_retry_after:
                    raise error
            if (
                retry_after is not None
                and self.deadline is not None
                and time.monotonic() + retry_after > self.deadline
            ):
                raise RateLimited(
                    self.service,
                    t("budget.past_deadline", service=self.label, seconds=round(retry_after)),
                    hint=t("budget.past_deadline.fix"),
                    retry_after=retry_after,
                    status=429,
                )
            raise Retryable(error, retry_after, reason)
        if status >= 500:
            error = ServerError(self.service, t("cerr.server_error", status=status), status=status)
            if idempotent:
                raise Retryable(error, parse_retry_after(response.headers.get("retry-after")))
            # A 502/503/504 comes from a gateway, which may or may not have forwarded the request:
            # retried only for services whose writes are read back first (never an email send).
            if status in (502, 503, 504):
                if self.retry_gateway_writes:
                    raise Retryable(error, parse_retry_after(response.headers.get("retry-after")))
                self.gateway_write_unknown(response, method, key)
            self.raise_for_error(response)
        if status >= 400:
            self.raise_for_error(response)
        return response

    def _parse(
        self,
        response: httpx.Response,
        parse: Callable[[httpx.Response], Any] | None,
        idempotent: bool,
        method: str,
        key: str,
    ) -> Any:
        if parse is None:
            return None
        try:
            return parse(response)
        except (ValueError, TypeError, KeyError) as exc:
            error = InvalidResponse(
                self.service,
                t("cerr.unreadable", status=response.status_code, size=len(response.content)),
            )
            if idempotent:
                raise Retryable(error) from exc
            raise OutcomeUnknown(
                self.service,
                t("cerr.unreadable_write", method=method, path=key.split(" ", 1)[1]),
                hint=t("cerr.read_back.fix"),
            ) from exc

    def _note_clock(self, response: httpx.Response) -> None:
        date = response.headers.get("date")
        if not date:
            return
        try:
            server = email.utils.parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError):
            return
        self.clock_offset = server - time.time()

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, Retryable) and exc.retry_after is not None:
            return min(exc.retry_after, self.retry.max_retry_after)
        ceiling = min(self.retry.cap, self.retry.base * 2 ** (state.attempt_number - 1))
        return random.uniform(0, ceiling)  # full jitter

    @property
    def label(self) -> str:
        """The service's name for people ("Copper")."""
        return _LABELS.get(self.service, self.service.capitalize())

    async def _take_slot(self, max_slots: int) -> str:
        """A connection slot shared with the other processes; polls while they hold them all."""
        assert self.budgets is not None
        delay = 0.02
        ttl = max(120.0, 4 * self.timeout)  # a lease outlives any single request
        while (lease := self.budgets.acquire_slot(self.budget_name, max_slots, ttl)) is None:
            await self._sleep(delay)
            delay = min(delay * 2, 0.5)
        return lease

    def _announce(self, exc: Retryable, seconds: float) -> None:
        """Tell the operator what a 429 makes us wait for (once per pause, not once per request)."""
        until = time.monotonic() + seconds
        if until <= self._announced_until + 1.0:
            return
        self._announced_until = until
        shown = max(1, round(seconds))
        reason = exc.reason or "backoff"
        if reason == "window" and self.limiter is not None:
            window = self.limiter.window
            per = "min" if abs(window - 60.0) <= 1.5 else f"{window:g} s"
            message = t(
                "budget.wait.window",
                service=self.label,
                limit=self.limiter.max_calls,
                per=per,
                seconds=shown,
            )
        else:
            message = t(f"budget.wait.{reason}", service=self.label, seconds=shown)
        log.warning("%s", message)
        if self.on_wait is not None:
            self.on_wait(RateWait(self.service, seconds, reason, message))

    def _before_sleep(self, state: RetryCallState) -> None:
        self.retries += 1
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, Retryable) and isinstance(exc.error, RateLimited):
            self._announce(exc, state.next_action.sleep if state.next_action else 0.0)
        log.warning(
            "%s: attempt %d failed (%s); retrying",
            self.service,
            state.attempt_number,
            redact(str(exc)),
        )

    async def request_if_found(self, method: str, path: str, **kwargs: Any) -> bool:
        """Send a request whose target may already be gone (deletes, archives).

        Returns:
            True when it was applied now, False on a 404: already gone, which a retried delete
            whose first answer was lost also lands on.
        """
        try:
            await self.request(method, path, **kwargs)
        except NotFound:
            return False
        return True

    async def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """Like :meth:`request`, returning the decoded JSON body (None for an empty body)."""
        _, body = await self.call(method, path, parse=_json_or_none, **kwargs)
        return body

    def call_counts(self) -> dict[str, int]:
        """A copy of the per-endpoint call counters."""
        return dict(self.calls)


_LABELS = {"ses": "SES", "smtp": "SMTP", "imap": "IMAP"}


def _json_or_none(response: httpx.Response) -> Any:
    return response.json() if response.content else None


def decode_json(service: str, response: httpx.Response) -> Any:
    """Decode a JSON body, turning a truncated or non-JSON body into :class:`InvalidResponse`."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError as exc:
        raise InvalidResponse(
            service, t("cerr.unreadable", status=response.status_code, size=len(response.content))
        ) from exc


def reveal_key(api_key: str | Secret) -> str:
    """An API key's text to put in a header; a plain string is registered so it is never printed."""
    if isinstance(api_key, Secret):
        return api_key.reveal()
    register_secret(api_key)
    return api_key


def json_object(response: httpx.Response) -> dict[str, Any]:
    """An error body as a JSON object; ``{}`` when it is not JSON or not an object."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def body_excerpt(response: httpx.Response, limit: int = 200) -> str:
    """An error body on one line, cut at ``limit`` characters; ``HTTP <status>`` when empty."""
    return " ".join(response.text.split())[:limit] or f"HTTP {response.status_code}"


CheckVerdict = Literal["auth_refused", "rate_limited", "unreachable", "error"]


def check_verdict(exc: ConnectorError) -> CheckVerdict:
    """A failed ``connectors test`` in one word, for the screen and the exit code."""
    if isinstance(exc, AuthError):
        return "auth_refused"
    if isinstance(exc, RateLimited):
        return "rate_limited"
    if isinstance(exc, NetworkError):
        return "unreachable"
    return "error"


def _short_body(response: httpx.Response, limit: int = 200) -> str:
    try:
        text = response.text
    except Exception:  # noqa: BLE001 - undecodable body: say so
        return t("cerr.unreadable_body")
    text = " ".join(text.split())
    return redact(text[:limit] + ("…" if len(text) > limit else ""))


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return redact(text)
