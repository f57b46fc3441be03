"""ETL benchmark: import a generated ``ventes`` CSV and compare with a plain ``sqlite-utils insert --csv``.

Usage::

    .venv/bin/python bench/etl.py               # 1,000,000 lines
    .venv/bin/python bench/etl.py --rows 200000

Both loads read the same cp1252, ``;``-separated file into a fresh database in the same run: the
baseline is ``sqlite-utils insert db ventes file --csv --delimiter ';' --encoding cp1252`` (a plain
load, every column as text, no normalisation); ours is the full iSaVigne pipeline (encoding
detection, file hash, delimiter sniffing, column aliases, dates, decimal commas, 75 cl
equivalents, keys, row hashes, upsert by key with the cursor in each transaction). Each runs in
its own process so peak memory (max RSS) is measured separately. Prints rows per second, peak
memory and the ratio of durations (ours / baseline; the aim is at most 1.5).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADER = "N° pièce;Date;Code client;Référence;Quantité;Unité;PU HT;Montant HT;Canal\r\n"
UNITS = [
    ("Bouteille", "75"),
    ("Magnum", "MG"),
    ("Demi", "37"),
    ("Carton de 6", "C6"),
    ("Caisse 12 bouteilles", "C12"),
]
CHANNELS = ["Caveau", "Salon", "Web", "Caviste", "Export"]


def generate(path: Path, rows: int, seed: int = 1) -> None:
    """Write a ``ventes`` export of ``rows`` lines the way the ERP does (cp1252, ``;``, decimal commas)."""
    rng = random.Random(seed)
    start = date(2022, 1, 1)
    days = [(start + timedelta(days=d)).strftime("%d/%m/%Y") for d in range(1200)]
    refs = [
        f"{c}{v}" for c in ("BPN", "BCH", "MOR", "CDR", "SAN", "CHB", "PSL", "BXR") for v in range(18, 24)
    ]
    with path.open("w", encoding="cp1252", newline="") as out:
        out.write(HEADER)
        piece = 0
        written = 0
        while written < rows:
            piece += 1
            day = rng.choice(days)
            client = f"C{rng.randrange(1, 50_000):05d}"
            channel = rng.choice(CHANNELS)
            for _ in range(min(rng.randint(1, 4), rows - written)):
                unit, code = rng.choice(UNITS)
                quantity = rng.randint(1, 24)
                price = rng.randint(500, 9000) / 100
                total = price * quantity
                total_text = f"{total:,.2f}".replace(",", "\u00a0").replace(".", ",")
                out.write(
                    f"FA{piece:07d};{day};{client};{rng.choice(refs)}-{code};{quantity};{unit};"
                    f"{price:.2f}".replace(".", ",")
                    + f";{total_text};{channel}\r\n"
                )
                written += 1


def _measured(cmd: list[str]) -> tuple[float, int, str]:
    """Run ``cmd`` in a wrapper process that reports its wall time and peak RSS (KiB)."""
    wrapper = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "d = time.perf_counter() - t\n"
        "print(d, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, p.returncode)\n"
        "sys.stderr.write(p.stdout + p.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True, check=True)
    seconds, rss, code = done.stdout.split()
    if code != "0":
        raise SystemExit(f"{cmd[0]} failed:\n{done.stderr}")
    return float(seconds), int(rss), done.stderr


def _worker(folder: Path, db: Path) -> None:
    """Our import, alone in this process."""
    sys.path.insert(0, str(ROOT))
    from crmtui.config import Settings
    from crmtui.engine.etl import SourceManager
    from crmtui.store import Store

    settings = Settings(isavigne_export_path=folder, db_path=db, data_dir=db.parent)
    store = Store(db)
    result = asyncio.run(SourceManager(settings, store).run("isavigne"))
    store.close()
    print(json.dumps({"status": result.status, "read": result.read, "changed": result.changed_total}))


def main(argv: list[str] | None = None) -> None:
    """Generate the file, run both loads, print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="lines in the generated ventes file")
    parser.add_argument("--worker", nargs=2, metavar=("FOLDER", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker(Path(args.worker[0]), Path(args.worker[1]))
        return
    with tempfile.TemporaryDirectory(prefix="crmtui-bench-etl-") as tmp:
        folder = Path(tmp) / "exports"
        folder.mkdir()
        csv_path = folder / "ventes_bench.csv"
        t = time.perf_counter()
        generate(csv_path, args.rows)
        size = csv_path.stat().st_size / 1e6
        print(f"generated {args.rows:,} lines ({size:.0f} MB) in {time.perf_counter() - t:.1f} s")

        sqlite_utils = Path(sys.executable).with_name("sqlite-utils")
        base_s, base_rss, _ = _measured(
            [
                str(sqlite_utils),
                "insert",
                str(Path(tmp) / "plain.db"),
                "ventes",
                str(csv_path),
                "--csv",
                "--delimiter",
                ";",
                "--encoding",
                "cp1252",
            ]
        )
        ours_s, ours_rss, out = _measured(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--worker",
                str(folder),
                str(Path(tmp) / "etl" / "crmtui.db"),
            ]
        )
        result = json.loads(out.strip().splitlines()[-1])
        print(f"{'':24}{'seconds':>10}{'rows/s':>12}{'peak MB':>10}")
        print(f"{'sqlite-utils --csv':24}{base_s:>10.1f}{args.rows / base_s:>12,.0f}{base_rss / 1024:>10.0f}")
        print(
            f"{'crmtui iSaVigne ETL':24}{ours_s:>10.1f}{args.rows / ours_s:>12,.0f}{ours_rss / 1024:>10.0f}"
        )
        print(f"ratio (ours / plain load): {ours_s / base_s:.2f}x  (aim: <= 1.5x)")
        print(f"etl: {result['read']:,} rows read, {result['changed']:,} written, status {result['status']}")


if __name__ == "__main__":
    main()
