"""User-facing text of "mark bad"'s explained scope and of the undo keys (French and English).

``t("undo.…")`` works anywhere after ``import crmtui.i18n``.
"""

from __future__ import annotations

from crmtui.i18n import CATALOGUE

UNDO_CATALOGUE: dict[str, dict[str, str]] = {
    "undo.key": {"fr": "Annuler le dernier", "en": "Undo last"},
    "undo.scope": {
        "fr": "Ceci baisse le poids de la règle « {rule} » pour le segment « {segment} » et la catégorie "
        "« {category} » ({before} → {after}) : cela touche les recommandations de {customers} client(s) "
        "de ce segment, dont {shown} qui ont en ce moment une recommandation de cette règle.",
        "en": "This lowers rule “{rule}”'s weight for segment “{segment}” and category “{category}” "
        "({before} → {after}): it affects the recommendations of {customers} customer(s) of this segment, "
        "{shown} of whom are currently recommended something by this rule.",
    },
    "undo.scope.undo_hint": {
        "fr": "« u » annule ensuite la dernière marque.",
        "en": "“u” undoes the last mark afterwards.",
    },
    "undo.no_segment": {"fr": "(sans segment)", "en": "(no segment)"},
    "undo.no_category": {"fr": "(sans catégorie)", "en": "(no category)"},
    "undo.mark.done": {
        "fr": "Marque annulée : « {product} » peut revenir pour {customer} ; poids de « {rule} » : {before} → {after}",
        "en": "Mark undone: “{product}” may come back for {customer}; weight of “{rule}”: {before} → {after}",
    },
    "undo.mark.gone": {
        "fr": "Rien à annuler : cette marque n'existe plus.",
        "en": "Nothing to undo: that mark is no longer there.",
    },
    "undo.reached.done": {
        "fr": "{email} n'est plus marqué comme contacté.",
        "en": "{email} is no longer marked as reached.",
    },
    "undo.reached.gone": {
        "fr": "Rien à annuler : {email} n'est plus marqué comme contacté.",
        "en": "Nothing to undo: {email} is not marked as reached any more.",
    },
}

CATALOGUE.update(UNDO_CATALOGUE)
