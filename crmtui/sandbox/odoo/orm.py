"""Odoo 17 simulator: the external XML-RPC API (``/xmlrpc/2/common`` and ``/xmlrpc/2/object``).

What it reproduces (WIRE.md §3 is the authority):

- Marshalling with the stdlib ``xmlrpc.client`` and ``allow_none=False`` semantics: an empty value
  is ``False``, never ``<nil/>``. Responses are method responses; faults carry **integer** codes:
  ``1`` application error (faultString is a traceback ending with ``ExcType: message``), ``2``
  warning (UserError / ValidationError / MissingError, plain message), ``3`` ``Access Denied``
  (wrong uid or password/API key on ``execute_kw``), ``4`` AccessError (ACL refusal, plain
  message).
- ``common``: ``version()``, ``authenticate(db, login, key, {})`` (uid or ``False``, never a
  fault for bad credentials), ``login(db, login, key)``. ``db``: ``list()``, ``server_version()``.
- ``object``: ``execute_kw(db, uid, key, model, method, args, kwargs?)`` with ``search``,
  ``search_count``, ``read``, ``search_read``, ``fields_get``, ``create``, ``write``, ``unlink``.
- Domains in prefix notation (``&``, ``|``, ``!``, implicit ``&``), the usual operators, dotted
  paths through many2one / many2many (evaluated as an ``any`` subquery with ``active_test=False``,
  as the ORM does), many2one compared to an id, a name or ``False``, ``child_of`` / ``parent_of``.
- ``order`` strings (``write_date asc, id asc``, ``nulls first/last``; PostgreSQL's default of
  NULLS LAST ascending and NULLS FIRST descending), ``offset``/``limit``, each model's default
  ``_order``.
- ``active_test``: an implicit ``('active', '=', True)`` on every search of a model with an
  ``active`` field unless the domain has a leaf on ``active`` or the context says
  ``active_test: False``. ``read`` by ids returns archived records.
- many2one read as ``[id, display_name]`` or ``False``; many2many as a list of ids; dates and
  datetimes as ``YYYY-MM-DD`` / ``YYYY-MM-DD HH:MM:SS`` strings in UTC; ``create_date`` and
  ``write_date`` set from an injectable clock with one-second resolution. A stored computed or
  related field that changes because of another record (order totals when a line changes, a
  line's ``state`` when its order is confirmed) also moves that record's ``write_date``.

Design choices where WIRE marks behaviour as unconfirmed or where this simulator is deliberately
stricter than Odoo (each is an attribute you can flip):

- ``strict_nonstored=True``: a domain leaf on a computed, non-stored field without a search method
  (``stock.quant.available_quantity``, ``product.product.lst_price``) is a fault 1. Odoo 16/17
  log an error and silently replace the leaf by TRUE; newer versions raise. Ordering on such a field
  is always a fault 1.
- Validation problems on ``create``/``write`` (unknown field, computed read-only field, missing
  required field, bad selection key, wrong type, dangling many2one id) answer fault 2 with a plain
  message. Real Odoo ignores unknown keys on ``create`` (with a server log line) and raises
  ``ValueError`` (fault 1) for an unknown key on ``write``; failing loudly surfaces connector bugs.
- Unknown database: fault 1 ending in ``psycopg2.OperationalError``; unknown model: fault 2
  "Object model.name doesn't exist" (Odoo 17 ``odoo/service/model.py``).
- ``read()`` of ids that no longer exist leaves them out.
- Besides ``/xmlrpc/2/*``: the legacy ``/xmlrpc/common`` and ``/xmlrpc/object`` (string fault
  codes), ``/jsonrpc`` and ``/web/webclient/version_info`` (odoorpc), ``execute`` next to
  ``execute_kw``.
- ``write_date``/``create_date`` (every datetime) stored with microseconds, returned cut to the
  second (odoo/odoo#24102).
- VAT: one 20 % tax on every sale order line (French still wine), so
  ``price_total = price_subtotal * 1.2``.

Models and fields (besides ``id``, ``display_name``, ``create_date``, ``write_date`` on every model):

- ``res.country``: name, code.
- ``res.partner.category`` (partner tags): name, color, parent_id, active.
- ``res.partner``: name, complete_name (stored computed), email, phone, mobile, is_company,
  parent_id, commercial_partner_id (stored computed), type, street, street2, city, zip,
  country_id, vat, ref, website, function, lang, comment, category_id (m2m tags), customer_rank,
  supplier_rank, active. Default order ``complete_name asc, id desc``.
- ``product.category``: name, parent_id, complete_name (``"Vins / Rouge"``; the display name).
- ``product.product``: name, default_code, barcode, categ_id, list_price, lst_price (computed,
  not stored, not searchable, writable through its inverse), standard_price, type
  (consu/service/product), sale_ok, purchase_ok, active, description_sale, qty_available (computed
  from internal quants, searchable, not sortable) and the estate's custom wine fields:
  ``x_vintage`` (integer year, ``False`` for non-vintage), ``x_region`` (char: Bordeaux,
  Bourgogne, Loire, Rhône, Champagne, Alsace, Languedoc, Provence...), ``x_appellation`` (char:
  the AOC, e.g. ``Pauillac``), ``x_grape`` (char: grape varieties, comma separated),
  ``x_color`` (selection ``red``/``white``/``rose``/``sparkling``/``fortified``), ``x_volume_ml``
  (integer: 375 demi, 750 bottle, 1500 magnum), ``x_alcohol`` (float, % vol). Display name is
  ``[default_code] name``.
- ``sale.order``: name (``S00001`` sequence), partner_id, date_order, state
  (draft/sent/sale/cancel, Odoo 17 has no ``done``), amount_untaxed, amount_tax, amount_total
  (stored computed), client_order_ref, note. A confirmed order cannot be unlinked (fault 2).
- ``sale.order.line``: order_id (cascade), sequence, product_id, name, product_uom_qty,
  price_unit, discount, price_subtotal, price_tax, price_total (stored computed),
  order_partner_id and state (stored related to the order), qty_delivered, display_type.
- ``stock.location``: name, complete_name (``WH/Stock``), location_id (parent), usage
  (supplier/view/internal/customer/inventory/production/transit), active.
- ``stock.quant``: product_id, location_id, quantity, reserved_quantity, available_quantity
  (computed, **not stored, not searchable, not sortable**), in_date.

many2one ``ondelete`` follows the ORM default: ``restrict`` when the field is required, ``set
null`` otherwise, unless the field says ``cascade``.
"""

from __future__ import annotations

import json
import re
import xmlrpc.client
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from crmtui.sandbox.control import SimControl, with_control

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

SERVER_VERSION: dict[str, Any] = {
    "server_version": "17.0",
    "server_version_info": [17, 0, 0, "final", 0, ""],
    "server_serie": "17.0",
    "protocol_version": 1,
}

Record = dict[str, Any]
Pred = Callable[[Record], bool]

# --------------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------------


class OdooError(Exception):
    """An error the simulated server turns into an XML-RPC fault.

    Args:
        code: the integer faultCode (1 application error, 2 warning, 3 Access Denied, 4 AccessError).
        message: the message (for code 1, the last line of the traceback).
        exc_type: for code 1, the exception class name shown at the end of the traceback.
    """

    def __init__(self, code: int, message: str, exc_type: str = "Exception") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.exc_type = exc_type

    def legacy_fault(self) -> xmlrpc.client.Fault:
        """The fault as the legacy ``/xmlrpc/<service>`` marshals it: a *string* faultCode
        (repo:odoo/odoo:odoo/service/wsgi_server.py ``xmlrpc_handle_exception_string``)."""
        if self.code == 3:
            return _string_fault("AccessDenied", self.message)
        if self.code == 2:
            return _string_fault(f"warning -- UserError\n\n{self.message}", "")
        if self.code == 4:
            return _string_fault(f"warning -- AccessError\n\n{self.message}", "")
        return _string_fault(self.message, _traceback(self.exc_type, self.message))

    def json_error(self) -> dict[str, Any]:
        """The ``error`` member of a JSON-RPC answer (repo:odoo/odoo:odoo/http.py ``serialize_exception``)."""
        name = {
            2: "odoo.exceptions.UserError",
            3: "odoo.exceptions.AccessDenied",
            4: "odoo.exceptions.AccessError",
        }.get(self.code, self.exc_type)
        return {
            "code": 200,
            "message": "Odoo Server Error",
            "data": {
                "name": name,
                "debug": _traceback(self.exc_type, self.message),
                "message": self.message,
                "arguments": [self.message],
                "context": {},
            },
        }

    def fault(self) -> xmlrpc.client.Fault:
        """The fault exactly as ``/xmlrpc/2`` marshals it."""
        if self.code == 1:
            return xmlrpc.client.Fault(1, _traceback(self.exc_type, self.message))
        return xmlrpc.client.Fault(self.code, self.message)


