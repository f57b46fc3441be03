"""Pilot tests of the Connectors screen: SES and SMTP are tested too, and the fix of a failed
connector is readable at 80x24 in the pane under the table (in French as well)."""

from __future__ import annotations

from dataclasses import replace

from textual.widgets import DataTable, Static

from crmtui.app import make_app
from crmtui.config import load_settings
from crmtui.i18n import set_language
from crmtui.sandbox.harness import running_sandbox
from crmtui.store import Store


def _pane_text(app: object) -> str:
    pane = app.screen.query_one("#connector-verdict", Static)  # type: ignore[attr-defined]
    return str(pane.render())


async def _run(lang: str) -> tuple[dict[str, str], str, bool]:
    set_language(lang)
    with running_sandbox(50) as sb:
        settings = sb.apply_to(load_settings({}, env_file=None, sandbox=True))
        settings = replace(settings, lang=lang, email_from="Quelqu'un <news@non-verifie.fr>")  # not SES
        set_language(lang)  # load_settings chose the language from the (empty) environment
        store = Store(settings.store_path)
        app = make_app(settings, store)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("c")
            await pilot.press("t")
            await app.workers.wait_for_complete()
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            table = app.screen.query_one("#connectors-table", DataTable)
            statuses = {
                name: table.get_row(name)[2].plain for name in ("copper", "mailchimp", "odoo", "ses", "smtp")
            }
            pane = app.screen.query_one("#connector-verdict", Static)
            visible = pane.region.height > 0 and pane.region.bottom <= 23  # above the footer
            text = _pane_text(app)
        store.close()
    return statuses, text, visible


async def test_ses_and_smtp_are_tested_and_the_fix_shows_at_80x24() -> None:
    statuses, pane, visible = await _run("en")
    assert "not tested" not in statuses["ses"] and "not tested" not in statuses["smtp"]
    assert "connected to 127.0.0.1" in statuses["smtp"]
    assert "news@non-verifie.fr is not an SES identity" in statuses["ses"]
    # The cursor goes to the first failure and its whole fix is in the pane, on screen.
    assert visible
    assert "→ create the identity in the SES console" in pane.replace("\n", " ")
    assert "non-verifie.fr, or change EMAIL_FROM" in pane.replace("\n", " ")


async def test_connector_verdicts_in_french() -> None:
    statuses, pane, _visible = await _run("fr")
    assert "connecté à 127.0.0.1" in statuses["smtp"] and "sans chiffrement" in statuses["smtp"]
    assert "n'est pas une identité SES" in statuses["ses"]
    assert "connecté en tant que" in statuses["copper"] and "abonnés" in statuses["mailchimp"]
    assert "base « " in statuses["odoo"]
    assert "changez EMAIL_FROM" in pane.replace("\n", " ")
