"""The audit log: who decided what, when, with the record as it was before."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crmtui.store._util import dumps, now_iso

if TYPE_CHECKING:
    from crmtui.store.db import Store


class AuditRepo:
    """Named operations on ``audit_log``."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def record(
        self,
        actor: str,
        action: str,
        subject: str = "",
        *,
        before: Any = None,
        after: Any = None,
        detail: str = "",
    ) -> None:
        """Append one entry (inside the caller's transaction when there is one)."""
        with self.store.write() as db:
            db.execute(
                "INSERT INTO audit_log (at, actor, action, subject, before, after, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    now_iso(),
                    actor,
                    action,
                    subject,
                    None if before is None else dumps(before),
                    None if after is None else dumps(after),
                    detail,
                ),
            )

    def recent(self, limit: int = 50) -> list[dict[str, Any]]:
        """The latest entries, newest first."""
        return self.store.query("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", (limit,))
