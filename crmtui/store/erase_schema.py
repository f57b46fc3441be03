"""Erasure migrations (numbers 60–69): the keyed-hash suppression list and the erasure outbox.

- ``suppressed_hashes``: one row per pseudonymous key, ``HMAC-SHA256(CRMTUI_ERASURE_SECRET,
  "email:" + email_key(address))`` or ``"customer:" + customer_key`` (an ERP customer). It is what
  remains of an erased person: never the address itself. ``reason`` is ``erased`` (``crmtui
  erase``) or ``deleted`` (the sync's delete decision: sending suppressed, history kept).
- ``erasure_ops``: the outbox of one erasure. The row is written (with the suppression) before any
  remote call, and each system's answer is recorded as it comes, so a crash at any point resumes
  where it stopped. While it runs it holds the address and what is known of the person (needed to
  reach Mailchimp and Copper and to find the person's lines in files, and the remote deletes already
  asked, ``mc_sent``/``copper_sent``, so a rerun after a lost answer never asks twice); once finished
  only the outcome per system is kept and ``email``/``identity`` are NULL.
"""

from __future__ import annotations

import sqlite_utils

from crmtui.store.migrations import migration, run_script


@migration(60, "erasure: keyed-hash suppressions, erasure outbox")
def _m0060(db: sqlite_utils.Database) -> None:
    run_script(
        db,
        """
        CREATE TABLE suppressed_hashes (
            hash TEXT PRIMARY KEY,             -- hex HMAC-SHA256 of "email:<key>" or "customer:<key>"
            kind TEXT NOT NULL,                -- email/customer
            reason TEXT NOT NULL,              -- erased/deleted
            erasure_id INTEGER,                -- erasure_ops.id when erased
            created_at TEXT NOT NULL
        );

        CREATE TABLE erasure_ops (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            subject TEXT NOT NULL UNIQUE,      -- the email's keyed hash (never the address)
            email TEXT,                        -- the address while the erasure runs; NULL when done
            identity TEXT,                     -- JSON {emails, names, phones, customer_keys, copper_ids}; NULL when done
            state TEXT NOT NULL DEFAULT 'running',   -- running/done
            mailchimp TEXT NOT NULL DEFAULT 'pending', -- pending/deleted/absent/failed/not_configured
            copper TEXT NOT NULL DEFAULT 'pending',    -- pending/deleted/absent/failed/not_configured
            store TEXT NOT NULL DEFAULT 'pending',     -- pending/done
            files TEXT NOT NULL DEFAULT 'pending',     -- pending/done
            vacuumed INTEGER NOT NULL DEFAULT 0,
            detail TEXT NOT NULL DEFAULT '{}',         -- JSON: counts per table, files, copper deletions (no personal data)
            error TEXT,                                -- last remote error (redacted; no address)
            actor TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            finished_at TEXT
        );
        CREATE INDEX erasure_ops_state ON erasure_ops(state);
        """,
    )
