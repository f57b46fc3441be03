"""Add or edit a data source from a form; its settings and credentials go to the ``.env``, never the database.

The form (:class:`SourceFormScreen`, opened from the Data sources screen with ``a`` or ``E``/Enter)
asks for the type (iSaVigne export folder or Odoo), then:

- iSaVigne: the export folder, checked before saving (it exists, can be read, and how many
  ``clients*``/``produits*``/``ventes*``/``stock*`` files it holds; an empty folder is accepted, since
  iSaVigne may not have written its first exports yet);
- Odoo: URL, database, user and API key (a password field; when editing, left empty keeps the current
  key), checked by calling Odoo (``crmtui connectors test``'s check: version, login, models) before
  saving. A refused check saves nothing.

Saving validates the whole configuration with the new values first (nothing is written if it would
not load), then writes the variables with :func:`crmtui.envfile.update_env_file` (0600, atomic,
comments kept) to the ``.env`` the console was started with (``./.env`` when there was none),
reloads the settings from it and puts them on the app: every screen reads ``app.settings`` when it
needs it, so the next test or import uses the new source.

Sandbox: the console keeps its own simulated sources (the simulators' addresses and sample exports
were set up at start-up, and reloading would lose them). The form says so, starts empty instead of
showing the simulators' values, and still writes what is saved to the ``.env`` for production: the
values are used at the next start without ``--sandbox``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

import crmtui.i18n.etl  # noqa: F401 - registers the form.* keys
from crmtui.config import FIELD_VARS, ConfigError, Settings, load_settings
from crmtui.connectors.isavigne import file_kind
from crmtui.engine.connectivity import Verdict, check_connectors
from crmtui.envfile import EnvFileError, env_file_value, update_env_file
from crmtui.i18n import t
from crmtui.secrets import Secret, redact
from crmtui.text import literal, printable

SOURCE_KINDS = ("isavigne", "odoo")
"""The source types the form sets up, in the order it shows them."""

SOURCE_VARIABLES: dict[str, tuple[str, ...]] = {
    "isavigne": ("ISAVIGNE_EXPORT_PATH",),
    "odoo": ("ODOO_URL", "ODOO_DB", "ODOO_USER", "ODOO_API_KEY"),
}
"""The ``.env`` variables each source type writes."""

EXPORT_KINDS = ("clients", "produits", "ventes", "stock")
"""The iSaVigne export families, in the order the folder check lists them."""


# -- what the form does, without Textual ---------------------------------------------------------


@dataclass(frozen=True)
class SourceEdit:
    """What the form saved (never a secret): the form's result, None when cancelled.

    Attributes:
        kind: ``isavigne`` or ``odoo``.
        env_file: the ``.env`` file written.
        variables: the variables written to it.
        verdict: the check that passed before saving (one line).
        applied: whether the running console now uses the new settings (False in the sandbox).
        shadowed: variables also set in the environment, which wins over the ``.env``.
    """

    kind: str
    env_file: Path
    variables: tuple[str, ...]
    verdict: str
    applied: bool
    shadowed: tuple[str, ...] = ()


@dataclass(frozen=True)
class SavedSource:
    """What :func:`save_source` did."""

    env_file: Path
    settings: Settings | None
    """The reloaded settings to put on the app; None in the sandbox (it keeps its own)."""
    shadowed: tuple[str, ...]


@dataclass(frozen=True)
class FolderCheck:
    """The verdict on an iSaVigne export folder."""

    ok: bool
    path: Path
    """The folder, absolute (what is saved)."""
    message: str
    counts: dict[str, int] = dataclasses.field(default_factory=dict)


def env_target(settings: Settings) -> Path:
    """The ``.env`` to write: the one the settings came from, else ``CRMTUI_ENV_FILE`` or ``./.env``."""
    if settings.env_file is not None:
        return settings.env_file
    return Path(os.environ.get("CRMTUI_ENV_FILE") or ".env").expanduser()


def current_values(settings: Settings, kind: str) -> dict[str, str]:
    """What the form shows first for ``kind``: the settings in use, never a secret.

    The sandbox's values are the simulators' (loopback URLs, sample exports): they are not shown,
    since what the form saves is meant for production.
    """
    if settings.sandbox:
        return {}
    if kind == "isavigne":
        path = settings.isavigne_export_path
        return {"ISAVIGNE_EXPORT_PATH": "" if path is None else str(path)}
    return {"ODOO_URL": settings.odoo_url, "ODOO_DB": settings.odoo_db, "ODOO_USER": settings.odoo_user}


def check_export_folder(text: str) -> FolderCheck:
    """Check an iSaVigne export folder: it exists, can be read, and which export files it holds.

    Blocking (file system): call it from a thread.
    """
    path = Path(text).expanduser()
    try:
        path = path.resolve()
    except (OSError, RuntimeError):
        path = path.absolute()
    if not path.is_dir():
        return FolderCheck(False, path, t("form.bad_path", path=path))
    if not os.access(path, os.R_OK | os.X_OK):
        return FolderCheck(False, path, t("form.unreadable", path=path))
    counts = dict.fromkeys(EXPORT_KINDS, 0)
    try:
        for entry in path.iterdir():
            kind = file_kind(entry) if entry.is_file() else None
            if kind is not None:
                counts[kind] += 1
    except OSError:
        return FolderCheck(False, path, t("form.unreadable", path=path))
    total = sum(counts.values())
    if not total:
        return FolderCheck(True, path, t("form.folder_empty", path=path), counts)
    detail = " · ".join(f"{kind} {n}" for kind, n in counts.items())
    return FolderCheck(True, path, t("form.folder_found", n=total, path=path, detail=detail), counts)


async def check_odoo(settings: Settings, *, url: str, db: str, user: str, api_key: Secret) -> Verdict:
    """Call Odoo with these values (version, login, the models the import reads); never raises."""
    candidate = dataclasses.replace(settings, odoo_url=url, odoo_db=db, odoo_user=user, odoo_api_key=api_key)
    try:
        return (await check_connectors(candidate, ("odoo",)))[0]
    except Exception as exc:  # an address httpx cannot even parse, a TLS library error...
        return Verdict("odoo", False, redact(printable(str(exc) or type(exc).__name__)))


def cli_overrides(settings: Settings) -> dict[str, str]:
    """The values the command line set (``--db``, ``--lang``, ``--mode``): a reload keeps them."""
    out: dict[str, str] = {}
    for f in dataclasses.fields(settings):
        var = FIELD_VARS.get(f.name)
        if var is not None and settings.sources.get(var) == "cli":
            value = getattr(settings, f.name)
            out[var] = env_file_value(value) if isinstance(value, Secret) else str(value)
    return out


def save_source(settings: Settings, values: dict[str, str | Secret]) -> SavedSource:
    """Write ``values`` to the ``.env`` and reload the settings from it. Blocking: call from a thread.

    Raises:
        ConfigError: the configuration would not load with these values (nothing was written).
        EnvFileError: the ``.env`` cannot be written safely (nothing was written).
    """
    target = env_target(settings)
    overrides = cli_overrides(settings)
    plain = {var: env_file_value(value) for var, value in values.items()}
    # The new values as overrides: the whole configuration must load with them before we write.
    load_settings(env_file=target, overrides={**overrides, **plain}, sandbox=settings.sandbox)
    written = update_env_file(target, values)
    shadowed = tuple(var for var in values if os.environ.get(var, "").strip())
    if settings.sandbox:
        return SavedSource(written, None, shadowed)
    fresh = load_settings(env_file=target, overrides=overrides, sandbox=False)
    # The app's store stays open on the same file, whatever the .env now says about it.
    fresh = dataclasses.replace(fresh, db_path=settings.db_path, data_dir=settings.data_dir)
    return SavedSource(written, fresh, shadowed)


# -- the form ------------------------------------------------------------------------------------


class _Dialog(VerticalScroll, can_focus=False):
    """The form's box: scrolls on small terminals, never takes the focus itself."""


