"""Shared by every layer (through :mod:`crmtui.config`): one setting's text turned into its value.

One job: read one variable's text — a URL, a duration, a share, a number, a choice, the Mailchimp
field map, the iSaVigne column mapping — and either return its value or record a
:class:`Problem` naming the variable, what is wrong and how to fix it. :func:`crmtui.config.load_settings`
calls these for every variable; the console's forms call the column-mapping ones directly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlparse

from crmtui.i18n import t
from crmtui.intervals import parse_interval
from crmtui.secrets import redact, register_secret, url_password


@dataclass(frozen=True)
class Problem:
    """One configuration problem: the variable, what is wrong, how to fix it."""

    variable: str
    what: str
    fix: str

    def __str__(self) -> str:
        return f"{self.variable}: {self.what} — {t('config.fix')}: {self.fix}"


def parse_isavigne_columns(text: str) -> tuple[dict[str, dict[str, str]], list[str]]:
    """Read ISAVIGNE_COLUMNS (``file:header=field;…``): the mapping and one message per bad item.

    ``file`` is a kind (``clients``, ``produits``, ``ventes``, ``stock``), ``header`` any column
    title (compared like the aliases: case, accents and spaces ignored), ``field`` one of that
    file's fields (:data:`crmtui.connectors.isavigne.ALIASES`). Messages name the file, the column
    and the field.
    """
    import crmtui.i18n.etl  # noqa: F401 - registers the etl.* keys
    from crmtui.connectors.isavigne import ALIASES
    from crmtui.records.normalize import normalize_column

    mapping: dict[str, dict[str, str]] = {}
    errors: list[str] = []
    for item in (part.strip() for part in text.split(";")):
        if not item:
            continue
        kind, sep, rest = item.partition(":")
        header, eq, fieldname = rest.rpartition("=")
        kind, header, fieldname = kind.strip().lower(), header.strip(), fieldname.strip()
        if not sep or not eq or not header or not fieldname:
            errors.append(t("etl.bad_columns", item=item, reason=t("etl.bad_columns.syntax")))
            continue
        kind = {"produit": "produits", "client": "clients", "vente": "ventes"}.get(kind, kind)
        if kind not in ALIASES:
            errors.append(
                t(
                    "etl.bad_columns",
                    item=item,
                    reason=t("etl.bad_columns.kind", kind=kind, kinds=", ".join(ALIASES)),
                )
            )
            continue
        if fieldname not in ALIASES[kind]:
            reason = t(
                "etl.bad_columns.field",
                kind=kind,
                field=fieldname,
                column=header,
                fields=", ".join(ALIASES[kind]),
            )
            errors.append(t("etl.bad_columns", item=item, reason=reason))
            continue
        mapping.setdefault(kind, {})[normalize_column(header)] = fieldname
    return mapping, errors


def format_isavigne_columns(mapping: dict[str, dict[str, str]]) -> str:
    """The ISAVIGNE_COLUMNS text of a mapping (what the console's mapping view saves)."""
    return ";".join(f"{kind}:{header}={field}" for kind, m in mapping.items() for header, field in m.items())


def isavigne_columns_value(text: str, problems: list[Problem]) -> dict[str, dict[str, str]]:
    mapping, errors = parse_isavigne_columns(text)
    for message in errors:
        problems.append(
            Problem(
                "ISAVIGNE_COLUMNS",
                message,
                t("etl.bad_columns.fix", kinds="clients, produits, ventes, stock"),
            )
        )
    return mapping


def check_pair(problems: list[Problem], a: str, b: str, connector: str, values: Mapping[str, str]) -> None:
    if bool(values.get(a)) != bool(values.get(b)):
        present, missing = (a, b) if values.get(a) else (b, a)
        problems.append(
            Problem(
                present,
                t("config.partial", var=present, missing=missing, connector=connector),
                t("config.partial.fix", missing=missing),
            )
        )


def url_value(value: str, var: str, problems: list[Problem]) -> str:
    password = url_password(value)
    if password:
        # A password inside the URL is a secret like the others: redacted from every log line.
        register_secret(password)
        register_secret(unquote(password))
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        problems.append(Problem(var, t("config.bad_url", value=redact(value)), t("config.bad_url.fix")))
    return value.rstrip("/")


def duration_value(value: str, var: str, problems: list[Problem]) -> int:
    try:
        return parse_interval(value, allow_off=True)
    except ValueError:
        problems.append(Problem(var, t("config.bad_duration", value=value), t("config.bad_duration.fix")))
        return 3600


def share_value(value: str, var: str, problems: list[Problem]) -> float:
    text = value.strip().rstrip("%").replace(",", ".")
    try:
        share = float(text)
    except ValueError:
        problems.append(Problem(var, t("config.bad_share", value=value), t("config.bad_share.fix")))
        return 0.05
    share = share / 100 if value.strip().endswith("%") or share > 1 else share
    if not 0 < share <= 1:
        problems.append(Problem(var, t("config.bad_share", value=value), t("config.bad_share.fix")))
        return 0.05
    return share


_MERGE_TAG = re.compile(r"^[A-Z][A-Z0-9_]{0,9}$")
SYNCED_FIELDS = ("first_name", "last_name", "phone")


def field_map_value(value: str, problems: list[Problem]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for part in value.split(","):
        name, _, tag = part.partition("=")
        name, tag = name.strip(), tag.strip().upper()
        if name not in SYNCED_FIELDS or not _MERGE_TAG.match(tag):
            problems.append(
                Problem(
                    "SYNC_FIELD_MAP",
                    t("config.bad_field_map", part=part.strip(), fields=", ".join(SYNCED_FIELDS)),
                    t("config.bad_field_map.fix"),
                )
            )
            continue
        mapping[name] = tag
    return mapping


def float_value(value: str, var: str, problems: list[Problem]) -> float:
    try:
        return float(value.replace(" ", "").replace("\u00a0", "").replace(",", "."))
    except ValueError:
        problems.append(Problem(var, t("config.bad_int", value=value), t("config.bad_int.fix")))
        return 0.0


def int_value(value: str, var: str, problems: list[Problem]) -> int:
    try:
        return int(value)
    except ValueError:
        problems.append(Problem(var, t("config.bad_int", value=value), t("config.bad_int.fix")))
        return 0


def choice_value(value: str, var: str, choices: tuple[str, ...], problems: list[Problem]) -> Any:
    if value not in choices:
        shown = ", ".join(choices)
        problems.append(
            Problem(
                var,
                t("config.bad_choice", value=value, choices=shown),
                t("config.bad_choice.fix", choices=shown),
            )
        )
        return choices[0]
    return value
