"""Generate the README's key map from the bindings: ``python -m tests.tui.keymap_doc``."""

from __future__ import annotations

from crmtui.app import MODE_TITLES, CrmApp
from crmtui.i18n import t
from crmtui.screens.keymap import bindings_of, keymap_markdown, keymap_sections


def readme_keymap() -> str:
    """The key map block of the README (English)."""
    titles = {"global": t("console.keymap.global")} | {m: t(k) for m, k in MODE_TITLES.items()}
    return keymap_markdown(keymap_sections(bindings_of(CrmApp), CrmApp.MODES, titles))


if __name__ == "__main__":
    print(readme_keymap(), end="")
