"""Shared test controls for every simulator: call counters, latency and scripted faults.

Every simulator app is wrapped by :func:`with_control`, which adds an admin API under
``/__sim__/`` (a prefix none of the real services use) and applies scripted faults *before* the
request reaches the simulated service, so a fault never changes simulated state.

Admin API (JSON in, JSON out):

- ``GET  /__sim__/calls``          -> ``{"calls": {"POST /people/search": 3, ...}, "total": 3}``
- ``POST /__sim__/calls/reset``    -> zero the counters
- ``POST /__sim__/faults``         -> body ``{"kind": ..., "times": 1, "status": 503,
  "retry_after": null, "seconds": 30, "path_prefix": ""}``; ``kind`` is one of
  ``status`` (answer ``status``, default 503), ``rate_limit`` (429, with ``Retry-After`` when
  ``retry_after`` is given; ``"method": "DELETE"`` limits any fault to one method), ``hang`` (sleep ``seconds`` before answering normally, so the client
  times out), ``reset`` (drop the connection without a complete response), ``truncate``
  (answer normally but cut the body in half), ``hold`` (keep the request waiting until
  ``POST /__sim__/release`` or ``seconds`` pass; with ``"after": true`` the service handles the
  request first and only its answer is held: the change is made, the client never hears of it).
  A held request is the deterministic "the client died here" point of the crash tests.
- ``DELETE /__sim__/faults``       -> clear pending faults
- ``POST /__sim__/latency``        -> body ``{"seconds": 0.05}`` added to every request
- ``POST /__sim__/release``        -> let every held request go on

The same controls are reachable in-process through the :class:`SimControl` object.

This is the one place for scripted faults; every simulator (Copper, Mailchimp, Odoo, SES) is wrapped
by it. The services' own limits (Copper's 180 requests a minute, Mailchimp's 10 connections, SES's
send rate) are :mod:`crmtui.sandbox.ratelimit`'s; faults *after* a service answered, at the
gateway, are :mod:`crmtui.sandbox.proxy`'s.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter, deque
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crmtui.connectors.http import endpoint_key

ADMIN_PREFIX = "/__sim__"

FaultKind = Literal["status", "rate_limit", "hang", "reset", "truncate", "hold"]
_KINDS = {"status", "rate_limit", "hang", "reset", "truncate", "hold"}


@dataclass
class Fault:
    """One scripted fault, applied to the next matching request(s)."""

    kind: FaultKind
    status: int = 503
    retry_after: float | None = None
    seconds: float = 30.0
    path_prefix: str = ""
    method: str = ""
    """Only requests with this method (empty: any)."""
    after: bool = False
    """``hold`` only: handle the request, then hold its answer (else hold it before handling)."""


@dataclass
class SimControl:
    """Counters, latency and the fault queue shared by a simulator and its tests."""

    calls: Counter[str] = field(default_factory=Counter)
    latency: float = 0.0
    faults: deque[Fault] = field(default_factory=deque)
    holding: int = 0
    """Requests held by a ``hold`` fault right now."""
    held: int = 0
    """Requests a ``hold`` fault has held since the last reset."""
    gate: threading.Event = field(default_factory=threading.Event, repr=False)

    def count(self, key: str) -> None:
        """Record one call to ``key`` (``"METHOD /path/{id}"``)."""
        self.calls[key] += 1

    def reset_calls(self) -> None:
        """Zero every call counter."""
        self.calls.clear()
        self.held = 0

    @property
    def total_calls(self) -> int:
        """All calls counted since the last reset."""
        return sum(self.calls.values())

    def add_fault(self, fault: Fault, times: int = 1) -> None:
        """Queue ``fault`` for the next ``times`` matching requests."""
        if fault.kind not in _KINDS:
            raise ValueError(f"unknown fault kind {fault.kind!r}")
        if fault.kind == "hold":
            self.gate.clear()  # requests held before stay held too, until release()
        for _ in range(times):
            self.faults.append(fault)

    def release(self) -> None:
        """Let every held request go on (and any later one, until a new ``hold`` is queued)."""
        self.gate.set()

    def wait_held(self, n: int = 1, timeout: float = 60.0) -> bool:
        """Wait (from a test's thread) until ``n`` requests have been held; False on timeout."""
        deadline = time.monotonic() + timeout
        while self.held < n:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def clear_faults(self) -> None:
        """Drop every pending fault."""
        self.faults.clear()

    def reset(self) -> None:
        """Back to a fresh control: counters zeroed, no pending fault, no added latency."""
        self.reset_calls()
        self.clear_faults()
        self.latency = 0.0

    def take_fault(self, path: str, method: str = "") -> Fault | None:
        """Pop the first queued fault that applies to ``path`` (and ``method``, when the fault names one)."""
        for i, fault in enumerate(self.faults):
            if path.startswith(fault.path_prefix) and (
                not fault.method or not method or fault.method.upper() == method.upper()
            ):
                del self.faults[i]
                return fault
        return None


async def _send_json(
    send: Send, status: int, body: Any, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _on_real_socket(scope: Scope) -> bool:
    # uvicorn announces an ASGI spec_version; httpx.ASGITransport does not. In-process we raise the
    # same httpx transport error a client would see on a socket, since there is no socket to drop.
    return "spec_version" in scope.get("asgi", {})


def with_control(
    app: ASGIApp,
    control: SimControl,
    *,
    fault_body: Any = None,
    count_prefix: str = "",
) -> ASGIApp:
    """Wrap a simulator with the admin API, counters, latency and scripted faults.

    Args:
        app: the simulator's ASGI app.
        control: the shared control object (tests keep a reference to it).
        fault_body: JSON body for ``status``/``rate_limit`` faults, or a callable
            ``(status) -> body`` so each simulator answers in its own error format.
        count_prefix: a path prefix stripped before counting (e.g. ``/developer_api/v1``).
    """

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(ADMIN_PREFIX):
            await _admin(scope, receive, send, control)
            return
        counted = path[len(count_prefix) :] if count_prefix and path.startswith(count_prefix) else path
        control.count(endpoint_key(scope["method"], counted))
        if control.latency:
            await asyncio.sleep(control.latency)
        fault = control.take_fault(counted, scope["method"])
        if fault is None:
            await app(scope, receive, send)
            return
        await _apply_fault(fault, scope, receive, send, app, fault_body, control)

    return wrapped


async def _wait_gate(fault: Fault, control: SimControl) -> None:
    control.holding += 1
    control.held += 1
    try:
        deadline = time.monotonic() + fault.seconds
        while not control.gate.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
    finally:
        control.holding -= 1


async def _hold(
    fault: Fault, scope: Scope, receive: Receive, send: Send, app: ASGIApp, control: SimControl
) -> None:
    if not fault.after:
        await _wait_gate(fault, control)
        await app(scope, receive, send)
        return
    messages: list[Message] = []

    async def capture(message: Message) -> None:
        messages.append(message)

    await app(scope, receive, capture)
    await _wait_gate(fault, control)
    for message in messages:
        await send(message)


async def _apply_fault(
    fault: Fault,
    scope: Scope,
    receive: Receive,
    send: Send,
    app: ASGIApp,
    fault_body: Any,
    control: SimControl,
) -> None:
    if fault.kind in ("status", "rate_limit"):
        status = 429 if fault.kind == "rate_limit" else fault.status
        body = fault_body(status) if callable(fault_body) else (fault_body or {"status": status})
        headers = []
        if fault.kind == "rate_limit" and fault.retry_after is not None:
            headers.append((b"retry-after", str(fault.retry_after).encode()))
        await _send_json(send, status, body, headers)
        return
    if fault.kind == "hang":
        await asyncio.sleep(fault.seconds)
        await app(scope, receive, send)
        return
    if fault.kind == "hold":
        await _hold(fault, scope, receive, send, app, control)
        return
    if fault.kind == "reset":
        if not _on_real_socket(scope):
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        # Start a response and die: uvicorn then closes the socket mid-message.
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"64")]})
        raise ConnectionResetError("simulated connection reset")
    # truncate: run the real handler, then cut its body in half.
    start: Message = {}
    chunks: list[bytes] = []

    async def capture(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, capture)
    body = b"".join(chunks)
    if _on_real_socket(scope):
        # Keep the announced length so the client sees an incomplete read, like a cut link.
        await send(start)
        await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
        raise ConnectionResetError("simulated truncated body")
    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": body[: len(body) // 2]})


