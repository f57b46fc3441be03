"""Pilot tests of the data source form: add and edit a source from the keyboard, saved to the ``.env``.

Every test runs in its own ``tmp_path`` (the autouse fixture chdirs there), so ``./.env`` is the
test's own file.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from dotenv import dotenv_values
from textual import events
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, RadioSet, Static

from crmtui.app import CrmApp, make_app
from crmtui.config import Settings, load_settings
from crmtui.sandbox.isavigne_data import write_exports
from crmtui.sandbox.loopback import serve_in_thread
from crmtui.sandbox.odoo import DEFAULT_DB, DEFAULT_KEY, DEFAULT_LOGIN, OdooSim
from crmtui.screens.source_form import SourceFormScreen
from crmtui.screens.sources import SourcesScreen
from crmtui.store import Store
from tests.tui.support import settle


def _production(env_file: str = ".env") -> Settings:
    """Settings as ``crmtui --no-sandbox`` loads them from the test's folder."""
    return load_settings(env_file=env_file, sandbox=False)


def _dump(store_path: Path) -> list[str]:
    """Everything in the database, as SQL (a second connection sees what was committed)."""
    with sqlite3.connect(store_path) as db:
        return list(db.iterdump())


def _database_bytes(store_path: Path) -> bytes:
    """The database's files as they are on disk (main file, WAL, shared memory)."""
    files = [store_path, *(store_path.with_name(store_path.name + s) for s in ("-wal", "-shm"))]
    return b"".join(f.read_bytes() for f in files if f.exists())


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _verdict(app: App[Any]) -> str:
    return str(app.screen.query_one("#form-verdict", Static).render())


def _error(app: App[Any]) -> str:
    return str(app.screen.query_one("#form-error", Static).render())


