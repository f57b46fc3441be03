"""Connectors: which services are configured, and where they point."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label

from crmtui.config import Settings
from crmtui.i18n import t
from crmtui.text import literal
from crmtui.widgets.status import StatusBar


def connector_rows(settings: Settings) -> list[tuple[str, bool, str]]:
    """``(name, configured, detail)`` per connector; no secret in the detail."""
    details = {
        "copper": settings.copper_base_url,
        "mailchimp": settings.mailchimp_api_root
        + (f" · list {settings.mailchimp_list_id}" if settings.mailchimp_list_id else ""),
        "odoo": f"{settings.odoo_url} · db {settings.odoo_db}" if settings.odoo_url else "",
        "isavigne": str(settings.isavigne_export_path or ""),
        "ses": settings.ses_region,
        "smtp": f"{settings.smtp_host}:{settings.smtp_port}" if settings.smtp_host else "",
    }
    return [(name, ready, details.get(name, "")) for name, ready in settings.connectors().items()]


class ConnectorsScreen(Screen[None]):
    """One row per connector."""

    def compose(self) -> ComposeResult:
        """Status bar, title, table, footer."""
        yield StatusBar()
        yield Label(t("connectors.title"), classes="section-title")
        yield DataTable(id="connectors-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        """Fill the table from the settings."""
        table = self.query_one(DataTable)
        table.add_columns(t("col.connector"), t("col.configured"), t("col.detail"))
        settings: Settings = self.app.settings  # type: ignore[attr-defined]
        for name, ready, detail in connector_rows(settings):
            table.add_row(
                name,
                literal(t("yes") if ready else t("no"), style="green" if ready else "dim"),
                literal(detail),
                key=name,
            )
