"""``crmtui erase`` from a shell: ``--dry-run`` touches nothing, the exit code says whether every system
confirmed, ``--from-file`` reads a list, and bad input is one message with exit 2 (real CLI, subprocesses,
the loopback simulators)."""

from __future__ import annotations

from pathlib import Path

from crmtui.export import export_forgotten
from crmtui.records.emails import email_key
from crmtui.sandbox.control import Fault
from crmtui.sandbox.harness import Sandbox, running_sandbox
from tests.integration.test_erase_crash import CP_DELETE, MC_DELETE, _ops
from tests.integration.test_erase_e2e import (
    EMAIL,
    FIRST,
    LAST,
    copper_holders,
    crmtui,
    environment,
    occurrences,
    plant,
)

WRITES = ("POST", "PUT", "PATCH", "DELETE")


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _writes(sb: Sandbox) -> dict[str, int]:
    calls = {**sb.mailchimp.control.calls, **{"copper " + k: v for k, v in sb.copper.control.calls.items()}}
    # Copper's searches and fetch_by_email are POSTs that read.
    return {
        k: v
        for k, v in calls.items()
        if k.split()[-2] in WRITES and "/search" not in k and "fetch_by_email" not in k
    }


def test_dry_run_touches_nothing_and_the_exit_code_says_who_confirmed(tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    with running_sandbox(20, seed=7, exports_dir=exports) as sb:
        plant(sb, exports)
        env = environment(sb, tmp_path)
        first = crmtui(env, tmp_path, "--headless", "--full")
        assert first.returncode in (0, 1), first.stdout + first.stderr
        data = tmp_path / "data"
        # An export the operator took from the console (Forgotten emails, x) names them too.
        export = export_forgotten(
            [{"email": EMAIL, "name": f"{FIRST} {LAST}"}, {"email": "autre@exemple.fr", "name": "Autre"}],
            data / "reports",
        )
        sb.mailchimp.control.reset_calls()
        sb.copper.control.reset_calls()

        # Bad input first: one message, exit 2, not even the secret written.
        bad = crmtui(env, tmp_path, "erase", "--yes", EMAIL, "not-an-address")
        assert bad.returncode == 2 and "not an email address" in bad.stderr, bad.stderr
        assert not (tmp_path / ".env").exists()
        assert _writes(sb) == {}

        # --dry-run: lists what would go where; not a byte changes, no write reaches either system.
        before = _snapshot(data)
        dry = crmtui(env, tmp_path, "erase", "--dry-run", EMAIL)
        assert dry.returncode == 0, dry.stdout + dry.stderr
        assert "Mailchimp: subscribed: will be permanently deleted" in dry.stdout, dry.stdout
        assert "Copper: will be deleted (1 person(s))" in dry.stdout, dry.stdout
        assert "Dry run done" in dry.stdout
        assert f"{export.name}: rewritten without their 1 line(s)" in dry.stdout
        assert _snapshot(data) == before
        assert not (tmp_path / ".env").exists()
        assert _writes(sb) == {}, _writes(sb)

        # Copper refuses (a revoked key): exit 1, the erasure is recorded and suppressed, Mailchimp done.
        sb.copper.control.add_fault(Fault("status", status=401, path_prefix="/people"))
        listed = tmp_path / "demandes.txt"
        listed.write_text(f"# requests of the week\n{EMAIL.upper()};ticket 42\n\n", encoding="utf-8")
        partial = crmtui(env, tmp_path, "erase", "--yes", "--from-file", str(listed))
        assert partial.returncode == 1, partial.stdout + partial.stderr
        assert "did not confirm" in partial.stdout and "next “crmtui erase” finishes it" in partial.stdout
        assert "demandes.txt still holds the addresses" in partial.stdout
        assert email_key(EMAIL) not in partial.stdout.lower()  # not a terminal: named by number
        ops = _ops(data / "crmtui.db")
        assert [(o["state"], o["mailchimp"], o["copper"]) for o in ops] == [("running", "deleted", "failed")]
        assert copper_holders(sb, EMAIL)

        # A cron cycle says an erasure waits (the address is kept in the outbox until it finishes).
        cycle = crmtui(env, tmp_path, "--headless", "--only", "scenarios")
        assert "1 erasure(s) unfinished" in cycle.stderr, cycle.stdout + cycle.stderr

        # The rerun (no address: every unfinished erasure) finishes it: exit 0, one delete each.
        done = crmtui(env, tmp_path, "erase", "--yes")
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Every system confirmed" in done.stdout
        assert "unfinished" not in crmtui(env, tmp_path, "--headless", "--only", "scenarios").stderr
        assert not copper_holders(sb, EMAIL)
        assert sb.mailchimp.control.calls[MC_DELETE] == 1 and sb.copper.control.calls[CP_DELETE] == 1
        assert [(o["state"], o["mailchimp"], o["copper"]) for o in _ops(data / "crmtui.db")] == [
            ("done", "deleted", "deleted")
        ]

        # No form of their email, name or phone is left in the store's raw bytes, logs, reports, export.
        files = [p for p in data.rglob("*") if p.is_file()]
        assert export in files and b"autre@exemple.fr" in export.read_bytes()
        assert occurrences(files) == {}

        # Bad input: one message, exit 2, nothing done.
        bad = crmtui(env, tmp_path, "erase", "--yes", "not-an-address")
        assert bad.returncode == 2 and "not an email address" in bad.stderr and "Traceback" not in bad.stderr
        missing = crmtui(env, tmp_path, "erase", "--yes", "--from-file", str(tmp_path / "nope.txt"))
        assert missing.returncode == 2 and "cannot read the list" in missing.stderr
        assert "Traceback" not in missing.stderr
        assert len(_ops(data / "crmtui.db")) == 1
