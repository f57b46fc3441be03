"""Deterministic sample contacts for the Copper and Mailchimp simulators, from 100 to 1,000,000.

:func:`generate_contacts` returns a :class:`SandboxContacts` whose iterators produce plain dicts in
the shapes the simulators load: Copper persons as in WIRE.md §1.5 (``CopperSim.load_people``) and
Mailchimp members as in §2.2 (``MailchimpSim.load_members``), plus the permanently deleted
("forgotten") addresses for ``MailchimpSim.forget``.

How the data is laid out, so that it streams and stays exact at any size:

- Every *contact* is one email identity with an index ``i`` in ``range(n)``. Its category (copper
  only, conflicting, deletion-tagged...) comes from a fixed quota per category: the quotas are laid
  end to end over ``range(n)`` and a contact's slot is ``(a * i + b) % n`` with ``a`` coprime to
  ``n``, so categories are spread evenly through the output and :attr:`SandboxContacts.summary` is
  exact without generating anything.
- Everything else about contact ``i`` (names, phones, tags, dates) comes from a random generator
  re-seeded from ``(seed, i)``, so any contact can be rebuilt alone, both iterators agree on it,
  and nothing is held in memory: each iterator call replays the contacts from the start.
- Emails end with the number ``i + 1`` right before the ``@`` and name parts never end with a
  digit, so two contacts never share an address by accident: the only shared addresses are the
  planted duplicates.

Dates are relative to ``now`` (by default the start of the current UTC day, so the data is stable
through a day and always "within the past year").
"""

from __future__ import annotations

import bisect
import math
import random
import time
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from crmtui.records.emails import email_key

__all__ = [
    "CATEGORIES",
    "COPPER_TAGS",
    "DELETION_TAG",
    "DELETION_TAG_SPELLINGS",
    "EXEMPLE_FILTER",
    "FRENCH_FIRST_NAMES",
    "FRENCH_PHONE_SECOND_DIGITS",
    "FRENCH_STREETS",
    "FRENCH_LAST_NAMES",
    "HOSTILE_NAMES",
    "INACTIVE_TAG",
    "SampleContact",
    "SandboxContacts",
    "generate_contacts",
    "normalize_email",
]

# --------------------------------------------------------------------------------------------
# Public constants
# --------------------------------------------------------------------------------------------

_WASTEBASKET = "\U0001f5d1"  # 🗑
_VS16 = "\ufe0f"  # emoji presentation selector
_A_GRAVE = "\u00c0"  # À, precomposed (NFC)

DELETION_TAG = f"{_WASTEBASKET}{_VS16} {_A_GRAVE} SUPPRIMER"
"""The canonical deletion tag, ``🗑️ À SUPPRIMER`` (with U+FE0F)."""

DELETION_TAG_SPELLINGS: list[str] = [
    DELETION_TAG,
    f"{_WASTEBASKET} {_A_GRAVE} SUPPRIMER",  # without U+FE0F
    f"{_WASTEBASKET}{_VS16} A SUPPRIMER",  # accent dropped
    f"{_A_GRAVE} SUPPRIMER",  # no emoji
    "a supprimer",  # lower case, no accent, no emoji
    "A  SUPPRIMER",  # double space
    f"{_WASTEBASKET}{_VS16} A\u0300 SUPPRIMER",  # NFD: A + combining grave accent
    f"{_WASTEBASKET}{_VS16} \u00e0 supprimer",  # lower case with emoji
    f"{_WASTEBASKET}{_VS16}{_A_GRAVE} SUPPRIMER",  # no space after the emoji
    f" {_A_GRAVE} Supprimer ",  # title case with stray spaces
]
"""Every spelling of the deletion tag planted in the data (the guard must catch them all)."""

INACTIVE_TAG = "\U0001f4e5 INACTIF"
"""Copper tag of archived contacts (``📥 INACTIF``)."""

EXEMPLE_FILTER = "@exemple"
"""The default test-mode filter; at least ~14% of contacts match it."""

COPPER_TAGS: list[str] = [
    "Client",
    "Prospect",
    "Salon des vins 2025",
    "Caviste",
    "VIP",
    "Newsletter",
    "Export \U0001f1e7\U0001f1ea",  # Export 🇧🇪
]
"""Ordinary Copper tags used in the data (besides the deletion and inactive tags)."""

