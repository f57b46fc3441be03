"""ETL schema (migrations 10–19): the five canonical tables and the ETL bookkeeping.

Canonical tables carry a ``row_hash`` of their source fields: an upsert rewrites a row only when
the hash changed, so re-importing the same data changes 0 rows. There are no foreign keys between
them on purpose: an orphan sales line (a product missing from the catalogue) is loaded and shown
by the data-quality report rather than refused.
"""

from __future__ import annotations

import sqlite_utils

from crmtui.records.canonical import RFM_SEGMENTS
from crmtui.store import customer_search
from crmtui.store.migrations import migration, run_script

SEGMENT_RANK = (
    "(CASE segment "
    + " ".join(f"WHEN '{code}' THEN {rank}" for rank, code in enumerate(RFM_SEGMENTS))
    + f" ELSE {len(RFM_SEGMENTS)} END)"
)
"""A customer's RFM segment as a rank, best first (VIP, standard, at risk, prospect, inactive, then
none): the Customers table sorts its Segment column by it, whatever the language of the labels.
The index of migration 15 is on this very expression, which the query must repeat to use it."""


@migration(10, "etl: canonical tables, runs, cursors, files, quality")
def _m0010(db: sqlite_utils.Database) -> None:
    run_script(
        db,
        """
        CREATE TABLE product_catalog (
            product_key TEXT PRIMARY KEY,      -- source-prefixed: isavigne-bpn22-75, odoo-42
            name TEXT,
            category TEXT NOT NULL DEFAULT 'AUTRE',
            price_segment TEXT,                -- ENTRY/STANDARD/PREMIUM/LUXURY
            list_price_eur REAL,
            cost_price_eur REAL,
            grape_varieties TEXT,
            flavors TEXT,
            vintage INTEGER,
            region TEXT,
            alcohol_percent REAL,
            body TEXT,
            tannins TEXT,
            bottles_75cl_eq REAL NOT NULL DEFAULT 1,
            source TEXT NOT NULL,
            active INTEGER NOT NULL DEFAULT 1,
            row_hash TEXT NOT NULL
        );

        CREATE TABLE customers (
            customer_key TEXT PRIMARY KEY,     -- isavigne-C00012, odoo-7
            first_name TEXT,
            last_name TEXT,
            company TEXT,
            email TEXT,
            phone TEXT,
            mobile TEXT,
            zip_code TEXT,
            city TEXT,
            country TEXT NOT NULL DEFAULT 'France',
            email_opt_out INTEGER NOT NULL DEFAULT 0,
            sms_opt_out INTEGER NOT NULL DEFAULT 0,
            phone_opt_out INTEGER NOT NULL DEFAULT 0,
            active INTEGER NOT NULL DEFAULT 1,
            name_key TEXT NOT NULL DEFAULT '',
            invalid_fields TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL,
            row_hash TEXT NOT NULL,
            -- written by the RFM pass, not by sources
            segment TEXT,
            first_purchase_date TEXT,
            last_purchase_date TEXT,
            total_spent_eur REAL NOT NULL DEFAULT 0,
            purchase_count INTEGER NOT NULL DEFAULT 0,
            average_order_value_eur REAL,
            preferred_category TEXT
        );
        CREATE INDEX customers_email ON customers(email);
        CREATE INDEX customers_name_zip ON customers(name_key, zip_code);

        CREATE TABLE sales_lines (
            sale_line_key TEXT PRIMARY KEY,
            order_ref TEXT,
            customer_key TEXT,
            product_key TEXT,
            date_sale TEXT,
            quantity_units REAL NOT NULL DEFAULT 0,
            quantity_bottles_75cl_eq REAL NOT NULL DEFAULT 0,
            price_unit_eur REAL,
            price_total_eur REAL,
            cost_total_eur REAL,
            margin_percent REAL,
            channel TEXT,
            source TEXT NOT NULL,
            row_hash TEXT NOT NULL
        );
        CREATE INDEX sales_lines_customer ON sales_lines(customer_key);
        CREATE INDEX sales_lines_product ON sales_lines(product_key);

        CREATE TABLE stock_levels (
            stock_key TEXT PRIMARY KEY,
            product_key TEXT,
            warehouse TEXT,
            quantity_units REAL NOT NULL DEFAULT 0,
            quantity_bottles_75cl_eq REAL NOT NULL DEFAULT 0,
            last_count_date TEXT,
            reserved_qty REAL NOT NULL DEFAULT 0,
            available_qty REAL NOT NULL DEFAULT 0,
            source TEXT NOT NULL,
            row_hash TEXT NOT NULL
        );

        CREATE TABLE contact_history (
            contact_key TEXT PRIMARY KEY,
            customer_key TEXT,
            date_contact TEXT,
            channel TEXT NOT NULL DEFAULT 'EMAIL',   -- EMAIL/SMS/PHONE/WEBSITE
            campaign TEXT,
            subject TEXT,
            status TEXT,
            product_key_suggested TEXT,
            response TEXT,
            response_details TEXT,
            source TEXT NOT NULL,
            row_hash TEXT NOT NULL
        );
        CREATE INDEX contact_history_customer ON contact_history(customer_key);

        CREATE TABLE etl_runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            cycle_run_id INTEGER,              -- sync_runs.id of the cycle, if any
            source TEXT NOT NULL,
            full INTEGER NOT NULL DEFAULT 0,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL DEFAULT 'running',  -- running/ok/partial/failed/interrupted
            duration REAL,
            processed TEXT NOT NULL DEFAULT '{}',    -- JSON {table: records read}
            changed TEXT NOT NULL DEFAULT '{}',      -- JSON {table: rows written}
            skipped INTEGER NOT NULL DEFAULT 0,
            error_count INTEGER NOT NULL DEFAULT 0,
            detail TEXT
        );
        CREATE INDEX etl_runs_source ON etl_runs(source, id);

        CREATE TABLE etl_errors (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            etl_run_id INTEGER NOT NULL REFERENCES etl_runs(id) ON DELETE CASCADE,
            source TEXT NOT NULL,
            location TEXT NOT NULL,            -- file:line or model#id
            reason TEXT NOT NULL
        );
        CREATE INDEX etl_errors_run ON etl_errors(etl_run_id);

        CREATE TABLE etl_cursors (
            source TEXT NOT NULL,
            name TEXT NOT NULL,                -- a file kind or an Odoo model
            value TEXT NOT NULL,               -- JSON
            updated_at TEXT NOT NULL,
            PRIMARY KEY (source, name)
        );

        CREATE TABLE etl_files (
            source TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            rows INTEGER NOT NULL,
            imported_at TEXT NOT NULL,
            PRIMARY KEY (source, sha256)
        );

        CREATE TABLE quality_issues (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            created_at TEXT NOT NULL,
            table_name TEXT NOT NULL,
            check_name TEXT NOT NULL,
            count INTEGER NOT NULL,
            examples TEXT NOT NULL DEFAULT '[]',      -- JSON list of {key, detail}
            report_path TEXT
        );
        """,
    )


