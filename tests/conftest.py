"""Shared fixtures: an isolated environment, settings and a fresh store per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crmtui.config import Settings, load_settings
from crmtui.i18n import set_language
from crmtui.store import Store

# Variables a developer's shell might carry into the tests.
_LEAKY = (
    "COPPER_API_KEY COPPER_API_EMAIL MAILCHIMP_API_KEY MAILCHIMP_DC MAILCHIMP_LIST_ID SYNC_MODE SYNC_INTERVAL "
    "ODOO_URL ODOO_DB ODOO_USER ODOO_API_KEY ISAVIGNE_EXPORT_PATH CRMTUI_DB CRMTUI_LANG CRMTUI_DATA_DIR "
    "CRMTUI_ENV_FILE CRMTUI_TRACKING_SECRET CRMTUI_PUBLIC_URL IMAP_HOST IMAP_USER IMAP_PASSWORD SMTP_PORT "
    "SMTP_USER SMTP_PASSWORD SES_ACCESS_KEY_ID SES_SECRET_ACCESS_KEY EMAIL_FROM SYNC_FIELD_MAP LANG LC_ALL LC_MESSAGES TEST_EMAIL_FILTER SMTP_HOST SES_REGION AWS_REGION "
    "AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY"
).split()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Every test starts with no crmtui variables, English, and its own data dir."""
    for var in _LEAKY:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("CRMTUI_DATA_DIR", str(tmp_path / "data"))
    # Sending needs signed unsubscribe links on an https base (crmtui refuses to send without them).
    monkeypatch.setenv("CRMTUI_TRACKING_SECRET", "test-tracking-secret-0123456789")
    monkeypatch.setenv("CRMTUI_PUBLIC_URL", "https://crm.domaine-exemple.test")
    monkeypatch.chdir(tmp_path)
    set_language("en")
    yield
    set_language("en")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Sandbox settings over a temporary data dir."""
    return load_settings(env_file=None, sandbox=True)


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    """A migrated store in a temporary file."""
    s = Store(settings.store_path)
    yield s
    s.close()
