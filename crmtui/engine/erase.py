"""Right to erasure (GDPR art. 17): ``crmtui erase`` and the console's erase dialog.

One erasure is one recorded operation (``erasure_ops``, the outbox), written together with the
person's suppression entries **before** anything else, then carried out step by step, each step's
answer recorded as it comes, so a crash at any point is resumed by the next run without doing a
step twice:

1. **Mailchimp**: ``POST .../members/{hash}/actions/delete-permanent`` of every address of the
   person (a 404 means already gone: success). Mailchimp then refuses any re-import of the address
   ("Forgotten Email Not Subscribed", WIRE.md §2.5).
2. **Copper**: ``DELETE /people/{id}`` of every person holding one of the addresses (found by the
   store's Copper id, ``fetch_by_email`` and a search by email; a 404 is success).
3. **The store**: every row and trace of the person in every table
   (:meth:`crmtui.store.erase.ErasureRepo.sweep`), in one transaction.
4. **Files**: the person's lines are removed from the logs and reports crmtui wrote (each file
   rewritten atomically); a file that cannot be rewritten (compressed, binary) is deleted, and the
   operator is told which.
5. **Finish**: the audit entry (when, who, what each system answered: no personal data) and the
   wiping of the address from the outbox row, in one transaction; then a WAL checkpoint, ``VACUUM``
   and a truncating checkpoint so the raw ``.db`` and ``-wal`` bytes no longer hold anything removed.

What remains is the suppression entry: a keyed hash (HMAC-SHA256 with ``CRMTUI_ERASURE_SECRET``),
never the address. The sync, the ETL and the scenarios check it, so the person is never
re-imported, re-created in Copper or Mailchimp, nor emailed. A system that did not answer (network,
authentication) leaves the erasure unfinished: its address stays only in the outbox row until a
rerun (``crmtui erase`` with no address resumes every unfinished one) gets an answer.
"""

from __future__ import annotations

import gzip
import logging
import os
import re
import secrets
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from crmtui.config import Settings
from crmtui.connectors.copper import CopperClient
from crmtui.connectors.errors import ConnectorError, NotFound
from crmtui.connectors.mailchimp import MailchimpClient
from crmtui.engine.events import Event, Notice, StepProgressed, ignore
from crmtui.engine.identity import normalize_email
from crmtui.i18n import t
from crmtui.records.erasure import Matcher, Needles
from crmtui.secrets import Secret
from crmtui.store import Store
from crmtui.store.erase import SECRET_VAR

log = logging.getLogger("crmtui.engine.erase")

STEP = "erase"
CONFIRMED = frozenset({"deleted", "absent", "not_configured"})
"""Answers that settle a system: deleted now, already gone, or a system crmtui does not use."""
_BLOCK_HEAD = re.compile(r"^\s*\d+\.\s")


class EraseError(Exception):
    """An erasure cannot start (no secret can be stored, an unusable address); ``str`` says why."""


# -- the secret --------------------------------------------------------------------------------


def ensure_secret(settings: Settings, env_file: Path | None = None, store: Store | None = None) -> Settings:
    """``settings`` with an erasure secret, made and stored in the ``.env`` (0600) on first use.

    The secret must outlive this run (a lost secret makes the suppression list unreadable, so
    everyone counts as suppressed until it is restored): it is written to the ``.env`` crmtui reads,
    through :func:`crmtui.envfile.update_env_file` (atomic, 0600, comments kept). A secret another
    process wrote since this one read its configuration (``crmtui erase`` in a terminal while the
    console runs) is read back, never replaced; and none is made while ``store`` already holds
    suppressions (their secret was lost: a new one would silently stop recognising everyone erased).

    Raises:
        EraseError: the ``.env`` cannot be written, or the secret of existing suppressions is missing
            (the message says which and why).
    """
    if settings.erasure_secret:
        return settings
    target = settings.env_file or env_file or Path(".env")
    existing = os.environ.get(SECRET_VAR, "").strip()
    if not existing and target.is_file():
        from dotenv import dotenv_values

        existing = (dotenv_values(target).get(SECRET_VAR) or "").strip()
    if existing:
        return replace(settings, erasure_secret=Secret(existing))
    held = store.erasure.count() if store is not None else 0
    if held:
        raise EraseError(t("erase.secret_lost", path=target, n=held, var=SECRET_VAR))
    if settings.sandbox:
        # The sandbox's database starts afresh on every start: a secret for this process is enough.
        return replace(settings, erasure_secret=Secret(secrets.token_hex(32)))
    from crmtui.envfile import EnvFileError, update_env_file

    value = secrets.token_hex(32)
    try:
        written = update_env_file(target, {SECRET_VAR: Secret(value)})
    except EnvFileError as exc:
        raise EraseError(t("erase.secret_failed", path=target, reason=str(exc))) from exc
    log.info("erasure secret created in %s", written)
    return replace(settings, erasure_secret=Secret(value), env_file=written)


