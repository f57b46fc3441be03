"""What a scenario send may do, decided before anything is claimed or sent.

One job: the pure rules of :mod:`crmtui.engine.sending` — the sending window and local day of a
scenario, whether an address is a deliverable recipient (syntax, role accounts), the public links
and ``Message-ID`` of a message, the template values and which A/B variant a contact gets. No
store writes and no network here; the tick in :mod:`crmtui.engine.sending` applies them.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from email_validator import EmailNotValidError, validate_email

import crmtui.i18n.scenarios  # noqa: F401 - registers the footer strings
from crmtui.config import Settings
from crmtui.engine import ab
from crmtui.records.emails import email_key
from crmtui.store.scenarios import (
    Scenario,
    Step,
)

# -- time: window, days, local day ------------------------------------------------------------------


def _hhmm(value: str) -> dtime | None:
    """``HH:MM`` as a time; ``24:00`` is None (the end of the day)."""
    hours, minutes = (int(p) for p in value.split(":", 1))
    if hours == 24 and minutes == 0:
        return None
    return dtime(hours, minutes)


def local_now(scenario: Scenario, now: datetime) -> datetime:
    """``now`` (aware, any zone) as wall-clock time in the scenario's time zone."""
    return now.astimezone(ZoneInfo(scenario.timezone))


def local_day(scenario: Scenario, now: datetime) -> str:
    """The scenario's local date at ``now`` (the daily cap's day)."""
    return local_now(scenario, now).date().isoformat()


def in_window(scenario: Scenario, now: datetime) -> bool:
    """Whether ``now`` falls on a send day and inside the send window, in the scenario's zone.

    Wall-clock comparison in the zone makes it DST-correct: 09:00 is 09:00 local in winter and in
    summer. A window whose end is before its start spans midnight (``22:00``–``06:00``); the day
    checked is then the day the window opened.
    """
    local = local_now(scenario, now)
    start = _hhmm(scenario.window_start) or dtime(0, 0)
    end = _hhmm(scenario.window_end)
    t = local.time().replace(tzinfo=None)
    days = set(scenario.send_days)
    if end is None or start < end:
        inside = t >= start and (end is None or t < end)
        return inside and local.isoweekday() in days
    if start == end:
        return local.isoweekday() in days  # a full day
    if t >= start:
        return local.isoweekday() in days
    if t < end:
        return (local - timedelta(days=1)).isoweekday() in days
    return False


def next_window_open(scenario: Scenario, now: datetime) -> datetime:
    """The next moment (UTC) at or after ``now`` when the window is open (``now`` if it is)."""
    if in_window(scenario, now):
        return now.astimezone(UTC)
    zone = ZoneInfo(scenario.timezone)
    start = _hhmm(scenario.window_start) or dtime(0, 0)
    day: date = local_now(scenario, now).date()
    for offset in range(0, 15):
        candidate = datetime.combine(day + timedelta(days=offset), start, tzinfo=zone)
        # A start inside a spring-forward gap does not exist: UTC round trip moves it past the gap.
        candidate = candidate.astimezone(UTC)
        if candidate >= now and in_window(scenario, candidate):
            return candidate
    raise ValueError(f"scenario {scenario.name!r} has no send day")


# -- recipients -----------------------------------------------------------------------------------------

_ROLE_ACCOUNTS = frozenset(
    {
        "info",
        "contact",
        "admin",
        "postmaster",
        "abuse",
        "noreply",
        "no-reply",
        "webmaster",
        "support",
        "sales",
    }
)


@dataclass(frozen=True)
class Validation:
    """An address's offline validation.

    Attributes:
        normalized: the address as email-validator normalizes it ("" when invalid).
        score: 0–100 (0: invalid syntax; role accounts and odd local parts lose points).
        deliverable: syntax valid and the domain can receive mail (not a special-use name).
        reason: why the score is not 100, in plain words.
    """

    normalized: str
    score: int
    deliverable: bool
    reason: str


def validate_recipient(address: str) -> Validation:
    """Validate an address offline (email-validator, ``check_deliverability=False``)."""
    try:
        info = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        reason = str(exc)
        if "special-use or reserved" in reason:
            # Well-formed, but the domain can never receive mail (.invalid, .test, localhost...).
            return Validation(email_key(address), 40, False, reason)
        return Validation("", 0, False, reason)
    local = info.local_part.lower()
    score, reasons = 100, []
    if local in _ROLE_ACCOUNTS:
        score -= 30
        reasons.append("role account")
    if sum(c.isdigit() for c in local) > 6:
        score -= 15
        reasons.append("many digits")
    if len(local) > 40:
        score -= 10
        reasons.append("long local part")
    return Validation(email_key(info.normalized), score, True, ", ".join(reasons))


