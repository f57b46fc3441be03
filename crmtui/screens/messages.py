"""App-level Textual messages: adapters over engine events (named as past-tense facts)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from crmtui.engine.events import Event


@dataclass
class EngineReported(Message):
    """The engine emitted an event (posted from a worker thread)."""

    event: Event

    def can_replace(self, message: Message) -> bool:
        """Only the latest progress event of a step needs drawing."""
        from crmtui.engine.events import StepProgressed

        return (
            isinstance(message, EngineReported)
            and isinstance(self.event, StepProgressed)
            and isinstance(message.event, StepProgressed)
            and message.event.step == self.event.step
        )


@dataclass
class StoreChanged(Message):
    """Something was written to the store; screens showing figures should re-read them."""

    reason: str = ""
