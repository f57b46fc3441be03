"""Both simulators in-process (``httpx.ASGITransport``) and the sync over them, for identity tests.

Everything a colleague does goes through the services' own APIs: a Copper person is created and
re-tagged with Copper's REST calls, a member's address is changed with Mailchimp's
``PATCH /lists/{id}/members/{hash}`` (an ``upemail``). A run can be abandoned mid-apply, like a
``kill -9``: :class:`LoseAnswers` lets the simulator apply a write and then never answers, and the run
is cancelled while it waits; a new engine on the same store then resumes.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crmtui.config import Settings, load_settings
from crmtui.connectors.copper import CopperClient
from crmtui.connectors.http import RetryPolicy
from crmtui.connectors.mailchimp import MailchimpClient, subscriber_hash
from crmtui.engine.sync import SyncEngine
from crmtui.engine.sync_types import SyncReport
from crmtui.records.emails import email_key
from crmtui.sandbox.copper import CopperSim
from crmtui.sandbox.harness import COPPER_EMAIL, COPPER_KEY, LIST_ID
from crmtui.sandbox.mailchimp import DEFAULT_API_KEY, MailchimpSim
from crmtui.store import Store

COPPER_BASE = "http://copper.test/developer_api/v1"
MAILCHIMP_BASE = "http://mailchimp.test/3.0"
COPPER_HEADERS = {
    "X-PW-AccessToken": COPPER_KEY,
    "X-PW-Application": "developer_api",
    "X-PW-UserEmail": COPPER_EMAIL,
    "Content-Type": "application/json",
}


class LoseAnswers:
    """An ASGI layer in front of a simulator: after ``arm``, the next write lands, its answer never comes.

    The simulator runs the request to the end (its state changes), then the answer is held until the
    caller abandons the run, as a process killed between a service's commit and our record would.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.remaining: int | None = None  # writes still answered before the one that is lost
        self.landed = asyncio.Event()

    def arm(self, after: int) -> None:
        """Lose the answer of the write after the next ``after`` ones."""
        self.remaining = after
        self.landed = asyncio.Event()

    def disarm(self) -> None:
        """Answer everything again."""
        self.remaining = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        write = scope["type"] == "http" and scope["method"] in ("POST", "PUT", "PATCH", "DELETE")
        reads = ("/search", "/fetch_by_email")  # POSTs that only read
        if write and not scope["path"].endswith(reads) and self.remaining is not None:
            if self.remaining > 0:
                self.remaining -= 1
            else:
                self.remaining = None

                async def swallow(message: Message) -> None:
                    pass

                await self.app(scope, receive, swallow)  # applied by the service...
                self.landed.set()
                await asyncio.Event().wait()  # ...and the answer never arrives (until cancelled)
        await self.app(scope, receive, send)


