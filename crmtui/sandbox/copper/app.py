"""The Copper simulator's ASGI assembly: routes, auth headers, the 180-per-minute limit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from crmtui.sandbox.control import with_control
from crmtui.sandbox.copper.errors import ApiError, _envelope, _fault_body
from crmtui.sandbox.copper.fields import email_key
from crmtui.sandbox.copper.people import People
from crmtui.sandbox.copper.search import Search
from crmtui.sandbox.copper.state import BASE_PATH
from crmtui.sandbox.copper.webhooks import Webhooks


class CopperSim(People, Search, Webhooks):
    """The Copper simulator: state, the ASGI app and in-process helpers for tests.

    Attributes:
        app: the ASGI app to serve or to pass to ``httpx.ASGITransport`` (admin API included).
        control: the shared counters / latency / scripted faults (:class:`SimControl`).
        people: every person by id (the exact JSON the API returns).
        webhooks: every subscription by id.
        deliveries: the last notifications sent (``{"url", "headers", "json", "error"}``), newest last.
    """

    def _build_app(self) -> ASGIApp:
        return with_control(self._gate, self.control, fault_body=_fault_body, count_prefix=BASE_PATH)

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
        if not self._window.admit(self.clock(), self.rate_limit, self.rate_window):
            # WIRE.md §1.2: 429 with no documented Retry-After or rate-limit header, so none is sent.
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
