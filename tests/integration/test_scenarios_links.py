"""No email leaves without a working, signed one-click unsubscribe link on an https base."""

from __future__ import annotations

from dataclasses import replace

import pytest

from crmtui.config import Settings
from crmtui.engine import scenarios as sc
from crmtui.engine.sending import run_tick
from crmtui.sandbox.mail import SmtpSink
from crmtui.secrets import Secret
from crmtui.store import Store
from crmtui.store.scenarios import Audience, Scenario, Step, TemplateRow, scenario_repo


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"tracking_secret": Secret("")}, "CRMTUI_TRACKING_SECRET"),
        ({"tracking_secret": Secret("short")}, "CRMTUI_TRACKING_SECRET"),
        ({"public_base_url": ""}, "CRMTUI_PUBLIC_URL"),
        ({"public_base_url": "http://crm.domaine-exemple.fr"}, "CRMTUI_PUBLIC_URL"),
    ],
)
async def test_sending_is_refused_without_working_unsubscribe_links(
    settings: Settings, store: Store, changes: dict[str, object], expected: str
) -> None:
    scenario = Scenario(
        name="Liens",
        window_start="00:00",
        window_end="24:00",
        send_days=[1, 2, 3, 4, 5, 6, 7],
        audience=Audience(emails=["a@exemple.fr"]),
        steps=[Step(1, "one", "a")],
        templates={"a": TemplateRow("a", "Bonjour", "<p>Bonjour</p>")},
    )
    scenario_repo(store).save(scenario)
    sc.start(store, "Liens")
    with SmtpSink() as sink:
        live = replace(
            settings, smtp_host=sink.host, smtp_port=sink.port, smtp_starttls=False, email_from="x@domaine.fr"
        )
        refused = await run_tick(replace(live, **changes), store)  # type: ignore[arg-type]
        assert refused.sent == 0 and any(expected in e for e in refused.errors)
        assert sink.messages == []
        sent = await run_tick(live, store)
        assert sent.sent == 1
        header = sink.messages[0]["headers"]["List-Unsubscribe"].strip()  # folded header
        assert header.startswith("<https://crm.domaine-exemple.test/u/")
