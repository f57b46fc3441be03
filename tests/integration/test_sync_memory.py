"""A full sync of 50,000 contacts stays under a memory ceiling (issue #16: streaming sync).

Before the streaming sync, a run held both sides, every plan and every row to save as Python
objects (≈ 5 KiB per contact: well over 200 MiB of ``tracemalloc`` peak here); now both sides are
staged in SQLite and planned and applied a chunk at a time, so the peak does not grow with the
audience (≈ 20 MiB measured at 50,000, most of it one Mailchimp page of 1,000 members).

The simulators run in a child process over loopback HTTP, so this process's ``tracemalloc`` peak
is the sync's own (engine, clients, store), and the simulators get the other core.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

import httpx

from crmtui.config import load_settings
from crmtui.connectors.copper import CopperClient
from crmtui.connectors.http import RetryPolicy
from crmtui.connectors.mailchimp import MailchimpClient
from crmtui.engine.sync import SyncEngine
from crmtui.engine.sync_types import SyncReport
from crmtui.sandbox.harness import COPPER_EMAIL, COPPER_KEY, LIST_ID
from crmtui.sandbox.mailchimp import DEFAULT_API_KEY
from crmtui.store import Store

CONTACTS = 50_000
CEILING_MIB = 48
"""The run's own peak: one stage page, one plan chunk, one apply chunk, the clients' pages."""

CHILD = """
import json, sys
from crmtui.sandbox.copper import CopperSim
from crmtui.sandbox.harness import COPPER_EMAIL, COPPER_KEY, LIST_ID
from crmtui.sandbox.loopback import LoopbackServer
from crmtui.sandbox.mailchimp import DEFAULT_API_KEY, MailchimpSim

n = int(sys.argv[1])
copper = CopperSim(api_key=COPPER_KEY, user_email=COPPER_EMAIL, auto_deliver=False)
copper.rate_limit = 1_000_000_000  # Copper's 180/min would make this test wait minutes
mailchimp = MailchimpSim(api_key=DEFAULT_API_KEY, list_id=LIST_ID)
# The same people on both sides, accented names: a first sync compares them one by one.
copper.load_people(
    {"first_name": f"Zoé{i}", "last_name": f"Lefèvre{i}",
     "emails": [{"email": f"client{i}@exemple.fr", "category": "work"}], "tags": []}
    for i in range(n)
)
mailchimp.load_members(
    {"email_address": f"client{i}@exemple.fr", "status": "subscribed",
     "merge_fields": {"FNAME": f"Zoé{i}", "LNAME": f"Lefèvre{i}"}, "tags": []}
    for i in range(n)
)
servers = [LoopbackServer(copper.app), LoopbackServer(mailchimp.app)]
print(json.dumps([s.start() for s in servers]), flush=True)
for _ in sys.stdin:  # serve until the test closes our stdin
    pass
"""


async def _sync(tmp: Path, copper_url: str, mailchimp_url: str) -> tuple[SyncReport, Store]:
    env = {"CRMTUI_DATA_DIR": str(tmp / "data"), "SYNC_MODE": "production"}
    settings = load_settings(env, env_file=None, sandbox=True)
    store = Store(settings.store_path)
    fast = RetryPolicy(attempts=2, base=0.01, cap=0.05)
    copper = CopperClient(
        httpx.AsyncClient(base_url=f"{copper_url}/developer_api/v1", timeout=60),
        api_key=COPPER_KEY,
        user_email=COPPER_EMAIL,
        base_url="",
        rate_limit=None,
        retry=fast,
    )
    mailchimp = MailchimpClient(
        httpx.AsyncClient(base_url=f"{mailchimp_url}/3.0", timeout=60),
        api_key=DEFAULT_API_KEY,
        list_id=LIST_ID,
        base_url="",
        retry=fast,
    )
    async with copper, mailchimp:
        run_id = store.runs.start("sync", mode=settings.sync_mode)
        engine = SyncEngine(settings, store, copper, mailchimp, run_id=run_id)
        return await engine.run(full=True), store


def test_full_sync_of_50000_contacts_stays_under_the_ceiling(tmp_path: Path) -> None:
    root = str(Path(__file__).resolve().parents[2])
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(CONTACTS)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=root,
        env={"PYTHONPATH": root, "PATH": "/usr/bin:/bin"},
    )
    try:
        assert child.stdout is not None
        copper_url, mailchimp_url = json.loads(child.stdout.readline())
        tracemalloc.start()
        try:
            report, store = asyncio.run(_sync(tmp_path, copper_url, mailchimp_url))
            peak = tracemalloc.get_traced_memory()[1] / 2**20
        finally:
            tracemalloc.stop()
        try:
            assert report.read_copper == CONTACTS and report.read_mailchimp == CONTACTS
            assert report.failed == 0 and not report.stopped
            assert report.identical == CONTACTS  # compared one by one, nothing to write
            assert store.contacts.count() == CONTACTS  # every contact remembered (its merge base)
        finally:
            store.close()
        assert peak < CEILING_MIB, f"tracemalloc peak {peak:.0f} MiB for {CONTACTS:,} contacts"
    finally:
        if child.stdin is not None:
            child.stdin.close()
        child.wait(timeout=30)
