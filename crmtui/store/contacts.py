"""Contacts known to the sync, the deletion queue and forgotten emails (read side for now)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crmtui.store.db import Store


@dataclass(frozen=True)
class PendingDecision:
    """A contact excluded by a deletion tag, awaiting an operator decision."""

    email: str
    name: str
    tag: str
    detected_at: str


@dataclass(frozen=True)
class ForgottenEmail:
    """An address Mailchimp permanently deleted, with its resubscribe link."""

    email: str
    name: str
    resubscribe_url: str
    detected_at: str


class ContactsRepo:
    """Named operations on ``contacts``, ``deletion_queue`` and ``forgotten_emails``."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def count(self) -> int:
        """Contacts known to the sync."""
        return int(self.store.scalar("SELECT count(*) FROM contacts") or 0)

    def pending_count(self) -> int:
        """Contacts awaiting a deletion decision."""
        return int(self.store.scalar("SELECT count(*) FROM deletion_queue WHERE state = 'pending'") or 0)

    def pending(self, limit: int = 100) -> list[PendingDecision]:
        """Contacts awaiting a decision, oldest first."""
        rows = self.store.query(
            "SELECT email, COALESCE(name, '') AS name, tag, detected_at FROM deletion_queue "
            "WHERE state = 'pending' ORDER BY detected_at, email LIMIT ?",
            (limit,),
        )
        return [PendingDecision(**r) for r in rows]

    def forgotten_count(self) -> int:
        """Forgotten addresses not yet resolved."""
        return int(self.store.scalar("SELECT count(*) FROM forgotten_emails WHERE resolved_at IS NULL") or 0)

    def forgotten(self, limit: int = 100) -> list[ForgottenEmail]:
        """Forgotten addresses with their links, newest first."""
        rows = self.store.query(
            "SELECT email, COALESCE(name, '') AS name, COALESCE(resubscribe_url, '') AS resubscribe_url, "
            "detected_at FROM forgotten_emails WHERE resolved_at IS NULL ORDER BY detected_at DESC LIMIT ?",
            (limit,),
        )
        return [ForgottenEmail(**r) for r in rows]
