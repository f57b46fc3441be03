"""``crmtui erase EMAIL… [--from-file F] [--yes] [--dry-run]``: the right to erasure, from a shell or cron.

Exit codes: 0 every system confirmed every erasure; 1 a system did not answer (the erasure is
recorded and the next ``crmtui erase`` finishes it); 2 bad input or configuration (nothing done);
3 a sync cycle holds the run lock (nothing done); 4 store error.

Addresses are printed only to a terminal; elsewhere (cron's log) an erasure is named by its number.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from pathlib import Path

from crmtui.cli.entry import (
    EXIT_CONFIG,
    EXIT_LOCKED,
    EXIT_OK,
    EXIT_RECORDS_FAILED,
    EXIT_STORE,
    sandbox_services,
    settings_from_args,
    subcommand,
)
from crmtui.config import ConfigError, Settings
from crmtui.i18n import t
from crmtui.text import printable


def _configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("emails", nargs="*", metavar="EMAIL", help="addresses to erase")
    p.add_argument(
        "--from-file", type=Path, default=None, help="a file of addresses, one a line (# comments)"
    )
    p.add_argument("--yes", action="store_true", help="no typed confirmation (cron, scripts)")
    p.add_argument("--dry-run", action="store_true", help="list what would be erased where; touch nothing")


def read_list(path: Path) -> list[str]:
    """Addresses from a file: one a line, blank lines and ``#`` comments ignored; a CSV's first column.

    Raises:
        ValueError: the file cannot be read (the message says why).
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise ValueError(t("erase.file_unreadable", path=path, reason=reason)) from exc
    out: list[str] = []
    for line in text.splitlines():
        item = line.split("#", 1)[0].strip()
        if not item:
            continue
        item = item.split(",", 1)[0].split(";", 1)[0].strip().strip('"')
        if item:
            out.append(item)
    return out


def _confirm(emails: list[str]) -> bool:
    expected = emails[0].strip() if len(emails) == 1 else t("erase.confirm_word", n=len(emails))
    print(t("erase.confirm_title", n=len(emails)))
    for email in emails[:20]:
        print(f"  • {printable(email)}")
    if len(emails) > 20:
        print("  " + t("erase.more", n=len(emails) - 20))
    print(t("erase.confirm_explain"))
    try:
        typed = input(t("erase.confirm_prompt", text=expected) + " ")
    except EOFError:
        return False
    return typed.strip() == expected


@subcommand("erase", "erase people for good (GDPR art. 17): Mailchimp, Copper, the store, logs", _configure)
def erase_command(args: argparse.Namespace) -> int:
    """Erase the given addresses (and finish any erasure left unfinished)."""
    try:
        settings = settings_from_args(args)
    except ConfigError as exc:
        print(exc.render(), file=sys.stderr)
        return EXIT_CONFIG
    emails = list(args.emails)
    if args.from_file:
        try:
            emails += read_list(args.from_file)
        except ValueError as exc:
            print(str(exc), file=sys.stderr)
            return EXIT_CONFIG
    from crmtui.engine.erase import EraseError, address_keys

    try:
        address_keys(emails)
    except EraseError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_CONFIG
    tty = sys.stdin.isatty() and sys.stdout.isatty()
    if emails and not args.dry_run and not args.yes:
        if not tty:
            print(t("erase.need_yes"), file=sys.stderr)
            return EXIT_CONFIG
        if not _confirm(emails):
            print(t("erase.cancelled"))
            return EXIT_CONFIG
    with sandbox_services(settings) as live:
        return _run(args, live, emails, tty)


def _run(args: argparse.Namespace, settings: Settings, emails: list[str], tty: bool) -> int:
    from crmtui.engine.erase import EraseError, ensure_secret, erase
    from crmtui.store import Store, StoreError
    from crmtui.store.locks import RUN_LOCK, LockHeld, since

    try:
        store = Store(settings.store_path)
    except StoreError as exc:
        print(f"{t('error.prefix')}: {exc.message}\n  → {exc.hint}", file=sys.stderr)
        return EXIT_STORE
    actor = f"cli:{getpass.getuser()}"
    locked = False
    try:
        if not args.dry_run:
            try:
                settings = ensure_secret(settings, args.env_file, store)
            except EraseError as exc:
                print(str(exc), file=sys.stderr)
                return EXIT_CONFIG
            try:
                store.locks.acquire(RUN_LOCK, "erase")
                locked = True
            except LockHeld as exc:
                print(
                    t("headless.locked", owner=exc.holder.describe(), since=since(exc.holder)),
                    file=sys.stderr,
                )
                return EXIT_LOCKED
        try:
            outcome = asyncio.run(erase(settings, store, emails, actor=actor, dry_run=args.dry_run))
        except EraseError as exc:
            print(str(exc), file=sys.stderr)
            return EXIT_CONFIG
        from crmtui.engine.erase_report import render_outcome

        print(render_outcome(outcome, show_addresses=tty))
        if args.from_file and not args.dry_run and outcome.results:
            print(t("erase.list_file_note", path=args.from_file))
        return EXIT_OK if outcome.confirmed else EXIT_RECORDS_FAILED
    except StoreError as exc:
        print(f"{t('error.prefix')}: {exc.message}\n  → {exc.hint}", file=sys.stderr)
        return EXIT_STORE
    finally:
        if locked:
            store.locks.release(RUN_LOCK)
        store.close()
