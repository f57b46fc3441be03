"""A protocol-faithful simulator of the Mailchimp Marketing API v3 (one audience).

The wire behaviour follows ``docs/WIRE.md`` section 2. Points WIRE marks UNCONFIRMED or RECALL are
design choices here; each one is flagged in a comment next to the code that implements it, and the
ones that matter are configurable.

Layers, outermost first::

    _outer         sim admin hooks (/__sim__/mailchimp/...), the 10-connection limit (429)
    with_control   shared counters, latency and scripted faults (crmtui.sandbox.control)
    _auth          Basic auth: any username, password = the API key, -usX must be our data centre
    _api           starlette app mounted at /3.0 (routes below)

Usage in tests::

    sim = MailchimpSim(clock=fake_clock, http=fake_http)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=sim.app),
                               base_url="https://us19.api.mailchimp.com/3.0", auth=("x", sim.api_key))

Design choices for undocumented behaviour (see the comments marked UNCONFIRMED):

- Archived members are hidden from ``GET /members`` unless ``status=archived`` is asked for (RECALL:
  users report they cannot list archived contacts).
- Re-adding an archived member (POST, PUT, batch subscribe) un-archives it. The status it had before
  it was archived still counts for the compliance rule, so an unsubscribed member that was archived
  cannot come back as ``subscribed`` (``archived_keeps_compliance=False`` lifts that).
- A permanently deleted (forgotten) address is refused on every re-add whatever the status
  (WIRE only confirms subscribed/pending); only :meth:`MailchimpSim.simulate_event` ``"subscribe"``
  (the person using the hosted signup form) brings it back.
- ``since_last_changed`` is inclusive, ``before_last_changed`` exclusive. Tag changes move
  ``last_changed``. ``count`` above 1000 is clamped to 1000.
- ``DELETE`` of an already archived member is a no-op 204.
"""

from __future__ import annotations

import asyncio
import base64
import bisect
import gzip
import hashlib
import io
import json
import re
import tarfile
import time
import urllib.parse
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.types import Message, Receive, Scope, Send

from crmtui.connectors.http import endpoint_key
from crmtui.sandbox.control import ADMIN_PREFIX, SimControl, with_control

__all__ = [
    "DEFAULT_API_KEY",
    "MailchimpSim",
    "PROBLEM_CONTENT_TYPE",
    "subscriber_hash",
]

DEFAULT_API_KEY = "sandbox0000000000000000000000000-us19"
PROBLEM_CONTENT_TYPE = "application/problem+json; charset=utf-8"
ERROR_TYPE_URL = "https://mailchimp.com/developer/marketing/docs/errors/"
SIM_HOOKS = f"{ADMIN_PREFIX}/mailchimp"

STATUSES = ("subscribed", "unsubscribed", "cleaned", "pending", "transactional")
LIST_STATUSES = (*STATUSES, "archived")
SORT_FIELDS = ("timestamp_opt", "timestamp_signup", "last_changed")
MAX_BATCH_MEMBERS = 500
MAX_PAGE = 1000
WEBHOOK_EVENTS = ("subscribe", "unsubscribe", "profile", "cleaned", "upemail", "campaign")
WEBHOOK_SOURCES = ("user", "admin", "api")

# Exact strings from WIRE.md 2.5 (and RECALL where noted).
DETAIL_INVALID = (
    "The resource submitted could not be validated. For field-specific details, see the 'errors' array."
)
DETAIL_MERGE_INVALID = "Your merge fields were invalid."
DETAIL_NOT_FOUND = "The requested resource could not be found."
DETAIL_METHOD = (
    "The requested method and resource are not compatible. See the Allow header for this resource's "
    "available methods."
)
DETAIL_KEY_INVALID = "Your API key may be invalid, or you've attempted to access the wrong datacenter."
DETAIL_KEY_MISSING = "Your request did not include an API key."  # RECALL: drewm/mailchimp-api#59
DETAIL_WEBHOOK_VERIFY = (
    "We couldn't verify the URL is working. Please double check and try again. HTTP Code: {code}"
)

