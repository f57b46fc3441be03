"""``crmtui connectors test``: one verdict per configured connector, with the fix for each failure."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import httpx

from crmtui.config import Settings
from crmtui.connectors.copper import CopperClient
from crmtui.connectors.errors import ConnectorError
from crmtui.connectors.http import RetryPolicy
from crmtui.connectors.mailchimp import MailchimpClient
from crmtui.connectors.odoo import OdooClient
from crmtui.i18n import t
from crmtui.text import printable

CONNECTORS = ("copper", "mailchimp", "odoo", "isavigne", "ses", "smtp", "imap")
_QUICK = RetryPolicy(attempts=2, base=0.2, cap=1.0, max_retry_after=5.0)


@dataclass(frozen=True)
class Verdict:
    """The outcome of testing one connector."""

    name: str
    ok: bool
    message: str
    hint: str = ""
    seconds: float = 0.0
    details: dict[str, object] = field(default_factory=dict)
    configured: bool = True

    def line(self) -> str:
        """One readable line (untrusted text escaped)."""
        mark = "✔" if self.ok else "✘"
        text = f"{mark} {self.name:<10} {printable(self.message)}"
        if self.hint and not self.ok and self.hint not in self.message:
            text += f"\n  → {printable(self.hint)}"
        return text


async def _copper(settings: Settings) -> Verdict:
    async with CopperClient(
        api_key=settings.copper_api_key,
        user_email=settings.copper_api_email,
        base_url=settings.copper_base_url,
        retry=_QUICK,
        timeout=10.0,
    ) as client:
        check = await client.check()
    hint = "" if check.ok or " — " in check.message else _hint("copper", check.verdict)
    return Verdict("copper", check.ok, check.message, hint, check.seconds, {"people": check.people})


async def _mailchimp(settings: Settings) -> Verdict:
    async with MailchimpClient(
        api_key=settings.mailchimp_api_key,
        list_id=settings.mailchimp_list_id,
        base_url=settings.mailchimp_api_root,
        retry=_QUICK,
        timeout=10.0,
    ) as client:
        check = await client.check()
    hint = "" if check.ok or " — " in check.message else _hint("mailchimp", check.verdict)
    details: dict[str, object] = {"list": check.list_name, "members": check.member_count}
    return Verdict("mailchimp", check.ok, check.message, hint, check.seconds, details)


async def _odoo(settings: Settings) -> Verdict:
    started = time.perf_counter()
    async with httpx.AsyncClient() as http:
        client = OdooClient.from_settings(settings, http, retry=_QUICK, timeout=15.0)
        check = await client.check()
    hint = (
        "" if check.ok else "; ".join(check.problems) or "check ODOO_URL, ODOO_DB, ODOO_USER and ODOO_API_KEY"
    )
    details: dict[str, object] = {
        "version": check.server_version,
        "counts": check.counts,
        "warnings": check.warnings,
    }
    return Verdict("odoo", check.ok, check.message, hint, round(time.perf_counter() - started, 3), details)


def _isavigne(settings: Settings) -> Verdict:
    path = settings.isavigne_export_path
    if path is None or not path.is_dir():
        return Verdict(
            "isavigne", False, f"folder {path} not found", "set ISAVIGNE_EXPORT_PATH to the exports folder"
        )
    files = sorted(p.name for p in path.iterdir() if p.suffix.lower() in (".csv", ".xlsx"))
    if not files:
        return Verdict(
            "isavigne", False, f"no .csv or .xlsx export in {path}", "export clients/produits/ventes/stock"
        )
    return Verdict("isavigne", True, f"{len(files)} export file(s) in {path}", details={"files": files})


def _hint(service: str, verdict: str) -> str:
    hints = {
        (
            "copper",
            "auth_refused",
        ): "check COPPER_API_KEY and COPPER_API_EMAIL (the email of the key's owner)",
        (
            "mailchimp",
            "auth_refused",
        ): "check MAILCHIMP_API_KEY (it must end with its data centre, e.g. -us19)",
        (
            "mailchimp",
            "list_not_found",
        ): "check MAILCHIMP_LIST_ID (Audience › Settings › Audience name and defaults)",
    }
    return hints.get(
        (service, verdict),
        {
            "unreachable": "check the network and the service address, then try again",
            "rate_limited": "the service is busy: wait a minute and try again",
        }.get(verdict, ""),
    )


async def check_connectors(settings: Settings, only: tuple[str, ...] | None = None) -> list[Verdict]:
    """Test every configured connector (concurrently); unconfigured ones are reported as such."""
    configured = settings.connectors()
    names = [n for n in CONNECTORS if only is None or n in only]
    from crmtui.engine.connectivity_mail import check_imap, check_ses, check_smtp

    tasks = {
        "copper": _copper,
        "mailchimp": _mailchimp,
        "odoo": _odoo,
        "ses": check_ses,
        "smtp": check_smtp,
        "imap": check_imap,
    }

    async def one(name: str) -> Verdict:
        if not configured.get(name):
            return Verdict(
                name,
                False,
                t("conn.not_configured"),
                t("conn.not_configured.fix", name=name),
                configured=False,
            )
        if name == "isavigne":
            return _isavigne(settings)
        try:
            return await tasks[name](settings)
        except ConnectorError as exc:
            return Verdict(name, False, exc.message, exc.hint)

    return list(await asyncio.gather(*(one(n) for n in names)))