def suppress_deleted(settings: Settings, store: Store, email: str) -> bool:
    """The sync's delete decision: the address is suppressed (never emailed nor re-created).

    The same keyed-hash entry as an erasure, with reason ``deleted``; the history stays (the
    operator chose delete, not erase). Returns False when no secret could be stored (logged).
    """
    if not store.erasure.has_key():
        try:
            settings = ensure_secret(settings, store=store)
        except EraseError as exc:
            log.error("delete decision: suppression not recorded: %s", exc)
            return False
        store.erasure.configure(settings.erasure_secret, settings.env_file)
    return store.erasure.suppress_email(email, "deleted")


# -- results -------------------------------------------------------------------------------------


@dataclass
class EraseResult:
    """What one erasure did (or, for a dry run, would do).

    Attributes:
        email: the address as the operator gave it (shown to them, never logged).
        op_id: the erasure's id in the outbox (0 for a dry run).
        mailchimp: deleted/absent/failed/not_configured (dry run: the member's status, or absent).
        copper: deleted/absent/failed/not_configured (dry run: how many people would go).
        store: rows removed (or to remove) per table.
        files: ``(path, "rewritten"|"deleted", lines)``.
        already: the address had been erased before (nothing to do).
        errors: what a system answered when it did not confirm.
    """

    email: str
    op_id: int = 0
    mailchimp: str = "pending"
    copper: str = "pending"
    copper_people: int = 0
    store: dict[str, int] = field(default_factory=dict)
    files: list[tuple[str, str, int]] = field(default_factory=list)
    already: bool = False
    errors: list[str] = field(default_factory=list)

    @property
    def confirmed(self) -> bool:
        """Whether every system answered (deleted, already gone, or not used)."""
        return self.already or (self.mailchimp in CONFIRMED and self.copper in CONFIRMED)


@dataclass
class EraseOutcome:
    """Every erasure of one run."""

    results: list[EraseResult] = field(default_factory=list)
    compacted: bool = True
    dry_run: bool = False

    @property
    def confirmed(self) -> bool:
        """Whether every system confirmed every erasure (a dry run: every system answered)."""
        if self.dry_run:
            return not any(r.errors for r in self.results)
        return all(r.confirmed for r in self.results) and self.compacted


# -- identity -------------------------------------------------------------------------------------


