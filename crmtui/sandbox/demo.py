"""The sandbox demo of ``make run`` (``crmtui --sandbox``): a live A/B scenario end to end.

What runs, all in the console's process and all over loopback sockets:

- ``crmtui serve``'s own app on an https port of the sandbox (:meth:`Sandbox.attach_serve`), with
  its own store handle on the sandbox database, as the real service runs beside the console;
- the scenario of ``demo_scenario.toml`` (an A/B entry step, 50/50, then an ``opened`` follow-up
  about a minute later), imported and started at launch; its audience is the synced contacts, so
  it fills up once a sync has run (``r``);
- the console's background worker (:func:`engine_pass`, every :data:`PASS_SECONDS`): the replies
  mailbox read (the sandbox's IMAP server), a scenario tick (sends through the SES simulator) and
  the queued events applied, the parts cron (``crmtui scenarios run``) and ``crmtui serve``'s loop
  play in production;
- :class:`MailFlow`, a thread: the SES simulator's Send/Delivery events published to
  ``/sns/ses`` as signed SNS notifications (:class:`SesEventFeed`), and simulated recipients
  (:class:`SimulatedRecipients`) opening, clicking and sometimes unsubscribing through the
  tracking endpoints, B's subject doing better than A's (:data:`DEMO_RATES`); a few answer, and
  their reply in the mailbox ends their sequence (the scenario stops on reply).

Recipients act 35 to 90 seconds after delivery: sooner, ``crmtui serve`` would take the opens for
machine prefetches (scanners, Apple Mail Privacy Protection) and not count them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from crmtui.config import Settings
from crmtui.sandbox.recipients import Rates, SimulatedRecipients
from crmtui.sandbox.ses_feed import Delivered, SesEventFeed

if TYPE_CHECKING:
    import ssl

    from crmtui.sandbox.harness import Sandbox
    from crmtui.sandbox.recipients import Plan
    from crmtui.store import Store

log = logging.getLogger("crmtui.sandbox.demo")

DEMO_SCENARIO = Path(__file__).with_name("demo_scenario.toml")
"""The demo's scenario file."""

DEMO_RATES = {
    "nouveautés du domaine": Rates(open=0.35, click=0.30, unsubscribe=0.02, reply=0.04),
    "rosé 2025": Rates(open=0.55, click=0.40, unsubscribe=0.01, reply=0.06),
}
"""Recipients' behaviour per subject: variant A (the announcement) and variant B (the rosé)."""

DEMO_DEFAULT = Rates(open=0.50, click=0.20)
"""Behaviour for other emails (the follow-up)."""

DEMO_DELAY = (35.0, 90.0)
"""Seconds between delivery and a recipient's actions (beyond the 30 s of machine opens)."""

PASS_SECONDS = 3.0
"""Seconds between two background passes of the console in sandbox mode."""


def seed_scenario(store: Store, path: Path = DEMO_SCENARIO) -> str:
    """Import and start the demo scenario (idempotent); returns its name."""
    from crmtui.engine.scenarios import import_file, start

    scenario = import_file(store, path, actor="sandbox")
    start(store, scenario.name, actor="sandbox")
    return scenario.name


async def engine_pass(settings: Settings, store: Store) -> bool:
    """One background pass: the replies mailbox, a scenario tick, then the queued events.

    Replies are read first, as the scenarios step of a cycle reads them, so a person who answered
    gets no further email. Returns True when something changed.
    """
    from crmtui.connectors.errors import ConnectorError
    from crmtui.engine.events_in import EventProcessor
    from crmtui.engine.replies import poll_replies
    from crmtui.engine.scenarios import tick

    stopped = 0
    if settings.connectors()["imap"]:
        try:
            stopped = (await poll_replies(settings, store)).stopped
        except ConnectorError as exc:  # the tick goes on, as in a cycle
            log.warning("reply detection: %s", exc)
    result = await tick(settings, store)
    stats = await asyncio.to_thread(EventProcessor(settings, store).process_pending)
    return bool(stopped or result.sent or result.failed or result.unknown or stats.done or stats.failed)


class MailFlow:
    """A thread carrying the mail side of the demo: SES events to ``crmtui serve``, then recipients.

    Args:
        feed: publishes the SES simulator's events.
        recipients: who reads the delivered emails.
        verify: TLS trust for ``crmtui serve``'s https port.
        interval: seconds between looks at the simulator's new messages.
    """

    def __init__(
        self,
        feed: SesEventFeed,
        recipients: SimulatedRecipients,
        *,
        verify: ssl.SSLContext | bool = True,
        interval: float = 0.5,
    ) -> None:
        self.feed = feed
        self.recipients = recipients
        self.verify = verify
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._main, name="sandbox-mail-flow", daemon=True)

    def start(self) -> MailFlow:
        """Start the thread."""
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop and wait for the thread (pending recipients' actions are dropped)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _main(self) -> None:
        asyncio.run(self._run())

    async def _run(self) -> None:
        pending: set[asyncio.Task[None]] = set()
        async with httpx.AsyncClient(verify=self.verify, timeout=10.0, follow_redirects=False) as client:
            while not self._stop.is_set():
                try:
                    for message in await self.feed.publish_new(client):
                        task = asyncio.create_task(self._read_later(client, message))
                        pending.add(task)
                        task.add_done_callback(pending.discard)
                except Exception:  # noqa: BLE001 - the demo must keep flowing
                    log.exception("sandbox mail flow pass failed")
                await asyncio.sleep(self.interval)
            for task in list(pending):
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def _read_later(self, client: httpx.AsyncClient, message: Delivered) -> None:
        plan: Plan = self.recipients.plan(message)
        wait = plan.delay - (datetime.now(UTC) - message.delivered_at).total_seconds()
        if wait > 0 and (plan.open or plan.click or plan.unsubscribe):
            await asyncio.sleep(wait)
        try:
            await self.recipients.act(client, message, plan)
        except Exception:  # noqa: BLE001 - one recipient must not stop the others
            log.exception("simulated recipient %s failed", message.recipient)


@contextlib.contextmanager
def running_demo(
    sandbox: Sandbox, settings: Settings, *, seed: int = 2026, delay: tuple[float, float] = DEMO_DELAY
) -> Iterator[MailFlow]:
    """Seed and start the demo scenario, attach ``crmtui serve`` and run the mail flow.

    Args:
        sandbox: a sandbox started with ``serve=True``.
        settings: ``sandbox.apply_to(...)`` settings (the sandbox database, SES, links).
        seed: the recipients' seed.
        delay: seconds between delivery and the recipients' actions.
    """
    from crmtui.sandbox.harness import IMAP_USER
    from crmtui.store import Store

    store = Store(settings.store_path)  # crmtui serve's own handle, as beside a real console
    try:
        seed_scenario(store)
        sandbox.attach_serve(settings, store)
        feed = SesEventFeed(sandbox.ses, sandbox.urls["serve"] + "/sns/ses")
        recipients = SimulatedRecipients(
            DEMO_RATES,
            default=DEMO_DEFAULT,
            seed=seed,
            delay=delay,
            mailbox=lambda message: sandbox.imap.answer(IMAP_USER, message.raw),
        )
        flow = MailFlow(feed, recipients, verify=sandbox.tls.client_context()).start()
        try:
            yield flow
        finally:
            flow.stop()
    finally:
        sandbox.detach_serve()
        store.close()
