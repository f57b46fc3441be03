"""aioimaplib's in-process IMAP testing server on loopback, for tests and the demo.

:class:`ImapSandbox` runs ``aioimaplib.imap_testing_server`` in a background thread (so both
synchronous and asynchronous code can use it, like :class:`~crmtui.sandbox.mail.SmtpSink`)::

    with ImapSandbox(users={"replies@domaine-exemple.fr": "s3cret"}) as imap:
        imap.reply("replies@domaine-exemple.fr", to_message_id="abc@domaine-exemple.fr", from_addr="c@x.fr")
        imap.answer("replies@domaine-exemple.fr", ses.messages[0]["raw"])  # as a mail client answers
        # point IMAP_HOST/IMAP_PORT at imap.host/imap.port with IMAP_SSL=no

Four things the stock testing server lacks are added here, and only here:

- passwords: it accepts any LOGIN; with ``users`` set, a wrong password gets
  ``NO [AUTHENTICATIONFAILED]`` as a real server answers;
- ``UID SEARCH UID n:*`` (RFC 3501): it only understands a bare range, so the ``UID`` search key
  is dropped before it parses the command (it already reads the range as UIDs);
- an unknown folder: ``SELECT`` answers ``NO [NONEXISTENT]`` instead of creating it;
- a stable ``UIDVALIDITY`` per sandbox (it draws a new one per connection), so cursors survive
  reconnections as they do against a real mailbox.

Limits of the stock server worth knowing: a command line may only contain the characters its
parser allows (letters, digits, spaces and ``.#@:*"(){}[]+-\\%=``), so sandbox passwords should
too, and a ``UID FETCH`` takes one UID or one range, not a comma list.
"""

from __future__ import annotations

import asyncio
import email.policy
import email.utils
import html
import logging
import re
import ssl
import sys
import threading
import types
from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import EmailMessage, Message
from email.mime.text import MIMEText
from typing import Any

from crmtui.sandbox.loopback import free_port


def _import_testing_server() -> Any:
    # The testing server imports pytz only for its UTC constant; crmtui does not depend on pytz,
    # so a stand-in module is provided for the import and removed right after it.
    try:
        import pytz  # noqa: F401
    except ImportError:
        shim = types.ModuleType("pytz")
        shim.utc = UTC  # type: ignore[attr-defined]
        sys.modules["pytz"] = shim
        try:
            module = _with_a_loop(_import_module)
        finally:
            sys.modules.pop("pytz", None)
    else:
        module = _with_a_loop(_import_module)
    logging.getLogger(module.__name__).setLevel(logging.WARNING)
    return module


def _import_module() -> Any:
    from aioimaplib import imap_testing_server

    return imap_testing_server


def _with_a_loop(fn: Any) -> Any:
    """``fn()`` with a current event loop in this thread.

    The testing server calls ``asyncio.get_event_loop()`` in a default argument, i.e. when it is
    imported; in a thread whose loop was unset (after any ``asyncio.run``) that raises
    ``RuntimeError: There is no current event loop``. A loop is lent for the import and closed after
    (the default is never used: :class:`_Protocol` always passes its own loop).
    """
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            asyncio.get_event_loop()
        except RuntimeError:
            pass
        else:
            return fn()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        return fn()
    finally:
        asyncio.set_event_loop(None)
        loop.close()


_its = _import_testing_server()


def _text_of(message: EmailMessage) -> str:
    """The text a mail client quotes: the text/plain part, else the HTML with its tags dropped."""
    part = message.get_body(preferencelist=("plain", "html"))
    if not isinstance(part, EmailMessage):
        return ""
    text = str(part.get_content())
    if part.get_content_subtype() == "html":
        text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return text


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return value


