"""Updating the ``.env``: comments and order kept, 0600, atomic, quoted, refused when others can read it."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest
from dotenv import dotenv_values

from crmtui.config import load_settings
from crmtui.envfile import EnvFileError, update_env_file
from crmtui.secrets import Secret

ORIGINAL = """\
# crmtui configuration
COPPER_API_EMAIL=ops@domaine.fr

# Odoo
ODOO_URL=https://old.example.fr   # the old server
export SYNC_MODE=test
UNRELATED='keep me'
"""


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text, encoding="utf-8")
    os.chmod(path, mode)
    return path


def test_comments_order_and_unrelated_lines_are_kept(tmp_path: Path) -> None:
    env = _write(tmp_path / ".env", ORIGINAL)
    update_env_file(env, {"ODOO_URL": "https://odoo.example.fr", "ODOO_DB": "prod"})
    lines = env.read_text(encoding="utf-8").splitlines()
    assert lines == [
        "# crmtui configuration",
        "COPPER_API_EMAIL=ops@domaine.fr",
        "",
        "# Odoo",
        "ODOO_URL=https://odoo.example.fr",
        "export SYNC_MODE=test",
        "UNRELATED='keep me'",
        "ODOO_DB=prod",
    ]
    assert dotenv_values(env)["UNRELATED"] == "keep me"


def test_a_missing_file_is_created_0600_and_an_existing_one_stays_0600(tmp_path: Path) -> None:
    env = tmp_path / "conf" / ".env"
    exports = tmp_path / "exports"
    exports.mkdir()
    written = update_env_file(env, {"ISAVIGNE_EXPORT_PATH": str(exports)})
    assert written == env.resolve()
    assert _mode(env) == 0o600
    assert env.read_text(encoding="utf-8") == f"ISAVIGNE_EXPORT_PATH={exports}\n"
    update_env_file(env, {"COPPER_API_KEY": Secret("k-0123456789"), "COPPER_API_EMAIL": "ops@domaine.fr"})
    assert _mode(env) == 0o600
    assert dotenv_values(env)["COPPER_API_KEY"] == "k-0123456789"
    # what start-up reads back
    settings = load_settings({}, env_file=env, sandbox=False)
    assert settings.isavigne_export_path == exports and settings.copper_api_key.reveal() == "k-0123456789"


def test_a_file_others_can_read_is_refused_with_the_chmod_to_run(tmp_path: Path) -> None:
    env = _write(tmp_path / ".env", ORIGINAL, 0o644)
    with pytest.raises(EnvFileError) as info:
        update_env_file(env, {"ODOO_DB": "prod"})
    message = str(info.value)
    assert f"chmod 600 {env.resolve()}" in message and "644" in message
    assert info.value.problem is not None and info.value.problem.variable == ".env"
    assert env.read_text(encoding="utf-8") == ORIGINAL
    assert _mode(env) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == [".env"]


def test_the_update_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = _write(tmp_path / ".env", ORIGINAL)
    before = env.stat().st_ino
    replaced: list[tuple[str, str, int]] = []
    real_replace = os.replace

    def spy(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        replaced.append((str(src), str(dst), _mode(Path(src))))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    update_env_file(env, {"ODOO_DB": "prod"})
    final = [r for r in replaced if r[1] == str(env.resolve())]
    assert final and Path(final[-1][0]).parent == tmp_path and final[-1][2] == 0o600
    assert env.stat().st_ino != before  # a new file took the old one's place
    assert sorted(p.name for p in tmp_path.iterdir()) == [".env"]


def test_a_failed_write_leaves_the_original_and_no_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _write(tmp_path / ".env", ORIGINAL)

    def broken(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(EnvFileError, match="No space left"):
        update_env_file(env, {"ODOO_API_KEY": Secret("leaky-key-4242")})
    assert env.read_text(encoding="utf-8") == ORIGINAL
    assert sorted(p.name for p in tmp_path.iterdir()) == [".env"]


@pytest.mark.parametrize(
    "value",
    [
        "/srv/iSaVigne exports/2025",
        "abc#def",
        "key with 'single' and \"double\" quotes",
        "back\\slash and $HOME",
        "",
        "tab\tinside",
    ],
)
def test_values_are_quoted_when_needed_and_read_back_unchanged(tmp_path: Path, value: str) -> None:
    env = _write(tmp_path / ".env", "ODOO_DB=prod\n")
    update_env_file(env, {"ODOO_API_KEY": value})
    assert dotenv_values(env)["ODOO_API_KEY"] == value
    assert dotenv_values(env)["ODOO_DB"] == "prod"
    line = env.read_text(encoding="utf-8").splitlines()[-1]
    assert line.startswith("ODOO_API_KEY='")


def test_plain_values_stay_bare(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    update_env_file(env, {"ODOO_URL": "http://127.0.0.1:8069", "ODOO_USER": "api@domaine.fr"})
    assert env.read_text(encoding="utf-8") == "ODOO_URL=http://127.0.0.1:8069\nODOO_USER=api@domaine.fr\n"


def test_none_removes_a_variable(tmp_path: Path) -> None:
    env = _write(tmp_path / ".env", ORIGINAL)
    update_env_file(env, {"UNRELATED": None, "NOT_THERE": None})
    values = dotenv_values(env)
    assert "UNRELATED" not in values and values["ODOO_URL"] == "https://old.example.fr"
    assert "# Odoo" in env.read_text(encoding="utf-8")


def test_bad_names_line_breaks_and_expansions_are_refused_without_showing_the_value(tmp_path: Path) -> None:
    env = _write(tmp_path / ".env", ORIGINAL)
    with pytest.raises(EnvFileError, match="invalid variable name"):
        update_env_file(env, {"BAD NAME": "x"})
    with pytest.raises(EnvFileError, match="read as a variable"):
        update_env_file(env, {"ODOO_API_KEY": "abc${HOME}def"})
    with pytest.raises(EnvFileError) as info:
        update_env_file(env, {"ODOO_API_KEY": "secret-part-1\nINJECTED=1"})
    assert "ODOO_API_KEY" in str(info.value) and "secret-part-1" not in str(info.value)
    assert env.read_text(encoding="utf-8") == ORIGINAL


def test_a_symbolic_link_is_followed(tmp_path: Path) -> None:
    real = _write(tmp_path / "secrets.env", "A=1\n")
    link = tmp_path / ".env"
    link.symlink_to(real)
    assert update_env_file(link, {"B": "2"}) == real.resolve()
    assert link.is_symlink() and dotenv_values(real) == {"A": "1", "B": "2"}


def test_secrets_are_never_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    update_env_file(tmp_path / ".env", {"ODOO_API_KEY": Secret("never-logged-7f3a9c"), "ODOO_DB": "prod"})
    assert "ODOO_API_KEY" in caplog.text
    assert "never-logged-7f3a9c" not in caplog.text
