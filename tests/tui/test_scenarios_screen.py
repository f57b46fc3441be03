"""Pilot tests of the Scenarios screen: list, steps with A/B figures, start/pause, unknown sends."""

from __future__ import annotations

from textual.widgets import DataTable, Tree

from crmtui.app import make_app
from crmtui.config import Settings
from crmtui.screens.confirm import ConfirmScreen
from crmtui.screens.scenarios import ScenariosScreen
from crmtui.store import Store
from crmtui.store.scenarios import Audience, Scenario, Step, TemplateRow, Variant, scenario_repo

HOSTILE = "\x1b[31mRouge\x1b[0m [bold]x[/bold]"


def seed(store: Store) -> None:
    s = Scenario(
        name=f"Bienvenue {HOSTILE}",
        window_start="00:00",
        window_end="24:00",
        send_days=[1, 2, 3, 4, 5, 6, 7],
        audience=Audience(emails=["anne@exemple.fr", "paul@exemple.fr"]),
        steps=[Step(1, "welcome", "a", variants=[Variant("A", "a", 1), Variant("B", "a", 1)])],
        templates={"a": TemplateRow("a", "Bonjour {{first_name}}", "<p>Bonjour {{contact_name}}</p>")},
    )
    scenario_repo(store).save(s)
    with store.write() as db:
        db.execute("UPDATE step_variants SET sent = 200, opened = 90 WHERE name = 'A'")
        db.execute("UPDATE step_variants SET sent = 200, opened = 40 WHERE name = 'B'")


async def test_list_steps_start_pause_and_stop_with_confirmation(settings: Settings, store: Store) -> None:
    seed(store)
    app = make_app(settings, store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("e")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ScenariosScreen)
        assert screen.query_one("#scenario-list", DataTable).row_count == 1
        tree = screen.query_one("#scenario-steps", Tree)
        labels = [str(n.label) for n in tree.root.children[0].children]
        assert any("45.0%" in label for label in labels)  # A: 90/200 opens
        assert any("p = 0.0000" in label or "beats" in label for label in labels)
        await pilot.press("a")  # start: enrols the audience
        await app.workers.wait_for_complete()
        scenario = scenario_repo(store).all()[0]
        assert scenario.status == "active"
        assert scenario_repo(store).sequence_counts(scenario.id) == {"active": 2}
        await pilot.press("p")
        await app.workers.wait_for_complete()  # the change runs in a worker
        assert scenario_repo(store).all()[0].status == "paused"
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.focused is not None and app.screen.focused.id == "confirm-no"
        await pilot.press("escape")
        await pilot.pause()
        assert scenario_repo(store).all()[0].status == "paused"
        await pilot.press("v")
        await pilot.pause()


async def test_reset_key_is_in_the_footer_and_refuses_with_the_reason(
    settings: Settings, store: Store
) -> None:
    from textual.widgets._footer import FooterKey

    seed(store)
    app = make_app(settings, store)
    async with app.run_test(size=(200, 40)) as pilot:
        await pilot.press("e")
        await app.workers.wait_for_complete()
        await pilot.pause()
        footer = {(k.key, k.description) for k in app.screen.query(FooterKey)}
        assert ("R", "Reset tests") in footer
        await pilot.press("a")  # start: the audience is enrolled for real
        await app.workers.wait_for_complete()
        await pilot.pause()
        root = str(app.screen.query_one("#scenario-steps", Tree).root.label)
        assert "2 due · 0 scheduled, 0 held by the cooldown · next send -" in root, root
        await pilot.press("R")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.click("#confirm-yes")
        await app.workers.wait_for_complete()  # the reset runs in a worker (a write never blocks a key)
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("cannot be reset: 2 real contact(s) enrolled" in m for m in messages), messages
    assert scenario_repo(store).sequence_counts() == {"active": 2}


async def test_unknown_sends_page_from_sql_and_settle_through_the_confirmation(
    settings: Settings, store: Store
) -> None:
    """More unknown sends than a window: End reads the last ones (keyset), m settles the one under the
    cursor after the confirmation, and the window is read again around it (the reviewed-queue widget)."""
    from crmtui.widgets.paged_table import WINDOW
    from crmtui.widgets.scenario_unknown import UnknownTable

    seed(store)
    saved = scenario_repo(store).all()[0]
    rows = WINDOW + 50
    with store.write() as db:
        for i in range(rows):
            db.execute(
                "INSERT INTO operation_ledger (key, scenario_id, step_id, position, contact, template, status, "
                "local_day, claimed_at, owner, message_id) VALUES (?, ?, ?, 1, ?, 'a', 'unknown', "
                "'2026-12-01', ?, 'test', ?)",
                (
                    f"k{i:05d}",
                    saved.id,
                    saved.steps[0].id,
                    f"c{i}@exemple.fr",
                    f"2026-12-01T10:{i // 60:02d}:{i % 60:02d}",
                    f"<m{i}@x>",
                ),
            )
    app = make_app(settings, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ScenariosScreen)
        table = screen.query_one(UnknownTable)
        assert table.row_count == WINDOW and table.at_start and not table.at_end
        table.focus()
        await pilot.press("end")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert table.current_email() == f"k{rows - 1:05d}" and table.at_end
        await pilot.press("up", "m")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        statuses = {r["key"]: r["status"] for r in store.query("SELECT key, status FROM operation_ledger")}
        assert statuses[f"k{rows - 2:05d}"] == "sent" and list(statuses.values()).count("unknown") == rows - 1
        assert f"k{rows - 2:05d}" not in table.visible_keys() and table.at_end
        assert table.current_email() in (f"k{rows - 1:05d}", f"k{rows - 3:05d}")
