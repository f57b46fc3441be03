"""iSaVigne-style ERP export files for the sandbox and the ETL tests.

:func:`write_exports` writes what a winery's ERP hands over: ``clients``, ``produits``, ``ventes``
and ``stock`` as Windows CSV (**cp1252**, ``;`` separators, CRLF, decimal commas, thousands
separators as a space or a no-break space, ``dd/mm/yyyy`` dates, some with ``hh:mm``), plus a
second customer file as ``.xlsx`` in the layout of another ERP screen (no ``Prénom`` column:
``Nom`` holds ``DUPONT Marie``).

Dirty rows are planted on purpose and described in the returned ``dirty`` dict: a malformed sales
line (wrong column count), a sale of an unknown product (orphan), a client code exported twice, an
invalid e-mail, an empty mandatory field, a negative stock, a postcode stored as a number in the
spreadsheet (leading zero lost).

Each customer gets a planted taste (a colour, a region and a price band) that drives about 70% of
their purchases, returned under ``tastes`` so that recommendation quality can be measured.
"""

from __future__ import annotations

import csv
import random
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO, TypedDict

import openpyxl

from crmtui.sandbox.data import (
    FRENCH_FIRST_NAMES,
    FRENCH_LAST_NAMES,
    FRENCH_PHONE_SECOND_DIGITS,
    FRENCH_STREETS,
)

__all__ = [
    "BOTTLES_75CL",
    "CLIENT_COLUMNS",
    "CLIENT_VARIANT_COLUMNS",
    "PRICE_BANDS",
    "PRODUCT_COLUMNS",
    "SALES_COLUMNS",
    "STOCK_COLUMNS",
    "CustomerTaste",
    "DirtyRows",
    "IsavigneExports",
    "price_band",
    "write_exports",
    "write_malformed_csv",
]

ENCODING = "cp1252"

CLIENT_COLUMNS: list[str] = [
    "Code client",
    "Civilité",
    "Nom",
    "Prénom",
    "Société",
    "Adresse",
    "Code postal",
    "Ville",
    "Pays",
    "E-mail",
    "Téléphone",
    "Portable",
    "Date création",
    "Opt-out e-mail",
    "Catégorie",
]
"""Header of ``clients_<date>.csv``."""

CLIENT_VARIANT_COLUMNS: list[str] = [c for c in CLIENT_COLUMNS if c not in ("Civilité", "Prénom")]
"""Header of ``clients_pro_<date>.xlsx``: no ``Prénom``, ``Nom`` holds "DUPONT Marie"."""

PRODUCT_COLUMNS: list[str] = [
    "Référence",
    "Désignation",
    "Couleur",
    "Millésime",
    "Appellation",
    "Région",
    "Cépages",
    "Degré",
    "Prix TTC",
    "Prix de revient",
    "Conditionnement",
]
"""Header of ``produits_<date>.csv``."""

SALES_COLUMNS: list[str] = [
    "N° pièce",
    "Date",
    "Code client",
    "Référence",
    "Quantité",
    "Unité",
    "PU HT",
    "Montant HT",
    "Canal",
]
"""Header of ``ventes_<date>.csv``."""

STOCK_COLUMNS: list[str] = ["Référence", "Entrepôt", "Quantité", "Réservé", "Date inventaire"]
"""Header of ``stock_<date>.csv``."""

BOTTLES_75CL: dict[str, float] = {
    "Bouteille 75cl": 1.0,
    "Demi-bouteille": 0.5,
    "Magnum": 2.0,
    "Jéroboam": 4.0,
    "Clavelin 62cl": 62 / 75,
    "Carton de 6": 6.0,
    "Caisse 12 bouteilles": 12.0,
    "BIB 5L": 500 / 75,
}
"""75 cl bottle equivalents of each ``Conditionnement``."""

PRICE_BANDS: list[tuple[str, float, float]] = [
    ("ENTRY", 0.0, 15.0),
    ("STANDARD", 15.0, 30.0),
    ("PREMIUM", 30.0, 75.0),
    ("LUXURY", 75.0, float("inf")),
]
"""Price bands (name, low, high) on the price TTC of a 75 cl equivalent, in euros.

The same names and bounds as the ETL's price segments (``crmtui.records.normalize``), so a planted
taste compares directly with a loaded product's segment; a test keeps the two in step.
"""

