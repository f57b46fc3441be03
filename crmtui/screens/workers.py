"""Handing a thread worker's result to the screen, unless a newer worker has replaced it.

An ``exclusive`` worker group cancels the running worker when a new one starts, but a thread cannot
be stopped: the old one still finishes its read and calls back. Without a guard its stale rows can
land *after* the fresh ones (a reload started before a decision was saved overwrites the reload
started after it). :func:`deliver` checks, on the UI thread, that the calling worker was not
cancelled before running the callback. Cancellation also happens on the UI thread, so the check and
the cancel cannot interleave: the last started worker's result is the one on screen.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from textual.app import App
from textual.worker import get_current_worker


def deliver(app: App[Any], callback: Callable[..., object], *args: Any, **kwargs: Any) -> None:
    """From a worker thread, run ``callback(*args, **kwargs)`` on the UI thread if still current."""
    worker = get_current_worker()

    async def guarded() -> bool:
        if worker.is_cancelled:
            return False
        result = callback(*args, **kwargs)
        if inspect.isawaitable(result):  # an async callback (one that mounts widgets)
            await result
        return True

    # mypy cannot solve Textual's `T | Awaitable[T]` parameter for a coroutine function.
    app.call_from_thread(guarded)  # type: ignore[arg-type]


def deliver_changed(app: App[Any], callback: Callable[..., object], *args: Any) -> None:
    """:func:`deliver`, unless ``callback`` was last given equal arguments: nothing to redraw.

    A screen re-reads what it shows each time it is shown again (``on_screen_resume``); refilling
    a table with the same rows clears its render caches and repaints every cell, most of a visit's
    cost once the screen is built (issue #15). Only for callbacks whose display depends on their
    arguments alone (pass anything else it reads as an argument too). The comparison runs on the
    UI thread, with the last arguments kept on the callback's object.
    """
    owner = getattr(callback, "__self__", None)
    name = getattr(callback, "__name__", "")
    if owner is None or not hasattr(owner, "__dict__"):  # not a bound method: nowhere to keep them
        deliver(app, callback, *args)
        return

    def show(*given: Any) -> object:
        last: dict[str, tuple[Any, ...]] = owner.__dict__.setdefault("_delivered_last", {})
        if last.get(name) == given:
            return None
        result = callback(*given)
        last[name] = given  # only once shown: a callback that failed draws again next time
        return result

    deliver(app, show, *args)
