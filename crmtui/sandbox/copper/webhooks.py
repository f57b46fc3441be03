"""Webhooks: subscriptions (at most 100) and their notifications, ≤30 ids each, never retried (WIRE.md §1.6)."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from crmtui.sandbox.copper.errors import ApiError
from crmtui.sandbox.copper.state import CopperState

log = logging.getLogger(__name__)

WEBHOOK_TYPES = frozenset({"lead", "person", "company", "opportunity", "project", "task", "activity_log"})
WEBHOOK_EVENTS = frozenset({"new", "update", "delete"})
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class Webhooks(CopperState):
    """The ``/webhooks`` routes and the delivery of queued changes."""

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
