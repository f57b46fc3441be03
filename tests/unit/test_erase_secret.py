"""The erasure secret is made once and never replaced: a secret another process wrote is read back, and
none is made while suppressions exist without theirs (a new one would silently un-suppress everyone)."""

from __future__ import annotations

import stat
from dataclasses import replace
from pathlib import Path

import pytest

from crmtui.config import Settings
from crmtui.engine.erase import EraseError, ensure_secret, suppress_deleted
from crmtui.secrets import Secret
from crmtui.store import Store
from crmtui.store.erase import SECRET_VAR


@pytest.fixture
def live(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.delenv(SECRET_VAR, raising=False)
    return replace(settings, sandbox=False, erasure_secret=Secret(""), env_file=tmp_path / ".env")


def test_first_use_writes_a_private_env(live: Settings, store: Store) -> None:
    made = ensure_secret(live, store=store)
    assert made.erasure_secret
    env = live.env_file
    assert env is not None and f"{SECRET_VAR}=" in env.read_text()
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    # Run again (this process's settings still without it): the written one is read back.
    again = ensure_secret(live, store=store)
    assert again.erasure_secret is not None and made.erasure_secret is not None
    assert again.erasure_secret.reveal() == made.erasure_secret.reveal()


def test_a_secret_written_by_another_process_is_read_back_not_replaced(live: Settings, store: Store) -> None:
    env = live.env_file
    assert env is not None
    env.write_text(f"# ours\nCOPPER_API_EMAIL=x@y.fr\n{SECRET_VAR}=abc123\n")
    env.chmod(0o600)
    before = env.read_bytes()
    got = ensure_secret(live, store=store)
    assert got.erasure_secret is not None and got.erasure_secret.reveal() == "abc123"
    assert env.read_bytes() == before


def test_no_new_secret_while_suppressions_exist_without_theirs(live: Settings, store: Store) -> None:
    store.erasure.configure("the-lost-secret")
    assert store.erasure.suppress_email("anne@exemple.fr", "erased")
    store.erasure.configure("")  # a later process: the .env lost its line
    with pytest.raises(EraseError, match=f"{SECRET_VAR} is missing.*1 suppression"):
        ensure_secret(live, store=store)
    assert live.env_file is not None and not live.env_file.exists()
    # Meanwhile everyone counts as suppressed (nobody emailed nor re-created by mistake) ...
    assert store.erasure.is_suppressed("someone.else@exemple.fr")
    # ... and the delete decision does not make a new secret either.
    assert suppress_deleted(live, store, "bob@exemple.fr") is False
    assert not live.env_file.exists()
