"""iSaVigne ERP exports (CSV or Excel) → canonical records: extract and transform.

The folder (``ISAVIGNE_EXPORT_PATH``) holds ``clients*``, ``produits*``, ``ventes*`` and ``stock*``
files, as ``.csv`` or ``.xlsx``. For each file:

- **encoding**: UTF-8 (with or without BOM), else cp1252, else latin-1 (checked over the whole
  file, streamed); binary content is refused with one clear line;
- **delimiter**: ``;``, ``,`` or tab, sniffed on the header line;
- **columns**: names normalised (lower case, no accents, ``_``) and matched against known aliases
  (:data:`ALIASES`); extra columns are ignored, missing optional ones are fine, a missing required
  one stops that file with one line;
- **rows**: a malformed row (wrong number of columns, an unreadable number or date, an empty key)
  is skipped with ``file:line`` and a reason, never the whole file.

The source never touches the store: it yields :class:`~crmtui.records.canonical.Batch` objects
whose ``cursor`` (``{"sha": …, "line": …}`` per file) the engine stores in the same transaction
as the rows, and whose ``done_file`` marks a file whose content hash was fully imported.

Reading the files (kind, encoding, delimiter, rows) is :mod:`crmtui.connectors.isavigne_files`;
this module maps their columns and turns rows into records.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import crmtui.i18n.etl  # noqa: F401 - registers the etl.* keys
from crmtui.connectors.isavigne_files import (
    SOURCE,
    IsavigneError,
    UnreadableFile,
    detect_encoding,
    file_kind,
    read_rows,
    sha256_of,
)
from crmtui.formats import number
from crmtui.i18n import t, t_or
from crmtui.records.canonical import Batch, Canonical, Customer, Product, SalesLine, SkippedRow, StockLevel
from crmtui.records.normalize import (
    InvalidValue,
    bottles_per_unit,
    category,
    contact_points,
    iso,
    name_key,
    normalize_column,
    normalize_country,
    normalize_postcode,
    parse_bool,
    parse_date,
    parse_decimal,
    price_segment,
    product_reference,
    slug,
    split_grapes,
    split_name,
)
from crmtui.text import printable

__all__ = [
    "ALIASES",
    "KINDS",
    "REQUIRED",
    "ExportFile",
    "IsavigneError",
    "IsavigneSource",
    "detect_encoding",
    "file_kind",
]

KINDS = ("produits", "clients", "ventes", "stock")
"""File kinds in load order: products first, so sales lines can use their formats and costs."""


_LINE_PRODUCT_REF = ("produit_key", "reference", "ref", "code_article", "code_produit", "article", "produit")
"""The product column of a sales or stock line (the document's ``produit_key`` first)."""

ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "clients": {
        "code": ("code_client", "code", "n_client", "numero_client", "id_client", "ref_client", "client"),
        "last_name": ("nom", "nom_client", "last_name", "name"),
        "first_name": ("prenom", "first_name"),
        "company": ("societe", "raison_sociale", "entreprise", "company"),
        "zip_code": ("code_postal", "cp", "zip", "zip_code", "postcode"),
        "city": ("ville", "localite", "city"),
        "country": ("pays", "country"),
        "email": ("e_mail", "email", "mail", "courriel", "adresse_e_mail"),
        "phone": ("telephone", "tel", "phone", "telephone_fixe", "fixe"),
        "mobile": ("portable", "mobile", "tel_portable", "gsm", "telephone_portable"),
        "email_opt_out": ("opt_out_e_mail", "opt_out_email", "optout_email", "desabonne_e_mail"),
        "sms_opt_out": ("opt_out_sms", "optout_sms"),
        "phone_opt_out": ("opt_out_telephone", "opt_out_phone", "optout_telephone"),
        "active": ("actif", "active"),
    },
    "produits": {
        "reference": ("produit_key", "reference", "ref", "code_article", "code_produit", "sku", "article"),
        "name": ("designation", "libelle", "nom", "produit", "name"),
        "colour": ("couleur", "color", "type_de_vin"),
        "vintage": ("millesime", "annee", "vintage"),
        "appellation": ("appellation", "aoc"),
        "region": ("region",),
        "grapes": ("cepages", "cepage", "grapes"),
        "alcohol": ("degre", "alcool", "tav", "titre_alcoometrique"),
        "price": ("prix_ttc", "prix", "prix_de_vente", "pv_ttc", "prix_public", "tarif"),
        "cost": ("prix_de_revient", "cout", "cout_de_revient", "prix_achat", "pa_ht"),
        "packaging": ("conditionnement", "format", "contenance", "unite"),
        "pack_size": ("colisage", "nb_bouteilles", "bouteilles_par_colis"),
        "flavors": ("aromes", "gouts", "flavors"),
        "body": ("corps", "body"),
        "tannins": ("tanins", "tannins"),
        "active": ("actif", "active"),
    },
    "ventes": {
        "order_ref": ("n_piece", "no_piece", "num_piece", "numero_piece", "piece", "n_facture", "facture"),
        "date": ("date", "date_vente", "date_piece", "date_facture"),
        "customer": ("code_client", "client"),
        "reference": _LINE_PRODUCT_REF,
        "quantity": ("quantite", "qte", "qty"),
        "unit": ("unite", "conditionnement", "format"),
        "pack_size": ("colisage", "nb_bouteilles"),
        "price_unit": ("pu_ht", "prix_unitaire", "prix_unitaire_ht", "pu"),
        "total": ("montant_ht", "total_ht", "montant", "total"),
        "channel": ("canal", "origine", "channel"),
    },
    "stock": {
        "reference": _LINE_PRODUCT_REF,
        "warehouse": ("entrepot", "depot", "magasin", "emplacement"),
        "quantity": ("quantite", "stock", "qte"),
        "unit": ("unite", "conditionnement", "format"),
        "pack_size": ("colisage", "nb_bouteilles"),
        "reserved": ("reserve", "quantite_reservee", "reservee"),
        "date": ("date_inventaire", "date_comptage", "date"),
    },
}
"""Per file kind: our field → accepted (normalised) column names, in order of preference."""


