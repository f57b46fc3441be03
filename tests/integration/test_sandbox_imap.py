"""The sandbox's replies mailbox (issue #15: every connector listed is testable, IMAP included).

``crmtui --sandbox`` starts aioimaplib's IMAP testing server with a password beside the other
simulators; the Connectors check logs in and opens the folder, a wrong password is refused as a
real server refuses it, and in the demo some recipients answer: the reply lands in the mailbox and
the next background pass reads it and ends that person's sequence.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time

from crmtui.config import Settings
from crmtui.engine.connectivity import check_connectors
from crmtui.engine.cycle import run_cycle
from crmtui.sandbox.demo import engine_pass, running_demo
from crmtui.sandbox.harness import IMAP_PASSWORD, IMAP_USER, running_sandbox
from crmtui.sandbox.recipients import Rates
from crmtui.secrets import Secret
from crmtui.store import Store
from crmtui.store.replies import REPLY_REASON


async def test_the_sandbox_mailbox_is_configured_and_checked(settings: Settings) -> None:
    with running_sandbox(50) as sb:
        live = sb.apply_to(settings)
        assert live.connectors()["imap"]
        env = sb.env()
        assert (env["IMAP_USER"], env["IMAP_PASSWORD"], env["IMAP_SSL"]) == (IMAP_USER, IMAP_PASSWORD, "no")
        assert env["IMAP_PORT"] == str(sb.imap.port) and sb.urls["imap"].endswith(f":{sb.imap.port}")
        [verdict] = await check_connectors(live, only=("imap",))
        assert verdict.ok and verdict.configured, verdict
        assert verdict.details == {"folder": "INBOX", "exists": 0}
        wrong = dataclasses.replace(live, imap_password=Secret("not-the-password"))
        [refused] = await check_connectors(wrong, only=("imap",))
        assert not refused.ok and refused.hint
        assert (
            IMAP_PASSWORD not in refused.message + refused.hint and "not-the-password" not in refused.message
        )
        assert sb.imap.failed_logins == 1


async def test_demo_recipients_reply_and_the_next_pass_ends_their_sequence(
    settings: Settings, store: Store
) -> None:
    with running_sandbox(100, serve=True) as sb:
        live = sb.apply_to(settings)
        assert (await run_cycle(live, store, owner="test", only=("sync",))).status == "ok"
        with running_demo(sb, live, delay=(0.0, 0.0)) as flow:
            everyone_answers = Rates(open=1.0, reply=1.0)
            flow.recipients.rates = dict.fromkeys(flow.recipients.rates, everyone_answers)
            flow.recipients.default = everyone_answers
            assert await engine_pass(live, store)
            sent = len(sb.ses.messages)
            assert sent > 5
            deadline = time.monotonic() + 20
            while len(flow.recipients.truth) < sent and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            replied = [o for o in flow.recipients.truth if o.replied]
            assert len(replied) == sent, [o.errors for o in flow.recipients.truth]
            assert len(sb.imap.messages(IMAP_USER)) == sent
            await engine_pass(live, store)  # polls the mailbox before its tick
        stopped = store.query("SELECT contact, reason FROM contact_sequences WHERE status = 'stopped'")
        assert {r["contact"] for r in stopped} == {o.recipient.lower() for o in replied}
        assert {r["reason"] for r in stopped} == {REPLY_REASON}
