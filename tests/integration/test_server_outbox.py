"""The events outbox reaches the Mailchimp and Copper simulators: an unsubscribe (our link) sets the
member to unsubscribed and tags the Copper person, once; a hard bounce tags with the cleaned tag."""

from __future__ import annotations

import dataclasses

import httpx

from crmtui.config import Settings
from crmtui.connectors.copper import CopperClient
from crmtui.connectors.mailchimp import MailchimpClient
from crmtui.engine.events_in import EventProcessor
from crmtui.sandbox.harness import COPPER_EMAIL, COPPER_KEY, LIST_ID, build_sandbox
from crmtui.sandbox.mailchimp import DEFAULT_API_KEY
from crmtui.store import Store
from crmtui.store.events import EventsRepo


def _clients(sandbox: object) -> tuple[CopperClient, MailchimpClient]:
    copper_http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox.copper.app),  # type: ignore[attr-defined]
        base_url="http://copper/developer_api/v1",
    )
    mc_http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox.mailchimp.app),  # type: ignore[attr-defined]
        base_url="http://mailchimp/3.0",
    )
    copper = CopperClient(
        copper_http, api_key=COPPER_KEY, user_email=COPPER_EMAIL, base_url="", rate_limit=None
    )
    mailchimp = MailchimpClient(mc_http, api_key=DEFAULT_API_KEY, list_id=LIST_ID, base_url="")
    return copper, mailchimp


async def test_unsubscribe_and_bounce_reach_mailchimp_and_copper(settings: Settings, store: Store) -> None:
    sandbox = build_sandbox(contacts=60, seed=7)
    both: list[str] = []
    for member_hash in list(sandbox.mailchimp.members):
        member = sandbox.mailchimp.member(member_hash)
        if (
            member
            and member["status"] == "subscribed"
            and sandbox.copper.person_by_email(member["email_address"])
        ):
            both.append(member["email_address"])
    assert len(both) >= 2
    unsub, bounced = both[0].lower(), both[1].lower()
    live = dataclasses.replace(settings)
    processor = EventProcessor(live, store)
    processor.unsubscribe(unsub, source="link")
    processor.unsubscribe(unsub, source="link")  # idempotent
    processor._suppress_everywhere(bounced, "bounce", "ses", live.cleaned_tag)
    processor.unsubscribe("nobody@exemple.fr", source="link")

    copper, mailchimp = _clients(sandbox)
    async with copper, mailchimp:
        sent, failed = await processor.push_actions(copper, mailchimp)
        again = await processor.push_actions(copper, mailchimp)
    assert failed == 0 and sent == 4 and again == (0, 0)
    assert sandbox.mailchimp.member(unsub)["status"] == "unsubscribed"  # type: ignore[index]
    assert sandbox.mailchimp.member(bounced)["status"] == "unsubscribed"  # type: ignore[index]
    assert live.unsubscribed_tag in sandbox.copper.person_by_email(unsub)["tags"]  # type: ignore[index]
    assert live.cleaned_tag in sandbox.copper.person_by_email(bounced)["tags"]  # type: ignore[index]
    states = {(a["email"], a["target"]): a["state"] for a in EventsRepo(store).actions()}
    assert states[("nobody@exemple.fr", "mailchimp")] == "skipped"
    assert states[("nobody@exemple.fr", "copper")] == "skipped"
