"""Sync migrations (numbers 2–9)."""

from __future__ import annotations

import hashlib
import unicodedata

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


@migration(3, "sync: Mailchimp member ids in their columns (mailchimp_hash, mailchimp_unique_id)")
def _m0003(db: sqlite_utils.Database) -> None:
    """Fill the member-id columns from the stored Mailchimp snapshots (they were never filled).

    ``mailchimp_unique_id`` is the snapshot's ``unique_id``; ``mailchimp_hash`` is Mailchimp's ``id``
    for the address (MD5 of it lower-cased), the same as the snapshot's once a sync reads it again.
    """
    db.execute(
        "UPDATE contacts SET mailchimp_unique_id = json_extract(mc_state, '$.unique_id') "
        "WHERE mc_state IS NOT NULL AND coalesce(json_extract(mc_state, '$.unique_id'), '') != ''"
    )
    rows = db.execute(
        "SELECT email, coalesce(json_extract(mc_state, '$.email'), email) FROM contacts "
        "WHERE mc_state IS NOT NULL AND mailchimp_hash IS NULL"
    ).fetchall()
    for email, address in rows:
        key = unicodedata.normalize("NFC", str(address)).strip().lower()
        member_hash = hashlib.md5(key.encode("utf-8")).hexdigest()  # noqa: S324 - Mailchimp's scheme
        db.execute("UPDATE contacts SET mailchimp_hash = ? WHERE email = ?", (member_hash, email))


@migration(4, "sync: index on contacts.mailchimp_hash (the streaming sync joins members to contacts by it)")
def _m0004(db: sqlite_utils.Database) -> None:
    """A member is recognised by its ``id`` when its ``unique_email_id`` is unknown: an indexed join."""
    db.execute("CREATE INDEX IF NOT EXISTS contacts_mailchimp_hash ON contacts(mailchimp_hash)")
