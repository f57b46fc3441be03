"""Settings: one typed, frozen object built from the environment and a ``.env`` file.

Precedence: command-line overrides > environment > ``.env`` > defaults. The variable names are the
ones the team already uses (``COPPER_API_KEY``, ``MAILCHIMP_DC``, ``MAILCHIMP_LIST_ID``...).

Validation runs once, at start-up, and reports **every** problem at once in plain words: which
variable, what is wrong, how to fix it (:class:`ConfigError`). Secrets are :class:`Secret`
values: they never show in a repr, a log line, an exception or a report. Reading one variable's
value (URL, duration, share, choice, field and column maps) is :mod:`crmtui.config_values`.
"""

from __future__ import annotations

import io
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

import platformdirs
from dotenv import dotenv_values

from crmtui.config_values import (
    Problem,
    check_pair,
    choice_value,
    duration_value,
    field_map_value,
    float_value,
    format_isavigne_columns,
    int_value,
    isavigne_columns_value,
    parse_isavigne_columns,
    share_value,
    url_value,
)
from crmtui.i18n import detect_language, set_language, t
from crmtui.intervals import describe_interval
from crmtui.secrets import Secret, mask, redact
from crmtui.text import printable

# Settings, and what callers import from here though it lives in config_values.
__all__ = [
    "ConfigError",
    "Settings",
    "default_data_dir",
    "check_env_file_permissions",
    "read_env_text",
    "load_settings",
    "SyncMode",
    "ConflictPolicy",
    "COPPER_BASE_URL",
    "APP_NAME",
    "SECRET_VARS",
    "FIELD_VARS",
    "Problem",
    "format_isavigne_columns",
    "parse_isavigne_columns",
]

SyncMode = Literal["test", "production"]
ConflictPolicy = Literal["copper-wins", "newest-wins"]

COPPER_BASE_URL = "https://api.copper.com/developer_api/v1"
APP_NAME = "crmtui"


