"""The scenario document (``../shared/seeds/004…``) followed literally: its template and its link form."""

from __future__ import annotations

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
    return serve_settings(settings)


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
