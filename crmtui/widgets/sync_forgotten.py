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
from crmtui.text import literal, literal_cell
from crmtui.widgets.review_queue import PlainSource, ReviewTable
from crmtui.widgets.sync_common import local_date

if TYPE_CHECKING:
    from crmtui.store import Store


def reached_text(row: Mapping[str, Any]) -> Text:
    """``2026-11-25`` once reached (who did is in the detail pane), else ``—``."""
    if not row.get("reached_at"):
        return literal_cell("—", style="dim")
    return literal_cell(local_date(row["reached_at"]), style="green")


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
    """The detail pane under the table: whatever its cells cut for the row under the cursor.

    Who (name and email), who reached them and when, then the full resubscribe link.
    """
    if row is None:
        return Text("")
    who = t("sync_ui.forgotten.who", name=row.get("name") or "—", email=row["email"])
    if row.get("reached_at"):
        reached = t(
            "sync_ui.forgotten.reached_on",
            date=local_date(row["reached_at"]),
            who=row.get("reached_by") or "—",
        )
        who = f"{who} · {reached}"
    url = str(row.get("resubscribe_url") or "")
    text = literal(who)
    text.append("\n")
    text.append_text(literal(t("sync_ui.forgotten.link", url=url) if url else t("sync_ui.forgotten.no_link")))
    text.overflow = "fold"  # a URL has no spaces: fold it rather than cut it
    return text


class ForgottenTable(ReviewTable[dict[str, Any]]):
    """A window of the forgotten list; row keys are the emails."""

    def on_mount(self) -> None:
        """The columns."""
        # Fixed widths, cells on one line cut with "…" (the detail pane has them whole): the first five
        # fit 80 columns, all six 120 (a sorted header's arrow included).
        self.add_column(t("col.name"), key="name", width=16)
        self.add_column(t("col.email"), key="email", width=24)
        self.add_column(t("col.since"), key="since", width=10)
        self.add_column(t("sync_ui.col.copper"), key="tagged", width=6)
        self.add_column(t("sync_ui.col.reached"), key="reached", width=10)
        self.add_column(t("sync_ui.col.link"), key="link", width=38)

    def cells(self, row: dict[str, Any]) -> Sequence[Text]:
        """Name, email, since, tagged in Copper, reached, the link."""
        url = str(row.get("resubscribe_url") or "")
        return (
            literal_cell(row.get("name") or ""),
            literal_cell(str(row["email"])),
            literal_cell(local_date(row.get("detected_at"))),
            literal_cell("✔", style="green") if row.get("copper_tagged") else literal_cell("—", style="dim"),
            reached_text(row),
            literal_cell(url) if url else literal_cell(t("sync_ui.forgotten.no_link"), style="dim"),
        )