_HASH_RE = re.compile(r"^[0-9a-fA-F]{32}$")
_EMAIL_RE = re.compile(
    r"^[^@\s\"(),:;<>\[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$"
)
_NO_TAGS: tuple[str, ...] = ()

WebhookHttp = Callable[[str, str, bytes | None, dict[str, str]], Awaitable[int]]
"""``async (method, url, body, headers) -> status code``: how the simulator reaches webhook URLs."""


def subscriber_hash(email: str) -> str:
    """Mailchimp's member id: the MD5 hex digest of the lower-cased address."""
    return hashlib.md5(email.strip().lower().encode("utf-8")).hexdigest()


def iso(ts: float | None) -> str:
    """Render an epoch timestamp the way Mailchimp does (``2015-10-21T15:41:36+00:00``), or ``""``."""
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def parse_iso(value: str) -> float:
    """Parse an ISO 8601 date-time (naive means UTC) into an epoch timestamp."""
    dt = datetime.fromisoformat(value.strip().replace(" ", "+") if "T" in value else value.strip())
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def _to_epoch(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    return parse_iso(str(value))


class Problem(Exception):
    """An RFC 7807 error the simulator answers with (``application/problem+json``)."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {title}: {detail}")
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The JSON body Mailchimp sends for this error."""
        return problem_body(self.status, self.title, self.detail, self.errors)


def problem_body(
    status: int, title: str, detail: str, errors: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    """Build a problem+json body ``{type,title,status,detail,instance[,errors]}``."""
    body: dict[str, Any] = {
        "type": ERROR_TYPE_URL,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": str(uuid.uuid4()),
    }
    if errors is not None:
        body["errors"] = errors
    return body


def _fault_body(status: int) -> dict[str, Any]:
    """Body for scripted ``status``/``rate_limit`` faults, in Mailchimp's error format."""
    if status == 429:
        return problem_body(429, "Too Many Requests", _too_many_detail(10))
    if status == 500:
        return problem_body(
            500,
            "Internal Server Error",
            "An unexpected internal error has occurred. Please contact Support for more information.",
        )
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return problem_body(status, phrase, f"The server answered {status} {phrase}.")


def _too_many_detail(limit: int) -> str:
    # UNCONFIRMED (WIRE 2.6): the real title/detail of the concurrency 429 are not documented; the title
    # "Too Many Requests" is our choice and no Retry-After header is sent.
    return f"You have exceeded the limit of {limit} simultaneous connections."


def _not_found() -> Problem:
    return Problem(404, "Resource Not Found", DETAIL_NOT_FOUND)


def _invalid(errors: list[dict[str, str]], detail: str = DETAIL_INVALID) -> Problem:
    return Problem(400, "Invalid Resource", detail, errors)


def _member_exists(email: str) -> Problem:
    return Problem(
        400, "Member Exists", f"{email} is already a list member. Use PUT to insert or update list members."
    )


def _forgotten(email: str) -> Problem:
    return Problem(
        400,
        "Forgotten Email Not Subscribed",
        f"{email} was permanently deleted and cannot be re-imported. The contact must re-subscribe to "
        "get back on the list.",
    )


def _compliance(email: str) -> Problem:
    return Problem(
        400,
        "Member In Compliance State",
        f"{email} is in a compliance state due to unsubscribe, bounce, or compliance review and cannot "
        "be subscribed.",
    )


def _fake_email(email: str) -> Problem:
    # RECALL: seen in JustFixNYC/tenants2#1554, amro/gibbon#265 (title Invalid Resource, no errors array).
    return Problem(
        400, "Invalid Resource", f"{email} looks fake or invalid, please enter a real email address."
    )


def _required(field: str) -> dict[str, str]:
    return {"field": "", "message": f"Required fields were not provided: {field}"}


class Member:
    """One audience member as the simulator stores it (compact: 1,000,000 of them must fit).

    Attribute names follow the API (``email_address``, ``status``, ``merge_fields``, ``last_changed``);
    ``tags`` is a tuple of tag names and times are epoch floats. ``member["status"]`` also works.
    """

    __slots__ = (
        "id",
        "email_address",
        "status",
        "email_type",
        "merge_fields",
        "tags",
        "last_changed",
        "timestamp_signup",
        "timestamp_opt",
        "seq",
        "_x",
    )

    # Rarely set fields live in one optional dict (``_x``) so a million seeded members stay small.
    _RARE: dict[str, Any] = {
        "ip_signup": "",
        "ip_opt": "",
        "language": "",
        "vip": False,
        "prev_status": None,
        "source": "Import",
        "uid": None,
        "unsubscribe_reason": None,
    }

    def __init__(
        self,
        id: str,
        email_address: str,
        status: str,
        merge_fields: dict[str, Any] | None,
        tags: tuple[str, ...],
        last_changed: float,
        seq: int,
        email_type: str = "html",
        timestamp_signup: float | None = None,
        timestamp_opt: float | None = None,
    ) -> None:
        self.id = id
        self.email_address = email_address
        self.status = status
        self.email_type = email_type
        self.merge_fields = merge_fields or None
        self.tags = tags
        self.last_changed = last_changed
        self.timestamp_signup = timestamp_signup
        self.timestamp_opt = timestamp_opt
        self.seq = seq
        self._x: dict[str, Any] | None = None

    def _get(self, name: str) -> Any:
        x = self._x
        return x[name] if x is not None and name in x else self._RARE[name]

    def _set(self, name: str, value: Any) -> None:
        if self._x is None:
            self._x = {}
        self._x[name] = value

    ip_signup = property(lambda self: self._get("ip_signup"), lambda self, v: self._set("ip_signup", v))
    ip_opt = property(lambda self: self._get("ip_opt"), lambda self, v: self._set("ip_opt", v))
    language = property(lambda self: self._get("language"), lambda self, v: self._set("language", v))
    vip = property(lambda self: self._get("vip"), lambda self, v: self._set("vip", v))
    prev_status = property(lambda self: self._get("prev_status"), lambda self, v: self._set("prev_status", v))
    """The status before the member was archived."""
    source = property(lambda self: self._get("source"), lambda self, v: self._set("source", v))
    uid = property(lambda self: self._get("uid"), lambda self, v: self._set("uid", v))
    unsubscribe_reason = property(
        lambda self: self._get("unsubscribe_reason"), lambda self, v: self._set("unsubscribe_reason", v)
    )

    @property
    def unique_email_id(self) -> str:
        """Stable 10-hex id that survives an email change (Mailchimp's ``unique_email_id``)."""
        return self.uid or hashlib.md5(("euid:" + self.id).encode()).hexdigest()[:10]

    @property
    def contact_id(self) -> str:
        """Account-wide contact id (derived from the unique id)."""
        return hashlib.md5(("contact:" + self.unique_email_id).encode()).hexdigest()

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        """Dict-style access to an attribute."""
        return getattr(self, key, default)

    def __repr__(self) -> str:
        return f"Member({self.email_address!r}, status={self.status!r}, tags={list(self.tags)!r})"


class _Batch:
    __slots__ = ("id", "operations", "submitted_at", "completed_at", "polls", "results", "status")

    def __init__(self, batch_id: str, operations: list[dict[str, Any]], submitted_at: float) -> None:
        self.id = batch_id
        self.operations = operations
        self.submitted_at = submitted_at
        self.completed_at: float | None = None
        self.polls = 0
        self.results: list[dict[str, Any]] | None = None
        self.status = "pending"


_BATCH_STAGES = ("pending", "preprocessing", "started", "finalizing", "finished")


async def _default_http(method: str, url: str, body: bytes | None, headers: dict[str, str]) -> int:
    async with httpx.AsyncClient(timeout=10.0) as client:
        response = await client.request(method, url, content=body, headers=headers)
        return response.status_code


class MailchimpSim:
    """In-memory Mailchimp Marketing API v3 for one audience, as an ASGI app.

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
        self.in_flight = 0
        """Requests currently inside the API (what the concurrency limit counts)."""
        self.peak_in_flight = 0
        """Highest :attr:`in_flight` seen since :meth:`reset` (benchmarks and tests read it)."""
        self.rejected_429 = 0
        """Requests refused by the concurrency limit since :meth:`reset`."""
        self._bg: set[asyncio.Task[Any]] = set()
        self.reset()
        self._api = Starlette(
            routes=[Mount("/3.0", routes=self._routes())],
            exception_handlers={Problem: self._problem_handler, HTTPException: self._http_exc_handler},
        )
        self._controlled = with_control(self._auth, self.control, fault_body=_fault_body, count_prefix="/3.0")

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            await self._outer(scope, receive, send)

        # A plain coroutine function: uvicorn's interface detection takes bound methods for ASGI 2.
        self.app = app
        """The ASGI app to mount or serve (all layers)."""

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
        self.control.reset_calls()
        self.control.clear_faults()
        self.control.latency = 0.0
        self.peak_in_flight = self.in_flight
        self.rejected_429 = 0

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

    # -------------------------------------------------------------- validation

    def _check_email(self, email: Any) -> str:
        if not isinstance(email, str) or not email.strip():
            raise _invalid([_required("email_address")])
        value = email.strip()
        if len(value) > 254 or not _EMAIL_RE.match(value) or ".." in value:
            raise _fake_email(value)
        return value

    @staticmethod
    def _check_status(value: Any, field: str, allowed: tuple[str, ...] = STATUSES) -> str:
        if value not in allowed:
            raise _invalid(
                [
                    {
                        "field": field,
                        "message": "Data presented is not one of the accepted values: "
                        + ", ".join(allowed)
                        + ".",
                    }
                ]
            )
        return str(value)

    def _check_merge(self, values: Any, *, new: bool, skip: bool) -> dict[str, Any]:
        """Validate merge fields; return the cleaned dict (raise Invalid Resource with ``errors``)."""
        if values is None:
            values = {}
        if not isinstance(values, dict):
            raise _invalid(
                [{"field": "merge_fields", "message": "Schema describes object, array found instead"}]
            )
        errors: list[dict[str, str]] = []
        merge_errors: list[dict[str, str]] = []
        out: dict[str, Any] = {}
        for tag, value in values.items():
            d = self._merge_by_tag.get(tag)
            if d is None:
                # UNCONFIRMED: unknown merge tags are rejected here (the live API's wording is unknown).
                merge_errors.append({"field": tag, "message": "This merge field does not exist."})
                continue
            kind = d["type"]
            if kind == "address":
                if not isinstance(value, dict | str):
                    errors.append({"field": f"merge_fields.{tag}", "message": _ANYOF})
                    continue
            elif kind == "number":
                if isinstance(value, bool) or not isinstance(value, int | float | str):
                    errors.append({"field": f"merge_fields.{tag}", "message": _ANYOF})
                    continue
                if isinstance(value, str) and value.strip():
                    try:
                        float(value.replace(",", "."))
                    except ValueError:
                        merge_errors.append({"field": tag, "message": "Please enter a number"})
                        continue
            elif not isinstance(value, str):
                # OperationCode#692: a non-string text merge value fails schema validation.
                errors.append({"field": f"merge_fields.{tag}", "message": _ANYOF})
                continue
            out[tag] = value
        if errors:
            raise _invalid(errors)
        if not skip:
            for d in self.merge_field_defs:
                if not d["required"]:
                    continue
                tag = d["tag"]
                if (new and tag not in out) or (tag in out and out[tag] in ("", None)):
                    merge_errors.append({"field": tag, "message": "Please enter a value"})
        if merge_errors:
            raise _invalid(merge_errors, DETAIL_MERGE_INVALID)
        return out

    def _check_tag_names(self, names: Iterable[Any], field: str = "tags") -> list[str]:
        out = []
        for i, name in enumerate(names):
            if not isinstance(name, str) or not name.strip():
                raise _invalid([{"field": f"{field}.item:{i}", "message": "Tag name must not be empty."}])
            # UNCONFIRMED (WIRE 2.2): the maximum tag name length; configurable, default 100.
            if len(name) > self.tag_max_length:
                raise _invalid(
                    [
                        {
                            "field": f"{field}.item:{i}",
                            "message": f"Tag names must be {self.tag_max_length} characters or fewer.",
                        }
                    ]
                )
            out.append(name)
        return out

    def _check_transition(self, m: Member, new_status: str) -> None:
        current = m.status
        if current == "archived" and self.archived_keeps_compliance:
            current = m.prev_status or "subscribed"
        if new_status == "subscribed" and current in ("unsubscribed", "cleaned"):
            raise _compliance(m.email_address)

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

    # ----------------------------------------------------------------- webhooks

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
        if self.in_flight >= self.max_connections:
            # Mailchimp limits simultaneous connections per user (WIRE 2.6). The refused call still
            # counts as a call, so benchmarks see the waste.
            self.rejected_429 += 1
            self.control.count(endpoint_key(scope["method"], path[len("/3.0") :]))
            problem = Problem(429, "Too Many Requests", _too_many_detail(self.max_connections))
            await _problem_response(problem)(scope, receive, send)
            return
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            await self._controlled(scope, receive, send)
        finally:
            self.in_flight -= 1
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

    async def h_tags(self, request: Request) -> Response:
        """``GET``/``POST`` ``/lists/{id}/members/{hash}/tags``."""
        m = self._member_or_404(request.path_params["list_id"], request.path_params["hash"])
        if request.method == "GET":
            return self._json(
                request,
                {
                    "tags": [
                        {"id": self._tag_id(t), "name": t, "date_added": iso(m.last_changed)} for t in m.tags
                    ],
                    "total_items": len(m.tags),
                    "_links": [],
                },
            )
        body = await _body(request)
        items = body.get("tags")
        if not isinstance(items, list):
            raise _invalid([_required("tags")])
        add: list[str] = []
        remove: list[str] = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise _invalid([{"field": f"tags.item:{i}", "message": "Schema describes object"}])
            name = self._check_tag_names([item.get("name")], "tags")[0]
            st = item.get("status")
            if st == "active":
                add.append(name)
            elif st == "inactive":
                remove.append(name)
            else:
                raise _invalid(
                    [
                        {
                            "field": f"tags.item:{i}.status",
                            "message": "Data presented is not one of the accepted values: active, inactive.",
                        }
                    ]
                )
        # is_syncing only suppresses tag automations, which the simulator does not run.
        new_tags = tuple(t for t in m.tags if t not in remove) + tuple(
            t for t in dict.fromkeys(add) if t not in m.tags and t not in remove
        )
        if new_tags != m.tags:
            m.tags = new_tags
            for t in new_tags:
                self._tag_id(t)
            self._touch(m)
        return Response(status_code=204)

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

    async def h_batches(self, request: Request) -> Response:
        """``POST /batches`` (queue operations) and ``GET /batches`` (list them)."""
        if request.method == "GET":
            items = [self._batch_json(b, request) for b in self.batches.values()]
            return self._json(request, {"batches": items, "total_items": len(items), "_links": []})
        body = await _body(request)
        ops = body.get("operations")
        if not isinstance(ops, list):
            raise _invalid([_required("operations")])
        for i, op in enumerate(ops):
            if not isinstance(op, dict) or op.get("method") not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
                raise _invalid([{"field": f"operations.item:{i}.method", "message": "Invalid method"}])
            if not isinstance(op.get("path"), str):
                raise _invalid([{"field": f"operations.item:{i}.path", "message": "Required"}])
        batch = _Batch(uuid.uuid4().hex[:10], ops, self.clock())
        self.batches[batch.id] = batch
        return self._json(request, self._batch_json(batch, request))

    async def h_batch(self, request: Request) -> Response:
        """``GET /batches/{id}`` advances the batch one stage per poll; ``DELETE`` drops it."""
        batch = self.batches.get(request.path_params["batch_id"])
        if batch is None:
            raise _not_found()
        if request.method == "DELETE":
            del self.batches[batch.id]
            return Response(status_code=204)
        if batch.results is None:
            batch.polls += 1
            if batch.polls >= self.batch_polls:
                await self._run_batch(batch)
            else:
                batch.status = _BATCH_STAGES[min(batch.polls, 3)]
        return self._json(request, self._batch_json(batch, request))

    async def _run_batch(self, batch: _Batch) -> None:
        """Run every operation against the same in-memory state (no auth, limits or counters)."""
        results = []
        for op in batch.operations:
            status, body = await self._call_inner(op)
            results.append({"status_code": status, "operation_id": op.get("operation_id"), "response": body})
        batch.results = results
        batch.completed_at = self.clock()
        batch.status = "finished"

    async def _call_inner(self, op: dict[str, Any]) -> tuple[int, str]:
        path = op["path"]
        if not path.startswith("/3.0"):
            path = "/3.0" + (path if path.startswith("/") else "/" + path)
        params = op.get("params") or {}
        raw_body = op.get("body") or ""
        if not isinstance(raw_body, str):
            raw_body = json.dumps(raw_body)
        host = f"{self.dc}.api.mailchimp.com".encode()
        scope: Scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": op["method"],
            "scheme": "https",
            "path": urllib.parse.unquote(path),
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": urllib.parse.urlencode(params).encode(),
            "headers": [(b"host", host), (b"content-type", b"application/json")],
            "server": (host.decode(), 443),
            "client": ("127.0.0.1", 0),
        }
        payload = raw_body.encode()
        sent = False

        async def receive() -> Message:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": payload, "more_body": False}

        status = 500
        chunks: list[bytes] = []

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self._api(scope, receive, send)
        return status, b"".join(chunks).decode()

    def _batch_json(self, batch: _Batch, request: Request) -> dict[str, Any]:
        done = batch.results is not None
        errored = sum(1 for r in batch.results or [] if r["status_code"] >= 400)
        url = ""
        if done:
            base = f"{request.url.scheme}://{request.url.netloc}"
            url = f"{base}{SIM_HOOKS}/batch-results/{batch.id}.tar.gz"
        href = f"https://{self.dc}.api.mailchimp.com/3.0/batches/{batch.id}"
        return {
            "id": batch.id,
            "status": batch.status,
            "total_operations": len(batch.operations),
            "finished_operations": len(batch.operations) if done else 0,
            "errored_operations": errored,
            "submitted_at": iso(batch.submitted_at),
            "completed_at": iso(batch.completed_at),
            "response_body_url": url,
            "_links": [{"rel": "self", "href": href, "method": "GET"}],
        }

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

    # ----------------------------------------------------------------- helpers

    def _json(self, request: Request, data: dict[str, Any], status: int = 200) -> Response:
        fields = request.query_params.get("fields")
        exclude = request.query_params.get("exclude_fields")
        if fields:
            data = _include(data, _field_tree(fields))
        elif exclude:
            data = _exclude(data, _field_tree(exclude))
        return _json_response(data, status)


_ANYOF = "Data did not match any of the schemas described in anyOf."

_EXTRA_FIELDS = ("language", "vip", "ip_signup", "ip_opt")


def _apply_extra(m: Member, body: Mapping[str, Any]) -> bool:
    """Copy the optional scalar member fields from a request body; True when one changed."""
    changed = False
    for name in _EXTRA_FIELDS:
        if name in body and body[name] is not None and getattr(m, name) != body[name]:
            setattr(m, name, body[name])
            changed = True
    for name in ("timestamp_signup", "timestamp_opt"):
        if body.get(name):
            try:
                value = _to_epoch(body[name])
            except ValueError:
                continue
            if value != getattr(m, name):
                setattr(m, name, value)
                changed = True
    return changed


def _merge_defs(spec: Iterable[str | Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    if spec is None:
        spec = ("FNAME", "LNAME", "PHONE")
    out = []
    names = {"FNAME": "First Name", "LNAME": "Last Name", "PHONE": "Phone Number", "ADDRESS": "Address"}
    for item in spec:
        if isinstance(item, str):
            item = {"tag": item}
        tag = str(item["tag"]).upper()
        out.append(
            {
                "tag": tag,
                "name": item.get("name") or names.get(tag, tag.title()),
                "type": item.get("type", "text"),
                "required": bool(item.get("required", False)),
            }
        )
    return out


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


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")


def _date_param(q: Mapping[str, str], name: str) -> float | None:
    value = q.get(name)
    if not value:
        return None
    try:
        return parse_iso(value)
    except ValueError:
        raise _invalid(
            [{"field": name, "message": "The value must be a valid ISO 8601 date-time."}]
        ) from None


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        # RECALL: Mailchimp's answer to an unparsable body.
        raise Problem(400, "JSON Parse Error", "We encountered an unspecified JSON parsing error.") from None
    if not isinstance(data, dict):
        raise Problem(400, "JSON Parse Error", "We encountered an unspecified JSON parsing error.")
    return data


def _json_response(data: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode(),
        status_code=status,
        media_type="application/json; charset=utf-8",
    )


def _problem_response(problem: Problem) -> Response:
    response = Response(
        json.dumps(problem.body(), ensure_ascii=False).encode(),
        status_code=problem.status,
        headers=problem.headers,
    )
    response.headers["content-type"] = PROBLEM_CONTENT_TYPE
    return response


def _jsonable(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "body"} for r in records]


def _field_tree(spec: str) -> dict[str, Any]:
    """``"members.email_address,total_items"`` -> ``{"members": {"email_address": True}, "total_items": True}``."""
    tree: dict[str, Any] = {}
    for path in spec.split(","):
        parts = [p for p in path.strip().split(".") if p]
        if not parts:
            continue
        node = tree
        for part in parts[:-1]:
            child = node.get(part)
            if child is True:
                break
            node = node.setdefault(part, {})
        else:
            node[parts[-1]] = True
    return tree


def _include(data: Any, tree: dict[str, Any]) -> Any:
    if isinstance(data, list):
        return [_include(x, tree) for x in data]
    if not isinstance(data, dict):
        return data
    out = {}
    for key, sub in tree.items():
        if key in data:
            out[key] = data[key] if sub is True else _include(data[key], sub)
    return out


def _exclude(data: Any, tree: dict[str, Any]) -> Any:
    if isinstance(data, list):
        return [_exclude(x, tree) for x in data]
    if not isinstance(data, dict):
        return data
    out = {}
    for key, value in data.items():
        sub = tree.get(key)
        if sub is True:
            continue
        out[key] = value if sub is None else _exclude(value, sub)
    return out


def _batch_archive(batch: _Batch) -> bytes:
    """The gzipped tar Mailchimp links from ``response_body_url``: JSON arrays of results."""
    payload = json.dumps(batch.results).encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(f"{batch.id}/{uuid.uuid4().hex}.json")
        info.size = len(payload)
        info.mtime = int(batch.completed_at or 0)
        tar.addfile(info, io.BytesIO(payload))
    return gzip.compress(buf.getvalue())