HOSTILE_NAMES: list[str] = [
    "\x1b[31mRouge\x1b[0m",  # ANSI colour
    "\x1b]0;pwned\x07",  # OSC: sets the terminal title
    "[bold]Gras[/bold]",  # Rich markup
    "[@click=app.quit]Quitter[/]",  # Textual action markup
    "Marie-" + "-".join(["Bérangère-Clotilde-Eugénie"] * 12),  # very long (> 300 characters)
    "\U0001f377 Château \U0001f347",  # emoji: 🍷 Château 🍇
    "\u0639\u0628\u062f \u0627\u0644\u0644\u0647",  # right-to-left script (Arabic)
    "\u202eTNOPUD",  # RIGHT-TO-LEFT OVERRIDE
    "Robert'); DROP TABLE contacts;--",
    "<script>alert('x')</script>",
    "Zo\u00e9\u200b\u200d",  # zero-width space and joiner
]
"""Names planted to check that untrusted text is shown literally."""

CATEGORIES: list[str] = [
    "copper_only",
    "mailchimp_only",
    "both_identical",
    "both_conflicting",
    "deletion_tagged",
    "inactive",
    "unsubscribed",
    "cleaned",
    "archived",
    "forgotten",
    "duplicates",
    "invalid_emails",
]
"""The categories partitioning the contacts (each contact is in exactly one).

- ``copper_only``: a Copper person with no Mailchimp member (to create in Mailchimp).
- ``mailchimp_only``: a subscribed member with no Copper person (a new subscriber).
- ``both_identical``: same names, phone and tags on both sides (no operation expected).
- ``both_conflicting``: on both sides with a differing first name, last name or phone.
- ``deletion_tagged``: a Copper person carrying a spelling of the deletion tag (three in four are
  also subscribed in Mailchimp).
- ``inactive``: Copper tag ``📥 INACTIF`` and an archived Mailchimp member (already decided).
- ``unsubscribed`` / ``cleaned`` / ``archived``: on both sides, with that Mailchimp status.
- ``forgotten``: in Copper, permanently deleted from Mailchimp (listed by ``forgotten_emails``).
- ``duplicates``: one address shared by two Copper people, subscribed in Mailchimp.
- ``invalid_emails``: a Copper person whose address is malformed (never in Mailchimp).
"""

# Share of n per category; both_identical takes what is left (~34%).
_SHARES: dict[str, float] = {
    "copper_only": 0.18,
    "mailchimp_only": 0.10,
    "both_conflicting": 0.08,
    "deletion_tagged": 0.05,
    "inactive": 0.03,
    "unsubscribed": 0.05,
    "cleaned": 0.03,
    "archived": 0.03,
    "forgotten": 0.03,
    "duplicates": 0.04,
    "invalid_emails": 0.04,
}
_INVALID_VARIANTS = 5
_MINIMUMS: dict[str, int] = {
    "deletion_tagged": len(DELETION_TAG_SPELLINGS),
    "invalid_emails": _INVALID_VARIANTS,
}
_HOSTILE_SHARE = 0.01
_EXEMPLE_EVERY = 7  # contact i is on an @exemple domain when i % 7 == 0
_TWO_EMAILS_EVERY = 8  # in copper_only / both_* categories, local index j % 8 == 5
_TWO_EMAIL_CATEGORIES = frozenset({"copper_only", "both_identical", "both_conflicting"})
_COPPER_ID_BASE = 70_000_000
_CF_SOURCE = 100764  # custom field "Origine du contact" (text)
_YEAR = 365 * 86400

# --------------------------------------------------------------------------------------------
# Name tables
# --------------------------------------------------------------------------------------------