def _string_fault(code: str, text: str) -> xmlrpc.client.Fault:
    """A Fault with a string faultCode (typeshed says int; the legacy endpoints send strings)."""
    fault_code: Any = code
    return xmlrpc.client.Fault(fault_code, text)


def _traceback(exc_type: str, message: str) -> str:
    return (
        "Traceback (most recent call last):\n"
        '  File "/usr/lib/python3/dist-packages/odoo/addons/base/controllers/rpc.py", line 150, in xmlrpc_2\n'
        "    response = self._xmlrpc(service)\n"
        '  File "/usr/lib/python3/dist-packages/odoo/addons/base/controllers/rpc.py", line 127, in _xmlrpc\n'
        "    result = dispatch_rpc(service, method, params)\n"
        '  File "/usr/lib/python3/dist-packages/odoo/http.py", line 368, in dispatch_rpc\n'
        "    return dispatch(method, params)\n"
        '  File "/usr/lib/python3/dist-packages/odoo/service/model.py", line 39, in dispatch\n'
        "    res = execute_kw(db, uid, *params[3:])\n"
        f"{exc_type}: {message}\n"
    )


def app_error(exc_type: str, message: str) -> OdooError:
    """Fault 1 (any other exception), e.g. ``app_error("ValueError", "Invalid field")``."""
    return OdooError(1, message, exc_type)


def user_error(message: str) -> OdooError:
    """Fault 2 (UserError, ValidationError, MissingError): plain message."""
    return OdooError(2, message)


def access_denied() -> OdooError:
    """Fault 3: wrong uid or password/API key."""
    return OdooError(3, "Access Denied")


def access_error(message: str) -> OdooError:
    """Fault 4: ACL or record-rule refusal."""
    return OdooError(4, message)


# --------------------------------------------------------------------------------------------------
# Schema
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldDef:
    """One field of a simulated model.

    Attributes:
        type: Odoo field type (char, text, html, integer, float, monetary, boolean, date, datetime,
            selection, many2one, many2many).
        string: the label.
        relation: comodel for relational fields.
        required: refused empty on create.
        readonly: cannot be written through the API (stored computed / magic fields).
        store: has a column; non-stored fields are computed on read.
        searchable: may appear in a domain (non-stored fields need a search method).
        sortable: may appear in ``order``.
        selection: ``(key, label)`` pairs.
        default: value on create, or a callable ``(sim) -> value``.
        ondelete: many2one: ``cascade``, ``restrict`` or ``set null`` (empty: ORM default).
        help: tooltip text for ``fields_get``.
    """

    type: str
    string: str
    relation: str = ""
    required: bool = False
    readonly: bool = False
    store: bool = True
    searchable: bool = True
    sortable: bool = True
    selection: tuple[tuple[str, str], ...] = ()
    default: Any = False
    ondelete: str = ""
    help: str = ""


@dataclass
class ModelDef:
    """A simulated model: its fields, default order and hierarchy field."""

    name: str
    description: str
    fields: dict[str, FieldDef]
    order: str = "id"
    parent_name: str = ""


def _computed(ftype: str, string: str, *, searchable: bool = False, help: str = "", **kw: Any) -> FieldDef:
    return FieldDef(
        ftype, string, store=False, readonly=True, searchable=searchable, sortable=False, help=help, **kw
    )


def _stored_computed(ftype: str, string: str, **kw: Any) -> FieldDef:
    return FieldDef(ftype, string, readonly=True, **kw)


_COLORS = (
    ("red", "Rouge"),
    ("white", "Blanc"),
    ("rose", "Rosé"),
    ("sparkling", "Effervescent"),
    ("fortified", "Vin muté"),
)
_USAGES = (
    ("supplier", "Vendor Location"),
    ("view", "View"),
    ("internal", "Internal Location"),
    ("customer", "Customer Location"),
    ("inventory", "Inventory Loss"),
    ("production", "Production"),
    ("transit", "Transit Location"),
)
_SO_STATES = (
    ("draft", "Quotation"),
    ("sent", "Quotation Sent"),
    ("sale", "Sales Order"),
    ("cancel", "Cancelled"),
)


