"""The scenario document (``../shared/seeds/004…``) followed literally: its template and its link form."""

from __future__ import annotations

import dataclasses
import re

import pytest

from crmtui.config import Settings
from crmtui.engine.tracking import TrackingSigner
from crmtui.store import Store
from tests.integration.events_support import (
    BASE,
    app_for,
    client_for,
    links_of,
    send_scenario,
    serve_settings,
)

HUMAN = {"user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/126.0"}

# The document's "Exemple de template", verbatim.
DOC_TEMPLATE = """<html>
<body>
    <h1>Bonjour {{domain}}!</h1>
    <p>Nous avons découvert votre site et souhaitions vous proposer...</p>
    <p>Contact: {{email}}</p>
    <p>
        <a href="{{tracking_base}}https://votre-site.com/offer">
            Découvrir notre offre
        </a>
    </p>
    <hr>
    <p style="font-size: 12px; color: #666;">
        <a href="{{unsubscribe_link}}">Se désinscrire</a>
    </p>
</body>
</html>
"""

DOC_SCENARIO = f'''
name = "Prospection initiale"
timezone = "UTC"
[window]
start = "00:00"
end = "24:00"
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

[[steps]]
position = 1
name = "Email initial"
trigger = "entry"
template = "offre"

[templates.offre]
subject = "Une offre pour {{{{domain}}}}"
html = """{DOC_TEMPLATE}"""
'''


@pytest.fixture
def live(settings: Settings) -> Settings:
    # Production mode: these documented examples email @vignoble.fr, which TEST mode holds back.
    return dataclasses.replace(serve_settings(settings), sync_mode="production")


async def test_doc_template_tracking_base_link_is_tracked_signed_and_redirects(
    live: Settings, store: Store
) -> None:
    _, sender = await send_scenario(live, store, ["contact@vignoble.fr"], scenario=DOC_SCENARIO)
    message = sender.sent["contact@vignoble.fr"]
    assert "thttps" not in message.html and "votre-site.com" not in message.html
    hrefs = re.findall(r'href="([^"]+)"', message.html)
    assert len(hrefs) == 2 and hrefs[0].startswith(f"{BASE}/t/c/") and hrefs[1].startswith(f"{BASE}/u/")
    token = hrefs[0].rsplit("/", 1)[-1]
    signed = TrackingSigner("t" * 40).verify("c", token)  # the signature of serve_settings' secret
    assert signed.link_index == 0 and signed.message_id == message.message_id
    assert "Bonjour vignoble.fr!" in message.html and "Contact: contact@vignoble.fr" in message.html
    # The text part shows the real address, as for a plain link.
    assert "Découvrir notre offre (https://votre-site.com/offer)" in message.text
    urls = links_of(message)
    async with client_for(app_for(live, store)) as client:
        click = await client.get(urls["click"], headers=HUMAN)
    assert click.status_code == 302
    assert click.headers["location"] == "https://votre-site.com/offer"


async def test_conditional_template_sent_and_a_render_error_stops_the_scenario_before_any_claim(
    live: Settings, store: Store
) -> None:
    from crmtui.store.scenarios import scenario_repo

    vip = DOC_SCENARIO.replace(
        "<h1>Bonjour {{domain}}!</h1>", '{% if domain == "vignoble.fr" %}<h1>Cher vigneron</h1>{% endif %}'
    )
    _, sender = await send_scenario(live, store, ["contact@vignoble.fr"], scenario=vip)
    assert "<h1>Cher vigneron</h1>" in sender.sent["contact@vignoble.fr"].html
    broken = DOC_SCENARIO.replace("Prospection initiale", "Cassé").replace(
        "<h1>Bonjour {{domain}}!</h1>", "{% if total_spent_eur > 100 %}VIP{% endif %}"
    )
    _, sender = await send_scenario(live, store, ["autre@vignoble.fr"], scenario=broken)
    assert sender.sent == {}
    repo = scenario_repo(store)
    cassé = repo.get("Cassé")
    assert cassé is not None and repo.ledger_counts(cassé.id) == {}


# -- include_unsubscribe and the cooldown ("Attendre 3 jours entre 2 contacts") -------------------------

