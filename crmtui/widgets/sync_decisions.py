"""The deletion queue as a table: one row per contact flagged with the deletion tag.

Columns: selection mark, name, email, the decision so far (kept next to the email, where an 80-column
terminal still shows it), the tag as found, since when, and the Copper and Mailchimp state from the
snapshots taken when the contact was queued; the full email and tag of the entry under the cursor
in a detail pane under the table (:func:`detail_text`). Names, emails and
tags come from remote systems and are shown with :func:`crmtui.text.literal`.

The table holds a window of the queue (a few hundred rows read from SQL), never the whole queue:
:class:`DeletionSource` is the queue's SQL for :class:`crmtui.widgets.review_queue.ReviewQueue`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich.text import Text

import crmtui.i18n.sync_ui  # noqa: F401  (registers the sync screens' text)
from crmtui.i18n import t
from crmtui.store.review import DELETION_SORTS, Order, Page, QueueCounts, Seek, review_key
from crmtui.store.sync import Decision
from crmtui.text import literal
from crmtui.widgets.review_queue import ReviewTable
from crmtui.widgets.sync_common import local_date

if TYPE_CHECKING:
    from crmtui.store import Store

MAX_LISTED = 8
"""How many emails a confirmation lists before "… and N more"."""


@dataclass(frozen=True)
class DeletionFigures:
    """What the Deletions screen shows with the queue: the whole list's counts, and the first
    decisions ``p`` would apply (for its confirmation)."""

    counts: QueueCounts = field(default_factory=QueueCounts)
    to_apply: list[Decision] = field(default_factory=list)


def is_open(decision: Decision) -> bool:
    """Whether a decision can still be taken or changed (an applied ignore can be undone, not changed)."""
    return decision.state in ("pending", "decided", "failed")


def can_undo(decision: Decision) -> bool:
    """A decision not yet applied (or an ignore, which is never "applied" remotely) can be undone."""
    if decision.decision is None:
        return False
    return decision.state != "applied" or decision.decision == "ignore"


def copper_state(decision: Decision) -> Text:
    """The Copper side when queued: ``#id · 3 tags`` or ``absent``."""
    state = decision.copper_state
    if not state:
        return Text(t("sync_ui.state.absent"), style="dim")
    tags = state.get("tags") or []
    return literal(t("sync_ui.state.copper", id=state.get("id", "?"), n=len(tags)))


def mailchimp_state(decision: Decision) -> Text:
    """The Mailchimp member's status when queued (``subscribed``, ``archived``…) or ``absent``."""
    state = decision.mc_state
    if not state:
        return Text(t("sync_ui.state.absent"), style="dim")
    status = str(state.get("status") or "?")
    return literal(status, style="green" if status == "subscribed" else "")


def decision_text(decision: Decision) -> Text:
    """``—`` (pending), ``archive · to apply``, ``delete · failed: …``, ``ignore``."""
    if decision.decision is None:
        return Text("—", style="dim")
    label = t(f"sync_ui.decision.{decision.decision}")
    if decision.decision == "ignore":
        return Text(label, style="dim")
    if decision.state == "failed":
        return literal(t("sync_ui.decision.failed", decision=label, error=decision.error or "?"), style="red")
    if decision.state == "decided":
        return Text(t("sync_ui.decision.to_apply", decision=label), style="bold yellow")
    return Text(label)


def detail_text(decision: Decision | None) -> Text:
    """The detail pane under the table: the full email and tag of the entry under the cursor.

    The table's columns cut both at 80 columns. :func:`literal` drops VS16 (``🗑️``), so Rich and the
    terminal measure the tag alike; an email has no spaces: it folds rather than being cut.
    """
    if decision is None:
        return Text("")
    text = literal(t("sync_ui.deletions.detail", email=decision.email, tag=decision.tag or "—"))
    text.overflow = "fold"
    return text


def matches(decision: Decision, needle: str) -> bool:
    """The filter: a case-insensitive substring of the name, email or tag."""
    if not needle:
        return True
    needle = needle.casefold()
    return any(needle in value.casefold() for value in (decision.name, decision.email, decision.tag))


class DeletionSource:
    """The deletion queue's SQL for :class:`crmtui.widgets.review_queue.ReviewQueue` (store.review)."""

    def __init__(self, store: Store) -> None:
        self.review = store.review

    def page(self, needle: str, seek: Seek, order: Order) -> Page:
        """A window of the queue, open entries first or in ``order`` (:meth:`ReviewRepo.deletion_page`)."""
        return self.review.deletion_page(needle, **vars(seek), order=order)

    def sorts(self) -> frozenset[str]:
        """Name, email, tag and since (indexed)."""
        return frozenset(DELETION_SORTS)

    def key(self, row: Decision) -> str:
        """The email."""
        return row.email

    def position(self, row: Decision, order: Order) -> tuple[object, ...]:
        """``(rank, detected_at, email)``, or sorted by a column: ``(its value, email)``, a text column's
        value being its stored sort key (what the SQL compares)."""
        if order.column is None:
            return review_key(row)
        if order.column == "email":
            return (row.email,)
        value = {"name": row.name_sort, "tag": row.tag_sort, "since": row.detected_at}
        return (value[order.column], row.email)

    def matches(self, row: Decision, needle: str) -> bool:
        """Name, email or tag (as the SQL)."""
        return matches(row, needle)

    def listed(self, keys: Iterable[str]) -> dict[str, Decision]:
        """The listed entries among ``keys``."""
        return self.review.listed_decisions(keys)

    def keys_matching(self, needle: str) -> list[str]:
        """Every listed email the filter matches."""
        return self.review.deletion_emails(needle)

    def summary(self) -> DeletionFigures:
        """The counts and the first decisions ``p`` would apply."""
        return DeletionFigures(self.review.deletion_counts(), self.review.to_apply(MAX_LISTED))

    def tags(self, row: Decision) -> Iterable[str]:
        """``open`` and ``undoable``, counted in a selection (what ``a``/``i``/``u`` may apply to)."""
        return [tag for tag, yes in (("open", is_open(row)), ("undoable", can_undo(row))) if yes]


class DecisionTable(ReviewTable[Decision]):
    """A window of the queue; row keys are the emails."""

    def on_mount(self) -> None:
        """The columns."""
        # Fixed widths: a hostile 200-character name must not push every other column away.
        self.add_column(" ", key="mark", width=1)
        self.chosen_column = 1  # ← → choose what ``S`` sorts by: the mark column is not one
        self.add_column(t("col.name"), key="name", width=18)
        self.add_column(t("col.email"), key="email", width=28)
        self.add_column(t("sync_ui.col.decision"), key="decision", width=20)
        self.add_column(t("col.tag"), key="tag", width=16)
        self.add_column(t("col.since"), key="since", width=10)
        self.add_column("Copper", key="copper", width=20)
        self.add_column("Mailchimp", key="mailchimp", width=12)

    def cells(self, row: Decision) -> Sequence[Text]:
        """Name, email, decision, tag, since, Copper and Mailchimp states (after the mark)."""
        return (
            literal(row.name),
            literal(row.email),
            decision_text(row),
            literal(row.tag),
            Text(local_date(row.detected_at)),
            copper_state(row),
            mailchimp_state(row),
        )
