"""Budget migrations (numbers 70–79): API budgets shared by every crmtui process on this store.

- ``budget_calls``: one row per request sent, for services that count requests over a rolling
  window (Copper: 180 a minute). Rows older than the window are deleted as new ones are taken.
- ``budget_pauses``: a service that answered 429 holds every process off until ``paused_until``.
- ``budget_leases``: one row per connection in use, for services that count simultaneous
  connections (Mailchimp: 10). A lease expires, and one held by a process that died on this host
  is freed at once, so a ``kill -9`` never leaks a slot.
"""

from __future__ import annotations

import sqlite_utils

from crmtui.store.migrations import migration, run_script


@migration(70, "budgets: shared request windows, 429 pauses, connection leases")
def _m0070(db: sqlite_utils.Database) -> None:
    run_script(
        db,
        """
        CREATE TABLE budget_calls (
            name TEXT NOT NULL,                -- service and account ("copper:<key hash>")
            at REAL NOT NULL                   -- unix seconds the request left
        );
        CREATE INDEX budget_calls_name_at ON budget_calls (name, at);
        CREATE TABLE budget_pauses (
            name TEXT PRIMARY KEY,
            paused_until REAL NOT NULL         -- unix seconds
        );
        CREATE TABLE budget_leases (
            lease TEXT PRIMARY KEY,            -- random id held by the request in flight
            name TEXT NOT NULL,
            pid INTEGER NOT NULL,
            host TEXT NOT NULL,
            expires_at REAL NOT NULL           -- unix seconds
        );
        CREATE INDEX budget_leases_name ON budget_leases (name);
        """,
    )
