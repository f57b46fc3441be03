"""Scenarios: validation, TOML import/export, start/pause/resume/stop, and the cycle step.

A scenario file is TOML, one per scenario, readable in a diff::

    name = "Bienvenue"
    daily_cap = 200
    timezone = "Europe/Paris"

    [window]
    start = "09:00"
    end = "18:00"
    days = ["mon", "tue", "wed", "thu", "fri"]

    [audience]
    copper_tags = ["Client"]

    [[steps]]
    position = 1
    name = "Welcome"
    trigger = "entry"
    template = "welcome"

    [templates.welcome]
    subject = "Bienvenue {{first_name}}"
    html = "<p>Bonjour {{contact_name}}</p>"

The estate document's settings lines are accepted as written, before the first ``[section]``
(``scenario.send_days = 'mon,tue,wed,thu,fri'``, ``scenario.only_deliverable = True``...): see
:mod:`crmtui.engine.scenario_settings`.

The sending itself (claim, send, record) lives in :mod:`crmtui.engine.sending`.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import crmtui.i18n.scenarios  # noqa: F401 - registers the scenario strings
from crmtui.config import Settings
from crmtui.engine import scenario_settings as settings_forms
from crmtui.engine.cycle import StepContext, StepResult, register_step
from crmtui.engine.events import Notice
from crmtui.engine.replies import poll_before_tick
from crmtui.engine.scenario_settings import DAY_NAMES
from crmtui.engine.sending import TickResult, run_tick
from crmtui.engine.templates import Template, TemplateProblem, syntax_problems, unknown_variables
from crmtui.i18n import t
from crmtui.records.emails import email_key
from crmtui.store import Store
from crmtui.store.scenarios import (
    STATUSES,
    TRIGGERS,
    Audience,
    AutoWinner,
    Scenario,
    Step,
    TemplateRow,
    Variant,
    scenario_repo,
)

SENDERS = ("auto", "ses", "smtp")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


class ScenarioInvalid(Exception):
    """A scenario cannot be saved or started; ``problems`` lists every reason in plain words."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


# -- validation -------------------------------------------------------------------------------------


