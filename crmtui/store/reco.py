"""Recommendation repository: inputs read from the canonical tables, results, feedback, conversions.

The engine (:mod:`crmtui.engine.reco`) asks for named operations only. Reads of the canonical
tables are streamed (sales lines in customer order, ``fetchmany`` pages) so a recompute over a
million lines keeps memory flat; writes are chunked ``BEGIN IMMEDIATE`` transactions, each holding
a set of customers' results **and** their input fingerprints, so a crash leaves every customer
either fully recomputed or untouched.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from crmtui.records.canonical import RFM_SEGMENTS
from crmtui.store import customer_search
from crmtui.store._util import dumps, loads, now_iso
from crmtui.store.etl_schema import SEGMENT_RANK
from crmtui.store.review import Order, keyset, order_by

if TYPE_CHECKING:
    from crmtui.store.db import Store

PAGE = 5000
"""Rows fetched at a time when streaming sales lines."""


CUSTOMER_SORTS = {
    "key": ("c.customer_key",),
    "name": ("COALESCE(c.name_sort, '')", "c.customer_key"),
    "segment": (SEGMENT_RANK.replace("segment", "c.segment", 1), "c.customer_key"),
    "orders": ("COALESCE(c.purchase_count, 0)", "c.customer_key"),
}
"""The Customers table's columns the SQL sorts by: the expressions of a row's place (each tuple indexed,
migrations 14 and 15; the key makes it unique). Segments sort by rank, best first, not by their label
(which depends on the language)."""


def segment_rank(code: str | None) -> int:
    """The rank :data:`SEGMENT_RANK` gives ``code`` (what the SQL compares)."""
    return RFM_SEGMENTS.index(code) if code in RFM_SEGMENTS else len(RFM_SEGMENTS)


def customer_place(row: Mapping[str, Any], order: Order | None) -> tuple[Any, ...]:
    """Where a row of :meth:`RecoRepo.search_customers` sits in ``order`` (the ``after`` of the next page)."""
    key = str(row["customer_key"])
    column = None if order is None else order.column
    if column == "key":
        return (key,)
    if column == "name":
        return (row["name_sort"] or "", key)
    if column == "orders":
        return (int(row["purchase_count"] or 0), key)
    if column == "segment":
        return (segment_rank(row["segment"]), key)
    return (float(row["total_spent_eur"] or 0), key)


@dataclass(frozen=True)
class StoredReco:
    """One stored recommendation, with the product's name and category for display."""

    customer_key: str
    rank: int
    product_key: str
    score: float
    rule: str
    reasons: list[dict[str, Any]]
    computed_at: str
    product_name: str
    category: str


@dataclass(frozen=True)
class Feedback:
    """An operator's "bad recommendation" mark."""

    id: int
    customer_key: str
    product_key: str
    rule: str
    segment: str
    category: str
    reason: str
    actor: str
    created_at: str


@dataclass(frozen=True)
class Adjustment:
    """The feedback multiplier of one rule for one (customer segment, product category)."""

    rule: str
    segment: str
    category: str
    factor: float
    feedback_count: int
    updated_at: str


@dataclass(frozen=True)
class Conversion:
    """Sends that suggested a product, and how many were followed by a purchase of it."""

    scenario: str
    variant: str
    sends: int
    conversions: int
    revenue_eur: float

    @property
    def rate(self) -> float:
        """Conversions per send (0 when nothing was sent)."""
        return self.conversions / self.sends if self.sends else 0.0


