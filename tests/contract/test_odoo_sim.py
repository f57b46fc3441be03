"""Contract tests for the Odoo XML-RPC simulator (WIRE.md §3).

Every request is a real XML-RPC body built with ``xmlrpc.client.dumps`` and posted over httpx
(ASGI transport, plus one test over a loopback socket).
"""

from __future__ import annotations

import xmlrpc.client
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmtui.sandbox.control import Fault
from crmtui.sandbox.loopback import serve_in_thread
from crmtui.sandbox.odoo import DEFAULT_DB, DEFAULT_KEY, DEFAULT_LOGIN, DEFAULT_UID, ManualClock, OdooSim
from crmtui.sandbox.odoo_data import PRICE_BANDS, load_sample, price_band

T0 = datetime(2024, 6, 1, 9, 0, 0, tzinfo=UTC)


def seed(sim: OdooSim) -> dict[str, Any]:
    """A small, fully known data set."""
    ids: dict[str, Any] = {}
    (fr,) = sim.load("res.country", [{"name": "France", "code": "FR"}])
    vins, rouge, blanc = sim.load(
        "product.category",
        [{"name": "Vins"}, {"name": "Rouge", "parent_id": 1}, {"name": "Blanc", "parent_id": 1}],
    )
    wh, stock, cust = sim.load(
        "stock.location",
        [
            {"name": "WH", "usage": "view"},
            {"name": "Stock", "location_id": 1, "usage": "internal"},
            {"name": "Customers", "usage": "customer"},
        ],
    )
    p1, p2, p3 = sim.load(
        "product.product",
        [
            {
                "name": "Château Lagrange-Mérignac 2018",
                "default_code": "BX-RG-001",
                "categ_id": rouge,
                "list_price": 24.5,
                "type": "product",
                "x_vintage": 2018,
                "x_region": "Bordeaux",
                "x_color": "red",
                "x_volume_ml": 750,
            },
            {
                "name": "Chablis Premier Cru 2021",
                "default_code": "BG-BL-002",
                "categ_id": blanc,
                "list_price": 31.0,
                "type": "product",
                "x_vintage": 2021,
                "x_region": "Bourgogne",
                "x_color": "white",
                "x_volume_ml": 750,
            },
            {"name": "Vieux millésime retiré", "categ_id": rouge, "active": False, "list_price": 9.0},
        ],
    )
    c1, c2, c3, c4 = sim.load(
        "res.partner",
        [
            {
                "name": "Cave Saint-Émilion SARL",
                "is_company": True,
                "email": "contact@cave-exemple.fr",
                "country_id": fr,
            },
            {
                "name": "Hélène Dupont-Aubert",
                "parent_id": 1,
                "email": "helene@exemple.fr",
                "write_date": "2024-05-01 08:00:00",
            },
            {
                "name": "Jérôme Lefèvre",
                "email": False,
                "phone": "+33 6 12 34 56 78",
                "write_date": "2024-05-01 08:00:00",
            },
            {"name": "Ancien Client", "email": "ancien@exemple.fr", "active": False},
        ],
    )
    (o1, o2) = sim.load(
        "sale.order",
        [
            {"partner_id": c2, "date_order": "2024-03-10 14:00:00", "state": "sale"},
            {"partner_id": c3, "date_order": "2024-04-02 10:30:00", "state": "draft"},
        ],
    )
    sim.load(
        "sale.order.line",
        [
            {
                "order_id": o1,
                "product_id": p1,
                "name": "Lagrange 2018",
                "product_uom_qty": 6,
                "price_unit": 24.5,
            },
            {
                "order_id": o1,
                "product_id": p2,
                "name": "Chablis",
                "product_uom_qty": 2,
                "price_unit": 31.0,
                "discount": 10,
            },
            {"order_id": o2, "product_id": p2, "name": "Chablis", "product_uom_qty": 1, "price_unit": 31.0},
        ],
    )
    sim.load(
        "stock.quant",
        [
            {"product_id": p1, "location_id": stock, "quantity": 120.0, "reserved_quantity": 12.0},
            {"product_id": p2, "location_id": stock, "quantity": 48.0, "reserved_quantity": 0.0},
            {"product_id": p1, "location_id": cust, "quantity": 30.0},
        ],
    )
    ids.update(fr=fr, vins=vins, rouge=rouge, blanc=blanc, wh=wh, stock=stock, cust=cust)
    ids.update(p1=p1, p2=p2, p3=p3, c1=c1, c2=c2, c3=c3, c4=c4, o1=o1, o2=o2)
    return ids


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def sim(clock: ManualClock) -> OdooSim:
    return OdooSim(clock=clock)


