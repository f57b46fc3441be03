"""Helpers for the sender tests: SES (served on loopback) and SMTP settings, and a two-step scenario."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from crmtui.config import Settings
from crmtui.engine import scenarios as sc
from crmtui.sandbox.mail import SANDBOX_FROM, SES_ACCESS_KEY_ID, SES_SECRET_ACCESS_KEY, SesSim, SmtpSink
from crmtui.secrets import Secret
from crmtui.store import Store
from crmtui.store.scenarios import Audience, Scenario, Step, TemplateRow, scenario_repo

EMAILS = [f"client{i}@exemple.fr" for i in range(10)]


def ses_settings(settings: Settings, url: str) -> Settings:
    """Settings sending through the SES simulator (or a proxy in front of it) at ``url``."""
    return replace(
        settings,
        ses_region="eu-west-3",
        ses_access_key_id=SES_ACCESS_KEY_ID,
        ses_secret_access_key=Secret(SES_SECRET_ACCESS_KEY),
        ses_endpoint_url=url,
        email_from=SANDBOX_FROM,
        public_base_url="https://crm.domaine-exemple.fr",
    )


def smtp_settings(settings: Settings, sink: SmtpSink) -> Settings:
    """``settings`` plus SMTP through ``sink`` (SES settings, if any, are kept)."""
    return replace(
        settings,
        smtp_host=sink.host,
        smtp_port=sink.port,
        smtp_starttls=False,
        email_from=settings.email_from or SANDBOX_FROM,
        public_base_url="https://crm.domaine-exemple.fr",
    )


def make_scenario(store: Store, emails: list[str], name: str = "Bienvenue", **kw: object) -> Scenario:
    """Save and start a two-step scenario (welcome now, reminder in three days) for ``emails``."""
    scenario = Scenario(
        name=name,
        window_start="00:00",
        window_end="24:00",
        send_days=[1, 2, 3, 4, 5, 6, 7],
        audience=Audience(emails=emails),
        steps=[Step(1, "welcome", "a"), Step(2, "reminder", "a", trigger="delay", delay_days=3)],
        templates={"a": TemplateRow("a", "Bonjour", "<p>Bonjour</p><a href='{{unsubscribe_link}}'>x</a>")},
        **kw,  # type: ignore[arg-type]
    )
    scenario.id = scenario_repo(store).save(scenario)
    sc.start(store, name)
    loaded = scenario_repo(store).get(name)
    assert loaded is not None
    return loaded


def delivered(sim: SesSim) -> Counter[str]:
    """Recipients as SES itself counted them (its own list of accepted SendEmail calls)."""
    with sim.lock:
        return Counter(m["To"][0] for m in sim.messages)


def sink_delivered(sink: SmtpSink) -> Counter[str]:
    """Recipients as the SMTP sink counted them."""
    with sink.lock:
        return Counter(m["to"][0] for m in sink.messages)
