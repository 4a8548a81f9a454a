from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def minidcos_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test gets its own caches and workspaces."""
    home = tmp_path / "minidcos-home"
    monkeypatch.setenv("MINIDCOS_HOME", str(home))
    yield home
