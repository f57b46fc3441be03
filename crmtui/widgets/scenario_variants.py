"""The variants editor of a step: one row per variant (name, template, weight) and its live share.

Weights are whole numbers ≥ 0 (the input accepts digits only); at least one must be above 0 when
the step has variants. The share each variant will receive is shown next to its weight and
updated as the weight is typed. A variant of a scenario that has already enrolled contacts keeps
its name (its statistics and ledger rows are stored per variant) and cannot be removed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Select, Static

import crmtui.i18n.scenarios  # noqa: F401 - registers the editor strings
from crmtui.formats import percent
from crmtui.i18n import t
from crmtui.store.scenarios import Variant
from crmtui.text import literal


def parse_weight(text: str) -> int | None:
    """A weight typed by the operator: a whole number ≥ 0, else None."""
    text = text.strip()
    return int(text) if text.isdigit() else None


def shares(weights: Sequence[int | None]) -> list[float | None]:
    """Each weight's share of the total (None for an unreadable weight or when the total is 0)."""
    total = sum(w for w in weights if w is not None)
    return [None if w is None or total <= 0 else w / total for w in weights]


def weight_text(weight: float) -> str:
    """A stored weight as the editor shows it (whole numbers without a decimal point)."""
    return str(int(weight)) if float(weight).is_integer() else str(weight)


def next_variant_name(used: Sequence[str]) -> str:
    """``A``, ``B``… the first letter (then ``V27``…) not used yet."""
    taken = set(used)
    for i in range(26):
        name = chr(ord("A") + i)
        if name not in taken:
            return name
    i = 27
    while f"V{i}" in taken:
        i += 1
    return f"V{i}"


class VariantRow(Horizontal):
    """One variant: name, template, weight and share."""

    DEFAULT_CSS = """
    VariantRow { height: 1; margin-bottom: 1; }
    VariantRow > .variant-name { width: 16; margin-right: 1; }
    VariantRow > .variant-template { width: 1fr; margin-right: 1; }
    VariantRow > .variant-weight { width: 8; }
    VariantRow > .variant-share { width: 9; text-align: right; }
    """

    def __init__(self, variant: Variant, templates: Sequence[str], *, locked: bool) -> None:
        """Args:
        variant: the variant as stored (its id and counters are kept).
        templates: the scenario's template names.
        locked: the variant must stay: its name is fixed and it cannot be removed.
        """
        super().__init__(classes="variant-row")
        self.variant = variant
        self.templates = list(templates)
        self.locked = locked

    def compose(self) -> ComposeResult:
        """Name, template, weight, share."""
        yield Input(
            self.variant.name,
            placeholder=t("scenario_edit.variant.name"),
            classes="variant-name",
            compact=True,
            disabled=self.locked,
            tooltip=t("scenario_edit.variant.locked") if self.locked else None,
        )
        options = [(literal(n), n) for n in self.templates]
        if self.variant.template and self.variant.template not in self.templates:
            options.append((literal(self.variant.template), self.variant.template))
        yield Select(
            options,
            value=self.variant.template if self.variant.template else Select.NULL,
            prompt=t("scenario_edit.variant.template"),
            allow_blank=not options,
            classes="variant-template",
            compact=True,
        )
        yield Input(
            weight_text(self.variant.weight),
            placeholder=t("scenario_edit.variant.weight"),
            restrict=r"\d*",
            max_length=6,
            classes="variant-weight",
            compact=True,
        )
        yield Label("", classes="variant-share")

    @property
    def name_text(self) -> str:
        """The name as typed."""
        return self.query_one(".variant-name", Input).value.strip()

    @property
    def weight(self) -> int | None:
        """The weight as typed (None when empty)."""
        return parse_weight(self.query_one(".variant-weight", Input).value)

    @property
    def template(self) -> str:
        """The chosen template ("" when none)."""
        value = self.query_one(".variant-template", Select).value
        return value if isinstance(value, str) else ""

    def show_share(self, share: float | None) -> None:
        """Show this variant's share of the step's traffic."""
        self.query_one(".variant-share", Label).update("—" if share is None else percent(share))

    def read(self) -> Variant:
        """The variant as edited (id and counters kept)."""
        weight = self.weight
        return replace(
            self.variant,
            name=self.name_text,
            template=self.template,
            weight=float(weight if weight is not None else 0),
        )


