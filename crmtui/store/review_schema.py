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

Migration 50 (issue #15, "tables sort"): the sorts by a text column follow the order a French reader
expects (case, accents and ligatures aside: ``élodie``, ``Élodie``, ``Emma``, ``Paul``), not SQLite's
byte order (where ``Élodie`` came after ``Paul`` and lower case after upper case).

- ``deletion_queue.name_sort``, ``deletion_queue.tag_sort``, ``forgotten_emails.name_sort`` and
  ``scenarios.name_sort`` hold :func:`crmtui.store._util.sort_text` of the name or tag, computed in
  Python by every writer (and here for the rows already there). They compare as plain bytes, so the
  indexes need no collation of ours and any SQLite tool still reads the file. A row written by another
  tool has none (NULL): it sorts as an empty name until crmtui writes it again.
- Indexes ``(COALESCE(key, ''), row key)`` serve each sort both ways with a keyset seek: the Deletions
  name and tag (replacing migration 8's byte-order ones), the Forgotten name and date over its
  unresolved rows, the unknown sends' key, contact and scenario. The unknown sends' indexes hold only
  the ``unknown`` rows (a handful), so a send, which writes its ledger row twice, does not pay for them;
  the queries name them (``INDEXED BY``) since the planner, without statistics, would rather read the
  status index and sort. A sort by scenario walks ``scenarios`` by its key, then each one's unknown
  sends by key: the order ``(name_sort, id, key)``.

Migration 51: the unknown sends' own order (oldest claim first, then the key) indexed the same way.

Migration 52 (issue #16, "Deletions with 50,000 queued"): the ``/`` filter's FTS5 trigram index,
``deletion_search`` and ``deletion_fts`` with the triggers that keep them in step with the queue, and
``deletion_queue_unfolded`` (the entries without ``search``); see :mod:`crmtui.store.deletion_search`.
"""

from __future__ import annotations

import sqlite_utils

from crmtui.store import deletion_search
from crmtui.store._util import search_text, sort_text
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


@migration(
    50, "review: case- and accent-insensitive sort keys, indexes for the Forgotten and unknown-sends sorts"
)
def _m0050(db: sqlite_utils.Database) -> None:
    run_script(
        db,
        """
        ALTER TABLE deletion_queue ADD COLUMN name_sort TEXT;
        ALTER TABLE deletion_queue ADD COLUMN tag_sort TEXT;
        ALTER TABLE forgotten_emails ADD COLUMN name_sort TEXT;
        ALTER TABLE scenarios ADD COLUMN name_sort TEXT;
        """,
    )
    conn = db.conn
    for table, key, columns in (
        ("deletion_queue", "email", ("name", "tag")),
        ("forgotten_emails", "email", ("name",)),
        ("scenarios", "id", ("name",)),
    ):
        sets = ", ".join(f"{column}_sort = ?" for column in columns)
        cur = conn.execute(f"SELECT {key}, {', '.join(columns)} FROM {table}")
        while rows := cur.fetchmany(5000):
            conn.executemany(
                f"UPDATE {table} SET {sets} WHERE {key} = ?",
                [(*(sort_text(value) for value in row[1:]), row[0]) for row in rows],
            )
    run_script(
        db,
        """
        DROP INDEX IF EXISTS deletion_queue_by_name;
        DROP INDEX IF EXISTS deletion_queue_by_tag;
        CREATE INDEX deletion_queue_by_name_sort ON deletion_queue(COALESCE(name_sort, ''), email);
        CREATE INDEX deletion_queue_by_tag_sort ON deletion_queue(COALESCE(tag_sort, ''), email);
        CREATE INDEX forgotten_by_name_sort ON forgotten_emails(COALESCE(name_sort, ''), email)
            WHERE resolved_at IS NULL;
        CREATE INDEX forgotten_by_since ON forgotten_emails(detected_at, email) WHERE resolved_at IS NULL;
        CREATE INDEX scenarios_by_name_sort ON scenarios(COALESCE(name_sort, ''));
        CREATE INDEX operation_ledger_unknown_key ON operation_ledger(key) WHERE status = 'unknown';
        CREATE INDEX operation_ledger_unknown_contact ON operation_ledger(contact, key) WHERE status = 'unknown';
        CREATE INDEX operation_ledger_unknown_scenario ON operation_ledger(scenario_id, key)
            WHERE status = 'unknown';
        """,
    )


@migration(51, "review: the unknown sends' own order (claimed_at, key) indexed over the unknown rows")
def _m0051(db: sqlite_utils.Database) -> None:
    # The resolve queue's own order, oldest first, read the status index and sorted every unknown send
    # for each page; like migration 50's, the index holds only the unknown rows and is named by the query.
    db.execute(
        "CREATE INDEX operation_ledger_unknown_claimed ON operation_ledger(claimed_at, key) WHERE status = 'unknown'"
    )


@migration(52, "review: FTS5 trigram index of the Deletions filter (name, email, tag), kept by triggers")
def _m0052(db: sqlite_utils.Database) -> None:
    # The filter read the whole queue per query (instr over the review index); the trigram index
    # answers it by lookup. See crmtui.store.deletion_search.
    run_script(db, deletion_search.SCHEMA)
    deletion_search.fill(db.conn)
    run_script(db, deletion_search.TRIGGERS)