class _Protocol(_its.ImapProtocol):  # type: ignore[misc,name-defined]
    """The testing server's protocol with password checks and ``UID SEARCH UID``."""

    def __init__(self, sandbox: ImapSandbox, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(sandbox._state, loop=loop)
        self.uidvalidity = sandbox.uidvalidity
        self._sandbox = sandbox

    def login(self, tag: str, *args: str) -> None:
        user = _unquote(args[0]) if args else ""
        password = _unquote(args[1]) if len(args) > 1 else ""
        users = self._sandbox.users
        if users is not None and users.get(user) != password:
            self._sandbox.failed_logins += 1
            self.send_tagged_line(tag, "NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)")
            return
        self._sandbox.logins += 1
        super().login(tag, user)

    def select(self, tag: str, *args: str) -> None:
        """A folder that does not exist is refused, as real servers do (the stock one creates it).

        RFC 3501 §6.3.1: ``NO`` is a select failure, "no such mailbox", and the session stays
        authenticated; the ``[NONEXISTENT]`` response code is RFC 5530 §3 (Dovecot answers
        ``NO [NONEXISTENT] Mailbox doesn't exist: NAME``). INBOX and the stock default folders
        always exist, and a folder exists once a message was delivered to it.
        """
        name = _unquote(args[0]) if args else ""
        state = self.server_state
        known = name.upper() == "INBOX" or name in state.DEFAULT_MAILBOXES
        if not known and not state.has_mailbox(self.user_login, name):
            self.send_tagged_line(tag, f"NO [NONEXISTENT] Mailbox doesn't exist: {name}")
            return
        super().select(tag, *args)

    def search(self, tag: str, *args: str) -> None:
        params = list(args)
        for i in range(1, len(params) - 1):
            if params[i].upper() == "UID" and _its.UID_RANGE_RE.match(params[i + 1]):
                del params[i]
                break
        super().search(tag, *params)


class ImapSandbox:
    """A loopback IMAP server holding mailboxes in memory.

    Args:
        host: the address to listen on.
        port: the port (a free one by default).
        users: ``login -> password``; None accepts any password (the stock behaviour).
        ssl_context: a server-side TLS context for implicit TLS (IMAPS); plain by default.

    Attributes:
        logins, failed_logins: LOGIN commands accepted and refused.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int | None = None,
        *,
        users: dict[str, str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.ssl_context = ssl_context
        self.port = port or free_port(host)
        self.users = users
        self.uidvalidity = int(datetime.now(UTC).timestamp())
        self.logins = 0
        self.failed_logins = 0
        self._state = _its.ServerState()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._protocols: list[_Protocol] = []
        self._ready = threading.Event()
        self._error: BaseException | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> ImapSandbox:
        """Start serving in a background thread; return once the socket listens."""
        self._thread = threading.Thread(target=self._run, name=f"imap:{self.port}", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout) or self._error is not None:
            raise RuntimeError(f"IMAP sandbox on port {self.port} did not start: {self._error}")
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            self._server = loop.run_until_complete(
                loop.create_server(lambda: self._protocol(loop), self.host, self.port, ssl=self.ssl_context)
            )
        except BaseException as exc:  # reported by start()
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            self._server.close()
            for proto in self._protocols:
                if proto.transport is not None:
                    proto.transport.close()
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(self._server.wait_closed())
            asyncio.set_event_loop(None)
            loop.close()

    def _protocol(self, loop: asyncio.AbstractEventLoop) -> _Protocol:
        proto = _Protocol(self, loop)
        self._protocols.append(proto)
        return proto

    def stop(self) -> None:
        """Stop the server and its thread."""
        if self._loop is not None and self._thread is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)

    def __enter__(self) -> ImapSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _call(self, fn: Any, *args: Any) -> Any:
        if self._loop is None:
            raise RuntimeError("the IMAP sandbox is not started")

        async def run() -> Any:
            return fn(*args)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout=10)

    # -- mailboxes ---------------------------------------------------------------------------

    def deliver(self, user: str, message: Message | bytes | str, folder: str = "INBOX") -> int:
        """Put ``message`` into ``user``'s ``folder``; return its UID."""
        if isinstance(message, bytes):
            message = email.message_from_bytes(message)
        elif isinstance(message, str):
            message = email.message_from_string(message)
        mail = _its.Mail(message, date=datetime.now(UTC))
        return int(self._call(self._state.imap_receive, user, mail, folder))

    def reply(
        self,
        user: str,
        *,
        to_message_id: str,
        from_addr: str,
        subject: str = "Re: Bonjour",
        body: str = "Merci, je vous rappelle.",
        references: Sequence[str] = (),
        headers: dict[str, str] | None = None,
        folder: str = "INBOX",
    ) -> int:
        """Deliver a reply to ``to_message_id`` (bracketless) from ``from_addr``; return its UID.

        ``In-Reply-To`` names ``to_message_id``; ``References`` lists ``references`` then it.
        """
        msg = MIMEText(body, "plain", "utf-8")
        msg["From"] = from_addr
        msg["To"] = user
        msg["Subject"] = subject
        msg["Date"] = email.utils.formatdate(usegmt=True)
        msg["Message-ID"] = email.utils.make_msgid(domain="sandbox.invalid")
        if to_message_id:
            msg["In-Reply-To"] = f"<{to_message_id}>"
            msg["References"] = " ".join(f"<{m}>" for m in [*references, to_message_id])
        for name, value in (headers or {}).items():
            msg[name] = value
        return self.deliver(user, msg, folder)

    def answer(
        self,
        user: str,
        delivered: bytes | Message,
        *,
        body: str = "Merci, je vous rappelle.",
        from_addr: str = "",
        headers: dict[str, str] | None = None,
        folder: str = "INBOX",
    ) -> int:
        """Deliver to ``user`` the reply a mail client writes when its user answers ``delivered``.

        ``delivered`` is the message as its recipient received it (``SesSim.messages[i]["raw"]``,
        ``SmtpSink.messages[i]["raw"]``), so the reply names the Message-ID the provider really
        delivered (SES's own, not the one crmtui would have set). As RFC 5322 §3.6.4 says a reply
        does: ``In-Reply-To`` is the parent's ``Message-ID``; ``References`` is the parent's
        ``References`` (else its single ``In-Reply-To``) followed by its ``Message-ID``; the subject
        gets one ``Re: `` (§3.6.5); the body quotes the parent's text after an attribution line.

        Args:
            user: the mailbox receiving the reply (crmtui's reply address).
            delivered: the raw message answered.
            body: what the person writes above the quote.
            from_addr: who answers (default: the parent's first ``To``).
            headers: further headers (``Auto-Submitted`` for an out-of-office...).
            folder: the folder it lands in.

        Returns:
            The reply's UID.
        """
        parent = email.message_from_bytes(
            delivered if isinstance(delivered, bytes) else delivered.as_bytes(), policy=email.policy.default
        )
        parent_id = str(parent.get("Message-ID") or "").strip()
        chain = str(parent.get("References") or "").split()
        if not chain:
            in_reply_to = str(parent.get("In-Reply-To") or "").split()
            chain = in_reply_to if len(in_reply_to) == 1 else []
        subject = str(parent.get("Subject") or "")
        if not subject.lower().startswith("re:"):
            subject = f"Re: {subject}"
        sender = from_addr or str(parent.get("To") or "")
        # Lines up to RFC 5322's 998 characters: folded at 78, the stdlib would encode a long
        # In-Reply-To as an encoded-word, which no mail client does.
        msg = EmailMessage(policy=email.policy.SMTP.clone(max_line_length=998))
        msg["From"] = sender
        msg["To"] = str(parent.get("Reply-To") or parent.get("From") or user)
        msg["Subject"] = subject
        msg["Date"] = email.utils.formatdate(usegmt=True)
        msg["Message-ID"] = email.utils.make_msgid(domain="sandbox.invalid")
        if parent_id:
            msg["In-Reply-To"] = parent_id
            msg["References"] = " ".join([*chain, parent_id])
        for name, value in (headers or {}).items():
            msg[name] = value
        quoted = "\n".join(f"> {line}".rstrip() for line in _text_of(parent).splitlines())
        when = str(parent.get("Date") or "")
        author = str(parent.get("From") or "")
        attribution = f"Le {when}, {author} a écrit :" if when else f"{author} a écrit :"
        msg.set_content(f"{body}\n\n{attribution}\n{quoted}\n")
        return self.deliver(user, msg.as_bytes(), folder)

    def messages(self, user: str, folder: str = "INBOX") -> dict[int, bytes]:
        """``uid -> raw bytes`` of every message in a folder."""

        def read() -> dict[int, bytes]:
            box = self._state.mailboxes.get(user, {}).get(folder, [])
            return {m.uid: bytes(m.as_bytes()) for m in box}

        return dict(self._call(read))

    def flags(self, user: str, folder: str = "INBOX") -> dict[int, list[str]]:
        """``uid -> flags`` of every message in a folder (to check that nothing was marked read)."""

        def read() -> dict[int, list[str]]:
            box = self._state.mailboxes.get(user, {}).get(folder, [])
            return {m.uid: list(m.flags) for m in box}

        return dict(self._call(read))
