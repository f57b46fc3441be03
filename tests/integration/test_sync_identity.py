"""One person, one record: a member whose address changes in Mailchimp stays the same Copper person.

Issue #12 (4): a Copper person is synced (crmtui creates the member), the member's address is changed
in Mailchimp before crmtui has read it back, and the next syncs must rename the person's email (one
person, one member), never create a second person nor re-create the old address.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.sync_support import World, failed_ops

OLD = "jean.dupont@exemple.fr"
NEW = "jean.nouveau@exemple.fr"


@pytest.fixture
async def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)
    # Somebody already synced, so later runs are incremental (both cursors set).
    await w.create_person("deja@exemple.fr", "Déjà", "Là", ["Client"])
    first = await w.sync()
    assert first.full and first.failed == 0
    second = await w.sync()  # the first read of a member sets Mailchimp's cursor
    assert second.failed == 0 and second.operations == []
    yield w
    w.close()


def assert_one_record(w: World, email: str, person_id: int, tags: set[str] | None = None) -> None:
    people, members = w.people_by_email(), w.members_by_email()
    assert people.get(email) == [person_id], people
    assert len(members.get(email, [])) == 1, members
    assert all(len(ids) == 1 for ids in people.values()), people
    assert all(len(ids) == 1 for ids in members.values()), members
    if tags is not None:
        assert set(w.copper.people[person_id]["tags"]) == tags
        member = w.mailchimp.member(email)
        assert member is not None and {t["name"] for t in member["tags"]} >= tags


async def test_upemail_before_read_back_renames_the_person(world: World) -> None:
    person = await world.create_person(OLD, "Jean", "Dupont", ["Client"])
    created = await world.sync()
    assert not created.full and created.failed == 0, failed_ops(created)
    uid = world.member_uid(OLD)
    assert uid
    # The ids are kept from the create answer on (before any read of the member).
    row = world.store.db.execute(
        "SELECT mailchimp_unique_id, mailchimp_hash FROM contacts WHERE email = ?", (OLD,)
    ).fetchone()
    assert row[0] == uid and row[1] == world.mailchimp.member(OLD)["id"]  # type: ignore[index]

    moved = await world.upemail(OLD, NEW)
    assert moved["unique_email_id"] == uid and moved["id"] != row[1]  # the id follows the address
    await world.copper_tags(person, ["Client", "VIP"])  # and a tag change in the same window

    for _ in range(2):  # every incremental run ends well
        report = await world.sync()
        assert not report.full and report.failed == 0, failed_ops(report)
    assert_one_record(world, NEW, person, {"Client", "VIP"})
    assert OLD not in world.members_by_email() and OLD not in world.people_by_email()

    full = await world.sync(full=True)
    assert full.failed == 0 and full.operations == [], [(r.plan.email, r.plan.ops) for r in full.operations]
    assert OLD not in world.members_by_email()  # the old address is not re-created
    assert_one_record(world, NEW, person, {"Client", "VIP"})
    assert world.store.sync.contacts_by_email([OLD]) == {}


async def test_upemail_after_read_back_and_mailchimp_tag(world: World) -> None:
    person = await world.create_person(OLD, "Jean", "Dupont", ["Client"])
    await world.sync()
    await world.sync(full=True)  # the member read back
    await world.upemail(OLD, NEW)
    await world.mailchimp_tag(NEW, "Salon 2026", active=True)
    report = await world.sync()
    assert report.failed == 0, failed_ops(report)
    assert_one_record(world, NEW, person, {"Client"})
    assert (await world.sync(full=True)).operations == []
    assert OLD not in world.members_by_email()


async def test_upemail_then_full_sync_first(world: World) -> None:
    person = await world.create_person(OLD, "Jean", "Dupont", ["Client"])
    await world.sync()
    await world.upemail(OLD, NEW)
    report = await world.sync(full=True)  # the next run happens to be a full one
    assert report.failed == 0, failed_ops(report)
    assert_one_record(world, NEW, person)
    assert (await world.sync()).operations == []
    assert (await world.sync(full=True)).operations == []


async def test_two_upemails_in_a_row(world: World) -> None:
    person = await world.create_person(OLD, "Jean", "Dupont", ["Client"])
    await world.sync()
    await world.upemail(OLD, NEW)
    await world.upemail(NEW, "jean.troisieme@exemple.fr")
    report = await world.sync()
    assert report.failed == 0, failed_ops(report)
    assert_one_record(world, "jean.troisieme@exemple.fr", person)
    assert (await world.sync(full=True)).operations == []


async def test_killed_after_the_create_landed_then_upemail(world: World) -> None:
    """kill -9 between Mailchimp's commit of the create and our record of it, then an ``upemail``."""
    person = await world.create_person(OLD, "Jean", "Dupont", ["Client"])
    assert await world.killed_sync(world.mailchimp_front)
    assert world.member_uid(OLD)  # Mailchimp holds the member; crmtui never saw the answer
    await world.upemail(OLD, NEW)
    report = await world.sync()  # a new process on the same store
    assert report.failed == 0, failed_ops(report)
    assert_one_record(world, NEW, person)
    assert (await world.sync(full=True)).operations == []
    assert OLD not in world.members_by_email()


