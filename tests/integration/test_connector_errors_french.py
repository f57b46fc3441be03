"""A French operator reads the connectors' errors in French (#15), through the simulators over loopback.

``str(error)`` is what Notices, the sync report's per-contact errors, headless lines and the console
print: its words and its hint come from the catalogue (``crmtui/i18n/connector_errors.py``), in the
language of the run; what the service said is kept as it came, and secrets stay redacted.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from crmtui.connectors.copper import CopperClient
from crmtui.connectors.errors import AuthError, NetworkError, ServerError, TimedOut
from crmtui.connectors.http import RetryPolicy
from crmtui.connectors.mailchimp import MailchimpClient
from crmtui.connectors.odoo import OdooClient
from crmtui.i18n import CATALOGUE, get_language, set_language
from crmtui.sandbox.control import Fault
from crmtui.sandbox.copper import BASE_PATH, CopperSim
from crmtui.sandbox.loopback import serve_in_thread
from crmtui.sandbox.mailchimp import DEFAULT_API_KEY, MailchimpSim
from crmtui.sandbox.odoo import DEFAULT_DB, DEFAULT_LOGIN, DEFAULT_UID, OdooSim

COPPER_KEY = "sandbox-copper-key"
ODOO_KEY = "odoo-sandbox-key"
EMAIL = "ops@domaine-exemple.fr"
FAST = RetryPolicy(attempts=2, base=0.001, cap=0.01, max_retry_after=1.0)
# English words that must not be left in a French message (the service's own text aside).
ENGLISH = ("refused", "denied", "cannot", "server error", "check the", "no answer", "not found", "request")


async def _no_notify(url: str, headers: dict[str, str], body: dict[str, Any]) -> None:
    return None


async def _no_sleep(_: float) -> None:
    await asyncio.sleep(0)


@pytest.fixture
def french() -> Iterator[None]:
    before = get_language()
    set_language("fr")
    yield
    set_language(before)


@pytest.fixture(scope="module")
def copper_url() -> Iterator[tuple[CopperSim, str]]:
    sim = CopperSim(notify=_no_notify)
    with serve_in_thread(sim.app) as url:
        yield sim, url + BASE_PATH


@pytest.fixture
def copper(copper_url: tuple[CopperSim, str]) -> tuple[CopperSim, str]:
    copper_url[0].reset()
    return copper_url


def _copper(http: httpx.AsyncClient, url: str, key: str = COPPER_KEY, timeout: float = 2.0) -> CopperClient:
    return CopperClient(
        http, api_key=key, user_email=EMAIL, base_url=url, retry=FAST, timeout=timeout, sleep=_no_sleep
    )


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _assert_french(text: str) -> None:
    lowered = text.lower()
    assert not [w for w in ENGLISH if w in lowered], text


@pytest.mark.usefixtures("french")
async def test_a_wrong_copper_key_is_refused_in_french(copper: tuple[CopperSim, str]) -> None:
    wrong = "wrong-copper-key-0123456789"
    async with httpx.AsyncClient() as http:
        with pytest.raises(AuthError) as refused:
            await _copper(http, copper[1], key=wrong).get_person(1)
        text = str(refused.value)
        assert "identifiants refusés (HTTP 401) :" in text
        assert "vérifiez COPPER_API_KEY et COPPER_API_EMAIL" in refused.value.hint
        assert wrong not in text
        # The connectors test says the same, in French.
        verdict = await _copper(http, copper[1], key=wrong).check()
    assert verdict.verdict == "auth_refused" and "identifiants refusés" in verdict.message


@pytest.mark.usefixtures("french")
async def test_an_unreachable_service_says_so_in_french() -> None:
    async with httpx.AsyncClient() as http:
        with pytest.raises(NetworkError) as lost:
            await _copper(http, f"http://127.0.0.1:{_closed_port()}/developer_api/v1").get_person(1)
    error = lost.value
    assert error.message.startswith("connexion impossible : ")
    assert error.hint == "vérifiez le réseau et l'adresse du service, puis relancez ; rien n'est perdu"
    _assert_french(error.hint)


@pytest.mark.usefixtures("french")
async def test_a_500_that_persists_reads_in_french(copper: tuple[CopperSim, str]) -> None:
    sim, url = copper
    sim.control.add_fault(Fault(kind="status", status=500), times=10)
    async with httpx.AsyncClient() as http:
        with pytest.raises(ServerError) as failed:
            await _copper(http, url).get_person(1)
    assert str(failed.value) == "copper: erreur du serveur (HTTP 500)"


@pytest.mark.usefixtures("french")
async def test_a_copper_that_does_not_answer_in_time_reads_in_french(copper: tuple[CopperSim, str]) -> None:
    sim, url = copper
    sim.control.add_fault(Fault(kind="hang", seconds=0.6), times=FAST.attempts)
    async with httpx.AsyncClient() as http:
        with pytest.raises(TimedOut) as slow:
            await _copper(http, url, timeout=0.2).get_person(1)
    assert slow.value.message == "pas de réponse en 0,2 s"
    assert slow.value.hint.startswith("vérifiez le réseau")


@pytest.mark.usefixtures("french")
async def test_a_wrong_mailchimp_key_is_refused_in_french() -> None:
    sim = MailchimpSim()
    wrong = "f" * 32 + "-us19"
    with serve_in_thread(sim.app) as url:
        async with httpx.AsyncClient() as http:
            bad = MailchimpClient(
                http, api_key=wrong, list_id="a1b2c3d4e5", base_url=url + "/3.0", retry=FAST
            )
            with pytest.raises(AuthError) as refused:
                await bad.get_member("a@exemple.fr")
            missing = MailchimpClient(
                http, api_key=DEFAULT_API_KEY, list_id="zzzzzzzzzz", base_url=url + "/3.0", retry=FAST
            )
            verdict = await missing.check()
    assert "clé d'API refusée (HTTP 401) :" in str(refused.value) and wrong not in str(refused.value)
    assert refused.value.hint.startswith("vérifiez MAILCHIMP_API_KEY ; son suffixe « -usN »")
    assert verdict.verdict == "list_not_found"
    assert "l'audience « zzzzzzzzzz » n'existe pas — vérifiez MAILCHIMP_LIST_ID" in verdict.message


@pytest.mark.usefixtures("french")
async def test_odoo_refusals_read_in_french() -> None:
    sim = OdooSim(users={DEFAULT_LOGIN: (DEFAULT_UID, ODOO_KEY)})
    with serve_in_thread(sim.app) as url:
        async with httpx.AsyncClient() as http:
            bad = OdooClient(
                http,
                url=url,
                db=DEFAULT_DB,
                login=DEFAULT_LOGIN,
                api_key="not-the-right-key",
                retry=FAST,
                sleep=_no_sleep,
            )
            with pytest.raises(AuthError) as refused:
                await bad.authenticate()
            verdict = await bad.check()
            nowhere = OdooClient(
                http, url=url + "/nothing", db=DEFAULT_DB, login=DEFAULT_LOGIN, api_key=ODOO_KEY, retry=FAST
            )
            gone = await nowhere.check()
    assert refused.value.message == (
        f"Odoo a refusé l'identifiant « {DEFAULT_LOGIN} » sur la base « {DEFAULT_DB} » "
        "(identifiant ou clé d'API erronés)"
    )
    assert refused.value.hint.startswith("vérifiez ODOO_USER et ODOO_API_KEY")
    assert "not-the-right-key" not in str(refused.value)
    assert not verdict.ok and verdict.message == refused.value.message
    assert (
        gone.message.startswith("impossible de joindre Odoo à ")
        and "aucun point d'accès XML-RPC" in gone.message
    )


def test_every_connector_error_is_written_in_french_too() -> None:
    """Every message and hint of the connectors has its own French (the completeness test checks the keys
    and placeholders of the whole catalogue, tests/unit/test_i18n.py)."""
    keys = [key for key in CATALOGUE if key.startswith("cerr.")]
    assert len(keys) > 60
    assert [key for key in keys if CATALOGUE[key]["fr"] == CATALOGUE[key]["en"]] == []
