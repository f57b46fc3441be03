"""``crmtui web [--port N] [--public-url URL]``: the same console in a browser, with textual-serve.

textual-serve (Textual's own project) serves a page that runs one console process per browser
tab and relays the terminal over a websocket: the operator gets the same screens, the same keys and
the same confirmations as over SSH. It has no login of its own, so crmtui binds it to loopback
only; remote use goes through a reverse proxy that authenticates (README, "The console in a
browser"). The global options given before ``web`` (``--sandbox``, ``--db``, ``--lang``,
``--env-file``, ``--mode``) are passed on to each console.
"""

from __future__ import annotations

import argparse
import shlex
import sys

from crmtui.cli.entry import EXIT_CONFIG, EXIT_OK, subcommand
from crmtui.i18n import t

LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 8566


def _configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"loopback port (default {DEFAULT_PORT})")
    p.add_argument(
        "--public-url",
        default=None,
        help="the address browsers use, when a reverse proxy serves it (e.g. https://crm.example.fr)",
    )


def console_command(args: argparse.Namespace) -> str:
    """The shell command each browser tab runs: this Python, this crmtui, the same global options."""
    argv = [sys.executable, "-m", "crmtui"]
    if args.sandbox is True:
        argv.append("--sandbox")
    elif args.sandbox is False:
        argv.append("--no-sandbox")
    if args.db:
        argv += ["--db", str(args.db)]
    if args.lang:
        argv += ["--lang", args.lang]
    if args.env_file:
        argv += ["--env-file", str(args.env_file)]
    if getattr(args, "production", False):
        argv += ["--mode", "production"]
    elif getattr(args, "mode", None):
        argv += ["--mode", args.mode]
    return shlex.join(argv)


@subcommand("web", "serve the console in a browser on loopback (textual-serve)", _configure)
def web(args: argparse.Namespace) -> int:
    """Serve until Ctrl+C."""
    if not 0 < args.port < 65536:
        print(t("web.bad_port", port=args.port), file=sys.stderr)
        return EXIT_CONFIG
    from textual_serve.server import Server

    url = args.public_url or f"http://{LOOPBACK}:{args.port}"
    print(t("web.serving", url=url), file=sys.stderr)
    server = Server(
        console_command(args), host=LOOPBACK, port=args.port, title="crmtui", public_url=args.public_url
    )
    try:
        server.serve()
    except OSError as exc:
        print(t("web.cannot_listen", port=args.port, reason=exc.strerror or str(exc)), file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        pass
    return EXIT_OK
