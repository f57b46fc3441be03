"""Sub-command ``crmtui serve``: the webhook, tracking and unsubscribe service (starlette on uvicorn).

::

    crmtui serve [--host 127.0.0.1] [--port 8080] [--sns-topic ARN ...] [--proxy-headers] [--print-urls] [--check]

Needs ``CRMTUI_TRACKING_SECRET`` (16+ characters) and, for SES events, the SNS topic ARNs to accept
(``--sns-topic``, repeatable, or ``CRMTUI_SNS_TOPICS`` comma-separated). In sandbox mode a
per-run secret, the sandbox topic and the sandbox's test CA are used. Exit codes: 0 stopped
cleanly (SIGTERM/SIGINT), 2 configuration error, 4 store error.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from dataclasses import replace
from typing import Any

import crmtui.i18n.events  # noqa: F401 - registers the serve.* keys
from crmtui.cli.entry import EXIT_CONFIG, EXIT_OK, EXIT_STORE, settings_from_args, subcommand
from crmtui.config import ConfigError, Settings
from crmtui.i18n import t
from crmtui.secrets import Secret

SANDBOX_TOPIC = "arn:aws:sns:eu-west-3:000000000000:crmtui-sandbox-ses-events"
"""The topic the sandbox's SES simulator publishes to."""


def _configure(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: behind a proxy)"
    )
    p.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    p.add_argument(
        "--sns-topic",
        action="append",
        default=None,
        help="SNS topic ARN to accept (repeatable; CRMTUI_SNS_TOPICS)",
    )
    p.add_argument(
        "--proxy-headers",
        action="store_true",
        help="trust X-Forwarded-For/Proto from the reverse proxy on --forwarded-allow-ips",
    )
    p.add_argument("--forwarded-allow-ips", default="127.0.0.1", help="proxies trusted with --proxy-headers")
    p.add_argument(
        "--print-urls", action="store_true", help="print the webhook URLs to register (with secrets)"
    )
    p.add_argument("--check", action="store_true", help="build the service and exit (configuration check)")


def topics_from(args: argparse.Namespace, settings: Settings) -> list[str]:
    """Allowed SNS topics: the command line, else ``CRMTUI_SNS_TOPICS`` (environment or ``.env``, as
    every setting), else the sandbox topic."""
    topics = list(args.sns_topic or [])
    if not topics:
        topics = list(settings.sns_topics)
    if not topics and settings.sandbox:
        topics = [SANDBOX_TOPIC]
    return topics


def build_app(settings: Settings, store: Any, topics: list[str], *, loop: bool = True) -> Any:
    """The served app for these settings (sandbox: test PKI; configured connectors: outbox pushes)."""
    from crmtui.endpoints.server import make_server_app

    kw: dict[str, Any] = {}
    if settings.sandbox:
        from crmtui.sandbox.sns import sandbox_pki

        pki = sandbox_pki()
        kw.update(cert_fetcher=pki.fetcher(), trusted_issuers=[pki.ca_cert])
    connectors = settings.connectors()
    if connectors["copper"] or connectors["mailchimp"]:
        from crmtui.engine.sync_clients import make_clients

        def clients() -> tuple[Any, Any]:
            copper, mailchimp = make_clients(settings, store=store)
            return (copper if connectors["copper"] else None, mailchimp if connectors["mailchimp"] else None)

        kw["clients"] = clients
    return make_server_app(
        settings, store, allowed_topics=topics, process_interval=1.0 if loop else None, **kw
    )


@subcommand("serve", "serve SES/SNS events, Mailchimp/Copper webhooks, tracking and unsubscribe", _configure)
def serve_command(args: argparse.Namespace) -> int:
    """Run ``crmtui serve`` until SIGTERM/SIGINT."""
    try:
        settings = settings_from_args(args)
    except ConfigError as exc:
        print(exc.render(), file=sys.stderr)
        return EXIT_CONFIG
    if settings.sandbox and len(settings.tracking_secret.reveal()) < 16:
        settings = replace(settings, tracking_secret=Secret(secrets.token_hex(32)))
    if len(settings.tracking_secret.reveal()) < 16:
        print(f"{t('error.prefix')}: {t('serve.no_secret')}\n  → {t('serve.no_secret.fix')}", file=sys.stderr)
        return EXIT_CONFIG
    from crmtui.store import Store, StoreError

    # The sandbox's store is shared with the console (``crmtui --sandbox``), never reset from here.
    live = settings
    try:
        store = Store(live.store_path)
        store.erasure.configure(live.erasure_secret, live.env_file)
    except StoreError as exc:
        print(f"{t('error.prefix')}: {exc.message}\n  → {exc.hint}", file=sys.stderr)
        return EXIT_STORE
    try:
        topics = topics_from(args, live)
        if not topics:
            print(t("serve.no_topics"), file=sys.stderr)
        app = build_app(live, store, topics, loop=not args.check)
        public = live.public_base_url or f"http://{args.host}:{args.port}"
        if args.print_urls or args.check:
            webhook = app.state.secrets
            shown = webhook if args.print_urls else None
            print(
                t(
                    "serve.urls",
                    mailchimp=f"{public}/webhooks/mailchimp/{shown.mailchimp if shown else '<secret>'}",
                    copper=f"{public}/webhooks/copper",
                    field=f"{webhook.copper_field}={shown.copper if shown else '<secret>'}",
                    sns=f"{public}/sns/ses",
                )
            )
        if args.check:
            return EXIT_OK
        import uvicorn

        print(t("serve.listening", host=args.host, port=args.port, public=public), file=sys.stderr)
        uvicorn.run(
            app,
            host=args.host,
            port=args.port,
            proxy_headers=args.proxy_headers,
            forwarded_allow_ips=args.forwarded_allow_ips,
            access_log=False,  # paths carry tokens and the Mailchimp secret
            log_level="warning",
            server_header=False,
        )
    finally:
        store.close()
    return EXIT_OK
