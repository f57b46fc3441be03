"""Connector tests of the mail services: SES (quota and sender identity), SMTP (connect, TLS, AUTH),
IMAP (login and folder). Each gives one :class:`~crmtui.engine.connectivity.Verdict` whose message
and fix come from the catalogue (``conn.*``, French and English).

Nothing is sent: SES is asked ``GetAccount`` and ``GetEmailIdentity`` (read-only calls), the SMTP
session ends with ``QUIT`` after AUTH, IMAP only LOGINs and SELECTs.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import httpx

from crmtui.config import Settings
from crmtui.connectors.errors import AuthError, ConnectorError, NotFound
from crmtui.connectors.http import RetryPolicy
from crmtui.connectors.ses import SesClient
from crmtui.connectors.smtp_probe import probe_smtp
from crmtui.engine.replies import imap_client, is_loopback
from crmtui.formats import number
from crmtui.i18n import t

if TYPE_CHECKING:
    from crmtui.engine.connectivity import Verdict

_QUICK = RetryPolicy(attempts=2, base=0.2, cap=1.0, max_retry_after=5.0)


def _verdict(
    name: str,
    ok: bool,
    message: str,
    hint: str = "",
    *,
    seconds: float = 0.0,
    details: dict[str, object] | None = None,
) -> Verdict:
    from crmtui.engine.connectivity import Verdict

    return Verdict(name, ok, message, hint, seconds, details or {})


async def check_ses(settings: Settings) -> Verdict:
    """GetAccount (quota, sending enabled, production access) and the sender's GetEmailIdentity."""
    started = time.perf_counter()
    sender = settings.email_from
    async with httpx.AsyncClient() as http:
        client = SesClient(
            http,
            region=settings.ses_region,
            access_key_id=settings.ses_access_key_id,
            secret_access_key=settings.ses_secret_access_key,
            endpoint_url=settings.ses_endpoint_url,
            retry=_QUICK,
            timeout=10.0,
        )
        try:
            account = await client.get_account()
            identity = await client.sender_identity(sender) if sender else None
        except AuthError as exc:
            return _verdict("ses", False, t("conn.ses.auth", detail=exc.message), t("conn.ses.auth.fix"))
        except ConnectorError as exc:
            return _verdict(
                "ses", False, t("conn.ses.failed", detail=exc.message), exc.hint or t("conn.unreachable.fix")
            )
    seconds = round(time.perf_counter() - started, 3)
    quota = "∞" if account.max_24h_send < 0 else number(account.max_24h_send)
    sent = number(account.sent_last_24h)
    details: dict[str, object] = {
        "max_24h_send": account.max_24h_send,
        "sent_last_24h": account.sent_last_24h,
        "max_send_rate": account.max_send_rate,
        "sending_enabled": account.sending_enabled,
        "production_access": account.production_access,
        "enforcement": account.enforcement_status,
    }
    if identity is not None:
        details.update(identity=identity.identity, verified=identity.verified, status=identity.status)
    if not account.sending_enabled:
        message = t("conn.ses.disabled", status=account.enforcement_status)
        return _verdict("ses", False, message, t("conn.ses.disabled.fix"), seconds=seconds, details=details)
    if not sender:
        return _verdict(
            "ses",
            False,
            t("conn.ses.no_sender"),
            t("conn.ses.no_sender.fix"),
            seconds=seconds,
            details=details,
        )
    address = sender.split("<")[-1].rstrip(">").strip().lower()
    if identity is None:
        return _verdict(
            "ses",
            False,
            t("conn.ses.unknown_identity", sender=address),
            t("conn.ses.unknown_identity.fix", domain=address.rsplit("@", 1)[-1]),
            seconds=seconds,
            details=details,
        )
    if not identity.verified:
        return _verdict(
            "ses",
            False,
            t("conn.ses.unverified", identity=identity.identity, status=identity.status or "?"),
            t("conn.ses.unverified.fix"),
            seconds=seconds,
            details=details,
        )
    if not account.production_access:
        return _verdict(
            "ses",
            False,
            t("conn.ses.sandboxed", sent=sent, max=quota),
            t("conn.ses.sandboxed.fix"),
            seconds=seconds,
            details=details,
        )
    message = t(
        "conn.ses.ok",
        sent=sent,
        max=quota if account.max_24h_send >= 0 else t("conn.ses.unlimited"),
        rate=f"{account.max_send_rate:g}",
        access=t("conn.ses.production"),
        sender=address,
        status=t("conn.ses.verified"),
    )
    return _verdict("ses", True, message, seconds=seconds, details=details)


