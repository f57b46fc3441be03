"""Helpers shared by the Pilot tests."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.pilot import Pilot
from textual.worker import WorkerCancelled


async def settle(app: App[Any], pilot: Pilot[Any], rounds: int = 40) -> None:
    """Wait until no worker runs (an exclusive reload may cancel an earlier one)."""
    for _ in range(rounds):
        try:
            await app.workers.wait_for_complete()
        except WorkerCancelled:
            pass
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            return
