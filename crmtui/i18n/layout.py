"""Catalogue entries of the console's sortable tables and 80-column layouts (merged by ``crmtui.i18n``)."""

from __future__ import annotations

from crmtui.i18n import CATALOGUE

CATALOGUE.update(
    {
        "layout.key.sort": {"fr": "Trier", "en": "Sort"},
        "layout.key.sort.tip": {
            "fr": "Trie par la colonne choisie avec ← → ; encore une fois : ordre inverse",
            "en": "Sorts by the column chosen with ← →; press again to reverse",
        },
        "layout.source_detail": {
            "fr": "{where} · exécutions : {runs} ({ok} réussies, {failed} en échec)",
            "en": "{where} · runs: {runs} ({ok} ok, {failed} failed)",
        },
        "layout.source_cursor": {"fr": "Curseur : {cursor}", "en": "Cursor: {cursor}"},
        # Short headers: the scenario list fits 80 columns.
        "layout.col.active": {"fr": "Actives", "en": "Active"},
        "layout.col.unknown": {"fr": "Incert.", "en": "Unknown"},
        "layout.sorted.up": {"fr": "Trié par {column}, croissant", "en": "Sorted by {column}, ascending"},
        "layout.sorted.down": {
            "fr": "Trié par {column}, décroissant",
            "en": "Sorted by {column}, descending",
        },
    }
)
