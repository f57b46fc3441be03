"""The Mailchimp simulator's ASGI assembly: the layers, auth, error handlers, routes and sim hooks."""

from __future__ import annotations

import base64
import json
import re
from http import HTTPStatus

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from crmtui.connectors.http import endpoint_key
from crmtui.sandbox.control import with_control
from crmtui.sandbox.mailchimp.batches import Batches, _batch_archive
from crmtui.sandbox.mailchimp.errors import (
    DETAIL_KEY_INVALID,
    DETAIL_KEY_MISSING,
    DETAIL_METHOD,
    Problem,
    _fault_body,
    _not_found,
    _problem_response,
    _too_many_detail,
)
from crmtui.sandbox.mailchimp.lists import Lists
from crmtui.sandbox.mailchimp.tags import Tags
from crmtui.sandbox.mailchimp.wire import SIM_HOOKS, _json_response, _jsonable


class MailchimpSim(Tags, Lists, Batches):
    """In-memory Mailchimp Marketing API v3 for one audience, as an ASGI app.

    The arguments are :class:`~.state.AudienceState`'s; each resource lives in its own module.
    """

    def _build_app(self) -> ASGIApp:
        self._api = Starlette(
            routes=[Mount("/3.0", routes=self._routes())],
            exception_handlers={Problem: self._problem_handler, HTTPException: self._http_exc_handler},
        )
        self._controlled = with_control(self._auth, self.control, fault_body=_fault_body, count_prefix="/3.0")

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            await self._outer(scope, receive, send)

        # A plain coroutine function: uvicorn's interface detection takes bound methods for ASGI 2.
        return app

    # ---------------------------------------------------------------- ASGI layers

    async def _outer(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._controlled(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(SIM_HOOKS + "/"):
            await self._sim_hooks(scope, receive, send)
            return
        if not path.startswith("/3.0"):
            await self._controlled(scope, receive, send)
            return
        if not self._connections.enter(self.max_connections):
            # Mailchimp limits simultaneous connections per user (WIRE 2.6). The refused call still
            # counts as a call, so benchmarks see the waste.
            self.control.count(endpoint_key(scope["method"], path[len("/3.0") :]))
            problem = Problem(429, "Too Many Requests", _too_many_detail(self.max_connections))
            await _problem_response(problem)(scope, receive, send)
            return
        try:
            await self._controlled(scope, receive, send)
        finally:
            self._connections.leave()
            self._after_mutation()

    async def _auth(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/3.0"):
            problem = self._auth_problem(scope)
            if problem is not None:
                await _problem_response(problem)(scope, receive, send)
                return
        await self._api(scope, receive, send)

    def _auth_problem(self, scope: Scope) -> Problem | None:
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        raw = headers.get(b"authorization", b"").decode("latin-1")
        if not raw.strip():
            return Problem(401, "API Key Missing", DETAIL_KEY_MISSING)
        invalid = Problem(401, "API Key Invalid", DETAIL_KEY_INVALID)
        scheme, _, value = raw.partition(" ")
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                return invalid
            _, sep, key = decoded.partition(":")
            if not sep:
                return invalid
        elif scheme.lower() in ("bearer", "apikey"):
            key = value.strip()  # OAuth tokens and the legacy "apikey" scheme carry the key alone
        else:
            return invalid
        _, dash, key_dc = key.rpartition("-")
        if not dash or key_dc != self.dc or key != self.api_key:
            return invalid
        host = headers.get(b"host", b"").decode("latin-1").split(":")[0]
        host_dc = re.match(r"^(us\d+)\.api\.mailchimp\.com$", host)
        if host_dc and host_dc.group(1) != self.dc:
            return invalid
        return None

    async def _problem_handler(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Problem)
        return _problem_response(exc)

    async def _http_exc_handler(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 405:
            return _problem_response(
                Problem(405, "Method Not Allowed", DETAIL_METHOD, headers=dict(exc.headers or {}))
            )
        if exc.status_code == 404:
            return _problem_response(_not_found())
        return _problem_response(
            Problem(exc.status_code, HTTPStatus(exc.status_code).phrase, str(exc.detail))
        )

    async def _sim_hooks(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Admin-less helper endpoints: batch result archives, simulated events, webhook delivery."""
        request = Request(scope, receive)
        sub = scope["path"][len(SIM_HOOKS) :]
        method = scope["method"]
        response: Response
        m = re.match(r"^/batch-results/([0-9a-z]+)\.tar\.gz$", sub)
        if m and method == "GET":
            batch = self.batches.get(m.group(1))
            if batch is None or batch.results is None:
                response = Response("NoSuchKey", status_code=404, media_type="text/plain")
            else:
                response = Response(_batch_archive(batch), media_type="application/x-gzip")
        elif sub == "/events" and method == "POST":
            data = json.loads(await request.body() or b"{}")
            try:
                kind = data.pop("kind")
                email = data.pop("email")
                out = self.simulate_event(kind, email, **data)
            except (KeyError, TypeError, ValueError) as exc:
                response = _json_response({"error": str(exc)}, 400)
            else:
                response = _json_response({"member": out})
        elif sub == "/webhooks/deliver" and method == "POST":
            response = _json_response({"deliveries": _jsonable(await self.deliver_webhooks())})
        else:
            response = _json_response({"error": f"no sim endpoint {method} {sub}"}, 404)
        await response(scope, receive, send)

    # ------------------------------------------------------------------- routes

    def _routes(self) -> list[Route]:
        return [
            Route("/", self.h_root, methods=["GET"]),
            Route("/ping", self.h_ping, methods=["GET"]),
            Route("/lists", self.h_lists, methods=["GET"]),
            Route("/lists/{list_id}", self.h_list, methods=["GET", "POST"]),
            Route("/lists/{list_id}/merge-fields", self.h_merge_fields, methods=["GET"]),
            Route("/lists/{list_id}/members", self.h_members, methods=["GET", "POST"]),
            Route(
                "/lists/{list_id}/members/{hash}",
                self.h_member,
                methods=["GET", "PUT", "PATCH", "DELETE"],
            ),
            Route(
                "/lists/{list_id}/members/{hash}/actions/delete-permanent",
                self.h_delete_permanent,
                methods=["POST"],
            ),
            Route("/lists/{list_id}/members/{hash}/tags", self.h_tags, methods=["GET", "POST"]),
            Route("/lists/{list_id}/webhooks", self.h_webhooks, methods=["GET", "POST"]),
            Route(
                "/lists/{list_id}/webhooks/{webhook_id}",
                self.h_webhook,
                methods=["GET", "PATCH", "DELETE"],
            ),
            Route("/batches", self.h_batches, methods=["GET", "POST"]),
            Route("/batches/{batch_id}", self.h_batch, methods=["GET", "DELETE"]),
        ]
