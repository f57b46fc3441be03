"""Adding a source is one module and one registration (issue #17, docs/adding-a-source.md).

The source below is the guide's worked example: a CRM export the estate might receive as JSON
lines. It registers itself with ``register_source_type`` and nothing else in crmtui is edited: the
ETL step runs it, the Sources screen lists it with its detail and mapping, and ``crmtui connectors
test`` tests it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.widgets import DataTable

from crmtui.app import make_app
from crmtui.config import Settings
from crmtui.connectors.errors import ConnectorError
from crmtui.engine.connectivity import check_connectors
from crmtui.engine.cycle import run_cycle
from crmtui.engine.etl import (
    SOURCE_TYPES,
    SourceEnv,
    SourceManager,
    describe_source,
    mapping,
    register_source_type,
)
from crmtui.records.canonical import Batch, Customer
from crmtui.records.emails import email_key
from crmtui.screens.sources import SourcesScreen
from crmtui.store import Store
from tests.tui.support import settle

KIND = "demo_crm"


class DemoCrmSource:
    """A JSON-lines export: one contact per line (``id``, ``first``, ``last``, ``email``)."""

    name = KIND
    kind = KIND
    is_async = False

    def __init__(self, path: Path) -> None:
        self.path = path

    def describe(self) -> str:
        """Where it reads from."""
        return str(self.path)

    def test(self) -> str:
        """Can it be read? One line, or a ConnectorError with a fix."""
        if not self.path.is_file():
            raise ConnectorError(KIND, f"no export at {self.path}", hint="check DEMO_CRM_EXPORT")
        return f"{sum(1 for _ in self.path.open(encoding='utf-8'))} contacts in {self.path.name}"

    def batches(
        self, *, imported: Callable[[str], bool], cursor: Callable[[str], str | None]
    ) -> Iterator[Batch]:
        """Every line after the stored cursor, in one batch, with the new cursor."""
        done = int(cursor(self.path.name) or 0)
        lines = self.path.read_text(encoding="utf-8").splitlines()
        records = []
        for row in map(json.loads, lines[done:]):
            records.append(
                Customer(
                    customer_key=f"{KIND}-{row['id']}",
                    first_name=row["first"],
                    last_name=row["last"],
                    email=email_key(row["email"]),
                    source=KIND,
                )
            )
        yield Batch(
            records=records, cursor=(self.path.name, str(len(lines))), read={"customers": len(records)}
        )


@pytest.fixture
def export(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "demo_crm.jsonl"
    rows = [
        {"id": 1, "first": "Jean", "last": "Dupont", "email": "Jean.Dupont@exemple.fr"},
        {"id": 2, "first": "Élodie", "last": "Bernard", "email": "elodie@exemple.fr"},
    ]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    # The one registration the guide asks for.
    register_source_type(
        KIND,
        configured=lambda settings: True,
        build=lambda env: _build(env, path),
        describe=lambda settings: str(path),
        feeds=lambda: {
            "customers": {"customer_key": "id", "first_name": "first", "last_name": "last", "email": "email"}
        },
    )
    yield path
    SOURCE_TYPES.pop(KIND)


def _build(env: SourceEnv, path: Path) -> DemoCrmSource:
    return DemoCrmSource(path)


async def test_the_etl_step_runs_a_registered_source_incrementally(
    settings: Settings, store: Store, export: Path
) -> None:
    outcome = await run_cycle(settings, store, owner="test", only=("etl",))
    assert outcome.status == "ok", outcome
    keys = {
        r["customer_key"] for r in store.query("SELECT customer_key FROM customers WHERE source = ?", (KIND,))
    }
    assert keys == {f"{KIND}-1", f"{KIND}-2"}
    with export.open("a", encoding="utf-8") as f:
        f.write(
            json.dumps({"id": 3, "first": "Louise", "last": "Petit", "email": "louise@exemple.fr"}) + "\n"
        )
    await run_cycle(settings, store, owner="test", only=("etl",))
    assert store.scalar("SELECT count(*) FROM customers WHERE source = ?", (KIND,)) == 3
    stats = SourceManager(settings, store).stats()[-1]
    assert stats.source == KIND and stats.runs == 2 and stats.failures == 0


async def test_connectors_test_tests_a_registered_source(settings: Settings, export: Path) -> None:
    (verdict,) = await check_connectors(settings, (KIND,))
    assert verdict.ok and "2 contacts in demo_crm.jsonl" in verdict.message
    export.unlink()
    (verdict,) = await check_connectors(settings, (KIND,))
    assert not verdict.ok and "check DEMO_CRM_EXPORT" in verdict.hint


async def test_the_sources_screen_lists_it_with_its_mapping(
    settings: Settings, store: Store, export: Path
) -> None:
    await run_cycle(settings, store, owner="test", only=("etl",))
    rows = {m.field: m.feeder for m in mapping(store, KIND) if m.table == "customers"}
    assert rows["first_name"] == "first" and rows["email"] == "email"
    app = make_app(settings, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.push_screen(SourcesScreen())
        await settle(app, pilot)
        table = app.screen.query_one("#sources-table", DataTable)
        keys = [str(row.key.value) for row in table.ordered_rows]
        assert KIND in keys
        cells = " ".join(str(c) for c in table.get_row(KIND))
        assert "ok" in cells and "2 / 2" in cells  # its last run: status, rows read / loaded
    assert describe_source(settings, KIND) == str(export)  # the screen's "where" line
