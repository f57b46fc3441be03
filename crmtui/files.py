"""Files that may hold personal data, and files read from the operator: safe by construction.

Shared by every layer, so it lives at the package root.

Writing (reports, exports, logs, quality reports name customers, with their emails and phones):

- :func:`private_dir` creates a folder ``0700``; a folder crmtui owns (its data, ``logs/`` and
  ``reports/`` folders, passed with ``ours=True``) that exists with wider rights is tightened to
  ``0700``; a folder the operator chose (``-o ~/exports/x.csv``) is created ``0700`` when missing
  but never ``chmod``-ed when it exists;
- :func:`open_private` / :func:`write_private_text` create (or truncate) a file ``0600`` from the
  first byte (``os.open`` with the mode, so no umask or race makes it readable by others) and
  tighten an existing file to ``0600``.

Reading: :func:`decode_error_line` turns a :class:`UnicodeDecodeError` into one readable line
naming the file, the line and the column of the first bad byte (never the content, which may hold
a secret or a customer's data).
"""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path
from typing import cast

import crmtui.i18n.input  # noqa: F401 - registers the input.* keys
from crmtui.i18n import t

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path, *, ours: bool = True) -> Path:
    """Make sure the folder ``path`` exists and is ``0700``.

    Args:
        path: the folder.
        ours: the folder is crmtui's (its data, logs and reports folders): an existing one open to
            the group or others is tightened. With False (a folder the operator named), an existing
            folder is left as it is; missing ones are still created ``0700``.
    """
    missing = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            pass
        else:
            os.chmod(folder, DIR_MODE)  # mkdir's mode goes through the umask; be exact
    if ours and not missing:
        _tighten(path, DIR_MODE)
    return path


def open_private(
    path: Path, mode: str = "w", *, encoding: str = "utf-8", newline: str | None = None
) -> io.TextIOWrapper:
    """Open ``path`` for writing (``"w"`` or ``"a"``, text) as a ``0600`` file."""
    flags = os.O_CREAT | os.O_WRONLY | (os.O_APPEND if mode.startswith("a") else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) & 0o077:
            os.fchmod(fd, FILE_MODE)  # a file left readable by an older crmtui or another tool
        return cast(io.TextIOWrapper, os.fdopen(fd, mode, encoding=encoding, newline=newline))
    except BaseException:
        os.close(fd)
        raise


def write_private_text(path: Path, text: str, *, encoding: str = "utf-8", ours: bool = True) -> Path:
    """Write ``text`` to ``path`` (mode ``0600``), creating its folder ``0700`` (see :func:`private_dir`)."""
    private_dir(path.parent, ours=ours)
    with open_private(path, encoding=encoding) as handle:
        handle.write(text)
    return path


def _tighten(path: Path, wanted: int) -> None:
    try:
        current = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return
    if current & 0o077:
        try:
            os.chmod(path, current & ~0o077 | (wanted & 0o700))
        except OSError:
            pass  # not ours to change (another owner): the files inside are still 0600


def decode_error_line(path: Path | str, exc: UnicodeDecodeError) -> str:
    """One line saying where ``path`` stops being UTF-8 (line, column, byte), without its content."""
    data = exc.object if isinstance(exc.object, bytes | bytearray) else b""
    start = exc.start
    line = data.count(b"\n", 0, start) + 1
    column = start - (data.rfind(b"\n", 0, start) + 1) + 1
    byte = f"0x{data[start]:02x}" if start < len(data) else "?"
    return t("input.file_not_utf8", path=str(path), line=line, column=column, byte=byte)
