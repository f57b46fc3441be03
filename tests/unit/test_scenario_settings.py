"""Scenario settings in the forms the estate's document writes them (``../shared/seeds/004…``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmtui.engine.scenario_settings import day_number, is_domain, parse_days, parse_domains
from crmtui.engine.scenarios import ScenarioInvalid, dumps_toml, loads_toml, validate
from crmtui.engine.sending_rules import recipient_problem

# The three blocks of the document's "🔧 Configuration" section, verbatim.
DOC_CONSTRAINTS = """\
scenario.daily_cap = 500              # Max 500 emails/jour
scenario.cooldown_days = 3            # Attendre 3 jours entre 2 contacts
scenario.send_window_start = '09:00'  # Envoyer entre 9h
scenario.send_window_end = '17:30'    # et 17h30
scenario.send_days = 'mon,tue,wed,thu,fri'  # Jours ouvrés seulement
scenario.timezone = 'Europe/Paris'    # Fuseau horaire
"""
DOC_FILTERS = """\
scenario.min_validation_score = 80   # Score minimum de validation email
scenario.only_deliverable = True     # Uniquement emails délivrables
scenario.exclude_domains = 'gmail.com,yahoo.com'  # Domaines exclus
"""
DOC_BEHAVIOUR = """\
scenario.stop_on_reply = True         # Arrêter si réponse reçue
scenario.stop_on_unsubscribe = True   # Arrêter si désinscription
scenario.include_unsubscribe = True   # Inclure lien désinscription
"""
DOC_BLOCKS = (DOC_CONSTRAINTS, DOC_FILTERS, DOC_BEHAVIOUR)

REST = """
[[steps]]
position = 1
name = "Email initial"
trigger = "entry"
template = "offre"

