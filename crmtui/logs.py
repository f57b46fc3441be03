"""Logging: one file per run plus a daily rotating log, every line redacted and made printable.

Shared by every layer, so it lives at the package root.

- ``logs/sync_log_YYYY-MM-DD_HH-MM-SS.txt``: everything a run did, every step and every action with
  its contact and result (the name the team knows);
- ``logs/sync_YYYYMMDD.log``: the daily log across runs, console and service, one file per day (the
  seed README's ``tail -f sync_$(date +%Y%m%d).log`` works in ``logs/``), 14 days kept.

The level is INFO unless ``--log-level`` says otherwise (:func:`set_level`, for every command).

The :class:`RedactionFilter` removes every registered secret from the fully formatted message
(arguments included) and escapes terminal control codes, so neither a key nor a hostile contact
name can reach a log file in a dangerous form.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import sys
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

from crmtui.files import open_private, private_dir
from crmtui.secrets import redact
from crmtui.text import printable

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
ROOT = "crmtui"
LEVELS = ("debug", "info", "warning", "error")
KEEP_DAYS = 14
_DAILY = re.compile(r"^sync_(\d{8})\.log$")
_level = logging.INFO


def set_level(name: str) -> int:
    """The level of every log crmtui writes from now on (``--log-level``): debug, info, warning, error."""
    global _level
    _level = logging.getLevelNamesMapping()[name.upper()]
    logging.getLogger(ROOT).setLevel(_level)
    return _level


def current_level() -> int:
    """The level :func:`setup_logging` uses when not told otherwise."""
    return _level


class RedactionFilter(logging.Filter):
    """Format the record once, then redact secrets and escape control characters."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg = printable(redact(message), single_line=False)
        record.args = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def daily_log_name(when: date | None = None) -> str:
    """``sync_YYYYMMDD.log`` for the day ``when`` (today by default)."""
    return f"sync_{(when or date.today()).strftime('%Y%m%d')}.log"


def run_log_name(when: datetime | None = None) -> str:
    """``sync_log_YYYY-MM-DD_HH-MM-SS.txt`` for a run started at ``when``."""
    return f"sync_log_{(when or datetime.now()).strftime('%Y-%m-%d_%H-%M-%S')}.txt"


class _PrivateFileHandler(logging.FileHandler):
    """A file handler whose file is ``0600`` whenever it is (re)opened, whatever the umask."""

    def _open(self) -> io.TextIOWrapper:
        return open_private(Path(self.baseFilename), "a", encoding=self.encoding or "utf-8")


class DailyLogHandler(_PrivateFileHandler):
    """The daily log ``sync_YYYYMMDD.log``: a new file each day, ``0600``, 14 days kept.

    (Not :class:`logging.handlers.TimedRotatingFileHandler`: it writes under a fixed name and
    renames at midnight, while operators expect today's date in the file's name.)
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.day = date.today()
        super().__init__(folder / daily_log_name(self.day), encoding="utf-8", delay=True)
        self._prune()

    def emit(self, record: logging.LogRecord) -> None:
        today = date.fromtimestamp(record.created)
        if today != self.day:
            self.acquire()
            try:
                self.day = today
                if self.stream is not None:
                    self.stream.close()
                    self.stream = None  # type: ignore[assignment]
                self.baseFilename = str(self.folder / daily_log_name(today))
            finally:
                self.release()
            self._prune()
        super().emit(record)

    def _prune(self) -> None:
        oldest = (self.day - timedelta(days=KEEP_DAYS - 1)).strftime("%Y%m%d")
        with contextlib.suppress(OSError):
            for path in self.folder.iterdir():
                m = _DAILY.match(path.name)
                if m and m.group(1) < oldest:
                    path.unlink(missing_ok=True)


def _handler(handler: logging.Handler) -> logging.Handler:
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactionFilter())
    return handler


def setup_logging(log_dir: Path, *, per_run: bool = True, level: int | None = None) -> Path | None:
    """Attach the daily log and (optionally) a per-run log to the ``crmtui`` logger.

    The folder is ``0700`` and every log file ``0600`` (they name customers): created so, and
    tightened when an older crmtui left them wider.

    Returns:
        The per-run log file path, or None.
    """
    private_dir(log_dir)
    logger = logging.getLogger(ROOT)
    logger.setLevel(_level if level is None else level)
    for old in list(logger.handlers):
        if getattr(old, "_crmtui", False):
            logger.removeHandler(old)
            old.close()
    daily = DailyLogHandler(log_dir)
    daily._crmtui = True  # type: ignore[attr-defined]
    logger.addHandler(_handler(daily))
    run_path: Path | None = None
    if per_run:
        run_path = log_dir / run_log_name()
        run = _PrivateFileHandler(run_path, encoding="utf-8")
        run._crmtui = True  # type: ignore[attr-defined]
        logger.addHandler(_handler(run))
    return run_path


@contextlib.contextmanager
def run_logging(log_dir: Path) -> Iterator[Path | None]:
    """A per-run log for one console cycle; afterwards only the daily log stays attached.

    Yields the run log's path, or None when the folder cannot be written (the run goes on).
    """
    try:
        path = setup_logging(log_dir)
    except OSError:
        yield None
        return
    try:
        yield path
    finally:
        with contextlib.suppress(OSError):
            setup_logging(log_dir, per_run=False)


def log_to_stderr(level: int) -> None:
    """Also print crmtui's log records to stderr (``--log-level`` on a sub-command), redacted."""
    logger = logging.getLogger(ROOT)
    if any(getattr(h, "_crmtui_stderr", False) for h in logger.handlers):
        return
    handler = _handler(logging.StreamHandler(sys.stderr))
    handler.setLevel(level)
    handler._crmtui_stderr = True  # type: ignore[attr-defined]
    logger.addHandler(handler)


def close_logging() -> None:
    """Detach and close crmtui's file handlers."""
    logger = logging.getLogger(ROOT)
    for old in list(logger.handlers):
        if getattr(old, "_crmtui", False):
            logger.removeHandler(old)
            old.close()
