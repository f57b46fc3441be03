"""Reading iSaVigne export files: which kind a file is, its encoding and delimiter, its rows.

One job: from a path in the export folder, say whether it is a ``clients``/``produits``/``ventes``/
``stock`` export, fingerprint it, and stream its rows (CSV in whatever encoding and delimiter
iSaVigne wrote, or an Excel workbook). What the rows mean is :mod:`crmtui.connectors.isavigne`.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import crmtui.i18n.etl  # noqa: F401 - registers the etl.* keys
from crmtui.connectors.errors import ConnectorError
from crmtui.i18n import t
from crmtui.records.normalize import (
    normalize_column,
)

SOURCE = "isavigne"


class IsavigneError(ConnectorError):
    """The export folder or a file cannot be used at all."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(SOURCE, message, hint=hint)


EXTENSIONS = (".csv", ".txt", ".xlsx", ".xlsm")
_KIND_WORDS = (("produits", "produit"), ("clients", "client"), ("ventes", "vente"), ("stock", "stock"))
_CHUNK = 1 << 20


def file_kind(path: Path) -> str | None:
    """``clients``/``produits``/``ventes``/``stock`` from a file name, or None."""
    if path.suffix.lower() not in EXTENSIONS or path.name.startswith((".", "~$")):
        return None
    stem = normalize_column(path.stem)
    # Anywhere in the name (``export_clients_2026.csv``); when two kinds appear
    # (``ventes_par_client``), the first one in the name wins.
    found = [(stem.find(word), kind) for kind, word in _KIND_WORDS if word in stem]
    return min(found)[1] if found else None


def sha256_of(path: Path) -> str:
    """The hex SHA-256 of a file's content (streamed)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def detect_encoding(path: Path) -> str:
    """``utf-8-sig`` (BOM or plain UTF-8), ``cp1252`` or ``latin-1``: the first that decodes it all.

    Raises:
        IsavigneError: the file holds NUL bytes (binary, not a text export).
    """
    with path.open("rb") as handle:
        head = handle.read(_CHUNK)
    if b"\x00" in head:
        raise IsavigneError(f"{path.name}: {t('etl.binary')}", hint=t("etl.binary.fix"))
    for encoding in ("utf-8-sig", "cp1252"):
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        try:
            with path.open("rb") as handle:
                while chunk := handle.read(_CHUNK):
                    if b"\x00" in chunk:
                        raise IsavigneError(f"{path.name}: {t('etl.binary')}", hint=t("etl.binary.fix"))
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    return "latin-1"


def sniff_delimiter(header: str) -> str:
    """The most frequent of ``;``, tab and ``,`` outside quotes on the header line (``;`` if none)."""
    counts = {";": 0, "\t": 0, ",": 0}
    quoted = False
    for char in header:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=lambda c: counts[c])
    return best if counts[best] else ";"


class UnreadableFile(Exception):
    """Stop reading one file, with a reason for ``file:line`` and what to do about it."""

    def __init__(self, line: int, reason: str, hint: str = "") -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason
        self.hint = hint


def read_rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    """Yield ``(line, values)`` for every non-blank row, the header first (line 1 for it).

    For CSV the line is the physical line where the row ends (what an editor shows); for Excel
    it is the sheet row number.

    Raises:
        IsavigneError: the file cannot be opened or decoded.
        UnreadableFile: the CSV becomes unreadable part-way (an unclosed quote).
    """
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            yield from _read_xlsx(path)
            return
        encoding = detect_encoding(path)
        with path.open("r", encoding=encoding, newline="") as handle:
            header = handle.readline()
            delimiter = sniff_delimiter(header)
            handle.seek(0)
            reader = csv.reader(handle, delimiter=delimiter, strict=True)
            while True:
                try:
                    values = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    raise UnreadableFile(
                        reader.line_num, t("etl.csv_error", detail=str(exc)), t("etl.csv_error.fix")
                    ) from None
                if values and any(v.strip() for v in values):
                    yield reader.line_num, values
    except OSError as exc:
        raise IsavigneError(f"{path.name}: {t('etl.unreadable', detail=exc.strerror or str(exc))}") from exc


def _read_xlsx(path: Path) -> Iterator[tuple[int, list[Any]]]:
    import openpyxl  # local: only Excel exports need it

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken zip/xml
        raise IsavigneError(
            f"{path.name}: {t('etl.unreadable', detail=type(exc).__name__)}", hint=t("etl.xlsx.fix")
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        rows = enumerate(sheet.iter_rows(values_only=True), start=1)
        while True:
            try:
                number, row = next(rows)
            except StopIteration:
                break
            except Exception as exc:  # a truncated workbook fails part-way, with many types
                raise IsavigneError(
                    f"{path.name}: {t('etl.unreadable', detail=type(exc).__name__)}", hint=t("etl.xlsx.fix")
                ) from exc
            values = list(row)
            while values and (values[-1] is None or str(values[-1]).strip() == ""):
                values.pop()
            if values and any(v is not None and str(v).strip() for v in values):
                yield number, values
    finally:
        workbook.close()