class RecoRepo:
    """Named operations on the ``reco_*`` tables and the canonical reads they need."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- inputs --------------------------------------------------------------------------------

    def products(self) -> list[dict[str, Any]]:
        """Every catalogue row with its available stock (sum over warehouses) and stock row count."""
        return self.store.query(
            "SELECT p.product_key, p.name, p.category, p.price_segment, p.list_price_eur, p.bottles_75cl_eq, "
            "p.grape_varieties, p.vintage, p.region, p.active, p.row_hash, "
            "coalesce(s.available, 0) AS available, coalesce(s.n, 0) AS stock_rows "
            "FROM product_catalog p LEFT JOIN (SELECT product_key, sum(available_qty) AS available, "
            "count(*) AS n FROM stock_levels GROUP BY product_key) s USING (product_key) "
            "ORDER BY p.product_key"
        )

    def stock_known(self) -> bool:
        """Whether any source reports stock at all (if none does, stock cannot exclude anything)."""
        return bool(self.store.scalar("SELECT 1 FROM stock_levels LIMIT 1"))

    def customers(self) -> Iterator[tuple[str, str, int, float | None, str]]:
        """``(customer_key, segment, email_opt_out, average_order_value_eur, row_hash)``, in key order."""
        cur = self.store.db.execute(
            "SELECT customer_key, coalesce(segment, ''), email_opt_out, average_order_value_eur, row_hash "
            "FROM customers ORDER BY customer_key"
        )
        while page := cur.fetchmany(PAGE):
            yield from page

    def sales(self) -> Iterator[tuple[str, str, str, float, float, str]]:
        """Sales lines as ``(customer, product, date, bottles, total, row_hash)`` by customer, then date.

        Lines without a customer, a product or a date cannot feed a recommendation and are left out.
        """
        cur = self.store.db.execute(
            "SELECT customer_key, product_key, date_sale, quantity_bottles_75cl_eq, "
            "coalesce(price_total_eur, 0), row_hash FROM sales_lines "
            "WHERE customer_key IS NOT NULL AND product_key IS NOT NULL AND date_sale IS NOT NULL "
            "ORDER BY customer_key, date_sale, sale_line_key"
        )
        while page := cur.fetchmany(PAGE):
            yield from page

    def bad_marks(self) -> dict[str, set[str]]:
        """Products marked bad, per customer."""
        out: dict[str, set[str]] = {}
        for r in self.store.query("SELECT customer_key, product_key FROM reco_feedback"):
            out.setdefault(r["customer_key"], set()).add(r["product_key"])
        return out

    def adjustments(self) -> list[Adjustment]:
        """Every feedback multiplier, by rule, segment and category."""
        rows = self.store.query("SELECT * FROM reco_adjustments ORDER BY rule, segment, category")
        return [
            Adjustment(
                r["rule"],
                r["segment"],
                r["category"],
                float(r["factor"]),
                int(r["feedback_count"]),
                r["updated_at"],
            )
            for r in rows
        ]

    # -- state ---------------------------------------------------------------------------------

    def customer_states(self) -> dict[str, str]:
        """Fingerprint of the inputs each customer's results were computed from."""
        cur = self.store.db.execute("SELECT customer_key, fingerprint FROM reco_customer_state")
        out: dict[str, str] = {}
        while page := cur.fetchmany(PAGE):
            out.update(page)
        return out

    def product_states(self) -> dict[str, str]:
        """Fingerprint of each product as last used."""
        return {
            r["product_key"]: r["fingerprint"]
            for r in self.store.query("SELECT product_key, fingerprint FROM reco_product_state")
        }

    def customers_holding(self, product_keys: Iterable[str]) -> set[str]:
        """Customers with a stored recommendation of any of these products."""
        keys = list(product_keys)
        out: set[str] = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            out.update(
                r["customer_key"]
                for r in self.store.query(
                    f"SELECT DISTINCT customer_key FROM reco_results WHERE product_key IN ({marks})",
                    tuple(chunk),
                )
            )
        return out

    def meta(self, name: str) -> Any:
        """A stored meta value (JSON-decoded), or None."""
        return loads(self.store.scalar("SELECT value FROM reco_meta WHERE name = ?", (name,)))

    def set_meta(self, values: dict[str, Any]) -> None:
        """Store meta values (JSON)."""
        with self.store.write() as db:
            db.conn.executemany(
                "INSERT INTO reco_meta (name, value) VALUES (?, ?) "
                "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                [(k, dumps(v)) for k, v in values.items()],
            )

    # -- results -------------------------------------------------------------------------------

    def save(
        self,
        results: Mapping[str, Sequence[tuple[str, float, str, list[dict[str, Any]]]]],
        fingerprints: dict[str, str],
        *,
        removed: Iterable[str] = (),
    ) -> int:
        """Replace the results of some customers and record their input fingerprints, in one transaction.

        Args:
            results: per customer, ``(product_key, score, rule, reasons)`` in rank order.
            fingerprints: per customer, the fingerprint of the inputs used.
            removed: customers gone from the canonical tables (results and state deleted).

        Returns:
            Result rows written.
        """
        at = now_iso()
        written = 0
        with self.store.write() as db:
            conn = db.conn
            gone = [(k,) for k in removed]
            if gone:
                conn.executemany("DELETE FROM reco_results WHERE customer_key = ?", gone)
                conn.executemany("DELETE FROM reco_customer_state WHERE customer_key = ?", gone)
            keys = [(k,) for k in fingerprints]
            conn.executemany("DELETE FROM reco_results WHERE customer_key = ?", keys)
            rows = [
                (key, rank, product, round(score, 6), rule, dumps(reasons), at)
                for key, recos in results.items()
                for rank, (product, score, rule, reasons) in enumerate(recos, start=1)
            ]
            conn.executemany(
                "INSERT INTO reco_results (customer_key, rank, product_key, score, rule, reasons, computed_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            written = len(rows)
            conn.executemany(
                "INSERT INTO reco_customer_state (customer_key, fingerprint, computed_at, results) "
                "VALUES (?, ?, ?, ?) ON CONFLICT(customer_key) DO UPDATE SET fingerprint = excluded.fingerprint, "
                "computed_at = excluded.computed_at, results = excluded.results",
                [(k, fp, at, len(results.get(k, ()))) for k, fp in fingerprints.items()],
            )
        return written

    def save_product_states(self, fingerprints: dict[str, str], *, replace_all: bool) -> None:
        """Record the product fingerprints used (``replace_all`` forgets products not listed)."""
        with self.store.write() as db:
            if replace_all:
                db.execute("DELETE FROM reco_product_state")
            db.conn.executemany(
                "INSERT INTO reco_product_state (product_key, fingerprint) VALUES (?, ?) "
                "ON CONFLICT(product_key) DO UPDATE SET fingerprint = excluded.fingerprint",
                list(fingerprints.items()),
            )

    def results_for(self, customer_key: str) -> list[StoredReco]:
        """A customer's stored recommendations, best first."""
        rows = self.store.query(
            "SELECT r.*, coalesce(p.name, r.product_key) AS product_name, coalesce(p.category, '') AS category "
            "FROM reco_results r LEFT JOIN product_catalog p USING (product_key) "
            "WHERE r.customer_key = ? ORDER BY r.rank",
            (customer_key,),
        )
        return [
            StoredReco(
                r["customer_key"],
                int(r["rank"]),
                r["product_key"],
                float(r["score"]),
                r["rule"],
                loads(r["reasons"], []),
                r["computed_at"],
                r["product_name"],
                r["category"],
            )
            for r in rows
        ]

    def computed_at(self, customer_key: str) -> str | None:
        """When a customer's results were last computed, or None."""
        value = self.store.scalar(
            "SELECT computed_at FROM reco_customer_state WHERE customer_key = ?", (customer_key,)
        )
        return None if value is None else str(value)

    def remove_result(self, customer_key: str, product_key: str) -> None:
        """Drop one recommendation and close the gap in the ranks."""
        with self.store.write() as db:
            rank = db.execute(
                "SELECT rank FROM reco_results WHERE customer_key = ? AND product_key = ?",
                (customer_key, product_key),
            ).fetchone()
            if rank is None:
                return
            db.execute(
                "DELETE FROM reco_results WHERE customer_key = ? AND product_key = ?",
                (customer_key, product_key),
            )
            # Two steps: a single "rank = rank - 1" would collide with the primary key mid-update.
            db.execute(
                "UPDATE reco_results SET rank = -rank WHERE customer_key = ? AND rank > ?",
                (customer_key, rank[0]),
            )
            db.execute(
                "UPDATE reco_results SET rank = -rank - 1 WHERE customer_key = ? AND rank < 0",
                (customer_key,),
            )

    # -- feedback ------------------------------------------------------------------------------

    def mark_bad(
        self,
        customer_key: str,
        product_key: str,
        *,
        rule: str,
        segment: str,
        category: str,
        reason: str,
        actor: str,
        decay: float,
        floor: float,
    ) -> tuple[float, float]:
        """Record a bad recommendation and lower its rule's factor for similar cases; audited.

        One transaction holds the feedback row, the new factor, the removal of the result and the
        audit entry (with the factor before and after).

        Returns:
            The rule's factor for (segment, category) before and after.
        """
        at = now_iso()
        with self.store.write() as db:
            conn = db.conn
            conn.execute(
                "INSERT INTO reco_feedback (customer_key, product_key, rule, segment, category, reason, actor, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(customer_key, product_key) DO UPDATE SET "
                "reason = excluded.reason, actor = excluded.actor, created_at = excluded.created_at",
                (customer_key, product_key, rule, segment, category, reason, actor, at),
            )
            row = conn.execute(
                "SELECT factor, feedback_count FROM reco_adjustments WHERE rule = ? AND segment = ? AND category = ?",
                (rule, segment, category),
            ).fetchone()
            before = float(row[0]) if row else 1.0
            count = int(row[1]) if row else 0
            after = round(max(floor, before * decay), 6)
            conn.execute(
                "INSERT INTO reco_adjustments (rule, segment, category, factor, feedback_count, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(rule, segment, category) DO UPDATE SET "
                "factor = excluded.factor, feedback_count = excluded.feedback_count, updated_at = excluded.updated_at",
                (rule, segment, category, after, count + 1, at),
            )
            self.remove_result(customer_key, product_key)
            self.store.audit.record(
                actor,
                "reco.mark_bad",
                f"{customer_key} / {product_key}",
                before={"rule": rule, "segment": segment, "category": category, "factor": before},
                after={"rule": rule, "segment": segment, "category": category, "factor": after},
                detail=reason,
            )
        return before, after

    def undo_mark_bad(
        self,
        customer_key: str,
        product_key: str,
        *,
        before: float,
        after: float,
        actor: str,
    ) -> tuple[float, float] | None:
        """Take back one :meth:`mark_bad`: the feedback row goes, the factor goes up one step; audited.

        The factor is divided by the step the mark applied (``after / before``), so a mark made on
        the same rule, segment and category since then stays applied; with no mark left the
        adjustment row goes. The customer's recommendations are recomputed by the caller.

        Returns:
            The factor before and after the undo, or None when the mark is no longer there.
        """
        at = now_iso()
        with self.store.write() as db:
            conn = db.conn
            row = conn.execute(
                "SELECT rule, segment, category FROM reco_feedback WHERE customer_key = ? AND product_key = ?",
                (customer_key, product_key),
            ).fetchone()
            if row is None:
                return None
            rule, segment, category = str(row[0]), str(row[1]), str(row[2])
            conn.execute(
                "DELETE FROM reco_feedback WHERE customer_key = ? AND product_key = ?",
                (customer_key, product_key),
            )
            adj = conn.execute(
                "SELECT factor, feedback_count FROM reco_adjustments WHERE rule = ? AND segment = ? AND category = ?",
                (rule, segment, category),
            ).fetchone()
            current = float(adj[0]) if adj else 1.0
            count = max(0, (int(adj[1]) if adj else 1) - 1)
            step = after / before if before > 0 and after > 0 else 1.0
            restored = 1.0 if count == 0 else round(min(1.0, current / step), 6)
            if count == 0:
                conn.execute(
                    "DELETE FROM reco_adjustments WHERE rule = ? AND segment = ? AND category = ?",
                    (rule, segment, category),
                )
            else:
                conn.execute(
                    "UPDATE reco_adjustments SET factor = ?, feedback_count = ?, updated_at = ? "
                    "WHERE rule = ? AND segment = ? AND category = ?",
                    (restored, count, at, rule, segment, category),
                )
            self.store.audit.record(
                actor,
                "reco.mark_bad.undo",
                f"{customer_key} / {product_key}",
                before={"rule": rule, "segment": segment, "category": category, "factor": current},
                after={"rule": rule, "segment": segment, "category": category, "factor": restored},
            )
        return current, restored

    def mark_scope(self, rule: str, segment: str, category: str) -> tuple[int, int]:
        """Who a factor of (rule, segment, category) touches.

        Returns:
            ``(customers, shown)``: the active customers of the segment (their scores use the
            factor) and, of them, those whose current recommendations include one from this rule
            in this category.
        """
        customers = int(
            self.store.scalar(
                "SELECT count(*) FROM customers WHERE coalesce(segment, '') = ? AND coalesce(active, 1) = 1",
                (segment,),
            )
            or 0
        )
        shown = int(
            self.store.scalar(
                "SELECT count(DISTINCT r.customer_key) FROM reco_results r "
                "JOIN customers c ON c.customer_key = r.customer_key "
                "LEFT JOIN product_catalog p ON p.product_key = r.product_key "
                "WHERE coalesce(c.segment, '') = ? AND r.rule = ? AND coalesce(p.category, '') = ?",
                (segment, rule, category),
            )
            or 0
        )
        return customers, shown

    def feedback(self, limit: int = 200) -> list[Feedback]:
        """The latest feedback, newest first."""
        rows = self.store.query("SELECT * FROM reco_feedback ORDER BY id DESC LIMIT ?", (limit,))
        return [
            Feedback(
                r["id"],
                r["customer_key"],
                r["product_key"],
                r["rule"],
                r["segment"],
                r["category"],
                r["reason"],
                r["actor"],
                r["created_at"],
            )
            for r in rows
        ]

    def feedback_counts(self) -> dict[str, int]:
        """Bad marks per rule."""
        rows = self.store.query("SELECT rule, count(*) AS n FROM reco_feedback GROUP BY rule ORDER BY rule")
        return {r["rule"]: int(r["n"]) for r in rows}

    # -- quality -------------------------------------------------------------------------------

    def coverage(self) -> tuple[int, int, int]:
        """``(customers with at least one recommendation, customers who may get one, all customers)``."""
        row = self.store.query(
            "SELECT count(*) AS total, sum(email_opt_out = 0) AS eligible, "
            "sum(EXISTS (SELECT 1 FROM reco_results r WHERE r.customer_key = c.customer_key)) AS covered "
            "FROM customers c"
        )[0]
        return int(row["covered"] or 0), int(row["eligible"] or 0), int(row["total"] or 0)

    def rule_distribution(self, *, top_only: bool = False) -> dict[str, int]:
        """Recommendations per producing rule (``top_only``: rank 1 only)."""
        where = "WHERE rank = 1" if top_only else ""
        rows = self.store.query(
            f"SELECT rule, count(*) AS n FROM reco_results {where} GROUP BY rule ORDER BY n DESC"
        )
        return {r["rule"]: int(r["n"]) for r in rows}

    def reason_distribution(self) -> dict[str, int]:
        """How often each rule appears among the reasons given (a recommendation may give several)."""
        counts: dict[str, int] = {}
        cur = self.store.db.execute("SELECT reasons FROM reco_results")
        while page := cur.fetchmany(PAGE):
            for (text,) in page:
                for reason in loads(text, []):
                    rule = str(reason.get("rule", ""))
                    counts[rule] = counts.get(rule, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: -kv[1]))

    # -- customers (screens) ---------------------------------------------------------------------

    def search_customers(
        self, text: str, limit: int = 50, *, after: Sequence[Any] | None = None, order: Order | None = None
    ) -> list[dict[str, Any]]:
        """Customers whose key, name, company, email or city contains ``text`` (case and accents
        ignored: ``"helene"`` and ``"HÉLÈNE"`` find Hélène), best spenders first, one page of ``limit``.

        ``after``: the ``(total_spent_eur, customer_key)`` of the last row of the previous page
        (keyset paging on the ``customers_spend`` index), or with ``order`` (a column of
        :data:`CUSTOMER_SORTS`, either way) the row's place in that order (:func:`customer_place`),
        a keyset on that column's index: names case and accents aside, by their stored sort key.

        A search first asks the trigram index (:mod:`crmtui.store.customer_search`; ``instr`` in
        its compact table under 3 characters) for at most ``PROBE + 1`` matches. Up to ``PROBE``,
        those rows are read by key and sorted: no scan of ``customers``, so a search matching
        nothing costs a lookup. More, and the match is common: the spend-ordered list is read with
        the filter and stops at ``limit`` matches, found within a few thousand rows.
        """
        columns = (
            "c.customer_key, c.first_name, c.last_name, c.company, c.email, c.city, c.segment, "
            "c.purchase_count, c.total_spent_eur, c.email_opt_out, COALESCE(c.name_sort, '') AS name_sort"
        )
        where: list[str] = []
        params: list[Any] = []
        if order is None or order.column is None:
            ordering = "ORDER BY c.total_spent_eur DESC, c.customer_key LIMIT ?"
            if after is not None:
                # ``<=`` first: the index range starts at the last row's spend (no rescan from the top).
                where.append("c.total_spent_eur <= ? AND (c.total_spent_eur < ? OR c.customer_key > ?)")
                params += [after[0], after[0], after[1]]
        else:
            by = CUSTOMER_SORTS[order.column]
            ordering = f"ORDER BY {order_by(by, order.descending)} LIMIT ?"
            if after is not None:
                condition, bounds = keyset(by, after, up=not order.descending)
                where.append(condition)
                params += bounds
        needle = customer_search.fold_query(text)
        if not needle:
            clause = f"WHERE {' AND '.join(where)} " if where else ""
            return self.store.query(f"SELECT {columns} FROM customers c {clause}{ordering}", (*params, limit))
        ids = [int(r["id"]) for r in self.store.query(*customer_search.probe(needle))]
        if len(ids) > customer_search.PROBE:
            clause = " AND ".join(["instr(s.search, ?) > 0", *where])
            return self.store.query(
                f"SELECT {columns} FROM customers c CROSS JOIN {customer_search.TABLE} s "
                f"ON s.customer_key = c.customer_key WHERE {clause} {ordering}",
                (needle, *params, limit),
            )
        if not ids:
            return []
        clause = " AND ".join(["s.id IN (SELECT value FROM json_each(?))", "instr(s.search, ?) > 0", *where])
        return self.store.query(
            f"SELECT {columns} FROM {customer_search.TABLE} s CROSS JOIN customers c "
            f"ON c.customer_key = s.customer_key WHERE {clause} {ordering}",
            (dumps(ids), needle, *params, limit),
        )

    def customer(self, customer_key: str) -> dict[str, Any] | None:
        """One customer row."""
        rows = self.store.query("SELECT * FROM customers WHERE customer_key = ?", (customer_key,))
        return rows[0] if rows else None

    def customer_by_email(self, email: str) -> dict[str, Any] | None:
        """The customer with this email (case-insensitive; an active one first)."""
        rows = self.store.query(
            "SELECT * FROM customers WHERE lower(email) = lower(?) ORDER BY active DESC, customer_key LIMIT 1",
            (email.strip(),),
        )
        return rows[0] if rows else None

    def purchases(self, customer_key: str, limit: int = 20) -> list[dict[str, Any]]:
        """A customer's latest sales lines with the product's name and category."""
        return self.store.query(
            "SELECT s.date_sale, s.product_key, coalesce(p.name, s.product_key) AS name, "
            "coalesce(p.category, '') AS category, s.quantity_units, s.price_total_eur "
            "FROM sales_lines s LEFT JOIN product_catalog p USING (product_key) "
            "WHERE s.customer_key = ? ORDER BY s.date_sale DESC, s.sale_line_key LIMIT ?",
            (customer_key, limit),
        )

    def category_mix(self, customer_key: str) -> dict[str, int]:
        """Sales lines per product category for one customer."""
        rows = self.store.query(
            "SELECT coalesce(p.category, '?') AS category, count(*) AS n FROM sales_lines s "
            "LEFT JOIN product_catalog p USING (product_key) WHERE s.customer_key = ? "
            "GROUP BY 1 ORDER BY n DESC",
            (customer_key,),
        )
        return {r["category"]: int(r["n"]) for r in rows}

    def product(self, product_key: str) -> dict[str, Any] | None:
        """One catalogue row."""
        rows = self.store.query("SELECT * FROM product_catalog WHERE product_key = ?", (product_key,))
        return rows[0] if rows else None

    # -- suggestions and conversions -----------------------------------------------------------

    def record_suggestion(
        self,
        contact_key: str,
        product_key: str,
        *,
        customer_key: str | None,
        scenario: str,
        variant: str,
        sent_at: str,
    ) -> None:
        """Remember what a send suggested and set ``contact_history.product_key_suggested``.

        Joins the caller's transaction when there is one (call it inside the one that marks the
        send as sent).
        """
        with self.store.write() as db:
            db.execute(
                "INSERT INTO reco_suggestions (contact_key, customer_key, product_key, scenario, variant, sent_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(contact_key) DO UPDATE SET customer_key = "
                "excluded.customer_key, product_key = excluded.product_key, scenario = excluded.scenario, "
                "variant = excluded.variant, sent_at = excluded.sent_at",
                (contact_key, customer_key, product_key, scenario, variant, sent_at),
            )
            db.execute(
                "UPDATE contact_history SET product_key_suggested = ? WHERE contact_key = ?",
                (product_key, contact_key),
            )

    def conversions(self, window_days: int) -> list[Conversion]:
        """Suggestion sends and conversions per scenario and variant.

        A send converts when the customer has a sales line for the suggested product dated from
        the day of the send up to ``window_days`` days after it (sales often carry a date only, so
        the day of the send counts in full). Sends come from ``contact_history`` rows carrying
        ``product_key_suggested`` (scenario = ``campaign``); the variant comes from
        ``reco_suggestions`` when the send was recorded through :meth:`record_suggestion`.
        """
        rows = self.store.query(
            "WITH sends AS (SELECT h.contact_key, h.customer_key, h.product_key_suggested AS product_key, "
            "h.date_contact, coalesce(nullif(s.scenario, ''), h.campaign, '') AS scenario, "
            "coalesce(s.variant, '') AS variant FROM contact_history h "
            "LEFT JOIN reco_suggestions s USING (contact_key) "
            "WHERE h.product_key_suggested IS NOT NULL AND h.product_key_suggested != '' "
            "AND h.date_contact IS NOT NULL), "
            "hits AS (SELECT d.contact_key, sum(l.price_total_eur) AS revenue FROM sends d "
            "JOIN sales_lines l ON l.customer_key = d.customer_key AND l.product_key = d.product_key "
            "AND julianday(l.date_sale) >= julianday(date(d.date_contact)) "
            "AND julianday(l.date_sale) < julianday(d.date_contact) + ? GROUP BY d.contact_key) "
            "SELECT d.scenario, d.variant, count(*) AS sends, count(h.contact_key) AS conversions, "
            "coalesce(sum(h.revenue), 0) AS revenue FROM sends d LEFT JOIN hits h USING (contact_key) "
            "GROUP BY d.scenario, d.variant ORDER BY d.scenario, d.variant",
            (float(window_days),),
        )
        return [
            Conversion(
                r["scenario"], r["variant"], int(r["sends"]), int(r["conversions"]), float(r["revenue"])
            )
            for r in rows
        ]


def reco_repo(store: Store) -> RecoRepo:
    """The store's recommendation repository (created once and kept on the store)."""
    repo: RecoRepo | None = getattr(store, "reco", None)
    if not isinstance(repo, RecoRepo):
        repo = RecoRepo(store)
        setattr(store, "reco", repo)  # noqa: B010 - Store does not declare it yet
    return repo
