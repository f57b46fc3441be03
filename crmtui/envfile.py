"""Update variables in a ``.env`` file without losing anything else in it, and without leaking it.

Shared by every layer, so it lives at the package root.

:func:`update_env_file` is what the console's forms use to store connection settings and credentials
(the database never holds them):

- comments, blank lines, the order of the lines and every unrelated variable are kept
  (python-dotenv's :func:`~dotenv.set_key` / :func:`~dotenv.unset_key` rewrite one key at a time);
- a missing file is created with mode ``0600``; an existing file readable by the group or by others
  is refused with the same message and ``chmod`` command as start-up (``config.env_perms``);
- the update is atomic: every change is made on a ``0600`` copy next to the file, which then replaces
  it with :func:`os.replace`; a failure leaves the original untouched and no copy behind;
- a value is written bare when it only holds safe characters, else in single quotes (spaces, ``#``,
  ``$``, quotes and backslashes all read back unchanged); a value holding ``${`` is refused, since
  python-dotenv expands ``${NAME}`` in every value and has no escape for it;
- values never reach a log line or an error message (only variable names and the file's path do).

A symbolic link is followed: the file it points to is updated, the link stays.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path

from dotenv import dotenv_values, set_key, unset_key

import crmtui.i18n.etl  # noqa: F401 - registers the envfile.* keys
from crmtui.config import Problem, check_env_file_permissions
from crmtui.i18n import t
from crmtui.secrets import Secret

log = logging.getLogger("crmtui.envfile")

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BARE = re.compile(r"^[A-Za-z0-9_./:@+,=-]+$")
"""Values made only of these are written unquoted (no space, ``#``, quote, ``$`` or backslash)."""
_FORBIDDEN = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
"""Control characters (tab allowed): a newline would split the value over two lines."""


class EnvFileError(Exception):
    """The ``.env`` cannot be updated safely; ``str(error)`` says why and what to do.

    Attributes:
        problem: for a file readable by others, the same :class:`~crmtui.config.Problem` start-up
            reports (with the exact ``chmod`` to run); None otherwise.
    """

    def __init__(self, message: str, problem: Problem | None = None) -> None:
        super().__init__(message)
        self.problem = problem


def env_file_value(value: str | Secret) -> str:
    """The text of a value (a :class:`Secret` is revealed here, to be written to the file only)."""
    return value.reveal() if isinstance(value, Secret) else value


def update_env_file(path: Path | str, values: Mapping[str, str | Secret | None]) -> Path:
    """Set (or, for ``None``, remove) variables in the ``.env`` at ``path``, atomically.

    Args:
        path: the ``.env`` file; created (with its folder) when missing.
        values: variable name -> new value; ``None`` removes the variable.

    Returns:
        The file actually written (``path`` with symbolic links resolved).

    Raises:
        EnvFileError: a bad variable name or value, a file readable by others (with the
            ``chmod 600`` to run), something that is not a regular file, or an I/O error.
    """
    for name, value in values.items():
        if not _NAME.match(name):
            raise EnvFileError(t("envfile.bad_name", name=name))
        if value is not None and _FORBIDDEN.search(env_file_value(value)):
            raise EnvFileError(t("envfile.bad_value", name=name))
        if value is not None and "${" in env_file_value(value):
            # python-dotenv expands ${NAME} in every value, quoted or not, with no escape: such a
            # value would not read back as written.
            raise EnvFileError(t("envfile.expansion", name=name))

    target = Path(os.path.realpath(Path(path).expanduser()))
    text = ""
    if target.exists():
        if not target.is_file():
            raise EnvFileError(t("envfile.not_a_file", path=target))
        problem = check_env_file_permissions(target)
        if problem is not None:
            raise EnvFileError(str(problem), problem)
        try:
            text = target.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise EnvFileError(t("envfile.io", path=target, detail=_reason(exc))) from exc

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # mkstemp creates the copy 0600 from the start: the secrets are never readable by others,
        # not even for an instant.
        handle, temp_name = tempfile.mkstemp(prefix=".tmp_", suffix=".env", dir=target.parent)
    except OSError as exc:
        raise EnvFileError(t("envfile.io", path=target, detail=_reason(exc))) from exc
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        present = dotenv_values(temp)
        for name, value in values.items():
            if value is None:
                if name in present:
                    unset_key(temp, name)
                continue
            plain = env_file_value(value)
            set_key(temp, name, plain, quote_mode="never" if _BARE.match(plain) else "always")
        os.chmod(temp, stat.S_IRUSR | stat.S_IWUSR)
        with temp.open("rb") as done:
            os.fsync(done.fileno())
        os.replace(temp, target)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise EnvFileError(t("envfile.io", path=target, detail=_reason(exc))) from exc
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _sync_folder(target.parent)
    log.info("updated %s in %s", ", ".join(values), target)
    return target


def _reason(exc: BaseException) -> str:
    """The cause of an I/O error without the file's content (``strerror`` carries no value)."""
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return type(exc).__name__


def _sync_folder(folder: Path) -> None:
    """Flush the rename to disk where the platform allows it (best effort)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
