"""The review lists sorted by a column in SQL: keyset pages on ``(column, key)`` give every row once,
in order, both ways and with many rows sharing a value; the deletion queue's sorts seek an index."""

from __future__ import annotations

from typing import Any

import pytest

from crmtui.store import Store
from crmtui.store.review import DELETION_SORTS, Order, Page, Seek
from crmtui.store.sync import Decision
from crmtui.widgets.sync_decisions import DeletionSource
from tests.unit.test_review_store import _fill, _forget, _old_order


def _walk(read: Any, position: Any, limit: int) -> tuple[list[Any], list[Any]]:
    """Every row paged forward from the start, and backward from the end."""
    forward: list[Any] = []
    page: Page = read(Seek(limit))
    while True:
        forward += page.rows
        if page.at_end:
            break
        page = read(Seek(limit, after=position(page.rows[-1])))
    backward: list[Any] = []
    page = read(Seek(limit, last=True))
    while True:
        backward = page.rows + backward
        if page.at_start:
            break
        page = read(Seek(limit, before=position(page.rows[0])))
    return forward, backward


def _value(decision: Decision, column: str) -> str:
    return {"name": decision.name or "", "email": decision.email, "tag": decision.tag}.get(
        column, decision.detected_at
    )


@pytest.mark.parametrize("column", sorted(DELETION_SORTS))
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("needle", ["", "é"])
def test_deletion_pages_in_a_chosen_order(store: Store, column: str, descending: bool, needle: str) -> None:
    _fill(store, 211)  # six names, two tags, three dates: long runs of equal values
    order = Order(column, descending)
    source = DeletionSource(store)
    shown = _old_order(store, needle)
    expected = sorted(shown, key=lambda d: (_value(d, column), d.email), reverse=descending)
    forward, backward = _walk(
        lambda seek: source.page(needle, seek, order), lambda d: source.position(d, order), 13
    )
    assert [d.email for d in forward] == [d.email for d in expected] == [d.email for d in backward]
    # From a row, inclusive: the row itself first (the window around the cursor).
    middle = expected[len(expected) // 2]
    page = source.page(needle, Seek(3, after=source.position(middle, order), inclusive=True), order)
    assert [d.email for d in page.rows] == [d.email for d in expected[len(expected) // 2 :][:3]]


def test_forgotten_and_unknown_pages_in_a_chosen_order(store: Store) -> None:
    _forget(store, 150)
    rows = store.review.listed_forgotten([f"f{i:04d}@exemple.fr" for i in range(150)])
    for column, field in (("since", "detected_at"), ("name", "name"), ("email", "email")):
        order = Order(column, descending=True)
        forward, backward = _walk(
            lambda seek, order=order: store.review.forgotten_page(seek, order),
            lambda r, field=field: (r[field], r["email"]),
            17,
        )
        expected = sorted(rows.values(), key=lambda r: (r[field], r["email"]), reverse=True)
        assert (
            [r["email"] for r in forward] == [r["email"] for r in expected] == [r["email"] for r in backward]
        )
    assert store.review.unknown_page(Seek(5), Order("contact")).rows == []


def test_sorted_deletion_pages_seek_an_index(store: Store) -> None:
    _fill(store, 50)
    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)  # the repository's own SQL, parameters expanded
    try:
        for column in DELETION_SORTS:
            for descending in (False, True):
                order = Order(column, descending)
                mark = ("Paul Martin" if column == "name" else "2026-11-02", "c0010@exemple.fr")
                store.review.deletion_page(limit=9, order=order)
                store.review.deletion_page(limit=9, after=mark, inclusive=True, order=order)
                store.review.deletion_page(limit=9, before=mark, order=order)
                store.review.deletion_page(limit=9, last=True, order=order)
    finally:
        store.db.conn.set_trace_callback(None)
    selects = [sql for sql in statements if sql.startswith("SELECT")]
    assert len(selects) == 4 * 2 * len(DELETION_SORTS)
    for sql in selects:
        plan = " ".join(r[3] for r in store.db.execute("EXPLAIN QUERY PLAN " + sql))
        assert "USING INDEX" in plan and "TEMP B-TREE" not in plan, (sql, plan)
        if " OR " in sql:  # from a row: a range seek, not a scan from the start
            assert "SEARCH deletion_queue" in plan, (sql, plan)
