"""User-facing text of the scenarios area (validation, CLI, screen), in French and English.

Importing this module merges :data:`SCENARIOS_CATALOGUE` into :data:`crmtui.i18n.CATALOGUE`, so
``t("scenarios.…")`` works anywhere after ``import crmtui.i18n_scenarios``.
"""

from __future__ import annotations

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
