"""Connectors: which services are configured, their last check, calls used, and a key to test them."""

from __future__ import annotations

import asyncio
from datetime import datetime

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Label, Static

from crmtui.config import Settings
from crmtui.engine.connectivity import CONNECTORS, Verdict, check_connectors
from crmtui.i18n import t
from crmtui.screens.mode_screen import ModeScreen
from crmtui.screens.workers import deliver_changed
from crmtui.text import literal, literal_block
from crmtui.widgets.footer import Footer
from crmtui.widgets.status import StatusBar


def connector_rows(settings: Settings) -> list[tuple[str, bool, str]]:
    """``(name, configured, detail)`` per connector; no secret in the detail."""
    list_part = f" · list {settings.mailchimp_list_id}" if settings.mailchimp_list_id else ""
    details = {
        "copper": settings.copper_base_url,
        "mailchimp": settings.mailchimp_api_root + list_part,
        "odoo": f"{settings.odoo_url} · db {settings.odoo_db}" if settings.odoo_url else "",
        "isavigne": str(settings.isavigne_export_path or ""),
        "ses": settings.ses_region,
        "smtp": f"{settings.smtp_host}:{settings.smtp_port}" if settings.smtp_host else "",
        "imap": f"{settings.imap_host}:{settings.imap_port} · {settings.imap_folder}"
        if settings.imap_host
        else "",
    }
    return [(name, ready, details.get(name, "")) for name, ready in settings.connectors().items()]


def calls_by_service(summary: dict[str, object]) -> dict[str, int]:
    """Calls of the last sync run per service, from the run summary."""
    sync = summary.get("sync")
    calls = sync.get("calls", {}) if isinstance(sync, dict) else {}
    out: dict[str, int] = {}
    for key, value in calls.items() if isinstance(calls, dict) else ():
        service = str(key).split(" ", 1)[0]
        out[service] = out.get(service, 0) + int(value)
    return out


def verdict_text(name: str, verdict: Verdict | None, detail: str) -> str:
    """The detail pane's plain text for one connector: its full verdict and the fix."""
    if verdict is None:
        return f"{name} · {t('connectors.untested')}" + (f"\n{detail}" if detail else "")
    mark = "✔" if verdict.ok else "✘"
    text = f"{mark} {name} · {verdict.message}"
    if verdict.hint and not verdict.ok:
        text += f"\n→ {verdict.hint}"
    return text


class ConnectorsScreen(ModeScreen):
    """One row per connector; ``t`` tests them all in the background.

    The table is narrow at 80 columns, so the highlighted connector's whole verdict and its fix
    are in a pane under it (wrapped, never cut).
    """

    DEFAULT_CSS = """
    ConnectorsScreen #connectors-table { height: 1fr; }
    ConnectorsScreen #connector-verdict {
        height: auto; max-height: 7; padding: 0 1; border-top: solid $accent;
    }
    """

    BINDINGS = [Binding("t", "test_connectors", t("key.test"), id="connectors.test")]

    _focus = ""

    def compose(self) -> ComposeResult:
        """Status bar, title, table, footer."""
        yield StatusBar()
        yield Label(t("connectors.title"), classes="section-title")
        yield DataTable(id="connectors-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="connector-verdict")
        yield Footer()

    def on_mount(self) -> None:
        """Columns, then the rows."""
        table = self.query_one(DataTable)
        table.add_columns(
            t("col.connector"),
            t("col.configured"),
            t("col.status"),
            t("col.checked"),
            t("col.calls"),
            t("col.detail"),
        )
        self.reload()

    def on_screen_resume(self) -> None:
        """Re-read when shown again."""
        self.reload()

    @work(
        thread=True, exclusive=True, group="connectors:load", exit_on_error=False, description="Reading runs"
    )
    def reload(self) -> None:
        """Read the last run's call counts (SQLite, in a thread) and redraw."""
        runs = self.app.store.runs.recent(20)  # type: ignore[attr-defined]
        calls: dict[str, int] = {}
        for run in runs:
            calls = calls_by_service(run.summary)
            if calls:
                break
        deliver_changed(self.app, self.show_rows, calls, dict(self.app.connector_checks))  # type: ignore[attr-defined]

    def show_rows(self, calls: dict[str, int], checks: dict[str, tuple[Verdict, str]] | None = None) -> None:
        """Fill the table from the settings, the last checks and the call counts."""
        settings: Settings = self.app.settings  # type: ignore[attr-defined]
        if checks is None:
            checks = self.app.connector_checks  # type: ignore[attr-defined]
        table = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear()
        for name, ready, detail in connector_rows(settings):
            verdict, when = checks.get(name, (None, ""))
            status = literal(t("connectors.untested"), style="dim")
            if verdict is not None:
                status = literal(verdict.message, style="green" if verdict.ok else "red")
            table.add_row(
                name,
                literal(t("yes") if ready else t("no"), style="green" if ready else "dim"),
                status,
                when,
                str(calls.get(name, "")),
                literal(detail),
                key=name,
            )
        focus, self._focus = self._focus, ""
        names = [name for name, _ready, _detail in connector_rows(settings)]
        table.move_cursor(row=names.index(focus) if focus in names else min(keep, len(names) - 1))
        self._show_verdict()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Show the highlighted connector's verdict and fix in the pane."""
        self._show_verdict()

    def _show_verdict(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return
        settings: Settings = self.app.settings  # type: ignore[attr-defined]
        checks: dict[str, tuple[Verdict, str]] = self.app.connector_checks  # type: ignore[attr-defined]
        rows = {name: detail for name, _ready, detail in connector_rows(settings)}
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or ""
        verdict = checks.get(key, (None, ""))[0]
        pane = self.query_one("#connector-verdict", Static)
        style = "dim" if verdict is None else ("green" if verdict.ok else "red")
        pane.update(literal_block(verdict_text(key, verdict, rows.get(key, "")), style=style))

    def action_test_connectors(self) -> None:
        """Test every configured connector in the background."""
        self.notify(t("connectors.testing"))
        self.run_checks()

    @work(
        thread=True,
        exclusive=True,
        group="connectors:test",
        exit_on_error=False,
        description="Testing connectors",
    )
    def run_checks(self) -> None:
        """Run the checks in their own event loop; the screen stays live."""
        settings: Settings = self.app.settings  # type: ignore[attr-defined]
        verdicts = asyncio.run(check_connectors(settings, CONNECTORS))
        when = datetime.now().strftime("%H:%M:%S")
        for verdict in verdicts:
            self.app.connector_checks[verdict.name] = (verdict, when)  # type: ignore[attr-defined]
        failed = [v.name for v in verdicts if not v.ok and v.configured]
        self._focus = failed[0] if failed else ""  # the first failure's fix shows in the pane
        self.app.call_from_thread(self.reload)
