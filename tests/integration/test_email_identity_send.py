"""An address spelled several ways in a scenario's audience gets one email (one normaliser everywhere)."""

from __future__ import annotations

import unicodedata

from crmtui.config import Settings
from crmtui.engine.scenarios import enrol, loads_toml
from crmtui.engine.sending import run_tick
from crmtui.records.emails import email_key
from crmtui.store import Store
from crmtui.store.scenarios import scenario_repo
from tests.integration.events_support import SCENARIO, T0, RecordingSender, serve_settings

NFC = "zélie.andré@exemple.fr"
NFD = unicodedata.normalize("NFD", NFC)
FULL_WIDTH_LOCAL = "ｚélie.ａndré@exemple.fr"


async def test_nfd_and_full_width_spellings_in_an_audience_get_one_send(
    settings: Settings, store: Store
) -> None:
    audience = (
        f'\n[audience]\nemails = ["{NFC}", "{NFD}", "{FULL_WIDTH_LOCAL}", " ZÉLIE.ANDRÉ@EXEMPLE.FR "]\n'
    )
    repo = scenario_repo(store)
    scenario_id = repo.save(loads_toml(SCENARIO + audience))
    repo.set_status(scenario_id, "active")
    scenario = repo.get(scenario_id)
    assert scenario is not None
    assert enrol(store, scenario, now=T0) == 1
    assert enrol(store, scenario, now=T0) == 0
    sender = RecordingSender()
    await run_tick(serve_settings(settings), store, sender=sender, now=lambda: T0)
    assert sender.count == 1
    assert list(sender.sent) == [email_key(NFC)]
