"""``crmtui erase`` end to end on the simulators, through the real CLI in subprocesses.

A person is in Copper, in Mailchimp, in the ERP export (a customer with a sale) and in a scenario's
audience; ETL, sync and a scenario tick run, so the store, the logs and the reports name them.
After ``crmtui erase`` no form of their email, name or phone is left in the raw ``.db``/``-wal``
bytes, the logs or the reports; Mailchimp holds the address as permanently deleted; Copper no
longer has the person; and a following full sync, ETL run and scenario tick (with the ERP still
exporting them, a salesperson re-creating them in Copper and a new scenario listing them) create
nothing and send nothing for them.
"""

from __future__ import annotations

import base64
import os
import sqlite3
import stat
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import Any

from crmtui.records.emails import email_key
from crmtui.sandbox.harness import Sandbox, running_sandbox

EMAIL = "Zephyrine.Quatremare@exemple.fr"
FIRST, LAST = "Zéphyrine", "Quatremare"
PHONE = "06 71 42 93 58"
CODE = "C09999"
STREET = "3 rue des Glycines"

SCENARIO = '''
name = "{name}"
daily_cap = 500
timezone = "Europe/Paris"

[window]
start = "00:00"
end = "24:00"
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

[audience]
emails = ["{email}", "autre.client@exemple.fr"]

[[steps]]
name = "Bonjour"
template = "hello"

[templates.hello]
subject = "Bonjour {{{{first_name}}}}"
html = """
<p>Bonjour {{{{contact_name}}}},</p>
<p><a href="{{{{unsubscribe_link}}}}">Se désabonner</a></p>
"""
'''


def forms() -> dict[str, set[bytes]]:
    """What must not be found anywhere: plain, lower-case, NFC, NFD and base64 forms."""
    out: dict[str, set[bytes]] = {}
    for label, text in {
        "email": EMAIL,
        "name": f"{FIRST} {LAST}",
        "first": FIRST,
        "last": LAST,
        "phone": PHONE,
        "phone_digits": PHONE.replace(" ", ""),
        "phone_e164": "+33" + PHONE.replace(" ", "")[1:],
        "street": STREET,
    }.items():
        variants: set[bytes] = set()
        for v in {
            text,
            text.lower(),
            email_key(text),
            unicodedata.normalize("NFC", text),
            unicodedata.normalize("NFD", text),
        }:
            variants.add(v.encode("utf-8"))
            variants.add(v.lower().encode("utf-8"))
            variants.add(base64.b64encode(v.encode("utf-8")))
            variants.add(base64.b64encode(v.encode("utf-8")).rstrip(b"="))
        out[label] = variants
    return out


