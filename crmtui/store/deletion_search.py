"""The Deletions ``/`` filter's index (issue #16, "50,000 queued: < 200 ms per key"): FTS5 trigrams.

The filter is a casefolded substring of an entry's name, email or tag: ``deletion_queue.search``
(:func:`crmtui.store._util.search_text`, written by every crmtui writer of the queue). Looking for it
with ``instr`` read every entry of the review index, so each filtered page cost a scan of the whole
queue (about 11 ms CPU per query at 50,000 entries, several queries per key).

- ``deletion_search`` holds one row per queue entry whose ``search`` is filled: its email and that
  text. It has its own ``INTEGER PRIMARY KEY``: ``VACUUM`` (run by every erasure) may renumber the
  implicit rowids of ``deletion_queue`` (keyed by email), never an explicit one, so the index can
  point at it.
- ``deletion_fts`` is an FTS5 index over ``deletion_search.search`` (external content: it stores only
  the index) with the ``trigram`` tokenizer, ``case_sensitive 1`` since both sides are casefolded in
  Python already: any substring of 3 characters or more is an index lookup and matches exactly what
  ``instr`` matched, whatever the queue size.
- Triggers in plain SQL keep ``deletion_search`` in step with ``deletion_queue`` (insert, delete,
  update of ``email`` or ``search``: what the sync, the decisions, the reactivations, the erasure sweep
  or any other tool write) and the index in step with ``deletion_search``, so no writer needs to know
  about them and no connection needs a Python function to write these tables.
- An entry written by another tool without ``search`` (NULL) is not in the index: it is looked for
  with ``instr`` over ``crm_fold`` of its fields at query time, as before, found through the partial
  index ``deletion_queue_unfolded`` (only those rows, normally none).

A query of fewer than 3 characters cannot use a trigram index, and one matching more than
:data:`PROBE` entries is better served by the list's own index (reading it in order until a page
is found, at least 1 row in ``total ÷ PROBE`` matching): both keep the ``instr`` filter over the
review index (:mod:`crmtui.store.review`).
"""

from __future__ import annotations

import sqlite3

from crmtui.store.customer_search import index_triggers

TABLE = "deletion_search"
FTS = "deletion_fts"
TRIGRAM = 3
"""The shortest (folded) filter the trigram index answers."""
PROBE = 2000
"""Matches read from the index before deciding how to page: up to this many, a page is read among
them (and sorted, a few thousand rows at most); more, and the list's own index is read in order."""

# SCHEMA and TRIGGERS are migration 52's (crmtui.store.review_schema): change them with a new migration.
SCHEMA = f"""
CREATE TABLE {TABLE} (
    id INTEGER PRIMARY KEY,            -- explicit, so VACUUM keeps it (the FTS rowid)
    email TEXT NOT NULL UNIQUE,
    search TEXT NOT NULL               -- deletion_queue.search: casefolded name, email, tag joined by \\x1f
);
CREATE VIRTUAL TABLE {FTS} USING fts5(
    search, content='{TABLE}', content_rowid='id', tokenize='trigram case_sensitive 1'
);
CREATE INDEX deletion_queue_unfolded ON deletion_queue(email) WHERE search IS NULL;
"""

TRIGGERS = (
    index_triggers(TABLE, FTS)
    + f"""
CREATE TRIGGER deletion_queue_search_insert AFTER INSERT ON deletion_queue WHEN new.search IS NOT NULL BEGIN
    INSERT INTO {TABLE} (email, search) VALUES (new.email, new.search)
        ON CONFLICT(email) DO UPDATE SET search = excluded.search;
END;
CREATE TRIGGER deletion_queue_search_update AFTER UPDATE OF email, search ON deletion_queue BEGIN
    DELETE FROM {TABLE} WHERE email = old.email AND (old.email IS NOT new.email OR new.search IS NULL);
    INSERT INTO {TABLE} (email, search) SELECT new.email, new.search WHERE new.search IS NOT NULL
        ON CONFLICT(email) DO UPDATE SET search = excluded.search
        WHERE {TABLE}.search IS NOT excluded.search;
END;
CREATE TRIGGER deletion_queue_search_delete AFTER DELETE ON deletion_queue BEGIN
    DELETE FROM {TABLE} WHERE email = old.email;
END;
"""
)

_UNFOLDED = "instr(crm_fold(COALESCE(name, '') || char(31) || email || char(31) || COALESCE(tag, '')), ?) > 0"
PROBE_SQL = (
    f"SELECT s.email FROM {FTS} JOIN {TABLE} s ON s.id = {FTS}.rowid WHERE {FTS} MATCH ? "
    f"UNION ALL SELECT email FROM deletion_queue WHERE search IS NULL AND {_UNFOLDED} LIMIT ?"
)
"""The emails of the entries holding a folded filter (``phrase`` of it, then the filter itself, then
``PROBE + 1``): the index's matches, then the entries without ``search``."""


def fill(conn: sqlite3.Connection) -> None:
    """Fill ``deletion_search`` from the queue and build the index (the migration, once, before the
    triggers exist: one ``rebuild`` is faster than an index insert per row)."""
    conn.execute(
        f"INSERT INTO {TABLE} (email, search) SELECT email, search FROM deletion_queue WHERE search IS NOT NULL"
    )
    conn.execute(f"INSERT INTO {FTS} ({FTS}) VALUES ('rebuild')")
