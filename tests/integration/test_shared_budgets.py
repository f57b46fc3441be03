"""Shared API budgets: several crmtui processes on one store stay together under a service's limit.

Two real processes (``tests/integration/budget_worker.py``) share one SQLite store and one simulator
served on loopback. Windows are generous relative to the simulator's: ours counts 15 calls per 4 s
where the simulator allows 20 per 2 s. The simulator stamps a request when its server thread
*handles* it, and a thread starved of the GIL on a loaded CI machine can handle a burst late,
squeezing calls we spread over our window into a shorter stretch of its own (see
``test_concurrent_tasks_never_get_a_429`` in test_copper_client.py); with a window twice the
server's and a quarter fewer calls, that needs a stall of seconds, not milliseconds.

What is asserted is the simulator's own count of refusals (``rate_limited``, ``rejected_429``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crmtui.config import Settings
from crmtui.connectors.errors import RateLimited
from crmtui.engine.events import Event, Notice
from crmtui.engine.sync_clients import make_clients
from crmtui.i18n import set_language
from crmtui.sandbox.control import Fault
from crmtui.sandbox.copper import BASE_PATH, CopperSim
from crmtui.sandbox.harness import running_sandbox
from crmtui.sandbox.loopback import serve_in_thread
from crmtui.sandbox.mailchimp import DEFAULT_API_KEY, MailchimpSim
from crmtui.secrets import Secret
from crmtui.store import Store

ROOT = Path(__file__).resolve().parents[2]
KEY = "sandbox-copper-key"
EMAIL = "ops@domaine-exemple.fr"
LIST = "a1b2c3d4e5"

SERVER_LIMIT, SERVER_WINDOW = 20, 2.0
OUR_LIMIT, OUR_WINDOW = 15, 4.0


async def _no_notify(url: str, headers: dict[str, str], body: dict[str, Any]) -> None:
    return None


@pytest.fixture(scope="module")
def copper_served() -> Iterator[tuple[CopperSim, str]]:
    sim = CopperSim(notify=_no_notify)
    with serve_in_thread(sim.app) as url:
        yield sim, url + BASE_PATH


@pytest.fixture
def copper(copper_served: tuple[CopperSim, str]) -> CopperSim:
    sim = copper_served[0]
    sim.reset()
    sim.rate_limit, sim.rate_window = SERVER_LIMIT, SERVER_WINDOW
    return sim


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "crmtui.db"
    Store(path).close()  # migrated once, before the workers open it
    return path


def seed(sim: CopperSim, n: int) -> list[int]:
    return sim.load_people(
        {"name": f"Person{i:03d} X", "emails": [{"email": f"p{i}@x.fr", "category": "work"}]}
        for i in range(n)
    )


def run_workers(tmp_path: Path, specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Start one process per spec, release them together, return what each printed."""
    go = tmp_path / "go"
    procs = []
    for i, spec in enumerate(specs):
        spec = {**spec, "ready": str(tmp_path / f"ready{i}"), "go": str(go)}
        spec_file = tmp_path / f"spec{i}.json"
        spec_file.write_text(json.dumps(spec))
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "tests.integration.budget_worker", str(spec_file)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    try:
        deadline = time.monotonic() + 120
        while not all((tmp_path / f"ready{i}").exists() for i in range(len(specs))):
            assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.02)
        go.touch()
        results = []
        for p in procs:
            out, err = p.communicate(timeout=180)
            assert p.returncode == 0, err
            results.append(json.loads(out.strip().splitlines()[-1]))
        return results
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


def copper_spec(url: str, store: Path, refs: list[int], *, shared: bool) -> dict[str, Any]:
    return {
        "service": "copper",
        "url": url,
        "store": str(store),
        "key": KEY,
        "email": EMAIL,
        "rate_limit": [OUR_LIMIT, OUR_WINDOW],
        "concurrency": 4,
        "shared": shared,
        "refs": refs,
    }