@pytest.fixture
def ids(sim: OdooSim) -> dict[str, Any]:
    return seed(sim)


@pytest.fixture
async def client(sim: OdooSim) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sim.app), base_url="http://odoo.test"
    ) as c:
        yield c


async def rpc(client: httpx.AsyncClient, service: str, method: str, *params: Any) -> Any:
    body = xmlrpc.client.dumps(params, method, allow_none=False)
    r = await client.post(f"/xmlrpc/2/{service}", content=body.encode(), headers={"Content-Type": "text/xml"})
    assert r.status_code == 200
    assert b"<nil" not in r.content, "allow_none=False: empty values must be False"
    (result,), _ = xmlrpc.client.loads(r.content)
    return result


async def ex(
    client: httpx.AsyncClient,
    model: str,
    method: str,
    args: list[Any],
    kwargs: dict[str, Any] | None = None,
    *,
    uid: Any = DEFAULT_UID,
    key: str = DEFAULT_KEY,
    db: str = DEFAULT_DB,
) -> Any:
    params: list[Any] = [db, uid, key, model, method, args]
    if kwargs is not None:
        params.append(kwargs)
    return await rpc(client, "object", "execute_kw", *params)


async def fault(coro: Any) -> xmlrpc.client.Fault:
    with pytest.raises(xmlrpc.client.Fault) as info:
        await coro
    assert isinstance(info.value.faultCode, int)
    return info.value


# ---- common --------------------------------------------------------------------------------------


async def test_version(client: httpx.AsyncClient) -> None:
    v = await rpc(client, "common", "version")
    assert v["server_version"] == "17.0"
    assert v["server_version_info"][:2] == [17, 0]
    assert v["protocol_version"] == 1


async def test_authenticate(client: httpx.AsyncClient) -> None:
    assert (
        await rpc(client, "common", "authenticate", DEFAULT_DB, DEFAULT_LOGIN, DEFAULT_KEY, {}) == DEFAULT_UID
    )
    assert await rpc(client, "common", "authenticate", DEFAULT_DB, DEFAULT_LOGIN, "wrong", {}) is False
    assert await rpc(client, "common", "authenticate", DEFAULT_DB, "nobody@x.fr", DEFAULT_KEY, {}) is False


async def test_unknown_db_is_fault_1_with_traceback(client: httpx.AsyncClient) -> None:
    f = await fault(rpc(client, "common", "authenticate", "nope", DEFAULT_LOGIN, DEFAULT_KEY, {}))
    assert f.faultCode == 1
    assert f.faultString.startswith("Traceback (most recent call last):")
    assert 'database "nope" does not exist' in f.faultString.strip().splitlines()[-1]
    assert DEFAULT_KEY not in f.faultString


async def test_custom_users(clock: ManualClock) -> None:
    sim = OdooSim(db="prod", users={"a@b.fr": (7, "k1")}, clock=clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sim.app), base_url="http://o") as c:
        assert await rpc(c, "common", "authenticate", "prod", "a@b.fr", "k1", {}) == 7
        assert await ex(c, "res.partner", "search", [[]], db="prod", uid=7, key="k1") == []


# ---- object: auth, ACL, errors -----------------------------------------------------------------


async def test_wrong_password_or_uid_is_access_denied(client: httpx.AsyncClient, ids: dict[str, Any]) -> None:
    f = await fault(ex(client, "res.partner", "search", [[]], key="wrong"))
    assert (f.faultCode, f.faultString) == (3, "Access Denied")
    f = await fault(ex(client, "res.partner", "search", [[]], uid=99))
    assert f.faultCode == 3


async def test_unknown_model_is_fault_2_and_unknown_method_fault_1(client: httpx.AsyncClient) -> None:
    f = await fault(ex(client, "res.partnerz", "search", [[]]))
    assert f.faultCode == 2 and f.faultString == "Object res.partnerz doesn't exist"  # Odoo 17
    f = await fault(ex(client, "res.partner", "frobnicate", []))
    assert f.faultCode == 1 and "does not exist" in f.faultString
    f = await fault(ex(client, "res.partner", "_private", []))
    assert f.faultCode == 1


