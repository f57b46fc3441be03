"""The sync's staging area: both sides as read this run, keyed by email, in a TEMP table.

A run reads Copper and Mailchimp page by page into ``temp.sync_stage`` (one row per email key, the
side snapshots as JSON) instead of two in-memory dicts, then plans contact by contact from it in
chunks, so nothing proportional to the audience stays in Python memory (issue #16: ≈ 5 KiB per
contact before, 5 GB at 1,000,000).

Why a TEMP table: it belongs to the connection of the run (the engine's thread), lives in SQLite's
temporary file (never in the store's file, so no erasure or migration concerns, gone after a
crash), and writing it never takes the store's write lock, so the console and ``crmtui serve``
keep writing while a run reads. The engine runs on one thread per run, so one connection sees the
whole run.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    import sqlite3

    from crmtui.store.db import Store

S = TypeVar("S")

_SCHEMA = """
CREATE TEMP TABLE IF NOT EXISTS sync_stage (
    email TEXT NOT NULL UNIQUE,
    copper TEXT,          -- CopperSide JSON, NULL: not read this run
    copper_id INTEGER,
    mc TEXT,              -- MailchimpSide JSON, NULL: not read this run
    mc_uid TEXT,
    mc_hash TEXT
);
CREATE INDEX IF NOT EXISTS temp.sync_stage_copper_id ON sync_stage(copper_id);
"""

_SIDE_COLUMNS = {"copper", "mc"}


def _dumps(data: Mapping[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


class SyncStage:
    """The staging table of one run (on the calling thread's connection)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.conn: sqlite3.Connection = store.db.conn
        for statement in _SCHEMA.split(";"):  # not executescript: it would commit a caller's transaction
            if statement.strip():
                self.conn.execute(statement)

    def reset(self) -> None:
        """Empty the table (what a previous run on this connection left)."""
        self.conn.execute("DELETE FROM temp.sync_stage")

    def close(self) -> None:
        """Empty the table: the snapshots name customers and are not needed after the run."""
        self.reset()

    # -- writing ----------------------------------------------------------------------------

    def batch(self) -> _Batch:
        """A transaction on the temp table for a page of writes (joins the caller's if any)."""
        return _Batch(self.conn)

    def put_copper(self, email: str, copper_id: int, side: Mapping[str, Any]) -> tuple[int, int] | None:
        """Stage a person read from the stream (two statements in the common case).

        A person re-listed during the stream comes back newer: it is forgotten under any other
        address it had. Two people on one address: the older (lower id) is the contact.

        Returns:
            None, or ``(kept, other)``: the ids of two people sharing the address.
        """
        rows = self.conn.execute(
            "SELECT email, copper_id FROM temp.sync_stage WHERE copper_id = ? OR (email = ? AND copper IS NOT NULL)",
            (copper_id, email),
        ).fetchall()
        previous = None
        for other_email, other_id in rows:
            if other_email != email:
                self.drop_copper_id(copper_id, email)  # re-listed under a new address
            elif other_id is not None:
                previous = int(other_id)
        if previous is None or previous == copper_id or copper_id < previous:
            self.set_copper(email, side, copper_id)
        if previous is None or previous == copper_id:
            return None
        return (min(previous, copper_id), max(previous, copper_id))

    def drop_copper_id(self, copper_id: int, keep_email: str | None) -> None:
        """A person re-listed during the stream: forget it under any other address it had."""
        self.conn.execute(
            "DELETE FROM temp.sync_stage WHERE copper_id = ? AND email IS NOT ? AND mc IS NULL",
            (copper_id, keep_email),
        )
        self.conn.execute(
            "UPDATE temp.sync_stage SET copper = NULL, copper_id = NULL WHERE copper_id = ? AND email IS NOT ?",
            (copper_id, keep_email),
        )

    def set_copper(self, email: str, side: Mapping[str, Any] | None, copper_id: int | None) -> None:
        """Stage (or unstage, with None) a person under ``email`` as is."""
        self.conn.execute(
            "INSERT INTO temp.sync_stage (email, copper, copper_id) VALUES (?, ?, ?) "
            "ON CONFLICT(email) DO UPDATE SET copper = excluded.copper, copper_id = excluded.copper_id",
            (email, None if side is None else _dumps(side), copper_id),
        )

    def set_mc(
        self, email: str, side: Mapping[str, Any] | None, uid: str = "", member_hash: str = ""
    ) -> None:
        """Stage (or unstage) a member under ``email`` (the last one read wins)."""
        self.conn.execute(
            "INSERT INTO temp.sync_stage (email, mc, mc_uid, mc_hash) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(email) DO UPDATE SET mc = excluded.mc, mc_uid = excluded.mc_uid, "
            "mc_hash = excluded.mc_hash",
            (email, None if side is None else _dumps(side), uid or None, member_hash or None),
        )

    def add_emails(self, emails: Iterable[str]) -> None:
        """Emails to plan although neither side sent them this run (retries, deletions...)."""
        self.conn.executemany(
            "INSERT OR IGNORE INTO temp.sync_stage (email) VALUES (?)", ((e,) for e in emails)
        )

    def add_known_contacts(self) -> None:
        """Every contact of the store (a full run plans them all: absent ones too)."""
        self.conn.execute("INSERT OR IGNORE INTO temp.sync_stage (email) SELECT email FROM main.contacts")

    # -- reading ----------------------------------------------------------------------------

    def count(self, column: str | None = None) -> int:
        """Rows staged (with ``column``: rows whose side was read)."""
        where = f" WHERE {_side(column)} IS NOT NULL" if column else ""
        return int(self.conn.execute(f"SELECT count(*) FROM temp.sync_stage{where}").fetchone()[0])  # noqa: S608

    def get(self, column: str, email: str) -> dict[str, Any] | None:
        """One side of one email, decoded (None: not read)."""
        row = self.conn.execute(
            f"SELECT {_side(column)} FROM temp.sync_stage WHERE email = ?",  # noqa: S608
            (email,),
        ).fetchone()
        return None if row is None or row[0] is None else dict(json.loads(row[0]))

    def get_copper_by_id(self, copper_id: int) -> dict[str, Any] | None:
        """The person staged with this id, decoded."""
        row = self.conn.execute(
            "SELECT copper FROM temp.sync_stage WHERE copper_id = ? AND copper IS NOT NULL", (copper_id,)
        ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def iter_side(self, column: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """``(email, side)`` in read order, streamed (a few hundred rows at a time)."""
        col = _side(column)
        last = 0
        while True:
            rows = self.conn.execute(
                f"SELECT rowid, email, {col} FROM temp.sync_stage WHERE rowid > ? AND {col} IS NOT NULL "  # noqa: S608
                "ORDER BY rowid LIMIT 500",
                (last,),
            ).fetchall()
            if not rows:
                return
            for rowid, email, data in rows:
                last = rowid
                yield str(email), dict(json.loads(data))

    def chunks(self, size: int = 1000) -> Iterator[list[tuple[str, str | None, str | None]]]:
        """Every staged email with its raw sides, in email order, ``size`` at a time."""
        last = ""
        while True:
            rows = self.conn.execute(
                "SELECT email, copper, mc FROM temp.sync_stage WHERE email > ? ORDER BY email LIMIT ?",
                (last, size),
            ).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield [(str(e), c, m) for e, c, m in rows]

    # -- joins with the store's contacts (identity: crmtui.engine.sync_identity) --------------

    def copper_renames(self) -> list[tuple[str, int, str]]:
        """``(email read, copper_id, email stored)``: people a contact knows under another address
        (that address not read this run), in read order."""
        return [
            (str(e), int(i), str(old))
            for e, i, old in self.conn.execute(
                "SELECT s.email, s.copper_id, c.email FROM temp.sync_stage s "
                "JOIN main.contacts c ON c.copper_id = s.copper_id "
                "WHERE s.copper IS NOT NULL AND c.email != s.email AND NOT EXISTS "
                "(SELECT 1 FROM temp.sync_stage o WHERE o.email = c.email AND o.copper IS NOT NULL) "
                "ORDER BY s.rowid"
            )
        ]

    def member_renames(self) -> list[tuple[str, str | None, str]]:
        """``(email read, unique_email_id, email stored)``: members a contact knows (by
        ``unique_email_id``, else by ``id``) under another address, in read order."""
        return [
            (str(e), uid, str(old))
            for e, uid, old in self.conn.execute(
                "SELECT s.email, s.mc_uid, coalesce("
                " (SELECT c.email FROM main.contacts c WHERE s.mc_uid IS NOT NULL"
                "  AND c.mailchimp_unique_id = s.mc_uid ORDER BY c.rowid DESC LIMIT 1),"
                " (SELECT c.email FROM main.contacts c WHERE s.mc_hash IS NOT NULL"
                "  AND c.mailchimp_hash = s.mc_hash ORDER BY c.rowid DESC LIMIT 1)) AS old "
                "FROM temp.sync_stage s WHERE s.mc IS NOT NULL AND old IS NOT NULL AND old != s.email "
                "ORDER BY s.rowid"
            )
        ]

    def strange_members(self) -> list[str]:
        """Members read that no contact knows (by address, ``unique_email_id`` or ``id``) and
        that are no Copper person's address."""
        return [
            str(e)
            for (e,) in self.conn.execute(
                "SELECT s.email FROM temp.sync_stage s WHERE s.mc IS NOT NULL AND s.copper IS NULL "
                "AND NOT EXISTS (SELECT 1 FROM main.contacts c WHERE c.email = s.email) "
                "AND (s.mc_uid IS NULL OR NOT EXISTS "
                "(SELECT 1 FROM main.contacts c WHERE c.mailchimp_unique_id = s.mc_uid)) "
                "AND (s.mc_hash IS NULL OR NOT EXISTS "
                "(SELECT 1 FROM main.contacts c WHERE c.mailchimp_hash = s.mc_hash)) "
                "ORDER BY s.rowid"
            )
        ]

    def strange_people(self) -> list[str]:
        """People read that no contact knows (by address or id) and whose address is no member's."""
        return [
            str(e)
            for (e,) in self.conn.execute(
                "SELECT s.email FROM temp.sync_stage s WHERE s.copper IS NOT NULL AND s.mc IS NULL "
                "AND NOT EXISTS (SELECT 1 FROM main.contacts c WHERE c.email = s.email) "
                "AND NOT EXISTS (SELECT 1 FROM main.contacts c WHERE c.copper_id = s.copper_id) "
                "ORDER BY s.rowid"
            )
        ]


def _side(column: str) -> str:
    if column not in _SIDE_COLUMNS:
        raise ValueError(column)
    return column


class _Batch:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.own = False

    def __enter__(self) -> None:
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN")
            self.own = True

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if self.own:
            self.conn.execute("ROLLBACK" if exc_type else "COMMIT")


class StagedSides(Mapping[str, S], Generic[S]):
    """One side of the stage as a read-mostly mapping ``email → side`` (what the read dicts were).

    Lookups are one indexed query each; iteration streams in read order. ``__setitem__`` stages.
    """

    def __init__(
        self,
        stage: SyncStage,
        column: str,
        decode: Callable[[Mapping[str, Any]], S],
        store: Callable[[SyncStage, str, S | None], None],
    ) -> None:
        self.stage = stage
        self.column = _side(column)
        self._decode = decode
        self._store = store

    def __getitem__(self, email: str) -> S:
        data = self.stage.get(self.column, email)
        if data is None:
            raise KeyError(email)
        return self._decode(data)

    def get(self, email: str, default: Any = None) -> Any:  # noqa: D102 - Mapping.get
        data = self.stage.get(self.column, email)
        return default if data is None else self._decode(data)

    def __contains__(self, email: object) -> bool:
        return isinstance(email, str) and self.stage.get(self.column, email) is not None

    def __iter__(self) -> Iterator[str]:
        return (email for email, _ in self.stage.iter_side(self.column))

    def __len__(self) -> int:
        return self.stage.count(self.column)

    def __setitem__(self, email: str, side: S) -> None:
        self._store(self.stage, email, side)
