"""Audience members: add, update, archive, delete permanently, page through; the simulated events."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from crmtui.sandbox.mailchimp.errors import (
    _body,
    _date_param,
    _forgotten,
    _invalid,
    _member_exists,
    _not_found,
    _required,
)
from crmtui.sandbox.mailchimp.record import Member, _apply_extra
from crmtui.sandbox.mailchimp.webhooks import Webhooks
from crmtui.sandbox.mailchimp.wire import (
    LIST_STATUSES,
    MAX_PAGE,
    SORT_FIELDS,
    STATUSES,
    _truthy,
    subscriber_hash,
)


class Members(Webhooks):
    """Member mutations (with their webhooks) and the ``/lists/{id}/members`` routes."""

    # -------------------------------------------------------------- mutations

    def _create(
        self,
        email: str,
        status: str,
        merge: dict[str, Any],
        *,
        email_type: str | None = None,
        tags: Iterable[str] = (),
        source: str = "api",
        extra: Mapping[str, Any] | None = None,
        forced: bool = False,
    ) -> Member:
        """Add a new member (the caller checked it is absent)."""
        if email.lower() in self.forgotten and not forced:
            raise _forgotten(email)
        now = self.clock()
        self._seq += 1
        m = Member(
            subscriber_hash(email),
            email,
            status,
            merge,
            tuple(dict.fromkeys(tags)),
            now,
            self._seq,
            email_type or "html",
            now,
            now if status == "subscribed" else None,
        )
        m.source = "API - Generic" if source == "api" else "Hosted Signup Form"
        for t in m.tags:
            self._tag_id(t)
        if extra:
            _apply_extra(m, extra)
        self._insert(m)
        if status == "subscribed":
            self._last_sub = now
            self._emit("subscribe", m, source)
        return m

    def _readd(
        self,
        m: Member,
        status: str,
        merge: dict[str, Any],
        *,
        email_type: str | None,
        tags: Iterable[str] | None,
        sync_tags: bool,
        source: str,
        extra: Mapping[str, Any] | None = None,
    ) -> Member:
        """Bring an archived member back with ``status`` (compliance checked on its prior status)."""
        self._check_transition(m, status)
        return self._update(
            m,
            status=status,
            merge=merge,
            email_type=email_type,
            tags=tags,
            sync_tags=sync_tags,
            source=source,
            extra=extra,
        )

    def _update(
        self,
        m: Member,
        *,
        status: str | None = None,
        merge: dict[str, Any] | None = None,
        email_type: str | None = None,
        tags: Iterable[str] | None = None,
        sync_tags: bool = False,
        new_email: str | None = None,
        source: str = "api",
        extra: Mapping[str, Any] | None = None,
        reason: str | None = None,
        check: bool = True,
    ) -> Member:
        """Apply changes to an existing member; emit webhooks; touch ``last_changed`` only on change."""
        if status is not None and status != m.status and check:
            self._check_transition(m, status)
        old_email = m.email_address
        if new_email is not None and new_email.lower() != m.email_address.lower():
            nh = subscriber_hash(new_email)
            if nh in self.members:
                raise _member_exists(new_email)
            if new_email.lower() in self.forgotten:
                raise _forgotten(new_email)
        changed = False
        profile = False
        if merge:
            current = dict(m.merge_fields or {})
            for k, v in merge.items():
                if current.get(k, "") != v:
                    current[k] = v
                    profile = True
            if profile:
                m.merge_fields = current or None
        if email_type and email_type != m.email_type:
            m.email_type = email_type
            profile = True
        if extra and _apply_extra(m, extra):
            profile = True
        if tags is not None:
            names = tuple(dict.fromkeys(tags))
            new_tags = names if sync_tags else m.tags + tuple(t for t in names if t not in m.tags)
            if new_tags != m.tags:
                m.tags = new_tags
                for t in new_tags:
                    self._tag_id(t)
                changed = True
        email_changed = False
        if new_email is not None and new_email != m.email_address:
            email_changed = new_email.lower() != m.email_address.lower()
            if email_changed:
                # An address change (PATCH/PUT with a new email_address, API v3 since Nov 2016:
                # brandonseydel/MailChimp.Net#135) keeps the member and its unique_email_id, "an
                # identifier for the address across all of Mailchimp", while its ``id``, "the MD5 hash
                # of the lowercase version of the list member's email address" (List Members
                # reference, get-member-info), follows the new address. UNCONFIRMED: whether
                # unique_email_id can ever change on an upemail; the webhook calls its id ``new_id``
                # (mailchimp/mailchimp-client-lib-codegen#171, ibericode/mailchimp-user-sync#108)
                # and no public source found shows it differing from the unique_email_id before
                # (the sync follows a rename by unique_email_id; if real Mailchimp changed it, the
                # upemail webhook's old_email/new_email would be the way to follow instead).
                uid = m.unique_email_id
                self._remove(m)
                m.uid = uid
                m.id = subscriber_hash(new_email)
                m.email_address = new_email
                m.last_changed = self.clock()  # before _insert, so the last_changed index stays sorted
                self._insert(m)
            else:
                m.email_address = new_email
            changed = True
        status_changed = False
        if status is not None and status != m.status:
            if status == "archived":
                m.prev_status = m.status
            elif m.status == "archived":
                m.prev_status = None
            self._set_status(m, status)
            if status == "unsubscribed":
                m.unsubscribe_reason = reason or "N/A (Unsubscribed by an admin)"
            status_changed = True
        if changed or profile or status_changed:
            self._touch(m)
        if email_changed:
            self._emit("upemail", m, source, old_email=old_email)
        if status_changed:
            if status == "subscribed":
                self._emit("subscribe", m, source)
            elif status == "unsubscribed":
                self._emit("unsubscribe", m, source, action="unsub", reason=reason or "manual")
            elif status == "cleaned":
                self._emit("cleaned", m, source, reason=reason or "hard")
            elif status == "archived":
                self._emit("unsubscribe", m, source, action="delete", reason=reason or "manual")
        elif profile:
            self._emit("profile", m, source)
        return m

    def _delete_permanent(self, m: Member, source: str = "api") -> None:
        self._emit("unsubscribe", m, source, action="delete", reason="manual")
        self._remove(m)
        self.forgotten.add(m.email_address.lower())

    def simulate_event(
        self,
        kind: str,
        email: str,
        *,
        reason: str | None = None,
        new_email: str | None = None,
        merge_fields: Mapping[str, Any] | None = None,
        status: str = "subscribed",
        source: str | None = None,
        campaign_id: str = "",
    ) -> dict[str, Any] | None:
        """Make something happen "on the Mailchimp side" and queue the matching webhook.

        Args:
            kind: ``unsubscribe`` (the person clicked unsubscribe), ``cleaned`` (hard bounce),
                ``subscribe`` (signed up on the hosted form; this also lifts a permanent deletion and
                the compliance state, like the real form), ``profile`` (edited their profile),
                ``upemail`` (changed address), ``archive`` (an admin archived them in the UI) or
                ``delete`` (an admin permanently deleted them).
            email: the member's address.
            reason: unsubscribe reason (default ``manual``) or cleaned reason (default ``hard``).
            new_email: the new address for ``upemail``.
            merge_fields: merge values for ``subscribe``/``profile``.
            status: the status a ``subscribe`` lands in (``pending`` for double opt-in).
            source: webhook source; default ``user``, ``admin`` for cleaned/archive/delete.
            campaign_id: campaign id carried by unsubscribe/cleaned events.

        Returns:
            The member JSON afterwards (None after ``delete``).
        """
        src = source or ("admin" if kind in ("cleaned", "archive", "delete") else "user")
        h = subscriber_hash(email)
        m = self.members.get(h)
        merge = dict(merge_fields or {})
        if kind == "subscribe":
            self.forgotten.discard(email.strip().lower())
            if m is None:
                m = self._create(email.strip(), status, merge, source=src, forced=True)
            else:
                self._update(m, status=status, merge=merge, source=src, check=False)
            self._after_mutation()
            return self._member_json(m)
        if m is None:
            raise KeyError(email)
        if kind == "unsubscribe":
            self._update(m, status="unsubscribed", source=src, reason=reason or "manual", check=False)
        elif kind == "cleaned":
            self._update(m, status="cleaned", source=src, reason=reason or "hard", check=False)
        elif kind == "profile":
            self._update(m, merge=merge, source=src)
        elif kind == "upemail":
            if not new_email:
                raise ValueError("upemail needs new_email")
            self._update(m, new_email=new_email, source=src)
        elif kind == "archive":
            self._update(m, status="archived", source=src, check=False)
        elif kind == "delete":
            self._delete_permanent(m, src)
            self._after_mutation()
            return None
        else:
            raise ValueError(f"unknown event kind {kind!r}")
        self._after_mutation()
        return self._member_json(m)

    async def h_members(self, request: Request) -> Response:
        """``GET`` (page through members) and ``POST`` (add one) on ``/lists/{id}/members``."""
        self._list_or_404(request.path_params["list_id"])
        if request.method == "GET":
            return self._json(request, self._list_members(request))
        body = await _body(request)
        skip = _truthy(request.query_params.get("skip_merge_validation"))
        errors = []
        if not body.get("email_address"):
            errors.append(_required("email_address"))
        if not body.get("status"):
            errors.append(_required("status"))
        if errors:
            raise _invalid(errors)
        email = self._check_email(body["email_address"])
        status = self._check_status(body["status"], "status")
        merge = self._check_merge(body.get("merge_fields"), new=True, skip=skip)
        tags = self._check_tag_names(body.get("tags") or [])
        email_type = body.get("email_type")
        existing = self.members.get(subscriber_hash(email))
        if existing is not None and existing.status != "archived":
            raise _member_exists(email)
        if existing is not None:
            # UNCONFIRMED: POST re-adds an archived member (issue MailChimp.Net#526 re-adds with PUT).
            m = self._readd(
                existing,
                status,
                merge,
                email_type=email_type,
                tags=tags,
                sync_tags=False,
                source="api",
                extra=body,
            )
        else:
            m = self._create(email, status, merge, email_type=email_type, tags=tags, extra=body)
        return self._json(request, self._member_json(m))

    async def h_member(self, request: Request) -> Response:
        """``GET``/``PUT``/``PATCH``/``DELETE`` on one member."""
        list_id = request.path_params["list_id"]
        raw = request.path_params["hash"]
        self._list_or_404(list_id)
        method = request.method
        if method == "GET":
            return self._json(request, self._member_json(self._member_or_404(list_id, raw)))
        if method == "DELETE":
            m = self._member_or_404(list_id, raw)
            if m.status != "archived":
                self._update(m, status="archived", check=False)
            return Response(status_code=204)
        body = await _body(request)
        skip = _truthy(request.query_params.get("skip_merge_validation"))
        h = self._resolve_hash(raw)
        found = self.members.get(h)
        if method == "PATCH":
            if found is None:
                raise _not_found()
            return self._json(request, self._member_json(self._patch(found, body, skip)))
        # PUT: add or update.
        if found is None:
            errors = []
            if not body.get("email_address"):
                errors.append(_required("email_address"))
            if not body.get("status_if_new"):
                errors.append(_required("status_if_new"))
            if errors:
                raise _invalid(errors)
            email = self._check_email(body["email_address"])
            if subscriber_hash(email) != h:
                # UNCONFIRMED: the live API's answer when the body address does not hash to the URL.
                raise _invalid(
                    [
                        {
                            "field": "email_address",
                            "message": "The email address does not match the subscriber hash.",
                        }
                    ]
                )
            status = self._check_status(body["status_if_new"], "status_if_new")
            if body.get("status") is not None:
                status = self._check_status(body["status"], "status")
            merge = self._check_merge(body.get("merge_fields"), new=True, skip=skip)
            created = self._create(email, status, merge, email_type=body.get("email_type"), extra=body)
            return self._json(request, self._member_json(created))
        m = found
        if m.status == "archived" and (body.get("status") or body.get("status_if_new")):
            # UNCONFIRMED: an archived member is re-added by PUT; `status` wins over `status_if_new`.
            status = self._check_status(body.get("status") or body.get("status_if_new"), "status")
            merge = self._check_merge(body.get("merge_fields"), new=False, skip=skip)
            new_email = self._check_email(body["email_address"]) if body.get("email_address") else None
            if new_email:
                self._update(m, new_email=new_email)
            m = self._readd(
                m,
                status,
                merge,
                email_type=body.get("email_type"),
                tags=None,
                sync_tags=False,
                source="api",
                extra=body,
            )
            return self._json(request, self._member_json(m))
        # Existing member: only `status` changes the status; `status_if_new` is ignored
        # (MailChimp.Net#251).
        return self._json(request, self._member_json(self._patch(m, body, skip, put=True)))

    def _patch(self, m: Member, body: dict[str, Any], skip: bool, put: bool = False) -> Member:
        status = None
        if body.get("status") is not None:
            allowed = STATUSES if put else ("subscribed", "unsubscribed", "cleaned", "pending")
            status = self._check_status(body["status"], "status", allowed)
        if body.get("status_if_new") is not None:
            self._check_status(body["status_if_new"], "status_if_new")
        merge = self._check_merge(body.get("merge_fields"), new=False, skip=skip)
        new_email = self._check_email(body["email_address"]) if body.get("email_address") else None
        if status is not None and status != m.status:
            self._check_transition(m, status)
        return self._update(
            m, status=status, merge=merge, email_type=body.get("email_type"), new_email=new_email, extra=body
        )

    async def h_delete_permanent(self, request: Request) -> Response:
        """``POST .../actions/delete-permanent``: remove the member and remember the address."""
        m = self._member_or_404(request.path_params["list_id"], request.path_params["hash"])
        self._delete_permanent(m)
        return Response(status_code=204)

    # ------------------------------------------------------------ list members

    def _list_members(self, request: Request) -> dict[str, Any]:
        q = request.query_params
        try:
            count = int(q.get("count", "10"))
            offset = int(q.get("offset", "0"))
        except ValueError:
            raise _invalid([{"field": "count", "message": "Schema describes integer"}]) from None
        if count < 0 or offset < 0:
            raise _invalid([{"field": "count", "message": "Value must be positive"}])
        # UNCONFIRMED: counts above the documented maximum are clamped rather than refused.
        count = min(count, MAX_PAGE)
        status = q.get("status") or None
        if status is not None:
            self._check_status(status, "status", LIST_STATUSES)
        sort_field = q.get("sort_field") or None
        if sort_field is not None and sort_field not in SORT_FIELDS:
            self._check_status(sort_field, "sort_field", SORT_FIELDS)
        sort_dir = (q.get("sort_dir") or "ASC").upper()
        if sort_dir not in ("ASC", "DESC"):
            self._check_status(sort_dir, "sort_dir", ("ASC", "DESC"))
        since = _date_param(q, "since_last_changed")
        before = _date_param(q, "before_last_changed")
        extra: list[tuple[str, Any]] = []
        for name in ("email_type", "unique_email_id"):
            if q.get(name):
                extra.append((name, q[name]))
        for name in ("since_timestamp_opt", "before_timestamp_opt"):
            value = _date_param(q, name)
            if value is not None:
                extra.append((name, value))
        if _truthy(q.get("vip_only")):
            extra.append(("vip_only", True))
        hashes = self._query(status, since, before, sort_field, sort_dir, tuple(extra))
        page = hashes[offset : offset + count]
        base = f"https://{self.dc}.api.mailchimp.com/3.0/lists/{self.list_id}/members"
        return {
            "members": [self._member_json(self.members[h]) for h in page],
            "list_id": self.list_id,
            "total_items": len(hashes),
            "_links": [
                {"rel": "self", "href": base, "method": "GET"},
                {"rel": "parent", "href": base.rsplit("/", 1)[0], "method": "GET"},
                {"rel": "create", "href": base, "method": "POST"},
            ],
        }
