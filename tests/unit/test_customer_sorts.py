"""The Customers list sorted in SQL (issue #15): by key, name or orders, either way, in keyset pages that
give every match once and in order on each of the search's paths; names as a French reader expects
(case and accents aside, the stored ``name_sort``); an index seek without a sort on the whole list;
migration 14 fills the key of a database written before it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from crmtui.records.canonical import RFM_SEGMENTS, Batch, Customer
from crmtui.records.normalize import fold
from crmtui.store import Store
from crmtui.store import customer_search as cs
from crmtui.store import migrations as mig
from crmtui.store.reco import CUSTOMER_SORTS, customer_place
from crmtui.store.review import Order
from tests.unit.test_review_sorts import ESTATE, FRENCH


def _people(n: int) -> list[Customer]:
    """``n`` customers: the estate's first names (a company for one in eleven), few distinct order counts."""
    out = []
    for i in range(n):
        key = f"k{(i * 7919) % n:05d}"
        name = ESTATE[i % len(ESTATE)]
        company = name if i % len(ESTATE) == 7 else None  # "Œnologue": a company, no person's name
        out.append(
            Customer(
                customer_key=key,
                first_name=None if company else name,
                last_name=None,
                company=company,
                email=f"client{i}@exemple.fr" if i % 2 else f"{key}@vignes.test",
                source="test",
            )
        )
    return out


def _load(store: Store, n: int) -> dict[str, dict[str, Any]]:
    people = _people(n)
    store.etl.load_batch("test", Batch(records=list(people)))
    with store.write() as db:
        db.execute("UPDATE customers SET purchase_count = CAST(substr(customer_key, 2) AS INTEGER) % 5")
        # Every RFM segment, none (not computed yet) and one no rule knows (an older code).
        for i, code in enumerate([*SEGMENTS]):
            db.execute(
                "UPDATE customers SET segment = ? WHERE CAST(substr(customer_key, 2) AS INTEGER) % 7 = ?",
                (code, i),
            )
    return {
        p.customer_key: {
            "name": cs.display_name(p.first_name, p.last_name, p.company),
            "orders": int(p.customer_key[1:]) % 5,
            "segment": (SEGMENTS + [None])[min(int(p.customer_key[1:]) % 7, len(SEGMENTS))],
            "email": p.email,
        }
        for p in people
    }


BEST_FIRST = {"VIP": 0, "STANDARD": 1, "AT_RISK": 2, "PROSPECT": 3, "INACTIVE": 4}
SEGMENTS: list[str | None] = [*RFM_SEGMENTS, "OLD_CODE"]
"""What ``_load`` writes in ``segment`` (by key modulo 7; the 7th: no segment)."""


def _expected(people: dict[str, dict[str, Any]], text: str, order: Order) -> list[str]:
    keys = [k for k, p in people.items() if text in k or text in p["email"] or text in fold(p["name"])]
    place = {
        "key": lambda k: (k,),
        "name": lambda k: (FRENCH.index(people[k]["name"]), k),
        "orders": lambda k: (people[k]["orders"], k),
        # Best first, as the estate reads its RFM table; no segment and unknown codes last, together.
        "segment": lambda k: (BEST_FIRST.get(people[k]["segment"], 5), k),
    }[str(order.column)]
    return sorted(keys, key=place, reverse=order.descending)


def _pages(store: Store, text: str, order: Order, limit: int) -> list[str]:
    keys: list[str] = []
    after = None
    while True:
        page = store.reco.search_customers(text, limit, after=after, order=order)
        keys += [str(r["customer_key"]) for r in page]
        if len(page) < limit:
            return keys
        after = customer_place(page[-1], order)


@pytest.mark.parametrize("descending", [False, True])
def test_sorted_pages_on_every_path_give_the_french_order(store: Store, descending: bool) -> None:
    people = _load(store, cs.PROBE + 200)
    # No search; common ones (more matches than the probe reads: the sorted list, filtered; under 3
    # characters and over); rarer ones (the matches read by id, then sorted); none.
    for text in ("", "k0", "e", "exemple", "k0001", "zzz"):
        for column in CUSTOMER_SORTS:
            order = Order(column, descending)
            assert _pages(store, text, order, 97) == _expected(people, text, order), (text, column)
    names = [
        cs.display_name(r["first_name"], None, r["company"])
        for r in store.reco.search_customers("", 5000, order=Order("name", descending))
    ]
    assert list(dict.fromkeys(names)) == (FRENCH[::-1] if descending else FRENCH)


def test_a_sorted_page_seeks_an_index_without_sorting(store: Store) -> None:
    _load(store, cs.PROBE + 200)
    conn = store.db.conn
    for text in (
        "",
        "k0",
    ):  # no search, a common one: the sorted list is read (a rare one sorts its few matches)
        for column in CUSTOMER_SORTS:
            for descending in (False, True):
                order = Order(column, descending)
                first = store.reco.search_customers(text, 50, order=order)
                ran: list[str] = []
                conn.set_trace_callback(ran.append)
                try:
                    store.reco.search_customers(text, 50, order=order)
                    store.reco.search_customers(text, 50, after=customer_place(first[-1], order), order=order)
                finally:
                    conn.set_trace_callback(None)
                queries = [sql for sql in ran if sql.startswith("SELECT") and "customers c" in sql]
                assert len(queries) == 2, ran
                for sql in queries:
                    plan = " | ".join(str(r[3]) for r in conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
                    assert "TEMP B-TREE" not in plan, (sql, plan)
                    index = {
                        "key": "sqlite_autoindex_customers_1",
                        "name": "customers_by_name_sort",
                        "segment": "customers_by_segment",
                    }.get(column, "customers_by_orders")
                    assert f"USING INDEX {index}" in plan or f"USING COVERING INDEX {index}" in plan, (
                        sql,
                        plan,
                    )
                    if " OR " in sql or "customer_key >" in sql or "customer_key <" in sql:
                        assert plan.startswith("SEARCH c USING"), (sql, plan)  # a range from the row


def test_migration_14_fills_the_sort_key_of_an_older_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "crm.db"
    every = list(mig.MIGRATIONS)
    monkeypatch.setattr(mig, "MIGRATIONS", [m for m in every if m[0] != 14])
    old = Store(path)  # the schema before migration 14, customers written as the code of then did
    assert "name_sort" not in old.db["customers"].columns_dict
    with old.write() as db:
        for i, name in enumerate(ESTATE):
            db.execute(
                "INSERT INTO customers (customer_key, first_name, company, source, row_hash) VALUES (?, ?, ?, 't', 'h')",
                (f"c{i:02d}", None if i == 3 else name, name if i == 3 else None),
            )
    old.close()
    monkeypatch.setattr(mig, "MIGRATIONS", every)
    store = Store(path)
    try:
        assert 14 in mig.applied_versions(store)
        rows = store.reco.search_customers("", 50, order=Order("name"))
        assert [cs.display_name(r["first_name"], None, r["company"]) for r in rows] == FRENCH
        names = {r["name"] for r in store.query("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {"customers_by_name_sort", "customers_by_orders"} <= names
        # A re-import keeps the key in step with the name shown.
        store.etl.load_batch(
            "test", Batch(records=[Customer(customer_key="c00", first_name="Zoé", source="t")])
        )
        assert store.scalar("SELECT name_sort FROM customers WHERE customer_key = 'c00'") == cs.name_sort(
            "Zoé", None, None
        )
    finally:
        store.close()
