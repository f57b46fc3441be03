"""The scenario senders: which one a scenario uses, opening it, and the notice for an account-level refusal.

A scenario's ``sender`` (``auto``, ``ses``, ``smtp``) is honoured: ``ses`` and ``smtp`` pick that
sender even when both are configured, ``auto`` prefers SES. A tick opens each sender it needs
once (:class:`TickSenders`) and stops using one after its first account-level refusal
(unverified sender, sending paused, quota, login or relay refused...), reporting it once with the
fix (:func:`account_notice`, catalogue ``sending.account.*``).
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
from typing import Any, Protocol

import httpx

from crmtui.config import Settings
from crmtui.connectors.errors import AuthError, ConnectorError, NetworkError
from crmtui.connectors.smtp import AccountRefused, OutgoingEmail, QuotaExceeded
from crmtui.i18n import t
from crmtui.store.scenarios import Scenario

log = logging.getLogger("crmtui.engine.sending")


class Sender(Protocol):
    """What the tick needs from a sender (SES or SMTP)."""

    name: str

    @property
    def rate(self) -> float | None:
        """Messages per second allowed (None: no limit of ours)."""

    async def send(self, message: OutgoingEmail) -> str:
        """Send one email; return the provider's id (see the typed errors of each sender)."""

    async def close(self) -> None:
        """Release connections."""


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(socket.gethostbyname(host)).is_loopback
    except (OSError, ValueError):
        return False


def sender_kind(settings: Settings, which: str = "auto") -> str:
    """Which sender ``which`` (a scenario's ``sender``: auto, ses, smtp) means here ("" if not configured)."""
    ready = settings.connectors()
    if which == "auto":
        return "ses" if ready["ses"] else "smtp" if ready["smtp"] else ""
    return which if which in ("ses", "smtp") and ready[which] else ""


async def open_sender(settings: Settings, which: str = "auto") -> Sender | None:
    """The sender ``which`` names: SES or SMTP, or for ``auto`` SES when configured, else SMTP.

    SES is paced at its ``GetAccount`` MaxSendRate; SMTP at ``SMTP_MAX_RATE`` when set.

    Returns:
        None when that sender is not configured.

    Raises:
        ConnectorError: SES refused GetAccount, or says the account may not send.
    """
    which = sender_kind(settings, which)
    if which == "ses":
        from crmtui.connectors.ses import SesClient

        client = SesClient(
            httpx.AsyncClient(timeout=30.0, limits=httpx.Limits(max_connections=32)),
            region=settings.ses_region,
            access_key_id=settings.ses_access_key_id,
            secret_access_key=settings.ses_secret_access_key,
            endpoint_url=settings.ses_endpoint_url,
            configuration_set=settings.ses_configuration_set,
        )
        try:
            account = await client.get_account()
            if not account.sending_enabled:
                suspended = account.enforcement_status.upper() == "SHUTDOWN"
                raise AccountRefused(
                    "ses",
                    f"GetAccount: SendingEnabled is false (EnforcementStatus {account.enforcement_status})",
                    reason="account_suspended" if suspended else "sending_paused",
                )
        except BaseException:
            await client.client.aclose()
            raise
        return _OwnedClient(client)
    if which == "smtp":
        from crmtui.connectors.smtp import SmtpSender

        return SmtpSender(
            settings.smtp_host,
            settings.smtp_port,
            username=settings.smtp_user,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            max_rate=settings.smtp_max_rate,
            connections=settings.smtp_connections,
            validate_certs=not _is_loopback(settings.smtp_host) or settings.smtp_ca_file is not None,
            cert_bundle=str(settings.smtp_ca_file) if settings.smtp_ca_file else None,
        )
    return None


class _OwnedClient:
    """An SES client that closes its own httpx client."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name = "ses"
        self.concurrency = max(1, min(16, int(inner.rate or 8)))

    @property
    def rate(self) -> float | None:
        rate: float | None = self.inner.rate
        return rate

    async def send(self, message: OutgoingEmail) -> str:
        result: str = await self.inner.send(message)
        return result

    async def close(self) -> None:
        await self.inner.client.aclose()


def account_notice(error: ConnectorError) -> str:
    """The one notice for a refusal that concerns the whole sender, with its fix (fr/en catalogue)."""
    if isinstance(error, AccountRefused):
        reason = error.reason
    elif isinstance(error, QuotaExceeded):
        reason = "quota"
    elif isinstance(error, AuthError):
        reason = "auth"
    elif isinstance(error, NetworkError):
        reason = "unreachable"
    else:
        reason = "refused"
    text = t(f"sending.account.{reason}", service=error.service.upper(), detail=error.message)
    return f"{text} {t('sending.account.stopped')}"


class TickSenders:
    """The senders of one tick, opened on first use, one per kind; a refused one stays blocked.

    An injected sender (tests, benchmarks) serves every scenario.
    """

    def __init__(self, settings: Settings, injected: Sender | None) -> None:
        self.settings = settings
        self.injected = injected
        self.opened: dict[str, Sender | None] = {}
        self.blocked: dict[str, str] = {}
        """Sender kind -> the notice that stopped it in this tick."""

    def kind(self, scenario: Scenario) -> str:
        if self.injected is not None:
            return "injected"
        return sender_kind(self.settings, scenario.sender)

    async def get(self, kind: str) -> Sender | None:
        if kind == "injected":
            return self.injected
        if kind not in self.opened:
            self.opened[kind] = await open_sender(self.settings, kind)
        return self.opened[kind]

    def block(self, kind: str, error: ConnectorError, *, errors: list[str]) -> None:
        """Stop ``kind`` for the rest of the tick with one notice in ``errors`` (the first refusal only)."""
        if kind in self.blocked:
            return
        notice = account_notice(error)
        self.blocked[kind] = notice
        errors.append(notice)
        log.error("sending stopped: %s", notice)

    async def close(self) -> None:
        for sender in self.opened.values():
            if sender is not None:
                with contextlib.suppress(Exception):
                    await sender.close()
