"""Helpers for the ``crmtui serve`` tests: a scenario sent through the real tick with a recording
sender, the served app over an ASGI transport, and signed SNS deliveries."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx

from crmtui.config import Settings
from crmtui.connectors.errors import OutcomeUnknown
from crmtui.connectors.smtp import OutgoingEmail
from crmtui.endpoints.server import WebhookSecrets, make_server_app
from crmtui.engine.scenarios import loads_toml
from crmtui.engine.sending import run_tick
from crmtui.sandbox.sns import SnsPublisher, sandbox_pki, ses_event
from crmtui.secrets import Secret
from crmtui.store import Store
from crmtui.store.scenarios import scenario_repo

TOPIC = "arn:aws:sns:eu-west-3:123456789012:ses-events"
BASE = "https://crm.exemple.fr"
T0 = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)
SECRETS = WebhookSecrets(mailchimp="mc-secret-0123456789", copper="cu-secret-0123456789")

SCENARIO = """
name = "Bienvenue"
timezone = "UTC"
[window]
start = "00:00"
end = "24:00"
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

[[steps]]
position = 1
name = "Welcome"
trigger = "entry"
template = "a"
variants = [{ name = "A", template = "a", weight = 1 }, { name = "B", template = "b", weight = 1 }]

[[steps]]
position = 2
name = "Thanks for reading"
trigger = "opened"
parent = 1
delay_hours = 2
template = "c"

[[steps]]
position = 3
name = "Thanks for clicking"
trigger = "clicked"
parent = 1
delay_hours = 1
template = "c"

[[steps]]
position = 4
name = "Reminder"
trigger = "not_opened"
parent = 1
delay_hours = 48
template = "c"

[templates.a]
subject = "Bienvenue A"
html = "<html><body><p>Bonjour</p><a href='https://vins.exemple.fr/cuvee'>Cuvée</a><a href='{{unsubscribe_link}}'>stop</a></body></html>"
[templates.b]
subject = "Bienvenue B"
html = "<html><body><p>Salut</p><a href='https://vins.exemple.fr/promo'>Promo</a></body></html>"
[templates.c]
subject = "Suite"
html = "<p>Suite</p>"
"""


def serve_settings(settings: Settings) -> Settings:
    """Settings with a tracking secret, a public URL and a From address."""
    return dataclasses.replace(
        settings,
        tracking_secret=Secret("t" * 40),
        public_base_url=BASE,
        email_from="crmtui@exemple.fr",
    )


class RecordingSender:
    """A sender that accepts everything (or times out for chosen addresses) and keeps the messages."""

    name = "ses"

    def __init__(self, unknown: set[str] | None = None) -> None:
        self.sent: dict[str, OutgoingEmail] = {}
        self.provider_ids: dict[str, str] = {}
        self.unknown = unknown or set()
        self.count = 0

    @property
    def rate(self) -> float | None:
        """No limit."""
        return None

    async def send(self, message: OutgoingEmail) -> str:
        """Record the message and return a provider id."""
        self.count += 1
        self.sent[message.to] = message
        self.provider_ids[message.to] = f"ses-{self.count:05d}"
        if message.to in self.unknown:
            raise OutcomeUnknown("ses", "timed out after sending")
        return self.provider_ids[message.to]

    async def close(self) -> None:
        """Nothing to release."""


async def send_scenario(
    settings: Settings,
    store: Store,
    emails: list[str],
    sender: RecordingSender | None = None,
    scenario: str = SCENARIO,
) -> tuple[int, RecordingSender]:
    """Save, activate and enrol a scenario (TOML; the test scenario by default), then run one tick at :data:`T0`."""
    repo = scenario_repo(store)
    scenario_id = repo.save(loads_toml(scenario))
    repo.set_status(scenario_id, "active")
    scenario = repo.get(scenario_id)
    assert scenario is not None
    repo.enrol(scenario, emails, now=T0)
    sender = sender or RecordingSender()
    await run_tick(settings, store, sender=sender, now=lambda: T0)
    return scenario_id, sender


def links_of(message: OutgoingEmail) -> dict[str, str]:
    """The tracking URLs in a sent HTML body: ``open``, ``click`` (first link), ``unsubscribe``."""
    found: dict[str, str] = {}
    if m := re.search(r'src="([^"]+/t/o/[^"]+)"', message.html):
        found["open"] = m.group(1)
    if m := re.search(r"href=[\"']([^\"']+/t/c/[^\"']+)[\"']", message.html):
        found["click"] = m.group(1)
    found["unsubscribe"] = message.unsubscribe_url
    return found


def app_for(settings: Settings, store: Store, **kw: Any) -> Any:
    """The served app, verifying SNS with the sandbox PKI, without its background loop."""
    pki = sandbox_pki()
    kw.setdefault("allowed_topics", [TOPIC])
    kw.setdefault("cert_fetcher", pki.fetcher())
    kw.setdefault("trusted_issuers", [pki.ca_cert])
    kw.setdefault("secrets", SECRETS)
    kw.setdefault("process_interval", None)
    return make_server_app(settings, store, **kw)


@asynccontextmanager
async def client_for(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client talking to ``app`` in-process (no cookies kept between requests)."""
    transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 4711))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        yield client


def publisher(version: int = 2) -> SnsPublisher:
    """Signs deliveries for :data:`TOPIC`."""
    return SnsPublisher(sandbox_pki(), TOPIC, version=version)


async def post_ses(
    client: httpx.AsyncClient, event_type: str, *, version: int = 2, **kw: Any
) -> httpx.Response:
    """POST one signed SES event as SNS would."""
    pub = publisher(version)
    envelope = pub.notification(json.dumps(ses_event(event_type, **kw)))
    return await client.post("/sns/ses", content=SnsPublisher.body(envelope), headers=pub.headers(envelope))
