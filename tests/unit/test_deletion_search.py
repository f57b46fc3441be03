"""The Deletions ``/`` filter on its FTS5 trigram index (issue #16, "50,000 queued: < 200 ms per key").

Semantics are the filter's (a casefolded substring of the name, email or tag, as ``instr`` found it:
tests/unit/test_review_store.py pages both ways through the same needles). Here: the statements a
filtered page really runs read the index and the matches only (``EXPLAIN QUERY PLAN``); the index
follows every writer of the queue (the sync, the decisions, a reactivation, another tool, an
erasure); a filter matching more than ``PROBE`` entries reads the list's own index instead; a store
from before migration 52 gets the index built.
"""

from __future__ import annotations

from pathlib import Path

from crmtui.records.erasure import Matcher, Needles
from crmtui.store import Store
from crmtui.store import deletion_search as ds
from crmtui.store.customer_search import phrase
from crmtui.store.review import Order, review_key
from crmtui.widgets.sync_decisions import matches


def _queue(store: Store, email: str, name: str, tag: str = "🗑️ À SUPPRIMER") -> None:
    store.sync.queue_deletion(
        email, copper_id=None, name=name, tag=tag, run_id=None, copper_state=None, mc_state=None
    )


def _emails(store: Store, needle: str) -> list[str]:
    return sorted(d.email for d in store.review.deletion_page(needle, limit=1000).rows)


def _fts_rows(store: Store, needle: str) -> int:
    return int(store.scalar(f"SELECT count(*) FROM {ds.FTS} WHERE {ds.FTS} MATCH ?", (phrase(needle),)))


def _plans(store: Store, run: object) -> list[tuple[str, str]]:
    """``(statement, plan)`` of every SELECT ``run()`` sends (as sent, values bound)."""
    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)
    try:
        assert callable(run)
        run()
    finally:
        store.db.conn.set_trace_callback(None)
    return [
        (sql, " | ".join(str(r[3]) for r in store.db.execute("EXPLAIN QUERY PLAN " + sql)))
        for sql in statements
        if sql.startswith("SELECT")
    ]


def test_a_filtered_page_reads_the_index_and_the_matches_only(store: Store) -> None:
    with store.write():
        for i in range(60):
            _queue(store, f"c{i:03d}@exemple.fr", "Zoé Lefèvre" if i % 20 == 0 else f"Paul Martin {i}")
    first = store.review.deletion_page("zoé lef", limit=2)
    assert [d.name for d in first.rows] == ["Zoé Lefèvre"] * 2 and not first.at_end
    key = review_key(first.rows[-1])
    plans = _plans(
        store,
        lambda: (
            store.review.deletion_page("LEFÈVRE", limit=9, after=key),
            store.review.deletion_page("lefè", limit=9, before=key),
            store.review.deletion_page("lefèvre", limit=9, order=Order("name", descending=True)),
            store.review.deletion_emails("zoé"),
        ),
    )
    assert len(plans) == 8  # each: the probe of the index, then the read among its matches
    for number, (_sql, plan) in enumerate(plans):
        if number % 2 == 0:
            assert f"SCAN {ds.FTS} VIRTUAL TABLE" in plan and "SEARCH s USING INTEGER PRIMARY KEY" in plan, (
                plan
            )
            # The entries written without ``search`` by another tool: their partial index (none here).
            assert "SCAN deletion_queue USING INDEX deletion_queue_unfolded" in plan, plan
        else:
            assert "SEARCH deletion_queue USING INDEX sqlite_autoindex_deletion_queue_1 (email=?)" in plan, (
                plan
            )
        # Never the queue itself, nor its review index, read entry by entry.
        rest = plan.replace("SCAN deletion_queue USING INDEX deletion_queue_unfolded", "")
        assert "SCAN deletion_queue" not in rest and "deletion_queue_review" not in rest, plan
    assert store.review.deletion_emails("zoé") == [f"c{i:03d}@exemple.fr" for i in (0, 20, 40)]


def test_more_matches_than_the_probe_read_the_list_in_order(store: Store) -> None:
    with store.write():
        for i in range(ds.PROBE + 5):
            _queue(store, f"c{i:05d}@exemple.fr", "Zoé" if i == ds.PROBE else "Paul")
    plans = _plans(store, lambda: store.review.deletion_page("exemple", limit=9))
    assert len(plans) == 2
    assert "SEARCH deletion_queue USING INDEX deletion_queue_review" in plans[1][1], plans
    assert "TEMP B-TREE" not in plans[1][1], plans
    page = store.review.deletion_page("exemple", limit=9)
    assert [d.email for d in page.rows] == [f"c{i:05d}@exemple.fr" for i in range(9)] and not page.at_end
    assert len(store.review.deletion_emails("EXEMPLE.fr")) == ds.PROBE + 5
    assert _emails(store, "zoé") == [f"c{ds.PROBE:05d}@exemple.fr"]


