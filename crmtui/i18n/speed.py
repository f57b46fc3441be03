"""User-facing text of the console's loading placeholders and background actions (French and English).

``t("load.…")`` works anywhere after ``import crmtui.i18n``.
"""

from __future__ import annotations

from crmtui.i18n import CATALOGUE

SPEED_CATALOGUE: dict[str, dict[str, str]] = {
    "load.placeholder": {"fr": "Chargement…", "en": "Loading…"},
    "load.working": {"fr": "{name} : en cours…", "en": "{name}: working…"},
    "load.more": {"fr": "… (suite en descendant)", "en": "… (more below)"},
}

CATALOGUE.update(SPEED_CATALOGUE)