def validate(scenario: Scenario, known_variables: Iterable[str] | None = None) -> list[str]:
    """Every problem of ``scenario`` (empty when it can run), in the operator's language."""
    from crmtui.engine.templates import KNOWN_VARIABLES

    known = set(known_variables) if known_variables is not None else set(KNOWN_VARIABLES)
    problems: list[str] = []
    if not scenario.name.strip():
        problems.append(t("scenarios.v.name"))
    if scenario.status not in STATUSES:
        problems.append(t("scenarios.v.status", value=scenario.status, allowed=", ".join(STATUSES)))
    try:
        ZoneInfo(scenario.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(t("scenarios.v.timezone", value=scenario.timezone))
    for label, value in (("start", scenario.window_start), ("end", scenario.window_end)):
        if not _HHMM.match(value):
            problems.append(t("scenarios.v.window", which=label, value=value))
    if not scenario.send_days or any(d not in range(1, 8) for d in scenario.send_days):
        problems.append(t("scenarios.v.days", value=scenario.send_days))
    bad = settings_forms.bad_domains(scenario.exclude_domains)
    if bad:
        problems.append(t("scenarios.v.domain_bad", names=", ".join(f"“{d}”" for d in bad)))
    if not scenario.stop_on_unsubscribe:
        problems.append(t("scenarios.v.stop_on_unsubscribe"))
    if scenario.daily_cap < 0:
        problems.append(t("scenarios.v.cap", value=scenario.daily_cap))
    if scenario.cooldown_days < 0:
        problems.append(t("scenarios.v.cooldown", value=scenario.cooldown_days))
    if not 0 <= scenario.min_validation_score <= 100:
        problems.append(t("scenarios.v.score", value=scenario.min_validation_score))
    if scenario.sender not in SENDERS:
        problems.append(t("scenarios.v.sender", value=scenario.sender, allowed=", ".join(SENDERS)))
    aw = scenario.auto_winner
    if aw.metric not in ("opened", "clicked") or not 0 < aw.alpha < 1 or aw.min_sends < 1:
        problems.append(t("scenarios.v.auto_winner"))
    if not scenario.steps:
        problems.append(t("scenarios.v.no_steps"))
    positions = [s.position for s in scenario.steps]
    if len(set(positions)) != len(positions):
        problems.append(t("scenarios.v.positions"))
    first = scenario.first_step()
    if first is not None and first.trigger not in ("entry", "delay"):
        problems.append(t("scenarios.v.first_trigger", step=first.name))
    for step in scenario.steps:
        if step.trigger not in TRIGGERS:
            problems.append(
                t("scenarios.v.trigger", step=step.name, value=step.trigger, allowed=", ".join(TRIGGERS))
            )
        if step.delay_days < 0 or step.delay_hours < 0:
            problems.append(t("scenarios.v.delay", step=step.name))
        if step.parent_position is not None and (
            step.parent_position >= step.position or step.parent_position not in positions
        ):
            problems.append(t("scenarios.v.parent", step=step.name, value=step.parent_position))
        used = [step.template] + [v.template for v in step.variants]
        for name in used:
            if name not in scenario.templates:
                problems.append(t("scenarios.v.template_missing", step=step.name, template=name))
        names = [v.name for v in step.variants]
        if len(set(names)) != len(names):
            problems.append(t("scenarios.v.variant_names", step=step.name))
        if step.variants and (
            any(v.weight < 0 for v in step.variants) or sum(v.weight for v in step.variants) <= 0
        ):
            problems.append(t("scenarios.v.weights", step=step.name))
    for tpl in scenario.templates.values():
        if not tpl.subject.strip():
            problems.append(t("scenarios.v.subject", template=tpl.name))
        if not tpl.html.strip() and not tpl.text.strip():
            problems.append(t("scenarios.v.body", template=tpl.name))
        problems += template_problems(Template(tpl.name, tpl.subject, tpl.html, tpl.text), known)
    return problems


def template_problems(template: Template, known: Iterable[str]) -> list[str]:
    """A template's syntax errors (part and line named) and unknown variables, in plain words."""
    problems = [
        t("scenarios.v.template_syntax", template=p.template, part=p.part, line=p.line, detail=p.detail)
        for p in syntax_problems(template)
    ]
    unknown = unknown_variables(template, known)
    if unknown:
        problems.append(
            t(
                "scenarios.v.unknown_variable",
                template=template.name,
                names=", ".join("{{" + n + "}}" for n in unknown),
            )
        )
    return problems


def problem_text(problem: TemplateProblem) -> str:
    """A :class:`TemplateProblem` met while rendering, in plain words."""
    if problem.kind == "syntax":
        return t(
            "scenarios.v.template_syntax",
            template=problem.template,
            part=problem.part,
            line=problem.line,
            detail=problem.detail,
        )
    if problem.kind == "undefined":
        return t(
            "scenarios.v.unknown_variable", template=problem.template, names="{{" + problem.detail + "}}"
        )
    return t(
        "scenarios.v.template_render", template=problem.template, part=problem.part, detail=problem.detail
    )


def known_variables(store: Store | None = None) -> set[str]:
    """Template variables: the base ones plus every column of ``contacts`` and ``customers``."""
    from crmtui.engine.templates import KNOWN_VARIABLES

    names = set(KNOWN_VARIABLES)
    if store is not None:
        names |= store.scenarios.contact_field_names()
        names -= {
            "row_hash",
            "base",
            "copper_state",
            "mc_state",
            "managed_tags",
            "other_emails",
            "name_key",
            "invalid_fields",
        }
    return names


# -- TOML ---------------------------------------------------------------------------------------------


def from_dict(data: dict[str, Any]) -> Scenario:
    """Build a scenario from a parsed TOML document.

    The document's forms are accepted (:mod:`crmtui.engine.scenario_settings`): ``scenario.x``
    and flat keys (``send_days``, ``exclude_domains``...), comma-separated strings or lists.

    Raises:
        ScenarioInvalid: a key or a value has the wrong type or is not valid (each named).
    """
    problems: list[str] = []
    data, conflicts = settings_forms.flatten(data)
    for key, other, value, other_value in conflicts:
        problems.append(t("scenarios.v.conflict", key=key, other=other, value=value, other_value=other_value))
    for table in settings_forms.misplaced_flat_keys(data):
        problems.append(t("scenarios.v.misplaced", table=table))

    def flag(section: dict[str, Any], key: str, default: bool) -> bool:
        value = settings_forms.parse_bool(section.get(key, default))
        if value is None:
            problems.append(t("scenarios.v.bool", key=key, value=section.get(key)))
            return default
        return value

    try:
        window = data.get("window", {})
        filters = data.get("filters", {})
        options = data.get("options", {})
        abt = data.get("ab", {})
        templates = {
            str(name): TemplateRow(
                str(name), str(v.get("subject", "")), str(v.get("html", "")), str(v.get("text", ""))
            )
            for name, v in (data.get("templates") or {}).items()
        }
        steps = []
        for i, s in enumerate(data.get("steps") or [], start=1):
            template = str(s.get("template") or "")
            variants = [
                Variant(
                    str(v.get("name") or f"V{j}"),
                    str(v.get("template") or template),
                    float(v.get("weight", 1)),
                )
                for j, v in enumerate(s.get("variants") or [], start=1)
            ]
            if not template and variants:
                template = variants[0].template
            # step_order, step_name, trigger_type, parent_step_id: the document's API names.
            parent = s.get("parent", s.get("parent_step_id"))
            steps.append(
                Step(
                    position=int(s.get("position", s.get("step_order", i))),
                    name=str(s.get("name") or s.get("step_name") or f"step {i}"),
                    template=template,
                    trigger=str(
                        s.get("trigger", s.get("trigger_type", "entry" if i == 1 else "delay"))
                    ).lower(),
                    delay_days=float(s.get("delay_days", 0)),
                    delay_hours=float(s.get("delay_hours", 0)),
                    parent_position=int(parent) if parent is not None else None,
                    variants=variants,
                )
            )
        send_days, bad_days = settings_forms.parse_days(window.get("days", [1, 2, 3, 4, 5]))
        if bad_days:
            problems.append(t("scenarios.v.day_unknown", names=", ".join(f"“{d}”" for d in bad_days)))
        domains, bad_domains = settings_forms.parse_domains(filters.get("exclude_domains", []))
        if bad_domains:
            problems.append(t("scenarios.v.domain_bad", names=", ".join(f"“{d}”" for d in bad_domains)))
        scenario = Scenario(
            name=str(data.get("name", "")).strip(),
            description=str(data.get("description", "")),
            status=str(data.get("status", "draft")),
            daily_cap=int(data.get("daily_cap", 0)),
            cooldown_days=float(data.get("cooldown_days", 0)),
            window_start=str(window.get("start", "09:00")),
            window_end=str(window.get("end", "18:00")),
            send_days=send_days,
            timezone=str(data.get("timezone", "Europe/Paris")),
            min_validation_score=int(filters.get("min_validation_score", 0)),
            only_deliverable=flag(filters, "only_deliverable", True),
            exclude_domains=domains,
            stop_on_reply=flag(options, "stop_on_reply", True),
            stop_on_unsubscribe=flag(options, "stop_on_unsubscribe", True),
            include_unsubscribe=flag(options, "include_unsubscribe", True),
            audience=Audience.from_dict(data.get("audience")),
            auto_winner=AutoWinner(
                enabled=flag(abt, "auto_winner", False),
                metric=str(abt.get("metric", "opened")),
                min_sends=int(abt.get("min_sends", 100)),
                alpha=float(abt.get("alpha", 0.05)),
            ),
            sender=str(data.get("sender", "auto")),
            steps=steps,
            templates=templates,
        )
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        raise ScenarioInvalid([*problems, t("scenarios.v.toml", detail=str(exc))]) from exc
    if problems:
        raise ScenarioInvalid(problems)
    return scenario


def loads_toml(text: str) -> Scenario:
    """Parse a scenario file.

    Raises:
        ScenarioInvalid: not TOML, or wrong types.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # ``only_deliverable = True``: the document's Python spelling of TOML's ``true``.
        fixed = settings_forms.python_booleans(text)
        if fixed == text:
            raise ScenarioInvalid([t("scenarios.v.toml", detail=str(exc))]) from exc
        try:
            data = tomllib.loads(fixed)
        except tomllib.TOMLDecodeError:
            raise ScenarioInvalid([t("scenarios.v.toml", detail=str(exc))]) from exc
    return from_dict(data)


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(name: str) -> str:
    return name if _BARE_KEY.match(name) else _str(name)


def _str(value: str) -> str:
    # A JSON string is a valid TOML basic string (same escapes).
    return json.dumps(value, ensure_ascii=False)


def _multiline(value: str) -> str:
    if "\n" not in value:
        return _str(value)
    escaped = value.replace("\\", "\\\\").replace('"""', '""\\"')
    escaped = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", lambda m: f"\\u{ord(m.group()):04x}", escaped)
    return '"""\n' + escaped + ('\\\n"""' if not value.endswith("\n") else '"""')


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(type(value))


def dumps_toml(scenario: Scenario) -> str:
    """The scenario as a TOML file (stable order; multi-line bodies as multi-line strings)."""
    lines = [
        "# crmtui scenario (import with: crmtui scenarios import FILE)",
        f"name = {_str(scenario.name)}",
        f"description = {_multiline(scenario.description)}",
        f"daily_cap = {scenario.daily_cap}",
        f"cooldown_days = {_value(scenario.cooldown_days)}",
        f"timezone = {_str(scenario.timezone)}",
        f"sender = {_str(scenario.sender)}",
        "",
        "[window]",
        f"start = {_str(scenario.window_start)}",
        f"end = {_str(scenario.window_end)}",
        f"days = {_value([DAY_NAMES[d - 1] for d in sorted(set(scenario.send_days)) if 1 <= d <= 7])}",
        "",
        "[filters]",
        f"min_validation_score = {scenario.min_validation_score}",
        f"only_deliverable = {_value(scenario.only_deliverable)}",
        f"exclude_domains = {_value(list(scenario.exclude_domains))}",
        "",
        "[options]",
        f"stop_on_reply = {_value(scenario.stop_on_reply)}",
        f"stop_on_unsubscribe = {_value(scenario.stop_on_unsubscribe)}",
        f"include_unsubscribe = {_value(scenario.include_unsubscribe)}",
        "",
        "[audience]",
        *(f"{k} = {_value(v)}" for k, v in scenario.audience.as_dict().items()),
        "",
        "[ab]",
        f"auto_winner = {_value(scenario.auto_winner.enabled)}",
        f"metric = {_str(scenario.auto_winner.metric)}",
        f"min_sends = {scenario.auto_winner.min_sends}",
        f"alpha = {_value(scenario.auto_winner.alpha)}",
    ]
    for step in sorted(scenario.steps, key=lambda s: s.position):
        lines += [
            "",
            "[[steps]]",
            f"position = {step.position}",
            f"name = {_str(step.name)}",
            f"trigger = {_str(step.trigger)}",
            f"delay_days = {_value(step.delay_days)}",
            f"delay_hours = {_value(step.delay_hours)}",
            f"template = {_str(step.template)}",
        ]
        if step.parent_position is not None:
            lines.append(f"parent = {step.parent_position}")
        for v in step.variants:
            lines += [
                "",
                "[[steps.variants]]",
                f"name = {_str(v.name)}",
                f"template = {_str(v.template)}",
                f"weight = {_value(v.weight)}",
            ]
    for name in sorted(scenario.templates):
        tpl = scenario.templates[name]
        lines += [
            "",
            f"[templates.{_key(name)}]",
            f"subject = {_str(tpl.subject)}",
            f"html = {_multiline(tpl.html)}",
            f"text = {_multiline(tpl.text)}",
        ]
    return "\n".join(lines) + "\n"


def import_file(store: Store, path: Path, *, actor: str = "operator") -> Scenario:
    """Validate and save a TOML scenario (an existing one of that name keeps its status).

    Raises:
        ScenarioInvalid: with every problem.
        OSError: the file cannot be read.
    """
    scenario = loads_toml(path.read_text(encoding="utf-8"))
    problems = validate(scenario, known_variables(store))
    if problems:
        raise ScenarioInvalid(problems)
    repo = scenario_repo(store)
    existing = repo.get(scenario.name)
    scenario.status = existing.status if existing else "draft"
    scenario.id = repo.save(scenario, actor=actor)
    return scenario


def export_text(store: Store, name: str) -> str:
    """The TOML of a stored scenario.

    Raises:
        KeyError: no scenario of that name.
    """
    scenario = scenario_repo(store).get(name)
    if scenario is None:
        raise KeyError(name)
    return dumps_toml(scenario)


# -- lifecycle -----------------------------------------------------------------------------------------


def start(store: Store, name: str, *, actor: str = "operator", now: datetime | None = None) -> int:
    """Validate, activate and enrol the audience (idempotent: nobody is enrolled twice).

    Returns:
        Sequences created now.

    Raises:
        KeyError: unknown scenario.
        ScenarioInvalid: the definition has problems.
    """
    repo = scenario_repo(store)
    scenario = repo.get(name)
    if scenario is None:
        raise KeyError(name)
    problems = validate(scenario, known_variables(store))
    if problems:
        raise ScenarioInvalid(problems)
    repo.set_status(scenario.id, "active", actor=actor)
    return enrol(store, scenario, now=now)


def enrol(store: Store, scenario: Scenario, *, now: datetime | None = None) -> int:
    """Enrol the scenario's current audience (new contacts only)."""
    repo = scenario_repo(store)
    return repo.enrol(scenario, repo.audience_emails(scenario.audience), now=now or datetime.now(UTC))


def enrol_test(store: Store, name: str, emails: list[str], *, now: datetime | None = None) -> int:
    """Enrol test contacts in a draft scenario (sent by ticks while it is still a draft).

    Raises:
        KeyError: unknown scenario.
        ValueError: the scenario is not a draft.
    """
    repo = scenario_repo(store)
    scenario = repo.get(name)
    if scenario is None:
        raise KeyError(name)
    if scenario.status != "draft":
        raise ValueError(t("scenarios.not_draft", name=name))
    clean = sorted({email_key(e) for e in emails if email_key(e)})
    return repo.enrol(scenario, clean, now=now or datetime.now(UTC), test=True)


def set_status(store: Store, name: str, status: str, *, actor: str = "operator") -> str:
    """Pause, resume (``active``) or stop a scenario; returns the previous status.

    Raises:
        KeyError: unknown scenario.
    """
    repo = scenario_repo(store)
    scenario = repo.get(name)
    if scenario is None:
        raise KeyError(name)
    return repo.set_status(scenario.id, status, actor=actor)


# -- the cycle step ---------------------------------------------------------------------------------------


def summarize(result: TickResult) -> str:
    """One line for logs and the run report."""
    refused = ", ".join(f"{k} {v}" for k, v in sorted(result.refused.items()))
    text = t(
        "scenarios.tick",
        sent=result.sent,
        failed=result.failed,
        deferred=result.deferred,
        unknown=result.unknown,
        throttled=result.throttled,
    )
    if refused:
        text += f"; {t('scenarios.tick.refused')}: {refused}"
    if result.held_back:
        text += f"; {t('scenarios.tick.held_back', n=result.held_back, filter=result.test_filter)}"
    if result.recovered:
        text += f"; {t('scenarios.tick.recovered', n=result.recovered)}"
    return text


async def tick(
    settings: Settings,
    store: Store,
    *,
    enrol_audiences: bool = True,
    **kwargs: Any,
) -> TickResult:
    """Enrol new audience members of active scenarios, then run :func:`run_tick`."""
    if enrol_audiences and not kwargs.get("dry_run"):
        repo = scenario_repo(store)
        for scenario in repo.all():
            if scenario.status == "active":
                enrol(store, scenario)
    return await run_tick(settings, store, **kwargs)


def _applies(settings: Settings) -> bool:
    return True  # a tick with no active scenario does nothing, quickly


@register_step("scenarios", applies=_applies)
async def scenarios_step(ctx: StepContext) -> StepResult:
    """One tick of every active scenario (``crmtui --headless --only scenarios``)."""
    await poll_before_tick(ctx)  # stop_on_reply: IMAP replies stop their sequences first (errors: a Notice)
    result = await tick(ctx.settings, ctx.store, emit=ctx.emit, cancel=ctx.cancel, dry_run=ctx.dry_run)
    for error in result.errors:
        ctx.emit(Notice("error", error))
    for winner in result.winners:
        ctx.emit(Notice("info", t("scenarios.winner", detail=winner)))
    if result.scenarios == 0 and not result.errors and not result.recovered:
        return StepResult(status="skipped", detail=t("scenarios.none_active"))
    status = "ok"
    if result.errors and not result.sent:
        status = "failed"
    elif result.failed or result.unknown or result.errors:
        status = "partial"
    return StepResult(
        status=status,
        total=result.total,
        succeeded=result.sent,
        failed=result.failed,
        skipped=result.deferred + result.unknown,
        detail="; ".join([summarize(result), *result.errors]),
        summary={
            "sent": result.sent,
            "failed": result.failed,
            "deferred": result.deferred,
            "unknown": result.unknown,
            "throttled": result.throttled,
            "recovered": result.recovered,
            "refused": dict(result.refused),
            "held_back": result.held_back,
        },
    )
