"""The Customers search index (issue #15, "under 200 ms per key"): an FTS5 trigram index.

- ``customer_search`` holds one row per customer: its key and the folded text the console's ``/``
  search looks in (key, name both ways round, the duplicate-finding ``name_key``, company, email,
  city), lower case and accent-free (:func:`crmtui.records.normalize.fold`), fields separated by
  ``\\x1f`` (a folded query never holds one, so a match never spans two fields). It has its own
  ``INTEGER PRIMARY KEY``: ``VACUUM`` (run by every erasure) may renumber the implicit rowids of
  ``customers``, never an explicit one, so the index can point at it.
- ``customers_fts`` is an FTS5 index over ``customer_search.search`` (external content: it stores
  only the index) with the ``trigram`` tokenizer, so any substring of 3 characters or more is an
  index lookup, whatever the number of customers. Folding is done in Python on both sides: the
  tokenizer's own ``remove_diacritics`` needs SQLite 3.45 and the stores run on older ones.
- Triggers in plain SQL keep the index in step with ``customer_search`` (insert, delete, update of
  ``search``) and drop a customer's search row when the customer is deleted (an erasure, any other
  tool), so no connection needs a Python function to write these tables.
- :meth:`crmtui.store.etl.EtlRepo.load_batch`, the one writer of customers' source fields, writes
  ``customer_search`` in the same transaction (a row is rewritten only when its text changed).

A query of fewer than 3 characters cannot use a trigram index: it is looked for with ``instr`` in
``customer_search`` (a compact table, a few ms per 100,000 customers), the same folded semantics.

The Customers table sorts by name in SQL (issue #15): ``customers.name_sort`` is
:func:`crmtui.store._util.sort_text` of the name the table shows (:func:`display_name`), written by
:meth:`crmtui.store.etl.EtlRepo.load_batch` with the search text (:func:`write_sort_keys`) and indexed
with the key (migration 14).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from crmtui.records.canonical import Customer
from crmtui.records.normalize import fold
from crmtui.store._util import sort_text

TABLE = "customer_search"
FTS = "customers_fts"
SEPARATOR = "\x1f"
TRIGRAM = 3
"""The shortest query the trigram index answers."""

PROBE = 2000
"""Matches read from the index before deciding how to page: up to this many, they are sorted by
spend directly; more, and the spend-ordered list is read with a filter (at least 1 row in
``total ÷ PROBE`` matches there, so a page of 50 is found after a few thousand rows at most)."""

# SCHEMA and TRIGGERS are migration 13's (crmtui.store.etl_schema): change them with a new migration.
SCHEMA = f"""
CREATE TABLE {TABLE} (
    id INTEGER PRIMARY KEY,            -- explicit, so VACUUM keeps it (the FTS rowid)
    customer_key TEXT NOT NULL UNIQUE,
    search TEXT NOT NULL               -- folded fields joined by \\x1f
);
CREATE VIRTUAL TABLE {FTS} USING fts5(
    search, content='{TABLE}', content_rowid='id', tokenize='trigram'
);
"""


def index_triggers(table: str, fts: str) -> str:
    """The triggers keeping an external-content FTS5 index ``fts`` in step with ``table(id, search)``
    (the pattern of SQLite's FTS5 documentation, external content tables); Deletions' search too."""
    return f"""
CREATE TRIGGER {table}_insert AFTER INSERT ON {table} BEGIN
    INSERT INTO {fts} (rowid, search) VALUES (new.id, new.search);
END;
CREATE TRIGGER {table}_delete AFTER DELETE ON {table} BEGIN
    INSERT INTO {fts} ({fts}, rowid, search) VALUES ('delete', old.id, old.search);
END;
CREATE TRIGGER {table}_update AFTER UPDATE OF search ON {table} BEGIN
    INSERT INTO {fts} ({fts}, rowid, search) VALUES ('delete', old.id, old.search);
    INSERT INTO {fts} (rowid, search) VALUES (new.id, new.search);
END;"""


TRIGGERS = (
    index_triggers(TABLE, FTS)
    + f"""
CREATE TRIGGER customers_search_gone AFTER DELETE ON customers BEGIN
    DELETE FROM {TABLE} WHERE customer_key = old.customer_key;
END;
"""
)

_UPSERT = (
    # One statement for a whole batch (rows as a JSON array): FTS5 flushes its pending index at
    # every statement that writes it (a savepoint), so a statement per row would write a segment
    # per row, about 10× slower.
    f"INSERT INTO {TABLE} (customer_key, search) "
    "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?) WHERE true "
    f"ON CONFLICT(customer_key) DO UPDATE SET search = excluded.search WHERE {TABLE}.search IS NOT excluded.search"
)


def _fold(text: str) -> str:
    # fold() without its Unicode work for plain ASCII (most keys, emails and many names): the same result.
    return " ".join(text.lower().split()) if text.isascii() else fold(text)


def search_text(
    customer_key: str,
    first_name: str | None,
    last_name: str | None,
    company: str | None,
    email: str | None,
    city: str | None,
    name_key: str | None = "",
) -> str:
    """The folded text a customer is found by (each distinct field once, in a fixed order)."""
    first = _fold(first_name) if first_name else ""
    last = _fold(last_name) if last_name else ""
    seen = [_fold(customer_key)]
    for part in (
        f"{last} {first}".strip(),
        f"{first} {last}".strip(),
        *(_fold(v) for v in (name_key, company, email, city) if v),
    ):
        if part and part not in seen:
            seen.append(part)
    return SEPARATOR.join(p for p in seen if p)


def customer_text(record: Customer) -> str:
    """:func:`search_text` of a canonical customer record."""
    return search_text(
        record.customer_key,
        record.first_name,
        record.last_name,
        record.company,
        record.email,
        record.city,
        record.name_key,
    )


def display_name(first_name: str | None, last_name: str | None, company: str | None) -> str:
    """The name the Customers table shows: first and last name, else the company."""
    return " ".join(p for p in (first_name, last_name) if p) or company or ""


def name_sort(first_name: str | None, last_name: str | None, company: str | None) -> str:
    """``customers.name_sort``: the sort key of :func:`display_name`."""
    return sort_text(display_name(first_name, last_name, company))


def write_sort_keys(conn: sqlite3.Connection, records: Iterable[Customer]) -> None:
    """Set the customers' ``name_sort`` inside the caller's transaction (a row only when it changed)."""
    conn.executemany(
        "UPDATE customers SET name_sort = ?1 WHERE customer_key = ?2 AND name_sort IS NOT ?1",
        [(name_sort(r.first_name, r.last_name, r.company), r.customer_key) for r in records],
    )


def fill_sort_keys(conn: sqlite3.Connection) -> None:
    """Set every customer's ``name_sort`` (migration 14, once)."""
    cur = conn.execute("SELECT customer_key, first_name, last_name, company FROM customers")
    while page := cur.fetchmany(5000):
        conn.executemany(
            "UPDATE customers SET name_sort = ? WHERE customer_key = ?",
            [(name_sort(*row[1:]), row[0]) for row in page],
        )


def fold_query(text: str) -> str:
    """A typed search as the index holds text: folded, spaces collapsed (``"  Rosé "`` → ``"rose"``)."""
    return fold(text)


def phrase(needle: str) -> str:
    """An FTS5 query for ``needle`` as one phrase (a substring, with the trigram tokenizer)."""
    return '"' + needle.replace('"', '""') + '"'


def write(conn: sqlite3.Connection, rows: Iterable[tuple[str, str]]) -> None:
    """Upsert ``(customer_key, search)`` rows inside the caller's transaction (the triggers index them)."""
    batch = list(rows)
    if batch:
        conn.execute(_UPSERT, (json.dumps(batch, ensure_ascii=False),))


def fill(conn: sqlite3.Connection) -> None:
    """Fill ``customer_search`` from the existing customers and build the index (the migration, once,
    before the triggers exist: one ``rebuild`` is faster than an index insert per row)."""
    cur = conn.execute(
        "SELECT customer_key, first_name, last_name, company, email, city, name_key FROM customers"
    )
    while page := cur.fetchmany(5000):
        conn.executemany(
            f"INSERT INTO {TABLE} (customer_key, search) VALUES (?, ?)",
            [(row[0], search_text(*row)) for row in page],
        )
    conn.execute(f"INSERT INTO {FTS} ({FTS}) VALUES ('rebuild')")


def probe(needle: str) -> tuple[str, tuple[str, int]]:
    """The query of the ids of the ``customer_search`` rows holding ``needle`` (folded), at most
    ``PROBE + 1`` of them: the trigram index, or ``instr`` under 3 characters."""
    if len(needle) >= TRIGRAM:
        return f"SELECT rowid AS id FROM {FTS} WHERE {FTS} MATCH ? LIMIT ?", (phrase(needle), PROBE + 1)
    return f"SELECT id FROM {TABLE} WHERE instr(search, ?) > 0 LIMIT ?", (needle, PROBE + 1)
