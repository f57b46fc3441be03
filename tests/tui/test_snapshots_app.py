"""Snapshots of the dashboard and help at 80x24 (``pytest --snapshot-update`` after reviewing the report).

Deterministic: figures and rows written through the store with pinned dates; a hostile name included.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from crmtui.app import CrmApp, make_app
from crmtui.config import Settings
from crmtui.store import Store

SnapCompare = Callable[..., bool]
HOSTILE = "\x1b[31mRouge\x1b[0m [bold]Gras[/bold] [@click=app.quit]Quitter[/]"


@pytest.fixture
def app(settings: Settings, store: Store) -> CrmApp:
    with store.write() as db:
        for i in range(3):
            db.execute(
                "INSERT INTO contacts (email, first_name, updated_at) VALUES (?, ?, '2026-01-01')",
                (f"c{i}@exemple.fr", "Élodie"),
            )
        for email, name, tag in (
            ("marie.dupont@exemple.fr", "Marie DUPONT", "🗑 À SUPPRIMER"),
            ("hostile@exemple.fr", HOSTILE, "a supprimer"),
        ):
            db.execute(
                "INSERT INTO deletion_queue (email, name, tag, detected_at) VALUES (?, ?, ?, ?)",
                (email, name, tag, "2026-11-02T10:00:00+00:00"),
            )
        db.execute(
            "INSERT INTO sync_runs (kind, mode, started_at, finished_at, status, total, succeeded, failed, skipped) "
            "VALUES ('cycle', 'test', '2026-11-02T09:00:00+00:00', '2026-11-02T09:00:12+00:00', 'partial', "
            "12, 11, 1, 40)"
        )
    return make_app(settings, store)


async def _settle(pilot: object) -> None:
    app = pilot.app  # type: ignore[attr-defined]
    await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]


def test_dashboard_80x24(snap_compare: SnapCompare, app: CrmApp, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    assert snap_compare(app, terminal_size=(80, 24), run_before=_settle)


def test_help_80x24(snap_compare: SnapCompare, app: CrmApp) -> None:
    assert snap_compare(app, press=["f1"], terminal_size=(80, 24), run_before=_settle)
