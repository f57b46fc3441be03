"""The console's lists read in SQL pages (issue #15): keyset pages cover the list once, in order,
and the Customers page reads the spend index instead of sorting every customer."""

from __future__ import annotations

from crmtui.records.canonical import Batch, Customer
from crmtui.store import Store


def _customers(store: Store, n: int) -> None:
    people = [
        Customer(customer_key=f"c{i:04d}", last_name=f"Client {i}", email=f"c{i}@exemple.fr", source="test")
        for i in range(n)
    ]
    store.etl.load_batch("test", Batch(records=list(people)))
    # Ties on spend (most customers have none) and distinct spends: the keyset must handle both.
    with store.write() as db:
        db.execute(
            "UPDATE customers SET total_spent_eur = 10.0 * (CAST(substr(customer_key, 2) AS INTEGER) % 7)"
        )


def test_customer_pages_cover_the_search_once_in_order(store: Store) -> None:
    _customers(store, 123)
    for text in ("", "client 1"):
        everything = store.reco.search_customers(text, 1000)
        pages: list[dict[str, object]] = []
        after = None
        while True:
            page = store.reco.search_customers(text, 10, after=after)
            pages += page
            if len(page) < 10:
                break
            after = (float(page[-1]["total_spent_eur"]), str(page[-1]["customer_key"]))
        assert [r["customer_key"] for r in pages] == [r["customer_key"] for r in everything]


def test_customer_page_uses_the_spend_index(store: Store) -> None:
    _customers(store, 20)
    plan = " ".join(
        str(row[3])
        for row in store.db.execute(
            "EXPLAIN QUERY PLAN SELECT customer_key FROM customers WHERE total_spent_eur <= ? "
            "AND (total_spent_eur < ? OR customer_key > ?) ORDER BY total_spent_eur DESC, customer_key LIMIT 50",
            (1.0, 1.0, "c"),
        ).fetchall()
    )
    assert "customers_spend" in plan and "TEMP B-TREE" not in plan


def test_unknown_sends_page_by_keyset(store: Store) -> None:
    assert store.scenarios.unknown(10) == []
    assert store.scenarios.unknown(10, after=("2026-01-01T00:00:00", "k")) == []
