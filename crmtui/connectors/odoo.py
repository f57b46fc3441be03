"""Odoo connector: the external XML-RPC API over httpx (WIRE.md §3).

Requests are marshalled with the stdlib ``xmlrpc.client.dumps``/``loads`` and sent through the
shared :class:`~crmtui.connectors.http.ServiceClient` (retries, counters, redaction), never through
``ServerProxy``, so Odoo shares the timeouts, retry policy and call counters of every connector.

Faults become typed errors (the engine never reads a faultString):

===========  ==============================  ==========================================
faultCode    meaning (``/xmlrpc/2``)         raised as
===========  ==============================  ==========================================
``3``        AccessDenied (bad uid/key)      :class:`~crmtui.connectors.errors.AuthError`
``4``        AccessError (ACL, record rule)  :class:`~crmtui.connectors.errors.PermissionDenied`
``2``        UserError / ValidationError     :class:`OdooWarning` (an ``OdooFault``, code 2)
``1``        any other exception             :class:`~crmtui.connectors.errors.OdooFault` (code 1)
===========  ==============================  ==========================================

A code-1 faultString is a server traceback: only its last line (the exception and its message) is
kept, cut to 300 characters, and redacted; the API key is never sent anywhere but the request body.
``authenticate`` answering ``False`` (wrong login or key) is an :class:`AuthError` too. A request
that keeps timing out is an :class:`OdooTimeout`.

Incremental reads use the ``(write_date, id)`` cursor of WIRE §3.3 (see :meth:`OdooClient.iter_records`).
"""

from __future__ import annotations

import asyncio
import xmlrpc.client
from collections.abc import AsyncIterator, Callable, Container, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from xml.parsers.expat import ExpatError

import httpx

from crmtui.connectors.errors import (
    AuthError,
    ConnectorError,
    NotFound,
    OdooFault,
    PermissionDenied,
    TimedOut,
)
from crmtui.connectors.http import RetryPolicy, ServiceClient
from crmtui.formats import seconds as seconds_text
from crmtui.i18n import t
from crmtui.secrets import Secret, redact

__all__ = [
    "ETL_FIELDS",
    "OdooCheck",
    "OdooClient",
    "OdooTimeout",
    "OdooWarning",
    "Cursor",
]

SERVICE = "odoo"
ODOO_DATETIME = "%Y-%m-%d %H:%M:%S"

Cursor = tuple[str, int]
"""An incremental-read position: the ``(write_date, id)`` of the last record read."""

# Methods that change nothing (or, for ``write``, give the same result when sent twice): a dropped
# connection is retried. ``create``/``unlink``/other methods are not: the outcome is unknown.
_IDEMPOTENT = frozenset(
    {"search", "search_count", "read", "search_read", "fields_get", "name_search", "read_group", "write"}
)

ETL_FIELDS: dict[str, tuple[str, ...]] = {
    "res.partner": (
        "name",
        "email",
        "phone",
        "mobile",
        "is_company",
        "parent_id",
        "street",
        "zip",
        "city",
        "country_id",
        "active",
        "write_date",
    ),
    "product.product": (
        "name",
        "default_code",
        "list_price",
        "lst_price",
        "standard_price",
        "categ_id",
        "type",
        "sale_ok",
        "active",
        "write_date",
    ),
    "sale.order.line": (
        "order_id",
        "product_id",
        "product_uom_qty",
        "price_unit",
        "discount",
        "price_subtotal",
        "price_total",
        "order_partner_id",
        "state",
        "write_date",
    ),
    "stock.quant": ("product_id", "location_id", "quantity", "reserved_quantity", "write_date"),
}
"""Fields the ETL reads per model; :meth:`OdooClient.check` reports the ones a server lacks
(names drift between Odoo versions, WIRE §3.4)."""


class OdooWarning(OdooFault):
    """Fault 2: Odoo refused the operation with a message (UserError, ValidationError, MissingError)."""


class OdooTimeout(TimedOut):
    """Odoo did not answer within the timeout, on every attempt."""


