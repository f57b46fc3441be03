"""The review lists sorted by a column in SQL: keyset pages on ``(column, key)`` give every row once,
in order, both ways and with many rows sharing a value; text columns in the order a French reader
expects (case and accents aside, a stored key); every sort of the three lists seeks an index, both ways;
migration 50 fills the keys of a database written before it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from crmtui.store import Store
from crmtui.store import migrations as mig
from crmtui.store._util import sort_text
from crmtui.store.review import DELETION_SORTS, FORGOTTEN_SORTS, UNKNOWN_SORTS, Order, Page, Seek
from crmtui.store.sync import Decision
from crmtui.widgets.scenario_unknown import UnknownSource
from crmtui.widgets.sync_decisions import DeletionSource
from crmtui.widgets.sync_forgotten import ForgottenSource
from tests.tui.test_keymap import _seed_unknown
from tests.unit.test_review_store import _fill, _old_order

ESTATE = [
    "Paul",
    "Émile",
    "élodie",
    "Élodie",
    "Emma",
    "d'Aubigné",
    "Dalton",
    "Œnologue",
    "Odile",
    "ÉRIC",
    "eric",
]
"""The estate's own names, in no order."""
FRENCH = [
    "d'Aubigné",
    "Dalton",
    "élodie",
    "Élodie",
    "Émile",
    "Emma",
    "eric",
    "ÉRIC",
    "Odile",
    "Œnologue",
    "Paul",
]
"""The order a French reader expects: case, accents and ligatures aside (then lower case first)."""


def test_sort_key_gives_the_french_order() -> None:
    assert sorted(ESTATE, key=sort_text) == FRENCH
    assert sorted(ESTATE) != FRENCH  # byte order: "Élodie" after "Paul", "élodie" after "Emma"
    assert sort_text(None) == sort_text("") == ""
    assert sort_text("Groß") < sort_text("grosse")  # casefolded: ß is ss


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
    return {"name": sort_text(decision.name), "email": decision.email, "tag": sort_text(decision.tag)}.get(
        column, decision.detected_at
    )


