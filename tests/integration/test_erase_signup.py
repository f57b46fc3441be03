"""After an erasure, a new signup comes back only through Mailchimp's own double opt-in, and crmtui
neither re-creates nor emails the person (#13, README "Right to erasure").

Mailchimp refuses any API re-add of a permanently deleted address (WIRE.md §2.5); the person can only
fill in the hosted signup form again, which for such an address is double opt-in (``pending`` until
they confirm). The simulator's ``simulate_event("subscribe")`` is that form. The sync must leave the
member as Mailchimp made it (never forced to ``subscribed``), never re-create them in Copper, and
count them as suppressed; no scenario enrols them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crmtui.config import Settings, load_settings
from crmtui.connectors.errors import ConnectorError
from crmtui.connectors.mailchimp import classify_error
from crmtui.engine.cycle import run_cycle
from crmtui.engine.erase import ensure_secret, erase
from crmtui.engine.identity import subscriber_hash
from crmtui.engine.scenarios import loads_toml
from crmtui.engine.sync_clients import make_clients
from crmtui.records.emails import email_key
from crmtui.sandbox.harness import Sandbox, running_sandbox
from crmtui.store import Store
from crmtui.store.scenarios import scenario_repo
from tests.integration.events_support import SCENARIO, T0


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with running_sandbox(40, 42, partners=5) as sandbox:
        yield sandbox


@pytest.fixture
def prod(sb: Sandbox) -> Settings:
    return ensure_secret(
        sb.apply_to(load_settings(overrides={"SYNC_MODE": "production"}, env_file=None, sandbox=True))
    )


def _copper_holders(sb: Sandbox, email: str) -> int:
    return sum(
        1 for p in sb.copper.people.values() if any(email_key(e["email"]) == email for e in p["emails"])
    )


async def test_a_new_signup_after_erasure_is_mailchimps_double_opt_in_only(
    sb: Sandbox, prod: Settings, store: Store
) -> None:
    first = await run_cycle(prod, store, owner="test", only=("sync",))
    assert first.status == "ok"
    email = next(
        e
        for e in (
            email_key(m.email_address) for m in sb.mailchimp.members.values() if m.status == "subscribed"
        )
        if _copper_holders(sb, e) == 1 and store.sync.get_decision(e) is None
    )
    outcome = await erase(prod, store, [email], actor="test")
    assert outcome.confirmed
    assert email in sb.mailchimp.forgotten and _copper_holders(sb, email) == 0

    # crmtui (or anyone) cannot put them back through the API.
    _, mailchimp = make_clients(prod)
    try:
        assert await mailchimp.get_member(email) is None  # gone for the API
        with pytest.raises(ConnectorError) as refused:
            await mailchimp.add_member(email, "subscribed")
        assert classify_error(str(refused.value)) == "forgotten", (
            refused.value
        )  # "Forgotten Email Not Subscribed"
    finally:
        await mailchimp.aclose()

    # They sign up again on the hosted form: double opt-in, pending until they confirm.
    sb.mailchimp.simulate_event("subscribe", email, status="pending")
    again = await run_cycle(prod, store, owner="test", only=("sync",), options={"full": True})
    assert again.status == "ok"
    assert sb.mailchimp.members[subscriber_hash(email)].status == "pending"  # left as Mailchimp made it
    assert _copper_holders(sb, email) == 0  # never re-created in Copper
    assert store.sync.contacts_by_email({email}) == {}

    # They confirm: subscribed on their own new consent; crmtui still keeps away.
    sb.mailchimp.simulate_event("subscribe", email, status="subscribed")
    third = await run_cycle(prod, store, owner="test", only=("sync",), options={"full": True})
    assert third.status == "ok"
    assert _copper_holders(sb, email) == 0
    assert store.erasure.is_suppressed(email)
    repo = scenario_repo(store)
    scenario_id = repo.save(loads_toml(SCENARIO))
    scenario = repo.get(scenario_id)
    assert scenario is not None
    assert repo.enrol(scenario, [email], now=T0) == 0


async def test_already_gone_is_success_and_every_copper_holder_goes(
    sb: Sandbox, prod: Settings, store: Store
) -> None:
    email = "deux.fiches@exemple.fr"
    sb.copper.load_people(
        [
            {"name": "Deux Fiches", "emails": [{"email": email, "category": "work"}]},
            {"name": "Deux Fiches bis", "emails": [{"email": email.upper(), "category": "personal"}]},
        ],
        allow_duplicate_emails=True,
    )
    assert _copper_holders(sb, email) == 2 and subscriber_hash(email) not in sb.mailchimp.members
    sb.mailchimp.control.reset_calls()
    sb.copper.control.reset_calls()
    outcome = await erase(prod, store, [email, "personne@exemple.fr"], actor="test")
    assert outcome.confirmed
    both, nobody = outcome.results
    assert (both.mailchimp, both.copper, both.copper_people) == ("absent", "deleted", 2)
    assert (nobody.mailchimp, nobody.copper, nobody.copper_people) == ("absent", "absent", 0)
    assert _copper_holders(sb, email) == 0
    assert sb.copper.control.calls["DELETE /people/{id}"] == 2
    assert sb.mailchimp.control.calls.get("POST /lists/{id}/members/{id}/actions/delete-permanent", 0) == 0
    assert store.erasure.is_suppressed(email) and store.erasure.is_suppressed("personne@exemple.fr")
