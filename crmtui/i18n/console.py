"""Catalogue entries of the console's key map, confirmations and navigation (merged by ``crmtui.i18n``)."""

from __future__ import annotations

from crmtui.i18n import CATALOGUE

CATALOGUE.update(
    {
        # The letter that answers "yes" in a confirmation: "o" (oui) in French, "y" in English.
        "console.confirm.yes_key": {"fr": "o", "en": "y"},
        "console.confirm.yes_hint": {"fr": "Oui (o)", "en": "Yes (y)"},
        "console.confirm.no_hint": {"fr": "Non (n, Échap)", "en": "No (n, Esc)"},
        "console.key.help_q": {"fr": "Aide", "en": "Help"},
        "console.key.back": {"fr": "Retour", "en": "Back"},
        "console.keymap.title": {"fr": "Touches", "en": "Keys"},
        "console.keymap.global": {"fr": "Partout", "en": "Everywhere"},
        "console.keymap.screen": {"fr": "Cet écran : {name}", "en": "This screen: {name}"},
        "console.palette.placeholder": {"fr": "Chercher une commande…", "en": "Search for commands…"},
        "console.keymap.key": {"fr": "Touche", "en": "Key"},
        "console.keymap.action": {"fr": "Action", "en": "Action"},
        "console.quit.title": {
            "fr": "Un cycle est en cours. Quitter quand même ?",
            "en": "A cycle is running. Quit anyway?",
        },
        "console.quit.body": {
            "fr": "Le cycle s'arrête ; ce qui n'a pas été fait reprend au prochain lancement, sans doublon.",
            "en": "The cycle stops; what was not done resumes at the next run, without duplicates.",
        },
        "console.scenarios.key.resolve_sent": {
            "fr": "Envoi incertain : envoyé…",
            "en": "Uncertain send: sent…",
        },
        "console.scenarios.key.resolve_not_sent": {
            "fr": "Envoi incertain : non envoyé…",
            "en": "Uncertain send: not sent…",
        },
        "console.scenarios.resolve.sent.title": {
            "fr": "Marquer l'envoi {key} comme envoyé ?",
            "en": "Mark send {key} as sent?",
        },
        "console.scenarios.resolve.not_sent.title": {
            "fr": "Marquer l'envoi {key} comme NON envoyé ?",
            "en": "Mark send {key} as NOT sent?",
        },
        "console.scenarios.resolve.sent.body": {
            "fr": "Le contact {contact} ne recevra pas cet e-mail une seconde fois. Décision enregistrée.",
            "en": "Contact {contact} will not get this email again. The decision is recorded.",
        },
        "console.scenarios.resolve.not_sent.body": {
            "fr": (
                "Le contact {contact} pourra recevoir cet e-mail à nouveau au prochain envoi. "
                "Ne choisissez ceci que si vous êtes sûr qu'il n'est pas parti. Décision enregistrée."
            ),
            "en": (
                "Contact {contact} may get this email again at the next send. Choose this only "
                "when you are sure it did not go out. The decision is recorded."
            ),
        },
        "console.scenarios.reset.title": {
            "fr": "Effacer les envois de test du scénario « {name} » ?",
            "en": "Clear the test sends of scenario “{name}”?",
        },
        "console.scenarios.reset.body": {
            "fr": "Les séquences de test sont supprimées pour que le test puisse être relancé.",
            "en": "The test sequences are removed so the test can run again.",
        },
        "console.scenarios.reset.done": {
            "fr": "{n} séquence(s) de test effacée(s).",
            "en": "{n} test sequence(s) cleared.",
        },
        "console.scenarios.stop.body": {
            "fr": "Ses séquences en cours s'arrêtent ; aucun autre e-mail ne part pour ce scénario.",
            "en": "Its running sequences stop; no further email goes out for this scenario.",
        },
        "console.sort": {"fr": "Trier", "en": "Sort"},
        "console.col.key": {"fr": "clé", "en": "key"},
        "console.col.scenario": {"fr": "scénario", "en": "scenario"},
        "console.col.contact": {"fr": "contact", "en": "contact"},
        "console.col.error": {"fr": "erreur", "en": "error"},
    }
)