def _spy_notifications(app: CrmApp, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = app.notify

    def spy(message: str, **kw: Any) -> None:
        seen.append(message)
        real(message, **kw)

    monkeypatch.setattr(app, "notify", spy)
    return seen


def _form(app: App[Any]) -> SourceFormScreen:
    """The form on top (fails the test when it is not there)."""
    screen = app.screen
    assert isinstance(screen, SourceFormScreen), screen
    return screen


def _source_rows(app: App[Any]) -> list[str]:
    table = app.screen.query_one("#sources-table", DataTable)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


@pytest.fixture
def odoo() -> Iterator[str]:
    """The Odoo simulator on a loopback port."""
    with serve_in_thread(OdooSim().app) as url:
        yield url


async def paste(pilot: Pilot[Any], text: str) -> None:
    """Paste ``text`` into the focused field, as a terminal's bracketed paste (faster than typing it)."""
    focused = pilot.app.focused
    assert isinstance(focused, Input), focused
    focused.post_message(events.Paste(text))
    await pilot.pause()


async def _open_sources(app: App[Any], pilot: Pilot[Any]) -> None:
    await pilot.press("s")
    await settle(app, pilot)
    assert isinstance(app.screen, SourcesScreen)


async def _fill_odoo(pilot: Pilot[Any], url: str, key: str) -> None:
    """From the type choice: pick Odoo, then fill URL, database, user and key (Enter between).

    The API key is typed key by key; the longer values are pasted.
    """
    await pilot.press("down", "enter", "tab")
    for value in (url, DEFAULT_DB, DEFAULT_LOGIN):
        await paste(pilot, value)
        await pilot.press("enter")
    await pilot.press(*key, "enter")


async def test_isavigne_folder_checked_cancelled_added_edited_and_refused_when_the_env_is_loose(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_exports(tmp_path / "exports", customers=10, seed=3, export_date=date(2025, 6, 1))
    write_exports(tmp_path / "new", customers=10, seed=4, export_date=date(2025, 6, 2))
    env = tmp_path / ".env"
    settings = _production()
    store = Store(settings.store_path)
    app = make_app(settings, store)
    notes = _spy_notifications(app, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_sources(app, pilot)
        assert _source_rows(app) == []
        before = _dump(settings.store_path)

        # A missing folder is refused; Test (ctrl+t) counts each export family and saves nothing.
        await pilot.press("a")
        form = _form(app)
        assert form.kind == "isavigne" and not form.editing
        assert not form.query_one("#odoo-fields").display
        await pilot.press("tab")
        await paste(pilot, "nowhere")
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, SourceFormScreen)
        assert "folder not found" in _verdict(app) and "nowhere" in _verdict(app)
        field = form.query_one("#source-path", Input)
        await pilot.press("home", "ctrl+k")
        await paste(pilot, "exports")
        await pilot.press("ctrl+t")
        await settle(app, pilot)
        verdict = _verdict(app)
        assert verdict.startswith("✔") and "5 export file(s)" in verdict
        assert "clients 2 · produits 1 · ventes 1 · stock 1" in verdict
        field.value = ""
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "Export folder is required" in _error(app)
        assert not env.exists()

        # Escape cancels.
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, SourcesScreen)
        assert not env.exists() and app.settings is settings

        # Add: the .env is created 0600, the app uses the folder, the database is untouched.
        await pilot.press("a", "tab", *"exports", "enter")  # typed, key by key
        await settle(app, pilot)
        assert isinstance(app.screen, SourcesScreen), _error(app) or _verdict(app)
        exports = str((tmp_path / "exports").resolve())
        assert dotenv_values(env) == {"ISAVIGNE_EXPORT_PATH": exports}
        assert _mode(env) == 0o600
        assert app.settings.isavigne_export_path == Path(exports)
        assert app.settings.env_file is not None and app.settings.env_file.resolve() == env.resolve()
        assert _source_rows(app) == ["isavigne"]
        assert any(str(env.resolve()) in n and "saved" in n for n in notes)
        assert app.connector_checks["isavigne"][0].ok  # type: ignore[attr-defined]
        assert _dump(settings.store_path) == before

        # Edit (E): the folder in use is shown; another one replaces it.
        await pilot.press("E")
        form = _form(app)
        assert form.editing
        assert form.query_one("#source-type", RadioSet).disabled
        field = form.query_one("#source-path", Input)
        assert field.value == exports and field.has_focus
        await pilot.press("home", "ctrl+k")
        await paste(pilot, "new")
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, SourcesScreen), _error(app) or _verdict(app)
        new = str((tmp_path / "new").resolve())
        assert env.read_text(encoding="utf-8") == f"ISAVIGNE_EXPORT_PATH={new}\n"
        assert app.settings.isavigne_export_path == Path(new)

        # A .env someone made readable by others is refused, with the chmod to run.
        os.chmod(env, 0o644)
        await pilot.press("E", "ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, SourceFormScreen)
        assert "Nothing was saved" in _error(app) and f"chmod 600 {env.resolve()}" in _error(app)
        assert _mode(env) == 0o644 and dotenv_values(env) == {"ISAVIGNE_EXPORT_PATH": new}
    store.close()


async def test_odoo_wrong_key_is_refused_then_the_simulator_is_saved_used_and_edited(
    tmp_path: Path, odoo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = tmp_path / ".env"
    env.write_text("# production settings\nSYNC_MODE=test\n", encoding="utf-8")
    os.chmod(env, 0o600)
    settings = _production()
    store = Store(settings.store_path)
    app = make_app(settings, store)
    notes = _spy_notifications(app, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_sources(app, pilot)

        # A wrong key: Odoo's verdict shows, nothing is saved.
        await pilot.press("a")
        await _fill_odoo(pilot, odoo, "wrong-key-123")
        await settle(app, pilot)
        form = _form(app)
        assert form.kind == "odoo"
        key = form.query_one("#odoo-key", Input)
        assert key.password and key.has_focus
        verdict = _verdict(app)
        assert verdict.startswith("✘") and "refused the login" in verdict and "wrong-key-123" not in verdict
        assert env.read_text(encoding="utf-8") == "# production settings\nSYNC_MODE=test\n"
        assert not app.settings.connectors()["odoo"]

        # The right key: checked against the simulator, saved, used by the console.
        await pilot.press("home", "ctrl+k")
        await paste(pilot, DEFAULT_KEY)
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, SourcesScreen), _error(app) or _verdict(app)
        assert _mode(env) == 0o600
        assert env.read_text(encoding="utf-8").startswith("# production settings\nSYNC_MODE=test\n")
        assert dotenv_values(env) == {
            "SYNC_MODE": "test",
            "ODOO_URL": odoo,
            "ODOO_DB": DEFAULT_DB,
            "ODOO_USER": DEFAULT_LOGIN,
            "ODOO_API_KEY": DEFAULT_KEY,
        }
        assert app.settings.connectors()["odoo"] and app.settings.odoo_url == odoo
        assert app.settings.odoo_api_key.reveal() == DEFAULT_KEY
        assert "odoo" in _source_rows(app)
        assert any("saved" in n for n in notes)
        assert DEFAULT_KEY.encode() not in _database_bytes(settings.store_path)

        # Edit it (Enter on the row): the key is not shown, and left empty it is kept.
        table = app.screen.query_one("#sources-table", DataTable)
        table.move_cursor(row=_source_rows(app).index("odoo"))
        await pilot.press("enter")
        form = _form(app)
        assert form.editing and form.kind == "odoo"
        assert form.query_one("#odoo-url", Input).value == odoo
        assert form.query_one("#odoo-key", Input).value == ""
        assert "keep the current key" in form.query_one("#odoo-key", Input).placeholder
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, SourcesScreen), _error(app) or _verdict(app)
        assert dotenv_values(env)["ODOO_API_KEY"] == DEFAULT_KEY
    store.close()


async def test_in_the_sandbox_the_form_writes_for_production_and_the_console_keeps_its_sources(
    settings: Settings, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_exports(tmp_path / "exports", customers=10, seed=3, export_date=date(2025, 6, 1))
    sandbox = settings
    assert sandbox.sandbox
    app = make_app(sandbox, store)
    notes = _spy_notifications(app, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_sources(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        note = str(app.screen.query_one("#form-sandbox", Static).render())
        assert "Sandbox" in note and "without --sandbox" in note
        assert app.screen.query_one("#source-path", Input).value == ""
        await pilot.press("tab")
        await paste(pilot, "exports")
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, SourcesScreen), _error(app) or _verdict(app)
    env = tmp_path / ".env"
    assert dotenv_values(env) == {"ISAVIGNE_EXPORT_PATH": str((tmp_path / "exports").resolve())}
    assert _mode(env) == 0o600
    assert app.settings is sandbox and app.settings.isavigne_export_path is None
    assert any("sandbox keeps" in n for n in notes)
