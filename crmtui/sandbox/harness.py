"""The sandbox harness: every simulator, seeded with sample data, on loopback ports.

Used by ``crmtui --sandbox`` (in-process, the console's demo), ``crmtui sandbox serve`` (prints the
URLs and a ready-to-use ``.env``), the end-to-end tests and the benchmarks. The applications talk
to it exactly as to the real services: real HTTP over sockets, the same paths, headers and auth.

Besides Copper, Mailchimp and Odoo it holds the mail side: the SES v2 simulator (``urls["ses"]``),
an SMTP sink and the replies mailbox (``urls["imap"]``: aioimaplib's IMAP testing server with a
password, :mod:`crmtui.sandbox.imap`), so every connector on the Connectors screen is testable.
With ``start(serve=True)`` it also hosts ``crmtui serve``'s own app on a loopback **https** port
(``urls["serve"]``, a certificate from a test CA made at run time): scenario links must be https
(RFC 8058), so the tracking and unsubscribe URLs in sandbox emails point at a real ``crmtui serve``
that recipients (and the SES event feed) can reach. The port is taken at start and
the app is attached once its store is open (:meth:`Sandbox.attach_serve`); until then it answers 503.
"""

from __future__ import annotations

import contextlib
import functools
import os
import ssl
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Receive, Scope, Send

from crmtui.config import Settings
from crmtui.sandbox.copper import CopperSim
from crmtui.sandbox.data import generate_contacts
from crmtui.sandbox.imap import ImapSandbox
from crmtui.sandbox.loopback import LoopbackServer
from crmtui.sandbox.mail import SANDBOX_FROM, SesSim, SmtpSink, ses_env
from crmtui.sandbox.mailchimp import DEFAULT_API_KEY, MailchimpSim
from crmtui.sandbox.odoo import DEFAULT_DB, DEFAULT_KEY, DEFAULT_LOGIN, OdooSim
from crmtui.secrets import Secret

if TYPE_CHECKING:
    from crmtui.store import Store

COPPER_KEY = "sandbox-copper-key"
COPPER_EMAIL = "ops@domaine-exemple.fr"
LIST_ID = "a1b2c3d4e5"
TRACKING_SECRET = "sandbox-tracking-secret-0123456789abcdef"
"""The sandbox's ``CRMTUI_TRACKING_SECRET`` (fixed, so tokens stay valid across restarts)."""
IMAP_USER = "contact@domaine-exemple.fr"
"""The replies mailbox: the sandbox's sender address, where recipients' answers arrive."""
IMAP_PASSWORD = "sandbox-imap-password"
"""Its password (the testing server's parser allows letters, digits and ``-``)."""


def _replies_mailbox() -> ImapSandbox:
    return ImapSandbox(users={IMAP_USER: IMAP_PASSWORD})


# -- the loopback https endpoint of ``crmtui serve`` ----------------------------------------------


@dataclass(frozen=True)
class LoopbackTls:
    """A test CA and a certificate it issued for ``127.0.0.1``/``localhost`` (PEM)."""

    ca_pem: bytes
    cert_pem: bytes
    key_pem: bytes

    def client_context(self) -> ssl.SSLContext:
        """An SSL context trusting only the test CA (for httpx's ``verify=``)."""
        return ssl.create_default_context(cadata=self.ca_pem.decode("ascii"))


@functools.lru_cache(maxsize=1)
def loopback_tls() -> LoopbackTls:
    """The sandbox's TLS material, made once per process (EC keys: milliseconds)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("crmtui sandbox CA"))
        .issuer_name(name("crmtui sandbox CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    return LoopbackTls(
        ca_pem=ca.public_bytes(pem),
        cert_pem=cert.public_bytes(pem),
        key_pem=key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    )


class ServeSlot:
    """An ASGI app that forwards to ``crmtui serve``'s app once attached (503 before)."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self.app
        if app is not None:
            await app(scope, receive, send)
            return
        if scope["type"] != "http":
            return
        body = b"crmtui serve is not attached yet"
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})


