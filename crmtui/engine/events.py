"""Engine events: plain dataclasses passed to a callback.

The TUI turns them into Messages, headless mode into progress lines, tests collect them. Nothing
here knows about Textual.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Event:
    """Base class of every engine event."""


@dataclass(frozen=True)
class CycleStarted(Event):
    """A cycle took the lock and recorded its run."""

    run_id: int
    steps: tuple[str, ...]
    mode: str
    dry_run: bool
    sandbox: bool


@dataclass(frozen=True)
class StepStarted(Event):
    """One step of the cycle (sync, etl, scenarios) began."""

    step: str


@dataclass(frozen=True)
class StepProgressed(Event):
    """Progress inside a step; ``total`` may be None when unknown."""

    step: str
    done: int
    total: int | None = None
    detail: str = ""


@dataclass(frozen=True)
class StepFinished(Event):
    """A step ended with its counts."""

    step: str
    status: str
    total: int = 0
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    detail: str = ""


@dataclass(frozen=True)
class CycleFinished(Event):
    """The cycle ended; ``status`` is ok/partial/failed/interrupted."""

    run_id: int
    status: str
    duration: float
    total: int = 0
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Notice(Event):
    """Something the operator should read (a warning, a skipped step)."""

    level: str
    text: str


@dataclass(frozen=True)
class RateWaiting(Event):
    """A client waits for a service's rate limit before its next request (see :mod:`crmtui.engine.waits`).

    ``until`` is a ``time.monotonic()`` instant, so a screen can count down; ``message`` is the
    line for the operator at the start of the wait, in the current language.
    """

    service: str
    seconds: float
    until: float
    limit: str
    message: str


EventSink = Callable[[Event], None]


def ignore(_: Event) -> None:
    """An event sink that drops everything."""