async def _admin(scope: Scope, receive: Receive, send: Send, control: SimControl) -> None:
    method = scope["method"]
    sub = scope["path"][len(ADMIN_PREFIX) :]
    raw = await _read_body(receive)
    try:
        data = json.loads(raw) if raw else {}
    except json.JSONDecodeError:
        await _send_json(send, 400, {"error": "body is not JSON"})
        return
    if sub == "/calls" and method == "GET":
        await _send_json(send, 200, {"calls": dict(control.calls), "total": control.total_calls})
    elif sub == "/calls/reset" and method == "POST":
        control.reset_calls()
        await _send_json(send, 200, {"ok": True})
    elif sub == "/faults" and method == "POST":
        try:
            times = int(data.pop("times", 1))
            fault = Fault(**data)
            control.add_fault(fault, times)
        except (TypeError, ValueError) as exc:
            await _send_json(send, 400, {"error": str(exc)})
            return
        await _send_json(send, 200, {"queued": [asdict(f) for f in control.faults]})
    elif sub == "/faults" and method == "DELETE":
        control.clear_faults()
        await _send_json(send, 200, {"ok": True})
    elif sub == "/release" and method == "POST":
        control.release()
        await _send_json(send, 200, {"ok": True})
    elif sub == "/latency" and method == "POST":
        control.latency = float(data.get("seconds", 0.0))
        await _send_json(send, 200, {"latency": control.latency})
    else:
        await _send_json(send, 404, {"error": f"no admin endpoint {method} {sub}"})
