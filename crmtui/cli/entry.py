"""Command line: ``crmtui`` (console), ``crmtui --headless`` (cron) and sub-commands.

Nothing here imports Textual at module level: ``--headless`` and the sub-commands must work (and
start fast) where no terminal UI is wanted.

Exit codes (an API for cron; see README):

====  ============================================================
0     ok
1     some records failed, or the run was interrupted
2     configuration error or bad input: a file that is not UTF-8, an option out of range (nothing done)
3     another run holds the lock (nothing was done)
4     store error: database locked, read-only, corrupt or too new
====  ============================================================
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from crmtui import __version__
from crmtui.config import ConfigError, Settings, load_settings
from crmtui.i18n import t
from crmtui.secrets import redact
from crmtui.text import printable

EXIT_OK = 0
EXIT_RECORDS_FAILED = 1
EXIT_CONFIG = 2
EXIT_LOCKED = 3
EXIT_STORE = 4

STEP_NAMES = ("etl", "sync", "scenarios", "reco")

# Sub-command name -> (help, configure parser, run). Areas register theirs with `subcommand`.
Handler = Callable[[argparse.Namespace], int]
SUBCOMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Handler]] = {}


def subcommand(
    name: str, help_text: str, configure: Callable[[argparse.ArgumentParser], None]
) -> Callable[[Handler], Handler]:
    """Register a sub-command (``crmtui <name> ...``)."""

    def deco(fn: Handler) -> Handler:
        SUBCOMMANDS[name] = (help_text, configure, fn)
        return fn

    return deco


def _steps(value: str) -> tuple[str, ...]:
    parts = tuple(p.strip() for p in value.split(",") if p.strip())
    unknown = [p for p in parts if p not in STEP_NAMES]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown step(s) {', '.join(unknown)}; use {', '.join(STEP_NAMES)}")
    return parts


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (kept separate so tests and docs can introspect it)."""
    parser = argparse.ArgumentParser(
        prog="crmtui",
        description="Copper ↔ Mailchimp sync, ERP ETL and email scenarios: console and cron.",
        epilog="Exit codes: 0 ok, 1 some records failed, 2 configuration error, 3 another run holds the lock, "
        "4 store error.",
    )
    parser.add_argument("--version", action="version", version=f"crmtui {__version__}")
    parser.add_argument(
        "--headless", action="store_true", help="run one cycle without the console, then exit"
    )
    parser.add_argument(
        "--only", type=_steps, default=None, help="comma-separated steps: etl,sync,scenarios,reco"
    )
    parser.add_argument("--dry-run", action="store_true", help="plan and report, write nothing remote")
    parser.add_argument(
        "--apply-decisions",
        action="store_true",
        help="headless: apply deletion decisions operators recorded (never decides by itself)",
    )
    sandbox = parser.add_mutually_exclusive_group()
    sandbox.add_argument(
        "--sandbox", dest="sandbox", action="store_true", default=None, help="use the simulators"
    )
    sandbox.add_argument(
        "--no-sandbox", dest="sandbox", action="store_false", help="never fall back to the sandbox"
    )
    parser.add_argument("--db", type=Path, help="database file (overrides CRMTUI_DB)")
    parser.add_argument("--lang", choices=("fr", "en"), help="language of messages (overrides CRMTUI_LANG)")
    parser.add_argument(
        "--env-file", type=Path, default=Path(".env"), help="the .env file to read (default ./.env)"
    )
    parser.add_argument("--mode", choices=("test", "production"), help="sync mode (overrides SYNC_MODE)")
    parser.add_argument("--production", action="store_true", help="shorthand for --mode production")
    parser.add_argument("--full", action="store_true", help="sync: full reconcile instead of incremental")
    parser.add_argument(
        "--allow-large-change",
        action="store_true",
        help="sync: let a run archive/untag more than SYNC_MAX_CHANGE_SHARE of the audience",
    )
    _log_level_option(parser, default="info")
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="sync report: also list every contact compared and found identical (SYNC_REPORT_VERBOSE)",
    )
    subs = parser.add_subparsers(dest="command", metavar="COMMAND")
    _register_builtin()
    for name, (help_text, configure, _) in SUBCOMMANDS.items():
        sub = subs.add_parser(name, help=help_text)
        configure(sub)
        # Every command takes it, before or after its name: `crmtui scenarios status --log-level debug`.
        _log_level_option(sub, default=argparse.SUPPRESS)
    return parser