_UNITS = {
    "Bouteille 75cl": "Bouteille",
    "Demi-bouteille": "Demi",
    "Magnum": "Magnum",
    "Jéroboam": "Jéroboam",
    "Clavelin 62cl": "Clavelin",
    "Carton de 6": "Carton",
    "Caisse 12 bouteilles": "Caisse",
    "BIB 5L": "BIB",
}
# Price of a format relative to the 75 cl bottle price.
_FORMAT_PRICE = {
    "Bouteille 75cl": 1.0,
    "Demi-bouteille": 0.55,
    "Magnum": 2.1,
    "Jéroboam": 4.4,
    "Clavelin 62cl": 1.0,
    "Carton de 6": 6 * 0.96,
    "Caisse 12 bouteilles": 12 * 0.93,
    "BIB 5L": 6.0,
}
_FORMAT_CODE = {
    "Bouteille 75cl": "75",
    "Demi-bouteille": "37",
    "Magnum": "MG",
    "Jéroboam": "JB",
    "Clavelin 62cl": "CL",
    "Carton de 6": "C6",
    "Caisse 12 bouteilles": "C12",
    "BIB 5L": "BIB",
}
_BULK = frozenset({"Carton de 6", "Caisse 12 bouteilles"})


@dataclass(frozen=True)
class _Cuvee:
    code: str
    name: str
    colour: str
    appellation: str
    region: str
    grapes: str
    degree: float
    price: float  # TTC, 75 cl, latest vintage
    formats: tuple[str, ...]
    vintage: bool = True


_B75, _DEMI, _MG, _JB, _C6, _C12, _BIB = (
    "Bouteille 75cl",
    "Demi-bouteille",
    "Magnum",
    "Jéroboam",
    "Carton de 6",
    "Caisse 12 bouteilles",
    "BIB 5L",
)