class ConfigError(Exception):
    """Every configuration problem found, to be shown together."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(self.render())

    def render(self) -> str:
        """The multi-line message shown to the operator."""
        lines = [t("config.invalid", n=len(self.problems))]
        # A value quoted in a problem came from the operator's files: shown literally, secrets masked.
        lines += [f"  • {printable(redact(str(p)))}" for p in self.problems]
        return "\n".join(lines)


def _secret(default: str = "") -> Any:
    return field(default_factory=lambda: Secret(default), repr=False)


@dataclass(frozen=True)
class Settings:
    """Everything crmtui needs to run. Build it with :func:`load_settings`."""

    # -- Copper CRM -------------------------------------------------------------------------
    copper_api_key: Secret = _secret()
    """COPPER_API_KEY: the Copper API key (Settings › Integrations › API Keys)."""
    copper_api_email: str = ""
    """COPPER_API_EMAIL: email of the Copper user who owns the key (sent as X-PW-UserEmail)."""
    copper_base_url: str = COPPER_BASE_URL
    """COPPER_BASE_URL: API root; only changed for the sandbox or a proxy."""
    copper_siret_field: str = ""
    """COPPER_SIRET_FIELD: id of the Copper custom field holding the company's SIRET (``{{siret}}``)."""

    # -- Mailchimp -----------------------------------------------------------------------------
    mailchimp_api_key: Secret = _secret()
    """MAILCHIMP_API_KEY: the Mailchimp API key, ending with its data centre (``-us19``)."""
    mailchimp_dc: str = ""
    """MAILCHIMP_DC: data centre; derived from the key's ``-usX`` suffix when absent."""
    mailchimp_list_id: str = ""
    """MAILCHIMP_LIST_ID: the audience (list) id to keep in sync."""
    mailchimp_base_url: str = ""
    """MAILCHIMP_BASE_URL: API root; defaults to ``https://<dc>.api.mailchimp.com/3.0``."""

    # -- sync ----------------------------------------------------------------------------------
    sync_interval: int = 3600
    """SYNC_INTERVAL: seconds between automatic cycles in the console (``3600``, ``15m``, ``1h``, ``1d``,
    ``7d``, ``168h``, ``1w``, ``weekly``/``hebdomadaire``; ``0`` or ``off``: none). See :mod:`crmtui.intervals`."""
    sync_mode: SyncMode = "test"
    """SYNC_MODE: ``test`` (only emails matching TEST_EMAIL_FILTER) or ``production``."""
    test_email_filter: str = "@exemple"
    """TEST_EMAIL_FILTER: in test mode, only emails containing this text are touched."""
    conflict_policy: ConflictPolicy = "copper-wins"
    """SYNC_CONFLICT_POLICY: who wins a field changed on both sides."""

    field_map: dict[str, str] = field(
        default_factory=lambda: {"first_name": "FNAME", "last_name": "LNAME", "phone": "PHONE"}
    )
    """SYNC_FIELD_MAP: Copper field → Mailchimp merge tag (``first_name=FNAME,last_name=LNAME,phone=PHONE``)."""
    new_member_status: str = "subscribed"
    """SYNC_NEW_MEMBER_STATUS: status of members created from Copper (``subscribed`` or ``pending``)."""
    unsubscribed_tag: str = "Désabonné Mailchimp"
    """SYNC_UNSUBSCRIBED_TAG: Copper tag mirroring a Mailchimp unsubscribe."""
    cleaned_tag: str = "Adresse invalide Mailchimp"
    """SYNC_CLEANED_TAG: Copper tag mirroring a cleaned (bouncing) Mailchimp address."""
    full_every: int = 24
    """SYNC_FULL_EVERY: a full reconcile every N runs (deletions and archives are only seen then)."""
    max_change_share: float = 0.05
    """SYNC_MAX_CHANGE_SHARE: circuit breaker: stop before writing when a run would archive, delete,
    unsubscribe or untag more than this share of the audience."""
    archive_action: str = "unsubscribe"
    """SYNC_ARCHIVE_ACTION: what "archive" (a decision or a hand-added ``📥 INACTIF``) does in
    Mailchimp: ``unsubscribe`` (the document's "désabonnement automatique", the default) or
    ``archive`` (the member leaves the audience)."""
    report_verbose: bool = False
    """SYNC_REPORT_VERBOSE: list every contact compared and found identical in the report (``--verbose``);
    by default they are only counted, so a 20k audience does not make a 20k-line report."""

    rfm_vip_monetary: float = 1000.0
    """RFM_VIP_MONETARY: total spent (€) from which an active customer is VIP."""
    rfm_vip_orders: int = 6
    """RFM_VIP_ORDERS: number of orders from which an active customer is VIP."""
    rfm_at_risk_days: int = 365
    """RFM_AT_RISK_DAYS: days without a purchase after which a customer is AT_RISK."""
    rfm_inactive_days: int = 730
    """RFM_INACTIVE_DAYS: days without a purchase after which a customer is INACTIVE."""

    # -- Odoo ---------------------------------------------------------------------------------
    odoo_url: str = ""
    """ODOO_URL: the Odoo server, e.g. ``https://odoo.exemple.fr``."""
    odoo_db: str = ""
    """ODOO_DB: the Odoo database name."""
    odoo_user: str = ""
    """ODOO_USER: the login of the Odoo user."""
    odoo_api_key: Secret = _secret()
    """ODOO_API_KEY: that user's API key (or password)."""

    # -- iSaVigne -------------------------------------------------------------------------------
    isavigne_export_path: Path | None = None
    """ISAVIGNE_EXPORT_PATH: folder holding the iSaVigne CSV/Excel exports."""
    isavigne_columns: dict[str, dict[str, str]] = field(default_factory=dict)
    """ISAVIGNE_COLUMNS: the operator's own headers, ``file:header=field`` separated by ``;``
    (``clients:Nom complet=last_name;ventes:Qté livrée=quantity``): file kind → normalised header → field."""
    isavigne_name_order: str = "first_last"
    """ISAVIGNE_NAME_ORDER: how a ``nom`` holding both names is written: ``first_last`` (``Jean
    Dupont``, the default) or ``last_first`` (``Dupont Jean``). A leading run of CAPITALS is
    always the last name."""
    odoo_company_id: int | None = None
    """ODOO_COMPANY_ID: read only this company's records (multi-company databases)."""
    odoo_page_size: int = 1000
    """ODOO_PAGE_SIZE: records per ``search_read`` call."""
    odoo_timeout: float = 60.0
    """ODOO_TIMEOUT: seconds per Odoo request."""

    # -- email sending -------------------------------------------------------------------------
    email_from: str = ""
    """EMAIL_FROM: the From address of scenario emails."""
    ses_region: str = ""
    """SES_REGION (or AWS_REGION): region of the SES account, e.g. ``eu-west-3``."""
    ses_access_key_id: str = ""
    """SES_ACCESS_KEY_ID (or AWS_ACCESS_KEY_ID)."""
    ses_secret_access_key: Secret = _secret()
    """SES_SECRET_ACCESS_KEY (or AWS_SECRET_ACCESS_KEY)."""
    ses_endpoint_url: str = ""
    """SES_ENDPOINT_URL: only for tests and the sandbox."""
    ses_configuration_set: str = ""
    """SES_CONFIGURATION_SET: the configuration set publishing events to SNS."""
    smtp_host: str = ""
    """SMTP_HOST: SMTP server for sending (when SES's API is not used)."""
    smtp_port: int = 587
    """SMTP_PORT: 587 (STARTTLS), 465 (TLS) or 25."""
    smtp_user: str = ""
    """SMTP_USER: SMTP login, if any."""
    smtp_password: Secret = _secret()
    """SMTP_PASSWORD: SMTP password, if any."""
    smtp_starttls: bool = True
    """SMTP_STARTTLS: upgrade the connection with STARTTLS (default yes)."""
    smtp_ca_file: Path | None = None
    """SMTP_CA_FILE: a CA bundle to trust for the relay's certificate (a private CA)."""
    smtp_max_rate: float | None = None
    """SMTP_MAX_RATE: messages per second the SMTP relay accepts (None: no pacing)."""
    smtp_connections: int = 4
    """SMTP_CONNECTIONS: SMTP connections used at once."""
    imap_host: str = ""
    """IMAP_HOST: mailbox polled for replies (scenarios with stop_on_reply)."""
    imap_port: int = 993
    """IMAP_PORT: 993 (TLS) or 143."""
    imap_user: str = ""
    """IMAP_USER: mailbox login."""
    imap_password: Secret = _secret()
    """IMAP_PASSWORD: mailbox password."""
    imap_folder: str = "INBOX"
    """IMAP_FOLDER: the folder where replies arrive."""
    imap_ssl: bool = True
    """IMAP_SSL: connect with TLS (default yes)."""
    tracking_secret: Secret = _secret()
    """CRMTUI_TRACKING_SECRET: key signing open/click/unsubscribe tokens."""
    public_base_url: str = ""
    """CRMTUI_PUBLIC_URL: https address where ``crmtui serve`` is reachable (links in emails)."""
    sns_topics: tuple[str, ...] = ()
    """CRMTUI_SNS_TOPICS: SNS topic ARNs ``crmtui serve`` accepts SES events from (comma-separated)."""
    erasure_secret: Secret = _secret()
    """CRMTUI_ERASURE_SECRET: HMAC key of the erasure suppression list (made by the first ``crmtui erase``)."""

    # -- local -----------------------------------------------------------------------------------
    db_path: Path = field(default_factory=lambda: default_data_dir() / "crmtui.db")
    """CRMTUI_DB: the SQLite store (the sandbox always uses its own file next to it)."""
    data_dir: Path = field(default_factory=lambda: default_data_dir())
    """CRMTUI_DATA_DIR: where logs and reports go (``logs/`` and ``reports/``)."""
    lang: str = "en"
    """CRMTUI_LANG: ``fr`` or ``en``; else from LANG."""
    sandbox: bool = False
    """True when running against the built-in simulators (``--sandbox``)."""
    env_file: Path | None = None
    """The ``.env`` file that was read, if any."""
    sources: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    """For ``config check``: where each variable came from (cli, env, .env)."""

    # -- derived -------------------------------------------------------------------------------
    @property
    def log_dir(self) -> Path:
        """Folder of per-run and daily logs."""
        return self.data_dir / "logs"

    @property
    def report_dir(self) -> Path:
        """Folder of per-run sync reports."""
        return self.data_dir / "reports"

    @property
    def store_path(self) -> Path:
        """The database file actually used: the sandbox never touches the production one."""
        if self.sandbox:
            return self.db_path.with_name(self.db_path.stem + "-sandbox" + (self.db_path.suffix or ".db"))
        return self.db_path

    @property
    def mailchimp_api_root(self) -> str:
        """Base URL of the Mailchimp API for this account."""
        if self.mailchimp_base_url:
            return self.mailchimp_base_url.rstrip("/")
        return f"https://{self.mailchimp_dc}.api.mailchimp.com/3.0" if self.mailchimp_dc else ""

    def connectors(self) -> dict[str, bool]:
        """Which connectors are set up (all required values present)."""
        return {
            "copper": bool(self.copper_api_key and self.copper_api_email),
            "mailchimp": bool(self.mailchimp_api_key and self.mailchimp_list_id and self.mailchimp_dc),
            "odoo": bool(self.odoo_url and self.odoo_db and self.odoo_user and self.odoo_api_key),
            "isavigne": self.isavigne_export_path is not None,
            "ses": bool(self.ses_region and self.ses_access_key_id and self.ses_secret_access_key),
            "smtp": bool(self.smtp_host),
            "imap": bool(self.imap_host and self.imap_user and self.imap_password),
        }

    @property
    def has_credentials(self) -> bool:
        """Whether any source or service is configured (otherwise the console defaults to the sandbox).

        Any of them counts (an iSaVigne folder alone, Odoo, SES, SMTP, IMAP, Copper, Mailchimp):
        an estate with only its exports must never be run against the sandbox's sample data.
        """
        return any(self.connectors().values())

    def describe(self) -> list[tuple[str, str, str]]:
        """``(variable, shown value, source)`` rows for ``config check``; secrets masked."""
        rows: list[tuple[str, str, str]] = []
        for f in fields(self):
            var = FIELD_VARS.get(f.name)
            if var is None:
                continue
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                value = ", ".join(str(v) for v in value)
            shown = (
                mask(value.reveal())
                if isinstance(value, Secret)
                else ("" if value is None else redact(str(value)))  # a password inside a URL
            )
            if f.name == "sync_interval":
                shown = f"{value} s ({describe_interval(value)})"  # 604800 s (1 wk)
            rows.append((var, shown, self.sources.get(var, "default")))
        return rows


