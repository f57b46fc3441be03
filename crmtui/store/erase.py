"""Erasure in the store: the keyed-hash suppression list, the erasure outbox and the sweep.

- **Suppression** (``suppressed_hashes``): ``HMAC-SHA256(CRMTUI_ERASURE_SECRET, "email:" + key)``
  (and ``"customer:" + customer_key`` for an ERP customer). The secret lives in the configuration,
  never here, so the table alone cannot confirm that a given address was a customer. Every place
  that could bring a person back asks :meth:`ErasureRepo.is_suppressed` (scenario enrolment and
  claims, the sync's planner, the ETL load). Without the secret a non-empty list cannot be checked:
  the check then answers *suppressed* (nobody is emailed or re-created by mistake) and logs why.
- **Outbox** (``erasure_ops``): see :mod:`crmtui.store.erase_schema`.
- **Sweep** (:meth:`ErasureRepo.sweep`): in one transaction, the person's own rows are deleted by
  key in every table that has one (contacts, sync outbox, deletion queue, forgotten emails,
  tombstones, ETL customers, their search rows and their contact history, scenario sequences,
  ledger, campaign emails, tracked links, email events, inbound events, event outbox, plain
  suppressions, reco rows) and the sales lines lose their customer key and order reference (the
  amounts stay for product figures); then every text column of every table is searched for the
  remaining traces (run summaries, audit details, ETL errors, quality examples, audiences,
  cursors...) and they are cut out (:class:`~crmtui.records.erasure.Matcher`). Full-text indexes
  (the Customers search, :mod:`crmtui.store.customer_search`, the Deletions filter,
  :mod:`crmtui.store.deletion_search`) are not tables of rows: their
  triggers remove a deleted or cleaned row's entries, and the sweep then merges each index into one
  segment (``optimize``), so no older segment keeps the removed entries; their shadow tables are
  never edited by hand. ``secure_delete`` is on, and :meth:`compact` runs a WAL checkpoint,
  ``VACUUM`` and a truncating checkpoint, so the raw ``.db`` and ``-wal`` bytes no longer hold the
  removed rows either.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crmtui.records.emails import email_key
from crmtui.records.erasure import Matcher
from crmtui.store._util import dumps, loads, now_iso

if TYPE_CHECKING:
    from crmtui.store.db import Store

log = logging.getLogger("crmtui.store.erase")

SECRET_VAR = "CRMTUI_ERASURE_SECRET"
OWN_TABLES = frozenset({"erasure_ops", "suppressed_hashes", "_migrations"})
"""Never swept: the erasure's own bookkeeping (no personal data once an erasure is done)."""

# Tables whose rows are each one person's: the trace search there ignores names (a homonym's own
# row is not the erased person's), only emails, hashes and phones count.
PERSON_TABLES = frozenset(
    {
        "contacts",
        "customers",
        "customer_search",
        "deletion_queue",
        "deletion_search",
        "forgotten_emails",
        "contact_sequences",
        "operation_ledger",
        "campaign_emails",
        "email_event_log",
        "suppressions",
        "event_actions",
    }
)

# (table, key column, which identity set) -> rows deleted. The column names exist in the schema of
# migrations 1–49; a table missing here (an older database) is skipped.
_DELETE_BY = (
    ("contacts", "email", "emails"),
    ("contacts", "copper_id", "copper_ids"),
    ("sync_ops", "email", "emails"),
    ("deletion_queue", "email", "emails"),
    ("deletion_queue", "copper_id", "copper_ids"),
    ("deletion_search", "email", "emails"),  # the Deletions filter's index rows (FTS content)
    ("forgotten_emails", "email", "emails"),
    ("forgotten_emails", "copper_id", "copper_ids"),
    ("tombstones", "email", "emails"),
    ("customer_search", "customer_key", "customer_keys"),  # the search index's rows (FTS content)
    ("customers", "customer_key", "customer_keys"),
    ("contact_history", "customer_key", "customer_keys"),
    ("contact_sequences", "contact", "emails"),
    ("operation_ledger", "contact", "emails"),
    ("tracked_links", "message_id", "message_ids"),
    ("campaign_emails", "contact", "emails"),
    ("email_event_log", "contact", "emails"),
    ("email_event_log", "message_id", "message_ids"),
    ("event_actions", "email", "emails"),
    ("suppressions", "email", "emails"),
    ("copper_sync_requests", "copper_id", "copper_ids"),
    ("reco_results", "customer_key", "customer_keys"),
    ("reco_customer_state", "customer_key", "customer_keys"),
    ("reco_feedback", "customer_key", "customer_keys"),
    ("reco_suggestions", "customer_key", "customer_keys"),
)


