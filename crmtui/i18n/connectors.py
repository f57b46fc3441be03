"""User-facing text of the mail connectors' tests (SES, SMTP, IMAP), French and English.

``t("conn.…")`` works anywhere after ``import crmtui.i18n``.
"""

from __future__ import annotations

from crmtui.i18n import CATALOGUE

CONNECTORS_CATALOGUE: dict[str, dict[str, str]] = {
    "conn.not_configured": {"fr": "non configuré", "en": "not configured"},
    "conn.not_configured.fix": {
        "fr": "voir `crmtui config check` pour les variables du connecteur {name}",
        "en": "see `crmtui config check` for the {name} variables",
    },
    "conn.unreachable.fix": {
        "fr": "vérifiez le réseau et l'adresse du service, puis réessayez",
        "en": "check the network and the service address, then try again",
    },
    "conn.rate_limited.fix": {
        "fr": "le service est occupé : attendez une minute et réessayez",
        "en": "the service is busy: wait a minute and try again",
    },
    # -- Copper, Mailchimp, Odoo, iSaVigne ----------------------------------------------------------
    "conn.copper.ok": {
        "fr": "connecté en tant que {user} ; {people} personnes",
        "en": "connected as {user}; {people} people",
    },
    "conn.copper.auth_refused.fix": {
        "fr": "vérifiez COPPER_API_KEY et COPPER_API_EMAIL (l'e-mail du propriétaire de la clé)",
        "en": "check COPPER_API_KEY and COPPER_API_EMAIL (the email of the key's owner)",
    },
    "conn.mailchimp.ok": {
        "fr": "audience « {name} » ({id}), {count} abonnés",
        "en": "audience “{name}” ({id}), {count} subscribed",
    },
    "conn.mailchimp.auth_refused.fix": {
        "fr": "vérifiez MAILCHIMP_API_KEY (elle se termine par son centre de données, ex. -us19)",
        "en": "check MAILCHIMP_API_KEY (it must end with its data centre, e.g. -us19)",
    },
    "conn.mailchimp.list_not_found.fix": {
        "fr": "vérifiez MAILCHIMP_LIST_ID (Audience › Paramètres › Nom et valeurs par défaut de l'audience)",
        "en": "check MAILCHIMP_LIST_ID (Audience › Settings › Audience name and defaults)",
    },
    "conn.odoo.ok": {
        "fr": "Odoo {version}, base « {db} », utilisateur « {user} » (uid {uid}) : OK",
        "en": "Odoo {version}, database “{db}”, user “{user}” (uid {uid}): OK",
    },
    "conn.odoo.fix": {
        "fr": "vérifiez ODOO_URL, ODOO_DB, ODOO_USER et ODOO_API_KEY",
        "en": "check ODOO_URL, ODOO_DB, ODOO_USER and ODOO_API_KEY",
    },
    "conn.isavigne.ok": {"fr": "{n} fichier(s) d'export dans {path}", "en": "{n} export file(s) in {path}"},
    "conn.isavigne.no_folder": {"fr": "dossier {path} introuvable", "en": "folder {path} not found"},
    "conn.isavigne.no_folder.fix": {
        "fr": "indiquez le dossier des exports dans ISAVIGNE_EXPORT_PATH",
        "en": "set ISAVIGNE_EXPORT_PATH to the exports folder",
    },
    "conn.isavigne.empty": {
        "fr": "aucun export .csv ou .xlsx dans {path}",
        "en": "no .csv or .xlsx export in {path}",
    },
    "conn.isavigne.empty.fix": {
        "fr": "exportez clients, produits, ventes et stock depuis iSaVigne dans ce dossier",
        "en": "export clients, products, sales and stock from iSaVigne into this folder",
    },
    # -- SES ------------------------------------------------------------------------------------
    "conn.ses.ok": {
        "fr": "envoi activé · {sent} envoyés sur {max} en 24 h · {rate}/s · {access} · expéditeur {sender} {status}",
        "en": "sending enabled · {sent} of {max} sent in 24 h · {rate}/s · {access} · sender {sender} {status}",
    },
    "conn.ses.unlimited": {"fr": "illimité", "en": "unlimited"},
    "conn.ses.production": {"fr": "accès production", "en": "production access"},
    "conn.ses.sandbox": {"fr": "bac à sable SES", "en": "SES sandbox"},
    "conn.ses.verified": {"fr": "vérifié", "en": "verified"},
    "conn.ses.disabled": {
        "fr": "l'envoi est désactivé sur ce compte SES ({status})",
        "en": "sending is disabled on this SES account ({status})",
    },
    "conn.ses.disabled.fix": {
        "fr": "ouvrez la console SES (Tableau de bord du compte) : l'envoi a été suspendu ou mis en pause ; "
        "réactivez-le ou contactez le support AWS",
        "en": "open the SES console (Account dashboard): sending was paused or suspended; resume it or "
        "contact AWS support",
    },
    "conn.ses.sandboxed": {
        "fr": "compte dans le bac à sable SES : seules les adresses vérifiées peuvent recevoir ({sent} sur {max} "
        "envoyés en 24 h)",
        "en": "account in the SES sandbox: only verified addresses can receive ({sent} of {max} sent in 24 h)",
    },
    "conn.ses.sandboxed.fix": {
        "fr": "demandez l'accès production dans la console SES (Tableau de bord du compte › Demander l'accès "
        "production)",
        "en": "request production access in the SES console (Account dashboard › Request production access)",
    },
    "conn.ses.no_sender": {
        "fr": "quota lu, mais aucun expéditeur à vérifier (EMAIL_FROM vide)",
        "en": "quota read, but no sender to check (EMAIL_FROM is empty)",
    },
    "conn.ses.no_sender.fix": {
        "fr": "renseignez EMAIL_FROM avec une adresse d'une identité vérifiée dans SES",
        "en": "set EMAIL_FROM to an address of an identity verified in SES",
    },
    "conn.ses.unknown_identity": {
        "fr": "l'expéditeur {sender} n'est pas une identité SES (ni l'adresse ni le domaine)",
        "en": "the sender {sender} is not an SES identity (neither the address nor its domain)",
    },
    "conn.ses.unknown_identity.fix": {
        "fr": "créez l'identité dans la console SES (Configuration › Identités) pour l'adresse ou le domaine "
        "{domain}, ou changez EMAIL_FROM",
        "en": "create the identity in the SES console (Configuration › Identities) for the address or the "
        "domain {domain}, or change EMAIL_FROM",
    },
    "conn.ses.unverified": {
        "fr": "l'identité {identity} n'est pas vérifiée (état {status})",
        "en": "the identity {identity} is not verified (status {status})",
    },
    "conn.ses.unverified.fix": {
        "fr": "terminez la vérification : cliquez le lien de l'e-mail d'AWS (adresse) ou publiez les "
        "enregistrements DKIM dans le DNS (domaine)",
        "en": "finish the verification: click the link in AWS's email (address) or publish the DKIM records "
        "in DNS (domain)",
    },
    "conn.ses.auth": {
        "fr": "identifiants refusés par SES ({detail})",
        "en": "credentials refused by SES ({detail})",
    },
    "conn.ses.auth.fix": {
        "fr": "vérifiez SES_ACCESS_KEY_ID, SES_SECRET_ACCESS_KEY et SES_REGION (la clé doit avoir "
        "ses:GetAccount et ses:GetEmailIdentity)",
        "en": "check SES_ACCESS_KEY_ID, SES_SECRET_ACCESS_KEY and SES_REGION (the key needs ses:GetAccount "
        "and ses:GetEmailIdentity)",
    },
    "conn.ses.failed": {
        "fr": "SES ne répond pas correctement : {detail}",
        "en": "SES did not answer properly: {detail}",
    },
    # -- SMTP -----------------------------------------------------------------------------------
    "conn.smtp.ok": {
        "fr": "connecté à {where} · {tls} · {auth}",
        "en": "connected to {where} · {tls} · {auth}",
    },
    "conn.smtp.tls.starttls": {"fr": "STARTTLS", "en": "STARTTLS"},
    "conn.smtp.tls.implicit": {"fr": "TLS", "en": "TLS"},
    "conn.smtp.tls.none": {"fr": "sans chiffrement", "en": "unencrypted"},
    "conn.smtp.auth.ok": {"fr": "connexion de {user} acceptée", "en": "login of {user} accepted"},
    "conn.smtp.auth.skipped": {"fr": "sans identifiant", "en": "no login"},
    "conn.smtp.connect": {
        "fr": "impossible de joindre {where} : {detail}",
        "en": "cannot reach {where}: {detail}",
    },
    "conn.smtp.connect.fix": {
        "fr": "vérifiez SMTP_HOST et SMTP_PORT (587 STARTTLS, 465 TLS) et que le serveur accepte cette machine",
        "en": "check SMTP_HOST and SMTP_PORT (587 STARTTLS, 465 TLS) and that the server accepts this machine",
    },
    "conn.smtp.tls": {
        "fr": "échec du chiffrement ({tls}) avec {where} : {detail}",
        "en": "encryption ({tls}) failed with {where}: {detail}",
    },
    "conn.smtp.tls.fix": {
        "fr": "vérifiez SMTP_STARTTLS et le port (465 = TLS d'emblée, 587 = STARTTLS) ; pour une autorité "
        "privée, SMTP_CA_FILE",
        "en": "check SMTP_STARTTLS and the port (465 = TLS from the start, 587 = STARTTLS); for a private "
        "authority, SMTP_CA_FILE",
    },
    "conn.smtp.auth": {
        "fr": "connexion de {user} refusée par {where} ({detail})",
        "en": "login of {user} refused by {where} ({detail})",
    },
    "conn.smtp.auth.fix": {
        "fr": "vérifiez SMTP_USER et SMTP_PASSWORD (chez SES : identifiants SMTP, pas la clé d'accès AWS ; "
        "ailleurs souvent un mot de passe d'application)",
        "en": "check SMTP_USER and SMTP_PASSWORD (for SES: the SMTP credentials, not the AWS access key; "
        "elsewhere often an app password)",
    },
    "conn.smtp.no_auth": {
        "fr": "{where} ne propose pas d'authentification ({tls})",
        "en": "{where} offers no authentication ({tls})",
    },
    "conn.smtp.no_auth.fix": {
        "fr": "beaucoup de serveurs ne proposent AUTH qu'après STARTTLS : mettez SMTP_STARTTLS=yes, ou "
        "videz SMTP_USER si ce relais n'en demande pas",
        "en": "many servers offer AUTH only after STARTTLS: set SMTP_STARTTLS=yes, or empty SMTP_USER if "
        "this relay needs none",
    },
    # -- IMAP -----------------------------------------------------------------------------------
    "conn.imap.ok": {
        "fr": "{user} connecté à {where} · dossier {folder} : {count} message(s)",
        "en": "{user} logged in on {where} · folder {folder}: {count} message(s)",
    },
    "conn.imap.connect": {
        "fr": "impossible de joindre {where} : {detail}",
        "en": "cannot reach {where}: {detail}",
    },
    "conn.imap.connect.fix": {
        "fr": "vérifiez IMAP_HOST, IMAP_PORT et IMAP_SSL (993 = TLS, 143 = sans)",
        "en": "check IMAP_HOST, IMAP_PORT and IMAP_SSL (993 = TLS, 143 = plain)",
    },
    "conn.imap.auth": {
        "fr": "connexion de {user} refusée par {where}",
        "en": "login of {user} refused by {where}",
    },
    "conn.imap.auth.fix": {
        "fr": "vérifiez IMAP_USER et IMAP_PASSWORD (beaucoup de fournisseurs demandent un mot de passe "
        "d'application)",
        "en": "check IMAP_USER and IMAP_PASSWORD (many providers require an app password)",
    },
    "conn.imap.folder": {
        "fr": "connecté, mais le dossier {folder} ne s'ouvre pas",
        "en": "logged in, but the folder {folder} does not open",
    },
    "conn.imap.folder.fix": {
        "fr": "vérifiez IMAP_FOLDER (INBOX par défaut ; les noms de dossiers respectent la casse chez "
        "certains serveurs)",
        "en": "check IMAP_FOLDER (INBOX by default; some servers are case-sensitive about folder names)",
    },
    # -- writes of unknown fate (crmtui.engine.sync_verify) ----------------------------------
    "sync.verify.held": {
        "fr": "{email} : le sort d'une écriture précédente est encore inconnu (le service n'a pas pu "
        "être relu) ; rien n'est renvoyé, vérification à la prochaine exécution",
        "en": "{email}: an earlier write's fate is still unknown (the service could not be read "
        "back); nothing is re-sent, checked again next run",
    },
    "copper.cap_stuck": {
        "fr": "Copper ne liste que les {cap} premières fiches d'une recherche, et plus de {cap} personnes "
        "ont été modifiées dans la même seconde ({at} UTC) ; lues : {total}. La synchronisation s'arrête "
        "avant de planifier : le reste passerait pour des personnes absentes",
        "en": "Copper lists only the first {cap} records of a search, and more than {cap} people were "
        "modified in the same second ({at} UTC); read: {total}. The sync stops before planning: the rest "
        "would look like missing people",
    },
    "copper.cap_stuck.fix": {
        "fr": "modifiez ces personnes dans Copper par lots (une modification change leur date), ou "
        "demandez au support Copper ; rien n'a été écrit",
        "en": "edit those people in Copper in batches (an edit changes their date), or ask Copper's "
        "support; nothing was written",
    },
}

CATALOGUE.update(CONNECTORS_CATALOGUE)