class SourceFormScreen(ModalScreen[SourceEdit | None]):
    """Add or edit a data source; returns what was saved, or None (Escape, Cancel)."""

    DEFAULT_CSS = """
    SourceFormScreen { align: center middle; }
    SourceFormScreen > _Dialog {
        width: 90; max-width: 95%; height: auto; max-height: 95%;
        border: thick $primary; background: $surface; padding: 1 2;
    }
    SourceFormScreen .form-title { text-style: bold; margin-bottom: 1; }
    SourceFormScreen .form-note { color: $text-muted; height: auto; margin-bottom: 1; }
    SourceFormScreen #form-sandbox { color: $warning; text-style: bold; }
    SourceFormScreen RadioSet { margin-bottom: 1; }
    SourceFormScreen .fields { height: auto; }
    SourceFormScreen .field { height: auto; }
    SourceFormScreen .field > Label { width: 22; padding: 1 1 0 0; }
    SourceFormScreen .field > Input { width: 1fr; }
    SourceFormScreen #form-verdict { height: auto; margin-top: 1; }
    SourceFormScreen #form-verdict.-ok { color: $success; }
    SourceFormScreen #form-verdict.-failed { color: $error; text-style: bold; }
    SourceFormScreen #form-error { color: $error; text-style: bold; height: auto; }
    SourceFormScreen .buttons { height: auto; align-horizontal: right; margin-top: 1; }
    SourceFormScreen .buttons > Button { margin-left: 2; }
    """

    BINDINGS = [
        Binding("escape", "cancel", t("form.cancel"), id="source_form.cancel"),
        Binding("ctrl+s", "save", t("form.save"), id="source_form.save"),
        Binding("ctrl+t", "test", t("form.test"), id="source_form.test"),
    ]

    kind: reactive[str] = reactive("isavigne")
    """The source type being edited: which group of fields shows."""
    checking: reactive[bool] = reactive(False)
    """A check (and maybe a save) is running: Test and Save wait for it."""

    def __init__(self, settings: Settings, kind: str | None = None) -> None:
        """Args:
        settings: the settings in use (what the form starts from, and what a save reloads).
        kind: the source to edit (its type is then fixed); None adds one (the type is chosen).
        """
        super().__init__()
        self.settings = settings
        self.editing = kind is not None
        self.set_reactive(SourceFormScreen.kind, kind if kind in SOURCE_KINDS else SOURCE_KINDS[0])
        self.target = env_target(settings)

    def compose(self) -> ComposeResult:
        """Type, the type's fields, the check's verdict, where it is written, the buttons."""
        with _Dialog():
            yield Label(t("form.title"), classes="form-title")
            if self.settings.sandbox:
                yield Static(
                    literal(t("form.sandbox_note", path=self.target.absolute())),
                    id="form-sandbox",
                    classes="form-note",
                )
            with RadioSet(id="source-type", disabled=self.editing):
                yield RadioButton(t("form.type_isavigne"), value=self.kind == "isavigne", id="type-isavigne")
                yield RadioButton(t("form.type_odoo"), value=self.kind == "odoo", id="type-odoo")
            with Vertical(id="isavigne-fields", classes="fields"):
                yield from self._field(
                    "form.path", Input(id="source-path", placeholder="/srv/isavigne/exports")
                )
            with Vertical(id="odoo-fields", classes="fields"):
                yield from self._field(
                    "form.url", Input(id="odoo-url", placeholder="https://odoo.exemple.fr")
                )
                yield from self._field("form.db", Input(id="odoo-db"))
                yield from self._field("form.user", Input(id="odoo-user"))
                yield from self._field("form.key", Input(id="odoo-key", password=True))
            yield Static("", id="form-verdict")
            yield Static("", id="form-error")
            yield Label(literal(t("form.target", path=self.target.absolute())), classes="form-note")
            with Horizontal(classes="buttons"):
                yield Button(f"{t('form.test')} (Ctrl+T)", id="form-test")
                yield Button(f"{t('form.save')} (Ctrl+S)", variant="primary", id="form-save")
                yield Button(f"{t('form.cancel')} (Esc)", id="form-cancel")

    @staticmethod
    def _field(label: str, field: Input) -> ComposeResult:
        with Horizontal(classes="field"):
            yield Label(t(label))
            yield field

    def on_mount(self) -> None:
        """Fill in the values in use, show the type's fields, focus where typing starts."""
        self._prefill(self.kind)
        self._show_fields()
        if self.editing:
            self.query_one("#source-path" if self.kind == "isavigne" else "#odoo-url", Input).focus()
        else:
            self.query_one("#source-type", RadioSet).focus()

    def _prefill(self, kind: str) -> None:
        """Put the settings' values for ``kind`` in its fields (the API key never)."""
        values = current_values(self.settings, kind)
        ids = {
            "ISAVIGNE_EXPORT_PATH": "#source-path",
            "ODOO_URL": "#odoo-url",
            "ODOO_DB": "#odoo-db",
            "ODOO_USER": "#odoo-user",
        }
        for var, value in values.items():
            field = self.query_one(ids[var], Input)
            if not field.value:
                field.value = value
        key = self.query_one("#odoo-key", Input)
        key.placeholder = t("form.key_keep") if self._has_key() else ""

    def _has_key(self) -> bool:
        """An API key is in use and may be kept (never in the sandbox: that one is the simulator's)."""
        return bool(self.settings.odoo_api_key) and not self.settings.sandbox

    def _show_fields(self) -> None:
        self.query_one("#isavigne-fields").display = self.kind == "isavigne"
        self.query_one("#odoo-fields").display = self.kind == "odoo"

    def watch_kind(self, kind: str) -> None:
        """Another type: its fields, its values, no stale verdict."""
        if not self.is_mounted:
            return
        self._prefill(kind)
        self._show_fields()
        self._verdict(None)
        self._error("")

    def watch_checking(self, checking: bool) -> None:
        """Test and Save wait while a check runs."""
        for button in self.query(".buttons > Button"):
            if button.id != "form-cancel":
                button.disabled = checking
        if checking:
            self._verdict(None, t("form.checking"))

    # -- input ----------------------------------------------------------------------------------

    @on(RadioSet.Changed, "#source-type")
    def _type_changed(self, event: RadioSet.Changed) -> None:
        self.kind = SOURCE_KINDS[event.index]

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        """Enter moves to the next Odoo field; on the last field (folder, API key) it saves."""
        if event.input.id in ("odoo-url", "odoo-db", "odoo-user"):
            self.focus_next()
            return
        self.action_save()

    @on(Button.Pressed, "#form-save")
    def action_save(self) -> None:
        """Check the values, then save them if the check passes."""
        self._start(save=True)

    @on(Button.Pressed, "#form-test")
    def action_test(self) -> None:
        """Check the values without saving."""
        self._start(save=False)

    @on(Button.Pressed, "#form-cancel")
    def action_cancel(self) -> None:
        """Close without saving anything."""
        self.workers.cancel_group(self, "source_form:check")
        self.dismiss(None)

    def _start(self, *, save: bool) -> None:
        if self.checking:
            return
        values = self._collect()
        if values is not None:
            self._error("")
            self.check_and_save(self.kind, values, save=save)

    def _collect(self) -> dict[str, str | Secret] | None:
        """The values typed, checked for presence and shape (no I/O); None after showing why not."""
        if self.kind == "isavigne":
            path = self.query_one("#source-path", Input).value.strip()
            if not path:
                self._missing("#source-path", "form.path")
                return None
            return {"ISAVIGNE_EXPORT_PATH": path}
        url = self.query_one("#odoo-url", Input).value.strip().rstrip("/")
        parsed = urlparse(url)
        if not url:
            self._missing("#odoo-url", "form.url")
            return None
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            self._error(t("form.bad_url"))
            self.query_one("#odoo-url", Input).focus()
            return None
        db = self.query_one("#odoo-db", Input).value.strip()
        if not db:
            self._missing("#odoo-db", "form.db")
            return None
        user = self.query_one("#odoo-user", Input).value.strip()
        if not user:
            self._missing("#odoo-user", "form.user")
            return None
        typed = self.query_one("#odoo-key", Input).value.strip()
        if not typed and not self._has_key():
            self._missing("#odoo-key", "form.key")
            return None
        key = Secret(typed) if typed else self.settings.odoo_api_key
        return {"ODOO_URL": url, "ODOO_DB": db, "ODOO_USER": user, "ODOO_API_KEY": key}

    def _missing(self, selector: str, label: str) -> None:
        self._error(t("form.required", field=t(label)))
        self.query_one(selector, Input).focus()

    # -- check and save -------------------------------------------------------------------------

    @work(exclusive=True, group="source_form:check", exit_on_error=False, description="Checking a source")
    async def check_and_save(self, kind: str, values: dict[str, str | Secret], *, save: bool) -> None:
        """Check the source (folder in a thread, Odoo over the network), then save if asked and it passed."""
        self.checking = True
        try:
            verdict = await self._check(kind, values)
            self._verdict(verdict)
            if not verdict.ok or not save:
                return
            try:
                saved = await asyncio.to_thread(save_source, self.settings, values)
            except ConfigError as exc:
                self._error(t("form.not_saved", detail=exc.render()))
                return
            except EnvFileError as exc:
                self._error(t("form.not_saved", detail=str(exc)))
                return
            self._saved(kind, values, verdict, saved)
        finally:
            self.checking = False

    async def _check(self, kind: str, values: dict[str, str | Secret]) -> Verdict:
        """The verdict on these values; a folder's path is made absolute in ``values``."""
        if kind == "isavigne":
            folder = await asyncio.to_thread(
                check_export_folder, env_file_value(values["ISAVIGNE_EXPORT_PATH"])
            )
            values["ISAVIGNE_EXPORT_PATH"] = str(folder.path)
            return Verdict("isavigne", folder.ok, folder.message, details={"counts": folder.counts})
        key = values["ODOO_API_KEY"]
        return await check_odoo(
            self.settings,
            url=env_file_value(values["ODOO_URL"]),
            db=env_file_value(values["ODOO_DB"]),
            user=env_file_value(values["ODOO_USER"]),
            api_key=key if isinstance(key, Secret) else Secret(key),
        )

    def _saved(
        self, kind: str, values: dict[str, str | Secret], verdict: Verdict, saved: SavedSource
    ) -> None:
        """Put the new settings on the app, say where they were written, close."""
        app = self.app
        if saved.settings is not None:
            app.settings = saved.settings  # type: ignore[attr-defined]
            checks = getattr(app, "connector_checks", None)
            if isinstance(checks, dict):
                checks[kind] = (verdict, datetime.now().strftime("%H:%M:%S"))
            app.notify(t("sources.saved", path=saved.env_file), markup=False)
        else:
            app.notify(t("form.saved_sandbox", path=saved.env_file), markup=False)
        if saved.shadowed:
            app.notify(t("form.shadowed", names=", ".join(saved.shadowed)), severity="warning", markup=False)
        self.dismiss(
            SourceEdit(
                kind=kind,
                env_file=saved.env_file,
                variables=tuple(values),
                verdict=verdict.message,
                applied=saved.settings is not None,
                shadowed=saved.shadowed,
            )
        )

    # -- feedback -------------------------------------------------------------------------------

    def _verdict(self, verdict: Verdict | None, text: str = "") -> None:
        """Show a check's verdict (green or red), or a plain line."""
        line = self.query_one("#form-verdict", Static)
        line.set_class(verdict is not None and verdict.ok, "-ok")
        line.set_class(verdict is not None and not verdict.ok, "-failed")
        if verdict is None:
            line.update(literal(text))
            return
        shown = f"{'✔' if verdict.ok else '✘'} {verdict.message}"
        hint = verdict.hint
        if " — " in hint:
            # A connector error reads "service: what — fix"; the verdict already says what.
            what, fix = hint.rsplit(" — ", 1)
            if what.split(": ", 1)[-1] in verdict.message:
                hint = fix
        if hint and not verdict.ok and hint not in verdict.message:
            shown += f"\n→ {hint}"
        line.update(Text(printable(redact(shown), single_line=False)))

    def _error(self, text: str) -> None:
        self.query_one("#form-error", Static).update(Text(printable(text, single_line=False)))
