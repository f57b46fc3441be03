"""Secrets never reach logs, reprs or errors; hostile text is logged literally."""

from __future__ import annotations

import logging
from pathlib import Path

from crmtui.config import load_settings
from crmtui.connectors.errors import AuthError
from crmtui.logs import close_logging, daily_log_name, setup_logging
from crmtui.secrets import Secret, redact

CANARIES = {
    "COPPER_API_KEY": "canary-copper-7d41e9b0",
    "COPPER_API_EMAIL": "ops@domaine.fr",
    "MAILCHIMP_API_KEY": "canarymailchimp0123456789abcdef-us19",
    "MAILCHIMP_LIST_ID": "a1b2c3d4e5",
    "ODOO_URL": "https://odoo.exemple.fr",
    "ODOO_DB": "prod",
    "ODOO_USER": "api",
    "ODOO_API_KEY": "canary-odoo-c0ffee42",
}


def test_canaries_never_reach_the_log_files(tmp_path: Path) -> None:
    settings = load_settings(CANARIES, env_file=None)
    run_log = setup_logging(tmp_path / "logs")
    log = logging.getLogger("crmtui.test")
    log.info("headers %s", {"X-PW-AccessToken": settings.copper_api_key.reveal()})
    log.warning("url https://x/?key=%s", settings.odoo_api_key.reveal())
    log.error("settings %r", settings)
    try:
        raise ValueError(f"bad key {settings.mailchimp_api_key.reveal()}")
    except ValueError:
        log.exception("failure")
    close_logging()
    assert run_log is not None and run_log.name.startswith("sync_log_")
    for path in (run_log, tmp_path / "logs" / daily_log_name()):
        text = path.read_text()
        assert "***" in text
        for var in ("COPPER_API_KEY", "MAILCHIMP_API_KEY", "ODOO_API_KEY"):
            assert CANARIES[var] not in text, (var, path)


def test_basic_auth_and_url_encoded_forms_are_redacted() -> None:
    import base64

    Secret("canary/with+chars==")
    header = "Basic " + base64.b64encode(b"user:canary/with+chars==").decode()
    assert "canary" not in redact(header) and "dXNlcjpj" not in redact(header)
    assert redact("k=canary%2Fwith%2Bchars%3D%3D") == "k=***"


def test_connector_errors_are_redacted() -> None:
    Secret("canary-in-error-123")
    err = AuthError("copper", "refused key canary-in-error-123")
    assert "canary-in-error-123" not in str(err)


def test_hostile_text_is_logged_literally(tmp_path: Path) -> None:
    run_log = setup_logging(tmp_path / "logs")
    logging.getLogger("crmtui.test").info(
        "contact %s", "\x1b[31mRouge\x1b[0m [bold]x[/bold] \x1b]0;pwned\x07"
    )
    close_logging()
    assert run_log is not None
    text = run_log.read_text()
    assert "\x1b" not in text and "\x07" not in text
    assert "\\x1b[31mRouge" in text and "[bold]x[/bold]" in text