class ErasureRepo:
    """Named operations on the suppression list, the erasure outbox and the sweep."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._secret: bytes | None = None
        self._env_file: Path | None = None
        self._warned = False

    # -- the key -------------------------------------------------------------------------------

    def configure(self, secret: object, env_file: Path | None = None) -> None:
        """Give the store the HMAC secret (a :class:`~crmtui.secrets.Secret` or text).

        Args:
            secret: the configured ``CRMTUI_ERASURE_SECRET`` (empty: not configured yet).
            env_file: the ``.env`` to read it from later if it is made while this process runs
                (``crmtui erase`` in another terminal while the console is open).
        """
        reveal = getattr(secret, "reveal", None)
        value = str(reveal() if callable(reveal) else (secret or ""))
        self._secret = value.encode() if value else None
        self._env_file = env_file

    def _key(self) -> bytes | None:
        if self._secret is None:
            value = os.environ.get(SECRET_VAR, "")
            if not value and self._env_file is not None and self._env_file.is_file():
                from dotenv import dotenv_values

                value = (dotenv_values(self._env_file).get(SECRET_VAR) or "").strip()
            if value:
                self._secret = value.encode()
        return self._secret

    def has_key(self) -> bool:
        """Whether the HMAC secret is known."""
        return self._key() is not None

    def _digest(self, text: str) -> str | None:
        key = self._key()
        if key is None:
            return None
        return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()

    def email_hash(self, email: str) -> str | None:
        """The keyed hash of an address (None without the secret or for an empty address)."""
        key = email_key(email)
        return self._digest("email:" + key) if key else None

    def customer_hash(self, customer_key: str) -> str | None:
        """The keyed hash of an ERP customer key."""
        return self._digest("customer:" + customer_key) if customer_key else None

    # -- suppression ---------------------------------------------------------------------------

    def count(self) -> int:
        """Entries in the suppression list."""
        return int(self.store.scalar("SELECT count(*) FROM suppressed_hashes") or 0)

    def _blind(self) -> bool:
        """A non-empty list and no secret: nothing can be checked, so everything counts as suppressed."""
        if self._key() is not None or not self.count():
            return False
        if not self._warned:
            log.error(
                "%s is not configured but %d suppression(s) exist: nobody is emailed or re-created "
                "until it is restored",
                SECRET_VAR,
                self.count(),
            )
            self._warned = True
        return True

    def _known(self, hashes: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(hashes), 500):
            chunk = hashes[i : i + 500]
            marks = ",".join("?" * len(chunk))
            found |= {
                str(r[0])
                for r in self.store.db.execute(
                    f"SELECT hash FROM suppressed_hashes WHERE hash IN ({marks})", tuple(chunk)
                ).fetchall()
            }
        return found

    def is_suppressed(self, email: str) -> bool:
        """Whether ``email`` was erased or deleted: never re-imported, re-created or emailed."""
        if self._blind():
            return True
        digest = self.email_hash(email)
        return bool(digest and self._known([digest]))

    def suppressed_emails(self, emails: Iterable[str]) -> set[str]:
        """The members of ``emails`` (any spelling) that are suppressed, as given."""
        given = [e for e in emails if e]
        if not given or not self.count():
            return set()
        if self._blind():
            return set(given)
        by_hash: dict[str, list[str]] = {}
        for email in given:
            digest = self.email_hash(email)
            if digest:
                by_hash.setdefault(digest, []).append(email)
        hits = self._known(list(by_hash))
        return {e for h in hits for e in by_hash[h]}

    def suppressed_customers(self, customers: Iterable[tuple[str, str | None]]) -> set[str]:
        """Customer keys of ``(customer_key, email)`` pairs whose key or address is suppressed."""
        pairs = list(customers)
        if not pairs or not self.count():
            return set()
        if self._blind():
            return {k for k, _ in pairs}
        by_hash: dict[str, set[str]] = {}
        for key, email in pairs:
            for digest in (self.customer_hash(key), self.email_hash(email or "")):
                if digest:
                    by_hash.setdefault(digest, set()).add(key)
        hits = self._known(list(by_hash))
        return {k for h in hits for k in by_hash[h]}

    def suppress_hashes(
        self, entries: Iterable[tuple[str, str]], reason: str, *, erasure_id: int | None = None
    ) -> int:
        """Add ``(hash, kind)`` entries; an ``erased`` reason replaces a ``deleted`` one. Returns new entries."""
        added = 0
        with self.store.write() as db:
            for digest, kind in entries:
                cur = db.execute(
                    "INSERT INTO suppressed_hashes (hash, kind, reason, erasure_id, created_at) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT(hash) DO UPDATE SET "
                    "reason = CASE WHEN excluded.reason = 'erased' THEN 'erased' ELSE suppressed_hashes.reason END, "
                    "erasure_id = coalesce(suppressed_hashes.erasure_id, excluded.erasure_id)",
                    (digest, kind, reason, erasure_id, now_iso()),
                )
                added += cur.rowcount
        return added

    def suppress_email(self, email: str, reason: str) -> bool:
        """Suppress one address by its keyed hash (False without the secret)."""
        digest = self.email_hash(email)
        if digest is None:
            return False
        self.suppress_hashes([(digest, "email")], reason)
        return True

    def lift(self, email: str) -> bool:
        """Remove an address's suppression (a new, confirmed consent); True if there was one."""
        digest = self.email_hash(email)
        if digest is None:
            return False
        with self.store.write() as db:
            return bool(db.execute("DELETE FROM suppressed_hashes WHERE hash = ?", (digest,)).rowcount)

    # -- what the store knows of a person ------------------------------------------------------

    def person_rows(self, emails: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """The rows that describe the people holding ``emails`` (keys): contacts, customers, queues.

        Used to learn their names, phones, Copper ids and ERP customer keys before anything is
        removed.
        """
        keys = sorted({email_key(e) for e in emails if email_key(e)})
        out: dict[str, list[dict[str, Any]]] = {"contacts": [], "customers": [], "queues": []}
        if not keys:
            return out
        marks = ",".join("?" * len(keys))
        tables = set(self.store.db.table_names())
        out["contacts"] = self.store.query(
            f"SELECT email, copper_id, first_name, last_name, phone, other_emails, copper_state, mc_state "
            f"FROM contacts WHERE email IN ({marks})",
            tuple(keys),
        )
        if "customers" in tables:
            db = self.store.db
            db.conn.create_function("crmtui_email_key", 1, email_key, deterministic=True)
            out["customers"] = self.store.query(
                f"SELECT customer_key, first_name, last_name, email, phone, mobile FROM customers "
                f"WHERE crmtui_email_key(email) IN ({marks})",
                tuple(keys),
            )
        out["queues"] = self.store.query(
            f"SELECT email, copper_id, name FROM deletion_queue WHERE email IN ({marks}) "
            f"UNION ALL SELECT email, copper_id, name FROM forgotten_emails WHERE email IN ({marks})",
            tuple(keys) * 2,
        )
        return out

    # -- the outbox ----------------------------------------------------------------------------

    def op(self, subject: str) -> dict[str, Any] | None:
        """The erasure of a subject hash, if one was started."""
        rows = self.store.query("SELECT * FROM erasure_ops WHERE subject = ?", (subject,))
        return _op(rows[0]) if rows else None

    def op_by_id(self, op_id: int) -> dict[str, Any]:
        """One erasure by id."""
        return _op(self.store.query("SELECT * FROM erasure_ops WHERE id = ?", (op_id,))[0])

    def unfinished(self) -> list[dict[str, Any]]:
        """Erasures not finished yet (a crash, or a system that did not answer), oldest first."""
        return [
            _op(r) for r in self.store.query("SELECT * FROM erasure_ops WHERE state != 'done' ORDER BY id")
        ]

    def not_compacted(self) -> list[int]:
        """Finished erasures whose database compaction has not run yet."""
        return [
            int(r["id"])
            for r in self.store.query("SELECT id FROM erasure_ops WHERE state = 'done' AND vacuumed = 0")
        ]

    def start(
        self,
        subject: str,
        email: str,
        identity: dict[str, Any],
        actor: str,
        suppress: Iterable[tuple[str, str]],
    ) -> int:
        """Record an erasure and its suppression entries in one transaction; return its id."""
        stamp = now_iso()
        with self.store.write() as db:
            cur = db.execute(
                "INSERT INTO erasure_ops (subject, email, identity, actor, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (subject, email_key(email), dumps(identity), actor, stamp, stamp),
            )
            op_id = int(cur.lastrowid or 0)
            self.suppress_hashes([(subject, "email"), *suppress], "erased", erasure_id=op_id)
        return op_id

    def update(self, op_id: int, **fields: Any) -> None:
        """Record a step's outcome (``mailchimp``, ``copper``, ``identity``, ``detail``, ``error``...)."""
        allowed = {"mailchimp", "copper", "store", "files", "identity", "detail", "error", "vacuumed"}
        sets = {k: v for k, v in fields.items() if k in allowed}
        for name in ("identity", "detail"):
            if name in sets and not isinstance(sets[name], str):
                sets[name] = dumps(sets[name])
        if not sets:
            return
        sets["updated_at"] = now_iso()
        assign = ", ".join(f"{k} = ?" for k in sets)
        with self.store.write() as db:
            db.execute(f"UPDATE erasure_ops SET {assign} WHERE id = ?", (*sets.values(), op_id))

    def finish(self, op_id: int, actor: str, answers: dict[str, Any]) -> None:
        """Close an erasure: the audit entry (no personal data) and the wiping of the address, at once."""
        with self.store.write() as db:
            db.execute(
                "UPDATE erasure_ops SET state = 'done', email = NULL, identity = NULL, error = NULL, "
                "finished_at = ?, updated_at = ? WHERE id = ?",
                (now_iso(), now_iso(), op_id),
            )
            self.store.audit.record(actor, "erase.done", f"erasure #{op_id}", after=answers)

    # -- the sweep -----------------------------------------------------------------------------

    def _tables(self) -> list[str]:
        # Plain tables only: a full-text index (virtual) reads its content from a plain table, and
        # its shadow tables hold the index's own pages, which an edit by hand would corrupt.
        return sorted(
            str(r[1])
            for r in self.store.db.execute("PRAGMA main.table_list").fetchall()
            if r[2] == "table" and not str(r[1]).startswith("sqlite_") and str(r[1]) not in OWN_TABLES
        )

    def _fts_indexes(self) -> list[str]:
        return sorted(
            str(r[0])
            for r in self.store.db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%fts5%'"
            ).fetchall()
        )

    def _text_columns(self, table: str) -> list[str]:
        cols = self.store.db.execute(f'PRAGMA table_info("{table}")').fetchall()
        return [
            str(c[1])
            for c in cols
            if str(c[2]).upper() in ("TEXT", "", "BLOB") or "CHAR" in str(c[2]).upper()
        ]

    def _columns(self, table: str) -> set[str]:
        return {str(c[1]) for c in self.store.db.execute(f'PRAGMA table_info("{table}")').fetchall()}

    def _message_ids(self, emails: Sequence[str]) -> list[str]:
        if not emails or "campaign_emails" not in self.store.db.table_names():
            return []
        marks = ",".join("?" * len(emails))
        return [
            str(r[0])
            for r in self.store.db.execute(
                f"SELECT message_id FROM campaign_emails WHERE contact IN ({marks})", tuple(emails)
            ).fetchall()
        ]

    def _targets(self, identity: dict[str, Any]) -> dict[str, list[Any]]:
        emails = sorted({email_key(e) for e in identity.get("emails", []) if email_key(e)})
        return {
            "emails": emails,
            "copper_ids": sorted({int(i) for i in identity.get("copper_ids", []) if i is not None}),
            "customer_keys": sorted({str(k) for k in identity.get("customer_keys", []) if k}),
            "message_ids": self._message_ids(emails),
        }

    def inventory(self, identity: dict[str, Any], matcher: Matcher) -> dict[str, int]:
        """What :meth:`sweep` would remove: rows per table (deleted or cleaned), touching nothing."""
        targets = self._targets(identity)
        counts: dict[str, int] = {}
        seen: dict[str, set[int]] = {}
        tables = self._tables()
        for table, column, which in _DELETE_BY:
            values = targets[which]
            if table not in tables or not values or column not in self._columns(table):
                continue
            marks = ",".join("?" * len(values))
            rowids = {
                int(r[0])
                for r in self.store.db.execute(
                    f'SELECT rowid FROM "{table}" WHERE "{column}" IN ({marks})', tuple(values)
                ).fetchall()
            }
            seen.setdefault(table, set()).update(rowids)
        if "sales_lines" in tables and targets["customer_keys"]:
            marks = ",".join("?" * len(targets["customer_keys"]))
            seen.setdefault("sales_lines", set()).update(
                int(r[0])
                for r in self.store.db.execute(
                    f"SELECT rowid FROM sales_lines WHERE customer_key IN ({marks})",
                    tuple(targets["customer_keys"]),
                ).fetchall()
            )
        for table, rowid, _cols in self._scan(tables, matcher):
            seen.setdefault(table, set()).add(rowid)
        for table, rowids in seen.items():
            if rowids:
                counts[table] = len(rowids)
        return counts

    def _scan(self, tables: Sequence[str], matcher: Matcher) -> Iterable[tuple[str, int, list[str]]]:
        """``(table, rowid, matching columns)`` of every row holding a trace in a text column."""
        conn = self.store.db.conn
        for table in tables:
            columns = self._text_columns(table)
            if not columns:
                continue
            names = table not in PERSON_TABLES
            select = ", ".join(f'"{c}"' for c in columns)
            try:
                cursor = conn.execute(f'SELECT rowid, {select} FROM "{table}"')
            except sqlite3.OperationalError:  # a WITHOUT ROWID table: none in our schema
                continue
            for row in cursor:
                hits = [columns[i] for i, v in enumerate(row[1:]) if matcher.hit(v, names=names)]
                if hits:
                    yield table, int(row[0]), hits

    def sweep(self, op_ids: Sequence[int], identity: dict[str, Any], matcher: Matcher) -> dict[str, int]:
        """Remove every row and trace of the people in ``identity``; mark ``op_ids`` store-done.

        One transaction: a crash leaves either everything or nothing removed, and the outbox says
        which. Returns rows deleted or cleaned per table.
        """
        targets = self._targets(identity)
        counts: dict[str, int] = {}

        def add(table: str, n: int) -> None:
            if n > 0:
                counts[table] = counts.get(table, 0) + n

        with self.store.write() as db:
            conn = db.conn
            conn.execute("PRAGMA secure_delete = ON")
            tables = self._tables()
            for table, column, which in _DELETE_BY:
                values = targets[which]
                if table not in tables or not values or column not in self._columns(table):
                    continue
                for i in range(0, len(values), 500):
                    chunk = values[i : i + 500]
                    marks = ",".join("?" * len(chunk))
                    add(
                        table,
                        conn.execute(f'DELETE FROM "{table}" WHERE "{column}" IN ({marks})', chunk).rowcount,
                    )
            if "sales_lines" in tables and targets["customer_keys"]:
                keys = targets["customer_keys"]
                marks = ",".join("?" * len(keys))
                add(
                    "sales_lines",
                    conn.execute(
                        f"UPDATE sales_lines SET customer_key = NULL, order_ref = NULL WHERE customer_key IN ({marks})",
                        keys,
                    ).rowcount,
                )
            for table, rowid, columns in list(self._scan(tables, matcher)):
                names = table not in PERSON_TABLES
                row = conn.execute(
                    f'SELECT {", ".join(chr(34) + c + chr(34) for c in columns)} FROM "{table}" WHERE rowid = ?',
                    (rowid,),
                ).fetchone()
                if row is None:
                    continue
                cleaned = [
                    matcher.scrub(
                        v if isinstance(v, str) else bytes(v).decode("utf-8", "replace"), names=names
                    )
                    for v in row
                ]
                assign = ", ".join(f'"{c}" = ?' for c in columns)
                try:
                    conn.execute(f'UPDATE "{table}" SET {assign} WHERE rowid = ?', (*cleaned, rowid))
                except sqlite3.IntegrityError:
                    # A key or NOT NULL column cannot take the cleaned text: the row goes.
                    conn.execute(f'DELETE FROM "{table}" WHERE rowid = ?', (rowid,))
                add(table, 1)
            for index in self._fts_indexes():
                # The triggers wrote 'delete' entries; merging into one segment drops them with the
                # entries they cancel, so the index's pages no longer hold the removed text.
                conn.execute(f'INSERT INTO "{index}" ("{index}") VALUES (\'optimize\')')
            stamp = now_iso()
            for op_id in op_ids:
                detail = loads(
                    (
                        conn.execute("SELECT detail FROM erasure_ops WHERE id = ?", (op_id,)).fetchone()
                        or ["{}"]
                    )[0],
                    {},
                )
                detail["store"] = counts
                conn.execute(
                    "UPDATE erasure_ops SET store = 'done', detail = ?, updated_at = ? WHERE id = ?",
                    (dumps(detail), stamp, op_id),
                )
        return counts

    def compact(self) -> bool:
        """Checkpoint, ``VACUUM`` and truncate the WAL: removed rows leave the raw files' bytes.

        Returns:
            True when the WAL could be truncated (False: another process holds a read
            transaction; the next erase or ``crmtui erase --compact`` finishes it).
        """
        conn = self.store.db.conn
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            conn.execute("VACUUM")
            ids = self.not_compacted()
            if ids:
                marks = ",".join("?" * len(ids))
                with self.store.write() as db:
                    db.execute(f"UPDATE erasure_ops SET vacuumed = 1 WHERE id IN ({marks})", tuple(ids))
            row = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.Error as exc:
            from crmtui.store.db import translate_error

            raise translate_error(exc, self.store.path) from exc
        return bool(row) and int(row[0]) == 0


def _op(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    out["identity"] = loads(row.get("identity"), {}) or {}
    out["detail"] = loads(row.get("detail"), {}) or {}
    return out
