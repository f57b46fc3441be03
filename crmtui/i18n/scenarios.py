"""User-facing text of the scenarios area (validation, CLI, screen), in French and English.

Importing this module merges :data:`SCENARIOS_CATALOGUE` into :data:`crmtui.i18n.CATALOGUE`, so
``t("scenarios.…")`` works anywhere after ``import crmtui.i18n.scenarios``.
"""

from __future__ import annotations

import crmtui.i18n.scenario_status  # noqa: F401 - the monitoring strings
from crmtui.i18n import CATALOGUE

SCENARIOS_CATALOGUE: dict[str, dict[str, str]] = {
    # -- validation ---------------------------------------------------------------------------------
    "scenarios.v.name": {"fr": "le scénario n'a pas de nom", "en": "the scenario has no name"},
    "scenarios.v.status": {
        "fr": "statut « {value} » inconnu (permis : {allowed})",
        "en": "unknown status “{value}” (allowed: {allowed})",
    },
    "scenarios.v.timezone": {
        "fr": "fuseau horaire inconnu : {value} (ex. Europe/Paris)",
        "en": "unknown time zone: {value} (e.g. Europe/Paris)",
    },
    "scenarios.v.window": {
        "fr": "fenêtre d'envoi ({which}) : « {value} » n'est pas une heure HH:MM",
        "en": "send window ({which}): “{value}” is not an HH:MM time",
    },
    "scenarios.v.days": {
        "fr": "jours d'envoi invalides : {value} (mon…sun ou 1…7)",
        "en": "invalid send days: {value} (mon…sun or 1…7)",
    },
    "scenarios.v.cap": {"fr": "plafond quotidien négatif : {value}", "en": "negative daily cap: {value}"},
    "scenarios.v.cooldown": {"fr": "délai de repos négatif : {value}", "en": "negative cooldown: {value}"},
    "scenarios.v.score": {
        "fr": "score de validation minimal hors de 0–100 : {value}",
        "en": "minimum validation score outside 0–100: {value}",
    },
    "scenarios.v.sender": {
        "fr": "expéditeur « {value} » inconnu (permis : {allowed})",
        "en": "unknown sender “{value}” (allowed: {allowed})",
    },
    "scenarios.v.auto_winner": {
        "fr": "gagnant automatique : metric opened|clicked, alpha entre 0 et 1, min_sends ≥ 1",
        "en": "automatic winner: metric opened|clicked, alpha between 0 and 1, min_sends ≥ 1",
    },
    "scenarios.v.no_steps": {"fr": "le scénario n'a aucune étape", "en": "the scenario has no step"},
    "scenarios.v.positions": {
        "fr": "deux étapes ont la même position",
        "en": "two steps have the same position",
    },
    "scenarios.v.first_trigger": {
        "fr": "la première étape « {step} » doit se déclencher à l'entrée ou après un délai",
        "en": "the first step “{step}” must trigger on entry or after a delay",
    },
    "scenarios.v.trigger": {
        "fr": "étape « {step} » : déclencheur « {value} » inconnu (permis : {allowed})",
        "en": "step “{step}”: unknown trigger “{value}” (allowed: {allowed})",
    },
    "scenarios.v.delay": {"fr": "étape « {step} » : délai négatif", "en": "step “{step}”: negative delay"},
    "scenarios.v.parent": {
        "fr": "étape « {step} » : étape parente {value} introuvable ou postérieure",
        "en": "step “{step}”: parent step {value} missing or not earlier",
    },
    "scenarios.v.template_missing": {
        "fr": "étape « {step} » : modèle « {template} » introuvable",
        "en": "step “{step}”: template “{template}” not found",
    },
    "scenarios.v.variant_names": {
        "fr": "étape « {step} » : deux variantes portent le même nom",
        "en": "step “{step}”: two variants have the same name",
    },
    "scenarios.v.weights": {
        "fr": "étape « {step} » : poids des variantes négatifs ou tous nuls",
        "en": "step “{step}”: variant weights negative or all zero",
    },
    "scenarios.v.subject": {
        "fr": "modèle « {template} » : objet vide",
        "en": "template “{template}”: empty subject",
    },
    "scenarios.v.body": {
        "fr": "modèle « {template} » : ni HTML ni texte",
        "en": "template “{template}”: neither HTML nor text",
    },
    "scenarios.v.unknown_variable": {
        "fr": "modèle « {template} » : variable(s) inconnue(s) {names}",
        "en": "template “{template}”: unknown variable(s) {names}",
    },
    "scenarios.v.template_syntax": {
        "fr": "modèle « {template} » ({part}, ligne {line}) : erreur de syntaxe : {detail}",
        "en": "template “{template}” ({part}, line {line}): syntax error: {detail}",
    },
    "scenarios.v.template_render": {
        "fr": "modèle « {template} » ({part}) : rendu impossible : {detail}",
        "en": "template “{template}” ({part}): cannot be rendered: {detail}",
    },
    "scenarios.v.day_unknown": {
        "fr": "jour(s) d'envoi inconnu(s) : {names} (mon…sun, lun…dim, lundi…dimanche, 1…7, ou mon-fri)",
        "en": "unknown send day(s): {names} (mon…sun, lun…dim, monday…sunday, 1…7, or mon-fri)",
    },
    "scenarios.v.domain_bad": {
        "fr": "exclude_domains : {names} n'est pas un nom de domaine (ex. gmail.com)",
        "en": "exclude_domains: {names} is not a domain name (e.g. gmail.com)",
    },
    "scenarios.v.bool": {
        "fr": "{key} : « {value} » n'est ni true ni false",
        "en": "{key}: “{value}” is neither true nor false",
    },
    "scenarios.v.conflict": {
        "fr": "{key} = {value} contredit {other} = {other_value} : n'en gardez qu'un",
        "en": "{key} = {value} contradicts {other} = {other_value}: keep only one",
    },
    "scenarios.v.misplaced": {
        "fr": "des lignes « scenario.… » sont tombées dans la table [{table}] : placez-les avant la première "
        "ligne [section] du fichier",
        "en": "“scenario.…” lines landed in the [{table}] table: put them before the file's first [section] line",
    },
    "scenarios.v.stop_on_unsubscribe": {
        "fr": "stop_on_unsubscribe = false est refusé : un contact désinscrit ne reçoit jamais d'email marketing "
        "(sa séquence s'arrête toujours)",
        "en": "stop_on_unsubscribe = false is refused: an unsubscribed contact never receives marketing email "
        "(their sequence always stops)",
    },
    "scenarios.footer.unsubscribe": {"fr": "Se désinscrire", "en": "Unsubscribe"},
    "scenarios.footer.unsubscribe_text": {"fr": "Se désinscrire : {url}", "en": "Unsubscribe: {url}"},
    "scenarios.v.toml": {
        "fr": "fichier de scénario illisible : {detail}",
        "en": "unreadable scenario file: {detail}",
    },
    "scenarios.not_draft": {
        "fr": "« {name} » n'est pas un brouillon",
        "en": "“{name}” is not a draft",
    },
    # -- tick -----------------------------------------------------------------------------------------
    "scenarios.tick": {
        "fr": "{sent} envoyés, {failed} refusés, {deferred} reportés, {unknown} incertains, {throttled} ralentissements",
        "en": "{sent} sent, {failed} refused, {deferred} deferred, {unknown} unknown, {throttled} throttled",
    },
    "scenarios.tick.refused": {"fr": "non réclamés", "en": "not claimed"},
    "scenarios.tick.recovered": {
        "fr": "{n} envoi(s) interrompu(s) passé(s) en « incertain »",
        "en": "{n} interrupted send(s) marked unknown",
    },
    "scenarios.none_active": {"fr": "aucun scénario actif", "en": "no active scenario"},
    "scenarios.winner": {"fr": "gagnant A/B choisi : {detail}", "en": "A/B winner picked: {detail}"},
    # -- CLI -------------------------------------------------------------------------------------------
    "scenarios.cli.imported": {
        "fr": "scénario « {name} » importé ({steps} étapes, statut {status})",
        "en": "scenario “{name}” imported ({steps} steps, status {status})",
    },
    "scenarios.cli.invalid": {"fr": "scénario refusé :", "en": "scenario refused:"},
    "scenarios.cli.unknown": {"fr": "aucun scénario « {name} »", "en": "no scenario “{name}”"},
    "scenarios.cli.started": {
        "fr": "« {name} » démarré : {n} contact(s) inscrit(s)",
        "en": "“{name}” started: {n} contact(s) enrolled",
    },
    "scenarios.cli.status": {
        "fr": "« {name} » : {before} → {after}",
        "en": "“{name}”: {before} → {after}",
    },
    "scenarios.cli.tick": {"fr": "tick : {summary}", "en": "tick: {summary}"},
    "scenarios.cli.loop": {
        "fr": "envoi continu toutes les {seconds} s (SIGTERM ou Ctrl-C pour arrêter)",
        "en": "sending every {seconds} s (SIGTERM or Ctrl-C to stop)",
    },
    "scenarios.cli.stopped": {
        "fr": "arrêt propre après le tick en cours",
        "en": "stopped cleanly after the current tick",
    },
    "scenarios.cli.list.empty": {"fr": "aucun scénario", "en": "no scenario"},
    "scenarios.cli.resolved": {
        "fr": "envoi {key} réglé : {outcome}",
        "en": "send {key} settled: {outcome}",
    },
    # -- screen ----------------------------------------------------------------------------------------
    "scenarios.title": {"fr": "Scénarios", "en": "Scenarios"},
    "key.scenarios": {"fr": "Scénarios", "en": "Scenarios"},
    "scenarios.cmd.help": {
        "fr": "Scénarios e-mail : étapes, variantes A/B, envois incertains",
        "en": "Email scenarios: steps, A/B variants, unknown sends",
    },
    "scenarios.col.name": {"fr": "Nom", "en": "Name"},
    "scenarios.col.status": {"fr": "Statut", "en": "Status"},
    "scenarios.col.sent": {"fr": "Envoyés", "en": "Sent"},
    "scenarios.col.opened": {"fr": "Ouverts", "en": "Opened"},
    "scenarios.col.clicked": {"fr": "Cliqués", "en": "Clicked"},
    "scenarios.col.active": {"fr": "Séquences actives", "en": "Active sequences"},
    "scenarios.col.unknown": {"fr": "Incertains", "en": "Unknown"},
    "scenarios.status.draft": {"fr": "brouillon", "en": "draft"},
    "scenarios.status.active": {"fr": "actif", "en": "active"},
    "scenarios.status.paused": {"fr": "en pause", "en": "paused"},
    "scenarios.status.stopped": {"fr": "arrêté", "en": "stopped"},
    "scenarios.key.start": {"fr": "Démarrer", "en": "Start"},
    "scenarios.key.pause": {"fr": "Pause", "en": "Pause"},
    "scenarios.key.resume": {"fr": "Reprendre", "en": "Resume"},
    "scenarios.key.stop": {"fr": "Arrêter", "en": "Stop"},
    "scenarios.key.tick": {"fr": "Envoyer maintenant", "en": "Send now"},
    "scenarios.key.preview": {"fr": "Aperçu", "en": "Preview"},
    "scenarios.key.resolve_sent": {"fr": "Marquer envoyé", "en": "Mark sent"},
    "scenarios.key.resolve_not_sent": {"fr": "Marquer non envoyé", "en": "Mark not sent"},
    "scenarios.key.reset_tests": {"fr": "Réinitialiser les tests", "en": "Reset tests"},
    "scenarios.confirm.stop": {
        "fr": "Arrêter « {name} » ? Ses séquences en cours s'arrêtent.",
        "en": "Stop “{name}”? Its running sequences stop.",
    },
    "scenarios.step.line": {
        "fr": "{name} — {sent} envoyés, ouverture {open_rate} [{open_lo}–{open_hi}], clic {click_rate}",
        "en": "{name} — {sent} sent, opens {open_rate} [{open_lo}–{open_hi}], clicks {click_rate}",
    },
    "scenarios.verdict.significant": {
        "fr": "{best} devant {other} (p = {p})",
        "en": "{best} beats {other} (p = {p})",
    },
    "scenarios.verdict.none": {
        "fr": "pas de différence significative (p = {p})",
        "en": "no significant difference (p = {p})",
    },
    "scenarios.queue": {
        "fr": "{pending} envoi(s) en cours · {active} séquence(s) actives · {unknown} incertain(s)",
        "en": "{pending} send(s) in flight · {active} active sequence(s) · {unknown} unknown",
    },
    "scenarios.preview.none": {
        "fr": "aucun contact inscrit à prévisualiser",
        "en": "no enrolled contact to preview",
    },
    "scenarios.unknown.title": {"fr": "Envois incertains", "en": "Unknown sends"},
    "scenarios.empty": {
        "fr": "Aucun scénario : importez-en un avec « crmtui scenarios import FICHIER ».",
        "en": "No scenario yet: import one with “crmtui scenarios import FILE”.",
    },
}
"""Every scenarios key, fr + en with the same placeholders."""

