"""Every console screen at 80x24 and 120x40, as snapshots (``pytest --snapshot-update`` after review).

Shared by ``test_snapshots_screens.py`` (English, in this process) and ``snapshots_screens_fr.py``
(French, run in its own process by ``test_snapshots_french.py``: bindings and screen titles are
translated when their classes are created, so the language must be French before ``crmtui.app`` is
imported). Deterministic by construction: every row is written to the store directly with pinned
dates (no real cycle, so no run durations or "since" that vary), times shown in UTC, a hostile name
included.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_textual_snapshot import SVGImageExtension
from rich.cells import cell_len
from syrupy.assertion import SnapshotAssertion
from textual.pilot import Pilot
from textual.widgets._footer import FooterKey
from textual.worker import WorkerCancelled, WorkerState

from crmtui.i18n import set_language

LANG = os.environ.get("CRMTUI_SNAPSHOT_LANG", "en")
"""The language of this process's snapshots (set by the French runner before anything is imported)."""
set_language(LANG)  # before crmtui.app: bindings and titles are translated when classes are created

from crmtui.app import CrmApp, make_app  # noqa: E402
from crmtui.config import Settings  # noqa: E402
from crmtui.store import Store  # noqa: E402
from crmtui.store.etl import QualityIssue  # noqa: E402
from crmtui.store.scenarios import Audience, Scenario, Step, TemplateRow, Variant, scenario_repo  # noqa: E402
from crmtui.widgets.footer import Footer  # noqa: E402

HOSTILE = "\x1b[31mRouge\x1b[0m [bold]Gras[/bold] [@click=app.quit]Quitter[/]"
PINNED = "2026-11-02T10:00:00+00:00"

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}
SCREENS = {
    "dashboard": [],
    "runs": ["h"],
    "sources": ["s"],
    "quality": ["Q"],
    "sync": ["y"],
    "deletions": ["b"],
    "forgotten": ["o"],
    "scenarios": ["e"],
    "customers": ["k"],
    "reco_quality": ["K"],
    "connectors": ["c"],
    "help": ["f1"],
}
"""Each screen and the keys that open it from the dashboard."""


@pytest.fixture(autouse=True)
def _language_and_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process's language for every string, and times shown in UTC."""
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("CRMTUI_LANG", LANG)  # the settings fixture sets the language from it
    time.tzset()
    set_language(LANG)
    yield
    set_language("en")
    monkeypatch.delenv("TZ")
    time.tzset()


def seed(store: Store) -> None:
    """Fixed rows for every screen: contacts, decisions, runs, sources, quality, customers, a scenario."""
    with store.write() as db:
        for i in range(3):
            db.execute(
                "INSERT INTO contacts (email, first_name, updated_at) VALUES (?, ?, '2026-01-01')",
                (f"c{i}@exemple.fr", "Élodie"),
            )
        for email, name, tag in (
            ("marie.dupont-de-la-fontaine@exemple.fr", "Marie DUPONT", "🗑️ À SUPPRIMER"),
            ("hostile@exemple.fr", HOSTILE, "a supprimer"),
        ):
            db.execute(
                "INSERT INTO deletion_queue (email, name, tag, detected_at) VALUES (?, ?, ?, ?)",
                (email, name, tag, PINNED),
            )
        db.execute(
            "INSERT INTO forgotten_emails (email, name, detected_at, resubscribe_url) VALUES (?, ?, ?, ?)",
            ("oubli@exemple.fr", "Paul Oubli", PINNED, "https://us1.list-manage.com/subscribe?u=abc&id=def"),
        )
        for i, (status, total, ok, failed, skipped) in enumerate(
            (("ok", 12, 12, 0, 40), ("partial", 9, 8, 1, 3), ("failed", 2, 0, 2, 0)), start=1
        ):
            db.execute(
                "INSERT INTO sync_runs (kind, mode, started_at, finished_at, status, total, succeeded, failed, "
                "skipped) VALUES ('cycle', 'test', ?, ?, ?, ?, ?, ?, ?)",
                (
                    f"2026-11-0{i}T09:00:00+00:00",
                    f"2026-11-0{i}T09:00:12+00:00",
                    status,
                    total,
                    ok,
                    failed,
                    skipped,
                ),
            )
        cur = db.execute(
            "INSERT INTO etl_runs (source, started_at, finished_at, status, duration, processed, changed, "
            "error_count) VALUES ('isavigne', ?, ?, 'partial', 3.5, '{\"customers\": 2807}', "
            "'{\"customers\": 2805}', 2)",
            (PINNED, PINNED),
        )
        for location, reason in (
            ("clients_20261102.csv:61", "code C00077 also on line 60; the later line is kept"),
            ("ventes_20261102.csv:1053", "expected 9 columns, found 11"),
        ):
            db.execute(
                "INSERT INTO etl_errors (etl_run_id, source, location, reason) VALUES (?, 'isavigne', ?, ?)",
                (cur.lastrowid, location, reason),
            )
        db.execute(
            "INSERT INTO etl_cursors (source, name, value, updated_at) VALUES ('isavigne', ?, ?, ?)",
            (
                "file:clients_20261102.csv",
                '{"sha": "d9816f8e9cf01fc98e8def4d2b3280a1", "line": 2808}',
                PINNED,
            ),
        )
        for key, first, last, segment, orders, spent in (
            ("isavigne-C00112", "Gwenaël", "LEFEBVRE", "VIP", 9, 217985.92),
            ("isavigne-C00003", "Jérôme", "Moreau", "AT_RISK", 3, 1250.5),
            ("odoo-7", "Anne", HOSTILE, "PROSPECT", 0, 0.0),
        ):
            db.execute(
                "INSERT INTO customers (customer_key, first_name, last_name, email, source, row_hash, segment, "
                "purchase_count, total_spent_eur, last_purchase_date) VALUES (?, ?, ?, ?, 'isavigne', 'h', ?, "
                "?, ?, '2026-07-07')",
                (key, first, last, f"{key}@exemple.fr", segment, orders, spent),
            )
    issues = [
        QualityIssue("customers", "invalid:phone", 20, [{"key": "odoo-104", "detail": "01.79.81.85"}]),
        QualityIssue(
            "customers", "duplicate:name_zip", 2, [{"key": "odoo-1, odoo-2", "detail": "dupont 75001"}]
        ),
        QualityIssue("contact_history", "missing:customer_key", 0, []),
        QualityIssue("stock_levels", "negative:quantity", 0, []),
    ]
    with store.write() as db:
        for issue in issues:
            db.execute(
                "INSERT INTO quality_issues (created_at, table_name, check_name, count, examples, report_path) "
                "VALUES (?, ?, ?, ?, ?, 'reports/quality_report_20261102_100000.txt')",
                (PINNED, issue.table, issue.check, issue.count, json.dumps(issue.examples)),
            )
    scenario_repo(store).save(
        Scenario(
            name="Bienvenue chez nous, découvrez nos cuvées",
            window_start="00:00",
            window_end="24:00",
            send_days=[1, 2, 3, 4, 5, 6, 7],
            audience=Audience(emails=["anne@exemple.fr"]),
            steps=[Step(1, "welcome", "a", variants=[Variant("A", "a", 1), Variant("B", "a", 1)])],
            templates={"a": TemplateRow("a", "Bonjour", "<p>Bonjour</p>", "Bonjour,\nÀ bientôt.")},
        )
    )