# fmt: off
_CUVEES: list[_Cuvee] = [
    _Cuvee("BPN", "Bourgogne Pinot Noir", "Rouge", "Bourgogne", "Bourgogne", "Pinot noir", 13.0, 16.5, (_B75, _DEMI, _MG, _C6, _C12)),
    _Cuvee("BCH", "Bourgogne Chardonnay", "Blanc", "Bourgogne", "Bourgogne", "Chardonnay", 13.0, 15.9, (_B75, _DEMI, _C6, _C12)),
    _Cuvee("BAL", "Bourgogne Aligoté", "Blanc", "Bourgogne Aligoté", "Bourgogne", "Aligoté", 12.0, 9.8, (_B75, _C6, _C12)),
    _Cuvee("BG1", 'Beaune 1er Cru "Les Grèves"', "Rouge", "Beaune Premier Cru", "Bourgogne", "Pinot noir", 13.5, 42.0, (_B75, _MG, _JB, _C6)),
    _Cuvee("POM", "Pommard Vieilles Vignes", "Rouge", "Pommard", "Bourgogne", "Pinot noir", 13.5, 38.0, (_B75, _MG, _C6)),
    _Cuvee("NSG", "Nuits-Saint-Georges 1er Cru", "Rouge", "Nuits-Saint-Georges Premier Cru", "Bourgogne", "Pinot noir", 13.5, 55.0, (_B75, _MG, _JB, _C6)),
    _Cuvee("CGC", "Corton Grand Cru", "Rouge", "Corton Grand Cru", "Bourgogne", "Pinot noir", 13.5, 96.0, (_B75, _MG, _C6)),
    _Cuvee("CVG", "Clos de Vougeot Grand Cru", "Rouge", "Clos de Vougeot", "Bourgogne", "Pinot noir", 13.5, 145.0, (_B75, _MG)),
    _Cuvee("MEU", "Meursault", "Blanc", "Meursault", "Bourgogne", "Chardonnay", 13.5, 48.0, (_B75, _MG, _C6)),
    _Cuvee("CBR", "Crémant de Bourgogne Brut", "Effervescent", "Crémant de Bourgogne", "Bourgogne", "Chardonnay, Pinot noir", 12.0, 12.5, (_B75, _MG, _C6), False),
    _Cuvee("CBO", "Coteaux Bourguignons Rosé", "Rosé", "Coteaux Bourguignons", "Bourgogne", "Gamay, Pinot noir", 12.5, 8.9, (_B75, _C6, _BIB)),
    _Cuvee("MOR", "Morgon Côte du Py", "Rouge", "Morgon", "Beaujolais", "Gamay", 13.0, 17.0, (_B75, _MG, _C6, _C12)),
    _Cuvee("BJV", "Beaujolais-Villages", "Rouge", "Beaujolais-Villages", "Beaujolais", "Gamay", 12.5, 8.5, (_B75, _C12, _BIB)),
    _Cuvee("VJA", "Arbois Vin Jaune", "Blanc", "Arbois", "Jura", "Savagnin", 14.0, 39.0, ("Clavelin 62cl",)),
    _Cuvee("CJC", "Côtes du Jura Chardonnay", "Blanc", "Côtes du Jura", "Jura", "Chardonnay", 13.0, 14.5, (_B75, _C6)),
    _Cuvee("CRJ", "Crémant du Jura", "Effervescent", "Crémant du Jura", "Jura", "Chardonnay, Poulsard", 12.0, 11.9, (_B75, _C6), False),
    _Cuvee("CDR", "Côtes du Rhône", "Rouge", "Côtes du Rhône", "Rhône", "Grenache 60 %, Syrah 40 %", 14.0, 7.9, (_B75, _C12, _BIB)),
    _Cuvee("CRZ", "Crozes-Hermitage", "Rouge", "Crozes-Hermitage", "Rhône", "Syrah", 13.5, 19.5, (_B75, _MG, _C6)),
    _Cuvee("TAV", "Tavel", "Rosé", "Tavel", "Rhône", "Grenache, Cinsault", 13.5, 13.5, (_B75, _C6)),
    _Cuvee("CDU", "Condrieu", "Blanc", "Condrieu", "Rhône", "Viognier", 14.0, 45.0, (_B75, _C6)),
    _Cuvee("SAN", "Sancerre", "Blanc", "Sancerre", "Loire", "Sauvignon blanc", 13.0, 18.5, (_B75, _DEMI, _C6, _C12)),
    _Cuvee("CHI", "Chinon", "Rouge", "Chinon", "Loire", "Cabernet franc", 12.5, 12.9, (_B75, _C6, _C12)),
    _Cuvee("VOU", "Vouvray Demi-Sec", "Blanc", "Vouvray", "Loire", "Chenin blanc", 12.0, 14.0, (_B75, _C6)),
    _Cuvee("PSL", "Pic Saint-Loup", "Rouge", "Pic Saint-Loup", "Languedoc", "Syrah, Grenache, Mourvèdre", 14.0, 16.0, (_B75, _MG, _C6)),
    _Cuvee("PPN", "Picpoul de Pinet", "Blanc", "Picpoul de Pinet", "Languedoc", "Piquepoul", 12.5, 8.9, (_B75, _C12, _BIB)),
    _Cuvee("OCR", "IGP Pays d'Oc Rosé", "Rosé", "Pays d'Oc", "Languedoc", "Cinsault, Grenache", 12.5, 6.5, (_B75, _C12, _BIB)),
    _Cuvee("CHB", "Champagne Brut Réserve", "Effervescent", "Champagne", "Champagne", "Chardonnay, Pinot noir, Meunier", 12.0, 32.0, (_B75, _DEMI, _MG, _JB, _C6), False),
    _Cuvee("CHR", "Champagne Rosé", "Effervescent", "Champagne", "Champagne", "Pinot noir, Chardonnay", 12.0, 39.0, (_B75, _MG, _C6), False),
    _Cuvee("CHP", "Champagne Cuvée Prestige", "Effervescent", "Champagne", "Champagne", "Chardonnay", 12.5, 119.0, (_B75, _MG, _JB), False),
    _Cuvee("CHM", "Champagne Millésimé", "Effervescent", "Champagne", "Champagne", "Chardonnay, Pinot noir", 12.5, 58.0, (_B75, _MG)),
    _Cuvee("CPR", "Côtes de Provence Rosé", "Rosé", "Côtes de Provence", "Provence", "Grenache, Cinsault, Syrah", 13.0, 13.9, (_B75, _MG, _C6, _C12)),
    _Cuvee("BDL", "Bandol Rouge", "Rouge", "Bandol", "Provence", "Mourvèdre", 14.0, 29.0, (_B75, _MG, _C6)),
    _Cuvee("ARI", "Alsace Riesling", "Blanc", "Alsace", "Alsace", "Riesling", 12.5, 12.5, (_B75, _C6, _C12)),
    _Cuvee("AGW", "Alsace Gewurztraminer", "Blanc", "Alsace", "Alsace", "Gewurztraminer", 13.5, 16.9, (_B75, _C6)),
    _Cuvee("CAL", "Crémant d'Alsace", "Effervescent", "Crémant d'Alsace", "Alsace", "Pinot blanc, Auxerrois", 12.0, 11.5, (_B75, _C6), False),
    _Cuvee("SEM", "Saint-Émilion Grand Cru", "Rouge", "Saint-Émilion Grand Cru", "Bordeaux", "Merlot, Cabernet franc", 14.0, 34.0, (_B75, _MG, _JB, _C6, _C12)),
    _Cuvee("BXR", "Bordeaux Supérieur", "Rouge", "Bordeaux Supérieur", "Bordeaux", "Merlot, Cabernet sauvignon", 13.5, 9.5, (_B75, _C12, _BIB)),
    _Cuvee("ENM", "Entre-deux-Mers", "Blanc", "Entre-deux-Mers", "Bordeaux", "Sauvignon blanc, Sémillon", 12.5, 8.2, (_B75, _C12)),
]
# fmt: on