def _schema() -> dict[str, ModelDef]:
    f = FieldDef
    models = [
        ModelDef(
            "res.country",
            "Country",
            {"name": f("char", "Country Name", required=True), "code": f("char", "Country Code")},
            order="name",
        ),
        ModelDef(
            "res.partner.category",
            "Partner Tags",
            {
                "name": f("char", "Tag Name", required=True),
                "color": f("integer", "Color"),
                "parent_id": f(
                    "many2one", "Parent Category", relation="res.partner.category", ondelete="cascade"
                ),
                "active": f("boolean", "Active", default=True),
            },
            order="name",
            parent_name="parent_id",
        ),
        ModelDef(
            "res.partner",
            "Contact",
            {
                "name": f("char", "Name", required=True),
                "complete_name": _stored_computed("char", "Complete Name"),
                "email": f("char", "Email"),
                "phone": f("char", "Phone"),
                "mobile": f("char", "Mobile"),
                "is_company": f("boolean", "Is a Company"),
                "parent_id": f("many2one", "Related Company", relation="res.partner"),
                "commercial_partner_id": _stored_computed(
                    "many2one", "Commercial Entity", relation="res.partner"
                ),
                "type": f(
                    "selection",
                    "Address Type",
                    selection=(
                        ("contact", "Contact"),
                        ("invoice", "Invoice Address"),
                        ("delivery", "Delivery Address"),
                        ("other", "Other Address"),
                    ),
                    default="contact",
                ),
                "street": f("char", "Street"),
                "street2": f("char", "Street2"),
                "city": f("char", "City"),
                "zip": f("char", "Zip"),
                "country_id": f("many2one", "Country", relation="res.country", ondelete="restrict"),
                "vat": f("char", "Tax ID"),
                "ref": f("char", "Reference"),
                "website": f("char", "Website Link"),
                "function": f("char", "Job Position"),
                "lang": f("char", "Language", default="fr_FR"),
                "comment": f("html", "Notes"),
                "category_id": f("many2many", "Tags", relation="res.partner.category"),
                "customer_rank": f("integer", "Customer Rank"),
                "supplier_rank": f("integer", "Supplier Rank"),
                "active": f("boolean", "Active", default=True),
            },
            order="complete_name asc, id desc",
            parent_name="parent_id",
        ),
        ModelDef(
            "product.category",
            "Product Category",
            {
                "name": f("char", "Name", required=True),
                "parent_id": f(
                    "many2one", "Parent Category", relation="product.category", ondelete="cascade"
                ),
                "complete_name": _stored_computed("char", "Complete Name"),
            },
            order="complete_name",
            parent_name="parent_id",
        ),
        ModelDef(
            "product.product",
            "Product Variant",
            {
                "name": f("char", "Name", required=True),
                "default_code": f("char", "Internal Reference"),
                "barcode": f("char", "Barcode"),
                "categ_id": f("many2one", "Product Category", relation="product.category", required=True),
                "list_price": f("float", "Sales Price", default=1.0),
                "lst_price": _computed(
                    "float",
                    "Sales Price",
                    help="Price of the variant: list_price + price_extra (not stored).",
                ),
                "standard_price": f("float", "Cost"),
                "type": f(
                    "selection",
                    "Product Type",
                    selection=(
                        ("consu", "Consumable"),
                        ("service", "Service"),
                        ("product", "Storable Product"),
                    ),
                    default="consu",
                    required=True,
                ),
                "sale_ok": f("boolean", "Can be Sold", default=True),
                "purchase_ok": f("boolean", "Can be Purchased", default=True),
                "active": f("boolean", "Active", default=True),
                "description_sale": f("text", "Sales Description"),
                "qty_available": _computed(
                    "float", "Quantity On Hand", searchable=True, help="Sum of quants in internal locations."
                ),
                "x_vintage": f("integer", "Millésime", help="Vintage year; empty for non-vintage wines."),
                "x_region": f("char", "Région viticole"),
                "x_appellation": f("char", "Appellation (AOC)"),
                "x_grape": f("char", "Cépages", help="Grape varieties, comma separated."),
                "x_color": f("selection", "Couleur", selection=_COLORS),
                "x_volume_ml": f(
                    "integer", "Contenance (ml)", help="375 demi-bouteille, 750 bouteille, 1500 magnum."
                ),
                "x_alcohol": f("float", "Degré d'alcool (% vol.)"),
            },
            order="default_code, name, id",
        ),
        ModelDef(
            "sale.order",
            "Sales Order",
            {
                "name": f("char", "Order Reference", required=True, default=lambda sim: sim._next_so_name()),
                "partner_id": f("many2one", "Customer", relation="res.partner", required=True),
                "date_order": f("datetime", "Order Date", required=True, default=lambda sim: sim.now()),
                "state": f("selection", "Status", selection=_SO_STATES, default="draft"),
                "amount_untaxed": _stored_computed("monetary", "Untaxed Amount"),
                "amount_tax": _stored_computed("monetary", "Taxes"),
                "amount_total": _stored_computed("monetary", "Total"),
                "client_order_ref": f("char", "Customer Reference"),
                "note": f("html", "Terms and conditions"),
            },
            order="date_order desc, id desc",
        ),
        ModelDef(
            "sale.order.line",
            "Sales Order Line",
            {
                "order_id": f(
                    "many2one", "Order Reference", relation="sale.order", required=True, ondelete="cascade"
                ),
                "sequence": f("integer", "Sequence", default=10),
                "product_id": f("many2one", "Product", relation="product.product", ondelete="restrict"),
                "name": f("text", "Description", required=True),
                "product_uom_qty": f("float", "Quantity", default=1.0),
                "price_unit": f("float", "Unit Price"),
                "discount": f("float", "Discount (%)"),
                "price_subtotal": _stored_computed("monetary", "Subtotal"),
                "price_tax": _stored_computed("float", "Total Tax"),
                "price_total": _stored_computed("monetary", "Total"),
                "order_partner_id": _stored_computed("many2one", "Customer", relation="res.partner"),
                "state": _stored_computed("selection", "Order Status", selection=_SO_STATES),
                "qty_delivered": f("float", "Delivery Quantity"),
                "display_type": f(
                    "selection",
                    "Display Type",
                    selection=(("line_section", "Section"), ("line_note", "Note")),
                ),
            },
            order="order_id, sequence, id",
        ),
        ModelDef(
            "stock.location",
            "Inventory Locations",
            {
                "name": f("char", "Location Name", required=True),
                "complete_name": _stored_computed("char", "Full Location Name"),
                "location_id": f(
                    "many2one", "Parent Location", relation="stock.location", ondelete="cascade"
                ),
                "usage": f(
                    "selection", "Location Type", selection=_USAGES, default="internal", required=True
                ),
                "active": f("boolean", "Active", default=True),
            },
            order="complete_name, id",
            parent_name="location_id",
        ),
        ModelDef(
            "stock.quant",
            "Quants",
            {
                "product_id": f("many2one", "Product", relation="product.product", required=True),
                "location_id": f("many2one", "Location", relation="stock.location", required=True),
                "quantity": f("float", "Quantity"),
                "reserved_quantity": f("float", "Reserved Quantity"),
                "available_quantity": _computed(
                    "float", "Available Quantity", help="quantity - reserved_quantity (computed, not stored)."
                ),
                "in_date": f("datetime", "Incoming Date"),
            },
        ),
    ]
    out: dict[str, ModelDef] = {}
    for m in models:
        m.fields = {
            "id": FieldDef("integer", "ID", readonly=True),
            "display_name": _computed("char", "Display Name", searchable=True),
            **m.fields,
            "create_date": FieldDef("datetime", "Created on", readonly=True),
            "write_date": FieldDef("datetime", "Last Updated on", readonly=True),
        }
        out[m.name] = m
    return out


_READ_METHODS = {"search", "search_count", "read", "search_read"}
_ACCESS_MODE = {"write": "write", "create": "create", "unlink": "unlink"}
_ACCESS_VERB = {"read": "access", "write": "modify", "create": "create", "unlink": "delete"}

_OPERATORS = {
    "=",
    "!=",
    "<>",
    ">",
    ">=",
    "<",
    "<=",
    "in",
    "not in",
    "like",
    "ilike",
    "not like",
    "not ilike",
    "=like",
    "=ilike",
    "child_of",
    "parent_of",
}
_ORDER_RE = re.compile(r"^\s*([a-z0-9_]+)(?:\s+(asc|desc))?(?:\s+nulls\s+(first|last))?\s*$", re.IGNORECASE)
_CHARS = {"char", "text", "html", "selection"}
_NUMS = {"integer", "float", "monetary"}


def _empty(value: Any, ftype: str) -> bool:
    if value is None or value is False:
        return True
    return ftype in ("char", "text", "html") and value == ""