async def test_acl_refusal_is_fault_4(sim: OdooSim, client: httpx.AsyncClient, ids: dict[str, Any]) -> None:
    sim.deny("stock.quant")
    f = await fault(ex(client, "stock.quant", "search_read", [[]], {"fields": ["quantity"]}))
    assert f.faultCode == 4
    assert "not allowed to access" in f.faultString and "(stock.quant)" in f.faultString
    assert "Traceback" not in f.faultString
    sim.allow("stock.quant")
    sim.deny("res.partner", "write")
    assert len(await ex(client, "res.partner", "search", [[]])) == 3
    f = await fault(ex(client, "res.partner", "write", [[ids["c3"]], {"phone": "1"}]))
    assert f.faultCode == 4 and "not allowed to modify" in f.faultString


async def test_validation_problems_are_fault_2(client: httpx.AsyncClient, ids: dict[str, Any]) -> None:
    f = await fault(ex(client, "res.partner", "create", [{"name": "X", "x_unknown": 1}]))
    assert f.faultCode == 2 and "x_unknown" in f.faultString and "Traceback" not in f.faultString
    f = await fault(ex(client, "res.partner", "create", [{"email": "noname@exemple.fr"}]))
    assert f.faultCode == 2 and "mandatory field" in f.faultString
    f = await fault(ex(client, "sale.order", "write", [[ids["o2"]], {"state": "shipped"}]))
    assert f.faultCode == 2
    f = await fault(ex(client, "sale.order.line", "create", [{"order_id": 999, "name": "x"}]))
    assert f.faultCode == 2
    f = await fault(ex(client, "sale.order", "write", [[ids["o2"]], {"amount_total": 1.0}]))
    assert f.faultCode == 2 and "read-only" in f.faultString
    # read() of an id that no longer exists leaves it out (WIRE §3.3), it is not a fault.
    rows = await ex(client, "res.partner", "read", [[ids["c1"], 424242]], {"fields": ["name"]})
    assert [r["id"] for r in rows] == [ids["c1"]]


async def test_malformed_body_is_fault_1(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/xmlrpc/2/object", content=b"<methodCall><oops", headers={"Content-Type": "text/xml"}
    )
    with pytest.raises(xmlrpc.client.Fault) as info:
        xmlrpc.client.loads(r.content)
    assert info.value.faultCode == 1


# ---- reading ------------------------------------------------------------------------------------


async def test_empty_values_are_false_and_m2o_shape(client: httpx.AsyncClient, ids: dict[str, Any]) -> None:
    (rec,) = await ex(
        client, "res.partner", "read", [[ids["c3"]]], {"fields": ["email", "parent_id", "country_id"]}
    )
    assert rec == {"id": ids["c3"], "email": False, "parent_id": False, "country_id": False}
    (helene,) = await ex(client, "res.partner", "read", [[ids["c2"]], ["parent_id", "display_name"]])
    assert helene["parent_id"] == [ids["c1"], "Cave Saint-Émilion SARL"]
    assert helene["display_name"] == "Cave Saint-Émilion SARL, Hélène Dupont-Aubert"
    (prod,) = await ex(
        client, "product.product", "read", [[ids["p1"]], ["categ_id", "display_name", "x_vintage"]]
    )
    assert prod["categ_id"] == [ids["rouge"], "Vins / Rouge"]
    assert prod["display_name"] == "[BX-RG-001] Château Lagrange-Mérignac 2018"
    assert prod["x_vintage"] == 2018


async def test_search_read_always_includes_id_and_dates_are_strings(
    client: httpx.AsyncClient, ids: dict[str, Any]
) -> None:
    rows = await ex(
        client, "sale.order", "search_read", [[]], {"fields": ["name", "date_order", "write_date"]}
    )
    assert {tuple(sorted(r)) for r in rows} == {("date_order", "id", "name", "write_date")}
    assert [r["name"] for r in rows] == ["S00002", "S00001"]  # default order: date_order desc
    assert rows[1]["date_order"] == "2024-03-10 14:00:00"
    assert rows[0]["write_date"] == "2024-06-01 09:00:00"
    everything = await ex(client, "product.product", "search_read", [[["id", "=", ids["p1"]]]])
    assert {"x_region", "x_color", "qty_available", "lst_price"} <= set(everything[0])


async def test_search_count_and_read_all_fields(client: httpx.AsyncClient, ids: dict[str, Any]) -> None:
    assert await ex(client, "product.product", "search_count", [[]]) == 2
    assert await ex(client, "product.product", "search_count", [[]], {"context": {"active_test": False}}) == 3
    assert await ex(client, "product.product", "search", [[["x_color", "=", "white"]]]) == [ids["p2"]]


