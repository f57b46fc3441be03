"""The one catalogue of user-facing text, in French and English.

Usage::

    from crmtui.i18n import t, set_language
    set_language("fr")
    t("dashboard.contacts", n=3)

The language is chosen once at start-up: ``CRMTUI_LANG``, else ``LANG`` (French for ``fr_*``),
else English. A missing key is a bug: tests check that every key has both languages.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

LANGUAGES = ("fr", "en")

_current = "en"

CATALOGUE: dict[str, dict[str, str]] = {
    # -- app and navigation ------------------------------------------------------------
    "app.title": {"fr": "crmtui — console CRM", "en": "crmtui — CRM console"},
    "app.sandbox_banner": {
        "fr": "BAC À SABLE — services simulés, aucune donnée réelle n'est touchée",
        "en": "SANDBOX — simulated services, no real data is touched",
    },
    "app.mode": {"fr": "Mode de synchronisation : {mode}", "en": "Sync mode: {mode}"},
    "app.mode.test": {"fr": "TEST (seulement « {filter} »)", "en": "TEST (only “{filter}”)"},
    "app.mode.production": {"fr": "PRODUCTION", "en": "PRODUCTION"},
    "key.quit": {"fr": "Quitter", "en": "Quit"},
    "key.help": {"fr": "Aide", "en": "Help"},
    "key.palette": {"fr": "Commandes", "en": "Commands"},
    "key.dashboard": {"fr": "Tableau de bord", "en": "Dashboard"},
    "key.runs": {"fr": "Exécutions", "en": "Runs"},
    "key.connectors": {"fr": "Connecteurs", "en": "Connectors"},
    "key.refresh": {"fr": "Actualiser", "en": "Refresh"},
    "key.back": {"fr": "Retour", "en": "Back"},
    "key.run_cycle": {"fr": "Lancer un cycle", "en": "Run a cycle"},
    "key.cancel_cycle": {"fr": "Arrêter le cycle", "en": "Stop the cycle"},
    "key.close": {"fr": "Fermer", "en": "Close"},
    "cmd.dashboard.help": {"fr": "Afficher le tableau de bord", "en": "Show the dashboard"},
    "cmd.runs.help": {"fr": "Historique des exécutions", "en": "History of runs"},
    "cmd.connectors.help": {"fr": "État des connecteurs", "en": "Connector status"},
    "cmd.refresh.help": {
        "fr": "Relire les chiffres de la base locale",
        "en": "Re-read the figures from the store",
    },
    "cmd.run_cycle.help": {
        "fr": "Lancer un cycle maintenant, en arrière-plan",
        "en": "Run one cycle now, in the background",
    },
    "cmd.help.help": {"fr": "Afficher l'aide", "en": "Show help"},
    "cmd.quit.help": {"fr": "Quitter crmtui", "en": "Quit crmtui"},
    # -- dashboard ------------------------------------------------------------------------
    "dashboard.title": {"fr": "Tableau de bord", "en": "Dashboard"},
    "dashboard.contacts": {"fr": "Contacts connus", "en": "Contacts known"},
    "dashboard.pending": {"fr": "À décider", "en": "To decide"},
    "dashboard.forgotten": {"fr": "E-mails oubliés", "en": "Forgotten emails"},
    "dashboard.runs": {"fr": "Exécutions", "en": "Runs"},
    "dashboard.last_runs": {"fr": "Dernières exécutions", "en": "Last runs"},
    "dashboard.no_runs": {
        "fr": "Aucune exécution pour l'instant. Appuyez sur « r » pour lancer un cycle.",
        "en": "No runs yet. Press “r” to run a cycle.",
    },
    "dashboard.pending_list": {"fr": "En attente de décision", "en": "Awaiting a decision"},
    "dashboard.no_pending": {"fr": "Aucun contact en attente.", "en": "No contact awaiting a decision."},
    "dashboard.loading": {"fr": "Lecture de la base locale…", "en": "Reading the store…"},
    "col.started": {"fr": "Début", "en": "Started"},
    "col.kind": {"fr": "Type", "en": "Kind"},
    "col.mode": {"fr": "Mode", "en": "Mode"},
    "col.status": {"fr": "État", "en": "Status"},
    "col.summary": {"fr": "Résumé", "en": "Summary"},
    "col.duration": {"fr": "Durée", "en": "Duration"},
    "col.email": {"fr": "E-mail", "en": "Email"},
    "col.name": {"fr": "Nom", "en": "Name"},
    "col.tag": {"fr": "Étiquette", "en": "Tag"},
    "col.since": {"fr": "Depuis", "en": "Since"},
    "col.connector": {"fr": "Connecteur", "en": "Connector"},
    "col.configured": {"fr": "Configuré", "en": "Configured"},
    "col.detail": {"fr": "Détail", "en": "Detail"},
    "status.ok": {"fr": "réussi", "en": "ok"},
    "status.partial": {"fr": "partiel", "en": "partial"},
    "status.failed": {"fr": "échec", "en": "failed"},
    "status.running": {"fr": "en cours", "en": "running"},
    "status.interrupted": {"fr": "interrompu", "en": "interrupted"},
    "status.skipped": {"fr": "ignorée", "en": "skipped"},
    "notice.warning": {"fr": "attention", "en": "warning"},
    "notice.error": {"fr": "erreur", "en": "error"},
    "notice.info": {"fr": "info", "en": "info"},
    "headless.cycle_started": {"fr": "Cycle n°{run_id} : {steps}", "en": "Run #{run_id}: {steps}"},
    "headless.counts": {
        "fr": "{ok} réussies, {failed} en échec, {skipped} ignorées",
        "en": "{ok} ok, {failed} failed, {skipped} skipped",
    },
    "sync.detail": {
        "fr": "{n} opérations, {ok} réussies, {errors} erreurs",
        "en": "{n} operations, {ok} ok, {errors} errors",
    },
    "sync.detail.pending": {"fr": "{n} en attente de décision", "en": "{n} awaiting a decision"},
    "yes": {"fr": "oui", "en": "yes"},
    "no": {"fr": "non", "en": "no"},
    # -- runs and connectors screens --------------------------------------------------------
    "runs.title": {"fr": "Historique des exécutions", "en": "Run history"},
    "runs.empty": {
        "fr": "Aucune exécution : r lance un cycle (ceux de cron s'affichent ici aussi)",
        "en": "No run yet: r runs a cycle (cron and headless runs are listed here too)",
    },
    "runs.key.open": {"fr": "Ouvrir", "en": "Open"},
    "trend.title": {"fr": "Les {n} dernières exécutions", "en": "The last {n} runs"},
    "trend.ok": {"fr": "réussies", "en": "ok"},
    "trend.failed": {"fr": "en échec", "en": "failed"},
    "trend.seconds": {"fr": "durée (s)", "en": "duration (s)"},
    "trend.operations": {"fr": "opérations", "en": "operations"},
    "runs.dry_run": {"fr": "à blanc", "en": "dry run"},
    "runs.detail.title": {"fr": "Exécution n° {id}", "en": "Run #{id}"},
    "runs.detail.head": {
        "fr": "Exécution n° {id} · {kind} · {mode} · {status}",
        "en": "Run #{id} · {kind} · {mode} · {status}",
    },
    "runs.detail.when": {
        "fr": "Début {started} · fin {finished} · durée {duration}",
        "en": "Started {started} · finished {finished} · took {duration}",
    },
    "runs.detail.counts": {
        "fr": "{total} opérations : {ok} réussies, {failed} en échec, {skipped} ignorées",
        "en": "{total} operations: {ok} ok, {failed} failed, {skipped} skipped",
    },
    "runs.detail.steps": {"fr": "Étapes :", "en": "Steps:"},
    "runs.detail.report": {"fr": "Rapport", "en": "Report"},
    "runs.detail.log": {"fr": "Journal", "en": "Log"},
    "runs.detail.none": {"fr": "(aucun fichier pour cette exécution)", "en": "(no file for this run)"},
    "runs.detail.tail": {
        "fr": "(les {n} dernières lignes sur {total})",
        "en": "(the last {n} lines of {total})",
    },
    "connectors.title": {"fr": "Connecteurs", "en": "Connectors"},
    "connectors.untested": {"fr": "non testé (t pour tester)", "en": "not tested (t to test)"},
    "connectors.testing": {
        "fr": "Test des connecteurs en arrière-plan…",
        "en": "Testing the connectors in the background…",
    },
    "key.test": {"fr": "Tester", "en": "Test"},
    "col.checked": {"fr": "Vérifié à", "en": "Checked at"},
    "col.calls": {"fr": "Appels", "en": "Calls"},
    "connectors.sandbox": {"fr": "simulateur local", "en": "local simulator"},
    "cycle.started": {"fr": "Cycle lancé en arrière-plan…", "en": "Cycle started in the background…"},
    "cycle.done": {"fr": "Cycle terminé : {summary}", "en": "Cycle finished: {summary}"},
    "cycle.already": {
        "fr": "Un cycle tourne déjà (Ctrl+X l'arrête)",
        "en": "A cycle is already running (Ctrl+X stops it)",
    },
    "cycle.cancelling": {
        "fr": "Arrêt du cycle après le lot ou l'attente en cours…",
        "en": "Stopping the cycle after its current batch or wait…",
    },
    "cycle.stopped": {
        "fr": "Cycle arrêté pendant « {step} » : {done} opérations faites sur {total} ; le reste attend le prochain cycle",
        "en": "Cycle stopped during “{step}”: {done} of {total} operations done; the rest waits for the next cycle",
    },
    "cycle.busy": {
        "fr": "Un autre cycle tient le verrou ({owner}). Réessayez plus tard.",
        "en": "Another cycle holds the lock ({owner}). Try again later.",
    },
    "worker.failed": {"fr": "Échec de la tâche « {name} » : {error}", "en": "Task “{name}” failed: {error}"},
    # -- help --------------------------------------------------------------------------------
    "help.title": {"fr": "Aide", "en": "Help"},
    "help.body": {
        "fr": (
            "crmtui synchronise Copper et Mailchimp, charge les exports de l'ERP et envoie les scénarios.\n\n"
            "Touches générales :\n"
            "  F1        cette aide\n"
            "  Ctrl+P    palette de commandes (toutes les actions)\n"
            "  d         tableau de bord\n"
            "  c         connecteurs\n"
            "  h         historique des exécutions\n"
            "  y         synchronisation Copper ↔ Mailchimp\n"
            "  b         contacts à supprimer (décisions)\n"
            "  o         e-mails oubliés\n"
            "  s         sources de données (ETL)   Q  qualité des données\n"
            "  e         scénarios            k  clients et recommandations   K  qualité des recommandations\n"
            "  r         lancer un cycle en arrière-plan\n"
            "  F5        actualiser\n"
            "  Échap     retour / fermer\n"
            "  Ctrl+Q    quitter\n\n"
            "Synchronisation (y) :\n"
            "  g lancer · p à blanc oui/non · f lecture complète · x ou Échap arrêter après le lot en cours\n"
            "  v rapport · l autoriser un gros changement (après un arrêt du disjoncteur)\n\n"
            "Contacts à supprimer (b) :\n"
            "  a archiver · d supprimer (taper l'e-mail) · i ignorer · u annuler une décision\n"
            "  Espace sélection multiple · / filtrer · p appliquer les décisions · Échap effacer\n"
            "  (ici « d » supprime : le tableau de bord est à un écran de là, ou Ctrl+P)\n\n"
            "Scénarios (e) :\n"
            "  a démarrer · p pause · u reprendre · x arrêter · n envoyer · N nouveau · E modifier · P aperçu\n\n"
            "Sources de données (s) :\n"
            "  t tester · n lancer · f tout relire · m correspondances · a ajouter · E ou Entrée modifier\n\n"
            "E-mails oubliés (o) :\n"
            "  l ou Entrée copier le lien (OSC 52) · m marquer comme contacté · e exporter en CSV\n\n"
            "En mode TEST, seuls les e-mails qui contiennent le filtre de test sont touchés."
        ),
        "en": (
            "crmtui keeps Copper and Mailchimp in sync, loads the ERP exports and sends scenarios.\n\n"
            "Global keys:\n"
            "  F1        this help\n"
            "  Ctrl+P    command palette (every action)\n"
            "  d         dashboard\n"
            "  c         connectors\n"
            "  h         run history\n"
            "  y         Copper ↔ Mailchimp sync\n"
            "  b         deletion review (decisions)\n"
            "  o         forgotten emails\n"
            "  s         data sources (ETL)   Q  data quality\n"
            "  e         scenarios            k  customers and recommendations   K  recommendation quality\n"
            "  r         run a cycle in the background\n"
            "  F5        refresh\n"
            "  Escape    back / close\n"
            "  Ctrl+Q    quit\n\n"
            "Sync (y):\n"
            "  g start · p dry run on/off · f full read · x or Escape stop after the current batch\n"
            "  v report · l allow a large change (after the circuit breaker stopped a run)\n\n"
            "Deletion review (b):\n"
            "  a archive · d delete (type the email) · i ignore · u undo a decision\n"
            "  Space multi-select · / filter · p apply the decisions · Escape clear\n"
            "  (here “d” deletes: the dashboard is one screen away, or Ctrl+P)\n\n"
            "Scenarios (e):\n"
            "  a start · p pause · u resume · x stop · n send now · N new · E edit · P preview · v preview step\n\n"
            "Data sources (s):\n"
            "  t test · n run now · f run full · m mapping · a add · E or Enter edit\n\n"
            "Forgotten emails (o):\n"
            "  l or Enter copy the link (OSC 52) · m mark as reached · e export to CSV\n\n"
            "In TEST mode only emails containing the test filter are touched."
        ),
    },
    # -- configuration ----------------------------------------------------------------------
    "config.invalid": {
        "fr": "La configuration contient {n} problème(s) :",
        "en": "The configuration has {n} problem(s):",
    },
    "config.fix": {"fr": "Correction", "en": "Fix"},
    "config.env_perms": {
        "fr": "{path} est lisible par d'autres utilisateurs (mode {mode}) alors qu'il contient des secrets.",
        "en": "{path} is readable by other users (mode {mode}) and holds secrets.",
    },
    "config.env_perms.fix": {"fr": "exécutez : chmod 600 {path}", "en": "run: chmod 600 {path}"},
    "config.missing": {"fr": "manquant", "en": "missing"},
    "config.mc_key_format": {
        "fr": "la clé Mailchimp doit se terminer par le centre de données, par exemple « …-us19 »",
        "en": "a Mailchimp key ends with its data centre, for example “…-us19”",
    },
    "config.mc_key_format.fix": {
        "fr": "copiez la clé complète depuis Mailchimp (Profil › Extras › Clés API), ou définissez MAILCHIMP_DC",
        "en": "copy the whole key from Mailchimp (Profile › Extras › API keys), or set MAILCHIMP_DC",
    },
    "config.mc_dc_mismatch": {
        "fr": "MAILCHIMP_DC={dc} ne correspond pas au suffixe de la clé (« -{key_dc} »)",
        "en": "MAILCHIMP_DC={dc} does not match the key's suffix (“-{key_dc}”)",
    },
    "config.mc_dc_mismatch.fix": {
        "fr": "supprimez MAILCHIMP_DC ou mettez {key_dc}",
        "en": "remove MAILCHIMP_DC or set it to {key_dc}",
    },
    "config.partial": {
        "fr": "{var} est défini mais {missing} manque : le connecteur {connector} ne peut pas fonctionner",
        "en": "{var} is set but {missing} is missing: the {connector} connector cannot work",
    },
    "config.partial.fix": {"fr": "définissez {missing} dans .env", "en": "set {missing} in .env"},
    "config.bad_choice": {
        "fr": "valeur « {value} » inconnue ; valeurs possibles : {choices}",
        "en": "unknown value “{value}”; possible values: {choices}",
    },
    "config.bad_choice.fix": {"fr": "mettez l'une de : {choices}", "en": "use one of: {choices}"},
    "config.bad_duration": {
        "fr": "« {value} » n'est pas une durée (exemples : 900, 15m, 1h, 1d, 7d, 1w)",
        "en": "“{value}” is not a duration (examples: 900, 15m, 1h, 1d, 7d, 1w)",
    },
    "config.bad_duration.fix": {
        "fr": "un nombre de secondes, ou un nombre suivi de s, m, h, d (j) ou w ; hebdomadaire, quotidien ; 0 pour aucun cycle automatique",
        "en": "a number of seconds, or a number followed by s, m, h, d or w; weekly, daily; 0 for no automatic cycle",
    },
    "config.bad_share": {
        "fr": "« {value} » n'est pas une part valable (exemples : 0.05, 5%)",
        "en": "“{value}” is not a valid share (examples: 0.05, 5%)",
    },
    "config.bad_share.fix": {
        "fr": "un nombre entre 0 et 1, ou un pourcentage",
        "en": "a number between 0 and 1, or a percentage",
    },
    "config.bad_field_map": {
        "fr": "« {part} » : écrivez champ=ÉTIQUETTE, champ parmi {fields}, étiquette Mailchimp en majuscules (10 car. max)",
        "en": "“{part}”: write field=TAG, field among {fields}, a Mailchimp merge tag in capitals (10 chars max)",
    },
    "config.bad_field_map.fix": {
        "fr": "par exemple SYNC_FIELD_MAP=first_name=FNAME,last_name=LNAME,phone=PHONE",
        "en": "for example SYNC_FIELD_MAP=first_name=FNAME,last_name=LNAME,phone=PHONE",
    },
    "config.bad_int": {
        "fr": "« {value} » n'est pas un nombre entier",
        "en": "“{value}” is not a whole number",
    },
    "config.bad_int.fix": {"fr": "mettez un nombre entier", "en": "use a whole number"},
    "config.bad_url": {
        "fr": "« {value} » n'est pas une adresse http(s) valide",
        "en": "“{value}” is not a valid http(s) address",
    },
    "config.bad_url.fix": {
        "fr": "mettez une adresse complète, par exemple https://odoo.exemple.fr",
        "en": "use a full address, for example https://odoo.example.com",
    },
    "config.bad_email": {
        "fr": "« {value} » n'est pas une adresse e-mail",
        "en": "“{value}” is not an email address",
    },
    "config.bad_email.fix": {
        "fr": "mettez une adresse du type nom@domaine.fr",
        "en": "use an address like name@domain.com",
    },
    "config.path_missing": {
        "fr": "le dossier {value} n'existe pas",
        "en": "the folder {value} does not exist",
    },
    "config.file_missing": {"fr": "le fichier {value} n'existe pas", "en": "the file {value} does not exist"},
    "config.file_missing.fix": {"fr": "corrigez le chemin du fichier", "en": "correct the file's path"},
    "config.path_missing.fix": {
        "fr": "créez le dossier ou corrigez le chemin",
        "en": "create the folder or correct the path",
    },
    "config.check.title": {"fr": "Configuration effective", "en": "Effective configuration"},
    "config.check.connectors": {"fr": "Connecteurs", "en": "Connectors"},
    "config.check.ready": {"fr": "prêt", "en": "ready"},
    "config.check.not_set": {"fr": "non configuré", "en": "not set up"},
    "config.check.source": {"fr": "source", "en": "source"},
    "config.check.sandbox": {
        "fr": "Aucun identifiant configuré : crmtui démarrera en mode bac à sable.",
        "en": "No credentials configured: crmtui will start in sandbox mode.",
    },
    # -- store --------------------------------------------------------------------------------
    "store.locked": {
        "fr": "La base {path} est verrouillée par un autre programme depuis plus de {seconds} s.",
        "en": "The database {path} has been locked by another program for more than {seconds} s.",
    },
    "store.locked.fix": {
        "fr": "attendez la fin de l'autre exécution ou fermez l'autre crmtui, puis relancez",
        "en": "wait for the other run to finish or close the other crmtui, then run again",
    },
    "store.readonly": {
        "fr": "La base {path} est en lecture seule : crmtui ne peut rien enregistrer.",
        "en": "The database {path} is read-only: crmtui cannot record anything.",
    },
    "store.readonly.fix": {
        "fr": "vérifiez les droits du fichier et de son dossier (chmod u+w), ou choisissez un autre CRMTUI_DB",
        "en": "check the permissions of the file and its folder (chmod u+w), or choose another CRMTUI_DB",
    },
    "store.corrupt": {
        "fr": "La base {path} est illisible ou endommagée ({detail}).",
        "en": "The database {path} is unreadable or damaged ({detail}).",
    },
    "store.corrupt.fix": {
        "fr": "restaurez une sauvegarde, ou déplacez ce fichier pour repartir d'une base neuve",
        "en": "restore a backup, or move this file aside to start from a new database",
    },
    "store.too_new": {
        "fr": "La base {path} est au schéma {found}, plus récent que ce crmtui (schéma {known}).",
        "en": "The database {path} is at schema {found}, newer than this crmtui (schema {known}).",
    },
    "store.too_new.fix": {
        "fr": "mettez crmtui à jour avant d'ouvrir cette base",
        "en": "upgrade crmtui before opening this database",
    },
    "store.cannot_create": {
        "fr": "Impossible de créer la base {path} ({detail}).",
        "en": "Cannot create the database {path} ({detail}).",
    },
    "store.cannot_create.fix": {
        "fr": "vérifiez que le dossier existe et est accessible en écriture, ou changez CRMTUI_DB",
        "en": "check that the folder exists and is writable, or change CRMTUI_DB",
    },
    # -- headless ------------------------------------------------------------------------------
    "headless.start": {
        "fr": "crmtui {version} — cycle {kind} ({mode})",
        "en": "crmtui {version} — {kind} cycle ({mode})",
    },
    "headless.sandbox": {"fr": "bac à sable", "en": "sandbox"},
    "headless.done": {
        "fr": "Cycle n°{run_id} terminé : {status} en {duration}",
        "en": "Run #{run_id} finished: {status} in {duration}",
    },
    "headless.locked": {
        "fr": "Un autre cycle est en cours ({owner}, depuis {since}). Rien n'a été fait.",
        "en": "Another cycle is running ({owner}, since {since}). Nothing was done.",
    },
    "headless.locked.fix": {
        "fr": "attendez sa fin ; un verrou abandonné par un processus mort est repris automatiquement",
        "en": "wait for it to finish; a lock left by a dead process is taken over automatically",
    },
    "headless.store": {"fr": "Base de données : {path}", "en": "Database: {path}"},
    "headless.report": {"fr": "Rapport : {path}", "en": "Report: {path}"},
    "headless.log": {"fr": "Journal de ce cycle : {path}", "en": "Log of this run: {path}"},
    "headless.step": {"fr": "étape {step} : {status}", "en": "step {step}: {status}"},
    "headless.nothing": {
        "fr": "aucun connecteur configuré pour cette étape, ignorée",
        "en": "no connector configured for this step, skipped",
    },
    "headless.interrupted": {
        "fr": "Interrompu : le cycle reprendra là où il s'est arrêté.",
        "en": "Interrupted: the next run resumes where this one stopped.",
    },
    # -- sync report -------------------------------------------------------------------------
    "report.title": {
        "fr": "RAPPORT D'IMPORTATION COPPER ↔ MAILCHIMP",
        "en": "COPPER ↔ MAILCHIMP SYNC REPORT",
    },
    "report.total": {"fr": "Total d'opérations", "en": "Total operations"},
    "report.success": {"fr": "Succès", "en": "Successes"},
    "report.errors": {"fr": "Erreurs", "en": "Errors"},
    "report.rate": {"fr": "Taux de réussite", "en": "Success rate"},
    "report.duration": {"fr": "Durée", "en": "Duration"},
    "report.mode": {"fr": "Mode", "en": "Mode"},
    "report.pending": {
        "fr": "Contacts en attente de décision de suppression",
        "en": "Contacts awaiting a deletion decision",
    },
    "report.dry_run": {"fr": "simulation (rien n'a été écrit)", "en": "dry run (nothing was written)"},
    "report.full": {"fr": "réconciliation complète", "en": "full reconcile"},
    "report.incremental": {"fr": "incrémental", "en": "incremental"},
    "report.details": {"fr": "DÉTAILS DES OPÉRATIONS:", "en": "OPERATION DETAILS:"},
    "report.ok": {"fr": "SUCCÈS", "en": "SUCCESS"},
    "report.error": {"fr": "ERREUR", "en": "ERROR"},
    "report.name": {"fr": "Nom", "en": "Name"},
    "report.result": {"fr": "Résultat", "en": "Result"},
    "report.resubscribe": {"fr": "Lien de réinscription", "en": "Resubscribe link"},
    "report.planned": {"fr": "(prévu)", "en": "(planned)"},
    "report.result.added": {"fr": "Nouveau contact ajouté", "en": "New contact added"},
    "report.result.updated": {"fr": "Synchronisé avec {n} tags", "en": "Synced with {n} tags"},
    "report.result.identical": {
        "fr": "Contact identique ignoré (optimisation)",
        "en": "Identical contact skipped (optimisation)",
    },
    "report.result.forgotten": {
        "fr": "adresse oubliée par Mailchimp : réinscription requise",
        "en": "address forgotten by Mailchimp: resubscribe required",
    },
    "report.result.excluded": {
        "fr": "exclu (étiquette de suppression « {tag} »), en attente de décision",
        "en": "excluded (deletion tag “{tag}”), awaiting a decision",
    },
    "report.result.invalid": {
        "fr": "adresse e-mail invalide, ignorée",
        "en": "invalid email address, skipped",
    },
    "report.result.reactivated": {
        "fr": "réactivé avec son statut précédent",
        "en": "reactivated with its previous status",
    },
    "report.result.error": {"fr": "erreur : {reason}", "en": "error: {reason}"},
    "report.section.pending": {
        "fr": "CONTACTS EN ATTENTE DE DÉCISION DE SUPPRESSION:",
        "en": "CONTACTS AWAITING A DELETION DECISION:",
    },
    "report.section.forgotten": {
        "fr": "ADRESSES OUBLIÉES (LIENS DE RÉINSCRIPTION):",
        "en": "FORGOTTEN ADDRESSES (RESUBSCRIBE LINKS):",
    },
    "report.section.conflicts": {
        "fr": "CONFLITS ET ARBITRAGES:",
        "en": "CONFLICTS AND HOW THEY WERE SETTLED:",
    },
    # One conflict line: the field, both values, and whose value was kept.
    "report.conflict": {
        "fr": "{email} — {field} : Copper « {copper} » / Mailchimp « {mailchimp} » → valeur de {winner} gardée",
        "en": "{email} — {field}: Copper “{copper}” / Mailchimp “{mailchimp}” → {winner}'s value kept",
    },
    "report.field.first_name": {"fr": "prénom", "en": "first name"},
    "report.field.last_name": {"fr": "nom", "en": "last name"},
    "report.field.phone": {"fr": "téléphone", "en": "phone"},
    "report.section.invalid": {
        "fr": "ADRESSES E-MAIL INVALIDES (IGNORÉES):",
        "en": "INVALID EMAIL ADDRESSES (SKIPPED):",
    },
    "report.section.warnings": {"fr": "AVERTISSEMENTS:", "en": "WARNINGS:"},
    # -- sub-commands -------------------------------------------------------------------------
    "sandbox.serving": {
        "fr": "Simulateurs en service ({n} contacts, graine {seed}) :",
        "en": "Simulators running ({n} contacts, seed {seed}):",
    },
    "sandbox.env_written": {"fr": "Fichier .env écrit : {path}", "en": ".env written: {path}"},
    "sandbox.stop": {"fr": "Ctrl+C pour arrêter.", "en": "Ctrl+C to stop."},
    "web.serving": {
        "fr": "Console dans le navigateur : {url} (Ctrl+C pour arrêter). Écoute sur la boucle locale "
        "seulement : pour un accès distant, passez par un proxy inverse avec authentification.",
        "en": "Console in the browser: {url} (Ctrl+C to stop). Listening on loopback only: for remote use, "
        "put an authenticating reverse proxy in front.",
    },
    "web.bad_port": {"fr": "Port invalide : {port} (1 à 65535).", "en": "Invalid port: {port} (1 to 65535)."},
    "web.cannot_listen": {
        "fr": "Impossible d'écouter sur le port {port} : {reason}. Choisissez-en un autre avec --port.",
        "en": "Cannot listen on port {port}: {reason}. Pick another one with --port.",
    },
    "sandbox.side_by_side": {
        "fr": "Un autre crmtui utilise déjà le bac à sable : celui-ci a ses propres simulateurs et sa propre base "
        "dans {path} (supprimée à la fin).",
        "en": "Another crmtui is already using the sandbox: this one has its own simulators and its own database "
        "in {path} (removed when it ends).",
    },
    "cron.bad_every": {
        "fr": "« {every} » : choisissez un intervalle qui divise l'heure ou la journée (5m, 15m, 30m, 1h, 2h...), "
        "ou 1d (chaque jour à 00:00), ou 1w / 7d / 168h (chaque lundi à 00:00)",
        "en": "“{every}”: choose an interval that divides the hour or the day (5m, 15m, 30m, 1h, 2h...), "
        "or 1d (every day at 00:00), or 1w / 7d / 168h (every Monday at 00:00)",
    },
    "cron.no_crontab": {
        "fr": "La commande crontab est introuvable. Ajoutez cette ligne à la planification de votre système :",
        "en": "The crontab command was not found. Add this line to your system's scheduler:",
    },
    "cron.none": {"fr": "Aucune entrée crmtui dans la crontab.", "en": "No crmtui entry in the crontab."},
    "cron.installed": {"fr": "Entrée installée :\n  {line}", "en": "Entry installed:\n  {line}"},
    "cron.removed": {"fr": "{n} entrée(s) crmtui retirée(s).", "en": "{n} crmtui entry(ies) removed."},
    "error.prefix": {"fr": "Erreur", "en": "Error"},
    "error.unexpected": {
        "fr": "Erreur inattendue ({kind}). Détails dans le journal : {log}",
        "en": "Unexpected error ({kind}). Details in the log: {log}",
    },
}


def detect_language(env: Mapping[str, str] | None = None) -> str:
    """Pick the language: ``CRMTUI_LANG``, else ``LANG`` (``fr_*`` → French), else English."""
    env = os.environ if env is None else env
    explicit = (env.get("CRMTUI_LANG") or "").strip().lower()[:2]
    if explicit in LANGUAGES:
        return explicit
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = (env.get(var) or "").strip().lower()
        if value:
            return "fr" if value.startswith("fr") else "en"
    return "en"


def set_language(lang: str) -> None:
    """Switch the catalogue language for the whole process."""
    global _current
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; use one of {LANGUAGES}")
    _current = lang


def get_language() -> str:
    """The current catalogue language."""
    return _current


def t(key: str, /, **values: object) -> str:
    """Translate ``key`` into the current language and fill in ``values``."""
    entry = CATALOGUE[key]
    text = entry.get(_current) or entry["en"]
    return text.format(**values) if values else text


def t_or(key: str, default: str, /) -> str:
    """``t(key)`` when the catalogue has ``key``, else ``default``.

    For labels keyed by a value from data or code (a status, a segment code, a trigger) that may be
    one the catalogue does not name: the value is shown as it is rather than raising.
    """
    return t(key) if key in CATALOGUE else default


# The catalogue is one: each area keeps its entries in a module of this package (``etl``, ``sync_ui``,
# ``scenarios``, ``events``, ``reco``…, French and English side by side), merged here so every key exists as soon as
# ``crmtui.i18n`` is imported, whatever was imported before.
def _load_parts() -> None:
    # Every module of the package, not a list kept by hand (one forgotten there, its strings were missing
    # until some other import happened to load it, and the catalogue test did not see them).
    import importlib
    import pkgutil

    for part in pkgutil.iter_modules(__path__):
        try:
            importlib.import_module(f"crmtui.i18n.{part.name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"crmtui.i18n.{part.name}":
                raise


_load_parts()
