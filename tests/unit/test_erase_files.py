"""The files step of an erasure: the person's lines leave the logs, reports and exports crmtui wrote
(each rewritten atomically, its mode kept), a file that cannot be rewritten line by line is deleted, and
the result says which (#13)."""

from __future__ import annotations

import base64
import gzip
import stat
import zipfile
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from crmtui.config import Settings
from crmtui.engine.erase import needles_for, scrub_file, scrub_files
from crmtui.export import export_forgotten
from crmtui.records.erasure import Matcher

EMAIL = "zephyrine.quatremare@exemple.fr"
NAME = ("Zéphyrine", "Quatremare")
PHONE = "06 71 42 93 58"


def matcher() -> Matcher:
    return Matcher(needles_for({"emails": [EMAIL], "names": [list(NAME)], "phones": [PHONE]}))


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_bytes(data)
    path.chmod(0o600)
    return path


def test_a_log_loses_only_the_lines_naming_them(tmp_path: Path) -> None:
    log = _write(
        tmp_path / "sync.log",
        (
            "10:00 start\n"
            f"10:01 update {EMAIL.upper()} FNAME\n"
            "10:02 update autre@exemple.fr\n"
            f"10:03 phone 0671429358 changed\n"
            f"10:04 token {base64.b64encode(EMAIL.encode()).decode()}\n"
            "10:05 Zephyrine is not enough alone, but Quatremare Zéphyrine is\n"
            "10:06 end\n"
        ).encode(),
    )
    assert scrub_file(log, matcher(), dry_run=True) == ("rewritten", 4)
    assert "10:01" in log.read_text()  # a dry run changes nothing
    assert scrub_file(log, matcher()) == ("rewritten", 4)
    assert log.read_text() == "10:00 start\n10:02 update autre@exemple.fr\n10:06 end\n"
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert scrub_file(log, matcher()) is None  # clean now


def test_a_report_block_goes_whole(tmp_path: Path) -> None:
    report = _write(
        tmp_path / "import_report.txt",
        (
            "Rapport\n\n"
            f"1. {NAME[0]} {NAME[1]}\n   Email: {EMAIL}\n   Téléphone: {PHONE}\n\n"
            "2. Autre Client\n   Email: autre@exemple.fr\n\n"
        ).encode(),
    )
    assert scrub_file(report, matcher()) == ("rewritten", 3)
    text = report.read_text()
    assert "Quatremare" not in text and "71 42" not in text
    assert "2. Autre Client\n   Email: autre@exemple.fr" in text


def test_an_export_keeps_its_bom_and_other_rows(tmp_path: Path) -> None:
    rows = [
        {
            "email": EMAIL,
            "name": " ".join(NAME),
            "resubscribe_url": "https://x/y",
            "detected_at": "2026-01-01",
        },
        {"email": "autre@exemple.fr", "name": "Autre", "resubscribe_url": "", "detected_at": "2026-01-02"},
    ]
    path = export_forgotten(rows, tmp_path / "reports", now=datetime(2026, 1, 3))
    assert scrub_file(path, matcher()) == ("rewritten", 1)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"autre@exemple.fr" in data and b"quatremare" not in data.lower()


def test_compressed_and_binary_files(tmp_path: Path) -> None:
    gz = _write(tmp_path / "old.log.gz", gzip.compress(f"a\n{EMAIL}\nb\n".encode()))
    assert scrub_file(gz, matcher()) == ("rewritten", 1)
    assert gzip.decompress(gz.read_bytes()) == b"a\nb\n"

    archive = tmp_path / "reports.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("r.txt", f"x {EMAIL}\n")
    assert scrub_file(archive, matcher()) == ("deleted", 0)
    assert not archive.exists()

    latin = _write(tmp_path / "legacy.txt", f"\xff\xfe {NAME[1]} {NAME[0]}\n".encode("latin-1"))
    assert scrub_file(latin, matcher()) == ("deleted", 0)
    assert not latin.exists()

    clean = _write(tmp_path / "clean.log", b"nothing here\n")
    assert scrub_file(clean, matcher()) is None and clean.exists()


def test_scrub_files_walks_logs_and_reports_and_says_which(settings: Settings, tmp_path: Path) -> None:
    live = replace(settings, sandbox=False)
    _write(live.log_dir / "sync_20260101.log", f"a {EMAIL}\nb\n".encode())
    _write(live.report_dir / "sub" / "r.zip", b"PK\x03\x04 broken " + EMAIL.encode())
    _write(live.report_dir / "ok.txt", b"fine\n")
    done = {Path(p).name: (action, n) for p, action, n in scrub_files(live, matcher())}
    assert done == {"sync_20260101.log": ("rewritten", 1), "r.zip": ("deleted", 0)}
    assert (live.report_dir / "ok.txt").exists()
