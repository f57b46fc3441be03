"""The store: file mode, migrations, concurrent writers, locks and clear errors."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from crmtui.store import Store, StoreError
from crmtui.store import migrations as mig
from crmtui.store.locks import RUN_LOCK, LockHeld


def test_fresh_file_is_private_wal_and_migrated(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "crm.db"
    store = Store(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert store.scalar("PRAGMA journal_mode") == "wal"
    assert store.scalar("PRAGMA foreign_keys") == 1
    assert store.scalar("PRAGMA busy_timeout") >= 5000
    assert mig.applied_versions(store) == {v for v, _, _ in mig.MIGRATIONS}
    for table in (
        "contacts",
        "sync_runs",
        "sync_ops",
        "deletion_queue",
        "forgotten_emails",
        "tombstones",
        "cursors",
        "audit_log",
        "locks",
    ):
        assert table in store.db.table_names()
    store.close()


def test_upgrade_applies_only_new_migrations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "crm.db"
    Store(path).close()
    extra = list(mig.MIGRATIONS)
    applied_new: list[int] = []

    def m_next(db: object) -> None:
        applied_new.append(1)
        db.execute("CREATE TABLE upgrade_probe (x INTEGER)")  # type: ignore[attr-defined]

    nxt = mig.latest_version() + 1
    monkeypatch.setattr(mig, "MIGRATIONS", [*extra, (nxt, "probe", m_next)])
    store = Store(path)
    assert applied_new == [1]
    assert "upgrade_probe" in store.db.table_names()
    store.close()
    Store(path).close()  # nothing left to apply
    assert applied_new == [1]


def test_database_newer_than_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "crm.db"
    store = Store(path)
    with store.write() as db:
        db.execute("INSERT INTO _migrations VALUES (999, 'future', '2030-01-01')")
    store.close()
    with pytest.raises(StoreError) as info:
        Store(path)
    assert info.value.kind == "too_new"
    assert "upgrade crmtui" in str(info.value)


def test_corrupt_file_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "crm.db"
    path.write_bytes(b"this is not a database" * 100)
    os.chmod(path, 0o600)
    with pytest.raises(StoreError) as info:
        Store(path)
    assert info.value.kind == "corrupt"
    assert "backup" in info.value.hint


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_file_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "crm.db"
    Store(path).close()
    os.chmod(path, 0o400)
    with pytest.raises(StoreError) as info:
        Store(path).runs.start("cycle", mode="test")
    assert info.value.kind == "readonly"


def test_read_only_database_gives_a_clear_error_even_as_root(tmp_path: Path) -> None:
    # A store opened on a read-only connection: the same sqlite error path operators hit.
    path = tmp_path / "crm.db"
    store = Store(path)
    store.db.execute("PRAGMA query_only = ON")
    with pytest.raises(StoreError) as info:
        store.runs.start("cycle", mode="test")
    assert info.value.kind == "readonly"
    store.close()


def test_locked_database_gives_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "crm.db"
    store = Store(path)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    monkeypatch.setattr("crmtui.store.db.BUSY_TIMEOUT_MS", 200)
    store.db.execute("PRAGMA busy_timeout = 200")
    with pytest.raises(StoreError) as info:
        store.runs.start("cycle", mode="test")
    assert info.value.kind == "locked"
    other.execute("ROLLBACK")
    other.close()
    store.close()


def _writer(path: str, n: int, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    try:
        store = Store(path)
        for _ in range(n):
            run_id = store.runs.start("cycle", mode="test")
            store.runs.finish(run_id, "ok", total=1)
        store.close()
        queue.put("ok")
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        queue.put(repr(exc))


def test_two_processes_write_at_once_without_database_is_locked(tmp_path: Path) -> None:
    path = str(tmp_path / "crm.db")
    Store(path).close()
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(path, 100, queue)) for _ in range(2)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=180) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert results == ["ok", "ok"]
    store = Store(path)
    assert store.runs.count() == 200
    store.close()


def test_run_lock_is_exclusive_and_released(store: Store) -> None:
    store.locks.acquire(RUN_LOCK, "console")
    with store.write() as db:  # pretend another live process holds it
        db.execute("UPDATE locks SET pid = 1, host = 'other-host'")
    with pytest.raises(LockHeld) as info:
        store.locks.acquire(RUN_LOCK, "cron")
    assert "other-host" in str(info.value)
    with store.write() as db:
        db.execute("UPDATE locks SET expires_at = 0")  # expired: taken over
    assert store.locks.acquire(RUN_LOCK, "cron").owner == "cron"
    store.locks.release(RUN_LOCK)
    assert store.locks.holder(RUN_LOCK) is None


def test_lock_left_by_a_dead_process_is_taken_over(store: Store) -> None:
    store.locks.acquire(RUN_LOCK, "cron")
    with store.write() as db:
        db.execute("UPDATE locks SET pid = 999999999")  # no such process on this host
    assert store.locks.acquire(RUN_LOCK, "console").owner == "console"


def test_write_rolls_back_on_error(store: Store) -> None:
    with pytest.raises(RuntimeError), store.write() as db:
        db.execute("INSERT INTO cursors VALUES ('x', '1', 'now')")
        raise RuntimeError("boom")
    assert store.scalar("SELECT count(*) FROM cursors") == 0
