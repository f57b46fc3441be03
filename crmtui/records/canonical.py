"""The five canonical ETL tables as plain dataclasses.

Whatever the source (iSaVigne exports, Odoo, later Brevo or HubSpot), its ``transform`` produces
these records, so nothing downstream depends on a source. Keys are prefixed by the source
(``isavigne-…``, ``odoo-…``) so two sources never collide.

Each record has a ``row_hash`` computed from its source fields: the store only rewrites a row
whose hash changed, which is what makes a re-import change 0 rows.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

CATEGORIES = ("ROUGE", "BLANC", "ROSÉ", "PÉTILLANT", "MOUSSEUX", "FORTIFIÉ", "AUTRE")
"""Product categories."""

PRICE_SEGMENTS = ("ENTRY", "STANDARD", "PREMIUM", "LUXURY")
"""Price segments: ENTRY 0–15 €, STANDARD 15–30, PREMIUM 30–75, LUXURY 75+."""

CONTACT_CHANNELS = ("EMAIL", "SMS", "PHONE", "WEBSITE")
"""Channels of ``contact_history``."""

RFM_SEGMENTS = ("VIP", "STANDARD", "AT_RISK", "PROSPECT", "INACTIVE")
"""Customer segments written by the RFM pass."""


@dataclass
class Canonical:
    """Base class: a record of one canonical table."""

    TABLE: ClassVar[str] = ""
    KEY: ClassVar[str] = ""

    def values(self) -> tuple[Any, ...]:
        """Column values in :meth:`columns` order, then the ``row_hash``."""
        vals = tuple(getattr(self, name) for name in _columns(type(self)))
        return (*vals, row_hash(vals))

    def row(self) -> dict[str, Any]:
        """The record as a column dict, with its ``row_hash``."""
        return dict(zip([*self.columns(), "row_hash"], self.values(), strict=True))

    @classmethod
    def columns(cls) -> tuple[str, ...]:
        """Column names in declaration order (without ``row_hash``)."""
        return _columns(cls)

    @property
    def key(self) -> str:
        """The record's stable key."""
        return str(getattr(self, self.KEY))


_COLUMNS: dict[type[Any], tuple[str, ...]] = {}


def _columns(cls: type[Any]) -> tuple[str, ...]:
    cols = _COLUMNS.get(cls)
    if cols is None:
        cols = _COLUMNS[cls] = tuple(f.name for f in fields(cls))
    return cols


def row_hash(values: tuple[Any, ...]) -> str:
    """A short, stable hash of a record's values (``repr`` of floats and strings is stable)."""
    return hashlib.blake2b(repr(values).encode("utf-8"), digest_size=12).hexdigest()


@dataclass
class Product(Canonical):
    """A row of ``product_catalog``."""

    TABLE: ClassVar[str] = "product_catalog"
    KEY: ClassVar[str] = "product_key"

    product_key: str
    name: str | None = None
    category: str = "AUTRE"
    price_segment: str | None = None
    list_price_eur: float | None = None
    cost_price_eur: float | None = None
    grape_varieties: str | None = None
    flavors: str | None = None
    vintage: int | None = None
    region: str | None = None
    alcohol_percent: float | None = None
    body: str | None = None
    tannins: str | None = None
    bottles_75cl_eq: float = 1.0
    source: str = ""
    active: bool = True


@dataclass
class Customer(Canonical):
    """A row of ``customers`` (the RFM columns are written by the RFM pass, not by sources)."""

    TABLE: ClassVar[str] = "customers"
    KEY: ClassVar[str] = "customer_key"

    customer_key: str
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    email: str | None = None
    phone: str | None = None
    mobile: str | None = None
    zip_code: str | None = None
    city: str | None = None
    country: str = "France"
    email_opt_out: bool = False
    sms_opt_out: bool = False
    phone_opt_out: bool = False
    active: bool = True
    name_key: str = ""
    """Accent-free, lower-case "last first" used to find duplicates."""
    invalid_fields: str = ""
    """Comma-separated fields whose source value did not validate (kept as received)."""
    source: str = ""


