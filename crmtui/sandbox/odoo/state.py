"""The database one simulator holds: records by model, ACL refusals, the clock, and read values
(display names, computed fields, the shape ``read`` returns)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.types import ASGIApp

from crmtui.sandbox.control import SimControl
from crmtui.sandbox.odoo.auth import _Users
from crmtui.sandbox.odoo.models import _schema

DEFAULT_DB = "domaine-sandbox"
DEFAULT_LOGIN = "api@domaine-exemple.fr"
DEFAULT_KEY = "sandbox-odoo-key"
DEFAULT_UID = 2

DATE_FMT = "%Y-%m-%d"
DATETIME_FMT = "%Y-%m-%d %H:%M:%S"
STORED_FMT = "%Y-%m-%d %H:%M:%S.%f"
"""How datetimes are kept in :attr:`OdooSim.records` (microseconds, like PostgreSQL); every answer
cuts them to :data:`DATETIME_FMT`, like Odoo before 18.4 (odoo/odoo#24102)."""

TAX_RATE = 0.20

Record = dict[str, Any]
Pred = Callable[[Record], bool]


class ManualClock:
    """A clock the tests move by hand: ``clock()`` returns the current UTC datetime.

    Args:
        start: the first instant (naive values are taken as UTC).
    """

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2024, 6, 1, 9, 0, 0, tzinfo=UTC)
        self.now = start if start.tzinfo else start.replace(tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float = 1.0) -> datetime:
        """Move the clock forward and return the new instant."""
        self.now += timedelta(seconds=seconds)
        return self.now

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (forwards or backwards: Odoo's write_date is the transaction start)."""
        self.now = when if when.tzinfo else when.replace(tzinfo=UTC)


class OdooState:
    """An in-memory Odoo 17 database behind the XML-RPC external API.

    Args:
        db: the only database name accepted.
        users: ``login -> (uid, password or API key)``; default one API user.
        clock: returns the current time (UTC; naive means UTC). ``create_date``/``write_date`` use it
            truncated to the second.
        control: shared test controls (a new one by default).
        strict_nonstored: fault when a domain uses a non-stored field without search method
            (``False`` mimics Odoo 16/17, which log an error and ignore the leaf).

    Attributes:
        app: the ASGI app wrapped with the shared controls (serve it or mount it in httpx).
        control: the :class:`SimControl` (counters, latency, faults). Besides the per-endpoint
            keys, each call that reaches the service counts ``"execute_kw <model>.<method>"`` or
            ``"common <method>"``.
        records: ``model -> id -> stored values`` (many2one as an int id or ``False``).
        acl: ``model -> set of refused modes`` (``read``, ``write``, ``create``, ``unlink``).
    """

    def __init__(
        self,
        *,
        db: str = DEFAULT_DB,
        users: Mapping[str, tuple[int, str]] | None = None,
        clock: Callable[[], datetime] | None = None,
        control: SimControl | None = None,
        strict_nonstored: bool = True,
    ) -> None:
        self.db = db
        self.users = _Users(dict(users) if users is not None else {DEFAULT_LOGIN: (DEFAULT_UID, DEFAULT_KEY)})
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.control = control or SimControl()
        self.strict_nonstored = strict_nonstored
        self.models = _schema()
        self.records: dict[str, dict[int, Record]] = {}
        self.acl: dict[str, set[str]] = {}
        self._next_id: dict[str, int] = {}
        self._so_seq = 0
        self.reset()
        self.app: ASGIApp = self._build_app()
        """The ASGI app wrapped with the shared controls (serve it or mount it in httpx)."""

    def _build_app(self) -> ASGIApp:
        """The routes of every RPC path, under the shared controls; see :mod:`.rpc`."""
        raise NotImplementedError

    # ---- public helpers --------------------------------------------------------------------------

    def reset(self) -> None:
        """Drop every record, ACL refusal, call counter and pending fault."""
        self.records = {name: {} for name in self.models}
        self._next_id = dict.fromkeys(self.models, 1)
        self._so_seq = 0
        self.acl = {}
        self.control.reset()

    def now(self) -> str:
        """The clock as an Odoo datetime string (UTC, whole seconds)."""
        moment = self.clock()
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
        return moment.strftime(DATETIME_FMT)

    def stamp(self) -> str:
        """The clock as Odoo *stores* it: with microseconds (PostgreSQL ``timestamp``).

        Real Odoo keeps ``write_date``/``create_date`` to the microsecond but returns them cut to
        the second (odoo/odoo#24102, never fixed before 18.4: PR #30734 unmerged, PR #203626), so
        ``write_date = '<returned second>'`` matches nothing and ``>`` re-reads that second.
        """
        moment = self.clock()
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
        return moment.strftime(STORED_FMT)

    def deny(self, model: str, *modes: str) -> None:
        """Refuse ``modes`` (``read``, ``write``, ``create``, ``unlink``; all when none) on ``model``."""
        self.acl.setdefault(model, set()).update(modes or ("read", "write", "create", "unlink"))

    def allow(self, model: str) -> None:
        """Lift every refusal set with :meth:`deny` on ``model``."""
        self.acl.pop(model, None)

    def get(self, model: str, rid: int) -> Record:
        """The stored values of one record (raises ``KeyError`` when absent)."""
        return self.records[model][rid]

    # ---- values --------------------------------------------------------------------------------

    def value(self, model: str, rec: Record, name: str) -> Any:
        """The value of ``name`` on ``rec`` (stored, or computed for non-stored fields)."""
        fdef = self.models[model].fields[name]
        if fdef.store:
            return rec.get(name, False)
        if name == "display_name":
            return self.display_name(model, rec)
        if model == "stock.quant" and name == "available_quantity":
            return round(float(rec.get("quantity") or 0.0) - float(rec.get("reserved_quantity") or 0.0), 3)
        if model == "product.product" and name == "lst_price":
            return rec.get("list_price", False)
        if model == "product.product" and name == "qty_available":
            return self._qty_available(rec["id"])
        return False

    def display_name(self, model: str, rec: Record) -> str:
        """Odoo's display name for a record of ``model``."""
        if model in ("product.category", "stock.location"):
            return str(rec.get("complete_name") or rec.get("name") or "")
        if model == "res.partner":
            return str(rec.get("complete_name") or rec.get("name") or "")
        if model == "product.product":
            code = rec.get("default_code")
            return f"[{code}] {rec.get('name')}" if code else str(rec.get("name") or "")
        if model == "sale.order.line":
            order = self.records["sale.order"].get(rec.get("order_id") or 0)
            first = str(rec.get("name") or "").split("\n")[0]
            return f"{order['name']} - {first}" if order else first
        if model == "stock.quant":
            loc = self.records["stock.location"].get(rec.get("location_id") or 0)
            return self.display_name("stock.location", loc) if loc else str(rec["id"])
        return str(rec.get("name") or f"{model},{rec['id']}")

    def _present(self, model: str, rec: Record, names: list[str]) -> Record:
        out: Record = {}
        fields = self.models[model].fields
        for name in names:
            fdef = fields[name]
            val = self.value(model, rec, name)
            if fdef.type == "many2one":
                target = self.records[fdef.relation].get(val) if val else None
                out[name] = [val, self.display_name(fdef.relation, target)] if target else False
            elif fdef.type == "many2many":
                out[name] = list(val or [])
            elif val is None:
                out[name] = False
            elif fdef.type == "datetime" and isinstance(val, str):
                out[name] = val[:19]  # stored with microseconds, returned to the second (#24102)
            else:
                out[name] = val
        return out

    def _qty_available(self, product_id: int) -> float:
        locs = self.records["stock.location"]
        total = 0.0
        for q in self.records["stock.quant"].values():
            if q.get("product_id") == product_id:
                loc = locs.get(q.get("location_id") or 0)
                if loc and loc.get("usage") == "internal":
                    total += float(q.get("quantity") or 0.0)
        return round(total, 3)
