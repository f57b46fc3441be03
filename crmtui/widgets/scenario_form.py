"""The scenario editor's settings form: name, window, limits, filters, options and audience.

:meth:`ScenarioForm.read` parses every field into a scenario and returns every problem at once,
keyed by field, in the engine's words where the engine has them (so the editor can show a field's
problem under the field and the engine's other problems above the form without saying anything
twice). A field that does not parse leaves the scenario's value as it was.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, SelectionList, Static

import crmtui.i18n.scenarios  # noqa: F401 - registers the editor strings
from crmtui.engine import scenario_settings as settings_forms
from crmtui.i18n import t
from crmtui.store.scenarios import Audience, Scenario
from crmtui.text import literal

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""ISO weekday names (1 = mon), as in scenario files."""

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
_SPLIT_LIST = re.compile(r"\s*,\s*")
_SPLIT_EMAILS = re.compile(r"[\s,;]+")

TEXT_FIELDS = (
    "name",
    "description",
    "daily_cap",
    "cooldown_days",
    "window_start",
    "window_end",
    "send_days",
    "timezone",
    "min_validation_score",
    "exclude_domains",
    "copper_tags",
    "mailchimp_tags",
    "segments",
    "sources",
    "emails",
)
"""The form's inputs, in order (each is ``#field-<name>``)."""

TOGGLES = ("stop_on_reply", "stop_on_unsubscribe", "include_unsubscribe", "only_deliverable")
"""The form's options (one selection list, ``#field-options``: space toggles the highlighted one)."""

AUDIENCE_FIELDS = ("copper_tags", "mailchimp_tags", "segments", "sources", "emails")


def parse_days(text: str) -> list[int] | None:
    """``mon tue wed`` / ``lun,mar`` / ``1 2 3`` / ``mon-fri`` as ISO weekdays; None when unreadable."""
    days, bad = settings_forms.parse_days(text)
    return None if bad or not days else days


def days_text(days: list[int]) -> str:
    """ISO weekdays as ``mon tue wed``."""
    return " ".join(DAY_NAMES[d - 1] for d in sorted(set(days)) if 1 <= d <= 7)


def split_list(text: str) -> list[str]:
    """A comma-separated list (tags may hold spaces), blanks dropped."""
    return [p for p in _SPLIT_LIST.split(text.strip()) if p]


def split_emails(text: str) -> list[str]:
    """Emails separated by commas, semicolons, spaces or new lines (lower-cased)."""
    return [p.lower() for p in _SPLIT_EMAILS.split(text.strip()) if p]