def field_label(field: str) -> str:
    """One of our fields (:data:`ALIASES`) as the operator calls it in a row error: ``last_name`` → "nom"."""
    return t_or(f"etl.field.{field}", field.replace("_", " "))


REQUIRED: dict[str, tuple[str, ...]] = {
    "clients": ("code", "last_name"),
    "produits": ("reference",),
    "ventes": ("date", "customer", "reference", "quantity"),
    "stock": ("reference", "quantity"),
}
"""Columns a file must have (``last_name`` is satisfied by ``nom`` alone)."""

CANONICAL_FEEDS: dict[str, dict[str, str]] = {
    "product_catalog": {
        "product_key": "reference",
        "name": "name",
        "category": "colour",
        "price_segment": "price",
        "list_price_eur": "price",
        "cost_price_eur": "cost",
        "grape_varieties": "grapes",
        "flavors": "flavors",
        "vintage": "vintage",
        "region": "region",
        "alcohol_percent": "alcohol",
        "body": "body",
        "tannins": "tannins",
        "bottles_75cl_eq": "packaging",
        "active": "active",
    },
    "customers": {
        "customer_key": "code",
        "first_name": "first_name",
        "last_name": "last_name",
        "company": "company",
        "email": "email",
        "phone": "phone",
        "mobile": "mobile",
        "zip_code": "zip_code",
        "city": "city",
        "country": "country",
        "email_opt_out": "email_opt_out",
        "sms_opt_out": "sms_opt_out",
        "phone_opt_out": "phone_opt_out",
        "active": "active",
    },
    "sales_lines": {
        "sale_line_key": "order_ref",
        "order_ref": "order_ref",
        "customer_key": "customer",
        "product_key": "reference",
        "date_sale": "date",
        "quantity_units": "quantity",
        "quantity_bottles_75cl_eq": "unit",
        "price_unit_eur": "price_unit",
        "price_total_eur": "total",
        "channel": "channel",
    },
    "stock_levels": {
        "stock_key": "reference",
        "product_key": "reference",
        "warehouse": "warehouse",
        "quantity_units": "quantity",
        "quantity_bottles_75cl_eq": "unit",
        "last_count_date": "date",
        "reserved_qty": "reserved",
    },
}
"""For the mapping view: canonical column → the export field (see :data:`ALIASES`) feeding it."""


_TABLE_OF_KIND = {
    "clients": "customers",
    "produits": "product_catalog",
    "ventes": "sales_lines",
    "stock": "stock_levels",
}


