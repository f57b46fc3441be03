"""Python's cyclic garbage collector, run while the operator is idle rather than during a key.

The console holds some 150,000 objects once its first screens are mounted (Textual's widgets,
styles and CSS, Rich, the catalogue). CPython's collector walks all of them in each *full*
(generation 2) collection, which its thresholds trigger every few hundred keys: measured on the
sandbox store, one key in five of a Customers search took ~110 ms of extra CPU for that walk
alone, so a key that costs ~90 ms now and then cost ~200 ms (issue #15, "under 200 ms per key").

The remedy is the one CPython documents for long-lived processes (``gc.freeze()``, Python 3.7+:
"move all objects tracked by the garbage collector into a permanent generation, i.e. ignore them
in all the future collections"): once the console has settled, what exists is frozen, so the
automatic collections only walk what was made since; and while nobody has pressed a key for
:data:`IDLE_SECONDS`, :meth:`IdleCollector.tick` unfreezes, collects everything (the frozen
objects that became garbage included, so nothing leaks) and freezes again. A key waits for that
collection only if it comes during the ~0.1 s it takes.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

IDLE_SECONDS = 8.0
"""No key for this long: a full collection may run now."""

NEW_OBJECTS = 20_000
"""Objects tracked since the last freeze worth a full collection (fewer: not worth a pause)."""


class IdleCollector:
    """Freezes the settled heap and runs full collections only between keys.

    Args:
        clock: the time source (``time.monotonic``).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.last_input = self._clock()
        self.collections = 0
        """Full collections run by :meth:`tick` (for tests)."""

    def input(self) -> None:
        """A key or a click just came."""
        self.last_input = self._clock()

    @staticmethod
    def freeze() -> None:
        """Everything tracked now is ignored by the automatic collections."""
        gc.freeze()

    def tick(self) -> bool:
        """Collect everything if the operator is idle and enough was made since; True if it did."""
        if self._clock() - self.last_input < IDLE_SECONDS:
            return False
        if len(gc.get_objects()) < NEW_OBJECTS:  # the frozen ones are not listed
            return False
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        self.collections += 1
        return True

    @staticmethod
    def release() -> None:
        """Back to CPython's defaults (the app is ending: its objects may be collected again)."""
        gc.unfreeze()
