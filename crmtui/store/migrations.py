"""Numbered schema migrations, recorded in the database itself.

Each migration is a function registered with :func:`migration`; it runs once, inside its own
``BEGIN IMMEDIATE`` transaction together with the row recording it, so two processes opening a
fresh file at the same moment cannot both apply it. A database whose recorded version is newer
than the newest migration this code knows is refused (an older crmtui must not write a schema it
does not understand).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import sqlite_utils

from crmtui.i18n import t

if TYPE_CHECKING:
    from crmtui.store.db import Store

Migration = Callable[[sqlite_utils.Database], None]
MIGRATIONS: list[tuple[int, str, Migration]] = []
TABLE = "_migrations"


def migration(version: int, name: str) -> Callable[[Migration], Migration]:
    """Register ``fn`` as migration number ``version``."""

    def register(fn: Migration) -> Migration:
        if any(v == version for v, _, _ in MIGRATIONS):
            raise ValueError(f"duplicate migration {version}")
        MIGRATIONS.append((version, name, fn))
        MIGRATIONS.sort(key=lambda m: m[0])
        return fn

    return register


def latest_version() -> int:
    """The newest schema version this code knows."""
    return MIGRATIONS[-1][0] if MIGRATIONS else 0


def applied_versions(store: Store) -> set[int]:
    """Versions recorded in the database."""
    if TABLE not in store.db.table_names():
        return set()
    return {int(r["version"]) for r in store.query(f"SELECT version FROM {TABLE}")}


def check_version(store: Store) -> None:
    """Refuse a database newer than this code."""
    from crmtui.store.db import StoreError

    applied = applied_versions(store)
    if applied and max(applied) > latest_version():
        raise StoreError(
            "too_new",
            t("store.too_new", path=str(store.path), found=max(applied), known=latest_version()),
            t("store.too_new.fix"),
        )


def migrate(store: Store) -> list[int]:
    """Apply every pending migration; return the versions applied now."""
    from crmtui.store.db import translate_error

    check_version(store)
    done: list[int] = []
    try:
        with store.write() as db:
            db.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} ("
                "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
        for version, name, fn in MIGRATIONS:
            with store.write() as db:
                # Re-check inside the write lock: another process may have just applied it.
                if db.execute(f"SELECT 1 FROM {TABLE} WHERE version = ?", (version,)).fetchone():
                    continue
                fn(db)
                db.execute(
                    f"INSERT INTO {TABLE} (version, name, applied_at) VALUES (?, ?, ?)",
                    (version, name, datetime.now(UTC).isoformat(timespec="seconds")),
                )
                done.append(version)
    except sqlite3.Error as exc:
        raise translate_error(exc, store.path) from exc
    return done


def run_script(db: sqlite_utils.Database, script: str) -> None:
    """Execute several statements inside the current transaction.

    ``sqlite3.executescript`` would COMMIT the open transaction first, breaking the atomicity of a
    migration, so statements are split with ``sqlite3.complete_statement`` and run one by one.
    """
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            db.execute(buffer)
            buffer = ""
    if buffer.strip():
        db.execute(buffer)


# -- the migrations ---------------------------------------------------------------------------


@migration(1, "sync, runs, outbox, decisions, audit and locks")
def _m0001(db: sqlite_utils.Database) -> None:
    run_script(
        db,
        """
        CREATE TABLE contacts (
            email TEXT PRIMARY KEY,            -- normalized: NFC, trimmed, lower-cased
            copper_id INTEGER,
            mailchimp_hash TEXT,               -- md5 of the normalized email
            mailchimp_unique_id TEXT,
            first_name TEXT,
            last_name TEXT,
            phone TEXT,
            mailchimp_status TEXT,             -- subscribed/unsubscribed/cleaned/pending/archived/forgotten
            copper_tags TEXT NOT NULL DEFAULT '[]',     -- JSON list
            managed_tags TEXT NOT NULL DEFAULT '[]',    -- tags the sync put in Mailchimp (JSON)
            other_emails TEXT NOT NULL DEFAULT '[]',    -- a person's secondary emails (JSON)
            base TEXT,                         -- merge base: last state both sides agreed on (JSON)
            excluded_reason TEXT,              -- deletion tag, forgotten, invalid email...
            copper_modified INTEGER,
            mailchimp_changed TEXT,
            synced_at TEXT,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX contacts_copper_id ON contacts(copper_id);
        CREATE INDEX contacts_mailchimp_unique ON contacts(mailchimp_unique_id);

        CREATE TABLE sync_runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,                -- cycle/sync/etl/scenarios
            mode TEXT NOT NULL,                -- test/production
            dry_run INTEGER NOT NULL DEFAULT 0,
            sandbox INTEGER NOT NULL DEFAULT 0,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL DEFAULT 'running',  -- running/ok/partial/failed/interrupted
            total INTEGER NOT NULL DEFAULT 0,
            succeeded INTEGER NOT NULL DEFAULT 0,
            failed INTEGER NOT NULL DEFAULT 0,
            skipped INTEGER NOT NULL DEFAULT 0,
            summary TEXT,                      -- JSON
            report_path TEXT,
            log_path TEXT,
            pid INTEGER,
            host TEXT
        );
        CREATE INDEX sync_runs_started ON sync_runs(started_at);

        CREATE TABLE sync_ops (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id INTEGER NOT NULL REFERENCES sync_runs(id),
            op_key TEXT NOT NULL UNIQUE,       -- idempotency key of the planned write
            email TEXT NOT NULL,
            target TEXT NOT NULL,              -- copper/mailchimp
            action TEXT NOT NULL,
            payload TEXT NOT NULL,             -- JSON
            state TEXT NOT NULL DEFAULT 'pending',  -- pending/sent/failed/unknown/skipped
            attempts INTEGER NOT NULL DEFAULT 0,
            result TEXT,
            error TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX sync_ops_state ON sync_ops(state, run_id);

        CREATE TABLE deletion_queue (
            email TEXT PRIMARY KEY,
            copper_id INTEGER,
            name TEXT,
            tag TEXT NOT NULL,                 -- the tag exactly as found
            detected_at TEXT NOT NULL,
            run_id INTEGER REFERENCES sync_runs(id),
            decision TEXT,                     -- archive/delete/ignore, NULL while pending
            decided_at TEXT,
            decided_by TEXT,
            state TEXT NOT NULL DEFAULT 'pending',  -- pending/decided/applied/failed
            applied_at TEXT,
            error TEXT,
            previous_status TEXT               -- Mailchimp status before archiving
        );
        CREATE INDEX deletion_queue_state ON deletion_queue(state);

        CREATE TABLE forgotten_emails (
            email TEXT PRIMARY KEY,
            copper_id INTEGER,
            name TEXT,
            detected_at TEXT NOT NULL,
            run_id INTEGER REFERENCES sync_runs(id),
            resubscribe_url TEXT,
            copper_tagged INTEGER NOT NULL DEFAULT 0,
            resolved_at TEXT
        );

        CREATE TABLE tombstones (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            email TEXT NOT NULL,
            source TEXT NOT NULL,              -- copper/mailchimp
            record TEXT NOT NULL,              -- the full record, JSON
            reason TEXT NOT NULL,
            created_at TEXT NOT NULL
        );

        CREATE TABLE cursors (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );

        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            subject TEXT,
            before TEXT,
            after TEXT,
            detail TEXT
        );

        CREATE TABLE locks (
            name TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            pid INTEGER NOT NULL,
            host TEXT NOT NULL,
            acquired_at TEXT NOT NULL,
            expires_at REAL NOT NULL
        );
        """,
    )


# Each area keeps its migrations next to its repository (numbers: sync 2–9, etl 10–19, scenarios 20–29,
# reco 30–39, events 40–49, review 50–59 (and 8, 9), erasure 60–69, budgets 70–79) and registers them on import.
_AREA_MODULES = (
    "crmtui.store.sync_schema",
    "crmtui.store.review_schema",
    "crmtui.store.etl_schema",
    "crmtui.store.scenario_schema",
    "crmtui.store.reco_schema",
    "crmtui.store.events_schema",
    "crmtui.store.erase_schema",
    "crmtui.store.budgets_schema",
)


def _load_area_migrations() -> None:
    import importlib

    for module in _AREA_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


_load_area_migrations()
