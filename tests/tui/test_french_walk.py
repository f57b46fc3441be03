"""Complete French (issue #15): every screen of a French console, after a real sandbox cycle, and the
headless output, read without one English word from a stop list.

The walk runs in its own process (``tests/tui/french_walk.py``): bindings and titles are translated
when their classes are created, so the language must be French before the console is imported,
as ``crmtui`` itself does it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

# Words an operator would see if a string escaped the catalogue. Case-sensitive where French
# shares the lower-case word ("mode", "type", "table", "segment", "contact", "source"...).
STOP_WORDS = (
    "Quit", "Help", "Back", "Search", "Commands", "Dashboard", "Connectors", "Customers", "Scenarios",
    "Runs", "Started", "Kind", "Duration", "Summary", "Status", "Recompute", "Mark bad", "Open", "Close",
    "Cancel", "Delete", "Archive", "Ignore", "Undo", "Apply", "Filter", "Export", "Settings", "Report",
    "Yes", "No", "Name", "Email", "Since", "Decision", "Count", "Check", "Examples", "Coverage",
    "failed", "skipped", "pending", "forgotten", "entry", "errors", "error", "not tested", "unknown",
    "sent", "opened", "clicked", "waiting", "the", "and", "with", "none", "At risk", "Inactive",
    "customers", "sales", "products", "Reading", "Loading", "operations", "run", "runs",
)  # fmt: skip
_PATTERN = re.compile(r"(?<![\w@./-])(" + "|".join(re.escape(w) for w in STOP_WORDS) + r")(?![\w@.-])")


def english_words(text: str) -> list[str]:
    """Stop-list words found in ``text`` (URLs, paths and addresses are not words)."""
    cleaned = re.sub(r"\S*[/@]\S*", " ", text)  # paths, URLs, emails
    return sorted({m.group(1) for m in _PATTERN.finditer(cleaned)})


def test_every_screen_reads_in_french(tmp_path: Path) -> None:
    env = {**os.environ, "CRMTUI_LANG": "fr"}
    result = subprocess.run(
        [sys.executable, "-m", "tests.tui.french_walk", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 0, result.stderr[-3000:]
    screens = result.stdout.split("=== ")[1:]
    assert len(screens) >= 12, "every console screen was walked"
    found = {}
    for block in screens:
        name, _, text = block.partition("\n")
        words = english_words(text)
        if words:
            found[name] = words
    assert not found, f"English words on French screens: {found}"


def test_headless_output_reads_in_french(tmp_path: Path) -> None:
    env = {**os.environ, "CRMTUI_LANG": "fr", "CRMTUI_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "crmtui", "--sandbox", "--headless"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        cwd=tmp_path,
    )
    assert result.returncode in (0, 1), result.stderr[-3000:]
    assert not english_words(result.stdout + result.stderr), result.stdout + result.stderr


def test_the_stop_list_catches_english() -> None:
    assert english_words("0 failed, 1 skipped") == ["failed", "skipped"]
    assert english_words("Quitter · Aide · bernard.elodie@exemple.fr · /tmp/run/x") == []