async def test_fields_get(client: httpx.AsyncClient) -> None:
    desc = await ex(
        client, "stock.quant", "fields_get", [], {"attributes": ["string", "type", "store", "relation"]}
    )
    assert desc["location_id"] == {
        "string": "Location",
        "type": "many2one",
        "store": True,
        "relation": "stock.location",
    }
    assert desc["available_quantity"]["store"] is False
    assert set(desc["quantity"]) == {"string", "type", "store"}
    wine = await ex(client, "product.product", "fields_get", [["x_color", "x_volume_ml"]])
    assert set(wine) == {"x_color", "x_volume_ml"}
    assert ["rose", "Rosé"] in wine["x_color"]["selection"]


# ---- active_test ------------------------------------------------------------------------------------


async def test_active_test_both_ways(client: httpx.AsyncClient, ids: dict[str, Any]) -> None:
    default = await ex(client, "res.partner", "search", [[]])
    assert ids["c4"] not in default
    both = await ex(client, "res.partner", "search", [[["active", "in", [True, False]]]])
    assert ids["c4"] in both and len(both) == 4
    ctx = await ex(client, "res.partner", "search", [[]], {"context": {"active_test": False}})
    assert sorted(ctx) == sorted(both)
    archived = await ex(
        client, "res.partner", "search_read", [[["active", "=", False]]], {"fields": ["name"]}
    )
    assert archived == [{"id": ids["c4"], "name": "Ancien Client"}]
    # read by id never filters
    assert (await ex(client, "res.partner", "read", [[ids["c4"]], ["active"]]))[0]["active"] is False
    # models without an active field are not filtered
    assert await ex(client, "sale.order", "search_count", [[]]) == 2


# ---- domains -----------------------------------------------------------------------------------------


async def test_dotted_paths(client: httpx.AsyncClient, ids: dict[str, Any]) -> None:
    internal = await ex(
        client,
        "stock.quant",
        "search_read",
        [[["location_id.usage", "=", "internal"]]],
        {"fields": ["location_id"]},
    )
    assert len(internal) == 2 and all(r["location_id"] == [ids["stock"], "WH/Stock"] for r in internal)
    lines = await ex(client, "sale.order.line", "search", [[["order_id.partner_id", "=", ids["c2"]]]])
    assert len(lines) == 2
    lines = await ex(
        client, "sale.order.line", "search", [[["order_id.partner_id.parent_id.name", "ilike", "émilion"]]]
    )
    assert len(lines) == 2
    lines = await ex(
        client, "sale.order.line", "search", [[["product_id.categ_id", "child_of", ids["vins"]]]]
    )
    assert len(lines) == 3


async def test_many2one_comparisons(client: httpx.AsyncClient, ids: dict[str, Any]) -> None:
    no_parent = await ex(client, "res.partner", "search", [[["parent_id", "=", False]]])
    assert sorted(no_parent) == sorted([ids["c1"], ids["c3"]])
    with_parent = await ex(client, "res.partner", "search", [[["parent_id", "!=", False]]])
    assert with_parent == [ids["c2"]]
    assert await ex(client, "res.partner", "search", [[["parent_id", "=", ids["c1"]]]]) == [ids["c2"]]
    assert await ex(
        client, "res.partner", "search", [[["parent_id", "in", [ids["c1"], False]]]], {"order": "id"}
    ) == [
        ids["c1"],
        ids["c2"],
        ids["c3"],
    ]
    by_name = await ex(client, "product.product", "search", [[["categ_id", "ilike", "rouge"]]])
    assert by_name == [ids["p1"]]
    assert await ex(
        client, "product.product", "search", [[["categ_id", "child_of", ids["vins"]]]], {"order": "id"}
    ) == [
        ids["p1"],
        ids["p2"],
    ]


async def test_prefix_operators(client: httpx.AsyncClient, ids: dict[str, Any]) -> None:
    a = ["email", "ilike", "exemple.fr"]
    b = ["phone", "!=", False]
    either = await ex(client, "res.partner", "search", [["|", a, b]], {"order": "id"})
    assert either == [ids["c1"], ids["c2"], ids["c3"]]
    implicit = await ex(client, "res.partner", "search", [[a, ["is_company", "=", True]]])
    assert implicit == [ids["c1"]]
    assert implicit == await ex(client, "res.partner", "search", [["&", a, ["is_company", "=", True]]])
    negated = await ex(client, "res.partner", "search", [["!", a]])
    assert negated == [ids["c3"]]
    nested = await ex(
        client, "res.partner", "search", [["&", "|", a, b, "!", ["is_company", "=", True]]], {"order": "id"}
    )
    assert nested == [ids["c2"], ids["c3"]]
    f = await fault(ex(client, "res.partner", "search", [["|", a]]))
    assert f.faultCode == 1


