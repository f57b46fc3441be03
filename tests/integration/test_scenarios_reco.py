"""Scenario templates use the recommendation engine; a send records the suggestion; a later sale converts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from crmtui.config import Settings
from crmtui.engine import scenarios as sc
from crmtui.engine.etl import compute_rfm
from crmtui.engine.reco import conversions, recompute
from crmtui.engine.sending import run_tick
from crmtui.records.canonical import Batch, Customer, Product, SalesLine, StockLevel
from crmtui.sandbox.mail import SmtpSink
from crmtui.store import Store
from crmtui.store.etl import etl_repo
from crmtui.store.scenarios import Audience, Scenario, Step, TemplateRow, scenario_repo

EMAIL = "amateur.de.loire@exemple.fr"


def _world(store: Store) -> None:
    today = date.today()
    records: list[object] = []
    for key, name, region in (
        ("p-chinon", "Chinon Les Picasses 2020", "Loire — Chinon"),
        ("p-bourgueil", "Bourgueil Cuvée 2021", "Loire — Bourgueil"),
        ("p-saumur", "Saumur-Champigny 2022", "Loire — Saumur"),
        ("p-bordeaux", "Bordeaux Supérieur 2019", "Bordeaux — Bordeaux"),
    ):
        records.append(
            Product(
                product_key=key,
                name=name,
                category="ROUGE",
                price_segment="STANDARD",
                list_price_eur=18.0,
                grape_varieties="Cabernet Franc",
                vintage=2020,
                region=region,
                bottles_75cl_eq=1.0,
                source="t",
                active=True,
            )
        )
        records.append(
            StockLevel(
                stock_key=f"{key}@chai",
                product_key=key,
                warehouse="Chai",
                quantity_units=50,
                available_qty=50,
                source="t",
            )
        )
    records.append(
        Customer(customer_key="c-1", first_name="Anaïs", last_name="MOREAU", email=EMAIL, source="t")
    )
    for i, product in enumerate(("p-chinon", "p-bourgueil")):
        records.append(
            SalesLine(
                sale_line_key=f"s-{i}",
                order_ref=f"O{i}",
                customer_key="c-1",
                product_key=product,
                date_sale=(today - timedelta(days=30 + i)).isoformat(),
                quantity_units=6.0,
                quantity_bottles_75cl_eq=6.0,
                price_total_eur=108.0,
                source="t",
            )
        )
    etl_repo(store).load_batch("t", Batch(records=records))  # type: ignore[arg-type]
    compute_rfm(store)
    recompute(store, full=True)


async def test_template_gets_the_recommendation_and_a_sale_converts(settings: Settings, store: Store) -> None:
    _world(store)
    scenario = Scenario(
        name="Suggestion",
        window_start="00:00",
        window_end="24:00",
        send_days=[1, 2, 3, 4, 5, 6, 7],
        audience=Audience(emails=[EMAIL]),
        steps=[Step(1, "suggest", "a")],
        templates={
            "a": TemplateRow(
                "a",
                "Pour vous : {{recommended_product}}",
                "<p>{{recommended_product}} — {{recommendation_reason}}</p>",
            )
        },
    )
    scenario_repo(store).save(scenario)
    sc.start(store, "Suggestion")
    with SmtpSink() as sink:
        live = replace(
            settings,
            smtp_host=sink.host,
            smtp_port=sink.port,
            smtp_starttls=False,
            email_from="Domaine <contact@domaine-exemple.fr>",
        )
        result = await run_tick(live, store)
        assert result.sent == 1
        subject = sink.messages[0]["headers"]["Subject"]
    assert "Saumur-Champigny 2022" in subject  # the Loire wine not yet bought
    rows = store.query("SELECT product_key_suggested FROM contact_history WHERE source = 'scenarios'")
    assert [r["product_key_suggested"] for r in rows] == ["p-saumur"]
    # The customer buys the suggested wine after the send: one conversion for the scenario's variant.
    etl_repo(store).load_batch(
        "t",
        Batch(
            records=[
                SalesLine(
                    sale_line_key="s-after",
                    order_ref="O9",
                    customer_key="c-1",
                    product_key="p-saumur",
                    date_sale=datetime.now(UTC).date().isoformat(),
                    quantity_units=6.0,
                    quantity_bottles_75cl_eq=6.0,
                    price_total_eur=108.0,
                    source="t",
                )
            ]
        ),
    )
    [conv] = [c for c in conversions(store) if c.scenario == "Suggestion"]
    assert (conv.sends, conv.conversions) == (1, 1)
