"""The audience's state: members by hash, the status and last_changed indexes, the cached queries
and the member JSON."""

from __future__ import annotations

import asyncio
import bisect
import hashlib
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp

from crmtui.sandbox.control import SimControl
from crmtui.sandbox.mailchimp.errors import _not_found
from crmtui.sandbox.mailchimp.record import Member, _Batch
from crmtui.sandbox.mailchimp.wire import (
    _HASH_RE,
    _NO_TAGS,
    DEFAULT_API_KEY,
    LIST_STATUSES,
    _exclude,
    _field_tree,
    _include,
    _json_response,
    _merge_defs,
    _to_epoch,
    iso,
    subscriber_hash,
)
from crmtui.sandbox.ratelimit import ConcurrencyLimit

WebhookHttp = Callable[[str, str, bytes | None, dict[str, str]], Awaitable[int]]
"""``async (method, url, body, headers) -> status code``: how the simulator reaches webhook URLs."""


async def _default_http(method: str, url: str, body: bytes | None, headers: dict[str, str]) -> int:
    async with httpx.AsyncClient(timeout=10.0) as client:
        response = await client.request(method, url, content=body, headers=headers)
        return response.status_code


class AudienceState:
    """The audience one simulator holds, and the simulator's options (the base of :class:`~.app.MailchimpSim`).

    Args:
        api_key: the only key accepted (its ``-usX`` suffix is the data centre).
        dc: the simulator's data centre; keys or hosts naming another one get 401.
        list_id: the one audience; other list ids are 404.
        clock: ``() -> epoch seconds`` used for every timestamp.
        max_connections: simultaneous in-flight requests allowed before 429.
        tag_max_length: longest tag name accepted (UNCONFIRMED limit, WIRE 2.2).
        merge_fields: merge field definitions: tag names or dicts ``{tag, name, type, required}``
            (types ``text``, ``number``, ``phone``, ``date``, ``url``...). Default FNAME, LNAME, PHONE,
            all text and optional.
        http: ``async (method, url, body, headers) -> status`` used for webhook validation and
            deliveries (default: a real httpx request).
        account: the account slug used in the hosted signup form URL.
        list_name: the audience name.
        batch_polls: number of ``GET /batches/{id}`` polls before a batch runs and reports finished.
        archived_keeps_compliance: whether an archived member that was unsubscribed/cleaned stays
            barred from ``subscribed`` when re-added.
        auto_deliver_webhooks: deliver queued webhooks in the background after each request
            (otherwise call :meth:`deliver_webhooks`).
    """

    def __init__(
        self,
        *,
        api_key: str = DEFAULT_API_KEY,
        dc: str = "us19",
        list_id: str = "a1b2c3d4e5",
        clock: Callable[[], float] = time.time,
        max_connections: int = 10,
        tag_max_length: int = 100,
        merge_fields: Iterable[str | Mapping[str, Any]] | None = None,
        http: WebhookHttp | None = None,
        account: str = "sandbox",
        list_name: str = "Sandbox newsletter",
        batch_polls: int = 1,
        archived_keeps_compliance: bool = True,
        auto_deliver_webhooks: bool = False,
    ) -> None:
        self.api_key = api_key
        self.dc = dc
        self.list_id = list_id
        self.clock = clock
        self.max_connections = max_connections
        self.tag_max_length = tag_max_length
        self.account = account
        self.list_name = list_name
        self.batch_polls = max(1, batch_polls)
        self.archived_keeps_compliance = archived_keeps_compliance
        self.auto_deliver_webhooks = auto_deliver_webhooks
        self.http: WebhookHttp = http or _default_http
        self.merge_field_defs: list[dict[str, Any]] = _merge_defs(merge_fields)
        self._merge_by_tag = {d["tag"]: d for d in self.merge_field_defs}
        self.created_at = clock()
        self.control = SimControl()
        self._connections = ConcurrencyLimit()
        self._bg: set[asyncio.Task[Any]] = set()
        self.reset()
        self._api: ASGIApp
        """The starlette app mounted at /3.0 (what batches call directly, without auth or limits)."""
        self._controlled: ASGIApp
        self.app: ASGIApp = self._build_app()
        """The ASGI app to mount or serve (all layers)."""

    def _build_app(self) -> ASGIApp:
        """Assemble the ASGI layers (sets :attr:`_api` and :attr:`_controlled`); see :mod:`.app`."""
        raise NotImplementedError

    # ------------------------------------------------------------------ state

    def reset(self) -> None:
        """Forget every member, tag, webhook, batch and forgotten address; zero the controls."""
        self.members: dict[str, Member] = {}
        """Members by subscriber hash."""
        self.forgotten: set[str] = set()
        """Lower-cased addresses that were permanently deleted."""
        self.webhooks: dict[str, dict[str, Any]] = {}
        self.batches: dict[str, _Batch] = {}
        self.webhook_outbox: list[dict[str, Any]] = []
        """Webhook deliveries waiting for :meth:`deliver_webhooks`."""
        self.webhook_log: list[dict[str, Any]] = []
        """Every delivery attempt: ``{url, type, data, status, attempt}``."""
        self._tag_ids: dict[str, int] = {}
        self._by_status: dict[str, dict[str, None]] = {s: {} for s in LIST_STATUSES}
        self._seq = 0
        self._version = 0
        self._cache: dict[tuple[Any, ...], tuple[int, list[str]]] = {}
        self._lc_keys: list[float] = []
        self._lc_ids: list[str] = []
        self._lc_dirty = False
        self._last_sub: float | None = None
        self._last_unsub: float | None = None
        self.control.reset()
        self._connections.reset_stats()

    @property
    def in_flight(self) -> int:
        """Requests currently inside the API (what the concurrency limit counts)."""
        return self._connections.in_flight

    @property
    def peak_in_flight(self) -> int:
        """Highest :attr:`in_flight` seen since :meth:`reset` (benchmarks and tests read it)."""
        return self._connections.peak

    @property
    def rejected_429(self) -> int:
        """Requests refused by the concurrency limit since :meth:`reset`."""
        return self._connections.refused

    def load_members(self, rows: Iterable[Mapping[str, Any]]) -> int:
        """Seed members in bulk (no counting, no webhooks, no validation). Later rows win.

        Args:
            rows: dicts ``{email_address, status?, merge_fields?, tags? (names), last_changed?
                (epoch or ISO), timestamp_signup?, timestamp_opt?, email_type?}``.

        Returns:
            The number of rows loaded.
        """
        now = self.clock()
        members = self.members
        by_status = self._by_status
        tag_ids = self._tag_ids
        md5 = hashlib.md5
        lc_keys, lc_ids = self._lc_keys, self._lc_ids
        # Rows arriving in last_changed order extend the index directly; otherwise it is rebuilt
        # once, lazily, on the first date-filtered query.
        in_order = not self._lc_dirty
        top = lc_keys[-1] if lc_keys else float("-inf")
        seq = self._seq
        n = 0
        for row in rows:
            email = str(row["email_address"]).strip()
            h = md5(email.lower().encode("utf-8")).hexdigest()
            get = row.get
            status = get("status") or "subscribed"
            raw_tags = get("tags")
            if raw_tags:
                tags = tuple(raw_tags)
                for t in tags:
                    if t not in tag_ids:
                        tag_ids[t] = len(tag_ids) + 1001
            else:
                tags = _NO_TAGS
            lc = get("last_changed")
            if lc is None:
                lc = now
            elif type(lc) is not float:
                lc = _to_epoch(lc) or now
            old = members.get(h)
            if old is not None:
                del by_status[old.status][h]
            seq += 1
            ts_opt = get("timestamp_opt")
            ts_opt = _to_epoch(ts_opt) if ts_opt is not None else (lc if status == "subscribed" else None)
            ts_signup = get("timestamp_signup")
            merge = get("merge_fields")
            members[h] = Member(
                h,
                email,
                status,
                dict(merge) if merge else None,
                tags,
                lc,
                seq,
                get("email_type") or "html",
                _to_epoch(ts_signup) if ts_signup is not None else None,
                ts_opt,
            )
            by_status[status][h] = None
            if in_order:
                if lc >= top:
                    top = lc
                    lc_keys.append(lc)
                    lc_ids.append(h)
                else:
                    in_order = False
            n += 1
        self._seq = seq
        self._lc_dirty = not in_order
        self._version += 1
        return n

    def forget(self, email: str) -> None:
        """Mark ``email`` as permanently deleted (removing the member if present)."""
        key = email.strip().lower()
        m = self.members.get(subscriber_hash(key))
        if m is not None:
            self._remove(m)
        self.forgotten.add(key)
        self._version += 1

    def member(self, email_or_hash: str) -> dict[str, Any] | None:
        """The API JSON of a member (by address or hash), or None."""
        m = self.members.get(self._resolve_hash(email_or_hash))
        return None if m is None else self._member_json(m)

    def status_counts(self) -> dict[str, int]:
        """How many members are in each status (archived included)."""
        return {s: len(ix) for s, ix in self._by_status.items()}

    # -------------------------------------------------------------- internals

    def _resolve_hash(self, value: str) -> str:
        value = urllib.parse.unquote(value)
        if _HASH_RE.match(value):
            return value.lower()
        # The API computes the hash when the path segment is not one (stephenross in
        # VingtCinq/python-mailchimp#183); contact_id lookups are not simulated.
        return subscriber_hash(value)

    def _member_or_404(self, list_id: str, raw: str) -> Member:
        self._list_or_404(list_id)
        m = self.members.get(self._resolve_hash(raw))
        if m is None:
            raise _not_found()
        return m

    def _list_or_404(self, list_id: str) -> None:
        if list_id != self.list_id:
            raise _not_found()

    def _tag_id(self, name: str) -> int:
        tid = self._tag_ids.get(name)
        if tid is None:
            tid = self._tag_ids[name] = len(self._tag_ids) + 1001
        return tid

    def _set_status(self, m: Member, status: str) -> None:
        if status == m.status:
            return
        del self._by_status[m.status][m.id]
        self._by_status[status][m.id] = None
        now = self.clock()
        if status == "subscribed":
            m.timestamp_opt = now
            self._last_sub = now
            m.unsubscribe_reason = None
        elif status == "unsubscribed":
            self._last_unsub = now
        m.status = status

    def _touch(self, m: Member) -> None:
        """Record a change to ``m``: ``last_changed`` moves and cached queries are dropped."""
        now = self.clock()
        self._version += 1
        if now == m.last_changed:
            return
        m.last_changed = now
        if not self._lc_dirty and (not self._lc_keys or now >= self._lc_keys[-1]):
            self._lc_keys.append(now)
            self._lc_ids.append(m.id)
            if len(self._lc_keys) > 2 * len(self.members) + 1024:
                self._lc_dirty = True  # too many stale entries: rebuild on the next query
        else:
            self._lc_dirty = True  # the clock went backwards (tests): rebuild lazily

    def _insert(self, m: Member) -> None:
        self.members[m.id] = m
        self._by_status[m.status][m.id] = None
        self._version += 1
        if not self._lc_dirty and (not self._lc_keys or m.last_changed >= self._lc_keys[-1]):
            self._lc_keys.append(m.last_changed)
            self._lc_ids.append(m.id)
        else:
            self._lc_dirty = True

    def _remove(self, m: Member) -> None:
        del self.members[m.id]
        del self._by_status[m.status][m.id]
        self._version += 1  # the index entry becomes stale and is skipped

    def _lc_range(self, since: float | None, before: float | None) -> list[str]:
        if self._lc_dirty:
            pairs = sorted((m.last_changed, h) for h, m in self.members.items())
            self._lc_keys = [p[0] for p in pairs]
            self._lc_ids = [p[1] for p in pairs]
            self._lc_dirty = False
        keys, ids, members = self._lc_keys, self._lc_ids, self.members
        lo = 0 if since is None else bisect.bisect_left(keys, since)
        hi = len(keys) if before is None else bisect.bisect_left(keys, before)
        out: list[str] = []
        seen: set[str] = set()
        for i in range(lo, hi):
            h = ids[i]
            m = members.get(h)
            if m is None or m.last_changed != keys[i] or h in seen:
                continue
            seen.add(h)
            out.append(h)
        return out

    def _query(
        self,
        status: str | None,
        since: float | None,
        before: float | None,
        sort_field: str | None,
        sort_dir: str,
        extra: tuple[tuple[str, Any], ...],
    ) -> list[str]:
        """Matching hashes in a stable order, cached until the state changes.

        Paging through one query costs the selection once; later pages only slice the cached list.
        Without ``sort_field`` the order is unspecified but stable (add order, status-change order or
        last_changed order depending on the filter), as the real API documents no default order.
        """
        key = (status, since, before, sort_field, sort_dir, extra)
        hit = self._cache.get(key)
        if hit is not None and hit[0] == self._version:
            return hit[1]
        members = self.members
        if since is not None or before is not None:
            hashes = self._lc_range(since, before)
            if status:
                hashes = [h for h in hashes if members[h].status == status]
            else:
                hashes = [h for h in hashes if members[h].status != "archived"]
        elif status:
            hashes = list(self._by_status[status])
        else:
            archived = self._by_status["archived"]
            hashes = [h for h in members if h not in archived] if archived else list(members)
        for name, value in extra:
            if name == "email_type":
                hashes = [h for h in hashes if members[h].email_type == value]
            elif name == "unique_email_id":
                hashes = [h for h in hashes if members[h].unique_email_id == value]
            elif name == "since_timestamp_opt":
                hashes = [h for h in hashes if (members[h].timestamp_opt or 0) >= value]
            elif name == "before_timestamp_opt":
                hashes = [h for h in hashes if (members[h].timestamp_opt or 0) < value]
            elif name == "vip_only":
                hashes = [h for h in hashes if members[h].vip]
        if sort_field:
            hashes.sort(key=lambda h: getattr(members[h], sort_field) or 0.0, reverse=sort_dir == "DESC")
        if len(self._cache) >= 8:
            self._cache.pop(next(iter(self._cache)))
        self._cache[key] = (self._version, hashes)
        return hashes

    # --------------------------------------------------------------- rendering

    def _links_member(self, h: str) -> list[dict[str, str]]:
        base = f"https://{self.dc}.api.mailchimp.com/3.0/lists/{self.list_id}/members"
        return [
            {"rel": "self", "href": f"{base}/{h}", "method": "GET"},
            {"rel": "parent", "href": base, "method": "GET"},
            {"rel": "update", "href": f"{base}/{h}", "method": "PATCH"},
            {"rel": "upsert", "href": f"{base}/{h}", "method": "PUT"},
            {"rel": "delete", "href": f"{base}/{h}", "method": "DELETE"},
        ]

    def _merge_out(self, m: Member) -> dict[str, Any]:
        stored = m.merge_fields or {}
        out = {d["tag"]: stored.get(d["tag"], "") for d in self.merge_field_defs}
        for k, v in stored.items():
            out.setdefault(k, v)
        return out

    def _member_json(self, m: Member) -> dict[str, Any]:
        merges = self._merge_out(m)
        full_name = " ".join(str(merges.get(t, "")) for t in ("FNAME", "LNAME") if merges.get(t)).strip()
        body: dict[str, Any] = {
            "id": m.id,
            "email_address": m.email_address,
            "unique_email_id": m.unique_email_id,
            "contact_id": m.contact_id,
            "full_name": full_name,
            "web_id": 100000000 + m.seq,
            "email_type": m.email_type,
            "status": m.status,
            "consents_to_one_to_one_messaging": True,
            "merge_fields": merges,
            "stats": {"avg_open_rate": 0, "avg_click_rate": 0},
            "ip_signup": m.ip_signup,
            "timestamp_signup": iso(m.timestamp_signup),
            "ip_opt": m.ip_opt,
            "timestamp_opt": iso(m.timestamp_opt),
            "member_rating": 2,
            "last_changed": iso(m.last_changed),
            "language": m.language,
            "vip": m.vip,
            "email_client": "",
            "location": {
                "latitude": 0,
                "longitude": 0,
                "gmtoff": 0,
                "dstoff": 0,
                "country_code": "",
                "timezone": "",
                "region": "",
            },
            "source": m.source,
            "tags_count": len(m.tags),
            "tags": [{"id": self._tag_id(t), "name": t} for t in m.tags],
            "list_id": self.list_id,
            "_links": self._links_member(m.id),
        }
        if m.status == "unsubscribed" and m.unsubscribe_reason:
            body["unsubscribe_reason"] = m.unsubscribe_reason
        return body

    def _json(self, request: Request, data: dict[str, Any], status: int = 200) -> Response:
        fields = request.query_params.get("fields")
        exclude = request.query_params.get("exclude_fields")
        if fields:
            data = _include(data, _field_tree(fields))
        elif exclude:
            data = _exclude(data, _field_tree(exclude))
        return _json_response(data, status)
