"""CSV exports: formula injection neutralized, controls escaped, round trip through a CSV reader."""

from __future__ import annotations

import csv
import stat
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmtui.export import FORMULA_TRIGGERS, cell, export_forgotten, neutralize, write_csv

_SPACES = " \u00a0\u3000"


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("+33 6 12 34 56 78", "'+33 6 12 34 56 78"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=cmd", "'\t=cmd"),
        ("\r=cmd", "'\r=cmd"),
        ("  =cmd", "'  =cmd"),
        ("\uff1dcmd", "'\uff1dcmd"),
        ("jeanne@exemple.fr", "jeanne@exemple.fr"),
        ("Élodie Dupré", "Élodie Dupré"),
        ("", ""),
        ("'=already", "'=already"),
        ("a=b", "a=b"),
    ],
)
def test_neutralize(raw: str, safe: str) -> None:
    assert neutralize(raw) == safe


def test_cell_escapes_controls_then_neutralizes() -> None:
    assert cell("\x1b[31mRouge") == "\\x1b[31mRouge"
    assert cell("\t=1") == "' =1"
    assert cell(None) == ""
    assert cell(3) == "3"


@given(st.text())
def test_no_cell_can_start_a_formula(value: str) -> None:
    out = neutralize(value)
    head = out.lstrip(_SPACES)[:1]
    assert head not in FORMULA_TRIGGERS
    # The only change is a leading quote.
    assert out == value or out == "'" + value


@given(st.lists(st.lists(st.text(), min_size=3, max_size=3), max_size=5))
def test_round_trip_through_a_csv_reader(
    tmp_path_factory: pytest.TempPathFactory, rows: list[list[str]]
) -> None:
    path = tmp_path_factory.mktemp("csv") / "out.csv"
    write_csv(path, ["a", "b", "c"], rows)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        back = list(csv.reader(fh))
    assert back[0] == ["a", "b", "c"]
    assert back[1:] == [[cell(v) for v in row] for row in rows]
    for row in back[1:]:
        for value in row:
            assert value.lstrip(_SPACES)[:1] not in FORMULA_TRIGGERS


def test_export_forgotten_file(tmp_path: Path) -> None:
    rows = [
        {
            "email": "a@exemple.fr",
            "name": "=cmd|' /C calc'!A0",
            "resubscribe_url": "https://x.us19.list-manage.com/subscribe?u=1&id=2&EMAIL=a%40exemple.fr",
            "detected_at": "2026-11-02T10:00:00+00:00",
            "copper_tagged": 1,
            "reached_at": None,
            "reached_by": None,
        }
    ]
    path = export_forgotten(rows, tmp_path / "reports", now=datetime(2026, 11, 25, 9, 30, 0))
    assert path.name == "forgotten_emails_2026-11-25_09-30-00.csv"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the accents
    with path.open(encoding="utf-8-sig", newline="") as fh:
        header, row = list(csv.reader(fh))
    assert header[0] == "Email" and len(header) == 7
    assert row[:3] == ["a@exemple.fr", "'=cmd|' /C calc'!A0", rows[0]["resubscribe_url"]]
    assert row[4:] == ["1", "", ""]