def recipient_problem(scenario: Scenario, address: str) -> str:
    """Why the scenario's recipient filters refuse ``address`` ("" when it passes)."""
    domain = address.rsplit("@", 1)[-1].lower()
    for excluded in scenario.exclude_domains:
        ex = excluded.lower().lstrip("@")
        if domain == ex or domain.endswith("." + ex):
            return f"excluded domain {ex}"
    check = validate_recipient(address)
    if check.score == 0:
        return f"invalid address: {check.reason}"
    if scenario.only_deliverable and not check.deliverable:
        return f"not deliverable: {check.reason}"
    if check.score < scenario.min_validation_score:
        return f"validation score {check.score} < {scenario.min_validation_score} ({check.reason})"
    return ""


# -- links and ids ----------------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_base(settings: Settings) -> str:
    """The base of our links: ``CRMTUI_PUBLIC_URL`` (checked by :func:`link_problem` before sending)."""
    return settings.public_base_url.rstrip("/")


def link_problem(settings: Settings) -> str:
    """Why emails cannot carry a working one-click unsubscribe link, or ``""``.

    RFC 8058 and the Gmail/Yahoo bulk-sender rules require an https unsubscribe link backed by a
    signed token; without them we refuse to send rather than send mail nobody can leave.
    """
    if tracking_signer(settings) is None:
        return "CRMTUI_TRACKING_SECRET is missing or shorter than 16 characters: it signs unsubscribe links"
    base = settings.public_base_url
    parsed = urlparse(base)
    loopback = parsed.hostname in ("127.0.0.1", "localhost", "::1")  # the sandbox and tests
    if parsed.scheme != "https" and not (parsed.scheme == "http" and loopback):
        return (
            "CRMTUI_PUBLIC_URL must be the https address of `crmtui serve` (unsubscribe and tracking links)"
        )
    return ""


def message_id_for(key: str, from_addr: str) -> str:
    """Our deterministic Message-ID for a ledger key (without angle brackets)."""
    domain = from_addr.rsplit("@", 1)[-1].strip(" >").lower() or "crmtui.invalid"
    return f"{key[:40]}@{domain}"


def template_values(
    settings: Settings, scenario: Scenario, contact: str, fields: dict[str, Any]
) -> dict[str, Any]:
    """Every variable a template may use, for one contact."""
    first = str(fields.get("first_name") or "")
    last = str(fields.get("last_name") or "")
    name = (
        " ".join(p for p in (first, last) if p) or str(fields.get("company") or "") or contact.split("@")[0]
    )
    base = public_base(settings)
    values = dict(fields)
    values.update(
        email=contact,
        domain=contact.rsplit("@", 1)[-1],
        contact_name=name,
        first_name=first,
        last_name=last,
        siret=fields.get("siret") or siret_of(settings, fields),
        phone=fields.get("phone") or fields.get("mobile") or "",
        scenario_name=scenario.name,
        unsubscribe_link="",  # per message, signed: see _prepare
        tracking_base=f"{base}/t",
    )
    values.pop("copper_custom_fields", None)  # read by siret_of, not a template variable
    return values


def siret_of(settings: Settings, fields: dict[str, Any]) -> str:
    """The SIRET from the Copper custom field COPPER_SIRET_FIELD names ("" when unset or empty)."""
    custom = fields.get("copper_custom_fields")
    if not settings.copper_siret_field or not isinstance(custom, dict):
        return ""
    return str(custom.get(settings.copper_siret_field) or "")


def pick_variant(scenario: Scenario, step: Step, contact: str) -> tuple[str, int | None]:
    """``(template, variant_id)`` for this contact: the winner, else a weighted choice from the key."""
    variants = sorted(step.variants, key=lambda v: v.id)
    if not variants:
        return step.template, None
    if step.winner_variant_id is not None:
        for v in variants:
            if v.id == step.winner_variant_id:
                return v.template, v.id
    index = ab.choose(ab.slot_digest(scenario.id, step.id, contact), [v.weight for v in variants])
    return variants[index].template, variants[index].id


_SIGNERS: dict[str, Any] = {}


def tracking_signer(settings: Settings) -> Any:
    """The events area's ``TrackingSigner`` for CRMTUI_TRACKING_SECRET, or None (unset, too short)."""
    secret = settings.tracking_secret.reveal()
    if secret in _SIGNERS:
        return _SIGNERS[secret]
    signer: Any = None
    try:
        from crmtui.engine.tracking import TrackingSigner

        signer = TrackingSigner(secret)
    except ValueError:  # too short to sign with
        signer = None
    _SIGNERS[secret] = signer
    return signer