def _log_level(value: str) -> str:
    from crmtui.logs import LEVELS

    level = value.strip().lower()
    if level not in LEVELS:
        raise argparse.ArgumentTypeError(t("cli.log_level.help"))
    return level


def _log_level_option(parser: argparse.ArgumentParser, default: object) -> None:
    if any("--log-level" in action.option_strings for action in parser._actions):
        return  # a command that defines its own
    parser.add_argument("--log-level", type=_log_level, default=default, help=t("cli.log_level.help"))


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Load settings with the command line taking precedence."""
    overrides: dict[str, str] = {}
    if args.db:
        overrides["CRMTUI_DB"] = str(args.db)
    if args.lang:
        overrides["CRMTUI_LANG"] = args.lang
    if getattr(args, "mode", None):
        overrides["SYNC_MODE"] = args.mode
    if getattr(args, "production", False):
        overrides["SYNC_MODE"] = "production"
    return load_settings(env_file=args.env_file, overrides=overrides, sandbox=args.sandbox)


def _print_config_error(exc: ConfigError) -> None:
    print(exc.render(), file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``crmtui`` console script."""
    # Library warnings (retries...) go to the log files once they are set up, never raw to stderr.
    logger = logging.getLogger("crmtui")
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())
    parser = build_parser()
    args = parser.parse_args(argv)
    from crmtui.logs import log_to_stderr, set_level

    level = set_level(args.log_level)
    if args.command:
        if _explicit_log_level(argv):
            log_to_stderr(level)  # sub-commands print their log lines too when asked for a level
        return SUBCOMMANDS[args.command][2](args)
    try:
        settings = settings_from_args(args)
    except ConfigError as exc:
        _print_config_error(exc)
        return EXIT_CONFIG
    if args.headless and args.sandbox is None and settings.sandbox:
        # Nothing configured at all: a cron run must never work on the sandbox's sample data by
        # surprise (issue #11); the sandbox is one flag away.
        import crmtui.i18n.etl  # noqa: F401 - registers the etl.* keys

        print(t("headless.nothing_configured"), file=sys.stderr)
        print(f"  → {t('headless.nothing_configured.fix')}", file=sys.stderr)
        return EXIT_CONFIG
    with sandbox_services(settings, demo=not args.headless) as settings:
        return _dispatch(args, settings)


def _explicit_log_level(argv: Sequence[str] | None) -> bool:
    words = sys.argv[1:] if argv is None else list(argv)
    return any(w == "--log-level" or w.startswith("--log-level=") for w in words)


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.headless:
        from crmtui.cli.headless import run_headless

        return run_headless(
            settings,
            only=args.only,
            dry_run=args.dry_run,
            options={
                "apply_decisions": args.apply_decisions,
                "full": True if args.full else None,
                "allow_large_change": args.allow_large_change,
                "verbose": args.verbose,
            },
        )
    return _run_console(settings)


@contextlib.contextmanager
def sandbox_services(settings: Settings, *, demo: bool = False) -> Iterator[Settings]:
    """In sandbox mode, start the simulators in-process and point the settings at them.

    The simulators start from their seed data each time, so the sandbox's own database starts
    afresh too (it never shares a file with production). With ``demo`` (the console), ``crmtui
    serve`` runs in-process too, the demo A/B scenario is started, and the SES events and the
    simulated recipients flow (:mod:`crmtui.sandbox.demo`); the console's background worker runs
    the ticks and applies the events.
    """
    if not settings.sandbox:
        yield settings
        return
    from crmtui.sandbox.harness import running_sandbox

    with _own_sandbox_files(settings) as settings:
        for suffix in ("", "-wal", "-shm"):
            Path(str(settings.store_path) + suffix).unlink(missing_ok=True)
        exports = settings.data_dir / "sandbox-exports"
        with running_sandbox(SANDBOX_CONTACTS, SANDBOX_SEED, exports_dir=exports, serve=demo) as sandbox:
            live = sandbox.apply_to(settings)
            if not demo:
                yield live
                return
            from crmtui.sandbox.demo import running_demo

            with running_demo(sandbox, live):
                yield live