async def check_smtp(settings: Settings) -> Verdict:
    """Connect, STARTTLS or TLS as configured, AUTH when SMTP_USER is set; nothing is sent."""
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    probe = await probe_smtp(
        settings.smtp_host,
        settings.smtp_port,
        username=settings.smtp_user,
        password=settings.smtp_password,
        starttls=settings.smtp_starttls,
        timeout=10.0,
        validate_certs=not is_loopback(settings.smtp_host) or settings.smtp_ca_file is not None,
        cert_bundle=str(settings.smtp_ca_file) if settings.smtp_ca_file else None,
    )
    tls = t(f"conn.smtp.tls.{probe.tls}")
    details: dict[str, object] = {"tls": probe.tls, "auth": probe.auth, "code": probe.code}
    detail = f"{probe.code} {probe.text}".strip() if probe.code else probe.text
    if probe.ok:
        auth = (
            t("conn.smtp.auth.ok", user=settings.smtp_user)
            if probe.auth == "ok"
            else t("conn.smtp.auth.skipped")
        )
        message = t("conn.smtp.ok", where=where, tls=tls, auth=auth)
        return _verdict("smtp", True, message, seconds=probe.seconds, details=details)
    if probe.failed == "connect":
        message, fix = t("conn.smtp.connect", where=where, detail=detail), t("conn.smtp.connect.fix")
    elif probe.failed == "tls":
        message, fix = t("conn.smtp.tls", tls=tls, where=where, detail=detail), t("conn.smtp.tls.fix")
    elif probe.auth == "not_offered":
        message, fix = t("conn.smtp.no_auth", where=where, tls=tls), t("conn.smtp.no_auth.fix")
    else:
        message = t("conn.smtp.auth", user=settings.smtp_user, where=where, detail=detail)
        fix = t("conn.smtp.auth.fix")
    return _verdict("smtp", False, message, fix, seconds=probe.seconds, details=details)


async def check_imap(settings: Settings) -> Verdict:
    """LOGIN, then SELECT the configured folder (read-only: nothing is fetched or changed)."""
    started = time.perf_counter()
    folder = settings.imap_folder or "INBOX"
    where = f"{settings.imap_host}:{settings.imap_port}"
    user = settings.imap_user
    client = imap_client(settings, timeout=10.0)
    try:
        try:
            await client.connect()
        except AuthError:
            return _verdict(
                "imap", False, t("conn.imap.auth", user=user, where=where), t("conn.imap.auth.fix")
            )
        except ConnectorError as exc:
            return _verdict(
                "imap",
                False,
                t("conn.imap.connect", where=where, detail=exc.message),
                t("conn.imap.connect.fix"),
            )
        try:
            box = await client.select(folder)
        except NotFound:
            return _verdict("imap", False, t("conn.imap.folder", folder=folder), t("conn.imap.folder.fix"))
        except ConnectorError as exc:
            return _verdict(
                "imap",
                False,
                t("conn.imap.connect", where=where, detail=exc.message),
                t("conn.imap.connect.fix"),
            )
    finally:
        await client.close()
    seconds = round(time.perf_counter() - started, 3)
    message = t("conn.imap.ok", user=user, where=where, folder=folder, count=number(box.exists))
    return _verdict("imap", True, message, seconds=seconds, details={"folder": folder, "exists": box.exists})
