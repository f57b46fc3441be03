"""The wait line and its countdown (fixed clock), and a cancel ending a wait (engine.waits)."""

from __future__ import annotations

import asyncio
import time

import pytest

from crmtui.connectors.errors import Interrupted
from crmtui.connectors.http import RollingWindowLimiter
from crmtui.engine.events import RateWaiting
from crmtui.engine.waits import limit_text, run_sleep, wait_message
from crmtui.i18n import set_language


class _Client:
    limiter = RollingWindowLimiter(180, 60.0)


def test_limit_and_message_in_both_languages() -> None:
    assert limit_text(_Client()) == "180/min"
    assert limit_text(object()) == ""
    assert wait_message("copper", "180/min", 22.6) == "waiting for Copper's limit (180/min): resuming in 23 s"
    assert wait_message("mailchimp", "", 4) == "waiting for Mailchimp: resuming in 4 s"
    set_language("fr")
    assert (
        wait_message("copper", "180/min", 23)
        == "attente de la limite de Copper (180/min) : reprise dans 23 s"
    )


def test_a_wait_is_announced_and_a_cancel_ends_it() -> None:
    events: list[object] = []

    async def scenario() -> float:
        cancel = asyncio.Event()
        sleep = run_sleep("copper", cancel, events.append, lambda: _Client())
        await sleep(0.01)  # pacing: not announced
        assert events == []
        loop = asyncio.get_running_loop()
        loop.call_later(0.2, cancel.set)
        started = time.monotonic()
        with pytest.raises(Interrupted):
            await sleep(60)
        elapsed = time.monotonic() - started
        with pytest.raises(Interrupted):  # once cancelled, no new wait starts
            await sleep(0.01)
        return elapsed

    elapsed = asyncio.run(scenario())
    assert elapsed < 5.0
    (wait,) = events
    assert isinstance(wait, RateWaiting) and wait.limit == "180/min" and wait.seconds == 60
    assert wait.message == "waiting for Copper's limit (180/min): resuming in 60 s"