FRENCH_FIRST_NAMES: list[str] = (
    "Éloïse Jean-Baptiste Hélène François Gaëlle Noémie Loïc Chloé Zoé Anaïs Léa Mathéo Jérôme "
    "Stéphane Céline Françoise Benoît Thérèse Agnès Frédéric Sébastien Marie-Claire Anne-Sophie "
    "Pierre-Louis Jean-François Clémence Maëlys Joël Raphaël Inès Océane Cédric Aurélie Émilie "
    "Valérie Géraldine Michèle André René Rémi Jérémy Léon Honoré Camille Hugo Lucas Manon Louise "
    "Jules Nathalie Isabelle Philippe Christophe Sylvie Patrick Laurent Sandrine Nicolas Julien "
    "Élodie Marion Adèle Gaétan Bérénice Ségolène Anaëlle Maïwenn Yannick Gwenaël Marie Paul "
    "Thomas Sophie Claire Antoine Margaux Bastien Capucine Timothée Solène Aurélien Léonie"
).split()
"""French first names with accents and hyphens (all encodable in cp1252)."""

FRENCH_LAST_NAMES: list[str] = [
    *(
        "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent "
        "Lefèvre Michel Garcia David Bertrand Roux Vincent Fournier Morel Girard André Lefebvre "
        "Mercier Dupont Lambert Bonnet François Martinez Legrand Garnier Faure Rousseau Blanc "
        "Guérin Muller Henry Roussel Perrin Morin Mathieu Clément Gauthier Dumont Lopez Fontaine "
        "Chevalier Robin Dupont-Aignan Ferrand-Bérard Caillé Lemaître Bénard Gérard Hervé Châtelain "
        "Ménard Lacôte Noël Jégou Kervella Queffélec Nguyen Lévêque Crémieux Béranger Derrien "
        "Thébault Lelièvre Desrosiers Dufresne Saint-Exupéry Boën Brûlé Pâris Goëllo"
    ).split(),
    "Da Silva",
    "Le Goff",
    "Le Gall",
    "Le Bihan",
    "Dos Santos",
    "de La Tour",
    "D'Aubigné",
    "N'Diaye",
    "Ben Saïd",
    "Van der Berghe",
]
"""French last names: accents, hyphens, particles and apostrophes (all encodable in cp1252)."""


