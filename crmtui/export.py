"""CSV exports that are safe to open in a spreadsheet.

Shared by every layer, so it lives at the package root.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula ("CSV injection"): a contact named
``=HYPERLINK("http://evil","click")`` would become a live link, or worse. Every cell goes through
:func:`neutralize`, which prefixes such a value with a single quote (OWASP's advice), looking past
leading spaces and at the full-width look-alikes too. Control characters are escaped with
:func:`crmtui.text.printable` (a ``cat`` of the file must not drive a terminal either).

Files name customers: they are written with mode 0600 in a 0700 folder (:mod:`crmtui.files`), in UTF-8 with a BOM so Excel reads accents.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import crmtui.i18n.sync_ui  # noqa: F401  (registers the sync screens' text)
from crmtui.files import open_private, private_dir
from crmtui.i18n import t
from crmtui.text import printable

FORMULA_TRIGGERS = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
"""First characters a spreadsheet may take as the start of a formula (with full-width forms)."""

_LEADING_SPACE = " \u00a0\u3000"


def neutralize(value: str) -> str:
    """``value`` made inert for a spreadsheet: a leading formula character gets a ``'`` prefix.

    Leading spaces are looked past (some spreadsheets trim them before parsing); nothing else
    changes, so the prefix is the only difference and a reader can strip it.
    """
    head = value.lstrip(_LEADING_SPACE)[:1]
    if head and head in FORMULA_TRIGGERS:
        return "'" + value
    return value


def cell(value: object) -> str:
    """One CSV cell: printable text (controls escaped, one line), then neutralized."""
    return neutralize(printable(value))


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Path:
    """Write ``header`` and ``rows`` to ``path`` (mode 0600, UTF-8 with BOM), every cell neutralized."""
    private_dir(path.parent)
    with open_private(path, encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([cell(h) for h in header])
        for row in rows:
            writer.writerow([cell(v) for v in row])
    return path


def export_name(kind: str, now: datetime) -> str:
    """``forgotten_emails_YYYY-MM-DD_HH-MM-SS.csv`` (the reports' timestamp style)."""
    return f"{kind}_{now.strftime('%Y-%m-%d_%H-%M-%S')}.csv"


def export_forgotten(rows: Sequence[Mapping[str, Any]], folder: Path, *, now: datetime | None = None) -> Path:
    """Export forgotten emails with their resubscribe links into ``folder``; return the file.

    Args:
        rows: ``SyncRepo.forgotten_rows()``.
        folder: the reports folder.
        now: the timestamp of the file name (tests pass one).
    """
    header = [
        t("col.email"),
        t("col.name"),
        t("sync_ui.col.link"),
        t("col.since"),
        t("sync_ui.col.tagged"),
        t("sync_ui.col.reached"),
        t("sync_ui.col.reached_by"),
    ]
    body = (
        [
            row.get("email") or "",
            row.get("name") or "",
            row.get("resubscribe_url") or "",
            row.get("detected_at") or "",
            "1" if row.get("copper_tagged") else "0",
            row.get("reached_at") or "",
            row.get("reached_by") or "",
        ]
        for row in rows
    )
    return write_csv(folder / export_name("forgotten_emails", now or datetime.now()), header, body)