@pytest.mark.parametrize("column", sorted(DELETION_SORTS))
@pytest.mark.parametrize("descending", [False, True])
# "é": under 3 characters, instr over the order's own index; "LEFÈ", "supp": the trigram index's matches, sorted.
@pytest.mark.parametrize("needle", ["", "é", "LEFÈ", "supp"])
def test_deletion_pages_in_a_chosen_order(store: Store, column: str, descending: bool, needle: str) -> None:
    _fill(store, 211)  # six names, two tags, three dates: long runs of equal values
    order = Order(column, descending)
    source = DeletionSource(store)
    shown = _old_order(store, needle)
    assert len(shown) > 13  # more than a page, whatever the needle
    expected = sorted(shown, key=lambda d: (_value(d, column), d.email), reverse=descending)
    forward, backward = _walk(
        lambda seek: source.page(needle, seek, order), lambda d: source.position(d, order), 13
    )
    assert [d.email for d in forward] == [d.email for d in expected] == [d.email for d in backward]
    # From a row, inclusive: the row itself first (the window around the cursor).
    middle = expected[len(expected) // 2]
    page = source.page(needle, Seek(3, after=source.position(middle, order), inclusive=True), order)
    assert [d.email for d in page.rows] == [d.email for d in expected[len(expected) // 2 :][:3]]


def _forget_estate(store: Store, n: int) -> None:
    """``n`` forgotten addresses named after the estate's people (long runs of each name)."""
    with store.write() as db:
        for i in range(n):
            email = f"f{(i * 7919) % n:04d}@exemple.fr"
            store.sync.record_forgotten(
                email, copper_id=None, name=ESTATE[i % len(ESTATE)], url="u", run_id=None
            )
            db.execute(
                "UPDATE forgotten_emails SET detected_at = ? WHERE email = ?",
                (f"2026-11-0{1 + i % 4}", email),
            )


@pytest.mark.parametrize("descending", [False, True])
def test_forgotten_pages_in_a_chosen_order(store: Store, descending: bool) -> None:
    _forget_estate(store, 150)
    source = ForgottenSource(store)
    rows = store.review.listed_forgotten([f"f{i:04d}@exemple.fr" for i in range(150)])
    place = {
        "since": lambda r: (r["detected_at"], r["email"]),
        "name": lambda r: (FRENCH.index(r["name"]), r["email"]),
        "email": lambda r: (r["email"],),
    }
    for column in FORGOTTEN_SORTS:
        order = Order(column, descending)
        forward, backward = _walk(
            lambda seek, order=order: source.page("", seek, order),
            lambda r, order=order: source.position(r, order),
            17,
        )
        expected = sorted(rows.values(), key=place[column], reverse=descending)
        assert (
            [r["email"] for r in forward] == [r["email"] for r in expected] == [r["email"] for r in backward]
        )


def _unknown_sends(store: Store) -> list[tuple[str, str, str]]:
    """Unknown sends of four scenarios (two named alike but for case and accents): (key, scenario, contact)."""
    from crmtui.store.scenarios import ScenarioRepo

    first = _seed_unknown(store)  # scenario "Bienvenue", contact anne@exemple.fr
    repo = ScenarioRepo(store)
    base = repo.get("Bienvenue")
    assert base is not None
    ids = {"Bienvenue": base.id}
    for name in ("Élevage", "elevage", "Œnologie"):
        base.name, base.id = name, None
        ids[name] = repo.save(base)
    sends = [(first, "Bienvenue", "anne@exemple.fr")]
    with store.write() as db:
        for n in range(60):
            scenario = ("Bienvenue", "Élevage", "elevage", "Œnologie")[n % 4]
            key, contact = f"{n:02d}" * 32, f"c{(n * 37) % 60:02d}@exemple.fr"
            db.execute(
                "INSERT INTO operation_ledger (key, scenario_id, step_id, position, contact, template, status, "
                "local_day, claimed_at, owner, message_id) SELECT ?, ?, step_id, ?, ?, template, status, "
                "local_day, claimed_at, owner, ? FROM operation_ledger WHERE key = ?",
                (key, ids[scenario], n + 2, contact, f"<m{n}@x>", first),
            )
            sends.append((key, scenario, contact))
    return sends


@pytest.mark.parametrize("descending", [False, True])
def test_unknown_sends_page_in_a_chosen_order(store: Store, descending: bool) -> None:
    sends = _unknown_sends(store)
    source = UnknownSource(store)
    scenarios = ["Bienvenue", "elevage", "Élevage", "Œnologie"]  # the French order, lower case first
    place = {
        "key": lambda s: (s[0],),
        "scenario": lambda s: (scenarios.index(s[1]), s[0]),
        "contact": lambda s: (s[2], s[0]),
    }
    for column in UNKNOWN_SORTS:
        order = Order(column, descending)
        forward, backward = _walk(
            lambda seek, order=order: source.page("", seek, order),
            lambda r, order=order: source.position(r, order),
            7,
        )
        expected = [s[0] for s in sorted(sends, key=place[column], reverse=descending)]
        assert [r["key"] for r in forward] == expected == [r["key"] for r in backward], column
        middle = next(r for r in forward if r["key"] == expected[len(expected) // 2])
        page = source.page("", Seek(3, after=source.position(middle, order), inclusive=True), order)
        assert [r["key"] for r in page.rows] == expected[len(expected) // 2 :][:3]


def _traced(store: Store, read: Any) -> list[str]:
    """The SELECTs ``read()`` ran (the repository's own SQL, parameters expanded)."""
    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)
    try:
        read()
    finally:
        store.db.conn.set_trace_callback(None)
    return [sql for sql in statements if sql.startswith("SELECT")]


def _every_seek(page: Any, columns: Any, mark: Any) -> None:
    """``page(seek, order)`` from the start, from a row (inclusive), before it and at the end, each
    column both ways; ``mark(column)`` is a row's place in that column's order."""
    for column in columns:
        for descending in (False, True):
            order = Order(column, descending)
            for seek in (
                Seek(9),
                Seek(9, after=mark(column), inclusive=True),
                Seek(9, before=mark(column)),
                Seek(9, last=True),
            ):
                page(seek, order)


def _assert_index_seeks(store: Store, selects: list[str], table: str, index: str) -> None:
    """Each read walks an index of the list (``index``: its names' start), no sort; from a row (the
    second and third read of each four), a range seek on it, not a scan from the start."""
    for i, sql in enumerate(selects):
        plan = " ".join(r[3] for r in store.db.execute("EXPLAIN QUERY PLAN " + sql))
        assert "TEMP B-TREE" not in plan, (sql, plan)
        assert plan.startswith((f"SEARCH {table} USING", f"SCAN {table} USING")) and "INDEX" in plan, (
            sql,
            plan,
        )
        assert index in plan.split("(")[0] or "PRIMARY KEY" in plan or "autoindex" in plan, (sql, plan)
        if i % 4 in (1, 2):
            assert plan.startswith(f"SEARCH {table}") and ("<" in plan or ">" in plan), (sql, plan)


def test_sorted_deletion_pages_seek_an_index(store: Store) -> None:
    _fill(store, 50)
    marks = {"name": (sort_text("Paul Martin"), "c0010@exemple.fr"), "email": ("c0010@exemple.fr",)}
    marks["tag"] = (sort_text("a supprimer"), "c0010@exemple.fr")
    selects = _traced(
        store,
        lambda: _every_seek(
            lambda seek, order: store.review.deletion_page(**vars(seek), order=order),
            DELETION_SORTS,
            lambda column: marks.get(column, ("2026-11-02", "c0010@exemple.fr")),
        ),
    )
    assert len(selects) == 4 * 2 * len(DELETION_SORTS)
    _assert_index_seeks(store, selects, "deletion_queue", "deletion_queue_by_")


def test_sorted_forgotten_and_unknown_pages_seek_an_index(store: Store) -> None:
    _forget_estate(store, 60)
    sends = _unknown_sends(store)
    forgotten = {"name": (sort_text("Émile"), "f0010@exemple.fr"), "email": ("f0010@exemple.fr",)}
    selects = _traced(
        store,
        lambda: _every_seek(
            store.review.forgotten_page,
            FORGOTTEN_SORTS,
            lambda column: forgotten.get(column, ("2026-11-02", "f0010@exemple.fr")),
        ),
    )
    assert len(selects) == 4 * 2 * len(FORGOTTEN_SORTS)
    _assert_index_seeks(store, selects, "forgotten_emails", "forgotten_by_")
    scenario_id = store.scalar("SELECT id FROM scenarios WHERE name = 'Élevage'")
    key, _, contact = sends[10]
    unknown = {"key": (key,), "contact": (contact, key), "scenario": (sort_text("Élevage"), scenario_id, key)}
    selects = _traced(store, lambda: _every_seek(store.review.unknown_page, UNKNOWN_SORTS, unknown.get))
    assert len(selects) == 4 * 2 * len(UNKNOWN_SORTS)
    # By scenario: the scenarios walked by their key, then each one's unknown sends by theirs.
    _assert_index_seeks(store, selects[: 4 * 2], "l", "operation_ledger_unknown_key")
    _assert_index_seeks(store, selects[4 * 2 : 4 * 4], "s", "scenarios_by_name_sort")
    _assert_index_seeks(store, selects[4 * 4 :], "l", "operation_ledger_unknown_contact")
    for sql in selects[4 * 2 : 4 * 4]:
        plan = " ".join(r[3] for r in store.db.execute("EXPLAIN QUERY PLAN " + sql))
        assert "SEARCH l USING INDEX operation_ledger_unknown_scenario (scenario_id=?)" in plan, (sql, plan)


def test_the_unknown_sends_own_order_seeks_an_index(store: Store) -> None:
    sends = _unknown_sends(store)
    with store.write() as db:  # three claim times: ties, and an order that is not the keys'
        db.execute(
            "UPDATE operation_ledger SET claimed_at = '2026-12-0' || (1 + rowid * 7 % 3) || 'T10:00:00+00:00'"
        )
    claimed = str(store.scalar("SELECT claimed_at FROM operation_ledger WHERE key = ?", (sends[3][0],)))
    mark = (claimed, sends[3][0])
    reads = (Seek(9), Seek(9, after=mark, inclusive=True), Seek(9, before=mark), Seek(9, last=True))
    selects = _traced(store, lambda: [store.review.unknown_page(seek) for seek in reads])
    assert len(selects) == 4
    _assert_index_seeks(store, selects, "l", "operation_ledger_unknown_claimed")
    forward, backward = _walk(store.review.unknown_page, lambda r: (r["claimed_at"], r["key"]), 7)
    expected = [r["key"] for r in store.query("SELECT key FROM operation_ledger ORDER BY claimed_at, key")]
    assert [r["key"] for r in forward] == expected == [r["key"] for r in backward]


def test_migration_50_fills_the_keys_of_an_older_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "crm.db"
    every = list(mig.MIGRATIONS)
    monkeypatch.setattr(mig, "MIGRATIONS", [m for m in every if m[0] != 50])
    old = Store(path)  # the schema before migration 50, rows written as the code of then did
    assert "name_sort" not in old.db["deletion_queue"].columns_dict
    with old.write() as db:
        for i, name in enumerate(ESTATE):
            db.execute(
                "INSERT INTO deletion_queue (email, name, tag, detected_at) VALUES (?, ?, ?, '2026-11-01')",
                (f"d{i:02d}@exemple.fr", name, "À supprimer" if i % 2 else "archiver"),
            )
            db.execute(
                "INSERT INTO forgotten_emails (email, name, detected_at) VALUES (?, ?, '2026-11-01')",
                (f"f{i:02d}@exemple.fr", name),
            )
        db.execute("INSERT INTO deletion_queue (email, tag, detected_at) VALUES ('x@exemple.fr', 't', 'z')")
    old.close()
    monkeypatch.setattr(mig, "MIGRATIONS", every)
    store = Store(path)
    try:
        assert 50 in mig.applied_versions(store)
        rows = store.query("SELECT name, tag, name_sort, tag_sort FROM deletion_queue")
        assert all(
            r["name_sort"] == sort_text(r["name"]) and r["tag_sort"] == sort_text(r["tag"]) for r in rows
        )
        names = [d.name for d in store.review.deletion_page(limit=50, order=Order("name")).rows]
        assert names == ["", *FRENCH]  # no name: first
        forgotten = store.review.forgotten_page(Seek(50), Order("name", descending=True)).rows
        assert [r["name"] for r in forgotten] == FRENCH[::-1]
        indexes = {r["name"] for r in store.query("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {
            "deletion_queue_by_name_sort",
            "forgotten_by_name_sort",
            "operation_ledger_unknown_key",
        } <= indexes
        assert not {"deletion_queue_by_name", "deletion_queue_by_tag"} & indexes  # the byte-order ones
    finally:
        store.close()
