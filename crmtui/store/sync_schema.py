"""Sync migrations (numbers 2–9)."""

from __future__ import annotations

import sqlite_utils

from crmtui.store.migrations import migration, run_script


@migration(2, "sync: side snapshots, decision details, forgotten follow-up")
def _m0002(db: sqlite_utils.Database) -> None:
    run_script(
        db,
        """
        ALTER TABLE contacts ADD COLUMN copper_state TEXT;      -- last Copper snapshot (JSON)
        ALTER TABLE contacts ADD COLUMN mc_state TEXT;          -- last Mailchimp snapshot (JSON)
        ALTER TABLE contacts ADD COLUMN forgotten INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE deletion_queue ADD COLUMN copper_state TEXT;
        ALTER TABLE deletion_queue ADD COLUMN mc_state TEXT;
        ALTER TABLE forgotten_emails ADD COLUMN reached_at TEXT;
        ALTER TABLE forgotten_emails ADD COLUMN reached_by TEXT;
        CREATE INDEX sync_ops_email ON sync_ops(email);
        """,
    )
