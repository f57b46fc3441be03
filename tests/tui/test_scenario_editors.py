"""Pilot tests of the scenario editors, driven by keys: create, steps, variants and weights,
templates with unknown variables refused, the preview for a contact, active scenarios refused."""

from __future__ import annotations

from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, Label, OptionList, Static

from crmtui.app import CrmApp, make_app
from crmtui.config import Settings
from crmtui.records.canonical import Batch, Customer
from crmtui.screens.confirm import ConfirmScreen
from crmtui.screens.scenario_edit import ScenarioEditScreen, StepEditScreen, TemplateEditScreen
from crmtui.screens.scenarios import ScenariosScreen
from crmtui.screens.template_preview import TemplatePreviewScreen
from crmtui.store import Store
from crmtui.store.etl import etl_repo
from crmtui.store.scenarios import Audience, Scenario, Step, TemplateRow, Variant, scenario_repo
from crmtui.widgets.scenario_form import parse_days
from crmtui.widgets.scenario_variants import VariantRow, shares

HOSTILE = "[bold]Dupont[/bold]\x1b[31m"


async def settle(app: CrmApp, pilot: Pilot[int]) -> None:
    """Let workers finish and the screen redraw."""
    await app.workers.wait_for_complete()
    await pilot.pause()


async def paste(pilot: Pilot[int], text: str) -> None:
    """Paste ``text`` into the focused field, as a terminal's bracketed paste does (keys are slow)."""
    pilot.app.post_message(events.Paste(text))
    await pilot.pause()


async def open_scenarios(app: CrmApp, pilot: Pilot[int]) -> ScenariosScreen:
    await pilot.press("e")
    await settle(app, pilot)
    assert isinstance(app.screen, ScenariosScreen)
    return app.screen


async def add_template(app: CrmApp, pilot: Pilot[int], name: str, subject: str, html: str) -> None:
    """``a`` in the templates table, name, subject, HTML body, ctrl+s."""
    await pilot.press("f3", "a")
    await pilot.pause()
    assert isinstance(app.screen, TemplateEditScreen)
    await paste(pilot, name)
    await pilot.press("tab")
    await paste(pilot, subject)
    await pilot.press("tab")
    await paste(pilot, html)
    await pilot.press("ctrl+s")
    await pilot.pause()


async def set_weight(pilot: Pilot[int], weight: str) -> None:
    """From a new variant's name: tab to the weight, replace it."""
    await pilot.press("tab", "tab", "backspace", *weight)


def variant_shares(app: CrmApp) -> list[str]:
    return [str(row.query_one(".variant-share", Label).content) for row in app.screen.query(VariantRow)]


def test_shares_follow_the_weights() -> None:
    assert shares([30, 70]) == [0.3, 0.7]
    assert shares([0, 0]) == [None, None]
    assert shares([None, 5]) == [None, 1.0]


def test_days_parse_in_both_languages() -> None:
    assert parse_days("mon-fri") == [1, 2, 3, 4, 5]
    assert parse_days("lun, mer sam") == [1, 3, 6]
    assert parse_days("1 7") == [1, 7]
    assert parse_days("someday") is None
    assert parse_days("fri-mon") is None


async def test_create_a_scenario_with_two_steps_and_weighted_variants(
    settings: Settings, store: Store
) -> None:
    app = make_app(settings, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_scenarios(app, pilot)
        await pilot.press("N")
        await settle(app, pilot)
        editor = app.screen
        assert isinstance(editor, ScenarioEditScreen)
        await paste(pilot, "Relance")
        await add_template(app, pilot, "t1", "Bonjour {{first_name}}", "<p>Hello {{contact_name}}</p>")
        await add_template(app, pilot, "t2", "Salut {{first_name}}", "<p>Hi</p>")
        assert sorted(editor.draft.templates) == ["t1", "t2"]
        assert app.screen is editor

        # Step 1: two variants, 30/70, the second on t2.
        await pilot.press("f2", "a")
        await pilot.pause()
        assert isinstance(app.screen, StepEditScreen)
        await pilot.press("ctrl+n")
        await set_weight(pilot, "30")
        await pilot.press("ctrl+n")
        await pilot.press("tab", "enter", "down", "enter")  # variant B: template t2
        await pilot.press("tab", "backspace", "7", "0")
        await pilot.pause()
        assert variant_shares(app) == ["30.0%", "70.0%"]
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is editor

        # Step 2: defaults (after a delay of one day).
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, StepEditScreen)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert [s.position for s in editor.draft.steps] == [1, 2]
        await pilot.press("shift+up")  # step 2 first...
        assert [s.name for s in editor.draft.steps] == ["Step 2", "Step 1"]
        await pilot.press("shift+down")  # ...and back
        assert [s.name for s in editor.draft.steps] == ["Step 1", "Step 2"]

        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, ScenariosScreen)

    saved = scenario_repo(store).get("Relance")
    assert saved is not None and saved.status == "draft"
    assert [(s.position, s.trigger, s.template) for s in saved.steps] == [
        (1, "entry", "t1"),
        (2, "delay", "t1"),
    ]
    assert saved.steps[1].delay_days == 1.0
    assert [(v.name, v.template, v.weight) for v in saved.steps[0].variants] == [
        ("A", "t1", 30.0),
        ("B", "t2", 70.0),
    ]
    assert saved.templates["t1"].subject == "Bonjour {{first_name}}"
    assert saved.templates["t2"].html == "<p>Hi</p>"