_CUSTOMER_KINDS = ["Particulier", "Caviste", "Export", "CHR", "Comité d'entreprise"]
_CUSTOMER_WEIGHTS = [0.64, 0.15, 0.09, 0.08, 0.04]
_DISCOUNT = {"Particulier": 0.0, "Caviste": 0.22, "Export": 0.30, "CHR": 0.18, "Comité d'entreprise": 0.10}
_CITIES = [
    ("21200", "Beaune"),
    ("21000", "Dijon"),
    ("75011", "Paris"),
    ("75016", "Paris"),
    ("69002", "Lyon"),
    ("33000", "Bordeaux"),
    ("13001", "Marseille"),
    ("59000", "Lille"),
    ("67000", "Strasbourg"),
    ("44000", "Nantes"),
    ("51100", "Reims"),
    ("06000", "Nice"),
    ("71000", "Mâcon"),
    ("39600", "Arbois"),
    ("01000", "Bourg-en-Bresse"),
    ("21190", "Meursault"),
    ("29200", "Brest"),
    ("74000", "Annecy"),
]
_ABROAD = [
    ("Belgique", "1000", "Bruxelles", "+32 2 512 34 {:02d}"),
    ("Belgique", "4000", "Liège", "+32 4 223 45 {:02d}"),
    ("Suisse", "1204", "Genève", "+41 22 310 12 {:02d}"),
    ("Allemagne", "10115", "Berlin", "+49 30 12345{:02d}"),
    ("Royaume-Uni", "SW1A 1AA", "Londres", "+44 20 7946 01{:02d}"),
    ("Danemark", "1050", "Copenhague", "+45 33 12 34 {:02d}"),
    ("Japon", "100-0001", "Tokyo", "+81 3 1234 56{:02d}"),
]
_DOMAINS = [
    "gmail.com",
    "orange.fr",
    "free.fr",
    "wanadoo.fr",
    "laposte.net",
    "hotmail.fr",
    "exemple.fr",
    "exemple.com",
]
_WAREHOUSES = ["Chai principal", "Caveau", "Dépôt Beaune"]
_ORPHAN_REFERENCE = "VDP15-75"


class CustomerTaste(TypedDict):
    """What a customer mostly buys (about 70% of their sales lines match all three)."""

    colour: str
    region: str
    price_band: str


class DirtyRows(TypedDict):
    """Where the planted problems are, so tests can check the quality report finds them."""

    malformed_line: int  # 1-based physical line number in ventes_<date>.csv
    orphan_reference: str  # sold, absent from produits
    duplicate_client_code: str  # exported twice in clients_<date>.csv
    invalid_email: str  # the malformed address in clients_<date>.csv
    invalid_email_client: str
    empty_mandatory: tuple[str, str]  # (client code, column) in clients_<date>.csv
    negative_stock: str  # reference with a negative quantity in stock_<date>.csv
    xlsx_postcode_as_number: str  # client code whose postcode lost its leading zero


class IsavigneExports(TypedDict):
    """What :func:`write_exports` wrote."""

    clients: Path
    clients_xlsx: Path
    produits: Path
    ventes: Path
    stock: Path
    date: date
    tastes: dict[str, CustomerTaste]
    dirty: DirtyRows


@dataclass(frozen=True)
class _Product:
    reference: str
    cuvee: _Cuvee
    vintage: str
    packaging: str
    price: float  # TTC of the whole packaging

    @property
    def band(self) -> str:
        return price_band(self.price, self.packaging)


@dataclass
class _Customer:
    code: str
    kind: str
    civility: str
    first: str
    last: str
    company: str
    street: str
    postcode: str
    city: str
    country: str
    email: str
    phone: str
    mobile: str
    created: datetime
    opt_out: bool
    taste: CustomerTaste


def price_band(price_ttc: float | str, packaging: str = "Bouteille 75cl") -> str:
    """The :data:`PRICE_BANDS` name for a price TTC of ``packaging`` (``"12,50"`` is accepted)."""
    if isinstance(price_ttc, str):
        price_ttc = float(price_ttc.replace("\u00a0", "").replace(" ", "").replace(",", "."))
    per_bottle = price_ttc / BOTTLES_75CL.get(packaging, 1.0)
    for name, low, high in PRICE_BANDS:
        if low <= per_bottle < high:
            return name
    return PRICE_BANDS[-1][0]


# --------------------------------------------------------------------------------------------
# Formatting the way the ERP does
# --------------------------------------------------------------------------------------------