CATALOGUE.update(SCENARIOS_CATALOGUE)

SCENARIO_EDITOR_CATALOGUE: dict[str, dict[str, str]] = {
    # -- Scenarios screen keys ----------------------------------------------------------------------
    "scenario_edit.key.new": {"fr": "Nouveau", "en": "New"},
    "scenario_edit.key.edit": {"fr": "Modifier", "en": "Edit"},
    "scenario_edit.key.preview_contact": {"fr": "Aperçu pour un contact", "en": "Preview for a contact"},
    # -- the editor -----------------------------------------------------------------------------------
    "scenario_edit.title.new": {"fr": "Nouveau scénario", "en": "New scenario"},
    "scenario_edit.title.edit": {
        "fr": "Scénario « {name} » ({status})",
        "en": "Scenario “{name}” ({status})",
    },
    "scenario_edit.section.settings": {"fr": "Réglages", "en": "Settings"},
    "scenario_edit.section.options": {"fr": "Options", "en": "Options"},
    "scenario_edit.section.audience": {
        "fr": "Audience (réunion de tous les critères remplis)",
        "en": "Audience (union of every filled criterion)",
    },
    "scenario_edit.section.steps": {"fr": "Étapes", "en": "Steps"},
    "scenario_edit.section.templates": {"fr": "Modèles", "en": "Templates"},
    "scenario_edit.field.name": {"fr": "Nom", "en": "Name"},
    "scenario_edit.field.description": {"fr": "Description", "en": "Description"},
    "scenario_edit.field.daily_cap": {"fr": "Plafond quotidien", "en": "Daily cap"},
    "scenario_edit.field.cooldown_days": {"fr": "Repos (jours)", "en": "Cooldown (days)"},
    "scenario_edit.field.window_start": {"fr": "Envoi à partir de", "en": "Send from"},
    "scenario_edit.field.window_end": {"fr": "Envoi jusqu'à", "en": "Send until"},
    "scenario_edit.field.send_days": {"fr": "Jours d'envoi", "en": "Send days"},
    "scenario_edit.field.timezone": {"fr": "Fuseau horaire", "en": "Time zone"},
    "scenario_edit.field.min_validation_score": {
        "fr": "Score de validation min.",
        "en": "Min. validation score",
    },
    "scenario_edit.field.exclude_domains": {"fr": "Domaines exclus", "en": "Excluded domains"},
    "scenario_edit.field.copper_tags": {"fr": "Tags Copper", "en": "Copper tags"},
    "scenario_edit.field.mailchimp_tags": {"fr": "Tags Mailchimp", "en": "Mailchimp tags"},
    "scenario_edit.field.segments": {"fr": "Segments RFM", "en": "RFM segments"},
    "scenario_edit.field.sources": {"fr": "Sources", "en": "Sources"},
    "scenario_edit.field.emails": {"fr": "Liste d'e-mails", "en": "Email list"},
    "scenario_edit.field.stop_on_reply": {"fr": "Arrêter à la réponse", "en": "Stop on reply"},
    "scenario_edit.field.stop_on_unsubscribe": {
        "fr": "Arrêter à la désinscription",
        "en": "Stop on unsubscribe",
    },
    "scenario_edit.field.include_unsubscribe": {
        "fr": "Lien de désinscription en un clic",
        "en": "One-click unsubscribe link",
    },
    "scenario_edit.field.only_deliverable": {
        "fr": "Adresses délivrables seulement",
        "en": "Deliverable addresses only",
    },
    "scenario_edit.field.delay_days": {"fr": "Délai (jours)", "en": "Delay (days)"},
    "scenario_edit.field.delay_hours": {"fr": "Délai (heures)", "en": "Delay (hours)"},
    "scenario_edit.field.default_template": {"fr": "Modèle par défaut", "en": "Default template"},
    "scenario_edit.hint.name": {"fr": "ex. Bienvenue", "en": "e.g. Welcome"},
    "scenario_edit.hint.description": {"fr": "pour qui, pourquoi", "en": "who it is for, and why"},
    "scenario_edit.hint.daily_cap": {"fr": "0 = sans plafond", "en": "0 = no cap"},
    "scenario_edit.hint.cooldown_days": {
        "fr": "jours sans autre scénario pour un contact",
        "en": "days without another scenario for a contact",
    },
    "scenario_edit.hint.window_start": {"fr": "HH:MM", "en": "HH:MM"},
    "scenario_edit.hint.window_end": {"fr": "HH:MM (24:00 = minuit)", "en": "HH:MM (24:00 = midnight)"},
    "scenario_edit.hint.send_days": {
        "fr": "mon tue wed… ou lun-ven ou 1-5",
        "en": "mon tue wed… or mon-fri or 1-5",
    },
    "scenario_edit.hint.timezone": {"fr": "ex. Europe/Paris", "en": "e.g. Europe/Paris"},
    "scenario_edit.hint.min_validation_score": {"fr": "0 à 100", "en": "0 to 100"},
    "scenario_edit.hint.exclude_domains": {"fr": "séparés par des virgules", "en": "comma-separated"},
    "scenario_edit.hint.copper_tags": {"fr": "séparés par des virgules", "en": "comma-separated"},
    "scenario_edit.hint.mailchimp_tags": {"fr": "séparés par des virgules", "en": "comma-separated"},
    "scenario_edit.hint.segments": {"fr": "ex. Champions, Fidèles", "en": "e.g. Champions, Loyal"},
    "scenario_edit.hint.sources": {
        "fr": "copper, mailchimp ou une source ETL",
        "en": "copper, mailchimp or an ETL source",
    },
    "scenario_edit.hint.emails": {
        "fr": "adresses séparées par des virgules",
        "en": "comma-separated addresses",
    },
    "scenario_edit.col.step": {"fr": "Étape", "en": "Step"},
    "scenario_edit.col.trigger": {"fr": "Déclencheur", "en": "Trigger"},
    "scenario_edit.col.parent": {"fr": "Après l'étape", "en": "After step"},
    "scenario_edit.col.template": {"fr": "Modèle", "en": "Template"},
    "scenario_edit.col.variants": {"fr": "Variantes (poids)", "en": "Variants (weights)"},
    "scenario_edit.col.subject": {"fr": "Objet", "en": "Subject"},
    "scenario_edit.col.used": {"fr": "Utilisé", "en": "Used"},
    "scenario_edit.trigger.entry": {"fr": "à l'entrée", "en": "on entry"},
    "scenario_edit.trigger.delay": {"fr": "après un délai", "en": "after a delay"},
    "scenario_edit.trigger.opened": {"fr": "à l'ouverture", "en": "when opened"},
    "scenario_edit.trigger.not_opened": {"fr": "si non ouvert", "en": "if not opened"},
    "scenario_edit.trigger.clicked": {"fr": "au clic", "en": "when clicked"},
    "scenario_edit.trigger_hint.entry": {
        "fr": "Envoyé à l'inscription du contact (après le délai s'il y en a un).",
        "en": "Sent when the contact is enrolled (after the delay, if any).",
    },
    "scenario_edit.trigger_hint.delay": {
        "fr": "Envoyé ce délai après l'étape précédente.",
        "en": "Sent this long after the previous step.",
    },
    "scenario_edit.trigger_hint.opened": {
        "fr": "Envoyé quand l'e-mail de l'étape parente est ouvert (plus le délai).",
        "en": "Sent when the parent step's email is opened (plus the delay).",
    },
    "scenario_edit.trigger_hint.not_opened": {
        "fr": "Envoyé si l'e-mail de l'étape parente n'est pas ouvert dans ce délai (ex. 48 heures).",
        "en": "Sent if the parent step's email is not opened within this delay (e.g. 48 hours).",
    },
    "scenario_edit.trigger_hint.clicked": {
        "fr": "Envoyé quand un lien de l'e-mail de l'étape parente est cliqué (plus le délai).",
        "en": "Sent when a link in the parent step's email is clicked (plus the delay).",
    },
    "scenario_edit.days_short": {"fr": "{n} j", "en": "{n} d"},
    "scenario_edit.hours_short": {"fr": "{n} h", "en": "{n} h"},
    "scenario_edit.parent.none": {"fr": "(l'étape précédente)", "en": "(the previous step)"},
    "scenario_edit.template.none": {"fr": "(choisir un modèle)", "en": "(choose a template)"},
    "scenario_edit.template.empty": {
        "fr": "(aucun modèle : créez-en un d'abord, F3 puis a)",
        "en": "(no template: create one first, F3 then a)",
    },
    "scenario_edit.step.title": {"fr": "Étape {position}", "en": "Step {position}"},
    "scenario_edit.step.default_name": {"fr": "Étape {n}", "en": "Step {n}"},
    "scenario_edit.template.title": {"fr": "Modèle d'e-mail", "en": "Email template"},
    "scenario_edit.template.html": {"fr": "Corps HTML", "en": "HTML body"},
    "scenario_edit.template.text": {
        "fr": "Corps texte (vide : dérivé du HTML)",
        "en": "Text body (empty: derived from the HTML)",
    },
    "scenario_edit.template.known": {"fr": "Variables connues : {names}", "en": "Known variables: {names}"},
    "scenario_edit.variants.title": {"fr": "Variantes A/B et poids", "en": "A/B variants and weights"},
    "scenario_edit.variants.none": {
        "fr": "Aucune variante : le modèle par défaut est envoyé à tous (ctrl+n pour en ajouter).",
        "en": "No variant: the default template goes to everyone (ctrl+n to add one).",
    },
    "scenario_edit.variants.total": {
        "fr": "{n} variante(s), poids total {total}",
        "en": "{n} variant(s), total weight {total}",
    },
    "scenario_edit.variant.name": {"fr": "nom", "en": "name"},
    "scenario_edit.variant.template": {"fr": "modèle", "en": "template"},
    "scenario_edit.variant.weight": {"fr": "poids", "en": "weight"},
    "scenario_edit.variant.locked": {
        "fr": "Cette variante a déjà des contacts : elle garde son nom et ne peut pas être retirée (poids 0 pour l'écarter).",
        "en": "This variant already has contacts: it keeps its name and cannot be removed (weight 0 to set it aside).",
    },
    "scenario_edit.variant.focus_one": {
        "fr": "Placez-vous sur la variante à retirer.",
        "en": "Move to the variant to remove first.",
    },
    "scenario_edit.key.save": {"fr": "Enregistrer", "en": "Save"},
    "scenario_edit.key.apply": {"fr": "Valider", "en": "Apply"},
    "scenario_edit.key.steps": {"fr": "Étapes", "en": "Steps"},
    "scenario_edit.key.templates": {"fr": "Modèles", "en": "Templates"},
    "scenario_edit.key.settings": {"fr": "Réglages", "en": "Settings"},
    "scenario_edit.key.add_step": {"fr": "Ajouter une étape", "en": "Add step"},
    "scenario_edit.key.edit_step": {"fr": "Modifier l'étape", "en": "Edit step"},
    "scenario_edit.key.add_template": {"fr": "Ajouter un modèle", "en": "Add template"},
    "scenario_edit.key.edit_template": {"fr": "Modifier le modèle", "en": "Edit template"},
    "scenario_edit.key.remove": {"fr": "Retirer", "en": "Remove"},
    "scenario_edit.key.move_up": {"fr": "Monter", "en": "Move up"},
    "scenario_edit.key.move_down": {"fr": "Descendre", "en": "Move down"},
    "scenario_edit.key.preview": {"fr": "Aperçu", "en": "Preview"},
    "scenario_edit.key.add_variant": {"fr": "Ajouter une variante", "en": "Add variant"},
    "scenario_edit.key.remove_variant": {"fr": "Retirer la variante", "en": "Remove variant"},
    "scenario_edit.note.keys": {
        "fr": "F2 étapes · F3 modèles · F4 réglages — dans un tableau : a ajouter, Entrée modifier, d retirer, "
        "maj+↑/↓ déplacer, v aperçu · ctrl+s enregistrer",
        "en": "F2 steps · F3 templates · F4 settings — in a table: a add, Enter edit, d remove, "
        "shift+↑/↓ move, v preview · ctrl+s save",
    },
    "scenario_edit.note.started": {
        "fr": "Des contacts sont inscrits : les étapes gardent leur position et les variantes leur nom "
        "(on peut ajouter, modifier et repondérer).",
        "en": "Contacts are enrolled: steps keep their positions and variants their names "
        "(adding, editing and reweighting still work).",
    },
    "scenario_edit.refused.active": {
        "fr": "« {name} » est actif : mettez-le d'abord en pause (p), puis modifiez-le (E).",
        "en": "“{name}” is active: pause it first (p), then edit it (E).",
    },
    "scenario_edit.refused.stopped": {
        "fr": "« {name} » ({status}) ne peut plus être modifié : exportez-le et importez-le sous un autre nom.",
        "en": "“{name}” ({status}) can no longer be edited: export it and import it under another name.",
    },
    "scenario_edit.refused.started": {
        "fr": "Des contacts sont déjà inscrits : les étapes ne peuvent plus être retirées ni déplacées "
        "(le registre des envois est lié à leur position).",
        "en": "Contacts are already enrolled: steps can no longer be removed or moved "
        "(the send ledger is tied to their positions).",
    },
    "scenario_edit.refused.template_used": {
        "fr": "Le modèle « {name} » est utilisé {n} fois : changez d'abord les étapes qui l'utilisent.",
        "en": "Template “{name}” is used {n} time(s): change the steps using it first.",
    },
    "scenario_edit.v.number": {"fr": "« {value} » n'est pas un nombre", "en": "“{value}” is not a number"},
    "scenario_edit.v.domains": {"fr": "domaines invalides : {value}", "en": "invalid domains: {value}"},
    "scenario_edit.v.emails": {"fr": "adresses invalides : {value}", "en": "invalid addresses: {value}"},
    "scenario_edit.v.name_taken": {
        "fr": "un scénario « {name} » existe déjà",
        "en": "a scenario “{name}” already exists",
    },
    "scenario_edit.v.step_name": {"fr": "l'étape n'a pas de nom", "en": "the step has no name"},
    "scenario_edit.v.step_template": {
        "fr": "choisissez le modèle par défaut de l'étape",
        "en": "choose the step's default template",
    },
    "scenario_edit.v.not_opened_delay": {
        "fr": "« si non ouvert » demande un délai (ex. 48 heures)",
        "en": "“if not opened” needs a delay (e.g. 48 hours)",
    },
    "scenario_edit.v.variant_name": {"fr": "variante {n} : nom vide", "en": "variant {n}: empty name"},
    "scenario_edit.v.variant_weight": {
        "fr": "variante {n} : le poids doit être un entier ≥ 0",
        "en": "variant {n}: the weight must be a whole number ≥ 0",
    },
    "scenario_edit.v.variant_template": {
        "fr": "variante {n} : choisissez un modèle",
        "en": "variant {n}: choose a template",
    },
    "scenario_edit.v.variant_duplicate": {
        "fr": "deux variantes portent le même nom",
        "en": "two variants have the same name",
    },
    "scenario_edit.v.variant_zero": {
        "fr": "au moins une variante doit avoir un poids > 0",
        "en": "at least one variant needs a weight > 0",
    },
    "scenario_edit.v.template_name": {"fr": "le modèle n'a pas de nom", "en": "the template has no name"},
    "scenario_edit.v.template_taken": {
        "fr": "un modèle « {name} » existe déjà",
        "en": "a template “{name}” already exists",
    },
    "scenario_edit.invalid": {
        "fr": "{n} problème(s) à corriger avant d'enregistrer",
        "en": "{n} problem(s) to fix before saving",
    },
    "scenario_edit.saved": {"fr": "scénario « {name} » enregistré", "en": "scenario “{name}” saved"},
    "scenario_edit.discard.title": {"fr": "Abandonner les modifications ?", "en": "Discard the changes?"},
    "scenario_edit.discard.body": {
        "fr": "Rien n'a été enregistré depuis l'ouverture de l'éditeur.",
        "en": "Nothing has been saved since the editor opened.",
    },
    # -- the preview ----------------------------------------------------------------------------------
    "scenario_preview.title": {
        "fr": "Aperçu de « {name} » pour un contact (rien n'est envoyé)",
        "en": "Preview of “{name}” for a contact (nothing is sent)",
    },
    "scenario_preview.no_step": {"fr": "(aucune étape)", "en": "(no step)"},
    "scenario_preview.variant": {"fr": "Variante", "en": "Variant"},
    "scenario_preview.auto": {
        "fr": "comme l'envoi la choisirait pour ce contact",
        "en": "as the send would choose for this contact",
    },
    "scenario_preview.search": {
        "fr": "chercher un contact : e-mail ou nom, puis Entrée",
        "en": "search a contact: email or name, then Enter",
    },
    "scenario_preview.pick": {
        "fr": "Choisissez un contact pour voir l'e-mail qu'il recevrait.",
        "en": "Choose a contact to see the email they would get.",
    },
    "scenario_preview.nobody": {"fr": "aucun contact trouvé", "en": "no contact found"},
    "scenario_preview.in_audience": {"fr": "dans l'audience", "en": "in the audience"},
    "scenario_preview.to": {"fr": "À", "en": "To"},
    "scenario_preview.template": {"fr": "Modèle", "en": "Template"},
    "scenario_preview.subject": {"fr": "Objet", "en": "Subject"},
    "scenario_preview.text": {"fr": "partie texte", "en": "text part"},
    "scenario_preview.html": {"fr": "partie HTML (en texte)", "en": "HTML part (as text)"},
    "scenario_preview.note": {"fr": "Attention : {detail}", "en": "Note: {detail}"},
    "scenario_preview.unsaved": {
        "fr": "scénario non enregistré : le tirage A/B peut changer une fois enregistré",
        "en": "unsaved scenario: the A/B draw may change once saved",
    },
    "ab_chart.title": {"fr": "Courbes A/B : {name}", "en": "A/B curves: {name}"},
    "ab_chart.step_title": {
        "fr": "{step} — taux {metric} cumulé par jour (pointillés : intervalle à 95 %)",
        "en": "{step} — cumulative {metric} rate by day (dotted: 95 % interval)",
    },
    "ab_chart.metric.opened": {"fr": "d'ouverture", "en": "open"},
    "ab_chart.metric.clicked": {"fr": "de clic", "en": "click"},
    "ab_chart.key.metric": {"fr": "Ouvertures/clics", "en": "Opens/clicks"},
    "ab_chart.empty": {
        "fr": "Rien d'envoyé pour l'instant : les courbes apparaissent avec les premiers envois.",
        "en": "Nothing sent yet: the curves appear with the first sends.",
    },
    "scenarios.key.chart": {"fr": "Courbes A/B", "en": "A/B curves"},
}
"""The scenario editor and the preview, fr + en with the same placeholders."""

CATALOGUE.update(SCENARIO_EDITOR_CATALOGUE)
