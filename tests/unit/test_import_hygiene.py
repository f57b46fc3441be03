"""Engine, connectors, store and headless never import Textual (checked in a fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

MODULES = [
    "crmtui.engine.cycle",
    "crmtui.engine.events",
    "crmtui.connectors.http",
    "crmtui.connectors.errors",
    "crmtui.store",
    "crmtui.cli.headless",
    "crmtui.cli.entry",
    "crmtui.config",
]


def test_no_textual_below_the_ui() -> None:
    code = (
        "import importlib, sys\n"
        f"for m in {MODULES!r}: importlib.import_module(m)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_import_linter_contract_passes() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([str(lint)], capture_output=True, text=True, timeout=120, cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