def occurrences(paths: list[Path]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in paths:
        data = path.read_bytes()
        low = data.lower()
        for label, variants in forms().items():
            for v in variants:
                if v in data or v.lower() in low:
                    found.setdefault(label, []).append(f"{path.name}: {v!r}")
    return found


def rows_naming(db: Path, needle: str) -> list[str]:
    """Tables with a row whose text holds ``needle`` (lower-cased)."""
    conn = sqlite3.connect(db)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return sorted(
            t
            for t in tables
            if any(needle in repr(row).lower() for row in conn.execute(f'SELECT * FROM "{t}"'))
        )
    finally:
        conn.close()


def indexed(db: Path) -> dict[str, int]:
    """Rows of the Customers search (its table and its FTS5 trigram index) that find them."""
    conn = sqlite3.connect(db)
    try:
        return {
            "customer_search": conn.execute(
                "SELECT count(*) FROM customer_search WHERE instr(search, ?) OR instr(search, ?)",
                (LAST.lower(), email_key(EMAIL)),
            ).fetchone()[0],
            **{
                f"customers_fts {needle}": conn.execute(
                    "SELECT count(*) FROM customers_fts WHERE customers_fts MATCH ?", (f'"{needle}"',)
                ).fetchone()[0]
                for needle in (email_key(EMAIL), "quatremare", "zephyrine")
            },
        }
    finally:
        conn.close()


def plant(sb: Sandbox, exports: Path) -> None:
    sb.copper.load_people(
        [
            {
                "name": f"{FIRST} {LAST}",
                "emails": [{"email": EMAIL, "category": "work"}],
                "phone_numbers": [{"number": PHONE, "category": "mobile"}],
                "address": {"street": STREET, "city": "Dijon", "postal_code": "21000", "country": "FR"},
            }
        ]
    )
    sb.mailchimp.load_members(
        [
            {
                "email_address": EMAIL.lower(),
                "status": "subscribed",
                "merge_fields": {"FNAME": FIRST, "LNAME": LAST, "PHONE": PHONE},
            }
        ]
    )
    clients = next(exports.glob("clients_*.csv"))
    ventes = next(exports.glob("ventes_*.csv"))
    with clients.open("ab") as fh:
        fh.write(
            f"{CODE};Mme;{LAST};{FIRST};;{STREET};21000;Dijon;France;{EMAIL};{PHONE};;"
            "01/01/2024;Non;Particulier\r\n".encode("latin-1")
        )
    with ventes.open("ab") as fh:
        fh.write(f"FA2399999;05/12/2023;{CODE};SAN24-75;2;Bouteille;15,33;30,66;Web\r\n".encode("latin-1"))


def environment(sb: Sandbox, tmp: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("COPPER", "MAILCHIMP", "SYNC_", "CRMTUI", "SES_", "SMTP_", "ODOO", "ISAVIGNE"))
    }
    env.update(sb.env())
    for var in ("ODOO_URL", "ODOO_DB", "ODOO_USER", "ODOO_API_KEY"):
        env.pop(var, None)  # the ERP here is the iSaVigne export
    env.update(
        SYNC_MODE="production",
        CRMTUI_DATA_DIR=str(tmp / "data"),
        CRMTUI_TRACKING_SECRET="test-tracking-secret-0123456789",
        CRMTUI_PUBLIC_URL="https://crm.domaine-exemple.test",
        CRMTUI_LANG="en",
    )
    return env


def crmtui(
    env: dict[str, str], tmp: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crmtui", "--no-sandbox", "--env-file", str(tmp / ".env"), *args],
        env=env,
        cwd=tmp,
        capture_output=True,
        text=True,
        timeout=180,
        input=stdin,
    )


def sent_to(sb: Sandbox, email: str) -> int:
    key = email_key(email)
    return sum(1 for m in sb.ses.messages if any(key in email_key(str(a)) for a in m["To"]))


def copper_holders(sb: Sandbox, email: str) -> list[dict[str, Any]]:
    key = email_key(email)
    return [p for p in sb.copper.people.values() if any(email_key(e["email"]) == key for e in p["emails"])]


