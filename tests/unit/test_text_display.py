"""What the console shows is measured as terminals draw it (issue #15: the 🗑️ emoji with its
variation selector left stale characters and text past the border)."""

from __future__ import annotations

from rich.cells import cell_len

from crmtui.text import literal, printable


def test_the_deletion_tag_is_measured_as_terminals_draw_it() -> None:
    shown = literal("🗑️ À SUPPRIMER")
    assert "\ufe0f" not in shown.plain
    assert cell_len(shown.plain) == cell_len("🗑 À SUPPRIMER") == 13


def test_emoji_wide_by_default_stay_wide() -> None:
    assert cell_len(literal("📥\ufe0f INACTIF").plain) == cell_len("📥 INACTIF") == 10


def test_reports_and_logs_keep_the_exact_text() -> None:
    assert printable("🗑️ À SUPPRIMER") == "🗑️ À SUPPRIMER"
