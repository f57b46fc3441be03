"""The sync as the estate's documents describe it (issue #14), against the simulators."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crmtui.config import Settings
from crmtui.engine.identity import INACTIVE_TAG, is_deletion_tag, is_inactive_tag, normalize_email
from crmtui.sandbox.harness import Sandbox, running_sandbox
from crmtui.store import Store
from tests.integration.test_sync import copper_put, make_settings, members, sync


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with running_sandbox(120, seed=5) as sb:
        yield sb


def _plain_subscribed_person(sb: Sandbox) -> tuple[dict, str]:  # type: ignore[type-arg]
    subscribed = {e for e, m in members(sb).items() if m["status"] == "subscribed"}
    person = next(
        p
        for p in sb.copper.people.values()
        if p["emails"]
        and normalize_email(p["emails"][0]["email"]) in subscribed
        and not any(is_deletion_tag(t) or is_inactive_tag(t) for t in p["tags"])
    )
    return person, normalize_email(person["emails"][0]["email"])


@pytest.mark.parametrize(("action", "status"), [("", "unsubscribed"), ("archive", "archived")])
async def test_inactive_tag_added_by_hand_then_removed(
    sandbox: Sandbox, tmp_path: Path, action: str, status: str
) -> None:
    settings: Settings = make_settings(
        sandbox, tmp_path, **({"SYNC_ARCHIVE_ACTION": action} if action else {})
    )
    store = Store(settings.store_path)
    try:
        await sync(settings, store)
        person, email = _plain_subscribed_person(sandbox)
        copper_put(sandbox, person["id"], tags=[*person["tags"], INACTIVE_TAG])
        await sync(settings, store)
        assert sandbox.mailchimp.member(email)["status"] == status
        decision = store.sync.get_decision(email)
        assert decision is not None and decision.previous_status == "subscribed"
        await sync(settings, store)  # nothing more while the tag stays
        assert sandbox.mailchimp.member(email)["status"] == status
        copper_put(sandbox, person["id"], tags=[t for t in person["tags"] if t != INACTIVE_TAG])
        await sync(settings, store)
        # Unsubscribed: Mailchimp only lets the address back through its confirmation email.
        assert sandbox.mailchimp.member(email)["status"] == (
            "pending" if status == "unsubscribed" else "subscribed"
        )
        assert store.sync.get_decision(email) is None
    finally:
        store.close()


async def test_emoji_after_the_words_is_never_pushed_to_mailchimp(sandbox: Sandbox, tmp_path: Path) -> None:
    settings = make_settings(sandbox, tmp_path)
    store = Store(settings.store_path)
    try:
        await sync(settings, store)
        person, email = _plain_subscribed_person(sandbox)
        before = members(sandbox)[email]
        copper_put(sandbox, person["id"], tags=[*person["tags"], "À Supprimer 🗑️"])
        await sync(settings, store)
        assert members(sandbox)[email] == before
        assert email in {d.email for d in store.sync.decisions(("pending",))}
    finally:
        store.close()
