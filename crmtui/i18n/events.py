"""User-facing text of ``crmtui serve`` and the events processor (French and English).

``t("events.…")``, ``t("unsub.…")`` and ``t("serve.…")`` work anywhere after
``import crmtui.i18n.events``.
"""

from __future__ import annotations

from crmtui.i18n import CATALOGUE

EVENTS_CATALOGUE: dict[str, dict[str, str]] = {
    # -- the events processor ------------------------------------------------------------------
    "events.paused_complaints": {
        "fr": "Mis en pause : taux de plaintes {rate} ({complaints} sur les {sends} derniers envois), "
        "au-dessus de la limite de {limit}. Vérifiez l'audience et le contenu avant de reprendre.",
        "en": "Paused: complaint rate {rate} ({complaints} in the last {sends} sends), above the {limit} "
        "limit. Check the audience and the content before resuming.",
    },
    # -- the unsubscribe page -------------------------------------------------------------------
    "unsub.title": {"fr": "Désinscription", "en": "Unsubscribe"},
    "unsub.question": {
        "fr": "Ne plus recevoir nos e-mails à l'adresse {email} ?",
        "en": "Stop receiving our emails at {email}?",
    },
    "unsub.button": {"fr": "Me désinscrire", "en": "Unsubscribe me"},
    "unsub.done": {
        "fr": "C'est fait : {email} ne recevra plus nos e-mails.",
        "en": "Done: {email} will no longer receive our emails.",
    },
    "unsub.invalid": {
        "fr": "Ce lien de désinscription n'est pas valide.",
        "en": "This unsubscribe link is not valid.",
    },
    "unsub.other_language": {"fr": "English", "en": "Français"},
    # -- crmtui serve ---------------------------------------------------------------------------
    "serve.listening": {
        "fr": "crmtui serve écoute sur http://{host}:{port} (adresse publique : {public})",
        "en": "crmtui serve listening on http://{host}:{port} (public address: {public})",
    },
    "serve.no_secret": {
        "fr": "CRMTUI_TRACKING_SECRET manque ou fait moins de 16 caractères : impossible de signer les liens.",
        "en": "CRMTUI_TRACKING_SECRET is missing or shorter than 16 characters: links cannot be signed.",
    },
    "serve.no_secret.fix": {
        "fr": "ajoutez CRMTUI_TRACKING_SECRET=$(openssl rand -hex 32) au fichier .env",
        "en": "add CRMTUI_TRACKING_SECRET=$(openssl rand -hex 32) to the .env file",
    },
    "serve.urls": {
        "fr": "Adresses à déclarer :\n  Mailchimp : {mailchimp}\n  Copper : {copper} (champ secret : {field})\n"
        "  SNS (SES) : {sns}",
        "en": "URLs to register:\n  Mailchimp: {mailchimp}\n  Copper: {copper} (secret field: {field})\n"
        "  SNS (SES): {sns}",
    },
    "serve.no_topics": {
        "fr": "Aucun sujet SNS autorisé (--sns-topic ou CRMTUI_SNS_TOPICS) : les événements SES seront refusés.",
        "en": "No allowed SNS topic (--sns-topic or CRMTUI_SNS_TOPICS): SES events will be refused.",
    },
}

CATALOGUE.update(EVENTS_CATALOGUE)
