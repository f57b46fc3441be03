"""Contract tests for the Copper simulator, written from docs/WIRE.md §1 (not from a client).

Most tests run in-process through ``httpx.ASGITransport``; the ``TestLoopback`` ones go over a real
socket with :func:`serve_in_thread`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from crmtui.sandbox.control import Fault
from crmtui.sandbox.copper import BASE_PATH, PERSON_KEYS, CopperSim
from crmtui.sandbox.loopback import serve_in_thread

BASE_URL = "https://api.copper.com" + BASE_PATH
KEY = "sandbox-copper-key"
EMAIL = "ops@domaine-exemple.fr"
AUTH = {
    "X-PW-AccessToken": KEY,
    "X-PW-Application": "developer_api",
    "X-PW-UserEmail": EMAIL,
    "Content-Type": "application/json",
}
T0 = 1_700_000_000.0

Sent = list[tuple[str, dict[str, str], dict[str, Any]]]


class FakeClock:
    """A settable clock: ``clock()`` returns ``clock.t``."""

    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sent() -> Sent:
    return []


def make_sim(clock: FakeClock, sent: Sent, **kwargs: Any) -> CopperSim:
    async def notify(url: str, headers: dict[str, str], body: dict[str, Any]) -> None:
        sent.append((url, headers, body))

    return CopperSim(clock=clock, notify=notify, **kwargs)


@pytest.fixture
def sim(clock: FakeClock, sent: Sent) -> CopperSim:
    return make_sim(clock, sent)


def client_for(sim: CopperSim, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sim.app),
        base_url=BASE_URL,
        headers=AUTH if headers is None else headers,
    )


@pytest.fixture
async def client(sim: CopperSim) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(sim) as c:
        yield c


def assert_envelope(response: httpx.Response, status: int) -> None:
    assert response.status_code == status
    body = response.json()
    assert body["success"] is False
    assert body["status"] == status
    assert isinstance(body["message"], str) and body["message"]


async def create(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    response = await client.post("/people", json=fields)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def email(address: str, category: str = "work") -> list[dict[str, str]]:
    return [{"email": address, "category": category}]


# ---------------------------------------------------------------------------------- auth


class TestAuth:
    @pytest.mark.parametrize(
        ("header", "value"),
        [
            ("X-PW-AccessToken", None),
            ("X-PW-AccessToken", "wrong-key"),
            ("X-PW-Application", None),
            ("X-PW-Application", "webapp"),
            ("X-PW-UserEmail", None),
            ("X-PW-UserEmail", "someone@else.fr"),
        ],
    )
    async def test_missing_or_wrong_header_is_401(
        self, sim: CopperSim, header: str, value: str | None
    ) -> None:
        headers = {k: v for k, v in AUTH.items() if k != header}
        if value is not None:
            headers[header] = value
        async with client_for(sim, headers) as c:
            for response in (
                await c.get("/people/1"),
                await c.post("/people", json={"name": "Nope"}),
                await c.post("/people/search", json={}),
                await c.get("/webhooks"),
            ):
                assert_envelope(response, 401)
        assert sim.people == {}

    async def test_401_message_never_echoes_the_key(self, sim: CopperSim) -> None:
        async with client_for(sim, {**AUTH, "X-PW-AccessToken": "leaky-secret-value"}) as c:
            response = await c.get("/webhooks")
        assert "leaky-secret-value" not in response.text

    async def test_user_email_is_case_insensitive(self, sim: CopperSim) -> None:
        async with client_for(sim, {**AUTH, "X-PW-UserEmail": EMAIL.upper()}) as c:
            assert (await c.get("/webhooks")).status_code == 200

    async def test_configured_credentials(self, clock: FakeClock, sent: Sent) -> None:
        sim = make_sim(clock, sent, api_key="k-123456", user_email="me@x.fr")
        async with client_for(sim) as c:
            assert_envelope(await c.get("/webhooks"), 401)
        headers = {**AUTH, "X-PW-AccessToken": "k-123456", "X-PW-UserEmail": "me@x.fr"}
        async with client_for(sim, headers) as c:
            assert (await c.get("/webhooks")).status_code == 200

    async def test_unknown_route_and_method_use_the_envelope(self, client: httpx.AsyncClient) -> None:
        assert_envelope(await client.get("/nothing/here"), 404)
        assert_envelope(await client.get("/people/not-a-number"), 404)
        assert_envelope(await client.patch("/people/1", json={}), 405)


# ---------------------------------------------------------------------------------- people


class TestCreateAndRead:
    async def test_create_with_name_only_derives_first_and_last(
        self, client: httpx.AsyncClient, clock: FakeClock
    ) -> None:
        person = await create(client, name="My Contact")
        assert list(person) == list(PERSON_KEYS)
        assert person["first_name"] == "My"
        assert person["last_name"] == "Contact"
        assert person["date_created"] == person["date_modified"] == int(T0)
        assert isinstance(person["id"], int)
        assert person["address"] is None
        for key in ("emails", "phone_numbers", "socials", "tags", "websites", "custom_fields"):
            assert person[key] == []
        assert person["interaction_count"] == 0

    async def test_longer_names_split_on_first_word(self, client: httpx.AsyncClient) -> None:
        person = await create(client, name="Jean de la Tour")
        assert (person["first_name"], person["last_name"]) == ("Jean", "de la Tour")
        single = await create(client, name="Cher")
        assert (single["first_name"], single["last_name"]) == ("Cher", None)

    async def test_create_with_first_and_last_builds_name(self, client: httpx.AsyncClient) -> None:
        person = await create(client, first_name="Ada", last_name="Lovelace")
        assert person["name"] == "Ada Lovelace"

    async def test_name_is_required(self, client: httpx.AsyncClient, sim: CopperSim) -> None:
        assert_envelope(await client.post("/people", json={"emails": email("a@b.fr")}), 422)
        assert_envelope(await client.post("/people", json={"name": "   "}), 422)
        assert_envelope(await client.post("/people", json={}), 422)
        assert sim.people == {}

    async def test_full_shape_round_trips(self, client: httpx.AsyncClient) -> None:
        fields = {
            "name": "Taylor Lowe",
            "address": {
                "street": "1 rue",
                "city": "Beaune",
                "state": "BFC",
                "postal_code": "21200",
                "country": "FR",
            },
            "emails": email("taylor@example.org"),
            "phone_numbers": [{"number": "+33 3 80 00 00 00", "category": "work"}],
            "socials": [{"url": "https://linkedin.com/in/t", "category": "linkedin"}],
            "websites": [{"url": "https://example.org", "category": "work"}],
            "tags": ["tag1", "VIP"],
            "title": "Sommelier",
            "custom_fields": [{"custom_field_definition_id": 6, "value": 1515744000}],
            "contact_type_id": 8,
            "assignee_id": 42,
        }
        person = await create(client, **fields)
        for key, value in fields.items():
            assert person[key] == value
        fetched = await client.get(f"/people/{person['id']}")
        assert fetched.status_code == 200
        assert fetched.json() == person

    async def test_server_fields_in_body_are_ignored(self, client: httpx.AsyncClient) -> None:
        person = await create(client, name="A B", id=5, date_created=1, date_modified=2, interaction_count=9)
        assert person["id"] != 5
        assert person["date_created"] == int(T0)
        assert person["interaction_count"] == 0

    @pytest.mark.parametrize(
        "fields",
        [
            {"name": "A", "tags": "vip"},
            {"name": "A", "tags": [1]},
            {"name": "A", "emails": ["a@b.fr"]},
            {"name": "A", "emails": [{"category": "work"}]},
            {"name": 7},
            {"name": "A", "assignee_id": "x"},
        ],
    )
    async def test_invalid_fields_are_422(self, client: httpx.AsyncClient, fields: dict[str, Any]) -> None:
        assert_envelope(await client.post("/people", json=fields), 422)

    async def test_body_must_be_json(self, client: httpx.AsyncClient) -> None:
        assert_envelope(await client.post("/people", content=b"{not json"), 400)
        assert_envelope(await client.post("/people", json=[1, 2]), 422)

    async def test_email_is_a_unique_key(self, client: httpx.AsyncClient, sim: CopperSim) -> None:
        await create(client, name="First One", emails=email("dup@example.org"))
        response = await client.post(
            "/people", json={"name": "Second", "emails": email("  DUP@example.org ")}
        )
        assert_envelope(response, 422)
        assert "already in use" in response.json()["message"]
        assert len(sim.people) == 1

    async def test_get_unknown_is_404(self, client: httpx.AsyncClient) -> None:
        assert_envelope(await client.get("/people/999"), 404)

    async def test_ids_increase(self, client: httpx.AsyncClient) -> None:
        a = await create(client, name="A A")
        b = await create(client, name="B B")
        assert b["id"] > a["id"]


class TestUpdate:
    async def test_partial_update_changes_only_sent_fields(
        self, client: httpx.AsyncClient, clock: FakeClock
    ) -> None:
        person = await create(client, name="My Contact", title="Buyer", tags=["a"], emails=email("m@c.fr"))
        clock.advance(10)
        response = await client.put(f"/people/{person['id']}", json={"details": "This is an update"})
        assert response.status_code == 200
        updated = response.json()
        assert updated["details"] == "This is an update"
        assert updated["date_modified"] == int(T0) + 10
        assert updated["date_created"] == int(T0)
        for key in PERSON_KEYS:
            if key not in ("details", "date_modified"):
                assert updated[key] == person[key], key

    async def test_empty_body_changes_nothing(self, client: httpx.AsyncClient, clock: FakeClock) -> None:
        person = await create(client, name="My Contact")
        clock.advance(10)
        for body in ({}, {"name": "My Contact"}):
            response = await client.put(f"/people/{person['id']}", json=body)
            assert response.json() == person
        response = await client.put(f"/people/{person['id']}", content=b"")
        assert response.json() == person

    async def test_tags_and_emails_are_replaced_wholesale(self, client: httpx.AsyncClient) -> None:
        person = await create(client, name="A B", tags=["a", "b"], emails=email("old@x.fr"))
        response = await client.put(
            f"/people/{person['id']}", json={"tags": ["c"], "emails": email("new@x.fr", "personal")}
        )
        updated = response.json()
        assert updated["tags"] == ["c"]
        assert updated["emails"] == [{"email": "new@x.fr", "category": "personal"}]
        assert_envelope(await client.post("/people/fetch_by_email", json={"email": "old@x.fr"}), 404)
        found = await client.post("/people/fetch_by_email", json={"email": "new@x.fr"})
        assert found.json()["id"] == person["id"]
        # The freed address can be used again.
        await create(client, name="C D", emails=email("old@x.fr"))

    async def test_null_clears(self, client: httpx.AsyncClient) -> None:
        person = await create(
            client,
            name="A B",
            title="Buyer",
            tags=["x"],
            address={"city": "Beaune"},
            emails=email("a@b.fr"),
        )
        response = await client.put(
            f"/people/{person['id']}", json={"title": None, "tags": None, "address": None, "emails": None}
        )
        updated = response.json()
        assert updated["title"] is None
        assert updated["tags"] == []
        assert updated["address"] is None
        assert updated["emails"] == []
        assert_envelope(await client.post("/people/fetch_by_email", json={"email": "a@b.fr"}), 404)

    async def test_name_cannot_be_cleared(self, client: httpx.AsyncClient) -> None:
        person = await create(client, name="A B")
        assert_envelope(await client.put(f"/people/{person['id']}", json={"name": None}), 422)

    async def test_name_and_parts_stay_consistent(self, client: httpx.AsyncClient) -> None:
        person = await create(client, name="Ada Lovelace")
        renamed = (await client.put(f"/people/{person['id']}", json={"name": "Grace Hopper"})).json()
        assert (renamed["first_name"], renamed["last_name"]) == ("Grace", "Hopper")
        parts = (await client.put(f"/people/{person['id']}", json={"last_name": "Murray"})).json()
        assert parts["name"] == "Grace Murray"

    async def test_update_cannot_steal_an_email(self, client: httpx.AsyncClient) -> None:
        await create(client, name="A B", emails=email("taken@x.fr"))
        other = await create(client, name="C D", emails=email("mine@x.fr"))
        response = await client.put(f"/people/{other['id']}", json={"emails": email("Taken@X.fr")})
        assert_envelope(response, 422)
        # Re-sending one's own address is fine.
        same = await client.put(f"/people/{other['id']}", json={"emails": email("MINE@x.fr")})
        assert same.status_code == 200

    async def test_company_id_is_not_updatable(self, client: httpx.AsyncClient) -> None:
        person = await create(client, name="A B", company_id=7)
        updated = (await client.put(f"/people/{person['id']}", json={"company_id": 9})).json()
        assert updated["company_id"] == 7

    async def test_date_modified_never_goes_back(self, client: httpx.AsyncClient, clock: FakeClock) -> None:
        person = await create(client, name="A B")
        stamps = [person["date_modified"]]
        for i, step in enumerate((5, 0, 0.4, -30, 12)):
            clock.advance(step)
            updated = (await client.put(f"/people/{person['id']}", json={"title": f"t{i}"})).json()
            stamps.append(updated["date_modified"])
        assert stamps == sorted(stamps)
        assert stamps[-1] > stamps[0]

    async def test_update_unknown_is_404(self, client: httpx.AsyncClient) -> None:
        assert_envelope(await client.put("/people/12345", json={"title": "x"}), 404)


class TestDeleteAndFetchByEmail:
    async def test_delete(self, client: httpx.AsyncClient, sim: CopperSim) -> None:
        person = await create(client, name="A B", emails=email("gone@x.fr"))
        response = await client.delete(f"/people/{person['id']}")
        assert response.status_code == 200
        assert response.json() == {"id": person["id"], "is_deleted": True}
        assert_envelope(await client.get(f"/people/{person['id']}"), 404)
        assert_envelope(await client.delete(f"/people/{person['id']}"), 404)
        assert sim.people == {}
        await create(client, name="New Owner", emails=email("gone@x.fr"))

    async def test_fetch_by_email_trims_and_ignores_case(self, client: httpx.AsyncClient) -> None:
        person = await create(client, name="A B", emails=email("Mixed.Case@Example.org"))
        for probe in ("mixed.case@example.org", "  MIXED.CASE@EXAMPLE.ORG\t"):
            response = await client.post("/people/fetch_by_email", json={"email": probe})
            assert response.status_code == 200
            assert response.json() == person

    async def test_fetch_by_email_matches_any_of_the_emails(self, client: httpx.AsyncClient) -> None:
        person = await create(
            client,
            name="A B",
            emails=[{"email": "w@x.fr", "category": "work"}, {"email": "p@x.fr", "category": "personal"}],
        )
        response = await client.post("/people/fetch_by_email", json={"email": "p@x.fr"})
        assert response.json()["id"] == person["id"]

    async def test_fetch_by_email_404_and_422(self, client: httpx.AsyncClient) -> None:
        assert_envelope(await client.post("/people/fetch_by_email", json={"email": "none@x.fr"}), 404)
        assert_envelope(await client.post("/people/fetch_by_email", json={}), 422)
        assert_envelope(await client.post("/people/fetch_by_email", content=b""), 422)


# ---------------------------------------------------------------------------------- search


def seed(sim: CopperSim, n: int, **extra: Any) -> list[int]:
    return sim.load_people(
        {
            "name": f"Person{i:04d} Family{(n - i):04d}",
            "emails": email(f"p{i}@example.org"),
            "date_created": int(T0) - 10_000 + i,
            "date_modified": int(T0) - 5_000 + i * 10,
            **extra,
        }
        for i in range(n)
    )


async def search(client: httpx.AsyncClient, **body: Any) -> tuple[list[dict[str, Any]], int]:
    response = await client.post("/people/search", json=body)
    assert response.status_code == 200, response.text
    data = response.json()
    assert isinstance(data, list)  # bare array, no envelope
    return data, int(response.headers["X-PW-TOTAL"])


class TestSearch:
    async def test_defaults_page_size_20_sorted_by_first_name(
        self, client: httpx.AsyncClient, sim: CopperSim
    ) -> None:
        sim.load_people([{"name": n} for n in ("zoe Z", "Bob B", "alice A", "Carl C")] * 1)
        seed(sim, 30)
        page, total = await search(client)
        assert total == 34
        assert len(page) == 20
        firsts = [p["first_name"] for p in page]
        assert firsts[:3] == ["alice", "Bob", "Carl"]
        assert firsts == sorted(firsts, key=str.casefold)
        assert all(list(p) == list(PERSON_KEYS) for p in page)

    async def test_paging_covers_everything_once(self, client: httpx.AsyncClient, sim: CopperSim) -> None:
        ids = seed(sim, 45)
        seen: list[int] = []
        for number in range(1, 6):
            page, total = await search(client, page_size=10, page_number=number, sort_by="date_modified")
            assert total == 45
            seen += [p["id"] for p in page]
        assert seen == ids
        assert (await search(client, page_size=10, page_number=6))[0] == []

    async def test_empty_search(self, client: httpx.AsyncClient) -> None:
        assert await search(client) == ([], 0)

    @pytest.mark.parametrize("size", [0, -1, "10", 1.5, True])
    async def test_bad_page_size_is_422(self, client: httpx.AsyncClient, size: Any) -> None:
        assert_envelope(await client.post("/people/search", json={"page_size": size}), 422)

    async def test_bad_page_number_is_422(self, client: httpx.AsyncClient) -> None:
        assert_envelope(await client.post("/people/search", json={"page_number": 0}), 422)

    async def test_page_size_above_200_rejected_by_default(
        self, client: httpx.AsyncClient, sim: CopperSim
    ) -> None:
        seed(sim, 250)
        page, _ = await search(client, page_size=200)
        assert len(page) == 200
        assert_envelope(await client.post("/people/search", json={"page_size": 201}), 422)

    async def test_page_size_clamp_policy(self, clock: FakeClock, sent: Sent) -> None:
        sim = make_sim(clock, sent, page_size_policy="clamp", page_size_max=50)
        seed(sim, 120)
        async with client_for(sim) as c:
            page, total = await search(c, page_size=500)
        assert (len(page), total) == (50, 120)

    async def test_search_cap(self, clock: FakeClock, sent: Sent) -> None:
        sim = make_sim(clock, sent, search_cap=50)
        ids = seed(sim, 120)
        async with client_for(sim) as c:
            pages = [
                await search(c, page_size=20, page_number=n, sort_by="date_modified") for n in (1, 2, 3, 4)
            ]
        assert [len(p) for p, _ in pages] == [20, 20, 10, 0]
        assert all(total == 120 for _, total in pages)  # the header still counts every match
        assert [p["id"] for page, _ in pages for p in page] == ids[:50]

    async def test_filter_emails(self, client: httpx.AsyncClient, sim: CopperSim) -> None:
        ids = seed(sim, 10)
        page, total = await search(client, emails=["P3@example.org", "p7@example.org", "nobody@x.fr"])
        assert total == 2
        assert {p["id"] for p in page} == {ids[3], ids[7]}

    async def test_filter_tags_any_of_exact_strings(self, client: httpx.AsyncClient, sim: CopperSim) -> None:
        a, b, c, d = sim.load_people(
            [
                {"name": "A A", "tags": ["vip", "wine"]},
                {"name": "B B", "tags": ["VIP"]},
                {"name": "C C", "tags": ["beer"]},
                {"name": "D D", "tags": []},
            ]
        )
        page, total = await search(client, tags=["vip", "beer"])
        assert {p["id"] for p in page} == {a, c}
        assert total == 2
        page, _ = await search(client, tags=["VIP"])
        assert [p["id"] for p in page] == [b]
        page, _ = await search(client, tags=["vi"])
        assert page == []

    async def test_filter_ids(self, client: httpx.AsyncClient, sim: CopperSim) -> None:
        ids = seed(sim, 10)
        page, total = await search(client, ids=[ids[1], ids[4], 1])
        assert ({p["id"] for p in page}, total) == ({ids[1], ids[4]}, 2)

    async def test_filter_name(self, client: httpx.AsyncClient, sim: CopperSim) -> None:
        a, _, c = sim.load_people(
            [{"name": "Marie Curie"}, {"name": "Pierre Dupont"}, {"name": "Anne-Marie Roy"}]
        )
        page, _ = await search(client, name="marie")
        assert {p["id"] for p in page} == {a, c}

    async def test_filter_modified_dates_inclusive(self, client: httpx.AsyncClient, sim: CopperSim) -> None:
        ids = seed(sim, 10)  # date_modified = T0 - 5000 + 10 i
        low = int(T0) - 5000 + 30
        high = int(T0) - 5000 + 60
        page, total = await search(client, minimum_modified_date=low, sort_by="date_modified")
        assert [p["id"] for p in page] == ids[3:]
        page, total = await search(client, maximum_modified_date=high, sort_by="date_modified")
        assert [p["id"] for p in page] == ids[:7]
        page, total = await search(
            client, minimum_modified_date=low, maximum_modified_date=high, sort_by="date_modified"
        )
        assert ([p["id"] for p in page], total) == (ids[3:7], 4)

    async def test_filter_created_dates(self, client: httpx.AsyncClient, sim: CopperSim) -> None:
        ids = seed(sim, 10)  # date_created = T0 - 10000 + i
        page, _ = await search(
            client,
            minimum_created_date=int(T0) - 10_000 + 2,
            maximum_created_date=int(T0) - 10_000 + 4,
            sort_by="date_created",
        )
        assert [p["id"] for p in page] == ids[2:5]

    async def test_filters_combine_with_and(self, client: httpx.AsyncClient, sim: CopperSim) -> None:
        a, _, _ = sim.load_people(
            [
                {"name": "A A", "tags": ["vip"], "date_modified": 100},
                {"name": "B B", "tags": ["vip"], "date_modified": 10},
                {"name": "C C", "tags": ["no"], "date_modified": 100},
            ]
        )
        page, total = await search(client, tags=["vip"], minimum_modified_date=50)
        assert ([p["id"] for p in page], total) == ([a], 1)

    async def test_other_documented_filters(self, client: httpx.AsyncClient, sim: CopperSim) -> None:
        a, b = sim.load_people(
            [
                {
                    "name": "A A",
                    "address": {"city": "Beaune", "country": "FR", "postal_code": "21200"},
                    "phone_numbers": [{"number": "+33 3 80 22 11 00", "category": "work"}],
                    "assignee_id": 5,
                },
                {"name": "B B", "company_id": 3},
            ]
        )
        assert [p["id"] for p in (await search(client, city="beaune"))[0]] == [a]
        assert [p["id"] for p in (await search(client, postal_code="21200", country="FR"))[0]] == [a]
        assert [p["id"] for p in (await search(client, phone_number="380221100"))[0]] == [a]
        assert [p["id"] for p in (await search(client, assignee_ids=[-2]))[0]] == [b]
        assert [p["id"] for p in (await search(client, company_ids=[-2]))[0]] == [a]
        assert [p["id"] for p in (await search(client, city=""))[0]] == [b]

    @pytest.mark.parametrize(
        "body",
        [
            {"emails": "a@b.fr"},
            {"tags": "vip"},
            {"ids": ["1"]},
            {"minimum_modified_date": "yesterday"},
            {"sort_by": "favourite_colour"},
            {"sort_direction": "up"},
        ],
    )
    async def test_bad_search_input_is_422(self, client: httpx.AsyncClient, body: dict[str, Any]) -> None:
        assert_envelope(await client.post("/people/search", json=body), 422)

    @pytest.mark.parametrize(
        ("sort_by", "key"),
        [
            ("name", lambda p: p["name"].casefold()),
            ("first_name", lambda p: p["first_name"].casefold()),
            ("last_name", lambda p: p["last_name"].casefold()),
            ("email", lambda p: p["emails"][0]["email"]),
            ("date_modified", lambda p: p["date_modified"]),
            ("date_created", lambda p: p["date_created"]),
        ],
    )
    @pytest.mark.parametrize("direction", ["asc", "desc"])
    async def test_sort(
        self, client: httpx.AsyncClient, sim: CopperSim, sort_by: str, key: Any, direction: str
    ) -> None:
        seed(sim, 25)
        page, _ = await search(client, sort_by=sort_by, sort_direction=direction, page_size=25)
        values = [key(p) for p in page]
        assert values == sorted(values, reverse=direction == "desc")
        assert len(set(values)) == 25

    async def test_sort_ties_break_on_id(self, client: httpx.AsyncClient, sim: CopperSim) -> None:
        ids = sim.load_people({"name": f"Same Stamp{i}", "date_modified": 500} for i in range(10))
        page, _ = await search(client, sort_by="date_modified", page_size=10)
        assert [p["id"] for p in page] == ids

    async def test_results_reflect_changes(
        self, client: httpx.AsyncClient, sim: CopperSim, clock: FakeClock
    ) -> None:
        ids = seed(sim, 5)
        first, _ = await search(client, sort_by="date_modified", sort_direction="desc")
        assert first[0]["id"] == ids[-1]
        await client.put(f"/people/{ids[0]}", json={"title": "touched"})
        again, total = await search(client, sort_by="date_modified", sort_direction="desc")
        assert again[0]["id"] == ids[0]
        assert again[0]["title"] == "touched"
        await client.delete(f"/people/{ids[1]}")
        assert (await search(client))[1] == total - 1


# ---------------------------------------------------------------------------------- webhooks


class TestWebhookSubscriptions:
    async def test_crud(self, client: httpx.AsyncClient, clock: FakeClock) -> None:
        body = {
            "target": "https://hooks.example.org/copper",
            "type": "person",
            "event": "update",
            "secret": {"secret": "hook_source", "key": "copper_notifications"},
            "headers": {"X-Token": "abc"},
        }
        response = await client.post("/webhooks", json=body)
        assert response.status_code == 200
        sub = response.json()
        assert set(sub) == {
            "id",
            "target",
            "type",
            "event",
            "secret",
            "headers",
            "custom_field_computed_values",
            "created_at",
        }
        assert sub["created_at"] == int(T0)
        assert {k: sub[k] for k in body} == body
        assert (await client.get(f"/webhooks/{sub['id']}")).json() == sub
        assert (await client.get("/webhooks")).json() == [sub]
        put = await client.put(
            f"/webhooks/{sub['id']}", json={"target": "https://new.example.org/h", "event": "new"}
        )
        assert put.json()["target"] == "https://new.example.org/h"
        assert put.json()["event"] == "update"  # only target/secret/headers change
        deleted = await client.delete(f"/webhooks/{sub['id']}")
        assert deleted.json() == {"id": sub["id"]}
        assert_envelope(await client.get(f"/webhooks/{sub['id']}"), 404)
        assert_envelope(await client.delete(f"/webhooks/{sub['id']}"), 404)
        assert (await client.get("/webhooks")).json() == []

    @pytest.mark.parametrize(
        "body",
        [
            {"target": "http://hooks.example.org/x", "type": "person", "event": "new"},
            {"target": "not a url", "type": "person", "event": "new"},
            {"type": "person", "event": "new"},
            {"target": "https://h.example.org", "type": "contact", "event": "new"},
            {"target": "https://h.example.org", "type": "person", "event": "created"},
            {"target": "https://h.example.org", "type": "person", "event": "new", "headers": {"X": 1}},
        ],
    )
    async def test_invalid_subscription_is_422(self, client: httpx.AsyncClient, body: dict[str, Any]) -> None:
        assert_envelope(await client.post("/webhooks", json=body), 422)

    async def test_invalid_target_on_update_is_422(self, client: httpx.AsyncClient) -> None:
        sub = (
            await client.post(
                "/webhooks", json={"target": "https://h.example.org", "type": "person", "event": "new"}
            )
        ).json()
        response = await client.put(f"/webhooks/{sub['id']}", json={"target": "ftp://nope"})
        assert_envelope(response, 422)
        assert response.json()["message"].startswith("Invalid input")

    async def test_loopback_http_target_allowed(self, client: httpx.AsyncClient) -> None:
        body = {"target": "http://127.0.0.1:8765/hooks/copper", "type": "person", "event": "new"}
        assert (await client.post("/webhooks", json=body)).status_code == 200

    async def test_at_most_100_subscriptions(self, client: httpx.AsyncClient) -> None:
        for i in range(100):
            body = {"target": f"https://h.example.org/{i}", "type": "person", "event": "new"}
            assert (await client.post("/webhooks", json=body)).status_code == 200
        body = {"target": "https://h.example.org/101", "type": "person", "event": "new"}
        assert_envelope(await client.post("/webhooks", json=body), 422)


async def subscribe(client: httpx.AsyncClient, event: str, **extra: Any) -> dict[str, Any]:
    body = {"target": f"https://hooks.example.org/{event}", "type": "person", "event": event, **extra}
    response = await client.post("/webhooks", json=body)
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


class TestWebhookNotifications:
    async def test_new_notification_shape(self, client: httpx.AsyncClient, sent: Sent) -> None:
        sub = await subscribe(
            client, "new", secret={"secret": "tok-1", "key": "copper"}, headers={"X-Hook-Token": "h-1"}
        )
        person = await create(client, name="A B")
        # Delivered in a background task after the response (ASGITransport waits for it).
        assert len(sent) == 1
        url, headers, body = sent[0]
        assert url == "https://hooks.example.org/new"
        assert headers["X-Hook-Token"] == "h-1"
        assert body == {
            "ids": [person["id"]],
            "type": "person",
            "event": "new",
            "subscription_id": sub["id"],
            "secret": "tok-1",
            "key": "copper",
        }
        assert "signature" not in {k.lower() for k in headers}

    async def test_update_carries_updated_attributes(self, client: httpx.AsyncClient, sent: Sent) -> None:
        person = await create(client, name="A B", title="Buyer", tags=["a"])
        sub = await subscribe(client, "update")
        await client.put(
            f"/people/{person['id']}", json={"title": "Owner", "tags": ["a", "b"], "details": None}
        )
        assert len(sent) == 1
        body = sent[0][2]
        assert body["event"] == "update"
        assert body["subscription_id"] == sub["id"]
        assert body["ids"] == [person["id"]]
        assert body["updated_attributes"] == {"title": ["Buyer", "Owner"], "tags": [["a"], ["a", "b"]]}

    async def test_no_change_no_notification(self, client: httpx.AsyncClient, sent: Sent) -> None:
        person = await create(client, name="A B", title="Buyer")
        await subscribe(client, "update")
        await client.put(f"/people/{person['id']}", json={"title": "Buyer"})
        await client.put(f"/people/{person['id']}", json={})
        assert sent == []

    async def test_delete_notification(self, client: httpx.AsyncClient, sent: Sent) -> None:
        person = await create(client, name="A B")
        await subscribe(client, "delete")
        await client.delete(f"/people/{person['id']}")
        (body,) = [b for _, _, b in sent]
        assert body["event"] == "delete"
        assert body["ids"] == [person["id"]]
        assert "updated_attributes" not in body

    async def test_only_matching_subscriptions(self, client: httpx.AsyncClient, sent: Sent) -> None:
        await subscribe(client, "delete")
        await client.post(
            "/webhooks", json={"target": "https://h.example.org/c", "type": "company", "event": "new"}
        )
        await create(client, name="A B")
        assert sent == []

    async def test_at_most_30_ids_per_notification(self, clock: FakeClock, sent: Sent) -> None:
        sim = make_sim(clock, sent, auto_deliver=False)
        async with client_for(sim) as client:
            sub = await subscribe(client, "new")
            ids = [(await create(client, name=f"P{i} X"))["id"] for i in range(65)]
            assert sent == []
            assert sim.pending_notifications == 65
            records = await sim.deliver_webhooks()
        assert [len(b["ids"]) for _, _, b in sent] == [30, 30, 5]
        assert [i for _, _, b in sent for i in b["ids"]] == ids
        assert all(b["subscription_id"] == sub["id"] for _, _, b in sent)
        assert len(records) == 3 and all(r["error"] is None for r in records)
        assert sim.pending_notifications == 0
        assert await sim.deliver_webhooks() == []

    async def test_same_attribute_changes_batch_together(self, clock: FakeClock, sent: Sent) -> None:
        sim = make_sim(clock, sent, auto_deliver=False)
        ids = sim.load_people({"name": f"P{i} X", "title": "old"} for i in range(4))
        async with client_for(sim) as client:
            await subscribe(client, "update")
            for pid in ids:
                await client.put(f"/people/{pid}", json={"title": "new"})
            await client.put(f"/people/{ids[0]}", json={"details": "x"})
            await sim.deliver_webhooks()
        bodies = [b for _, _, b in sent]
        assert [b["ids"] for b in bodies] == [ids, [ids[0]]]
        assert bodies[0]["updated_attributes"] == {"title": ["old", "new"]}
        assert bodies[1]["updated_attributes"] == {"details": [None, "x"]}

    async def test_failures_are_never_retried(self, clock: FakeClock) -> None:
        calls: list[dict[str, Any]] = []

        async def failing(url: str, headers: dict[str, str], body: dict[str, Any]) -> None:
            calls.append(body)
            raise httpx.ConnectError("receiver down")

        sim = CopperSim(clock=clock, notify=failing)
        async with client_for(sim) as client:
            await subscribe(client, "new")
            response = await client.post("/people", json={"name": "A B"})
            assert response.status_code == 200
            await sim.deliver_webhooks()
            await create(client, name="C D")
        assert len(calls) == 2
        assert [d["error"] for d in sim.deliveries] == ["ConnectError: receiver down"] * 2
        assert sim.pending_notifications == 0

    async def test_deleted_subscription_gets_nothing(self, clock: FakeClock, sent: Sent) -> None:
        sim = make_sim(clock, sent, auto_deliver=False)
        async with client_for(sim) as client:
            sub = await subscribe(client, "new")
            await create(client, name="A B")
            await client.delete(f"/webhooks/{sub['id']}")
            await sim.deliver_webhooks()
        assert sent == []

    async def test_seeding_sends_nothing_and_counts_nothing(
        self, client: httpx.AsyncClient, sim: CopperSim, sent: Sent
    ) -> None:
        await subscribe(client, "new")
        sim.control.reset_calls()
        sim.load_people({"name": f"P{i} X"} for i in range(50))
        await sim.deliver_webhooks()
        assert sent == []
        assert sim.control.total_calls == 0


# ---------------------------------------------------------------------------------- rate limit


class TestRateLimit:
    async def test_181st_request_in_a_minute_is_429(
        self, client: httpx.AsyncClient, clock: FakeClock
    ) -> None:
        for i in range(180):
            clock.advance(0.1)
            assert (await client.post("/people/search", json={})).status_code == 200, i
        response = await client.post("/people/search", json={})
        assert_envelope(response, 429)
        assert "retry-after" not in response.headers
        # Still limited 59 s after the first request...
        clock.t = T0 + 0.1 + 59.0
        assert (await client.get("/webhooks")).status_code == 429
        # ...and the window rolls: one minute after the first call, one slot frees up.
        clock.t = T0 + 0.1 + 60.0
        assert (await client.get("/webhooks")).status_code == 200
        assert (await client.get("/webhooks")).status_code == 429
        clock.advance(60)
        for _ in range(180):
            assert (await client.get("/webhooks")).status_code == 200

    async def test_rolling_window_not_fixed(self, clock: FakeClock, sent: Sent) -> None:
        sim = make_sim(clock, sent, rate_limit=10)
        async with client_for(sim) as client:
            for _ in range(5):
                assert (await client.get("/webhooks")).status_code == 200
            clock.advance(30)
            for _ in range(5):
                assert (await client.get("/webhooks")).status_code == 200
            assert (await client.get("/webhooks")).status_code == 429
            clock.advance(30.5)  # the first five expire, the last five still count
            for _ in range(5):
                assert (await client.get("/webhooks")).status_code == 200
            assert (await client.get("/webhooks")).status_code == 429

    async def test_unauthenticated_requests_do_not_use_the_budget(self, clock: FakeClock, sent: Sent) -> None:
        sim = make_sim(clock, sent, rate_limit=3)
        async with client_for(sim, {}) as anon:
            for _ in range(5):
                assert (await anon.get("/webhooks")).status_code == 401
        async with client_for(sim) as client:
            assert [(await client.get("/webhooks")).status_code for _ in range(4)] == [200, 200, 200, 429]

    async def test_limited_request_changes_nothing(self, clock: FakeClock, sent: Sent) -> None:
        sim = make_sim(clock, sent, rate_limit=1)
        async with client_for(sim) as client:
            await client.get("/webhooks")
            assert_envelope(await client.post("/people", json={"name": "A B"}), 429)
        assert sim.people == {}


# ---------------------------------------------------------------------------------- admin


class TestAdminControls:
    async def test_status_fault_then_normal(self, client: httpx.AsyncClient, sim: CopperSim) -> None:
        response = await client.post(
            "https://api.copper.com/__sim__/faults", json={"kind": "status", "status": 503, "times": 2}
        )
        assert response.status_code == 200
        for _ in range(2):
            assert_envelope(await client.post("/people", json={"name": "A B"}), 503)
        assert sim.people == {}
        await create(client, name="A B")

    async def test_rate_limit_fault_with_retry_after(self, client: httpx.AsyncClient, sim: CopperSim) -> None:
        sim.control.add_fault(Fault(kind="rate_limit", retry_after=2))
        response = await client.get("/webhooks")
        assert_envelope(response, 429)
        assert response.headers["retry-after"] == "2"
        assert (await client.get("/webhooks")).status_code == 200

    async def test_fault_path_prefix(self, client: httpx.AsyncClient, sim: CopperSim) -> None:
        sim.control.add_fault(Fault(kind="status", status=500, path_prefix="/people/search"))
        assert (await client.get("/webhooks")).status_code == 200
        assert_envelope(await client.post("/people/search", json={}), 500)

    async def test_reset_fault_in_process(self, client: httpx.AsyncClient, sim: CopperSim) -> None:
        sim.control.add_fault(Fault(kind="reset"))
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get("/webhooks")

    async def test_call_counters(self, client: httpx.AsyncClient, sim: CopperSim) -> None:
        person = await create(client, name="A B")
        await client.get(f"/people/{person['id']}")
        await client.get(f"/people/{person['id']}")
        await client.post("/people/search", json={})
        calls = (await client.get("https://api.copper.com/__sim__/calls")).json()
        assert calls["calls"] == {"POST /people": 1, "GET /people/{id}": 2, "POST /people/search": 1}
        assert calls["total"] == 4

    async def test_reset(self, client: httpx.AsyncClient, sim: CopperSim) -> None:
        await create(client, name="A B", emails=email("a@b.fr"))
        await subscribe(client, "new")
        sim.control.add_fault(Fault(kind="status"))
        sim.reset()
        assert sim.people == {} and sim.webhooks == {}
        assert sim.control.total_calls == 0 and not sim.control.faults
        assert (await create(client, name="C D", emails=email("a@b.fr")))["id"] == 100_000_001


# ---------------------------------------------------------------------------------- seeding


class TestLoadPeople:
    def test_assigns_ids_and_completes_the_shape(self, sim: CopperSim) -> None:
        ids = sim.load_people(
            [{"name": "Ada Lovelace"}, {"id": 5, "first_name": "Grace", "last_name": "Hopper"}]
        )
        assert ids[1] == 5
        ada, grace = (sim.people[i] for i in ids)
        assert list(ada) == list(PERSON_KEYS)
        assert (ada["first_name"], ada["last_name"]) == ("Ada", "Lovelace")
        assert grace["name"] == "Grace Hopper"
        assert ada["date_created"] == ada["date_modified"] == int(T0)
        assert ada["tags"] == [] and ada["tags"] is not grace["tags"]

    def test_rejects_duplicate_email_and_nameless(self, sim: CopperSim) -> None:
        sim.load_people([{"name": "A A", "emails": email("x@y.fr")}])
        with pytest.raises(ValueError, match="already belongs"):
            sim.load_people([{"name": "B B", "emails": email("X@Y.fr ")}])
        with pytest.raises(ValueError, match="no name"):
            sim.load_people([{"title": "ghost"}])

    async def test_seeded_people_are_served(self, client: httpx.AsyncClient, sim: CopperSim) -> None:
        ids = seed(sim, 3)
        found = await client.post("/people/fetch_by_email", json={"email": "p1@example.org"})
        assert found.json()["id"] == ids[1]
        created = await create(client, name="New One")
        assert created["id"] > max(ids)

    def test_large_load_is_fast(self, sim: CopperSim) -> None:
        # CPU time of this process (parallel workers do not count) with a generous budget: a guard
        # against a quadratic load, not a benchmark.
        started = time.process_time()
        sim.load_people({"name": f"P{i} X", "emails": email(f"p{i}@x.fr")} for i in range(50_000))
        assert time.process_time() - started < 30.0
        assert sim.person_by_email("P49999@x.fr") is not None


# ---------------------------------------------------------------------------------- loopback


class TestLoopback:
    async def test_over_a_real_socket(self, sim: CopperSim) -> None:
        seed(sim, 5)
        with serve_in_thread(sim.app) as url:
            async with httpx.AsyncClient(base_url=url + BASE_PATH, headers=AUTH) as c:
                person = await create(c, name="Over Socket", emails=email("sock@x.fr"))
                page, total = await search(c, sort_by="date_modified", page_size=3)
                assert (len(page), total) == (3, 6)
                response = await c.post("/people/search", json={"page_size": 3})
                assert response.headers["X-PW-TOTAL"] == "6"
                assert (await c.get(f"/people/{person['id']}")).json() == person
                assert_envelope(await c.get("/people/1"), 404)
                sim.control.add_fault(Fault(kind="reset"))
                with pytest.raises(httpx.TransportError):
                    await c.get("/webhooks")
                sim.control.add_fault(Fault(kind="truncate"))
                with pytest.raises(httpx.TransportError):
                    await c.get(f"/people/{person['id']}")
                async with httpx.AsyncClient(base_url=url + BASE_PATH) as anon:
                    assert_envelope(await anon.get("/webhooks"), 401)

    async def test_webhook_delivered_over_http(self, clock: FakeClock) -> None:
        received: list[tuple[dict[str, str], dict[str, Any]]] = []

        async def hook(request: Request) -> JSONResponse:
            received.append((dict(request.headers), await request.json()))
            return JSONResponse({"ok": True}, status_code=500)  # status is ignored: never retried

        receiver = Starlette(routes=[Route("/hooks/copper", hook, methods=["POST"])])
        sim = CopperSim(clock=clock)  # default httpx sender
        with serve_in_thread(receiver) as hook_url, serve_in_thread(sim.app) as url:
            async with httpx.AsyncClient(base_url=url + BASE_PATH, headers=AUTH) as c:
                await subscribe(c, "new", secret={"secret": "s3"}, headers={"X-Hook-Token": "t"})
                sub_id = (await c.get("/webhooks")).json()[0]["id"]
                await c.put(f"/webhooks/{sub_id}", json={"target": hook_url + "/hooks/copper"})
                person = await create(c, name="A B")
            for _ in range(500):
                if received and sim.pending_notifications == 0:
                    break
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.05)
        assert len(received) == 1
        headers, body = received[0]
        assert headers["x-hook-token"] == "t"
        assert headers["content-type"] == "application/json"
        assert body == {
            "ids": [person["id"]],
            "type": "person",
            "event": "new",
            "subscription_id": sub_id,
            "secret": "s3",
        }
        assert [d["error"] for d in sim.deliveries] == [None]


async def test_search_by_email_finds_legacy_people_sharing_it(
    sim: CopperSim, client: httpx.AsyncClient
) -> None:
    """Copper's ``emails`` filter returns every person with one of the addresses; legacy data
    (loaded with ``allow_duplicate_emails``) may hold two. Deleting the one fetch_by_email finds
    leaves the other findable."""
    first, second = sim.load_people(
        [
            {"name": "Anne Un", "emails": email("anne@exemple.fr")},
            {"name": "Anne Deux", "emails": email("ANNE@exemple.fr", "personal")},
        ],
        allow_duplicate_emails=True,
    )
    found, total = await search(client, emails=["anne@exemple.fr"])
    assert sorted(p["id"] for p in found) == [first, second] and total == 2
    assert (await client.delete(f"/people/{first}")).status_code == 200
    found, total = await search(client, emails=["Anne@Exemple.fr"])
    assert [p["id"] for p in found] == [second] and total == 1
    fetched = await client.post("/people/fetch_by_email", json={"email": "anne@exemple.fr"})
    assert fetched.status_code == 200 and fetched.json()["id"] == second
