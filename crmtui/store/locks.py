"""Cross-process locks in the store: one cycle at a time, whoever starts it.

A lock row names its owner, process and host, and expires. A lock left by a process that died on
this host (``kill -9``) is taken over at once; one from another host only after it expires.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from crmtui.store._util import now_iso
from crmtui.store.runs import pid_alive

if TYPE_CHECKING:
    from crmtui.store.db import Store

RUN_LOCK = "cycle"


@dataclass(frozen=True)
class LockInfo:
    """Who holds a lock."""

    name: str
    owner: str
    pid: int
    host: str
    acquired_at: str
    expires_at: float

    def describe(self) -> str:
        """``"cron (pid 123 on host)"``."""
        return f"{self.owner}, pid {self.pid} @ {self.host}"


class LockHeld(Exception):
    """Somebody else holds the lock."""

    def __init__(self, holder: LockInfo) -> None:
        self.holder = holder
        super().__init__(f"lock {holder.name!r} held by {holder.describe()} since {holder.acquired_at}")


class LocksRepo:
    """Named operations on ``locks``."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def acquire(self, name: str, owner: str, ttl: float = 6 * 3600) -> LockInfo:
        """Take the lock or raise :class:`LockHeld`.

        Args:
            name: the lock (``"cycle"`` for the run lock).
            owner: who takes it ("console", "cron"...), shown to whoever is refused.
            ttl: seconds after which an unrefreshed lock from another host is considered stale.
        """
        me = LockInfo(name, owner, os.getpid(), socket.gethostname(), now_iso(), time.time() + ttl)
        with self.store.write() as db:
            row = db.execute(
                "SELECT name, owner, pid, host, acquired_at, expires_at FROM locks WHERE name = ?", (name,)
            ).fetchone()
            if row is not None:
                holder = LockInfo(*row)
                same_process = holder.pid == me.pid and holder.host == me.host
                stale = holder.expires_at < time.time() or (
                    holder.host == me.host and not pid_alive(holder.pid)
                )
                if not same_process and not stale:
                    raise LockHeld(holder)
            db.execute(
                "INSERT OR REPLACE INTO locks (name, owner, pid, host, acquired_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (me.name, me.owner, me.pid, me.host, me.acquired_at, me.expires_at),
            )
        return me

    def release(self, name: str) -> None:
        """Release the lock if this process holds it."""
        with self.store.write() as db:
            db.execute(
                "DELETE FROM locks WHERE name = ? AND pid = ? AND host = ?",
                (name, os.getpid(), socket.gethostname()),
            )

    def holder(self, name: str) -> LockInfo | None:
        """Who holds ``name`` now, if anyone."""
        rows = self.store.query(
            "SELECT name, owner, pid, host, acquired_at, expires_at FROM locks WHERE name = ?", (name,)
        )
        return LockInfo(**rows[0]) if rows else None


def since(info: LockInfo) -> str:
    """Local time at which a lock was taken, for messages."""
    try:
        return datetime.fromisoformat(info.acquired_at).astimezone().strftime("%H:%M:%S")
    except ValueError:
        return info.acquired_at
