"""Templates rendered by Jinja2's sandbox: byte for byte as before, conditionals, strict variables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crmtui.engine.scenarios import validate
from crmtui.engine.templates import Template, TemplateProblem, render, syntax_problems, unknown_variables
from crmtui.store.scenarios import Scenario, Step, TemplateRow

GOLDEN = Path(__file__).parent.parent / "fixtures" / "templates_golden.json"


def golden_cases() -> list[dict]:
    return json.loads(GOLDEN.read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize("case", golden_cases(), ids=lambda c: f"{c['source']}[{c['contact']}]")
def test_existing_templates_render_byte_for_byte_as_the_old_renderer(case: dict) -> None:
    tpl = Template(**case["template"])
    out = render(tpl, case["values"])
    assert out.subject == case["rendered"]["subject"]
    assert out.html == case["rendered"]["html"]
    assert out.text == case["rendered"]["text"]


def test_golden_file_covers_the_demo_and_the_fixtures() -> None:
    sources = {c["source"].split(":")[0] for c in golden_cases()}
    assert "crmtui/sandbox/demo_scenario.toml" in sources
    assert len(sources) >= 10
    assert {c["contact"] for c in golden_cases()} == {"plain", "tricky", "empty"}


VIP = Template(
    "vip",
    '{% if segment == "VIP" %}Votre remise VIP{% else %}Nos cuvées{% endif %}, {{first_name}}',
    '<p>{% if segment == "VIP" %}Bonjour {{ first_name }}, -15 % pour vous.{% else %}Bonjour.{% endif %}</p>\n',
    "",
)


def test_conditional_template_chooses_by_segment() -> None:
    vip = render(VIP, {"segment": "VIP", "first_name": "Zoé & Léa"})
    assert vip.subject == "Votre remise VIP, Zoé & Léa"
    assert vip.html == "<p>Bonjour Zoé &amp; Léa, -15 % pour vous.</p>\n"  # escaped; trailing newline kept
    other = render(VIP, {"segment": "Fidèle", "first_name": "Paul"})
    assert other.subject == "Nos cuvées, Paul" and other.html == "<p>Bonjour.</p>\n"
    # A known variable the contact has no value for is "", so the else branch runs.
    assert render(VIP, {}).html == "<p>Bonjour.</p>\n"


def test_numbers_compare_as_numbers() -> None:
    tpl = Template("n", "s", "{% if total_spent_eur > 1000 %}grand{% else %}petit{% endif %}")
    assert render(tpl, {"total_spent_eur": 1250.5}).html == "grand"
    assert render(tpl, {"total_spent_eur": 12.0}).html == "petit"


def test_undefined_variable_raises_and_is_named_by_validation() -> None:
    tpl = Template("t", "Bonjour", "{% if segmnet == 'VIP' %}x{% endif %}")
    with pytest.raises(TemplateProblem) as err:
        render(tpl, {})
    assert err.value.kind == "undefined" and err.value.detail == "segmnet"
    assert unknown_variables(tpl) == ["segmnet"]
    problems = validate(scenario_with(tpl.html))
    assert any("{{segmnet}}" in p for p in problems), problems


def scenario_with(html: str, subject: str = "Bonjour") -> Scenario:
    return Scenario(name="x", steps=[Step(1, "one", "t")], templates={"t": TemplateRow("t", subject, html)})


def test_syntax_error_is_a_validation_problem_with_part_and_line() -> None:
    bad = "<p>ok</p>\n{% if segment == 'VIP' %}\n<p>never closed</p>"
    assert [(p.part, p.line) for p in syntax_problems(Template("t", "s", bad))] == [("html", 2)]
    problems = validate(scenario_with(bad, subject="{{ first_name "))
    joined = "\n".join(problems)
    assert "“t”" in joined and "html, line 2" in joined and "subject, line 1" in joined, problems
    assert "Traceback" not in joined


def test_sandbox_refuses_python_internals() -> None:
    tpl = Template("t", "s", "{{ email.__class__.__mro__ }}")
    with pytest.raises(TemplateProblem):
        render(tpl, {"email": "a@b.fr"})


def test_tracking_base_prefix_is_the_plain_link() -> None:
    tpl = Template(
        "t",
        "s",
        '<a href="{{tracking_base}}https://votre-site.com/offer?a=1&amp;b=2">Offre</a> {{tracking_base}}',
    )
    out = render(tpl, {"tracking_base": "https://crm.exemple.fr/t"})
    assert out.html == '<a href="https://votre-site.com/offer?a=1&amp;b=2">Offre</a> https://crm.exemple.fr/t'
    assert "(https://votre-site.com/offer?a=1&b=2)" in out.text


def test_tracking_base_link_is_tracked_exactly_like_a_plain_link() -> None:
    from crmtui.engine.tracking import TrackingSigner, track_html

    signer, base = TrackingSigner("s" * 20), "https://crm.exemple.fr"
    values = {"tracking_base": f"{base}/t"}
    prefixed = render(
        Template("t", "s", '<a href="{{tracking_base}}https://votre-site.com/offer">x</a>'), values
    )
    plain = render(Template("t", "s", '<a href="https://votre-site.com/offer">x</a>'), values)
    one = track_html(prefixed.html, message_id="m@x", signer=signer, base_url=base)
    two = track_html(plain.html, message_id="m@x", signer=signer, base_url=base)
    assert one == two and one.links == ["https://votre-site.com/offer"]


def test_readme_documents_every_variable_of_the_catalogue() -> None:
    from crmtui.engine.templates import KNOWN_VARIABLES
    from crmtui.engine.variables import CATALOGUE

    assert set(CATALOGUE) == set(KNOWN_VARIABLES)
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    for name in CATALOGUE:
        assert "{{" + name + "}}" in readme, name