[templates.offre]
subject = "Bonjour {{domain}}"
html = "<p>Bonjour</p>"
"""


def seed_document() -> str | None:
    for parent in Path(__file__).resolve().parents:
        found = sorted((parent / "shared" / "seeds").glob("004_*.txt"))
        if found:
            return found[0].read_text(encoding="utf-8")
    return None


def test_blocks_are_the_documents_own() -> None:
    doc = seed_document()
    if doc is None:
        pytest.skip("the estate's documents are not next to this checkout")
    for block in DOC_BLOCKS:
        assert block in doc


def test_every_configuration_block_of_the_document_is_accepted_as_written() -> None:
    text = 'name = "Prospection initiale"\n' + "".join(DOC_BLOCKS) + REST
    scenario = loads_toml(text)
    assert (scenario.daily_cap, scenario.cooldown_days, scenario.timezone) == (500, 3.0, "Europe/Paris")
    assert (scenario.window_start, scenario.window_end, scenario.send_days) == (
        "09:00",
        "17:30",
        [1, 2, 3, 4, 5],
    )
    assert (scenario.min_validation_score, scenario.only_deliverable) == (80, True)
    assert scenario.exclude_domains == ["gmail.com", "yahoo.com"]
    assert scenario.stop_on_reply and scenario.stop_on_unsubscribe and scenario.include_unsubscribe
    assert validate(scenario) == []
    assert recipient_problem(scenario, "jean@gmail.com") == "excluded domain gmail.com"
    assert recipient_problem(scenario, "jean@mail.yahoo.com") == "excluded domain yahoo.com"
    assert recipient_problem(scenario, "jean@vignoble.fr") == ""
    assert loads_toml(dumps_toml(scenario)) == scenario  # exported in the file's own form


@pytest.mark.parametrize("block", DOC_BLOCKS)
def test_each_block_alone(block: str) -> None:
    assert validate(loads_toml('name = "x"\n' + block + REST)) == []


def test_the_same_settings_without_the_scenario_prefix_and_in_tables() -> None:
    flat = loads_toml("name = 'x'\n" + DOC_CONSTRAINTS.replace("scenario.", "") + REST)
    assert flat.send_days == [1, 2, 3, 4, 5] and flat.window_end == "17:30"
    tables = loads_toml(
        "name = 'x'\n[window]\ndays = 'lun,mar,mercredi, jeudi;Vendredi'\n"
        "[filters]\nexclude_domains = ['gmail.com', '@Yahoo.fr,orange.fr']\n" + REST
    )
    assert tables.send_days == [1, 2, 3, 4, 5]
    assert tables.exclude_domains == ["gmail.com", "yahoo.fr", "orange.fr"]


def test_days_in_english_french_numbers_and_ranges() -> None:
    assert parse_days("mon,tue,wed,thu,fri") == ([1, 2, 3, 4, 5], [])
    assert parse_days(["lundi", "MAR", "sam.", "dimanche"]) == ([1, 2, 6, 7], [])
    assert parse_days("mon-fri") == ([1, 2, 3, 4, 5], [])
    assert parse_days([1, "7", "tues", "thurs"]) == ([1, 2, 4, 7], [])
    assert parse_days("mon,mun,8,fri-mon") == ([1], ["mun", "8", "fri-mon"])
    assert day_number("mo") is None and day_number("monxyz") is None


def test_unknown_day_and_non_domain_are_errors_naming_them() -> None:
    with pytest.raises(ScenarioInvalid) as err:
        loads_toml("name = 'x'\nscenario.send_days = 'mon,tue,mun,fri'\n" + REST)
    assert any("“mun”" in p for p in err.value.problems), err.value.problems
    with pytest.raises(ScenarioInvalid) as err:
        loads_toml("name = 'x'\nscenario.exclude_domains = 'gmail.com,yahoo'\n" + REST)
    assert any("“yahoo”" in p and "“gmail.com”" not in p for p in err.value.problems), err.value.problems
    assert parse_domains("gmail.com,yahoo,@orange.fr,") == (["gmail.com", "orange.fr"], ["yahoo"])
    assert (
        is_domain("exemple.fr")
        and is_domain("château.fr")
        and not is_domain("gmail")
        and not is_domain("1.2.3.4")
    )


def test_booleans_python_or_toml_and_bad_ones_named() -> None:
    python = loads_toml("name = 'x'\nscenario.only_deliverable = False\n" + REST)
    toml = loads_toml("name = 'x'\n[filters]\nonly_deliverable = false\n" + REST)
    assert python.only_deliverable is False and toml.only_deliverable is False
    # A template's text that looks like a setting is never touched.
    kept = loads_toml(
        "name = 'x'\nscenario.stop_on_reply = True\n" + REST.replace("<p>Bonjour</p>", "a = True")
    )
    assert kept.templates["offre"].html == "a = True"
    with pytest.raises(ScenarioInvalid) as err:
        loads_toml("name = 'x'\nscenario.include_unsubscribe = 'peut-être'\n" + REST)
    assert any("include_unsubscribe" in p and "peut-être" in p for p in err.value.problems)


def test_settings_after_a_section_and_contradictions_are_reported() -> None:
    with pytest.raises(ScenarioInvalid) as err:
        loads_toml("name = 'x'\n" + REST + DOC_FILTERS)
    assert any("[templates.offre]" in p for p in err.value.problems), err.value.problems
    named = loads_toml("name = 'x'\n" + REST.replace("offre", "scenario"))  # a template named "scenario"
    assert list(named.templates) == ["scenario"]
    with pytest.raises(ScenarioInvalid) as err:
        loads_toml("name = 'x'\nscenario.send_days = 'mon'\n[window]\ndays = ['tue']\n" + REST)
    assert any("send_days" in p and "[window] days" in p for p in err.value.problems)


def test_stop_on_unsubscribe_false_is_refused_with_the_reason() -> None:
    scenario = loads_toml("name = 'x'\nscenario.stop_on_unsubscribe = False\n" + REST)
    problems = validate(scenario)
    assert any("never receives marketing email" in p for p in problems), problems


def test_document_api_step_names() -> None:
    scenario = loads_toml(
        "name = 'x'\n[[steps]]\nstep_order = 1\nstep_name = 'Email initial'\ntrigger_type = 'entry'\n"
        "template = 'offre'\n[[steps]]\nstep_order = 2\nstep_name = 'Suivi si ouvert'\ntrigger_type = 'opened'\n"
        "delay_days = 2\nparent_step_id = 1\ntemplate = 'offre'\n"
        "[templates.offre]\nsubject = 's'\nhtml = '<p>x</p>'\n"
    )
    assert [(s.position, s.name, s.trigger, s.parent_position) for s in scenario.steps] == [
        (1, "Email initial", "entry", None),
        (2, "Suivi si ouvert", "opened", 1),
    ]
    assert validate(scenario) == []
