"""``crmtui scenarios import``: the document's settings lines accepted; bad values and template errors are
one message each, naming what is wrong, exit 2, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmtui.cli.entry import main

HEAD = """name = "Prospection initiale"
scenario.daily_cap = 500              # Max 500 emails/jour
scenario.cooldown_days = 3            # Attendre 3 jours entre 2 contacts
scenario.send_window_start = '09:00'  # Envoyer entre 9h
scenario.send_window_end = '17:30'    # et 17h30
scenario.send_days = 'mon,tue,wed,thu,fri'  # Jours ouvrés seulement
scenario.timezone = 'Europe/Paris'    # Fuseau horaire
scenario.min_validation_score = 80   # Score minimum de validation email
scenario.only_deliverable = True     # Uniquement emails délivrables
scenario.exclude_domains = 'gmail.com,yahoo.com'  # Domaines exclus
scenario.stop_on_reply = True         # Arrêter si réponse reçue
scenario.stop_on_unsubscribe = True   # Arrêter si désinscription
scenario.include_unsubscribe = True   # Inclure lien désinscription

[[steps]]
name = "Email initial"
template = "offre"

[templates.offre]
subject = "Bonjour {{domain}}"
"""
GOOD_HTML = """html = '''{% if segment == "VIP" %}<p>Remise VIP</p>{% endif %}
<a href="{{tracking_base}}https://votre-site.com/offer">Découvrir notre offre</a>'''
"""


def run(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str) -> tuple[int, str, str]:
    path = tmp_path / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    code = main(["--no-sandbox", "--db", str(tmp_path / "crm.db"), "scenarios", "import", str(path)])
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    return code, out.out, out.err


def test_the_documents_settings_and_a_conditional_template_import(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(tmp_path, capsys, HEAD + GOOD_HTML)
    assert code == 0, err
    assert "Prospection initiale" in out
    main(["--no-sandbox", "--db", str(tmp_path / "crm.db"), "scenarios", "export", "Prospection initiale"])
    exported = capsys.readouterr().out
    assert 'days = ["mon", "tue", "wed", "thu", "fri"]' in exported
    assert 'exclude_domains = ["gmail.com", "yahoo.com"]' in exported


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("'mon,tue,wed,thu,fri'", "'lun,mar,mecredi'"), "unknown send day(s): “mecredi”"),
        (("'gmail.com,yahoo.com'", "'gmail.com,yahoo'"), "exclude_domains: “yahoo” is not a domain name"),
        (("stop_on_unsubscribe = True", "stop_on_unsubscribe = False"), "never receives marketing email"),
        (("{% endif %}", ""), "template “offre” (html, line 2): syntax error"),
        (("segment ==", "segmnet =="), "template “offre”: unknown variable(s) {{segmnet}}"),
    ],
)
def test_a_bad_value_is_one_message_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: tuple[str, str], expected: str
) -> None:
    code, _, err = run(tmp_path, capsys, (HEAD + GOOD_HTML).replace(*change))
    assert code == 2
    assert expected in err, err
