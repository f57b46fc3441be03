"""Previews of a scenario email for a chosen contact: exactly what a tick would send, nothing sent.

The rendering is the tick's own (:func:`crmtui.engine.sending._prepare`: the contact's values, the
signed unsubscribe link, recommendations, tracked links), without a claim, a ledger row or a send.
"""

from __future__ import annotations

from dataclasses import dataclass

from crmtui.config import Settings
from crmtui.engine.scenarios import problem_text
from crmtui.engine.sending import _prepare, template_names, uses_recommendation
from crmtui.engine.sending_rules import link_problem, pick_variant, template_values
from crmtui.engine.templates import Template, TemplateProblem, render, variables
from crmtui.engine.variables import Explained, explain_all
from crmtui.i18n import t
from crmtui.records.emails import email_key
from crmtui.store import Store
from crmtui.store.scenarios import Audience, DueSend, Scenario, Step, scenario_repo

AUTO = "__auto__"
"""The variant choice "as the send would choose"."""

SEARCH_LIMIT = 30
"""Contacts listed at once."""


@dataclass(frozen=True)
class Found:
    """A contact the search found.

    Attributes:
        email: the address (as enrolled: lower case).
        label: name and where it was found, for the list.
    """

    email: str
    label: str


@dataclass(frozen=True)
class Preview:
    """A rendered email.

    Attributes:
        contact: the recipient.
        template: the template used.
        variant: the variant's name ("" without variants).
        subject, text, html: the parts as they would be sent.
        note: why the rendering differs from a send ("" when it does not).
        variables: each variable the template uses, with its value and where it comes from.
    """

    contact: str
    template: str
    variant: str
    subject: str
    text: str
    html: str
    note: str = ""
    variables: tuple[Explained, ...] = ()


def contact_pool(store: Store, scenario: Scenario) -> tuple[list[str], set[str]]:
    """Every contact the search looks through, audience first, and the audience (blocking)."""
    repo = scenario_repo(store)
    audience = set(repo.audience_emails(scenario.audience)) if scenario.audience.as_dict() else set()
    if scenario.id:
        audience |= set(repo.sample_contacts(scenario.id, 500))
    known = set(repo.audience_emails(Audience(sources=["copper", "mailchimp"])))
    return sorted(audience) + sorted(known - audience), audience


def search_contacts(
    store: Store, pool: list[str], audience: set[str], text: str, limit: int = SEARCH_LIMIT
) -> list[Found]:
    """Contacts whose email contains ``text``, then customers whose name does (blocking)."""
    needle = text.strip().lower()
    emails = [e for e in pool if needle in e][:limit]
    if needle and len(emails) < limit:
        for row in store.reco.search_customers(needle, limit):
            email = email_key(row.get("email"))
            if email and email not in emails:
                emails.append(email)
    repo = scenario_repo(store)
    found = []
    for email in emails[:limit]:
        values = repo.contact_values(email)
        name = " ".join(str(values.get(k) or "") for k in ("first_name", "last_name")).strip()
        where = t("scenario_preview.in_audience") if email in audience else ""
        found.append(Found(email, " · ".join(p for p in (email, name, where) if p)))
    return found


def render_preview(
    settings: Settings, store: Store, scenario: Scenario, step: Step, contact: str, variant: str = AUTO
) -> Preview:
    """Render ``step`` for ``contact`` as the tick would (blocking; nothing is claimed or sent).

    Args:
        variant: a variant's name, or :data:`AUTO` for the one the send would choose.
    """
    repo = scenario_repo(store)
    chosen = next((v for v in step.variants if v.name == variant), None)
    if chosen is not None:
        template, variant_id = chosen.template, (chosen.id or None)
    else:
        template, variant_id = pick_variant(scenario, step, contact)
        chosen = next((v for v in step.variants if v.id and v.id == variant_id), None)
        if chosen is None and step.variants:  # an unsaved step: its variants have no id yet
            chosen = next((v for v in step.variants if v.template == template), None)
        variant_id = variant_id or None
    templates = {n: Template(r.name, r.subject, r.html, r.text) for n, r in scenario.templates.items()}
    tpl = templates.get(template) or Template(template, scenario.name)
    fields, sources = repo.contact_values_and_sources(contact)
    values = template_values(settings, scenario, contact, fields)
    if uses_recommendation(tpl):
        from crmtui.engine.reco import recommendation_variables
        from crmtui.engine.reco_model import reco_config

        reco = recommendation_variables(store, contact, reco_config(settings))
        reco.pop("recommended_product_key", None)
        values.update(reco)
    used = {*variables(tpl.subject), *variables(tpl.html), *variables(tpl.text)}
    problem = link_problem(settings)
    name = chosen.name if chosen is not None else ""
    unsaved = variant == AUTO and len(step.variants) > 1 and not (scenario.id and step.id)
    note = t("scenario_preview.unsaved") if unsaved else ""
    if not problem:
        try:
            prepared = _prepare(
                settings,
                repo,
                scenario,
                step,
                DueSend(0, contact, step.position, ""),
                templates,
                settings.email_from or "",
                template=template,
                variant_id=variant_id,
            )
        except TemplateProblem as exc:
            return Preview(contact, template, name, "", "", "", note=problem_text(exc))
        message = prepared.message
        values["unsubscribe_link"] = message.unsubscribe_url
        return Preview(
            contact,
            template,
            name,
            message.subject,
            message.text,
            message.html,
            note=note,
            variables=tuple(explain_all(settings, used, values, fields, sources)),
        )
    # Sending is refused without a signed link; show the rest with an empty link.
    try:
        out = render(tpl, values, known=template_names(repo))
    except TemplateProblem as exc:
        return Preview(contact, template, name, "", "", "", note="; ".join((problem, problem_text(exc))))
    return Preview(
        contact,
        template,
        name,
        out.subject,
        out.text,
        out.html,
        note="; ".join(filter(None, (problem, note))),
        variables=tuple(explain_all(settings, used, values, fields, sources)),
    )
