"""``crmtui scenarios``: import/export, start/pause/resume/stop, run ticks, settle unknown sends.

Examples::

    crmtui scenarios import bienvenue.toml
    crmtui scenarios export Bienvenue -o bienvenue.toml
    crmtui scenarios start Bienvenue
    crmtui scenarios run --interval 60      # until SIGTERM / Ctrl-C
    crmtui scenarios run --once             # one tick (no run lock: the ledger makes it safe)
    crmtui scenarios unknown                # sends whose outcome is unknown
    crmtui scenarios resolve KEY sent|not_sent
    crmtui scenarios status [NAME]          # pending sends, sequences, per step and variant: rates, verdict
    crmtui scenarios op KEY                 # one ledger operation and its events (a key or its first 8+ characters)
    crmtui scenarios reset NAME             # forget a test scenario's test sends (refused when real ones exist)

Also runnable before the CLI registers it: ``python -m crmtui.cli.scenarios [--db F] scenarios run --once``
(the same arguments as ``crmtui``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import crmtui.i18n.scenarios  # noqa: F401 - registers the scenario strings
from crmtui.cli.entry import (
    EXIT_CONFIG,
    EXIT_OK,
    EXIT_RECORDS_FAILED,
    EXIT_STORE,
    settings_from_args,
    subcommand,
)
from crmtui.config import ConfigError, Settings
from crmtui.files import decode_error_line, write_private_text
from crmtui.i18n import t
from crmtui.text import printable

ACTIONS = (
    "list",
    "import",
    "export",
    "start",
    "pause",
    "resume",
    "stop",
    "run",
    "test",
    "unknown",
    "resolve",
    "status",
    "op",
    "reset",
)


def _configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=ACTIONS, help="what to do")
    p.add_argument("target", nargs="?", default=None, help="FILE (import), NAME, or KEY (resolve, op)")
    p.add_argument("extra", nargs="*", default=[], help="resolve: sent|not_sent; test: emails")
    p.add_argument("-o", "--output", type=Path, default=None, help="export: write to this file")
    p.add_argument("--interval", type=float, default=60.0, help="run: seconds between ticks (default 60)")
    p.add_argument("--once", action="store_true", help="run: one tick, then exit")
    p.add_argument("--name", action="append", default=None, help="run: only this scenario (repeatable)")


@contextlib.contextmanager
def _sandbox_sender(settings: Settings) -> Iterator[Settings]:
    """In sandbox mode without a sender, send to an in-process SES simulator."""
    ready = settings.connectors()
    if not settings.sandbox or ready["ses"] or ready["smtp"]:
        yield settings
        return
    from crmtui.sandbox.loopback import LoopbackServer
    from crmtui.sandbox.mail import SANDBOX_FROM, SES_ACCESS_KEY_ID, SES_REGION, SES_SECRET_ACCESS_KEY, SesSim
    from crmtui.secrets import Secret

    server = LoopbackServer(SesSim().app)
    url = server.start()
    try:
        yield replace(
            settings,
            ses_region=SES_REGION,
            ses_access_key_id=SES_ACCESS_KEY_ID,
            ses_secret_access_key=Secret(SES_SECRET_ACCESS_KEY),
            ses_endpoint_url=url,
            email_from=settings.email_from or SANDBOX_FROM,
        )
    finally:
        server.stop()


@subcommand(
    "scenarios",
    "email scenarios: import, export, start, pause, stop, run ticks, status, op, reset",
    _configure,
)
def scenarios_command(args: argparse.Namespace) -> int:
    """Dispatch ``crmtui scenarios ACTION``; exit codes as for the rest of the CLI."""
    from crmtui.store import Store, StoreError

    try:
        settings = settings_from_args(args)
    except ConfigError as exc:
        print(exc.render(), file=sys.stderr)
        return EXIT_CONFIG
    try:
        store = Store(settings.store_path)
        store.erasure.configure(settings.erasure_secret, settings.env_file)
    except StoreError as exc:
        print(f"{t('error.prefix')}: {exc.message}\n  → {exc.hint}", file=sys.stderr)
        return EXIT_STORE
    try:
        return _dispatch(args, settings, store)
    except StoreError as exc:
        print(f"{t('error.prefix')}: {exc.message}\n  → {exc.hint}", file=sys.stderr)
        return EXIT_STORE
    finally:
        store.close()


def _need(args: argparse.Namespace) -> str:
    if not args.target:
        raise SystemExit(f"crmtui scenarios {args.action}: NAME is required")
    return str(args.target)


def _dispatch(args: argparse.Namespace, settings: Settings, store: object) -> int:
    from crmtui.engine import scenarios as sc
    from crmtui.store import Store
    from crmtui.store.scenarios import scenario_repo

    assert isinstance(store, Store)
    repo = scenario_repo(store)
    action = args.action
    if action == "list":
        rows = repo.all()
        if not rows:
            print(t("scenarios.cli.list.empty"))
        for s in rows:
            counts = repo.sequence_counts(s.id)
            print(
                f"{printable(s.name):<30} {s.status:<8} sent {s.sent:>7}  opened {s.opened:>6}  "
                f"clicked {s.clicked:>6}  active {counts.get('active', 0):>6}  unknown "
                f"{repo.ledger_counts(s.id).get('unknown', 0)}"
            )
        return EXIT_OK
    if action == "import":
        path = Path(_need(args))
        try:
            scenario = sc.import_file(store, path)
        except sc.ScenarioInvalid as exc:
            print(t("scenarios.cli.invalid"), file=sys.stderr)
            for problem in exc.problems:
                print(f"  - {printable(problem)}", file=sys.stderr)
            return EXIT_CONFIG
        except OSError as exc:
            print(f"{t('error.prefix')}: {printable(path)}: {exc.strerror}", file=sys.stderr)
            return EXIT_CONFIG
        except UnicodeDecodeError as exc:
            print(f"{t('error.prefix')}: {printable(decode_error_line(path, exc))}", file=sys.stderr)
            return EXIT_CONFIG
        print(
            t("scenarios.cli.imported", name=scenario.name, steps=len(scenario.steps), status=scenario.status)
        )
        return EXIT_OK
    if action == "export":
        name = _need(args)
        try:
            text = sc.export_text(store, name)
        except KeyError:
            print(t("scenarios.cli.unknown", name=name), file=sys.stderr)
            return EXIT_CONFIG
        if args.output:
            # A scenario names its audience and may quote customers: 0600, in a 0700 folder when
            # crmtui has to create it (an existing folder the operator chose is left alone).
            try:
                write_private_text(args.output, text, ours=False)
            except OSError as exc:
                detail = exc.strerror or type(exc).__name__
                print(
                    f"{t('error.prefix')}: {t('input.file_unwritable', path=printable(args.output), detail=detail)}",
                    file=sys.stderr,
                )
                return EXIT_CONFIG
        else:
            sys.stdout.write(text)
        return EXIT_OK
    if action in ("start", "pause", "resume", "stop"):
        name = _need(args)
        try:
            if action == "start":
                n = sc.start(store, name)
                print(t("scenarios.cli.started", name=name, n=n))
                return EXIT_OK
            status = {"pause": "paused", "resume": "active", "stop": "stopped"}[action]
            before = sc.set_status(store, name, status)
        except KeyError:
            print(t("scenarios.cli.unknown", name=name), file=sys.stderr)
            return EXIT_CONFIG
        except sc.ScenarioInvalid as exc:
            print(t("scenarios.cli.invalid"), file=sys.stderr)
            for problem in exc.problems:
                print(f"  - {printable(problem)}", file=sys.stderr)
            return EXIT_CONFIG
        print(t("scenarios.cli.status", name=name, before=before, after=status))
        return EXIT_OK
    if action == "test":
        name = _need(args)
        try:
            n = sc.enrol_test(store, name, list(args.extra))
        except (KeyError, ValueError) as exc:
            print(str(exc), file=sys.stderr)
            return EXIT_CONFIG
        print(t("scenarios.cli.started", name=name, n=n))
        return EXIT_OK
    if action == "unknown":
        for row in repo.unknown():
            print(
                f"{row['key']}  {printable(row['scenario'])} › {printable(row['step'])}  "
                f"{printable(row['contact'])}  {row['claimed_at']}  {printable(row['error'] or '')}"
            )
        return EXIT_OK
    if action in ("status", "op", "reset"):
        return _monitor(args, store)
    if action == "resolve":
        key = _need(args)
        outcome = args.extra[0] if args.extra else ""
        if outcome not in ("sent", "not_sent") or not repo.resolve_unknown(key, outcome, actor="cli"):
            print(
                "usage: crmtui scenarios resolve KEY sent|not_sent (an unknown send's key)", file=sys.stderr
            )
            return EXIT_CONFIG
        print(t("scenarios.cli.resolved", key=key[:16], outcome=outcome))
        return EXIT_OK
    return _run(args, settings, store)


def _monitor(args: argparse.Namespace, store: object) -> int:
    """``status [NAME]``, ``op KEY``, ``reset NAME`` (:mod:`crmtui.engine.scenario_status`)."""
    from crmtui.engine import scenario_status as st
    from crmtui.store import Store
    from crmtui.store.scenarios import ResetRefused, scenario_repo

    assert isinstance(store, Store)
    repo = scenario_repo(store)
    if args.action == "status":
        if args.target:
            scenario = repo.get(str(args.target))
            if scenario is None:
                print(t("scenarios.cli.unknown", name=printable(args.target)), file=sys.stderr)
                return EXIT_CONFIG
            scenarios = [scenario]
        else:
            scenarios = repo.all()
            if not scenarios:
                print(t("scenarios.status.none"))
        for i, scenario in enumerate(scenarios):
            if i:
                print()
            print("\n".join(st.status_lines(store, scenario)))
        return EXIT_OK
    if args.action == "op":
        key = _need(args)
        try:
            lines = st.op_lines(store, key)
        except st.AmbiguousKey as exc:
            print(t("scenarios.cli.op.ambiguous", key=printable(key)), file=sys.stderr)
            for match in exc.keys:
                print(f"  {match}", file=sys.stderr)
            return EXIT_CONFIG
        if lines is None:
            print(t("scenarios.cli.op.missing", key=printable(key)), file=sys.stderr)
            return EXIT_CONFIG
        print("\n".join(lines))
        return EXIT_OK
    name = _need(args)
    try:
        n = st.reset_tests(store, name, actor="cli")
    except KeyError:
        print(t("scenarios.cli.unknown", name=printable(name)), file=sys.stderr)
        return EXIT_CONFIG
    except ResetRefused as exc:
        print(st.refusal_text(name, exc), file=sys.stderr)
        return EXIT_CONFIG
    print(t("scenarios.reset.done", name=printable(name), n=n))
    return EXIT_OK


def _run(args: argparse.Namespace, settings: Settings, store: object) -> int:
    from crmtui.engine import scenarios as sc
    from crmtui.logs import close_logging, setup_logging
    from crmtui.store import Store

    assert isinstance(store, Store)
    with contextlib.suppress(OSError):
        setup_logging(settings.log_dir)
    names = tuple(args.name) if args.name else None

    async def loop(live: Settings) -> int:
        cancel = asyncio.Event()
        running = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                running.add_signal_handler(sig, cancel.set)
        if not args.once:
            print(t("scenarios.cli.loop", seconds=f"{args.interval:g}"), flush=True)
        code = EXIT_OK
        while True:
            result = await sc.tick(live, store, cancel=cancel, scenario_names=names)
            print(t("scenarios.cli.tick", summary=sc.summarize(result)), flush=True)
            for error in result.errors:
                print(f"  ! {printable(error)}", file=sys.stderr, flush=True)
            if result.errors or result.failed or result.unknown:
                code = EXIT_RECORDS_FAILED
            if args.once or cancel.is_set():
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(cancel.wait(), timeout=max(0.1, args.interval))
            if cancel.is_set():
                break
            code = EXIT_OK
        if cancel.is_set():
            print(t("scenarios.cli.stopped"), flush=True)
        return code

    try:
        with _sandbox_sender(settings) as live:
            return asyncio.run(loop(live))
    finally:
        close_logging()


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m crmtui.cli.scenarios ARGS``: ``crmtui ARGS`` with this sub-command registered."""
    from crmtui.cli.entry import main as cli_main

    return cli_main(list(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    sys.exit(main())