def valid_timezone(name: str) -> bool:
    """Whether ``name`` is an IANA time zone known to zoneinfo."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _number(text: str) -> float | None:
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        return None
    return value if value == value and value not in (float("inf"), float("-inf")) else None


def field_values(scenario: Scenario) -> dict[str, str]:
    """The text of every input for ``scenario``."""
    return {
        "name": scenario.name,
        "description": scenario.description,
        "daily_cap": str(scenario.daily_cap),
        "cooldown_days": f"{scenario.cooldown_days:g}",
        "window_start": scenario.window_start,
        "window_end": scenario.window_end,
        "send_days": days_text(scenario.send_days),
        "timezone": scenario.timezone,
        "min_validation_score": str(scenario.min_validation_score),
        "exclude_domains": ", ".join(scenario.exclude_domains),
        "copper_tags": ", ".join(scenario.audience.copper_tags),
        "mailchimp_tags": ", ".join(scenario.audience.mailchimp_tags),
        "segments": ", ".join(scenario.audience.segments),
        "sources": ", ".join(scenario.audience.sources),
        "emails": ", ".join(scenario.audience.emails),
    }


def apply_fields(
    scenario: Scenario, values: Mapping[str, str], toggles: Mapping[str, bool]
) -> dict[str, str]:
    """Parse ``values`` into ``scenario`` and return every problem, by field.

    Args:
        scenario: changed in place (a field that does not parse keeps its value).
        values: the inputs' text by field name (see :data:`TEXT_FIELDS`).
        toggles: the options by name (see :data:`TOGGLES`).
    """
    problems: dict[str, str] = {}
    name = values["name"].strip()
    if not name:
        problems["name"] = t("scenarios.v.name")
    else:
        scenario.name = name
    scenario.description = values["description"].strip()
    cap = values["daily_cap"].strip() or "0"
    if cap.isdigit():
        scenario.daily_cap = int(cap)
    else:
        problems["daily_cap"] = t("scenarios.v.cap", value=cap)
    cooldown = _number(values["cooldown_days"] or "0")
    if cooldown is None:
        problems["cooldown_days"] = t("scenario_edit.v.number", value=values["cooldown_days"])
    elif cooldown < 0:
        problems["cooldown_days"] = t("scenarios.v.cooldown", value=values["cooldown_days"])
    else:
        scenario.cooldown_days = cooldown
    for field, which in (("window_start", "start"), ("window_end", "end")):
        value = values[field].strip()
        if _HHMM.match(value):
            setattr(scenario, field, value)
        else:
            problems[field] = t("scenarios.v.window", which=which, value=value)
    days = parse_days(values["send_days"])
    if days is None:
        problems["send_days"] = t("scenarios.v.days", value=values["send_days"].strip())
    else:
        scenario.send_days = days
    zone = values["timezone"].strip()
    if valid_timezone(zone):
        scenario.timezone = zone
    else:
        problems["timezone"] = t("scenarios.v.timezone", value=zone)
    score = values["min_validation_score"].strip() or "0"
    if score.isdigit() and 0 <= int(score) <= 100:
        scenario.min_validation_score = int(score)
    else:
        problems["min_validation_score"] = t("scenarios.v.score", value=score)
    scenario.exclude_domains = [d.lower().lstrip("@") for d in split_list(values["exclude_domains"])]
    bad = settings_forms.bad_domains(scenario.exclude_domains)
    if bad:
        problems["exclude_domains"] = t("scenario_edit.v.domains", value=", ".join(bad))
    emails = split_emails(values["emails"])
    wrong = [e for e in emails if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", e)]
    if wrong:
        problems["emails"] = t("scenario_edit.v.emails", value=", ".join(wrong))
    scenario.audience = Audience(
        copper_tags=split_list(values["copper_tags"]),
        mailchimp_tags=split_list(values["mailchimp_tags"]),
        segments=split_list(values["segments"]),
        sources=split_list(values["sources"]),
        emails=emails,
    )
    for toggle in TOGGLES:
        setattr(scenario, toggle, bool(toggles[toggle]))
    return problems


class FieldRow(Vertical):
    """A label, an input and the field's own problem below it."""

    DEFAULT_CSS = """
    FieldRow { height: auto; margin-bottom: 1; }
    FieldRow > Horizontal { height: auto; }
    FieldRow > Horizontal > Label { width: 24; padding: 0 1 0 0; text-align: right; }
    FieldRow > Horizontal > Input { width: 1fr; }
    FieldRow > .field-error { color: $error; padding: 0 0 0 24; width: 1fr; height: auto; display: none; }
    FieldRow.-invalid > .field-error { display: block; }
    """

    def __init__(self, field: str, value: str, *, disabled: bool = False, hint: str = "") -> None:
        super().__init__(id=f"row-{field}")
        self.field = field
        self.value = value
        self.disabled_input = disabled
        self.hint = hint

    def compose(self) -> ComposeResult:
        """Label, input, problem."""
        with Horizontal():
            yield Label(t(f"scenario_edit.field.{self.field}"))
            yield Input(
                self.value,
                id=f"field-{self.field}",
                placeholder=self.hint,
                disabled=self.disabled_input,
                restrict=r"\d*" if self.field in ("daily_cap", "min_validation_score") else None,
                select_on_focus=False,
                compact=True,
            )
        yield Static("", classes="field-error")

    def show_problem(self, problem: str) -> None:
        """Show (or clear, with "") this field's problem."""
        self.set_class(bool(problem), "-invalid")
        self.query_one(Input).set_class(bool(problem), "-invalid")
        self.query_one(".field-error", Static).update(literal(problem))


class ScenarioForm(Vertical):
    """Every setting of a scenario but its steps and templates."""

    DEFAULT_CSS = """
    ScenarioForm { height: auto; }
    ScenarioForm > #field-options { height: auto; margin: 0 0 1 2; }
    """

    def __init__(self, scenario: Scenario, *, is_new: bool) -> None:
        """Args:
        scenario: the values to start from.
        is_new: a new scenario (its name can be typed; an existing one keeps its name).
        """
        super().__init__(id="scenario-form")
        self.scenario = scenario
        self.is_new = is_new

    def compose(self) -> ComposeResult:
        """Settings, options, audience."""
        values = field_values(self.scenario)
        yield Label(t("scenario_edit.section.settings"), classes="section-title")
        for field in TEXT_FIELDS[:10]:
            yield FieldRow(
                field,
                values[field],
                disabled=field == "name" and not self.is_new,
                hint=t(f"scenario_edit.hint.{field}"),
            )
        yield Label(t("scenario_edit.section.options"), classes="section-title")
        yield SelectionList[str](
            *[
                (t(f"scenario_edit.field.{toggle}"), toggle, bool(getattr(self.scenario, toggle)))
                for toggle in TOGGLES
            ],
            id="field-options",
            compact=True,
        )
        yield Label(t("scenario_edit.section.audience"), classes="section-title")
        for field in AUDIENCE_FIELDS:
            yield FieldRow(field, values[field], hint=t(f"scenario_edit.hint.{field}"))

    def read(self, into: Scenario) -> dict[str, str]:
        """Parse every field into ``into``; return the problems by field."""
        values = {f: self.query_one(f"#field-{f}", Input).value for f in TEXT_FIELDS}
        chosen = self.query_one("#field-options", SelectionList).selected
        toggles = {f: f in chosen for f in TOGGLES}
        if not self.is_new:
            values["name"] = into.name
        return apply_fields(into, values, toggles)

    def snapshot(self) -> tuple[str, ...]:
        """Every field as typed (to tell whether anything changed)."""
        chosen = self.query_one("#field-options", SelectionList).selected
        return (
            *(self.query_one(f"#field-{f}", Input).value for f in TEXT_FIELDS),
            *(str(f in chosen) for f in TOGGLES),
        )

    def show_problems(self, problems: Mapping[str, str]) -> None:
        """Show each field's problem under it (and clear the others)."""
        for row in self.query(FieldRow):
            row.show_problem(problems.get(row.field, ""))