@pytest.mark.parametrize(
    ("leaf", "expected"),
    [
        (["name", "like", "Dupont"], ["c2"]),
        (["name", "like", "dupont"], []),
        (["name", "ilike", "DUPONT"], ["c2"]),
        (["name", "not ilike", "dupont"], ["c1", "c3"]),
        (["name", "=like", "J%"], ["c3"]),
        (["name", "=ilike", "j_rôme%"], ["c3"]),
        (["email", "!=", "helene@exemple.fr"], ["c1", "c3"]),  # != keeps empty values
        (["email", "not in", ["helene@exemple.fr"]], ["c1", "c3"]),
        (["email", "in", ["helene@exemple.fr", False]], ["c2", "c3"]),
        (["email", "=", False], ["c3"]),
        (["id", ">", 1], ["c2", "c3"]),
        (["id", "<=", 2], ["c1", "c2"]),
        (["write_date", "<", "2024-06-01"], ["c2", "c3"]),
        (["write_date", ">=", "2024-06-01 09:00:00"], ["c1"]),
        (["name", "<>", "Jérôme Lefèvre"], ["c1", "c2"]),
    ],
)
async def test_operators(
    client: httpx.AsyncClient, ids: dict[str, Any], leaf: list[Any], expected: list[str]
) -> None:
    got = await ex(client, "res.partner", "search", [[leaf]], {"order": "id"})
    assert got == [ids[k] for k in expected]


async def test_computed_field_refused_in_domain_and_order(
    client: httpx.AsyncClient, ids: dict[str, Any]
) -> None:
    f = await fault(ex(client, "stock.quant", "search", [[["available_quantity", ">", 0]]]))
    assert f.faultCode == 1 and "available_quantity" in f.faultString
    f = await fault(ex(client, "stock.quant", "search", [[]], {"order": "available_quantity desc"}))
    assert f.faultCode == 1
    rows = await ex(
        client,
        "stock.quant",
        "search_read",
        [[["location_id.usage", "=", "internal"]]],
        {"fields": ["available_quantity"], "order": "id"},
    )
    assert [r["available_quantity"] for r in rows] == [108.0, 48.0]
    # qty_available has a search method in Odoo, so it may be filtered on (not sorted)
    assert await ex(client, "product.product", "search", [[["qty_available", ">", 100]]]) == [ids["p1"]]
    f = await fault(ex(client, "product.product", "search", [[]], {"order": "qty_available"}))
    assert f.faultCode == 1


async def test_lenient_nonstored_mode_ignores_the_leaf(clock: ManualClock) -> None:
    sim = OdooSim(clock=clock, strict_nonstored=False)
    seed(sim)
    assert len(sim.search_ids("stock.quant", [["available_quantity", ">", 10_000]])) == 3


# ---- order / offset / limit -----------------------------------------------------------------------


async def test_order_offset_limit(client: httpx.AsyncClient, ids: dict[str, Any]) -> None:
    kw = {"order": "write_date asc, id asc"}
    full = await ex(client, "res.partner", "search", [[]], kw)
    assert full == [ids["c2"], ids["c3"], ids["c1"]]
    assert await ex(client, "res.partner", "search", [[]], {**kw, "offset": 1, "limit": 1}) == [ids["c3"]]
    assert await ex(client, "res.partner", "search", [[], 2, 5, "id asc"]) == [ids["c3"]]
    assert await ex(client, "res.partner", "search", [[]], {"order": "write_date desc, id desc"}) == [
        ids["c1"],
        ids["c3"],
        ids["c2"],
    ]
    by_email = await ex(client, "res.partner", "search", [[]], {"order": "email asc"})
    assert by_email[-1] == ids["c3"]  # NULLS LAST ascending
    by_email = await ex(client, "res.partner", "search", [[]], {"order": "email desc"})
    assert by_email[0] == ids["c3"]  # NULLS FIRST descending
    by_email = await ex(client, "res.partner", "search", [[]], {"order": "email asc nulls first"})
    assert by_email[0] == ids["c3"]
    by_parent = await ex(client, "res.partner", "search", [[]], {"order": "parent_id, id desc"})
    assert by_parent == [ids["c2"], ids["c3"], ids["c1"]]


async def test_bad_order(client: httpx.AsyncClient, ids: dict[str, Any]) -> None:
    f = await fault(ex(client, "res.partner", "search", [[]], {"order": "name; drop table"}))
    assert f.faultCode == 2 and 'Invalid "order"' in f.faultString
    f = await fault(ex(client, "res.partner", "search", [[]], {"order": "nope asc"}))
    assert f.faultCode == 1


