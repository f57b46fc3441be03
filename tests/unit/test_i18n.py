"""The catalogue: both languages for every key, and placeholders that match."""

from __future__ import annotations

import string

from crmtui.i18n import CATALOGUE, LANGUAGES


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_has_every_language_with_the_same_placeholders() -> None:
    for key, entry in CATALOGUE.items():
        assert set(entry) == set(LANGUAGES), key
        assert _fields(entry["fr"]) == _fields(entry["en"]), key


def test_importing_the_catalogue_loads_every_module_of_the_package() -> None:
    """In a fresh interpreter ``import crmtui.i18n`` alone merges every area's module, so the test above
    sees every key whatever ran before it (``replies`` was missing from a hand-kept list)."""
    import subprocess
    import sys
    from pathlib import Path

    import crmtui.i18n

    folder = Path(crmtui.i18n.__file__).parent
    expected = sorted(p.stem for p in folder.glob("*.py") if p.stem != "__init__")
    code = (
        "import sys, crmtui.i18n\n"
        "print(' '.join(sorted(m.rpartition('.')[2] for m in sys.modules if m.startswith('crmtui.i18n.'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.split() == expected


# Words the issue (#15) found odd in the French console: plain ones are "base locale", "sauvegardes".
ODD_FRENCH = ("magasin", "pierre tombale", "pierres tombales")


def test_french_uses_plain_words() -> None:
    found = {
        key: word for key, entry in CATALOGUE.items() for word in ODD_FRENCH if word in entry["fr"].lower()
    }
    assert not found
