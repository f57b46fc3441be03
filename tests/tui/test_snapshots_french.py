"""The French snapshots of every screen, in a process of their own.

Bindings, headers and titles are translated when their classes are created, so a French console
must be French before ``crmtui.app`` is imported: the cases of :mod:`tests.tui.snapshot_screens` run
again through ``snapshots_screens_fr.py`` in a child pytest with ``CRMTUI_LANG=fr``. Pass
``--snapshot-update`` to this test to update the French snapshots too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_every_screen_in_french(request: pytest.FixtureRequest) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRMTUI_", "PYTEST_"))}
    env |= {"CRMTUI_LANG": "fr", "CRMTUI_SNAPSHOT_LANG": "fr", "TZ": "UTC"}
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider"]
    if request.config.getoption("--snapshot-update", default=False):
        args.append("--snapshot-update")
    args.append("tests/tui/snapshots_screens_fr.py")
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