# ---- writes --------------------------------------------------------------------------------------------


async def test_create_write_unlink_and_write_date(
    client: httpx.AsyncClient, ids: dict[str, Any], clock: ManualClock, sim: OdooSim
) -> None:
    clock.set(datetime(2024, 6, 2, 10, 0, 0, 987654, tzinfo=UTC))
    pid = await ex(client, "res.partner", "create", [{"name": "Zoé Nguyễn", "email": "zoe@exemple.fr"}])
    assert isinstance(pid, int)
    (rec,) = await ex(client, "res.partner", "read", [[pid], ["write_date", "create_date", "phone"]])
    assert rec["write_date"] == rec["create_date"] == "2024-06-02 10:00:00"
    assert rec["phone"] is False
    clock.advance(61)
    assert await ex(client, "res.partner", "write", [[pid], {"phone": "+33 1 23 45 67 89"}]) is True
    (rec,) = await ex(client, "res.partner", "read", [[pid], ["write_date", "create_date"]])
    assert rec == {"id": pid, "write_date": "2024-06-02 10:01:01", "create_date": "2024-06-02 10:00:00"}
    many = await ex(client, "res.partner", "create", [[{"name": "A"}, {"name": "B"}]])
    assert len(many) == 2
    assert await ex(client, "res.partner", "unlink", [many]) is True
    assert not set(many) & set(sim.records["res.partner"])


async def test_order_totals_and_related_fields(
    client: httpx.AsyncClient, ids: dict[str, Any], clock: ManualClock
) -> None:
    (o1,) = await ex(client, "sale.order", "read", [[ids["o1"]], ["amount_untaxed", "amount_total"]])
    assert o1["amount_untaxed"] == pytest.approx(6 * 24.5 + 2 * 31.0 * 0.9)
    assert o1["amount_total"] == pytest.approx(o1["amount_untaxed"] * 1.2, abs=0.01)
    lines = await ex(
        client,
        "sale.order.line",
        "search_read",
        [[["order_id", "=", ids["o2"]]]],
        {"fields": ["state", "order_partner_id", "price_subtotal", "price_total", "write_date"]},
    )
    assert lines[0]["state"] == "draft" and lines[0]["order_partner_id"] == [ids["c3"], "Jérôme Lefèvre"]
    clock.advance(3600)
    await ex(client, "sale.order", "write", [[ids["o2"]], {"state": "sale"}])
    (line,) = await ex(client, "sale.order.line", "read", [[lines[0]["id"]], ["state", "write_date"]])
    assert line["state"] == "sale" and line["write_date"] == "2024-06-01 10:00:00"
    f = await fault(ex(client, "sale.order", "unlink", [[ids["o2"]]]))
    assert f.faultCode == 2
    f = await fault(ex(client, "res.partner", "unlink", [[ids["c3"]]]))
    assert f.faultCode == 2 and "archive it instead" in f.faultString
    await ex(client, "sale.order.line", "write", [[lines[0]["id"]], {"product_uom_qty": 3}])
    (o2,) = await ex(client, "sale.order", "read", [[ids["o2"]], ["amount_untaxed", "write_date"]])
    assert o2["amount_untaxed"] == pytest.approx(93.0)


async def test_lst_price_inverse_and_m2m_commands(client: httpx.AsyncClient, ids: dict[str, Any]) -> None:
    await ex(client, "product.product", "write", [[ids["p1"]], {"lst_price": 26.0}])
    (p,) = await ex(client, "product.product", "read", [[ids["p1"]], ["list_price", "lst_price"]])
    assert p["list_price"] == p["lst_price"] == 26.0
    tag = await ex(client, "res.partner.category", "create", [{"name": "VIP"}])
    await ex(client, "res.partner", "write", [[ids["c3"]], {"category_id": [(4, tag)]}])
    assert await ex(client, "res.partner", "search", [[["category_id", "in", [tag]]]]) == [ids["c3"]]
    assert await ex(client, "res.partner", "search", [[["category_id.name", "=", "VIP"]]]) == [ids["c3"]]
    await ex(client, "res.partner", "write", [[ids["c3"]], {"category_id": [(6, 0, [])]}])
    assert await ex(client, "res.partner", "search", [[["category_id", "in", [tag]]]]) == []


# ---- controls and sockets --------------------------------------------------------------------------


