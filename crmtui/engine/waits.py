"""Waits you can see and cancel: the sleep the connector clients use during a run.

Every wait of a client (its own rolling window, a shared budget, a 429's backoff or Retry-After)
goes through the ``sleep`` it was given. :func:`run_sleep` makes that sleep

- *visible*: a wait of a second or more emits :class:`~crmtui.engine.events.RateWaiting`
  ("waiting for Copper's limit (180/min): resuming in 23 s"), which the console counts down and
  headless mode prints;
- *cancellable*: it returns as soon as the run's cancel event is set, by raising
  :class:`~crmtui.connectors.errors.Interrupted`. A wait always comes *before* a request, so the
  request it held back was never sent: the sync engine leaves its outbox row pending (the next run
  re-plans it from live state) and stops within the time the in-flight requests take to answer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from crmtui.connectors.errors import Interrupted
from crmtui.engine.events import RateWaiting
from crmtui.i18n import t

VISIBLE_WAIT = 1.0
"""Seconds from which a wait is announced (shorter ones are pacing, not waiting)."""

_LABELS = {"copper": "Copper", "mailchimp": "Mailchimp", "odoo": "Odoo", "ses": "SES"}


def limit_text(client: Any) -> str:
    """``180/min`` for a client with a rolling window of a minute, ``10/5 s`` otherwise; "" without one."""
    limiter = getattr(client, "limiter", None)
    max_calls = getattr(limiter, "max_calls", None)
    window = getattr(limiter, "window", None)
    if not max_calls or not window:
        return ""
    per = "min" if abs(float(window) - 60.0) <= 1.5 else f"{float(window):g} s"
    return f"{max_calls}/{per}"


def wait_message(service: str, limit: str, seconds: float) -> str:
    """The operator's line for a wait of ``seconds`` on ``service``."""
    label = _LABELS.get(service, service.capitalize())
    shown = max(1, round(seconds))
    if limit:
        return t("wait.limit", service=label, limit=limit, seconds=shown)
    return t("wait.plain", service=label, seconds=shown)


def run_sleep(
    service: str,
    cancel: asyncio.Event | None,
    emit: Callable[[Any], None] | None,
    client: Callable[[], Any] = lambda: None,
) -> Callable[[float], Awaitable[None]]:
    """A ``sleep`` for a connector client of ``service`` that says so and stops on ``cancel``.

    Args:
        service: ``copper``, ``mailchimp``...
        cancel: the run's cancel event (None: a plain, announced sleep).
        emit: the run's event sink (None: silent).
        client: returns the client once built, to read its limit (``180/min``) for the message.
    """

    async def sleep(seconds: float) -> None:
        if cancel is not None and cancel.is_set():
            raise Interrupted(service, t("wait.cancelled", service=_LABELS.get(service, service)))
        if seconds >= VISIBLE_WAIT and emit is not None:
            limit = limit_text(client())
            emit(
                RateWaiting(
                    service, seconds, time.monotonic() + seconds, limit, wait_message(service, limit, seconds)
                )
            )
        if cancel is None:
            await asyncio.sleep(seconds)
            return
        try:
            await asyncio.wait_for(cancel.wait(), timeout=max(0.0, seconds))
        except TimeoutError:
            return
        raise Interrupted(service, t("wait.cancelled", service=_LABELS.get(service, service)))

    return sleep
