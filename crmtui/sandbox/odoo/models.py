"""The simulated models: field definitions and the schema of every model (WIRE.md §3)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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
