"""The Copper and Mailchimp clients a sync (or a decision, an erasure, ``serve``) talks through.

One factory, so every caller gets the same budgets shared through the store, the same announced
and cancellable waits, and the same deadline.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from crmtui.config import Settings
from crmtui.connectors.copper import CopperClient
from crmtui.connectors.http import RateWait
from crmtui.connectors.mailchimp import MailchimpClient
from crmtui.engine.events import Notice
from crmtui.engine.waits import run_sleep
from crmtui.store import Store


def make_clients(
    settings: Settings,
    *,
    store: Store | None = None,
    emit: Callable[[Any], None] | None = None,
    deadline: float | None = None,
    copper_options: dict[str, Any] | None = None,
    mailchimp_options: dict[str, Any] | None = None,
    cancel: asyncio.Event | None = None,
) -> tuple[CopperClient, MailchimpClient]:
    """Connector clients for the configured (or sandbox) services.

    Args:
        settings: credentials and base URLs.
        store: when given, Copper's 180 requests a minute and Mailchimp's 10 connections are
            counted in it, across every crmtui process using it (console, cron, ``serve``).
        emit: event sink; a 429 that is waited out becomes a warning :class:`Notice` saying for
            what and how long.
        deadline: ``time.monotonic()`` instant the run must end by; a 429 is not waited past it.
        copper_options: extra :class:`CopperClient` arguments (``rate_limit``, ``retry``...).
        mailchimp_options: extra :class:`MailchimpClient` arguments (``max_concurrency``...).
        cancel: the run's cancel event: every wait of both clients (rate limits, backoffs) is
            announced as a :class:`~crmtui.engine.events.RateWaiting` and ends at once when it is
            set (:mod:`crmtui.engine.waits`).
    """
    on_wait: Callable[[RateWait], None] | None = None
    if emit is not None:
        sink = emit

        def on_wait(wait: RateWait) -> None:
            sink(Notice("warning", wait.message))

    shared: dict[str, Any] = {"on_wait": on_wait, "deadline": deadline}
    if store is not None:
        shared["budgets"] = store.budgets
    built: dict[str, Any] = {}
    sleeps: dict[str, dict[str, Any]] = {"copper": {}, "mailchimp": {}}
    if cancel is not None or emit is not None:
        for name in sleeps:
            sleeps[name]["sleep"] = run_sleep(name, cancel, emit, lambda n=name: built.get(n))  # type: ignore[misc]
    copper = CopperClient(
        api_key=settings.copper_api_key,
        user_email=settings.copper_api_email,
        base_url=settings.copper_base_url,
        **{**shared, **sleeps["copper"], **(copper_options or {})},
    )
    mailchimp = MailchimpClient(
        api_key=settings.mailchimp_api_key,
        list_id=settings.mailchimp_list_id,
        base_url=settings.mailchimp_api_root,
        **{**shared, **sleeps["mailchimp"], **(mailchimp_options or {})},
    )
    built.update(copper=copper, mailchimp=mailchimp)
    return copper, mailchimp
