"""The Scenarios screen's unknown sends: sends whose outcome is unknown (the provider may or may not have
taken them), for the operator to settle as sent or not sent.

:class:`UnknownSource` is the list's SQL for :class:`crmtui.widgets.review_queue.ReviewQueue` (oldest
first, keyset pages on ``(claimed_at, key)``: :meth:`crmtui.store.review.ReviewRepo.unknown_page`);
:class:`UnknownTable` its columns. Scenario names, contacts and provider errors are shown with
:func:`crmtui.text.literal`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.text import Text

import crmtui.i18n.console  # noqa: F401 - registers the column headers
from crmtui.i18n import t
from crmtui.text import literal
from crmtui.widgets.review_queue import PlainSource, ReviewTable

if TYPE_CHECKING:
    from crmtui.store import Store


class UnknownSource(PlainSource):
    """The unknown sends' SQL (no filter, no selection: each is settled on its own, confirmed)."""

    KEY = "key"
    ORDER = ("claimed_at", "key")
    SORTS = {
        "key": ("key",),
        "scenario": ("scenario_sort", "scenario_id", "key"),
        "contact": ("contact", "key"),
    }

    def __init__(self, store: Store) -> None:
        self.review = store.review
        super().__init__(self.review.unknown_page, self.review.listed_unknown)

    def summary(self) -> None:
        """The screen reads its own figures (the ledger counts) with the scenarios."""
        return None


class UnknownTable(ReviewTable[dict[str, Any]]):
    """A window of the unknown sends; row keys are the ledger keys."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, zebra_stripes=False)

    def on_mount(self) -> None:
        """The columns."""
        for key in ("key", "scenario", "contact", "error"):
            self.add_column(t(f"console.col.{key}"), key=key)

    def cells(self, row: dict[str, Any]) -> Sequence[Text]:
        """The key's start, the scenario, the contact, the provider's error."""
        return (
            Text(str(row["key"])[:12]),
            literal(row["scenario"]),
            literal(row["contact"]),
            literal(row["error"] or ""),
        )