# field name -> the environment variable operators use
FIELD_VARS: dict[str, str] = {
    "copper_api_key": "COPPER_API_KEY",
    "copper_api_email": "COPPER_API_EMAIL",
    "copper_base_url": "COPPER_BASE_URL",
    "copper_siret_field": "COPPER_SIRET_FIELD",
    "mailchimp_api_key": "MAILCHIMP_API_KEY",
    "mailchimp_dc": "MAILCHIMP_DC",
    "mailchimp_list_id": "MAILCHIMP_LIST_ID",
    "mailchimp_base_url": "MAILCHIMP_BASE_URL",
    "sync_interval": "SYNC_INTERVAL",
    "sync_mode": "SYNC_MODE",
    "test_email_filter": "TEST_EMAIL_FILTER",
    "conflict_policy": "SYNC_CONFLICT_POLICY",
    "field_map": "SYNC_FIELD_MAP",
    "new_member_status": "SYNC_NEW_MEMBER_STATUS",
    "unsubscribed_tag": "SYNC_UNSUBSCRIBED_TAG",
    "cleaned_tag": "SYNC_CLEANED_TAG",
    "full_every": "SYNC_FULL_EVERY",
    "max_change_share": "SYNC_MAX_CHANGE_SHARE",
    "archive_action": "SYNC_ARCHIVE_ACTION",
    "report_verbose": "SYNC_REPORT_VERBOSE",
    "rfm_vip_monetary": "RFM_VIP_MONETARY",
    "rfm_vip_orders": "RFM_VIP_ORDERS",
    "rfm_at_risk_days": "RFM_AT_RISK_DAYS",
    "rfm_inactive_days": "RFM_INACTIVE_DAYS",
    "odoo_url": "ODOO_URL",
    "odoo_db": "ODOO_DB",
    "odoo_user": "ODOO_USER",
    "odoo_api_key": "ODOO_API_KEY",
    "isavigne_export_path": "ISAVIGNE_EXPORT_PATH",
    "isavigne_columns": "ISAVIGNE_COLUMNS",
    "isavigne_name_order": "ISAVIGNE_NAME_ORDER",
    "odoo_company_id": "ODOO_COMPANY_ID",
    "odoo_page_size": "ODOO_PAGE_SIZE",
    "odoo_timeout": "ODOO_TIMEOUT",
    "email_from": "EMAIL_FROM",
    "ses_region": "SES_REGION",
    "ses_access_key_id": "SES_ACCESS_KEY_ID",
    "ses_secret_access_key": "SES_SECRET_ACCESS_KEY",
    "ses_endpoint_url": "SES_ENDPOINT_URL",
    "ses_configuration_set": "SES_CONFIGURATION_SET",
    "smtp_host": "SMTP_HOST",
    "smtp_port": "SMTP_PORT",
    "smtp_user": "SMTP_USER",
    "smtp_password": "SMTP_PASSWORD",
    "smtp_starttls": "SMTP_STARTTLS",
    "smtp_ca_file": "SMTP_CA_FILE",
    "smtp_max_rate": "SMTP_MAX_RATE",
    "smtp_connections": "SMTP_CONNECTIONS",
    "imap_host": "IMAP_HOST",
    "imap_port": "IMAP_PORT",
    "imap_user": "IMAP_USER",
    "imap_password": "IMAP_PASSWORD",
    "imap_folder": "IMAP_FOLDER",
    "imap_ssl": "IMAP_SSL",
    "tracking_secret": "CRMTUI_TRACKING_SECRET",
    "public_base_url": "CRMTUI_PUBLIC_URL",
    "erasure_secret": "CRMTUI_ERASURE_SECRET",
    "db_path": "CRMTUI_DB",
    "data_dir": "CRMTUI_DATA_DIR",
    "lang": "CRMTUI_LANG",
    "sns_topics": "CRMTUI_SNS_TOPICS",
}
_ALIASES = {
    "SES_REGION": ("AWS_REGION", "AWS_DEFAULT_REGION"),
    "SES_ACCESS_KEY_ID": ("AWS_ACCESS_KEY_ID",),
    "SES_SECRET_ACCESS_KEY": ("AWS_SECRET_ACCESS_KEY",),
}
SECRET_VARS = frozenset(
    {
        "COPPER_API_KEY",
        "MAILCHIMP_API_KEY",
        "ODOO_API_KEY",
        "SES_SECRET_ACCESS_KEY",
        "SMTP_PASSWORD",
        "IMAP_PASSWORD",
    }
    | {"CRMTUI_TRACKING_SECRET", "AWS_SECRET_ACCESS_KEY"}
    | {"CRMTUI_ERASURE_SECRET"}
)

