"""The console's idle collector: full collections between keys, and nothing frozen leaks."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from crmtui.widgets.idle_gc import IDLE_SECONDS, NEW_OBJECTS, IdleCollector


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


@pytest.fixture(autouse=True)
def thawed() -> Iterator[None]:
    yield
    gc.unfreeze()


def test_no_collection_while_keys_come_and_none_when_little_was_made() -> None:
    now = [100.0]
    collector = IdleCollector(clock=lambda: now[0])
    collector.freeze()
    keep = [Node() for _ in range(NEW_OBJECTS + 1)]
    now[0] += IDLE_SECONDS / 2
    assert not collector.tick()  # a key came less than IDLE_SECONDS ago
    now[0] += IDLE_SECONDS
    collector.input()
    assert not collector.tick()
    now[0] += IDLE_SECONDS
    assert collector.tick() and collector.collections == 1
    assert not collector.tick()  # everything was frozen again: nothing new to walk
    assert gc.get_freeze_count() >= len(keep)


def test_frozen_garbage_is_freed_by_the_idle_collection() -> None:
    now = [0.0]
    collector = IdleCollector(clock=lambda: now[0])
    node = Node()
    ref = weakref.ref(node)
    collector.freeze()  # the cycle is in the permanent generation now
    del node
    gc.collect()
    assert ref() is not None  # a normal collection ignores frozen objects
    filler = [Node() for _ in range(NEW_OBJECTS + 1)]
    now[0] += IDLE_SECONDS + 1
    assert collector.tick()
    assert ref() is None  # the idle collection unfroze, collected and froze again
    del filler
