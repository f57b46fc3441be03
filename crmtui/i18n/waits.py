"""User-facing text of visible rate-limit waits and of cancelled runs (French and English).

``t("wait.…")`` works anywhere after ``import crmtui.i18n``.
"""

from __future__ import annotations

from crmtui.i18n import CATALOGUE

WAITS_CATALOGUE: dict[str, dict[str, str]] = {
    "wait.limit": {
        "fr": "attente de la limite de {service} ({limit}) : reprise dans {seconds} s",
        "en": "waiting for {service}'s limit ({limit}): resuming in {seconds} s",
    },
    "wait.plain": {
        "fr": "attente de {service} : reprise dans {seconds} s",
        "en": "waiting for {service}: resuming in {seconds} s",
    },
    "wait.cancelled": {
        "fr": "{service} : annulé pendant l'attente ; la requête n'a pas été envoyée",
        "en": "{service}: cancelled while waiting; the request was not sent",
    },
    "wait.stopped_at": {"fr": "arrêté à {done}", "en": "stopped at {done}"},
    "wait.stopped_read": {
        "fr": "annulé pendant la lecture ; rien n'a été planifié ni écrit",
        "en": "cancelled during the read; nothing was planned or written",
    },
}

CATALOGUE.update(WAITS_CATALOGUE)