def _slug(text: str) -> str:
    """ASCII e-mail part of a name: accents stripped, lower case, spaces and apostrophes removed."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return ascii_text.lower().replace(" ", "").replace("'", "")


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


# (display, slug) pairs, computed once so the hot loop does no Unicode work.
_FIRST = [(name, _slug(name)) for name in FRENCH_FIRST_NAMES]
_LAST = [(name, _slug(name)) for name in FRENCH_LAST_NAMES]

_EXEMPLE_DOMAINS = ["exemple.fr", "exemple.com"]
_DOMAINS = [
    "gmail.com",
    "gmail.com",
    "orange.fr",
    "orange.fr",
    "free.fr",
    "wanadoo.fr",
    "laposte.net",
    "hotmail.fr",
    "sfr.fr",
    "yahoo.fr",
    "outlook.fr",
    "icloud.com",
]

_CITIES = [
    ("21200", "Beaune", "FR"),
    ("21000", "Dijon", "FR"),
    ("75011", "Paris", "FR"),
    ("75016", "Paris", "FR"),
    ("69002", "Lyon", "FR"),
    ("33000", "Bordeaux", "FR"),
    ("13001", "Marseille", "FR"),
    ("31000", "Toulouse", "FR"),
    ("59000", "Lille", "FR"),
    ("67000", "Strasbourg", "FR"),
    ("44000", "Nantes", "FR"),
    ("35000", "Rennes", "FR"),
    ("51100", "Reims", "FR"),
    ("06000", "Nice", "FR"),
    ("34000", "Montpellier", "FR"),
    ("29200", "Brest", "FR"),
    ("71000", "Mâcon", "FR"),
    ("39600", "Arbois", "FR"),
    ("74000", "Annecy", "FR"),
    ("01000", "Bourg-en-Bresse", "FR"),
    ("21190", "Meursault", "FR"),
    ("21700", "Nuits-Saint-Georges", "FR"),
    ("1000", "Bruxelles", "BE"),
    ("4000", "Liège", "BE"),
    ("1204", "Genève", "CH"),
]
FRENCH_STREETS = [
    "rue des Vignes",
    "avenue du Général-de-Gaulle",
    "place de l'Église",
    "chemin des Côtes",
    "impasse des Érables",
    "boulevard Saint-Michel",
    "allée des Tilleuls",
    "route de Pommard",
    "rue du Château",
    "quai de la Saône",
]
_TITLES = [None, None, None, None, "Sommelier", "Caviste", "Acheteuse", "Chef de cave", "Gérant"]
_SOURCES = [None, "Salon", "Site web", "Caveau", "Recommandation", "Import Excel"]
_DETAILS = [
    None,
    None,
    None,
    "Rencontré au Salon des vins 2025, aime les blancs minéraux.",
    "Commande chaque année pour Noël.",
    "Préfère être appelé le matin.",
    "Client depuis 2012 — ne pas relancer par téléphone.",
]
_MC_ONLY_TAGS: list[list[str]] = [[], [], ["Newsletter"], ["Jeu concours 2025"], ["Newsletter", "Site web"]]


def normalize_email(email: str) -> str:
    """The identity of an address as the sync sees it: NFC, trimmed, lower-cased."""
    return email_key(email)


# --------------------------------------------------------------------------------------------
# Public types
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class SampleContact:
    """One email identity with what each side holds for it.

    Attributes:
        index: position ``i`` in ``range(n)``.
        category: one of :data:`CATEGORIES`.
        email: the normalized address (the sync identity); malformed for ``invalid_emails``.
        people: the Copper persons carrying it (none, one, or two for ``duplicates``).
        member: the Mailchimp member, or ``None`` when Mailchimp does not hold the address.
        hostile: the contact's name includes one of :data:`HOSTILE_NAMES`.
        exemple: the address matches the ``@exemple`` test filter.
    """

    index: int
    category: str
    email: str
    people: list[dict[str, Any]]
    member: dict[str, Any] | None
    hostile: bool = False
    exemple: bool = False


@dataclass
class SandboxContacts:
    """Sample contacts for ``n`` email identities; every iterator call replays the same data.

    Use :meth:`copper_people` and :meth:`mailchimp_members` to feed the simulators, and
    :meth:`forgotten_emails` for the addresses Mailchimp must refuse. :attr:`summary` counts each
    category without generating anything.

    Attributes:
        n: number of contacts (email identities).
        seed: the seed; the same ``(n, seed, now)`` always gives the same data.
        now: unix seconds; every date is within the year before it.
        summary: counts per category (see :data:`CATEGORIES`) plus the overlays ``hostile``,
            ``two_emails`` and ``exemple``, and the record totals ``contacts``,
            ``copper_people`` and ``mailchimp_members``.
    """

    n: int
    seed: int
    now: int
    summary: dict[str, int] = field(init=False)
    _counts: dict[str, int] = field(init=False, repr=False)
    _starts: list[int] = field(init=False, repr=False)
    _order: list[str] = field(init=False, repr=False)
    _mult: int = field(init=False, repr=False)
    _offset: int = field(init=False, repr=False)
    _hostile_step: int = field(init=False, repr=False)
    _hostile_count: int = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._counts = _category_counts(self.n)
        self._order = [c for c in CATEGORIES if self._counts[c] > 0]
        self._starts = list(_cumulative(self._counts[c] for c in self._order))
        setup = random.Random(self.seed)
        self._mult = _coprime_multiplier(self.n, setup)
        self._offset = setup.randrange(self.n) if self.n else 0
        wanted = max(len(HOSTILE_NAMES), round(_HOSTILE_SHARE * self.n))
        self._hostile_count = min(wanted, self.n // 4)
        self._hostile_step = self.n // self._hostile_count if self._hostile_count else 0
        self.summary = self._make_summary()

    # ---- public iterators -------------------------------------------------------------------

    def copper_people(self) -> Iterator[dict[str, Any]]:
        """Copper persons (WIRE §1.5 shape), in ascending id order, generated as they are read."""
        for contact in self._contacts(skip={"mailchimp_only"}, mailchimp=False):
            yield from contact.people

    def mailchimp_members(self) -> Iterator[dict[str, Any]]:
        """Mailchimp members (``email_address``, ``status``, ``merge_fields``, ``tags``, ``last_changed``)."""
        skip = {"copper_only", "forgotten", "invalid_emails"}
        for contact in self._contacts(skip=skip, copper=False):
            if contact.member is not None:
                yield contact.member

    def forgotten_emails(self) -> list[str]:
        """Normalized addresses permanently deleted from Mailchimp; each is still a Copper person."""
        if "forgotten" not in self._counts or not self._counts["forgotten"]:
            return []
        start = self._starts[self._order.index("forgotten")]
        inverse = pow(self._mult, -1, self.n)
        indices = sorted(
            (inverse * (slot - self._offset)) % self.n
            for slot in range(start, start + self._counts["forgotten"])
        )
        builder = _Builder(self)
        return [builder.build(i).email for i in indices]

    def contacts(self) -> Iterator[SampleContact]:
        """Every contact with both sides, in index order (for tests and the sandbox's own views)."""
        return self._contacts(skip=frozenset())

    def contact(self, index: int) -> SampleContact:
        """Rebuild contact ``index`` alone (``0 <= index < n``)."""
        if not 0 <= index < self.n:
            raise IndexError(f"contact index {index} out of range(0, {self.n})")
        return _Builder(self).build(index)

    def category_of(self, index: int) -> str:
        """The category of contact ``index``, without generating it."""
        return self._category_and_rank(index)[0]

    # ---- internals --------------------------------------------------------------------------

    def _contacts(
        self, skip: set[str] | frozenset[str], copper: bool = True, mailchimp: bool = True
    ) -> Iterator[SampleContact]:
        builder = _Builder(self)
        for i in range(self.n):
            if skip and self._category_and_rank(i)[0] in skip:
                continue
            yield builder.build(i, copper=copper, mailchimp=mailchimp)

    def _category_and_rank(self, index: int) -> tuple[str, int]:
        """Category of contact ``index`` and its rank ``j`` inside that category's quota."""
        slot = (self._mult * index + self._offset) % self.n
        k = bisect.bisect_right(self._starts, slot) - 1
        return self._order[k], slot - self._starts[k]

    def _hostile_rank(self, index: int) -> int:
        """Which hostile name contact ``index`` carries, or -1."""
        step = self._hostile_step
        if not step or index % step != 3:
            return -1
        rank = index // step
        return rank if rank < self._hostile_count else -1

    def _make_summary(self) -> dict[str, int]:
        counts = self._counts
        summary = {c: counts[c] for c in CATEGORIES}
        summary["hostile"] = sum(1 for k in range(self._hostile_count) if k * self._hostile_step + 3 < self.n)
        summary["two_emails"] = sum(
            _count_mod(counts[c], _TWO_EMAILS_EVERY, 5) for c in _TWO_EMAIL_CATEGORIES
        )
        summary["exemple"] = _count_mod(self.n, _EXEMPLE_EVERY, 0)
        summary["contacts"] = self.n
        summary["copper_people"] = self.n - counts["mailchimp_only"] + counts["duplicates"]
        not_in_mailchimp = (
            counts["copper_only"]
            + counts["forgotten"]
            + counts["invalid_emails"]
            + _count_mod(counts["deletion_tagged"], 4, 3)
        )
        summary["mailchimp_members"] = self.n - not_in_mailchimp
        return summary


def generate_contacts(n: int = 500, seed: int = 42, now: int | None = None) -> SandboxContacts:
    """Sample contacts for the sandbox, deterministic from ``seed``.

    Args:
        n: number of email identities (100 to 1,000,000 is the intended range; any ``n >= 0``
            works, small ones simply lose some categories).
        seed: the same seed gives the same data; another seed gives other names, phones and order.
        now: unix seconds that dates are relative to; defaults to the start of the current UTC day.

    Returns:
        A :class:`SandboxContacts`; nothing is generated until its iterators are read.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    if now is None:
        now = int(time.time()) // 86400 * 86400
    return SandboxContacts(n=n, seed=seed, now=now)


# --------------------------------------------------------------------------------------------
# Quotas and the slot permutation
# --------------------------------------------------------------------------------------------


def _category_counts(n: int) -> dict[str, int]:
    """Exact number of contacts per category for ``n`` contacts (they sum to ``n``)."""
    counts = {c: max(_MINIMUMS.get(c, 1), round(share * n)) for c, share in _SHARES.items()}
    # Tiny n: give back from the largest quotas until the planted categories fit.
    while sum(counts.values()) > n:
        largest = max(counts, key=lambda c: counts[c])
        counts[largest] -= 1
    result = {c: counts.get(c, 0) for c in CATEGORIES}
    result["both_identical"] = n - sum(counts.values())
    return result


def _cumulative(values: Iterable[int]) -> Iterator[int]:
    total = 0
    for value in values:
        yield total
        total += value


def _coprime_multiplier(n: int, rng: random.Random) -> int:
    """A multiplier near n/φ and coprime to n, so ``(a*i + b) % n`` spreads categories evenly."""
    if n <= 2:
        return 1
    a = int(n * 0.6180339887) + rng.randrange(max(1, n // 50))
    while math.gcd(a, n) != 1:
        a += 1
    return a


def _count_mod(count: int, modulus: int, residue: int) -> int:
    """How many j in range(count) have j % modulus == residue."""
    return max(0, (count - residue + modulus - 1) // modulus)


# --------------------------------------------------------------------------------------------
# Per-contact generation
# --------------------------------------------------------------------------------------------

_PHONE_FORMATS = 8

FRENCH_PHONE_SECOND_DIGITS: dict[str, str] = {
    "1": "0123456789",
    "2": "012345789",  # 026x is La Réunion / Mayotte (+262)
    "3": "0123456789",
    "4": "123456789",  # 040 is not allocated
    "5": "012345678",  # 059x is the Antilles and Guyane (+590/+594/+596)
    "6": "01245678",  # 063x / 069x include overseas mobiles
    "7": "3456789",  # 070-072 are not mobile ranges
}
"""Second digits that keep a French number valid for metropolitan France, by first digit."""


def _format_phone(digits: str, style: int) -> str:
    """A French number (``digits`` = 9 digits after the 0) in one of the ways people type it."""
    pairs = [digits[1:3], digits[3:5], digits[5:7], digits[7:9]]
    if style == 0:
        return "0" + digits[0] + " " + " ".join(pairs)
    if style == 1:
        return "0" + digits
    if style == 2:
        return "+33 " + digits[0] + " " + " ".join(pairs)
    if style == 3:
        return "+33" + digits
    if style == 4:
        return "0" + digits[0] + "." + ".".join(pairs)
    if style == 5:
        return "0" + digits[0] + "-" + "-".join(pairs)
    if style == 6:
        return "+33 (0)" + digits[0] + " " + " ".join(pairs)
    return "0033 " + digits[0] + " " + " ".join(pairs)


def _iso(ts: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(ts))


class _Builder:
    """Builds contacts one index at a time with one re-seeded random generator."""

    def __init__(self, data: SandboxContacts) -> None:
        self.data = data
        self.rng = random.Random()
        # Distinct per (seed, i) for i < 2**40; abs() keeps negative seeds distinct from positive.
        self.key = (abs(data.seed) * 2 + (data.seed < 0)) << 40

    def _phone(self) -> str:
        r = self.rng.random
        lead = ("6" if r() < 0.7 else "7") if r() < 0.6 else str(1 + int(r() * 5))
        seconds = FRENCH_PHONE_SECOND_DIGITS[lead]
        second = seconds[int(r() * len(seconds))]
        rest = f"{int(r() * 10_000_000):07d}"
        return _format_phone(lead + second + rest, int(r() * _PHONE_FORMATS))

    def build(self, i: int, copper: bool = True, mailchimp: bool = True) -> SampleContact:
        """Generate contact ``i`` (same draws whatever the category, so sides stay consistent).

        ``copper=False`` / ``mailchimp=False`` skip building that side's dicts (the random draws
        are the same either way).
        """
        data = self.data
        category, j = data._category_and_rank(i)
        rng = self.rng
        rng.seed(self.key + i)
        r = rng.random
        now = data.now

        first, fslug = _FIRST[int(r() * len(_FIRST))]
        last, lslug = _LAST[int(r() * len(_LAST))]
        caps_last = r() < 0.2  # the team types some last names in capitals
        num = i + 1
        exemple = i % _EXEMPLE_EVERY == 0
        domain = _EXEMPLE_DOMAINS[int(r() * 2)] if exemple else _DOMAINS[int(r() * len(_DOMAINS))]
        pattern = int(r() * 5)
        if pattern == 0:
            local = f"{fslug}.{lslug}"
        elif pattern == 1:
            local = f"{fslug[0]}{lslug}"
        elif pattern == 2:
            local = f"{fslug}_{lslug}"
        elif pattern == 3:
            local = f"{lslug}.{fslug}"
        else:
            local = f"{fslug}{lslug}"
        email = f"{local}{num}@{domain}"

        case_style = r()
        space_style = r()
        phone = self._phone() if r() < 0.75 else ""
        second_phone = self._phone() if r() < 0.15 else ""
        if not phone:  # the first number is the one both sides compare
            phone, second_phone = second_phone, ""

        tags: list[str] = []
        roll = r()
        if roll < 0.5:
            tags.append("Client")
        elif roll < 0.85:
            tags.append("Prospect")
        for tag, p in (
            ("Newsletter", 0.30),
            ("Salon des vins 2025", 0.15),
            ("Caviste", 0.08),
            ("VIP", 0.06),
            ("Export \U0001f1e7\U0001f1ea", 0.04),
        ):
            if r() < p:
                tags.append(tag)

        created = now - int(r() * _YEAR)
        modified = created + int(r() * (now - created))
        mc_changed = created + int(r() * (now - created))
        has_address = r() < 0.7
        postal, city, country = _CITIES[int(r() * len(_CITIES))]
        street = f"{1 + int(r() * 120)} {FRENCH_STREETS[int(r() * len(FRENCH_STREETS))]}"
        title = _TITLES[int(r() * len(_TITLES))]
        source = _SOURCES[int(r() * len(_SOURCES))]
        details = _DETAILS[int(r() * len(_DETAILS))]
        interactions = int(r() * 40)
        last_contacted = modified - int(r() * (modified - created)) if interactions else None
        contact_type = 451490 + int(r() * 4)
        assignee = None if r() < 0.4 else 1_000_001 + int(r() * 4)
        variant_draw = r()
        partner_first, _ = _FIRST[int(r() * len(_FIRST))]
        other_last, _ = _LAST[int(r() * len(_LAST))]
        new_phone = self._phone()

        # ---- names, overlays ----
        hostile_rank = data._hostile_rank(i)
        copper_first, copper_last = first, (last.upper() if caps_last else last)
        if hostile_rank >= 0:
            bad = HOSTILE_NAMES[hostile_rank % len(HOSTILE_NAMES)]
            if hostile_rank % 2:
                copper_last = bad
            else:
                copper_first = bad
        mc_first, mc_last, mc_phone = copper_first, copper_last, phone

        if category == "both_conflicting":
            kind = j % 4
            if kind == 0:
                mc_first = _strip_accents(copper_first)  # "Helene" typed in a signup form
            elif kind == 1:
                mc_last = copper_last.title() if copper_last.isupper() else copper_last.upper()
            elif kind == 2:
                mc_phone = new_phone
            else:
                mc_last = other_last if other_last != copper_last else f"{copper_last}-{other_last}"
            if (mc_first, mc_last, mc_phone) == (copper_first, copper_last, phone):
                mc_phone = new_phone if new_phone != phone else phone + " 1"

        # ---- addresses as each side shows them ----
        if category == "duplicates":
            email = f"famille.{lslug}{num}@{domain}"
        elif category == "invalid_emails":
            email = _invalid_email(fslug, lslug, num, domain, j % _INVALID_VARIANTS, exemple)
        identity = email
        copper_email = email
        if case_style < 0.10:
            copper_email = email.title()
        elif case_style < 0.15:
            copper_email = email.upper()
        if space_style < 0.04:
            copper_email = " " + copper_email
        elif space_style < 0.08:
            copper_email = copper_email + " "
        elif space_style < 0.10:
            copper_email = f"  {copper_email}\t"
        mc_email = email.title() if case_style < 0.05 else email

        # ---- tags per category ----
        copper_tags = list(tags)
        if category == "deletion_tagged":
            spelling = DELETION_TAG_SPELLINGS[j % len(DELETION_TAG_SPELLINGS)]
            if variant_draw < 0.5:
                copper_tags.append(spelling)
            else:
                copper_tags.insert(0, spelling)
        elif category == "inactive":
            copper_tags.append(INACTIVE_TAG)

        # ---- Copper side ----
        people: list[dict[str, Any]] = []
        if copper and category != "mailchimp_only":
            emails = [{"email": copper_email, "category": "personal" if domain in _DOMAINS else "work"}]
            if category in _TWO_EMAIL_CATEGORIES and j % _TWO_EMAILS_EVERY == 5:
                emails.append({"email": f"{fslug}.{lslug}.pro{num}@cave-{lslug}.fr", "category": "work"})
            phones = []
            if phone:
                phones.append({"number": phone, "category": "mobile" if phone[1] in "67" else "home"})
            if second_phone:
                phones.append({"number": second_phone, "category": "work"})
            address = (
                {"street": street, "city": city, "state": "", "postal_code": postal, "country": country}
                if has_address
                else None
            )
            company = f"Cave {last}" if "Caviste" in tags else None
            person: dict[str, Any] = {
                "id": _COPPER_ID_BASE + 2 * i,
                "name": f"{copper_first} {copper_last}",
                "prefix": None,
                "first_name": copper_first,
                "middle_name": None,
                "last_name": copper_last,
                "suffix": None,
                "address": address,
                "assignee_id": assignee,
                "company_id": None,
                "company_name": company,
                "contact_type_id": contact_type,
                "details": details,
                "emails": emails,
                "phone_numbers": phones,
                "socials": [],
                "tags": copper_tags,
                "title": title,
                "websites": [{"url": f"https://cave-{lslug}.fr", "category": "work"}] if company else [],
                "custom_fields": [{"custom_field_definition_id": _CF_SOURCE, "value": source}],
                "date_created": created,
                "date_modified": modified,
                "date_last_contacted": last_contacted,
                "interaction_count": interactions,
                "leads_converted_from": [],
                "date_lead_created": None,
            }
            people.append(person)
            if category == "duplicates":
                # The partner shares the household address (typed differently) and the tags.
                partner = dict(person)
                partner.update(
                    address=dict(address) if address else None,
                    websites=[dict(w) for w in person["websites"]],
                    custom_fields=[dict(f) for f in person["custom_fields"]],
                    id=_COPPER_ID_BASE + 2 * i + 1,
                    name=f"{partner_first} {copper_last}",
                    first_name=partner_first,
                    emails=[
                        {"email": email.upper() if variant_draw < 0.5 else email, "category": "personal"}
                    ],
                    phone_numbers=[{"number": new_phone, "category": "mobile"}],
                    tags=list(copper_tags),
                    date_created=mc_changed,
                    date_modified=max(mc_changed, modified),
                )
                people.append(partner)

        # ---- Mailchimp side ----
        member: dict[str, Any] | None = None
        status = _MC_STATUS.get(category)
        if category == "deletion_tagged" and j % 4 == 3:
            status = None
        if mailchimp and status is not None:
            mc_tags = _MC_ONLY_TAGS[j % len(_MC_ONLY_TAGS)] if category == "mailchimp_only" else tags
            member = {
                "email_address": mc_email,
                "status": status,
                "merge_fields": {"FNAME": mc_first, "LNAME": mc_last, "PHONE": mc_phone},
                "tags": list(mc_tags),
                "last_changed": _iso(mc_changed),
            }

        return SampleContact(
            index=i,
            category=category,
            email=normalize_email(identity),
            people=people,
            member=member,
            hostile=hostile_rank >= 0,
            exemple=exemple,
        )


_MC_STATUS: dict[str, str] = {
    "mailchimp_only": "subscribed",
    "both_identical": "subscribed",
    "both_conflicting": "subscribed",
    "deletion_tagged": "subscribed",
    "inactive": "archived",
    "unsubscribed": "unsubscribed",
    "cleaned": "cleaned",
    "archived": "archived",
    "duplicates": "subscribed",
}


def _invalid_email(fslug: str, lslug: str, num: int, domain: str, variant: int, exemple: bool) -> str:
    """A malformed address; @exemple ones keep their ``@exemple`` so test mode sees them too."""
    if variant == 0 and exemple:
        variant = 1
    if variant == 0:
        return f"{fslug}.{lslug}{num}.{domain}"  # no @
    if variant == 1:
        return f"{fslug}..{lslug}{num}@{domain}"  # double dot
    if variant == 2:
        return f"{fslug}.{lslug}{num}@{domain}."  # trailing dot
    if variant == 3:
        return f"{fslug}.{lslug}{num}@{domain.split('.')[0]}"  # no top-level domain
    return f"{fslug} {lslug}{num}@{domain}"  # space inside