def _amount(value: float, thousands: str = "") -> str:
    """``1234.5`` -> ``"1 234,50"`` (with ``thousands`` as the separator) or ``"1234,50"``."""
    text = f"{value:,.2f}" if thousands else f"{value:.2f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", thousands)


def _quantity(value: int, thousands: str = "") -> str:
    return f"{value:,d}".replace(",", thousands) if thousands else str(value)


def _when(moment: datetime, with_time: bool) -> str:
    return moment.strftime("%d/%m/%Y %H:%M" if with_time else "%d/%m/%Y")


def _slug(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return (
        "".join(c for c in decomposed if not unicodedata.combining(c))
        .lower()
        .replace(" ", "")
        .replace("'", "")
    )


def _french_phone(rng: random.Random, mobile: bool) -> str:
    lead = rng.choice("67") if mobile else rng.choice("12345")
    second = rng.choice(FRENCH_PHONE_SECOND_DIGITS[lead])
    digits = "0" + lead + second + f"{rng.randrange(10_000_000):07d}"
    style = rng.random()
    if style < 0.5:
        return " ".join(digits[k : k + 2] for k in range(0, 10, 2))
    if style < 0.7:
        return digits
    if style < 0.85:
        return "+33 " + digits[1] + " " + " ".join(digits[k : k + 2] for k in range(2, 10, 2))
    return ".".join(digits[k : k + 2] for k in range(0, 10, 2))


# --------------------------------------------------------------------------------------------
# Building the data
# --------------------------------------------------------------------------------------------


def _catalog(rng: random.Random, year: int) -> list[_Product]:
    products: list[_Product] = []
    for cuvee in _CUVEES:
        if cuvee.vintage:
            latest = year - (2 if cuvee.colour == "Rouge" else 1)
            vintages = [latest] if rng.random() < 0.5 else [latest, latest - 1]
            if cuvee.code == "VJA":
                vintages = [year - 8]  # six years and three months under a veil of yeast
        else:
            vintages = [0]
        for vintage in vintages:
            age_premium = 1.0 + 0.08 * ((year - vintage) - 2 if vintage else 0)
            for packaging in cuvee.formats:
                base = cuvee.price * max(age_premium, 1.0) * _FORMAT_PRICE[packaging]
                price = round(base * 10) / 10 - (0.1 if rng.random() < 0.4 else 0.0)
                tag = f"{vintage % 100:02d}" if vintage else "NM"
                products.append(
                    _Product(
                        reference=f"{cuvee.code}{tag}-{_FORMAT_CODE[packaging]}",
                        cuvee=cuvee,
                        vintage=str(vintage) if vintage else "NM",
                        packaging=packaging,
                        price=round(price, 2),
                    )
                )
    return products


def _customers(rng: random.Random, count: int, products: list[_Product], today: date) -> list[_Customer]:
    anchors = [p for p in products if p.packaging in ("Bouteille 75cl", "Clavelin 62cl")]
    customers: list[_Customer] = []
    for k in range(count):
        # The first five cover every kind, so every channel shows up even in small exports.
        kind = (
            _CUSTOMER_KINDS[k]
            if k < len(_CUSTOMER_KINDS)
            else rng.choices(_CUSTOMER_KINDS, _CUSTOMER_WEIGHTS)[0]
        )
        first = rng.choice(FRENCH_FIRST_NAMES)
        last = rng.choice(FRENCH_LAST_NAMES)
        civility = rng.choice(["M.", "Mme", "Mme", "M.", "M. et Mme", ""])
        company = ""
        if kind == "Caviste":
            company = rng.choice(["Cave", "La Cave de", "Les Caves", "Cellier"]) + f" {last}"
        elif kind == "CHR":
            company = (
                rng.choice(["Restaurant", "Bistrot", "Hôtel", "Brasserie"])
                + f" {rng.choice(['Le Cep', 'La Table de ' + first, 'Le Relais', 'Chez ' + first])}"
            )
        elif kind == "Comité d'entreprise":
            company = f"CSE {rng.choice(['Renault', 'SNCF', 'Crédit Agricole', 'Airbus', 'Michelin'])}"
        elif kind == "Export":
            company = f"{last} Wine Import"
        if kind == "Export":
            country, postcode, city, phone_format = rng.choice(_ABROAD)
            phone = phone_format.format(rng.randrange(100))
            mobile = ""
        else:
            postcode, city = rng.choice(_CITIES)
            country = rng.choice(["France"] * 8 + ["FRANCE", "FR"])
            phone = _french_phone(rng, mobile=False) if rng.random() < 0.6 else ""
            mobile = _french_phone(rng, mobile=True) if rng.random() < 0.8 else ""
        local = rng.choice(
            [
                f"{_slug(first)}.{_slug(last)}",
                f"{_slug(first)[0]}{_slug(last)}",
                f"{_slug(last)}.{_slug(first)}",
            ]
        )
        email = (
            f"{local}{k + 1}@{rng.choice(_DOMAINS)}"
            if kind != "Caviste"
            else f"contact{k + 1}@cave-{_slug(last)}.fr"
        )
        if rng.random() < 0.1:
            email = email.capitalize()
        anchor = rng.choice(anchors)
        taste = CustomerTaste(colour=anchor.cuvee.colour, region=anchor.cuvee.region, price_band=anchor.band)
        created = (
            datetime.combine(today, datetime.min.time())
            - timedelta(days=rng.randint(30, 12 * 365))
            + timedelta(minutes=rng.randint(8 * 60, 19 * 60))
        )
        customers.append(
            _Customer(
                code=f"C{k + 1:05d}",
                kind=kind,
                civility=civility if kind == "Particulier" else rng.choice(["M.", "Mme"]),
                first=first,
                last=last,
                company=company,
                street=f"{rng.randint(1, 140)} {rng.choice(FRENCH_STREETS)}",
                postcode=postcode,
                city=city,
                country=country,
                email=email,
                phone=phone,
                mobile=mobile,
                created=created,
                opt_out=rng.random() < 0.1,
                taste=taste,
            )
        )
    return customers


def _sales(
    rng: random.Random, customers: list[_Customer], products: list[_Product], today: date
) -> list[tuple[datetime, bool, _Customer, list[tuple[_Product | None, int]], str]]:
    """Orders as (moment, show time, customer, [(product or None for the orphan, quantity)], channel)."""
    exact: dict[tuple[str, str, str], list[_Product]] = {}
    for product in products:
        exact.setdefault((product.cuvee.colour, product.cuvee.region, product.band), []).append(product)
    orders: list[tuple[datetime, bool, _Customer, list[tuple[_Product | None, int]], str]] = []
    start = datetime.combine(today, datetime.min.time())
    for customer in customers:
        taste = customer.taste
        pool = exact[(taste["colour"], taste["region"], taste["price_band"])]
        near = [p for p in products if p.cuvee.colour == taste["colour"] or p.cuvee.region == taste["region"]]
        pro = customer.kind in ("Caviste", "CHR", "Export")
        n_orders = rng.randint(3, 10) if pro else rng.randint(1, 6)
        for _ in range(n_orders):
            if customer.kind == "Particulier":
                channel = rng.choices(["Caveau", "Salon", "Web"], [0.45, 0.25, 0.30])[0]
            elif customer.kind == "Export":
                channel = "Export"
            elif customer.kind == "Comité d'entreprise":
                channel = "Caveau"
            else:
                channel = "Caviste"
            moment = (
                start
                - timedelta(days=rng.randint(1, 3 * 365))
                + timedelta(minutes=rng.randint(8 * 60, 19 * 60))
            )
            with_time = channel in ("Web", "Salon") or rng.random() < 0.1
            lines: list[tuple[_Product | None, int]] = []
            for _ in range(rng.randint(2, 6) if pro else rng.randint(1, 3)):
                roll = rng.random()
                source = pool if roll < 0.72 else near if roll < 0.9 else products
                bulk = [p for p in source if p.packaging in _BULK]
                if pro and bulk and rng.random() < 0.75:
                    product = rng.choice(bulk)
                else:
                    product = rng.choice(source)
                if customer.kind == "Export":
                    quantity = rng.randint(10, 60)
                elif pro:
                    quantity = rng.randint(2, 20)
                else:
                    quantity = rng.randint(1, 3) if product.packaging in _BULK else rng.randint(1, 12)
                lines.append((product, quantity))
            orders.append((moment, with_time, customer, lines, channel))
    orders.sort(key=lambda order: (order[0], order[2].code))
    # The orphan: a discontinued reference still in an old order.
    orders[len(orders) // 3][3].append((None, 6))
    return orders


# --------------------------------------------------------------------------------------------
# Writing the files
# --------------------------------------------------------------------------------------------


def _writer(handle: TextIO) -> Any:
    """A csv writer the way the ERP writes: ``;``, CRLF, quotes only when needed."""
    return csv.writer(handle, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)


def write_exports(
    folder: Path, customers: int = 150, seed: int = 42, export_date: date | None = None
) -> IsavigneExports:
    """Write one iSaVigne export set into ``folder`` (created if missing).

    Args:
        folder: where to write the files.
        customers: number of distinct customers (about a quarter go to the ``.xlsx`` file).
        seed: the same seed (and date) gives byte-identical files.
        export_date: the day of the export, used in file names and as "today" for every date;
            defaults to today.

    Returns:
        The paths (``clients``, ``clients_xlsx``, ``produits``, ``ventes``, ``stock``), the export
        ``date``, the planted ``tastes`` per client code and the planted ``dirty`` rows.
    """
    if customers < 5:
        raise ValueError("customers must be >= 5 (the planted dirty rows need a few)")
    today = export_date or date.today()
    stamp = today.strftime("%Y%m%d")
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    products = _catalog(rng, today.year)
    people = _customers(rng, customers, products, today)
    orders = _sales(rng, people, products, today)

    # Professionals come from another ERP screen, exported to Excel.
    in_xlsx = [c for c in people[len(_CUSTOMER_KINDS) :] if c.kind != "Particulier" and rng.random() < 0.7]
    xlsx_codes = {c.code for c in in_xlsx}
    in_csv = [c for c in people if c.code not in xlsx_codes]

    duplicate = in_csv[len(in_csv) // 2]
    invalid = in_csv[len(in_csv) // 4]
    empty_name = in_csv[(3 * len(in_csv)) // 4]
    invalid.email = invalid.email.replace("@", "@@", 1)

    paths = {
        "clients": folder / f"clients_{stamp}.csv",
        "clients_xlsx": folder / f"clients_pro_{stamp}.xlsx",
        "produits": folder / f"produits_{stamp}.csv",
        "ventes": folder / f"ventes_{stamp}.csv",
        "stock": folder / f"stock_{stamp}.csv",
    }

    # ---- clients (csv) ----
    with paths["clients"].open("w", encoding=ENCODING, newline="") as handle:
        out = _writer(handle)
        out.writerow(CLIENT_COLUMNS)
        for customer in in_csv:
            out.writerow(_client_row(customer, rng, blank_name=customer is empty_name))
            if customer is duplicate:
                # Typed twice at the counter: same code, a newer phone.
                again = _client_row(customer, rng, blank_name=False)
                again[CLIENT_COLUMNS.index("Portable")] = _french_phone(rng, mobile=True)
                out.writerow(again)

    # ---- clients (xlsx variant) ----
    postcode_as_number = next((c for c in in_xlsx if c.postcode.startswith("0")), None)
    _write_clients_xlsx(paths["clients_xlsx"], in_xlsx, postcode_as_number)

    # ---- produits ----
    with paths["produits"].open("w", encoding=ENCODING, newline="") as handle:
        out = _writer(handle)
        out.writerow(PRODUCT_COLUMNS)
        for product in products:
            cuvee = product.cuvee
            cost = product.price / 1.2 * rng.uniform(0.28, 0.42)
            out.writerow(
                [
                    product.reference,
                    f"{cuvee.name} {product.vintage if product.vintage != 'NM' else ''}".strip()
                    + ("" if product.packaging == "Bouteille 75cl" else f" - {product.packaging}"),
                    cuvee.colour,
                    product.vintage,
                    cuvee.appellation,
                    cuvee.region,
                    cuvee.grapes,
                    f"{cuvee.degree:.1f}".replace(".", ","),
                    _amount(product.price),
                    _amount(cost),
                    product.packaging,
                ]
            )

    # ---- ventes ----
    separators = [" ", "\u00a0", " ", "\u00a0", ""]
    big = 0
    line_number = 1
    malformed_at = 0
    total_lines = sum(len(order[3]) for order in orders)
    with paths["ventes"].open("w", encoding=ENCODING, newline="") as handle:
        out = _writer(handle)
        out.writerow(SALES_COLUMNS)
        piece_per_year: dict[int, int] = {}
        for moment, with_time, customer, lines, channel in orders:
            piece_per_year[moment.year] = piece_per_year.get(moment.year, 0) + 1
            piece = f"FA{moment.year % 100:02d}{piece_per_year[moment.year]:05d}"
            for item, quantity in lines:
                if item is None:
                    reference, unit, price = _ORPHAN_REFERENCE, "Bouteille", 9.0
                else:
                    reference, unit, price = item.reference, _UNITS[item.packaging], item.price
                unit_price = round(price / 1.2 * (1 - _DISCOUNT[customer.kind]), 2)
                total = round(unit_price * quantity, 2)
                thousands = ""
                if total >= 1000:
                    thousands = separators[big % len(separators)]
                    big += 1
                row = [
                    piece,
                    _when(moment, with_time),
                    customer.code,
                    reference,
                    str(quantity),
                    unit,
                    _amount(unit_price),
                    _amount(total, thousands),
                    channel,
                ]
                line_number += 1
                if not malformed_at and item is not None and line_number >= total_lines // 2:
                    # A comment typed into the last column, with a stray separator.
                    handle.write(";".join([*row, "remise fidélité; voir M. Thébault"]) + "\r\n")
                    malformed_at = line_number
                else:
                    out.writerow(row)

    # ---- stock ----
    negative = next(p for p in products if p.packaging == "BIB 5L")
    with paths["stock"].open("w", encoding=ENCODING, newline="") as handle:
        out = _writer(handle)
        out.writerow(STOCK_COLUMNS)
        stock_separators = ["\u00a0", " ", ""]
        for k, product in enumerate(products):
            for warehouse in _WAREHOUSES:
                if warehouse == "Caveau" and product.packaging in _BULK:
                    continue
                if warehouse == "Dépôt Beaune" and rng.random() < 0.6:
                    continue
                high = (
                    3000 if product.packaging == "Bouteille 75cl" and warehouse == "Chai principal" else 240
                )
                quantity = rng.randint(0, high)
                if product is negative and warehouse == "Chai principal":
                    quantity = -12
                reserved = rng.randint(0, min(max(quantity, 0), 48))
                counted = (
                    datetime.combine(today, datetime.min.time())
                    - timedelta(days=rng.randint(0, 30))
                    + timedelta(minutes=rng.randint(7 * 60, 18 * 60))
                )
                out.writerow(
                    [
                        product.reference,
                        warehouse,
                        _quantity(quantity, stock_separators[k % 3] if quantity >= 1000 else ""),
                        str(reserved),
                        _when(counted, rng.random() < 0.3),
                    ]
                )

    dirty = DirtyRows(
        malformed_line=malformed_at,
        orphan_reference=_ORPHAN_REFERENCE,
        duplicate_client_code=duplicate.code,
        invalid_email=invalid.email,
        invalid_email_client=invalid.code,
        empty_mandatory=(empty_name.code, "Nom"),
        negative_stock=negative.reference,
        xlsx_postcode_as_number=postcode_as_number.code if postcode_as_number else "",
    )
    return IsavigneExports(
        clients=paths["clients"],
        clients_xlsx=paths["clients_xlsx"],
        produits=paths["produits"],
        ventes=paths["ventes"],
        stock=paths["stock"],
        date=today,
        tastes={c.code: c.taste for c in people},
        dirty=dirty,
    )


def _client_row(customer: _Customer, rng: random.Random, blank_name: bool) -> list[str]:
    last = customer.last.upper() if rng.random() < 0.6 else customer.last
    return [
        customer.code,
        customer.civility,
        "" if blank_name else last,
        customer.first,
        customer.company,
        customer.street,
        customer.postcode,
        customer.city,
        customer.country,
        customer.email,
        customer.phone,
        customer.mobile,
        _when(customer.created, rng.random() < 0.25),
        "Oui" if customer.opt_out else "Non",
        customer.kind,
    ]


def _write_clients_xlsx(path: Path, customers: list[_Customer], postcode_as_number: _Customer | None) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Clients"
    sheet.append(CLIENT_VARIANT_COLUMNS)
    for customer in customers:
        postcode: str | int = customer.postcode
        if customer is postcode_as_number:
            postcode = int(customer.postcode)  # Excel ate the leading zero
        sheet.append(
            [
                customer.code,
                f"{customer.last.upper()} {customer.first}",
                customer.company,
                customer.street,
                postcode,
                customer.city,
                customer.country,
                customer.email,
                customer.phone,
                customer.mobile,
                customer.created,
                "Oui" if customer.opt_out else "Non",
                customer.kind,
            ]
        )
    for cell in sheet["K"][1:]:
        cell.number_format = "DD/MM/YYYY HH:MM"
    workbook.save(path)


def write_malformed_csv(path: Path) -> Path:
    """Write a truly broken "CSV": bytes undefined in cp1252, invalid UTF-8, NUL and an unclosed quote.

    Reading it must produce a clear error (encoding, or ``csv.Error`` with ``strict=True``) rather
    than silently loading rows.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    content = b"".join(
        [
            "Code client;Nom;Prénom;E-mail\r\n".encode(ENCODING),
            b"C00001;DUPONT;Marie;marie.dupont@orange.fr\r\n",
            b"\x00\x81\x8d\x8f\x90\x9d\xff\xfe\x00PK\x03\x04\x14\x00\x06\x00\r\n",  # binary garbage
            "C00003;LEFÈVRE;Hélène;helene.lefevre@free.fr\r\n".encode(ENCODING),
            b'C00002;"MARTIN;Jean;jean.martin@free.fr\r\n',  # quote never closed
            b"C00004;GARNIER;Lo\xefc;loic.garnier@wanadoo.fr\r\n",
        ]
    )
    path.write_bytes(content)
    return path
