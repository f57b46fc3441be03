"""Webhooks: the registrations, the form-encoded deliveries queued on every change, their retries."""

from __future__ import annotations

import asyncio
import urllib.parse
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from crmtui.sandbox.mailchimp.errors import (
    DETAIL_WEBHOOK_VERIFY,
    Problem,
    _body,
    _invalid,
    _not_found,
    _required,
)
from crmtui.sandbox.mailchimp.record import Member
from crmtui.sandbox.mailchimp.validation import Validation
from crmtui.sandbox.mailchimp.wire import WEBHOOK_EVENTS, WEBHOOK_SOURCES


class Webhooks(Validation):
    """Webhook registrations and deliveries (WIRE.md 2.7)."""

    def _emit(self, kind: str, m: Member, source: str, **kw: Any) -> None:
        """Queue a webhook delivery for each webhook listening to ``kind`` from ``source``."""
        if not self.webhooks:
            return
        targets = [w for w in self.webhooks.values() if w["events"].get(kind) and w["sources"].get(source)]
        if not targets:
            return
        now = self.clock()
        # UNCONFIRMED: fired_at's time zone; we send UTC in Mailchimp's "Y-m-d H:i:s" layout.
        fired_at = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d %H:%M:%S")
        pairs: list[tuple[str, str]] = [("type", kind), ("fired_at", fired_at)]
        if kind == "upemail":
            # RECALL (WIRE 2.7): upemail carries new_email/old_email/new_id.
            pairs += [
                ("data[list_id]", self.list_id),
                ("data[new_id]", m.unique_email_id),
                ("data[new_email]", m.email_address),
                ("data[old_email]", kw["old_email"]),
            ]
        elif kind == "cleaned":
            pairs += [
                ("data[list_id]", self.list_id),
                ("data[campaign_id]", kw.get("campaign_id", "")),
                ("data[reason]", kw.get("reason", "hard")),
                ("data[email]", m.email_address),
            ]
        else:
            if kind == "unsubscribe":
                pairs += [
                    ("data[action]", kw.get("action", "unsub")),
                    ("data[reason]", kw.get("reason", "manual")),
                ]
            pairs += [
                ("data[id]", m.unique_email_id),
                ("data[email]", m.email_address),
                ("data[email_type]", m.email_type),
                ("data[ip_opt]", m.ip_opt),
                ("data[ip_signup]", m.ip_signup),
                ("data[web_id]", str(100000000 + m.seq)),
                ("data[merges][EMAIL]", m.email_address),
            ]
            for tag, value in self._merge_out(m).items():
                if isinstance(value, dict):
                    for sub, subval in value.items():
                        pairs.append((f"data[merges][{tag}][{sub}]", str(subval)))
                else:
                    pairs.append((f"data[merges][{tag}]", str(value)))
            pairs.append(("data[list_id]", self.list_id))
            if kind == "unsubscribe":
                pairs.append(("data[campaign_id]", kw.get("campaign_id", "")))
        body = urllib.parse.urlencode(pairs, safe="[]:").encode()
        for w in targets:
            self.webhook_outbox.append(
                {
                    "webhook_id": w["id"],
                    "url": w["url"],
                    "type": kind,
                    "body": body,
                    "data": dict(pairs),
                    "attempt": 0,
                }
            )

    async def deliver_webhooks(self, max_attempts: int = 5) -> list[dict[str, Any]]:
        """POST every queued webhook (form-encoded); failures stay queued until ``max_attempts``.

        Returns:
            The attempts made in this call: ``{url, type, data, status, attempt}`` (status 0 when the
            request raised).
        """
        pending, self.webhook_outbox = self.webhook_outbox, []
        results: list[dict[str, Any]] = []
        headers = {"content-type": "application/x-www-form-urlencoded", "user-agent": "MailChimp"}
        for item in pending:
            item["attempt"] += 1
            try:
                status = await self.http("POST", item["url"], item["body"], dict(headers))
            except Exception:  # noqa: BLE001 - any transport failure is a failed delivery
                status = 0
            record = {
                "url": item["url"],
                "type": item["type"],
                "data": item["data"],
                "status": status,
                "attempt": item["attempt"],
            }
            results.append(record)
            self.webhook_log.append(record)
            if not 200 <= status < 300 and item["attempt"] < max_attempts:
                self.webhook_outbox.append(item)
        return results

    def add_webhook(
        self,
        url: str,
        events: Mapping[str, bool] | None = None,
        sources: Mapping[str, bool] | None = None,
    ) -> dict[str, Any]:
        """Register a webhook directly (no GET validation); returns its JSON."""
        wid = uuid.uuid4().hex[:10]
        hook = {
            "id": wid,
            "url": url,
            # UNCONFIRMED defaults: every event on; user and admin sources on, api off.
            "events": {e: bool((events or {}).get(e, True)) for e in WEBHOOK_EVENTS},
            "sources": {s: bool((sources or {}).get(s, s != "api")) for s in WEBHOOK_SOURCES},
            "list_id": self.list_id,
        }
        self.webhooks[wid] = hook
        return self._webhook_json(hook)

    def _webhook_json(self, hook: dict[str, Any]) -> dict[str, Any]:
        href = f"https://{self.dc}.api.mailchimp.com/3.0/lists/{self.list_id}/webhooks/{hook['id']}"
        return {**hook, "_links": [{"rel": "self", "href": href, "method": "GET"}]}

    def _after_mutation(self) -> None:
        if not (self.auto_deliver_webhooks and self.webhook_outbox):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(self.deliver_webhooks())
        self._bg.add(task)
        task.add_done_callback(self._bg.discard)

    async def h_webhooks(self, request: Request) -> Response:
        """``GET``/``POST`` ``/lists/{id}/webhooks``; POST verifies the URL with a GET first."""
        self._list_or_404(request.path_params["list_id"])
        if request.method == "GET":
            hooks = [self._webhook_json(w) for w in self.webhooks.values()]
            return self._json(
                request, {"webhooks": hooks, "list_id": self.list_id, "total_items": len(hooks)}
            )
        body = await _body(request)
        url = body.get("url")
        if not isinstance(url, str) or not url.strip():
            raise _invalid([_required("url")])
        if any(w["url"] == url for w in self.webhooks.values()):
            # UNCONFIRMED wording for a duplicate webhook URL.
            raise _invalid([{"field": "url", "message": "Sorry, you can't use the same webhook url twice."}])
        try:
            code = await self.http("GET", url, None, {"user-agent": "MailChimp.com WebHook Validator"})
        except Exception:  # noqa: BLE001 - an unreachable URL fails verification
            code = 0
        if code != 200:
            raise Problem(400, "Invalid Resource", DETAIL_WEBHOOK_VERIFY.format(code=code))
        hook = self.add_webhook(url, body.get("events"), body.get("sources"))
        return self._json(request, hook)

    async def h_webhook(self, request: Request) -> Response:
        """``GET``/``PATCH``/``DELETE`` one webhook."""
        self._list_or_404(request.path_params["list_id"])
        hook = self.webhooks.get(request.path_params["webhook_id"])
        if hook is None:
            raise _not_found()
        if request.method == "DELETE":
            del self.webhooks[hook["id"]]
            return Response(status_code=204)
        if request.method == "PATCH":
            body = await _body(request)
            for group in ("events", "sources"):
                for k, v in (body.get(group) or {}).items():
                    if k in hook[group]:
                        hook[group][k] = bool(v)
            if body.get("url"):
                hook["url"] = body["url"]
        return self._json(request, self._webhook_json(hook))