def _identity(store: Store, email: str) -> dict[str, Any]:
    """What the store knows of the person: addresses, names, phones, Copper ids, ERP customer keys."""
    key = normalize_email(email)
    ident: dict[str, Any] = {
        "emails": [key],
        "typed": [email.strip()] if email.strip() != key else [],
        "names": [],
        "phones": [],
        "copper_ids": [],
        "customer_keys": [],
    }
    rows = store.erasure.person_rows([key])
    for row in rows["contacts"]:
        _add(ident, "names", [row.get("first_name"), row.get("last_name")])
        _add(ident, "phones", row.get("phone"))
        _add(ident, "copper_ids", row.get("copper_id"))
        from crmtui.store._util import loads

        for other in loads(row.get("other_emails"), []) or []:
            _add(ident, "emails", normalize_email(other))
        for state in (loads(row.get("copper_state"), {}) or {}, loads(row.get("mc_state"), {}) or {}):
            fields = state.get("fields") or {}
            _add(ident, "names", [fields.get("first_name"), fields.get("last_name")])
            _add(ident, "names", [state.get("name"), None])
            _add(ident, "phones", fields.get("phone"))
    for row in rows["customers"]:
        _add(ident, "customer_keys", row.get("customer_key"))
        _add(ident, "names", [row.get("first_name"), row.get("last_name")])
        _add(ident, "phones", row.get("phone"))
        _add(ident, "phones", row.get("mobile"))
    for row in rows["queues"]:
        _add(ident, "copper_ids", row.get("copper_id"))
        _add(ident, "names", [row.get("name"), None])
    return ident


def _add(ident: dict[str, Any], kind: str, value: Any) -> None:
    if value in (None, "", [None, None]):
        return
    if isinstance(value, list) and all(v in (None, "") for v in value):
        return
    if value not in ident[kind]:
        ident[kind].append(value)


def needles_for(ident: dict[str, Any]) -> Needles:
    """Every form of the identity's addresses, names and phones."""
    needles = Needles()
    for email in [*ident.get("emails", []), *ident.get("typed", [])]:
        needles.add_email(email)
    for name in ident.get("names", []):
        if isinstance(name, list):
            first, last = (name + [None, None])[:2]
            needles.add_name(first, last)
        else:
            needles.add_name(str(name))
    for phone in ident.get("phones", []):
        needles.add_phone(str(phone))
    return needles


