"""Runs: one row per cycle (console or cron), with its outcome and files."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from crmtui.store._util import dumps, loads, now_iso

if TYPE_CHECKING:
    from crmtui.store.db import Store

RUN_STATUSES = ("running", "ok", "partial", "failed", "interrupted")


@dataclass(frozen=True)
class Run:
    """A recorded run."""

    id: int
    kind: str
    mode: str
    dry_run: bool
    sandbox: bool
    started_at: str
    finished_at: str | None
    status: str
    total: int
    succeeded: int
    failed: int
    skipped: int
    summary: dict[str, Any]
    report_path: str | None
    log_path: str | None

    @property
    def seconds(self) -> float | None:
        """How long a finished run took; None while it runs or when its times cannot be read."""
        if not self.finished_at:
            return None
        try:
            delta = datetime.fromisoformat(self.finished_at) - datetime.fromisoformat(self.started_at)
        except ValueError:
            return None
        return max(0.0, delta.total_seconds())

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Run:
        """Build from a ``sync_runs`` row."""
        return cls(
            id=row["id"],
            kind=row["kind"],
            mode=row["mode"],
            dry_run=bool(row["dry_run"]),
            sandbox=bool(row["sandbox"]),
            started_at=row["started_at"],
            finished_at=row["finished_at"],
            status=row["status"],
            total=row["total"],
            succeeded=row["succeeded"],
            failed=row["failed"],
            skipped=row["skipped"],
            summary=loads(row["summary"], {}),
            report_path=row["report_path"],
            log_path=row["log_path"],
        )


class RunsRepo:
    """Named operations on ``sync_runs``."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def start(self, kind: str, *, mode: str, dry_run: bool = False, sandbox: bool = False) -> int:
        """Record a run as started; return its id."""
        with self.store.write() as db:
            cur = db.execute(
                "INSERT INTO sync_runs (kind, mode, dry_run, sandbox, started_at, status, pid, host) "
                "VALUES (?, ?, ?, ?, ?, 'running', ?, ?)",
                (kind, mode, int(dry_run), int(sandbox), now_iso(), os.getpid(), socket.gethostname()),
            )
            return int(cur.lastrowid or 0)

    def finish(
        self,
        run_id: int,
        status: str,
        *,
        total: int = 0,
        succeeded: int = 0,
        failed: int = 0,
        skipped: int = 0,
        summary: dict[str, Any] | None = None,
        report_path: str | None = None,
        log_path: str | None = None,
    ) -> None:
        """Record the outcome of a run."""
        if status not in RUN_STATUSES:
            raise ValueError(f"unknown run status {status!r}")
        with self.store.write() as db:
            db.execute(
                "UPDATE sync_runs SET finished_at = ?, status = ?, total = ?, succeeded = ?, failed = ?, "
                "skipped = ?, summary = ?, report_path = COALESCE(?, report_path), "
                "log_path = COALESCE(?, log_path) WHERE id = ?",
                (
                    now_iso(),
                    status,
                    total,
                    succeeded,
                    failed,
                    skipped,
                    dumps(summary or {}),
                    report_path,
                    log_path,
                    run_id,
                ),
            )

    def set_log_path(self, run_id: int, log_path: str) -> None:
        """Attach the per-run log file."""
        with self.store.write() as db:
            db.execute("UPDATE sync_runs SET log_path = ? WHERE id = ?", (log_path, run_id))

    def get(self, run_id: int) -> Run | None:
        """One run by id."""
        rows = self.store.query("SELECT * FROM sync_runs WHERE id = ?", (run_id,))
        return Run.from_row(rows[0]) if rows else None

    def recent(self, limit: int = 10) -> list[Run]:
        """The latest runs, newest first."""
        rows = self.store.query("SELECT * FROM sync_runs ORDER BY id DESC LIMIT ?", (limit,))
        return [Run.from_row(r) for r in rows]

    def count(self) -> int:
        """How many runs were recorded."""
        return int(self.store.scalar("SELECT count(*) FROM sync_runs") or 0)

    def mark_interrupted(self) -> int:
        """Runs still 'running' on this host whose process is gone become 'interrupted'."""
        host = socket.gethostname()
        rows = self.store.query(
            "SELECT id, pid FROM sync_runs WHERE status = 'running' AND host = ?", (host,)
        )
        dead = [r["id"] for r in rows if not pid_alive(int(r["pid"] or 0))]
        if dead:
            with self.store.write() as db:
                db.execute(
                    f"UPDATE sync_runs SET status = 'interrupted', finished_at = ? "
                    f"WHERE id IN ({','.join('?' * len(dead))})",
                    (now_iso(), *dead),
                )
        return len(dead)


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this host."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
