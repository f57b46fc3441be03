"""Contract tests for the Mailchimp Marketing API v3 simulator (WIRE.md section 2)."""

from __future__ import annotations

import asyncio
import gzip
import io
import json
import re
import tarfile
import urllib.parse
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from crmtui.sandbox.control import Fault
from crmtui.sandbox.loopback import serve_in_thread
from crmtui.sandbox.mailchimp import DEFAULT_API_KEY, PROBLEM_CONTENT_TYPE, MailchimpSim, subscriber_hash

BASE = "https://us19.api.mailchimp.com/3.0"
LIST = "a1b2c3d4e5"
MEMBERS = f"/lists/{LIST}/members"
T0 = 1_700_000_000.0


class FakeClock:
    """A settable clock (epoch seconds)."""

    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float = 1.0) -> None:
        self.t += seconds


class FakeHttp:
    """Records webhook GET validations and POST deliveries; answers ``status``."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.calls: list[tuple[str, str, bytes | None, dict[str, str]]] = []

    async def __call__(self, method: str, url: str, body: bytes | None, headers: dict[str, str]) -> int:
        self.calls.append((method, url, body, headers))
        return self.status

    def posts(self) -> list[dict[str, str]]:
        return [dict(urllib.parse.parse_qsl(b.decode())) for m, _, b, _ in self.calls if m == "POST" and b]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def http() -> FakeHttp:
    return FakeHttp()


@pytest.fixture
def sim(clock: FakeClock, http: FakeHttp) -> MailchimpSim:
    return MailchimpSim(clock=clock, http=http)


def make_client(sim: MailchimpSim, key: str | None = None, base_url: str = BASE) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sim.app),
        base_url=base_url,
        auth=("user", key or sim.api_key),
    )


@pytest.fixture
async def client(sim: MailchimpSim) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(sim) as c:
        yield c


def assert_problem(r: httpx.Response, status: int, title: str, detail: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM_CONTENT_TYPE
    body: dict[str, Any] = r.json()
    assert {"type", "title", "status", "detail", "instance"} <= body.keys()
    assert body["title"] == title
    assert body["status"] == status
    if detail is not None:
        assert body["detail"] == detail
    return body


async def add(
    client: httpx.AsyncClient, email: str, status: str = "subscribed", **extra: Any
) -> httpx.Response:
    return await client.post(MEMBERS, json={"email_address": email, "status": status, **extra})


# --------------------------------------------------------------------------------- auth


async def test_auth_missing_invalid_and_wrong_datacenter(sim: MailchimpSim) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sim.app), base_url=BASE) as anon:
        assert_problem(
            await anon.get("/ping"), 401, "API Key Missing", "Your request did not include an API key."
        )
    detail = "Your API key may be invalid, or you've attempted to access the wrong datacenter."
    async with make_client(sim, key="0000000000000000000000000000000-us19") as bad:
        assert_problem(await bad.get("/ping"), 401, "API Key Invalid", detail)
    async with make_client(sim, key=DEFAULT_API_KEY[:-4] + "us2") as wrong_dc:
        assert_problem(await wrong_dc.get("/ping"), 401, "API Key Invalid", detail)
    async with make_client(sim, base_url="https://us2.api.mailchimp.com/3.0") as wrong_host:
        assert_problem(await wrong_host.get("/ping"), 401, "API Key Invalid", detail)
    async with make_client(sim) as ok:
        r = await ok.get("/ping")
        assert r.status_code == 200 and r.json() == {"health_status": "Everything's Chimpy!"}


async def test_any_username_and_configured_datacenter() -> None:
    sim = MailchimpSim(api_key="abcdef0123456789abcdef0123456789-us7", dc="us7")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sim.app),
        base_url="https://us7.api.mailchimp.com/3.0",
        auth=("anystring", sim.api_key),
    ) as c:
        assert (await c.get(f"/lists/{LIST}")).status_code == 200


# ---------------------------------------------------------------------- errors, routing


async def test_not_found_and_method_not_allowed(client: httpx.AsyncClient) -> None:
    nf = "The requested resource could not be found."
    assert_problem(await client.get("/lists/nope000000"), 404, "Resource Not Found", nf)
    assert_problem(await client.get("/no/such/route"), 404, "Resource Not Found", nf)
    assert_problem(
        await client.get(f"{MEMBERS}/{subscriber_hash('x@exemple.fr')}"), 404, "Resource Not Found"
    )
    r = await client.delete(MEMBERS)
    assert_problem(
        r,
        405,
        "Method Not Allowed",
        "The requested method and resource are not compatible. See the Allow header for this resource's "
        "available methods.",
    )
    assert "POST" in r.headers["allow"] and "GET" in r.headers["allow"]


async def test_json_parse_error(client: httpx.AsyncClient) -> None:
    r = await client.post(MEMBERS, content=b"{not json", headers={"content-type": "application/json"})
    assert_problem(r, 400, "JSON Parse Error")


# -------------------------------------------------------------------------------- lists


async def test_get_list_urls_and_stats(sim: MailchimpSim, client: httpx.AsyncClient) -> None:
    await add(client, "a@exemple.fr")
    await add(client, "b@exemple.fr", "unsubscribed")
    r = await client.get(f"/lists/{LIST}")
    body = r.json()
    assert r.status_code == 200 and body["id"] == LIST
    assert re.fullmatch(
        rf"https://sandbox\.us19\.list-manage\.com/subscribe\?u=[0-9a-f]{{25}}&id={LIST}",
        body["subscribe_url_long"],
    )
    assert body["subscribe_url_short"].startswith("http://eepurl.com/")
    assert body["stats"]["member_count"] == 1
    assert body["stats"]["unsubscribe_count"] == 1
    assert body["stats"]["last_sub_date"] == "2023-11-14T22:13:20+00:00"
    lists = (await client.get("/lists")).json()
    assert lists["total_items"] == 1 and lists["lists"][0]["id"] == LIST


# ------------------------------------------------------------------------------ members


async def test_add_member_shape(client: httpx.AsyncClient) -> None:
    r = await add(client, "Marie.Dupont@Exemple.fr", merge_fields={"FNAME": "Marie"}, tags=["VIP"])
    assert r.status_code == 200
    m = r.json()
    assert m["id"] == subscriber_hash("marie.dupont@exemple.fr")
    assert m["email_address"] == "Marie.Dupont@Exemple.fr"
    assert re.fullmatch(r"[0-9a-f]{10}", m["unique_email_id"])
    for key in (
        "contact_id",
        "email_type",
        "stats",
        "timestamp_signup",
        "timestamp_opt",
        "list_id",
        "_links",
    ):
        assert key in m
    assert m["status"] == "subscribed"
    assert m["merge_fields"] == {"FNAME": "Marie", "LNAME": "", "PHONE": ""}
    assert m["last_changed"] == "2023-11-14T22:13:20+00:00"
    assert m["tags_count"] == 1 and m["tags"][0]["name"] == "VIP" and isinstance(m["tags"][0]["id"], int)
    assert m["list_id"] == LIST


async def test_add_existing_is_member_exists(client: httpx.AsyncClient) -> None:
    await add(client, "a@exemple.fr")
    assert_problem(
        await add(client, "A@exemple.fr"),
        400,
        "Member Exists",
        "A@exemple.fr is already a list member. Use PUT to insert or update list members.",
    )


async def test_add_validation(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.post(MEMBERS, json={"status": "subscribed"}), 400, "Invalid Resource")
    assert body["detail"] == (
        "The resource submitted could not be validated. For field-specific details, see the 'errors' array."
    )
    assert body["errors"] == [{"field": "", "message": "Required fields were not provided: email_address"}]
    body = assert_problem(await add(client, "a@exemple.fr", "maybe"), 400, "Invalid Resource")
    assert body["errors"][0]["field"] == "status"
    body = assert_problem(await add(client, "not-an-email"), 400, "Invalid Resource")
    assert body["detail"] == "not-an-email looks fake or invalid, please enter a real email address."


async def test_get_member_by_hash_or_raw_email(client: httpx.AsyncClient) -> None:
    await add(client, "a@exemple.fr")
    h = subscriber_hash("a@exemple.fr")
    for ref in (h, h.upper(), "a@exemple.fr", "A%40EXEMPLE.FR"):
        r = await client.get(f"{MEMBERS}/{ref}")
        assert r.status_code == 200 and r.json()["id"] == h


async def test_put_requires_email_and_status_if_new_only_when_new(client: httpx.AsyncClient) -> None:
    h = subscriber_hash("new@exemple.fr")
    body = assert_problem(
        await client.put(f"{MEMBERS}/{h}", json={"status": "subscribed"}), 400, "Invalid Resource"
    )
    assert {"field": "", "message": "Required fields were not provided: email_address"} in body["errors"]
    assert {"field": "", "message": "Required fields were not provided: status_if_new"} in body["errors"]
    r = await client.put(
        f"{MEMBERS}/{h}", json={"email_address": "new@exemple.fr", "status_if_new": "pending"}
    )
    assert r.status_code == 200 and r.json()["status"] == "pending"
    # Existing: no email or status_if_new needed; status_if_new alone does not change the status.
    r = await client.put(
        f"{MEMBERS}/{h}", json={"merge_fields": {"FNAME": "N"}, "status_if_new": "subscribed"}
    )
    assert (
        r.status_code == 200 and r.json()["status"] == "pending" and r.json()["merge_fields"]["FNAME"] == "N"
    )
    r = await client.put(f"{MEMBERS}/{h}", json={"status": "subscribed"})
    assert r.json()["status"] == "subscribed"


async def test_compliance_state(client: httpx.AsyncClient) -> None:
    detail = "{e} is in a compliance state due to unsubscribe, bounce, or compliance review and cannot be subscribed."
    await add(client, "u@exemple.fr", "unsubscribed")
    await add(client, "c@exemple.fr", "cleaned")
    for email in ("u@exemple.fr", "c@exemple.fr"):
        h = subscriber_hash(email)
        assert_problem(
            await client.patch(f"{MEMBERS}/{h}", json={"status": "subscribed"}),
            400,
            "Member In Compliance State",
            detail.format(e=email),
        )
        assert_problem(
            await client.put(f"{MEMBERS}/{h}", json={"email_address": email, "status": "subscribed"}),
            400,
            "Member In Compliance State",
        )
    r = await client.patch(f"{MEMBERS}/{subscriber_hash('u@exemple.fr')}", json={"status": "pending"})
    assert r.status_code == 200 and r.json()["status"] == "pending"


async def test_patch(client: httpx.AsyncClient, clock: FakeClock) -> None:
    assert_problem(
        await client.patch(f"{MEMBERS}/{subscriber_hash('x@exemple.fr')}", json={"status": "pending"}),
        404,
        "Resource Not Found",
    )
    first = (await add(client, "old@exemple.fr")).json()
    clock.advance(60)
    r = await client.patch(f"{MEMBERS}/{first['id']}", json={"email_address": "new@exemple.fr"})
    moved = r.json()
    assert r.status_code == 200
    assert moved["id"] == subscriber_hash("new@exemple.fr")
    assert moved["unique_email_id"] == first["unique_email_id"]
    assert moved["last_changed"] == "2023-11-14T22:14:20+00:00"
    assert (await client.get(f"{MEMBERS}/{first['id']}")).status_code == 404
    await add(client, "other@exemple.fr")
    assert_problem(
        await client.patch(f"{MEMBERS}/{moved['id']}", json={"email_address": "other@exemple.fr"}),
        400,
        "Member Exists",
    )


async def test_last_changed_moves_only_on_change(client: httpx.AsyncClient, clock: FakeClock) -> None:
    h = (await add(client, "a@exemple.fr", merge_fields={"FNAME": "A"})).json()["id"]
    clock.advance(10)
    r = await client.patch(f"{MEMBERS}/{h}", json={"merge_fields": {"FNAME": "A"}})
    assert r.json()["last_changed"] == "2023-11-14T22:13:20+00:00"
    r = await client.patch(f"{MEMBERS}/{h}", json={"merge_fields": {"FNAME": "B"}})
    assert r.json()["last_changed"] == "2023-11-14T22:13:30+00:00"


async def test_archive_and_readd(client: httpx.AsyncClient, sim: MailchimpSim) -> None:
    h = (await add(client, "a@exemple.fr")).json()["id"]
    r = await client.delete(f"{MEMBERS}/{h}")
    assert r.status_code == 204 and r.content == b""
    assert (await client.get(f"{MEMBERS}/{h}")).json()["status"] == "archived"
    assert (await client.delete(f"{MEMBERS}/{h}")).status_code == 204  # idempotent
    listed = (await client.get(MEMBERS)).json()
    assert listed["total_items"] == 0
    archived = (await client.get(MEMBERS, params={"status": "archived"})).json()
    assert [m["id"] for m in archived["members"]] == [h]
    r = await client.put(
        f"{MEMBERS}/{h}", json={"email_address": "a@exemple.fr", "status_if_new": "subscribed"}
    )
    assert r.status_code == 200 and r.json()["status"] == "subscribed"
    # An unsubscribed member that was archived keeps its compliance state.
    hu = (await add(client, "u@exemple.fr", "unsubscribed")).json()["id"]
    await client.delete(f"{MEMBERS}/{hu}")
    assert_problem(
        await client.put(f"{MEMBERS}/{hu}", json={"email_address": "u@exemple.fr", "status": "subscribed"}),
        400,
        "Member In Compliance State",
    )
    assert_problem(await add(client, "u@exemple.fr"), 400, "Member In Compliance State")
    assert (await add(client, "u@exemple.fr", "pending")).json()["status"] == "pending"


async def test_delete_permanent_forgets(client: httpx.AsyncClient, sim: MailchimpSim) -> None:
    h = (await add(client, "gone@exemple.fr")).json()["id"]
    r = await client.post(f"{MEMBERS}/{h}/actions/delete-permanent")
    assert r.status_code == 204
    assert h not in sim.members and "gone@exemple.fr" in sim.forgotten
    assert (await client.get(f"{MEMBERS}/{h}")).status_code == 404
    detail = (
        "gone@exemple.fr was permanently deleted and cannot be re-imported. The contact must re-subscribe "
        "to get back on the list."
    )
    for status in ("subscribed", "pending", "unsubscribed"):
        assert_problem(
            await add(client, "gone@exemple.fr", status), 400, "Forgotten Email Not Subscribed", detail
        )
    assert_problem(
        await client.put(
            f"{MEMBERS}/{h}", json={"email_address": "gone@exemple.fr", "status_if_new": "pending"}
        ),
        400,
        "Forgotten Email Not Subscribed",
    )
    batch = (
        await client.post(
            f"/lists/{LIST}", json={"members": [{"email_address": "gone@exemple.fr", "status": "subscribed"}]}
        )
    ).json()
    assert batch["error_count"] == 1
    assert batch["errors"][0]["error_code"] == "ERROR_GENERIC"
    assert batch["errors"][0]["error"] == detail
    assert (await client.post(f"{MEMBERS}/{h}/actions/delete-permanent")).status_code == 404


async def test_forget_seeds_and_hosted_form_resubscribe(client: httpx.AsyncClient, sim: MailchimpSim) -> None:
    sim.forget("Seed@Exemple.fr")
    assert_problem(await add(client, "seed@exemple.fr"), 400, "Forgotten Email Not Subscribed")
    sim.simulate_event("subscribe", "seed@exemple.fr")
    assert (await client.get(f"{MEMBERS}/seed@exemple.fr")).json()["status"] == "subscribed"


# ------------------------------------------------------------------------- merge fields


async def test_merge_field_validation() -> None:
    sim = MailchimpSim(
        merge_fields=["FNAME", {"tag": "LNAME", "required": True}, {"tag": "AGE", "type": "number"}]
    )
    async with make_client(sim) as client:
        body = assert_problem(
            await add(client, "a@exemple.fr", merge_fields={"FNAME": "A"}), 400, "Invalid Resource"
        )
        assert body["detail"] == "Your merge fields were invalid."
        assert body["errors"] == [{"field": "LNAME", "message": "Please enter a value"}]
        body = assert_problem(
            await add(client, "a@exemple.fr", merge_fields={"LNAME": "L", "NOPE": "x"}),
            400,
            "Invalid Resource",
        )
        assert body["errors"][0]["field"] == "NOPE"
        body = assert_problem(
            await add(client, "a@exemple.fr", merge_fields={"LNAME": "L", "FNAME": 12}),
            400,
            "Invalid Resource",
        )
        assert body["errors"][0]["field"] == "merge_fields.FNAME"
        assert_problem(
            await add(client, "a@exemple.fr", merge_fields={"LNAME": "L", "AGE": "old"}),
            400,
            "Invalid Resource",
        )
        r = await client.post(
            MEMBERS,
            params={"skip_merge_validation": "true"},
            json={"email_address": "a@exemple.fr", "status": "subscribed"},
        )
        assert r.status_code == 200
        ok = await add(client, "b@exemple.fr", merge_fields={"LNAME": "L", "AGE": 42})
        assert ok.status_code == 200 and ok.json()["merge_fields"]["AGE"] == 42
        h = ok.json()["id"]
        assert_problem(
            await client.patch(f"{MEMBERS}/{h}", json={"merge_fields": {"LNAME": ""}}),
            400,
            "Invalid Resource",
        )


# --------------------------------------------------------------------------------- tags


async def test_tags(client: httpx.AsyncClient, clock: FakeClock) -> None:
    h = (await add(client, "a@exemple.fr", tags=["old"])).json()["id"]
    clock.advance(5)
    r = await client.post(
        f"{MEMBERS}/{h}/tags",
        json={
            "tags": [{"name": "new", "status": "active"}, {"name": "old", "status": "inactive"}],
            "is_syncing": True,
        },
    )
    assert r.status_code == 204 and r.content == b""
    tags = (await client.get(f"{MEMBERS}/{h}/tags")).json()
    assert [t["name"] for t in tags["tags"]] == ["new"] and tags["total_items"] == 1
    member = (await client.get(f"{MEMBERS}/{h}")).json()
    assert member["tags_count"] == 1 and member["last_changed"] == "2023-11-14T22:13:25+00:00"
    body = assert_problem(
        await client.post(f"{MEMBERS}/{h}/tags", json={"tags": [{"name": "x" * 101, "status": "active"}]}),
        400,
        "Invalid Resource",
    )
    assert body["errors"]
    assert (
        await client.post(f"{MEMBERS}/{h}/tags", json={"tags": [{"name": "x" * 100, "status": "active"}]})
    ).status_code == 204
    assert_problem(
        await client.post(f"{MEMBERS}/{h}/tags", json={"tags": [{"name": "y", "status": "on"}]}),
        400,
        "Invalid Resource",
    )


async def test_tag_limit_configurable() -> None:
    sim = MailchimpSim(tag_max_length=5)
    async with make_client(sim) as client:
        assert_problem(await add(client, "a@exemple.fr", tags=["toolong"]), 400, "Invalid Resource")
        assert (await add(client, "a@exemple.fr", tags=["short"])).status_code == 200


# ------------------------------------------------------------------------ member listing


async def test_listing_paging_and_filters(
    client: httpx.AsyncClient, sim: MailchimpSim, clock: FakeClock
) -> None:
    sim.load_members(
        {
            "email_address": f"u{i:03d}@exemple.fr",
            "status": "subscribed" if i % 4 else "unsubscribed",
            "last_changed": T0 + i,
        }
        for i in range(120)
    )
    page = (await client.get(MEMBERS)).json()
    assert len(page["members"]) == 10 and page["total_items"] == 120 and page["list_id"] == LIST
    assert page["_links"]
    seen: list[str] = []
    for offset in range(0, 120, 50):
        r = await client.get(MEMBERS, params={"count": 50, "offset": offset})
        seen += [m["email_address"] for m in r.json()["members"]]
    assert len(seen) == 120 == len(set(seen))
    unsub = (await client.get(MEMBERS, params={"status": "unsubscribed", "count": 1000})).json()
    assert unsub["total_items"] == 30 and {m["status"] for m in unsub["members"]} == {"unsubscribed"}
    since = (
        await client.get(MEMBERS, params={"since_last_changed": "2023-11-14T22:15:00+00:00", "count": 1000})
    ).json()
    assert since["total_items"] == 20  # T0+100 .. T0+119 (inclusive bound)
    window = (
        await client.get(
            MEMBERS,
            params={
                "since_last_changed": "2023-11-14T22:13:30+00:00",
                "before_last_changed": "2023-11-14T22:13:40Z",
            },
        )
    ).json()
    assert window["total_items"] == 10
    desc = (
        await client.get(MEMBERS, params={"sort_field": "last_changed", "sort_dir": "DESC", "count": 3})
    ).json()
    assert [m["email_address"] for m in desc["members"]] == [
        "u119@exemple.fr",
        "u118@exemple.fr",
        "u117@exemple.fr",
    ]
    clamp = (await client.get(MEMBERS, params={"count": 5000})).json()
    assert len(clamp["members"]) == 120
    assert_problem(await client.get(MEMBERS, params={"status": "nope"}), 400, "Invalid Resource")
    assert_problem(
        await client.get(MEMBERS, params={"since_last_changed": "yesterday"}), 400, "Invalid Resource"
    )
    # A change moves the member to the end of the since window.
    clock.t = T0 + 500
    await client.patch(f"{MEMBERS}/u000@exemple.fr", json={"merge_fields": {"FNAME": "Z"}})
    again = (
        await client.get(MEMBERS, params={"since_last_changed": "2023-11-14T22:15:00+00:00", "count": 1000})
    ).json()
    assert again["total_items"] == 21 and again["members"][-1]["email_address"] == "u000@exemple.fr"


async def test_fields_and_exclude_fields(client: httpx.AsyncClient) -> None:
    await add(client, "a@exemple.fr", merge_fields={"FNAME": "A"})
    r = await client.get(
        MEMBERS, params={"fields": "members.email_address,members.merge_fields.FNAME,total_items"}
    )
    assert r.json() == {
        "members": [{"email_address": "a@exemple.fr", "merge_fields": {"FNAME": "A"}}],
        "total_items": 1,
    }
    r = await client.get(MEMBERS, params={"exclude_fields": "members._links,members.location,_links"})
    body = r.json()
    assert (
        "_links" not in body and "_links" not in body["members"][0] and "location" not in body["members"][0]
    )
    assert "email_address" in body["members"][0]
    one = (await client.get(f"{MEMBERS}/a@exemple.fr", params={"fields": "id,status"})).json()
    assert one == {"id": subscriber_hash("a@exemple.fr"), "status": "subscribed"}


async def test_load_members_large_and_paging_by_since(sim: MailchimpSim, client: httpx.AsyncClient) -> None:
    n = sim.load_members(
        {
            "email_address": f"bulk{i}@exemple.fr",
            "merge_fields": {"FNAME": "B"},
            "tags": ["t"],
            "last_changed": T0 + i,
        }
        for i in range(50_000)
    )
    assert n == 50_000 and len(sim.members) == 50_000 and sim.control.total_calls == 0
    got = 0
    offset = 0
    while True:
        r = await client.get(
            MEMBERS,
            params={
                "since_last_changed": "2023-11-15T00:00:00+00:00",
                "count": 1000,
                "offset": offset,
                "fields": "members.id,total_items",
            },
        )
        page = r.json()["members"]
        got += len(page)
        offset += 1000
        if len(page) < 1000:
            break
    assert got == 50_000 - (int(1700006400 - T0))


# ------------------------------------------------------------------------ batch subscribe


async def test_batch_subscribe(client: httpx.AsyncClient, sim: MailchimpSim) -> None:
    await add(client, "exists@exemple.fr", tags=["keep", "drop"])
    await add(client, "unsub@exemple.fr", "unsubscribed")
    members = [
        {"email_address": "new@exemple.fr", "status": "subscribed", "tags": ["a"]},
        {"email_address": "exists@exemple.fr", "status": "subscribed", "merge_fields": {"FNAME": "E"}},
        {"email_address": "NEW@exemple.fr", "status": "pending"},  # duplicate: first wins
        {"email_address": "unsub@exemple.fr", "status": "subscribed"},
        {"email_address": "bad", "status": "subscribed"},
    ]
    r = await client.post(f"/lists/{LIST}", json={"members": members})
    body = r.json()
    assert r.status_code == 200
    assert body["total_created"] == 1 and body["total_updated"] == 0 and body["error_count"] == 3
    assert body["new_members"][0]["status"] == "subscribed"
    codes = {e["email_address"]: e["error_code"] for e in body["errors"]}
    assert codes == {
        "exists@exemple.fr": "ERROR_CONTACT_EXISTS",
        "unsub@exemple.fr": "ERROR_CONTACT_EXISTS",
        "bad": "ERROR_GENERIC",
    }
    for e in body["errors"]:
        assert set(e) == {"email_address", "error", "error_code", "field", "field_message"}
    assert "_links" in body
    r = await client.post(f"/lists/{LIST}", json={"members": members[1:4], "update_existing": True})
    body = r.json()
    assert body["total_updated"] == 2 and body["total_created"] == 0 and body["error_count"] == 1
    error = body["errors"][0]
    assert error["email_address"] == "unsub@exemple.fr" and error["error_code"] == "ERROR_GENERIC"
    assert "compliance state" in error["error"]
    r = await client.post(
        f"/lists/{LIST}",
        json={
            "members": [
                {"email_address": "exists@exemple.fr", "status": "subscribed", "tags": ["keep", "new"]}
            ],
            "update_existing": True,
            "sync_tags": True,
        },
    )
    assert r.json()["total_updated"] == 1
    assert list(sim.members[subscriber_hash("exists@exemple.fr")].tags) == ["keep", "new"]
    await client.post(
        f"/lists/{LIST}",
        json={"members": [{"email_address": "exists@exemple.fr", "tags": ["more"]}], "update_existing": True},
    )
    assert list(sim.members[subscriber_hash("exists@exemple.fr")].tags) == ["keep", "new", "more"]


async def test_batch_subscribe_limit(client: httpx.AsyncClient) -> None:
    members = [{"email_address": f"m{i}@exemple.fr", "status": "subscribed"} for i in range(501)]
    assert_problem(await client.post(f"/lists/{LIST}", json={"members": members}), 400, "Invalid Resource")
    r = await client.post(f"/lists/{LIST}", json={"members": members[:500]})
    assert r.json()["total_created"] == 500


# -------------------------------------------------------------------------------- /batches


async def test_batches_run_and_archive(client: httpx.AsyncClient, sim: MailchimpSim) -> None:
    h = subscriber_hash("op@exemple.fr")
    ops = [
        {
            "method": "PUT",
            "path": f"/lists/{LIST}/members/{h}",
            "body": json.dumps({"email_address": "op@exemple.fr", "status_if_new": "subscribed"}),
            "operation_id": "put-1",
        },
        {"method": "GET", "path": f"/lists/{LIST}/members/nobody@exemple.fr", "operation_id": "get-404"},
        {"method": "GET", "path": f"/lists/{LIST}/members", "params": {"count": 1}, "operation_id": "list"},
    ]
    created = (await client.post("/batches", json={"operations": ops})).json()
    assert created["status"] == "pending" and created["total_operations"] == 3
    assert h not in sim.members  # nothing runs before the first poll
    done = (await client.get(f"/batches/{created['id']}")).json()
    assert done["status"] == "finished"
    assert done["finished_operations"] == 3 and done["errored_operations"] == 1
    assert h in sim.members
    archive = await client.get(done["response_body_url"], auth=None)
    assert archive.status_code == 200
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(archive.content))) as tar:
        results = [json.load(tar.extractfile(m)) for m in tar.getmembers() if m.isfile()][0]  # type: ignore[arg-type]
    by_id = {r["operation_id"]: r for r in results}
    assert by_id["put-1"]["status_code"] == 200
    assert json.loads(by_id["put-1"]["response"])["email_address"] == "op@exemple.fr"
    assert by_id["get-404"]["status_code"] == 404
    assert json.loads(by_id["get-404"]["response"])["title"] == "Resource Not Found"
    assert_problem(await client.get("/batches/0000000000"), 404, "Resource Not Found")


async def test_batches_stage_through_statuses() -> None:
    sim = MailchimpSim(batch_polls=3)
    async with make_client(sim) as client:
        bid = (await client.post("/batches", json={"operations": []})).json()["id"]
        statuses = [(await client.get(f"/batches/{bid}")).json()["status"] for _ in range(4)]
    assert statuses == ["preprocessing", "started", "finished", "finished"]


# ------------------------------------------------------------------------------ webhooks


async def test_webhook_create_validates_with_get(client: httpx.AsyncClient, http: FakeHttp) -> None:
    hooks = f"/lists/{LIST}/webhooks"
    r = await client.post(hooks, json={"url": "https://hooks.exemple.fr/mc/s3cret", "sources": {"api": True}})
    assert r.status_code == 200
    hook = r.json()
    assert http.calls[0][:2] == ("GET", "https://hooks.exemple.fr/mc/s3cret")
    assert hook["sources"]["api"] is True and hook["events"]["unsubscribe"] is True
    listed = (await client.get(hooks)).json()
    assert listed["total_items"] == 1 and listed["webhooks"][0]["id"] == hook["id"]
    http.status = 404
    assert_problem(
        await client.post(hooks, json={"url": "https://hooks.exemple.fr/other"}),
        400,
        "Invalid Resource",
        "We couldn't verify the URL is working. Please double check and try again. HTTP Code: 404",
    )
    assert (await client.delete(f"{hooks}/{hook['id']}")).status_code == 204
    assert (await client.get(hooks)).json()["total_items"] == 0
    assert (await client.delete(f"{hooks}/{hook['id']}")).status_code == 404


async def test_webhook_deliveries_for_api_changes(
    client: httpx.AsyncClient, sim: MailchimpSim, http: FakeHttp
) -> None:
    await client.post(
        f"/lists/{LIST}/webhooks", json={"url": "https://h.exemple.fr/x", "sources": {"api": True}}
    )
    h = (await add(client, "a@exemple.fr", merge_fields={"FNAME": "Ann"})).json()["id"]
    await client.patch(f"{MEMBERS}/{h}", json={"merge_fields": {"LNAME": "Lee"}})
    await client.patch(f"{MEMBERS}/{h}", json={"status": "unsubscribed"})
    await client.patch(f"{MEMBERS}/{h}", json={"email_address": "b@exemple.fr"})
    await client.patch(f"{MEMBERS}/b@exemple.fr", json={"status": "cleaned"})
    results = await sim.deliver_webhooks()
    assert [r["status"] for r in results] == [200] * 5
    posts = http.posts()
    assert [p["type"] for p in posts] == ["subscribe", "profile", "unsubscribe", "upemail", "cleaned"]
    sub = posts[0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", sub["fired_at"])
    assert sub["fired_at"] == "2023-11-14 22:13:20"
    assert sub["data[email]"] == "a@exemple.fr" and sub["data[merges][FNAME]"] == "Ann"
    assert sub["data[list_id]"] == LIST and sub["data[merges][EMAIL]"] == "a@exemple.fr"
    assert posts[1]["data[merges][LNAME]"] == "Lee"
    assert posts[2]["data[action]"] == "unsub" and "data[reason]" in posts[2]
    assert posts[3]["data[old_email]"] == "a@exemple.fr" and posts[3]["data[new_email]"] == "b@exemple.fr"
    assert posts[3]["data[new_id]"]
    assert posts[4]["data[reason]"] == "hard" and posts[4]["data[email]"] == "b@exemple.fr"
    method, _, body, headers = http.calls[-1]
    assert method == "POST" and headers["content-type"] == "application/x-www-form-urlencoded"
    assert b"data[email]=" in body  # type: ignore[operator]
    assert await sim.deliver_webhooks() == []


async def test_webhooks_respect_sources_and_retry_failures(
    client: httpx.AsyncClient, sim: MailchimpSim, http: FakeHttp
) -> None:
    await client.post(f"/lists/{LIST}/webhooks", json={"url": "https://h.exemple.fr/x"})  # api off by default
    await add(client, "a@exemple.fr")
    assert sim.webhook_outbox == []
    sim.simulate_event("unsubscribe", "a@exemple.fr", reason="abuse")
    http.status = 500
    first = await sim.deliver_webhooks()
    assert first[0]["status"] == 500 and len(sim.webhook_outbox) == 1
    http.status = 200
    second = await sim.deliver_webhooks()
    assert second[0]["status"] == 200 and second[0]["attempt"] == 2
    assert second[0]["data"]["data[reason]"] == "abuse"
    assert (await client.get(f"{MEMBERS}/a@exemple.fr")).json()["status"] == "unsubscribed"


async def test_simulate_event_and_admin_hook(
    client: httpx.AsyncClient, sim: MailchimpSim, http: FakeHttp
) -> None:
    sim.add_webhook("https://h.exemple.fr/x")
    await add(client, "a@exemple.fr")
    r = await client.post(
        "https://us19.api.mailchimp.com/__sim__/mailchimp/events",
        json={"kind": "cleaned", "email": "a@exemple.fr"},
    )
    assert r.status_code == 200 and r.json()["member"]["status"] == "cleaned"
    r = await client.post("https://us19.api.mailchimp.com/__sim__/mailchimp/webhooks/deliver")
    assert [d["type"] for d in r.json()["deliveries"]] == ["cleaned"]
    assert http.posts()[0]["data[reason]"] == "hard"
    r = await client.post(
        "https://us19.api.mailchimp.com/__sim__/mailchimp/events",
        json={"kind": "unsubscribe", "email": "nobody@exemple.fr"},
    )
    assert r.status_code == 400
    # The hosted form brings a compliance-state member back.
    sim.simulate_event("subscribe", "a@exemple.fr")
    assert sim.members[subscriber_hash("a@exemple.fr")].status == "subscribed"


# ------------------------------------------------------------------- concurrency, sockets


async def test_more_than_ten_in_flight_get_429(sim: MailchimpSim, client: httpx.AsyncClient) -> None:
    sim.control.latency = 0.2
    responses = await asyncio.gather(*(client.get("/ping") for _ in range(15)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 10 + [429] * 5
    limited = next(r for r in responses if r.status_code == 429)
    assert_problem(limited, 429, "Too Many Requests")
    assert "retry-after" not in limited.headers
    assert sim.peak_in_flight == 10 and sim.rejected_429 == 5
    assert sim.control.calls["GET /ping"] == 15
    sim.control.latency = 0
    assert (await client.get("/ping")).status_code == 200


async def test_loopback_socket_roundtrip_and_429(sim: MailchimpSim) -> None:
    sim.control.latency = 0.3
    with serve_in_thread(sim.app) as url:
        async with httpx.AsyncClient(base_url=url + "/3.0", auth=("user", sim.api_key), timeout=5) as c:
            responses = await asyncio.gather(*(c.get(f"/lists/{LIST}") for _ in range(12)))
            assert sorted(r.status_code for r in responses) == [200] * 10 + [429] * 2
            sim.control.latency = 0
            r = await add(c, "sock@exemple.fr")
            assert r.status_code == 200
            assert_problem(await add(c, "sock@exemple.fr"), 400, "Member Exists")
            bid = (await c.post("/batches", json={"operations": []})).json()["id"]
            done = (await c.get(f"/batches/{bid}")).json()
            assert done["response_body_url"].startswith(url)
            assert (await c.get(done["response_body_url"])).status_code == 200


async def test_scripted_faults_answer_in_problem_format(sim: MailchimpSim, client: httpx.AsyncClient) -> None:
    sim.control.add_fault(Fault(kind="status", status=503))
    r = await client.get("/ping")
    assert r.status_code == 503 and r.json()["status"] == 503 and r.json()["title"] == "Service Unavailable"
    sim.control.add_fault(Fault(kind="rate_limit", retry_after=2))
    r = await client.get("/ping")
    assert (
        r.status_code == 429 and r.headers["retry-after"] == "2" and r.json()["title"] == "Too Many Requests"
    )
    assert (await client.get("/ping")).status_code == 200


async def test_reset(sim: MailchimpSim, client: httpx.AsyncClient) -> None:
    await add(client, "a@exemple.fr")
    sim.forget("b@exemple.fr")
    sim.reset()
    assert not sim.members and not sim.forgotten and sim.control.total_calls == 0
    assert (await client.get(MEMBERS)).json()["total_items"] == 0