@dataclass(frozen=True)
class ExportFile:
    """One export file found in the folder."""

    path: Path
    kind: str

    @property
    def name(self) -> str:
        """The file name (what error locations show)."""
        return self.path.name


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = " ".join(str(value).split())
    return text or None


ref_key = product_reference
"""A product reference as its key (:func:`crmtui.records.normalize.product_reference`)."""


class _Transformer:
    """Turns one file's rows into canonical records (one instance per file)."""

    def __init__(self, source: IsavigneSource, file: ExportFile, header: list[Any]) -> None:
        self.source = source
        self.file = file
        self.kind = file.kind
        names = [normalize_column(str(h or "")) for h in header]
        self.width = len(names)
        self.columns: dict[str, int] = {}
        # The operator's own mapping (ISAVIGNE_COLUMNS) comes first, then the known aliases.
        for header_name, field in source.columns.get(self.kind, {}).items():
            if header_name in names:
                self.columns[field] = names.index(header_name)
        for field, aliases in ALIASES[self.kind].items():
            if field in self.columns:
                continue
            for alias in aliases:
                if alias in names:
                    self.columns[field] = names.index(alias)
                    break
        for field in REQUIRED[self.kind]:
            if field not in self.columns:
                raise UnreadableFile(
                    1,
                    t("etl.missing_column", field=field, names=", ".join(ALIASES[self.kind][field])),
                    t("etl.missing_column.fix", kind=self.kind, field=field),
                )
        self.seen_codes: dict[str, int] = {}
        self.piece: str | None = None
        self.piece_lines: dict[str, int] = {}

    def location(self, line: int) -> str:
        return f"{self.file.name}:{line}"

    def get(self, values: list[Any], field: str) -> Any:
        index = self.columns.get(field)
        if index is None or index >= len(values):
            return None
        value = values[index]
        return value.strip() if isinstance(value, str) else value

    def transform(self, line: int, values: list[Any]) -> tuple[Canonical | None, SkippedRow | None]:
        """A record, or the reason the row is skipped (a warning rides along in ``warnings``)."""
        if len(values) != self.width:
            extra = values[self.width :]
            if len(values) < self.width or any(str(v).strip() for v in extra if v is not None):
                return None, self.skip(line, t("etl.col_count", expected=self.width, found=len(values)))
        try:
            if self.kind == "produits":
                return self.product(values), None
            if self.kind == "clients":
                return self.customer(line, values), None
            if self.kind == "ventes":
                return self.sale(values), None
            return self.stock(values), None
        except _RowError as exc:
            return None, self.skip(line, exc.reason)

    def skip(self, line: int, reason: str) -> SkippedRow:
        return SkippedRow(SOURCE, self.location(line), reason)

    def required(self, values: list[Any], field: str) -> str:
        text = _text(self.get(values, field))
        if not text:
            raise _RowError(t("etl.missing_value", field=field_label(field)))
        if any(ord(c) < 32 for c in text):
            raise _RowError(t("etl.control_chars"))
        return text

    def number(self, values: list[Any], field: str) -> float | None:
        try:
            return parse_decimal(self.get(values, field))
        except InvalidValue as exc:
            raise _RowError(t("etl.bad_value", field=field_label(field), detail=str(exc))) from None

    def when(self, values: list[Any], field: str) -> str | None:
        try:
            return iso(parse_date(self.get(values, field)))
        except InvalidValue as exc:
            raise _RowError(t("etl.bad_value", field=field_label(field), detail=str(exc))) from None

    def flag(self, values: list[Any], field: str, default: bool = False) -> bool:
        try:
            return parse_bool(self.get(values, field), default)
        except InvalidValue as exc:
            raise _RowError(t("etl.bad_value", field=field_label(field), detail=str(exc))) from None

    # -- kinds ----------------------------------------------------------------------------

    def product(self, values: list[Any]) -> Product:
        reference = ref_key(self.required(values, "reference"))
        name = _text(self.get(values, "name"))
        price = self.number(values, "price")
        cost = self.number(values, "cost")
        pack_size = self.number(values, "pack_size")
        packaging = _text(self.get(values, "packaging")) or ""
        bottles = bottles_per_unit(packaging, pack_size) or 1.0
        vintage_text = _text(self.get(values, "vintage"))
        vintage = int(vintage_text) if vintage_text and vintage_text.isdigit() else None
        appellation = _text(self.get(values, "appellation"))
        region = _text(self.get(values, "region"))
        key = reference
        self.source.products[key] = (bottles, cost)
        return Product(
            product_key=key,
            name=printable(name) if name else None,
            category=category(_text(self.get(values, "colour")), name),
            price_segment=price_segment(price, bottles),
            list_price_eur=price,
            cost_price_eur=cost,
            grape_varieties=split_grapes(_text(self.get(values, "grapes"))),
            flavors=_text(self.get(values, "flavors")),
            vintage=vintage,
            region=" — ".join(x for x in (region, appellation) if x) or None,
            alcohol_percent=self.number(values, "alcohol"),
            body=_text(self.get(values, "body")),
            tannins=_text(self.get(values, "tannins")),
            bottles_75cl_eq=bottles,
            source=SOURCE,
            active=self.flag(values, "active", True),
        )

    def customer(self, line: int, values: list[Any]) -> Customer:
        code = self.required(values, "code")
        previous = self.seen_codes.get(code)
        if previous is not None:
            self.source.warnings.append(self.skip(line, t("etl.duplicate_code", code=code, line=previous)))
        self.seen_codes[code] = line
        last_raw = _text(self.get(values, "last_name"))
        if "first_name" in self.columns:
            first, last = _text(self.get(values, "first_name")), last_raw
        else:
            first, last = split_name(last_raw or "", self.source.name_order)
        region, country = normalize_country(_text(self.get(values, "country")))
        email, phones, invalid = contact_points(
            _text(self.get(values, "email")),
            {field: _text(self.get(values, field)) for field in ("phone", "mobile")},
            region,
        )
        return Customer(
            customer_key=f"{SOURCE}-{code}",
            first_name=first,
            last_name=last,
            company=_text(self.get(values, "company")),
            email=email,
            phone=phones["phone"],
            mobile=phones["mobile"],
            zip_code=normalize_postcode(self.get(values, "zip_code"), region),
            city=_text(self.get(values, "city")),
            country=country,
            email_opt_out=self.flag(values, "email_opt_out"),
            sms_opt_out=self.flag(values, "sms_opt_out"),
            phone_opt_out=self.flag(values, "phone_opt_out"),
            active=self.flag(values, "active", True),
            name_key=name_key(first, last),
            invalid_fields=",".join(invalid),
            source=SOURCE,
        )

    def sale(self, values: list[Any]) -> SalesLine:
        customer = self.required(values, "customer")
        reference = ref_key(self.required(values, "reference"))
        date_sale = self.when(values, "date")
        if date_sale is None:
            raise _RowError(t("etl.missing_value", field=field_label("date")))
        quantity = self.number(values, "quantity")
        if quantity is None:
            raise _RowError(t("etl.missing_value", field=field_label("quantity")))
        piece = _text(self.get(values, "order_ref"))
        # A sales line is identified by (document, reference, occurrence): two lines of the same
        # product in one document are two lines (#2). Occurrences are counted per run of
        # contiguous lines of a document, as the ERP writes them, which keeps memory flat on a
        # million-line file; a document exported twice (appended exports) therefore maps onto
        # the same keys and is not counted twice.
        if piece != self.piece:
            self.piece, self.piece_lines = piece, {}
        occurrence = self.piece_lines[reference] = self.piece_lines.get(reference, 0) + 1
        product_key = reference
        factor_known, cost_per_unit = self.source.products.get(product_key, (None, None))
        pack_size = self.number(values, "pack_size")
        factor = bottles_per_unit(_text(self.get(values, "unit")) or "", pack_size)
        if factor is None:
            factor = factor_known or 1.0
        price_unit = self.number(values, "price_unit")
        total = self.number(values, "total")
        if total is None and price_unit is not None:
            total = round(price_unit * quantity, 2)
        cost = round(cost_per_unit * quantity, 2) if cost_per_unit is not None else None
        margin = round((total - cost) / total * 100, 2) if total and cost is not None and total != 0 else None
        base = piece or f"{date_sale[:10]}-{customer}"
        suffix = "" if occurrence == 1 else f"#{occurrence}"
        return SalesLine(
            sale_line_key=f"{SOURCE}-{base}-{reference}{suffix}",
            order_ref=piece,
            customer_key=f"{SOURCE}-{customer}",
            product_key=product_key,
            date_sale=date_sale,
            quantity_units=quantity,
            quantity_bottles_75cl_eq=round(quantity * factor, 4),
            price_unit_eur=price_unit,
            price_total_eur=total,
            cost_total_eur=cost,
            margin_percent=margin,
            channel=_text(self.get(values, "channel")),
            source=SOURCE,
        )

    def stock(self, values: list[Any]) -> StockLevel:
        reference = ref_key(self.required(values, "reference"))
        warehouse = _text(self.get(values, "warehouse")) or "Principal"
        quantity = self.number(values, "quantity")
        if quantity is None:
            raise _RowError(t("etl.missing_value", field=field_label("quantity")))
        reserved = self.number(values, "reserved") or 0.0
        product_key = reference
        unit = _text(self.get(values, "unit"))
        factor = bottles_per_unit(unit, self.number(values, "pack_size")) if unit else None
        if factor is None:
            factor = self.source.products.get(product_key, (1.0, None))[0] or 1.0
        return StockLevel(
            stock_key=f"{SOURCE}-{reference}@{slug(warehouse)}",
            product_key=product_key,
            warehouse=warehouse,
            quantity_units=quantity,
            quantity_bottles_75cl_eq=round(quantity * factor, 4),
            last_count_date=self.when(values, "date"),
            reserved_qty=reserved,
            available_qty=quantity - reserved,
            source=SOURCE,
        )