@contextlib.contextmanager
def _own_sandbox_files(settings: Settings) -> Iterator[Settings]:
    """The sandbox database and folders, never shared with another sandbox process (issue #15).

    Each sandbox process starts its own simulators; its database is recreated at each start. A
    second one (the console running while the README's ``crmtui --headless --sandbox`` is tried)
    must not delete the first one's database under it: the first process holds an exclusive
    ``flock`` on ``<db>-sandbox.lock``; a process that finds it held works in a folder of its own
    (``sandbox-<pid>/`` in the data folder), says so, and removes that folder when it ends.
    """
    import dataclasses
    import fcntl
    import os
    import shutil

    from crmtui.files import private_dir

    lock_path = settings.store_path.with_suffix(".lock")
    private_dir(lock_path.parent)
    handle = open(lock_path, "a+")  # noqa: SIM115 (held for the whole run)
    own: Path | None = None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            own = private_dir(settings.data_dir / f"sandbox-{os.getpid()}")
            settings = dataclasses.replace(settings, data_dir=own, db_path=own / settings.db_path.name)
            print(t("sandbox.side_by_side", path=printable(str(own))), file=sys.stderr)
        yield settings
    finally:
        handle.close()
        if own is not None:
            shutil.rmtree(own, ignore_errors=True)


SANDBOX_CONTACTS = 500
SANDBOX_SEED = 42


def _run_console(settings: Settings) -> int:
    from crmtui.store import Store, StoreError

    try:
        store = Store(settings.store_path)
        store.erasure.configure(settings.erasure_secret, settings.env_file)
    except StoreError as exc:
        print(f"{t('error.prefix')}: {exc.message}\n  → {exc.hint}", file=sys.stderr)
        return EXIT_STORE
    from crmtui.app import make_app  # Textual is imported only here

    background = None
    if settings.sandbox:
        from crmtui.sandbox.demo import PASS_SECONDS

        background = PASS_SECONDS  # ticks and events in the background: the demo moves by itself
    app = make_app(settings, store, background_every=background)
    try:
        app.run()
    finally:
        store.close()
    return int(app.return_code or 0)


# -- built-in sub-commands ---------------------------------------------------------------------


def _register_builtin() -> None:
    if "config" in SUBCOMMANDS:
        return

    def configure_config(p: argparse.ArgumentParser) -> None:
        p.add_argument("action", choices=("check",), help="check: show the effective configuration")

    @subcommand("config", "show and check the configuration", configure_config)
    def _config(args: argparse.Namespace) -> int:
        try:
            settings = settings_from_args(args)
        except ConfigError as exc:
            _print_config_error(exc)
            return EXIT_CONFIG
        print(render_config(settings))
        return EXIT_OK

    # Areas add their sub-commands (connectors test, sandbox serve, serve...) on import.
    import importlib

    for module in (
        "crmtui.cli.tools",
        "crmtui.cli.serve",
        "crmtui.cli.scenarios",
        "crmtui.cli.erase",
        "crmtui.cli.web",
    ):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


def render_config(settings: Settings) -> str:
    """The ``config check`` text: effective values with secrets masked, and connector status."""
    lines = [t("config.check.title"), "=" * len(t("config.check.title"))]
    if settings.env_file:
        lines.append(f".env: {printable(settings.env_file.resolve())}")
    width = max(len(var) for var, _, _ in settings.describe())
    for var, shown, source in settings.describe():
        shown = printable(redact(shown))  # from the operator's files: literal, a password in a URL masked
        lines.append(f"  {var.ljust(width)}  {shown or '—'}  ({t('config.check.source')}: {source})")
    lines += ["", t("config.check.connectors")]
    for name, ready in settings.connectors().items():
        lines.append(
            f"  {'✔' if ready else '✘'} {name:<10} {t('config.check.ready') if ready else t('config.check.not_set')}"
        )
    if settings.sandbox:
        lines += ["", t("config.check.sandbox")]
    lines.append(f"\nCRMTUI_DB → {settings.store_path}")
    return "\n".join(lines)
