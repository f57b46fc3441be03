"""Exports written exactly as the estate's document describes them (seed 003, "Mapping iSaVigne →
Canonique"): every column of its four tables lands in its canonical column (#11)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from crmtui.cli.entry import main
from crmtui.config import Settings, load_settings
from crmtui.engine.etl import SourceManager
from crmtui.store import Store
from crmtui.store.etl import etl_repo

CLIENTS = (
    "code_client;nom;email;telephone;mobile;code_postal;ville;pays\n"
    "C12345;Jean Dupont;jean@example.com;03 88 12 34 56;06 12 34 56 78;67000;Strasbourg;France\n"
    "C12346;DUPONT Marie;marie@example.com;;;67000;Strasbourg;\n"
    'C12347;Élodie Müller;elodie@example.com;;;68000;"Colmar; Haut-Rhin";Suisse\n'
)
PRODUITS = (
    "produit_key,nom,couleur,prix,cout,cepages,millesime,region\n"
    'RIESLING-2020-75CL,Riesling 2020,blanc,"45,50","18,00","Riesling",2020,Alsace\n'
    'CREMANT-BRUT,"Crémant; Brut",mousseux,"1 250,00","9,00","Pinot Blanc, Auxerrois ,Chardonnay",,Alsace\n'
)
VENTES = (
    "code_client;produit_key;date;quantite;unite;prix_unitaire\n"
    "C12345;RIESLING-2020-75CL;15/12/2025;2;bouteille;45,50\n"
    "C12345;RIESLING-2020-75CL;16/12/2025;1;caisse;45,50\n"
    "C12346;RIESLING-2020-75CL;17/12/2025;3;magnum;91,00\n"
    "C12346;CREMANT-BRUT;18/12/2025;1;caisse de 6;60,00\n"
    "C12347;CREMANT-BRUT;19/12/2025;2;demi-bouteille;8,00\n"
)
STOCK = (
    "produit_key;entrepot;quantite;unite\n"
    "RIESLING-2020-75CL;Principal;150;bouteille\n"
    "RIESLING-2020-75CL;Entrepôt2;20;magnum\n"
    "CREMANT-BRUT;Principal;5;carton 12\n"
)


def _write(folder: Path, encoding: str, bom: bool = False) -> Path:
    folder.mkdir(parents=True)
    prefix = "\ufeff" if bom else ""
    for name, text in (
        ("export_clients_2026.csv", CLIENTS),
        ("produits.csv", PRODUITS),
        ("ventes_decembre.csv", VENTES),
        ("stock.csv", STOCK),
    ):
        (folder / name).write_bytes((prefix + text).encode(encoding))
    return folder


@pytest.mark.parametrize(("encoding", "bom"), [("utf-8", True), ("utf-8", False), ("cp1252", False)])
async def test_the_documents_tables_land_in_every_canonical_column(
    settings: Settings, store: Store, tmp_path: Path, encoding: str, bom: bool
) -> None:
    folder = _write(tmp_path / "exports", encoding, bom)
    manager = SourceManager(dataclasses.replace(settings, isavigne_export_path=folder), store)
    result = await manager.run("isavigne")
    assert result.status == "ok", result.errors
    assert not result.refused
    repo = etl_repo(store)
    jean = repo.get("customers", "isavigne-C12345")
    assert jean is not None
    assert (jean["first_name"], jean["last_name"]) == ("Jean", "Dupont")
    assert jean["email"] == "jean@example.com"
    assert jean["phone"] == "+33388123456" and jean["mobile"] == "+33612345678"
    assert (jean["zip_code"], jean["city"], jean["country"]) == ("67000", "Strasbourg", "France")
    marie = repo.get("customers", "isavigne-C12346")
    assert marie is not None and (marie["first_name"], marie["last_name"]) == ("Marie", "DUPONT")
    assert marie["country"] == "France"  # default
    elodie = repo.get("customers", "isavigne-C12347")
    assert elodie is not None and elodie["first_name"] == "Élodie" and elodie["city"] == "Colmar; Haut-Rhin"
    assert elodie["country"] == "Suisse"

    riesling = repo.get("product_catalog", "RIESLING-2020-75CL")  # the reference itself, unprefixed
    assert riesling is not None
    assert riesling["name"] == "Riesling 2020" and riesling["category"] == "BLANC"
    assert riesling["list_price_eur"] == 45.5 and riesling["cost_price_eur"] == 18.0
    assert riesling["grape_varieties"] == "Riesling" and riesling["vintage"] == 2020
    assert riesling["region"] == "Alsace"
    cremant = repo.get("product_catalog", "CREMANT-BRUT")
    assert cremant is not None and cremant["name"] == "Crémant; Brut" and cremant["category"] == "MOUSSEUX"
    assert cremant["list_price_eur"] == 1250.0
    assert cremant["grape_varieties"] == "Pinot Blanc, Auxerrois, Chardonnay"

    lines = {(r["customer_key"], r["date_sale"]): r for r in repo.rows("sales_lines", limit=50)}
    assert len(lines) == 5
    first = lines[("isavigne-C12345", "2025-12-15")]
    assert first["product_key"] == "RIESLING-2020-75CL"
    assert first["quantity_units"] == 2 and first["quantity_bottles_75cl_eq"] == 2
    assert first["price_unit_eur"] == 45.5 and first["price_total_eur"] == 91.0
    assert lines[("isavigne-C12345", "2025-12-16")]["quantity_bottles_75cl_eq"] == 12  # a bare caisse
    assert lines[("isavigne-C12346", "2025-12-17")]["quantity_bottles_75cl_eq"] == 6  # 3 magnums
    assert lines[("isavigne-C12346", "2025-12-18")]["quantity_bottles_75cl_eq"] == 6  # caisse de 6
    assert lines[("isavigne-C12347", "2025-12-19")]["quantity_bottles_75cl_eq"] == 1  # 2 halves

    stock = {(r["product_key"], r["warehouse"]): r for r in repo.rows("stock_levels", limit=50)}
    assert stock[("RIESLING-2020-75CL", "Principal")]["quantity_bottles_75cl_eq"] == 150
    magnums = stock[("RIESLING-2020-75CL", "Entrepôt2")]
    assert magnums["quantity_units"] == 20 and magnums["quantity_bottles_75cl_eq"] == 40
    assert stock[("CREMANT-BRUT", "Principal")]["quantity_bottles_75cl_eq"] == 60


async def test_headers_in_any_case_with_accents_and_spaces(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    folder = tmp_path / "ex"
    folder.mkdir()
    (folder / "produits.csv").write_text(
        "Produit Key;NOM;Couleur;Prix;Coût;Cépages;Millésime;Région\nA1;Vin;rouge;10;5;Merlot;2019;Bordeaux\n",
        encoding="utf-8",
    )
    manager = SourceManager(dataclasses.replace(settings, isavigne_export_path=folder), store)
    result = await manager.run("isavigne")
    row = etl_repo(store).get("product_catalog", "A1")
    assert (
        row is not None
        and row["cost_price_eur"] == 5
        and row["vintage"] == 2019
        and row["region"] == "Bordeaux"
    )
    # The three kinds without a file are named, and nothing is refused.
    notes = [e.reason for e in etl_repo(store).errors(result.etl_run_id)]
    assert sum("file found" in n for n in notes) == 3 and not result.refused


async def test_the_operators_own_column_names(settings: Settings, store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "ex"
    folder.mkdir()
    (folder / "clients.csv").write_text("Numéro fidélité;Nom complet\nF9;Anne Martin\n", encoding="utf-8")
    env = tmp_path / ".env"
    env.write_text("ISAVIGNE_COLUMNS=clients:Numéro fidélité=code; clients:Nom complet=last_name\n")
    env.chmod(0o600)
    configured = load_settings(env_file=env, sandbox=False)
    assert configured.isavigne_columns == {"clients": {"numero_fidelite": "code", "nom_complet": "last_name"}}
    manager = SourceManager(
        dataclasses.replace(
            settings, isavigne_export_path=folder, isavigne_columns=configured.isavigne_columns
        ),
        store,
    )
    result = await manager.run("isavigne")
    assert not result.refused
    row = etl_repo(store).get("customers", "isavigne-F9")
    assert row is not None and (row["first_name"], row["last_name"]) == ("Anne", "Martin")


def test_a_bad_column_mapping_names_the_file_the_column_and_the_field(tmp_path: Path) -> None:
    from crmtui.config import ConfigError

    env = tmp_path / ".env"
    env.write_text("ISAVIGNE_COLUMNS=ventes:Qté livrée=quantite\n")
    env.chmod(0o600)
    with pytest.raises(ConfigError) as caught:
        load_settings(env_file=env, sandbox=False)
    text = caught.value.render()
    assert "ventes" in text and "Qté livrée" in text and "quantite" in text


async def test_last_first_exports(settings: Settings, store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "ex"
    folder.mkdir()
    (folder / "clients.csv").write_text(
        "code_client;nom\nC1;Dupont Jean\nC2;LE GALL Anne\n", encoding="utf-8"
    )
    manager = SourceManager(
        dataclasses.replace(settings, isavigne_export_path=folder, isavigne_name_order="last_first"), store
    )
    await manager.run("isavigne")
    repo = etl_repo(store)
    assert (repo.get("customers", "isavigne-C1") or {}).get("first_name") == "Jean"
    assert (repo.get("customers", "isavigne-C2") or {}).get("last_name") == "LE GALL"


def test_a_refused_file_exits_1_with_its_reason_and_fix(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _write(tmp_path / "ex", "utf-8")
    (folder / "stock.csv").write_text("article_inconnu;entrepot\nX;Principal\n", encoding="utf-8")
    (folder / "ventes_binaire.csv").write_bytes(b"\x00\x01\x02PK\x00")
    monkeypatch.setenv("ISAVIGNE_EXPORT_PATH", str(folder))
    assert main(["--headless", "--only", "etl"]) == 1
    out = capsys.readouterr().out
    refused = [line for line in out.splitlines() if "refused:" in line]
    assert len(refused) == 2, out
    assert any("stock.csv" in line and "ISAVIGNE_COLUMNS" in line for line in refused)
    assert any("ventes_binaire.csv" in line and "binary" in line for line in refused)
    assert "step etl: failed" in out
    store = Store(tmp_path / "data" / "crmtui.db")
    try:
        repo = etl_repo(store)
        assert repo.counts()["customers"] == 3  # the other files still loaded
        report = Path(store.runs.recent(1)[0].summary["etl"]["quality_report"]).read_text()
        assert "stock.csv" in report and "refused" in report
    finally:
        store.close()
    # --full reads every file again (none is "unchanged").
    assert main(["--headless", "--only", "etl", "--full"]) == 1
    assert "unchanged" not in capsys.readouterr().out
