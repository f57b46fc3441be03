"""Replies repository: what a reply to a scenario email does to that contact's sequence.

The reply poller (:mod:`crmtui.engine.replies`) matches a reply to a row of ``campaign_emails``
through its Message-ID, then, for a scenario with ``stop_on_reply``, stops the contact's sequence
in that scenario only (other scenarios keep their own rules). The stop, the ``contact_history``
row (:meth:`crmtui.store.events.EventsRepo.add_history`) and the IMAP cursor
(:meth:`crmtui.store.sync.SyncRepo.set_cursor`) are written in the caller's transaction, so a
crash never advances the cursor past a reply whose effect was not recorded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmtui.store._util import now_iso
from crmtui.store.events import ACTIVE_SEQUENCE_STATES

if TYPE_CHECKING:
    from crmtui.store.db import Store

REPLY_REASON = "replied"
"""``contact_sequences.reason`` of a sequence stopped by a reply."""


class ReplyRepo:
    """Named operations for reply detection."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def sequence_running(self, scenario_id: int, contact: str) -> bool:
        """Whether the contact's sequence in this scenario could still send."""
        placeholders = ", ".join("?" * len(ACTIVE_SEQUENCE_STATES))
        value = self.store.scalar(
            "SELECT 1 FROM contact_sequences WHERE scenario_id = ? AND contact = ? "
            f"AND status IN ({placeholders})",
            (scenario_id, contact, *ACTIVE_SEQUENCE_STATES),
        )
        return value is not None

    def stop_sequence(self, scenario_id: int, contact: str, *, actor: str = "imap", detail: str = "") -> bool:
        """Stop the contact's sequence in one scenario because the contact replied.

        Only a running sequence (active, waiting or held) changes: a completed, stopped or
        unsubscribed one keeps its status, so applying the same reply twice changes nothing.

        Returns:
            True when a sequence was stopped now.
        """
        placeholders = ", ".join("?" * len(ACTIVE_SEQUENCE_STATES))
        with self.store.write() as db:
            cur = db.execute(
                "UPDATE contact_sequences SET status = 'stopped', reason = ?, next_position = NULL, "
                "next_send_at = NULL, updated_at = ? "
                f"WHERE scenario_id = ? AND contact = ? AND status IN ({placeholders})",
                (REPLY_REASON, now_iso(), scenario_id, contact, *ACTIVE_SEQUENCE_STATES),
            )
            stopped = bool(cur.rowcount)
            if stopped:
                name = self.store.scalar("SELECT name FROM scenarios WHERE id = ?", (scenario_id,))
                self.store.audit.record(actor, "sequence.stop.reply", contact, detail=f"{name}: {detail}")
        return stopped


def reply_repo(store: Store) -> ReplyRepo:
    """The replies repository of ``store``."""
    return ReplyRepo(store)
