"""OdooClient against the Odoo simulator over a real loopback socket."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from crmtui.connectors.errors import (
    AuthError,
    NotFound,
    OdooFault,
    OutcomeUnknown,
    PermissionDenied,
    ServerError,
)
from crmtui.connectors.http import RetryPolicy
from crmtui.connectors.odoo import OdooClient, OdooTimeout, OdooWarning
from crmtui.sandbox.control import Fault
from crmtui.sandbox.loopback import serve_in_thread
from crmtui.sandbox.odoo import DEFAULT_DB, DEFAULT_LOGIN, DEFAULT_UID, ManualClock, OdooSim

KEY = "Zk9-odoo-s3cret-api-key"
T0 = datetime(2024, 6, 1, 9, 0, 0, tzinfo=UTC)
TIE = "2024-05-01 08:00:00"
TIE2 = "2024-05-01 08:00:01"
OBJECT = "/xmlrpc/2/object"


class Env:
    """The simulator, its clock and its loopback URL (shared by the module's tests)."""

    def __init__(self) -> None:
        self.clock = ManualClock(T0)
        self.sim = OdooSim(users={DEFAULT_LOGIN: (DEFAULT_UID, KEY)}, clock=self.clock)
        self.url = ""

    def seed(self) -> None:
        self.sim.reset()
        self.sim.users.by_login[DEFAULT_LOGIN] = (DEFAULT_UID, KEY)
        self.clock.set(T0)
        rows: list[dict[str, Any]] = [
            {"name": f"Client n°{i} Dupont-Aubert", "write_date": TIE} for i in range(7)
        ]
        rows += [
            {"name": f"Cave Saint-Émilion {i}", "is_company": True, "write_date": TIE2} for i in range(3)
        ]
        rows.append({"name": "Archivée Lefèvre", "active": False, "write_date": TIE})
        self.sim.load("res.partner", rows)


@pytest.fixture(scope="module")
def env() -> Iterator[Env]:
    e = Env()
    with serve_in_thread(e.sim.app) as url:
        e.url = url
        yield e


@pytest.fixture
def sim(env: Env) -> OdooSim:
    env.seed()
    return env.sim


async def _no_sleep(_: float) -> None:
    await asyncio.sleep(0)


def make_client(http: httpx.AsyncClient, url: str, **kw: Any) -> OdooClient:
    options: dict[str, Any] = {
        "url": url,
        "db": DEFAULT_DB,
        "login": DEFAULT_LOGIN,
        "api_key": KEY,
        "timeout": 2.0,
        "retry": RetryPolicy(attempts=4, base=0.001, cap=0.01),
        "sleep": _no_sleep,
    }
    options.update(kw)
    return OdooClient(http, **options)


@pytest.fixture
async def odoo(env: Env, sim: OdooSim) -> AsyncIterator[OdooClient]:
    async with httpx.AsyncClient() as http:
        yield make_client(http, env.url)


def calls(sim: OdooSim, key: str) -> int:
    return sim.control.calls[key]


# ---- authentication and the connectors-test verdict -------------------------------------------------


async def test_version_authenticate_and_check(odoo: OdooClient) -> None:
    assert (await odoo.version())["server_version"] == "17.0"
    assert await odoo.authenticate() == DEFAULT_UID
    verdict = await odoo.check()
    assert verdict.ok, verdict
    assert verdict.uid == DEFAULT_UID and verdict.server_version == "17.0"
    assert verdict.counts["res.partner"] == 10
    assert verdict.warnings == [] and verdict.problems == []
    drift = await odoo.check({"res.partner": ["name", "x_loyalty_points"]})
    assert drift.ok and drift.warnings == ["res.partner: fields missing on this server: x_loyalty_points"]


async def test_auth_failure_verdict(env: Env, sim: OdooSim) -> None:
    async with httpx.AsyncClient() as http:
        bad = make_client(http, env.url, api_key="not-the-right-key")
        with pytest.raises(AuthError) as info:
            await bad.authenticate()
        assert "refused the login" in str(info.value) and "ODOO_API_KEY" in str(info.value)
        assert "not-the-right-key" not in str(info.value)
        verdict = await bad.check()
        assert not verdict.ok and "refused" in verdict.message
        # a data call authenticates first, and fails the same way
        with pytest.raises(AuthError):
            await bad.search_read("res.partner", [], ["name"])


async def test_unknown_database(env: Env, sim: OdooSim) -> None:
    async with httpx.AsyncClient() as http:
        client = make_client(http, env.url, db="domaine-prod")
        with pytest.raises(OdooFault) as info:
            await client.authenticate()
    err = info.value
    assert err.code == 1 and "'domaine-prod' does not exist" in err.message and err.hint == "check ODOO_DB"
    assert "Traceback" not in str(err) and "\n" not in str(err)


async def test_key_revoked_after_login_is_auth_error(odoo: OdooClient, sim: OdooSim) -> None:
    await odoo.authenticate()
    sim.users.by_login[DEFAULT_LOGIN] = (DEFAULT_UID, "a-new-key")
    with pytest.raises(AuthError) as info:
        await odoo.search_count("res.partner")
    assert "execute_kw res.partner.search_count" in str(info.value)


async def test_wrong_url_is_not_found(env: Env, sim: OdooSim) -> None:
    async with httpx.AsyncClient() as http:
        client = make_client(http, env.url + "/odoo")
        with pytest.raises(NotFound) as info:
            await client.version()
        assert "ODOO_URL" in str(info.value)
        verdict = await client.check()
    assert not verdict.ok and verdict.message.startswith("cannot reach Odoo")


# ---- fault codes -----------------------------------------------------------------------------------


async def test_fault_kinds_are_typed(odoo: OdooClient, sim: OdooSim) -> None:
    messages = []
    with pytest.raises(OdooWarning) as f1:
        await odoo.search_read("x_wine.tasting", [], ["name"])
    assert (
        f1.value.code == 2
        and f1.value.message == "execute_kw x_wine.tasting.search_read: Object x_wine.tasting doesn't exist"
    )
    messages.append(str(f1.value))
    with pytest.raises(OdooWarning) as f2:
        await odoo.execute_kw("res.partner", "create", {"name": "X", "x_nope": 1})
    assert f2.value.code == 2 and "x_nope" in f2.value.message
    messages.append(str(f2.value))
    sim.deny("stock.quant", "read")
    with pytest.raises(PermissionDenied) as f4:
        await odoo.search_read("stock.quant", [], ["quantity"])
    assert "not allowed to access" in f4.value.message
    messages.append(str(f4.value))
    verdict = await odoo.check()
    assert not verdict.ok and any(p.startswith("stock.quant:") for p in verdict.problems)
    sim.allow("stock.quant")
    with pytest.raises(OdooFault) as computed:
        await odoo.search_read("stock.quant", [["available_quantity", ">", 0]])
    messages.append(str(computed.value))
    assert all(KEY not in m and "\n" not in m and "Traceback" not in m for m in messages)


# ---- calls -----------------------------------------------------------------------------------------


async def test_execute_kw_and_helpers(odoo: OdooClient, sim: OdooSim) -> None:
    companies = await odoo.execute_kw("res.partner", "search", [["is_company", "=", True]], order="id")
    assert len(companies) == 3
    rows = await odoo.search_read(
        "res.partner", [["id", "in", companies]], ["name", "parent_id"], limit=2, order="id"
    )
    assert [r["parent_id"] for r in rows] == [False, False] and len(rows) == 2
    assert await odoo.read("res.partner", companies[:1], ["name"]) == [
        {"id": companies[0], "name": "Cave Saint-Émilion 0"}
    ]
    assert await odoo.search_count("res.partner", [], context={"active_test": False}) == 11
    assert (await odoo.fields_get("sale.order.line"))["order_id"]["relation"] == "sale.order"
    new_id = await odoo.execute_kw("res.partner", "create", {"name": "Zoé Nguyễn", "email": None})
    assert sim.records["res.partner"][new_id]["email"] is False
    assert odoo.calls["execute_kw res.partner.search_read"] == 1
    assert calls(sim, "common authenticate") == 1  # logged in once, lazily


# ---- incremental reads -----------------------------------------------------------------------------


async def _collect(it: AsyncIterator[dict[str, Any]]) -> list[dict[str, Any]]:
    return [row async for row in it]


async def test_cursor_paging_with_ties(odoo: OdooClient, sim: OdooSim) -> None:
    rows = await _collect(odoo.iter_records("res.partner", [], ["name"], page=3))
    keys = [(r["write_date"], r["id"]) for r in rows]
    assert keys == sorted(keys) and len(set(keys)) == len(keys) == 10
    assert calls(sim, "execute_kw res.partner.search_read") == 4  # 3 + 3 + 3 + 1
    for size in (1, 2, 7, 500):
        again = await _collect(odoo.iter_records("res.partner", [], ["name"], page=size))
        assert [(r["write_date"], r["id"]) for r in again] == keys
    people = await _collect(odoo.iter_records("res.partner", [["is_company", "=", False]], ["name"], page=2))
    assert len(people) == 7 and all(r["write_date"] == TIE for r in people)


async def test_resume_from_cursor(odoo: OdooClient, sim: OdooSim, env: Env) -> None:
    first = await _collect(odoo.iter_records("res.partner", [], ["name"], page=4))
    cursor = (first[-1]["write_date"], first[-1]["id"])
    seen = {(r["id"], r["write_date"]) for r in first}
    assert await _collect(odoo.iter_records("res.partner", [], ["name"], cursor=cursor, seen=seen)) == []
    env.clock.advance(30)
    await odoo.execute_kw("res.partner", "write", [first[2]["id"]], {"phone": "+33 3 80 22 00 00"})
    changed = await _collect(odoo.iter_records("res.partner", [], ["phone"], cursor=cursor, seen=seen))
    assert [(r["id"], r["phone"]) for r in changed] == [(first[2]["id"], "+33 3 80 22 00 00")]
    assert changed[0]["write_date"] == "2024-06-01 09:00:30"


async def test_overlap_window_catches_late_commits_and_dedups(odoo: OdooClient, sim: OdooSim) -> None:
    first = await _collect(odoo.iter_records("res.partner", [], ["name"]))
    cursor = (first[-1]["write_date"], first[-1]["id"])
    seen = {(r["id"], r["write_date"]) for r in first}
    # A long transaction commits now a row stamped two minutes before the cursor.
    (late,) = sim.load("res.partner", [{"name": "Commande tardive", "write_date": "2024-05-01 07:58:00"}])
    got = await _collect(
        odoo.iter_records("res.partner", [], ["name"], cursor=cursor, seen=seen, overlap_seconds=300)
    )
    assert [r["id"] for r in got] == [late]
    # Without the overlap the late row is lost; without `seen` the window is read again.
    assert (
        await _collect(
            odoo.iter_records("res.partner", [], ["name"], cursor=cursor, seen=seen, overlap_seconds=0)
        )
        == []
    )
    again = await _collect(odoo.iter_records("res.partner", [], ["name"], cursor=cursor, overlap_seconds=300))
    assert late in {r["id"] for r in again} and len(again) == 11


async def test_archived_rows_when_asked(odoo: OdooClient, sim: OdooSim) -> None:
    default = await _collect(odoo.iter_records("res.partner", [], ["name", "active"]))
    assert all(r["active"] for r in default) and len(default) == 10
    everything = await _collect(
        odoo.iter_records("res.partner", [], ["name", "active"], include_archived=True, page=4)
    )
    assert len(everything) == 11 and [r["name"] for r in everything if not r["active"]] == [
        "Archivée Lefèvre"
    ]


# ---- transport faults from the simulator's controls ------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        Fault("status", status=503, path_prefix=OBJECT),
        Fault("status", status=500, path_prefix=OBJECT),
        Fault("rate_limit", retry_after=0, path_prefix=OBJECT),
        Fault("reset", path_prefix=OBJECT),
        Fault("truncate", path_prefix=OBJECT),
        Fault("hang", seconds=1.0, path_prefix=OBJECT),
    ],
    ids=lambda f: f.kind + (str(f.status) if f.kind == "status" else ""),
)
async def test_reads_are_retried(env: Env, sim: OdooSim, fault: Fault) -> None:
    async with httpx.AsyncClient() as http:
        odoo = make_client(http, env.url, timeout=0.3)
        await odoo.authenticate()
        sim.control.add_fault(fault, times=2)
        rows = await odoo.search_read("res.partner", [["is_company", "=", True]], ["name"])
    assert len(rows) == 3
    assert odoo.retries == 2
    assert odoo.calls["execute_kw res.partner.search_read"] == 3


