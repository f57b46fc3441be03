"""The scenario editor: settings, steps (with their variants and weights) and templates.

Opened from the Scenarios screen (``N`` new, ``E`` edit). Only a draft or a paused scenario can be
edited: an active one must be paused first, and a stopped one is finished. Nothing is written until
``ctrl+s``; the save validates everything with the engine (unknown ``{{variables}}`` included) and
shows every problem at once: a field's own problem under the field, the others above the form.

Once a scenario has enrolled contacts (test sequences included), its steps keep their positions and
its variants their names: the send ledger and the statistics are tied to them. Steps can still be
added and edited, variants added and reweighted.

Keys: ``ctrl+s`` save, ``escape`` back (asks before dropping changes), ``f2`` steps, ``f3`` templates,
``f4`` settings. In the steps table: ``a`` add, ``enter`` edit, ``d`` remove, ``shift+↑/↓`` move,
``v`` preview for a contact. In the templates table: ``a`` add, ``enter`` edit, ``d`` remove.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Input, Label, Select, Static, TextArea

import crmtui.i18n.scenarios  # noqa: F401 - registers the editor strings
from crmtui.engine import scenarios as sc
from crmtui.engine.templates import Template
from crmtui.i18n import t
from crmtui.screens.confirm import ConfirmScreen
from crmtui.store import Store
from crmtui.store.scenarios import TRIGGERS, Scenario, Step, TemplateRow, scenario_repo
from crmtui.text import literal, printable
from crmtui.widgets.footer import Footer
from crmtui.widgets.scenario_form import ScenarioForm
from crmtui.widgets.scenario_tables import StepsTable, TemplatesTable
from crmtui.widgets.scenario_variants import VariantsEditor

EDITABLE = ("draft", "paused")
"""Statuses whose definition may change."""


def lines(problems: Sequence[str]) -> Text:
    """Problems as a bulleted block, shown literally (they quote names from files and operators)."""
    return Text(printable("\n".join(f"• {p}" for p in problems), single_line=False), style="")


def edit_refusal(scenario: Scenario) -> str:
    """Why ``scenario`` cannot be edited now ("" when it can)."""
    if scenario.status == "active":
        return t("scenario_edit.refused.active", name=scenario.name)
    if scenario.status not in EDITABLE:
        return t("scenario_edit.refused.stopped", name=scenario.name, status=scenario.status)
    return ""


@dataclass
class EditorData:
    """What the editor needs, read in a worker before it opens.

    Attributes:
        scenario: the scenario to edit (a new draft when ``is_new``).
        is_new: no scenario of that name exists yet.
        known: the template variables the engine accepts (base ones and contact fields).
        names: every existing scenario name (a new one must differ).
        started: contacts are enrolled or sends recorded: steps keep their positions, variants their names.
    """

    scenario: Scenario
    is_new: bool
    known: frozenset[str]
    names: frozenset[str] = frozenset()
    started: bool = False
    refusal: str = ""
    """Set when the scenario cannot be edited (the editor does not open)."""


def load_editor_data(store: Store, name: str | None) -> EditorData:
    """Read a scenario (``None``: a new one) and what the editor needs (blocking: call from a worker)."""
    repo = scenario_repo(store)
    known = frozenset(sc.known_variables(store))
    names = frozenset(repo.names())
    if name is None:
        return EditorData(Scenario(name=""), True, known, names)
    scenario = repo.get(name)
    if scenario is None:
        return EditorData(
            Scenario(name=""), True, known, names, refusal=t("scenarios.cli.unknown", name=name)
        )
    # Counters survive a reset of test sequences: they too tie a variant's name to its position.
    sent = scenario.sent or any(v.sent for step in scenario.steps for v in step.variants)
    started = bool(sent or repo.sequence_counts(scenario.id) or repo.ledger_counts(scenario.id))
    return EditorData(scenario, False, known, names, started, edit_refusal(scenario))


def save_scenario(store: Store, scenario: Scenario, *, is_new: bool, known: frozenset[str]) -> list[str]:
    """Validate and save (blocking: call from a worker); the problems, or [] once saved.

    The status is re-read first: a scenario resumed meanwhile (another console, the CLI) is not
    overwritten, and a save never changes a status.
    """
    repo = scenario_repo(store)
    current = repo.get(scenario.name)
    if is_new and current is not None:
        return [t("scenario_edit.v.name_taken", name=scenario.name)]
    if not is_new:
        if current is None:
            return [t("scenarios.cli.unknown", name=scenario.name)]
        refusal = edit_refusal(current)
        if refusal:
            return [refusal]
        scenario.status = current.status
    else:
        scenario.status = "draft"
    problems = sc.validate(scenario, known)
    if problems:
        return problems
    scenario.id = repo.save(scenario, actor="console")
    return []


# -- the step editor ----------------------------------------------------------------------------------


class StepEditScreen(ModalScreen[Step | None]):
    """One step: name, trigger and delay, parent, default template, variants and weights."""

    DEFAULT_CSS = """
    StepEditScreen { align: center middle; }
    StepEditScreen > VerticalScroll {
        width: 100; max-width: 98%; height: auto; max-height: 95%;
        border: thick $primary; background: $surface; padding: 0 2;
    }
    StepEditScreen .edit-row { height: auto; margin-bottom: 1; }
    StepEditScreen .edit-row > Label { width: 22; padding: 0 1 0 0; text-align: right; }
    StepEditScreen .edit-row > Input, StepEditScreen .edit-row > Select { width: 1fr; }
    StepEditScreen #step-hint { color: $text-muted; padding: 0 0 0 22; margin-bottom: 1; }
    StepEditScreen #step-problems { color: $error; height: auto; }
    StepEditScreen .dialog-buttons { height: auto; align-horizontal: right; }
    StepEditScreen .dialog-buttons > Button { margin-left: 1; }
    """

    BINDINGS = [
        Binding("ctrl+s", "apply", t("scenario_edit.key.apply"), id="scenario_edit.step.apply"),
        Binding("escape", "cancel", t("key.back"), id="scenario_edit.step.cancel"),
        Binding(
            "ctrl+n", "add_variant", t("scenario_edit.key.add_variant"), id="scenario_edit.step.add_variant"
        ),
        Binding(
            "ctrl+r",
            "remove_variant",
            t("scenario_edit.key.remove_variant"),
            id="scenario_edit.step.remove_variant",
        ),
    ]

    def __init__(
        self,
        step: Step,
        steps: Sequence[Step],
        templates: Sequence[str],
        *,
        locked_variants: Sequence[str] = (),
    ) -> None:
        """Args:
        step: a copy of the step to edit (or a new one).
        steps: every step of the scenario (for the parent choice).
        templates: the scenario's template names.
        locked_variants: variant names that must stay (the scenario has enrolled contacts).
        """
        super().__init__()
        self.step = step
        self.others = [s for s in steps if s.position < step.position]
        self.templates = list(templates)
        self.locked_variants = list(locked_variants)

    def compose(self) -> ComposeResult:
        """The fields, the variants, the problems, the buttons."""
        step = self.step
        with VerticalScroll():
            yield Label(t("scenario_edit.step.title", position=step.position), classes="section-title")
            with Horizontal(classes="edit-row"):
                yield Label(t("scenario_edit.col.step"))
                yield Input(step.name, id="step-name", select_on_focus=False, compact=True)
            with Horizontal(classes="edit-row"):
                yield Label(t("scenario_edit.col.trigger"))
                yield Select(
                    [(t(f"scenario_edit.trigger.{tr}"), tr) for tr in TRIGGERS],
                    value=step.trigger if step.trigger in TRIGGERS else "entry",
                    allow_blank=False,
                    id="step-trigger",
                    compact=True,
                )
            with Horizontal(classes="edit-row"):
                yield Label(t("scenario_edit.field.delay_days"))
                yield Input(
                    _num(step.delay_days), id="step-days", restrict=r"[0-9.,]*", max_length=8, compact=True
                )
            with Horizontal(classes="edit-row"):
                yield Label(t("scenario_edit.field.delay_hours"))
                yield Input(
                    _num(step.delay_hours), id="step-hours", restrict=r"[0-9.,]*", max_length=8, compact=True
                )
            yield Static("", id="step-hint")
            with Horizontal(classes="edit-row"):
                yield Label(t("scenario_edit.col.parent"))
                yield Select(
                    [(literal(f"{s.position}. {s.name}"), s.position) for s in self.others],
                    value=step.parent_position
                    if step.parent_position in [s.position for s in self.others]
                    else Select.NULL,
                    prompt=t("scenario_edit.parent.none"),
                    id="step-parent",
                    compact=True,
                )
            with Horizontal(classes="edit-row"):
                yield Label(t("scenario_edit.field.default_template"))
                options = [(literal(n), n) for n in self.templates]
                yield Select(
                    options,
                    value=step.template if step.template in self.templates else Select.NULL,
                    prompt=t("scenario_edit.template.none") if options else t("scenario_edit.template.empty"),
                    id="step-template",
                    compact=True,
                )
            yield VariantsEditor(
                step.variants, self.templates, locked_names=self.locked_variants, id="step-variants"
            )
            yield Static("", id="step-problems")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("scenario_edit.key.add_variant"), id="step-add-variant")
                yield Button(t("scenario_edit.key.apply"), id="step-apply", variant="primary")
                yield Button(t("key.back"), id="step-cancel")

    def on_mount(self) -> None:
        """Typing starts in the name; the trigger's hint."""
        self.query_one("#step-name", Input).focus()
        self._hint()

    @on(Select.Changed, "#step-trigger")
    def _hint(self) -> None:
        trigger = self.query_one("#step-trigger", Select).value
        self.query_one("#step-hint", Static).update(t(f"scenario_edit.trigger_hint.{trigger}"))

    @on(Button.Pressed, "#step-add-variant")
    async def action_add_variant(self) -> None:
        """Add a variant (weight 1) using the default template."""
        template = self.query_one("#step-template", Select).value
        await self.query_one(VariantsEditor).add_variant(template if isinstance(template, str) else "")

    async def action_remove_variant(self) -> None:
        """Remove the variant holding the focus."""
        editor = self.query_one(VariantsEditor)
        row = editor.focused_row()
        if row is None:
            self.notify(t("scenario_edit.variant.focus_one"), severity="warning")
        elif not await editor.remove_row(row):
            self.notify(t("scenario_edit.variant.locked"), severity="warning")

    @on(Button.Pressed, "#step-apply")
    def action_apply(self) -> None:
        """Check the step and return it (every problem shown at once)."""
        problems: list[str] = []
        name = self.query_one("#step-name", Input).value.strip()
        if not name:
            problems.append(t("scenario_edit.v.step_name"))
        delays: list[float] = []
        for which in ("days", "hours"):
            text = self.query_one(f"#step-{which}", Input).value.strip().replace(",", ".") or "0"
            try:
                delays.append(float(text))
            except ValueError:
                problems.append(t("scenario_edit.v.number", value=text))
                delays.append(0.0)
        trigger = str(self.query_one("#step-trigger", Select).value)
        if trigger == "not_opened" and not any(delays):
            problems.append(t("scenario_edit.v.not_opened_delay"))
        template = self.query_one("#step-template", Select).value
        if not isinstance(template, str) or not template:
            problems.append(t("scenario_edit.v.step_template"))
        parent = self.query_one("#step-parent", Select).value
        variants, variant_problems = self.query_one(VariantsEditor).read()
        problems += variant_problems
        if problems:
            self.query_one("#step-problems", Static).update(lines(problems))
            return
        self.dismiss(
            Step(
                position=self.step.position,
                name=name,
                template=str(template),
                trigger=trigger,
                delay_days=delays[0],
                delay_hours=delays[1],
                parent_position=parent if isinstance(parent, int) else None,
                variants=variants,
                id=self.step.id,
                winner_variant_id=self.step.winner_variant_id,
            )
        )

    @on(Button.Pressed, "#step-cancel")
    def action_cancel(self) -> None:
        """Close without changing the step."""
        self.dismiss(None)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


