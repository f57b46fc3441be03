"""User-facing text of the scenario sender (account-level refusals, TEST mode), in French and English.

Importing this module merges :data:`SENDING_CATALOGUE` into :data:`crmtui.i18n.CATALOGUE`.
Each ``sending.account.*`` notice says what the provider refused and how to fix it; the tick
appends ``sending.account.stopped`` (what happened to the batch).
"""

from __future__ import annotations

from crmtui.i18n import CATALOGUE

SENDING_CATALOGUE: dict[str, dict[str, str]] = {
    "sending.account.unverified_sender": {
        "fr": "{service} refuse l'expéditeur : son adresse n'est pas vérifiée ({detail}). Correctif : "
        "vérifiez l'adresse ou le domaine d'EMAIL_FROM dans la console SES (Identités), ou mettez dans "
        "EMAIL_FROM une identité vérifiée.",
        "en": "{service} refuses the sender: its address is not verified ({detail}). Fix: verify "
        "EMAIL_FROM's address or domain in the SES console (Identities), or set EMAIL_FROM to a "
        "verified identity.",
    },
    "sending.account.mail_from_unverified": {
        "fr": "{service} refuse l'envoi : le domaine MAIL FROM personnalisé n'est pas vérifié ({detail}). "
        "Correctif : vérifiez ses enregistrements MX et SPF dans la console SES.",
        "en": "{service} refuses to send: the custom MAIL FROM domain is not verified ({detail}). Fix: "
        "check its MX and SPF records in the SES console.",
    },
    "sending.account.sending_paused": {
        "fr": "{service} : l'envoi est suspendu pour ce compte ({detail}). Correctif : traitez l'examen "
        "en cours dans la console SES (tableau de bord du compte, réputation), puis réactivez l'envoi.",
        "en": "{service}: sending is paused for this account ({detail}). Fix: resolve the review in the "
        "SES console (account dashboard, reputation), then enable sending again.",
    },
    "sending.account.account_suspended": {
        "fr": "{service} : la capacité d'envoi de ce compte est restreinte définitivement ({detail}). "
        "Correctif : contactez le support AWS.",
        "en": "{service}: this account's ability to send is permanently restricted ({detail}). Fix: "
        "contact AWS Support.",
    },
    "sending.account.limit": {
        "fr": "{service} : une limite du compte est dépassée ({detail}). Correctif : vérifiez les "
        "limites du compte dans la console SES, puis relancez.",
        "en": "{service}: an account limit is exceeded ({detail}). Fix: check the account's limits in "
        "the SES console, then run again.",
    },
    "sending.account.not_found": {
        "fr": "{service} : le jeu de configuration n'existe pas ({detail}). Correctif : créez-le dans SES "
        "ou corrigez SES_CONFIGURATION_SET.",
        "en": "{service}: the configuration set does not exist ({detail}). Fix: create it in SES or "
        "correct SES_CONFIGURATION_SET.",
    },
    "sending.account.auth": {
        "fr": "{service} refuse les identifiants ({detail}). Correctif : vérifiez SES_ACCESS_KEY_ID / "
        "SES_SECRET_ACCESS_KEY (ou SMTP_USER / SMTP_PASSWORD).",
        "en": "{service} refuses the credentials ({detail}). Fix: check SES_ACCESS_KEY_ID / "
        "SES_SECRET_ACCESS_KEY (or SMTP_USER / SMTP_PASSWORD).",
    },
    "sending.account.relay_denied": {
        "fr": "{service} refuse de relayer pour ce compte ({detail}). Correctif : renseignez SMTP_USER / "
        "SMTP_PASSWORD, ou autorisez cet expéditeur sur le relais.",
        "en": "{service} refuses to relay for this account ({detail}). Fix: set SMTP_USER / "
        "SMTP_PASSWORD, or allow this sender on the relay.",
    },
    "sending.account.sender_refused": {
        "fr": "{service} refuse l'expéditeur ({detail}). Correctif : mettez dans EMAIL_FROM une adresse "
        "que le relais accepte.",
        "en": "{service} refuses the sender ({detail}). Fix: set EMAIL_FROM to an address the relay accepts.",
    },
    "sending.account.quota": {
        "fr": "{service} : le quota d'envoi quotidien est épuisé ({detail}). Correctif : attendez sa "
        "remise à zéro (les envois partiront alors) ou demandez un quota plus élevé à AWS.",
        "en": "{service}: the daily sending quota is used up ({detail}). Fix: wait for it to reset (the "
        "sends then go out) or ask AWS for a higher quota.",
    },
    "sending.account.unreachable": {
        "fr": "{service} injoignable ({detail}). Correctif : vérifiez l'hôte, le port et le réseau.",
        "en": "{service} cannot be reached ({detail}). Fix: check the host, the port and the network.",
    },
    "sending.account.refused": {
        "fr": "{service} refuse l'envoi ({detail}). Correctif : corrigez le compte ou le réglage en "
        "cause, puis relancez.",
        "en": "{service} refuses to send ({detail}). Fix: correct the account or the setting at fault, "
        "then run again.",
    },
    "sending.account.stopped": {
        "fr": "Envoi arrêté pour ce passage : rien d'autre n'a été réclamé, aucun destinataire n'est "
        "marqué en échec, les envois restent dus.",
        "en": "Sending stopped for this tick: nothing else was claimed, no recipient was marked "
        "failed, the sends stay due.",
    },
    "sending.no_sender": {
        "fr": "scénario « {scenario} » : l'expéditeur « {sender} » n'est pas configuré (SES_* ou "
        "SMTP_HOST) ; rien n'a été envoyé",
        "en": "scenario “{scenario}”: sender “{sender}” is not configured (SES_* or SMTP_HOST); "
        "nothing was sent",
    },
    "scenarios.tick.held_back": {
        "fr": "{n} retenu(s) (mode TEST : seules les adresses contenant « {filter} » reçoivent)",
        "en": "{n} held back (TEST mode: only addresses containing “{filter}” are emailed)",
    },
}
"""The sender's notices, fr + en with the same placeholders."""

CATALOGUE.update(SENDING_CATALOGUE)
