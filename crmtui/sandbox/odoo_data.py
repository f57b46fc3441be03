"""Deterministic sample data for the Odoo simulator: a French wine estate's ERP.

:func:`load_sample` fills an :class:`~crmtui.sandbox.odoo.OdooSim` with:

- **countries** (France, Belgique, Suisse, Luxembourg, Royaume-Uni, Allemagne) and **partner tags**;
- **product categories** ``Vins`` / ``Rouge``, ``Blanc``, ``Rosé``, ``Effervescent``, ``Vins mutés``,
  plus ``Accessoires`` and ``Services`` (non-wine rows an ETL must tell apart);
- **about 45 wines** (:data:`WINE_CUVEES` expanded with a few magnums and half-bottles): AOC names
  from Bordeaux, Bourgogne, Loire, Rhône, Champagne, Alsace, Languedoc-Roussillon and Provence,
  reds, whites, rosés, crémants/champagnes and fortified wines (vins doux naturels), vintages
  2015–2023 (``x_vintage`` is ``False`` for non-vintage bubbles), prices 8–120 €, with the custom
  fields ``x_vintage``, ``x_region``, ``x_appellation``, ``x_grape``, ``x_color``, ``x_volume_ml``,
  ``x_alcohol``; a valid EAN-13 barcode; two archived (sold-out) wines, accessories and a tasting
  service;
- **partners** (``partners`` of them, any count): individuals with French accented and hyphenated
  names, wine shops and restaurants (companies) with a contact person, French/Belgian/Swiss
  addresses, phones in several spellings, a few missing or messy e-mails (upper case, stray
  spaces), about 3 % archived;
- **sale orders and lines** over the three years before ``now`` (``S00001``... in date order;
  mostly confirmed, recent ones in quotation, a few cancelled). Each ordering customer has a
  **planted taste**: a preferred category, region and price band (:data:`PRICE_BANDS`, the ETL's
  price segments). Products are drawn with weights that favour wines matching the taste (x4
  category, x3 region, x2.5 band), so a recommender can be scored against the returned ``tastes``. Lines of one order share the order's ``write_date`` (ties for the
  ``(write_date, id)`` cursor);
- **stock quants** in internal locations (``WH/Stock``, ``WH/Chai``, ``BTQ/Stock``) and in
  non-internal ones (``Partners/Customers``, ``Virtual Locations/Inventory adjustment``,
  ``WH/Transit``) so that ``location_id.usage = internal`` matters.

Everything comes from ``random.Random(seed)``; with the same ``seed``, ``partners`` and ``now`` the
database is identical.
"""

from __future__ import annotations

import math
import random
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from crmtui.sandbox.data import FRENCH_FIRST_NAMES, FRENCH_LAST_NAMES, FRENCH_STREETS
from crmtui.sandbox.odoo import DATETIME_FMT, OdooSim

__all__ = [
    "CATEGORY_NAMES",
    "PRICE_BANDS",
    "WINE_CUVEES",
    "Cuvee",
    "Taste",
    "load_sample",
    "price_band",
]

PRICE_BANDS: dict[str, tuple[float, float]] = {
    "ENTRY": (0.0, 15.0),
    "STANDARD": (15.0, 30.0),
    "PREMIUM": (30.0, 75.0),
    "LUXURY": (75.0, float("inf")),
}
"""Price bands ``name -> (low, high)`` on the price of a 75 cl equivalent, in euros (``list_price``,
tax included as French cellar-door prices are; low inclusive, high exclusive).

The same names and bounds as the ETL's price segments (``crmtui.records.normalize``), so a planted
taste compares directly with a loaded product's segment; a contract test keeps the two in step."""

CATEGORY_NAMES: dict[str, str] = {
    "red": "Rouge",
    "white": "Blanc",
    "rose": "Rosé",
    "sparkling": "Effervescent",
    "fortified": "Vins mutés",
}
"""Child category of ``Vins`` for each ``x_color``."""


def price_band(price: float, volume_ml: int = 750) -> str:
    """The band of a price, normalised to a 75 cl bottle (a 37.5 cl at 9 € is an 18 € bottle)."""
    per_75 = price * 750.0 / (volume_ml or 750)
    for name, (low, high) in PRICE_BANDS.items():
        if low <= per_75 < high:
            return name
    return "LUXURY"


@dataclass(frozen=True)
class Cuvee:
    """One wine of the catalogue (a 75 cl bottle; formats are derived).

    Attributes:
        name: label name without vintage or format.
        region: wine region (``x_region``).
        appellation: the AOC (``x_appellation``).
        color: ``red``/``white``/``rose``/``sparkling``/``fortified`` (``x_color``).
        grapes: grape varieties (``x_grape``).
        price: bottle price in euros.
        alcohol: % vol.
        vintage: False for non-vintage wines (most champagnes), True otherwise.
        code: prefix of ``default_code``.
    """

    name: str
    region: str
    appellation: str
    color: str
    grapes: str
    price: float
    alcohol: float
    vintage: bool = True
    code: str = ""


