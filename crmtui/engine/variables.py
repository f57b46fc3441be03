"""The template variable catalogue: what each ``{{variable}}`` holds and where its value comes from.

:func:`explain` answers, for one contact, "where does this value come from?" (the Copper contact,
a Copper custom field, the company, the ETL customer, the address itself...), for the preview;
:data:`CATALOGUE` is the same in general, for the README and the editor.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import crmtui.i18n.scenario_status  # noqa: F401 - registers the variable strings
from crmtui.config import Settings
from crmtui.engine.templates import CONTACT_FIELDS, RECOMMENDATION_VARIABLES
from crmtui.i18n import t

CATALOGUE: dict[str, str] = {
    "email": "vars.email",
    "domain": "vars.domain",
    "contact_name": "vars.contact_name",
    "first_name": "vars.first_name",
    "last_name": "vars.last_name",
    "siret": "vars.siret",
    "phone": "vars.phone",
    "company": "vars.company",
    "scenario_name": "vars.scenario_name",
    "unsubscribe_link": "vars.unsubscribe_link",
    "tracking_base": "vars.tracking_base",
    **dict.fromkeys(sorted(RECOMMENDATION_VARIABLES), "vars.recommendation"),
    **{name: "vars.contact_field" for name in ("copper_id", "mailchimp_status", "copper_tags")},
    **{
        name: "vars.customer_field"
        for name in sorted(CONTACT_FIELDS - {"copper_id", "mailchimp_status", "copper_tags", "company"})
    },
}
"""Every documented variable → the catalogue key of its general description."""


@dataclass(frozen=True)
class Explained:
    """One variable for one contact: its value and, in words, where it came from."""

    name: str
    value: str
    source: str


def _origin(name: str, sources: dict[str, str], fields: dict[str, Any]) -> str:
    where = sources.get(name)
    if where == "contact":
        return t("vars.src.contact")
    if where == "customer":
        return t(
            "vars.src.customer", key=fields.get("customer_key") or "?", source=fields.get("source") or "?"
        )
    if where == "copper_company":
        return t("vars.src.copper_company")
    return ""


def explain(
    settings: Settings,
    name: str,
    value: Any,
    fields: dict[str, Any],
    sources: dict[str, str],
) -> str:
    """Where ``name``'s ``value`` comes from for a contact whose values are ``fields`` (with ``sources``)."""
    empty = value in (None, "")
    if name == "email":
        return t("vars.src.email")
    if name == "domain":
        return t("vars.src.domain")
    if name == "contact_name":
        if fields.get("first_name") or fields.get("last_name"):
            origin = _origin("first_name", sources, fields) or _origin("last_name", sources, fields)
            return t("vars.src.contact_name.names", origin=origin)
        if fields.get("company"):
            return t("vars.src.contact_name.company", origin=_origin("company", sources, fields))
        return t("vars.src.contact_name.local")
    if name == "siret":
        if fields.get("siret"):
            return _origin("siret", sources, fields)
        if not settings.copper_siret_field:
            return t("vars.src.siret.unset")
        return t("vars.src.siret.field", id=settings.copper_siret_field) + (
            f" ({t('vars.src.empty_here')})" if empty else ""
        )
    if name == "phone" and not fields.get("phone") and fields.get("mobile"):
        return t("vars.src.mobile", origin=_origin("mobile", sources, fields))
    if name == "scenario_name":
        return t("vars.src.scenario")
    if name == "unsubscribe_link":
        return t("vars.src.unsubscribe")
    if name == "tracking_base":
        return t("vars.src.tracking")
    if name in RECOMMENDATION_VARIABLES:
        return t("vars.src.recommendation")
    origin = _origin(name, sources, fields)
    if origin:
        return origin
    if name in ("first_name", "last_name", "phone", "copper_id", "mailchimp_status", "copper_tags"):
        return t("vars.src.missing_contact")
    return t("vars.src.missing_customer")


def explain_all(
    settings: Settings,
    names: Iterable[str],
    values: dict[str, Any],
    fields: dict[str, Any],
    sources: dict[str, str],
) -> list[Explained]:
    """Each of ``names`` (sorted) with its rendered value and its source."""
    out = []
    for name in sorted(set(names)):
        value = values.get(name)
        out.append(
            Explained(
                name, "" if value is None else str(value), explain(settings, name, value, fields, sources)
            )
        )
    return out


def catalogue_rows() -> list[tuple[str, str]]:
    """``({{name}}, description)`` for the README's variable table (in the current language)."""
    return [("{{" + name + "}}", t(key)) for name, key in CATALOGUE.items()]
