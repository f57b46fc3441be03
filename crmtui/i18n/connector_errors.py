"""The connectors' error messages and hints, French and English (#15).

These reach the operator through ``str(error)``: Notices, the sync report's per-contact errors,
headless lines and the console. Each message is built when the error is raised, in the language of
the run. What a service said (its error text, a body excerpt) is passed in as a value and shown as
it came; the words around it are ours. ``t("cerr.…")`` works anywhere after ``import crmtui.i18n``.
"""

from __future__ import annotations

from crmtui.i18n import CATALOGUE

CONNECTOR_ERRORS_CATALOGUE: dict[str, dict[str, str]] = {
    # -- every HTTP service (crmtui.connectors.http) ---------------------------------------------
    "cerr.access_denied": {
        "fr": "accès refusé (HTTP 403) : {text}",
        "en": "access denied (HTTP 403): {text}",
    },
    "cerr.access_denied.bare": {
        "fr": "accès refusé (HTTP 403, sans explication du service) : {text}",
        "en": "access denied (HTTP 403, no problem body): {text}",
    },
    "cerr.too_many": {"fr": "trop de requêtes (HTTP 429)", "en": "too many requests (HTTP 429)"},
    "cerr.too_many.final": {
        "fr": "trop de requêtes (HTTP 429), toujours refusées après plusieurs essais",
        "en": "too many requests (HTTP 429), still refused after retries",
    },
    "cerr.server_error": {"fr": "erreur du serveur (HTTP {status})", "en": "server error (HTTP {status})"},
    "cerr.server_error.final": {
        "fr": "erreur du serveur (HTTP {status}) après plusieurs essais",
        "en": "server error (HTTP {status}) after retries",
    },
    "cerr.rejected": {
        "fr": "requête refusée (HTTP {status}) : {text}",
        "en": "request rejected (HTTP {status}): {text}",
    },
    "cerr.refused": {"fr": "{refused} (HTTP 401) : {text}", "en": "{refused} (HTTP 401): {text}"},
    "cerr.credentials_refused": {"fr": "identifiants refusés", "en": "credentials refused"},
    "cerr.api_key_refused": {"fr": "clé d'API refusée", "en": "API key refused"},
    "cerr.not_found": {"fr": "introuvable (HTTP 404) : {text}", "en": "not found (HTTP 404): {text}"},
    "cerr.gateway_unknown": {
        "fr": "{method} {path} : une passerelle a répondu HTTP {status} ; la demande a peut-être été appliquée",
        "en": "{method} {path} answered HTTP {status} by a gateway; it may have been applied",
    },
    "cerr.read_back_step.fix": {
        "fr": "l'étape suivante relit la fiche avant de l'écrire à nouveau",
        "en": "the next step reads the record back before writing again",
    },
    "cerr.read_back.fix": {
        "fr": "la prochaine exécution relit la fiche avant de l'écrire à nouveau",
        "en": "the next run reads the record back before writing again",
    },
    "cerr.cannot_connect": {"fr": "connexion impossible : {detail}", "en": "cannot connect: {detail}"},
    "cerr.no_answer": {"fr": "pas de réponse en {seconds} s", "en": "no answer within {seconds} s"},
    "cerr.connection_lost": {"fr": "connexion perdue : {detail}", "en": "connection lost: {detail}"},
    "cerr.maybe_applied": {
        "fr": "{method} {path} a peut-être été appliquée, ou non : {detail}",
        "en": "{method} {path} may or may not have been applied: {detail}",
    },
    "cerr.unreadable": {
        "fr": "réponse illisible (HTTP {status}, {size} octets)",
        "en": "unreadable answer (HTTP {status}, {size} bytes)",
    },
    "cerr.unreadable_write": {
        "fr": "{method} {path} : réponse illisible ; la demande a peut-être été appliquée",
        "en": "{method} {path} answered an unreadable body; it may have been applied",
    },
    "cerr.unreadable_body": {"fr": "<contenu illisible>", "en": "<unreadable body>"},
    "cerr.network.fix": {
        "fr": "vérifiez le réseau et l'adresse du service, puis relancez ; rien n'est perdu",
        "en": "check the network and the service URL, then run again; nothing was lost",
    },
    # -- Copper ----------------------------------------------------------------------------------
    "cerr.copper.auth.fix": {
        "fr": "vérifiez COPPER_API_KEY et COPPER_API_EMAIL (l'e-mail de l'utilisateur à qui appartient la clé)",
        "en": "check COPPER_API_KEY and COPPER_API_EMAIL (the email of the user who owns the key)",
    },
    "cerr.copper.duplicate": {
        "fr": "e-mail déjà utilisé par une autre personne : {text}",
        "en": "email already used by another person: {text}",
    },
    "cerr.copper.duplicate.fix": {
        "fr": "retrouvez la personne existante par son e-mail et mettez-la à jour à la place",
        "en": "fetch the existing person by email and update it instead",
    },
    "cerr.copper.check_ok": {
        "fr": "connecté en tant que {user} ; {people} personnes",
        "en": "connected as {user}; {people} people",
    },
    # -- Mailchimp -------------------------------------------------------------------------------
    "cerr.mailchimp.no_audience": {
        "fr": "la clé d'API fonctionne, mais l'audience « {list_id} » n'existe pas",
        "en": "the API key works but audience {list_id!r} does not exist",
    },
    "cerr.mailchimp.no_audience.fix": {"fr": "vérifiez MAILCHIMP_LIST_ID", "en": "check MAILCHIMP_LIST_ID"},
    "cerr.mailchimp.check_ok": {
        "fr": "audience « {name} » ({id}), {count} abonnés",
        "en": "audience {name!r} ({id}), {count} subscribed",
    },
    "cerr.mailchimp.no_result": {
        "fr": "aucun résultat pour ce membre",
        "en": "no result for this member",
    },
    "cerr.mailchimp.auth.fix": {
        "fr": "vérifiez MAILCHIMP_API_KEY ; son suffixe « -usN » doit être le centre de données du compte "
        "(MAILCHIMP_DC)",
        "en": "check MAILCHIMP_API_KEY; its '-usN' suffix must be the account's data centre (MAILCHIMP_DC)",
    },
    "cerr.mailchimp.forgotten.fix": {
        "fr": "la personne doit se réinscrire par le formulaire d'inscription de l'audience",
        "en": "the person must re-subscribe through the audience's signup form",
    },
    "cerr.mailchimp.compliance.fix": {
        "fr": "passez le statut à « pending » (e-mail de double confirmation) ou envoyez le lien du "
        "formulaire d'inscription",
        "en": "set the status to 'pending' (double opt-in email) or send the signup form link",
    },
    "cerr.mailchimp.exists.fix": {
        "fr": "mettez à jour le membre (PUT) au lieu de le créer",
        "en": "update the member with PUT instead",
    },
    "cerr.mailchimp.invalid.fix": {
        "fr": "corrigez l'adresse ou les champs de fusion",
        "en": "fix the address or the merge fields",
    },
    # -- Odoo ------------------------------------------------------------------------------------
    "cerr.odoo.auth.fix": {
        "fr": "vérifiez ODOO_USER et ODOO_API_KEY (une clé d'API créée dans Odoo : Préférences → Sécurité du compte)",
        "en": "check ODOO_USER and ODOO_API_KEY (an API key from Odoo: Preferences → Account Security)",
    },
    "cerr.odoo.no_endpoint": {
        "fr": "aucun point d'accès XML-RPC à {url} (HTTP 404)",
        "en": "no XML-RPC endpoint at {url} (HTTP 404)",
    },
    "cerr.odoo.no_endpoint.fix": {
        "fr": "vérifiez ODOO_URL : l'adresse du serveur, sans /xmlrpc ni /web",
        "en": "check ODOO_URL: the server's address, without /xmlrpc or /web",
    },
    "cerr.odoo.timeout": {
        "fr": "{where} : pas de réponse en {seconds} s, après {attempts} essais",
        "en": "{where}: no answer within {seconds} s after {attempts} attempts",
    },
    "cerr.odoo.timeout.fix": {
        "fr": "Odoo est lent ou injoignable ; réessayez plus tard ou allongez le délai d'attente",
        "en": "Odoo is slow or unreachable; try again later or raise the timeout",
    },
    "cerr.odoo.credentials": {
        "fr": "{where} : Odoo a refusé les identifiants de « {login} »",
        "en": "{where}: Odoo refused the credentials of {login!r}",
    },
    "cerr.odoo.no_access.fix": {
        "fr": "demandez à un administrateur Odoo de donner à « {login} » l'accès à ce modèle",
        "en": "ask an Odoo administrator to give {login!r} access to this model",
    },
    "cerr.odoo.no_database": {
        "fr": "{where} : la base « {db} » n'existe pas sur ce serveur",
        "en": "{where}: database {db!r} does not exist on this server",
    },
    "cerr.odoo.no_database.fix": {"fr": "vérifiez ODOO_DB", "en": "check ODOO_DB"},
    "cerr.odoo.unexpected": {
        "fr": "{where} : réponse inattendue",
        "en": "{where}: unexpected answer",
    },
    "cerr.odoo.login_refused": {
        "fr": "Odoo a refusé l'identifiant « {login} » sur la base « {db} » (identifiant ou clé d'API erronés)",
        "en": "Odoo refused the login {login!r} on database {db!r} (wrong login or API key)",
    },
    "cerr.odoo.unreachable": {
        "fr": "impossible de joindre Odoo à {url} : {detail}",
        "en": "cannot reach Odoo at {url}: {detail}",
    },
    "cerr.odoo.fields_missing": {
        "fr": "{model} : champs absents sur ce serveur : {fields}",
        "en": "{model}: fields missing on this server: {fields}",
    },
    "cerr.odoo.check_ok": {
        "fr": "Odoo {version}, base « {db} », utilisateur « {login} » (uid {uid}) : OK",
        "en": "Odoo {version}, database {db!r}, user {login!r} (uid {uid}): OK",
    },
    "cerr.odoo.models_unreadable": {
        "fr": "Odoo {version} : connecté, mais {n} modèle(s) illisible(s)",
        "en": "Odoo {version}: logged in, but {n} model(s) cannot be read",
    },
    # -- SES -------------------------------------------------------------------------------------
    "cerr.ses.maybe_accepted": {
        "fr": "{text} (le message a peut-être été accepté, ou non)",
        "en": "{text} (the message may or may not have been accepted)",
    },
    "cerr.ses.unknown.fix": {
        "fr": "jamais renvoyé automatiquement : les événements SES (la clé du registre est une étiquette du "
        "message) ou la console (Scénarios › envois incertains) tranchent",
        "en": "never re-sent automatically: SES events (the ledger key is a message tag) or the console "
        "(Scenarios › unknown sends) settle it",
    },
    "cerr.ses.auth.fix": {
        "fr": "vérifiez SES_ACCESS_KEY_ID / SES_SECRET_ACCESS_KEY",
        "en": "check SES_ACCESS_KEY_ID / SES_SECRET_ACCESS_KEY",
    },
    "cerr.ses.no_message_id": {
        "fr": "SendEmail a répondu sans MessageId",
        "en": "SendEmail answered without a MessageId",
    },
    # -- SMTP ------------------------------------------------------------------------------------
    "cerr.smtp.auth_refused": {
        "fr": "authentification refusée ({detail})",
        "en": "authentication refused ({detail})",
    },
    "cerr.smtp.quota": {"fr": "quota quotidien atteint ({detail})", "en": "daily quota reached ({detail})"},
    "cerr.smtp.deferred.mail": {"fr": "MAIL FROM différé ({detail})", "en": "MAIL FROM deferred ({detail})"},
    "cerr.smtp.deferred.rcpt": {"fr": "RCPT différé ({detail})", "en": "RCPT deferred ({detail})"},
    "cerr.smtp.deferred.data": {"fr": "message différé ({detail})", "en": "message deferred ({detail})"},
    "cerr.smtp.relay": {"fr": "relais refusé ({detail})", "en": "relay denied ({detail})"},
    "cerr.smtp.sender": {"fr": "expéditeur refusé ({detail})", "en": "sender refused ({detail})"},
    "cerr.smtp.recipient": {"fr": "destinataire refusé ({detail})", "en": "recipient refused ({detail})"},
    "cerr.smtp.message": {"fr": "message refusé ({detail})", "en": "message refused ({detail})"},
    "cerr.smtp.login": {
        "fr": "connexion refusée ({code}) : {detail}",
        "en": "login refused ({code}): {detail}",
    },
    "cerr.smtp.login.fix": {
        "fr": "vérifiez SMTP_USER / SMTP_PASSWORD",
        "en": "check SMTP_USER / SMTP_PASSWORD",
    },
    "cerr.smtp.connect": {
        "fr": "connexion impossible à {host}:{port} : {detail}",
        "en": "cannot connect to {host}:{port}: {detail}",
    },
    "cerr.smtp.connect.fix": {
        "fr": "vérifiez SMTP_HOST/SMTP_PORT/SMTP_STARTTLS ; rien n'a été envoyé",
        "en": "check SMTP_HOST/SMTP_PORT/SMTP_STARTTLS; nothing was sent",
    },
    "cerr.smtp.lost_before": {
        "fr": "connexion perdue avant l'envoi : {detail}",
        "en": "connection lost before sending: {detail}",
    },
    "cerr.smtp.lost_during": {
        "fr": "connexion perdue pendant l'envoi du message : {detail}",
        "en": "connection lost while sending the message: {detail}",
    },
    "cerr.smtp.lost_during.fix": {
        "fr": "il a peut-être été remis ; tranchez dans la console (Scénarios › envois incertains)",
        "en": "it may have been delivered; settle it in the console (Scenarios › unknown sends)",
    },
    # -- IMAP ------------------------------------------------------------------------------------
    "cerr.imap.connect.fix": {
        "fr": "vérifiez IMAP_HOST, IMAP_PORT et IMAP_SSL (993 en TLS, 143 sans chiffrement)",
        "en": "check IMAP_HOST, IMAP_PORT and IMAP_SSL (993 is TLS, 143 plain)",
    },
    "cerr.imap.untrusted": {
        "fr": "le certificat de {where} n'est pas reconnu : {detail}",
        "en": "the certificate of {where} is not trusted: {detail}",
    },
    "cerr.imap.untrusted.fix": {
        "fr": "le serveur doit présenter un certificat valide pour IMAP_HOST",
        "en": "the server must present a valid certificate for IMAP_HOST",
    },
    "cerr.imap.tls": {"fr": "échec TLS avec {where} : {detail}", "en": "TLS failed with {where}: {detail}"},
    "cerr.imap.no_greeting": {
        "fr": "pas de message d'accueil de {where} en {seconds} s",
        "en": "no greeting from {where} within {seconds} s",
    },
    "cerr.imap.connect": {
        "fr": "connexion impossible à {where} : {detail}",
        "en": "cannot connect to {where}: {detail}",
    },
    "cerr.imap.login_disabled": {
        "fr": "{where} refuse LOGIN sur une connexion non chiffrée",
        "en": "{where} refuses LOGIN on an unencrypted connection",
    },
    "cerr.imap.login_disabled.fix": {
        "fr": "mettez IMAP_SSL=yes (port 993)",
        "en": "set IMAP_SSL=yes (port 993)",
    },
    "cerr.imap.login": {
        "fr": "connexion refusée pour {user} sur {where} : {detail}",
        "en": "login refused for {user} on {where}: {detail}",
    },
    "cerr.imap.login.fix": {
        "fr": "vérifiez IMAP_USER et IMAP_PASSWORD (certains fournisseurs exigent un mot de passe d'application)",
        "en": "check IMAP_USER and IMAP_PASSWORD (some providers require an app password)",
    },
    "cerr.imap.no_answer": {
        "fr": "{what} : pas de réponse de {where} en {seconds} s",
        "en": "{what} got no answer from {where} within {seconds} s",
    },
    "cerr.imap.failed": {
        "fr": "{what} a échoué sur {where} : {detail}",
        "en": "{what} failed on {where}: {detail}",
    },
    "cerr.imap.not_connected": {"fr": "pas connecté à {where}", "en": "not connected to {where}"},
    "cerr.imap.no_folder": {
        "fr": "impossible d'ouvrir le dossier « {folder} » : {detail}",
        "en": "cannot open folder {folder!r}: {detail}",
    },
    "cerr.imap.no_folder.fix": {
        "fr": "vérifiez IMAP_FOLDER (INBOX par défaut)",
        "en": "check IMAP_FOLDER (INBOX by default)",
    },
    "cerr.imap.refused": {"fr": "{what} refusé : {detail}", "en": "{what} refused: {detail}"},
}

CATALOGUE.update(CONNECTOR_ERRORS_CATALOGUE)