async def test_unknown_variable_is_refused_and_problems_show_at_once(
    settings: Settings, store: Store
) -> None:
    app = make_app(settings, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_scenarios(app, pilot)
        await pilot.press("N")
        await settle(app, pilot)
        editor = app.screen
        assert isinstance(editor, ScenarioEditScreen)
        await add_template(app, pilot, "t1", "Bonjour {{prenom}}", "<p>Hello</p>")
        modal = app.screen
        assert isinstance(modal, TemplateEditScreen)  # refused: still open
        problems = str(modal.query_one("#tpl-problems", Static).content)
        assert "unknown variable(s) {{prenom}}" in problems
        assert "{{first_name}}" in str(modal.query_one("#tpl-known", Static).content)
        await pilot.press("escape")
        await pilot.pause()
        assert editor.draft.templates == {}
        assert app.screen is editor

        # Save with no name, a bad time zone and no step: every problem at once.
        await pilot.press("f4")
        timezone = editor.query_one("#field-timezone", Input)
        timezone.focus()
        await pilot.press("ctrl+u")
        await paste(pilot, "Mars/Olympus")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.screen is editor
        assert "unknown time zone: Mars/Olympus" in str(
            editor.query_one("#row-timezone .field-error", Static).content
        )
        assert "no name" in str(editor.query_one("#row-name .field-error", Static).content)
        assert "has no step" in str(editor.query_one("#edit-problems", Static).content)
        assert scenario_repo(store).names() == []
        await pilot.press("escape")  # something changed: asks first
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, ScenariosScreen)


def seed_active(store: Store) -> None:
    etl_repo(store).load_batch(
        "t",
        Batch(
            records=[
                Customer(
                    customer_key="c-1",
                    first_name="Maëlle",
                    last_name=HOSTILE,
                    email="maelle@exemple.fr",
                    source="t",
                ),
                Customer(
                    customer_key="c-2",
                    first_name="Paul",
                    last_name="Petit",
                    email="paul@exemple.fr",
                    source="t",
                ),
            ]
        ),  # type: ignore[arg-type]
    )
    scenario_repo(store).save(
        Scenario(
            name="Bienvenue",
            status="active",
            audience=Audience(emails=["paul@exemple.fr", "maelle@exemple.fr"]),
            steps=[Step(1, "welcome", "a", variants=[Variant("A", "a", 1), Variant("B", "b", 0)])],
            templates={
                "a": TemplateRow("a", "Bonjour {{first_name}}", "<p>Bonjour {{contact_name}}</p>"),
                "b": TemplateRow("b", "Salut {{first_name}}", "<p>Salut</p>", "Salut {{first_name}}"),
            },
        )
    )


async def test_preview_for_a_chosen_contact_shows_their_first_name(settings: Settings, store: Store) -> None:
    seed_active(store)
    app = make_app(settings, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_scenarios(app, pilot)
        await pilot.press("P")
        await settle(app, pilot)
        preview = app.screen
        assert isinstance(preview, TemplatePreviewScreen)
        assert preview.query_one("#preview-results", OptionList).option_count == 2
        await paste(pilot, "maël")  # by first name (a customer search)
        await settle(app, pilot)
        assert preview.query_one("#preview-results", OptionList).option_count == 1
        await pilot.press("enter")
        await settle(app, pilot)
        shown = str(preview.query_one("#preview-output", Static).content)
        assert "To: maelle@exemple.fr" in shown
        assert "Subject: Bonjour Maëlle" in shown  # variant A: B weighs 0
        assert "[bold]Dupont[/bold]\\x1b[31m" in shown  # the hostile last name, literally
        assert "/u/" in shown or "Bonjour Maëlle" in shown
        assert scenario_repo(store).ledger_counts() == {}  # nothing claimed, nothing sent
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ScenariosScreen)


async def test_an_active_scenario_is_edited_only_once_paused(settings: Settings, store: Store) -> None:
    seed_active(store)
    app = make_app(settings, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_scenarios(app, pilot)
        await pilot.press("E")
        await settle(app, pilot)
        assert isinstance(app.screen, ScenariosScreen)
        assert any("pause it first" in str(n.message) for n in app._notifications)
        await pilot.press("p")
        await settle(app, pilot)
        assert scenario_repo(store).get("Bienvenue").status == "paused"  # type: ignore[union-attr]
        await pilot.press("E")
        await settle(app, pilot)
        editor = app.screen
        assert isinstance(editor, ScenarioEditScreen)
        assert editor.query_one("#field-name", Input).disabled  # a save is by name: no rename
        await paste(pilot, " (printemps)")  # the description has the focus
        await pilot.press("f2", "enter")
        await pilot.pause()
        assert isinstance(app.screen, StepEditScreen)
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, ScenariosScreen)
    saved = scenario_repo(store).get("Bienvenue")
    assert saved is not None and saved.status == "paused"
    assert saved.description == "(printemps)"
