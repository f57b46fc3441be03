"""The audience itself: account root, ping, list info, merge fields and batch subscribe."""

from __future__ import annotations

import hashlib
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from crmtui.sandbox.mailchimp.errors import Problem, _body, _invalid, _required
from crmtui.sandbox.mailchimp.members import Members
from crmtui.sandbox.mailchimp.wire import MAX_BATCH_MEMBERS, _truthy, iso, subscriber_hash


class Lists(Members):
    """Routes on the account and on ``/lists/{id}`` (batch subscribe included)."""

    def subscribe_url_long(self) -> str:
        """The hosted signup form URL (``https://<account>.usN.list-manage.com/subscribe?u=..&id=..``)."""
        u = hashlib.md5(self.account.encode()).hexdigest()[:25]
        return f"https://{self.account}.{self.dc}.list-manage.com/subscribe?u={u}&id={self.list_id}"

    def _list_json(self) -> dict[str, Any]:
        counts = self.status_counts()
        base = f"https://{self.dc}.api.mailchimp.com/3.0/lists/{self.list_id}"
        short = hashlib.md5(("eepurl:" + self.list_id).encode()).hexdigest()[:6]
        return {
            "id": self.list_id,
            "web_id": 100001,
            "name": self.list_name,
            "contact": {
                "company": "Sandbox winery",
                "address1": "1 rue des Vignes",
                "address2": "",
                "city": "Beaune",
                "state": "",
                "zip": "21200",
                "country": "FR",
                "phone": "",
            },
            "permission_reminder": "You signed up on our website.",
            "use_archive_bar": True,
            "campaign_defaults": {
                "from_name": "Sandbox winery",
                "from_email": "news@exemple.fr",
                "subject": "",
                "language": "fr",
            },
            "notify_on_subscribe": "",
            "notify_on_unsubscribe": "",
            "date_created": iso(self.created_at),
            "list_rating": 3,
            "email_type_option": False,
            "subscribe_url_short": f"http://eepurl.com/{short}",
            "subscribe_url_long": self.subscribe_url_long(),
            "beamer_address": f"us19-{short}@inbound.mailchimp.com",
            "visibility": "prv",
            "double_optin": False,
            "has_welcome": False,
            "marketing_permissions": False,
            "modules": [],
            "stats": {
                "member_count": counts["subscribed"],
                "total_contacts": sum(v for k, v in counts.items() if k != "archived"),
                "unsubscribe_count": counts["unsubscribed"],
                "cleaned_count": counts["cleaned"],
                "member_count_since_send": counts["subscribed"],
                "unsubscribe_count_since_send": counts["unsubscribed"],
                "cleaned_count_since_send": counts["cleaned"],
                "campaign_count": 0,
                "campaign_last_sent": "",
                "merge_field_count": len(self.merge_field_defs),
                "avg_sub_rate": 0,
                "avg_unsub_rate": 0,
                "target_sub_rate": 0,
                "open_rate": 0,
                "click_rate": 0,
                "last_sub_date": iso(self._last_sub),
                "last_unsub_date": iso(self._last_unsub),
            },
            "_links": [
                {"rel": "self", "href": base, "method": "GET"},
                {"rel": "members", "href": f"{base}/members", "method": "GET"},
                {"rel": "webhooks", "href": f"{base}/webhooks", "method": "GET"},
            ],
        }

    async def h_root(self, request: Request) -> Response:
        """``GET /``: account information."""
        return self._json(
            request,
            {
                "account_id": hashlib.md5(self.account.encode()).hexdigest()[:25],
                "login_id": "1001",
                "account_name": self.account,
                "email": f"admin@{self.account}.exemple.fr",
                "role": "owner",
                "pricing_plan_type": "monthly",
                "total_subscribers": len(self._by_status["subscribed"]),
                "_links": [],
            },
        )

    async def h_ping(self, request: Request) -> Response:
        """``GET /ping``: health check (needs a valid key)."""
        return self._json(request, {"health_status": "Everything's Chimpy!"})

    async def h_lists(self, request: Request) -> Response:
        """``GET /lists``: the one audience."""
        return self._json(request, {"lists": [self._list_json()], "total_items": 1, "_links": []})

    async def h_merge_fields(self, request: Request) -> Response:
        """``GET /lists/{id}/merge-fields``."""
        self._list_or_404(request.path_params["list_id"])
        fields = [
            {
                "merge_id": i + 1,
                "tag": d["tag"],
                "name": d["name"],
                "type": d["type"],
                "required": d["required"],
                "default_value": "",
                "public": True,
                "display_order": i + 2,
                "list_id": self.list_id,
            }
            for i, d in enumerate(self.merge_field_defs)
        ]
        return self._json(
            request, {"merge_fields": fields, "list_id": self.list_id, "total_items": len(fields)}
        )

    async def h_list(self, request: Request) -> Response:
        """``GET /lists/{id}`` (list info) and ``POST /lists/{id}`` (batch subscribe)."""
        self._list_or_404(request.path_params["list_id"])
        if request.method == "GET":
            return self._json(request, self._list_json())
        body = await _body(request)
        skip = _truthy(request.query_params.get("skip_merge_validation"))
        return self._json(request, self._batch_subscribe(body, skip))

    # --------------------------------------------------------- batch subscribe

    def _batch_subscribe(self, body: dict[str, Any], skip: bool = False) -> dict[str, Any]:
        items = body.get("members")
        if not isinstance(items, list):
            raise _invalid([_required("members")])
        if len(items) > MAX_BATCH_MEMBERS:
            raise _invalid(
                [
                    {
                        "field": "members",
                        "message": f"You may only submit {MAX_BATCH_MEMBERS} members at a time.",
                    }
                ]
            )
        update_existing = bool(body.get("update_existing"))
        sync_tags = bool(body.get("sync_tags"))
        new_members: list[dict[str, Any]] = []
        updated: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        seen: set[str] = set()
        for item in items:
            if not isinstance(item, dict):
                errors.append(_batch_error("", "Schema describes object", "ERROR_GENERIC"))
                continue
            raw_email = item.get("email_address")
            key = raw_email.strip().lower() if isinstance(raw_email, str) else ""
            if key and key in seen:
                continue  # duplicates in one request: the first occurrence wins (WIRE 2.3)
            if key:
                seen.add(key)
            try:
                email = self._check_email(raw_email)
                m = self.members.get(subscriber_hash(email))
                tags = self._check_tag_names(item["tags"]) if isinstance(item.get("tags"), list) else None
                if m is None or m.status == "archived":
                    status_value = item.get("status") or item.get("status_if_new")
                    if not status_value:
                        raise _invalid([_required("status")])
                    status = self._check_status(status_value, "status")
                    merge = self._check_merge(item.get("merge_fields"), new=True, skip=skip)
                    if m is None:
                        m = self._create(
                            email,
                            status,
                            merge,
                            email_type=item.get("email_type"),
                            tags=tags or (),
                            extra=item,
                        )
                    else:
                        m = self._readd(
                            m,
                            status,
                            merge,
                            email_type=item.get("email_type"),
                            tags=tags,
                            sync_tags=sync_tags,
                            source="api",
                            extra=item,
                        )
                    new_members.append(self._member_json(m))
                    continue
                if not update_existing:
                    errors.append(
                        _batch_error(
                            m.email_address,
                            # RECALL: wording of the ERROR_CONTACT_EXISTS message.
                            f"{m.email_address} is already a list member, do you want to update? please "
                            "provide update_existing:true in the request body",
                            "ERROR_CONTACT_EXISTS",
                        )
                    )
                    continue
                upd_status = self._check_status(item["status"], "status") if item.get("status") else None
                merge = self._check_merge(item.get("merge_fields"), new=False, skip=skip)
                # UNCONFIRMED: with sync_tags a member item without `tags` keeps its tags.
                self._update(
                    m,
                    status=upd_status,
                    merge=merge,
                    email_type=item.get("email_type"),
                    tags=tags,
                    sync_tags=sync_tags,
                    extra=item,
                )
                updated.append(self._member_json(m))
            except Problem as p:
                field, message = "", ""
                if p.errors:
                    field, message = p.errors[0].get("field", ""), p.errors[0].get("message", "")
                addr = raw_email if isinstance(raw_email, str) else ""
                errors.append(_batch_error(addr, p.detail, "ERROR_GENERIC", field, message))
        base = f"https://{self.dc}.api.mailchimp.com/3.0/lists/{self.list_id}"
        return {
            "new_members": new_members,
            "updated_members": updated,
            "errors": errors,
            "total_created": len(new_members),
            "total_updated": len(updated),
            "error_count": len(errors),
            "_links": [{"rel": "self", "href": base, "method": "GET"}],
        }


def _batch_error(
    email: str, error: str, code: str, field: str = "", field_message: str = ""
) -> dict[str, str]:
    return {
        "email_address": email,
        "error": error,
        "error_code": code,
        "field": field,
        "field_message": field_message,
    }
