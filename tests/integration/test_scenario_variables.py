"""``{{siret}}``, ``{{domain}}`` and the others: filled from their source, and the preview says which.

The SIRET lives in a Copper custom field (the estate's Copper has one per company); the sync keeps
the person's custom fields and company in its snapshot, and COPPER_SIRET_FIELD names the field.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crmtui.config import Settings, load_settings
from crmtui.engine.identity import normalize_email
from crmtui.engine.preview import render_preview
from crmtui.engine.sync import run_sync
from crmtui.sandbox.harness import Sandbox, running_sandbox
from crmtui.store import Store
from crmtui.store.scenarios import Scenario, Step, TemplateRow
from crmtui.text import printable
from tests.integration.test_sync import copper_put

SIRET_FIELD = 100800


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with running_sandbox(20, seed=5) as sb:
        yield sb


def make_settings(sb: Sandbox, tmp_path: Path, **env: str) -> Settings:
    base = {
        "CRMTUI_DATA_DIR": str(tmp_path / "data"),
        "SYNC_MODE": "production",
        "CRMTUI_TRACKING_SECRET": "test-tracking-secret-0123456789",
        "CRMTUI_PUBLIC_URL": "https://crm.domaine-exemple.test",
        "EMAIL_FROM": "shop@domaine-exemple.fr",
        **env,
    }
    return sb.apply_to(load_settings(base, env_file=None, sandbox=True))


TEMPLATE = TemplateRow(
    "t",
    "Offre pour {{company}}",
    "<p>Bonjour {{contact_name}} ({{domain}}), SIRET {{siret}}, segment {{segment}}</p>"
    "<a href='{{unsubscribe_link}}'>stop</a>",
)
SCENARIO = Scenario(name="Variables", steps=[Step(1, "one", "t")], templates={"t": TEMPLATE})


async def test_siret_from_the_copper_custom_field_and_every_source_named(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    settings = make_settings(sandbox, tmp_path, COPPER_SIRET_FIELD=str(SIRET_FIELD))
    person = next(iter(sandbox.copper.people.values()))
    email = normalize_email(person["emails"][0]["email"])
    copper_put(
        sandbox,
        person["id"],
        company_name="Cave des Coteaux",
        custom_fields=[{"custom_field_definition_id": SIRET_FIELD, "value": "12345678900011"}],
    )
    store = Store(settings.store_path)
    try:
        run_id = store.runs.start("sync", mode=settings.sync_mode)
        await run_sync(settings, store, run_id=run_id)
        preview = render_preview(settings, store, SCENARIO, SCENARIO.steps[0], email)
        assert "SIRET 12345678900011" in preview.html
        assert preview.subject == "Offre pour Cave des Coteaux"
        sources = {v.name: (v.value, v.source) for v in preview.variables}
        assert set(sources) == {"company", "contact_name", "domain", "siret", "segment", "unsubscribe_link"}
        assert sources["siret"] == (
            "12345678900011",
            f"Copper custom field {SIRET_FIELD} (COPPER_SIRET_FIELD)",
        )
        assert sources["domain"] == (email.split("@")[1], "the contact's address, after @")
        assert sources["company"] == ("Cave des Coteaux", "the Copper person's company")
        assert sources["contact_name"][1] == "first and last name (synced Copper contact)"
        assert sources["segment"][1] == "empty: no ETL customer with this address has it"
        assert sources["unsubscribe_link"][0].startswith("https://crm.domaine-exemple.test/u/")
        # Without the setting the preview says why {{siret}} is empty.
        unset = render_preview(make_settings(sandbox, tmp_path), store, SCENARIO, SCENARIO.steps[0], email)
        siret = next(v for v in unset.variables if v.name == "siret")
        assert siret.value == "" and "COPPER_SIRET_FIELD is not set" in siret.source
        assert "SIRET ," in unset.html
    finally:
        store.close()


def test_preview_screen_text_lists_the_variables(tmp_path: Path) -> None:
    from crmtui.engine.preview import Preview
    from crmtui.engine.variables import Explained
    from crmtui.screens.template_preview import preview_text

    text = preview_text(
        Preview("a@b.fr", "t", "", "s", "x", "<p>x</p>", variables=(Explained("siret", "", "empty: why"),))
    ).plain
    assert "{{siret}} = —  ← empty: why" in printable(text, single_line=False)


def test_bad_siret_field_setting_is_one_message() -> None:
    from crmtui.config import ConfigError

    with pytest.raises(ConfigError) as err:
        load_settings({"COPPER_SIRET_FIELD": "SIRET"}, env_file=None, sandbox=True)
    assert "COPPER_SIRET_FIELD" in err.value.render() and "Copper custom field id" in err.value.render()