class HttpsLoopbackServer(LoopbackServer):
    """A :class:`LoopbackServer` speaking https with the sandbox's test certificate."""

    def __init__(self, app: ASGIApp, tls: LoopbackTls, host: str = "127.0.0.1") -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="crmtui-tls-")
        cert = Path(self._dir.name) / "cert.pem"
        key = Path(self._dir.name) / "key.pem"
        cert.write_bytes(tls.cert_pem + tls.ca_pem)
        fd = os.open(key, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(tls.key_pem)
        super().__init__(app, host, server_header=False, ssl_certfile=str(cert), ssl_keyfile=str(key))

    @property
    def url(self) -> str:
        """Base URL (https) of the running server."""
        return f"https://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> str:
        """Start serving; the key files are removed once uvicorn has loaded them."""
        try:
            return super().start(timeout)
        finally:
            self._dir.cleanup()


@dataclass
class Sandbox:
    """The simulators and what was loaded into them."""

    copper: CopperSim
    mailchimp: MailchimpSim
    odoo: OdooSim
    summary: dict[str, Any] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)
    exports: Path | None = None
    ses: SesSim = field(default_factory=SesSim)
    smtp: SmtpSink = field(default_factory=SmtpSink)
    imap: ImapSandbox = field(default_factory=_replies_mailbox)
    serve_slot: ServeSlot = field(default_factory=ServeSlot, repr=False)
    _servers: list[LoopbackServer] = field(default_factory=list, repr=False)
    _smtp_running: bool = field(default=False, repr=False)
    _imap_running: bool = field(default=False, repr=False)

    @property
    def tls(self) -> LoopbackTls:
        """The test CA and certificate of ``urls["serve"]`` (``tls.client_context()`` trusts it)."""
        return loopback_tls()

    def env(self) -> dict[str, str]:
        """A ready-to-use ``.env`` for the running simulators.

        ``CRMTUI_TRACKING_SECRET``/``CRMTUI_PUBLIC_URL`` are left out: whoever runs ``crmtui serve``
        against this ``.env`` chooses them (in-process, :meth:`apply_to` sets both).
        """
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
        if "ses" in self.urls:
            env.update(ses_env(self.urls["ses"], self.ses))  # SES_* and EMAIL_FROM
        if self._smtp_running:
            env.update(self.smtp.env())
        if self._imap_running:
            env.update(
                IMAP_HOST=self.imap.host,
                IMAP_PORT=str(self.imap.port),
                IMAP_USER=IMAP_USER,
                IMAP_PASSWORD=IMAP_PASSWORD,
                IMAP_SSL="no",
            )
        if self.exports is not None:
            env["ISAVIGNE_EXPORT_PATH"] = str(self.exports)
        return env

    def apply_to(self, settings: Settings) -> Settings:
        """``settings`` pointed at the running simulators (keeps the operator's other choices).

        Scenario emails go through the SES simulator (the SMTP sink is set too, for scenarios
        that ask for SMTP), From ``EMAIL_FROM`` when set, else the sandbox's verified sender;
        tracking and unsubscribe links are signed with the sandbox secret and point at
        ``urls["serve"]`` when it runs.
        """
        mail: dict[str, Any] = {
            "email_from": settings.email_from or SANDBOX_FROM,
            "tracking_secret": Secret(TRACKING_SECRET),
        }
        if "ses" in self.urls:
            mail.update(
                ses_region=self.ses.region,
                ses_access_key_id=self.ses.access_key_id,
                ses_secret_access_key=Secret(self.ses.secret_access_key),
                ses_endpoint_url=self.urls["ses"],
            )
        if self._smtp_running:
            mail.update(smtp_host=self.smtp.host, smtp_port=self.smtp.port, smtp_starttls=False)
        if self._imap_running:
            mail.update(
                imap_host=self.imap.host,
                imap_port=self.imap.port,
                imap_user=IMAP_USER,
                imap_password=Secret(IMAP_PASSWORD),
                imap_ssl=False,
            )
        if "serve" in self.urls:
            mail["public_base_url"] = self.urls["serve"]
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
            **mail,
        )

    def start(self, *, serve: bool = False) -> Sandbox:
        """Serve every simulator on a loopback port, the SMTP sink and the replies mailbox.

        Args:
            serve: also open the https port of ``crmtui serve`` (``urls["serve"]``); attach the
                app with :meth:`attach_serve`.
        """
        for name, app in (
            ("copper", self.copper.app),
            ("mailchimp", self.mailchimp.app),
            ("odoo", self.odoo.app),
            ("ses", self.ses.app),
        ):
            server = LoopbackServer(app)
            self.urls[name] = server.start()
            self._servers.append(server)
        self.smtp.start()
        self._smtp_running = True
        self.urls["smtp"] = self.smtp.url
        self.imap.start()
        self._imap_running = True
        self.urls["imap"] = f"imap://{self.imap.host}:{self.imap.port}"
        if serve:
            front = HttpsLoopbackServer(self.serve_slot, self.tls)
            self.urls["serve"] = front.start()
            self._servers.append(front)
        return self

    def attach_serve(self, settings: Settings, store: Store) -> Any:
        """Build ``crmtui serve``'s app for ``settings`` over ``store`` and serve it at ``urls["serve"]``.

        It is the app ``crmtui serve`` runs in sandbox mode (SNS verified against the sandbox's
        test CA, the sandbox topic allowed), without its background loop: whoever drives the
        sandbox applies the queue (the console's background worker, or a test calling
        ``app.state.processor``).

        Returns:
            The starlette app (``app.state.processor``, ``app.state.signer``...).
        """
        from crmtui.endpoints.server import make_server_app
        from crmtui.sandbox.ses_feed import SANDBOX_TOPIC
        from crmtui.sandbox.sns import sandbox_pki

        if "serve" not in self.urls:
            raise RuntimeError("start the sandbox with serve=True first")
        pki = sandbox_pki()
        app = make_server_app(
            settings,
            store,
            allowed_topics=[SANDBOX_TOPIC],
            cert_fetcher=pki.fetcher(),
            trusted_issuers=[pki.ca_cert],
            process_interval=None,
        )
        self.serve_slot.app = app
        return app

    def detach_serve(self) -> None:
        """Answer 503 again (before closing the store the app was using)."""
        self.serve_slot.app = None

    def stop(self) -> None:
        """Stop the servers, the SMTP sink and the mailbox."""
        self.detach_serve()
        for server in self._servers:
            server.stop()
        self._servers.clear()
        if self._smtp_running:
            self.smtp.stop()
            self._smtp_running = False
        if self._imap_running:
            self.imap.stop()
            self._imap_running = False


