"""User-facing text of the sync as the estate's documents describe it (issue #14), French and English.

Intervals (``SYNC_INTERVAL``, ``cron --every``), the console's automatic cycles, the report's
per-operation lines and ``--log-level``. Importing this module merges :data:`SYNC_DOC_CATALOGUE`
into :data:`crmtui.i18n.CATALOGUE` (``crmtui.i18n`` does it on import).
"""

from __future__ import annotations

from crmtui.i18n import CATALOGUE

SYNC_DOC_CATALOGUE: dict[str, dict[str, str]] = {
    # -- intervals ----------------------------------------------------------------------------
    "interval.bad": {
        "fr": "« {value} » n'est pas un intervalle (exemples : 3600, 15m, 1h, 1d, 7d, 168h, 1w, hebdomadaire)",
        "en": "“{value}” is not an interval (examples: 3600, 15m, 1h, 1d, 7d, 168h, 1w, weekly)",
    },
    "interval.off": {"fr": "aucun", "en": "none"},
    "interval.sec": {"fr": "{n} s", "en": "{n} s"},
    "interval.min": {"fr": "{n} min", "en": "{n} min"},
    "interval.hour": {"fr": "{n} h", "en": "{n} h"},
    "interval.day": {"fr": "{n} j", "en": "{n} d"},
    "interval.week": {"fr": "{n} sem.", "en": "{n} wk"},
    "interval.hour_min": {"fr": "{h} h {m} min", "en": "{h} h {m} min"},
    "interval.day_hour": {"fr": "{d} j {h} h", "en": "{d} d {h} h"},
    # -- the console's timer ------------------------------------------------------------------
    "timer.next": {
        "fr": "⏱ Prochaine exécution dans {remaining} (toutes les {every})",
        "en": "⏱ Next run in {remaining} (every {every})",
    },
    "timer.running": {
        "fr": "⏱ Cycle en cours : minuterie en pause (toutes les {every})",
        "en": "⏱ Run in progress: timer paused (every {every})",
    },
    "timer.off": {
        "fr": "⏱ Pas de cycle automatique (SYNC_INTERVAL=0) : touche r pour lancer un cycle",
        "en": "⏱ No automatic runs (SYNC_INTERVAL=0): press r to run a cycle",
    },
    "timer.started": {
        "fr": "Cycle automatique lancé (toutes les {every})",
        "en": "Automatic run started (every {every})",
    },
    "timer.skipped": {
        "fr": "Cycle automatique sauté : {owner} tient le verrou d'exécution. Prochain essai dans {every}.",
        "en": "Automatic run skipped: {owner} holds the run lock. Next try in {every}.",
    },
    # -- the sync report (000's layout, 002's lines) -------------------------------------------
    "report.planned_head": {"fr": "PRÉVU", "en": "PLANNED"},
    "report.planned_count": {
        "fr": "Opérations prévues (non effectuées)",
        "en": "Operations planned (not carried out)",
    },
    "report.identical_count": {
        "fr": "Contacts identiques ignorés (optimisation)",
        "en": "Identical contacts skipped (optimisation)",
    },
    "report.result.synced": {"fr": "Synchronisé", "en": "Synced"},
    "report.result.inactive": {
        "fr": "📥 INACTIF : désabonné de Mailchimp",
        "en": "📥 INACTIF: unsubscribed from Mailchimp",
    },
    "report.result.inactive_archived": {
        "fr": "📥 INACTIF : archivé dans Mailchimp",
        "en": "📥 INACTIF: archived in Mailchimp",
    },
    "report.tags_synced": {"fr": "Tags synchronisés", "en": "Tags synced"},
    "report.tags_removed": {"fr": "Tags retirés", "en": "Tags removed"},
    "report.section.identical": {
        "fr": "CONTACTS IDENTIQUES IGNORÉS (OPTIMISATION):",
        "en": "IDENTICAL CONTACTS SKIPPED (OPTIMISATION):",
    },
    # -- --log-level --------------------------------------------------------------------------
    "cli.log_level.help": {
        "fr": "niveau des journaux : debug, info (par défaut), warning, error",
        "en": "log level: debug, info (default), warning, error",
    },
    # -- the run's stop reasons and warnings (engine/sync.py, sync_identity.py: the report's
    # ⛔ line and its "Warnings" section, the console's notices) --------------------------------
    "sync.stopped.read": {
        "fr": "interrompu pendant la lecture ; rien n'a été planifié ni écrit",
        "en": "cancelled during the read; nothing was planned or written",
    },
    "sync.breaker": {
        "fr": "disjoncteur : {risky} contacts perdraient des tags ou quitteraient l'audience ({share} de "
        "{audience}, limite {limit}) ; rien n'a été écrit. Vérifiez le plan avec --dry-run, puis relancez "
        "avec --allow-large-change si c'est voulu.",
        "en": "circuit breaker: {risky} contacts would lose tags or leave the audience ({share} of "
        "{audience}, limit {limit}); nothing was written. Check the plan with --dry-run, then rerun with "
        "--allow-large-change if it is intended.",
    },
    "sync.warn.shared": {
        "fr": "{email} : adresse partagée par les personnes Copper {kept} et {other} (la plus ancienne, "
        "{kept}, est le contact)",
        "en": "{email}: shared by Copper people {kept} and {other} (the older, {kept}, is the contact)",
    },
    "sync.warn.member_check": {
        "fr": "{email} : impossible de vérifier le membre créé par une exécution interrompue : {error}",
        "en": "{email}: cannot check the member an interrupted run created: {error}",
    },
    "sync.warn.members_ambiguous": {
        "fr": "{email} : créé par une exécution interrompue ; {n} nouveaux membres Mailchimp pourraient "
        "l'être, aucun n'est retenu",
        "en": "{email}: created by an interrupted run; {n} new Mailchimp members could be it, none is assumed",
    },
    "sync.warn.people_ambiguous": {
        "fr": "{email} : créé dans Copper par une exécution interrompue ; {n} nouvelles personnes "
        "pourraient l'être, aucune n'est retenue",
        "en": "{email}: created in Copper by an interrupted run; {n} new people could be it, none is assumed",
    },
}

CATALOGUE.update(SYNC_DOC_CATALOGUE)