# -- the template editor --------------------------------------------------------------------------------


class TemplateEditScreen(ModalScreen[tuple[str, TemplateRow] | None]):
    """One template: name, subject, HTML and text; unknown ``{{variables}}`` are refused.

    Returns ``(previous name, template)`` so a rename can follow into the steps that use it.
    """

    DEFAULT_CSS = """
    TemplateEditScreen { align: center middle; }
    TemplateEditScreen > VerticalScroll {
        width: 110; max-width: 98%; height: 95%;
        border: thick $primary; background: $surface; padding: 0 2;
    }
    TemplateEditScreen .edit-row { height: auto; margin-bottom: 1; }
    TemplateEditScreen .edit-row > Label { width: 12; padding: 0 1 0 0; text-align: right; }
    TemplateEditScreen .edit-row > Input { width: 1fr; }
    TemplateEditScreen #tpl-html { height: 10; }
    TemplateEditScreen #tpl-text { height: 7; }
    TemplateEditScreen #tpl-known { color: $text-muted; height: auto; }
    TemplateEditScreen #tpl-problems { color: $error; height: auto; }
    TemplateEditScreen .dialog-buttons { height: auto; align-horizontal: right; }
    TemplateEditScreen .dialog-buttons > Button { margin-left: 1; }
    """

    BINDINGS = [
        Binding("ctrl+s", "apply", t("scenario_edit.key.apply"), id="scenario_edit.template.apply"),
        Binding("escape", "cancel", t("key.back"), id="scenario_edit.template.cancel"),
    ]

    def __init__(self, row: TemplateRow | None, taken: Sequence[str], known: frozenset[str]) -> None:
        """Args:
        row: the template to edit (None: a new one).
        taken: the scenario's other template names.
        known: the variables the engine accepts.
        """
        super().__init__()
        self.row = row or TemplateRow("", "")
        self.previous = self.row.name
        self.taken = set(taken) - {self.previous}
        self.known = known

    def compose(self) -> ComposeResult:
        """Name, subject, bodies, known variables, problems, buttons."""
        with VerticalScroll():
            yield Label(t("scenario_edit.template.title"), classes="section-title")
            with Horizontal(classes="edit-row"):
                yield Label(t("scenario_edit.col.template"))
                yield Input(self.row.name, id="tpl-name", select_on_focus=False, compact=True)
            with Horizontal(classes="edit-row"):
                yield Label(t("scenario_edit.col.subject"))
                yield Input(self.row.subject, id="tpl-subject", select_on_focus=False, compact=True)
            yield Label(t("scenario_edit.template.html"))
            yield TextArea(self.row.html, id="tpl-html", language=None, soft_wrap=True)
            yield Label(t("scenario_edit.template.text"))
            yield TextArea(self.row.text, id="tpl-text", language=None, soft_wrap=True)
            yield Static(
                literal(
                    t(
                        "scenario_edit.template.known",
                        names=" ".join("{{" + n + "}}" for n in sorted(self.known)),
                    )
                ),
                id="tpl-known",
            )
            yield Static("", id="tpl-problems")
            with Horizontal(classes="dialog-buttons"):
                yield Button(t("scenario_edit.key.apply"), id="tpl-apply", variant="primary")
                yield Button(t("key.back"), id="tpl-cancel")

    def on_mount(self) -> None:
        """Typing starts in the name (the subject for an existing template)."""
        self.query_one("#tpl-subject" if self.previous else "#tpl-name", Input).focus()

    def problems(self, row: TemplateRow) -> list[str]:
        """Every problem of ``row``: name, subject, body and unknown variables (the engine's words)."""
        problems: list[str] = []
        if not row.name:
            problems.append(t("scenario_edit.v.template_name"))
        elif row.name in self.taken:
            problems.append(t("scenario_edit.v.template_taken", name=row.name))
        if not row.subject.strip():
            problems.append(t("scenarios.v.subject", template=row.name))
        if not row.html.strip() and not row.text.strip():
            problems.append(t("scenarios.v.body", template=row.name))
        problems += sc.template_problems(Template(row.name, row.subject, row.html, row.text), self.known)
        return problems

    @on(Button.Pressed, "#tpl-apply")
    def action_apply(self) -> None:
        """Check the template and return it, or show every problem."""
        row = TemplateRow(
            self.query_one("#tpl-name", Input).value.strip(),
            self.query_one("#tpl-subject", Input).value,
            self.query_one("#tpl-html", TextArea).text,
            self.query_one("#tpl-text", TextArea).text,
        )
        problems = self.problems(row)
        if problems:
            self.query_one("#tpl-problems", Static).update(lines(problems))
            return
        self.dismiss((self.previous, row))

    @on(Button.Pressed, "#tpl-cancel")
    def action_cancel(self) -> None:
        """Close without changing the template."""
        self.dismiss(None)