@dataclass
class OdooCheck:
    """The verdict of :meth:`OdooClient.check` (``crmtui connectors test``).

    Attributes:
        ok: reachable, credentials accepted and every ETL model readable.
        message: one plain line for the operator.
        server_version: e.g. ``"17.0"``.
        uid: the authenticated user id.
        counts: ETL model -> number of active records visible to the user.
        problems: what makes ``ok`` false (unreadable models...).
        warnings: what the ETL will work around (fields missing in this Odoo version).
    """

    ok: bool
    message: str
    server_version: str = ""
    uid: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _no_none(value: Any) -> Any:
    """XML-RPC without ``allow_none``: ``None`` travels as ``False`` (Odoo's empty value)."""
    if value is None:
        return False
    if isinstance(value, Mapping):
        return {str(k): _no_none(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_no_none(v) for v in value]
    return value


def _parse(response: httpx.Response) -> tuple[bool, Any]:
    """Decode an XML-RPC answer: ``(True, result)`` or ``(False, Fault)``.

    Raises:
        ValueError: the body is not a complete XML-RPC response (the caller retries reads).
    """
    try:
        params, _ = xmlrpc.client.loads(response.content, use_builtin_types=True)
    except xmlrpc.client.Fault as fault:
        return False, fault
    except (ExpatError, xmlrpc.client.ResponseError, IndexError) as exc:
        raise ValueError(f"not an XML-RPC response: {exc}") from exc
    if len(params) != 1:
        raise ValueError("XML-RPC response without exactly one value")
    return True, params[0]


def _fault_summary(text: str, limit: int = 300) -> str:
    """One line from a faultString: the exception line of a traceback, else the first line."""
    lines = [ln.strip() for ln in str(text).splitlines() if ln.strip()]
    if not lines:
        return "(no message)"
    line = lines[-1] if lines[0].startswith("Traceback") else lines[0]
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _shift(write_date: str, seconds: float) -> str:
    moment = datetime.strptime(write_date, ODOO_DATETIME) - timedelta(seconds=seconds)
    return moment.strftime(ODOO_DATETIME)


class OdooClient(ServiceClient):
    """Async client for Odoo's ``/xmlrpc/2`` endpoints.

    Args:
        client: the injected ``httpx.AsyncClient``.
        url: the server's base URL (``https://odoo.exemple.fr``), without ``/xmlrpc``.
        db: database name.
        login: the API user's login.
        api_key: that user's API key (or password); a ``str`` is wrapped in a :class:`Secret` so it
            is redacted from every message.
        timeout: per-request timeout in seconds.
        retry: the retry policy (attempts and backoff).
        max_concurrency: requests in flight at once.
        sleep: injectable sleep for backoff (tests pass a fast one).
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        url: str,
        db: str,
        login: str,
        api_key: Secret | str,
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
        max_concurrency: int | None = 4,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        super().__init__(
            SERVICE,
            client,
            base_url=url,
            headers={"Content-Type": "text/xml; charset=utf-8", "Accept": "text/xml"},
            max_concurrency=max_concurrency,
            retry=retry,
            timeout=timeout,
            sleep=sleep,
        )
        self.db = db
        self.login = login
        self._key = api_key if isinstance(api_key, Secret) else Secret(api_key)
        self.uid: int | None = None
        self._auth_lock = asyncio.Lock()

    @classmethod
    def from_settings(cls, settings: Any, client: httpx.AsyncClient, **kwargs: Any) -> OdooClient:
        """Build from :class:`crmtui.config.Settings` (``odoo_url``, ``odoo_db``, ``odoo_user``,
        ``odoo_api_key``)."""
        kwargs.setdefault("timeout", float(getattr(settings, "odoo_timeout", 60.0) or 60.0))
        return cls(
            client,
            url=settings.odoo_url,
            db=settings.odoo_db,
            login=settings.odoo_user,
            api_key=settings.odoo_api_key,
            **kwargs,
        )

    # -- transport ----------------------------------------------------------------------------

    def raise_for_error(self, response: httpx.Response) -> None:
        """HTTP errors: a 404 means the URL does not point at an Odoo server."""
        if response.status_code == 404:
            raise NotFound(
                SERVICE,
                t("cerr.odoo.no_endpoint", url=f"{self.base_url}{response.request.url.path}"),
                hint=t("cerr.odoo.no_endpoint.fix"),
                status=404,
            )
        super().raise_for_error(response)

    async def _rpc(
        self, service: str, method: str, params: Sequence[Any], *, endpoint: str, idempotent: bool
    ) -> Any:
        body = xmlrpc.client.dumps(tuple(_no_none(list(params))), method, allow_none=False)
        try:
            _, (ok, value) = await self.call(
                "POST",
                f"/xmlrpc/2/{service}",
                content=body.encode("utf-8"),
                endpoint=endpoint,
                idempotent=idempotent,
                parse=_parse,
            )
        except TimedOut as err:
            if not isinstance(err, OdooTimeout):
                raise OdooTimeout(
                    SERVICE,
                    t(
                        "cerr.odoo.timeout",
                        where=endpoint,
                        seconds=seconds_text(self.timeout),
                        attempts=self.retry.attempts,
                    ),
                    hint=t("cerr.odoo.timeout.fix"),
                ) from err
            raise
        if not ok:
            raise self._fault_error(value, endpoint)
        return value

    def _fault_error(self, fault: xmlrpc.client.Fault, where: str) -> ConnectorError:
        code = fault.faultCode
        text = redact(str(fault.faultString or ""))
        summary = _fault_summary(text)
        if code == 3 or (isinstance(code, str) and "AccessDenied" in code):
            return AuthError(
                SERVICE,
                t("cerr.odoo.credentials", where=where, login=self.login),
                hint=t("cerr.odoo.auth.fix"),
            )
        if code == 4:
            return PermissionDenied(
                SERVICE,
                f"{where}: {summary}",
                hint=t("cerr.odoo.no_access.fix", login=self.login),
            )
        if code == 2 or (isinstance(code, str) and code.startswith("warning")):
            return OdooWarning(SERVICE, f"{where}: {summary}", code=2)
        if "database" in summary and "does not exist" in summary:
            return OdooFault(
                SERVICE,
                t("cerr.odoo.no_database", where=where, db=self.db),
                code=code,
                hint=t("cerr.odoo.no_database.fix"),
            )
        return OdooFault(SERVICE, f"{where}: {summary}", code=code)

    # -- common service ---------------------------------------------------------------------------

    async def version(self) -> dict[str, Any]:
        """``common.version()``: server version information (no authentication)."""
        result = await self._rpc("common", "version", (), endpoint="common version", idempotent=True)
        if not isinstance(result, dict):
            raise OdooFault(SERVICE, t("cerr.odoo.unexpected", where="common version"), code=1)
        return result

    async def authenticate(self) -> int:
        """Log in and remember the uid.

        Returns:
            The user id.

        Raises:
            AuthError: the login or API key was refused (Odoo answers ``False``).
            OdooFault: e.g. the database does not exist.
        """
        uid = await self._rpc(
            "common",
            "authenticate",
            (self.db, self.login, self._key.reveal(), {}),
            endpoint="common authenticate",
            idempotent=True,
        )
        if uid is False or not isinstance(uid, int) or isinstance(uid, bool):
            raise AuthError(
                SERVICE,
                t("cerr.odoo.login_refused", login=self.login, db=self.db),
                hint=t("cerr.odoo.auth.fix"),
            )
        self.uid = uid
        return uid

    async def _ensure_uid(self) -> int:
        if self.uid is None:
            async with self._auth_lock:
                if self.uid is None:
                    await self.authenticate()
        assert self.uid is not None
        return self.uid

    # -- object service ---------------------------------------------------------------------------

    async def execute_kw(self, model: str, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call ``model.method(*args, **kwargs)`` through ``object.execute_kw``.

        Authenticates first when needed. Keyword arguments set to ``None`` are not sent.

        Raises:
            AuthError: fault 3 (the key was revoked since login).
            PermissionDenied: fault 4.
            OdooWarning: fault 2.
            OdooFault: fault 1 (one line, never the traceback).
            OdooTimeout, NetworkError, ServerError: transport failures after retries.
        """
        uid = await self._ensure_uid()
        kw = {k: v for k, v in kwargs.items() if v is not None}
        params = [self.db, uid, self._key.reveal(), model, method, list(args)]
        if kw:
            params.append(kw)
        return await self._rpc(
            "object",
            "execute_kw",
            params,
            endpoint=f"execute_kw {model}.{method}",
            idempotent=method in _IDEMPOTENT,
        )

    async def search_read(
        self,
        model: str,
        domain: Sequence[Any] = (),
        fields: Sequence[str] | None = None,
        *,
        offset: int = 0,
        limit: int | None = None,
        order: str | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """``search_read``: matching records as dicts (``id`` always included)."""
        result = await self.execute_kw(
            model,
            "search_read",
            list(domain),
            fields=list(fields) if fields is not None else None,
            offset=offset or None,
            limit=limit,
            order=order,
            context=dict(context) if context else None,
        )
        return list(result)

    async def search_count(
        self, model: str, domain: Sequence[Any] = (), *, context: Mapping[str, Any] | None = None
    ) -> int:
        """``search_count``: number of matching records."""
        return int(
            await self.execute_kw(
                model, "search_count", list(domain), context=dict(context) if context else None
            )
        )

    async def read(
        self, model: str, ids: Sequence[int], fields: Sequence[str] | None = None
    ) -> list[dict[str, Any]]:
        """``read``: records by id (archived ones included)."""
        result = await self.execute_kw(
            model, "read", list(ids), fields=list(fields) if fields is not None else None
        )
        return list(result)

    async def fields_get(
        self, model: str, attributes: Sequence[str] = ("string", "type", "relation", "store")
    ) -> dict[str, dict[str, Any]]:
        """``fields_get``: field name -> requested attributes."""
        result = await self.execute_kw(model, "fields_get", [], attributes=list(attributes))
        return dict(result)

    async def iter_records(
        self,
        model: str,
        domain: Sequence[Any] = (),
        fields: Sequence[str] | None = None,
        *,
        cursor: Cursor | None = None,
        page: int = 500,
        overlap_seconds: float = 300.0,
        seen: Container[tuple[int, str]] | None = None,
        include_archived: bool = False,
        context: Mapping[str, Any] | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """Read every record changed since ``cursor``, in ``(write_date, id)`` order, page by page.

        Odoo stores ``write_date`` with microseconds but returns it cut to the second
        (odoo/odoo#24102; only 18.4 changed it). So ``write_date = <returned value>`` matches
        nothing and ``write_date > <returned value>`` re-reads that whole second: a keyset on the
        returned value either skips rows or, when a page is full of rows sharing one second (a
        bulk import), fetches the same page forever. Instead every page asks for
        ``write_date >= <last second>`` ordered by ``(write_date, id)`` and leaves out the ids
        already taken within that second (``id not in [...]``), so each page brings only new rows
        and the read always progresses; the list is reset when the last second moves on.

        The first page starts ``overlap_seconds`` before the cursor: Odoo stamps ``write_date``
        at transaction start, so a long transaction can commit rows dated before a cursor already
        passed (WIRE §3.3). The overlap rows come again and the loader's upsert absorbs them.

        Args:
            model: e.g. ``"sale.order.line"``.
            domain: extra conditions (Odoo domain), combined with the cursor by AND.
            fields: fields to read (``write_date`` is added when missing); None for all.
            cursor: ``(write_date, id)`` of the last record of the previous run, or None for a full
                read.
            page: records per call.
            overlap_seconds: how far before the cursor to re-read.
            seen: ``(id, write_date)`` pairs already loaded (typically those of the overlap
                window); such rows are skipped.
            include_archived: also read archived records (context ``active_test=False``).
            context: extra Odoo context.

        Yields:
            Records in ``(write_date, id)`` order, each at most once per call. The new cursor is
            the ``(write_date, id)`` of the last record yielded (keep the old one when nothing is
            yielded).
        """
        if page < 1:
            raise ValueError("page must be at least 1")
        names = None if fields is None else list(dict.fromkeys([*fields, "write_date"]))
        ctx = dict(context or {})
        if include_archived:
            ctx["active_test"] = False
        second: str | None = None if cursor is None else _shift(cursor[0], overlap_seconds)
        taken: set[int] = set()
        while True:
            keyset: list[Any] = []
            if second is not None:
                keyset.append(["write_date", ">=", second])
            if taken:
                keyset.append(["id", "not in", sorted(taken)])
            rows = await self.search_read(
                model,
                [*domain, *keyset],
                names,
                limit=page,
                order="write_date asc, id asc",
                context=ctx or None,
            )
            for row in rows:
                if seen is not None and (int(row["id"]), str(row.get("write_date") or "")) in seen:
                    continue
                yield row
            if len(rows) < page:
                return
            last = str(rows[-1].get("write_date") or "")
            if not last:
                # No write_date at all (cannot happen on a real model): fall back to excluding ids.
                taken.update(int(r["id"]) for r in rows)
                continue
            if last != second:
                second, taken = last, set()
            taken.update(int(r["id"]) for r in rows if str(r.get("write_date") or "") == last)

    # -- connectors test ----------------------------------------------------------------------------

    async def check(self, models: Mapping[str, Sequence[str]] | None = None) -> OdooCheck:
        """Verdict for ``crmtui connectors test``: reachable, credentials, models and fields.

        Never raises for service problems: every failure becomes a plain message in the result.

        Args:
            models: model -> fields the caller needs (default :data:`ETL_FIELDS`).
        """
        wanted = ETL_FIELDS if models is None else models
        try:
            info = await self.version()
        except ConnectorError as err:
            return OdooCheck(
                False, t("cerr.odoo.unreachable", url=self.base_url, detail=err.message), problems=[str(err)]
            )
        version = str(info.get("server_version", ""))
        try:
            uid = await self.authenticate()
        except ConnectorError as err:
            return OdooCheck(False, err.message, server_version=version, problems=[str(err)])
        result = OdooCheck(True, "", server_version=version, uid=uid)
        for model, needed in wanted.items():
            try:
                result.counts[model] = await self.search_count(model)
                available = await self.fields_get(model, ("type",))
            except ConnectorError as err:
                result.problems.append(f"{model}: {err.message}")
                continue
            missing = [name for name in needed if name not in available]
            if missing:
                result.warnings.append(t("cerr.odoo.fields_missing", model=model, fields=", ".join(missing)))
        result.ok = not result.problems
        if result.ok:
            result.message = t("cerr.odoo.check_ok", version=version, db=self.db, login=self.login, uid=uid)
        else:
            result.message = t("cerr.odoo.models_unreadable", version=version, n=len(result.problems))
        return result