@pytest.fixture
def app(settings: Settings, store: Store) -> CrmApp:
    """The console over the seeded store; iSaVigne configured (its path is fixed, never read)."""
    seed(store)
    fixed = dataclasses.replace(settings, isavigne_export_path=Path("/srv/exports/isavigne"))
    set_language(LANG)
    return make_app(fixed, store)


async def _settle(pilot: Pilot[int]) -> None:
    for _ in range(20):
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerCancelled:  # an exclusive reload replaced an earlier one
            pass
        await pilot.pause()
        if not any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in pilot.app.workers):
            break
    pilot.app.clear_notifications()
    await pilot.pause()


@pytest.mark.parametrize("size", list(SIZES))
def test_every_screen(snapshot: SnapshotAssertion, app: CrmApp, size: str) -> None:
    """Every screen at one size, walked in one console (one start per size keeps the suite quick)."""
    svg = snapshot.use_extension(SVGImageExtension)

    async def walk() -> dict[str, str]:
        shots: dict[str, str] = {}
        async with app.run_test(size=SIZES[size]) as pilot:
            await _settle(pilot)
            for screen, keys in SCREENS.items():
                for key in keys:
                    await pilot.press(key)
                await _settle(pilot)
                shots[screen] = app.export_screenshot(title=f"{screen} {size} {LANG}")
        return shots

    shots = asyncio.run(walk())
    differ = [screen for screen, shot in shots.items() if not svg(name=screen) == shot]
    assert not differ, f"snapshots differ ({LANG}, {size}): {differ}; review, then --snapshot-update"


def test_every_footer_fits_80_columns(app: CrmApp) -> None:
    """At 80x24 every screen's footer shows whole keys within 80 cells (Rich cell widths), help among them."""

    async def walk() -> dict[str, list[tuple[str, int, int]]]:
        found: dict[str, list[tuple[str, int, int]]] = {}
        async with app.run_test(size=SIZES["80x24"]) as pilot:
            await _settle(pilot)
            for screen, keys in SCREENS.items():
                for key in keys:
                    await pilot.press(key)
                await _settle(pilot)
                for footer in app.screen.query(Footer):
                    found[screen] = [
                        (f"{k.key_display} {k.description}", k.outer_size.width, k.region.right)
                        for k in footer.query(FooterKey)
                    ]
        return found

    footers = asyncio.run(walk())
    assert set(footers) == set(SCREENS) - {"help"}, footers.keys()
    for screen, keys in footers.items():
        total = sum(width for _, width, _ in keys)
        assert total <= 80, f"{LANG} {screen}: footer {total} cells: {keys}"
        for label, width, right in keys:
            assert right <= 80, f"{LANG} {screen}: {label!r} past the border"
            assert cell_len(label) + 2 <= width, f"{LANG} {screen}: {label!r} cut to {width} cells"
        assert any(label.startswith("f1 ") for label, _, _ in keys), f"{LANG} {screen}: no help key"