class TestCopperWindow:
    def test_two_processes_sharing_the_store_never_get_a_429(
        self, copper: CopperSim, copper_served: tuple[CopperSim, str], store_path: Path, tmp_path: Path
    ) -> None:
        ids = seed(copper, 30)
        url = copper_served[1]
        started = time.monotonic()
        results = run_workers(
            tmp_path,
            [
                copper_spec(url, store_path, ids[:15], shared=True),
                copper_spec(url, store_path, ids[15:], shared=True),
            ],
        )
        assert [r["ok"] for r in results] == [15, 15], results
        assert copper.rate_limited == 0, (
            "the simulator refused a call: the processes exceeded the budget together"
        )
        assert [r["retries"] for r in results] == [0, 0]
        assert copper.control.total_calls == 30
        # 30 calls at 15 per 4 s: the second half waited for the first to leave the shared window.
        assert time.monotonic() - started >= OUR_WINDOW

    def test_control_without_the_store_two_processes_get_429s_and_wait_them_out(
        self, copper: CopperSim, copper_served: tuple[CopperSim, str], store_path: Path, tmp_path: Path
    ) -> None:
        # The same two bursts, each process counting only its own calls: 30 calls reach a server that
        # allows 20, so it refuses some. Each refusal is waited out (Copper sends no Retry-After: the
        # rest of the window) and said in one line; every call succeeds in the end. The simulator's
        # window is 6 s here, so the two bursts overlap in it even if one process is descheduled.
        copper.rate_window = 6.0
        ids = seed(copper, 30)
        url = copper_served[1]
        results = run_workers(
            tmp_path,
            [
                copper_spec(url, store_path, ids[:15], shared=False),
                copper_spec(url, store_path, ids[15:], shared=False),
            ],
        )
        assert [r["ok"] for r in results] == [15, 15], results
        assert copper.rate_limited > 0
        messages = [m for r in results for m in r["messages"]]
        assert messages, results
        assert all(m.startswith("Copper: the 15 calls/4 s limit was reached, resuming in ") for m in messages)


class TestMailchimpConnections:
    def test_two_processes_sharing_the_store_stay_under_the_connection_limit(
        self, store_path: Path, tmp_path: Path
    ) -> None:
        # Mailchimp counts simultaneous connections per account (WIRE.md §2.6). The simulator allows
        # 4 and holds each request 0.2 s; each process may use 3, and together 3 (leases in the store).
        sim = MailchimpSim(max_connections=4)
        with serve_in_thread(sim.app) as url:
            sim.control.latency = 0.2
            spec = {
                "service": "mailchimp",
                "url": url + "/3.0",
                "store": str(store_path),
                "key": DEFAULT_API_KEY,
                "list_id": LIST,
                "concurrency": 3,
                "shared": True,
            }
            results = run_workers(
                tmp_path,
                [
                    {**spec, "refs": [f"a{i}@x.fr" for i in range(12)]},
                    {**spec, "refs": [f"b{i}@x.fr" for i in range(12)]},
                ],
            )
        assert [r["ok"] for r in results] == [12, 12], results
        assert sim.rejected_429 == 0, "the simulator refused a connection: the processes exceeded 4 together"
        assert sim.peak_in_flight >= 2
        with Store(store_path) as store:
            assert store.query("SELECT count(*) AS n FROM budget_leases")[0]["n"] == 0


