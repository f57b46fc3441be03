"""Odoo's own clients drive the simulator over loopback: ``odoo-client-lib`` (XML-RPC, the legacy
``/xmlrpc/common`` and ``/xmlrpc/object`` paths) and ``odoorpc`` (JSON-RPC, ``/jsonrpc``). If the
simulator drifted from what real Odoo answers, these third-party clients would notice (#11)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import odoolib
import odoorpc
import pytest
from odoolib.tools import AuthenticationError

from crmtui.sandbox.loopback import serve_in_thread
from crmtui.sandbox.odoo import DEFAULT_DB, DEFAULT_KEY, DEFAULT_LOGIN, DEFAULT_UID, OdooSim


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[OdooSim, str, int]]:
    sim = OdooSim()
    sim.load(
        "res.partner",
        [
            {"name": "Jean Dupont", "email": "jean@exemple.fr", "write_date": "2024-05-01 08:00:00.250000"},
            {"name": "Marie Durand", "write_date": "2024-05-01 08:00:00.100000"},
            {"name": "Archivée", "active": False},
        ],
    )
    with serve_in_thread(sim.app) as url:
        parts = urlsplit(url)
        yield sim, str(parts.hostname), int(parts.port or 80)


def test_odoo_client_lib_over_legacy_xmlrpc(served: tuple[OdooSim, str, int]) -> None:
    sim, host, port = served
    conn = odoolib.get_connection(
        hostname=host,
        port=port,
        protocol="xmlrpc",
        database=DEFAULT_DB,
        login=DEFAULT_LOGIN,
        password=DEFAULT_KEY,
    )
    partners = conn.get_model("res.partner")
    rows = partners.search_read([], ["name", "write_date"], order="write_date asc, id asc")
    assert [r["name"] for r in rows] == ["Marie Durand", "Jean Dupont"]  # ordered by the hidden microseconds
    assert all(len(r["write_date"]) == 19 for r in rows)  # returned to the second (odoo/odoo#24102)
    assert partners.search_count([["active", "in", [True, False]]]) == 3
    first = rows[0]["id"]
    assert [r["id"] for r in partners.read([first, 999], ["name"])] == [first]  # a deleted id is left out
    with pytest.raises(Exception) as unknown:
        conn.get_model("x_no.such").search([])
    assert "Object x_no.such doesn't exist" in str(unknown.value)
    bad = odoolib.get_connection(
        hostname=host,
        port=port,
        protocol="xmlrpc",
        database=DEFAULT_DB,
        login=DEFAULT_LOGIN,
        password="wrong",
    )
    with pytest.raises(AuthenticationError):
        bad.check_login()
    assert sim.control.calls["common login"] >= 2


def test_odoorpc_over_jsonrpc(served: tuple[OdooSim, str, int]) -> None:
    sim, host, port = served
    odoo = odoorpc.ODOO(host, port=port)
    assert odoo.version == "17.0"
    odoo.login(DEFAULT_DB, DEFAULT_LOGIN, DEFAULT_KEY)
    assert odoo.env.uid == DEFAULT_UID
    ids = odoo.execute_kw("res.partner", "search", [[]], {"order": "id asc"})
    rows = odoo.execute_kw("res.partner", "read", [ids + [999]], {"fields": ["name", "write_date"]})
    assert [r["id"] for r in rows] == ids
    assert {r["write_date"][-3:] for r in rows} == {":00"}
    partner = odoo.env["res.partner"]
    assert partner.search_count([]) == 2
    with pytest.raises(odoorpc.error.RPCError) as unknown:
        odoo.execute_kw("x_no.such", "search", [[]])
    assert "doesn't exist" in str(unknown.value)
    with pytest.raises(odoorpc.error.RPCError):
        odoorpc.ODOO(host, port=port).login(DEFAULT_DB, DEFAULT_LOGIN, "wrong")


def test_legacy_paths_answer_string_fault_codes(served: tuple[OdooSim, str, int]) -> None:
    import xmlrpc.client

    _, host, port = served
    legacy = xmlrpc.client.ServerProxy(f"http://{host}:{port}/xmlrpc/object")
    with pytest.raises(xmlrpc.client.Fault) as denied:
        legacy.execute_kw(DEFAULT_DB, DEFAULT_UID, "wrong", "res.partner", "search", [[]])
    assert denied.value.faultCode == "AccessDenied"
    with pytest.raises(xmlrpc.client.Fault) as unknown:
        legacy.execute_kw(DEFAULT_DB, DEFAULT_UID, DEFAULT_KEY, "x_no.such", "search", [[]])
    assert str(unknown.value.faultCode).startswith("warning -- UserError")
