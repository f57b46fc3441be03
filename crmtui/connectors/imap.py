"""IMAP reader for reply detection (aioimaplib): new messages' threading headers, nothing else.

:class:`ImapClient` connects (implicit TLS on 993 by default, or plain for a local bridge),
logs in, selects one folder and reads the headers of messages whose UID is above a cursor::

    async with ImapClient(host, 993, username=user, password=secret) as imap:
        box = await imap.select("INBOX")
        uids = await imap.uids_after(cursor)
        mails = await imap.headers(uids[:200])  # MailHeaders: uid, Message-IDs, From, Date

It never changes the mailbox: headers are fetched with ``BODY.PEEK[HEADER.FIELDS (...)]`` (``PEEK``
leaves ``\\Seen`` alone), no flag is stored, nothing is moved or expunged. UIDs only mean
something together with the folder's ``UIDVALIDITY``, which :meth:`ImapClient.select` returns so
the caller can key its cursor on both.

Errors are the typed ones of :mod:`crmtui.connectors.errors`: :class:`AuthError` when the login
is refused, :class:`NetworkError` / :class:`TimedOut` when the server cannot be reached or stops
answering, :class:`NotFound` for a missing folder, :class:`InvalidResponse` for an answer we cannot
read. The password is only revealed for the LOGIN command (which aioimaplib scrubs from its
debug log) and every message goes through :func:`~crmtui.secrets.redact`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import email.utils
import re
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser
from email.policy import compat32
from types import TracebackType
from typing import Any

import aioimaplib

from crmtui.connectors.errors import AuthError, InvalidResponse, NetworkError, NotFound, TimedOut
from crmtui.formats import seconds as seconds_text
from crmtui.i18n import t
from crmtui.secrets import Secret
from crmtui.text import printable

SERVICE = "imap"

HEADER_FIELDS = (
    "MESSAGE-ID",
    "IN-REPLY-TO",
    "REFERENCES",
    "FROM",
    "DATE",
    # Only to tell automatic mail (out-of-office, delivery reports) from a person's reply:
    "AUTO-SUBMITTED",
    "X-AUTOREPLY",
    "X-AUTORESPOND",
    "PRECEDENCE",
    "CONTENT-TYPE",
)
"""The header fields read from each message (never the body)."""

FETCH_ITEMS = f"(UID BODY.PEEK[HEADER.FIELDS ({' '.join(HEADER_FIELDS)})])"
"""The FETCH data items: ``PEEK`` so that reading never marks a message as read."""

_ANGLE_IDS = re.compile(r"<([^<>\s]+)>")
_FETCH_START = re.compile(rb"^\d+ FETCH \(", re.IGNORECASE)
_UID = re.compile(rb"\bUID (\d+)", re.IGNORECASE)
_UIDVALIDITY = re.compile(rb"\[UIDVALIDITY (\d+)\]", re.IGNORECASE)
_UIDNEXT = re.compile(rb"\[UIDNEXT (\d+)\]", re.IGNORECASE)
_EXISTS = re.compile(rb"^(\d+) EXISTS", re.IGNORECASE)
_ATOM_SPECIALS = re.compile(r'[(){ %*"\\\]\x00-\x1f\x7f]')
_AUTOMATIC_SENDERS = ("mailer-daemon", "postmaster")


def message_ids(value: str) -> list[str]:
    """The Message-IDs in a ``Message-ID`` / ``In-Reply-To`` / ``References`` value, bracketless.

    A single bare id (some clients drop the brackets) is accepted too.
    """
    found = _ANGLE_IDS.findall(value or "")
    if found:
        return found
    bare = (value or "").strip()
    return [bare] if bare and "@" in bare and not any(c.isspace() for c in bare) else []


def imap_utf7(name: str) -> str:
    """A folder name in IMAP's modified UTF-7 (RFC 3501 §5.1.3): ``Réponses`` → ``R&AOk-ponses``."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            raw = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(raw).decode().rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    flush()
    return "".join(out)


