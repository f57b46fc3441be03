"""The deletion queue as a table: one row per contact flagged with the deletion tag.

Columns: selection mark, name, email, the decision so far (kept next to the email, where an 80-column
terminal still shows it), the tag as found, since when, and the Copper and Mailchimp state from the
snapshots taken when the contact was queued. Names, emails and
tags come from remote systems and are shown with :func:`crmtui.text.literal`.

The table holds a window of the queue (a few hundred rows read from SQL by the screen), never the
whole queue (:class:`crmtui.widgets.paged_table.WindowTable`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.text import Text
from textual.widgets.data_table import CellDoesNotExist

import crmtui.i18n.sync_ui  # noqa: F401  (registers the sync screens' text)
from crmtui.i18n import t
from crmtui.store.sync import Decision
from crmtui.text import literal
from crmtui.widgets.paged_table import WindowTable
from crmtui.widgets.sync_common import local_date

SELECTED_MARK = "●"


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


def matches(decision: Decision, needle: str) -> bool:
    """The filter: a case-insensitive substring of the name, email or tag."""
    if not needle:
        return True
    needle = needle.casefold()
    return any(needle in value.casefold() for value in (decision.name, decision.email, decision.tag))


class DecisionTable(WindowTable):
    """A window of the queue; row keys are the emails."""

    def on_mount(self) -> None:
        """The columns."""
        # Fixed widths: a hostile 200-character name must not push every other column away.
        self.add_column(" ", key="mark", width=1)
        self.add_column(t("col.name"), key="name", width=18)
        self.add_column(t("col.email"), key="email", width=28)
        self.add_column(t("sync_ui.col.decision"), key="decision", width=20)
        self.add_column(t("col.tag"), key="tag", width=16)
        self.add_column(t("col.since"), key="since", width=10)
        self.add_column("Copper", key="copper", width=20)
        self.add_column("Mailchimp", key="mailchimp", width=12)

    def show(
        self,
        decisions: Sequence[Decision],
        selected: Iterable[str],
        *,
        cursor: int = 0,
        at_start: bool = True,
        at_end: bool = True,
    ) -> None:
        """Fill the table with a window of the (filtered) queue and put the cursor on row ``cursor``, at the
        same height on screen as before."""
        chosen = selected if isinstance(selected, (set, frozenset)) else set(selected)
        self.at_start, self.at_end = at_start, at_end
        screen_row = self.screen_row() if self.row_count else None
        self.clear()
        for decision in decisions:
            self.add_row(
                Text(SELECTED_MARK if decision.email in chosen else " ", style="bold"),
                literal(decision.name),
                literal(decision.email),
                decision_text(decision),
                literal(decision.tag),
                Text(local_date(decision.detected_at)),
                copper_state(decision),
                mailchimp_state(decision),
                key=decision.email,
            )
        self.place_cursor(cursor, screen_row)

    def mark(self, email: str, selected: bool) -> None:
        """Redraw one row's selection mark."""
        try:
            self.update_cell(email, "mark", Text(SELECTED_MARK if selected else " ", style="bold"))
        except CellDoesNotExist:
            pass

    def visible_emails(self) -> list[str]:
        """Emails of the rows in the window (the filter applied)."""
        return [str(row.key.value) for row in self.ordered_rows]