def test_erase_leaves_nothing_and_nothing_comes_back(tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    with running_sandbox(40, seed=3, exports_dir=exports) as sb:
        plant(sb, exports)
        env = environment(sb, tmp_path)
        (tmp_path / "relance.toml").write_text(SCENARIO.format(name="Relance", email=EMAIL), encoding="utf-8")
        assert crmtui(env, tmp_path, "scenarios", "import", str(tmp_path / "relance.toml")).returncode == 0
        assert crmtui(env, tmp_path, "scenarios", "start", "Relance").returncode == 0
        first = crmtui(env, tmp_path, "--headless", "--full")
        assert first.returncode in (0, 1), first.stdout + first.stderr
        assert sent_to(sb, EMAIL) == 1, "the scenario should have emailed them once before the erasure"
        data = tmp_path / "data"
        db = data / "crmtui.db"
        named = occurrences([db])
        assert {"email", "name", "phone"} <= set(
            named
        )  # crmtui keeps no postal address, "the store should name them before the erasure"
        assert all(n == 1 for n in indexed(db).values()), indexed(db)  # the Customers search finds them

        # A dry run lists, touches nothing.
        before = db.read_bytes()
        dry = crmtui(env, tmp_path, "erase", EMAIL, "--dry-run")
        assert dry.returncode == 0, dry.stdout + dry.stderr
        assert "customers: 1" in dry.stdout and "contacts: 1" in dry.stdout, dry.stdout
        assert (
            sb.mailchimp.control.calls.get("POST /lists/{id}/members/{id}/actions/delete-permanent", 0) == 0
        )
        assert copper_holders(sb, EMAIL)
        assert not (tmp_path / ".env").exists()  # no secret made by a dry run
        assert db.read_bytes() == before

        # Without a terminal and without --yes: refused, nothing done.
        refused = crmtui(env, tmp_path, "erase", EMAIL)
        assert refused.returncode == 2 and "--yes" in refused.stderr

        done = crmtui(env, tmp_path, "erase", EMAIL.upper(), "--yes")
        assert done.returncode == 0, done.stdout + done.stderr
        assert EMAIL.lower() not in done.stdout.lower()  # not a terminal: erasures are named by number

        # Mailchimp: permanently deleted (gone, and a re-add is refused as a forgotten address).
        assert email_key(EMAIL) in sb.mailchimp.forgotten
        assert all(email_key(m.email_address) != email_key(EMAIL) for m in sb.mailchimp.members.values())
        assert not copper_holders(sb, EMAIL)

        secret_file = tmp_path / ".env"
        assert "CRMTUI_ERASURE_SECRET=" in secret_file.read_text()
        assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600

        files = [p for p in (db, Path(str(db) + "-wal")) if p.exists()]
        files += [
            p for p in data.rglob("*") if p.is_file() and p != db and not p.name.startswith("crmtui.db")
        ]
        assert occurrences(files) == {}
        assert all(n == 0 for n in indexed(db).values()), indexed(db)  # nor does its index any more

        # The ERP still exports them; a salesperson re-creates them in Copper; a new scenario lists them.
        sb.copper.load_people([{"name": f"{FIRST} {LAST}", "emails": [{"email": EMAIL, "category": "work"}]}])
        clients = next(exports.glob("clients_*.csv"))
        with clients.open("ab") as fh:  # a new export of the same file: read again, them included
            fh.write(
                "C09998;M.;Nouveau;Client;;1 rue Neuve;21000;Dijon;France;nouveau.client@exemple.fr;;;"
                "01/01/2025;Non;Particulier\r\n".encode("latin-1")
            )
        (tmp_path / "promo.toml").write_text(SCENARIO.format(name="Promo", email=EMAIL), encoding="utf-8")
        assert crmtui(env, tmp_path, "scenarios", "import", str(tmp_path / "promo.toml")).returncode == 0
        assert crmtui(env, tmp_path, "scenarios", "start", "Promo").returncode == 0
        mc_before = len(sb.mailchimp.members)
        again = crmtui(env, tmp_path, "--headless", "--full")
        assert again.returncode in (0, 1), again.stdout + again.stderr
        assert "1 erased customer(s) skipped" in again.stdout + again.stderr, again.stdout
        assert sent_to(sb, EMAIL) == 1  # still the one email from before the erasure
        assert len(copper_holders(sb, EMAIL)) == 1  # only the salesperson's, no copy made by the sync
        assert all(email_key(m.email_address) != email_key(EMAIL) for m in sb.mailchimp.members.values())
        assert len(sb.mailchimp.members) == mc_before
        # Nothing of them came back into the store either (the Copper copy and the ERP row are never
        # read in). The only place left is the Promo definition the operator typed after the erasure.
        assert rows_naming(db, LAST.lower()) == [
            "scenario_audience"
        ]  # the audience rows of Promo (migration 21)

        # Erasing again: already done, exit 0, no second remote delete.
        calls = sb.mailchimp.control.calls.get("POST /lists/{id}/members/{id}/actions/delete-permanent", 0)
        rerun = crmtui(env, tmp_path, "erase", EMAIL, "--yes")
        assert rerun.returncode == 0 and "already erased" in rerun.stdout, rerun.stdout
        assert (
            sb.mailchimp.control.calls.get("POST /lists/{id}/members/{id}/actions/delete-permanent", 0)
            == calls
        )