async def test_copper_and_mailchimp_rename_the_same_person(world: World) -> None:
    person = await world.create_person(OLD, "Jean", "Dupont", ["Client"])
    await world.sync()
    await world.upemail(OLD, NEW)
    await world._call(
        "http://copper.test/developer_api/v1",
        "PUT",
        f"/people/{person}",
        json={"emails": [{"email": NEW, "category": "work"}]},
    )
    report = await world.sync()
    assert report.failed == 0, failed_ops(report)
    assert_one_record(world, NEW, person)
    assert (await world.sync(full=True)).operations == []


async def test_spellings_of_one_address_are_one_person(world: World) -> None:
    """The sync's identity is ``email_key`` on both sides: NFD, case and full-width forms are one person."""
    import unicodedata

    copper_spelling = unicodedata.normalize("NFD", "Élodie.Ｍａｒｔｉｎ@Exemple.fr")  # NFD, full-width
    person = await world.create_person(copper_spelling, "Élodie", "Martin", ["Client"])
    world.mailchimp.load_members([{"email_address": "ÉLODIE.MARTIN@EXEMPLE.FR", "status": "subscribed"}])
    report = await world.sync()
    assert report.failed == 0, failed_ops(report)
    assert len(world.copper.people) == 2 and len(world.mailchimp.members) == 2  # deja@ and her
    assert (
        world.store.sync.contacts_by_email(["élodie.martin@exemple.fr"])["élodie.martin@exemple.fr"].copper_id
        == person
    )
    assert (await world.sync(full=True)).operations == []


async def test_killed_create_then_upemail_and_profile_edit_followed_through_the_webhook(world: World) -> None:
    """The member's fields changed too, so nothing but Mailchimp's ``upemail`` webhook ties it to us."""
    from crmtui.engine.events_in import EventProcessor
    from tests.integration.events_support import SECRETS, app_for, serve_settings

    live = serve_settings(world.settings)
    app = app_for(live, world.store)

    async def deliver(method: str, url: str, body: bytes | None, headers: dict[str, str]) -> int:
        import httpx

        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="https://crm.test"
        ) as web:
            return (await web.request(method, url, content=body, headers=headers)).status_code

    world.mailchimp.http = deliver
    world.mailchimp.add_webhook(f"https://crm.test/webhooks/mailchimp/{SECRETS.mailchimp}")
    person = await world.create_person(OLD, "Jean", "Dupont", ["Client"])
    assert await world.killed_sync(world.mailchimp_front)
    # The person changes their address, then their first name, on Mailchimp's profile page.
    world.mailchimp.simulate_event("upemail", OLD, new_email=NEW)
    world.mailchimp.simulate_event("profile", NEW, merge_fields={"FNAME": "Jean-Marie"})
    delivered = await world.mailchimp.deliver_webhooks()
    assert {d["type"] for d in delivered} >= {"upemail"} and all(d["status"] == 200 for d in delivered)
    EventProcessor(live, world.store).process_pending()  # what serve's loop (or the next cycle) does
    report = await world.sync()
    assert report.failed == 0, failed_ops(report)
    assert_one_record(world, NEW, person)
    # No merge base yet for this contact: a conflict, settled by SYNC_CONFLICT_POLICY (copper-wins).
    member = world.mailchimp.member(NEW)
    assert member is not None and member["merge_fields"]["FNAME"] == world.copper.people[person]["first_name"]
    assert (await world.sync(full=True)).operations == []
    assert OLD not in world.members_by_email()


