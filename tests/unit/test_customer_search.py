"""The Customers search on its FTS5 trigram index (issue #15, "under 200 ms per key").

Semantics are the search's: a substring of the key, the name (either way round), the company, the
email or the city, case and accents ignored, best spenders first, in keyset pages. The index follows
the ETL's re-imports and deletions and an erasure, and the search reads no customer it does not
return (checked on the statements it really runs, with ``EXPLAIN QUERY PLAN``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from crmtui.records.canonical import Batch, Customer
from crmtui.records.erasure import Matcher, Needles
from crmtui.records.normalize import fold, name_key
from crmtui.store import Store
from crmtui.store import customer_search as cs


def _customer(key: str, first: str | None, last: str, email: str, **more: Any) -> Customer:
    return Customer(
        customer_key=key,
        first_name=first,
        last_name=last,
        email=email,
        name_key=name_key(first, last),
        source="test",
        **more,
    )


PEOPLE = [
    _customer("c-1", "Hélène", "Dupont-Martin", "helene.dm@exemple.fr", city="Dijon", company="Rosé & Fils"),
    _customer("c-2", "Jérôme", "Œuvray", "JEROME.OEUVRAY@Exemple.FR", city="Beaune"),
    _customer("c-3", "Anne", "Lefèvre", "anne_l@vignes.test", city="Mâcon"),
    _customer("c-4", None, "Zola", "e.zola@exemple.fr", city="Paris"),
]


def _load(store: Store, people: list[Customer]) -> None:
    store.etl.load_batch("test", Batch(records=list(people)))


def _keys(store: Store, text: str) -> list[str]:
    return [str(r["customer_key"]) for r in store.reco.search_customers(text, 1000)]


def _fts_rows(store: Store, needle: str) -> int:
    return int(store.scalar(f"SELECT count(*) FROM {cs.FTS} WHERE {cs.FTS} MATCH ?", (cs.phrase(needle),)))


def test_part_of_a_name_with_or_without_accents(store: Store) -> None:
    _load(store, PEOPLE)
    for typed in ("hélè", "HELENE", "lène dup", "dupont-martin hel", "dupont martin", "Dupont Martin Hélène"):
        assert _keys(store, typed) == ["c-1"], typed
    assert _keys(store, "œuvr") == ["c-2"]  # œ folds to oe, typed or stored
    assert _keys(store, "OEUVRAY JÉR") == ["c-2"]
    assert _keys(store, "lefevre") == ["c-3"]
    assert _keys(store, "rose & f") == ["c-1"]  # the company
    assert _keys(store, "macon") == ["c-3"]  # the city
    assert _keys(store, "  zola  ") == ["c-4"]  # a customer without a first name; spaces trimmed


def test_by_email_and_key(store: Store) -> None:
    _load(store, PEOPLE)
    assert _keys(store, "jerome.oeuvray@exemple") == ["c-2"]
    assert _keys(store, "ANNE_L@") == ["c-3"]  # ``_`` is a character, not LIKE's wildcard
    assert sorted(_keys(store, "@exemple.fr")) == ["c-1", "c-2", "c-4"]
    assert _keys(store, "c-3") == ["c-3"]


def test_no_match(store: Store) -> None:
    _load(store, PEOPLE)
    assert _keys(store, "zzqx") == []
    assert _keys(store, "qz") == []  # under 3 characters
    assert _keys(store, 'du"pont') == []  # a quote in the query is text, not FTS syntax
    assert _keys(store, "fr\x1fbeaune") == []  # a match never spans two fields (folded: a space)
    assert _keys(store, "%") == [] and _keys(store, "*") == []


def test_fewer_than_three_characters(store: Store) -> None:
    _load(store, PEOPLE)
    assert _keys(store, "IJ") == ["c-1"]  # inside "Dijon"
    assert _keys(store, "Œ") == ["c-2"]  # folds to "oe"
    assert sorted(_keys(store, "é")) == ["c-1", "c-2", "c-3", "c-4"]  # "e", everyone has one
    assert _keys(store, "") == ["c-1", "c-2", "c-3", "c-4"]  # no search: everyone


def test_the_index_follows_a_re_import_and_a_deletion(store: Store) -> None:
    _load(store, PEOPLE)
    assert _keys(store, "helene.dm") == ["c-1"]
    moved = _customer("c-1", "Hélène", "Durand", "h.durand@ailleurs.test", city="Dijon")
    _load(store, [moved, *PEOPLE[1:]])  # the ERP's next export: c-1 changed, the others did not
    assert _keys(store, "helene.dm") == [] and _keys(store, "dupont") == []
    assert _keys(store, "h.durand@") == ["c-1"] and _keys(store, "hélène dur") == ["c-1"]
    assert _fts_rows(store, "helene.dm") == 0
    before = store.db.conn.total_changes
    _load(store, [moved, *PEOPLE[1:]])  # the same export again: nothing rewritten
    assert store.db.conn.total_changes == before
    with store.write() as db:
        db.execute("DELETE FROM customers WHERE customer_key = 'c-2'")
    assert _keys(store, "oeuvray") == [] and _fts_rows(store, "oeuvray") == 0
    assert store.scalar(f"SELECT count(*) FROM {cs.TABLE} WHERE customer_key = 'c-2'") == 0
    assert store.scalar(f"SELECT count(*) FROM {cs.TABLE}") == 3
    with store.write() as db:
        db.execute(f"INSERT INTO {cs.FTS} ({cs.FTS}) VALUES ('integrity-check')")


def _reference(people: list[Customer], spend: dict[str, float], text: str) -> list[str]:
    needle = fold(text)
    hits = [
        p
        for p in people
        if any(
            needle in fold(v or "")
            for v in (
                p.customer_key,
                f"{p.first_name or ''} {p.last_name or ''}",
                f"{p.last_name or ''} {p.first_name or ''}",
                p.name_key,
                p.company,
                p.email,
                p.city,
            )
        )
    ]
    hits.sort(key=lambda p: (-spend[p.customer_key], p.customer_key))
    return [p.customer_key for p in hits]


def test_pages_on_both_paths_match_a_plain_filter(store: Store) -> None:
    """More matches than the probe reads (the spend-ordered list, filtered) and fewer (sorted rows)."""
    n = cs.PROBE + 300
    people = [
        _customer(f"k{i:05d}", "Élise" if i % 3 else "Marc", f"Client {i}", f"client{i}@exemple.fr")
        for i in range(n)
    ]
    _load(store, people)
    with store.write() as db:  # ties on spend and distinct spends: the keyset must handle both
        db.execute(
            "UPDATE customers SET total_spent_eur = 10.0 * (CAST(substr(customer_key, 2) AS INTEGER) % 7)"
        )
    spend = {p.customer_key: 10.0 * (int(p.customer_key[1:]) % 7) for p in people}
    for text in ("client", "exemple", "elise", "marc", "cl", "client 12", "t 4", "99@", "k0010", "nobody"):
        pages: list[str] = []
        after = None
        while True:
            page = store.reco.search_customers(text, 200, after=after)
            pages += [str(r["customer_key"]) for r in page]
            if len(page) < 200:
                break
            after = (float(page[-1]["total_spent_eur"]), str(page[-1]["customer_key"]))
        assert pages == _reference(people, spend, text), text


def _plans(store: Store, text: str) -> list[str]:
    """``EXPLAIN QUERY PLAN`` of every statement ``search_customers(text)`` runs (as run, values bound)."""
    ran: list[str] = []
    conn = store.db.conn
    conn.set_trace_callback(ran.append)
    try:
        store.reco.search_customers(text, 50)
    finally:
        conn.set_trace_callback(None)
    queries = [sql for sql in ran if sql.startswith("SELECT")]  # not sqlite-utils' savepoints
    assert queries, ran
    return [" | ".join(str(r[3]) for r in conn.execute(f"EXPLAIN QUERY PLAN {sql}")) for sql in queries]


def _scanned(plans: list[str]) -> set[str]:
    return set(re.findall(r"\bSCAN (\w+)\b(?! VIRTUAL TABLE)", " | ".join(plans)))


def test_a_search_does_not_scan_the_customers(store: Store) -> None:
    _load(store, PEOPLE)
    for text in ("zzqx", "nobody at all", "hélène dup", "@exemple.fr"):
        plans = _plans(store, text)
        assert f"SCAN {cs.FTS} VIRTUAL TABLE" in plans[0], plans
        assert _scanned(plans) == set(), (text, plans)
        assert all("customers_spend" not in p for p in plans), plans
    # Under 3 characters the compact search table is read, never the customers table itself.
    assert _scanned(_plans(store, "qz")) == {cs.TABLE}


def test_after_erasure_no_index_entry_holds_the_address(store: Store) -> None:
    _load(store, PEOPLE)
    address = "jerome.oeuvray@exemple.fr"
    assert _keys(store, address) == ["c-2"] and _fts_rows(store, "oeuvray") == 1
    needles = Needles()
    needles.add_email(address)
    needles.add_name("Jérôme", "Œuvray")
    counts = store.erasure.sweep([], {"emails": [address], "customer_keys": ["c-2"]}, Matcher(needles))
    assert counts[cs.TABLE] == 1 and counts["customers"] == 1
    assert store.scalar(f"SELECT count(*) FROM {cs.TABLE} WHERE search LIKE '%oeuvray%'") == 0
    for needle in (address, "oeuvray", "jerome"):
        assert _fts_rows(store, needle) == 0, needle
    # No term of the index counts them any more (a trigram only they had, "oeu", included) ...
    with store.write() as db:
        db.execute(f"CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, {cs.FTS}, 'row')")
    terms = {str(r[0]) for r in store.db.execute("SELECT term FROM temp.vocab").fetchall()}
    assert not {"oeu", "euv", "uvr", "vra", "ray", "jer"} & terms
    assert {"hel", "zol", "dij"} <= terms  # ... and everyone else is still found
    assert _keys(store, "zola") == ["c-4"] and _keys(store, "hélène") == ["c-1"]

    # ... and the index's pages are those a fresh build of the remaining rows writes: the merge
    # dropped the deleted entries, no older segment keeps them (ids 1 and 10 are FTS5's averages
    # and structure records, which count the writes).
    def pages() -> list[bytes]:
        rows = store.db.execute(f"SELECT block FROM {cs.FTS}_data WHERE id > 10").fetchall()
        return sorted(bytes(r[0]) for r in rows)

    swept = pages()
    with store.write() as db:
        db.execute(f"INSERT INTO {cs.FTS} ({cs.FTS}) VALUES ('rebuild')")
    assert swept == pages() and len(swept) == 1


def test_a_store_from_before_the_index_gets_it_built(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    store = Store(path)
    with store.write() as db:
        # Roll the store back to before migration 13 and fill it the way the old code did.
        for trigger in ("customer_search_insert", "customer_search_delete", "customer_search_update"):
            db.execute(f"DROP TRIGGER {trigger}")
        db.execute("DROP TRIGGER customers_search_gone")
        db.execute(f"DROP TABLE {cs.FTS}")
        db.execute(f"DROP TABLE {cs.TABLE}")
        db.execute("DELETE FROM _migrations WHERE version = 13")
        db.execute(
            "INSERT INTO customers (customer_key, first_name, last_name, email, name_key, source, row_hash) "
            "VALUES ('isavigne-C1', 'Aimé', 'Bérard', 'aime@exemple.fr', 'berard aime', 'isavigne', 'h')"
        )
    store.close()
    store = Store(path)  # opening applies the pending migration
    try:
        assert store.scalar("SELECT count(*) FROM _migrations WHERE version = 13") == 1
        assert _keys(store, "aimé bér") == ["isavigne-C1"] and _keys(store, "BERARD") == ["isavigne-C1"]
        _load(store, [_customer("odoo-2", "Aimée", "Bérardi", "aimee@exemple.fr")])  # the triggers are there
        assert _keys(store, "berard") == ["isavigne-C1", "odoo-2"]
    finally:
        store.close()
