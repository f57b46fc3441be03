"""Forgotten emails as a table: who, since when, whether Copper is tagged, who reached them, the link."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.text import Text

import crmtui.i18n.sync_ui  # noqa: F401  (registers the sync screens' text)
from crmtui.i18n import t
from crmtui.text import literal
from crmtui.widgets.paged_table import WindowTable
from crmtui.widgets.sync_common import local_date


def reached_text(row: Mapping[str, Any]) -> Text:
    """``2026-11-25 · marie@console`` once reached, else ``—``."""
    if not row.get("reached_at"):
        return Text("—", style="dim")
    return literal(f"{local_date(row['reached_at'])} · {row.get('reached_by') or ''}", style="green")


class ForgottenTable(WindowTable):
    """A window of the forgotten list (:class:`crmtui.widgets.paged_table.WindowTable`); row keys are the emails."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.links: dict[str, str] = {}
        """Resubscribe link per email, for the rows shown."""

    def on_mount(self) -> None:
        """The columns."""
        # Fixed widths (hostile names stay in their column); the full link is under the table.
        self.add_column(t("col.name"), key="name", width=18)
        self.add_column(t("col.email"), key="email", width=30)
        self.add_column(t("col.since"), key="since", width=10)
        self.add_column(t("sync_ui.col.tagged"), key="tagged", width=10)
        self.add_column(t("sync_ui.col.reached"), key="reached", width=24)
        self.add_column(t("sync_ui.col.link"), key="link", width=60)

    def show(
        self,
        rows: Sequence[Mapping[str, Any]],
        *,
        cursor: int = 0,
        at_start: bool = True,
        at_end: bool = True,
    ) -> None:
        """Fill the table with a window of the list and put the cursor on row ``cursor``, at the same height
        on screen as before."""
        self.at_start, self.at_end = at_start, at_end
        screen_row = self.screen_row() if self.row_count else None
        self.clear()
        self.links = {}
        for row in rows:
            email = str(row["email"])
            url = str(row.get("resubscribe_url") or "")
            self.links[email] = url
            self.add_row(
                literal(row.get("name") or ""),
                literal(email),
                Text(local_date(row.get("detected_at"))),
                Text("✔", style="green") if row.get("copper_tagged") else Text("—", style="dim"),
                reached_text(row),
                literal(url) if url else Text(t("sync_ui.forgotten.no_link"), style="dim"),
                key=email,
            )
        self.place_cursor(cursor, screen_row)