# -- the scenario editor --------------------------------------------------------------------------------


@dataclass
class _Used:
    """How many steps and variants use each template."""

    counts: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, scenario: Scenario) -> _Used:
        counts: dict[str, int] = {}
        for step in scenario.steps:
            for name in {step.template, *(v.template for v in step.variants)}:
                counts[name] = counts.get(name, 0) + 1
        return cls(counts)


class ScenarioEditScreen(Screen[str | None]):
    """Create or edit a scenario; returns its name once saved, None when left unsaved."""

    DEFAULT_CSS = """
    ScenarioEditScreen #edit-title { text-style: bold; padding: 0 1; }
    ScenarioEditScreen #edit-problems { color: $error; height: auto; max-height: 10; padding: 0 1; display: none; }
    ScenarioEditScreen #edit-problems.-shown { display: block; }
    ScenarioEditScreen #edit-body { height: 1fr; }
    ScenarioEditScreen #edit-form { width: 62; }
    ScenarioEditScreen #edit-tables { width: 1fr; }
    ScenarioEditScreen #edit-tables > DataTable { height: 1fr; }
    ScenarioEditScreen #edit-note { color: $text-muted; padding: 0 1; height: auto; }
    """

    BINDINGS = [
        Binding("ctrl+s", "save", t("scenario_edit.key.save"), id="scenario_edit.save"),
        Binding("escape", "back", t("key.back"), id="scenario_edit.back"),
        Binding("f2", "focus_steps", t("scenario_edit.key.steps"), id="scenario_edit.focus_steps"),
        Binding(
            "f3", "focus_templates", t("scenario_edit.key.templates"), id="scenario_edit.focus_templates"
        ),
        Binding("f4", "focus_form", t("scenario_edit.key.settings"), id="scenario_edit.focus_form"),
    ]

    def __init__(self, data: EditorData) -> None:
        """Args:
        data: read by :func:`load_editor_data` in a worker.
        """
        super().__init__()
        self.data = data
        self.draft = copy.deepcopy(data.scenario)
        """The steps and templates as edited (the form's fields are read at save)."""
        self.original = sc.dumps_toml(data.scenario)
        self.initial_fields: tuple[str, ...] = ()
        """The form as it opened (set once mounted)."""

    @property
    def store(self) -> Store:
        """The app's store."""
        store: Store = self.app.store  # type: ignore[attr-defined]
        return store

    def compose(self) -> ComposeResult:
        """Title, problems, the form on the left, steps and templates on the right, footer."""
        title = (
            t("scenario_edit.title.new")
            if self.data.is_new
            else t(
                "scenario_edit.title.edit",
                name=self.draft.name,
                status=t(f"scenarios.status.{self.draft.status}"),
            )
        )
        yield Label(literal(title), id="edit-title")
        yield Static("", id="edit-problems")
        with Horizontal(id="edit-body"):
            with VerticalScroll(id="edit-form"):
                yield ScenarioForm(self.draft, is_new=self.data.is_new)
            with Vertical(id="edit-tables"):
                yield Label(t("scenario_edit.section.steps"), classes="section-title")
                yield StepsTable(id="edit-steps")
                yield Label(t("scenario_edit.section.templates"), classes="section-title")
                yield TemplatesTable(id="edit-templates")
                yield Static(
                    t("scenario_edit.note.started") if self.data.started else t("scenario_edit.note.keys"),
                    id="edit-note",
                )
        yield Footer()

    def on_mount(self) -> None:
        """Rows, and typing starts in the name (the description for an existing scenario)."""
        self.refresh_tables()
        self.query_one("#field-name" if self.data.is_new else "#field-description", Input).focus()
        self.initial_fields = self.query_one(ScenarioForm).snapshot()

    def refresh_tables(self, *, step: int | None = None, template: str | None = None) -> None:
        """Give both tables the draft's rows."""
        self.query_one(StepsTable).show(self.draft.steps, select=step)
        self.query_one(TemplatesTable).show(
            self.draft.templates, _Used.of(self.draft).counts, select=template
        )

    # -- focus -----------------------------------------------------------------------------------

    def action_focus_steps(self) -> None:
        """Go to the steps table."""
        self.query_one(StepsTable).focus()

    def action_focus_templates(self) -> None:
        """Go to the templates table."""
        self.query_one(TemplatesTable).focus()

    def action_focus_form(self) -> None:
        """Go back to the settings."""
        self.query_one("#field-name" if self.data.is_new else "#field-description", Input).focus()

    # -- steps -----------------------------------------------------------------------------------

    def _open_step(self, step: Step) -> None:
        locked = [v.name for v in step.variants] if self.data.started else []

        def done(result: Step | None) -> None:
            if result is None:
                return
            self.draft.steps = [s for s in self.draft.steps if s.position != result.position] + [result]
            self.draft.steps.sort(key=lambda s: s.position)
            self.refresh_tables(step=result.position)
            self.query_one(StepsTable).focus()

        self.app.push_screen(
            StepEditScreen(
                copy.deepcopy(step), self.draft.steps, sorted(self.draft.templates), locked_variants=locked
            ),
            done,
        )

    @on(StepsTable.AddRequested)
    def _add_step(self) -> None:
        positions = [s.position for s in self.draft.steps]
        first = not positions
        template = sorted(self.draft.templates)[0] if self.draft.templates else ""
        self._open_step(
            Step(
                position=max(positions, default=0) + 1,
                name=t("scenario_edit.step.default_name", n=len(positions) + 1),
                template=template,
                trigger="entry" if first else "delay",
                delay_days=0.0 if first else 1.0,
            )
        )

    @on(StepsTable.EditRequested)
    def _edit_step(self, event: StepsTable.EditRequested) -> None:
        step = self.draft.step_at(event.position)
        if step is not None:
            self._open_step(step)

    @on(StepsTable.RemoveRequested)
    def _remove_step(self, event: StepsTable.RemoveRequested) -> None:
        if self.data.started:
            self.notify(t("scenario_edit.refused.started"), severity="warning", timeout=8)
            return
        self.draft.steps = [s for s in self.draft.steps if s.position != event.position]
        self.refresh_tables()

    @on(StepsTable.MoveRequested)
    def _move_step(self, event: StepsTable.MoveRequested) -> None:
        if self.data.started:
            self.notify(t("scenario_edit.refused.started"), severity="warning", timeout=8)
            return
        ordered = sorted(self.draft.steps, key=lambda s: s.position)
        index = next(i for i, s in enumerate(ordered) if s.position == event.position)
        other = index + event.delta
        if not 0 <= other < len(ordered):
            return
        a, b = ordered[index], ordered[other]
        swap = {a.position: b.position, b.position: a.position}
        a.position, b.position = b.position, a.position
        for step in ordered:
            if step.parent_position in swap:
                step.parent_position = swap[step.parent_position]
        self.draft.steps = sorted(ordered, key=lambda s: s.position)
        self.refresh_tables(step=a.position)

    @on(StepsTable.PreviewRequested)
    def _preview_step(self, event: StepsTable.PreviewRequested) -> None:
        from crmtui.screens.template_preview import TemplatePreviewScreen

        candidate = copy.deepcopy(self.draft)
        self.query_one(ScenarioForm).read(candidate)  # the audience as typed decides who is searched first
        self.app.push_screen(TemplatePreviewScreen(candidate, position=event.position))

    # -- templates -------------------------------------------------------------------------------

    def _open_template(self, row: TemplateRow | None) -> None:
        def done(result: tuple[str, TemplateRow] | None) -> None:
            if result is None:
                return
            previous, new = result
            if previous and previous != new.name:
                self.draft.templates.pop(previous, None)
                for step in self.draft.steps:
                    if step.template == previous:
                        step.template = new.name
                    for v in step.variants:
                        if v.template == previous:
                            v.template = new.name
            self.draft.templates[new.name] = new
            self.refresh_tables(template=new.name)
            self.query_one(TemplatesTable).focus()

        self.app.push_screen(
            TemplateEditScreen(
                copy.deepcopy(row) if row else None, list(self.draft.templates), self.data.known
            ),
            done,
        )

    @on(TemplatesTable.AddRequested)
    def _add_template(self) -> None:
        self._open_template(None)

    @on(TemplatesTable.EditRequested)
    def _edit_template(self, event: TemplatesTable.EditRequested) -> None:
        self._open_template(self.draft.templates.get(event.name))

    @on(TemplatesTable.RemoveRequested)
    def _remove_template(self, event: TemplatesTable.RemoveRequested) -> None:
        used = _Used.of(self.draft).counts.get(event.name, 0)
        if used:
            self.notify(
                printable(t("scenario_edit.refused.template_used", name=event.name, n=used)),
                severity="warning",
                markup=False,
            )
            return
        self.draft.templates.pop(event.name, None)
        self.refresh_tables()

    # -- save and leave --------------------------------------------------------------------------

    def candidate(self) -> tuple[Scenario, dict[str, str]]:
        """The scenario as edited (a copy) and the form's problems by field."""
        scenario = copy.deepcopy(self.draft)
        problems = self.query_one(ScenarioForm).read(scenario)
        if self.data.is_new and scenario.name in self.data.names:
            problems["name"] = t("scenario_edit.v.name_taken", name=scenario.name)
        return scenario, problems

    def show_problems(self, fields: dict[str, str], others: Sequence[str]) -> None:
        """Every problem at once: under each field, and the rest above the form."""
        self.query_one(ScenarioForm).show_problems(fields)
        box = self.query_one("#edit-problems", Static)
        box.update(lines(others) if others else "")
        box.set_class(bool(others), "-shown")

    def action_save(self) -> None:
        """Validate everything; save in a worker when there is no problem."""
        scenario, fields = self.candidate()
        others = [p for p in sc.validate(scenario, self.data.known) if p not in fields.values()]
        self.show_problems(fields, others)
        if fields or others:
            self.notify(t("scenario_edit.invalid", n=len(fields) + len(others)), severity="error", timeout=6)
            return
        self.save_worker(scenario)

    @work(thread=True, exclusive=True, group="scenario_edit:save", exit_on_error=False, description="Saving")
    def save_worker(self, scenario: Scenario) -> None:
        """Save in a thread (re-checking the status and the name)."""
        problems = save_scenario(self.store, scenario, is_new=self.data.is_new, known=self.data.known)
        self.app.call_from_thread(self._saved, scenario.name, problems)

    def _saved(self, name: str, problems: list[str]) -> None:
        if problems:
            self.show_problems({}, problems)
            self.notify(t("scenario_edit.invalid", n=len(problems)), severity="error", timeout=6)
            return
        self.notify(printable(t("scenario_edit.saved", name=name)), markup=False)
        self.dismiss(name)

    def action_back(self) -> None:
        """Leave; ask first when something changed."""
        changed = (
            self.query_one(ScenarioForm).snapshot() != self.initial_fields
            or sc.dumps_toml(self.draft) != self.original
        )
        if not changed:
            self.dismiss(None)
            return

        def done(confirmed: bool | None) -> None:
            if confirmed:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmScreen(t("scenario_edit.discard.title"), t("scenario_edit.discard.body")), done
        )
