"""Inbound events as typed values: what SES, Mailchimp and Copper send us, parsed.

One job: turn an SES record (``eventType``/``notificationType``), a Mailchimp webhook form and a
Copper notification into frozen records (:class:`SesEvent`, :class:`MailchimpEvent`,
:class:`CopperNotification`), and give a Copper notification its dedup key. Nothing is written
here: ``crmtui serve`` queues the raw events and :class:`crmtui.engine.events_in.EventProcessor`
applies them.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import crmtui.i18n.events  # noqa: F401 - registers the events.* keys
from crmtui.records.emails import email_key
from crmtui.store.events import strip_brackets

if TYPE_CHECKING:
    pass


_KEY_RE = re.compile(r"^[0-9a-f]{64}$")

SES_TYPES = {
    "send": "send",
    "delivery": "delivery",
    "open": "open",
    "click": "click",
    "bounce": "bounce",
    "complaint": "complaint",
    "reject": "reject",
    "deliverydelay": "delivery_delay",
    "rendering failure": "rendering_failure",
    "renderingfailure": "rendering_failure",
    "subscription": "subscription",
    "received": "received",
}
"""SES record types (``eventType`` or ``notificationType``), lower-cased, to our kinds."""


# -- SES records ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SesEvent:
    """One SES event record, parsed leniently (AWS adds fields over time).

    Attributes:
        kind: ``send``, ``delivery``, ``open``, ``click``, ``bounce``, ``complaint``, ``reject``,
            ``delivery_delay``, ``subscription``...
        provider_id: SES's message id (``mail.messageId``).
        header_message_id: our ``Message-ID`` header, without brackets ("" if absent).
        recipients: the addresses concerned (bounced/complained recipients for those events).
        tags: configuration-set email tags.
        at: when the event happened (the event object's timestamp, else the mail's).
        bounce_type: ``Permanent``, ``Transient`` or ``Undetermined`` (bounces only).
        user_agent: opens and clicks.
        ip: opens and clicks.
        link: clicks.
        unsubscribe_all: subscription events that unsubscribe from everything.
    """

    kind: str
    provider_id: str
    header_message_id: str = ""
    recipients: list[str] = field(default_factory=list)
    tags: dict[str, list[str]] = field(default_factory=dict)
    at: str = ""
    bounce_type: str = ""
    bounce_subtype: str = ""
    user_agent: str = ""
    ip: str = ""
    link: str = ""
    unsubscribe_all: bool = False
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def ledger_keys(self) -> list[str]:
        """Tag values that look like ledger keys (SHA-256 hex), whatever the tag's name."""
        return [v for values in self.tags.values() for v in values if _KEY_RE.match(v)]


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def parse_ses_record(record: str | dict[str, Any]) -> SesEvent:
    """Parse the SNS ``Message`` of an SES event (JSON string or already-parsed object).

    Raises:
        ValueError: not an SES event record.
    """
    data = json.loads(record) if isinstance(record, str) else record
    if not isinstance(data, dict):
        raise ValueError("not an SES record")
    raw_type = _str(data.get("eventType")) or _str(data.get("notificationType"))
    kind = SES_TYPES.get(raw_type.lower())
    if kind is None:
        raise ValueError(f"unknown SES event type {raw_type!r}")
    mail = data.get("mail") if isinstance(data.get("mail"), dict) else {}
    assert isinstance(mail, dict)
    header_mid = ""
    common = mail.get("commonHeaders") if isinstance(mail.get("commonHeaders"), dict) else {}
    assert isinstance(common, dict)
    header_mid = _str(common.get("messageId"))
    if not header_mid:
        for header in mail.get("headers") or []:
            if isinstance(header, dict) and _str(header.get("name")).lower() == "message-id":
                header_mid = _str(header.get("value"))
                break
    tags_raw = mail.get("tags") if isinstance(mail.get("tags"), dict) else {}
    assert isinstance(tags_raw, dict)
    tags = {str(k): [str(v) for v in vs] if isinstance(vs, list) else [str(vs)] for k, vs in tags_raw.items()}
    recipients = [email_key(r) for r in mail.get("destination") or [] if isinstance(r, str)]
    obj_name = {"delivery_delay": "deliveryDelay", "rendering_failure": "failure"}.get(kind, kind)
    obj = data.get(obj_name) if isinstance(data.get(obj_name), dict) else {}
    assert isinstance(obj, dict)
    at = _str(obj.get("timestamp")) or _str(mail.get("timestamp"))
    event = SesEvent(kind=kind, provider_id=_str(mail.get("messageId")), at=at, detail=obj)
    extra: dict[str, Any] = {}
    if kind == "bounce":
        extra["bounce_type"] = _str(obj.get("bounceType")) or "Undetermined"
        extra["bounce_subtype"] = _str(obj.get("bounceSubType"))
        bounced = [
            email_key(_str(r.get("emailAddress")))
            for r in obj.get("bouncedRecipients") or []
            if isinstance(r, dict)
        ]
        recipients = [r for r in bounced if r] or recipients
    elif kind == "complaint":
        complained = [
            email_key(_str(r.get("emailAddress")))
            for r in obj.get("complainedRecipients") or []
            if isinstance(r, dict)
        ]
        recipients = [r for r in complained if r] or recipients
    elif kind in ("open", "click"):
        extra["user_agent"] = _str(obj.get("userAgent"))
        extra["ip"] = _str(obj.get("ipAddress"))
        extra["link"] = _str(obj.get("link"))
    elif kind == "subscription":
        prefs = obj.get("newTopicPreferences") if isinstance(obj.get("newTopicPreferences"), dict) else {}
        assert isinstance(prefs, dict)
        extra["unsubscribe_all"] = bool(prefs.get("unsubscribeAll"))
    elif kind == "delivery_delay":
        delayed = [
            email_key(_str(r.get("emailAddress")))
            for r in obj.get("delayedRecipients") or []
            if isinstance(r, dict)
        ]
        recipients = [r for r in delayed if r] or recipients
    return SesEvent(
        kind=event.kind,
        provider_id=event.provider_id,
        header_message_id=strip_brackets(header_mid),
        recipients=recipients,
        tags=tags,
        at=at,
        detail=obj,
        **extra,
    )


