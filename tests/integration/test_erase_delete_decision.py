"""The sync's delete decision suppresses sending too (#13): the keyed-hash suppression, history kept.

A contact queued by a real sync is enrolled in an active scenario, then deleted through the
decision; the next scenario tick sends nothing to them (the other contact is sent to), a new
scenario does not enrol them, and a full sync does not re-create them in Mailchimp even when a
salesperson types them into Copper again. Unlike ``crmtui erase``, their history (tombstones,
the decision) stays.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crmtui.config import Settings, load_settings
from crmtui.engine.cycle import run_cycle
from crmtui.engine.decisions import apply_decisions
from crmtui.engine.identity import subscriber_hash
from crmtui.engine.scenarios import loads_toml
from crmtui.engine.sending import run_tick
from crmtui.records.emails import email_key
from crmtui.sandbox.harness import Sandbox, running_sandbox
from crmtui.store import Store
from crmtui.store.scenarios import scenario_repo
from tests.integration.events_support import SCENARIO, T0, RecordingSender, serve_settings


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with running_sandbox(60, 42, partners=5) as sandbox:
        yield sandbox


@pytest.fixture
def prod(sb: Sandbox) -> Settings:
    base = load_settings(overrides={"SYNC_MODE": "production"}, env_file=None, sandbox=True)
    return serve_settings(sb.apply_to(base))


async def test_a_delete_decision_suppresses_sending_and_keeps_history(
    sb: Sandbox, prod: Settings, store: Store
) -> None:
    outcome = await run_cycle(prod, store, owner="test", only=("sync",))
    assert outcome.status == "ok"
    pending = store.sync.decisions(("pending",))
    assert pending
    email = pending[0].email
    other = next(
        c.email
        for c in store.sync.iter_contacts()
        if c.email != email
        and (c.mc_state or {}).get("status") == "subscribed"
        and not store.sync.get_decision(c.email)
        and not scenario_repo(store).is_suppressed(c.email)
    )

    repo = scenario_repo(store)
    scenario_id = repo.save(loads_toml(SCENARIO))
    repo.set_status(scenario_id, "active")
    scenario = repo.get(scenario_id)
    assert scenario is not None
    assert repo.enrol(scenario, [email, other], now=T0) == 2  # enrolled before the decision

    store.sync.decide([email], "delete", "tester@console")
    applied = await apply_decisions(prod, store, actor="tester@console")
    assert applied.applied == 1 and applied.failed == 0
    assert subscriber_hash(email) not in sb.mailchimp.members

    # The same suppression as an erasure, with reason "deleted"; no erasure, history kept.
    assert store.erasure.is_suppressed(email) and repo.is_suppressed(email)
    assert store.query("SELECT reason FROM suppressed_hashes") == [{"reason": "deleted"}]
    assert store.query("SELECT count(*) AS n FROM erasure_ops")[0]["n"] == 0
    assert {t["source"] for t in store.sync.tombstones(email)} == {"copper", "mailchimp"}
    decision = store.sync.get_decision(email)
    assert decision is not None and (decision.decision, decision.state) == ("delete", "applied")

    # The tick sends to the other contact, never to the deleted one.
    sender = RecordingSender()
    await run_tick(prod, store, sender=sender, now=lambda: T0)
    assert email_key(other) in {email_key(e) for e in sender.sent}
    assert email_key(email) not in {email_key(e) for e in sender.sent}

    # A new scenario does not enrol them.
    second = loads_toml(SCENARIO.replace('name = "Bienvenue"', 'name = "Relance"'))
    second_id = repo.save(second)
    saved = repo.get(second_id)
    assert saved is not None
    assert repo.enrol(saved, [email], now=T0) == 0

    # A salesperson types them into Copper again: the full sync does not re-create them in Mailchimp.
    sb.copper.load_people([{"name": "Re Typed", "emails": [{"email": email, "category": "work"}]}])
    again = await run_cycle(prod, store, owner="test", only=("sync",), options={"full": True})
    assert again.status in ("ok", "partial"), again
    assert subscriber_hash(email) not in sb.mailchimp.members
