"""User-facing text of the shared API budgets and 429 waits (French and English).

``t("budget.…")`` works anywhere after ``import crmtui.i18n``.
"""

from __future__ import annotations

from crmtui.i18n import CATALOGUE

BUDGET_CATALOGUE: dict[str, dict[str, str]] = {
    "budget.wait.window": {
        "fr": "{service} : limite de {limit} appels/{per} atteinte, reprise dans {seconds} s",
        "en": "{service}: the {limit} calls/{per} limit was reached, resuming in {seconds} s",
    },
    "budget.wait.retry_after": {
        "fr": "{service} : trop de requêtes (HTTP 429), le service demande d'attendre ; reprise dans {seconds} s",
        "en": "{service}: too many requests (HTTP 429), the service asks us to wait; resuming in {seconds} s",
    },
    "budget.wait.backoff": {
        "fr": "{service} : trop de requêtes (HTTP 429) ; nouvel essai dans {seconds} s",
        "en": "{service}: too many requests (HTTP 429); trying again in {seconds} s",
    },
    "budget.past_deadline": {
        "fr": "{service} : limite d'appels atteinte ; attendre {seconds} s dépasserait la durée "
        "allouée à cette exécution",
        "en": "{service}: request limit reached; waiting {seconds} s would run past this run's time limit",
    },
    "budget.past_deadline.fix": {
        "fr": "rien n'est perdu : la prochaine exécution reprend où celle-ci s'est arrêtée",
        "en": "nothing is lost: the next run resumes where this one stopped",
    },
    "budget.refused.fix": {
        "fr": "un autre programme utilise peut-être le même compte ; rien n'est perdu, la prochaine "
        "exécution reprend",
        "en": "another program may be using the same account; nothing is lost, the next run resumes",
    },
}

CATALOGUE.update(BUDGET_CATALOGUE)
