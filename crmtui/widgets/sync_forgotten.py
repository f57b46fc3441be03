"""Forgotten emails as a table: who, since when, whether Copper is tagged, who reached them, the link.

:class:`ForgottenSource` is the list's SQL for :class:`crmtui.widgets.review_queue.ReviewQueue`;
:func:`link_text` its detail pane (the whole link under the table).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rich.text import Text

import crmtui.i18n.sync_ui  # noqa: F401  (registers the sync screens' text)
from crmtui.i18n import t
from crmtui.text import literal
from crmtui.widgets.review_queue import PlainSource, ReviewTable
from crmtui.widgets.sync_common import local_date

if TYPE_CHECKING:
    from crmtui.store import Store


def reached_text(row: Mapping[str, Any]) -> Text:
    """``2026-11-25 · marie@console`` once reached, else ``—``."""
    if not row.get("reached_at"):
        return Text("—", style="dim")
    return literal(f"{local_date(row['reached_at'])} · {row.get('reached_by') or ''}", style="green")


class ForgottenSource(PlainSource):
    """The forgotten list's SQL for :class:`crmtui.widgets.review_queue.ReviewQueue` (store.review).

    Newest first, then by email (or by name, email or date with ``S``); no filter (``needle`` is always empty here) and no selection.
    """

    ORDER = ("detected_at", "email")
    SORTS = {"name": ("name_sort", "email"), "email": ("email",), "since": ("detected_at", "email")}

    def __init__(self, store: Store) -> None:
        self.review = store.review
        super().__init__(self.review.forgotten_page, self.review.listed_forgotten)

    def summary(self) -> tuple[int, int]:
        """Unresolved addresses, and how many of them were reached."""
        return self.review.forgotten_counts()


def link_text(row: Mapping[str, Any] | None) -> Text:
    """The detail pane under the table: the full resubscribe link of the row under the cursor."""
    url = str(row.get("resubscribe_url") or "") if row is not None else ""
    text = literal(t("sync_ui.forgotten.link", url=url) if url else "")
    text.overflow = "fold"  # a URL has no spaces: fold it rather than cut it
    return text


class ForgottenTable(ReviewTable[dict[str, Any]]):
    """A window of the forgotten list; row keys are the emails."""

    def on_mount(self) -> None:
        """The columns."""
        # Fixed widths (hostile names stay in their column); the full link is under the table.
        self.add_column(t("col.name"), key="name", width=18)
        self.add_column(t("col.email"), key="email", width=30)
        self.add_column(t("col.since"), key="since", width=10)
        self.add_column(t("sync_ui.col.tagged"), key="tagged", width=10)
        self.add_column(t("sync_ui.col.reached"), key="reached", width=24)
        self.add_column(t("sync_ui.col.link"), key="link", width=60)

    def cells(self, row: dict[str, Any]) -> Sequence[Text]:
        """Name, email, since, tagged in Copper, reached, the link."""
        url = str(row.get("resubscribe_url") or "")
        return (
            literal(row.get("name") or ""),
            literal(str(row["email"])),
            Text(local_date(row.get("detected_at"))),
            Text("✔", style="green") if row.get("copper_tagged") else Text("—", style="dim"),
            reached_text(row),
            literal(url) if url else Text(t("sync_ui.forgotten.no_link"), style="dim"),
        )