class _RowError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class IsavigneSource:
    """Extract and transform an iSaVigne export folder.

    Args:
        folder: the export folder.
        batch_size: rows per batch (one transaction each).
        products: known products of this source (key → (75 cl factor, unit cost)), read from the
            store by the engine, for sales lines whose unit is a bare "Carton".
        columns: the operator's own header mapping (ISAVIGNE_COLUMNS): file kind → normalised
            header → field of :data:`ALIASES`; it wins over the aliases.
        name_order: ``first_last`` (default, as the estate's document says) or ``last_first``
            (ISAVIGNE_NAME_ORDER) for a ``nom`` column holding both names.
    """

    name = SOURCE
    kind = "isavigne"
    is_async = False

    def __init__(
        self,
        folder: Path,
        *,
        batch_size: int = 5000,
        products: Mapping[str, tuple[float | None, float | None]] | None = None,
        columns: Mapping[str, Mapping[str, str]] | None = None,
        name_order: str = "first_last",
    ) -> None:
        self.columns = {kind: dict(m) for kind, m in (columns or {}).items()}
        self.name_order = name_order
        self.folder = Path(folder)
        self.batch_size = batch_size
        self.products: dict[str, tuple[float | None, float | None]] = dict(products or {})
        self.warnings: list[SkippedRow] = []

    def describe(self) -> str:
        """Where the source reads from (for screens and logs)."""
        return str(self.folder)

    def discover(self) -> list[ExportFile]:
        """The export files, in load order (kind, then name: dated names sort in time).

        Raises:
            IsavigneError: the folder is missing or unreadable.
        """
        if not self.folder.is_dir():
            raise IsavigneError(t("etl.no_folder", path=self.folder), hint=t("etl.no_folder.fix"))
        try:
            found = [(file_kind(p), p) for p in self.folder.iterdir() if p.is_file()]
        except OSError as exc:
            raise IsavigneError(t("etl.no_folder", path=self.folder), hint=exc.strerror or "") from exc
        files = [ExportFile(p, k) for k, p in found if k is not None]
        files.sort(key=lambda f: (KINDS.index(f.kind), f.path.name))
        return files

    def test(self) -> str:
        """Check the folder can be read; return a one-line summary.

        Raises:
            IsavigneError: it cannot.
        """
        files = self.discover()
        return t("etl.folder_ok", n=len(files), path=self.folder)

    def batches(
        self,
        *,
        imported: Callable[[str], bool] = lambda sha: False,
        cursor: Callable[[str], str | None] = lambda name: None,
    ) -> Iterator[Batch]:
        """Read every export file and yield batches to load, in order.

        Args:
            imported: whether a content hash was fully imported already (the file is skipped).
            cursor: the stored cursor of a file name (``{"sha", "line"}``): rows up to that line
                of the same content were loaded by an interrupted run and are not yielded again.

        Raises:
            IsavigneError: the folder cannot be read.
        """
        files = self.discover()
        present = {f.kind for f in files}
        missing = [
            t("etl.no_file_of_kind", kind=kind, path=self.folder) for kind in KINDS if kind not in present
        ]
        if missing:
            yield Batch(notices=missing)
        for file in files:
            yield from self._file_batches(file, imported, cursor)

    def _file_batches(
        self,
        file: ExportFile,
        imported: Callable[[str], bool],
        cursor: Callable[[str], str | None],
    ) -> Iterator[Batch]:
        table = _TABLE_OF_KIND[file.kind]
        cursor_name = f"file:{file.name}"
        try:
            sha = sha256_of(file.path)
        except OSError as exc:
            reason = t("etl.unreadable", detail=exc.strerror or str(exc))
            yield Batch(refused=[SkippedRow(SOURCE, file.name, reason, t("etl.unreadable.fix"))])
            return
        if imported(sha):
            if file.kind == "produits":
                # Still read the formats and costs sales lines need (cheap, no load).
                self._remember_products(file)
            yield Batch(unchanged_file=file.name, progress=t("etl.file_unchanged", name=file.name))
            return
        resume_after = 0
        stored = cursor(cursor_name)
        if stored:
            state = json.loads(stored)
            if state.get("sha") == sha:
                resume_after = int(state.get("line", 0))
        batch = Batch()
        rows = 0
        last_line = 1
        transformer: _Transformer | None = None
        try:
            for line, values in read_rows(file.path):
                last_line = line
                if transformer is None:
                    transformer = _Transformer(self, file, values)
                    continue
                rows += 1
                record, skipped = transformer.transform(line, values)
                if line <= resume_after:
                    self.warnings.clear()
                    continue
                batch.read[table] = batch.read.get(table, 0) + 1
                if record is not None:
                    batch.records.append(record)
                if skipped is not None:
                    batch.skipped.append(skipped)
                if self.warnings:
                    batch.warnings.extend(self.warnings)
                    self.warnings.clear()
                if len(batch.records) + len(batch.skipped) >= self.batch_size:
                    batch.cursor = (cursor_name, json.dumps({"sha": sha, "line": line}))
                    batch.progress = t("etl.file_progress", name=file.name, line=line)
                    yield batch
                    batch = Batch()
        except IsavigneError as exc:
            message = exc.message.removeprefix(f"{file.name}: ")
            batch.refused.append(SkippedRow(SOURCE, file.name, message, exc.hint or t("etl.unreadable.fix")))
            yield batch
            return
        except UnreadableFile as exc:
            batch.refused.append(SkippedRow(SOURCE, f"{file.name}:{exc.line}", exc.reason, exc.hint))
            batch.cursor = (cursor_name, json.dumps({"sha": sha, "line": last_line}))
            yield batch
            return
        batch.cursor = (cursor_name, json.dumps({"sha": sha, "line": last_line}))
        batch.done_file = (file.name, sha, file.kind, rows)
        batch.progress = t("etl.file_progress", name=file.name, line=last_line)
        yield batch

    def _remember_products(self, file: ExportFile) -> None:
        try:
            rows = read_rows(file.path)
            _, header = next(rows)
            transformer = _Transformer(self, file, header)
            for line, values in rows:
                transformer.transform(line, values)
        except (IsavigneError, UnreadableFile, StopIteration):
            pass
        self.warnings.clear()


def folded_columns(path: Path) -> list[str]:
    """The normalised header of an export file (for the mapping view)."""
    try:
        for _, values in read_rows(path):
            return [normalize_column(str(v or "")) for v in values]
    except (IsavigneError, UnreadableFile):
        return []
    return []


def column_for(kind: str, field: str, header: list[str]) -> str | None:
    """Which column of ``header`` feeds ``field`` for a file ``kind``, or None."""
    for alias in ALIASES.get(kind, {}).get(field, ()):
        if alias in header:
            return alias
    return None


def kind_of_table(table: str) -> str | None:
    """The export kind feeding a canonical table."""
    for kind, name in _TABLE_OF_KIND.items():
        if name == table:
            return kind
    return None


def describe_cursor(name: str, value: str) -> str | None:
    """A stored file cursor as people read it: ``clients_20261102.csv up to line 2,808``.

    None when it is not a file cursor (``file:<name>``, ``{"sha": …, "line": …}``) this source writes.
    """
    if not name.startswith("file:"):
        return None
    try:
        line = int(json.loads(value)["line"])
    except (ValueError, KeyError, TypeError):
        return None
    return t("etl.cursor.file", file=printable(name.removeprefix("file:")), line=number(line))
