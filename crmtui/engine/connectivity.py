"""``crmtui connectors test``: one verdict per configured connector, with the fix for each failure."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import cast

import httpx

from crmtui.config import Settings
from crmtui.connectors.copper import CopperClient
from crmtui.connectors.errors import ConnectorError
from crmtui.connectors.http import RetryPolicy
from crmtui.connectors.mailchimp import MailchimpClient
from crmtui.connectors.odoo import OdooClient
from crmtui.formats import number
from crmtui.i18n import CATALOGUE, t
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
    message = check.message
    if check.ok:
        people = number(check.people) if check.people is not None else "?"
        message = t("conn.copper.ok", user=settings.copper_api_email, people=people)
    return Verdict("copper", check.ok, message, hint, check.seconds, {"people": check.people})


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
    message = check.message
    if check.ok:
        count = number(check.member_count) if check.member_count is not None else "?"
        message = t(
            "conn.mailchimp.ok", name=check.list_name or "", id=settings.mailchimp_list_id, count=count
        )
    return Verdict("mailchimp", check.ok, message, hint, check.seconds, details)


async def _odoo(settings: Settings) -> Verdict:
    started = time.perf_counter()
    async with httpx.AsyncClient() as http:
        client = OdooClient.from_settings(settings, http, retry=_QUICK, timeout=15.0)
        check = await client.check()
    hint = "" if check.ok else "; ".join(check.problems) or t("conn.odoo.fix")
    message = check.message
    if check.ok:
        message = t(
            "conn.odoo.ok",
            version=check.server_version,
            db=settings.odoo_db,
            user=settings.odoo_user,
            uid=check.uid if check.uid is not None else "?",
        )
    details: dict[str, object] = {
        "version": check.server_version,
        "counts": check.counts,
        "warnings": check.warnings,
    }
    return Verdict("odoo", check.ok, message, hint, round(time.perf_counter() - started, 3), details)


def _isavigne(settings: Settings) -> Verdict:
    path = settings.isavigne_export_path
    if path is None or not path.is_dir():
        return Verdict(
            "isavigne", False, t("conn.isavigne.no_folder", path=path), t("conn.isavigne.no_folder.fix")
        )
    files = sorted(p.name for p in path.iterdir() if p.suffix.lower() in (".csv", ".xlsx"))
    if not files:
        return Verdict("isavigne", False, t("conn.isavigne.empty", path=path), t("conn.isavigne.empty.fix"))
    message = t("conn.isavigne.ok", n=number(len(files)), path=path)
    return Verdict("isavigne", True, message, details={"files": files})


def _hint(service: str, verdict: str) -> str:
    """The fix for a failed check, from the catalogue (service-specific first, then generic)."""
    for key in (f"conn.{service}.{verdict}.fix", f"conn.{verdict}.fix"):
        if key in CATALOGUE:
            return t(key)
    return ""


async def check_connectors(settings: Settings, only: tuple[str, ...] | None = None) -> list[Verdict]:
    """Test every configured connector (concurrently); unconfigured ones are reported as such."""
    from crmtui.engine.etl import SOURCE_TYPES

    configured = settings.connectors()
    # Source kinds registered beyond the built-in ones (docs/adding-a-source.md) are tested too.
    extra = [kind for kind in SOURCE_TYPES if kind not in CONNECTORS]
    configured.update({kind: SOURCE_TYPES[kind].configured(settings) for kind in extra})
    names = [n for n in (*CONNECTORS, *extra) if only is None or n in only]
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
            if name in extra:
                return await _registered_source(settings, name)
            return await tasks[name](settings)
        except ConnectorError as exc:
            return Verdict(name, False, exc.message, exc.hint)

    return list(await asyncio.gather(*(one(n) for n in names)))


async def _registered_source(settings: Settings, kind: str) -> Verdict:
    """A registered source kind: build it without a store and run its own ``test()``."""
    from crmtui.engine.etl import SOURCE_TYPES, AsyncSource, SourceEnv, SyncSource

    started = time.perf_counter()
    async with httpx.AsyncClient() as http:
        source = SOURCE_TYPES[kind].build(SourceEnv(settings, None, http))
        if source.is_async:
            message = await cast(AsyncSource, source).test()
        else:
            message = await asyncio.to_thread(cast(SyncSource, source).test)
    return Verdict(kind, True, printable(message), seconds=round(time.perf_counter() - started, 3))