@dataclass
class World:
    """Copper and Mailchimp simulators, a store, and the calls a colleague or a cron would make."""

    tmp: Path
    copper: CopperSim = field(init=False)
    mailchimp: MailchimpSim = field(init=False)
    settings: Settings = field(init=False)
    store: Store = field(init=False)
    runs: int = 0

    def __post_init__(self) -> None:
        self.copper = CopperSim(api_key=COPPER_KEY, user_email=COPPER_EMAIL, auto_deliver=False)
        self.mailchimp = MailchimpSim(api_key=DEFAULT_API_KEY, list_id=LIST_ID)
        self.copper_front = LoseAnswers(self.copper.app)
        self.mailchimp_front = LoseAnswers(self.mailchimp.app)
        env = {"CRMTUI_DATA_DIR": str(self.tmp / "data"), "SYNC_MODE": "production"}
        self.settings = load_settings(env, env_file=None, sandbox=True)
        self.store = Store(self.settings.store_path)

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    # -- clients --------------------------------------------------------------------------------

    def clients(self) -> tuple[CopperClient, MailchimpClient]:
        """Our connectors, talking HTTP to the simulators in-process."""
        copper_http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.copper_front), base_url=COPPER_BASE
        )
        mc_http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.mailchimp_front), base_url=MAILCHIMP_BASE
        )
        fast = RetryPolicy(attempts=2, base=0.01, cap=0.05)
        copper = CopperClient(
            copper_http, api_key=COPPER_KEY, user_email=COPPER_EMAIL, base_url="", rate_limit=None, retry=fast
        )
        mailchimp = MailchimpClient(
            mc_http, api_key=DEFAULT_API_KEY, list_id=LIST_ID, base_url="", retry=fast
        )
        return copper, mailchimp

    async def sync(self, *, full: bool | None = None) -> SyncReport:
        """One sync run (a new engine, as a new process would start)."""
        copper, mailchimp = self.clients()
        async with copper, mailchimp:
            run_id = self.store.runs.start("sync", mode=self.settings.sync_mode)
            engine = SyncEngine(self.settings, self.store, copper, mailchimp, run_id=run_id)
            return await engine.run(full=full)

    async def killed_sync(self, front: LoseAnswers, after: int = 0, *, full: bool | None = None) -> bool:
        """A run killed once one of its writes landed with no answer; True when it was killed.

        ``after`` writes to that service are answered first. A run that finishes before reaching the
        lost write ends normally (nothing to kill).
        """
        front.arm(after)
        task = asyncio.ensure_future(self.sync(full=full))
        landed = asyncio.ensure_future(front.landed.wait())
        try:
            await asyncio.wait({task, landed}, return_when=asyncio.FIRST_COMPLETED, timeout=60)
            if task.done():
                task.result()
                return False
            task.cancel()  # kill -9: nothing after this point runs (no report, no cursor)
            try:
                await task
            except asyncio.CancelledError:
                pass
            return True
        finally:
            landed.cancel()
            front.disarm()

    # -- a colleague, through the services' APIs ---------------------------------------------------

    async def _call(self, app_base: str, method: str, path: str, **kw: Any) -> httpx.Response:
        front = self.copper.app if app_base == COPPER_BASE else self.mailchimp.app
        headers = COPPER_HEADERS if app_base == COPPER_BASE else {}
        auth = None if app_base == COPPER_BASE else ("anystring", DEFAULT_API_KEY)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=front), base_url=app_base, headers=headers, auth=auth
        ) as http:
            response = await http.request(method, path, **kw)
        response.raise_for_status()
        return response

    async def create_person(self, email: str, first: str, last: str, tags: list[str]) -> int:
        """A person typed into Copper."""
        body = {
            "name": f"{first} {last}",
            "first_name": first,
            "last_name": last,
            "emails": [{"email": email, "category": "work"}],
            "tags": tags,
        }
        return int((await self._call(COPPER_BASE, "POST", "/people", json=body)).json()["id"])

    async def copper_tags(self, person_id: int, tags: list[str]) -> None:
        """A person re-tagged in Copper."""
        await self._call(COPPER_BASE, "PUT", f"/people/{person_id}", json={"tags": tags})

    async def copper_emails(self, person_id: int, emails: list[str]) -> None:
        """A person's email changed in Copper."""
        body = {"emails": [{"email": e, "category": "work"} for e in emails]}
        await self._call(COPPER_BASE, "PUT", f"/people/{person_id}", json=body)

    async def upemail(self, old: str, new: str) -> dict[str, Any]:
        """The member's address changed in Mailchimp (``PATCH`` with a new ``email_address``)."""
        path = f"/lists/{LIST_ID}/members/{subscriber_hash(old)}"
        return dict((await self._call(MAILCHIMP_BASE, "PATCH", path, json={"email_address": new})).json())

    async def mailchimp_tag(self, email: str, tag: str, active: bool) -> None:
        """A tag added or removed on the member in Mailchimp."""
        path = f"/lists/{LIST_ID}/members/{subscriber_hash(email)}/tags"
        body = {"tags": [{"name": tag, "status": "active" if active else "inactive"}]}
        await self._call(MAILCHIMP_BASE, "POST", path, json=body)

    # -- what the services hold -----------------------------------------------------------------

    def people_by_email(self) -> dict[str, list[int]]:
        """Copper people by the key of each of their addresses."""
        out: dict[str, list[int]] = {}
        for person in self.copper.people.values():
            for item in person["emails"]:
                out.setdefault(email_key(item["email"]), []).append(int(person["id"]))
        return out

    def members_by_email(self) -> dict[str, list[str]]:
        """Mailchimp members (archived included) by the key of their address, with their unique ids."""
        out: dict[str, list[str]] = {}
        for member in self.mailchimp.members.values():
            out.setdefault(email_key(member.email_address), []).append(member.unique_email_id)
        return out

    def member_uid(self, email: str) -> str | None:
        """The ``unique_email_id`` of the member holding ``email`` now."""
        member = self.mailchimp.member(email)
        return None if member is None else str(member["unique_email_id"])


def failed_ops(report: SyncReport) -> list[tuple[str, list[str]]]:
    """The contacts a run failed, with their errors (for assertion messages)."""
    return [(r.plan.email, r.errors) for r in report.operations if not r.ok]