def test_the_index_follows_every_writer(store: Store) -> None:
    with store.write():
        _queue(store, "helene@exemple.fr", "Hélène Bérard")
        _queue(store, "jerome@exemple.fr", "Jérôme Œuvray")
        _queue(store, "jerome@exemple.fr", "Someone Else")  # queued once: the first entry stays
    assert _emails(store, "HÉLÈNE") == ["helene@exemple.fr"] and _emails(store, "œuv") == [
        "jerome@exemple.fr"
    ]
    assert _emails(store, "someone") == []
    # Decisions leave the text alone; an applied archive is no longer listed, an ignore still is.
    store.sync.decide(["helene@exemple.fr"], "archive", "t@console")
    store.sync.mark_decision("helene@exemple.fr", "applied")
    assert _emails(store, "hélène") == [] and _fts_rows(store, "hélène") == 1
    store.sync.decide(["jerome@exemple.fr"], "ignore", "t@console")
    assert _emails(store, "jérôme") == ["jerome@exemple.fr"]
    # A hand-added inactive tag (an applied archive), then its removal (reactivated): row gone.
    store.sync.record_inactive(
        "anais@exemple.fr", copper_id=3, name="Anaïs", previous_status="subscribed", run_id=None
    )
    assert _fts_rows(store, "anaïs") == 1
    store.sync.reactivated("anais@exemple.fr")
    assert _fts_rows(store, "anaïs") == 0 and store.scalar(f"SELECT count(*) FROM {ds.TABLE}") == 2
    with store.write() as db:
        # Another tool: an entry without ``search`` (found by folding at query time, not indexed),
        # then one writing ``search`` itself, then a change of it.
        db.execute(
            "INSERT INTO deletion_queue (email, name, tag, detected_at) VALUES ('x@exemple.fr', 'Groß', 't', 'z')"
        )
        db.execute(
            "INSERT INTO deletion_queue (email, name, tag, detected_at, search) "
            "VALUES ('y@exemple.fr', 'Yann', 't', 'z', 'yann\x1fy@exemple.fr\x1ft')"
        )
        db.execute(
            "UPDATE deletion_queue SET search = 'yves\x1fy@exemple.fr\x1ft' WHERE email = 'y@exemple.fr'"
        )
    assert _emails(store, "GROSS") == ["x@exemple.fr"] and _emails(store, "groß") == ["x@exemple.fr"]
    assert _fts_rows(store, "gro") == 0
    assert _emails(store, "yves") == ["y@exemple.fr"] and _emails(store, "yann") == []
    assert (
        store.scalar(f"SELECT search FROM {ds.TABLE} WHERE email = 'y@exemple.fr'")
        == "yves\x1fy@exemple.fr\x1ft"
    )
    with store.write() as db:  # the email itself changes (another tool): the index row follows
        db.execute("UPDATE deletion_queue SET email = 'yves@exemple.fr' WHERE email = 'y@exemple.fr'")
    assert store.scalar(f"SELECT email FROM {ds.TABLE} WHERE search LIKE 'yves%'") == "yves@exemple.fr"
    # Python's filter agrees with the SQL one on every entry listed.
    listed = store.review.deletion_page(limit=100).rows
    for needle in ("hél", "JÉRÔME", "ss", "exemple", "à supp", "groß"):
        assert _emails(store, needle) == sorted(d.email for d in listed if matches(d, needle)), needle


def test_after_erasure_no_index_entry_holds_the_address(store: Store) -> None:
    with store.write():
        _queue(store, "jerome.oeuvray@exemple.fr", "Jérôme Œuvray")
        _queue(store, "helene@exemple.fr", "Hélène Zola")
    address = "jerome.oeuvray@exemple.fr"
    assert _fts_rows(store, "oeuvray") == 1
    needles = Needles()
    needles.add_email(address)
    needles.add_name("Jérôme", "Œuvray")
    store.erasure.sweep([], {"emails": [address]}, Matcher(needles))
    assert store.scalar(f"SELECT count(*) FROM {ds.TABLE} WHERE email = ?", (address,)) == 0
    for needle in (address, "oeuvray", "jérôme", "œuv"):
        assert _fts_rows(store, needle) == 0 and _emails(store, needle) == [], needle
    with store.write() as db:
        db.execute(f"CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, {ds.FTS}, 'row')")
    terms = {str(r[0]) for r in store.db.execute("SELECT term FROM temp.vocab").fetchall()}
    assert not {"oeu", "euv", "uvr", "jér", "érô"} & terms
    assert _emails(store, "zola") == ["helene@exemple.fr"]


def test_a_store_from_before_the_index_gets_it_built(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    store = Store(path)
    with store.write() as db:
        # Roll the store back to before migration 52, with an entry queued by the old code.
        for (trigger,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'deletion_%'"
        ).fetchall():
            db.execute(f"DROP TRIGGER {trigger}")
        db.execute(f"DROP TABLE {ds.FTS}")
        db.execute(f"DROP TABLE {ds.TABLE}")
        db.execute("DROP INDEX deletion_queue_unfolded")
        db.execute("DELETE FROM _migrations WHERE version = 52")
    _queue(store, "aime@exemple.fr", "Aimé Bérard")
    store.close()
    store = Store(path)  # opening applies the pending migration
    try:
        assert store.scalar("SELECT count(*) FROM _migrations WHERE version = 52") == 1
        assert _fts_rows(store, "aimé bér") == 1 and _emails(store, "AIMÉ BÉR") == ["aime@exemple.fr"]
        _queue(store, "aimee@exemple.fr", "Aimée Bérardi")  # the triggers are there
        assert _emails(store, "bérard") == ["aime@exemple.fr", "aimee@exemple.fr"]
    finally:
        store.close()
