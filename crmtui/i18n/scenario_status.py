"""User-facing text of ``crmtui scenarios status|op|reset`` (monitoring), in French and English.

Importing this module merges :data:`SCENARIO_STATUS_CATALOGUE` into :data:`crmtui.i18n.CATALOGUE`
(``crmtui.i18n.scenarios`` imports it, so every ``scenarios.…`` string is there together).
"""

from __future__ import annotations

from crmtui.i18n import CATALOGUE

SCENARIO_STATUS_CATALOGUE: dict[str, dict[str, str]] = {
    # -- status ---------------------------------------------------------------------------------------
    "scenarios.status.head": {
        "fr": "{name} — {status} (fenêtre {start}–{end} {days}, {zone} ; plafond/jour {cap} ; repos {cooldown} j)",
        "en": "{name} — {status} (window {start}–{end} {days}, {zone}; daily cap {cap}; cooldown {cooldown} d)",
    },
    "scenarios.status.pending": {
        "fr": "  envois en attente : {due} dus maintenant, {scheduled} planifiés (dont {held} retenus par le délai "
        "de repos), {waiting} en attente d'un événement ; prochain envoi {next}",
        "en": "  pending sends: {due} due now, {scheduled} scheduled ({held} of them held by the cooldown), "
        "{waiting} waiting for an event; next send {next}",
    },
    "scenarios.next_send": {
        "fr": "{due} dû(s) · {scheduled} planifié(s) dont {held} retenu(s) par le délai de repos · prochain envoi {next}",
        "en": "{due} due · {scheduled} scheduled, {held} held by the cooldown · next send {next}",
    },
    "scenarios.status.ledger": {
        "fr": "  journal : {claimed} en cours d'envoi, {deferred} reportés (réessayés), {unknown} au sort inconnu",
        "en": "  ledger: {claimed} being sent, {deferred} deferred (retried), {unknown} of unknown outcome",
    },
    "scenarios.status.sequences": {"fr": "  séquences : {counts}", "en": "  sequences: {counts}"},
    "scenarios.status.seq.active": {"fr": "actives", "en": "active"},
    "scenarios.status.seq.waiting": {"fr": "en attente", "en": "waiting"},
    "scenarios.status.seq.held": {"fr": "retenues", "en": "held"},
    "scenarios.status.seq.completed": {"fr": "terminées", "en": "completed"},
    "scenarios.status.seq.stopped": {"fr": "arrêtées", "en": "stopped"},
    "scenarios.status.seq.filtered": {"fr": "filtrées", "en": "filtered"},
    "scenarios.status.seq.unsubscribed": {"fr": "désinscrites", "en": "unsubscribed"},
    "scenarios.status.step": {
        "fr": "  étape {position} « {name} » ({trigger})",
        "en": "  step {position} “{name}” ({trigger})",
    },
    "scenarios.status.variant": {
        "fr": "    {name:<16} envoyés {sent:>6}   ouverts {opened:>8}   cliqués {clicked:>8}",
        "en": "    {name:<16} sent {sent:>6}   opened {opened:>8}   clicked {clicked:>8}",
    },
    "scenarios.status.verdict": {
        "fr": "    verdict ({metric}) : {verdict}",
        "en": "    verdict ({metric}): {verdict}",
    },
    "scenarios.status.verdict.nothing": {"fr": "rien d'envoyé encore", "en": "nothing sent yet"},
    "scenarios.status.none": {"fr": "aucun scénario", "en": "no scenario"},
    # -- op -------------------------------------------------------------------------------------------
    "scenarios.op.head": {"fr": "opération {key}", "en": "operation {key}"},
    "scenarios.op.where": {
        "fr": "  scénario {scenario} › étape {position} « {step} » › variante {variant} (modèle {template})",
        "en": "  scenario {scenario} › step {position} “{step}” › variant {variant} (template {template})",
    },
    "scenarios.op.contact": {"fr": "  contact : {contact}", "en": "  contact: {contact}"},
    "scenarios.op.status": {
        "fr": "  statut : {status} (tentatives {attempts}) ; réservé le {claimed} (jour {day}) par {owner}",
        "en": "  status: {status} (attempts {attempts}); claimed {claimed} (day {day}) by {owner}",
    },
    "scenarios.op.sent": {
        "fr": "  envoyé le {sent} par {sender}, id du fournisseur {provider}",
        "en": "  sent {sent} by {sender}, provider id {provider}",
    },
    "scenarios.op.message": {"fr": "  Message-ID : {message}", "en": "  Message-ID: {message}"},
    "scenarios.op.error": {"fr": "  erreur : {error}", "en": "  error: {error}"},
    "scenarios.op.settled": {"fr": "  réglé par : {by}", "en": "  settled by: {by}"},
    "scenarios.op.email": {
        "fr": "  e-mail : {status}, « {subject} », ouvert {opened}, cliqué {clicked}",
        "en": "  email: {status}, “{subject}”, opened {opened}, clicked {clicked}",
    },
    "scenarios.op.events": {"fr": "  événements : {n}", "en": "  events: {n}"},
    "scenarios.op.machine": {"fr": "machine", "en": "machine"},
    "scenarios.cli.op.missing": {
        "fr": "aucune opération de clé « {key} » (au moins 8 caractères : voir crmtui scenarios unknown)",
        "en": "no operation with key “{key}” (8 characters at least: see crmtui scenarios unknown)",
    },
    "scenarios.cli.op.ambiguous": {
        "fr": "« {key} » désigne plusieurs opérations ; donnez plus de caractères :",
        "en": "“{key}” matches several operations; give more characters:",
    },
    # -- template variables (catalogue and sources) ----------------------------------------------------
    "vars.email": {"fr": "l'adresse du contact", "en": "the contact's address"},
    "vars.domain": {"fr": "la partie de l'adresse après @", "en": "the part of the address after @"},
    "vars.contact_name": {
        "fr": "prénom et nom (contact Copper, sinon client ETL), sinon la société, sinon l'adresse avant @",
        "en": "first and last name (Copper contact, else ETL customer), else the company, else the address "
        "before @",
    },
    "vars.first_name": {
        "fr": "prénom : contact Copper synchronisé, sinon client ETL",
        "en": "first name: synced Copper contact, else ETL customer",
    },
    "vars.last_name": {
        "fr": "nom : contact Copper synchronisé, sinon client ETL",
        "en": "last name: synced Copper contact, else ETL customer",
    },
    "vars.siret": {
        "fr": "SIRET : le champ personnalisé Copper nommé par COPPER_SIRET_FIELD (vide sans ce réglage)",
        "en": "SIRET: the Copper custom field COPPER_SIRET_FIELD names (empty without that setting)",
    },
    "vars.phone": {
        "fr": "téléphone : contact Copper, sinon client ETL (fixe, sinon mobile)",
        "en": "phone: Copper contact, else ETL customer (landline, else mobile)",
    },
    "vars.company": {
        "fr": "société : client ETL, sinon la société de la personne dans Copper",
        "en": "company: ETL customer, else the Copper person's company",
    },
    "vars.scenario_name": {"fr": "le nom du scénario", "en": "the scenario's name"},
    "vars.unsubscribe_link": {
        "fr": "lien de désinscription signé, propre à chaque e-mail (CRMTUI_PUBLIC_URL/u/…)",
        "en": "signed unsubscribe link, one per email (CRMTUI_PUBLIC_URL/u/…)",
    },
    "vars.tracking_base": {
        "fr": "CRMTUI_PUBLIC_URL/t : devant l'adresse d'un lien ({{tracking_base}}https://…), le lien est suivi",
        "en": "CRMTUI_PUBLIC_URL/t: before a link's address ({{tracking_base}}https://…), the link is tracked",
    },
    "vars.recommendation": {
        "fr": "moteur de recommandation (vide sans recommandation pour ce contact)",
        "en": "recommendation engine (empty when the contact has none)",
    },
    "vars.contact_field": {
        "fr": "contact synchronisé Copper/Mailchimp",
        "en": "synced Copper/Mailchimp contact",
    },
    "vars.customer_field": {
        "fr": "client ETL (iSaVigne, Odoo) de même adresse ; segment et achats calculés par le RFM",
        "en": "ETL customer (iSaVigne, Odoo) with the same address; segment and purchases from the RFM pass",
    },
    "vars.src.contact": {"fr": "contact Copper synchronisé", "en": "synced Copper contact"},
    "vars.src.customer": {"fr": "client ETL {key} ({source})", "en": "ETL customer {key} ({source})"},
    "vars.src.copper_company": {
        "fr": "société de la personne dans Copper",
        "en": "the Copper person's company",
    },
    "vars.src.email": {"fr": "adresse du contact", "en": "the contact's address"},
    "vars.src.domain": {"fr": "adresse du contact, après @", "en": "the contact's address, after @"},
    "vars.src.contact_name.names": {"fr": "prénom et nom ({origin})", "en": "first and last name ({origin})"},
    "vars.src.contact_name.company": {
        "fr": "société ({origin}), faute de prénom et nom",
        "en": "company ({origin}), for want of a first and last name",
    },
    "vars.src.contact_name.local": {
        "fr": "adresse avant @, faute de nom et de société",
        "en": "the address before @, for want of a name and a company",
    },
    "vars.src.siret.unset": {
        "fr": "vide : COPPER_SIRET_FIELD n'est pas réglé (l'identifiant du champ personnalisé Copper du SIRET)",
        "en": "empty: COPPER_SIRET_FIELD is not set (the id of the Copper custom field holding the SIRET)",
    },
    "vars.src.siret.field": {
        "fr": "champ personnalisé Copper {id} (COPPER_SIRET_FIELD)",
        "en": "Copper custom field {id} (COPPER_SIRET_FIELD)",
    },
    "vars.src.empty_here": {"fr": "vide pour ce contact", "en": "empty for this contact"},
    "vars.src.mobile": {
        "fr": "mobile ({origin}), faute de fixe",
        "en": "mobile ({origin}), for want of a landline",
    },
    "vars.src.scenario": {"fr": "le scénario", "en": "the scenario"},
    "vars.src.unsubscribe": {
        "fr": "signé pour cet e-mail (CRMTUI_PUBLIC_URL/u/…)",
        "en": "signed for this email (CRMTUI_PUBLIC_URL/u/…)",
    },
    "vars.src.tracking": {"fr": "CRMTUI_PUBLIC_URL/t", "en": "CRMTUI_PUBLIC_URL/t"},
    "vars.src.recommendation": {"fr": "moteur de recommandation", "en": "recommendation engine"},
    "vars.src.missing_contact": {
        "fr": "vide : pas de contact synchronisé ni de client ETL qui l'ait",
        "en": "empty: no synced contact nor ETL customer has it",
    },
    "vars.src.missing_customer": {
        "fr": "vide : aucun client ETL de cette adresse ne l'a",
        "en": "empty: no ETL customer with this address has it",
    },
    "scenario_preview.variables": {
        "fr": "variables et leur origine",
        "en": "variables and where they come from",
    },
    # -- settings --------------------------------------------------------------------------------------
    "config.siret_field": {
        "fr": "« {value} » n'est pas l'identifiant d'un champ personnalisé Copper (un nombre)",
        "en": "“{value}” is not a Copper custom field id (a number)",
    },
    "config.siret_field.fix": {
        "fr": "mettez l'identifiant du champ SIRET (Copper › Paramètres › Champs personnalisés, ou "
        "GET /custom_field_definitions)",
        "en": "set the SIRET field's id (Copper › Settings › Custom Fields, or GET /custom_field_definitions)",
    },
    # -- reset ----------------------------------------------------------------------------------------
    "scenarios.reset.done": {
        "fr": "« {name} » : {n} séquence(s) de test effacée(s), le test peut être relancé",
        "en": "“{name}”: {n} test sequence(s) cleared, the test can run again",
    },
    "scenarios.reset.refused": {
        "fr": "« {name} » ne peut pas être réinitialisé : {reasons}",
        "en": "“{name}” cannot be reset: {reasons}",
    },
    "scenarios.reset.why.real": {
        "fr": "{n} contact(s) réel(s) inscrit(s) (seul un scénario n'ayant que des envois de test se "
        "réinitialise ; arrêtez-le plutôt)",
        "en": "{n} real contact(s) enrolled (only a scenario with nothing but test sends can be reset; stop it "
        "instead)",
    },
    "scenarios.reset.why.real_sends": {
        "fr": "{n} envoi(s) à des contacts qui ne sont pas des contacts de test : le journal les garde pour "
        "ne jamais renvoyer",
        "en": "{n} send(s) to contacts that are not test contacts: the ledger keeps them so nothing is sent twice",
    },
    "scenarios.reset.why.claimed": {
        "fr": "{n} envoi(s) en cours : attendez la fin du tick",
        "en": "{n} send(s) in flight: wait for the tick to finish",
    },
    "scenarios.reset.why.unknown": {
        "fr": "{n} envoi(s) au sort inconnu : réglez-les d'abord (crmtui scenarios resolve KEY sent|not_sent)",
        "en": "{n} send(s) of unknown outcome: settle them first (crmtui scenarios resolve KEY sent|not_sent)",
    },
}
"""Monitoring text, fr + en with the same placeholders."""

CATALOGUE.update(SCENARIO_STATUS_CATALOGUE)
