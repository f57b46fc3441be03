"""Simulated recipients: people who open, click and sometimes unsubscribe from the emails the
SES simulator delivered, through the real tracking endpoints of ``crmtui serve``.

Each delivered message is read like a mail client would: the open pixel is fetched (an open), the
first tracked link is followed one hop (a click: the 302 from ``/t/c/...``), and the https
``List-Unsubscribe`` URL gets the RFC 8058 one-click POST (an unsubscribe). Nothing is looked up
in the store: the only way an action reaches the statistics is through ``crmtui serve``.

Behaviour depends on the email: :class:`Rates` are chosen by a fragment of the subject line
(``{"nouveautés": Rates(open=0.35, click=0.3)}``), which is how an A/B test's variants differ for
the people reading them. Every decision is drawn from a generator seeded with ``(seed, ledger key)``,
so a run with the same seed and the same sends does the same things. What was done is kept in
:attr:`SimulatedRecipients.truth`, the ground truth the statistics must match.

Recipients use a desktop browser's user agent; ``crmtui serve`` flags opens that come within
:data:`crmtui.engine.tracking.MACHINE_SECONDS` of delivery as machine opens, so the demo waits
longer than that before acting (``delay``).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from crmtui.sandbox.ses_feed import Delivered

BROWSER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
"""A desktop browser (not a scanner, not Apple's privacy proxy)."""


@dataclass(frozen=True)
class Rates:
    """How recipients of one kind of email behave.

    Attributes:
        open: probability that a delivered email is opened.
        click: probability that an opened email gets a click (on its first tracked link).
        unsubscribe: probability that an opened email leads to a one-click unsubscribe.
        reply: probability that an opened email is answered (a reply in the sandbox's IMAP
            mailbox, which ends that person's sequence at the next poll).
    """

    open: float
    click: float = 0.0
    unsubscribe: float = 0.0
    reply: float = 0.0


@dataclass(frozen=True)
class Plan:
    """What one recipient will do with one email, and when (seconds after delivery)."""

    open: bool
    click: bool
    unsubscribe: bool
    delay: float
    reply: bool = False


@dataclass
class Outcome:
    """What one recipient did with one email (the ground truth).

    ``opened``/``clicked``/``unsubscribed`` are True only when ``crmtui serve`` accepted the request
    (pixel 200, redirect 302, unsubscribe 200).
    """

    message_id: str
    recipient: str
    subject: str
    label: str
    plan: Plan
    opened: bool = False
    clicked: bool = False
    unsubscribed: bool = False
    replied: bool = False
    errors: list[str] = field(default_factory=list)
    at: str = ""


class SimulatedRecipients:
    """The people at the other end of the SES simulator.

    Args:
        rates: behaviour per subject fragment; the first fragment found in the subject wins.
        default: behaviour for emails matching no fragment.
        seed: seeds every decision (with the ledger key, else the Message-ID).
        delay: ``(min, max)`` seconds between delivery and the recipient's actions.
        user_agent: the mail client's user agent.
        mailbox: where an answer goes (``mailbox(delivered)`` delivers the reply, e.g. to
            :meth:`crmtui.sandbox.imap.ImapSandbox.answer`); None: nobody replies.
    """

    def __init__(
        self,
        rates: Mapping[str, Rates],
        *,
        default: Rates = Rates(open=0.3, click=0.2),
        seed: int = 0,
        delay: tuple[float, float] = (0.0, 0.0),
        user_agent: str = BROWSER_AGENT,
        mailbox: Callable[[Delivered], object] | None = None,
    ) -> None:
        self.rates = dict(rates)
        self.default = default
        self.seed = seed
        self.delay = delay
        self.user_agent = user_agent
        self.mailbox = mailbox
        self.truth: list[Outcome] = []

    def label(self, subject: str) -> str:
        """The rates' key matching ``subject`` ("" for the default)."""
        lowered = subject.lower()
        for fragment in self.rates:
            if fragment.lower() in lowered:
                return fragment
        return ""

    def plan(self, message: Delivered) -> Plan:
        """Decide (deterministically) what this email's recipient does."""
        rates = self.rates.get(self.label(message.subject), self.default)
        rng = random.Random(f"{self.seed}|{message.key or message.message_id or message.ses_id}")
        opened = rng.random() < rates.open
        clicked = opened and rng.random() < rates.click
        unsubscribed = opened and rng.random() < rates.unsubscribe
        low, high = self.delay
        delay = low + (high - low) * rng.random()
        # Drawn last, so adding replies left every earlier decision of a seed unchanged.
        replied = opened and not unsubscribed and rng.random() < rates.reply
        return Plan(opened, clicked, unsubscribed, delay, replied)

    async def act(self, client: httpx.AsyncClient, message: Delivered, plan: Plan | None = None) -> Outcome:
        """Carry out the plan for ``message`` now, through the tracking endpoints."""
        plan = plan or self.plan(message)
        outcome = Outcome(
            message.message_id, message.recipient, message.subject, self.label(message.subject), plan
        )
        outcome.at = datetime.now(UTC).isoformat(timespec="seconds")
        headers = {"user-agent": self.user_agent, "accept-language": "fr-FR,fr;q=0.9"}
        if plan.open:
            outcome.opened = await self._request(client, "GET", message.open_url, 200, headers, outcome)
        if plan.click and message.click_urls:
            outcome.clicked = await self._request(client, "GET", message.click_urls[0], 302, headers, outcome)
        if plan.unsubscribe and message.unsubscribe_url:
            form = {**headers, "content-type": "application/x-www-form-urlencoded"}
            outcome.unsubscribed = await self._request(
                client, "POST", message.unsubscribe_url, 200, form, outcome, b"List-Unsubscribe=One-Click"
            )
        if plan.reply and self.mailbox is not None and message.raw:
            try:
                await asyncio.to_thread(self.mailbox, message)
            except (OSError, RuntimeError) as exc:
                outcome.errors.append(f"reply: {type(exc).__name__}")
            else:
                outcome.replied = True
        self.truth.append(outcome)
        return outcome

    @staticmethod
    async def _request(
        client: httpx.AsyncClient,
        method: str,
        url: str,
        expected: int,
        headers: dict[str, str],
        outcome: Outcome,
        content: bytes | None = None,
    ) -> bool:
        if not url:
            outcome.errors.append(f"{method}: no URL in the message")
            return False
        try:
            response = await client.request(method, url, headers=headers, content=content)
        except httpx.HTTPError as exc:
            outcome.errors.append(f"{method} {url[:60]}: {type(exc).__name__}")
            return False
        if response.status_code != expected:
            outcome.errors.append(f"{method} {url[:60]}: HTTP {response.status_code}")
            return False
        return True

    async def act_all(
        self, client: httpx.AsyncClient, messages: Iterable[Delivered], concurrency: int = 16
    ) -> list[Outcome]:
        """Act on every message now (no delay), ``concurrency`` at once."""
        slots = asyncio.Semaphore(concurrency)

        async def one(message: Delivered) -> Outcome:
            async with slots:
                return await self.act(client, message)

        return list(await asyncio.gather(*(one(m) for m in messages)))

    def totals(self) -> dict[str, dict[str, int]]:
        """Per label: emails received, opened, clicked, unsubscribes and replies (from :attr:`truth`)."""
        out: dict[str, dict[str, int]] = {}
        for o in self.truth:
            row = out.setdefault(
                o.label, {"received": 0, "opened": 0, "clicked": 0, "unsubscribed": 0, "replied": 0}
            )
            row["received"] += 1
            row["opened"] += o.opened or o.clicked  # a click counts as an open too
            row["clicked"] += o.clicked
            row["unsubscribed"] += o.unsubscribed
            row["replied"] += o.replied
        return out
