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

Modules, one job each: :mod:`.errors` (faults per RPC path), :mod:`.models` (the schema),
:mod:`.auth` (the ``common`` service), :mod:`.state` (records, clock, read values),
:mod:`.domains` (search: domains and order), :mod:`.orm` (the model methods, validation, computed
fields, unlink) and :mod:`.rpc` (the paths and ``execute_kw``).
"""

from crmtui.sandbox.odoo.auth import SERVER_VERSION
from crmtui.sandbox.odoo.errors import OdooError, access_denied, access_error, app_error, user_error
from crmtui.sandbox.odoo.models import FieldDef, ModelDef
from crmtui.sandbox.odoo.rpc import OdooSim
from crmtui.sandbox.odoo.state import (
    DATE_FMT,
    DATETIME_FMT,
    DEFAULT_DB,
    DEFAULT_KEY,
    DEFAULT_LOGIN,
    DEFAULT_UID,
    STORED_FMT,
    TAX_RATE,
    ManualClock,
    Pred,
    Record,
)

__all__ = [
    "DATETIME_FMT",
    "DATE_FMT",
    "DEFAULT_DB",
    "DEFAULT_KEY",
    "DEFAULT_LOGIN",
    "DEFAULT_UID",
    "SERVER_VERSION",
    "STORED_FMT",
    "TAX_RATE",
    "FieldDef",
    "ManualClock",
    "ModelDef",
    "OdooError",
    "OdooSim",
    "Pred",
    "Record",
    "access_denied",
    "access_error",
    "app_error",
    "user_error",
]
