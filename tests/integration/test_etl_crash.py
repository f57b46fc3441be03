"""``kill -9`` in the middle of an import, then a rerun: tables identical (by checksum) to a clean run."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from crmtui.sandbox.isavigne_data import write_exports
from crmtui.store import Store
from crmtui.store.etl import etl_repo


def _exports(folder: Path, copies: int) -> Path:
    """Sample exports whose ``ventes`` file is made long by repeating its documents under new numbers."""
    paths = write_exports(folder, customers=40, seed=11, export_date=date(2025, 6, 1))
    ventes = paths["ventes"]
    lines = ventes.read_bytes().decode("cp1252").splitlines(keepends=True)
    header, body = lines[0], lines[1:]
    out = [header, *body]
    for k in range(copies):
        out += [line.replace(";", f"-{k};", 1) for line in body]
    ventes.write_bytes("".join(out).encode("cp1252"))
    return ventes


def _cmd() -> list[str]:
    return [sys.executable, "-m", "crmtui", "--headless", "--only", "etl", "--no-sandbox"]


def _env(data: Path, exports: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("CRMTUI_", "ODOO_", "COPPER_", "MAILCHIMP_"))
    }
    env.update(CRMTUI_DATA_DIR=str(data), ISAVIGNE_EXPORT_PATH=str(exports), CRMTUI_LANG="en")
    return env


def _checksum(db: Path) -> str:
    store = Store(db)
    try:
        return etl_repo(store).checksum()
    finally:
        store.close()


def test_kill_9_mid_import_then_rerun_equals_a_clean_run(tmp_path: Path) -> None:
    exports = tmp_path / "ex"
    ventes = _exports(exports, copies=40)

    clean = subprocess.run(
        _cmd(), env=_env(tmp_path / "clean", exports), capture_output=True, text=True, timeout=120
    )
    assert clean.returncode == 0, clean.stdout + clean.stderr

    data = tmp_path / "crashed"
    db = data / "crmtui.db"
    proc = subprocess.Popen(
        _cmd(), env=_env(data, exports), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    killed_at = None
    deadline = time.monotonic() + 60
    store: Store | None = None
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if store is None and db.exists():
                try:
                    store = Store(db, migrate=False)
                except Exception:
                    store = None
            if store is not None:
                try:
                    value = etl_repo(store).cursor("isavigne", f"file:{ventes.name}")
                except Exception:
                    value = None
                if value is not None:
                    os.kill(proc.pid, signal.SIGKILL)
                    killed_at = value
                    break
            time.sleep(0.005)
        proc.wait(timeout=30)
        assert killed_at is not None, "the import finished before it could be killed"
        assert proc.returncode == -signal.SIGKILL
        # Killed in the middle of the sales file: some of it is loaded, the file is not marked done.
        repo = etl_repo(store)  # type: ignore[arg-type]
        assert 0 < repo.counts()["sales_lines"]
        assert not repo.file_imported("isavigne", hashlib.sha256(ventes.read_bytes()).hexdigest())
    finally:
        if store is not None:
            store.close()

    rerun = subprocess.run(_cmd(), env=_env(data, exports), capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert _checksum(db) == _checksum(tmp_path / "clean" / "crmtui.db")
