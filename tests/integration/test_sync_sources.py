"""``sources = ["mailchimp"]`` enrols the contacts that are Mailchimp members (issue #12, 8).

The sync fills ``contacts.mailchimp_hash`` for every contact Mailchimp holds a member for (from the
answer to the create on, and from every read), and clears it when there is none, so a scenario's
``mailchimp`` source is exactly the synced members, under their current address.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crmtui.connectors.mailchimp import subscriber_hash
from crmtui.engine import scenarios as sc
from crmtui.store.scenarios import Audience, scenario_repo
from tests.integration.sync_support import World, failed_ops

SCENARIO = """
name = "{name}"
timezone = "Europe/Paris"
daily_cap = 0
cooldown_days = 0

[window]
start = "00:00"
end = "24:00"
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

[audience]
sources = {sources}

[[steps]]
position = 1
name = "Bonjour"
trigger = "entry"
template = "bonjour"

[templates.bonjour]
subject = "Bonjour"
html = "<p>Bonjour</p>"
"""


@pytest.fixture
async def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)
    # In Copper only: two people the sync makes members, one whose opt-out Copper records (never one).
    await w.create_person("copper.un@exemple.fr", "Un", "Copper", ["Client"])
    await w.create_person("copper.deux@exemple.fr", "Deux", "Copper", ["Client"])
    await w.create_person("optout@exemple.fr", "Sans", "Lettre", ["Désabonné Mailchimp"])
    await w.create_person("oublie@exemple.fr", "Adresse", "Oubliée", ["Client"])  # Mailchimp forgot it
    w.mailchimp.forget("oublie@exemple.fr")
    # In Mailchimp only: a subscriber (becomes a Copper person too) and an unsubscribed member.
    w.mailchimp.load_members(
        [
            {
                "email_address": "Mc.Abonne@Exemple.fr",
                "status": "subscribed",
                "merge_fields": {"FNAME": "Abo"},
            },
            {"email_address": "mc.parti@exemple.fr", "status": "unsubscribed"},
        ]
    )
    report = await w.sync()
    assert report.failed == 0, failed_ops(report)
    yield w
    w.close()


MEMBERS = {"copper.un@exemple.fr", "copper.deux@exemple.fr", "mc.abonne@exemple.fr", "mc.parti@exemple.fr"}


def audience(w: World, *sources: str) -> set[str]:
    return set(scenario_repo(w.store).audience_emails(Audience(sources=list(sources))))


async def test_mailchimp_source_is_the_members(world: World) -> None:
    assert audience(world, "mailchimp") == MEMBERS
    hashes = dict(world.store.db.execute("SELECT email, mailchimp_hash FROM contacts").fetchall())
    assert hashes["mc.abonne@exemple.fr"] == subscriber_hash("Mc.Abonne@Exemple.fr")  # Mailchimp's id
    assert hashes["optout@exemple.fr"] is None
    assert hashes["oublie@exemple.fr"] is None
    assert audience(world, "copper") >= MEMBERS - {"mc.parti@exemple.fr"} | {"optout@exemple.fr"}


async def test_scenario_with_mailchimp_source_enrols_them(world: World) -> None:
    path = world.tmp / "scenario.toml"
    path.write_text(SCENARIO.format(name="Membres", sources='["mailchimp"]'), encoding="utf-8")
    sc.import_file(world.store, path)
    assert sc.start(world.store, "Membres") == len(MEMBERS)
    enrolled = {
        r[0]
        for r in world.store.db.execute(
            "SELECT contact FROM contact_sequences s JOIN scenarios c ON c.id = s.scenario_id "
            "WHERE c.name = 'Membres'"
        )
    }
    assert enrolled == MEMBERS


async def test_the_source_follows_an_address_changed_in_mailchimp(world: World) -> None:
    await world.upemail("copper.un@exemple.fr", "copper.nouveau@exemple.fr")
    report = await world.sync()
    assert report.failed == 0, failed_ops(report)
    assert audience(world, "mailchimp") == MEMBERS - {"copper.un@exemple.fr"} | {"copper.nouveau@exemple.fr"}
