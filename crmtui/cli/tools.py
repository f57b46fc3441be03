"""Sub-commands: ``connectors test``, ``sandbox serve`` and ``cron install|remove|status``."""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import crmtui.i18n.input  # noqa: F401 - registers the input.* keys
from crmtui.cli.entry import (
    EXIT_CONFIG,
    EXIT_OK,
    EXIT_RECORDS_FAILED,
    sandbox_services,
    settings_from_args,
    subcommand,
)
from crmtui.config import ConfigError
from crmtui.i18n import t
from crmtui.intervals import cron_schedule

# -- connectors test -----------------------------------------------------------------------------


def _configure_connectors(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=("test",), help="test: check each configured connector")
    p.add_argument(
        "--only", default=None, help="comma-separated: copper,mailchimp,odoo,isavigne,ses,smtp,imap"
    )


@subcommand("connectors", "check the connectors (authentication, list, database)", _configure_connectors)
def connectors_command(args: argparse.Namespace) -> int:
    """One verdict per connector, with the fix for each failure; exit 1 if any failed."""
    from crmtui.engine.connectivity import check_connectors

    try:
        settings = settings_from_args(args)
    except ConfigError as exc:
        print(exc.render(), file=sys.stderr)
        return EXIT_CONFIG
    only = tuple(p.strip() for p in args.only.split(",")) if args.only else None
    with sandbox_services(settings) as live:
        verdicts = asyncio.run(check_connectors(live, only))
    for verdict in verdicts:
        print(verdict.line())
    failed = [v for v in verdicts if not v.ok and v.configured]
    return EXIT_RECORDS_FAILED if failed else EXIT_OK


# -- sandbox serve -------------------------------------------------------------------------------


CONTACTS_MIN = 1
CONTACTS_MAX = 1_000_000


def _configure_sandbox(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=("serve",), help="serve: run every simulator on loopback")
    p.add_argument(
        "--contacts", type=int, default=500, help=f"sample contacts ({CONTACTS_MIN} to {CONTACTS_MAX:,})"
    )
    p.add_argument("--seed", type=int, default=42, help="data seed")
    p.add_argument("--write-env", type=Path, default=None, help="also write the .env file here (mode 0600)")


@subcommand(
    "sandbox", "run the simulators of Copper, Mailchimp and Odoo with sample data", _configure_sandbox
)
def sandbox_command(args: argparse.Namespace) -> int:
    """Serve the simulators until Ctrl-C; print their URLs and a ready-to-use ``.env``."""
    from crmtui.sandbox.harness import running_sandbox

    if not CONTACTS_MIN <= args.contacts <= CONTACTS_MAX:
        print(
            t(
                "input.out_of_range",
                option="--contacts",
                low=CONTACTS_MIN,
                high=f"{CONTACTS_MAX:,}",
                value=args.contacts,
            ),
            file=sys.stderr,
        )
        return EXIT_CONFIG
    exports = Path.cwd() / "sandbox-exports"
    with running_sandbox(args.contacts, args.seed, exports_dir=exports) as sb:
        print(t("sandbox.serving", n=args.contacts, seed=args.seed))
        for name, url in sb.urls.items():
            print(f"  {name:<10} {url}")
        env_text = "".join(f"{key}={shlex.quote(value)}\n" for key, value in sb.env().items())
        print("\n# .env\n" + env_text)
        if args.write_env:
            fd = os.open(args.write_env, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(env_text)
            os.chmod(args.write_env, 0o600)
            print(t("sandbox.env_written", path=args.write_env))
        print(t("sandbox.stop"))
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return EXIT_OK


# -- cron ------------------------------------------------------------------------------------------

MARKER = "# crmtui-managed"


def _configure_cron(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=("install", "remove", "status"))
    p.add_argument(
        "--every",
        default="15m",
        help="interval: 5m, 15m, 30m, 1h, 2h... 1d (daily at 00:00), 1w = 7d = 168h (Mondays at 00:00); default 15m",
    )
    p.add_argument("--only", default=None, help="steps for the cron run (etl,sync,scenarios)")


def _crontab() -> str | None:
    return os.environ.get("CRMTUI_CRONTAB") or shutil.which("crontab")


def _read_crontab(binary: str) -> list[str]:
    done = subprocess.run([binary, "-l"], capture_output=True, text=True)
    if done.returncode != 0:
        return []  # "no crontab for user"
    return done.stdout.splitlines()


def cron_log_path() -> Path:
    """Where the cron line appends its output."""
    return Path.home() / ".local" / "state" / "crmtui-cron.log"


def cron_line(every: str, only: str | None) -> str:
    """The crontab line crmtui installs.

    ``--no-sandbox``: a scheduled run only ever uses the real configuration (#11); with nothing
    configured it exits 2 and says so in the log, instead of working on sample data.
    """
    exe = shutil.which("crmtui") or f"{shlex.quote(sys.executable)} -m crmtui"
    steps = f" --only {shlex.quote(only)}" if only else ""
    log = shlex.quote(str(cron_log_path()))
    return (
        f"{cron_schedule(every)} cd {shlex.quote(str(Path.cwd()))} && {exe} --headless --no-sandbox{steps} "
        f">> {log} 2>&1 {MARKER}"
    )


@subcommand("cron", "install, remove or show crmtui's entry in your crontab", _configure_cron)
def cron_command(args: argparse.Namespace) -> int:
    """Manage the user's crontab entry (tagged with a marker so only ours is touched)."""
    binary = _crontab()
    try:
        line = cron_line(args.every, args.only) if args.action == "install" else ""
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_CONFIG
    if binary is None:
        print(t("cron.no_crontab"), file=sys.stderr)
        if line:
            print(f"  {line}", file=sys.stderr)
        return EXIT_CONFIG
    current = _read_crontab(binary)
    ours = [entry for entry in current if entry.rstrip().endswith(MARKER)]
    if args.action == "status":
        print("\n".join(ours) if ours else t("cron.none"))
        return EXIT_OK
    kept = [entry for entry in current if not entry.rstrip().endswith(MARKER)]
    new = kept + ([line] if args.action == "install" else [])
    if args.action == "install":
        # The shell cannot append to a log in a folder that does not exist: create it now.
        cron_log_path().parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([binary, "-"], input="\n".join(new) + "\n", text=True, check=True)
    print(t("cron.installed", line=line) if line else t("cron.removed", n=len(ours)))
    return EXIT_OK
