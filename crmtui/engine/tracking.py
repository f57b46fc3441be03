"""Signed tracking tokens, link rewriting and machine-open detection.

Tokens are ``base64url(payload) "." base64url(HMAC-SHA256(key_kind, payload)[:16])``. Each kind
(open ``o``, click ``c``, unsubscribe ``u``) has its own key derived from
``CRMTUI_TRACKING_SECRET``, so a token of one kind never passes for another. Payloads:

- open: our Message-ID;
- click: our Message-ID and the index of the link in the sent HTML. The URL itself is *not* in
  the token: the redirect goes only to the URL recorded for that message at that index
  (``tracked_links``), so no token, genuine or not, can redirect anywhere else;
- unsubscribe: our Message-ID and the recipient's address, so the one-click POST works with the
  token alone (RFC 8058: no cookie, no session), even for a message the store no longer knows.

:func:`track_html` rewrites the ``http(s)`` links of a rendered HTML body to the click endpoint
and adds the open pixel; the scenarios sender calls it after rendering and records the returned
links with ``EventsRepo.record_links`` before sending.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import ipaddress
import re
from dataclasses import dataclass, field

from crmtui.records.emails import email_key
from crmtui.secrets import Secret

KINDS = ("o", "c", "u")
_SEP = "|"
MAC_BYTES = 16


class BadToken(Exception):
    """A token that is malformed, of another kind, or not signed with our key."""


@dataclass(frozen=True)
class TrackingToken:
    """A verified token."""

    kind: str
    message_id: str
    link_index: int | None = None
    email: str = ""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise BadToken("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise BadToken("not base64url") from exc


class TrackingSigner:
    """Makes and checks tracking tokens.

    Args:
        secret: ``CRMTUI_TRACKING_SECRET`` (at least 16 characters).

    Raises:
        ValueError: the secret is missing or too short to sign anything.
    """

    def __init__(self, secret: Secret | str) -> None:
        raw = secret.reveal() if isinstance(secret, Secret) else secret
        if len(raw) < 16:
            raise ValueError("CRMTUI_TRACKING_SECRET must hold at least 16 characters")
        self._keys = {
            kind: hmac.new(raw.encode(), b"crmtui-tracking:" + kind.encode(), hashlib.sha256).digest()
            for kind in KINDS
        }
        self._master = raw.encode()

    def derive(self, purpose: str, length: int = 32) -> str:
        """A stable secret for another purpose (webhook URLs), derived from the tracking secret."""
        return hmac.new(self._master, b"crmtui-derived:" + purpose.encode(), hashlib.sha256).hexdigest()[
            :length
        ]

    def _mac(self, kind: str, payload: bytes) -> bytes:
        return hmac.new(self._keys[kind], payload, hashlib.sha256).digest()[:MAC_BYTES]

    def _make(self, kind: str, *parts: str) -> str:
        for part in parts[:-1]:
            if _SEP in part:
                raise ValueError(f"{_SEP!r} not allowed in a token field")
        payload = _SEP.join(parts).encode("utf-8")
        return f"{_b64(payload)}.{_b64(self._mac(kind, payload))}"

    def open_token(self, message_id: str) -> str:
        """The open pixel's token for a message."""
        return self._make("o", _mid(message_id))

    def click_token(self, message_id: str, link_index: int) -> str:
        """The click token of the ``link_index``-th tracked link of a message."""
        return self._make("c", _mid(message_id), str(int(link_index)))

    def unsubscribe_token(self, message_id: str, email: str) -> str:
        """The unsubscribe token of a recipient (the message id may be "" for a generic link)."""
        return self._make("u", _mid(message_id), email_key(email))

    def verify(self, kind: str, token: str) -> TrackingToken:
        """Check a token of ``kind`` and return what it carries.

        Raises:
            BadToken: malformed, wrong kind or bad signature (compared in constant time).
        """
        if kind not in KINDS or len(token) > 2048 or token.count(".") != 1:
            raise BadToken("malformed")
        body, mac = token.split(".")
        payload = _unb64(body)
        if not hmac.compare_digest(_unb64(mac), self._mac(kind, payload)):
            raise BadToken("bad signature")
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadToken("malformed") from exc
        if kind == "o":
            return TrackingToken("o", text)
        first, _, rest = text.partition(_SEP)
        if kind == "c":
            if not rest.isdigit():
                raise BadToken("malformed")
            return TrackingToken("c", first, link_index=int(rest))
        if "@" not in rest:
            raise BadToken("malformed")
        return TrackingToken("u", first, email=rest)


def _mid(message_id: str) -> str:
    return message_id.strip().strip("<>").strip()


# -- URLs -----------------------------------------------------------------------------------------


def open_url(base_url: str, signer: TrackingSigner, message_id: str) -> str:
    """The open pixel URL."""
    return f"{base_url.rstrip('/')}/t/o/{signer.open_token(message_id)}.gif"


