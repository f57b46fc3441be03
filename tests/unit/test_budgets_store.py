"""The store's shared budgets, seen from two connections (two Store objects on one file)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from crmtui.connectors.http import SharedBudgets
from crmtui.store import Store


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    path = tmp_path / "crmtui.db"
    a, b = Store(path), Store(path)
    yield a, b
    a.close()
    b.close()


def test_the_store_implements_the_connectors_protocol(stores: tuple[Store, Store]) -> None:
    budgets: SharedBudgets = stores[0].budgets  # mypy checks the structure; the connectors never import it
    assert budgets.take_call("x", 1, 1.0) == 0.0


def test_a_window_is_shared_between_connections(stores: tuple[Store, Store]) -> None:
    a, b = stores
    now = 1_000_000.0
    assert a.budgets.take_call("copper:k", 3, 60.0, now) == 0.0
    assert b.budgets.take_call("copper:k", 3, 60.0, now + 1) == 0.0
    assert a.budgets.take_call("copper:k", 3, 60.0, now + 2) == 0.0
    # Full for everyone until the oldest call leaves the window.
    assert b.budgets.take_call("copper:k", 3, 60.0, now + 10) == pytest.approx(50.0)
    assert a.budgets.take_call("copper:k", 3, 60.0, now + 30) == pytest.approx(30.0)
    assert b.budgets.take_call("copper:k", 3, 60.0, now + 60) == 0.0
    # Another account has its own budget.
    assert a.budgets.take_call("copper:other", 3, 60.0, now + 10) == 0.0
    assert a.budgets.calls_in_window("copper:k", 60.0, now + 60) == 3


def test_old_stamps_are_pruned(stores: tuple[Store, Store]) -> None:
    a, _ = stores
    for i in range(5):
        a.budgets.take_call("copper:k", 10, 2.0, 100.0 + i)
    assert a.scalar("SELECT count(*) FROM budget_calls") == 2  # only the last window's stay


def test_a_stamp_from_the_future_waits_one_window_at_most(stores: tuple[Store, Store]) -> None:
    a, _ = stores
    a.budgets.take_call("copper:k", 1, 60.0, 5_000.0)
    assert a.budgets.take_call("copper:k", 1, 60.0, 4_000.0) == 60.0  # the clock went back


def test_a_429_pauses_every_process(stores: tuple[Store, Store]) -> None:
    a, b = stores
    now = 2_000_000.0
    a.budgets.take_call("copper:k", 180, 61.0, now)
    # Our window is far from full: someone else used the account, so a whole window is waited.
    assert a.budgets.refused("copper:k", 180, 61.0, now + 1) == 61.0
    assert b.budgets.take_call("copper:k", 180, 61.0, now + 2) == pytest.approx(60.0)
    assert b.budgets.take_call("copper:k", 180, 61.0, now + 62.5) == 0.0


def test_a_429_with_a_full_window_waits_for_its_oldest_call(stores: tuple[Store, Store]) -> None:
    a, _ = stores
    now = 3_000_000.0
    for i in range(3):
        a.budgets.take_call("copper:k", 3, 10.0, now + i)
    assert a.budgets.refused("copper:k", 3, 10.0, now + 4) == pytest.approx(6.0)


def test_retry_after_pauses_the_others(stores: tuple[Store, Store]) -> None:
    a, b = stores
    now = time.time()
    a.budgets.pause("copper:k", now + 30)
    assert b.budgets.take_call("copper:k", 180, 61.0, now) == pytest.approx(30.0)


def test_connection_slots_are_shared(stores: tuple[Store, Store]) -> None:
    a, b = stores
    leases = [a.budgets.acquire_slot("mailchimp:k", 3, 60.0) for _ in range(2)]
    leases.append(b.budgets.acquire_slot("mailchimp:k", 3, 60.0))
    assert all(leases)
    assert b.budgets.acquire_slot("mailchimp:k", 3, 60.0) is None
    assert a.budgets.slots_in_use("mailchimp:k") == 3
    a.budgets.release_slot(leases[0] or "")
    assert b.budgets.acquire_slot("mailchimp:k", 3, 60.0) is not None


def test_an_expired_lease_is_free(stores: tuple[Store, Store]) -> None:
    a, b = stores
    assert a.budgets.acquire_slot("mailchimp:k", 1, -1.0) is not None  # expired at once
    assert b.budgets.acquire_slot("mailchimp:k", 1, 60.0) is not None


def test_a_lease_of_a_dead_process_is_free_at_once(stores: tuple[Store, Store]) -> None:
    a, b = stores
    # A real process that took the last slot and was killed (kill -9) before giving it back.
    script = (
        "import os, sys, time\n"
        "from crmtui.store import Store\n"
        "s = Store(sys.argv[1])\n"
        "assert s.budgets.acquire_slot('mailchimp:k', 1, 3600.0)\n"
        "print('taken', flush=True)\n"
        "time.sleep(600)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(a.path)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "taken"
        assert b.budgets.acquire_slot("mailchimp:k", 1, 3600.0) is None  # alive: really held
    finally:
        proc.kill()
        proc.wait()
    assert b.budgets.acquire_slot("mailchimp:k", 1, 3600.0) is not None
