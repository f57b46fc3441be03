"""A store built before #11 (products keyed ``isavigne-<reference>``) upgrades to the unprefixed
reference and keeps every sale, stock line, recommendation and feedback attached."""

from __future__ import annotations

from pathlib import Path

from crmtui.store import Store
from crmtui.store.etl import etl_repo

OLD_ROWS = [
    "INSERT INTO product_catalog (product_key, name, source, row_hash) VALUES ('isavigne-RIES20', 'Riesling', 'isavigne', 'h1')",
    "INSERT INTO product_catalog (product_key, name, source, row_hash) VALUES ('odoo-7', 'Pinot', 'odoo', 'h2')",
    "INSERT INTO customers (customer_key, last_name, source, row_hash) VALUES ('isavigne-C1', 'Dupont', 'isavigne', 'h3')",
    "INSERT INTO sales_lines (sale_line_key, customer_key, product_key, date_sale, source, row_hash) "
    "VALUES ('isavigne-F1-RIES20', 'isavigne-C1', 'isavigne-RIES20', '2025-01-02', 'isavigne', 'h4')",
    "INSERT INTO stock_levels (stock_key, product_key, warehouse, source, row_hash) "
    "VALUES ('isavigne-RIES20@principal', 'isavigne-RIES20', 'Principal', 'isavigne', 'h5')",
    "INSERT INTO reco_results (customer_key, rank, product_key, score, rule, computed_at) "
    "VALUES ('isavigne-C1', 1, 'isavigne-RIES20', 0.9, 'grape', '2025-01-03')",
    "INSERT INTO reco_feedback (customer_key, product_key, rule, actor, created_at) "
    "VALUES ('isavigne-C1', 'isavigne-RIES20', 'grape', 'op', '2025-01-03')",
    "INSERT INTO reco_product_state (product_key, fingerprint) VALUES ('isavigne-RIES20', 'f')",
]


def test_old_product_keys_migrate_with_their_history(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    store = Store(path)
    with store.write() as db:
        # Roll the store back to before migration 11 and fill it the way the old code did.
        db.execute("DELETE FROM _migrations WHERE version = 11")
        for sql in OLD_ROWS:
            db.execute(sql)
    store.close()

    store = Store(path)  # opening applies the pending migration
    try:
        assert store.scalar("SELECT count(*) FROM _migrations WHERE version = 11") == 1
        repo = etl_repo(store)
        assert repo.get("product_catalog", "RIES20") is not None
        assert repo.get("product_catalog", "isavigne-RIES20") is None
        assert repo.get("product_catalog", "odoo-7") is not None  # moved by the next Odoo run
        line = repo.get("sales_lines", "isavigne-F1-RIES20")
        assert line is not None and line["product_key"] == "RIES20" and line["customer_key"] == "isavigne-C1"
        assert store.scalar("SELECT product_key FROM stock_levels") == "RIES20"
        assert (
            store.scalar("SELECT product_key FROM reco_results WHERE customer_key = 'isavigne-C1'")
            == "RIES20"
        )
        assert store.scalar("SELECT product_key FROM reco_feedback") == "RIES20"
        assert store.scalar("SELECT product_key FROM reco_product_state") == "RIES20"
        # The join the recommendations use still finds the product and its sales.
        assert (
            store.scalar("SELECT count(*) FROM sales_lines s JOIN product_catalog p USING (product_key)") == 1
        )
    finally:
        store.close()


def test_rekeying_an_odoo_product_keeps_its_sales(tmp_path: Path) -> None:
    from crmtui.records.canonical import Batch

    store = Store(tmp_path / "s.db")
    try:
        with store.write() as db:
            db.execute(OLD_ROWS[1])
            db.execute(
                "INSERT INTO sales_lines (sale_line_key, product_key, source, row_hash) "
                "VALUES ('odoo-1', 'odoo-7', 'odoo', 'h')"
            )
        etl_repo(store).load_batch("odoo", Batch(rekeys=[("odoo-7", "PINOT-22")]))
        assert store.scalar("SELECT product_key FROM product_catalog") == "PINOT-22"
        assert store.scalar("SELECT product_key FROM sales_lines") == "PINOT-22"
    finally:
        store.close()
