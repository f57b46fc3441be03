"""The command palette mirrors the actions: one catalogue, one code path per action.

Every entry names an ``action_*`` of the app; the palette and the key binding call the same method.
"""

from __future__ import annotations

from dataclasses import dataclass

from crmtui.i18n import t


@dataclass(frozen=True)
class PaletteEntry:
    """A palette entry: the title and help keys in the catalogue and the action it runs."""

    title_key: str
    help_key: str
    action: str

    @property
    def title(self) -> str:
        """Translated title."""
        return t(self.title_key)

    @property
    def help(self) -> str:
        """Translated help."""
        return t(self.help_key)


GLOBAL_COMMANDS: tuple[PaletteEntry, ...] = (
    PaletteEntry("key.dashboard", "cmd.dashboard.help", "show_dashboard"),
    PaletteEntry("key.connectors", "cmd.connectors.help", "show_connectors"),
    PaletteEntry("key.runs", "cmd.runs.help", "show_runs"),
    PaletteEntry("key.sources", "cmd.sources.help", "show_sources"),
    PaletteEntry("key.quality", "cmd.quality.help", "show_quality"),
    PaletteEntry("sync_ui.key.show_sync", "sync_ui.cmd.sync.help", "show_sync"),
    PaletteEntry("sync_ui.key.show_deletions", "sync_ui.cmd.deletions.help", "show_deletions"),
    PaletteEntry("sync_ui.key.show_forgotten", "sync_ui.cmd.forgotten.help", "show_forgotten"),
    PaletteEntry("key.scenarios", "scenarios.cmd.help", "show_scenarios"),
    PaletteEntry("key.customers", "cmd.customers.help", "show_customers"),
    PaletteEntry("key.reco_quality", "cmd.reco_quality.help", "show_reco_quality"),
    PaletteEntry("key.run_cycle", "cmd.run_cycle.help", "run_cycle"),
    PaletteEntry("key.refresh", "cmd.refresh.help", "refresh"),
    PaletteEntry("key.help", "cmd.help.help", "help"),
    PaletteEntry("key.quit", "cmd.quit.help", "quit"),
)
