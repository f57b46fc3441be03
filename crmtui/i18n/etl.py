"""User-facing text of the ETL area (sources, quality, RFM), in French and English.

Importing this module merges :data:`ETL_CATALOGUE` into :data:`crmtui.i18n.CATALOGUE`, so
``t("etl.…")`` works anywhere after ``import crmtui.i18n.etl``.
"""

from __future__ import annotations

from crmtui.i18n import CATALOGUE

ETL_CATALOGUE: dict[str, dict[str, str]] = {
    # -- row and file problems ----------------------------------------------------------------
    "etl.col_count": {
        "fr": "{expected} colonnes attendues, {found} trouvées",
        "en": "expected {expected} columns, found {found}",
    },
    "etl.missing_value": {"fr": "{field} vide", "en": "empty {field}"},
    "etl.bad_value": {"fr": "{field} illisible : {detail}", "en": "unreadable {field}: {detail}"},
    "etl.control_chars": {
        "fr": "caractères de contrôle dans la ligne",
        "en": "control characters in the row",
    },
    "etl.duplicate_code": {
        "fr": "code {code} déjà vu ligne {line} ; la ligne la plus récente est gardée",
        "en": "code {code} also on line {line}; the later line is kept",
    },
    # An iSaVigne field as the operator calls it, in the row errors ("nom vide", "unreadable quantity").
    "etl.field.code": {"fr": "code client", "en": "customer code"},
    "etl.field.last_name": {"fr": "nom", "en": "last name"},
    "etl.field.first_name": {"fr": "prénom", "en": "first name"},
    "etl.field.company": {"fr": "société", "en": "company"},
    "etl.field.zip_code": {"fr": "code postal", "en": "postcode"},
    "etl.field.city": {"fr": "ville", "en": "city"},
    "etl.field.country": {"fr": "pays", "en": "country"},
    "etl.field.email": {"fr": "e-mail", "en": "email"},
    "etl.field.phone": {"fr": "téléphone", "en": "phone"},
    "etl.field.mobile": {"fr": "portable", "en": "mobile"},
    "etl.field.email_opt_out": {"fr": "opt-out e-mail", "en": "email opt-out"},
    "etl.field.sms_opt_out": {"fr": "opt-out SMS", "en": "SMS opt-out"},
    "etl.field.phone_opt_out": {"fr": "opt-out téléphone", "en": "phone opt-out"},
    "etl.field.active": {"fr": "actif", "en": "active"},
    "etl.field.reference": {"fr": "référence produit", "en": "product reference"},
    "etl.field.name": {"fr": "désignation", "en": "product name"},
    "etl.field.colour": {"fr": "couleur", "en": "colour"},
    "etl.field.vintage": {"fr": "millésime", "en": "vintage"},
    "etl.field.appellation": {"fr": "appellation", "en": "appellation"},
    "etl.field.region": {"fr": "région", "en": "region"},
    "etl.field.grapes": {"fr": "cépages", "en": "grapes"},
    "etl.field.alcohol": {"fr": "degré", "en": "alcohol"},
    "etl.field.price": {"fr": "prix", "en": "price"},
    "etl.field.cost": {"fr": "prix de revient", "en": "cost"},
    "etl.field.packaging": {"fr": "conditionnement", "en": "packaging"},
    "etl.field.pack_size": {"fr": "colisage", "en": "pack size"},
    "etl.field.flavors": {"fr": "arômes", "en": "flavours"},
    "etl.field.body": {"fr": "corps", "en": "body"},
    "etl.field.tannins": {"fr": "tanins", "en": "tannins"},
    "etl.field.order_ref": {"fr": "n° de pièce", "en": "order number"},
    "etl.field.date": {"fr": "date", "en": "date"},
    "etl.field.customer": {"fr": "code client", "en": "customer code"},
    "etl.field.quantity": {"fr": "quantité", "en": "quantity"},
    "etl.field.unit": {"fr": "unité", "en": "unit"},
    "etl.field.price_unit": {"fr": "prix unitaire", "en": "unit price"},
    "etl.field.total": {"fr": "montant", "en": "amount"},
    "etl.field.channel": {"fr": "canal", "en": "channel"},
    "etl.field.warehouse": {"fr": "entrepôt", "en": "warehouse"},
    "etl.field.reserved": {"fr": "réservé", "en": "reserved"},
    "etl.missing_column": {
        "fr": "aucune colonne pour {field} (cherché : {names})",
        "en": "no column for {field} (looked for: {names})",
    },
    "etl.missing_column.fix": {
        "fr": "renommez la colonne de l'export, ou associez-la dans ISAVIGNE_COLUMNS "
        '(ex. ISAVIGNE_COLUMNS="{kind}:Mon en-tête={field}")',
        "en": "rename the export's column, or map it in ISAVIGNE_COLUMNS "
        '(e.g. ISAVIGNE_COLUMNS="{kind}:My header={field}")',
    },
    "etl.binary.fix": {
        "fr": "exportez à nouveau depuis iSaVigne en CSV (UTF-8 ou Windows-1252) ou en .xlsx",
        "en": "export again from iSaVigne as CSV (UTF-8 or Windows-1252) or .xlsx",
    },
    "etl.xlsx.fix": {
        "fr": "le classeur est tronqué ou abîmé : exportez-le à nouveau",
        "en": "the workbook is truncated or damaged: export it again",
    },
    "etl.unreadable.fix": {
        "fr": "vérifiez que le fichier est lisible par crmtui (droits) et exportez-le à nouveau",
        "en": "check crmtui can read the file (permissions) and export it again",
    },
    "etl.csv_error.fix": {
        "fr": "un guillemet n'est pas fermé : corrigez la ligne indiquée ou exportez à nouveau",
        "en": "a quote is never closed: fix the line shown or export again",
    },
    "etl.no_file_of_kind": {
        "fr": "aucun fichier {kind} trouvé dans {path} (un nom contenant « {kind} », .csv ou .xlsx)",
        "en": 'no {kind} file found in {path} (a name containing "{kind}", .csv or .xlsx)',
    },
    "etl.refused": {
        "fr": "{location} refusé : {reason} → {fix}",
        "en": "{location} refused: {reason} → {fix}",
    },
    "etl.refused_count": {
        "fr": "{source} : {n} fichier(s) refusé(s) en entier",
        "en": "{source}: {n} file(s) refused whole",
    },
    "etl.skipped_rows": {
        "fr": "{source} : {n} ligne(s) ignorée(s) ; premières raisons :",
        "en": "{source}: {n} row(s) skipped; first reasons:",
    },
    "etl.bad_columns": {
        "fr": "ISAVIGNE_COLUMNS : « {item} » — {reason}",
        "en": 'ISAVIGNE_COLUMNS: "{item}" — {reason}',
    },
    "etl.bad_columns.fix": {
        "fr": "écrivez fichier:en-tête=champ, séparés par « ; » (fichiers : {kinds})",
        "en": 'write file:header=field, separated by ";" (files: {kinds})',
    },
    "etl.bad_columns.kind": {
        "fr": "fichier « {kind} » inconnu (connus : {kinds})",
        "en": 'unknown file "{kind}" (known: {kinds})',
    },
    "etl.bad_columns.field": {
        "fr": "le fichier {kind} n'a pas de champ « {field} » pour la colonne « {column} » (champs : {fields})",
        "en": 'file {kind} has no field "{field}" for column "{column}" (fields: {fields})',
    },
    "etl.bad_columns.syntax": {
        "fr": "forme attendue fichier:en-tête=champ",
        "en": "expected file:header=field",
    },
    "etl.bad_name_order": {
        "fr": "ISAVIGNE_NAME_ORDER vaut « {value} » : first_last ou last_first attendu",
        "en": 'ISAVIGNE_NAME_ORDER is "{value}": expected first_last or last_first',
    },
    "headless.nothing_configured": {
        "fr": "rien n'est configuré (ni ISAVIGNE_EXPORT_PATH, ni Odoo, Copper, Mailchimp, SES, SMTP, IMAP)",
        "en": "nothing is configured (no ISAVIGNE_EXPORT_PATH, Odoo, Copper, Mailchimp, SES, SMTP or IMAP)",
    },
    "headless.nothing_configured.fix": {
        "fr": "renseignez le .env (crmtui config check), ou essayez les simulateurs : crmtui --sandbox",
        "en": "fill in the .env (crmtui config check), or try the simulators: crmtui --sandbox",
    },
    "quality.refused_title": {"fr": "Fichiers refusés en entier :", "en": "Files refused whole:"},
    "key.etl_map_column": {"fr": "Associer colonne", "en": "Map column"},
    "colmap.title": {
        "fr": "Colonne des fichiers {kind} qui alimente le champ {field}",
        "en": "Column of the {kind} files feeding the field {field}",
    },
    "colmap.placeholder": {
        "fr": "l'en-tête tel qu'il est dans l'export",
        "en": "the header as it is in the export",
    },
    "colmap.note": {
        "fr": "Casse, accents et espaces ignorés. Enregistré dans ISAVIGNE_COLUMNS (.env). Ctrl+S enregistre, Échap annule.",
        "en": "Case, accents and spaces are ignored. Saved in ISAVIGNE_COLUMNS (.env). Ctrl+S saves, Escape cancels.",
    },
    "colmap.empty": {"fr": "tapez un en-tête de colonne", "en": "type a column header"},
    "colmap.where": {
        "fr": "ouvrez la vue des correspondances (m) d'une source iSaVigne, puis choisissez un champ",
        "en": "open the mapping view (m) of an iSaVigne source, then pick a field",
    },
    "colmap.no_field": {
        "fr": "aucun champ d'export n'alimente cette colonne",
        "en": "no export field feeds this column",
    },
    "etl.binary": {
        "fr": "contenu binaire : ce n'est pas un export CSV",
        "en": "binary content: not a CSV export",
    },
    "etl.unreadable": {"fr": "illisible : {detail}", "en": "cannot be read: {detail}"},
    "etl.csv_error": {
        "fr": "CSV illisible à partir d'ici ({detail}) ; le reste du fichier est ignoré",
        "en": "unreadable CSV from here ({detail}); the rest of the file is ignored",
    },
    "etl.no_folder": {
        "fr": "le dossier d'exports {path} n'existe pas ou n'est pas lisible",
        "en": "the export folder {path} does not exist or cannot be read",
    },
    "etl.no_folder.fix": {
        "fr": "vérifiez ISAVIGNE_EXPORT_PATH dans le .env",
        "en": "check ISAVIGNE_EXPORT_PATH in the .env",
    },
    "etl.folder_ok": {
        "fr": "{n} fichier(s) d'export trouvés dans {path}",
        "en": "{n} export file(s) found in {path}",
    },
    "etl.odoo_ok": {
        "fr": "Odoo {version} joignable, utilisateur n° {uid}",
        "en": "Odoo {version} reachable, user #{uid}",
    },
    "etl.odoo_no_field": {
        "fr": "{model} : aucun champ {field} sur ce serveur",
        "en": "{model}: no field {field} on this server",
    },
    # -- progress and results -----------------------------------------------------------------
    "etl.progress": {"fr": "{source} : {detail}", "en": "{source}: {detail}"},
    "etl.file_unchanged": {"fr": "{name} inchangé, ignoré", "en": "{name} unchanged, skipped"},
    "etl.file_progress": {"fr": "{name} ligne {line}", "en": "{name} line {line}"},
    "etl.model_progress": {"fr": "{model} : {n} lus", "en": "{model}: {n} read"},
    "etl.result": {
        "fr": "{source} : {read} lus, {changed} modifiés, {skipped} ignorés en {seconds} s",
        "en": "{source}: {read} read, {changed} changed, {skipped} skipped in {seconds} s",
    },
    "etl.failed": {"fr": "{source} : échec — {detail}", "en": "{source}: failed — {detail}"},
    "etl.nothing": {"fr": "aucune source configurée", "en": "no source configured"},
    "etl.quality_written": {
        "fr": "rapport qualité : {issues} problème(s), {path}",
        "en": "quality report: {issues} issue(s), {path}",
    },
    "etl.cancelled": {"fr": "interrompu", "en": "interrupted"},
    # -- cursors, as the Sources screen shows them --------------------------------------------
    "etl.cursor.file": {"fr": "{file} jusqu'à la ligne {line}", "en": "{file} up to line {line}"},
    "etl.cursor.changed": {
        "fr": "{what} : changements après le {when}",
        "en": "{what}: changes after {when}",
    },
    "etl.cursor.other": {"fr": "{name} : {value}", "en": "{name}: {value}"},
    # -- quality check names ------------------------------------------------------------------
    "quality.missing": {"fr": "{field} manquant", "en": "missing {field}"},
    # One per required field (crmtui.store.etl._REQUIRED): the operator's word, agreed in French.
    "quality.missing:name": {"fr": "désignation manquante", "en": "missing product name"},
    "quality.missing:list_price_eur": {"fr": "prix de vente manquant", "en": "missing list price"},
    "quality.missing:last_name": {"fr": "nom manquant", "en": "missing last name"},
    "quality.missing:customer_key": {"fr": "client manquant", "en": "missing customer"},
    "quality.missing:product_key": {"fr": "produit manquant", "en": "missing product"},
    "quality.missing:date_sale": {"fr": "date de vente manquante", "en": "missing sale date"},
    "quality.missing:price_total_eur": {"fr": "montant manquant", "en": "missing amount"},
    "quality.missing:warehouse": {"fr": "entrepôt manquant", "en": "missing warehouse"},
    "quality.missing:date_contact": {"fr": "date de contact manquante", "en": "missing contact date"},
    "quality.duplicate:email": {"fr": "doublons (même e-mail)", "en": "duplicates (same email)"},
    "quality.duplicate:name_zip": {
        "fr": "doublons (même nom et code postal)",
        "en": "duplicates (same name and postcode)",
    },
    "quality.invalid:email": {"fr": "e-mail invalide", "en": "invalid email"},
    "quality.invalid:phone": {"fr": "téléphone invalide", "en": "invalid phone"},
    "quality.invalid:mobile": {"fr": "portable invalide", "en": "invalid mobile"},
    "quality.orphan:customer": {"fr": "client inconnu", "en": "unknown customer"},
    "quality.orphan:product": {"fr": "produit inconnu", "en": "unknown product"},
    "quality.negative:quantity": {"fr": "stock négatif", "en": "negative stock"},
    "quality.reserved_above_quantity": {
        "fr": "réservé supérieur au stock",
        "en": "reserved above quantity",
    },
    "quality.report_title": {"fr": "Rapport de qualité des données", "en": "Data quality report"},
    "quality.report_none": {"fr": "aucun problème", "en": "no issue"},
    "quality.rfm_title": {"fr": "Segments RFM", "en": "RFM segments"},
    "table.product_catalog": {"fr": "produits", "en": "products"},
    "table.customers": {"fr": "clients", "en": "customers"},
    "table.sales_lines": {"fr": "ventes", "en": "sales"},
    "table.stock_levels": {"fr": "stocks", "en": "stock"},
    "table.contact_history": {"fr": "historique des contacts", "en": "contact history"},
    "segment.VIP": {"fr": "VIP", "en": "VIP"},
    "segment.STANDARD": {"fr": "Standard", "en": "Standard"},
    "segment.AT_RISK": {"fr": "À risque", "en": "At risk"},
    "segment.PROSPECT": {"fr": "Prospect", "en": "Prospect"},
    "segment.INACTIVE": {"fr": "Inactif", "en": "Inactive"},
    # -- screens ------------------------------------------------------------------------------
    "key.sources": {"fr": "Sources", "en": "Sources"},
    "key.quality": {"fr": "Qualité", "en": "Quality"},
    "key.etl_test": {"fr": "Tester", "en": "Test"},
    "key.etl_run": {"fr": "Importer", "en": "Run now"},
    "key.etl_full": {"fr": "Tout réimporter", "en": "Run full"},
    "key.etl_mapping": {"fr": "Correspondances", "en": "Mapping"},
    "key.etl_edit": {"fr": "Modifier", "en": "Edit"},
    "cmd.sources.help": {"fr": "Sources de données (imports ETL)", "en": "Data sources (ETL imports)"},
    "cmd.quality.help": {"fr": "Qualité des données et segments RFM", "en": "Data quality and RFM segments"},
    "sources.title": {"fr": "Sources de données", "en": "Data sources"},
    "sources.none": {
        "fr": "Aucune source configurée. Appuyez sur « a » pour en ajouter une.",
        "en": "No source configured. Press “a” to add one.",
    },
    "sources.errors": {"fr": "Erreurs de la dernière exécution", "en": "Errors of the last run"},
    "sources.mapping": {"fr": "Correspondance des champs", "en": "Field mapping"},
    "sources.running": {"fr": "{source} : import en cours…", "en": "{source}: importing…"},
    "sources.saved": {"fr": "Source enregistrée dans {path}", "en": "Source saved to {path}"},
    "col.source": {"fr": "Source", "en": "Source"},
    "col.last_run": {"fr": "Dernière exécution", "en": "Last run"},
    "col.cursor": {"fr": "Curseur", "en": "Cursor"},
    "col.counts": {"fr": "Lus / modifiés", "en": "Read / changed"},
    "col.errors": {"fr": "Erreurs", "en": "Errors"},
    "col.runs": {"fr": "Exécutions (ok/échec)", "en": "Runs (ok/failed)"},
    "col.location": {"fr": "Emplacement", "en": "Location"},
    "col.reason": {"fr": "Raison", "en": "Reason"},
    "col.field": {"fr": "Champ", "en": "Field"},
    "col.feeds": {"fr": "Alimenté par", "en": "Fed by"},
    "col.filled": {"fr": "Renseignés", "en": "Filled"},
    "col.table": {"fr": "Table", "en": "Table"},
    "col.check": {"fr": "Contrôle", "en": "Check"},
    "col.count": {"fr": "Nombre", "en": "Count"},
    "col.key": {"fr": "Clé", "en": "Key"},
    "mapping.unmapped": {"fr": "non alimenté", "en": "unmapped"},
    "mapping.empty": {"fr": "toujours vide", "en": "always empty"},
    "form.title": {"fr": "Source de données", "en": "Data source"},
    "form.type": {"fr": "Type", "en": "Type"},
    "form.path": {"fr": "Dossier des exports", "en": "Export folder"},
    "form.url": {"fr": "URL Odoo", "en": "Odoo URL"},
    "form.db": {"fr": "Base Odoo", "en": "Odoo database"},
    "form.user": {"fr": "Utilisateur", "en": "User"},
    "form.key": {"fr": "Clé d'API (stockée dans le .env)", "en": "API key (stored in the .env)"},
    "form.save": {"fr": "Enregistrer", "en": "Save"},
    "form.cancel": {"fr": "Annuler", "en": "Cancel"},
    "form.bad_path": {"fr": "dossier introuvable : {path}", "en": "folder not found: {path}"},
    "form.bad_url": {"fr": "URL http(s) attendue", "en": "an http(s) URL is expected"},
    "form.required": {"fr": "{field} est obligatoire", "en": "{field} is required"},
    "key.etl_add": {"fr": "Ajouter", "en": "Add"},
    "key.etl_add.tip": {
        "fr": "Ajouter une source (ses réglages vont dans le .env)",
        "en": "Add a source (its settings go to the .env)",
    },
    "key.etl_edit.tip": {
        "fr": "Modifier la source sélectionnée (ou Entrée)",
        "en": "Edit the selected source (or Enter)",
    },
    "form.type_isavigne": {"fr": "iSaVigne (dossier d'exports)", "en": "iSaVigne (export folder)"},
    "form.type_odoo": {"fr": "Odoo (XML-RPC)", "en": "Odoo (XML-RPC)"},
    "form.test": {"fr": "Tester", "en": "Test"},
    "form.key_keep": {
        "fr": "laisser vide pour garder la clé actuelle",
        "en": "leave empty to keep the current key",
    },
    "form.target": {
        "fr": "Enregistrer écrit dans {path} (mode 600), jamais dans la base de données.",
        "en": "Save writes to {path} (mode 600), never to the database.",
    },
    "form.sandbox_note": {
        "fr": (
            "Bac à sable : la console utilise ses propres sources simulées. Ce formulaire écrit dans "
            "{path} pour la production ; ces valeurs servent au prochain démarrage sans --sandbox."
        ),
        "en": (
            "Sandbox: the console uses its own simulated sources. This form writes to {path} for "
            "production; the values are used at the next start without --sandbox."
        ),
    },
    "form.checking": {"fr": "Vérification…", "en": "Checking…"},
    "form.unreadable": {"fr": "dossier illisible : {path}", "en": "folder cannot be read: {path}"},
    "form.folder_found": {
        "fr": "{n} fichier(s) d'export dans {path} : {detail}",
        "en": "{n} export file(s) in {path}: {detail}",
    },
    "form.folder_empty": {
        "fr": "aucun export dans {path} pour l'instant (attendus : clients*, produits*, ventes*, stock*)",
        "en": "no export in {path} yet (expected: clients*, produits*, ventes*, stock*)",
    },
    "form.not_saved": {"fr": "Rien n'a été enregistré : {detail}", "en": "Nothing was saved: {detail}"},
    "form.saved_sandbox": {
        "fr": "Source enregistrée dans {path} ; le bac à sable garde ses sources simulées.",
        "en": "Source saved to {path}; the sandbox keeps its simulated sources.",
    },
    "form.shadowed": {
        "fr": "{names} aussi défini(s) dans l'environnement, qui l'emporte sur le .env",
        "en": "{names} also set in the environment, which takes precedence over the .env",
    },
    "envfile.bad_name": {
        "fr": "nom de variable invalide : {name}",
        "en": "invalid variable name: {name}",
    },
    "envfile.bad_value": {
        "fr": "la valeur de {name} contient un retour à la ligne ou un caractère de contrôle",
        "en": "the value of {name} holds a line break or a control character",
    },
    "envfile.expansion": {
        "fr": "la valeur de {name} contient « ${{ », que le .env lirait comme une variable",
        "en": "the value of {name} holds “${{”, which the .env would read as a variable",
    },
    "envfile.not_a_file": {"fr": "{path} n'est pas un fichier", "en": "{path} is not a file"},
    "envfile.io": {
        "fr": "impossible d'écrire {path} : {detail}",
        "en": "cannot write {path}: {detail}",
    },
    "quality.title": {"fr": "Qualité des données", "en": "Data quality"},
    "quality.when": {"fr": "Contrôle du {when}", "en": "Checked {when}"},
    "quality.when_report": {"fr": "Contrôle du {when} · {path}", "en": "Checked {when} · {path}"},
    "quality.none_yet": {
        "fr": "Pas encore de rapport : s (Sources) puis n importe et vérifie les données",
        "en": "No report yet: s (Sources), then n imports and checks the data",
    },
    "quality.examples": {"fr": "Exemples", "en": "Examples"},
}
"""Every ETL key, fr + en with the same placeholders."""

CATALOGUE.update(ETL_CATALOGUE)