async def test_killed_while_creating_the_person_of_a_signup_then_upemail(world: World) -> None:
    """Found by the state machine: a Mailchimp signup, a run killed once Copper created the person
    (no answer), then the member's address changes; the next run must rename that person."""
    world.mailchimp.simulate_event("subscribe", "inscrit@exemple.fr", merge_fields={"FNAME": "Inscrit"})
    assert await world.killed_sync(world.copper_front)
    [person] = world.people_by_email()["inscrit@exemple.fr"]  # Copper made it; crmtui never heard
    world.mailchimp.simulate_event("upemail", "inscrit@exemple.fr", new_email="inscrit.nouveau@exemple.fr")
    report = await world.sync(full=True)
    assert report.failed == 0, failed_ops(report)
    assert_one_record(world, "inscrit.nouveau@exemple.fr", person)
    assert "inscrit@exemple.fr" not in world.members_by_email()
    assert (await world.sync()).operations == []


async def test_two_killed_runs_then_upemail(world: World) -> None:
    """Found by the state machine: the member's create loses its answer, the next run (which reads
    the member, with nothing to write for it) is killed too, then the member's address changes."""
    person = await world.create_person(OLD, "Jean", "Dupont", ["Client"])
    assert await world.killed_sync(world.mailchimp_front)
    world.mailchimp.simulate_event("subscribe", "inscrit@exemple.fr", merge_fields={"FNAME": "Inscrit"})
    assert await world.killed_sync(world.copper_front)
    await world.upemail(OLD, NEW)
    report = await world.sync(full=True)
    assert report.failed == 0, failed_ops(report)
    assert_one_record(world, NEW, person)
    assert OLD not in world.members_by_email() and len(world.people_by_email()["inscrit@exemple.fr"]) == 1
    assert (await world.sync()).operations == []


@pytest.mark.parametrize("full", [True, False])
async def test_email_changed_in_copper_renames_the_member(world: World, full: bool) -> None:
    """Found by the state machine with a Copper rename rule: a member read back under the address its
    person just left must follow the person (it was mistaken for a rename made in Mailchimp)."""
    person = await world.create_person(OLD, "Jean", "Dupont", ["Client"])
    await world.sync()
    await world._call(
        "http://copper.test/developer_api/v1",
        "PUT",
        f"/people/{person}",
        json={"emails": [{"email": NEW, "category": "work"}]},
    )
    report = await world.sync(full=full)
    assert report.failed == 0, failed_ops(report)
    assert_one_record(world, NEW, person)
    assert OLD not in world.members_by_email()
    assert (await world.sync(full=True)).operations == []


async def test_killed_after_the_create_landed_then_renamed_in_copper(world: World) -> None:
    """Found by the state machine: the member's create loses its answer, then the person's email
    changes in Copper; the next run must rename that member, not make a second person."""
    person = await world.create_person(OLD, "Jean", "Dupont", ["Client"])
    assert await world.killed_sync(world.mailchimp_front)
    await world.copper_emails(person, [NEW])
    report = await world.sync(full=True)
    assert report.failed == 0, failed_ops(report)
    assert_one_record(world, NEW, person)
    assert OLD not in world.members_by_email()
    assert (await world.sync()).operations == []


async def test_killed_after_the_create_then_renamed_on_both_sides(world: World) -> None:
    """Found by the state machine: an unanswered create, then the address changes in Mailchimp and
    the email in Copper before any read: one person, one member, under one address (Mailchimp's)."""
    person = await world.create_person(OLD, "Jean", "Dupont", ["Client"])
    assert await world.killed_sync(world.mailchimp_front)
    await world.upemail(OLD, NEW)
    await world.copper_emails(person, ["jean.copper@exemple.fr"])
    report = await world.sync(full=True)
    assert report.failed == 0, failed_ops(report)
    assert_one_record(world, NEW, person)
    assert len(world.members_by_email()) == len(world.people_by_email()) == 2
    assert (await world.sync()).operations == []


async def test_killed_while_creating_the_person_then_renamed_in_copper(world: World) -> None:
    """Found by the state machine: Copper created the person of a Mailchimp signup (the answer lost),
    then a colleague changed that person's email; the next run must not make a second person."""
    world.mailchimp.simulate_event("subscribe", "inscrit@exemple.fr", merge_fields={"FNAME": "Inscrit"})
    assert await world.killed_sync(world.copper_front)
    [person] = world.people_by_email()["inscrit@exemple.fr"]
    await world.copper_emails(person, ["inscrit.copper@exemple.fr"])
    report = await world.sync(full=True)
    assert report.failed == 0, failed_ops(report)
    assert_one_record(world, "inscrit.copper@exemple.fr", person)
    assert "inscrit@exemple.fr" not in world.members_by_email()
    assert (await world.sync()).operations == []
