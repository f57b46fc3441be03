"""Scenario rules without I/O: window, days, time zones, DST, variants, templates, TOML, A/B statistics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crmtui.engine import ab
from crmtui.engine.scenarios import ScenarioInvalid, dumps_toml, loads_toml, validate
from crmtui.engine.sending_rules import (
    in_window,
    local_day,
    message_id_for,
    next_window_open,
    recipient_problem,
    validate_recipient,
)
from crmtui.engine.templates import Template, html_to_text, render, unknown_variables
from crmtui.store.scenarios import Scenario, Step, TemplateRow, Variant


def paris(**kw: object) -> Scenario:
    return Scenario(name="s", timezone="Europe/Paris", window_start="09:00", window_end="18:00", **kw)  # type: ignore[arg-type]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# -- window, days, time zones, DST -------------------------------------------------------------------


def test_window_is_wall_clock_time_in_the_scenario_zone_in_winter() -> None:
    s = paris()
    assert not in_window(s, utc(2025, 1, 15, 7, 59))  # 08:59 CET
    assert in_window(s, utc(2025, 1, 15, 8, 0))  # 09:00 CET
    assert in_window(s, utc(2025, 1, 15, 16, 59))  # 17:59 CET
    assert not in_window(s, utc(2025, 1, 15, 17, 0))  # 18:00 CET: end is exclusive


def test_window_follows_daylight_saving_time() -> None:
    s = paris()
    # The same UTC time of day is outside the window in winter and inside in summer.
    assert not in_window(s, utc(2025, 3, 28, 7, 30))  # Friday before the change: 08:30 CET
    assert in_window(s, utc(2025, 3, 31, 7, 30))  # Monday after spring forward: 09:30 CEST
    assert in_window(s, utc(2025, 10, 24, 7, 30))  # Friday before fall back: 09:30 CEST
    assert not in_window(s, utc(2025, 10, 27, 7, 30))  # Monday after: 08:30 CET
    # 09:00 local is 08:00 UTC in winter and 07:00 UTC in summer.
    assert in_window(s, utc(2025, 1, 13, 8, 0)) and not in_window(s, utc(2025, 1, 13, 7, 59))
    assert in_window(s, utc(2025, 7, 14, 7, 0)) and not in_window(s, utc(2025, 7, 14, 6, 59))


def test_send_days_are_local_days() -> None:
    s = paris(send_days=[1, 2, 3, 4, 5])
    assert not in_window(s, utc(2025, 1, 18, 10, 0))  # Saturday
    assert in_window(s, utc(2025, 1, 17, 10, 0))  # Friday
    late = Scenario(
        name="late", timezone="Europe/Paris", window_start="00:00", window_end="24:00", send_days=[6]
    )
    # Friday 23:30 UTC is already Saturday 00:30 in Paris.
    assert in_window(late, utc(2025, 1, 17, 23, 30))
    assert not in_window(late, utc(2025, 1, 17, 22, 30))


def test_other_time_zones_and_overnight_windows() -> None:
    ny = Scenario(
        name="ny",
        timezone="America/New_York",
        window_start="09:00",
        window_end="17:00",
        send_days=[1, 2, 3, 4, 5, 6, 7],
    )
    assert in_window(ny, utc(2025, 1, 15, 14, 0))  # 09:00 EST
    assert not in_window(ny, utc(2025, 1, 15, 13, 59))
    assert in_window(ny, utc(2025, 7, 15, 13, 0))  # 09:00 EDT
    night = Scenario(
        name="n", timezone="Europe/Paris", window_start="22:00", window_end="06:00", send_days=[5]
    )
    assert in_window(night, utc(2025, 1, 17, 22, 30))  # Friday 23:30 local
    assert in_window(night, utc(2025, 1, 18, 3, 0))  # Saturday 04:00 local, window opened Friday
    assert not in_window(night, utc(2025, 1, 18, 22, 30))  # Saturday 23:30: not a send day
    assert not in_window(night, utc(2025, 1, 17, 12, 0))


def test_local_day_of_the_cap_is_the_scenario_day_not_utc() -> None:
    s = paris()
    assert local_day(s, utc(2025, 6, 30, 21, 59)) == "2025-06-30"  # 23:59 CEST
    assert local_day(s, utc(2025, 6, 30, 22, 0)) == "2025-07-01"  # 00:00 CEST
    assert local_day(s, utc(2025, 12, 31, 23, 0)) == "2026-01-01"  # 00:00 CET


def test_next_window_open_skips_nights_and_weekends_across_dst() -> None:
    s = paris(send_days=[1, 2, 3, 4, 5])
    # Friday 28 March 2025 18:30 CET -> Monday 31 March 09:00 CEST = 07:00 UTC (the clocks moved on Sunday).
    assert next_window_open(s, utc(2025, 3, 28, 17, 30)) == utc(2025, 3, 31, 7, 0)
    assert next_window_open(s, utc(2025, 3, 31, 9, 0)) == utc(2025, 3, 31, 9, 0)  # already open
    with pytest.raises(ValueError):
        next_window_open(paris(send_days=[]), utc(2025, 3, 31, 20, 0))


# -- recipients ----------------------------------------------------------------------------------------


def test_recipient_filters() -> None:
    s = paris(exclude_domains=["concurrent.fr"], min_validation_score=80)
    assert recipient_problem(s, "anne@exemple.fr") == ""
    assert "excluded" in recipient_problem(s, "paul@shop.concurrent.fr")
    assert "invalid" in recipient_problem(s, "not an email")
    assert "score" in recipient_problem(s, "contact@exemple.fr")  # a role account scores 70
    assert "deliverable" in recipient_problem(s, "x@server.invalid")
    assert validate_recipient("x@server.invalid").score > 0
    assert recipient_problem(paris(only_deliverable=False), "x@server.invalid") == ""


# -- variants ------------------------------------------------------------------------------------------


def test_variant_choice_matches_the_weights_over_10000_keys() -> None:
    weights = [1.0, 2.0, 7.0]
    observed = [0, 0, 0]
    for i in range(10_000):
        observed[ab.choose(ab.slot_digest(1, 1, f"c{i}@exemple.fr"), weights)] += 1
    expected = [10_000 * w / sum(weights) for w in weights]
    # chi-square with 2 degrees of freedom: 13.82 is the 0.1 % critical value.
    assert ab.chi_square_uniformity(observed, expected) < 13.82, observed


def test_variant_choice_is_deterministic_and_skips_zero_weights() -> None:
    digest = ab.slot_digest(3, 9, "anne@exemple.fr")
    assert ab.choose(digest, [1, 1]) == ab.choose(ab.slot_digest(3, 9, "anne@exemple.fr"), [1, 1])
    assert all(ab.choose(ab.slot_digest(1, 1, f"k{i}"), [0, 1, 0]) == 1 for i in range(500))
    with pytest.raises(ValueError):
        ab.choose(digest, [0, 0])


def test_ledger_key_and_message_id_are_deterministic() -> None:
    key = ab.ledger_key(1, 2, "anne@exemple.fr", "welcome")
    assert key == ab.ledger_key(1, 2, "anne@exemple.fr", "welcome") and len(key) == 64
    assert key != ab.ledger_key(1, 2, "anne@exemple.fr", "welcome-b")
    assert message_id_for(key, "Shop <contact@domaine.fr>") == f"{key[:40]}@domaine.fr"


# -- A/B statistics ----------------------------------------------------------------------------------


def test_wilson_interval_and_two_proportion_test() -> None:
    lo, hi = ab.wilson(50, 100)
    assert lo == pytest.approx(0.4038, abs=1e-3) and hi == pytest.approx(0.5962, abs=1e-3)
    assert ab.wilson(0, 0) == (0.0, 0.0)
    z, p = ab.two_proportion_test(60, 200, 30, 200)
    assert z == pytest.approx(3.586, abs=0.01) and p < 0.001
    assert ab.two_proportion_test(5, 100, 5, 100)[1] == pytest.approx(1.0)


def test_automatic_winner_needs_minimum_sends_and_significance() -> None:
    a = ab.VariantStats.of(1, "A", 200, 60, 10)
    b = ab.VariantStats.of(2, "B", 200, 30, 5)
    assert ab.pick_winner([a, b], min_sends=100) == a
    assert ab.pick_winner([a, b], min_sends=300) is None
    close = ab.VariantStats.of(2, "B", 200, 55, 5)
    assert ab.pick_winner([a, close], min_sends=100) is None
    verdict = ab.compare([a, b])
    assert verdict.best == a and verdict.runner_up == b and verdict.significant


# -- templates ----------------------------------------------------------------------------------------


def test_values_are_escaped_in_html_only_and_subject_lines_stay_single() -> None:
    tpl = Template("t", "Hello {{first_name}}", "<p>Hi {{ first_name }} &amp; co</p>", "Hi {{first_name}}")
    out = render(tpl, {"first_name": '<script>alert("x")</script>\r\nBcc: evil@x.fr'})
    assert "<script>" not in out.html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in out.html
    assert '<script>alert("x")</script>' in out.text
    assert "\n" not in out.subject and "\r" not in out.subject


def test_text_part_is_derived_from_html() -> None:
    out = render(
        Template(
            "t",
            "s",
            "<html><style>p{}</style><p>Bonjour {{first_name}},</p><p>Voir <a href='https://x.fr/a'>ici</a>.</p></html>",
        ),
        {"first_name": "Zoé & Léa"},
    )
    assert out.text == "Bonjour Zoé & Léa,\n\nVoir ici (https://x.fr/a).\n"
    assert html_to_text("<ul><li>a</li><li>b</li></ul>").strip() == "- a\n- b"


def scenario_with(html: str) -> Scenario:
    return Scenario(
        name="x",
        steps=[Step(1, "one", "t", variants=[Variant("A", "t", 1), Variant("B", "t", 1)])],
        templates={"t": TemplateRow("t", "Hi {{first_name}}", html)},
    )


def test_unknown_variable_is_rejected_at_validation() -> None:
    assert unknown_variables(Template("t", "{{ favourite_colour }}", "{{email}} {{city}}")) == [
        "favourite_colour"
    ]
    problems = validate(scenario_with("<p>{{first_nmae}}</p>"))
    assert any("first_nmae" in p for p in problems), problems
    assert validate(scenario_with("<p>{{first_name}} {{unsubscribe_link}} {{segment}}</p>")) == []


def test_validation_reports_every_problem_at_once() -> None:
    s = Scenario(name="", timezone="Mars/Olympus", window_start="9h", send_days=[8], daily_cap=-1)
    problems = validate(s)
    assert len(problems) >= 6


# -- TOML -------------------------------------------------------------------------------------------------


def test_toml_round_trip_keeps_everything_readable() -> None:
    tricky = 'Line "one"\nback\\slash """ triple\n\ttab'
    s = Scenario(
        name="Relance «été»",
        description=tricky,
        daily_cap=200,
        cooldown_days=2.5,
        send_days=[1, 3, 5],
        timezone="America/New_York",
        exclude_domains=["x.fr"],
        steps=[
            Step(1, "Welcome", "w", variants=[Variant("A", "w", 1.0), Variant("B", "w b", 3.0)]),
            Step(2, "Reminder", "w", trigger="not_opened", delay_hours=48, parent_position=1),
        ],
        templates={
            "w": TemplateRow("w", "Hi {{first_name}}", tricky, ""),
            "w b": TemplateRow("w b", "B", "", "text"),
        },
    )
    s.audience.copper_tags = ["Client", 'VIP "gold"']
    s.auto_winner.enabled = True
    text = dumps_toml(s)
    back = loads_toml(text)
    assert back == s
    assert "[[steps.variants]]" in text and 'days = ["mon", "wed", "fri"]' in text


def test_bad_toml_is_refused_with_its_reason() -> None:
    with pytest.raises(ScenarioInvalid) as err:
        loads_toml("name = ")
    assert "unreadable" in err.value.problems[0]
    with pytest.raises(ScenarioInvalid):
        loads_toml('name = "x"\ndaily_cap = "lots"')


def test_delay_helpers() -> None:
    assert Step(1, "a", "t", delay_days=1, delay_hours=2).delay == timedelta(hours=26)
