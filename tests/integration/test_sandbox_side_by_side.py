"""Two sandbox processes never share (or delete) one database (issue #15).

The first sandbox process holds an exclusive ``flock`` on ``<db>-sandbox.lock``. A second one,
modelled here by another open file description holding that lock (``flock`` locks belong to the
open file, so this is what another process looks like), gets a folder and a database of its own.
"""

from __future__ import annotations

import fcntl
from pathlib import Path

import pytest

from crmtui.cli.entry import sandbox_services
from crmtui.config import Settings


def test_a_second_sandbox_gets_its_own_database_and_leaves_the_first_alone(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    first_db = settings.store_path
    first_db.parent.mkdir(parents=True, exist_ok=True)
    first_db.write_bytes(b"the first console's database")
    with open(first_db.with_suffix(".lock"), "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with sandbox_services(settings) as live:
            own_db = live.store_path
            assert own_db != first_db
            assert own_db.parent.name.startswith("sandbox-")
            own_folder = own_db.parent
            assert live.report_dir.parent == own_folder and live.log_dir.parent == own_folder
        assert first_db.read_bytes() == b"the first console's database"
    assert not own_folder.exists(), "the second sandbox's folder is removed when it ends"
    assert "Another crmtui is already using the sandbox" in capsys.readouterr().err


def test_the_only_sandbox_recreates_its_database(settings: Settings) -> None:
    db = settings.store_path
    db.parent.mkdir(parents=True, exist_ok=True)
    db.write_bytes(b"yesterday's sandbox")
    with sandbox_services(settings) as live:
        assert live.store_path == db
        assert not db.exists() or db.read_bytes() != b"yesterday's sandbox"
    lock = Path(str(db.with_suffix(".lock")))
    with open(lock, "a+") as again:  # released at the end: the next start gets it
        fcntl.flock(again, fcntl.LOCK_EX | fcntl.LOCK_NB)