def build_sandbox(
    contacts: int = 500,
    seed: int = 42,
    *,
    partners: int = 200,
    exports_dir: Path | None = None,
    copper_rate_limit: int = 180,
    ses_max_send_rate: float = 14.0,
) -> Sandbox:
    """Simulators seeded with deterministic sample data (not yet serving).

    Args:
        contacts: contact identities shared by Copper and Mailchimp.
        seed: the data seed.
        partners: Odoo partners.
        exports_dir: where to write the iSaVigne export files (None: none written).
        copper_rate_limit: Copper's requests per rolling minute (benchmarks may raise it to measure
            calls rather than waiting; the client's own budget is set to match).
        ses_max_send_rate: the SES account's MaxSendRate (14/s, a new production account's).
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
    ses = SesSim(max_send_rate=ses_max_send_rate)
    return Sandbox(copper, mailchimp, odoo, summary=summary, exports=exports, ses=ses)


@contextlib.contextmanager
def running_sandbox(
    contacts: int = 500, seed: int = 42, *, serve: bool = False, **kw: Any
) -> Iterator[Sandbox]:
    """Build, serve, and stop the sandbox around a ``with`` block (``serve``: see :meth:`Sandbox.start`)."""
    sandbox = build_sandbox(contacts, seed, **kw).start(serve=serve)
    try:
        yield sandbox
    finally:
        sandbox.stop()
