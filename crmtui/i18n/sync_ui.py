"""User-facing text of the sync screens (Sync, Deletions review, Forgotten emails), French and English.

Importing this module merges :data:`SYNC_UI_CATALOGUE` into :data:`crmtui.i18n.CATALOGUE`, so
``t("sync_ui.…")`` works anywhere after ``import crmtui.i18n.sync_ui``. Both languages of a key use
the same placeholders (a test checks).
"""

from __future__ import annotations

from crmtui.i18n import CATALOGUE

SYNC_UI_CATALOGUE: dict[str, dict[str, str]] = {
    # -- navigation and palette -------------------------------------------------------------
    "sync_ui.key.show_sync": {"fr": "Synchro", "en": "Sync"},
    "sync_ui.key.show_deletions": {"fr": "Suppressions", "en": "Deletions"},
    "sync_ui.key.show_forgotten": {"fr": "Oubliés", "en": "Forgotten"},
    "sync_ui.cmd.sync.help": {
        "fr": "Lancer et suivre une synchronisation Copper ↔ Mailchimp",
        "en": "Start and follow a Copper ↔ Mailchimp sync",
    },
    "sync_ui.cmd.deletions.help": {
        "fr": "Décider du sort des contacts marqués « À SUPPRIMER »",
        "en": "Decide what happens to contacts tagged “À SUPPRIMER”",
    },
    "sync_ui.cmd.forgotten.help": {
        "fr": "E-mails oubliés par Mailchimp et leurs liens de réinscription",
        "en": "Emails Mailchimp forgot, with their resubscribe links",
    },
    # -- sync screen ----------------------------------------------------------------------------
    "sync_ui.title": {"fr": "Synchronisation Copper ↔ Mailchimp", "en": "Copper ↔ Mailchimp sync"},
    "sync_ui.key.start": {"fr": "Lancer", "en": "Start"},
    "sync_ui.key.dry_run": {"fr": "À blanc", "en": "Dry run"},
    "sync_ui.key.full": {"fr": "Complète", "en": "Full"},
    "sync_ui.key.cancel": {"fr": "Arrêter", "en": "Cancel"},
    "sync_ui.key.report": {"fr": "Rapport", "en": "Report"},
    "sync_ui.key.allow_large": {"fr": "Autoriser", "en": "Allow"},
    "sync_ui.tip.start": {
        "fr": "Lancer une synchronisation avec les options affichées",
        "en": "Start a sync with the options shown",
    },
    "sync_ui.options": {
        "fr": "À blanc : {dry_run} · Lecture complète : {full} · Mode : {mode}",
        "en": "Dry run: {dry_run} · Full read: {full} · Mode: {mode}",
    },
    "sync_ui.on": {"fr": "oui", "en": "on"},
    "sync_ui.off": {"fr": "non", "en": "off"},
    "sync_ui.auto": {"fr": "auto", "en": "auto"},
    "sync_ui.large_armed": {
        "fr": "le prochain lancement peut faire un gros changement",
        "en": "the next run may make a large change",
    },
    "sync_ui.allow_large.title": {
        "fr": "Autoriser un gros changement au prochain lancement ?",
        "en": "Allow a large change on the next run?",
    },
    "sync_ui.allow_large.body": {
        "fr": (
            "Le disjoncteur a arrêté la dernière synchronisation avant toute écriture :\n{reason}\n\n"
            "Le prochain lancement appliquera ce changement. Vérifiez d'abord le plan avec une "
            "synchronisation à blanc (p)."
        ),
        "en": (
            "The circuit breaker stopped the last sync before writing anything:\n{reason}\n\n"
            "The next run will apply the change. Check the plan with a dry run (p) first."
        ),
    },
    "sync_ui.cancelling": {
        "fr": "Arrêt demandé : la synchronisation s'arrête après le lot en cours ; ce qui est fait est gardé.",
        "en": "Stopping: the sync ends after the current batch; what was done is kept.",
    },
    "sync_ui.busy_here": {
        "fr": "Une tâche écrit déjà via le moteur ({what}) : attendez sa fin.",
        "en": "A task is already writing through the engine ({what}): wait for it to end.",
    },
    "sync_ui.started": {"fr": "Exécution n° {id} lancée", "en": "Run #{id} started"},
    "sync_ui.planned": {"fr": "Plan (à blanc), contacts : {n}", "en": "Plan (dry run), contacts: {n}"},
    "sync_ui.report_title": {"fr": "Rapport : {path}", "en": "Report: {path}"},
    "sync_ui.report_missing": {
        "fr": "Le fichier du rapport est illisible : {error}",
        "en": "The report file cannot be read: {error}",
    },
    "sync_ui.phase.read_copper": {"fr": "Lecture Copper", "en": "Read Copper"},
    "sync_ui.phase.read_mailchimp": {"fr": "Lecture Mailchimp", "en": "Read Mailchimp"},
    "sync_ui.phase.plan": {"fr": "Plan", "en": "Plan"},
    "sync_ui.phase.apply": {"fr": "Application", "en": "Apply"},
    "sync_ui.rate": {"fr": "{rate}/s", "en": "{rate}/s"},
    "sync_ui.target.copper": {"fr": "Copper", "en": "Copper"},
    "sync_ui.target.mailchimp": {"fr": "Mailchimp", "en": "Mailchimp"},
    "sync_ui.op.mc_upsert": {"fr": "ajout/mise à jour", "en": "add/update member"},
    "sync_ui.op.mc_tags": {"fr": "étiquettes", "en": "tags"},
    "sync_ui.op.mc_status": {"fr": "réactivation", "en": "reactivate"},
    "sync_ui.op.mc_email": {"fr": "changement d'e-mail", "en": "email change"},
    "sync_ui.op.copper_create": {"fr": "nouvelle personne", "en": "new person"},
    "sync_ui.op.copper_update": {"fr": "mise à jour", "en": "update"},
    "sync_ui.never": {
        "fr": "Aucune synchronisation pour l'instant. Appuyez sur « g » pour en lancer une.",
        "en": "No sync yet. Press “g” to start one.",
    },
    "sync_ui.running": {"fr": "Synchronisation n° {id} en cours…", "en": "Sync #{id} running…"},
    "sync_ui.running_dry": {
        "fr": "Synchronisation à blanc n° {id} en cours…",
        "en": "Dry-run sync #{id} running…",
    },
    "sync_ui.finished": {
        "fr": (
            "N° {id} : {status} en {duration} · {total} opérations · {ok} ✔ · {failed} ✘ · "
            "{skipped} identiques"
        ),
        "en": "#{id}: {status} in {duration} · {total} operations · {ok} ✔ · {failed} ✘ · {skipped} identical",
    },
    "sync_ui.finished_dry": {
        "fr": (
            "N° {id} (à blanc) : {status} en {duration} · {total} opérations prévues · {ok} ✔ · "
            "{failed} ✘ · {skipped} identiques"
        ),
        "en": (
            "#{id} (dry run): {status} in {duration} · {total} planned operations · {ok} ✔ · "
            "{failed} ✘ · {skipped} identical"
        ),
    },
    "sync_ui.stopped": {"fr": "Arrêtée avant écriture : {reason}", "en": "Stopped before writing: {reason}"},
    "sync_ui.pending": {
        "fr": "En attente d'une décision de suppression : {n} (touche b).",
        "en": "Awaiting a deletion decision: {n} (key b).",
    },
    "sync_ui.report_path": {"fr": "Rapport : {path} (touche v)", "en": "Report: {path} (key v)"},
    # -- confirmations --------------------------------------------------------------------------
    "sync_ui.confirm.yes": {"fr": "Oui", "en": "Yes"},
    "sync_ui.confirm.no": {"fr": "Non", "en": "No"},
    "sync_ui.confirm.cancel": {"fr": "Annuler", "en": "Cancel"},
    "sync_ui.confirm.type": {
        "fr": "Pour confirmer, tapez exactement : {text}",
        "en": "To confirm, type exactly: {text}",
    },
    "sync_ui.confirm.mismatch": {
        "fr": "Ce n'est pas le texte demandé : rien n'est fait. Échap pour annuler.",
        "en": "That is not the text asked for: nothing is done. Escape to cancel.",
    },
    # -- deletions review -----------------------------------------------------------------------
    "sync_ui.deletions.title": {"fr": "Contacts à supprimer : décisions", "en": "Deletion review"},
    "sync_ui.key.archive": {"fr": "Archiver", "en": "Archive"},
    "sync_ui.key.delete": {"fr": "Supprimer", "en": "Delete"},
    "sync_ui.key.ignore": {"fr": "Ignorer", "en": "Ignore"},
    "sync_ui.key.undo": {"fr": "Annuler", "en": "Undo"},
    "sync_ui.key.apply": {"fr": "Appliquer", "en": "Apply"},
    "sync_ui.key.filter": {"fr": "Filtrer", "en": "Filter"},
    "sync_ui.key.select": {"fr": "Sélectionner", "en": "Select"},
    "sync_ui.key.select_all": {"fr": "Tout sélectionner (filtre)", "en": "Select all matching"},
    "sync_ui.key.select_all.tip": {
        "fr": "Sélectionne toutes les lignes que le filtre garde, au-delà de celles affichées",
        "en": "Selects every row the filter keeps, beyond those shown",
    },
    "sync_ui.key.clear": {"fr": "Effacer", "en": "Clear"},
    "sync_ui.col.decision": {"fr": "Décision", "en": "Decision"},
    "sync_ui.filter.placeholder": {
        "fr": "Filtrer par nom, e-mail ou étiquette (Entrée : garder, Échap : effacer)",
        "en": "Filter by name, email or tag (Enter: keep, Escape: clear)",
    },
    "sync_ui.applying": {"fr": "Application des décisions", "en": "Applying decisions"},
    "sync_ui.deletions.counts": {
        "fr": "{pending} en attente · {to_apply} à appliquer · {ignored} ignorés",
        "en": "{pending} pending · {to_apply} to apply · {ignored} ignored",
    },
    "sync_ui.deletions.empty": {
        "fr": "Rien à examiner : une synchro (y puis g) liste les personnes Copper à supprimer",
        "en": "Nothing to review: a sync (y, then g) lists Copper people tagged for deletion",
    },
    "sync_ui.deletions.selected": {"fr": "{n} sélectionnés", "en": "{n} selected"},
    "sync_ui.deletions.filtered": {"fr": "filtre « {text} »", "en": "filter “{text}”"},
    "sync_ui.and_more": {"fr": "  … et {n} autres", "en": "  … and {n} more"},
    "sync_ui.archive.title": {"fr": "Archiver {n} contact(s) ?", "en": "Archive {n} contact(s)?"},
    "sync_ui.archive.body": {
        "fr": (
            "Dans Copper, l'étiquette de suppression sera remplacée par « 📥 INACTIF » ; dans Mailchimp, "
            "le contact sera désabonné (archivé avec SYNC_ARCHIVE_ACTION=archive). La décision est appliquée avec « p »."
        ),
        "en": (
            "In Copper the deletion tag will be replaced by “📥 INACTIF”; in Mailchimp the contact "
            "is unsubscribed (archived with SYNC_ARCHIVE_ACTION=archive). The decision is applied with “p”."
        ),
    },
    "sync_ui.delete.title": {"fr": "Supprimer définitivement ?", "en": "Delete for good?"},
    "sync_ui.delete.body": {
        "fr": (
            "La personne Copper et le membre Mailchimp seront supprimés définitivement (leurs fiches "
            "complètes sont gardées en sauvegarde dans la base locale). La décision est appliquée avec « p »."
        ),
        "en": (
            "The Copper person and the Mailchimp member will be deleted for good (their full records "
            "are kept as tombstones). The decision is applied with “p”."
        ),
    },
    "sync_ui.delete.one_at_a_time": {
        "fr": "La suppression se décide contact par contact : placez le curseur sur un seul contact.",
        "en": "Deletion is decided one contact at a time: put the cursor on a single contact.",
    },
    "sync_ui.delete.cancelled": {
        "fr": "Suppression annulée : rien n'a changé.",
        "en": "Delete cancelled: nothing changed.",
    },
    "sync_ui.decided": {
        "fr": "Décision « {decision} » enregistrée (contacts : {n}) ; « p » l'applique.",
        "en": "Decision “{decision}” recorded (contacts: {n}); “p” applies it.",
    },
    "sync_ui.decided.ignore": {
        "fr": "Décision « {decision} » enregistrée (contacts : {n}).",
        "en": "Decision “{decision}” recorded (contacts: {n}).",
    },
    "sync_ui.undone": {"fr": "Décisions retirées : {n}.", "en": "Decisions withdrawn: {n}."},
    "sync_ui.apply.title": {"fr": "Appliquer {n} décision(s) ?", "en": "Apply {n} decision(s)?"},
    "sync_ui.apply.body": {
        "fr": "Archivages : {archives}, suppressions : {deletes}, à écrire dans Copper et Mailchimp.",
        "en": "Archives: {archives}, deletions: {deletes}, to be written to Copper and Mailchimp.",
    },
    "sync_ui.applied": {
        "fr": "Décisions appliquées : {applied} ; en échec : {failed}.",
        "en": "Decisions applied: {applied}; failed: {failed}.",
    },
    "sync_ui.decision.archive": {"fr": "archiver", "en": "archive"},
    "sync_ui.decision.delete": {"fr": "supprimer", "en": "delete"},
    "sync_ui.decision.ignore": {"fr": "ignorer", "en": "ignore"},
    "sync_ui.decision.to_apply": {"fr": "{decision} · à appliquer", "en": "{decision} · to apply"},
    "sync_ui.decision.failed": {"fr": "{decision} · échec : {error}", "en": "{decision} · failed: {error}"},
    "sync_ui.state.absent": {"fr": "absent", "en": "absent"},
    "sync_ui.state.copper": {"fr": "n° {id} · {n} étiq.", "en": "#{id} · {n} tags"},
    # -- forgotten emails -----------------------------------------------------------------------
    "sync_ui.forgotten.title": {
        "fr": "E-mails oubliés : réinscription par la personne elle-même",
        "en": "Forgotten emails: the person must sign up again",
    },
    "sync_ui.forgotten.counts": {
        "fr": "Adresses : {n} · contactées : {reached} · l copie le lien, m marque comme contactée",
        "en": "Addresses: {n} · reached: {reached} · l copies the link, m marks as reached",
    },
    "sync_ui.forgotten.empty": {
        "fr": "Aucun e-mail oublié : une synchro (y puis g) liste les désinscrits Mailchimp",
        "en": "No forgotten email: a sync (y, then g) lists those Mailchimp won't resubscribe",
    },
    "sync_ui.key.copy": {"fr": "Copier le lien", "en": "Copy link"},
    "sync_ui.key.reached": {"fr": "Contacté", "en": "Reached"},
    "sync_ui.key.export": {"fr": "Exporter CSV", "en": "Export CSV"},
    "sync_ui.col.tagged": {"fr": "Étiq. Copper", "en": "Copper tag"},
    "sync_ui.col.reached": {"fr": "Contacté", "en": "Reached"},
    "sync_ui.col.reached_by": {"fr": "Contacté par", "en": "Reached by"},
    "sync_ui.col.link": {"fr": "Lien de réinscription", "en": "Resubscribe link"},
    "sync_ui.col.copper": {"fr": "Copper", "en": "Copper"},
    "sync_ui.forgotten.link": {"fr": "Lien : {url}", "en": "Link: {url}"},
    "sync_ui.forgotten.who": {"fr": "{name} · {email}", "en": "{name} · {email}"},
    "sync_ui.forgotten.reached_on": {
        "fr": "contacté le {date} par {who}",
        "en": "reached on {date} by {who}",
    },
    "sync_ui.deletions.detail": {"fr": "{email} · étiquette : {tag}", "en": "{email} · tag: {tag}"},
    "sync_ui.forgotten.no_link": {"fr": "pas de lien", "en": "no link"},
    "sync_ui.forgotten.copied": {
        "fr": "Lien de réinscription de {email} copié.",
        "en": "Resubscribe link of {email} copied.",
    },
    "sync_ui.forgotten.reached": {"fr": "{email} marqué comme contacté.", "en": "{email} marked as reached."},
    "sync_ui.forgotten.exported": {
        "fr": "Adresses exportées ({n}) : {path}",
        "en": "Addresses exported ({n}): {path}",
    },
}
"""Every key of the sync screens, fr + en with the same placeholders."""

CATALOGUE.update(SYNC_UI_CATALOGUE)
