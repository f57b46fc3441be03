"""The review screens' SQL: keyset pages in the old order, casefolded filter, counts, index use."""

from __future__ import annotations

import pytest

from crmtui.store import Store
from crmtui.store.review import Seek, review_key
from crmtui.store.sync import Decision
from crmtui.widgets.sync_decisions import matches

NAMES = ("Élodie Lefèvre", "émile durand", "Zoé Garçon", "STRASSE Groß", "Paul Martin", "")


def _fill(store: Store, n: int) -> None:
    """``n`` queued contacts over three detection times, some decided, ignored or applied."""
    with store.write() as db:
        for i in range(n):
            email = f"c{(i * 7919) % n:04d}@exemple.fr"
            store.sync.queue_deletion(
                email,
                copper_id=i,
                name=NAMES[i % len(NAMES)],
                tag="🗑️ À SUPPRIMER" if i % 2 else "a supprimer",
                run_id=None,
                copper_state={"id": i, "tags": ["x"]},
                mc_state={"status": "subscribed"},
            )
            db.execute(
                "UPDATE deletion_queue SET detected_at = ? WHERE email = ?",
                (f"2026-11-0{1 + i % 3}T10:00:00", email),
            )
    emails = [d.email for d in store.sync.decisions()]
    store.sync.decide(emails[0:10], "ignore", "t@console")
    store.sync.decide(emails[10:20], "archive", "t@console")
    store.sync.decide(emails[20:25], "delete", "t@console")
    for email in emails[10:13]:
        store.sync.mark_decision(email, "applied")  # done: no longer listed
    store.sync.mark_decision(emails[13], "failed", error="boom")


def _old_order(store: Store, needle: str = "") -> list[Decision]:
    """What the Deletions screen listed before paging: the whole queue, sorted in Python."""
    rows = store.sync.decisions(("pending", "decided", "failed", "applied"))
    shown = [d for d in rows if (d.state != "applied" or d.decision == "ignore") and matches(d, needle)]
    shown.sort(key=lambda d: (d.decision == "ignore" and d.state == "applied", d.detected_at, d.email))
    return shown


@pytest.mark.parametrize("needle", ["", "é", "É", "LEFÈVRE", "ss", "à supp", "c00", "zzz"])
def test_pages_forward_and_backward_give_the_old_list(store: Store, needle: str) -> None:
    _fill(store, 240)
    expected = [d.email for d in _old_order(store, needle)]
    forward: list[str] = []
    page = store.review.deletion_page(needle, limit=37)
    assert page.at_start
    while True:
        forward += [d.email for d in page.rows]
        if page.at_end:
            break
        page = store.review.deletion_page(needle, limit=37, after=review_key(page.rows[-1]))
    assert forward == expected
    backward: list[str] = []
    page = store.review.deletion_page(needle, limit=37, last=True)
    assert page.at_end
    while True:
        backward = [d.email for d in page.rows] + backward
        if page.at_start:
            break
        page = store.review.deletion_page(needle, limit=37, before=review_key(page.rows[0]))
    assert backward == expected


def test_filter_is_casefolded_like_python(store: Store) -> None:
    _fill(store, 30)
    for needle in ("élodie", "ÉLODIE", "Émile", "groß", "GROSS", "zoé garç"):
        found = {d.email for d in store.review.deletion_page(needle, limit=100).rows}
        assert found == {d.email for d in _old_order(store, needle)} != set(), needle


def test_a_row_written_by_another_tool_is_still_found(store: Store) -> None:
    with store.write() as db:  # no search column filled
        db.execute(
            "INSERT INTO deletion_queue (email, name, tag, detected_at) VALUES ('x@exemple.fr', 'Hélène', 't', 'z')"
        )
    assert [d.email for d in store.review.deletion_page("HÉLÈNE", limit=5).rows] == ["x@exemple.fr"]


