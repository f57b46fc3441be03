"""Send cost flat in the audience: the claim's statements use indexes, the audience lives in its own table.

Every statement of the send path (``crmtui.store.scenarios._SQL``: due scan, claim checks, daily
cap, cooldown, suppression, mark_sent) is run through ``EXPLAIN QUERY PLAN`` on a store holding
thousands of sequences and ledger rows (statistics gathered with ANALYZE, as a live store's
``PRAGMA optimize`` would): none may scan a whole table that grows with the audience or the ledger.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from crmtui.store import Store
from crmtui.store.migrations import migrate
from crmtui.store.scenarios import _SQL, Audience, Scenario, Step, TemplateRow, iso, scenario_repo

LARGE = {"contact_sequences", "operation_ledger", "campaign_emails", "contacts", "customers", "suppressions"}
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def bench_scenario(name: str, emails: list[str]) -> Scenario:
    return Scenario(
        name=name,
        audience=Audience(emails=emails, copper_tags=["vip"]),
        steps=[Step(1, "welcome", "w"), Step(2, "reminder", "w", trigger="not_opened", delay_days=3)],
        templates={"w": TemplateRow("w", "Bonjour", "<p>Bonjour</p>")},
    )


@pytest.fixture
def filled(store: Store) -> Store:
    repo = scenario_repo(store)
    emails = [f"client{i:05d}@exemple.fr" for i in range(3000)]
    repo.save(bench_scenario("A", emails))
    repo.save(bench_scenario("B", emails[:100]))
    a = repo.get("A")
    assert a is not None
    repo.enrol(a, emails, now=NOW)
    with store.write() as db:
        db.conn.executemany(
            "INSERT INTO operation_ledger (key, scenario_id, step_id, position, contact, template, status, "
            "local_day, claimed_at, owner, message_id) VALUES (?, ?, ?, 1, ?, 'w', 'sent', ?, ?, 'me', ?)",
            [
                (f"k{i}", a.id, a.steps[0].id, e, "2026-03-0" + str(1 + i % 2), iso(NOW), f"m{i}")
                for i, e in enumerate(emails)
            ],
        )
        db.conn.executemany(
            "INSERT INTO campaign_emails (message_id, ledger_key, scenario_id, step_id, contact, subject, "
            "sender, sent_at) VALUES (?, ?, ?, ?, ?, 's', 'ses', ?)",
            [(f"m{i}", f"k{i}", a.id, a.steps[0].id, e, iso(NOW)) for i, e in enumerate(emails)],
        )
        db.conn.executemany(
            "INSERT INTO suppressions (email, reason, created_at) VALUES (?, 'manual', ?)",
            [(e, iso(NOW)) for e in emails[::10]],
        )
        db.conn.executemany(
            "INSERT INTO contacts (email, updated_at) VALUES (?, ?)",
            [(e, iso(NOW)) for e in emails],
        )
        db.execute("ANALYZE")
    return store


def plan(store: Store, sql: str) -> list[str]:
    params = (None,) * sql.count("?")
    return [str(r[3]) for r in store.db.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()]


@pytest.mark.parametrize("name", sorted(_SQL))
def test_send_path_statement_never_scans_a_large_table(filled: Store, name: str) -> None:
    details = plan(filled, _SQL[name])
    assert details, name
    for detail in details:
        scanned = re.match(r"SCAN (\w+)", detail)
        # A SCAN, even "USING INDEX", reads every row of the table (or of its index).
        assert not (scanned and scanned.group(1) in LARGE), f"{name}: full scan: {details}"
    if name == "due":  # the due scan reads this scenario's due rows, not every active sequence
        assert "USING INDEX contact_sequences_scenario_due" in details[0], details


def test_a_send_does_not_rewrite_the_audience(filled: Store) -> None:
    # The scenario row no longer carries the audience: its size does not depend on the address list.
    row = filled.db.execute("SELECT length(audience) FROM scenarios WHERE name = 'A'").fetchone()
    assert row[0] == 2  # '{}'
    repo = scenario_repo(filled)
    loaded = repo.get("A")
    assert loaded is not None
    assert loaded.audience.emails[:2] == ["client00000@exemple.fr", "client00001@exemple.fr"]
    assert loaded.audience.copper_tags == ["vip"]
    assert len(loaded.audience.emails) == 3000
    light = repo.get("A", audience=False)
    assert light is not None and light.audience.as_dict() == {} and light.steps


def test_saving_an_unchanged_audience_writes_no_audience_row(filled: Store) -> None:
    repo = scenario_repo(filled)
    scenario = repo.get("A")
    assert scenario is not None
    before = filled.db.conn.total_changes
    repo.save(scenario)
    # The scenario row, its templates and steps are rewritten; the 3,001 audience rows are not.
    assert filled.db.conn.total_changes - before < 50
    scenario.audience.emails.append("nouveau@exemple.fr")
    repo.save(scenario)
    again = repo.get("A")
    assert again is not None and again.audience.emails[-1] == "nouveau@exemple.fr"


def test_deleting_a_scenario_deletes_its_audience(filled: Store) -> None:
    repo = scenario_repo(filled)
    b = repo.get("B")
    assert b is not None
    repo.delete(b.id)
    left = filled.db.execute("SELECT count(*) FROM scenario_audience WHERE scenario_id = ?", (b.id,))
    assert left.fetchone()[0] == 0


def test_migration_moves_an_existing_json_audience_into_its_table(store: Store) -> None:
    # A store written before migration 21: the audience as JSON in the scenarios row.
    with store.write() as db:
        db.execute("DROP TABLE scenario_audience")
        db.execute("DROP INDEX contact_sequences_scenario_due")
        db.execute("DROP INDEX campaign_emails_step_contact")
        db.execute("DELETE FROM _migrations WHERE version = 21")
        audience = {"emails": ["b@exemple.fr", "a@exemple.fr"], "segments": ["Champions"]}
        db.execute(
            "INSERT INTO scenarios (name, audience, created_at, updated_at) VALUES ('Ancien', ?, ?, ?)",
            (json.dumps(audience), iso(NOW), iso(NOW)),
        )
    assert migrate(store) == [21]
    old = scenario_repo(store).get("Ancien")
    assert old is not None
    assert old.audience.emails == ["b@exemple.fr", "a@exemple.fr"]  # the operator's order is kept
    assert old.audience.segments == ["Champions"]
    assert store.scalar("SELECT audience FROM scenarios WHERE name = 'Ancien'") == "{}"


def test_sent_counter_and_sequence_still_move_on_a_send(filled: Store) -> None:
    # mark_sent's unified "advance" statement: a not_opened child makes the next step due later.
    repo = scenario_repo(filled)
    a = repo.get("A", audience=False)
    assert a is not None
    due = repo.due(a.id, NOW + timedelta(seconds=1), limit=1)[0]
    with filled.write() as db:
        db.execute("DELETE FROM operation_ledger WHERE contact = ?", (due.contact,))
        db.execute("DELETE FROM campaign_emails WHERE contact = ?", (due.contact,))
        db.execute("DELETE FROM suppressions WHERE email = ?", (due.contact,))
    from crmtui.store.scenarios import ClaimRules

    rules = ClaimRules(now=NOW, local_day="2026-03-02", in_window=True, recipient_problem="", owner="me")
    a.status = "active"
    repo.set_status(a.id, "active")
    claim = repo.claim(a, due, a.steps[0], "w", None, "key-x", "mid-x", rules)
    assert not hasattr(claim, "reason"), claim
    repo.mark_sent(a, claim, provider_id="p", sender="ses", subject="Bonjour", now=NOW)  # type: ignore[arg-type]
    after = repo.get("A", audience=False)
    assert after is not None and after.sent == 1
    row = filled.db.execute(
        "SELECT current_position, next_position, status, sent FROM contact_sequences WHERE id = ?",
        (due.sequence_id,),
    ).fetchone()
    assert tuple(row) == (1, 2, "active", 1)