class TestOperatorIsTold:
    @pytest.fixture
    def settings(self, copper_served: tuple[CopperSim, str], tmp_path: Path) -> Settings:
        return Settings(
            copper_api_key=Secret(KEY),
            copper_api_email=EMAIL,
            copper_base_url=copper_served[1],
            mailchimp_api_key=Secret(DEFAULT_API_KEY),
            mailchimp_list_id=LIST,
            mailchimp_base_url="http://127.0.0.1:9/3.0",
            db_path=tmp_path / "crmtui.db",
            data_dir=tmp_path,
        )

    async def test_make_clients_wires_the_stores_budgets(self, settings: Settings, store_path: Path) -> None:
        # What the sync, decisions, erasure and `crmtui serve` build: both clients count in the store.
        with Store(store_path) as store:
            copper_client, mailchimp = make_clients(settings, store=store)
            assert copper_client.limiter is not None
            assert copper_client.limiter.shared is store.budgets
            assert (copper_client.limiter.max_calls, copper_client.limiter.window) == (180, 61.0)
            assert mailchimp.budgets is store.budgets and mailchimp.shared_slots == 10
            # One budget per account, never the credential itself.
            assert copper_client.budget_name.startswith("copper:") and KEY not in copper_client.budget_name
            await copper_client.aclose()
            await mailchimp.aclose()
        alone, alone_mc = make_clients(settings)
        assert alone.limiter is not None and alone.limiter.shared is None
        await alone.aclose()
        await alone_mc.aclose()

    async def test_a_429_is_waited_out_with_a_notice_in_french(
        self, copper: CopperSim, settings: Settings, store_path: Path
    ) -> None:
        (pid,) = seed(copper, 1)
        copper.control.add_fault(Fault(kind="rate_limit"))  # Copper's 429: no Retry-After
        events: list[Event] = []
        set_language("fr")
        try:
            with Store(store_path) as store:
                copper_client, mailchimp = make_clients(
                    settings, store=store, emit=events.append, copper_options={"rate_limit": (180, 2.0)}
                )
                started = time.monotonic()
                person = await copper_client.get_person(pid)
                waited = time.monotonic() - started
                await copper_client.aclose()
                await mailchimp.aclose()
        finally:
            set_language("en")
        assert person.id == pid
        # Our window held 1 call of 180: someone else used the account, so a whole window is waited.
        assert waited >= 2.0
        notices = [e for e in events if isinstance(e, Notice)]
        assert notices == [Notice("warning", "Copper : limite de 180 appels/2 s atteinte, reprise dans 2 s")]
        assert copper.control.total_calls == 2

    async def test_a_wait_past_the_runs_deadline_stops_with_advice(
        self, copper: CopperSim, settings: Settings, store_path: Path
    ) -> None:
        (pid,) = seed(copper, 1)
        copper.control.add_fault(Fault(kind="rate_limit"))
        events: list[Event] = []
        with Store(store_path) as store:
            copper_client, mailchimp = make_clients(
                settings,
                store=store,
                emit=events.append,
                deadline=time.monotonic() + 30,
                copper_options={"rate_limit": (180, 61.0)},
            )
            with pytest.raises(RateLimited) as caught:
                await copper_client.get_person(pid)
            await copper_client.aclose()
            await mailchimp.aclose()
        assert "past this run's time limit" in str(caught.value)
        assert "the next run resumes" in caught.value.hint
        assert copper.control.total_calls == 1
        assert events == []


def test_headless_output_says_what_a_429_waits_for(tmp_path: Path) -> None:
    # A cron run (`crmtui --headless`, a real process) meets a 429 with Retry-After from the Copper
    # simulator: its progress output says, in the operator's language, what it waits for.
    with running_sandbox(20, seed=5) as sb:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(
                ("COPPER", "MAILCHIMP", "SYNC_", "CRMTUI", "SES_", "SMTP_", "ODOO", "ISAVIGNE")
            )
        }
        env.update(sb.env())
        for var in ("ODOO_URL", "ODOO_DB", "ODOO_USER", "ODOO_API_KEY"):
            env.pop(var, None)
        env.update(SYNC_MODE="production", CRMTUI_DATA_DIR=str(tmp_path / "data"), CRMTUI_LANG="fr")
        sb.copper.control.add_fault(Fault(kind="rate_limit", retry_after=1.0))
        run = subprocess.run(
            [sys.executable, "-m", "crmtui", "--no-sandbox", "--env-file", str(tmp_path / ".env")]
            + ["--headless", "--only", "sync"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=180,
        )
        pending = len(sb.copper.control.faults)
    assert run.returncode == 0, run.stdout + run.stderr
    assert pending == 0  # the scripted 429 was answered
    expected = (
        "[attention] Copper : trop de requêtes (HTTP 429), le service demande d'attendre ; reprise dans 1 s"
    )
    assert expected in run.stdout, run.stdout
