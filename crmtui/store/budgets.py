"""API budgets shared by every crmtui process using this store (the console, cron, ``crmtui serve``).

Copper allows 180 requests per rolling minute and Mailchimp 10 simultaneous connections per
account, whoever sends them. Each process keeps its own fast in-process limiter
(:mod:`crmtui.connectors.http`); this repository is the shared part, consulted once per request in
a short ``BEGIN IMMEDIATE`` transaction, so two processes queue on the write lock instead of
both seeing room for the last call. It implements :class:`crmtui.connectors.http.SharedBudgets`
structurally: the connectors never import the store.

Times are unix seconds (``time.time()``): every process on the host shares that clock, not the
monotonic one.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from typing import TYPE_CHECKING

import sqlite_utils

from crmtui.store.runs import pid_alive

if TYPE_CHECKING:
    from crmtui.store.db import Store


class BudgetsRepo:
    """Named operations on ``budget_calls``, ``budget_pauses`` and ``budget_leases``."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._host = socket.gethostname()

    # -- rolling windows (Copper) ---------------------------------------------------------------

    def take_call(self, name: str, max_calls: int, window: float, now: float | None = None) -> float:
        """Record one request now if it fits in the window; else say how long to wait.

        Args:
            name: the budget ("copper:<account>").
            max_calls: requests allowed in any rolling ``window``.
            window: seconds.
            now: unix seconds (default: the clock).

        Returns:
            0.0 when the request was recorded and may leave now; otherwise the seconds until the
            oldest request leaves the window (or a 429 pause ends), never more than ``window``.
        """
        now = time.time() if now is None else now
        with self.store.write() as db:
            db.execute("DELETE FROM budget_calls WHERE name = ? AND at <= ?", (name, now - window))
            row = db.execute("SELECT paused_until FROM budget_pauses WHERE name = ?", (name,)).fetchone()
            if row is not None and row[0] > now:
                return float(min(row[0] - now, window))
            count, oldest = db.execute(
                "SELECT count(*), min(at) FROM budget_calls WHERE name = ?", (name,)
            ).fetchone()
            if count < max_calls:
                db.execute("INSERT INTO budget_calls (name, at) VALUES (?, ?)", (name, now))
                return 0.0
        # A stamp from the future (the clock went back) waits at most one window.
        return float(max(0.001, min(oldest + window - now, window)))

    def refused(self, name: str, max_calls: int, window: float, now: float | None = None) -> float:
        """The service answered 429 without ``Retry-After``: pause every process, return the wait.

        When our window is full the service frees a slot as our oldest request leaves it. When it is
        not, someone else (another integration on the same account) used the budget: only a full
        window surely clears it.
        """
        now = time.time() if now is None else now
        with self.store.write() as db:
            db.execute("DELETE FROM budget_calls WHERE name = ? AND at <= ?", (name, now - window))
            count, oldest = db.execute(
                "SELECT count(*), min(at) FROM budget_calls WHERE name = ?", (name,)
            ).fetchone()
            wait = window
            if count >= max_calls and oldest is not None:
                wait = max(1.0, min(oldest + window - now, window))
            self._pause(db, name, now + wait)
        return float(wait)

    def pause(self, name: str, until: float) -> None:
        """Hold every process off ``name`` until ``until`` (unix seconds; a ``Retry-After``)."""
        with self.store.write() as db:
            self._pause(db, name, until)

    @staticmethod
    def _pause(db: sqlite_utils.Database, name: str, until: float) -> None:
        db.execute(
            "INSERT INTO budget_pauses (name, paused_until) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET paused_until = max(paused_until, excluded.paused_until)",
            (name, until),
        )

    def calls_in_window(self, name: str, window: float, now: float | None = None) -> int:
        """Requests recorded in the last ``window`` seconds (the Connectors screen, tests)."""
        now = time.time() if now is None else now
        return int(
            self.store.scalar(
                "SELECT count(*) FROM budget_calls WHERE name = ? AND at > ?", (name, now - window)
            )
            or 0
        )

    # -- connection slots (Mailchimp) -----------------------------------------------------------

    def acquire_slot(self, name: str, max_slots: int, ttl: float) -> str | None:
        """Take one of ``max_slots`` connection slots, or None when all are in use.

        Args:
            name: the budget ("mailchimp:<account>").
            max_slots: simultaneous connections allowed across every process.
            ttl: seconds after which an unreleased lease is free (a process on another host).

        Returns:
            The lease to pass to :meth:`release_slot`, or None.
        """
        now = time.time()
        with self.store.write() as db:
            db.execute("DELETE FROM budget_leases WHERE name = ? AND expires_at < ?", (name, now))
            count = db.execute("SELECT count(*) FROM budget_leases WHERE name = ?", (name,)).fetchone()[0]
            if count >= max_slots:
                # Leases of processes that died on this host (kill -9) are free at once.
                rows = db.execute(
                    "SELECT lease, pid FROM budget_leases WHERE name = ? AND host = ? AND pid != ?",
                    (name, self._host, os.getpid()),
                ).fetchall()
                dead = [(lease,) for lease, pid in rows if not pid_alive(pid)]
                if dead:
                    db.conn.executemany("DELETE FROM budget_leases WHERE lease = ?", dead)
                    count -= len(dead)
            if count >= max_slots:
                return None
            lease = uuid.uuid4().hex
            db.execute(
                "INSERT INTO budget_leases (lease, name, pid, host, expires_at) VALUES (?, ?, ?, ?, ?)",
                (lease, name, os.getpid(), self._host, now + ttl),
            )
        return lease

    def release_slot(self, lease: str) -> None:
        """Give a slot back."""
        with self.store.write() as db:
            db.execute("DELETE FROM budget_leases WHERE lease = ?", (lease,))

    def slots_in_use(self, name: str) -> int:
        """Leases held now (tests, the Connectors screen)."""
        return int(
            self.store.scalar(
                "SELECT count(*) FROM budget_leases WHERE name = ? AND expires_at >= ?", (name, time.time())
            )
            or 0
        )
