"""Odoo into the canonical tables, against the simulator (in-process ASGI, loopback for timeouts)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from crmtui.config import Settings
from crmtui.connectors.http import RetryPolicy
from crmtui.connectors.odoo import OdooClient
from crmtui.connectors.odoo_source import OdooSource, split_odoo_name
from crmtui.engine.etl import SourceManager
from crmtui.engine.events import Event, StepProgressed
from crmtui.sandbox.control import Fault
from crmtui.sandbox.loopback import serve_in_thread
from crmtui.sandbox.odoo import (
    DEFAULT_DB,
    DEFAULT_KEY,
    DEFAULT_LOGIN,
    DEFAULT_UID,
    ManualClock,
    OdooSim,
    user_error,
)
from crmtui.sandbox.odoo_data import load_sample
from crmtui.secrets import Secret
from crmtui.store import Store
from crmtui.store.etl import etl_repo

NOW = datetime(2025, 6, 1, tzinfo=UTC)
URL = "http://odoo.test"
TIE = "2025-05-20 10:00:00"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def sim(clock: ManualClock) -> OdooSim:
    return OdooSim(clock=clock)


@pytest.fixture
async def http(sim: OdooSim) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sim.app), base_url=URL) as client:
        yield client


def odoo_settings(settings: Settings, *, key: str = DEFAULT_KEY, db: str = DEFAULT_DB) -> Settings:
    return dataclasses.replace(
        settings, odoo_url=URL, odoo_db=db, odoo_user=DEFAULT_LOGIN, odoo_api_key=Secret(key)
    )


def make_source(http: httpx.AsyncClient, url: str = URL, **kw: Any) -> OdooSource:
    client = OdooClient(
        http,
        url=url,
        db=DEFAULT_DB,
        login=DEFAULT_LOGIN,
        api_key=DEFAULT_KEY,
        timeout=kw.pop("timeout", 5.0),
        retry=RetryPolicy(attempts=2, base=0.001, cap=0.01),
    )
    return OdooSource(client, **kw)


def test_split_odoo_name() -> None:
    assert split_odoo_name("Marie Dupont") == ("Marie", "Dupont")
    assert split_odoo_name("Marie DE LA TOUR") == ("Marie", "DE LA TOUR")
    assert split_odoo_name("DUPONT Marie") == ("Marie", "DUPONT")
    assert split_odoo_name("Cher") == (None, "Cher")


async def test_sample_database(
    settings: Settings, store: Store, sim: OdooSim, http: httpx.AsyncClient
) -> None:
    info = load_sample(sim, partners=60, seed=3)
    manager = SourceManager(odoo_settings(settings), store, http=http)
    assert manager.configured() == ["odoo"]
    assert "17.0" in await manager.test("odoo")
    result = await manager.run("odoo")
    assert result.status == "ok", result.errors
    repo = etl_repo(store)
    counts = repo.counts()
    assert counts["customers"] == info["counts"]["res.partner"]  # archived ones included
    assert counts["product_catalog"] == info["counts"]["product.product"]
    confirmed = [r for r in sim.records["sale.order.line"].values() if r.get("state") == "sale"]
    assert counts["sales_lines"] == len(confirmed) > 0
    internal = set(info["locations"]["internal"])
    quants = [r for r in sim.records["stock.quant"].values() if r["location_id"] in internal]
    assert counts["stock_levels"] == len(quants) > 0
    for pid in info["archived"]["res.partner"]:
        row = repo.get("customers", f"odoo-{pid}")
        assert row is not None and row["active"] == 0
    for pid in info["archived"]["product.product"]:
        code = sim.records["product.product"][pid].get("default_code")
        row = repo.get("product_catalog", code.upper() if code else f"odoo-{pid}")
        assert row is not None and row["active"] == 0
    line = repo.rows("sales_lines", limit=1)[0]
    assert line["date_sale"] and line["order_ref"].startswith("S")
    assert set(repo.cursors("odoo")) == {
        f"model:{m}" for m in ("product.product", "res.partner", "sale.order.line", "stock.quant")
    }
    again = await manager.run("odoo")
    assert again.changed_total == 0
    assert repo.counts() == counts


async def test_2500_records_sharing_one_write_date(
    settings: Settings, store: Store, sim: OdooSim, http: httpx.AsyncClient, clock: ManualClock
) -> None:
    sim.load(
        "res.partner",
        [
            {"name": f"Client {i:04d} Dupont", "email": f"c{i}@exemple.fr", "write_date": TIE}
            for i in range(2500)
        ]
        + [{"name": "Archivée Lefèvre", "active": False, "write_date": TIE}],
    )
    manager = SourceManager(odoo_settings(settings), store, http=http)
    # Stop after the first page: the cursor sits in the middle of the tie.
    cancel = asyncio.Event()

    def stop_after_first_page(event: Event) -> None:
        if isinstance(event, StepProgressed):
            cancel.set()

    first = await manager.run("odoo", emit=stop_after_first_page, cancel=cancel)
    assert first.status == "interrupted"
    assert etl_repo(store).counts()["customers"] == 1000
    rest = await manager.run("odoo")
    keys = [r["customer_key"] for r in etl_repo(store).rows("customers", limit=5000)]
    assert len(keys) == len(set(keys)) == 2501  # 0 missed, 0 doubled
    assert rest.changed["customers"] == 1501
    calls = sim.control.calls["execute_kw res.partner.search_read"]
    assert calls <= 6  # pages of 1000, no per-record reads
    # Nothing changed in Odoo: the overlap window is re-read and absorbed.
    again = await manager.run("odoo")
    assert again.changed_total == 0
    # One partner edited later: exactly one row changes.
    clock.advance(60)
    client = OdooClient(http, url=URL, db=DEFAULT_DB, login=DEFAULT_LOGIN, api_key=DEFAULT_KEY)
    await client.execute_kw("res.partner", "write", [5], {"phone": "06 12 34 56 78"})
    edited = await manager.run("odoo")
    assert edited.changed == {"customers": 1}
    row = etl_repo(store).get("customers", "odoo-5")
    assert row is not None and row["phone"] == "+33612345678"
    archived = etl_repo(store).rows("customers", where="active = 0")
    assert [r["last_name"] for r in archived] == ["Lefèvre"]


async def test_wrong_password_is_one_line_and_keeps_data(
    settings: Settings, store: Store, sim: OdooSim, http: httpx.AsyncClient
) -> None:
    load_sample(sim, partners=20, seed=1)
    await SourceManager(odoo_settings(settings), store, http=http).run("odoo")
    before = etl_repo(store).checksum()
    bad = SourceManager(odoo_settings(settings, key="wrong-key"), store, http=http)
    result = await bad.run("odoo")
    assert result.status == "failed"
    assert "\n" not in result.detail and "wrong-key" not in result.detail
    assert DEFAULT_LOGIN in result.detail
    assert etl_repo(store).checksum() == before
    with pytest.raises(Exception, match="refused"):
        await bad.test("odoo")


async def test_unknown_database_is_fault_1(
    settings: Settings, store: Store, sim: OdooSim, http: httpx.AsyncClient
) -> None:
    result = await SourceManager(odoo_settings(settings, db="nope"), store, http=http).run("odoo")
    assert result.status == "failed" and "nope" in result.detail


async def test_key_revoked_mid_run_is_fault_3(
    settings: Settings, store: Store, sim: OdooSim, http: httpx.AsyncClient
) -> None:
    load_sample(sim, partners=20, seed=1)

    def revoke(event: Event) -> None:
        if isinstance(event, StepProgressed):
            sim.users.by_login[DEFAULT_LOGIN] = (DEFAULT_UID, "revoked")

    result = await SourceManager(odoo_settings(settings), store, http=http).run("odoo", emit=revoke)
    assert result.status == "failed" and "credentials" in result.detail
    # The products loaded before the refusal stay, with their cursor.
    assert etl_repo(store).counts()["product_catalog"] > 0
    assert "model:product.product" in etl_repo(store).cursors("odoo")


async def test_acl_refusal_is_fault_4(
    settings: Settings, store: Store, sim: OdooSim, http: httpx.AsyncClient
) -> None:
    load_sample(sim, partners=20, seed=1)
    sim.deny("stock.quant", "read")
    result = await SourceManager(odoo_settings(settings), store, http=http).run("odoo")
    assert result.status == "failed" and "stock.quant" in result.detail
    counts = etl_repo(store).counts()
    assert counts["sales_lines"] > 0 and counts["stock_levels"] == 0


class _RefusingSim(OdooSim):
    """A server whose sale lines raise a UserError (fault 2) on read."""

    def _m_search_read(self, model: str, context: dict[str, Any], *args: Any, **kw: Any) -> Any:
        if model == "sale.order.line":
            raise user_error("Vous ne pouvez pas lire ces lignes.")
        return super()._m_search_read(model, context, *args, **kw)


async def test_user_error_is_fault_2(settings: Settings, store: Store) -> None:
    sim = _RefusingSim(clock=ManualClock(NOW))
    load_sample(sim, partners=10, seed=1)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sim.app), base_url=URL) as http:
        result = await SourceManager(odoo_settings(settings), store, http=http).run("odoo")
    assert result.status == "failed" and "Vous ne pouvez pas lire" in result.detail
    assert etl_repo(store).counts()["customers"] == 10  # read before the refusal, kept


async def test_timeout_is_one_line(settings: Settings, store: Store, sim: OdooSim) -> None:
    load_sample(sim, partners=5, seed=1)
    with serve_in_thread(sim.app) as url:
        async with httpx.AsyncClient() as http:
            source = make_source(http, url, timeout=0.2)
            sim.control.add_fault(Fault("hang", seconds=0.6, path_prefix="/xmlrpc/2/object"), times=4)
            result = await SourceManager(settings, store).run("odoo", source=source)
    assert result.status == "failed" and "no answer" in result.detail and "\n" not in result.detail


async def test_company_filter_and_page_size(
    store: Store, settings: Settings, sim: OdooSim, http: httpx.AsyncClient
) -> None:
    load_sample(sim, partners=30, seed=2)
    source = make_source(http, page=7, company_id=1)
    result = await SourceManager(settings, store).run("odoo", source=source)
    assert result.status == "ok"
    assert result.processed["customers"] == 30


async def test_2500_records_written_within_one_second_are_each_read_exactly_once_twice_in_a_row(
    settings: Settings, store: Store, sim: OdooSim, http: httpx.AsyncClient
) -> None:
    # Real Odoo stores microseconds and returns whole seconds (odoo/odoo#24102): a bulk import
    # gives 2,500 rows that all *read* "10:00:00" but are *ordered* by their hidden microseconds,
    # which follow no id order. A keyset on the returned value loops or skips here.
    import random

    micro = list(range(0, 2500 * 7, 7))
    random.Random(11).shuffle(micro)
    sim.load(
        "res.partner",
        [{"name": f"Client {i:04d} Dupont", "write_date": f"{TIE}.{m:06d}"} for i, m in enumerate(micro)],
    )
    (one,) = await make_source(http).client.read("res.partner", [1], ["write_date"])
    assert one["write_date"] == TIE  # returned cut to the second
    client = make_source(http).client
    for _ in range(2):
        before = sim.control.calls.get("execute_kw res.partner.search_read", 0)
        ids = [int(r["id"]) async for r in client.iter_records("res.partner", [], ["name"], page=1000)]
        assert len(ids) == len(set(ids)) == 2500
        assert sim.control.calls["execute_kw res.partner.search_read"] - before == 3  # always progresses
    # Through the ETL, twice: every partner loaded once; the second run changes nothing.
    manager = SourceManager(odoo_settings(settings), store, http=http)
    first = await manager.run("odoo")
    assert first.changed["customers"] == 2500
    again = await manager.run("odoo")
    assert again.changed_total == 0 and etl_repo(store).counts()["customers"] == 2500
