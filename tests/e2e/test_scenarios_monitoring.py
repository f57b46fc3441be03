"""``crmtui scenarios status|op|reset``: the document's monitoring snippets as commands, end to end.

A scenario is imported, a test send goes through a real SMTP sink (``crmtui scenarios run --once``),
and the commands read the store the way an operator would, with the documented exit codes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crmtui.cli.entry import main
from crmtui.sandbox.mail import SmtpSink

SCENARIO = """
name = "Prospection initiale"
timezone = "UTC"
scenario.send_days = 'mon,tue,wed,thu,fri,sat,sun'
scenario.send_window_start = '00:00'
scenario.send_window_end = '24:00'

[audience]
emails = ["client@exemple-vignoble.fr"]

[[steps]]
position = 1
name = "Email initial"
trigger = "entry"
template = "a"
variants = [{ name = "Classique", template = "a", weight = 60 }, { name = "Courte", template = "b", weight = 40 }]

[[steps]]
position = 2
name = "Suivi si ouvert"
trigger = "opened"
parent = 1
delay_days = 2
template = "b"

[templates.a]
subject = "Bonjour {{domain}}"
html = "<p>Bonjour {{domain}}</p><a href='{{tracking_base}}https://votre-site.com/offer'>Offre</a>"
[templates.b]
subject = "Offre courte"
html = "<p>Offre</p><a href='https://votre-site.com/court'>Voir</a>"
"""

HUMAN = {"user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/126.0"}
TESTERS = ["test1@exemple.fr", "test2@exemple.fr", "test3@exemple.fr"]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> object:
    monkeypatch.setenv("CRMTUI_DB", str(tmp_path / "crm.db"))
    monkeypatch.setenv("EMAIL_FROM", "Domaine <shop@domaine-exemple.fr>")

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--no-sandbox", "scenarios", *args])
        out = capsys.readouterr()
        assert "Traceback" not in out.out + out.err
        return code, out.out, out.err

    src = tmp_path / "prospection.toml"
    src.write_text(SCENARIO, encoding="utf-8")
    assert run("import", str(src))[0] == 0
    return run


def send_tests(cli: object, monkeypatch: pytest.MonkeyPatch) -> SmtpSink:
    assert cli("test", "Prospection initiale", *TESTERS)[0] == 0  # type: ignore[operator]
    sink = SmtpSink().start()
    for key, value in sink.env().items():
        monkeypatch.setenv(key, value)
    try:
        code, out, err = cli("run", "--once")  # type: ignore[operator]
        assert code == 0 and "3 sent" in out, out + err
    finally:
        sink.stop()
    return sink


def test_status_shows_pending_sequences_and_per_variant_figures(
    cli: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = cli("status", "Prospection initiale")  # type: ignore[operator]
    assert code == 0
    assert "pending sends: 0 due now" in out and "sequences: active 0 · stopped 0" in out
    assert "verdict (opened): nothing sent yet" in out
    send_tests(cli, monkeypatch)
    code, out, _ = cli("status")  # every scenario
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith(
        "Prospection initiale — draft (window 00:00–24:00 mon,tue,wed,thu,fri,sat,sun, UTC"
    )
    assert "0 due now, 0 scheduled" in out and "3 waiting for an event" in out  # the opened branch waits
    assert "ledger: 0 being sent, 0 deferred (retried), 0 of unknown outcome" in out
    assert "sequences: active 0 · waiting 3 · stopped 0" in out
    assert "step 1 “Email initial” (entry)" in out and "step 2 “Suivi si ouvert” (opened)" in out
    variants = [line.split() for line in lines if line.strip().startswith(("Classique", "Courte"))]
    assert sum(int(v[2]) for v in variants) == 3 and all(v[4] == "0.0%" for v in variants)
    assert any("verdict (opened): no significant difference" in line for line in lines)
    assert cli("status", "Nope")[0] == 2  # type: ignore[operator]


def test_op_shows_one_operation_with_its_events(cli: object, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from crmtui.config import load_settings
    from crmtui.engine.events_in import EventProcessor
    from crmtui.engine.sending_rules import tracking_signer
    from crmtui.engine.tracking import click_url, open_url
    from crmtui.store import Store
    from tests.integration.events_support import app_for, client_for

    send_tests(cli, monkeypatch)
    settings = load_settings(env_file=None, sandbox=False)
    store = Store(settings.store_path)
    try:
        key, message_id = store.query(
            "SELECT key, message_id FROM operation_ledger WHERE contact = ?", (TESTERS[0],)
        )[0].values()
        signer, base = tracking_signer(settings), settings.public_base_url

        async def open_and_click() -> None:  # the recipient opens the email, then clicks its link
            async with client_for(app_for(settings, store)) as client:
                await client.get(open_url(base, signer, message_id), headers=HUMAN)
                await client.get(click_url(base, signer, message_id, 0), headers=HUMAN)

        asyncio.run(open_and_click())
        EventProcessor(settings, store).process_pending()
    finally:
        store.close()
    code, out, _ = cli("op", key[:16])  # type: ignore[operator]
    assert code == 0, out
    assert out.startswith(f"operation {key}")
    assert "scenario Prospection initiale › step 1 “Email initial” › variant" in out
    assert f"contact: {TESTERS[0]}" in out and "status: sent (attempts 1)" in out
    assert re.search(r"sent \S+ by smtp", out) and f"Message-ID: {message_id}" in out
    assert re.search(r"email: sent, “[^”]+”, opened \S+, clicked", out)
    events = out.split("events:", 1)[1]
    assert " open " in events and " click " in events, out
    code, _, err = cli("op", "0000000000000000")  # type: ignore[operator]
    assert code == 2 and "no operation with key" in err
    assert cli("op", key[:3])[0] == 2  # type: ignore[operator]  # too short to name one


def test_reset_only_a_scenario_with_only_test_sends(cli: object, monkeypatch: pytest.MonkeyPatch) -> None:
    send_tests(cli, monkeypatch)
    code, out, err = cli("reset", "Prospection initiale")  # type: ignore[operator]
    assert code == 0 and "3 test sequence(s) cleared" in out, err
    code, out, _ = cli("status", "Prospection initiale")  # type: ignore[operator]
    assert "sequences: active 0 · stopped 0" in out and "nothing sent yet" in out
    send_tests(cli, monkeypatch)  # the test runs again: the ledger no longer holds those sends
    # Started: the audience is enrolled and sent to for real; a reset is refused, saying why.
    assert cli("start", "Prospection initiale")[0] == 0  # type: ignore[operator]
    sink = SmtpSink().start()
    for key, value in sink.env().items():
        monkeypatch.setenv(key, value)
    try:
        assert cli("run", "--once")[0] == 0  # type: ignore[operator]
    finally:
        sink.stop()
    assert len(sink.deliveries) == 1
    code, _, err = cli("reset", "Prospection initiale")  # type: ignore[operator]
    assert code == 2
    assert "“Prospection initiale” cannot be reset: 1 real contact(s) enrolled" in err
    assert "1 send(s) to contacts that are not test contacts" in err
    assert cli("reset", "Nope")[0] == 2  # type: ignore[operator]
