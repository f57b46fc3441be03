"""`ls crmtui` shows the design (#17): packages for the layers, and at the root only shared modules.

Every module left at the package root says in its docstring that every layer shares it; anything
else belongs in a layer's package (a new command in ``cli/``, a catalogue area in ``i18n/``).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "crmtui"

PACKAGES = {
    "cli",
    "connectors",
    "endpoints",
    "engine",
    "i18n",
    "records",
    "sandbox",
    "screens",
    "store",
    "widgets",
}
ENTRY_MODULES = {"__init__", "__main__", "app", "config"}


def test_the_top_level_is_the_layers() -> None:
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file()}
    assert packages == PACKAGES
    assert (ROOT / "crmtui.tcss").is_file()


def test_root_modules_are_shared_and_say_so() -> None:
    for path in sorted(ROOT.glob("*.py")):
        if path.stem in ENTRY_MODULES:
            continue
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        assert "Shared by every layer" in doc, (
            f"{path.name}: move it into a layer's package, or say why it is shared"
        )


def test_no_catalogue_or_command_module_left_at_the_root() -> None:
    loose = [
        p.name for p in ROOT.glob("*.py") if p.stem.startswith(("i18n", "commands", "headless", "server"))
    ]
    assert loose == []
