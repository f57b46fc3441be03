"""``crmtui serve``: the HTTP service for SES/SNS events, Mailchimp and Copper webhooks, the open
pixel, the click redirect and one-click unsubscribe.

Routes (all answers are small; nothing here calls a remote service except the SNS
``SubscribeURL`` confirmation):

==============================  ===============================================================
``GET  /health``                liveness + queue counts (for monitoring)
``POST /sns/ses``               SNS deliveries (JSON whatever the content type), verified, queued
``GET  /webhooks/mailchimp/S``  Mailchimp's URL validation (200 when ``S`` is the secret)
``POST /webhooks/mailchimp/S``  Mailchimp form deliveries, queued
``POST /webhooks/copper``       Copper notifications (secret field in the body), queued
``GET  /t/o/<token>.gif``       open pixel
``GET  /t/c/<token>``           click: 302 to the URL recorded for that message, only
``GET  /u/<token>``             unsubscribe confirmation page (changes nothing)
``POST /u/<token>``             one-click unsubscribe (RFC 8058): token only, no redirect
==============================  ===============================================================

A wrong secret, a bad signature or a forged token gets 401/403 and writes nothing. Work is
queued in the store (``inbound_events``) and applied by :class:`crmtui.engine.events_in.EventProcessor`
in a background loop, so every endpoint answers in milliseconds (Mailchimp gives up after 10 s).
Store writes run in the thread pool (a cron run holding the write lock never stalls the loop) and
are group-committed by :class:`BatchedWriter`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import html
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cryptography import x509
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

import crmtui.i18n.events  # noqa: F401 - registers the unsub.* keys
from crmtui.config import Settings
from crmtui.engine.events_in import EventProcessor
from crmtui.engine.events_parse import (
    COPPER_DEDUP_WINDOW,
    copper_dedup_key,
    nest_form,
    parse_copper,
    parse_form,
    parse_mailchimp,
    parse_ses_record,
)
from crmtui.engine.sns import DEFAULT_CERT_HOST_PATTERN, CertFetcher, SnsRejected, SnsVerifier, parse_body
from crmtui.engine.tracking import BadToken, TrackingSigner
from crmtui.i18n import CATALOGUE, LANGUAGES
from crmtui.store.events import EventsRepo
from crmtui.text import printable

if TYPE_CHECKING:
    from crmtui.connectors.copper import CopperClient
    from crmtui.connectors.mailchimp import MailchimpClient
    from crmtui.store.db import Store

log = logging.getLogger("crmtui.endpoints.server")

PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
"""A transparent 1×1 GIF."""

MAX_WEBHOOK_BODY = 512 * 1024
NO_STORE = {"Cache-Control": "no-store, max-age=0", "Pragma": "no-cache"}

Clients = tuple["CopperClient | None", "MailchimpClient | None"]


@dataclass(frozen=True)
class WebhookSecrets:
    """Secrets of the webhook URLs.

    Attributes:
        mailchimp: the path segment of the Mailchimp webhook URL.
        copper: the value Copper sends in the body field ``copper_field``.
        copper_field: the body field carrying it (n8n's convention: ``secret``).
    """

    mailchimp: str
    copper: str
    copper_field: str = "secret"

    @classmethod
    def derived(cls, signer: TrackingSigner) -> WebhookSecrets:
        """Secrets derived from ``CRMTUI_TRACKING_SECRET`` (stable, nothing more to configure)."""
        return cls(mailchimp=signer.derive("mailchimp-webhook"), copper=signer.derive("copper-webhook"))


class BatchedWriter:
    """Group commit: store writes from concurrent requests share one ``BEGIN IMMEDIATE`` transaction.

    Each request still gets its answer only after *its* write is committed (nothing acknowledged
    is lost), but under load one transaction carries many events instead of every thread queueing
    on SQLite's lock (whose busy handler sleeps). Writes run in the thread pool, so a cron run
    holding the lock never stalls the event loop.
    """

    def __init__(self, store: Store, max_batch: int = 500) -> None:
        self.store = store
        self.max_batch = max_batch
        self._pending: list[tuple[Callable[..., Any], tuple[Any, ...], asyncio.Future[Any]]] = []
        self._task: asyncio.Task[None] | None = None

    async def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(*args)`` inside the next batch's transaction; return its result."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append((fn, args, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
            try:
                results = await run_in_threadpool(self._run, batch)
            except Exception as exc:  # noqa: BLE001 - every caller of the batch gets the error
                for _, _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, _, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)

    def _run(self, batch: list[tuple[Callable[..., Any], tuple[Any, ...], asyncio.Future[Any]]]) -> list[Any]:
        with self.store.write():
            return [fn(*args) for fn, args, _ in batch]


def _tr(key: str, lang: str, **values: object) -> str:
    """Translate without touching the process-wide language (requests run concurrently)."""
    entry = CATALOGUE[key]
    text = entry.get(lang) or entry["en"]
    return text.format(**values) if values else text


def _language(request: Request, default: str) -> str:
    wanted = request.query_params.get("lang", "")
    if wanted in LANGUAGES:
        return wanted
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return default if default in LANGUAGES else "en"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


async def _body(request: Request, limit: int = MAX_WEBHOOK_BODY) -> bytes | None:
    """The request body, or None when it is larger than ``limit``."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _page(lang: str, title: str, body: str, status: int = 200) -> HTMLResponse:
    document = (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}"
        "button{font-size:1rem;padding:.6rem 1.2rem}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(document, status_code=status, headers={**NO_STORE, "Referrer-Policy": "no-referrer"})


def make_server_app(
    settings: Settings,
    store: Store,
    *,
    cert_fetcher: CertFetcher | None = None,
    allowed_topics: Iterable[str] = (),
    cert_host_pattern: str = DEFAULT_CERT_HOST_PATTERN,
    trusted_issuers: Iterable[x509.Certificate] = (),
    confirm_fetcher: Callable[[str], Awaitable[Any]] | None = None,
    secrets: WebhookSecrets | None = None,
    clients: Callable[[], Clients] | None = None,
    process_interval: float | None = 1.0,
    verify_sns: bool = True,
) -> Starlette:
    """The ``crmtui serve`` ASGI app.

    Args:
        settings: ``CRMTUI_TRACKING_SECRET`` signs tokens; ``CRMTUI_LANG`` is the page default.
        store: the open store (events are queued there).
        cert_fetcher: async ``url -> PEM``; the default fetches over https.
        allowed_topics: SNS topic ARNs accepted (none: every SNS delivery is refused).
        cert_host_pattern: hosts allowed to serve SNS signing certificates.
        trusted_issuers: CA certificates the SNS signing certificate must chain to (sandbox).
        confirm_fetcher: async ``url -> Any`` GETting a ``SubscribeURL`` (default: httpx GET).
        secrets: webhook secrets; derived from the tracking secret when omitted.
        clients: factory of ``(CopperClient, MailchimpClient)`` for pushing the outbox from the
            background loop (None: the outbox waits for the sync step).
        process_interval: seconds between background passes of the processor (None: no loop;
            tests drive :class:`EventProcessor` themselves).
        verify_sns: only the benchmark's "checks off" comparison sets this to False.

    Raises:
        ValueError: the tracking secret is missing or too short.
    """
    signer = TrackingSigner(settings.tracking_secret)
    webhook = secrets or WebhookSecrets.derived(signer)
    verifier = SnsVerifier(
        allowed_topics,
        cert_fetcher=cert_fetcher,
        cert_host_pattern=cert_host_pattern,
        trusted_issuers=trusted_issuers,
    )
    events = EventsRepo(store)
    processor = EventProcessor(settings, store)
    writer = BatchedWriter(store)
    confirm = confirm_fetcher or _confirm_https
    default_lang = settings.lang

    async def health(request: Request) -> Response:
        counts = await run_in_threadpool(events.queue_counts)
        return JSONResponse({"status": "ok", "queue": counts}, headers=NO_STORE)

    # -- SES via SNS -------------------------------------------------------------------------------

    async def sns(request: Request) -> Response:
        body = await _body(request)
        if body is None:
            return PlainTextResponse("too large", status_code=413)
        try:
            envelope = parse_body(body)
            message = await verifier.verify(envelope) if verify_sns else verifier.precheck(envelope)
        except SnsRejected as exc:
            log.warning("SNS delivery refused: %s", printable(str(exc))[:300])
            return PlainTextResponse(exc.reason, status_code=exc.status)
        if message.type == "Notification":
            try:
                record = parse_ses_record(message.message)
                payload: dict[str, Any] = json.loads(message.message)
                kind = record.kind
            except (ValueError, TypeError):
                log.warning("SNS notification %s is not an SES event; ignored", message.message_id)
                payload, kind = {}, ""
            fresh = await writer.call(
                events.enqueue_sns, message.message_id, message.topic_arn, message.type, kind, payload
            )
            return PlainTextResponse("ok" if fresh else "duplicate")
        if message.type == "SubscriptionConfirmation":
            if await run_in_threadpool(events.sns_seen, message.message_id):
                return PlainTextResponse("duplicate")
            try:
                await confirm(message.subscribe_url)
            except Exception as exc:  # noqa: BLE001 - SNS will resend the confirmation
                log.warning("SNS subscription to %s not confirmed: %s", message.topic_arn, type(exc).__name__)
                return PlainTextResponse("confirmation failed", status_code=502)
            await run_in_threadpool(
                events.enqueue_sns, message.message_id, message.topic_arn, message.type, "", {}
            )
            log.info("SNS subscription to %s confirmed", message.topic_arn)
            return PlainTextResponse("confirmed")
        # UnsubscribeConfirmation: note it; re-subscribing is an operator's decision.
        await run_in_threadpool(
            events.enqueue_sns, message.message_id, message.topic_arn, message.type, "", {}
        )
        log.warning("SNS says the subscription to %s was removed", message.topic_arn)
        return PlainTextResponse("noted")

    # -- Mailchimp ---------------------------------------------------------------------------------

    def _mailchimp_ok(request: Request) -> bool:
        given = str(request.path_params.get("secret", ""))
        return hmac.compare_digest(given.encode(), webhook.mailchimp.encode())

    async def mailchimp_validate(request: Request) -> Response:
        if not _mailchimp_ok(request):
            return PlainTextResponse("forbidden", status_code=403)
        return PlainTextResponse("ok")

    async def mailchimp_post(request: Request) -> Response:
        if not _mailchimp_ok(request):
            return PlainTextResponse("forbidden", status_code=403)
        body = await _body(request)
        if body is None:
            return PlainTextResponse("too large", status_code=413)
        form = nest_form(parse_form(body, request.headers.get("content-type", "")))
        try:
            event = parse_mailchimp(form)
        except ValueError as exc:
            return PlainTextResponse(str(exc), status_code=400)
        # Mailchimp retries slow or failed deliveries: the same body is queued once.
        dedup = "mc:" + hashlib.sha256(body).hexdigest()
        await writer.call(events.enqueue, "mailchimp", event.type, form, dedup)
        return PlainTextResponse("ok")

    # -- Copper ------------------------------------------------------------------------------------

    async def copper(request: Request) -> Response:
        body = await _body(request)
        if body is None:
            return PlainTextResponse("too large", status_code=413)
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            data = None
        given = data.get(webhook.copper_field) if isinstance(data, dict) else None
        if not isinstance(given, str) or not hmac.compare_digest(given.encode(), webhook.copper.encode()):
            return PlainTextResponse("unauthorized", status_code=401)
        assert isinstance(data, dict)
        data.pop(webhook.copper_field, None)
        try:
            note = parse_copper(data)
        except ValueError as exc:
            return PlainTextResponse(str(exc), status_code=400)
        # Copper never retries, but a proxy or a replay can deliver the same notification again;
        # its body has no id, so the content (without the secret) within a time window is the key.
        await writer.call(
            events.enqueue_unless_recent,
            "copper",
            note.event,
            data,
            copper_dedup_key(data),
            COPPER_DEDUP_WINDOW,
        )
        return PlainTextResponse("ok")

    # -- tracking ----------------------------------------------------------------------------------

    def _tracking_payload(request: Request, kind: str, message_id: str, **extra: Any) -> dict[str, Any]:
        return {
            "kind": kind,
            "message_id": message_id,
            "user_agent": request.headers.get("user-agent", "")[:300],
            "ip": _client_ip(request),
            "at": _now(),
            **extra,
        }

    async def open_pixel(request: Request) -> Response:
        try:
            token = signer.verify("o", str(request.path_params["token"]))
        except BadToken:
            return Response(status_code=403, headers=NO_STORE)
        await writer.call(
            events.enqueue, "tracking", "open", _tracking_payload(request, "open", token.message_id), None
        )
        return Response(PIXEL, media_type="image/gif", headers=NO_STORE)

    async def click(request: Request) -> Response:
        try:
            token = signer.verify("c", str(request.path_params["token"]))
        except BadToken:
            return PlainTextResponse("forbidden", status_code=403, headers=NO_STORE)
        assert token.link_index is not None
        url = await run_in_threadpool(events.link, token.message_id, token.link_index)
        if url is None or not url.lower().startswith(("https://", "http://")):
            return PlainTextResponse("unknown link", status_code=404, headers=NO_STORE)
        payload = _tracking_payload(request, "click", token.message_id, link=url, link_index=token.link_index)
        await writer.call(events.enqueue, "tracking", "click", payload, None)
        return RedirectResponse(url, status_code=302, headers=NO_STORE)

    # -- unsubscribe -------------------------------------------------------------------------------

    async def unsubscribe_page(request: Request) -> Response:
        lang = _language(request, default_lang)
        try:
            token = signer.verify("u", str(request.path_params["token"]))
        except BadToken:
            return _page(
                lang, _tr("unsub.title", lang), f"<p>{html.escape(_tr('unsub.invalid', lang))}</p>", 403
            )
        other = "en" if lang == "fr" else "fr"
        body = (
            f"<p>{html.escape(_tr('unsub.question', lang, email=token.email))}</p>"
            '<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">'
            f'<button type="submit">{html.escape(_tr("unsub.button", lang))}</button></form>'
            f'<p><a href="?lang={other}">{html.escape(_tr("unsub.other_language", lang))}</a></p>'
        )
        return _page(lang, _tr("unsub.title", lang), body)

    async def unsubscribe_post(request: Request) -> Response:
        lang = _language(request, default_lang)
        try:
            token = signer.verify("u", str(request.path_params["token"]))
        except BadToken:
            return _page(
                lang, _tr("unsub.title", lang), f"<p>{html.escape(_tr('unsub.invalid', lang))}</p>", 403
            )
        # RFC 8058: the body is "List-Unsubscribe=One-Click" (urlencoded or multipart); the token
        # alone authorises it. Read (bounded) and ignore: our own page posts the same field.
        await _body(request, 64 * 1024)

        def apply() -> None:
            email = events.email(token.message_id) if token.message_id else None
            processor.unsubscribe(token.email, source="link", email=email)

        await run_in_threadpool(apply)
        return _page(
            lang,
            _tr("unsub.title", lang),
            f"<p>{html.escape(_tr('unsub.done', lang, email=token.email))}</p>",
        )

    # -- background loop ---------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = None
        if process_interval is not None:
            task = asyncio.create_task(_loop(processor, process_interval, clients), name="crmtui-events")
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    routes = [
        Route("/health", health, methods=["GET"]),
        Route("/sns/ses", sns, methods=["POST"]),
        Route("/webhooks/mailchimp/{secret}", mailchimp_validate, methods=["GET", "HEAD"]),
        Route("/webhooks/mailchimp/{secret}", mailchimp_post, methods=["POST"]),
        Route("/webhooks/copper", copper, methods=["POST"]),
        Route("/t/o/{token}.gif", open_pixel, methods=["GET"]),
        Route("/t/c/{token}", click, methods=["GET"]),
        Route("/u/{token}", unsubscribe_page, methods=["GET"]),
        Route("/u/{token}", unsubscribe_post, methods=["POST"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.processor = processor
    app.state.signer = signer
    app.state.secrets = webhook
    app.state.verifier = verifier
    return app


async def _loop(processor: EventProcessor, interval: float, clients: Callable[[], Clients] | None) -> None:
    """Apply the queue, then push the outbox, forever (errors are logged, never fatal)."""
    copper = mailchimp = None
    if clients is not None:
        copper, mailchimp = clients()
    try:
        while True:
            try:
                stats = await run_in_threadpool(processor.process_pending)
                if stats.done or stats.failed:
                    log.info(
                        "events applied: %d done, %d ignored, %d failed",
                        stats.done,
                        stats.ignored,
                        stats.failed,
                    )
                if copper is not None or mailchimp is not None:
                    await processor.push_actions(copper, mailchimp)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the loop must survive a bad pass
                log.exception("events loop pass failed")
            await asyncio.sleep(interval)
    finally:
        for client in (copper, mailchimp):
            if client is not None:
                await client.aclose()


async def _confirm_https(url: str) -> None:
    """GET an SNS ``SubscribeURL`` (already checked: https, allowed host)."""
    import httpx

    async with httpx.AsyncClient(timeout=10.0, follow_redirects=False) as client:
        response = await client.get(url)
        response.raise_for_status()
