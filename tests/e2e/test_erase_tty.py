"""``crmtui erase EMAIL`` on a terminal (a real pty) asks for the typed confirmation: a wrong text
cancels with exit 2 and nothing done, the exact address erases (#13)."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

EMAIL = "personne.inconnue@exemple.fr"


def _env(tmp: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("COPPER", "MAILCHIMP", "SYNC_", "CRMTUI", "SES_", "SMTP_", "ODOO", "ISAVIGNE"))
    }
    env.update(CRMTUI_DATA_DIR=str(tmp / "data"), CRMTUI_LANG="en", TERM="dumb")
    return env


def _on_a_terminal(tmp: Path, answer: str) -> tuple[int, str]:
    """Run ``crmtui --sandbox erase EMAIL`` on a pty, type ``answer`` at the prompt; (exit code, output)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "crmtui", "--sandbox", "--env-file", str(tmp / ".env"), "erase", EMAIL],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=_env(tmp),
        cwd=tmp,
        close_fds=True,
    )
    os.close(slave)
    out = b""
    typed = False
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1.0)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: the process closed the terminal
                    break
                if not chunk:
                    break
                out += chunk
            if not typed and b"to confirm:" in out:
                os.write(master, answer.encode() + b"\r")
                typed = True
            if proc.poll() is not None and not ready:
                break
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    assert typed, out.decode(errors="replace")
    return code, out.decode(errors="replace")


def test_a_wrong_text_cancels_and_the_exact_address_erases(tmp_path: Path) -> None:
    code, out = _on_a_terminal(tmp_path, "oui")
    assert code == 2, out
    assert f"Type “{EMAIL}” to confirm" in out and "Cancelled: nothing was erased." in out
    assert "Traceback" not in out

    code, out = _on_a_terminal(tmp_path, EMAIL)
    assert code == 0, out
    assert "Every system confirmed" in out
    assert EMAIL in out  # a terminal: the operator sees which address was erased