def _merge(identities: Iterable[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {
        k: [] for k in ("emails", "typed", "names", "phones", "copper_ids", "customer_keys")
    }
    for ident in identities:
        for kind in out:
            for value in ident.get(kind, []):
                _add(out, kind, value)
    return out


# -- the remote steps -------------------------------------------------------------------------


def _configured(settings: Settings) -> tuple[bool, bool]:
    c = settings.connectors()
    return c["mailchimp"], c["copper"]


def _learn_member(ident: dict[str, Any], member: Any) -> None:
    merge = member.merge_fields or {}
    _add(ident, "names", [merge.get("FNAME"), merge.get("LNAME")])
    phone = merge.get("PHONE")
    if isinstance(phone, str):
        _add(ident, "phones", phone)
    _add(ident, "typed", member.email)


def _learn_person(ident: dict[str, Any], person: Any) -> None:
    _add(ident, "names", [person.first_name, person.last_name])
    _add(ident, "names", [person.name, None])
    for phone in person.phone_numbers:
        _add(ident, "phones", phone)
    for email in person.emails:
        _add(ident, "emails", normalize_email(email))
    address = (person.raw or {}).get("address") or {}
    if isinstance(address, dict) and address.get("street"):
        _add(ident, "names", [str(address["street"]), None])


async def _mailchimp_step(
    store: Store, mailchimp: MailchimpClient, op: dict[str, Any], matcher: Callable[[str], str]
) -> tuple[str, str]:
    """``delete-permanent`` of every address Mailchimp holds, each asked once.

    The intent (``mc_sent``) is recorded before each request: a run killed after Mailchimp deleted
    the member but before its answer was recorded finds the member gone on the rerun, counts it as
    deleted by that run and does not ask again. A member still there was not deleted, so it is asked
    (again): the only way to a confirmed erasure.
    """
    ident = op["identity"]
    sent = ident.setdefault("mc_sent", [])
    gone_now = False
    for email in list(ident["emails"]):
        member = await mailchimp.get_member(email)
        if member is None:
            gone_now = gone_now or email in sent
            continue
        _learn_member(ident, member)
        if email not in sent:
            sent.append(email)
        store.erasure.update(op["id"], identity=ident)
        if await mailchimp.delete_permanent(email):
            gone_now = True
        elif email in sent:
            gone_now = True  # our own earlier request, whose answer was lost, did it
    return ("deleted" if gone_now else "absent"), ""


async def _copper_people(copper: CopperClient, ident: dict[str, Any]) -> dict[int, Any]:
    found: dict[int, Any] = {}
    for pid in ident.get("copper_ids", []):
        try:
            person = await copper.get_person(int(pid))
        except NotFound:
            continue
        held = {normalize_email(e) for e in person.emails}
        if held & set(ident["emails"]):
            found[person.id] = person
    for email in list(ident["emails"]):
        owner = await copper.fetch_by_email(email)
        if owner is not None:
            found[owner.id] = owner
        page, _ = await copper.search_people(emails=[email], page_size=200)
        for p in page:
            if email in {normalize_email(e) for e in p.emails}:
                found[p.id] = p
    return found


async def _copper_step(
    store: Store, copper: CopperClient, op: dict[str, Any], matcher: Callable[[str], str]
) -> tuple[str, str]:
    """``DELETE /people/{id}`` of every person holding one of the addresses, each asked once.

    As for Mailchimp, the intent (``copper_sent``: the person ids) is recorded before the requests:
    an id asked before a crash and no longer found was deleted by that run, and is not asked again.
    """
    ident = op["identity"]
    people = await _copper_people(copper, ident)
    sent = [int(i) for i in ident.get("copper_sent", [])]
    done_before = [pid for pid in sent if pid not in people]
    for person in people.values():
        _learn_person(ident, person)
        _add(ident, "copper_ids", person.id)
        if person.id not in sent:
            sent.append(person.id)
    ident["copper_sent"] = sent
    store.erasure.update(op["id"], identity=ident)
    deleted = len(done_before)
    for person in people.values():
        if await copper.delete_person(person.id):
            deleted += 1
    detail = dict(op["detail"])
    detail["copper_people"] = len(people) + len(done_before)
    store.erasure.update(op["id"], detail=detail)
    op["detail"] = detail
    return ("deleted" if deleted else "absent"), ""


# -- files ----------------------------------------------------------------------------------------


def written_files(settings: Settings) -> list[Path]:
    """The logs and reports crmtui wrote (and the cron log its crontab line appends to)."""
    out: list[Path] = []
    for folder in (settings.log_dir, settings.report_dir):
        if folder.is_dir():
            out += sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    cron = Path.home() / ".local" / "state" / "crmtui-cron.log"
    if settings.data_dir.is_dir() and cron.is_file() and not settings.sandbox:
        out.append(cron)
    return out


def _without(lines: list[str], matcher: Matcher) -> tuple[list[str], int]:
    """``lines`` without those holding a trace; a report block goes whole (header to blank line)."""
    kept: list[str] = []
    dropped = 0
    skipping = False
    for line in lines:
        if skipping:
            if line.strip() == "":
                skipping = False
                kept.append(line)
            else:
                dropped += 1
            continue
        if matcher.hit(line):
            dropped += 1
            if _BLOCK_HEAD.match(line):
                skipping = True
            continue
        kept.append(line)
    # A dropped header may have left the block's earlier lines; drop the lines of a block whose
    # header went (between two blank lines, starting with indented detail lines).
    return kept, dropped


def _atomic_write(path: Path, data: bytes) -> None:
    mode = path.stat().st_mode & 0o777
    handle, temp = tempfile.mkstemp(prefix=".tmp_", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, mode & 0o700 or 0o600)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _zip_holds(path: Path, matcher: Matcher) -> bool:
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if matcher.hit(archive.read(info).decode("utf-8", "replace")):
                return True
    return False


def scrub_file(path: Path, matcher: Matcher, *, dry_run: bool = False) -> tuple[str, int] | None:
    """Remove the traces from one file: ``("rewritten", lines)``, ``("deleted", 0)`` or None (clean)."""
    raw = path.read_bytes()
    gz = raw[:2] == b"\x1f\x8b"
    if gz:
        try:
            raw = gzip.decompress(raw)
        except OSError:
            gz = False
    if raw[:2] == b"PK":
        try:
            holds = _zip_holds(path, matcher)
        except (zipfile.BadZipFile, OSError):
            holds = matcher.hit(raw.decode("latin-1"))
        if holds and not dry_run:
            path.unlink()
        return ("deleted", 0) if holds else None
    bom = raw.startswith(b"\xef\xbb\xbf")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        if matcher.hit(raw.decode("utf-8", "replace")) or matcher.hit(raw.decode("latin-1")):
            if not dry_run:
                path.unlink()
            return "deleted", 0
        return None
    if not matcher.hit(text):
        return None
    kept, dropped = _without(text.splitlines(keepends=True), matcher)
    if dry_run:
        return "rewritten", dropped
    body = "".join(kept)
    data = (b"\xef\xbb\xbf" if bom else b"") + body.encode("utf-8")
    if gz:
        data = gzip.compress(data)
    try:
        _atomic_write(path, data)
    except OSError:
        path.unlink()
        return "deleted", 0
    return "rewritten", dropped


def scrub_files(settings: Settings, matcher: Matcher, *, dry_run: bool = False) -> list[tuple[str, str, int]]:
    """Every written file holding a trace, cleaned (or, for a dry run, listed)."""
    out: list[tuple[str, str, int]] = []
    for path in written_files(settings):
        try:
            done = scrub_file(path, matcher, dry_run=dry_run)
        except OSError as exc:
            out.append((str(path), "failed:" + (exc.strerror or type(exc).__name__), 0))
            continue
        if done is not None:
            out.append((str(path), done[0], done[1]))
    return out


# -- the run ----------------------------------------------------------------------------------


def _clean_error(exc: ConnectorError, matcher: Matcher) -> str:
    return matcher.scrub(str(exc))


def address_keys(emails: Sequence[str]) -> list[tuple[str, str]]:
    """``(as typed, email key)`` of each distinct address, in order.

    Raises:
        EraseError: one is not an address (checked before anything is written or asked).
    """
    keys: list[tuple[str, str]] = []
    seen: set[str] = set()
    for email in emails:
        key = normalize_email(email)
        if "@" not in key:
            raise EraseError(t("erase.bad_email", email=email))
        if key not in seen:
            seen.add(key)
            keys.append((email, key))
    return keys


async def erase(
    settings: Settings,
    store: Store,
    emails: Sequence[str],
    *,
    actor: str,
    dry_run: bool = False,
    resume: bool = True,
    emit: Callable[[Event], None] = ignore,
    clients: tuple[CopperClient, MailchimpClient] | None = None,
) -> EraseOutcome:
    """Erase ``emails`` (and, with ``resume``, finish every unfinished erasure).

    Args:
        settings: must hold ``erasure_secret`` unless ``dry_run`` (see :func:`ensure_secret`).
        store: the store (its erasure repository is given the secret here).
        emails: addresses as typed; each is normalised with the one email key.
        actor: who asked (recorded in the audit entry).
        dry_run: list what would be erased where; write nothing, call nothing that writes.
        resume: also carry on erasures a crash or an unreachable system left unfinished.
        emit: progress events.
        clients: Copper and Mailchimp clients (tests pass their own).

    Raises:
        EraseError: an address that is not one.
    """
    keys = address_keys(emails)
    if not dry_run:
        store.erasure.configure(settings.erasure_secret, settings.env_file)
    outcome = EraseOutcome(dry_run=dry_run)
    from crmtui.engine.sync_clients import make_clients

    own = clients is None
    # A dry run writes nothing to the store, not even the shared budgets: its few reads count here only.
    budgets_store = None if dry_run else store
    copper, mailchimp = clients or make_clients(settings, store=budgets_store, emit=emit)
    try:
        if dry_run:
            for email, key in keys:
                outcome.results.append(await _plan_one(settings, store, email, key, copper, mailchimp))
            return outcome
        ops = _open_ops(store, keys, actor, outcome)
        if resume:
            listed = {op["id"] for op, _ in ops}
            for op in store.erasure.unfinished():
                if op["id"] not in listed:
                    result = EraseResult(email=op.get("email") or f"#{op['id']}", op_id=op["id"])
                    outcome.results.append(result)
                    ops.append((op, result))
        await _run_ops(settings, store, ops, copper, mailchimp, actor, emit)
        if store.erasure.not_compacted():
            outcome.compacted = store.erasure.compact()
    finally:
        if own:
            await copper.aclose()
            await mailchimp.aclose()
    return outcome


def _open_ops(
    store: Store, keys: Sequence[tuple[str, str]], actor: str, outcome: EraseOutcome
) -> list[tuple[dict[str, Any], EraseResult]]:
    ops: list[tuple[dict[str, Any], EraseResult]] = []
    for email, key in keys:
        subject = store.erasure.email_hash(key)
        assert subject is not None  # configured above
        result = EraseResult(email=email)
        outcome.results.append(result)
        op = store.erasure.op(subject)
        if op is not None and op["state"] == "done":
            result.already = True
            result.op_id = op["id"]
            result.mailchimp, result.copper = op["mailchimp"], op["copper"]
            continue
        if op is None:
            ident = _identity(store, email)
            suppress: list[tuple[str, str]] = []
            for other in ident["emails"]:
                digest = store.erasure.email_hash(other)
                if digest and digest != subject:
                    suppress.append((digest, "email"))
            for customer in ident["customer_keys"]:
                digest = store.erasure.customer_hash(customer)
                if digest:
                    suppress.append((digest, "customer"))
            op_id = store.erasure.start(subject, key, ident, actor, suppress)
            op = store.erasure.op_by_id(op_id)
        result.op_id = op["id"]
        ops.append((op, result))
    return ops


async def _run_ops(
    settings: Settings,
    store: Store,
    ops: list[tuple[dict[str, Any], EraseResult]],
    copper: CopperClient,
    mailchimp: MailchimpClient,
    actor: str,
    emit: Callable[[Event], None],
) -> None:
    use_mc, use_copper = _configured(settings)
    total = len(ops)
    for i, (op, result) in enumerate(ops, 1):
        ident = op["identity"]
        matcher = Matcher(needles_for(ident))
        for system, enabled, run in (
            ("mailchimp", use_mc, _mailchimp_step),
            ("copper", use_copper, _copper_step),
        ):
            if op[system] in CONFIRMED:
                continue
            if not enabled:
                op[system] = "not_configured"
                store.erasure.update(op["id"], **{system: "not_configured"})
                continue
            client: Any = mailchimp if system == "mailchimp" else copper
            try:
                answer, _ = await run(store, client, op, matcher.scrub)
            except ConnectorError as exc:
                error = f"{system}: {_clean_error(exc, Matcher(needles_for(op['identity'])))}"
                op[system] = "failed"
                result.errors.append(error)
                store.erasure.update(op["id"], **{system: "failed"}, error=error)
                emit(Notice("error", t("erase.system_failed", ref=op["id"], system=system, error=error)))
            else:
                op[system] = answer
                store.erasure.update(op["id"], **{system: answer})
        # Addresses learnt from Mailchimp or Copper (a person's other emails) are suppressed too.
        extra = [(store.erasure.email_hash(e), "email") for e in op["identity"]["emails"]]
        store.erasure.suppress_hashes([(h, k) for h, k in extra if h], "erased", erasure_id=op["id"])
        result.mailchimp, result.copper = op["mailchimp"], op["copper"]
        result.copper_people = int(op["detail"].get("copper_people", 0))
        emit(StepProgressed(STEP, i, total, f"#{op['id']}"))
    # The store and the files, once for every erasure of the run (one scan of every table).
    pending_store = [op for op, _ in ops if op["store"] != "done"]
    if pending_store:
        ident = _merge(store.erasure.op_by_id(op["id"])["identity"] for op in pending_store)
        counts = store.erasure.sweep([op["id"] for op in pending_store], ident, Matcher(needles_for(ident)))
        for op, result in ops:
            if op in pending_store:
                op["store"] = "done"
                result.store = counts
    pending_files = [op for op, _ in ops if op["files"] != "done"]
    if pending_files:
        ident = _merge(store.erasure.op_by_id(op["id"])["identity"] for op in pending_files)
        files = scrub_files(settings, Matcher(needles_for(ident)))
        for op, result in ops:
            if op in pending_files:
                detail = store.erasure.op_by_id(op["id"])["detail"]
                detail["files"] = [(Path(p).name, action, n) for p, action, n in files]
                store.erasure.update(op["id"], files="done", detail=detail)
                op["files"] = "done"
                result.files = files
    for op, result in ops:
        if result.confirmed and op["state"] != "done":
            fresh = store.erasure.op_by_id(op["id"])
            answers = {
                "mailchimp": fresh["mailchimp"],
                "copper": fresh["copper"],
                "copper_people": fresh["detail"].get("copper_people", 0),
                "store_rows": sum(fresh["detail"].get("store", {}).values()),
                "files": len(fresh["detail"].get("files", [])),
            }
            store.erasure.finish(op["id"], actor, answers)
            op["state"] = "done"
        if not result.store and op["store"] == "done":
            result.store = dict(store.erasure.op_by_id(op["id"])["detail"].get("store", {}))


async def _plan_one(
    settings: Settings,
    store: Store,
    email: str,
    key: str,
    copper: CopperClient,
    mailchimp: MailchimpClient,
) -> EraseResult:
    """What erasing one address would do, touching nothing."""
    result = EraseResult(email=email)
    ident = _identity(store, email)
    use_mc, use_copper = _configured(settings)
    if not use_mc:
        result.mailchimp = "not_configured"
    else:
        try:
            member = await mailchimp.get_member(key)
        except ConnectorError as exc:
            result.mailchimp = "failed"
            result.errors.append(f"mailchimp: {exc}")
        else:
            result.mailchimp = member.status if member is not None else "absent"
            if member is not None:
                _learn_member(ident, member)
    if not use_copper:
        result.copper = "not_configured"
    else:
        try:
            people = await _copper_people(copper, ident)
        except ConnectorError as exc:
            result.copper = "failed"
            result.errors.append(f"copper: {exc}")
        else:
            result.copper_people = len(people)
            result.copper = "present" if people else "absent"
            for person in people.values():
                _learn_person(ident, person)
                _add(ident, "copper_ids", person.id)
    matcher = Matcher(needles_for(ident))
    result.store = store.erasure.inventory(ident, matcher)
    result.files = scrub_files(settings, matcher, dry_run=True)
    return result


# -- the ETL's filter ----------------------------------------------------------------------------


def filter_batch(store: Store, batch: Any) -> tuple[Any, int]:
    """A batch without erased customers: their rows and contact history are dropped, their sales
    lines lose the customer key and order reference (as the sweep left the stored ones).

    Returns:
        The batch to load and how many customer records were skipped.
    """
    from crmtui.records.canonical import ContactEvent, Customer, SalesLine

    if not store.erasure.count():
        return batch, 0
    pairs: list[tuple[str, str | None]] = []
    for record in batch.records:
        if isinstance(record, Customer):
            pairs.append((record.customer_key, record.email))
        elif isinstance(record, SalesLine | ContactEvent) and record.customer_key:
            pairs.append((record.customer_key, None))
    gone = store.erasure.suppressed_customers(pairs)
    if not gone:
        return batch, 0
    kept: list[Any] = []
    skipped = 0
    for record in batch.records:
        if isinstance(record, Customer) and record.customer_key in gone:
            skipped += 1
            continue
        if isinstance(record, ContactEvent) and record.customer_key in gone:
            continue
        if isinstance(record, SalesLine) and record.customer_key in gone:
            record = replace(record, customer_key=None, order_ref=None)
        kept.append(record)
    return replace(batch, records=kept), skipped