PRODUCT_KEY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("product_catalog", "product_key"),
    ("sales_lines", "product_key"),
    ("stock_levels", "product_key"),
    ("contact_history", "product_key_suggested"),
    ("reco_results", "product_key"),
    ("reco_product_state", "product_key"),
    ("reco_feedback", "product_key"),
    ("reco_suggestions", "product_key"),
)
"""Every column holding a product key: a key change (#11) moves them all, so a product keeps its
sales history, stock, recommendations, feedback and suggestions."""


def _existing(db: sqlite_utils.Database) -> list[tuple[str, str]]:
    tables = set(db.table_names())
    return [(table, column) for table, column in PRODUCT_KEY_COLUMNS if table in tables]


def rekey_products(db: sqlite_utils.Database, pairs: list[tuple[str, str]]) -> int:
    """Move product keys ``old → new`` in every table, inside the caller's transaction.

    A row that would collide with one already under the new key (a product both sources know)
    is dropped in favour of the existing one. Returns the products moved.
    """
    moved = 0
    columns = _existing(db)
    for old, new in pairs:
        if old == new:
            continue
        if not db.execute("SELECT 1 FROM product_catalog WHERE product_key = ?", (old,)).fetchone():
            continue
        moved += 1
        for table, column in columns:
            db.execute(f"UPDATE OR IGNORE {table} SET {column} = ? WHERE {column} = ?", (new, old))
            db.execute(f"DELETE FROM {table} WHERE {column} = ?", (old,))
    return moved


@migration(11, "etl: product keys are the product's own reference, without a source prefix")
def _m0011(db: sqlite_utils.Database) -> None:
    # Before #11 an iSaVigne product was "isavigne-<reference>"; it is now "<reference>", the key
    # Odoo's default_code gives too, so moving from iSaVigne to Odoo keeps every product's history.
    # (Odoo's own "odoo-<id>" keys are moved by the next Odoo run, which reads default_code.)
    for table, column in _existing(db):
        db.execute(
            f"UPDATE OR IGNORE {table} SET {column} = substr({column}, 10) WHERE {column} LIKE 'isavigne-%'"
        )
        if table in ("product_catalog", "reco_product_state", "reco_feedback"):
            db.execute(f"DELETE FROM {table} WHERE {column} LIKE 'isavigne-%'")


@migration(12, "etl: customers by spend, for the console's search pages")
def _m0012(db: sqlite_utils.Database) -> None:
    # The Customers screen lists the best customers first, a page at a time (LIMIT + keyset on
    # spend then key): with this index a page reads its rows in order and stops, instead of sorting
    # every customer on each search keystroke (issue #15, "under 200 ms per key").
    db.execute("CREATE INDEX IF NOT EXISTS customers_spend ON customers(total_spent_eur DESC, customer_key)")


@migration(13, "etl: the Customers search index (FTS5 trigram over folded key, names, company, email, city)")
def _m0013(db: sqlite_utils.Database) -> None:
    # A search that matches few customers (or none) read every customer row (~330 ms at 100,000,
    # issue #15); the trigram index answers it by lookup. See crmtui.store.customer_search.
    run_script(db, customer_search.SCHEMA)
    customer_search.fill(db.conn)
    run_script(db, customer_search.TRIGGERS)


@migration(14, "etl: the Customers table's sorts by name (accent- and case-insensitive key) and orders")
def _m0014(db: sqlite_utils.Database) -> None:
    # The Customers table sorted the rows read so far in memory; it now sorts the whole list in SQL, a
    # keyset page at a time (issue #15): by key (the primary key), by name (a stored sort key, see
    # crmtui.store.customer_search) or by orders, each with the key so rows sharing a value page once.
    db.execute("ALTER TABLE customers ADD COLUMN name_sort TEXT")
    customer_search.fill_sort_keys(db.conn)
    run_script(
        db,
        """
        CREATE INDEX customers_by_name_sort ON customers(COALESCE(name_sort, ''), customer_key);
        CREATE INDEX customers_by_orders ON customers(COALESCE(purchase_count, 0), customer_key);
        """,
    )


@migration(15, "etl: the Customers table's sort by RFM segment (best first)")
def _m0015(db: sqlite_utils.Database) -> None:
    # The Segment column shows a label in the operator's language, so it sorts by the segment's rank
    # (RFM_SEGMENTS' order), an expression index with the key so rows of one segment page once.
    db.execute(f"CREATE INDEX customers_by_segment ON customers({SEGMENT_RANK}, customer_key)")
