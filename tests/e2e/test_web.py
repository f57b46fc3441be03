"""``crmtui web``: the console served in a browser by textual-serve, on loopback (issue #15)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from crmtui.cli.entry import build_parser
from crmtui.cli.web import console_command


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_each_tab_runs_the_console_with_the_same_global_options() -> None:
    args = build_parser().parse_args(["--sandbox", "--lang", "fr", "--db", "/tmp/x y.db", "web"])
    command = console_command(args)
    assert command.startswith(sys.executable.replace(" ", "\\ ") if " " in sys.executable else sys.executable)
    assert "-m crmtui --sandbox" in command and "--lang fr" in command
    assert "'/tmp/x y.db'" in command  # quoted for the shell textual-serve starts it with


def test_web_serves_the_console_page_on_loopback(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "CRMTUI_DATA_DIR": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "crmtui", "--sandbox", "web", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 60
        page = None
        while time.monotonic() < deadline:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert page is not None and page.status_code == 200
        assert f"ws://127.0.0.1:{port}/ws" in page.text  # the terminal relay the page connects to
        assert "crmtui" in page.text
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert b"loopback" in err  # the operator is told it listens on loopback only
    assert b"Traceback" not in err


def test_a_bad_port_is_a_message() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "crmtui", "web", "--port", "70000"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "65535" in result.stderr and "Traceback" not in result.stderr
