"""ETL repository: canonical upserts with their cursor, ETL runs, quality figures and RFM writes.

Every load goes through :meth:`EtlRepo.load_batch`: one ``BEGIN IMMEDIATE`` transaction holding
the batch's rows **and** the source cursor (or the imported file's hash) that covers them, so a
crash leaves either both or neither and a rerun is exact.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from crmtui.records.canonical import RECORD_TYPES, TABLES, Batch, Canonical, Customer, SkippedRow
from crmtui.store import customer_search
from crmtui.store._util import dumps, loads, now_iso
from crmtui.store.etl_schema import rekey_products

if TYPE_CHECKING:
    from crmtui.store.db import Store

MAX_ERRORS_PER_RUN = 1000
"""Skipped rows and errors kept per ETL run (the count is always exact)."""

_REQUIRED: dict[str, tuple[str, ...]] = {
    "product_catalog": ("name", "list_price_eur"),
    "customers": ("last_name",),
    "sales_lines": ("customer_key", "product_key", "date_sale", "price_total_eur"),
    "stock_levels": ("product_key", "warehouse"),
    "contact_history": ("customer_key", "date_contact"),
}
"""Fields a canonical row must have; missing ones are reported by the quality check."""

OWN_HISTORY_SOURCES = ("scenarios", "crmtui-events")
"""``contact_history.source`` of the rows crmtui writes itself: a scenario's sends
(:mod:`crmtui.store.scenarios`) and the opens, clicks, bounces and replies that follow
(:mod:`crmtui.store.events`). A send to someone who is a Mailchimp contact but not (yet) a customer
has no ``customer_key`` by design: these rows are not imported data, so the quality checks skip them."""

_KEYS = {cls.TABLE: cls.KEY for cls in RECORD_TYPES}


def _upsert_sql(cls: type[Canonical]) -> str:
    cols = [*cls.columns(), "row_hash"]
    updates = ", ".join(f"{c} = excluded.{c}" for c in cols if c != cls.KEY)
    return (
        f"INSERT INTO {cls.TABLE} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
        f"ON CONFLICT({cls.KEY}) DO UPDATE SET {updates} "
        f"WHERE {cls.TABLE}.row_hash IS NOT excluded.row_hash"
    )


_UPSERT = {cls: _upsert_sql(cls) for cls in RECORD_TYPES}


@dataclass(frozen=True)
class EtlRun:
    """A recorded ETL run of one source."""

    id: int
    source: str
    full: bool
    started_at: str
    finished_at: str | None
    status: str
    duration: float | None
    processed: dict[str, int]
    changed: dict[str, int]
    skipped: int
    error_count: int
    detail: str

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> EtlRun:
        """Build from an ``etl_runs`` row."""
        return cls(
            id=row["id"],
            source=row["source"],
            full=bool(row["full"]),
            started_at=row["started_at"],
            finished_at=row["finished_at"],
            status=row["status"],
            duration=row["duration"],
            processed=loads(row["processed"], {}),
            changed=loads(row["changed"], {}),
            skipped=row["skipped"],
            error_count=row["error_count"],
            detail=row["detail"] or "",
        )


@dataclass(frozen=True)
class SourceStats:
    """How a source has done over its recorded runs."""

    source: str
    runs: int
    successes: int
    failures: int
    average_duration: float | None
    last: EtlRun | None


@dataclass(frozen=True)
class QualityIssue:
    """One data-quality finding: a check on a table, how many rows, and a few examples."""

    table: str
    check: str
    count: int
    examples: list[dict[str, str]]


class EtlRepo:
    """Named operations on the canonical tables and the ETL bookkeeping."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- loading ----------------------------------------------------------------------------

    def load_batch(self, source: str, batch: Batch, etl_run_id: int | None = None) -> dict[str, int]:
        """Upsert a batch, its cursor and its file mark in one transaction.

        Args:
            source: the source name.
            batch: records, skipped rows, cursor, done file.
            etl_run_id: the ETL run the skipped rows are recorded against.

        Returns:
            Rows actually inserted or changed, per table (unchanged rows are not rewritten).
        """
        groups: dict[type[Canonical], dict[str, tuple[Any, ...]]] = {}
        searches: dict[str, str] = {}
        customers: dict[str, Customer] = {}
        for record in batch.records:
            # The same key twice in a batch (a client exported twice): the later row wins, and
            # the earlier one is never written, so a full re-read changes nothing.
            groups.setdefault(type(record), {})[record.key] = record.values()
            if isinstance(record, Customer):
                searches[record.key] = customer_search.customer_text(record)
                customers[record.key] = record
        changed: dict[str, int] = {}
        with self.store.write() as db:
            conn = db.conn
            if batch.rekeys:
                rekey_products(db, batch.rekeys)
            for cls in RECORD_TYPES:
                rows = groups.get(cls)
                if not rows:
                    continue
                before = conn.total_changes
                conn.executemany(_UPSERT[cls], rows.values())
                changed[cls.TABLE] = conn.total_changes - before
            if searches:
                # The Customers search index follows in the same transaction (after the count:
                # its rows and the index's are not source rows).
                customer_search.write(conn, searches.items())
                customer_search.write_sort_keys(conn, customers.values())
            if batch.cursor is not None:
                name, value = batch.cursor
                conn.execute(
                    "INSERT INTO etl_cursors (source, name, value, updated_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(source, name) DO UPDATE SET value = excluded.value, "
                    "updated_at = excluded.updated_at",
                    (source, name, value, now_iso()),
                )
            if batch.done_file is not None:
                fname, sha, kind, count = batch.done_file
                conn.execute(
                    "INSERT OR REPLACE INTO etl_files (source, sha256, name, kind, rows, imported_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (source, sha, fname, kind, count, now_iso()),
                )
            if etl_run_id is not None and batch.skipped:
                self._record_errors(conn, etl_run_id, batch.skipped)
        return changed

    def _record_errors(self, conn: Any, etl_run_id: int, errors: Sequence[SkippedRow]) -> None:
        kept = conn.execute("SELECT count(*) FROM etl_errors WHERE etl_run_id = ?", (etl_run_id,)).fetchone()[
            0
        ]
        room = max(0, MAX_ERRORS_PER_RUN - int(kept))
        if room:
            conn.executemany(
                "INSERT INTO etl_errors (etl_run_id, source, location, reason) VALUES (?, ?, ?, ?)",
                [(etl_run_id, e.source, e.location, e.reason) for e in errors[:room]],
            )

    def record_errors(self, etl_run_id: int, errors: Sequence[SkippedRow]) -> None:
        """Record errors that came with no batch (a file that cannot be read, a fault)."""
        if errors:
            with self.store.write() as db:
                self._record_errors(db.conn, etl_run_id, errors)

    # -- cursors and files ------------------------------------------------------------------

    def cursor(self, source: str, name: str) -> str | None:
        """A source's stored cursor value, or None."""
        value = self.store.scalar(
            "SELECT value FROM etl_cursors WHERE source = ? AND name = ?", (source, name)
        )
        return None if value is None else str(value)

    def cursors(self, source: str) -> dict[str, str]:
        """Every cursor of a source."""
        rows = self.store.query(
            "SELECT name, value FROM etl_cursors WHERE source = ? ORDER BY name", (source,)
        )
        return {r["name"]: r["value"] for r in rows}

    def reset_source(self, source: str) -> None:
        """Forget a source's cursors and imported files, so the next run reads everything."""
        with self.store.write() as db:
            db.execute("DELETE FROM etl_cursors WHERE source = ?", (source,))
            db.execute("DELETE FROM etl_files WHERE source = ?", (source,))

    def file_imported(self, source: str, sha256: str) -> bool:
        """Whether a file with this content was fully imported already."""
        return bool(
            self.store.scalar("SELECT 1 FROM etl_files WHERE source = ? AND sha256 = ?", (source, sha256))
        )

    def product_info(self, source: str) -> dict[str, tuple[float | None, float | None]]:
        """(75 cl equivalents, cost) per product key of one source (for sales lines and stock)."""
        rows = self.store.query(
            "SELECT product_key, bottles_75cl_eq, cost_price_eur FROM product_catalog WHERE source = ?",
            (source,),
        )
        return {r["product_key"]: (float(r["bottles_75cl_eq"]), r["cost_price_eur"]) for r in rows}

    # -- runs -------------------------------------------------------------------------------

    def start_run(self, source: str, *, full: bool = False, cycle_run_id: int | None = None) -> int:
        """Record an ETL run as started; return its id."""
        with self.store.write() as db:
            db.execute(
                "UPDATE etl_runs SET status = 'interrupted' WHERE source = ? AND status = 'running'",
                (source,),
            )
            cur = db.execute(
                "INSERT INTO etl_runs (cycle_run_id, source, full, started_at) VALUES (?, ?, ?, ?)",
                (cycle_run_id, source, int(full), now_iso()),
            )
            return int(cur.lastrowid or 0)

    def finish_run(
        self,
        etl_run_id: int,
        status: str,
        *,
        duration: float,
        processed: dict[str, int],
        changed: dict[str, int],
        skipped: int,
        error_count: int,
        detail: str = "",
    ) -> None:
        """Record the outcome of an ETL run."""
        with self.store.write() as db:
            db.execute(
                "UPDATE etl_runs SET finished_at = ?, status = ?, duration = ?, processed = ?, changed = ?, "
                "skipped = ?, error_count = ?, detail = ? WHERE id = ?",
                (
                    now_iso(),
                    status,
                    duration,
                    dumps(processed),
                    dumps(changed),
                    skipped,
                    error_count,
                    detail,
                    etl_run_id,
                ),
            )

    def runs(self, source: str | None = None, limit: int = 20) -> list[EtlRun]:
        """The latest ETL runs, newest first."""
        if source is None:
            rows = self.store.query("SELECT * FROM etl_runs ORDER BY id DESC LIMIT ?", (limit,))
        else:
            rows = self.store.query(
                "SELECT * FROM etl_runs WHERE source = ? ORDER BY id DESC LIMIT ?", (source, limit)
            )
        return [EtlRun.from_row(r) for r in rows]

    def errors(self, etl_run_id: int, limit: int = 200) -> list[SkippedRow]:
        """Skipped rows and errors recorded for a run."""
        rows = self.store.query(
            "SELECT source, location, reason FROM etl_errors WHERE etl_run_id = ? ORDER BY id LIMIT ?",
            (etl_run_id, limit),
        )
        return [SkippedRow(r["source"], r["location"], r["reason"]) for r in rows]

    def stats(self, source: str) -> SourceStats:
        """Runs, successes, failures and average duration of one source."""
        row = self.store.query(
            "SELECT count(*) AS runs, sum(status = 'ok') AS ok, "
            "sum(status IN ('failed', 'interrupted')) AS failed, avg(duration) AS avg "
            "FROM etl_runs WHERE source = ? AND status != 'running'",
            (source,),
        )[0]
        last = self.runs(source, 1)
        return SourceStats(
            source=source,
            runs=int(row["runs"] or 0),
            successes=int(row["ok"] or 0),
            failures=int(row["failed"] or 0),
            average_duration=None if row["avg"] is None else float(row["avg"]),
            last=last[0] if last else None,
        )

    # -- reading the canonical tables -------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Rows per canonical table."""
        return {table: int(self.store.scalar(f"SELECT count(*) FROM {table}") or 0) for table in TABLES}

    def rows(self, table: str, *, where: str = "", limit: int = 100) -> list[dict[str, Any]]:
        """Rows of one canonical table ordered by key (for tests and screens)."""
        if table not in _KEYS:
            raise ValueError(f"not a canonical table: {table}")
        clause = f"WHERE {where}" if where else ""
        return self.store.query(f"SELECT * FROM {table} {clause} ORDER BY {_KEYS[table]} LIMIT ?", (limit,))

    def get(self, table: str, key: str) -> dict[str, Any] | None:
        """One canonical row by key."""
        if table not in _KEYS:
            raise ValueError(f"not a canonical table: {table}")
        rows = self.store.query(f"SELECT * FROM {table} WHERE {_KEYS[table]} = ?", (key,))
        return rows[0] if rows else None

    def checksum(self) -> str:
        """SHA-256 over every canonical row, in key order: equal tables give equal checksums."""
        digest = hashlib.sha256()
        for table in TABLES:
            digest.update(table.encode())
            cur = self.store.db.execute(f"SELECT * FROM {table} ORDER BY {_KEYS[table]}")
            while chunk := cur.fetchmany(5000):
                for row in chunk:
                    digest.update(repr(row).encode("utf-8"))
        return digest.hexdigest()

    def field_fill(self, table: str, source: str) -> tuple[int, dict[str, int]]:
        """Rows of one source in a canonical table, and non-empty values per column (mapping view)."""
        if table not in _KEYS:
            raise ValueError(f"not a canonical table: {table}")
        cols = [c.name for c in self.store.db[table].columns]
        parts = ", ".join(f"sum({c} IS NOT NULL AND {c} != '') AS {c}" for c in cols)
        row = self.store.query(f"SELECT count(*) AS _n, {parts} FROM {table} WHERE source = ?", (source,))[0]
        return int(row["_n"] or 0), {c: int(row[c] or 0) for c in cols}

    # -- quality ----------------------------------------------------------------------------

    def quality_checks(self, examples: int = 5) -> list[QualityIssue]:
        """Run every data-quality check on the canonical tables.

        Checks: missing required fields (per table), duplicate customers (same email; same
        normalised name and postcode), invalid emails and phones, orphan sales lines (unknown
        customer or product), negative stock, reserved above quantity, stock of unknown products.
        """
        issues: list[QualityIssue] = []

        def add(
            table: str, check: str, count_sql: str, example_sql: str, params: tuple[Any, ...] = ()
        ) -> None:
            count = int(self.store.scalar(count_sql, params) or 0)
            rows = self.store.query(example_sql + f" LIMIT {int(examples)}", params) if count else []
            issues.append(
                QualityIssue(
                    table, check, count, [{"key": str(r["k"]), "detail": str(r["d"] or "")} for r in rows]
                )
            )

        own = ", ".join(f"'{s}'" for s in OWN_HISTORY_SOURCES)
        for table, fields in _REQUIRED.items():
            key = _KEYS[table]
            for f in fields:
                cond = f"({f} IS NULL OR trim({f}) = '')"
                if table == "contact_history":
                    cond += f" AND source NOT IN ({own})"
                add(
                    table,
                    f"missing:{f}",
                    f"SELECT count(*) FROM {table} WHERE {cond}",
                    f"SELECT {key} AS k, source AS d FROM {table} WHERE {cond} ORDER BY {key}",
                )
        add(
            "customers",
            "duplicate:email",
            "SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM customers "
            "WHERE email IS NOT NULL AND email != '' AND invalid_fields NOT LIKE '%email%' "
            "GROUP BY email HAVING n > 1)",
            "SELECT group_concat(customer_key, ', ') AS k, email AS d FROM customers "
            "WHERE email IS NOT NULL AND email != '' AND invalid_fields NOT LIKE '%email%' "
            "GROUP BY email HAVING count(*) > 1 ORDER BY email",
        )
        add(
            "customers",
            "duplicate:name_zip",
            "SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM customers "
            "WHERE name_key != '' GROUP BY name_key, coalesce(zip_code, '') HAVING n > 1)",
            "SELECT group_concat(customer_key, ', ') AS k, name_key || ' ' || coalesce(zip_code, '') AS d "
            "FROM customers WHERE name_key != '' GROUP BY name_key, coalesce(zip_code, '') "
            "HAVING count(*) > 1 ORDER BY name_key",
        )
        for f in ("email", "phone", "mobile"):
            cond = f"(',' || invalid_fields || ',') LIKE '%,{f},%'"
            add(
                "customers",
                f"invalid:{f}",
                f"SELECT count(*) FROM customers WHERE {cond}",
                f"SELECT customer_key AS k, {f} AS d FROM customers WHERE {cond} ORDER BY customer_key",
            )
        add(
            "sales_lines",
            "orphan:customer",
            "SELECT count(*) FROM sales_lines s LEFT JOIN customers c USING (customer_key) "
            "WHERE s.customer_key IS NOT NULL AND c.customer_key IS NULL",
            "SELECT s.sale_line_key AS k, s.customer_key AS d FROM sales_lines s "
            "LEFT JOIN customers c USING (customer_key) "
            "WHERE s.customer_key IS NOT NULL AND c.customer_key IS NULL ORDER BY s.sale_line_key",
        )
        add(
            "sales_lines",
            "orphan:product",
            "SELECT count(*) FROM sales_lines s LEFT JOIN product_catalog p USING (product_key) "
            "WHERE s.product_key IS NOT NULL AND p.product_key IS NULL",
            "SELECT s.sale_line_key AS k, s.product_key AS d FROM sales_lines s "
            "LEFT JOIN product_catalog p USING (product_key) "
            "WHERE s.product_key IS NOT NULL AND p.product_key IS NULL ORDER BY s.sale_line_key",
        )
        add(
            "stock_levels",
            "negative:quantity",
            "SELECT count(*) FROM stock_levels WHERE quantity_units < 0",
            "SELECT stock_key AS k, quantity_units AS d FROM stock_levels WHERE quantity_units < 0 "
            "ORDER BY stock_key",
        )
        add(
            "stock_levels",
            "reserved_above_quantity",
            "SELECT count(*) FROM stock_levels WHERE reserved_qty > 0 AND reserved_qty > quantity_units",
            "SELECT stock_key AS k, reserved_qty || ' > ' || quantity_units AS d FROM stock_levels "
            "WHERE reserved_qty > 0 AND reserved_qty > quantity_units ORDER BY stock_key",
        )
        add(
            "stock_levels",
            "orphan:product",
            "SELECT count(*) FROM stock_levels s LEFT JOIN product_catalog p USING (product_key) "
            "WHERE s.product_key IS NOT NULL AND p.product_key IS NULL",
            "SELECT s.stock_key AS k, s.product_key AS d FROM stock_levels s "
            "LEFT JOIN product_catalog p USING (product_key) "
            "WHERE s.product_key IS NOT NULL AND p.product_key IS NULL ORDER BY s.stock_key",
        )
        return issues

    def save_quality(self, issues: Iterable[QualityIssue], report_path: str | None) -> None:
        """Replace the stored quality report with these findings."""
        at = now_iso()
        with self.store.write() as db:
            db.execute("DELETE FROM quality_issues")
            db.conn.executemany(
                "INSERT INTO quality_issues (created_at, table_name, check_name, count, examples, report_path) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(at, i.table, i.check, i.count, dumps(i.examples), report_path) for i in issues],
            )

    def latest_quality(self) -> tuple[list[QualityIssue], str | None, str | None]:
        """The stored quality findings, when they were made and the report file."""
        rows = self.store.query("SELECT * FROM quality_issues ORDER BY id")
        issues = [
            QualityIssue(r["table_name"], r["check_name"], r["count"], loads(r["examples"], [])) for r in rows
        ]
        return issues, (rows[0]["created_at"] if rows else None), (rows[0]["report_path"] if rows else None)

    # -- RFM --------------------------------------------------------------------------------

    def purchase_aggregates(self) -> list[dict[str, Any]]:
        """Per known customer: first/last purchase, total spent, orders, preferred category.

        Customers without sales come back with ``orders`` 0.
        """
        rows = self.store.query(
            "SELECT c.customer_key AS customer_key, min(s.date_sale) AS first, max(s.date_sale) AS last, "
            "coalesce(sum(s.price_total_eur), 0) AS total, "
            "count(DISTINCT coalesce(s.order_ref, s.sale_line_key)) AS orders "
            "FROM customers c LEFT JOIN sales_lines s ON s.customer_key = c.customer_key "
            "GROUP BY c.customer_key ORDER BY c.customer_key"
        )
        best: dict[str, tuple[float, str]] = {}
        for r in self.store.query(
            "SELECT s.customer_key AS k, p.category AS cat, sum(s.quantity_bottles_75cl_eq) AS qty "
            "FROM sales_lines s JOIN product_catalog p USING (product_key) "
            "GROUP BY s.customer_key, p.category"
        ):
            current = best.get(r["k"])
            qty, cat = float(r["qty"] or 0), str(r["cat"])
            # Most bottles wins; ties go to the alphabetically first category (stable).
            if current is None or qty > current[0] or (qty == current[0] and cat < current[1]):
                best[r["k"]] = (qty, cat)
        for r in rows:
            r["preferred_category"] = best[r["customer_key"]][1] if r["customer_key"] in best else None
        return rows

    def write_rfm(self, values: Sequence[tuple[Any, ...]]) -> int:
        """Write RFM columns; each tuple is (segment, first, last, total, count, aov, category, key).

        Returns:
            Customers whose values changed.
        """
        with self.store.write() as db:
            before = db.conn.total_changes
            db.conn.executemany(
                "UPDATE customers SET segment = ?1, first_purchase_date = ?2, last_purchase_date = ?3, "
                "total_spent_eur = ?4, purchase_count = ?5, average_order_value_eur = ?6, "
                "preferred_category = ?7 WHERE customer_key = ?8 AND (segment IS NOT ?1 OR "
                "first_purchase_date IS NOT ?2 OR last_purchase_date IS NOT ?3 OR total_spent_eur IS NOT ?4 "
                "OR purchase_count IS NOT ?5 OR average_order_value_eur IS NOT ?6 "
                "OR preferred_category IS NOT ?7)",
                values,
            )
            return int(db.conn.total_changes - before)

    def segment_counts(self) -> dict[str, int]:
        """Customers per RFM segment."""
        rows = self.store.query(
            "SELECT coalesce(segment, '') AS segment, count(*) AS n FROM customers GROUP BY 1 ORDER BY 1"
        )
        return {r["segment"]: int(r["n"]) for r in rows}


def etl_repo(store: Store) -> EtlRepo:
    """The store's ETL repository (created once and kept on the store)."""
    repo: EtlRepo | None = getattr(store, "etl", None)
    if not isinstance(repo, EtlRepo):
        repo = EtlRepo(store)
        setattr(store, "etl", repo)  # noqa: B010 - Store does not declare it yet
    return repo