def _like_regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
        i += 1
    return re.compile("".join(out), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


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


# --------------------------------------------------------------------------------------------------
# The simulator
# --------------------------------------------------------------------------------------------------


@dataclass
class _Users:
    by_login: dict[str, tuple[int, str]] = field(default_factory=dict)

    def check(self, uid: Any, key: Any) -> bool:
        return any(u == uid and k == key for u, k in self.by_login.values()) and not isinstance(uid, bool)


class OdooSim:
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
        inner = Starlette(
            routes=[
                Route("/xmlrpc/2/common", self._common, methods=["POST"]),
                Route("/xmlrpc/2/object", self._object, methods=["POST"]),
                Route("/xmlrpc/2/db", self._db, methods=["POST"]),
                # The legacy paths, still served by Odoo 17 and used by odoo-client-lib by
                # default (repo:odoo/odoo:odoo/addons/base/controllers/rpc.py, ``/xmlrpc/<service>``):
                # same services, *string* fault codes (WIRE §3.2).
                Route("/xmlrpc/common", self._legacy_common, methods=["POST"]),
                Route("/xmlrpc/object", self._legacy_object, methods=["POST"]),
                # JSON-RPC, what odoorpc speaks (repo:odoo/odoo rpc.py ``/jsonrpc``; odoorpc
                # 0.10 rpc/__init__.py asks ``/web/webclient/version_info`` first).
                Route("/jsonrpc", self._jsonrpc, methods=["POST"]),
                Route("/web/webclient/version_info", self._version_info, methods=["POST"]),
            ]
        )
        self.app = with_control(
            inner,
            self.control,
            fault_body=lambda status: {"error": f"HTTP {status}", "status": status},
            count_prefix="",
        )

    # ---- public helpers --------------------------------------------------------------------------

    def reset(self) -> None:
        """Drop every record, ACL refusal, call counter and pending fault."""
        self.records = {name: {} for name in self.models}
        self._next_id = dict.fromkeys(self.models, 1)
        self._so_seq = 0
        self.acl = {}
        self.control.reset_calls()
        self.control.clear_faults()
        self.control.latency = 0.0

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

    def load(self, model: str, records: Iterable[Mapping[str, Any]]) -> list[int]:
        """Seed records directly, bypassing ACLs but not validation.

        Each mapping may carry ``id``, ``create_date`` and ``write_date`` (otherwise the id is the
        next in sequence and both dates are the clock). Many2one values are ids; many2many a list of
        ids. Stored computed fields are filled in.

        Returns:
            The ids, in input order.
        """
        ids = [self._create_one(model, dict(vals), seeding=True) for vals in records]
        self._after_load(model, ids)
        return ids

    def get(self, model: str, rid: int) -> Record:
        """The stored values of one record (raises ``KeyError`` when absent)."""
        return self.records[model][rid]

    # ---- HTTP endpoints --------------------------------------------------------------------------

    async def _parse(self, request: Request) -> tuple[str, tuple[Any, ...]]:
        body = await request.body()
        try:
            params, method = xmlrpc.client.loads(body, use_builtin_types=True)
        except Exception as exc:  # ExpatError, ResponseError...
            raise app_error(type(exc).__name__, str(exc) or "malformed XML-RPC request") from exc
        if not method:
            raise app_error("ValueError", "not an XML-RPC method call")
        return method, params

    async def _common(self, request: Request) -> Response:
        try:
            method, params = await self._parse(request)
            self.control.count(f"common {method}")
            result = self._dispatch_common(method, params)
        except OdooError as err:
            return _fault_response(err)
        return _response(result)

    async def _db(self, request: Request) -> Response:
        try:
            method, params = await self._parse(request)
            self.control.count(f"db {method}")
            if method == "list":
                result: Any = [self.db]
            elif method == "server_version":
                result = SERVER_VERSION["server_version"]
            else:
                raise app_error("KeyError", repr(f"exp_{method}"))
        except OdooError as err:
            return _fault_response(err)
        return _response(result)

    async def _object(self, request: Request) -> Response:
        try:
            method, params = await self._parse(request)
            result = self._dispatch_object(method, params)
        except OdooError as err:
            return _fault_response(err)
        return _response(result)

    def _dispatch_object(self, method: str, params: tuple[Any, ...]) -> Any:
        if method == "execute":
            # execute(db, uid, key, model, method, *args): execute_kw without keyword arguments.
            return self._execute_kw((*params[:5], list(params[5:]), {}))
        if method != "execute_kw":
            self.control.count(f"object {method}")
            raise app_error("NameError", f"Method not available {method}")
        return self._execute_kw(params)

    async def _legacy_common(self, request: Request) -> Response:
        try:
            method, params = await self._parse(request)
            self.control.count(f"common {method}")
            result = self._dispatch_common(method, params)
        except OdooError as err:
            return _fault_response(err, legacy=True)
        return _response(result)

    async def _legacy_object(self, request: Request) -> Response:
        try:
            method, params = await self._parse(request)
            result = self._dispatch_object(method, params)
        except OdooError as err:
            return _fault_response(err, legacy=True)
        return _response(result)

    async def _version_info(self, request: Request) -> Response:
        body = await _json_body(request)
        return JSONResponse({"jsonrpc": "2.0", "id": body.get("id"), "result": dict(SERVER_VERSION)})

    async def _jsonrpc(self, request: Request) -> Response:
        body = await _json_body(request)
        raw = body.get("params")
        params: dict[str, Any] = raw if isinstance(raw, dict) else {}
        service, method = params.get("service"), params.get("method")
        args = tuple(params.get("args") or ())
        try:
            if service == "common":
                self.control.count(f"common {method}")
                result = self._dispatch_common(str(method), args)
            elif service == "object":
                result = self._dispatch_object(str(method), args)
            elif service == "db" and method == "list":
                result = [self.db]
            else:
                raise app_error("KeyError", repr(f"exp_{method}"))
        except OdooError as err:
            return JSONResponse({"jsonrpc": "2.0", "id": body.get("id"), "error": err.json_error()})
        return JSONResponse({"jsonrpc": "2.0", "id": body.get("id"), "result": _sanitize(result)})

    # ---- common service ---------------------------------------------------------------------------

    def _dispatch_common(self, method: str, params: tuple[Any, ...]) -> Any:
        if method == "version":
            return dict(SERVER_VERSION)
        if method in ("authenticate", "login"):
            if len(params) < 3:
                raise app_error("TypeError", f"exp_{method}() missing required positional arguments")
            db, login, key = params[:3]
            self._check_db(db)
            user = self.users.by_login.get(login) if isinstance(login, str) else None
            if user is None or not key or user[1] != key:
                return False
            return user[0]
        if method == "about":
            return "See http://openerp.com"
        raise app_error("KeyError", repr(f"exp_{method}"))

    def _check_db(self, db: Any) -> None:
        if db != self.db:
            raise app_error(
                "psycopg2.OperationalError",
                'connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: '
                f'FATAL:  database "{db}" does not exist',
            )

    # ---- object service ---------------------------------------------------------------------------

    def _execute_kw(self, params: tuple[Any, ...]) -> Any:
        if len(params) < 6:
            raise app_error("TypeError", "execute_kw() missing required positional arguments")
        db, uid, key, model, method, args = params[:6]
        kwargs = params[6] if len(params) > 6 else {}
        self.control.count(f"execute_kw {model}.{method}")
        self._check_db(db)
        if not self.users.check(uid, key):
            raise access_denied()
        if model == "res.users" and method == "context_get":
            # What odoorpc's login asks right after ``common.login`` (odoorpc 0.10 odoo.py).
            return {"lang": "fr_FR", "tz": "Europe/Paris", "uid": uid}
        if model == "ir.model" and method in ("search", "search_count"):
            # odoorpc's ``env[model]`` checks the model exists this way (odoorpc 0.10 env.py).
            wanted = [leaf[2] for leaf in (args[0] if args else []) if isinstance(leaf, list | tuple)]
            found = [i for i, name in enumerate(self.models, start=1) if name in wanted]
            return len(found) if method == "search_count" else found
        if not isinstance(model, str) or model not in self.models:
            # Odoo 17 odoo/service/model.py: ``raise UserError(_("Object %s doesn't exist", model))``.
            raise user_error(f"Object {model} doesn't exist")
        if not isinstance(method, str) or method.startswith("_"):
            raise app_error(
                "AttributeError", f"Private methods (such as {method}) cannot be called remotely."
            )
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise app_error(
                "TypeError", "execute_kw() expects a list of arguments and a dict of keyword arguments"
            )
        kwargs = dict(kwargs)
        context = kwargs.pop("context", None) or {}
        if not isinstance(context, dict):
            raise app_error("TypeError", "context must be a dictionary")
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            raise app_error("AttributeError", f"The method '{method}' does not exist on the model '{model}'")
        mode = "read" if method in _READ_METHODS else _ACCESS_MODE.get(method)
        if mode and mode in self.acl.get(model, ()):
            raise access_error(
                f"You are not allowed to {_ACCESS_VERB[mode]} '{self.models[model].description}' ({model}) records.\n\n"
                "This operation is allowed for the following groups:\n\t- Administration/Settings\n\n"
                "Contact your administrator to request access if necessary."
            )
        try:
            return handler(model, context, *args, **kwargs)
        except TypeError as exc:
            raise app_error("TypeError", str(exc).replace("_m_", "")) from exc

    # ---- ORM methods ------------------------------------------------------------------------------

    def _m_search(
        self,
        model: str,
        context: dict[str, Any],
        domain: Any = None,
        offset: Any = 0,
        limit: Any = None,
        order: Any = None,
    ) -> list[int]:
        return [r["id"] for r in self._search(model, domain or [], context, offset, limit, order)]

    def _m_search_count(
        self, model: str, context: dict[str, Any], domain: Any = None, limit: Any = None
    ) -> int:
        return len(self._search(model, domain or [], context, 0, limit, None, sort=False))

    def _m_read(
        self,
        model: str,
        context: dict[str, Any],
        ids: Any = None,
        fields: Any = None,
        load: Any = "_classic_read",
    ) -> list[Record]:
        ids = self._ids(ids)
        names = self._field_names(model, fields)
        table = self.records[model]
        # Ids that no longer exist are left out, not a fault (measured on Odoo 17, WIRE §3.3).
        return [self._present(model, table[i], names) for i in ids if i in table]

    def _m_search_read(
        self,
        model: str,
        context: dict[str, Any],
        domain: Any = None,
        fields: Any = None,
        offset: Any = 0,
        limit: Any = None,
        order: Any = None,
    ) -> list[Record]:
        names = self._field_names(model, fields)
        return [
            self._present(model, r, names)
            for r in self._search(model, domain or [], context, offset, limit, order)
        ]

    def _m_fields_get(
        self, model: str, context: dict[str, Any], allfields: Any = None, attributes: Any = None
    ) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for name, fdef in self.models[model].fields.items():
            if allfields and name not in allfields:
                continue
            desc: dict[str, Any] = {
                "name": name,
                "type": fdef.type,
                "string": fdef.string,
                "help": fdef.help or False,
                "required": fdef.required,
                "readonly": fdef.readonly,
                "store": fdef.store,
                "searchable": fdef.searchable,
                "sortable": fdef.sortable and fdef.store,
                "manual": name.startswith("x_"),
            }
            if fdef.relation:
                desc["relation"] = fdef.relation
            if fdef.type == "selection":
                desc["selection"] = [list(p) for p in fdef.selection]
            if attributes:
                desc = {k: v for k, v in desc.items() if k in attributes}
            out[name] = desc
        return out

    def _m_create(self, model: str, context: dict[str, Any], vals: Any = None) -> int | list[int]:
        if isinstance(vals, list):
            for v in vals:  # all or nothing: check every row before creating any
                self._precheck(model, self._vals(v))
            ids = [self._create_one(model, v) for v in vals]
            for i in ids:
                self._cascade(model, i)
            return ids
        rid = self._create_one(model, self._vals(vals))
        self._cascade(model, rid)
        return rid

    def _m_write(self, model: str, context: dict[str, Any], ids: Any = None, vals: Any = None) -> bool:
        ids = self._ids(ids)
        vals = self._vals(vals)
        table = self.records[model]
        missing = [i for i in ids if i not in table]
        if missing:
            raise self._missing(model, missing)
        clean = self._validate(model, vals, creating=False)
        stamp = self.stamp()
        for rid in ids:
            rec = table[rid]
            rec.update(clean)
            rec["write_date"] = stamp
            self._recompute(model, rec)
        for rid in ids:
            self._cascade(model, rid)
        return True

    def _m_unlink(self, model: str, context: dict[str, Any], ids: Any = None) -> bool:
        ids = self._ids(ids)
        table = self.records[model]
        missing = [i for i in ids if i not in table]
        if missing:
            raise self._missing(model, missing)
        if model == "sale.order":
            for rid in ids:
                if table[rid].get("state") == "sale":
                    raise user_error(
                        "You can not delete a sent quotation or a confirmed sales order. You must first cancel it."
                    )
        self._delete(model, set(ids))
        return True

    # ---- argument helpers -------------------------------------------------------------------------

    @staticmethod
    def _ids(ids: Any) -> list[int]:
        if isinstance(ids, int) and not isinstance(ids, bool):
            return [ids]
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise app_error("TypeError", f"ids must be a list of integers, got {ids!r}")
        return ids

    @staticmethod
    def _vals(vals: Any) -> dict[str, Any]:
        if not isinstance(vals, dict):
            raise app_error("TypeError", f"values must be a dictionary, got {type(vals).__name__}")
        return vals

    def _missing(self, model: str, ids: list[int]) -> OdooError:
        shown = ", ".join(str(i) for i in ids)
        return user_error(
            f"Record does not exist or has been deleted.\n(Record: {model}({shown},), User: {DEFAULT_UID})"
        )

    def _field_names(self, model: str, fields: Any) -> list[str]:
        mdef = self.models[model]
        if not fields:
            return list(mdef.fields)
        if not isinstance(fields, list) or not all(isinstance(n, str) for n in fields):
            raise app_error("TypeError", f"fields must be a list of field names, got {fields!r}")
        for name in fields:
            if name not in mdef.fields:
                raise app_error("ValueError", f"Invalid field {name!r} on model {model!r}")
        return ["id", *[n for n in fields if n != "id"]]

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

    # ---- create / validate -----------------------------------------------------------------------

    def _validate(
        self, model: str, vals: Mapping[str, Any], *, creating: bool, seeding: bool = False
    ) -> Record:
        mdef = self.models[model]
        clean: Record = {}
        for name, val in vals.items():
            fdef = mdef.fields.get(name)
            if fdef is None:
                raise user_error(f"Invalid field '{name}' on model '{model}'.")
            if seeding and name in ("id", "create_date", "write_date"):
                clean[name] = self._convert(model, name, fdef, val) if name != "id" else val
                continue
            if model == "product.product" and name == "lst_price":
                name, fdef = "list_price", mdef.fields["list_price"]
            elif fdef.readonly:
                raise user_error(
                    f"The field '{fdef.string}' ({model}.{name}) is read-only and cannot be written."
                )
            clean[name] = self._convert(model, name, fdef, val)
        if creating:
            for name, fdef in mdef.fields.items():
                if name in clean or not fdef.store or fdef.readonly:
                    continue
                clean[name] = fdef.default(self) if callable(fdef.default) else fdef.default
            for name, fdef in mdef.fields.items():
                if fdef.required and _empty(clean.get(name, False), fdef.type):
                    raise user_error(
                        "The operation cannot be completed:\n"
                        f"- Create/update: a mandatory field is not set.\n"
                        f"Model: {mdef.description} ({model})\nField: {fdef.string} ({name})"
                    )
        else:
            for name, val in clean.items():
                fdef = mdef.fields[name]
                if fdef.required and _empty(val, fdef.type):
                    raise user_error(
                        "The operation cannot be completed:\n"
                        f"- Create/update: a mandatory field is not set.\n"
                        f"Model: {mdef.description} ({model})\nField: {fdef.string} ({name})"
                    )
        return clean

    def _precheck(self, model: str, vals: Mapping[str, Any]) -> None:
        self._validate(model, vals, creating=False)
        for name, fdef in self.models[model].fields.items():
            if fdef.required and name not in vals and not fdef.default:
                raise user_error(
                    "The operation cannot be completed:\n"
                    "- Create/update: a mandatory field is not set.\n"
                    f"Model: {self.models[model].description} ({model})\nField: {fdef.string} ({name})"
                )

    def _convert(self, model: str, name: str, fdef: FieldDef, val: Any) -> Any:
        where = f"{model}.{name}"
        t = fdef.type
        if t == "boolean":
            return bool(val)
        if val is False or val is None:
            return [] if t == "many2many" else False
        if t in ("char", "text", "html"):
            if not isinstance(val, str):
                raise user_error(f"Wrong value for {where}: {val!r} is not a text.")
            return val
        if t == "integer":
            if isinstance(val, bool) or not isinstance(val, int):
                raise user_error(f"Wrong value for {where}: {val!r} is not an integer.")
            return val
        if t in ("float", "monetary"):
            if isinstance(val, bool) or not isinstance(val, int | float):
                raise user_error(f"Wrong value for {where}: {val!r} is not a number.")
            return float(val)
        if t == "selection":
            if val not in {k for k, _ in fdef.selection}:
                raise user_error(f"Wrong value for {where}: {val!r}")
            return val
        if t == "date":
            try:
                return datetime.strptime(str(val)[:10], DATE_FMT).strftime(DATE_FMT)
            except ValueError as exc:
                raise user_error(f"Wrong value for {where}: {val!r} is not a date (YYYY-MM-DD).") from exc
        if t == "datetime":
            text = val if isinstance(val, str) else ""
            for fmt in (STORED_FMT, DATETIME_FMT, DATE_FMT):
                try:
                    return datetime.strptime(text, fmt).strftime(STORED_FMT)
                except ValueError:
                    continue
            raise user_error(f"Wrong value for {where}: {val!r} is not a datetime (YYYY-MM-DD HH:MM:SS).")
        if t == "many2one":
            if isinstance(val, list | tuple) and val:
                val = val[0]
            if isinstance(val, bool) or not isinstance(val, int) or val not in self.records[fdef.relation]:
                raise user_error(
                    f"Wrong value for {where}: {val!r} is not an existing {fdef.relation} record."
                )
            return val
        if t == "many2many":
            return self._m2m_commands(where, fdef, val, [])
        raise user_error(f"Field {where} cannot be written.")

    def _m2m_commands(self, where: str, fdef: FieldDef, val: Any, current: list[int]) -> list[int]:
        if not isinstance(val, list):
            raise user_error(f"Wrong value for {where}: {val!r}")
        ids = list(current)
        table = self.records[fdef.relation]
        for cmd in val:
            if isinstance(cmd, int) and not isinstance(cmd, bool):
                cmd = [4, cmd]
            if not isinstance(cmd, list | tuple) or not cmd:
                raise user_error(f"Wrong value for {where}: {cmd!r} is not a command.")
            op = cmd[0]
            if op == 6:
                ids = list(cmd[2]) if len(cmd) > 2 else []
            elif op == 5:
                ids = []
            elif op == 4 and len(cmd) > 1:
                if cmd[1] not in ids:
                    ids.append(cmd[1])
            elif op in (3, 2) and len(cmd) > 1:
                ids = [i for i in ids if i != cmd[1]]
            else:
                raise user_error(f"Wrong value for {where}: unsupported command {cmd!r}.")
        for i in ids:
            if i not in table:
                raise user_error(f"Wrong value for {where}: {i!r} is not an existing {fdef.relation} record.")
        return ids

    def _create_one(self, model: str, vals: dict[str, Any], *, seeding: bool = False) -> int:
        clean = self._validate(model, vals, creating=True, seeding=seeding)
        table = self.records[model]
        rid = clean.pop("id", None) if seeding else None
        if rid is None:
            rid = self._next_id[model]
        elif rid in table:
            raise user_error(f"{model} record {rid} already exists.")
        self._next_id[model] = max(self._next_id[model], rid + 1)
        stamp = self.stamp()
        rec: Record = {"id": rid, **clean}
        rec.setdefault("create_date", stamp)
        rec.setdefault("write_date", stamp)
        if model == "sale.order":
            m = re.fullmatch(r"S(\d+)", str(rec.get("name")))
            if m:
                self._so_seq = max(self._so_seq, int(m.group(1)))
        table[rid] = rec
        self._recompute(model, rec)
        return rid

    def _next_so_name(self) -> str:
        self._so_seq += 1
        return f"S{self._so_seq:05d}"

    # ---- stored computed fields ------------------------------------------------------------------

    def _chain_name(self, model: str, rec: Record, parent: str, sep: str) -> str:
        names = [str(rec.get("name") or "")]
        seen = {rec["id"]}
        table = self.records[model]
        cur = table.get(rec.get(parent) or 0)
        while cur is not None and cur["id"] not in seen:
            seen.add(cur["id"])
            names.append(str(cur.get("name") or ""))
            cur = table.get(cur.get(parent) or 0)
        return sep.join(reversed(names))

    def _recompute(self, model: str, rec: Record) -> None:
        if model == "product.category":
            rec["complete_name"] = self._chain_name(model, rec, "parent_id", " / ")
        elif model == "stock.location":
            rec["complete_name"] = self._chain_name(model, rec, "location_id", "/")
        elif model == "res.partner":
            parent = self.records[model].get(rec.get("parent_id") or 0)
            if parent is not None and not rec.get("is_company"):
                rec["complete_name"] = f"{parent.get('name')}, {rec.get('name')}"
            else:
                rec["complete_name"] = rec.get("name") or ""
            top, seen = rec, {rec["id"]}
            while not top.get("is_company") and top.get("parent_id") and top["parent_id"] not in seen:
                nxt = self.records[model].get(top["parent_id"])
                if nxt is None:
                    break
                seen.add(nxt["id"])
                top = nxt
            rec["commercial_partner_id"] = top["id"]
        elif model == "sale.order.line":
            qty = float(rec.get("product_uom_qty") or 0.0)
            price = float(rec.get("price_unit") or 0.0)
            disc = float(rec.get("discount") or 0.0)
            sub = round(qty * price * (1 - disc / 100.0), 2)
            tax = round(sub * TAX_RATE, 2)
            rec["price_subtotal"], rec["price_tax"], rec["price_total"] = sub, tax, round(sub + tax, 2)
            order = self.records["sale.order"].get(rec.get("order_id") or 0)
            rec["order_partner_id"] = order.get("partner_id", False) if order else False
            rec["state"] = order.get("state", False) if order else False
        elif model == "sale.order":
            rec.setdefault("amount_untaxed", 0.0)
            rec.setdefault("amount_tax", 0.0)
            rec.setdefault("amount_total", 0.0)

    def _order_totals(self, order: Record, lines: Iterable[Record]) -> dict[str, float]:
        untaxed = tax = 0.0
        for line in lines:
            untaxed += float(line.get("price_subtotal") or 0.0)
            tax += float(line.get("price_tax") or 0.0)
        return {
            "amount_untaxed": round(untaxed, 2),
            "amount_tax": round(tax, 2),
            "amount_total": round(untaxed + tax, 2),
        }

    def _touch_if_changed(self, rec: Record, new: Record, stamp: str) -> None:
        if any(rec.get(k) != v for k, v in new.items()):
            rec.update(new)
            rec["write_date"] = stamp

    def _cascade(self, model: str, rid: int) -> None:
        """Propagate a change of ``model``/``rid`` to stored computed fields of other records."""
        stamp = self.stamp()
        if model == "sale.order.line":
            line = self.records[model].get(rid)
            if line:
                self._refresh_order(line.get("order_id"), stamp)
        elif model == "sale.order":
            order = self.records[model].get(rid)
            if order is None:
                return
            for line in self.records["sale.order.line"].values():
                if line.get("order_id") == rid:
                    self._touch_if_changed(
                        line,
                        {"state": order.get("state"), "order_partner_id": order.get("partner_id")},
                        stamp,
                    )
        elif model in ("product.category", "stock.location", "res.partner"):
            for other in self.records[model].values():
                if other["id"] != rid:
                    before = (other.get("complete_name"), other.get("commercial_partner_id"))
                    self._recompute(model, other)
                    if (other.get("complete_name"), other.get("commercial_partner_id")) != before:
                        other["write_date"] = stamp

    def _refresh_order(self, order_id: Any, stamp: str) -> None:
        order = self.records["sale.order"].get(order_id or 0)
        if order is None:
            return
        lines = (ln for ln in self.records["sale.order.line"].values() if ln.get("order_id") == order_id)
        self._touch_if_changed(order, self._order_totals(order, lines), stamp)

    def _after_load(self, model: str, ids: list[int]) -> None:
        if model == "sale.order.line":
            by_order: dict[int, list[Record]] = {}
            for line in self.records[model].values():
                by_order.setdefault(line.get("order_id") or 0, []).append(line)
            touched = {self.records[model][i].get("order_id") for i in ids}
            for oid in touched:
                order = self.records["sale.order"].get(oid or 0)
                if order is not None:
                    order.update(self._order_totals(order, by_order.get(oid or 0, [])))
        elif model in ("product.category", "stock.location", "res.partner"):
            for rec in self.records[model].values():
                self._recompute(model, rec)

    # ---- unlink ------------------------------------------------------------------------------------

    def _delete(self, model: str, ids: set[int]) -> None:
        """Unlink ``ids`` with the ORM's ``ondelete`` rules; all or nothing."""
        plan: dict[str, set[int]] = {}
        self._plan_delete(model, set(ids), plan)
        stamp = self.stamp()
        orders = {
            line.get("order_id")
            for lid in plan.get("sale.order.line", set())
            if (line := self.records["sale.order.line"].get(lid)) is not None
        }
        for name, doomed in plan.items():
            for rid in doomed:
                self.records[name].pop(rid, None)
        for other_name, other in self.models.items():
            for fname, fdef in other.fields.items():
                doomed = plan.get(fdef.relation, set())
                if not doomed or not fdef.store:
                    continue
                for r in self.records[other_name].values():
                    if fdef.type == "many2one" and r.get(fname) in doomed:
                        r[fname] = False
                        if not fdef.readonly:
                            r["write_date"] = stamp
                    elif fdef.type == "many2many" and any(i in doomed for i in r.get(fname) or []):
                        r[fname] = [i for i in r[fname] if i not in doomed]
        for oid in orders:
            self._refresh_order(oid, stamp)

    def _plan_delete(self, model: str, ids: set[int], plan: dict[str, set[int]]) -> None:
        new = ids - plan.get(model, set())
        if not new:
            return
        plan.setdefault(model, set()).update(new)
        for other_name, other in self.models.items():
            for fname, fdef in other.fields.items():
                if fdef.type != "many2one" or fdef.relation != model or not fdef.store or fdef.readonly:
                    continue
                ondelete = fdef.ondelete or ("restrict" if fdef.required else "set null")
                if ondelete == "set null":
                    continue
                refs = {r["id"] for r in self.records[other_name].values() if r.get(fname) in new}
                refs -= plan.get(other_name, set())
                if not refs:
                    continue
                if ondelete == "cascade":
                    self._plan_delete(other_name, refs, plan)
                else:
                    raise user_error(
                        "The operation cannot be completed: another model requires the record being deleted. "
                        "If possible, archive it instead.\n\n"
                        f"Model: {other.description} ({other_name}), "
                        f"Constraint: {other_name.replace('.', '_')}_{fname}_fkey"
                    )

    # ---- search -------------------------------------------------------------------------------------

    def _search(
        self,
        model: str,
        domain: Any,
        context: Mapping[str, Any],
        offset: Any = 0,
        limit: Any = None,
        order: Any = None,
        *,
        sort: bool = True,
    ) -> list[Record]:
        active_test = context.get("active_test", True) is not False
        pred = self.compile(model, domain, active_test=active_test)
        keys = self._parse_order(model, order) if sort else []
        rows = [r for r in self.records[model].values() if pred(r)]
        if sort:
            rows.sort(key=lambda r: r["id"])
            self._sort(model, rows, keys)
        if offset:
            if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
                raise app_error("ValueError", f"invalid offset {offset!r}")
            rows = rows[offset:]
        if limit not in (None, False):
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
                raise app_error("ValueError", f"invalid limit {limit!r}")
            rows = rows[:limit]
        return rows

    def search_ids(self, model: str, domain: list[Any], *, active_test: bool = True) -> list[int]:
        """In-process search (no ACL, no counters), for tests and data builders."""
        return [r["id"] for r in self._search(model, domain, {"active_test": active_test})]

    def compile(self, model: str, domain: Any, *, active_test: bool = True) -> Pred:
        """Compile an Odoo domain into a predicate over stored records of ``model``."""
        if not isinstance(domain, list | tuple):
            raise app_error("ValueError", f"Invalid domain: {domain!r}")
        items = list(domain)
        if (
            active_test
            and "active" in self.models[model].fields
            and not any(isinstance(t, list | tuple) and len(t) == 3 and t[0] == "active" for t in items)
        ):
            items = ["&", ["active", "=", True], *items] if items else [["active", "=", True]]
        pos = 0

        def expr() -> Pred:
            nonlocal pos
            if pos >= len(items):
                raise app_error("ValueError", f"Domain {list(domain)!r} is syntactically not correct.")
            tok = items[pos]
            pos += 1
            if isinstance(tok, str):
                if tok == "!":
                    a = expr()
                    return lambda r: not a(r)
                if tok in ("&", "|"):
                    a, b = expr(), expr()
                    if tok == "&":
                        return lambda r: a(r) and b(r)
                    return lambda r: a(r) or b(r)
                raise app_error("ValueError", f"Invalid domain operator {tok!r}")
            if isinstance(tok, list | tuple) and len(tok) == 3:
                return self._leaf(model, tuple(tok))
            raise app_error("ValueError", f"Invalid leaf {tok!r}")

        preds: list[Pred] = []
        while pos < len(items):
            preds.append(expr())
        if not preds:
            return lambda r: True
        if len(preds) == 1:
            return preds[0]
        return lambda r: all(p(r) for p in preds)

    def _leaf(self, model: str, leaf: tuple[Any, Any, Any]) -> Pred:
        left, op, right = leaf
        if leaf == (1, "=", 1):
            return lambda r: True
        if leaf == (0, "=", 1):
            return lambda r: False
        if not isinstance(left, str) or not isinstance(op, str):
            raise app_error("ValueError", f"Invalid leaf {list(leaf)!r}")
        op = op.lower()
        if op == "<>":
            op = "!="
        if op not in _OPERATORS:
            raise app_error("ValueError", f"Invalid leaf {list(leaf)!r}: unknown operator {op!r}")
        fields = self.models[model].fields
        path = left.split(".")
        fname = path[0]
        fdef = fields.get(fname)
        if fdef is None:
            raise app_error("ValueError", f"Invalid field {model}.{fname} in leaf {list(leaf)!r}")
        if not fdef.store and not fdef.searchable:
            if self.strict_nonstored:
                raise app_error(
                    "ValueError",
                    f"Non-stored field {model}.{fname} cannot be searched (leaf {list(leaf)!r}).",
                )
            return lambda r: True
        if len(path) > 1:
            if fdef.type not in ("many2one", "many2many"):
                raise app_error("ValueError", f"Invalid field {model}.{left} in leaf {list(leaf)!r}")
            sub = set(self.search_ids(fdef.relation, [[".".join(path[1:]), op, right]], active_test=False))
            if fdef.type == "many2one":
                return lambda r: bool(r.get(fname)) and r.get(fname) in sub
            return lambda r: any(i in sub for i in r.get(fname) or [])
        if fdef.type == "many2one":
            return self._m2o_leaf(model, fname, fdef, op, right)
        if fdef.type == "many2many":
            return self._m2m_leaf(fname, fdef, op, right)
        if op in ("child_of", "parent_of"):
            if fname != "id":
                raise app_error(
                    "ValueError", f"Operator {op} is only supported on 'id' and relational fields"
                )
            ids = self._hierarchy(model, self._as_ids(model, right), op)
            return lambda r: r["id"] in ids
        if fdef.store:

            def get(r: Record) -> Any:
                return r.get(fname, False)

        else:

            def get(r: Record) -> Any:
                return self.value(model, r, fname)

        return _scalar_pred(f"{model}.{fname}", fdef.type, get, op, right)

    def _as_ids(self, model: str, right: Any) -> set[int]:
        vals = right if isinstance(right, list | tuple) else [right]
        out: set[int] = set()
        for v in vals:
            if isinstance(v, int) and not isinstance(v, bool):
                out.add(v)
            elif isinstance(v, str):
                out.update(self._name_match(model, "=", v))
        return out

    def _hierarchy(self, model: str, roots: set[int], op: str) -> set[int]:
        parent = self.models[model].parent_name
        if not parent:
            return set(roots)
        table = self.records[model]
        result = set(roots)
        if op == "child_of":
            frontier = set(roots)
            while frontier:
                nxt = {r["id"] for r in table.values() if r.get(parent) in frontier} - result
                result |= nxt
                frontier = nxt
        else:
            for rid in roots:
                cur = table.get(rid)
                while cur is not None and cur.get(parent) and cur[parent] not in result:
                    result.add(cur[parent])
                    cur = table.get(cur[parent])
        return result

    def _name_match(self, model: str, op: str, value: Any) -> set[int]:
        """Ids of ``model`` whose name / display name (or product code) satisfies ``op value``."""
        if not isinstance(value, str):
            raise app_error("ValueError", f"Invalid value {value!r} for a name search on {model}")
        match = _scalar_pred("name", "char", lambda r: r["n"], op, value)
        out = set()
        for rec in self.records[model].values():
            names = {self.display_name(model, rec), str(rec.get("name") or "")}
            if model == "product.product" and rec.get("default_code"):
                names.add(str(rec["default_code"]))
            if any(match({"n": n}) for n in names):
                out.add(rec["id"])
        return out

    def _m2o_leaf(self, model: str, fname: str, fdef: FieldDef, op: str, right: Any) -> Pred:
        def get(r: Record) -> Any:
            return r.get(fname) or False

        if op in ("child_of", "parent_of"):
            ids = self._hierarchy(fdef.relation, self._as_ids(fdef.relation, right), op)
            return lambda r: get(r) in ids
        if op in ("=", "!=", "in", "not in"):
            vals = right if op in ("in", "not in") and isinstance(right, list | tuple) else [right]
            has_empty = any(v is False or v is None for v in vals)
            ids = set[int]()
            for v in vals:
                if v is False or v is None:
                    continue
                if isinstance(v, int) and not isinstance(v, bool):
                    ids.add(v)
                elif isinstance(v, str):
                    ids |= self._name_match(fdef.relation, "=", v)
                else:
                    raise app_error("ValueError", f"Invalid value {v!r} for many2one {model}.{fname}")
            positive = op in ("=", "in")

            def inside(r: Record) -> bool:
                v = get(r)
                return (not v and has_empty) or (bool(v) and v in ids)

            return inside if positive else (lambda r: not inside(r))
        if op in ("like", "ilike", "=like", "=ilike", "not like", "not ilike"):
            if right is False or right is None:
                raise app_error("ValueError", f"Invalid value {right!r} for operator {op}")
            negative = op.startswith("not ")
            ids = self._name_match(fdef.relation, op[4:] if negative else op, right)
            if negative:
                return lambda r: not get(r) or get(r) not in ids
            return lambda r: bool(get(r)) and get(r) in ids
        # comparisons on the raw id
        return _scalar_pred(f"{model}.{fname}", "integer", get, op, right)

    def _m2m_leaf(self, fname: str, fdef: FieldDef, op: str, right: Any) -> Pred:
        def get(r: Record) -> list[int]:
            return list(r.get(fname) or [])

        if op in ("=", "!=", "in", "not in"):
            vals = right if isinstance(right, list | tuple) else [right]
            if not vals or all(v is False or v is None for v in vals):
                ids: set[int] = set()
                empty_match = True
            else:
                ids = set()
                empty_match = any(v is False or v is None for v in vals)
                for v in vals:
                    if isinstance(v, str):
                        ids |= self._name_match(fdef.relation, "=", v)
                    elif isinstance(v, int) and not isinstance(v, bool):
                        ids.add(v)

            def inside(r: Record) -> bool:
                cur = get(r)
                return (not cur and empty_match) or any(i in ids for i in cur)

            return inside if op in ("=", "in") else (lambda r: not inside(r))
        if op in ("child_of", "parent_of"):
            ids = self._hierarchy(fdef.relation, self._as_ids(fdef.relation, right), op)
            return lambda r: any(i in ids for i in get(r))
        if op in ("like", "ilike", "=like", "=ilike", "not like", "not ilike"):
            negative = op.startswith("not ")
            ids = self._name_match(fdef.relation, op[4:] if negative else op, right)
            if negative:
                return lambda r: not any(i in ids for i in get(r))
            return lambda r: any(i in ids for i in get(r))
        raise app_error("ValueError", f"Operator {op} is not supported on many2many field {fname}")

    # ---- order ------------------------------------------------------------------------------------------

    def _parse_order(self, model: str, order: Any) -> list[tuple[str, bool, str | None]]:
        mdef = self.models[model]
        spec = order if order else mdef.order
        if not isinstance(spec, str):
            raise user_error(f'Invalid "order" specified ({spec!r}).')
        keys: list[tuple[str, bool, str | None]] = []
        for part in spec.split(","):
            m = _ORDER_RE.match(part)
            if not m:
                raise user_error(
                    f'Invalid "order" specified ({spec}). A valid "order" specification is a comma-separated '
                    "list of valid field names (optionally followed by asc/desc for the direction)"
                )
            fname, direction, nulls = m.group(1), (m.group(2) or "asc").lower(), m.group(3)
            fdef = mdef.fields.get(fname)
            if fdef is None:
                raise app_error("ValueError", f"Invalid field {fname!r} on model {model!r}")
            if not fdef.store or not fdef.sortable:
                raise app_error(
                    "ValueError", f"Cannot convert {model}.{fname} to SQL because it is not stored"
                )
            keys.append((fname, direction == "desc", nulls.lower() if nulls else None))
        return keys

    def _sort(self, model: str, rows: list[Record], keys: list[tuple[str, bool, str | None]]) -> None:
        fields = self.models[model].fields
        for fname, desc, nulls in reversed(keys):
            fdef = fields[fname]
            # PostgreSQL: NULLS LAST when ascending, NULLS FIRST when descending.
            null_big = nulls is None or (nulls == "last" and not desc) or (nulls == "first" and desc)
            null_flag, value_flag = (1, 0) if null_big else (0, 1)
            relation = fdef.relation if fdef.type == "many2one" else ""

            def key(
                r: Record,
                fname: str = fname,
                relation: str = relation,
                ftype: str = fdef.type,
                null_flag: int = null_flag,
                value_flag: int = value_flag,
            ) -> tuple[int, Any]:
                v = r.get(fname, False)
                if relation:
                    target = self.records[relation].get(v) if v else None
                    if target is None:
                        return (null_flag, 0)
                    return (value_flag, (self.display_name(relation, target), v))
                if v is None or (v is False and ftype != "boolean"):
                    return (null_flag, 0)
                if ftype == "many2many":
                    return (value_flag, tuple(v))
                return (value_flag, v)

            rows.sort(key=key, reverse=desc)


def _scalar_pred(where: str, ftype: str, get: Callable[[Record], Any], op: str, right: Any) -> Pred:
    """Predicate for one leaf on a scalar field (PostgreSQL NULL semantics)."""

    def norm(v: Any) -> Any:
        if ftype in _NUMS:
            if isinstance(v, bool):
                return int(v)
            if isinstance(v, int | float):
                return v
            if isinstance(v, str):
                try:
                    return float(v)
                except ValueError:
                    pass
            raise app_error("ValueError", f"Invalid value {v!r} for numeric field {where}")
        if ftype in ("date", "datetime"):
            if isinstance(v, datetime):
                v = v.strftime(DATETIME_FMT)
            elif isinstance(v, date):
                v = v.strftime(DATE_FMT)
            if not isinstance(v, str):
                raise app_error("ValueError", f"Invalid value {v!r} for date field {where}")
            if ftype == "datetime" and len(v) == 10:
                return v + " 00:00:00.000000"
            if ftype == "datetime" and len(v) == 19:
                return v + ".000000"  # PostgreSQL reads a whole second as .000000
            if ftype == "date" and len(v) > 10:
                return v[:10]
            return v
        if ftype in _CHARS:
            if not isinstance(v, str):
                raise app_error(
                    "psycopg2.errors.UndefinedFunction",
                    f"operator does not exist: character varying = {type(v).__name__} (field {where})",
                )
            return v
        return v

    def empty(v: Any) -> bool:
        return _empty(v, ftype)

    if ftype == "boolean" and op in ("=", "!=", "in", "not in"):
        vals = right if isinstance(right, list | tuple) else [right]
        wanted = {bool(v) for v in vals}
        if op in ("=", "in"):
            return lambda r: bool(get(r)) in wanted
        return lambda r: bool(get(r)) not in wanted

    if op in ("=", "!="):
        if right is False or right is None:
            if op == "=":
                return lambda r: empty(get(r))
            return lambda r: not empty(get(r))
        rv = norm(right)
        if op == "=":
            return lambda r: not empty(v := get(r)) and v == rv
        return lambda r: empty(v := get(r)) or v != rv

    if op in ("in", "not in"):
        vals = right if isinstance(right, list | tuple) else [right]
        has_empty = any(v is False or v is None for v in vals)
        wanted_set = {norm(v) for v in vals if v is not False and v is not None}

        def inside(r: Record) -> bool:
            v = get(r)
            return has_empty if empty(v) else v in wanted_set

        return inside if op == "in" else (lambda r: not inside(r))

    if op in (">", ">=", "<", "<="):
        if right is False or right is None:
            return lambda r: False
        rv = norm(right)
        cmp: Callable[[Any, Any], bool] = {
            ">": lambda a, b: a > b,
            ">=": lambda a, b: a >= b,
            "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b,
        }[op]
        return lambda r: not empty(v := get(r)) and cmp(v, rv)

    if op in ("like", "ilike", "=like", "=ilike", "not like", "not ilike"):
        if right is False or right is None:
            right = ""
        pattern = str(right) if op.startswith("=") else f"%{right}%"
        rx = _like_regex(pattern, ignore_case="ilike" in op)
        if op.startswith("not "):
            return lambda r: empty(v := get(r)) or not rx.fullmatch(str(v))
        return lambda r: not empty(v := get(r)) and rx.fullmatch(str(v)) is not None

    raise app_error("ValueError", f"Operator {op} is not supported on field {where}")


def _sanitize(value: Any) -> Any:
    if value is None:
        return False
    if isinstance(value, dict):
        return {str(k): _sanitize(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_sanitize(v) for v in value]
    return value


def _response(result: Any) -> Response:
    body = xmlrpc.client.dumps((_sanitize(result),), methodresponse=True, allow_none=False)
    return Response(body.encode(), media_type="text/xml")


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _fault_response(err: OdooError, *, legacy: bool = False) -> Response:
    fault = err.legacy_fault() if legacy else err.fault()
    body = xmlrpc.client.dumps(fault, methodresponse=True, allow_none=False)
    return Response(body.encode(), media_type="text/xml")
