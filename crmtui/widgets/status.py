"""The status bar at the top of every screen: sandbox banner and sync mode."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Label

from crmtui.i18n import t


class StatusBar(Widget):
    """Shows the sandbox banner (when in sandbox) and the sync mode, always visible."""

    DEFAULT_CSS = """
    StatusBar { height: auto; dock: top; }
    StatusBar > #sandbox-banner { width: 100%; background: $warning; color: $text; text-style: bold; padding: 0 1; }
    StatusBar > #mode-line { width: 100%; background: $primary-background; padding: 0 1; }
    StatusBar > #mode-line.-production { background: $error; color: $text; text-style: bold; }
    """

    def compose(self) -> ComposeResult:
        """Banner and mode line."""
        settings = self.app.settings  # type: ignore[attr-defined]
        if settings.sandbox:
            yield Label(f"⚠ {t('app.sandbox_banner')}", id="sandbox-banner", markup=False)
        mode = t(f"app.mode.{settings.sync_mode}", filter=settings.test_email_filter)
        line = Label(f"crmtui · {t('app.mode', mode=mode)}", id="mode-line", markup=False)
        line.set_class(settings.sync_mode == "production", "-production")
        yield line
