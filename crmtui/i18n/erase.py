"""User-facing text of the right to erasure (``crmtui erase``, the console's erase dialog), fr + en.

Importing this module merges :data:`ERASE_CATALOGUE` into :data:`crmtui.i18n.CATALOGUE`.
"""

from __future__ import annotations

from crmtui.i18n import CATALOGUE

ERASE_CATALOGUE: dict[str, dict[str, str]] = {
    "erase.title": {"fr": "Effacement (RGPD art. 17)", "en": "Erasure (GDPR art. 17)"},
    "erase.dry_run_title": {
        "fr": "Effacement (simulation : rien n'est modifié)",
        "en": "Erasure (dry run: nothing is changed)",
    },
    "erase.nothing": {"fr": "aucune adresse à effacer", "en": "no address to erase"},
    "erase.unnamed": {"fr": "(sans numéro)", "en": "(no number)"},
    "erase.already": {
        "fr": "{who} : déjà effacé(e) ; rien à faire",
        "en": "{who}: already erased; nothing to do",
    },
    "erase.people": {"fr": "({n} fiche(s))", "en": "({n} person(s))"},
    "erase.store": {
        "fr": "base locale : {rows} ligne(s) supprimée(s) ou nettoyée(s) dans {tables} table(s)",
        "en": "local store: {rows} row(s) deleted or cleaned in {tables} table(s)",
    },
    "erase.files": {"fr": "fichiers : {n} concerné(s)", "en": "files: {n} affected"},
    "erase.files_none": {
        "fr": "fichiers : aucun journal ni rapport ne le/la mentionne",
        "en": "files: no log or report mentions them",
    },
    "erase.file.rewritten": {
        "fr": "{path} : réécrit sans ses {n} ligne(s)",
        "en": "{path}: rewritten without their {n} line(s)",
    },
    "erase.file.deleted": {
        "fr": "{path} : SUPPRIMÉ (impossible à réécrire ligne à ligne)",
        "en": "{path}: DELETED (could not be rewritten line by line)",
    },
    "erase.file.failed": {
        "fr": "{path} : impossible à traiter ({reason}) ; supprimez-le à la main",
        "en": "{path}: could not be processed ({reason}); delete it by hand",
    },
    "erase.answer.deleted": {"fr": "supprimé", "en": "deleted"},
    "erase.answer.absent": {"fr": "déjà absent (confirmé)", "en": "already gone (confirmed)"},
    "erase.answer.failed": {
        "fr": "PAS DE RÉPONSE : sera repris au prochain « crmtui erase »",
        "en": "NO ANSWER: retried by the next “crmtui erase”",
    },
    "erase.answer.not_configured": {"fr": "non configuré (non utilisé)", "en": "not configured (not used)"},
    "erase.answer.pending": {"fr": "en attente", "en": "pending"},
    "erase.answer.present": {"fr": "sera supprimé", "en": "will be deleted"},
    "erase.answer.subscribed": {
        "fr": "inscrit : sera supprimé définitivement",
        "en": "subscribed: will be permanently deleted",
    },
    "erase.answer.unsubscribed": {
        "fr": "désinscrit : sera supprimé définitivement",
        "en": "unsubscribed: will be permanently deleted",
    },
    "erase.answer.cleaned": {
        "fr": "invalide (cleaned) : sera supprimé définitivement",
        "en": "cleaned: will be permanently deleted",
    },
    "erase.answer.archived": {
        "fr": "archivé : sera supprimé définitivement",
        "en": "archived: will be permanently deleted",
    },
    "erase.answer.transactional": {
        "fr": "transactionnel : sera supprimé définitivement",
        "en": "transactional: will be permanently deleted",
    },
    "erase.all_confirmed": {
        "fr": "Tous les systèmes ont confirmé. Reste : une empreinte (HMAC) qui empêche tout retour, "
        "et une entrée d'audit sans donnée personnelle.",
        "en": "Every system confirmed. What remains: a keyed hash (HMAC) that keeps them from coming "
        "back, and an audit entry without personal data.",
    },
    "erase.unconfirmed": {
        "fr": "Un système n'a pas confirmé : l'effacement est enregistré et sera terminé par le prochain "
        "« crmtui erase » (sans adresse, il reprend tout ce qui reste).",
        "en": "A system did not confirm: the erasure is recorded and the next “crmtui erase” finishes it "
        "(with no address it resumes everything left).",
    },
    "erase.not_compacted": {
        "fr": "La base n'a pas pu être compactée (un autre processus crmtui la lit) : fermez-le et "
        "relancez « crmtui erase ».",
        "en": "The database could not be compacted (another crmtui process is reading it): close it and "
        "run “crmtui erase” again.",
    },
    "erase.dry_run_done": {
        "fr": "Simulation terminée : rien n'a été modifié, ni ici ni chez Mailchimp ou Copper.",
        "en": "Dry run done: nothing was changed, here or in Mailchimp or Copper.",
    },
    "erase.bad_email": {
        "fr": "« {email} » n'est pas une adresse e-mail ; rien n'a été effacé",
        "en": "“{email}” is not an email address; nothing was erased",
    },
    "erase.file_unreadable": {
        "fr": "impossible de lire la liste {path} ({reason})",
        "en": "cannot read the list {path} ({reason})",
    },
    "erase.need_yes": {
        "fr": "crmtui erase : pas de terminal pour confirmer ; ajoutez --yes (cron, scripts)",
        "en": "crmtui erase: no terminal to confirm on; add --yes (cron, scripts)",
    },
    "erase.cancelled": {"fr": "Annulé : rien n'a été effacé.", "en": "Cancelled: nothing was erased."},
    "erase.confirm_title": {
        "fr": "Effacer définitivement {n} personne(s) de Mailchimp, Copper, la base et les journaux :",
        "en": "Erase {n} person(s) for good from Mailchimp, Copper, the store and the logs:",
    },
    "erase.more": {"fr": "… et {n} de plus", "en": "… and {n} more"},
    "erase.confirm_explain": {
        "fr": "C'est irréversible : Mailchimp refusera toute réimportation, et crmtui ne les "
        "recréera ni ne leur écrira plus jamais.",
        "en": "This cannot be undone: Mailchimp will refuse any re-import, and crmtui will never "
        "re-create nor email them again.",
    },
    "erase.confirm_prompt": {"fr": "Tapez « {text} » pour confirmer :", "en": "Type “{text}” to confirm:"},
    "erase.confirm_word": {"fr": "effacer {n}", "en": "erase {n}"},
    "erase.list_file_note": {
        "fr": "La liste {path} contient encore les adresses : supprimez-la.",
        "en": "The list {path} still holds the addresses: delete it.",
    },
    "erase.secret_failed": {
        "fr": "impossible d'enregistrer CRMTUI_ERASURE_SECRET dans {path} : {reason}",
        "en": "cannot store CRMTUI_ERASURE_SECRET in {path}: {reason}",
    },
    "erase.secret_lost": {
        "fr": "{var} est introuvable (ni dans l'environnement ni dans {path}) alors que la base tient "
        "{n} suppression(s) : restaurez-le depuis votre sauvegarde ; rien n'a été effacé (un nouveau "
        "secret ne reconnaîtrait plus les personnes déjà effacées)",
        "en": "{var} is missing (neither in the environment nor in {path}) while the store holds {n} "
        "suppression(s): restore it from your backup; nothing was erased (a new secret would no longer "
        "recognise the people already erased)",
    },
    "erase.system_failed": {
        "fr": "effacement #{ref} : {system} n'a pas confirmé ({error})",
        "en": "erasure #{ref}: {system} did not confirm ({error})",
    },
    "erase.sync_suppressed": {
        "fr": "{n} contact(s) effacé(s) ou supprimé(s) ignoré(s) (jamais recréés)",
        "en": "{n} erased or deleted contact(s) ignored (never re-created)",
    },
    "erase.etl_suppressed": {
        "fr": "{source} : {n} client(s) effacé(s) ignoré(s)",
        "en": "{source}: {n} erased customer(s) skipped",
    },
    "erase.unfinished": {
        "fr": "{n} effacement(s) inachevé(s) (un système n'a pas répondu) : lancez « crmtui erase --yes » "
        "pour les terminer",
        "en": "{n} erasure(s) unfinished (a system did not answer): run “crmtui erase --yes” to finish them",
    },
    # the console
    "erase.ui.key": {"fr": "Effacer (RGPD)", "en": "Erase (GDPR)"},
    "erase.ui.tip": {
        "fr": "Effacer définitivement cette personne partout (Mailchimp, Copper, base, journaux)",
        "en": "Erase this person for good everywhere (Mailchimp, Copper, store, logs)",
    },
    "erase.ui.title": {
        "fr": "Effacer définitivement cette personne (RGPD art. 17) ?",
        "en": "Erase this person for good (GDPR art. 17)?",
    },
    "erase.ui.body": {
        "fr": "{email}\n\nMailchimp : suppression définitive. Copper : suppression de la fiche. Base, "
        "journaux et rapports : tout ce qui la nomme. Reste une empreinte (HMAC) qui empêche tout retour.",
        "en": "{email}\n\nMailchimp: permanent delete. Copper: the person deleted. Store, logs and "
        "reports: everything naming them. A keyed hash (HMAC) remains so they never come back.",
    },
    "erase.ui.started": {"fr": "Effacement en cours…", "en": "Erasing…"},
    "erase.ui.done": {
        "fr": "Effacement #{ref} terminé : tous les systèmes ont confirmé",
        "en": "Erasure #{ref} done: every system confirmed",
    },
    "erase.ui.partial": {
        "fr": "Effacement #{ref} enregistré ; un système n'a pas répondu, il sera repris",
        "en": "Erasure #{ref} recorded; a system did not answer, it will be retried",
    },
    "erase.ui.failed": {"fr": "Effacement impossible : {error}", "en": "Erasure failed: {error}"},
}
"""Every erase key, fr + en with the same placeholders."""

CATALOGUE.update(ERASE_CATALOGUE)
