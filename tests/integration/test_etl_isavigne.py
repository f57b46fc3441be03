"""iSaVigne exports into the canonical tables: sample data, CSV edge cases, incremental re-import."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date
from pathlib import Path

import pytest

from crmtui.config import Settings
from crmtui.engine.etl import SourceManager, SourceResult, run_quality
from crmtui.sandbox.isavigne_data import IsavigneExports, write_exports, write_malformed_csv
from crmtui.store import Store
from crmtui.store.etl import etl_repo

TODAY = date(2025, 6, 1)


@pytest.fixture
def exports(tmp_path: Path) -> IsavigneExports:
    return write_exports(tmp_path / "exports", customers=60, seed=7, export_date=TODAY)


def _settings(settings: Settings, folder: Path) -> Settings:
    return dataclasses.replace(settings, isavigne_export_path=folder)


async def _run(settings: Settings, store: Store, folder: Path, **kw: object) -> SourceResult:
    manager = SourceManager(_settings(settings, folder), store)
    return await manager.run("isavigne", **kw)  # type: ignore[arg-type]


async def test_sample_exports_load_into_the_canonical_tables(
    settings: Settings, store: Store, exports: IsavigneExports
) -> None:
    folder = exports["clients"].parent
    result = await _run(settings, store, folder)
    repo = etl_repo(store)
    counts = repo.counts()
    assert counts["customers"] == 60
    assert counts["product_catalog"] > 100
    assert counts["sales_lines"] > 300
    assert counts["stock_levels"] > 100
    # The malformed sales line is skipped with file and line, the rest of the file loads.
    line = exports["dirty"]["malformed_line"]
    assert result.status == "partial"
    assert result.skipped == 1
    assert any(e.location == f"{exports['ventes'].name}:{line}" for e in result.errors)
    assert result.processed["sales_lines"] == counts["sales_lines"] + 1
    # The client exported twice: one customer, a warning naming both lines.
    dup = exports["dirty"]["duplicate_client_code"]
    assert any(dup in e.reason for e in result.errors)
    # Invalid email kept as received and flagged; phones in E.164.
    bad = repo.get("customers", f"isavigne-{exports['dirty']['invalid_email_client']}")
    assert bad is not None and "email" in bad["invalid_fields"].split(",")
    for row in repo.rows("customers", limit=100):
        for phone in (row["phone"], row["mobile"]):
            if phone and "phone" not in row["invalid_fields"] and "mobile" not in row["invalid_fields"]:
                assert phone.startswith("+")
        assert row["country"] != "FR"
    # Excel customers: Nom split into first and last name, postcode zero restored.
    code = exports["dirty"]["xlsx_postcode_as_number"]
    if code:
        xl = repo.get("customers", f"isavigne-{code}")
        assert xl is not None
        assert xl["zip_code"] is not None and len(xl["zip_code"]) == 5 and xl["zip_code"].startswith("0")
        assert xl["first_name"] and xl["last_name"] and xl["last_name"].isupper()
    # Units to 75 cl equivalents via the product's format (sales lines say just "Carton").
    case = repo.rows("sales_lines", where="product_key LIKE '%-C6'", limit=1)[0]
    assert case["quantity_bottles_75cl_eq"] == pytest.approx(case["quantity_units"] * 6)
    product = repo.get("product_catalog", case["product_key"])
    assert product is not None and product["bottles_75cl_eq"] == 6
    assert product["category"] in ("ROUGE", "BLANC", "ROSÉ", "MOUSSEUX")


async def test_reimport_changes_nothing_and_a_changed_row_changes_one(
    settings: Settings, store: Store, exports: IsavigneExports, tmp_path: Path
) -> None:
    folder = exports["clients"].parent
    await _run(settings, store, folder)
    before = etl_repo(store).checksum()
    again = await _run(settings, store, folder)
    assert again.changed_total == 0
    assert again.files_unchanged == 5
    assert etl_repo(store).checksum() == before
    # The same content under another name (tomorrow's export, identical): skipped by hash.
    ventes = exports["ventes"]
    renamed = ventes.with_name("ventes_20250602.csv")
    shutil.move(ventes, renamed)
    third = await _run(settings, store, folder)
    assert third.changed_total == 0 and third.files_unchanged == 5
    # One quantity edited: the file is read again, one row changes.
    raw = renamed.read_bytes().decode("cp1252").splitlines(keepends=True)
    fields = raw[5].split(";")
    fields[4] = str(int(fields[4]) + 1)
    raw[5] = ";".join(fields)
    renamed.write_bytes("".join(raw).encode("cp1252"))
    fourth = await _run(settings, store, folder)
    assert fourth.changed == {"sales_lines": 1}
    assert fourth.files_unchanged == 4


async def test_full_run_reads_everything_again_and_changes_nothing(
    settings: Settings, store: Store, exports: IsavigneExports
) -> None:
    folder = exports["clients"].parent
    await _run(settings, store, folder)
    full = await _run(settings, store, folder, full=True)
    assert full.files_unchanged == 0
    assert full.read > 0
    assert full.changed_total == 0


def _write(folder: Path, name: str, text: str, encoding: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize(
    ("encoding", "name"),
    [
        ("utf-8-sig", "clients_bom.csv"),
        ("utf-8", "clients_utf8.csv"),
        ("cp1252", "clients_win.csv"),
        ("latin-1", "clients_latin.csv"),
    ],
)
async def test_encodings(settings: Settings, store: Store, tmp_path: Path, encoding: str, name: str) -> None:
    text = "Code client;Nom;Prénom;E-mail\r\nC1;LEFÈVRE;Hélène;helene@exemple.fr\r\nC2;ŒUVRARD;Zoé;zoe@exemple.fr\r\n"
    if encoding == "latin-1":
        text = text.replace("Œ", "OE")
    _write(tmp_path / "ex", name, text, encoding)
    result = await _run(settings, store, tmp_path / "ex")
    assert result.status == "ok", result.errors
    row = etl_repo(store).get("customers", "isavigne-C1")
    assert row is not None and row["last_name"] == "LEFÈVRE" and row["first_name"] == "Hélène"


async def test_csv_edge_cases(settings: Settings, store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "ex"
    # Comma-delimited, quoted separators, blank lines, an extra unknown column, no optional columns.
    _write(
        folder,
        "produits.csv",
        'Ref,Libellé,Couleur,Prix TTC,Notes\n"A1","Crémant ""Brut"", Jura",,"12,50","a; b, c"\n\n\nA2,Vin rouge,,"1 234,00",\n',
        "utf-8",
    )
    # Tab-delimited stock, ISO dates with time, thousands separators.
    _write(
        folder,
        "stock.txt",
        "Référence\tEntrepôt\tQuantité\tRéservé\tDate inventaire\nA1\tChai\t1\u00a0200\t12\t2025-05-30 08:15:00\n",
        "utf-8",
    )
    # Semicolon sales with a quoted semicolon in the channel, a short row and an unreadable date.
    _write(
        folder,
        "ventes.csv",
        "N° pièce;Date;Code client;Référence;Quantité;Unité\n"
        'F1;01/05/2025;C1;A1;2;"Caisse 6; bois"\n'
        "F1;01/05/2025;C1;A2\n"
        "F2;32/05/2025;C1;A2;1;Bouteille\n"
        "F3;2025-05-02;C1;a1;3;Magnum\n",
        "cp1252",
    )
    result = await _run(settings, store, folder)
    repo = etl_repo(store)
    a1 = repo.get("product_catalog", "A1")
    assert a1 is not None and a1["name"] == 'Crémant "Brut", Jura' and a1["category"] == "MOUSSEUX"
    assert a1["list_price_eur"] == 12.5 and a1["price_segment"] == "ENTRY"
    a2 = repo.get("product_catalog", "A2")
    assert a2 is not None and a2["list_price_eur"] == 1234.0 and a2["category"] == "ROUGE"
    assert a2["price_segment"] == "LUXURY"
    stock = repo.rows("stock_levels")
    assert [(s["quantity_units"], s["reserved_qty"], s["available_qty"]) for s in stock] == [
        (1200.0, 12.0, 1188.0)
    ]
    assert stock[0]["last_count_date"] == "2025-05-30 08:15:00"
    lines = {r["sale_line_key"]: r for r in repo.rows("sales_lines")}
    assert set(lines) == {"isavigne-F1-A1", "isavigne-F3-A1"}
    assert lines["isavigne-F1-A1"]["quantity_bottles_75cl_eq"] == 12.0
    assert lines["isavigne-F3-A1"]["quantity_bottles_75cl_eq"] == 6.0
    reasons = {e.location: e.reason for e in result.errors}
    assert "expected 6 columns, found 4" in reasons["ventes.csv:3"]
    assert "date" in reasons["ventes.csv:4"]
    assert result.skipped == 2


async def test_missing_required_column_skips_the_file_with_one_line(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    folder = tmp_path / "ex"
    _write(folder, "ventes.csv", "Date;Référence;Quantité\n01/05/2025;A1;2\n", "utf-8")
    _write(folder, "clients.csv", "Code client;Nom\nC1;DUPONT\n", "utf-8")
    result = await _run(settings, store, folder)
    assert [e.location for e in result.errors] == ["ventes.csv:1"]
    assert "customer" in result.errors[0].reason
    assert etl_repo(store).counts()["customers"] == 1


async def test_unreadable_file_gives_one_line_and_keeps_loaded_data(
    settings: Settings, store: Store, exports: IsavigneExports
) -> None:
    folder = exports["clients"].parent
    await _run(settings, store, folder)
    before = etl_repo(store).checksum()
    write_malformed_csv(folder / "clients_zz_broken.csv")
    result = await _run(settings, store, folder)
    broken = [e for e in result.errors if "clients_zz_broken" in e.location]
    assert len(broken) == 1 and "binary" in broken[0].reason
    assert etl_repo(store).checksum() == before


async def test_missing_folder_fails_cleanly(settings: Settings, store: Store, tmp_path: Path) -> None:
    result = await _run(settings, store, tmp_path / "nowhere")
    assert result.status == "failed"
    assert "nowhere" in result.detail and "\n" not in result.detail
    stats = etl_repo(store).stats("isavigne")
    assert (stats.runs, stats.failures) == (1, 1)


async def test_quality_report_and_rfm(settings: Settings, store: Store, exports: IsavigneExports) -> None:
    s = _settings(settings, exports["clients"].parent)
    await SourceManager(s, store).run("isavigne")
    issues, segments, path = run_quality(store, s, as_of=TODAY)
    found = {(i.table, i.check): i for i in issues if i.count}
    dirty = exports["dirty"]
    assert (
        found[("customers", "missing:last_name")].examples[0]["key"]
        == f"isavigne-{dirty['empty_mandatory'][0]}"
    )
    assert (
        found[("customers", "invalid:email")].examples[0]["key"]
        == f"isavigne-{dirty['invalid_email_client']}"
    )
    orphan = found[("sales_lines", "orphan:product")]
    assert orphan.count >= 1 and dirty["orphan_reference"] in orphan.examples[0]["detail"]
    assert (
        found[("stock_levels", "negative:quantity")]
        .examples[0]["key"]
        .startswith(f"isavigne-{dirty['negative_stock']}@")
    )
    assert sum(segments.values()) == 60
    assert set(segments) <= {"VIP", "STANDARD", "AT_RISK", "PROSPECT", "INACTIVE"}
    text = path.read_text(encoding="utf-8")
    assert "negative stock" in text and dirty["orphan_reference"] in text
    stored, _, report = etl_repo(store).latest_quality()
    assert report == str(path) and len(stored) == len(issues)
    row = etl_repo(store).rows("customers", where="purchase_count > 0", limit=1)[0]
    assert row["average_order_value_eur"] == pytest.approx(
        row["total_spent_eur"] / row["purchase_count"], abs=0.01
    )
    assert row["preferred_category"] and row["first_purchase_date"] <= row["last_purchase_date"]
    # RFM again on the same data changes nothing.
    assert etl_repo(store).write_rfm([]) == 0


async def test_row_errors_name_fields_in_the_operators_words(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    """A skipped row names its field as people do ("code client vide", "unreadable quantity"), never ``code`` (#15)."""
    from crmtui.connectors.isavigne import ALIASES, field_label
    from crmtui.i18n import CATALOGUE, set_language

    for fields in ALIASES.values():
        for field in fields:
            assert set(CATALOGUE[f"etl.field.{field}"]) >= {"fr", "en"}, field
    folder = tmp_path / "ex"
    _write(folder, "clients.csv", "Code client;Nom\n;DUPONT\nC2;MARTIN\n", "utf-8")
    _write(
        folder,
        "ventes.csv",
        "N° pièce;Date;Code client;Référence;Quantité\nF1;01/05/2025;C2;A1;deux\n",
        "utf-8",
    )
    try:
        set_language("fr")
        assert field_label("last_name") == "nom"
        reasons = {e.location: e.reason for e in (await _run(settings, store, folder)).errors}
        assert reasons["clients.csv:2"] == "code client vide", reasons
        assert reasons["ventes.csv:2"].startswith("quantité illisible"), reasons
        set_language("en")
        reasons = {e.location: e.reason for e in (await _run(settings, store, folder, full=True)).errors}
        assert reasons["clients.csv:2"] == "empty customer code", reasons
        assert reasons["ventes.csv:2"].startswith("unreadable quantity"), reasons
    finally:
        set_language("en")