def astring(value: str) -> str:
    """``value`` as an IMAP astring: as is when it is a plain atom, else quoted."""
    if value and not _ATOM_SPECIALS.search(value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def mailbox_argument(name: str) -> str:
    """``name`` as a SELECT argument: modified UTF-7, quoted when it is not a plain atom."""
    return astring(imap_utf7(name))


def _text(value: str | None) -> str:
    if not value:
        return ""
    try:
        return str(make_header(decode_header(value)))
    except (ValueError, LookupError, UnicodeError):
        return str(value)


@dataclass(frozen=True)
class MailHeaders:
    """The headers of one message, as read from the mailbox.

    Attributes:
        uid: the message's UID in the selected folder.
        message_id: its own Message-ID, bracketless ("" when missing).
        in_reply_to: Message-IDs of ``In-Reply-To``.
        references: Message-IDs of ``References``, oldest first (as written).
        from_addr: the sender's address, lower-cased ("" when unreadable).
        date: the ``Date`` header (UTC), or None when missing or unreadable.
        automatic: why the message looks machine-sent ("" for a person's mail): an out-of-office
            (``Auto-Submitted``, ``X-Autoreply``, ``Precedence: auto_reply``), a delivery or read
            report (``multipart/report``, mailer-daemon).
    """

    uid: int
    message_id: str
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    from_addr: str
    date: datetime | None
    automatic: str = ""

    def referenced_ids(self) -> list[str]:
        """Every Message-ID this message answers, the most direct first.

        ``In-Reply-To`` first, then ``References`` from the newest to the oldest; no duplicates.
        """
        seen: dict[str, None] = {}
        for mid in [*self.in_reply_to, *reversed(self.references)]:
            seen.setdefault(mid, None)
        return list(seen)


def parse_headers(uid: int, raw: bytes) -> MailHeaders:
    """Read the header block fetched for ``uid``."""
    msg = BytesHeaderParser(policy=compat32).parsebytes(raw)

    def get(name: str) -> str:
        return str(msg.get(name) or "").strip()

    _, addr = email.utils.parseaddr(_text(get("From")))
    date: datetime | None = None
    with contextlib.suppress(TypeError, ValueError, IndexError, OverflowError):
        parsed = email.utils.parsedate_to_datetime(get("Date"))
        date = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    automatic = ""
    auto_submitted = get("Auto-Submitted").lower()
    precedence = get("Precedence").lower()
    if auto_submitted and auto_submitted != "no":
        automatic = f"auto-submitted: {auto_submitted.split(';')[0].strip()}"
    elif get("X-Autoreply") or get("X-Autorespond"):
        automatic = "auto-reply"
    elif precedence in ("auto_reply", "bulk", "junk"):
        automatic = f"precedence: {precedence}"
    elif get("Content-Type").lower().startswith("multipart/report"):
        automatic = "delivery or read report"
    elif addr.split("@", 1)[0].lower() in _AUTOMATIC_SENDERS:
        automatic = "delivery report"
    own = message_ids(get("Message-ID"))
    return MailHeaders(
        uid=uid,
        message_id=own[0] if own else "",
        in_reply_to=tuple(message_ids(get("In-Reply-To"))),
        references=tuple(message_ids(get("References"))),
        from_addr=addr.lower(),
        date=date,
        automatic=automatic,
    )


def parse_fetch(lines: Sequence[Any], wanted: set[int] | None = None) -> list[MailHeaders]:
    """The messages of a ``UID FETCH`` answer as aioimaplib returns it (literals are bytearrays).

    The UID may come before or after the header literal; unsolicited FETCH lines (flag updates)
    and UIDs outside ``wanted`` are skipped.
    """
    records: list[list[Any]] = []  # [uid | None, header bytes | None]
    for line in lines:
        if isinstance(line, bytearray):
            if records and records[-1][1] is None:
                records[-1][1] = bytes(line)
            continue
        if not isinstance(line, bytes):
            continue
        if _FETCH_START.match(line):
            records.append([None, None])
        if records:
            uid = _UID.search(line)
            if uid and records[-1][0] is None:
                records[-1][0] = int(uid.group(1))
    out = []
    for uid, raw in records:
        if uid is None or raw is None or (wanted is not None and uid not in wanted):
            continue
        out.append(parse_headers(uid, raw))
    return sorted(out, key=lambda h: h.uid)


def _server_text(lines: Sequence[Any]) -> str:
    for line in reversed(lines):
        if isinstance(line, bytes) and line.strip():
            return printable(line.decode("utf-8", "replace"))[:300]
    return ""


@dataclass(frozen=True)
class Mailbox:
    """The selected folder.

    Attributes:
        name: the folder name as configured.
        uidvalidity: the folder's UIDVALIDITY (0 when the server did not say).
        exists: messages in the folder.
        uidnext: the next UID the server will assign, when it said.
    """

    name: str
    uidvalidity: int
    exists: int
    uidnext: int | None


class ImapClient:
    """A read-only IMAP session over aioimaplib.

    Args:
        host, port: the IMAP server.
        username, password: LOGIN credentials.
        use_tls: implicit TLS (port 993). Without it the session, password included, is in clear:
            only for a server on this machine (a local bridge) or the sandbox.
        timeout: seconds for the greeting and for each command.
        ssl_context: the TLS context (certificates are verified by default).
    """

    name = SERVICE

    def __init__(
        self,
        host: str,
        port: int = 993,
        *,
        username: str,
        password: Secret,
        use_tls: bool = True,
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.use_tls = use_tls
        self.timeout = timeout
        self.ssl_context = ssl_context
        self.mailbox: Mailbox | None = None
        self._imap: aioimaplib.IMAP4 | None = None

    @property
    def where(self) -> str:
        """``host:port`` for messages."""
        return f"{self.host}:{self.port}"

    # -- session -------------------------------------------------------------------------------

    async def __aenter__(self) -> ImapClient:
        await self.connect()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def connect(self) -> None:
        """Connect, read the greeting and log in.

        Raises:
            NetworkError: refused, unknown host, TLS failure.
            TimedOut: no greeting within the timeout.
            AuthError: the login was refused.
        """
        context: ssl.SSLContext | None = None
        if self.use_tls:
            context = self.ssl_context or ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        hint = t("cerr.imap.connect.fix")
        try:
            self._imap = aioimaplib.IMAP4(
                host=self.host, port=self.port, timeout=self.timeout, ssl_context=context
            )
            await self._imap.wait_hello_from_server()
        except ssl.SSLCertVerificationError as exc:
            await self.close()
            raise NetworkError(
                SERVICE,
                t("cerr.imap.untrusted", where=self.where, detail=exc.verify_message or exc),
                hint=t("cerr.imap.untrusted.fix"),
            ) from exc
        except ssl.SSLError as exc:
            await self.close()
            raise NetworkError(SERVICE, t("cerr.imap.tls", where=self.where, detail=exc), hint=hint) from exc
        except (TimeoutError, aioimaplib.CommandTimeout) as exc:
            await self.close()
            raise TimedOut(
                SERVICE,
                t("cerr.imap.no_greeting", where=self.where, seconds=seconds_text(self.timeout)),
                hint=hint,
            ) from exc
        except (OSError, aioimaplib.AioImapException) as exc:
            await self.close()
            raise NetworkError(
                SERVICE, t("cerr.imap.connect", where=self.where, detail=exc), hint=hint
            ) from exc
        if "LOGINDISABLED" in self._imap.protocol.capabilities:
            await self.close()
            raise AuthError(
                SERVICE,
                t("cerr.imap.login_disabled", where=self.where),
                hint=t("cerr.imap.login_disabled.fix"),
            )
        response = await self._command(
            "LOGIN", self._imap.login(astring(self.username), self.password.reveal())
        )
        if response.result != "OK":
            await self.close()
            raise AuthError(
                SERVICE,
                t(
                    "cerr.imap.login",
                    user=self.username,
                    where=self.where,
                    detail=_server_text(response.lines),
                ),
                hint=t("cerr.imap.login.fix"),
            )

    async def close(self) -> None:
        """Log out (best effort) and close the connection; safe to call twice."""
        imap, self._imap = self._imap, None
        if imap is None:
            return
        protocol = imap.protocol
        try:
            if protocol is not None and protocol.state in (aioimaplib.AUTH, aioimaplib.SELECTED):
                await asyncio.wait_for(imap.logout(), timeout=min(self.timeout, 5.0))
        except (TimeoutError, OSError, aioimaplib.AioImapException):
            pass
        finally:
            transport = protocol.transport if protocol is not None else None
            if transport is not None and not transport.is_closing():
                transport.close()
            task = getattr(imap, "_client_task", None)
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task

    async def _command(self, what: str, call: Any) -> Any:
        try:
            return await call
        except (TimeoutError, aioimaplib.CommandTimeout) as exc:
            await self.close()
            raise TimedOut(
                SERVICE,
                t("cerr.imap.no_answer", what=what, where=self.where, seconds=seconds_text(self.timeout)),
            ) from exc
        except (OSError, aioimaplib.AioImapException) as exc:
            await self.close()
            raise NetworkError(
                SERVICE, t("cerr.imap.failed", what=what, where=self.where, detail=exc)
            ) from exc

    def _session(self) -> aioimaplib.IMAP4:
        if self._imap is None:
            raise NetworkError(SERVICE, t("cerr.imap.not_connected", where=self.where))
        return self._imap

    # -- reading -------------------------------------------------------------------------------

    async def select(self, folder: str = "INBOX") -> Mailbox:
        """Select ``folder`` (read-only use: nothing is ever stored or expunged).

        Raises:
            NotFound: the server has no such folder.
        """
        response = await self._command("SELECT", self._session().select(mailbox_argument(folder)))
        if response.result != "OK":
            raise NotFound(
                SERVICE,
                t("cerr.imap.no_folder", folder=folder, detail=_server_text(response.lines)),
                hint=t("cerr.imap.no_folder.fix"),
            )
        uidvalidity, exists, uidnext = 0, 0, None
        for line in response.lines:
            if not isinstance(line, bytes):
                continue
            if m := _UIDVALIDITY.search(line):
                uidvalidity = int(m.group(1))
            elif m := _UIDNEXT.search(line):
                uidnext = int(m.group(1))
            elif m := _EXISTS.match(line):
                exists = int(m.group(1))
        self.mailbox = Mailbox(folder, uidvalidity, exists, uidnext)
        return self.mailbox

    async def uids_after(self, uid: int) -> list[int]:
        """UIDs above ``uid`` in the selected folder, ascending (``UID SEARCH UID uid+1:*``).

        ``n:*`` always includes the highest UID even when it is below ``n`` (RFC 3501), hence the
        filter.
        """
        response = await self._command(
            "UID SEARCH", self._session().uid_search("UID", f"{uid + 1}:*", charset=None)
        )
        if response.result != "OK":
            raise InvalidResponse(
                SERVICE, t("cerr.imap.refused", what="UID SEARCH", detail=_server_text(response.lines))
            )
        found: set[int] = set()
        for line in response.lines[:-1]:
            if isinstance(line, bytes):
                text = line.decode("ascii", "replace")
                if text.upper().startswith("SEARCH"):
                    text = text[6:]
                found.update(int(tok) for tok in text.split() if tok.isdigit())
        return sorted(u for u in found if u > uid)

    async def headers(self, uids: Sequence[int]) -> list[MailHeaders]:
        """The headers of ``uids`` (one ``UID FETCH first:last``, filtered to ``uids``)."""
        if not uids:
            return []
        wanted = set(uids)
        span = f"{min(wanted)}:{max(wanted)}" if len(wanted) > 1 else str(min(wanted))
        response = await self._command("UID FETCH", self._session().uid("fetch", span, FETCH_ITEMS))
        if response.result != "OK":
            raise InvalidResponse(
                SERVICE, t("cerr.imap.refused", what="UID FETCH", detail=_server_text(response.lines))
            )
        return parse_fetch(response.lines, wanted)