async def test_counters_per_model_and_method(
    sim: OdooSim, client: httpx.AsyncClient, ids: dict[str, Any]
) -> None:
    await ex(client, "res.partner", "search_read", [[]], {"fields": ["name"]})
    await ex(client, "res.partner", "search_read", [[]], {"fields": ["name"]})
    await rpc(client, "common", "version")
    assert sim.control.calls["execute_kw res.partner.search_read"] == 2
    assert sim.control.calls["common version"] == 1
    assert sum(v for k, v in sim.control.calls.items() if k.startswith("POST ")) == 3


async def test_status_fault_from_control(sim: OdooSim, client: httpx.AsyncClient) -> None:
    sim.control.add_fault(Fault("status", status=503, path_prefix="/xmlrpc/2/object"))
    body = xmlrpc.client.dumps((), "version")
    r = await client.post("/xmlrpc/2/common", content=body)
    assert r.status_code == 200
    r = await client.post("/xmlrpc/2/object", content=body)
    assert r.status_code == 503


async def test_reset(sim: OdooSim, ids: dict[str, Any]) -> None:
    sim.deny("res.partner")
    sim.reset()
    assert all(not table for table in sim.records.values())
    assert sim.acl == {}
    assert sim.load("res.country", [{"name": "Belgique", "code": "BE"}]) == [1]


def test_over_a_real_socket(sim: OdooSim, ids: dict[str, Any]) -> None:
    with serve_in_thread(sim.app) as base:
        proxy_body = xmlrpc.client.dumps((DEFAULT_DB, DEFAULT_LOGIN, DEFAULT_KEY, {}), "authenticate")
        with httpx.Client(base_url=base, timeout=5) as c:
            r = c.post("/xmlrpc/2/common", content=proxy_body, headers={"Content-Type": "text/xml"})
            assert xmlrpc.client.loads(r.content)[0][0] == DEFAULT_UID
            body = xmlrpc.client.dumps(
                (
                    DEFAULT_DB,
                    DEFAULT_UID,
                    DEFAULT_KEY,
                    "product.product",
                    "search_read",
                    [[]],
                    {"fields": ["name"]},
                ),
                "execute_kw",
            )
            r = c.post("/xmlrpc/2/object", content=body, headers={"Content-Type": "text/xml"})
            names = [row["name"] for row in xmlrpc.client.loads(r.content)[0][0]]
    assert names == [
        "Chablis Premier Cru 2021",
        "Château Lagrange-Mérignac 2018",
    ]  # default_code order: BG < BX


# ---- properties ----------------------------------------------------------------------------------------

_LEAVES = st.sampled_from(
    [
        ["email", "ilike", "exemple"],
        ["email", "=", False],
        ["is_company", "=", True],
        ["parent_id", "=", False],
        ["name", "=like", "%e%"],
        ["write_date", "<", "2024-06-01"],
        ["country_id.code", "=", "FR"],
    ]
)


@settings(max_examples=60, deadline=None)
@given(a=_LEAVES, b=_LEAVES)
def test_boolean_algebra(a: list[Any], b: list[Any]) -> None:
    sim = OdooSim(clock=ManualClock(T0))
    seed(sim)

    def q(domain: list[Any]) -> set[int]:
        return set(sim.search_ids("res.partner", domain, active_test=False))

    everything = q([])
    assert q(["!", a]) == everything - q([a])
    assert q(["|", a, b]) == q([a]) | q([b])
    assert q([a, b]) == q([a]) & q([b]) == q(["&", a, b])


async def test_writes_are_all_or_nothing(
    sim: OdooSim, client: httpx.AsyncClient, ids: dict[str, Any]
) -> None:
    before = len(sim.records["res.partner"])
    f = await fault(
        ex(client, "res.partner", "create", [[{"name": "Valide"}, {"email": "sans-nom@exemple.fr"}]])
    )
    assert f.faultCode == 2
    assert len(sim.records["res.partner"]) == before
    # a category still used by products cannot go (categ_id is required: ondelete restrict)
    f = await fault(ex(client, "product.category", "unlink", [[ids["vins"]]]))
    assert f.faultCode == 2
    assert ids["rouge"] in sim.records["product.category"]  # the cascade to children was not applied
    # deleting a draft order cascades to its lines
    await ex(client, "sale.order", "write", [[ids["o2"]], {"state": "cancel"}])
    assert await ex(client, "sale.order", "unlink", [[ids["o2"]]]) is True
    assert await ex(client, "sale.order.line", "search_count", [[["order_id", "=", ids["o2"]]]]) == 0


# ---- sample data (crmtui.sandbox.odoo_data) --------------------------------------------------------