async def test_hang_on_every_attempt_is_a_timeout(env: Env, sim: OdooSim) -> None:
    async with httpx.AsyncClient() as http:
        odoo = make_client(http, env.url, timeout=0.2, retry=RetryPolicy(attempts=3, base=0.001, cap=0.01))
        await odoo.authenticate()
        sim.control.add_fault(Fault("hang", seconds=0.6, path_prefix=OBJECT), times=3)
        with pytest.raises(OdooTimeout) as info:
            await odoo.search_count("res.partner")
    assert info.value.retryable and "3 attempts" in str(info.value)


async def test_writes_are_not_resent_blindly(odoo: OdooClient, sim: OdooSim) -> None:
    await odoo.authenticate()
    before = len(sim.records["res.partner"])
    sim.control.add_fault(Fault("reset", path_prefix=OBJECT))
    with pytest.raises(OutcomeUnknown):
        await odoo.execute_kw("res.partner", "create", {"name": "Peut-être créé"})
    sim.control.add_fault(Fault("status", status=500, path_prefix=OBJECT))
    with pytest.raises(ServerError):
        await odoo.execute_kw("res.partner", "create", {"name": "Refusé"})
    assert len(sim.records["res.partner"]) == before
    assert odoo.calls["execute_kw res.partner.create"] == 2  # one attempt each, no retry
