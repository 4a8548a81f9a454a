"""The cluster's token secret: agreed once in ZooKeeper, mirrored root-only for Admin Router."""

from __future__ import annotations

from pathlib import Path

import pytest
from dcos_oauth import main as oauth_main
from dcos_oauth.store import SECRET, Store
from oauth_fakes import FakeZooKeeper


def test_the_first_proposal_wins_and_later_ones_read_it() -> None:
    zk = FakeZooKeeper()
    assert Store(zk).agreed_value("/dcos/x", lambda: b"first") == b"first"
    assert Store(zk).agreed_value("/dcos/x", lambda: b"second") == b"first"


def test_the_secret_file_is_root_only_and_admin_router_is_reloaded_on_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reloads: list[int] = []
    monkeypatch.setattr(oauth_main, "reload_adminrouter", lambda: reloads.append(1))
    zk = FakeZooKeeper()
    path = tmp_path / "dcos-oauth" / "auth-token-secret"
    keeper = oauth_main.SecretKeeper(Store(zk), path)
    secret = keeper()
    assert len(secret) == 64 and secret.isalpha()
    assert path.read_bytes() == secret + b"\n"
    assert path.stat().st_mode & 0o777 == 0o600
    assert reloads == [1]
    # A second master (or a restart) finds the same secret: nothing to reload.
    assert oauth_main.SecretKeeper(Store(zk), path)() == secret
    assert reloads == [1]
    # ZooKeeper's copy replaced: the file and the signing secret follow it.
    zk.set_data(SECRET, b"n" * 64)
    assert keeper() == b"n" * 64
    assert path.read_bytes() == b"n" * 64 + b"\n"
    assert len(reloads) >= 2