class VariantsEditor(Vertical):
    """Every variant of a step, with a total line; rows are added and removed by the step editor."""

    DEFAULT_CSS = """
    VariantsEditor { height: auto; }
    VariantsEditor > #variants-rows { height: auto; }
    VariantsEditor > #variants-total { color: $text-muted; padding: 0 1; }
    """

    def __init__(
        self,
        variants: Sequence[Variant],
        templates: Sequence[str],
        *,
        locked_names: Sequence[str] = (),
        id: str | None = None,
    ) -> None:
        """Args:
        variants: the step's variants.
        templates: the scenario's template names.
        locked_names: variants that must stay (the scenario has enrolled contacts): name fixed.
        id: the widget id.
        """
        super().__init__(id=id)
        self.initial = list(variants)
        self.templates = list(templates)
        self.locked_names = set(locked_names)

    def compose(self) -> ComposeResult:
        """The title, the rows, the total."""
        yield Label(t("scenario_edit.variants.title"), classes="section-title")
        with Vertical(id="variants-rows"):
            for v in self.initial:
                yield VariantRow(v, self.templates, locked=v.name in self.locked_names)
        yield Static("", id="variants-total")

    def on_mount(self) -> None:
        """First shares."""
        self.refresh_shares()

    @property
    def rows(self) -> list[VariantRow]:
        """The rows in order."""
        return list(self.query(VariantRow))

    @on(Input.Changed, ".variant-weight")
    def _weight_changed(self, _: Input.Changed) -> None:
        self.refresh_shares()

    def refresh_shares(self) -> None:
        """Recompute every share from the typed weights."""
        rows = self.rows
        for row, share in zip(rows, shares([r.weight for r in rows]), strict=True):
            row.show_share(share)
        total = sum(r.weight or 0 for r in rows)
        self.query_one("#variants-total", Static).update(
            t("scenario_edit.variants.none")
            if not rows
            else t("scenario_edit.variants.total", n=len(rows), total=total)
        )

    async def add_variant(self, default_template: str) -> None:
        """Append a variant named ``A``, ``B``… with weight 1 and focus its name."""
        name = next_variant_name([r.name_text for r in self.rows])
        template = default_template or (self.templates[0] if self.templates else "")
        row = VariantRow(Variant(name, template, 1.0), self.templates, locked=False)
        await self.query_one("#variants-rows", Vertical).mount(row)
        row.query_one(".variant-name", Input).focus()
        self.refresh_shares()

    async def remove_row(self, row: VariantRow) -> bool:
        """Remove ``row`` unless it is locked (returns False then)."""
        if row.locked:
            return False
        await row.remove()
        self.refresh_shares()
        return True

    def focused_row(self) -> VariantRow | None:
        """The row holding the focus, if any."""
        focused = self.screen.focused
        while focused is not None and focused is not self:
            if isinstance(focused, VariantRow):
                return focused
            focused = focused.parent  # type: ignore[assignment]
        return None

    def read(self) -> tuple[list[Variant], list[str]]:
        """The variants as edited and every problem with them (empty name, duplicates, weights)."""
        problems: list[str] = []
        variants: list[Variant] = []
        for i, row in enumerate(self.rows, start=1):
            if not row.name_text:
                problems.append(t("scenario_edit.v.variant_name", n=i))
            if row.weight is None:
                problems.append(t("scenario_edit.v.variant_weight", n=i))
            if not row.template:
                problems.append(t("scenario_edit.v.variant_template", n=i))
            variants.append(row.read())
        names = [v.name for v in variants if v.name]
        if len(set(names)) != len(names):
            problems.append(t("scenario_edit.v.variant_duplicate"))
        weights = [r.weight for r in self.rows]
        if variants and all(w is not None for w in weights) and sum(w or 0 for w in weights) <= 0:
            problems.append(t("scenario_edit.v.variant_zero"))
        return variants, problems
