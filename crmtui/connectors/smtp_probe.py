"""One SMTP session that proves a relay can be used, step by step: connect, TLS, AUTH.

``crmtui connectors test`` and the Connectors screen want to say *which* step failed, because
the fix differs: an unreachable host (SMTP_HOST/SMTP_PORT), a TLS failure (SMTP_STARTTLS, the
port, SMTP_CA_FILE), a refused login (SMTP_USER/SMTP_PASSWORD). :func:`probe_smtp` walks the same
steps as :class:`~crmtui.connectors.smtp.SmtpSender` (aiosmtplib) and sends nothing: after AUTH it
says ``QUIT``.

The codes come from the server: ``535 5.7.8`` authentication credentials invalid (RFC 4954 §6),
``530 5.7.0`` authentication required, ``454``/``538`` encryption required.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from dataclasses import dataclass
from typing import Literal

import aiosmtplib

from crmtui.secrets import Secret, redact

Step = Literal["connect", "tls", "auth", ""]


@dataclass(frozen=True)
class SmtpProbe:
    """What one probe session found.

    Attributes:
        ok: every step asked for passed.
        failed: the step that failed (``connect``, ``tls``, ``auth``), or "".
        tls: ``starttls``, ``implicit`` or ``none`` (the connection as used).
        auth: ``ok``, ``refused``, ``skipped`` (no SMTP_USER) or ``not_offered`` (the server has no AUTH).
        code: the server's reply code of the failure (0 when there was none).
        text: the server's words, or the local error (redacted).
        banner: the server's greeting / EHLO name.
        seconds: how long the probe took.
    """

    ok: bool
    failed: Step
    tls: str
    auth: str
    code: int = 0
    text: str = ""
    banner: str = ""
    seconds: float = 0.0


async def probe_smtp(
    host: str,
    port: int,
    *,
    username: str = "",
    password: Secret | None = None,
    starttls: bool = True,
    use_tls: bool | None = None,
    timeout: float = 15.0,
    validate_certs: bool = True,
    cert_bundle: str | None = None,
) -> SmtpProbe:
    """Connect, negotiate TLS as configured, log in when a user is set; never send.

    Args:
        host, port: the relay.
        username, password: the login (none when ``username`` is empty).
        starttls: upgrade with STARTTLS (ignored with implicit TLS).
        use_tls: implicit TLS; defaults to ``port == 465``.
        timeout: seconds per step.
        validate_certs, cert_bundle: as for :class:`~crmtui.connectors.smtp.SmtpSender`.
    """
    started = time.perf_counter()
    implicit = port == 465 if use_tls is None else use_tls
    mode = "implicit" if implicit else ("starttls" if starttls else "none")
    client = aiosmtplib.SMTP(
        hostname=host,
        port=port,
        use_tls=implicit,
        start_tls=False,
        timeout=timeout,
        validate_certs=validate_certs,
        cert_bundle=cert_bundle,
    )

    def done(ok: bool, failed: Step, auth: str, code: int = 0, text: str = "") -> SmtpProbe:
        return SmtpProbe(
            ok,
            failed,
            mode,
            auth,
            code,
            redact(text)[:300],
            banner=str(getattr(client, "_ehlo_response_message", "") or "")[:120],
            seconds=round(time.perf_counter() - started, 3),
        )

    try:
        try:
            await client.connect()
        except (ssl.SSLError, aiosmtplib.SMTPConnectError, aiosmtplib.SMTPServerDisconnected) as exc:
            cause = exc.__cause__ or exc.__context__
            if implicit and (isinstance(exc, ssl.SSLError) or isinstance(cause, ssl.SSLError)):
                return done(False, "tls", "skipped", text=str(cause or exc))
            return done(False, "connect", "skipped", text=str(exc))
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            return done(False, "connect", "skipped", text=str(exc) or type(exc).__name__)
        if mode == "starttls":
            try:
                await client.starttls()
            except aiosmtplib.SMTPResponseException as exc:
                return done(False, "tls", "skipped", exc.code, exc.message)
            except (TimeoutError, aiosmtplib.SMTPException, ssl.SSLError, OSError) as exc:
                return done(False, "tls", "skipped", text=str(exc) or type(exc).__name__)
        if not username:
            return done(True, "", "skipped")
        try:
            await client.ehlo()  # the extensions as offered now (after STARTTLS, the new ones)
        except aiosmtplib.SMTPResponseException as exc:
            return done(False, "connect", "skipped", exc.code, exc.message)
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            return done(False, "connect", "skipped", text=str(exc) or type(exc).__name__)
        if not client.supports_extension("auth"):
            return done(False, "auth", "not_offered", text="the server offers no AUTH")
        try:
            await client.login(username, (password or Secret("")).reveal())
        except aiosmtplib.SMTPResponseException as exc:
            return done(False, "auth", "refused", exc.code, exc.message)
        except aiosmtplib.SMTPException as exc:
            return done(False, "auth", "refused", text=str(exc))
        return done(True, "", "ok")
    finally:
        with contextlib.suppress(Exception):
            if client.is_connected:
                await asyncio.wait_for(client.quit(), timeout=min(timeout, 5.0))
        with contextlib.suppress(Exception):
            client.close()