NOW = datetime(2025, 3, 1, 0, 0, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def sample() -> tuple[OdooSim, dict[str, Any]]:
    sim = OdooSim(clock=ManualClock(NOW))
    return sim, load_sample(sim, partners=200, seed=7)


def test_sample_is_deterministic(sample: tuple[OdooSim, dict[str, Any]]) -> None:
    sim, summary = sample
    again = OdooSim(clock=ManualClock(NOW))
    assert load_sample(again, partners=200, seed=7) == summary
    assert again.records == sim.records
    other = OdooSim(clock=ManualClock(NOW))
    assert load_sample(other, partners=200, seed=8)["tastes"] != summary["tastes"]


def test_sample_catalogue(sample: tuple[OdooSim, dict[str, Any]]) -> None:
    sim, summary = sample
    wines = [sim.records["product.product"][i] for i in summary["wines"]]
    assert 38 <= len(wines) <= 50
    assert {w["x_region"] for w in wines} >= {
        "Bordeaux",
        "Bourgogne",
        "Loire",
        "Rhône",
        "Champagne",
        "Alsace",
    }
    assert {w["x_color"] for w in wines} == {"red", "white", "rose", "sparkling", "fortified"}
    assert {w["x_volume_ml"] for w in wines} == {375, 750, 1500}
    assert all(8.0 <= w["list_price"] <= 120.0 for w in wines)
    assert all(w["x_vintage"] is False or 2015 <= w["x_vintage"] <= 2023 for w in wines)
    assert any(w["x_vintage"] is False for w in wines)  # non-vintage bubbles
    assert len({w["default_code"] for w in wines}) == len(wines)
    archived = summary["archived"]["product.product"]
    assert archived and all(not sim.records["product.product"][i]["active"] for i in archived)
    assert set(summary["categories"]) >= {
        "Vins / Rouge",
        "Vins / Blanc",
        "Vins / Rosé",
        "Vins / Effervescent",
    }


async def test_sample_over_rpc(sample: tuple[OdooSim, dict[str, Any]]) -> None:
    sim, summary = sample
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sim.app), base_url="http://o") as c:
        assert await ex(c, "res.partner", "search_count", [[]]) == 200 - len(
            summary["archived"]["res.partner"]
        )
        assert await ex(c, "res.partner", "search_count", [[]], {"context": {"active_test": False}}) == 200
        reds = await ex(
            c,
            "product.product",
            "search_read",
            [[["categ_id", "=", summary["categories"]["Vins / Rouge"]]]],
            {"fields": ["categ_id"], "limit": 1},
        )
        assert reds[0]["categ_id"][1] == "Vins / Rouge"
        internal = await ex(c, "stock.quant", "search_count", [[["location_id.usage", "=", "internal"]]])
        assert 0 < internal < await ex(c, "stock.quant", "search_count", [[]])
        names = [r["name"] for r in await ex(c, "res.partner", "search_read", [[]], {"fields": ["name"]})]
    assert any("-" in n for n in names) and any(ch in "".join(names) for ch in "éèëçï")
    assert any(r["email"] is False for r in sim.records["res.partner"].values())


def test_sample_planted_tastes_show_in_sales(sample: tuple[OdooSim, dict[str, Any]]) -> None:
    sim, summary = sample
    products = sim.records["product.product"]
    category = {cid: name for name, cid in summary["categories"].items()}
    tastes = summary["tastes"]
    assert len(tastes) > 50
    hits = total = 0
    for line in sim.records["sale.order.line"].values():
        taste = tastes.get(line["order_partner_id"])
        product = products[line["product_id"]]
        if taste is None or not product.get("x_color"):
            continue
        total += 1
        hits += category[product["categ_id"]] == taste["category"]
        assert taste["price_band"] in PRICE_BANDS
    assert total > 500 and hits / total > 0.5


def test_sample_scales() -> None:
    sim = OdooSim(clock=ManualClock(NOW))
    summary = load_sample(sim, partners=37, seed=1)
    assert summary["counts"]["res.partner"] == len(sim.records["res.partner"]) == 37


def test_price_bands_match_the_etl_segments(sample: tuple[OdooSim, dict[str, Any]]) -> None:
    from crmtui.records.normalize import PRICE_SEGMENT_BOUNDS, price_segment

    assert [(name, high) for name, (_, high) in PRICE_BANDS.items()] == list(PRICE_SEGMENT_BOUNDS)
    sim, summary = sample
    bands = set()
    for pid in summary["wines"]:
        wine = sim.records["product.product"][pid]
        band = price_band(wine["list_price"], wine["x_volume_ml"])
        assert band == price_segment(wine["list_price"], wine["x_volume_ml"] / 750)
        bands.add(band)
    assert bands == set(PRICE_BANDS)