def click_url(base_url: str, signer: TrackingSigner, message_id: str, link_index: int) -> str:
    """The click redirect URL of one link."""
    return f"{base_url.rstrip('/')}/t/c/{signer.click_token(message_id, link_index)}"


def unsubscribe_url(base_url: str, signer: TrackingSigner, message_id: str, email: str) -> str:
    """The ``List-Unsubscribe`` / ``{{unsubscribe_link}}`` URL of a recipient."""
    return f"{base_url.rstrip('/')}/u/{signer.unsubscribe_token(message_id, email)}"


# -- link rewriting -------------------------------------------------------------------------------

_HREF = re.compile(r"""(<a\b[^>]*?\bhref\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)


@dataclass(frozen=True)
class TrackedHtml:
    """An HTML body with tracked links and the open pixel."""

    html: str
    links: list[str] = field(default_factory=list)
    """The original URLs, by link index: record them with ``EventsRepo.record_links``."""


def track_html(
    body: str,
    *,
    message_id: str,
    signer: TrackingSigner,
    base_url: str,
    pixel: bool = True,
) -> TrackedHtml:
    """Rewrite ``http(s)`` links to the click endpoint and add the open pixel.

    Left alone: ``mailto:``/``tel:``/anchors, our own unsubscribe and tracking links, and links
    marked ``data-crmtui-notrack``.
    """
    base = base_url.rstrip("/")
    links: list[str] = []

    def sub(match: re.Match[str]) -> str:
        prefix, quote, raw = match.group(1), match.group(2), match.group(3)
        url = html.unescape(raw).strip()
        lower = url.lower()
        if (
            not lower.startswith(("http://", "https://"))
            or "data-crmtui-notrack" in prefix.lower()
            or url.startswith((base + "/u/", base + "/t/"))
        ):
            return match.group(0)
        links.append(url)
        target = click_url(base, signer, message_id, len(links) - 1)
        return f"{prefix}{quote}{html.escape(target, quote=True)}{quote}"

    rewritten = _HREF.sub(sub, body)
    if pixel:
        img = (
            f'<img src="{html.escape(open_url(base, signer, message_id), quote=True)}" width="1" height="1" '
            'alt="" style="display:block;border:0;width:1px;height:1px" />'
        )
        if _BODY_END.search(rewritten):
            rewritten = _BODY_END.sub(lambda m: img + m.group(0), rewritten, count=1)
        else:
            rewritten += img
    return TrackedHtml(rewritten, links)


# -- machine opens --------------------------------------------------------------------------------

APPLE_MPP_AGENT = "Mozilla/5.0"
"""Apple Mail Privacy Protection prefetches images with this bare user agent."""

APPLE_NETWORKS = (ipaddress.ip_network("17.0.0.0/8"),)
"""Apple's own address block (MPP proxies fetch from it or from iCloud Private Relay egress)."""

SCANNER_AGENTS = (
    "barracuda",
    "mimecast",
    "proofpoint",
    "symantec",
    "forcepoint",
    "trendmicro",
    "safelinks",
    "linkscanner",
    "urldefense",
    "python-requests",
    "python-httpx",
    "curl/",
    "wget/",
    "go-http-client",
    "headlesschrome",
    "bot",
    "spider",
    "crawler",
    "preview",
)
"""Substrings (lower-case) of user agents of link scanners and previewers."""

PROXY_AGENTS = ("googleimageproxy", "yahoomailproxy", "ymailproxy")
"""Image proxies: they fetch for a human reader, so they mark a machine open only when the fetch
comes within :data:`MACHINE_SECONDS` of delivery (prefetch on arrival)."""

MACHINE_SECONDS = 30.0
"""An open or click this soon after delivery is a machine (prefetch, scanner)."""


def machine_reason(user_agent: str, ip: str = "", seconds_after_delivery: float | None = None) -> str:
    """Why an open/click looks automatic ("" when it looks human).

    Args:
        user_agent: the request's or SES's user agent.
        ip: the client address, if known.
        seconds_after_delivery: time since delivery (or since sending when delivery is unknown).
    """
    ua = (user_agent or "").strip()
    lower = ua.lower()
    quick = seconds_after_delivery is not None and seconds_after_delivery < MACHINE_SECONDS
    if ua == APPLE_MPP_AGENT:
        return "apple_mpp"
    if ip:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            address = None
        if address is not None and any(address in net for net in APPLE_NETWORKS) and "mozilla" in lower:
            return "apple_mpp"
    if any(s in lower for s in SCANNER_AGENTS):
        return "scanner"
    if not ua:
        return "no_user_agent"
    if quick:
        return "proxy_prefetch" if any(p in lower for p in PROXY_AGENTS) else "too_fast"
    return ""