WINE_CUVEES: list[Cuvee] = [
    # Bordeaux
    Cuvee(
        "Château Lagrange-Mérignac",
        "Bordeaux",
        "Saint-Émilion Grand Cru",
        "red",
        "Merlot, Cabernet Franc",
        38.0,
        14.0,
        code="BX",
    ),
    Cuvee(
        "Château des Graves d'Arbanats",
        "Bordeaux",
        "Graves",
        "white",
        "Sauvignon Blanc, Sémillon",
        16.5,
        12.5,
        code="BX",
    ),
    Cuvee(
        "Clos Saint-Estèphe Réserve",
        "Bordeaux",
        "Saint-Estèphe",
        "red",
        "Cabernet Sauvignon, Merlot",
        45.0,
        13.5,
        code="BX",
    ),
    Cuvee(
        "Château Haut-Pessac",
        "Bordeaux",
        "Pessac-Léognan",
        "red",
        "Cabernet Sauvignon, Merlot",
        32.0,
        13.5,
        code="BX",
    ),
    Cuvee(
        "Bordeaux Supérieur « Les Vignes de Léa »",
        "Bordeaux",
        "Bordeaux Supérieur",
        "red",
        "Merlot",
        11.9,
        13.0,
        code="BX",
    ),
    Cuvee(
        "Pauillac Grand Vin",
        "Bordeaux",
        "Pauillac",
        "red",
        "Cabernet Sauvignon, Merlot, Petit Verdot",
        118.0,
        13.5,
        code="BX",
    ),
    Cuvee(
        "Sauternes « Larmes d'Or »",
        "Bordeaux",
        "Sauternes",
        "white",
        "Sémillon, Sauvignon Blanc",
        42.0,
        13.5,
        code="BX",
    ),
    # Bourgogne (the estate's home)
    Cuvee(
        "Domaine de la Côte-Dorée Beaune 1er Cru « Les Grèves »",
        "Bourgogne",
        "Beaune Premier Cru",
        "red",
        "Pinot Noir",
        48.0,
        13.5,
        code="BG",
    ),
    Cuvee(
        "Domaine de la Côte-Dorée Bourgogne Pinot Noir",
        "Bourgogne",
        "Bourgogne",
        "red",
        "Pinot Noir",
        19.5,
        13.0,
        code="BG",
    ),
    Cuvee(
        "Domaine de la Côte-Dorée Meursault « Les Tillets »",
        "Bourgogne",
        "Meursault",
        "white",
        "Chardonnay",
        56.0,
        13.5,
        code="BG",
    ),
    Cuvee(
        "Chablis Premier Cru « Vaillons »",
        "Bourgogne",
        "Chablis Premier Cru",
        "white",
        "Chardonnay",
        31.0,
        12.5,
        code="BG",
    ),
    Cuvee(
        "Mâcon-Villages « Vieilles Vignes »",
        "Bourgogne",
        "Mâcon-Villages",
        "white",
        "Chardonnay",
        13.5,
        13.0,
        code="BG",
    ),
    Cuvee(
        "Gevrey-Chambertin « Clos de l'Abbaye »",
        "Bourgogne",
        "Gevrey-Chambertin",
        "red",
        "Pinot Noir",
        74.0,
        13.5,
        code="BG",
    ),
    Cuvee(
        "Corton-Charlemagne Grand Cru",
        "Bourgogne",
        "Corton-Charlemagne",
        "white",
        "Chardonnay",
        96.0,
        13.5,
        code="BG",
    ),
    Cuvee(
        "Crémant de Bourgogne Brut",
        "Bourgogne",
        "Crémant de Bourgogne",
        "sparkling",
        "Chardonnay, Pinot Noir",
        14.5,
        12.0,
        vintage=False,
        code="BG",
    ),
    Cuvee("Bourgogne Aligoté", "Bourgogne", "Bourgogne Aligoté", "white", "Aligoté", 10.5, 12.0, code="BG"),
    # Loire
    Cuvee(
        "Sancerre « Côte des Monts Damnés »",
        "Loire",
        "Sancerre",
        "white",
        "Sauvignon Blanc",
        24.0,
        13.0,
        code="LO",
    ),
    Cuvee("Chinon « Les Puys »", "Loire", "Chinon", "red", "Cabernet Franc", 14.0, 12.5, code="LO"),
    Cuvee("Vouvray Demi-Sec", "Loire", "Vouvray", "white", "Chenin Blanc", 15.5, 12.0, code="LO"),
    Cuvee(
        "Rosé de Loire", "Loire", "Rosé de Loire", "rose", "Cabernet Franc, Grolleau", 8.9, 12.0, code="LO"
    ),
    Cuvee(
        "Crémant de Loire Rosé",
        "Loire",
        "Crémant de Loire",
        "sparkling",
        "Cabernet Franc, Chenin Blanc",
        12.9,
        12.0,
        vintage=False,
        code="LO",
    ),
    Cuvee(
        "Muscadet Sèvre-et-Maine sur Lie",
        "Loire",
        "Muscadet Sèvre-et-Maine",
        "white",
        "Melon de Bourgogne",
        9.5,
        12.0,
        code="LO",
    ),
    # Rhône
    Cuvee(
        "Châteauneuf-du-Pape « Cuvée des Papes »",
        "Rhône",
        "Châteauneuf-du-Pape",
        "red",
        "Grenache, Syrah, Mourvèdre",
        39.0,
        14.5,
        code="RH",
    ),
    Cuvee(
        "Côtes-du-Rhône « Les Garrigues »",
        "Rhône",
        "Côtes-du-Rhône",
        "red",
        "Grenache, Syrah",
        9.9,
        14.0,
        code="RH",
    ),
    Cuvee(
        "Crozes-Hermitage « La Mule Blanche »",
        "Rhône",
        "Crozes-Hermitage",
        "white",
        "Marsanne, Roussanne",
        22.0,
        13.5,
        code="RH",
    ),
    Cuvee(
        "Tavel « Prieuré Saint-Ferréol »",
        "Rhône",
        "Tavel",
        "rose",
        "Grenache, Cinsault",
        15.9,
        13.5,
        code="RH",
    ),
    Cuvee(
        "Côte-Rôtie « Brune et Blonde »",
        "Rhône",
        "Côte-Rôtie",
        "red",
        "Syrah, Viognier",
        62.0,
        13.5,
        code="RH",
    ),
    Cuvee(
        "Hermitage « L'Ermite »",
        "Rhône",
        "Hermitage",
        "red",
        "Syrah",
        88.0,
        13.5,
        code="RH",
    ),
    Cuvee(
        "Muscat de Beaumes-de-Venise",
        "Rhône",
        "Muscat de Beaumes-de-Venise",
        "fortified",
        "Muscat à Petits Grains",
        18.0,
        15.0,
        code="RH",
    ),
    # Champagne
    Cuvee(
        "Champagne Brut Réserve",
        "Champagne",
        "Champagne",
        "sparkling",
        "Chardonnay, Pinot Noir, Meunier",
        34.0,
        12.0,
        vintage=False,
        code="CH",
    ),
    Cuvee(
        "Champagne Blanc de Blancs Grand Cru",
        "Champagne",
        "Champagne Grand Cru",
        "sparkling",
        "Chardonnay",
        58.0,
        12.0,
        code="CH",
    ),
    Cuvee(
        "Champagne Rosé de Saignée",
        "Champagne",
        "Champagne",
        "sparkling",
        "Pinot Noir",
        46.0,
        12.0,
        vintage=False,
        code="CH",
    ),
    # Alsace
    Cuvee(
        "Riesling Grand Cru « Schlossberg »",
        "Alsace",
        "Alsace Grand Cru",
        "white",
        "Riesling",
        27.0,
        12.5,
        code="AL",
    ),
    Cuvee(
        "Gewurztraminer Vendanges Tardives",
        "Alsace",
        "Alsace",
        "white",
        "Gewurztraminer",
        36.0,
        13.5,
        code="AL",
    ),
    Cuvee(
        "Crémant d'Alsace Brut",
        "Alsace",
        "Crémant d'Alsace",
        "sparkling",
        "Pinot Blanc, Auxerrois",
        11.5,
        12.0,
        vintage=False,
        code="AL",
    ),
    Cuvee(
        "Pinot Noir d'Alsace « Rouge d'Ottrott »",
        "Alsace",
        "Alsace",
        "red",
        "Pinot Noir",
        17.0,
        13.0,
        code="AL",
    ),
    # Languedoc-Roussillon
    Cuvee(
        "Banyuls Grand Cru « Hors d'Âge »",
        "Languedoc-Roussillon",
        "Banyuls Grand Cru",
        "fortified",
        "Grenache Noir",
        29.0,
        16.5,
        code="LR",
    ),
    Cuvee(
        "Maury Grenat", "Languedoc-Roussillon", "Maury", "fortified", "Grenache Noir", 19.0, 16.0, code="LR"
    ),
    Cuvee(
        "Pic Saint-Loup « Terres Hautes »",
        "Languedoc-Roussillon",
        "Pic Saint-Loup",
        "red",
        "Syrah, Grenache, Mourvèdre",
        17.5,
        14.0,
        code="LR",
    ),
    # Provence
    Cuvee(
        "Côtes de Provence « Aube Claire »",
        "Provence",
        "Côtes de Provence",
        "rose",
        "Grenache, Cinsault, Syrah",
        13.9,
        12.5,
        code="PR",
    ),
    Cuvee(
        "Bandol Rouge « Les Restanques »",
        "Provence",
        "Bandol",
        "red",
        "Mourvèdre, Grenache",
        28.0,
        14.0,
        code="PR",
    ),
]
"""The catalogue's cuvées (75 cl). :func:`load_sample` derives magnums and half-bottles of a few."""