# -- forms (Mailchimp webhooks, one-click unsubscribe) ------------------------------------------------


def parse_form(body: bytes, content_type: str) -> list[tuple[str, str]]:
    """Fields of a form body: ``application/x-www-form-urlencoded`` or ``multipart/form-data``.

    Files in a multipart body are ignored; anything else parses as urlencoded (lenient).
    """
    if content_type.lower().startswith("multipart/form-data"):
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n" + body
        )
        fields: list[tuple[str, str]] = []
        if message.is_multipart():
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                if not isinstance(name, str) or part.get_filename():
                    continue
                payload = part.get_payload(decode=True)
                if isinstance(payload, bytes):
                    fields.append((name, payload.decode(part.get_content_charset() or "utf-8", "replace")))
        return fields
    return parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)


_BRACKETS = re.compile(r"\[([^\]]*)\]")


def nest_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """PHP-style keys to nested dicts: ``data[merges][EMAIL]=x`` → ``{"data": {"merges": {"EMAIL": "x"}}}``."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        head = key.split("[", 1)[0]
        path = [head, *_BRACKETS.findall(key[len(head) :])]
        node = out
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = {}
                node[part] = child
            node = child
        node[path[-1]] = value
    return out


MAILCHIMP_TYPES = ("subscribe", "unsubscribe", "profile", "upemail", "cleaned", "campaign")


@dataclass(frozen=True)
class MailchimpEvent:
    """One Mailchimp webhook delivery (WIRE.md §2.7)."""

    type: str
    fired_at: str
    email: str
    list_id: str = ""
    action: str = ""
    reason: str = ""
    new_email: str = ""
    old_email: str = ""
    new_id: str = ""  # upemail: the member's unique_email_id


def parse_mailchimp(form: dict[str, Any]) -> MailchimpEvent:
    """A typed Mailchimp event from its nested form.

    Raises:
        ValueError: unknown type or no address.
    """
    kind = _str(form.get("type"))
    if kind not in MAILCHIMP_TYPES:
        raise ValueError(f"unknown Mailchimp webhook type {kind!r}")
    data = form.get("data") if isinstance(form.get("data"), dict) else {}
    assert isinstance(data, dict)
    merges = data.get("merges") if isinstance(data.get("merges"), dict) else {}
    assert isinstance(merges, dict)
    address = _str(data.get("email")) or _str(merges.get("EMAIL")) or _str(data.get("new_email"))
    if not address and kind != "campaign":
        raise ValueError("no email address")
    return MailchimpEvent(
        type=kind,
        fired_at=_str(form.get("fired_at")),
        email=email_key(address),
        list_id=_str(data.get("list_id")),
        action=_str(data.get("action")),
        reason=_str(data.get("reason")),
        new_email=email_key(_str(data.get("new_email"))),
        old_email=email_key(_str(data.get("old_email"))),
        new_id=_str(data.get("new_id")),
    )


@dataclass(frozen=True)
class CopperNotification:
    """One Copper webhook notification (WIRE.md §1.6)."""

    ids: list[int]
    type: str
    event: str
    subscription_id: int | None = None


def parse_copper(body: dict[str, Any]) -> CopperNotification:
    """A typed Copper notification.

    Raises:
        ValueError: not a notification we handle.
    """
    ids_raw = body.get("ids")
    if not isinstance(ids_raw, list) or not ids_raw:
        raise ValueError("no ids")
    ids = [int(i) for i in ids_raw if isinstance(i, int | str) and str(i).isdigit()]
    if len(ids) != len(ids_raw) or len(ids) > 100:
        raise ValueError("bad ids")
    event = _str(body.get("event"))
    if event not in ("new", "update", "delete"):
        raise ValueError(f"unknown event {event!r}")
    sub = body.get("subscription_id")
    return CopperNotification(ids, _str(body.get("type")), event, sub if isinstance(sub, int) else None)


COPPER_DEDUP_WINDOW = 15 * 60.0
"""Seconds within which an identical Copper notification is a duplicate delivery (WIRE.md §1.6:
Copper may take up to 15 minutes to deliver and never retries, so a copy comes from a proxy or a
replay; the same change made again later is a new notification). A dropped copy loses nothing: a
notification only asks the next sync to read these people, which the polling sweep does anyway."""


def copper_dedup_key(body: dict[str, Any]) -> str:
    """The content key of a Copper notification (its secret already removed): ids, type, event,
    subscription, updated attributes and, when Copper sends one, its ``timestamp``, canonically."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return "copper:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