_DC = re.compile(r"-([a-z]{2}\d{1,3})$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def default_data_dir() -> Path:
    """Per-user data folder (``~/.local/share/crmtui`` on Linux)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def check_env_file_permissions(path: Path) -> Problem | None:
    """A ``.env`` readable by other users is refused, with the exact ``chmod`` to run."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    if mode & 0o077:
        shown = str(path.resolve())
        return Problem(
            variable=path.name,
            what=t("config.env_perms", path=shown, mode=oct(mode)[2:].rjust(3, "0")),
            fix=t("config.env_perms.fix", path=shown),
        )
    return None


def read_env_text(path: Path) -> tuple[str, Problem | None]:
    """The text of the ``.env`` at ``path``, or the problem that prevents reading it.

    A file that is not UTF-8 (saved as Latin-1 or Windows-1252 by an editor) is a configuration
    problem naming the line and column of the first bad byte, never a traceback; the line's content
    is not shown, since it may hold a secret.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        return "", Problem(
            path.name,
            t("input.env_unreadable", path=str(path), detail=exc.strerror or type(exc).__name__),
            t("input.env_unreadable.fix", path=str(path)),
        )
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return "", Problem(
            path.name,
            t(
                "input.env_not_utf8",
                path=str(path),
                line=line,
                column=column,
                byte=f"0x{data[exc.start]:02x}",
            ),
            t("input.env_not_utf8.fix", path=str(path)),
        )


def _has_surrogates(value: str) -> bool:
    """Whether ``value`` came from bytes that are not UTF-8 (``os.environ`` keeps them as surrogates)."""
    return any("\udc80" <= ch <= "\udcff" for ch in value)


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    env_file: Path | str | None = ".env",
    overrides: Mapping[str, str] | None = None,
    sandbox: bool | None = None,
) -> Settings:
    """Build and validate :class:`Settings`.

    Args:
        environ: the process environment (``os.environ`` when None).
        env_file: the ``.env`` to read if it exists (None: do not read one).
        overrides: values from the command line, by variable name (highest precedence).
        sandbox: force the sandbox on/off; None means "sandbox when no credentials are set".

    Raises:
        ConfigError: with every problem found.
    """
    environ = dict(os.environ if environ is None else environ)
    problems: list[Problem] = []
    values: dict[str, str] = {}
    sources: dict[str, str] = {}

    env_path: Path | None = None
    if env_file is not None:
        candidate = Path(environ.get("CRMTUI_ENV_FILE", env_file)).expanduser()
        if candidate.is_file():
            env_path = candidate
            perm = check_env_file_permissions(candidate)
            if perm:
                # Refuse the file outright: reading secrets from it would endorse the leak.
                raise ConfigError([perm])
            text, unreadable = read_env_text(candidate)
            if unreadable:
                # The file cannot tell the language: the environment and command line do.
                spoken = {k: v for k, v in {**environ, **(overrides or {})}.items() if not _has_surrogates(v)}
                set_language(detect_language(spoken))
                raise ConfigError([read_env_text(candidate)[1] or unreadable])  # again, in that language
            for key, value in dotenv_values(stream=io.StringIO(text)).items():
                if value is not None and value.strip() != "":
                    values[key] = value.strip()
                    sources[key] = ".env"
    for key, value in environ.items():
        if value.strip() != "":
            values[key] = value.strip()
            sources[key] = "env"
    for key, value in (overrides or {}).items():
        if value is not None and str(value).strip() != "":
            values[key] = str(value).strip()
            sources[key] = "cli"
    for canonical, aliases in _ALIASES.items():
        if canonical not in values:
            for alias in aliases:
                if alias in values:
                    values[canonical] = values[alias]
                    sources[canonical] = sources[alias]
                    break

    # Messages below are in the operator's language, which the same sources decide.
    set_language(detect_language({k: v for k, v in values.items() if not _has_surrogates(v)}))

    # A variable exported from a non-UTF-8 shell holds undecodable bytes: printing it would crash.
    known = set(FIELD_VARS.values()) | {alias for group in _ALIASES.values() for alias in group}
    for var in sorted(known & values.keys()):
        if _has_surrogates(values[var]):
            problems.append(
                Problem(var, t("input.var_not_utf8", var=var), t("input.var_not_utf8.fix", var=var))
            )
            values.pop(var)

    def get(var: str) -> str:
        return values.get(var, "")

    kw: dict[str, Any] = {}

    # Copper
    kw["copper_api_key"] = Secret(get("COPPER_API_KEY"))
    kw["copper_api_email"] = get("COPPER_API_EMAIL")
    if get("COPPER_BASE_URL"):
        kw["copper_base_url"] = url_value(get("COPPER_BASE_URL"), "COPPER_BASE_URL", problems)
    if get("COPPER_SIRET_FIELD"):
        siret_field = get("COPPER_SIRET_FIELD").strip()
        if siret_field.isdigit():
            kw["copper_siret_field"] = siret_field
        else:
            problems.append(
                Problem(
                    "COPPER_SIRET_FIELD",
                    t("config.siret_field", value=siret_field),
                    t("config.siret_field.fix"),
                )
            )
    if kw["copper_api_email"] and not _EMAIL.match(kw["copper_api_email"]):
        problems.append(
            Problem(
                "COPPER_API_EMAIL",
                t("config.bad_email", value=kw["copper_api_email"]),
                t("config.bad_email.fix"),
            )
        )
    check_pair(problems, "COPPER_API_KEY", "COPPER_API_EMAIL", "Copper", values)

    # Mailchimp
    mc_key = get("MAILCHIMP_API_KEY")
    kw["mailchimp_api_key"] = Secret(mc_key)
    dc = get("MAILCHIMP_DC").lower()
    key_dc_match = _DC.search(mc_key) if mc_key else None
    if mc_key and not key_dc_match and not dc:
        problems.append(
            Problem("MAILCHIMP_API_KEY", t("config.mc_key_format"), t("config.mc_key_format.fix"))
        )
    elif key_dc_match and dc and dc != key_dc_match.group(1):
        key_dc = key_dc_match.group(1)
        problems.append(
            Problem(
                "MAILCHIMP_DC",
                t("config.mc_dc_mismatch", dc=dc, key_dc=key_dc),
                t("config.mc_dc_mismatch.fix", key_dc=key_dc),
            )
        )
    kw["mailchimp_dc"] = dc or (key_dc_match.group(1) if key_dc_match else "")
    kw["mailchimp_list_id"] = get("MAILCHIMP_LIST_ID")
    if get("MAILCHIMP_BASE_URL"):
        kw["mailchimp_base_url"] = url_value(get("MAILCHIMP_BASE_URL"), "MAILCHIMP_BASE_URL", problems)
    check_pair(problems, "MAILCHIMP_API_KEY", "MAILCHIMP_LIST_ID", "Mailchimp", values)

    # sync
    if get("SYNC_INTERVAL"):
        kw["sync_interval"] = duration_value(get("SYNC_INTERVAL"), "SYNC_INTERVAL", problems)
    if get("SYNC_MODE"):
        kw["sync_mode"] = choice_value(
            get("SYNC_MODE").lower(), "SYNC_MODE", ("test", "production"), problems
        )
    if "TEST_EMAIL_FILTER" in values:
        kw["test_email_filter"] = get("TEST_EMAIL_FILTER")
    if get("SYNC_CONFLICT_POLICY"):
        kw["conflict_policy"] = choice_value(
            get("SYNC_CONFLICT_POLICY").lower(),
            "SYNC_CONFLICT_POLICY",
            ("copper-wins", "newest-wins"),
            problems,
        )

    if get("SYNC_FIELD_MAP"):
        kw["field_map"] = field_map_value(get("SYNC_FIELD_MAP"), problems)
    if get("SYNC_NEW_MEMBER_STATUS"):
        kw["new_member_status"] = choice_value(
            get("SYNC_NEW_MEMBER_STATUS").lower(),
            "SYNC_NEW_MEMBER_STATUS",
            ("subscribed", "pending"),
            problems,
        )
    if get("SYNC_UNSUBSCRIBED_TAG"):
        kw["unsubscribed_tag"] = get("SYNC_UNSUBSCRIBED_TAG")
    if get("SYNC_CLEANED_TAG"):
        kw["cleaned_tag"] = get("SYNC_CLEANED_TAG")
    if get("SYNC_FULL_EVERY"):
        kw["full_every"] = max(1, int_value(get("SYNC_FULL_EVERY"), "SYNC_FULL_EVERY", problems))
    if get("SYNC_MAX_CHANGE_SHARE"):
        kw["max_change_share"] = share_value(get("SYNC_MAX_CHANGE_SHARE"), "SYNC_MAX_CHANGE_SHARE", problems)
    if get("SYNC_ARCHIVE_ACTION"):
        kw["archive_action"] = choice_value(
            get("SYNC_ARCHIVE_ACTION").lower(), "SYNC_ARCHIVE_ACTION", ("unsubscribe", "archive"), problems
        )
    if get("SYNC_REPORT_VERBOSE"):
        kw["report_verbose"] = get("SYNC_REPORT_VERBOSE").lower() in ("1", "true", "yes", "oui", "on")

    if get("RFM_VIP_MONETARY"):
        kw["rfm_vip_monetary"] = float_value(get("RFM_VIP_MONETARY"), "RFM_VIP_MONETARY", problems)
    for var, name in (
        ("RFM_VIP_ORDERS", "rfm_vip_orders"),
        ("RFM_AT_RISK_DAYS", "rfm_at_risk_days"),
        ("RFM_INACTIVE_DAYS", "rfm_inactive_days"),
    ):
        if get(var):
            kw[name] = int_value(get(var), var, problems)

    # Odoo
    odoo_vars = ("ODOO_URL", "ODOO_DB", "ODOO_USER", "ODOO_API_KEY")
    if get("ODOO_URL"):
        kw["odoo_url"] = url_value(get("ODOO_URL"), "ODOO_URL", problems)
    kw["odoo_db"] = get("ODOO_DB")
    kw["odoo_user"] = get("ODOO_USER")
    kw["odoo_api_key"] = Secret(get("ODOO_API_KEY"))
    present = [v for v in odoo_vars if get(v)]
    if present and len(present) < len(odoo_vars):
        missing = ", ".join(v for v in odoo_vars if not get(v))
        problems.append(
            Problem(
                present[0],
                t("config.partial", var=present[0], missing=missing, connector="Odoo"),
                t("config.partial.fix", missing=missing),
            )
        )

    if get("ODOO_COMPANY_ID"):
        kw["odoo_company_id"] = int_value(get("ODOO_COMPANY_ID"), "ODOO_COMPANY_ID", problems)
    if get("ODOO_PAGE_SIZE"):
        kw["odoo_page_size"] = max(1, int_value(get("ODOO_PAGE_SIZE"), "ODOO_PAGE_SIZE", problems))
    if get("ODOO_TIMEOUT"):
        kw["odoo_timeout"] = float_value(get("ODOO_TIMEOUT"), "ODOO_TIMEOUT", problems) or 60.0

    # iSaVigne. A missing or unreadable folder is not a configuration error: the ETL step fails
    # with its message, and sync and scenarios still run (issue #11).
    if get("ISAVIGNE_EXPORT_PATH"):
        kw["isavigne_export_path"] = Path(get("ISAVIGNE_EXPORT_PATH")).expanduser()
    if get("ISAVIGNE_COLUMNS"):
        kw["isavigne_columns"] = isavigne_columns_value(get("ISAVIGNE_COLUMNS"), problems)
    if get("ISAVIGNE_NAME_ORDER"):
        order = get("ISAVIGNE_NAME_ORDER").lower().replace("-", "_")
        if order not in ("first_last", "last_first"):
            import crmtui.i18n.etl  # noqa: F401 - registers the etl.* keys

            problems.append(
                Problem(
                    "ISAVIGNE_NAME_ORDER",
                    t("etl.bad_name_order", value=get("ISAVIGNE_NAME_ORDER")),
                    "ISAVIGNE_NAME_ORDER=first_last",
                )
            )
        kw["isavigne_name_order"] = order

    # sending
    kw["email_from"] = get("EMAIL_FROM")
    if kw["email_from"] and not _EMAIL.match(kw["email_from"].split("<")[-1].rstrip(">").strip()):
        problems.append(
            Problem("EMAIL_FROM", t("config.bad_email", value=kw["email_from"]), t("config.bad_email.fix"))
        )
    kw["ses_region"] = get("SES_REGION")
    kw["ses_access_key_id"] = get("SES_ACCESS_KEY_ID")
    kw["ses_secret_access_key"] = Secret(get("SES_SECRET_ACCESS_KEY"))
    if get("SES_ENDPOINT_URL"):
        kw["ses_endpoint_url"] = url_value(get("SES_ENDPOINT_URL"), "SES_ENDPOINT_URL", problems)
    kw["ses_configuration_set"] = get("SES_CONFIGURATION_SET")
    kw["smtp_host"] = get("SMTP_HOST")
    if get("SMTP_PORT"):
        kw["smtp_port"] = int_value(get("SMTP_PORT"), "SMTP_PORT", problems)
    kw["smtp_user"] = get("SMTP_USER")
    kw["smtp_password"] = Secret(get("SMTP_PASSWORD"))
    if get("SMTP_STARTTLS"):
        kw["smtp_starttls"] = get("SMTP_STARTTLS").lower() in ("1", "true", "yes", "oui", "on")
    if get("SMTP_CA_FILE"):
        ca_file = Path(get("SMTP_CA_FILE")).expanduser()
        if not ca_file.is_file():
            problems.append(
                Problem(
                    "SMTP_CA_FILE", t("config.path_missing", value=str(ca_file)), t("config.path_missing.fix")
                )
            )
        kw["smtp_ca_file"] = ca_file
    if get("SMTP_MAX_RATE"):
        kw["smtp_max_rate"] = float_value(get("SMTP_MAX_RATE"), "SMTP_MAX_RATE", problems)
    if get("SMTP_CONNECTIONS"):
        kw["smtp_connections"] = max(1, int_value(get("SMTP_CONNECTIONS"), "SMTP_CONNECTIONS", problems))
    kw["imap_host"] = get("IMAP_HOST")
    if get("IMAP_PORT"):
        kw["imap_port"] = int_value(get("IMAP_PORT"), "IMAP_PORT", problems)
    kw["imap_user"] = get("IMAP_USER")
    kw["imap_password"] = Secret(get("IMAP_PASSWORD"))
    if get("IMAP_FOLDER"):
        kw["imap_folder"] = get("IMAP_FOLDER")
    if get("IMAP_SSL"):
        kw["imap_ssl"] = get("IMAP_SSL").lower() in ("1", "true", "yes", "oui", "on")
    if kw["imap_host"] and not (kw["imap_user"] and kw["imap_password"]):
        missing = ", ".join(v for v in ("IMAP_USER", "IMAP_PASSWORD") if not get(v))
        problems.append(
            Problem(
                "IMAP_HOST",
                t("config.partial", var="IMAP_HOST", missing=missing, connector="IMAP"),
                t("config.partial.fix", missing=missing),
            )
        )
    kw["tracking_secret"] = Secret(get("CRMTUI_TRACKING_SECRET"))
    kw["erasure_secret"] = Secret(get("CRMTUI_ERASURE_SECRET"))
    if get("CRMTUI_PUBLIC_URL"):
        kw["public_base_url"] = url_value(get("CRMTUI_PUBLIC_URL"), "CRMTUI_PUBLIC_URL", problems)
    if get("CRMTUI_SNS_TOPICS"):
        kw["sns_topics"] = tuple(p.strip() for p in get("CRMTUI_SNS_TOPICS").split(",") if p.strip())

    # local
    if get("CRMTUI_DATA_DIR"):
        kw["data_dir"] = Path(get("CRMTUI_DATA_DIR")).expanduser()
    if get("CRMTUI_DB"):
        kw["db_path"] = Path(get("CRMTUI_DB")).expanduser()
    elif "data_dir" in kw:
        kw["db_path"] = kw["data_dir"] / "crmtui.db"
    kw["lang"] = detect_language(values)

    if problems:
        raise ConfigError(problems)

    settings = Settings(env_file=env_path, sources=sources, **kw)
    use_sandbox = (not settings.has_credentials) if sandbox is None else sandbox
    if use_sandbox:
        settings = _replace(settings, sandbox=True)
    return settings


def _replace(settings: Settings, **changes: Any) -> Settings:
    from dataclasses import replace

    return replace(settings, **changes)
