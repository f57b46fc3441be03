"""A template rendered for a chosen contact, exactly as a send would render it, with nothing sent.

Pick a step, a variant (or "as the send would choose" for this contact: the A/B winner, else the
weighted choice from the ledger key) and a contact found by email or name among the scenario's
audience, its enrolled contacts and every known contact. The subject, the text part and the HTML
part (as text) are shown literally: contact values come from remote systems.

The rendering is the tick's own (:func:`crmtui.engine.sending._prepare`: the contact's values,
the signed unsubscribe link, recommendations, tracked links), so what is shown is what would be
sent. Nothing is claimed, no ledger row is written, nothing is sent. When sending is refused for
want of a signed https unsubscribe link, the preview says why and renders the rest.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

import crmtui.i18n.scenarios  # noqa: F401 - registers the preview strings
from crmtui.engine.preview import (
    AUTO,
    Found,
    Preview,
    contact_pool,
    render_preview,
    search_contacts,
)
from crmtui.i18n import t
from crmtui.screens.workers import deliver
from crmtui.store import Store
from crmtui.store.scenarios import Scenario, Step
from crmtui.text import literal, literal_block


def preview_text(preview: Preview) -> Text:
    """The preview as one literal block: headers, text part, HTML part."""
    head = [
        f"{t('scenario_preview.to')}: {preview.contact}",
        f"{t('scenario_preview.template')}: {preview.template}"
        + (f" · {t('scenario_preview.variant')}: {preview.variant}" if preview.variant else ""),
        f"{t('scenario_preview.subject')}: {preview.subject}",
    ]
    if preview.note:
        head.append(t("scenario_preview.note", detail=preview.note))
    if preview.variables:
        head += ["", f"── {t('scenario_preview.variables')} ──"]
        head += ["{{" + v.name + "}} = " + (v.value or "—") + f"  ← {v.source}" for v in preview.variables]
    body = "\n".join(
        [
            *head,
            "",
            f"── {t('scenario_preview.text')} ──",
            preview.text.rstrip() or "—",
            "",
            f"── {t('scenario_preview.html')} ──",
            preview.html.rstrip() or "—",
        ]
    )
    return literal_block(body)


class TemplatePreviewScreen(ModalScreen[None]):
    """Choose a step, a variant and a contact; see the email they would get."""

    DEFAULT_CSS = """
    TemplatePreviewScreen { align: center middle; }
    TemplatePreviewScreen > Vertical {
        width: 110; max-width: 98%; height: 95%;
        border: thick $primary; background: $surface; padding: 0 2;
    }
    TemplatePreviewScreen .edit-row { height: auto; margin-bottom: 1; }
    TemplatePreviewScreen .edit-row > Select { width: 1fr; margin-right: 1; }
    TemplatePreviewScreen #preview-search { margin-bottom: 0; }
    TemplatePreviewScreen #preview-results { height: auto; max-height: 8; }
    TemplatePreviewScreen #preview-scroll { min-height: 8; }
    TemplatePreviewScreen #preview-scroll { height: 1fr; border: round $primary-darken-2; }
    """

    BINDINGS = [Binding("escape", "close", t("key.back"), id="scenario_preview.close")]

    def __init__(self, scenario: Scenario, *, position: int | None = None) -> None:
        """Args:
        scenario: the scenario as stored or as being edited.
        position: the step to show first (default: the first step).
        """
        super().__init__()
        self.scenario = scenario
        first = scenario.first_step()
        self.position = position if scenario.step_at(position or -1) else (first.position if first else None)
        self.contact: str | None = None
        """The chosen contact."""
        self.pool: tuple[list[str], set[str]] | None = None
        """Searchable contacts and the audience (read once, in the first search)."""

    @property
    def store(self) -> Store:
        """The app's store."""
        store: Store = self.app.store  # type: ignore[attr-defined]
        return store

    def compose(self) -> ComposeResult:
        """Step, variant, search, results, the rendered email."""
        with Vertical():
            yield Label(
                literal(t("scenario_preview.title", name=self.scenario.name)), classes="section-title"
            )
            with Horizontal(classes="edit-row"):
                yield Select(
                    [(literal(f"{s.position}. {s.name}"), s.position) for s in self.scenario.steps],
                    value=self.position if self.position is not None else Select.NULL,
                    prompt=t("scenario_preview.no_step"),
                    id="preview-step",
                    compact=True,
                )
                yield Select([], prompt=t("scenario_preview.variant"), id="preview-variant", compact=True)
            yield Input(placeholder=t("scenario_preview.search"), id="preview-search", compact=True)
            yield OptionList(id="preview-results")
            with VerticalScroll(id="preview-scroll"):
                yield Static(t("scenario_preview.pick"), id="preview-output")

    def on_mount(self) -> None:
        """Variants of the first step, the first contacts, focus on the search."""
        self._fill_variants()
        self.query_one("#preview-search", Input).focus()
        self.search("")

    def step(self) -> Step | None:
        """The chosen step."""
        value = self.query_one("#preview-step", Select).value
        return self.scenario.step_at(value) if isinstance(value, int) else None

    def _fill_variants(self) -> None:
        step = self.step()
        select: Select[str] = self.query_one("#preview-variant", Select)
        options: list[tuple[str | Text, str]] = [(t("scenario_preview.auto"), AUTO)]
        if step is not None:
            options += [(literal(f"{v.name} → {v.template}"), v.name) for v in step.variants]
        select.set_options(options)
        select.value = AUTO

    @on(Select.Changed, "#preview-step")
    def _step_changed(self) -> None:
        self._fill_variants()
        self.refresh_preview()

    @on(Select.Changed, "#preview-variant")
    def _variant_changed(self) -> None:
        self.refresh_preview()

    @on(Input.Changed, "#preview-search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.search(event.value)

    @on(Input.Submitted, "#preview-search")
    def _search_submitted(self) -> None:
        # Enter in the search picks the highlighted (else the first) contact.
        results = self.query_one("#preview-results", OptionList)
        if results.option_count:
            option = results.get_option_at_index(results.highlighted or 0)
            if option.id is not None and not option.disabled:
                self.choose(option.id)

    @on(OptionList.OptionSelected, "#preview-results")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.choose(event.option.id)

    def choose(self, email: str) -> None:
        """Render for ``email``."""
        self.contact = email
        self.refresh_preview()

    def refresh_preview(self) -> None:
        """Render again for the chosen contact, step and variant."""
        step = self.step()
        if self.contact is None or step is None:
            return
        variant = self.query_one("#preview-variant", Select).value
        self.render_worker(step, self.contact, variant if isinstance(variant, str) else AUTO)

    @work(thread=True, exclusive=True, group="preview:search", exit_on_error=False, description="Searching")
    def search(self, text: str) -> None:
        """Find contacts in a thread."""
        if self.pool is None:
            self.pool = contact_pool(self.store, self.scenario)
        pool, audience = self.pool
        found = search_contacts(self.store, pool, audience, text)
        deliver(self.app, self._show_found, found)

    def _show_found(self, found: list[Found]) -> None:
        results = self.query_one("#preview-results", OptionList)
        results.clear_options()
        results.add_options([Option(literal(f.label), id=f.email) for f in found])
        if not found:
            results.add_option(Option(t("scenario_preview.nobody"), disabled=True))
        elif results.highlighted is None:
            results.highlighted = 0

    @work(thread=True, exclusive=True, group="preview:render", exit_on_error=False, description="Rendering")
    def render_worker(self, step: Step, contact: str, variant: str) -> None:
        """Render in a thread (contact values and recommendations are read from the store)."""
        preview = render_preview(self.app.settings, self.store, self.scenario, step, contact, variant)  # type: ignore[attr-defined]
        self.app.call_from_thread(self.query_one("#preview-output", Static).update, preview_text(preview))

    def action_close(self) -> None:
        """Back to where the preview was opened."""
        self.dismiss(None)
