"""Review-screen migration (number 9, in the sync range): paging the deletion queue and the forgotten list.

- ``deletion_queue.search``: the casefolded ``name``, ``email`` and ``tag`` joined by ``\\x1f``, so the
  ``/`` filter is one ``instr`` in SQL with Python's ``str.casefold`` semantics (SQLite's ``LIKE`` and
  ``lower`` fold ASCII only: ``É`` would not find ``é``). Filled on write by the repositories; a row
  written by another tool (NULL) is folded at query time by the ``crm_fold`` function that every store
  connection registers, so it still matches.
- ``deletion_queue.review_pos`` (generated, virtual): 0 for an open entry, 1 for an ignored one, NULL for
  an applied archive or delete (not listed). ``deletion_queue_review`` indexes the screen's order
  ``(review_pos, detected_at, email)`` plus ``search``: keyset pages in both directions are range seeks,
  and the filter reads the index only.
- ``deletion_queue_state_decision``: the counts above the table without reading the rows.
- ``forgotten_review``: the forgotten list's order (newest first, then by email) over unresolved rows.

Migration 8 (after 9 in time, independent of it): the Deletions table's sorts, ``(column, email)`` for
the name, tag and since columns (an email sort reads the primary key), so a sorted page is an index
seek rather than a sort of the whole queue.
"""

from __future__ import annotations

import sqlite_utils

from crmtui.store._util import search_text
from crmtui.store.migrations import migration, run_script
from crmtui.store.review import REVIEW_POS


@migration(9, "review: casefolded search column and paging indexes for the deletion and forgotten lists")
def _m0009(db: sqlite_utils.Database) -> None:
    run_script(
        db,
        f"""
        ALTER TABLE deletion_queue ADD COLUMN search TEXT;
        ALTER TABLE deletion_queue ADD COLUMN review_pos INTEGER GENERATED ALWAYS AS ({REVIEW_POS}) VIRTUAL;
        CREATE INDEX deletion_queue_review ON deletion_queue(review_pos, detected_at, email, search);
        CREATE INDEX deletion_queue_state_decision ON deletion_queue(state, decision);
        CREATE INDEX forgotten_review ON forgotten_emails(detected_at DESC, email) WHERE resolved_at IS NULL;
        """,
    )
    rows = db.execute("SELECT email, name, tag FROM deletion_queue").fetchall()
    db.conn.executemany(
        "UPDATE deletion_queue SET search = ? WHERE email = ?",
        [(search_text(name, email, tag), email) for email, name, tag in rows],
    )


@migration(8, "review: indexes for the Deletions table's sorts by name, tag and date")
def _m0008(db: sqlite_utils.Database) -> None:
    run_script(
        db,
        """
        CREATE INDEX IF NOT EXISTS deletion_queue_by_name ON deletion_queue(COALESCE(name, ''), email);
        CREATE INDEX IF NOT EXISTS deletion_queue_by_tag ON deletion_queue(tag, email);
        CREATE INDEX IF NOT EXISTS deletion_queue_by_since ON deletion_queue(detected_at, email);
        """,
    )