_MAGNUMS = {"Château Lagrange-Mérignac", "Châteauneuf-du-Pape « Cuvée des Papes »", "Champagne Brut Réserve"}
_DEMIS = {"Sauternes « Larmes d'Or »", "Muscat de Beaumes-de-Venise"}
_COLOR_CODE = {"red": "R", "white": "B", "rose": "RS", "sparkling": "EF", "fortified": "VM"}
_FORMATS = {375: ("Demi-bouteille 37,5 cl", 0.55, "DM"), 1500: ("Magnum 150 cl", 2.15, "MG")}

_COUNTRIES = [
    ("France", "FR"),
    ("Belgique", "BE"),
    ("Suisse", "CH"),
    ("Luxembourg", "LU"),
    ("Royaume-Uni", "GB"),
    ("Allemagne", "DE"),
]
_TAGS = ["Particulier", "Caviste", "Restaurant", "Export", "VIP", "Salon des vins", "Comité d'entreprise"]
_CITIES = [
    ("21200", "Beaune", "FR"),
    ("21190", "Meursault", "FR"),
    ("21700", "Nuits-Saint-Georges", "FR"),
    ("21000", "Dijon", "FR"),
    ("75011", "Paris", "FR"),
    ("75017", "Paris", "FR"),
    ("69002", "Lyon", "FR"),
    ("33330", "Saint-Émilion", "FR"),
    ("33000", "Bordeaux", "FR"),
    ("44000", "Nantes", "FR"),
    ("51100", "Reims", "FR"),
    ("68000", "Colmar", "FR"),
    ("13100", "Aix-en-Provence", "FR"),
    ("34000", "Montpellier", "FR"),
    ("59800", "Lille", "FR"),
    ("67000", "Strasbourg", "FR"),
    ("37000", "Tours", "FR"),
    ("71000", "Mâcon", "FR"),
    ("74000", "Annecy", "FR"),
    ("06000", "Nice", "FR"),
    ("1000", "Bruxelles", "BE"),
    ("4000", "Liège", "BE"),
    ("1204", "Genève", "CH"),
    ("1003", "Lausanne", "CH"),
    ("1009", "Luxembourg", "LU"),
]
_DOMAINS = [
    "gmail.com",
    "orange.fr",
    "orange.fr",
    "free.fr",
    "wanadoo.fr",
    "laposte.net",
    "hotmail.fr",
    "exemple.fr",
]
_SHOP_KINDS = [
    "Cave",
    "La Cave de",
    "Restaurant",
    "Bistrot",
    "Épicerie fine",
    "Hôtel-Restaurant",
    "Le Comptoir de",
]
_SHOP_NAMES = [
    "Saint-Vincent",
    "l'Abbaye",
    "la Côte",
    "Bacchus",
    "Les Caudalies",
    "Le Sarment",
    "La Treille",
    "Le Cep d'Or",
    "Les Vendangeurs",
    "L'Étiquette",
    "Le Pressoir",
    "La Barrique",
]
_FUNCTIONS = ["Gérant", "Sommelière", "Sommelier", "Acheteur", "Chef de cave", "Directrice"]


