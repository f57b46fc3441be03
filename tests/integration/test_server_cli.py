"""``crmtui serve --check``: the service builds from the configuration, or says what is missing."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

import crmtui.cli.serve  # noqa: F401 - registers ``serve`` until the CLI imports it itself
from crmtui.cli.entry import EXIT_CONFIG, EXIT_OK, main
from crmtui.cli.serve import topics_from
from crmtui.config import load_settings


def test_check_in_sandbox_builds_the_app(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--sandbox", "serve", "--check"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "/webhooks/mailchimp/<secret>" in out and "/sns/ses" in out


def test_print_urls_shows_the_secrets(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CRMTUI_TRACKING_SECRET", "s" * 32)
    monkeypatch.setenv("CRMTUI_PUBLIC_URL", "https://crm.exemple.fr")
    assert (
        main(["--sandbox", "serve", "--check", "--print-urls", "--sns-topic", "arn:aws:sns:x:1:t"]) == EXIT_OK
    )
    out = capsys.readouterr().out
    assert "https://crm.exemple.fr/webhooks/mailchimp/" in out and "<secret>" not in out


def test_missing_secret_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CRMTUI_TRACKING_SECRET", "short")
    assert main(["--no-sandbox", "serve", "--check"]) == EXIT_CONFIG
    assert "CRMTUI_TRACKING_SECRET" in capsys.readouterr().err


def test_sns_topics_are_read_from_the_env_file_like_every_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.delenv("CRMTUI_SNS_TOPICS", raising=False)
    assert main(["--no-sandbox", "serve", "--check"]) == EXIT_OK
    assert "CRMTUI_SNS_TOPICS" in capsys.readouterr().err  # none allowed: said so
    env = tmp_path / ".env"
    topic = "arn:aws:sns:eu-west-3:123456789012:ses-events"
    env.write_text(f"CRMTUI_SNS_TOPICS={topic}, arn:aws:sns:eu-west-3:123456789012:other\n")
    env.chmod(0o600)
    settings = load_settings()
    assert settings.sns_topics == (topic, "arn:aws:sns:eu-west-3:123456789012:other")
    args = argparse.Namespace(sns_topic=None)
    assert topics_from(args, settings) == list(settings.sns_topics)
    assert main(["--no-sandbox", "serve", "--check"]) == EXIT_OK
    assert "CRMTUI_SNS_TOPICS" not in capsys.readouterr().err
