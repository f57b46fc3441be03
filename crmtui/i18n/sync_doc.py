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
}

CATALOGUE.update(SYNC_DOC_CATALOGUE)