@dataclass(frozen=True)
class Taste:
    """A customer's planted preference (the ground truth for recommendation quality).

    Attributes:
        category: full category name, e.g. ``"Vins / Rouge"``.
        region: ``x_region`` value, e.g. ``"Bourgogne"``.
        price_band: a key of :data:`PRICE_BANDS`.
    """

    category: str
    region: str
    price_band: str

    def as_dict(self) -> dict[str, str]:
        """Plain dict form (what :func:`load_sample` returns)."""
        return {"category": self.category, "region": self.region, "price_band": self.price_band}


def _slug(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c for c in ascii_text.lower() if c.isalnum() or c in "-.")


def _ean13(body12: str) -> str:
    digits = [int(c) for c in body12]
    total = sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return body12 + str((10 - total % 10) % 10)


def _fmt(moment: datetime) -> str:
    return moment.strftime(DATETIME_FMT)


def _phone(rng: random.Random, country: str) -> str:
    if country == "BE":
        return f"+32 4{rng.randint(70, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
    if country == "CH":
        return f"+41 79 {rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
    pairs = [f"{rng.randint(0, 99):02d}" for _ in range(4)]
    lead = rng.choice(["6", "7", "3", "1"])
    style = rng.randrange(4)
    if style == 0:
        return f"0{lead} {' '.join(pairs)}"
    if style == 1:
        return f"+33 {lead} {' '.join(pairs)}"
    if style == 2:
        return f"0{lead}{''.join(pairs)}"
    return f"0{lead}.{'.'.join(pairs)}"


