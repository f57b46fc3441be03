"""The scenario editor's tables: the steps and the templates of the scenario being edited.

Each table holds the rows it is given and posts a message when the operator asks for something
(add, edit, remove, move, preview); the editor screen changes its draft and gives the rows back.
Step names, template names and subjects may come from an imported file: shown with
:func:`crmtui.text.literal`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from textual import on
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

import crmtui.i18n.scenarios  # noqa: F401 - registers the editor strings
from crmtui.i18n import t
from crmtui.store.scenarios import Step, TemplateRow
from crmtui.text import literal


def trigger_text(step: Step) -> str:
    """``after 2 d 3 h``, ``if not opened after 48 h``… in the operator's language."""
    delay = []
    if step.delay_days:
        delay.append(t("scenario_edit.days_short", n=_num(step.delay_days)))
    if step.delay_hours:
        delay.append(t("scenario_edit.hours_short", n=_num(step.delay_hours)))
    label = t(f"scenario_edit.trigger.{step.trigger}") if step.trigger else "?"
    return f"{label} {' '.join(delay)}".strip()


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def variants_text(step: Step) -> str:
    """``A 30 · B 70`` (name and weight of each variant), or ``—``."""
    return " · ".join(f"{v.name} {_num(v.weight)}" for v in step.variants) or "—"


class StepsTable(DataTable[object]):
    """The steps of the scenario being edited, by position."""

    BINDINGS = [
        Binding("a,insert", "add", t("scenario_edit.key.add_step"), id="scenario_edit.steps.add"),
        Binding("enter", "edit", t("scenario_edit.key.edit_step"), id="scenario_edit.steps.edit"),
        Binding("d,delete", "remove", t("scenario_edit.key.remove"), id="scenario_edit.steps.remove"),
        Binding("shift+up", "move(-1)", t("scenario_edit.key.move_up"), id="scenario_edit.steps.up"),
        Binding("shift+down", "move(1)", t("scenario_edit.key.move_down"), id="scenario_edit.steps.down"),
        Binding("v", "preview", t("scenario_edit.key.preview"), id="scenario_edit.steps.preview"),
    ]

    @dataclass
    class AddRequested(Message):
        """The operator asked for a new step."""

    @dataclass
    class EditRequested(Message):
        """The operator asked to edit the step at ``position``."""

        position: int

    @dataclass
    class RemoveRequested(Message):
        """The operator asked to remove the step at ``position``."""

        position: int

    @dataclass
    class MoveRequested(Message):
        """The operator asked to move the step at ``position`` up (-1) or down (+1)."""

        position: int
        delta: int

    @dataclass
    class PreviewRequested(Message):
        """The operator asked to preview the step at ``position`` for a contact."""

        position: int

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        """Columns."""
        self.add_columns(
            "#",
            t("scenario_edit.col.step"),
            t("scenario_edit.col.trigger"),
            t("scenario_edit.col.parent"),
            t("scenario_edit.col.template"),
            t("scenario_edit.col.variants"),
        )

    def show(self, steps: Sequence[Step], *, select: int | None = None) -> None:
        """Replace the rows; put the cursor on the step at ``select`` (else keep it where it was)."""
        current = self.current_position() if select is None else select
        self.clear()
        ordered = sorted(steps, key=lambda s: s.position)
        for step in ordered:
            self.add_row(
                str(step.position),
                literal(step.name),
                literal(trigger_text(step)),
                "—" if step.parent_position is None else str(step.parent_position),
                literal(step.template),
                literal(variants_text(step)),
                key=str(step.position),
            )
        for i, step in enumerate(ordered):
            if step.position == current:
                self.move_cursor(row=i)

    def current_position(self) -> int | None:
        """The position of the step under the cursor."""
        if self.row_count == 0:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return int(key) if key is not None else None

    def action_add(self) -> None:
        """Ask for a new step."""
        self.post_message(self.AddRequested())

    def action_edit(self) -> None:
        """Ask to edit the highlighted step."""
        position = self.current_position()
        if position is not None:
            self.post_message(self.EditRequested(position))

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        # Enter on a row (the table's own binding) edits it.
        event.stop()
        self.action_edit()

    def action_remove(self) -> None:
        """Ask to remove the highlighted step."""
        position = self.current_position()
        if position is not None:
            self.post_message(self.RemoveRequested(position))

    def action_move(self, delta: int) -> None:
        """Ask to move the highlighted step up or down."""
        position = self.current_position()
        if position is not None:
            self.post_message(self.MoveRequested(position, delta))

    def action_preview(self) -> None:
        """Ask for a preview of the highlighted step."""
        position = self.current_position()
        if position is not None:
            self.post_message(self.PreviewRequested(position))


class TemplatesTable(DataTable[object]):
    """The templates of the scenario being edited, by name."""

    BINDINGS = [
        Binding("a,insert", "add", t("scenario_edit.key.add_template"), id="scenario_edit.templates.add"),
        Binding("enter", "edit", t("scenario_edit.key.edit_template"), id="scenario_edit.templates.edit"),
        Binding("d,delete", "remove", t("scenario_edit.key.remove"), id="scenario_edit.templates.remove"),
    ]

    @dataclass
    class AddRequested(Message):
        """The operator asked for a new template."""

    @dataclass
    class EditRequested(Message):
        """The operator asked to edit the template ``name``."""

        name: str

    @dataclass
    class RemoveRequested(Message):
        """The operator asked to remove the template ``name``."""

        name: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        """Columns."""
        self.add_columns(
            t("scenario_edit.col.template"), t("scenario_edit.col.subject"), t("scenario_edit.col.used")
        )

    def show(
        self, templates: Mapping[str, TemplateRow], used: Mapping[str, int], *, select: str | None = None
    ) -> None:
        """Replace the rows (``used``: how many steps and variants use each template)."""
        current = self.current_name() if select is None else select
        self.clear()
        names = sorted(templates)
        for name in names:
            self.add_row(literal(name), literal(templates[name].subject), str(used.get(name, 0)), key=name)
        if current in names:
            self.move_cursor(row=names.index(current))

    def current_name(self) -> str | None:
        """The name of the template under the cursor."""
        if self.row_count == 0:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return str(key) if key is not None else None

    def action_add(self) -> None:
        """Ask for a new template."""
        self.post_message(self.AddRequested())

    def action_edit(self) -> None:
        """Ask to edit the highlighted template."""
        name = self.current_name()
        if name is not None:
            self.post_message(self.EditRequested(name))

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit()

    def action_remove(self) -> None:
        """Ask to remove the highlighted template."""
        name = self.current_name()
        if name is not None:
            self.post_message(self.RemoveRequested(name))