def test_counts_match_the_old_ones(store: Store) -> None:
    _fill(store, 120)
    shown = _old_order(store)
    counts = store.review.deletion_counts()
    assert counts.pending == sum(1 for d in shown if d.decision is None)
    assert counts.to_apply == sum(
        1 for d in shown if d.state in ("decided", "failed") and d.decision != "ignore"
    )
    assert counts.ignored == sum(1 for d in shown if d.decision == "ignore")
    todo = [d for d in shown if d.decision in ("archive", "delete") and d.state in ("decided", "failed")]
    assert (counts.archives, counts.deletes) == (
        sum(1 for d in todo if d.decision == "archive"),
        sum(1 for d in todo if d.decision == "delete"),
    )
    assert [d.email for d in store.review.to_apply(8)] == [d.email for d in todo[:8]]


def test_page_queries_seek_the_review_index(store: Store) -> None:
    _fill(store, 50)
    key = (0, "2026-11-02T10:00:00", "c0010@exemple.fr")
    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)  # the repository's own SQL, parameters expanded
    try:
        store.review.deletion_page(limit=9)
        # Under 3 characters the filter is instr over this index (3 or more: the trigram index,
        # tests/unit/test_deletion_search.py).
        store.review.deletion_page("le", limit=9, after=key)
        store.review.deletion_page(limit=9, before=key)
        store.review.deletion_page(limit=9, last=True)
        store.review.deletion_counts()
    finally:
        store.db.conn.set_trace_callback(None)
    selects = [sql for sql in statements if sql.startswith("SELECT")]  # sqlite-utils adds savepoints
    assert len(selects) == 5
    for sql in selects:
        plan = " ".join(r[3] for r in store.db.execute("EXPLAIN QUERY PLAN " + sql))
        # A page is a range seek in the index's order; the counts read the small covering index only.
        want = (
            "COVERING INDEX deletion_queue_state_decision"
            if "GROUP BY" in sql
            else "SEARCH deletion_queue USING INDEX deletion_queue_review"
        )
        assert want in plan and "TEMP B-TREE" not in plan, plan


def _forget(store: Store, n: int) -> None:
    with store.write() as db:
        for i in range(n):
            email = f"f{(i * 7919) % n:04d}@exemple.fr"
            store.sync.record_forgotten(
                email, copper_id=None, name=f"N {i}", url=f"https://x/{i}", run_id=None
            )
            db.execute(
                "UPDATE forgotten_emails SET detected_at = ? WHERE email = ?",
                (f"2026-11-0{1 + i % 4}", email),
            )
        db.execute("UPDATE forgotten_emails SET resolved_at = 'x' WHERE email = 'f0003@exemple.fr'")


def test_forgotten_pages_give_the_old_list_both_ways(store: Store) -> None:
    _forget(store, 150)
    expected = [r["email"] for r in store.sync.forgotten_rows()]
    assert len(expected) == 149
    forward: list[str] = []
    page = store.review.forgotten_page(Seek(23))
    while True:
        forward += [r["email"] for r in page.rows]
        if page.at_end:
            break
        last = page.rows[-1]
        page = store.review.forgotten_page(Seek(23, after=(last["detected_at"], last["email"])))
    assert forward == expected
    backward: list[str] = []
    page = store.review.forgotten_page(Seek(23, last=True))
    while True:
        backward = [r["email"] for r in page.rows] + backward
        if page.at_start:
            break
        first = page.rows[0]
        page = store.review.forgotten_page(Seek(23, before=(first["detected_at"], first["email"])))
    assert backward == expected
    assert store.review.forgotten_counts() == (149, 0)
    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)
    try:
        store.review.forgotten_page(Seek(9, after=("2026-11-02", "f0100@exemple.fr")))
        store.review.forgotten_page(Seek(9, before=("2026-11-02", "f0100@exemple.fr")))
    finally:
        store.db.conn.set_trace_callback(None)
    for sql in [s for s in statements if s.startswith("SELECT")]:
        plan = " ".join(r[3] for r in store.db.execute("EXPLAIN QUERY PLAN " + sql))
        assert "SEARCH forgotten_emails USING INDEX forgotten_review" in plan and "TEMP B-TREE" not in plan, (
            plan
        )
