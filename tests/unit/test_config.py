"""Configuration: every problem at once, in plain words, and secrets that never show."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from crmtui.config import ConfigError, load_settings
from crmtui.i18n import get_language

GOOD = {
    "COPPER_API_KEY": "cop-canary-5f1e2d3c4b5a",
    "COPPER_API_EMAIL": "ops@domaine.fr",
    "MAILCHIMP_API_KEY": "0123456789abcdef0123456789abcdef-us19",
    "MAILCHIMP_LIST_ID": "a1b2c3d4e5",
}


def test_good_configuration_derives_the_data_centre() -> None:
    s = load_settings(GOOD, env_file=None)
    assert s.mailchimp_dc == "us19"
    assert s.mailchimp_api_root == "https://us19.api.mailchimp.com/3.0"
    assert not s.sandbox
    assert s.sync_mode == "test" and s.test_email_filter == "@exemple"
    assert s.connectors()["copper"] and s.connectors()["mailchimp"]


def test_every_problem_is_reported_at_once() -> None:
    env = {
        "COPPER_API_KEY": "cop-key-1234",  # email missing
        "MAILCHIMP_API_KEY": "malformedkeywithoutdc",  # no -usX, and no list id
        "SYNC_MODE": "prod",
        "SYNC_INTERVAL": "soon",
    }
    with pytest.raises(ConfigError) as info:
        load_settings(env, env_file=None)
    problems = info.value.problems
    variables = {p.variable for p in problems}
    assert {"COPPER_API_KEY", "MAILCHIMP_API_KEY", "SYNC_MODE", "SYNC_INTERVAL"} <= variables
    text = info.value.render()
    assert "COPPER_API_EMAIL is missing" in text
    assert "data centre" in text and "-us19" in text
    assert "possible values: test, production" in text
    assert "not a duration" in text
    assert "cop-key-1234" not in text


def test_mailchimp_dc_mismatch_is_explained() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({**GOOD, "MAILCHIMP_DC": "us7"}, env_file=None)
    assert "does not match" in info.value.render()


def test_world_readable_env_is_refused_with_the_chmod(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("COPPER_API_KEY=abc-secret\nCOPPER_API_EMAIL=ops@domaine.fr\n")
    os.chmod(env_file, 0o644)
    with pytest.raises(ConfigError) as info:
        load_settings({}, env_file=env_file)
    assert f"chmod 600 {env_file.resolve()}" in info.value.render()
    assert "abc-secret" not in info.value.render()
    os.chmod(env_file, 0o600)
    s = load_settings({}, env_file=env_file, sandbox=False)
    assert s.copper_api_key.reveal() == "abc-secret"


def test_precedence_cli_over_env_over_dotenv(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("SYNC_MODE=production\nTEST_EMAIL_FILTER=@dotenv\nSYNC_INTERVAL=15m\n")
    os.chmod(env_file, 0o600)
    s = load_settings({"TEST_EMAIL_FILTER": "@env"}, env_file=env_file, overrides={"SYNC_MODE": "test"})
    assert s.sync_mode == "test"
    assert s.test_email_filter == "@env"
    assert s.sync_interval == 900
    assert s.sources["SYNC_MODE"] == "cli" and s.sources["TEST_EMAIL_FILTER"] == "env"


def test_secrets_never_show_in_repr_or_str() -> None:
    s = load_settings(GOOD, env_file=None)
    for text in (repr(s), str(s), f"{s.copper_api_key}", repr(s.mailchimp_api_key)):
        assert GOOD["COPPER_API_KEY"] not in text
        assert GOOD["MAILCHIMP_API_KEY"] not in text
    shown = dict((var, value) for var, value, _ in s.describe())
    assert GOOD["COPPER_API_KEY"] not in shown["COPPER_API_KEY"]
    assert shown["COPPER_API_KEY"].endswith("(23 chars)")


def test_sandbox_is_the_default_without_credentials_and_uses_its_own_db() -> None:
    s = load_settings({}, env_file=None)
    assert s.sandbox
    prod = load_settings(GOOD, env_file=None)
    assert s.store_path != prod.store_path
    assert s.store_path.name == "crmtui-sandbox.db"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"CRMTUI_LANG": "fr"}, "fr"),
        ({"LANG": "fr_FR.UTF-8"}, "fr"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({}, "en"),
    ],
)
def test_language_selection(env: dict[str, str], expected: str) -> None:
    load_settings(env, env_file=None)
    assert get_language() == expected


def test_messages_follow_the_language() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({"CRMTUI_LANG": "fr", "SYNC_MODE": "x"}, env_file=None)
    assert "valeurs possibles" in info.value.render()


def test_rfm_thresholds_from_the_environment() -> None:
    s = load_settings(
        {
            "RFM_VIP_MONETARY": "1 500,50",
            "RFM_VIP_ORDERS": "4",
            "RFM_AT_RISK_DAYS": "200",
            "RFM_INACTIVE_DAYS": "500",
        },
        env_file=None,
    )
    assert (s.rfm_vip_monetary, s.rfm_vip_orders, s.rfm_at_risk_days, s.rfm_inactive_days) == (
        1500.5,
        4,
        200,
        500,
    )
    with pytest.raises(ConfigError) as info:
        load_settings({"RFM_VIP_ORDERS": "six"}, env_file=None)
    assert "RFM_VIP_ORDERS" in info.value.render()
