"""CopperClient against the Copper simulator over a real loopback socket.

One simulator server serves the whole module (starting uvicorn per test would dominate the run
time); every test starts from ``sim.reset()`` and its own client.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from crmtui.connectors.copper import RATE_LIMIT, CopperClient, CopperPerson, CopperWebhook
from crmtui.connectors.errors import (
    AuthError,
    DuplicateRecord,
    NetworkError,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    ReadIncomplete,
    RequestRejected,
    ServerError,
)
from crmtui.connectors.http import RetryPolicy
from crmtui.sandbox.control import Fault
from crmtui.sandbox.copper import BASE_PATH, CopperSim
from crmtui.sandbox.loopback import serve_in_thread

KEY = "sandbox-copper-key"
EMAIL = "ops@domaine-exemple.fr"
FAST_RETRY = RetryPolicy(attempts=3, base=0.01, cap=0.05, max_retry_after=5.0)


async def _no_notify(url: str, headers: dict[str, str], body: dict[str, Any]) -> None:
    return None


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[CopperSim, str]]:
    sim = CopperSim(notify=_no_notify)
    with serve_in_thread(sim.app) as url:
        yield sim, url + BASE_PATH


@pytest.fixture
def sim(served: tuple[CopperSim, str]) -> CopperSim:
    sim = served[0]
    sim.reset()
    sim.rate_limit, sim.rate_window, sim.search_cap = 180, 60.0, 100_000
    return sim


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def make_client(
    http: httpx.AsyncClient, url: str, waits: list[float] | None = None, **kwargs: Any
) -> CopperClient:
    async def fast_sleep(seconds: float) -> None:
        if waits is not None:
            waits.append(seconds)
        await asyncio.sleep(0)

    options: dict[str, Any] = {"retry": FAST_RETRY, "timeout": 2.0, "sleep": fast_sleep}
    options.update(kwargs)
    options.setdefault("api_key", KEY)
    return CopperClient(http, user_email=EMAIL, base_url=url, **options)


@pytest.fixture
def copper(
    sim: CopperSim, served: tuple[CopperSim, str], http: httpx.AsyncClient, waits: list[float]
) -> CopperClient:
    return make_client(http, served[1], waits)


def seed(sim: CopperSim, n: int, per_second: int = 1, start: int = 1_600_000_000) -> list[int]:
    return sim.load_people(
        {
            "name": f"Person{i:05d} X",
            "emails": [{"email": f"p{i}@x.fr", "category": "work"}],
            "date_modified": start + i // per_second,
        }
        for i in range(n)
    )


# ---------------------------------------------------------------------------------- people


class TestPeople:
    async def test_create_get_update_delete(self, copper: CopperClient, sim: CopperSim) -> None:
        created = await copper.create_person(
            "Ada Lovelace", emails=["Ada@Example.org"], tags=["vip"], phone_numbers=["+33 1"]
        )
        assert isinstance(created, CopperPerson)
        assert (created.first_name, created.last_name) == ("Ada", "Lovelace")
        assert created.emails == ["Ada@Example.org"]
        assert created.primary_email == "ada@example.org"
        assert created.phone_numbers == ["+33 1"]
        assert created.raw["emails"] == [{"email": "Ada@Example.org", "category": "work"}]
        assert await copper.get_person(created.id) == created

        updated = await copper.update_person(created.id, tags=["wine"], title="Buyer")
        assert updated.tags == ["wine"]
        assert updated.raw["title"] == "Buyer"
        assert updated.date_modified >= created.date_modified
        cleared = await copper.update_person(created.id, title=None)
        assert cleared.raw["title"] is None

        assert await copper.delete_person(created.id) is True
        assert await copper.delete_person(created.id) is False
        with pytest.raises(NotFound):
            await copper.get_person(created.id)

    async def test_fetch_by_email(self, copper: CopperClient) -> None:
        created = await copper.create_person("A B", emails=["a.b@x.fr"])
        found = await copper.fetch_by_email("  A.B@X.FR ")
        assert found is not None and found.id == created.id
        assert await copper.fetch_by_email("nobody@x.fr") is None

    async def test_duplicate_email_is_typed(self, copper: CopperClient) -> None:
        await copper.create_person("A B", emails=["dup@x.fr"])
        with pytest.raises(DuplicateRecord) as info:
            await copper.create_person("C D", emails=["DUP@x.fr"])
        assert info.value.status == 422
        assert info.value.hint

    async def test_bad_input_is_rejected_without_retry(self, copper: CopperClient, sim: CopperSim) -> None:
        with pytest.raises(RequestRejected) as info:
            await copper.create_person(None, title="no name")
        assert info.value.status == 422
        assert not isinstance(info.value, DuplicateRecord)
        assert sim.control.calls["POST /people"] == 1
        assert copper.retries == 0

    async def test_count_and_search(self, copper: CopperClient, sim: CopperSim) -> None:
        seed(sim, 25)
        assert await copper.count_people() == 25
        assert await copper.count_people(emails=["p3@x.fr"]) == 1
        page, total = await copper.search_people(page_size=10, page_number=3, sort_by="name")
        assert total == 25 and len(page) == 5
        with pytest.raises(ValueError):
            await copper.search_people(page_size=201)


class TestIterPeople:
    async def test_streams_everyone_oldest_change_first(self, copper: CopperClient, sim: CopperSim) -> None:
        ids = seed(sim, 450, per_second=3)
        got = [p async for p in copper.iter_people(page_size=200)]
        assert [p.id for p in got] == ids
        stamps = [p.date_modified for p in got]
        assert stamps == sorted(stamps)
        assert sim.control.calls["POST /people/search"] == 3  # 200 + 200 + 50 (short page stops)

    async def test_modified_since_is_inclusive(self, copper: CopperClient, sim: CopperSim) -> None:
        ids = seed(sim, 50, start=1_000)
        got = [p.id async for p in copper.iter_people(modified_since=1_040, page_size=20)]
        assert got == ids[40:]

    async def test_exact_multiple_of_page_size_ends_on_empty_page(
        self, copper: CopperClient, sim: CopperSim
    ) -> None:
        ids = seed(sim, 40)
        got = [p.id async for p in copper.iter_people(page_size=20)]
        assert got == ids
        assert sim.control.calls["POST /people/search"] == 3

    async def test_search_cap_is_worked_around(self, copper: CopperClient, sim: CopperSim) -> None:
        sim.search_cap = 100
        # 7 people per second, so the cap falls inside a group of equal date_modified.
        ids = seed(sim, 350, per_second=7)
        got = [p.id async for p in copper.iter_people(page_size=30)]
        assert sorted(got) == sorted(ids)
        assert len(got) == len(set(got)) == 350

    async def test_more_than_the_cap_in_one_second_stops(
        self, copper: CopperClient, sim: CopperSim, caplog: pytest.LogCaptureFixture
    ) -> None:
        sim.search_cap = copper.search_cap = 40
        seed(sim, 100, per_second=100)
        got: list[int] = []
        with caplog.at_level(logging.WARNING, logger="crmtui.connectors.copper"):
            with pytest.raises(ReadIncomplete) as raised:
                async for person in copper.iter_people(page_size=20):
                    got.append(person.id)
        assert len(got) == len(set(got)) == 40  # what could be listed, then a loud stop
        assert "no progress" in caplog.text
        assert "40" in raised.value.message and "same second" in raised.value.message
        assert "nothing was written" in raised.value.hint

    async def test_empty_account(self, copper: CopperClient) -> None:
        assert [p async for p in copper.iter_people()] == []


class TestWebhooks:
    async def test_subscribe_list_delete(self, copper: CopperClient) -> None:
        hook = await copper.subscribe(
            "https://hooks.example.org/copper", event="update", secret={"secret": "s"}, headers={"X-T": "1"}
        )
        assert isinstance(hook, CopperWebhook)
        assert (hook.type, hook.event, hook.secret, hook.headers) == (
            "person",
            "update",
            {"secret": "s"},
            {"X-T": "1"},
        )
        assert await copper.list_webhooks() == [hook]
        assert await copper.delete_webhook(hook.id) is True
        assert await copper.delete_webhook(hook.id) is False
        assert await copper.list_webhooks() == []

    async def test_invalid_target_is_rejected(self, copper: CopperClient) -> None:
        with pytest.raises(RequestRejected, match="https"):
            await copper.subscribe("http://hooks.example.org/x", event="new")


# ---------------------------------------------------------------------------------- auth and check


class TestAuth:
    async def test_wrong_key_is_auth_error_not_retried(
        self, sim: CopperSim, served: tuple[CopperSim, str], http: httpx.AsyncClient
    ) -> None:
        copper = make_client(http, served[1], api_key="wrong-key-123")
        with pytest.raises(AuthError) as info:
            await copper.get_person(1)
        assert info.value.status == 401
        assert "COPPER_API_KEY" in info.value.hint
        assert "wrong-key-123" not in str(info.value)
        assert sim.control.total_calls == 1

    async def test_check_verdicts(
        self, copper: CopperClient, sim: CopperSim, served: tuple[CopperSim, str], http: httpx.AsyncClient
    ) -> None:
        seed(sim, 3)
        ok = await copper.check()
        assert (ok.ok, ok.verdict, ok.people) == (True, "ok", 3)
        refused = await make_client(http, served[1], api_key="nope-nope").check()
        assert (refused.ok, refused.verdict) == (False, "auth_refused")
        assert "nope-nope" not in refused.message
        down = await make_client(http, "http://127.0.0.1:9" + BASE_PATH).check()
        assert (down.ok, down.verdict) == (False, "unreachable")


# ---------------------------------------------------------------------------------- faults


class TestFaults:
    async def test_5xx_then_success(self, copper: CopperClient, sim: CopperSim) -> None:
        (pid,) = seed(sim, 1)
        sim.control.add_fault(Fault(kind="status", status=503), times=2)
        person = await copper.get_person(pid)
        assert person.id == pid
        assert copper.retries == 2
        assert sim.control.calls["GET /people/{id}"] == 3

    async def test_5xx_retries_are_bounded(self, copper: CopperClient, sim: CopperSim) -> None:
        sim.control.add_fault(Fault(kind="status", status=500), times=10)
        with pytest.raises(ServerError):
            await copper.count_people()
        assert sim.control.total_calls == FAST_RETRY.attempts
        sim.control.clear_faults()

    async def test_500_on_create_is_not_resent(self, copper: CopperClient, sim: CopperSim) -> None:
        sim.control.add_fault(Fault(kind="status", status=500))
        with pytest.raises(ServerError):
            await copper.create_person("A B")
        assert sim.control.calls["POST /people"] == 1

    async def test_rate_limit_honours_retry_after(
        self, copper: CopperClient, sim: CopperSim, waits: list[float]
    ) -> None:
        sim.control.add_fault(Fault(kind="rate_limit", retry_after=1.5))
        assert await copper.count_people() == 0
        assert waits == [1.5]

    async def test_rate_limit_without_retry_after_waits_for_the_window(
        self, copper: CopperClient, sim: CopperSim, waits: list[float], caplog: pytest.LogCaptureFixture
    ) -> None:
        # Copper sends no Retry-After (WIRE.md §1.2). Our window holds 1-2 calls, far from 180: someone
        # else used the account's budget, and only a whole window surely clears it.
        sim.control.add_fault(Fault(kind="rate_limit"), times=2)
        copper.retry = RetryPolicy(attempts=5, base=0.01, cap=0.05, max_retry_after=120.0)
        with caplog.at_level(logging.WARNING, logger="crmtui"):
            assert await copper.count_people() == 0
        assert waits == [RATE_LIMIT[1], RATE_LIMIT[1]]
        said = [r.getMessage() for r in caplog.records if "resuming in" in r.getMessage()]
        assert said == ["Copper: the 180 calls/min limit was reached, resuming in 61 s"]

    async def test_rate_limit_exhausted(self, copper: CopperClient, sim: CopperSim) -> None:
        sim.control.add_fault(Fault(kind="rate_limit"), times=5)
        copper.retry = RetryPolicy(attempts=5, base=0.01, cap=0.05, max_retry_after=120.0)
        with pytest.raises(RateLimited) as caught:
            await copper.count_people()
        assert "nothing is lost" in caught.value.hint
        sim.control.clear_faults()

    async def test_window_longer_than_this_client_waits_gives_up_at_once(
        self, copper: CopperClient, sim: CopperSim, waits: list[float]
    ) -> None:
        # FAST_RETRY waits 5 s at most (like `connectors test`): Copper's minute is not waited for.
        sim.control.add_fault(Fault(kind="rate_limit"), times=5)
        with pytest.raises(RateLimited):
            await copper.count_people()
        assert waits == []
        assert sim.control.total_calls == 1
        sim.control.clear_faults()

    async def test_retry_after_too_long_gives_up_at_once(self, copper: CopperClient, sim: CopperSim) -> None:
        sim.control.add_fault(Fault(kind="rate_limit", retry_after=600))
        with pytest.raises(RateLimited) as info:
            await copper.count_people()
        assert info.value.retry_after == 600
        assert sim.control.total_calls == 1

    async def test_hang_past_timeout_is_retried(
        self, sim: CopperSim, served: tuple[CopperSim, str], http: httpx.AsyncClient
    ) -> None:
        copper = make_client(http, served[1], timeout=0.3)
        (pid,) = seed(sim, 1)
        sim.control.add_fault(Fault(kind="hang", seconds=0.8))
        assert (await copper.get_person(pid)).id == pid
        assert copper.retries >= 1

    async def test_hang_every_time_is_network_error(
        self, sim: CopperSim, served: tuple[CopperSim, str], http: httpx.AsyncClient
    ) -> None:
        copper = make_client(http, served[1], timeout=0.15)
        sim.control.add_fault(Fault(kind="hang", seconds=0.4), times=FAST_RETRY.attempts)
        with pytest.raises(NetworkError):
            await copper.count_people()
        assert sim.control.total_calls == FAST_RETRY.attempts

    async def test_reset_on_read_is_retried(self, copper: CopperClient, sim: CopperSim) -> None:
        (pid,) = seed(sim, 1)
        sim.control.add_fault(Fault(kind="reset"))
        assert (await copper.get_person(pid)).id == pid
        assert copper.retries == 1

    async def test_reset_on_create_is_outcome_unknown(self, copper: CopperClient, sim: CopperSim) -> None:
        sim.control.add_fault(Fault(kind="reset"))
        with pytest.raises(OutcomeUnknown):
            await copper.create_person("A B", emails=["a@b.fr"])
        assert sim.control.calls["POST /people"] == 1

    async def test_truncated_search_is_retried(self, copper: CopperClient, sim: CopperSim) -> None:
        ids = seed(sim, 30)
        sim.control.add_fault(Fault(kind="truncate"))
        assert [p.id async for p in copper.iter_people(page_size=50)] == ids
        assert copper.retries == 1

    async def test_truncated_create_is_outcome_unknown_then_read_back(
        self, copper: CopperClient, sim: CopperSim
    ) -> None:
        sim.control.add_fault(Fault(kind="truncate"))
        with pytest.raises(OutcomeUnknown):
            await copper.create_person("A B", emails=["cut@x.fr"])
        # The create did happen: the caller reconciles by reading back, never by re-sending.
        found = await copper.fetch_by_email("cut@x.fr")
        assert found is not None and found.name == "A B"


# ---------------------------------------------------------------------------------- our own limits


class TestOwnLimits:
    async def test_concurrent_tasks_never_get_a_429(self, caplog: pytest.LogCaptureFixture) -> None:
        # The real budget is 180 a minute; the same rolling rule at 10 per 0.25 s keeps this fast.
        # Our window (2 s) is far longer than the server's (0.25 s).
        #
        # The simulator is called in-process through httpx.ASGITransport, not over the loopback server
        # thread: the server stamps a request when it *handles* it, and a server thread starved of the
        # GIL on a loaded 2-core CI machine handled a whole burst late, squeezing 11 requests our
        # limiter had spread over 2 s into the server's 0.25 s (CI stop 18 failed that way). In-process,
        # the server's stamp follows ours within the same event-loop step, so the test measures our
        # limiter and nothing else. The loopback path is covered by the other tests of this module.
        #
        # What this proves is "our limiter keeps the server from refusing us", so it is asserted on the
        # simulator's own count of 429s, not on `copper.retries`.
        #
        # It also gets a simulator of its own, on the monotonic clock our limiter uses: the module's
        # shared simulator can still receive a late request from an earlier test's abandoned client,
        # and its wall clock may be stepped on a freshly booted machine.
        sim = CopperSim(notify=_no_notify, clock=time.monotonic, rate_limit=10, rate_window=0.25)
        ids = seed(sim, 20)
        inproc = httpx.AsyncClient(transport=httpx.ASGITransport(app=sim.app))
        copper = make_client(
            inproc,
            "http://copper.test" + BASE_PATH,
            rate_limit=(10, 2.0),
            max_concurrency=4,
            sleep=asyncio.sleep,
            timeout=30.0,
        )
        with caplog.at_level(logging.WARNING, logger="crmtui"):
            people = await asyncio.gather(*(copper.get_person(pid) for pid in ids))
        assert [p.id for p in people] == ids
        assert sim.rate_limited == 0, "the simulator had to refuse a call: our limiter let too many through"
        assert not [r for r in caplog.records if "429" in r.getMessage()]
        assert sim.control.total_calls == 20 + copper.retries
        await inproc.aclose()

    async def test_without_our_limiter_the_simulator_says_429(
        self, sim: CopperSim, served: tuple[CopperSim, str], http: httpx.AsyncClient
    ) -> None:
        # Control experiment: the same burst with no budget on our side is refused.
        sim.rate_limit, sim.rate_window = 10, 60.0
        ids = seed(sim, 20)
        copper = make_client(http, served[1], rate_limit=None, max_concurrency=20)
        results = await asyncio.gather(*(copper.get_person(pid) for pid in ids), return_exceptions=True)
        assert any(isinstance(r, RateLimited) for r in results)

    def test_default_budget_is_copper_limit(self, http: httpx.AsyncClient) -> None:
        copper = CopperClient(http, api_key=KEY, user_email=EMAIL)
        assert copper.limiter is not None
        assert copper.limiter.max_calls == 180
        assert copper.limiter.window >= 60.0
        assert copper.headers["X-PW-Application"] == "developer_api"
