"""Odoo → canonical records: extract (incremental XML-RPC reads) and transform.

At start the source calls ``version``, ``authenticate`` and ``fields_get`` on each model and reads
only the fields this server has (names drift between Odoo versions: ``mobile`` is gone in 18,
custom ``x_*`` wine fields may be absent). Each model is read with
:meth:`~crmtui.connectors.odoo.OdooClient.iter_records` on a ``(write_date, id)`` cursor with an
overlap window, archived records included (``active_test=False``) and marked inactive:

- ``product.product`` → ``product_catalog`` (first: sales lines use the products' formats and costs);
- ``res.partner`` → ``customers``;
- ``sale.order.line`` of confirmed orders (``state`` in ``sale``/``done``) → ``sales_lines``, the
  sale date read from the order;
- ``stock.quant`` on internal locations → ``stock_levels``.

Each yielded :class:`~crmtui.records.canonical.Batch` carries the cursor of its last record, which
the engine stores in the same transaction as the rows: a rerun after a crash re-reads from there
(plus the overlap, absorbed by the upsert) and misses nothing.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

import crmtui.i18n.etl  # noqa: F401 - registers the etl.* keys
from crmtui.connectors.odoo import OdooClient
from crmtui.formats import date_time
from crmtui.i18n import t, t_or
from crmtui.records.canonical import Batch, Canonical, Customer, Product, SalesLine, SkippedRow, StockLevel
from crmtui.records.normalize import (
    InvalidValue,
    category,
    contact_points,
    iso,
    name_key,
    normalize_country,
    normalize_postcode,
    parse_date,
    price_segment,
    product_reference,
    split_grapes,
    split_name,
)
from crmtui.text import printable

__all__ = ["MODELS", "WANTED_FIELDS", "OdooSource", "split_odoo_name"]

SOURCE = "odoo"

MODELS: tuple[tuple[str, str], ...] = (
    ("product.product", "product_catalog"),
    ("res.partner", "customers"),
    ("sale.order.line", "sales_lines"),
    ("stock.quant", "stock_levels"),
)
"""Models read, in order, and the canonical table each feeds."""

WANTED_FIELDS: dict[str, tuple[str, ...]] = {
    "product.product": (
        "name",
        "default_code",
        "list_price",
        "lst_price",
        "standard_price",
        "categ_id",
        "active",
        "x_color",
        "x_vintage",
        "x_region",
        "x_appellation",
        "x_grape",
        "x_alcohol",
        "x_volume_ml",
        "company_id",
    ),
    "res.partner": (
        "name",
        "email",
        "phone",
        "mobile",
        "is_company",
        "parent_id",
        "zip",
        "city",
        "country_id",
        "active",
        "company_id",
    ),
    "sale.order.line": (
        "order_id",
        "product_id",
        "product_uom_qty",
        "price_unit",
        "price_subtotal",
        "order_partner_id",
        "state",
        "display_type",
        "company_id",
    ),
    "stock.quant": (
        "product_id",
        "location_id",
        "quantity",
        "reserved_quantity",
        "in_date",
        "inventory_date",
        "company_id",
    ),
}
"""Fields we would like per model; only those ``fields_get`` reports are requested."""

CANONICAL_FEEDS: dict[str, dict[str, str]] = {
    "product_catalog": {
        "product_key": "default_code (else odoo-<id>)",
        "name": "name",
        "category": "x_color / categ_id",
        "price_segment": "list_price",
        "list_price_eur": "list_price",
        "cost_price_eur": "standard_price",
        "grape_varieties": "x_grape",
        "vintage": "x_vintage",
        "region": "x_region, x_appellation",
        "alcohol_percent": "x_alcohol",
        "bottles_75cl_eq": "x_volume_ml",
        "active": "active",
    },
    "customers": {
        "customer_key": "id",
        "first_name": "name",
        "last_name": "name",
        "company": "parent_id / name",
        "email": "email",
        "phone": "phone",
        "mobile": "mobile",
        "zip_code": "zip",
        "city": "city",
        "country": "country_id",
        "active": "active",
    },
    "sales_lines": {
        "sale_line_key": "id",
        "order_ref": "order_id",
        "customer_key": "order_partner_id",
        "product_key": "product_id",
        "date_sale": "order_id.date_order",
        "quantity_units": "product_uom_qty",
        "quantity_bottles_75cl_eq": "product_id.x_volume_ml",
        "price_unit_eur": "price_unit",
        "price_total_eur": "price_subtotal",
        "cost_total_eur": "product_id.standard_price",
    },
    "stock_levels": {
        "stock_key": "id",
        "product_key": "product_id",
        "warehouse": "location_id",
        "quantity_units": "quantity",
        "last_count_date": "inventory_date / in_date",
        "reserved_qty": "reserved_quantity",
    },
}
"""For the mapping view: canonical column → Odoo field(s) feeding it."""

_BASE_DOMAIN: dict[str, list[Any]] = {
    "product.product": [],
    "res.partner": [],
    "sale.order.line": [["state", "in", ["sale", "done"]]],
    "stock.quant": [["location_id.usage", "=", "internal"]],
}
_COLOURS = {
    "red": "ROUGE",
    "white": "BLANC",
    "rose": "ROSÉ",
    "sparkling": "MOUSSEUX",
    "fortified": "FORTIFIÉ",
}


def product_key_of(product_id: int, default_code: Any) -> str:
    """An Odoo product's key: its own reference (``default_code``), as iSaVigne's ``produit_key``;
    a product without one gets the documented fallback ``odoo-<id>``."""
    code = _str(default_code)
    return product_reference(code) if code else f"{SOURCE}-{product_id}"


def _m2o(value: Any) -> tuple[int | None, str | None]:
    if isinstance(value, list | tuple) and len(value) >= 2:
        return int(value[0]), str(value[1])
    if isinstance(value, int) and not isinstance(value, bool):
        return value, None
    return None, None


def _str(value: Any) -> str | None:
    if value is False or value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _num(value: Any) -> float | None:
    if value is False or value is None or isinstance(value, bool):
        return None
    return float(value)


def split_odoo_name(name: str) -> tuple[str | None, str | None]:
    """Split an Odoo partner name (usually "First Last") into ``(first, last)``.

    A capitalised run at the start or the end is the last name (``DUPONT Marie``, ``Marie
    DUPONT``); otherwise the first word is the first name.
    """
    words = name.split()
    if len(words) < 2:
        return None, (words[0] if words else None)

    def upper(word: str) -> bool:
        return any(c.isalpha() for c in word) and word.isupper()

    if upper(words[0]) and not upper(words[-1]):
        return split_name(name)
    tail = 0
    for word in reversed(words):
        if not upper(word):
            break
        tail += 1
    if 0 < tail < len(words):
        return " ".join(words[:-tail]), " ".join(words[-tail:])
    return words[0], " ".join(words[1:])


class OdooSource:
    """Extract and transform from Odoo through an :class:`OdooClient`.

    Args:
        client: the Odoo client (its ``httpx.AsyncClient`` is injected by the caller).
        page: records per ``search_read`` call.
        overlap_seconds: how far before the stored cursor each run re-reads.
        company_id: read only this company's records (on models that have ``company_id``).
        products: known Odoo products (key → (75 cl factor, unit cost)) from earlier runs.
    """

    name = SOURCE
    kind = "odoo"
    is_async = True

    def __init__(
        self,
        client: OdooClient,
        *,
        page: int = 1000,
        overlap_seconds: float = 300.0,
        company_id: int | None = None,
        products: Mapping[str, tuple[float | None, float | None]] | None = None,
    ) -> None:
        self.client = client
        self.page = page
        self.overlap_seconds = overlap_seconds
        self.company_id = company_id
        self.products: dict[str, tuple[float | None, float | None]] = dict(products or {})
        self.fields: dict[str, list[str]] = {}
        self.server_version = ""
        self.key_of: dict[int, str] = {}
        self._rekeys: list[tuple[str, str]] = []

    @classmethod
    def from_settings(cls, settings: Any, http: httpx.AsyncClient, **kwargs: Any) -> OdooSource:
        """Build from :class:`crmtui.config.Settings` and an HTTP client."""
        return cls(OdooClient.from_settings(settings, http), **kwargs)

    def describe(self) -> str:
        """Where the source reads from."""
        return f"{self.client.base_url} ({self.client.db})"

    async def test(self) -> str:
        """``version`` then ``authenticate``; one line.

        Raises:
            ConnectorError: unreachable, wrong credentials (AuthError), a fault, a timeout.
        """
        info = await self.client.version()
        uid = await self.client.authenticate()
        return t("etl.odoo_ok", version=str(info.get("server_version", "?")), uid=uid)

    async def _prepare(self) -> None:
        info = await self.client.version()
        self.server_version = str(info.get("server_version", ""))
        await self.client.authenticate()
        for model, _ in MODELS:
            available = await self.client.fields_get(model, ("type",))
            self.fields[model] = [f for f in WANTED_FIELDS[model] if f in available]

    def _domain(self, model: str) -> list[Any]:
        domain = list(_BASE_DOMAIN[model])
        fields = self.fields[model]
        if model == "sale.order.line" and "display_type" in fields:
            domain.append(["display_type", "=", False])
        if self.company_id is not None and "company_id" in fields:
            domain.append(["company_id", "in", [self.company_id, False]])
        return domain

    async def batches(
        self, *, cursor: Callable[[str], str | None] = lambda name: None
    ) -> AsyncIterator[Batch]:
        """Read every model changed since its cursor and yield batches to load.

        Args:
            cursor: the stored cursor of ``model:<name>`` (``{"write_date", "id"}``), or None.

        Raises:
            ConnectorError: credentials refused, a fault, a timeout (what was yielded before
                stays loaded, with its cursor).
        """
        await self._prepare()
        for model, table in MODELS:
            name = f"model:{model}"
            stored = cursor(name)
            start: tuple[str, int] | None = None
            if stored:
                state = json.loads(stored)
                start = (str(state["write_date"]), int(state["id"]))
            fields = [f for f in self.fields[model] if f != "company_id"]
            rows: list[dict[str, Any]] = []
            read = 0
            async for row in self.client.iter_records(
                model,
                self._domain(model),
                fields,
                cursor=start,
                page=self.page,
                overlap_seconds=self.overlap_seconds,
                include_archived=True,
            ):
                rows.append(row)
                if len(rows) >= self.page:
                    read += len(rows)
                    yield await self._batch(model, table, name, rows, read)
                    rows = []
            if rows:
                read += len(rows)
                yield await self._batch(model, table, name, rows, read)

    async def _batch(self, model: str, table: str, name: str, rows: list[dict[str, Any]], read: int) -> Batch:
        batch = Batch(read={table: len(rows)}, progress=t("etl.model_progress", model=model, n=read))
        dates: dict[int, str | None] = {}
        if model in ("sale.order.line", "stock.quant"):
            wanted = {pid for pid, _ in (_m2o(r.get("product_id")) for r in rows) if pid is not None}
            unknown = sorted(wanted - self.key_of.keys())
            if unknown:
                # Products unchanged since the last run: read their reference (deleted ones are
                # left out by read() and keep the fallback key).
                for product in await self.client.read("product.product", unknown, ["default_code"]):
                    pid = int(product["id"])
                    self.key_of[pid] = product_key_of(pid, product.get("default_code"))
        if model == "sale.order.line":
            order_ids = sorted({oid for oid, _ in (_m2o(r.get("order_id")) for r in rows) if oid is not None})
            if order_ids:
                for order in await self.client.read("sale.order", order_ids, ["date_order"]):
                    dates[int(order["id"])] = _str(order.get("date_order"))
        for row in rows:
            try:
                record = self._transform(model, row, dates)
            except InvalidValue as exc:
                batch.skipped.append(SkippedRow(SOURCE, f"{model}#{row.get('id')}", str(exc)))
                continue
            if record is not None:
                batch.records.append(record)
        batch.rekeys, self._rekeys = self._rekeys, []
        last = rows[-1]
        batch.cursor = (name, json.dumps({"write_date": str(last["write_date"]), "id": int(last["id"])}))
        return batch

    def _transform(self, model: str, row: dict[str, Any], dates: dict[int, str | None]) -> Canonical | None:
        if model == "product.product":
            return self._product(row)
        if model == "res.partner":
            return self._customer(row)
        if model == "sale.order.line":
            return self._sale(row, dates)
        return self._stock(row)

    def _product(self, row: dict[str, Any]) -> Product:
        key = product_key_of(int(row["id"]), row.get("default_code"))
        self.key_of[int(row["id"])] = key
        if key != f"{SOURCE}-{row['id']}":
            self._rekeys.append((f"{SOURCE}-{row['id']}", key))
        name = _str(row.get("name"))
        price = _num(row.get("list_price"))
        if price is None:
            price = _num(row.get("lst_price"))
        cost = _num(row.get("standard_price"))
        volume = _num(row.get("x_volume_ml"))
        bottles = volume / 750 if volume else 1.0
        colour = _COLOURS.get(str(row.get("x_color") or ""), None)
        _, categ = _m2o(row.get("categ_id"))
        vintage = row.get("x_vintage")
        region = " — ".join(x for x in (_str(row.get("x_region")), _str(row.get("x_appellation"))) if x)
        self.products[key] = (bottles, cost)
        return Product(
            product_key=key,
            name=printable(name) if name else None,
            category=colour or category(categ, name),
            price_segment=price_segment(price, bottles),
            list_price_eur=price,
            cost_price_eur=cost,
            grape_varieties=split_grapes(_str(row.get("x_grape"))),
            vintage=int(vintage)
            if isinstance(vintage, int) and not isinstance(vintage, bool) and vintage
            else None,
            region=region or None,
            alcohol_percent=_num(row.get("x_alcohol")),
            bottles_75cl_eq=bottles,
            source=SOURCE,
            active=row.get("active", True) is not False,
        )

    def _customer(self, row: dict[str, Any]) -> Customer:
        name = _str(row.get("name")) or ""
        _, parent = _m2o(row.get("parent_id"))
        if row.get("is_company"):
            first, last, company = None, name or None, name or None
        else:
            first, last = split_odoo_name(name)
            company = parent
        _, country_name = _m2o(row.get("country_id"))
        region, country = normalize_country(country_name)
        email, phones, invalid = contact_points(
            _str(row.get("email")), {field: _str(row.get(field)) for field in ("phone", "mobile")}, region
        )
        return Customer(
            customer_key=f"{SOURCE}-{row['id']}",
            first_name=first,
            last_name=last,
            company=company,
            email=email,
            phone=phones["phone"],
            mobile=phones["mobile"],
            zip_code=normalize_postcode(_str(row.get("zip")), region),
            city=_str(row.get("city")),
            country=country,
            active=row.get("active", True) is not False,
            name_key=name_key(first, last),
            invalid_fields=",".join(invalid),
            source=SOURCE,
        )

    def _sale(self, row: dict[str, Any], dates: dict[int, str | None]) -> SalesLine | None:
        product_id, _ = _m2o(row.get("product_id"))
        if product_id is None:
            return None  # a section or note line: not a sale
        order_id, order_name = _m2o(row.get("order_id"))
        partner_id, _ = _m2o(row.get("order_partner_id"))
        quantity = _num(row.get("product_uom_qty")) or 0.0
        product_key = self.key_of.get(product_id) or f"{SOURCE}-{product_id}"
        factor, unit_cost = self.products.get(product_key, (None, None))
        total = _num(row.get("price_subtotal"))
        cost = round(unit_cost * quantity, 2) if unit_cost is not None else None
        margin = round((total - cost) / total * 100, 2) if total and cost is not None else None
        when = dates.get(order_id) if order_id is not None else None
        return SalesLine(
            sale_line_key=f"{SOURCE}-{row['id']}",
            order_ref=order_name,
            customer_key=f"{SOURCE}-{partner_id}" if partner_id is not None else None,
            product_key=product_key,
            date_sale=iso(parse_date(when)) if when else None,
            quantity_units=quantity,
            quantity_bottles_75cl_eq=round(quantity * (factor or 1.0), 4),
            price_unit_eur=_num(row.get("price_unit")),
            price_total_eur=total,
            cost_total_eur=cost,
            margin_percent=margin,
            channel="Odoo",
            source=SOURCE,
        )

    def _stock(self, row: dict[str, Any]) -> StockLevel:
        product_id, _ = _m2o(row.get("product_id"))
        _, location = _m2o(row.get("location_id"))
        quantity = _num(row.get("quantity")) or 0.0
        reserved = _num(row.get("reserved_quantity")) or 0.0
        product_key = (
            (self.key_of.get(product_id) or f"{SOURCE}-{product_id}") if product_id is not None else None
        )
        factor = self.products.get(product_key or "", (None, None))[0] or 1.0
        counted = _str(row.get("inventory_date")) or _str(row.get("in_date"))
        return StockLevel(
            stock_key=f"{SOURCE}-{row['id']}",
            product_key=product_key,
            warehouse=location,
            quantity_units=quantity,
            quantity_bottles_75cl_eq=round(quantity * factor, 4),
            last_count_date=iso(parse_date(counted)) if counted else None,
            reserved_qty=reserved,
            available_qty=quantity - reserved,
            source=SOURCE,
        )


def describe_cursor(name: str, value: str) -> str | None:
    """A stored model cursor as people read it: ``customers: changes after 30/11/2026, 14:02`` (local time).

    None when it is not a model cursor (``model:<model>``, ``{"write_date": …, "id": …}``, the
    write date in UTC as Odoo gives it) this source writes.
    """
    if not name.startswith("model:"):
        return None
    try:
        stamp = str(json.loads(value)["write_date"])[:19]
        when = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except (ValueError, KeyError, TypeError):
        return None
    model = name.removeprefix("model:")
    table = dict(MODELS).get(model)
    what = t_or(f"table.{table}", table) if table else printable(model)
    return t("etl.cursor.changed", what=what, when=date_time(when))
