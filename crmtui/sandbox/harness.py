"""The sandbox harness: every simulator, seeded with sample data, on loopback ports.

Used by ``crmtui --sandbox`` (in-process, the console's demo), ``crmtui sandbox serve`` (prints the
URLs and a ready-to-use ``.env``), the end-to-end tests and the benchmarks. The applications talk
to it exactly as to the real services: real HTTP over sockets, the same paths, headers and auth.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from crmtui.config import Settings
from crmtui.sandbox.copper import CopperSim
from crmtui.sandbox.data import generate_contacts
from crmtui.sandbox.loopback import LoopbackServer
from crmtui.sandbox.mailchimp import DEFAULT_API_KEY, MailchimpSim
from crmtui.sandbox.odoo import DEFAULT_DB, DEFAULT_KEY, DEFAULT_LOGIN, OdooSim
from crmtui.secrets import Secret

COPPER_KEY = "sandbox-copper-key"
COPPER_EMAIL = "ops@domaine-exemple.fr"
LIST_ID = "a1b2c3d4e5"


@dataclass
class Sandbox:
    """The simulators and what was loaded into them."""

    copper: CopperSim
    mailchimp: MailchimpSim
    odoo: OdooSim
    summary: dict[str, Any] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)
    exports: Path | None = None
    _servers: list[LoopbackServer] = field(default_factory=list, repr=False)

    def env(self) -> dict[str, str]:
        """A ready-to-use ``.env`` for the running simulators."""
        env = {
            "COPPER_API_KEY": COPPER_KEY,
            "COPPER_API_EMAIL": COPPER_EMAIL,
            "COPPER_BASE_URL": self.urls["copper"] + "/developer_api/v1",
            "MAILCHIMP_API_KEY": DEFAULT_API_KEY,
            "MAILCHIMP_LIST_ID": LIST_ID,
            "MAILCHIMP_BASE_URL": self.urls["mailchimp"] + "/3.0",
            "ODOO_URL": self.urls["odoo"],
            "ODOO_DB": DEFAULT_DB,
            "ODOO_USER": DEFAULT_LOGIN,
            "ODOO_API_KEY": DEFAULT_KEY,
            "SYNC_MODE": "test",
            "TEST_EMAIL_FILTER": "@exemple",
        }
        if self.exports is not None:
            env["ISAVIGNE_EXPORT_PATH"] = str(self.exports)
        return env

    def apply_to(self, settings: Settings) -> Settings:
        """``settings`` pointed at the running simulators (keeps the operator's other choices)."""
        return replace(
            settings,
            sandbox=True,
            copper_api_key=Secret(COPPER_KEY),
            copper_api_email=COPPER_EMAIL,
            copper_base_url=self.urls["copper"] + "/developer_api/v1",
            mailchimp_api_key=Secret(DEFAULT_API_KEY),
            mailchimp_dc="us19",
            mailchimp_list_id=LIST_ID,
            mailchimp_base_url=self.urls["mailchimp"] + "/3.0",
            odoo_url=self.urls["odoo"],
            odoo_db=DEFAULT_DB,
            odoo_user=DEFAULT_LOGIN,
            odoo_api_key=Secret(DEFAULT_KEY),
            isavigne_export_path=self.exports,
        )

    def start(self) -> Sandbox:
        """Serve every simulator on a loopback port."""
        for name, app in (
            ("copper", self.copper.app),
            ("mailchimp", self.mailchimp.app),
            ("odoo", self.odoo.app),
        ):
            server = LoopbackServer(app)
            self.urls[name] = server.start()
            self._servers.append(server)
        return self

    def stop(self) -> None:
        """Stop the servers."""
        for server in self._servers:
            server.stop()
        self._servers.clear()


def build_sandbox(
    contacts: int = 500,
    seed: int = 42,
    *,
    partners: int = 200,
    exports_dir: Path | None = None,
    copper_rate_limit: int = 180,
) -> Sandbox:
    """Simulators seeded with deterministic sample data (not yet serving).

    Args:
        contacts: contact identities shared by Copper and Mailchimp.
        seed: the data seed.
        partners: Odoo partners.
        exports_dir: where to write the iSaVigne export files (None: none written).
        copper_rate_limit: Copper's requests per rolling minute (benchmarks may raise it to measure
            calls rather than waiting; the client's own budget is set to match).
    """
    data = generate_contacts(contacts, seed)
    copper = CopperSim(api_key=COPPER_KEY, user_email=COPPER_EMAIL, rate_limit=copper_rate_limit)
    copper.load_people(data.copper_people(), allow_duplicate_emails=True)
    mailchimp = MailchimpSim(api_key=DEFAULT_API_KEY, list_id=LIST_ID)
    mailchimp.load_members(data.mailchimp_members())
    for email in data.forgotten_emails():
        mailchimp.forget(email)
    odoo = OdooSim()
    from crmtui.sandbox.odoo_data import load_sample

    odoo_summary = load_sample(odoo, partners=partners, seed=seed)
    exports: Path | None = None
    if exports_dir is not None:
        from crmtui.sandbox.isavigne_data import write_exports

        write_exports(exports_dir, seed=seed)
        exports = exports_dir
    summary = {
        "contacts": dict(data.summary),
        "odoo": {k: v for k, v in odoo_summary.items() if k != "tastes"},
    }
    return Sandbox(copper, mailchimp, odoo, summary=summary, exports=exports)


@contextlib.contextmanager
def running_sandbox(contacts: int = 500, seed: int = 42, **kw: Any) -> Iterator[Sandbox]:
    """Build, serve, and stop the sandbox around a ``with`` block."""
    sandbox = build_sandbox(contacts, seed, **kw).start()
    try:
        yield sandbox
    finally:
        sandbox.stop()
