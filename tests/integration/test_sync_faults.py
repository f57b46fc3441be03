"""One person, one record, through a real fault proxy in front of the Copper and Mailchimp simulators.

Each simulator listens on loopback behind a :class:`crmtui.sandbox.proxy.FaultProxy`. The proxy
forwards every write to the simulator, which applies it, and only then answers the sync with a
gateway 502/503/504, a reset, a truncated body or nothing at all (a timeout). A Copper create is not
safe to repeat, so it must never be sent again blindly: crmtui marks it ``unknown``, searches Copper
for the address and adopts the person found. Mailchimp's batch upsert is safe to repeat and is
retried. After three runs: exactly one Copper person and one Mailchimp member per address, and
every intended change is in the simulators' own state.

A gateway that fails *before* forwarding (``before_forward``) proves nothing either; the check
finds no person, so the create is sent again and succeeds in the same run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from crmtui.config import Settings, load_settings
from crmtui.connectors.copper import CopperClient
from crmtui.connectors.http import RetryPolicy
from crmtui.connectors.mailchimp import MailchimpClient, subscriber_hash
from crmtui.engine.sync import SyncEngine
from crmtui.engine.sync_types import SyncReport
from crmtui.records.emails import email_key
from crmtui.sandbox.copper import CopperSim
from crmtui.sandbox.harness import COPPER_EMAIL, COPPER_KEY, LIST_ID
from crmtui.sandbox.loopback import LoopbackServer
from crmtui.sandbox.mailchimp import DEFAULT_API_KEY, MailchimpSim
from crmtui.sandbox.proxy import FaultProxy
from crmtui.store import Store

COPPER_ONLY = [f"cuivre{i}@example.org" for i in range(3)]  # to be created in Mailchimp
MAILCHIMP_ONLY = [f"singe{i}@example.org" for i in range(3)]  # to be created in Copper
TAG = "Salon 2026"


def is_write(method: str, path: str) -> bool:
    """Every write, none of the reads (Copper's searches are POSTs that change nothing)."""
    return method in ("POST", "PUT", "PATCH", "DELETE") and not path.endswith(("/search", "/fetch_by_email"))


@dataclass
class Faulty:
    """Both simulators, each behind its own fault proxy, and a store."""

    copper: CopperSim
    mailchimp: MailchimpSim
    copper_proxy: FaultProxy
    mailchimp_proxy: FaultProxy
    settings: Settings
    store: Store
    copper_url: str = ""
    mailchimp_url: str = ""

    def set_fault(self, fault: str, *, remaining: int | None = None, before_forward: bool = False) -> None:
        """The same fault on every write to either service."""
        for proxy in (self.copper_proxy, self.mailchimp_proxy):
            proxy.fault = fault  # type: ignore[assignment]
            proxy.match = is_write
            proxy.remaining = remaining
            proxy.before_forward = before_forward

    def clients(self) -> tuple[CopperClient, MailchimpClient]:
        """Our connectors over real loopback HTTP, through the proxies (timeouts no tighter than 5 s)."""
        retry = RetryPolicy(attempts=3, base=0.01, cap=0.05)
        copper = CopperClient(
            httpx.AsyncClient(),
            api_key=COPPER_KEY,
            user_email=COPPER_EMAIL,
            base_url=f"{self.copper_proxy.url}/developer_api/v1",
            rate_limit=None,
            retry=retry,
            timeout=5.0,
        )
        mailchimp = MailchimpClient(
            httpx.AsyncClient(),
            api_key=DEFAULT_API_KEY,
            list_id=LIST_ID,
            base_url=f"{self.mailchimp_proxy.url}/3.0",
            retry=retry,
            timeout=5.0,
        )
        return copper, mailchimp

    async def sync(self) -> SyncReport:
        """One sync run, with new clients (a new process)."""
        copper, mailchimp = self.clients()
        try:
            run_id = self.store.runs.start("sync", mode=self.settings.sync_mode)
            engine = SyncEngine(self.settings, self.store, copper, mailchimp, run_id=run_id)
            return await engine.run()
        finally:
            await copper.client.aclose()
            await mailchimp.client.aclose()

    async def colleague(self, service: str, method: str, path: str, body: dict[str, object]) -> None:
        """A change made by someone else, straight to the service's API (not through the proxy)."""
        if service == "copper":
            base, auth = f"{self.copper_url}/developer_api/v1", None
            headers = {"X-PW-AccessToken": COPPER_KEY, "X-PW-Application": "developer_api"}
            headers["X-PW-UserEmail"] = COPPER_EMAIL
        else:
            base, auth, headers = f"{self.mailchimp_url}/3.0", ("anystring", DEFAULT_API_KEY), {}
        async with httpx.AsyncClient(base_url=base, headers=headers, auth=auth, timeout=30) as http:
            (await http.request(method, path, json=body)).raise_for_status()

    def people_per_email(self) -> Counter[str]:
        """How many Copper people hold each address."""
        return Counter(email_key(item["email"]) for p in self.copper.people.values() for item in p["emails"])

    def members_per_email(self) -> Counter[str]:
        """How many Mailchimp members hold each address."""
        return Counter(email_key(m.email_address) for m in self.mailchimp.members.values())


@pytest.fixture
def faulty(tmp_path: Path) -> Iterator[Faulty]:
    copper = CopperSim(api_key=COPPER_KEY, user_email=COPPER_EMAIL, auto_deliver=False)
    mailchimp = MailchimpSim(api_key=DEFAULT_API_KEY, list_id=LIST_ID)
    copper.load_people(
        [
            {"name": f"Cuivre {i}", "emails": [{"email": e, "category": "work"}], "tags": [TAG]}
            for i, e in enumerate(COPPER_ONLY)
        ]
    )
    mailchimp.load_members(
        [
            {"email_address": e, "status": "subscribed", "merge_fields": {"FNAME": "Singe", "LNAME": str(i)}}
            for i, e in enumerate(MAILCHIMP_ONLY)
        ]
    )
    servers = [LoopbackServer(copper.app), LoopbackServer(mailchimp.app)]
    copper_url, mailchimp_url = (s.start() for s in servers)
    proxies = [FaultProxy(copper_url).start(), FaultProxy(mailchimp_url).start()]
    env = {"CRMTUI_DATA_DIR": str(tmp_path / "data"), "SYNC_MODE": "production"}
    settings = load_settings(env, env_file=None, sandbox=True)
    store = Store(settings.store_path)
    try:
        yield Faulty(copper, mailchimp, proxies[0], proxies[1], settings, store, copper_url, mailchimp_url)
    finally:
        store.close()
        for proxy in proxies:
            proxy.stop()
        for server in servers:
            server.stop()


def assert_one_record_each_and_every_change(world: Faulty, renamed: dict[str, str] | None = None) -> None:
    everyone = COPPER_ONLY + MAILCHIMP_ONLY
    assert world.people_per_email() == Counter(everyone)  # exactly one Copper person per address
    assert world.members_per_email() == Counter(everyone)  # exactly one Mailchimp member per address
    for email in COPPER_ONLY:  # Copper → Mailchimp: the member, subscribed, with the person's tag
        member = world.mailchimp.member(email)
        assert member is not None and member["status"] == "subscribed"
        assert TAG in {t if isinstance(t, str) else t["name"] for t in member["tags"]}
    for i, email in enumerate(MAILCHIMP_ONLY):  # Mailchimp → Copper: the person, with the name
        [person] = [p for p in world.copper.people.values() if p["emails"][0]["email"] == email]
        first = (renamed or {}).get(email, "Singe")
        assert (person["first_name"], person["last_name"]) == (first, str(i))


@pytest.mark.parametrize("fault", ["502", "503", "504", "reset", "truncate"])
async def test_a_fault_after_the_service_applied_a_write_never_duplicates(faulty: Faulty, fault: str) -> None:
    faulty.set_fault(fault)
    reports = [await faulty.sync() for _ in range(3)]
    # Each create reached Copper once: the unanswered one was checked (search), never re-sent.
    assert faulty.copper_proxy.forwarded["POST /developer_api/v1/people"] == len(MAILCHIMP_ONLY)
    assert faulty.copper_proxy.faulted[fault] >= len(MAILCHIMP_ONLY)
    assert_one_record_each_and_every_change(faulty)
    # The creates were settled by the check in the first run: adopted, not unknown, not failed.
    ops = faulty.store.sync.ops_for_run(reports[0].run_id)
    creates = [op for op in ops if op.action == "copper_create"]
    assert len(creates) == len(MAILCHIMP_ONLY) and {op.state for op in creates} == {"sent"}
    assert not faulty.store.sync.unknown_ops()


async def test_no_answer_after_the_service_applied_a_write_never_duplicates(faulty: Faulty) -> None:
    faulty.set_fault("hang", remaining=2)  # each proxy: the first two writes time out (5 s each)
    for _ in range(3):
        await faulty.sync()
    assert faulty.copper_proxy.faulted["hang"] == 2
    assert faulty.copper_proxy.forwarded["POST /developer_api/v1/people"] == len(MAILCHIMP_ONLY)
    assert_one_record_each_and_every_change(faulty)
    assert not faulty.store.sync.unknown_ops()


async def test_a_gateway_503_before_forwarding_is_retried_in_the_same_run(faulty: Faulty) -> None:
    faulty.set_fault("503", remaining=1, before_forward=True)
    report = await faulty.sync()
    assert [(r.plan.email, r.errors) for r in report.operations if not r.ok] == []
    assert faulty.copper_proxy.faulted["503"] == 1 and faulty.mailchimp_proxy.faulted["503"] == 1
    # The refused create never reached Copper; the check found nobody, so it was sent again, once.
    assert faulty.copper_proxy.forwarded["POST /developer_api/v1/people"] == len(MAILCHIMP_ONLY)
    assert_one_record_each_and_every_change(faulty)


async def test_a_create_whose_check_failed_stays_unknown_and_is_checked_first_next_run(
    faulty: Faulty,
) -> None:
    creates_seen = False

    def creates_then_searches(method: str, path: str) -> bool:
        # The run's read passes; then every create is answered 502 after Copper applied it, and
        # every search after it too: the check cannot be read.
        nonlocal creates_seen
        if method == "POST" and path.endswith("/people"):
            creates_seen = True
            return True
        return creates_seen and path.endswith("/people/search")

    faulty.copper_proxy.fault = "502"
    faulty.copper_proxy.match = creates_then_searches
    first = await faulty.sync()
    assert {op.email for op in faulty.store.sync.unknown_ops()} == set(MAILCHIMP_ONLY)
    assert {r.plan.email for r in first.operations if not r.ok} == set(MAILCHIMP_ONLY)
    assert faulty.copper_proxy.forwarded["POST /developer_api/v1/people"] == len(MAILCHIMP_ONLY)

    # Next run, the check fails again (3 attempts for each of the 3 searches): nothing is re-sent,
    # the contacts are held out of the plan, the report says so.
    faulty.copper_proxy.match = lambda method, path: path.endswith("/people/search")
    faulty.copper_proxy.remaining = 3 * len(MAILCHIMP_ONLY)
    held = await faulty.sync()
    assert faulty.copper_proxy.remaining == 0  # the run's own read passed after the checks
    assert {op.email for op in faulty.store.sync.unknown_ops()} == set(MAILCHIMP_ONLY)
    assert faulty.copper_proxy.forwarded["POST /developer_api/v1/people"] == len(MAILCHIMP_ONLY)
    assert not {r.plan.email for r in held.operations} & set(MAILCHIMP_ONLY)
    assert sum(1 for w in held.warnings if "unknown" in w) == len(MAILCHIMP_ONLY)

    faulty.copper_proxy.fault = None  # the gateway is back
    second = await faulty.sync()
    # Checked before planning: each person found and adopted; nothing created again.
    assert not faulty.store.sync.unknown_ops()
    assert faulty.copper_proxy.forwarded["POST /developer_api/v1/people"] == len(MAILCHIMP_ONLY)
    assert [(r.plan.email, r.errors) for r in second.operations if not r.ok] == []
    adopted = [op for op in faulty.store.sync.ops_for_run(first.run_id) if op.action == "copper_create"]
    assert {op.state for op in adopted} == {"sent"}
    await faulty.sync()
    assert_one_record_each_and_every_change(faulty)


async def first_sync_then_colleague_changes(faulty: Faulty) -> dict[str, int]:
    """Everyone on both sides (no fault), then a tag added in Copper and a first name in Mailchimp."""
    first = await faulty.sync()
    assert [r for r in first.operations if not r.ok] == []
    ids = {p["emails"][0]["email"]: int(p["id"]) for p in faulty.copper.people.values()}
    # A tag added in Copper: the member's tags follow (POST .../tags, safe to repeat).
    await faulty.colleague("copper", "PUT", f"/people/{ids[COPPER_ONLY[1]]}", {"tags": [TAG, "VIP"]})
    # A first name changed in Mailchimp: the person follows (PUT /people/{id}, safe to repeat).
    path = f"/lists/{LIST_ID}/members/{subscriber_hash(MAILCHIMP_ONLY[0])}"
    await faulty.colleague("mailchimp", "PATCH", path, {"merge_fields": {"FNAME": "Singerie"}})
    return ids


@pytest.mark.parametrize("fault", ["502", "504", "reset"])
async def test_updates_safe_to_repeat_are_retried_through_faults_and_land(faulty: Faulty, fault: str) -> None:
    ids = await first_sync_then_colleague_changes(faulty)
    faulty.set_fault(fault)
    for _ in range(3):
        await faulty.sync()
    assert_one_record_each_and_every_change(faulty, renamed={MAILCHIMP_ONLY[0]: "Singerie"})
    member = faulty.mailchimp.member(COPPER_ONLY[1])
    assert member is not None and {"VIP", TAG} <= {
        t if isinstance(t, str) else t["name"] for t in member["tags"]
    }
    assert faulty.copper.people[ids[MAILCHIMP_ONLY[0]]]["first_name"] == "Singerie"
    assert faulty.mailchimp_proxy.faulted[fault] > 0 and faulty.copper_proxy.faulted[fault] > 0
    assert not faulty.store.sync.unknown_ops()


@pytest.mark.parametrize("fault", [None, "502", "reset"])
async def test_an_address_change_through_faults_moves_the_member_once(
    faulty: Faulty, fault: str | None
) -> None:
    # Also the regression test for a Copper address change being undone by the Mailchimp follower
    # (the member, still at the old address, looked moved back): no mc_email was planned at all.
    await faulty.sync()
    ids = {p["emails"][0]["email"]: int(p["id"]) for p in faulty.copper.people.values()}
    moved, new_address = COPPER_ONLY[0], "cuivre0.neuf@example.org"
    body = {"emails": [{"email": new_address, "category": "work"}]}
    await faulty.colleague("copper", "PUT", f"/people/{ids[moved]}", body)
    if fault is not None:
        faulty.set_fault(fault)  # the PATCH email_address is not safe to repeat: checked, never re-sent
    for _ in range(3):
        await faulty.sync()
    everyone = [new_address, *COPPER_ONLY[1:], *MAILCHIMP_ONLY]
    assert faulty.people_per_email() == Counter(everyone)
    assert faulty.members_per_email() == Counter(everyone)  # moved, not duplicated; the old one gone
    patch = f"PATCH /3.0/lists/{LIST_ID}/members/{subscriber_hash(moved)}"
    assert faulty.mailchimp_proxy.forwarded[patch] == 1  # unanswered, checked, never sent again
    assert not faulty.store.sync.unknown_ops()


async def test_more_people_in_one_second_than_copper_lists_stops_the_sync_before_planning(
    faulty: Faulty,
) -> None:
    """Past Copper's search cap inside one ``date_modified`` second nobody can be listed: planning
    from the part that was read would take everyone else for a missing person (a Copper create or
    a Mailchimp archive each), so the run stops after the read, loudly, having written nothing."""
    from crmtui.connectors.errors import ReadIncomplete

    world = faulty
    world.copper.search_cap = 40
    stamp = 1_760_000_000
    world.copper.load_people(
        {
            "name": f"Même Seconde {i}",
            "emails": [{"email": f"meme{i}@example.org", "category": "work"}],
            "date_created": stamp,
            "date_modified": stamp,
        }
        for i in range(100)
    )
    world.mailchimp.load_members(
        {"email_address": f"meme{i}@example.org", "status": "subscribed"} for i in range(100)
    )
    copper, mailchimp = world.clients()
    copper.search_cap = 40  # the cap the client knows (Copper's own 100,000 in production)
    writes_before = {**world.copper.control.calls}
    try:
        run_id = world.store.runs.start("sync", mode=world.settings.sync_mode)
        engine = SyncEngine(world.settings, world.store, copper, mailchimp, run_id=run_id)
        with pytest.raises(ReadIncomplete) as raised:
            await engine.run()
    finally:
        await copper.client.aclose()
        await mailchimp.client.aclose()
    assert "same second" in raised.value.message and raised.value.hint
    calls = world.copper.control.calls
    assert {k: v for k, v in calls.items() if is_write(*k.split(" ", 1))} == {
        k: v for k, v in writes_before.items() if is_write(*k.split(" ", 1))
    }
    assert world.store.scalar("SELECT COUNT(*) FROM sync_ops") == 0
    assert world.store.scalar("SELECT COUNT(*) FROM contacts") == 0
    assert len(world.mailchimp.members) == 103  # nobody archived, nobody added