def load_sample(
    sim: OdooSim, partners: int = 200, seed: int = 7, now: datetime | None = None
) -> dict[str, Any]:
    """Seed ``sim`` with a deterministic wine-estate database.

    Args:
        sim: the simulator to fill (records are added to whatever it holds; call ``reset()`` first
            for a clean database).
        partners: number of partners (individuals, companies and their contacts), any size.
        seed: random seed; same seed, size and ``now`` give the same database.
        now: the reference instant (UTC); defaults to the simulator's clock at midnight, so the data
            is stable through a day. Orders span the three years before it.

    Returns:
        A summary: ``counts`` per model, ``now``, ``seed``, ``wines`` (product ids of wines),
        ``archived`` (``{"res.partner": [...], "product.product": [...]}``), ``locations``
        (usage -> ids), ``categories`` (complete name -> id), ``tastes`` (partner id -> ``{"category",
        "region", "price_band"}`` for every customer who ordered) and ``price_bands``.
    """
    rng = random.Random(seed)
    if now is None:
        now = sim.clock()
        now = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
        now = now.replace(hour=0, minute=0, second=0, microsecond=0)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    start = now - timedelta(days=3 * 365)
    setup = _fmt(start - timedelta(days=30))

    def stamp(extra: dict[str, Any], when: str = setup) -> dict[str, Any]:
        return {"create_date": when, "write_date": when, **extra}

    # -- reference data --------------------------------------------------------------------------
    country_ids = dict(
        zip(
            [code for _, code in _COUNTRIES],
            sim.load("res.country", [stamp({"name": n, "code": c}) for n, c in _COUNTRIES]),
            strict=True,
        )
    )
    tag_ids = dict(
        zip(_TAGS, sim.load("res.partner.category", [stamp({"name": t}) for t in _TAGS]), strict=True)
    )

    (vins,) = sim.load("product.category", [stamp({"name": "Vins"})])
    cat_ids: dict[str, int] = {"Vins": vins}
    for color, child in CATEGORY_NAMES.items():
        (cid,) = sim.load("product.category", [stamp({"name": child, "parent_id": vins})])
        cat_ids[f"Vins / {child}"] = cid
        cat_ids[color] = cid
    for root in ("Accessoires", "Services"):
        (cid,) = sim.load("product.category", [stamp({"name": root})])
        cat_ids[root] = cid

    wh, partners_view, virtual = sim.load(
        "stock.location",
        [
            stamp({"name": "WH", "usage": "view"}),
            stamp({"name": "Partners", "usage": "view"}),
            stamp({"name": "Virtual Locations", "usage": "view"}),
        ],
    )
    stock, chai, transit = sim.load(
        "stock.location",
        [
            stamp({"name": "Stock", "location_id": wh, "usage": "internal"}),
            stamp({"name": "Chai", "location_id": wh, "usage": "internal"}),
            stamp({"name": "Transit", "location_id": wh, "usage": "transit"}),
        ],
    )
    (btq,) = sim.load("stock.location", [stamp({"name": "BTQ", "usage": "view"})])
    (btq_stock,) = sim.load(
        "stock.location", [stamp({"name": "Stock", "location_id": btq, "usage": "internal"})]
    )
    customers_loc, vendors_loc, inventory_loc = sim.load(
        "stock.location",
        [
            stamp({"name": "Customers", "location_id": partners_view, "usage": "customer"}),
            stamp({"name": "Vendors", "location_id": partners_view, "usage": "supplier"}),
            stamp({"name": "Inventory adjustment", "location_id": virtual, "usage": "inventory"}),
        ],
    )
    locations = {
        "internal": [stock, chai, btq_stock],
        "view": [wh, partners_view, virtual, btq],
        "transit": [transit],
        "customer": [customers_loc],
        "supplier": [vendors_loc],
        "inventory": [inventory_loc],
    }

    # -- products --------------------------------------------------------------------------------
    wines: list[dict[str, Any]] = []
    seq: dict[str, int] = {}
    for cuvee in WINE_CUVEES:
        vintage: int | bool = rng.randint(2015, 2023) if cuvee.vintage else False
        if cuvee.color in ("fortified",) and cuvee.vintage:
            vintage = rng.randint(2015, 2019)
        formats = [750, *([1500] if cuvee.name in _MAGNUMS else []), *([375] if cuvee.name in _DEMIS else [])]
        for volume in formats:
            seq[cuvee.code] = seq.get(cuvee.code, 0) + 1
            code = f"{cuvee.code}-{_COLOR_CODE[cuvee.color]}-{seq[cuvee.code]:03d}"
            name = f"{cuvee.name} {vintage}" if vintage else cuvee.name
            price = cuvee.price
            if volume != 750:
                label, factor, suffix = _FORMATS[volume]
                name, price, code = f"{name} — {label}", cuvee.price * factor, f"{code}-{suffix}"
            price = round(math.floor(price) + rng.choice([0.0, 0.5, 0.9]), 2)
            price = min(max(price, 8.0), 120.0)
            wines.append(
                {
                    "name": name,
                    "default_code": code,
                    "barcode": _ean13(f"376{seed % 10:01d}{rng.randrange(10**8):08d}"),
                    "categ_id": cat_ids[cuvee.color],
                    "list_price": price,
                    "standard_price": round(price * rng.uniform(0.32, 0.45), 2),
                    "type": "product",
                    "sale_ok": True,
                    "purchase_ok": cuvee.code != "BG",
                    "description_sale": f"{cuvee.appellation} — {cuvee.grapes}",
                    "x_vintage": vintage,
                    "x_region": cuvee.region,
                    "x_appellation": cuvee.appellation,
                    "x_grape": cuvee.grapes,
                    "x_color": cuvee.color,
                    "x_volume_ml": volume,
                    "x_alcohol": cuvee.alcohol,
                }
            )
    # two older vintages, sold out and archived (still referenced by old orders)
    retired = ("Domaine de la Côte-Dorée Bourgogne Pinot Noir", "Chinon « Les Puys »")
    for src in [dict(w) for w in wines if w["x_volume_ml"] == 750 and w["name"].startswith(retired)]:
        old = max(2015, int(src["x_vintage"]) - 3)
        if old == src["x_vintage"]:
            old += 1
        src.update(
            name=src["name"].replace(str(src["x_vintage"]), str(old)),
            default_code=f"{src['default_code']}-{old}",
            barcode=_ean13(f"376{seed % 10:01d}{rng.randrange(10**8):08d}"),
            x_vintage=old,
            active=False,
        )
        wines.append(src)
    product_dates = [
        _fmt(start + timedelta(days=rng.randrange(0, 3 * 365), seconds=rng.randrange(86400))) for _ in wines
    ]
    wine_ids = sim.load(
        "product.product",
        [{**stamp(w), "write_date": when} for w, when in zip(wines, product_dates, strict=True)],
    )
    others = [
        ("Tire-bouchon sommelier « Côte-Dorée »", "ACC-001", "Accessoires", 12.0, "consu"),
        ("Carafe à décanter 75 cl", "ACC-002", "Accessoires", 34.0, "consu"),
        ("Coffret bois 3 bouteilles", "ACC-003", "Accessoires", 9.5, "consu"),
        ("Visite et dégustation au domaine", "SRV-001", "Services", 25.0, "service"),
    ]
    other_ids = sim.load(
        "product.product",
        [
            stamp({"name": n, "default_code": c, "categ_id": cat_ids[cat], "list_price": p, "type": t})
            for n, c, cat, p, t in others
        ],
    )
    wine_rows = [(pid, w) for pid, w in zip(wine_ids, wines, strict=True)]
    active_wines = [(pid, w) for pid, w in wine_rows if w.get("active", True)]
    archived_products = [pid for pid, w in wine_rows if not w.get("active", True)]
    band_of = {pid: price_band(w["list_price"], w["x_volume_ml"]) for pid, w in wine_rows}
    cat_name = {cid: name for name, cid in cat_ids.items() if "/" in name}

    # -- partners --------------------------------------------------------------------------------
    partner_rows: list[dict[str, Any]] = []
    kinds: list[str] = []  # "person", "company" or "contact" per row
    i = 0
    while len(partner_rows) < partners:
        i += 1
        zip_code, city, country = rng.choice(_CITIES)
        created = start - timedelta(days=rng.randrange(0, 700)) + timedelta(seconds=rng.randrange(86400))
        modified = min(now - timedelta(seconds=1), created + timedelta(days=rng.randrange(0, 1200)))
        base = {
            "street": f"{rng.randint(1, 120)} {rng.choice(FRENCH_STREETS)}",
            "zip": zip_code,
            "city": city,
            "country_id": country_ids[country],
            "lang": "fr_FR" if country != "GB" else "en_GB",
            "create_date": _fmt(created),
            "write_date": _fmt(modified),
        }
        company = rng.random() < 0.12 and partners - len(partner_rows) >= 2
        first = rng.choice(FRENCH_FIRST_NAMES)
        last = rng.choice(FRENCH_LAST_NAMES)
        if rng.random() < 0.08:
            other = rng.choice([n for n in FRENCH_LAST_NAMES if " " not in n and n != last])
            last = f"{last}-{other}"
        person_email = f"{_slug(first)}.{_slug(last)}{i}@{rng.choice(_DOMAINS)}"
        if company:
            shop = f"{rng.choice(_SHOP_KINDS)} {rng.choice(_SHOP_NAMES)}"
            tag = "Restaurant" if any(k in shop for k in ("Restaurant", "Bistrot")) else "Caviste"
            partner_rows.append(
                {
                    **base,
                    "name": f"{shop} ({city})",
                    "is_company": True,
                    "email": f"contact{i}@{_slug(shop.split()[-1])}-{_slug(city)}.fr",
                    "phone": _phone(rng, country),
                    "vat": f"FR{rng.randrange(10**11):011d}" if country == "FR" else False,
                    "website": f"https://www.{_slug(shop.split()[-1])}-{_slug(city)}.fr",
                    "category_id": [tag_ids[tag], *([tag_ids["Export"]] if country != "FR" else [])],
                    "customer_rank": 1,
                    "_kind": "company",
                }
            )
            kinds.append("company")
            partner_rows.append(
                {
                    **base,
                    "name": f"{first} {last}",
                    "is_company": False,
                    "email": person_email,
                    "function": rng.choice(_FUNCTIONS),
                    "mobile": _phone(rng, country),
                    "_kind": "contact",
                }
            )
            kinds.append("contact")
            continue
        email: Any = person_email
        roll = rng.random()
        if roll < 0.05:
            email = False
        elif roll < 0.08:
            email = f"  {person_email.upper()} "
        tags = [tag_ids["Particulier"]]
        if rng.random() < 0.1:
            tags.append(tag_ids["Salon des vins"])
        partner_rows.append(
            {
                **base,
                "name": f"{first} {last}",
                "is_company": False,
                "email": email,
                "phone": _phone(rng, country) if rng.random() < 0.7 else False,
                "mobile": _phone(rng, country) if rng.random() < 0.3 else False,
                "category_id": tags,
                "customer_rank": 0,
                "active": rng.random() >= 0.03,
                "_kind": "person",
            }
        )
        kinds.append("person")
    partner_rows = partner_rows[:partners]
    kinds = kinds[:partners]
    # Two bulk loads: companies and individuals, then the contacts pointing at their company.
    for row in partner_rows:
        row.pop("_kind")
    heads = [n for n, kind in enumerate(kinds) if kind != "contact"]
    contacts = [n for n, kind in enumerate(kinds) if kind == "contact"]
    partner_ids = [0] * len(partner_rows)
    for n, pid in zip(heads, sim.load("res.partner", [partner_rows[n] for n in heads]), strict=True):
        partner_ids[n] = pid
    for n in contacts:
        partner_rows[n]["parent_id"] = partner_ids[n - 1]  # the company row just before it
    for n, pid in zip(contacts, sim.load("res.partner", [partner_rows[n] for n in contacts]), strict=True):
        partner_ids[n] = pid
    archived_partners = [
        pid for pid, row in zip(partner_ids, partner_rows, strict=True) if row.get("active") is False
    ]

    # -- tastes, orders and lines ------------------------------------------------------------------
    buyers = [
        (pid, kind)
        for pid, kind, row in zip(partner_ids, kinds, partner_rows, strict=True)
        if kind in ("person", "company") and row.get("active", True) is not False and rng.random() < 0.75
    ]
    tastes: dict[int, Taste] = {}
    orders: list[tuple[datetime, int, str, list[tuple[int, float, float, float]]]] = []
    for pid, kind in buyers:
        anchor_pid, anchor = rng.choice(active_wines)
        taste = Taste(cat_name[anchor["categ_id"]], anchor["x_region"], band_of[anchor_pid])
        tastes[pid] = taste
        weights = []
        for wpid, w in wine_rows:
            weight = 1.0
            weight *= 4.0 if cat_name[w["categ_id"]] == taste.category else 1.0
            weight *= 3.0 if w["x_region"] == taste.region else 1.0
            weight *= 2.5 if band_of[wpid] == taste.price_band else 1.0
            weights.append(weight)
        n_orders = rng.randint(3, 14) if kind == "company" else rng.choice([1, 1, 2, 2, 3, 4, 5, 6, 8])
        for _ in range(n_orders):
            when = start + timedelta(seconds=rng.randrange(3 * 365 * 86400 - 3600))
            when = when.replace(hour=rng.randint(7, 18))
            lines = []
            for _ in range(rng.choice([1, 1, 2, 2, 3, 4]) if kind == "person" else rng.randint(2, 6)):
                idx = rng.choices(range(len(wine_rows)), weights=weights)[0]
                wpid, w = wine_rows[idx]
                if not w.get("active", True) and when > now - timedelta(days=500):
                    wpid, w = rng.choice(active_wines)
                qty = float(
                    rng.choice([1, 2, 3, 6, 6, 12]) if kind == "person" else rng.choice([6, 12, 12, 24, 36])
                )
                years_ago = (now - when).days / 365.0
                price = round(w["list_price"] * (1 - 0.03 * years_ago), 2)
                discount = float(rng.choice([0, 0, 5, 10, 15])) if kind == "company" else 0.0
                lines.append((wpid, qty, price, discount))
            if rng.random() < 0.04:
                extra = rng.randrange(3)
                lines.append((other_ids[extra], 1.0, others[extra][3], 0.0))
            orders.append((when, pid, kind, lines))
    orders.sort(key=lambda o: (o[0], o[1]))
    order_rows: list[dict[str, Any]] = []
    line_rows: list[dict[str, Any]] = []
    wine_name = {pid: w["name"] for pid, w in wine_rows}
    other_name = {pid: o[0] for pid, o in zip(other_ids, others, strict=True)}
    base_no = sim._so_seq
    for n, (when, pid, _kind, lines) in enumerate(orders, start=1):
        age = now - when
        if age < timedelta(days=30):
            state = rng.choice(["draft", "sent", "sale"])
        else:
            state = "cancel" if rng.random() < 0.03 else "sale"
        written = when + timedelta(minutes=rng.randint(1, 240))
        if rng.random() < 0.05:  # touched again later (delivery note, correction)
            written = when + timedelta(days=rng.randint(1, 60))
        written = min(written, now - timedelta(seconds=1))
        order_rows.append(
            {
                "name": f"S{base_no + n:05d}",
                "partner_id": pid,
                "date_order": _fmt(when),
                "state": state,
                "create_date": _fmt(when),
                "write_date": _fmt(written),
            }
        )
        for seqno, (product, qty, price, discount) in enumerate(lines, start=1):
            line_rows.append(
                {
                    "_order": n - 1,
                    "sequence": seqno * 10,
                    "product_id": product,
                    "name": wine_name.get(product) or other_name[product],
                    "product_uom_qty": qty,
                    "price_unit": price,
                    "discount": discount,
                    "qty_delivered": qty if state == "sale" and age > timedelta(days=7) else 0.0,
                    "create_date": _fmt(when),
                    "write_date": _fmt(written),
                }
            )
    order_ids = sim.load("sale.order", order_rows)
    for row in line_rows:
        row["order_id"] = order_ids[row.pop("_order")]
    line_ids = sim.load("sale.order.line", line_rows)
    confirmed: dict[int, int] = {}
    for row in order_rows:
        if row["state"] == "sale":
            confirmed[row["partner_id"]] = confirmed.get(row["partner_id"], 0) + 1
    for pid, count in confirmed.items():
        sim.records["res.partner"][pid]["customer_rank"] = count

    # -- stock ----------------------------------------------------------------------------------------
    quant_rows = []
    for pid, w in wine_rows:
        if not w.get("active", True):
            continue
        in_date = _fmt(start + timedelta(days=rng.randrange(0, 3 * 365)))
        qty = float(rng.randrange(0, 600, 6))
        quant_rows.append(
            {
                "product_id": pid,
                "location_id": stock,
                "quantity": qty,
                "reserved_quantity": float(min(qty, rng.choice([0, 0, 0, 6, 12, 24]))),
                "in_date": in_date,
                "create_date": in_date,
                "write_date": _fmt(now - timedelta(days=rng.randrange(1, 90), seconds=rng.randrange(86400))),
            }
        )
        if (w["x_vintage"] and int(w["x_vintage"]) <= 2019) or rng.random() < 0.3:
            quant_rows.append(
                {
                    "product_id": pid,
                    "location_id": chai,
                    "quantity": float(rng.randrange(12, 900, 6)),
                    "in_date": in_date,
                    "create_date": in_date,
                    "write_date": in_date,
                }
            )
        if rng.random() < 0.5:
            quant_rows.append(
                {
                    "product_id": pid,
                    "location_id": btq_stock,
                    "quantity": float(rng.randrange(1, 36)),
                    "reserved_quantity": 0.0,
                    "in_date": in_date,
                    "create_date": in_date,
                    "write_date": _fmt(now - timedelta(days=rng.randrange(1, 30))),
                }
            )
        quant_rows.append(
            {
                "product_id": pid,
                "location_id": customers_loc,
                "quantity": float(rng.randrange(50, 3000)),
                "in_date": in_date,
                "create_date": in_date,
                "write_date": in_date,
            }
        )
        if rng.random() < 0.2:
            quant_rows.append(
                {
                    "product_id": pid,
                    "location_id": inventory_loc,
                    "quantity": -float(rng.randrange(1, 6)),
                    "in_date": in_date,
                    "create_date": in_date,
                    "write_date": in_date,
                }
            )
        if rng.random() < 0.1:
            quant_rows.append(
                {
                    "product_id": pid,
                    "location_id": transit,
                    "quantity": float(rng.randrange(6, 120, 6)),
                    "in_date": in_date,
                    "create_date": in_date,
                    "write_date": in_date,
                }
            )
    quant_ids = sim.load("stock.quant", quant_rows)

    return {
        "seed": seed,
        "now": _fmt(now),
        "counts": {
            "res.partner": len(partner_ids),
            "product.product": len(wine_ids) + len(other_ids),
            "sale.order": len(order_ids),
            "sale.order.line": len(line_ids),
            "stock.quant": len(quant_ids),
        },
        "wines": wine_ids,
        "other_products": other_ids,
        "archived": {"res.partner": archived_partners, "product.product": archived_products},
        "categories": {name: cid for name, cid in cat_ids.items() if name[0].isupper()},
        "locations": locations,
        "countries": country_ids,
        "tastes": {pid: t.as_dict() for pid, t in tastes.items()},
        "price_bands": {
            name: [low, None if math.isinf(high) else high] for name, (low, high) in PRICE_BANDS.items()
        },
    }
