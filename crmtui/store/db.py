"""The SQLite store: one file, WAL, ``BEGIN IMMEDIATE`` writes, numbered migrations.

This package is the only place that writes SQL. The engine asks for named operations through the
repositories hung on :class:`Store` (``store.runs.start(...)``, ``store.locks.acquire(...)``).

:class:`Store` is the package's one deliberate facade: it imports every repository, locally in its
constructor, while a repository names ``Store`` only for type checking (``TYPE_CHECKING``), so the
apparent circle never exists at run time.

Concurrency: the console, a cron run and ``crmtui serve`` may write the same file at once. Every
write transaction starts with ``BEGIN IMMEDIATE`` (it takes the write lock up front, so two writers
queue on ``busy_timeout`` instead of failing with "database is locked" half-way through), and
every thread gets its own connection, since sqlite3 connections belong to the thread that opened
them.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlite_utils

from crmtui.i18n import t
from crmtui.store._util import fold

BUSY_TIMEOUT_MS = 15_000


class StoreError(Exception):
    """The store cannot be used: locked, read-only, corrupt, too new, or not creatable.

    Attributes:
        kind: "locked", "readonly", "corrupt", "too_new" or "cannot_create".
        message: what is wrong, in plain words.
        hint: what to do.
    """

    def __init__(self, kind: str, message: str, hint: str) -> None:
        self.kind = kind
        self.message = message
        self.hint = hint
        super().__init__(f"{message} — {hint}")


def translate_error(exc: sqlite3.Error, path: Path | str) -> StoreError:
    """Turn a sqlite3 error into a :class:`StoreError` with a plain message and a fix."""
    text = str(exc).lower()
    shown = str(path)
    if "locked" in text or "busy" in text:
        return StoreError(
            "locked",
            t("store.locked", path=shown, seconds=BUSY_TIMEOUT_MS // 1000),
            t("store.locked.fix"),
        )
    if "readonly" in text or "read-only" in text or "read only" in text:
        return StoreError("readonly", t("store.readonly", path=shown), t("store.readonly.fix"))
    if "not a database" in text or "malformed" in text or "disk image" in text or "corrupt" in text:
        return StoreError("corrupt", t("store.corrupt", path=shown, detail=str(exc)), t("store.corrupt.fix"))
    return StoreError(
        "cannot_create", t("store.cannot_create", path=shown, detail=str(exc)), t("store.cannot_create.fix")
    )


class Store:
    """The crmtui database.

    Args:
        path: the database file; created with mode 0600 if missing.
        migrate: apply pending migrations when opening (the CLI does; a read-only tool would not).

    Raises:
        StoreError: when the file cannot be used, with the fix in the message.
    """

    def __init__(self, path: Path | str, *, migrate: bool = True) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._conn_lock = threading.Lock()
        self._create_file()
        try:
            self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.Error as exc:
            raise translate_error(exc, self.path) from exc
        from crmtui.store import migrations  # local: migrations import repositories' helpers

        if migrate:
            migrations.migrate(self)
        else:
            migrations.check_version(self)

        from crmtui.store.audit import AuditRepo
        from crmtui.store.budgets import BudgetsRepo
        from crmtui.store.contacts import ContactsRepo
        from crmtui.store.erase import ErasureRepo
        from crmtui.store.etl import EtlRepo
        from crmtui.store.events import EventsRepo
        from crmtui.store.locks import LocksRepo
        from crmtui.store.reco import RecoRepo
        from crmtui.store.review import ReviewRepo
        from crmtui.store.runs import RunsRepo
        from crmtui.store.scenarios import ScenarioRepo
        from crmtui.store.sync import SyncRepo

        self.runs = RunsRepo(self)
        self.locks = LocksRepo(self)
        self.audit = AuditRepo(self)
        self.contacts = ContactsRepo(self)
        self.sync = SyncRepo(self)
        self.review = ReviewRepo(self)
        self.etl = EtlRepo(self)
        self.events = EventsRepo(self)
        self.scenarios = ScenarioRepo(self)
        self.reco = RecoRepo(self)
        self.erasure = ErasureRepo(self)
        self.budgets = BudgetsRepo(self)

    # -- connections ----------------------------------------------------------------------

    def _create_file(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not self.path.exists():
                # Create it 0600 ourselves: sqlite would honour the umask (often 0644), and the
                # -wal/-shm files SQLite creates later copy the main file's permissions.
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
                os.close(fd)
        except FileExistsError:
            pass
        except OSError as exc:
            raise StoreError(
                "cannot_create",
                t("store.cannot_create", path=str(self.path), detail=exc.strerror or str(exc)),
                t("store.cannot_create.fix"),
            ) from exc

    def _connect(self) -> sqlite_utils.Database:
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()
            if mode and str(mode[0]).lower() != "wal" and os.access(self.path, os.W_OK):
                raise sqlite3.OperationalError("cannot switch to WAL mode")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
            # The review filter's casefold (store.review_schema): SQLite's own lower() folds ASCII only.
            conn.create_function("crm_fold", 1, fold, deterministic=True)
        except sqlite3.Error as exc:
            raise translate_error(exc, self.path) from exc
        with self._conn_lock:
            self._connections.append(conn)
        return sqlite_utils.Database(conn)

    @property
    def db(self) -> sqlite_utils.Database:
        """This thread's sqlite-utils database handle."""
        db: sqlite_utils.Database | None = getattr(self._local, "db", None)
        if db is None:
            db = self._connect()
            self._local.db = db
        return db

    def close(self) -> None:
        """Close every connection opened by any thread."""
        with self._conn_lock:
            for conn in self._connections:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
            self._connections.clear()
        self._local = threading.local()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions ----------------------------------------------------------------------

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        """A write transaction that takes the write lock first (``BEGIN IMMEDIATE``).

        Nested calls join the outer transaction. sqlite-utils' own ``atomic()`` blocks inside it
        become savepoints.
        """
        db = self.db
        if db.conn.in_transaction:
            yield db
            return
        try:
            db.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise translate_error(exc, self.path) from exc
        try:
            yield db
        except BaseException:
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
            raise
        try:
            db.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
            raise translate_error(exc, self.path) from exc

    def query(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        """Rows of a read query as dicts (for the repositories in this package)."""
        try:
            return list(self.db.query(sql, params))
        except sqlite3.Error as exc:
            raise translate_error(exc, self.path) from exc

    def scalar(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        """The first column of the first row, or None."""
        try:
            row = self.db.execute(sql, params).fetchone()
        except sqlite3.Error as exc:
            raise translate_error(exc, self.path) from exc
        return row[0] if row else None
