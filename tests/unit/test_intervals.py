"""SYNC_INTERVAL and ``cron --every`` in the forms the estate's documents and operators write (#14)."""

from __future__ import annotations

import pytest

from crmtui.config import ConfigError, load_settings
from crmtui.i18n import set_language
from crmtui.intervals import cron_schedule, describe_interval, parse_interval, remaining

WEEK = 7 * 86400


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("3600", 3600),  # 001's .env: SYNC_INTERVAL=3600
        ("900", 900),
        ("30s", 30),
        ("15m", 900),
        ("15 min", 900),
        ("15 minutes", 900),  # 002: "Toutes les 15 minutes"
        ("1h", 3600),
        ("2 heures", 7200),
        ("1h30m", 5400),
        ("1d", 86400),
        ("1j", 86400),
        ("quotidienne", 86400),  # 000: "Quotidienne"
        ("daily", 86400),
        ("7d", WEEK),
        ("168h", WEEK),
        ("1w", WEEK),
        ("1W", WEEK),
        ("1 semaine", WEEK),
        ("hebdomadaire", WEEK),  # 000: "Hebdomadaire : Pour une activité normale"
        ("weekly", WEEK),
        ("1,5h", 5400),
    ],
)
def test_accepted_forms(text: str, seconds: int) -> None:
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["soon", "", "15x", "1h30", "-5m", "m", "0"])
def test_refused_forms_name_the_value(text: str) -> None:
    with pytest.raises(ValueError, match="interval"):
        parse_interval(text)


def test_off_only_where_allowed() -> None:
    assert parse_interval("0", allow_off=True) == 0
    assert parse_interval("off", allow_off=True) == 0


@pytest.mark.parametrize(
    ("env", "seconds"), [("1w", WEEK), ("7d", WEEK), ("168h", WEEK), ("3600", 3600), ("0", 0)]
)
def test_settings_accept_weekly(env: str, seconds: int) -> None:
    assert load_settings({"SYNC_INTERVAL": env}, env_file=None).sync_interval == seconds


def test_settings_refuse_a_non_interval_with_the_forms() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({"SYNC_INTERVAL": "every tuesday"}, env_file=None)
    assert "SYNC_INTERVAL" in info.value.render() and "1w" in info.value.render()


@pytest.mark.parametrize(
    ("every", "fields"),
    [
        ("15m", "*/15 * * * *"),
        ("1m", "* * * * *"),
        ("1h", "0 * * * *"),
        ("60m", "0 * * * *"),
        ("6h", "0 */6 * * *"),
        ("1d", "0 0 * * *"),
        ("24h", "0 0 * * *"),
        ("7d", "0 0 * * 1"),
        ("168h", "0 0 * * 1"),
        ("1w", "0 0 * * 1"),
        ("hebdomadaire", "0 0 * * 1"),
    ],
)
def test_cron_schedule(every: str, fields: str) -> None:
    assert cron_schedule(every) == fields


@pytest.mark.parametrize("every", ["7m", "90m", "5h", "2d", "2w", "30s", "soon"])
def test_cron_refuses_what_it_cannot_run_evenly(every: str) -> None:
    with pytest.raises(ValueError):
        cron_schedule(every)


def test_countdown_and_description_in_both_languages() -> None:
    set_language("fr")
    assert describe_interval(WEEK) == "1 sem."
    assert describe_interval(86400) == "1 j"
    assert describe_interval(900) == "15 min"
    assert remaining(3599.2) == "60 min"
    assert remaining(45.1) == "46 s"
    assert remaining(3 * 86400 + 3600) == "3 j 1 h"
    assert remaining(2 * 3600 + 5 * 60) == "2 h 05 min"
    set_language("en")
    assert describe_interval(86400) == "1 d"
    assert remaining(3 * 86400 + 3600) == "3 d 1 h"