BEHAVIOUR = """
name = "{name}"
timezone = "UTC"
scenario.cooldown_days = {cooldown}
scenario.send_days = 'mon,tue,wed,thu,fri,sat,sun'
scenario.send_window_start = '00:00'
scenario.send_window_end = '24:00'
scenario.include_unsubscribe = {include}

[[steps]]
position = 1
name = "Email initial"
trigger = "entry"
template = "{first}"

[[steps]]
position = 2
name = "Relance"
trigger = "delay"
delay_days = 1
template = "sans_lien"

[templates.sans_lien]
subject = "Bonjour"
html = "<html><body><p>Bonjour {{{{domain}}}}</p><a href='https://votre-site.com/offer'>Offre</a></body></html>"

[templates.avec_lien]
subject = "Bonjour"
html = "<html><body><p>Bonjour</p><a href='{{{{unsubscribe_link}}}}'>Me désinscrire</a></body></html>"
"""


def behaviour(name: str, *, first: str = "sans_lien", include: str = "True", cooldown: int = 0) -> str:
    return BEHAVIOUR.format(name=name, first=first, include=include, cooldown=cooldown)


async def test_include_unsubscribe_adds_a_footer_link_only_when_the_template_has_none(
    live: Settings, store: Store
) -> None:
    _, sender = await send_scenario(live, store, ["a@vignoble.fr"], scenario=behaviour("Pied"))
    message = sender.sent["a@vignoble.fr"]
    unsubscribe = message.unsubscribe_url
    assert unsubscribe.startswith(f"{BASE}/u/")
    footer = f'<a href="{unsubscribe}">Unsubscribe</a></p>'
    # Inside the body, before it closes; never rewritten to a click link.
    assert footer in message.html and message.html.index(footer) < message.html.index("</body>")
    assert message.text.rstrip().endswith(f"Unsubscribe: {unsubscribe}")
    _, own = await send_scenario(
        live, store, ["b@vignoble.fr"], scenario=behaviour("Lien", first="avec_lien")
    )
    html = own.sent["b@vignoble.fr"].html
    assert html.count("/u/") == 1 and "Me désinscrire" in html and "Unsubscribe" not in html
    _, off = await send_scenario(live, store, ["c@vignoble.fr"], scenario=behaviour("Sans", include="False"))
    assert "/u/" not in off.sent["c@vignoble.fr"].html


async def test_cooldown_counts_this_scenarios_earlier_steps_and_the_step_waits(
    live: Settings, store: Store
) -> None:
    from datetime import timedelta

    from crmtui.engine.sending import run_tick
    from crmtui.store.scenarios import parse_iso, scenario_repo
    from tests.integration.events_support import T0, RecordingSender

    scenario_id, sender = await send_scenario(
        live, store, ["a@vignoble.fr"], scenario=behaviour("Repos", cooldown=3)
    )
    assert sender.count == 1
    later = T0 + timedelta(days=1, hours=1)  # step 2 is due (1 day), the cooldown (3 days) is not over
    result = await run_tick(live, store, sender=sender, now=lambda: later)
    assert result.sent == 0 and result.refused["cooldown"] == 1
    seq = store.query(
        "SELECT status, reason, next_position, next_send_at FROM contact_sequences WHERE scenario_id = ?",
        (scenario_id,),
    )[0]
    assert (seq["status"], seq["reason"], seq["next_position"]) == ("active", "cooldown", 2)
    waits_until = parse_iso(seq["next_send_at"])
    assert T0 + timedelta(days=3) <= waits_until < T0 + timedelta(days=3, minutes=1)
    from crmtui.engine.scenario_status import status_lines

    held = scenario_repo(store).get(scenario_id)
    assert held is not None
    status = "\n".join(status_lines(store, held, now=later))
    assert "0 due now, 1 scheduled (1 of them held by the cooldown)" in status, status
    assert f"next send {waits_until:%Y-%m-%d %H:%M} UTC" in status
    assert (
        await run_tick(live, store, sender=sender, now=lambda: waits_until - timedelta(minutes=1))
    ).sent == 0
    done = await run_tick(live, store, sender=sender, now=lambda: waits_until + timedelta(seconds=1))
    assert done.sent == 1 and sender.count == 2
    assert scenario_repo(store).ledger_counts(scenario_id) == {"sent": 2}
    reason = store.scalar("SELECT reason FROM contact_sequences WHERE scenario_id = ?", (scenario_id,))
    assert reason is None  # sent: no longer held
    assert isinstance(sender, RecordingSender)
