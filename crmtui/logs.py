"""Logging: one file per run plus a daily rotating log, every line redacted and made printable.

- ``logs/sync_log_YYYY-MM-DD_HH-MM-SS.txt``: everything a run did (the name the team knows);
- ``logs/crmtui.log``: a daily rotating log (14 days kept) across runs, console and service.

The :class:`RedactionFilter` removes every registered secret from the fully formatted message
(arguments included) and escapes terminal control codes, so neither a key nor a hostile contact
name can reach a log file in a dangerous form.
"""

from __future__ import annotations

import io
import logging
import logging.handlers
from datetime import datetime
from pathlib import Path

from crmtui.files import open_private, private_dir
from crmtui.secrets import redact
from crmtui.text import printable

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
ROOT = "crmtui"


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


def run_log_name(when: datetime | None = None) -> str:
    """``sync_log_YYYY-MM-DD_HH-MM-SS.txt`` for a run started at ``when``."""
    return f"sync_log_{(when or datetime.now()).strftime('%Y-%m-%d_%H-%M-%S')}.txt"


class _PrivateFileHandler(logging.FileHandler):
    """A file handler whose file is ``0600`` whenever it is (re)opened, whatever the umask."""

    def _open(self) -> io.TextIOWrapper:
        return open_private(Path(self.baseFilename), "a", encoding=self.encoding or "utf-8")


class _PrivateDailyHandler(logging.handlers.TimedRotatingFileHandler):
    """The daily log: after the midnight rotation the new file is ``0600`` too.

    (The rotation reopens the file long after start-up, under the process's own umask: without
    this the second day's log would be ``0644``.)
    """

    def _open(self) -> io.TextIOWrapper:
        return open_private(Path(self.baseFilename), "a", encoding=self.encoding or "utf-8")


def _handler(handler: logging.Handler) -> logging.Handler:
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactionFilter())
    return handler


def setup_logging(log_dir: Path, *, per_run: bool = True, level: int = logging.INFO) -> Path | None:
    """Attach the daily log and (optionally) a per-run log to the ``crmtui`` logger.

    The folder is ``0700`` and every log file ``0600`` (they name customers): created so, and
    tightened when an older crmtui left them wider.

    Returns:
        The per-run log file path, or None.
    """
    private_dir(log_dir)
    logger = logging.getLogger(ROOT)
    logger.setLevel(level)
    for old in list(logger.handlers):
        if getattr(old, "_crmtui", False):
            logger.removeHandler(old)
            old.close()
    daily = _PrivateDailyHandler(log_dir / "crmtui.log", when="midnight", backupCount=14, encoding="utf-8")
    daily._crmtui = True  # type: ignore[attr-defined]
    logger.addHandler(_handler(daily))
    run_path: Path | None = None
    if per_run:
        run_path = log_dir / run_log_name()
        run = _PrivateFileHandler(run_path, encoding="utf-8")
        run._crmtui = True  # type: ignore[attr-defined]
        logger.addHandler(_handler(run))
    return run_path


def close_logging() -> None:
    """Detach and close crmtui's file handlers."""
    logger = logging.getLogger(ROOT)
    for old in list(logger.handlers):
        if getattr(old, "_crmtui", False):
            logger.removeHandler(old)
            old.close()