@dataclass
class SalesLine(Canonical):
    """A row of ``sales_lines``."""

    TABLE: ClassVar[str] = "sales_lines"
    KEY: ClassVar[str] = "sale_line_key"

    sale_line_key: str
    order_ref: str | None = None
    customer_key: str | None = None
    product_key: str | None = None
    date_sale: str | None = None
    quantity_units: float = 0.0
    quantity_bottles_75cl_eq: float = 0.0
    price_unit_eur: float | None = None
    price_total_eur: float | None = None
    cost_total_eur: float | None = None
    margin_percent: float | None = None
    channel: str | None = None
    source: str = ""


@dataclass
class StockLevel(Canonical):
    """A row of ``stock_levels``."""

    TABLE: ClassVar[str] = "stock_levels"
    KEY: ClassVar[str] = "stock_key"

    stock_key: str
    product_key: str | None = None
    warehouse: str | None = None
    quantity_units: float = 0.0
    quantity_bottles_75cl_eq: float = 0.0
    last_count_date: str | None = None
    reserved_qty: float = 0.0
    available_qty: float = 0.0
    source: str = ""


@dataclass
class ContactEvent(Canonical):
    """A row of ``contact_history``."""

    TABLE: ClassVar[str] = "contact_history"
    KEY: ClassVar[str] = "contact_key"

    contact_key: str
    customer_key: str | None = None
    date_contact: str | None = None
    channel: str = "EMAIL"
    campaign: str | None = None
    subject: str | None = None
    status: str | None = None
    product_key_suggested: str | None = None
    response: str | None = None
    response_details: str | None = None
    source: str = ""


RECORD_TYPES: tuple[type[Canonical], ...] = (Product, Customer, SalesLine, StockLevel, ContactEvent)
"""Every canonical record type, in load order (products before the lines that use them)."""

TABLES: tuple[str, ...] = tuple(t.TABLE for t in RECORD_TYPES)
"""The five canonical table names."""


@dataclass(frozen=True)
class SkippedRow:
    """A source row that could not be used: where it is and why.

    Attributes:
        source: the source name (``isavigne``, ``odoo``).
        location: ``file:line`` or ``model#id``.
        reason: what was wrong, in plain words.
    """

    source: str
    location: str
    reason: str
    hint: str = ""
    """For a refused file: what the operator should do (empty for an ordinary skipped row)."""

    def __str__(self) -> str:
        return f"{self.location}: {self.reason}"


@dataclass
class Batch:
    """What a source hands the engine to load in one transaction.

    Attributes:
        records: canonical records, any table.
        skipped: rows that could not be used.
        cursor: ``(name, value)`` to store together with the records, or None.
        done_file: ``(name, sha256, kind, rows)`` of a file fully imported by this batch, or None.
        unchanged_file: the name of a file skipped because its content was already imported.
        warnings: rows used anyway but worth reading (a client code exported twice).
        refused: files refused whole (no usable column, undecodable, truncated, binary): the
            source run is ``failed`` for them, whatever else loaded.
        notices: warnings for the operator that refuse nothing ("no customers file found").
        rekeys: ``(old, new)`` product keys to move before loading (an Odoo product first stored
            as ``odoo-<id>`` that now has its own reference).
        read: source rows read for this batch, per table.
        progress: a short text for progress lines.
    """

    records: list[Canonical] = field(default_factory=list)
    skipped: list[SkippedRow] = field(default_factory=list)
    warnings: list[SkippedRow] = field(default_factory=list)
    refused: list[SkippedRow] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    rekeys: list[tuple[str, str]] = field(default_factory=list)
    read: dict[str, int] = field(default_factory=dict)
    unchanged_file: str | None = None
    cursor: tuple[str, str] | None = None
    done_file: tuple[str, str, str, int] | None = None
    progress: str = ""
