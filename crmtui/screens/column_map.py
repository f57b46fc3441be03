"""The mapping view's editor: map one of the operator's own export headers to a field (#11).

From the data sources' mapping view (``m``), ``M`` on an iSaVigne row opens this form for the
export field feeding that canonical column. The header typed here is added to
``ISAVIGNE_COLUMNS`` (``file:header=field;…``), checked by the same parser the configuration
uses (a message names the file, the column and the field), then written to the ``.env`` with
:func:`crmtui.screens.source_form.save_source` and put on the app. The next import uses it.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

import crmtui.i18n.etl  # noqa: F401 - registers the etl.* keys
from crmtui.config import ConfigError, Settings, format_isavigne_columns, parse_isavigne_columns
from crmtui.envfile import EnvFileError
from crmtui.i18n import t
from crmtui.records.normalize import normalize_column
from crmtui.screens.source_form import save_source
from crmtui.text import literal, printable


def mapping_with(settings: Settings, kind: str, header: str, field: str) -> tuple[str, list[str]]:
    """The ISAVIGNE_COLUMNS text with ``header`` mapped to ``field`` in ``kind`` files, and its problems."""
    current = {k: dict(v) for k, v in settings.isavigne_columns.items()}
    mine = current.setdefault(kind, {})
    for name in [n for n, f in mine.items() if f == field]:
        del mine[name]  # one header per field: the new one replaces the old
    text = format_isavigne_columns(current)
    text = f"{text};{kind}:{header}={field}" if text else f"{kind}:{header}={field}"
    mapping, errors = parse_isavigne_columns(text)
    return format_isavigne_columns(mapping) if not errors else text, errors


class ColumnMapScreen(ModalScreen[str | None]):
    """Type the export header feeding ``field`` in ``kind`` files; returns the saved text or None."""

    DEFAULT_CSS = """
    ColumnMapScreen { align: center middle; }
    ColumnMapScreen > Vertical {
        width: 80; max-width: 95%; height: auto; border: thick $primary; background: $surface; padding: 1 2;
    }
    ColumnMapScreen #colmap-error { color: $error; text-style: bold; height: auto; }
    """

    BINDINGS = [
        Binding("escape", "cancel", t("form.cancel"), id="column_map.cancel"),
        Binding("ctrl+s", "save", t("form.save"), id="column_map.save"),
    ]

    def __init__(self, settings: Settings, kind: str, field: str) -> None:
        super().__init__()
        self.settings = settings
        self.kind = kind
        self.field = field

    def compose(self) -> ComposeResult:
        """Title, the header input, the error line."""
        with Vertical():
            yield Label(literal(t("colmap.title", kind=self.kind, field=self.field)))
            current = next(
                (h for h, f in self.settings.isavigne_columns.get(self.kind, {}).items() if f == self.field),
                "",
            )
            yield Input(value=current, placeholder=t("colmap.placeholder"), id="colmap-header")
            yield Label("", id="colmap-error", markup=False)
            yield Label(t("colmap.note"), markup=False)

    def action_cancel(self) -> None:
        """Close without saving."""
        self.dismiss(None)

    @on(Input.Submitted)
    def _submitted(self, _: Input.Submitted) -> None:
        self.action_save()

    def action_save(self) -> None:
        """Check the mapping, then write it in a thread."""
        header = self.query_one("#colmap-header", Input).value.strip()
        if not header or not normalize_column(header):
            self._error(t("colmap.empty"))
            return
        text, errors = mapping_with(self.settings, self.kind, header, self.field)
        if errors:
            self._error(errors[0])
            return
        self.save_worker(text)

    @work(thread=True, exclusive=True, group="column_map", exit_on_error=False, description="Saving")
    def save_worker(self, text: str) -> None:
        """Write ISAVIGNE_COLUMNS to the .env and put the reloaded settings on the app."""
        try:
            saved = save_source(self.settings, {"ISAVIGNE_COLUMNS": text})
        except ConfigError as exc:
            self.app.call_from_thread(self._error, exc.problems[0].what if exc.problems else str(exc))
            return
        except EnvFileError as exc:
            self.app.call_from_thread(self._error, str(exc))
            return
        self.app.call_from_thread(self._done, text, saved.settings, str(saved.env_file))

    def _done(self, text: str, settings: Settings | None, where: str) -> None:
        if settings is not None:
            self.app.settings = settings  # type: ignore[attr-defined]
        self.app.notify(t("sources.saved", path=where), markup=False)
        self.dismiss(text)

    def _error(self, text: str) -> None:
        self.query_one("#colmap-error", Label).update(printable(text))
