"""Every console screen at 80x24 and 120x40 in English (the cases: :mod:`tests.tui.snapshot_screens`)."""

from __future__ import annotations

from tests.tui.snapshot_screens import (
    _language_and_clock,
    app,
    test_every_footer_fits_80_columns,
    test_every_screen,
)

__all__ = ["_language_and_clock", "app", "test_every_footer_fits_80_columns", "test_every_screen"]
