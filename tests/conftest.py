from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from minidcos import cluster as cluster_module
from minidcos.cli import run
from tests.fake_provider import FakeProvider


@pytest.fixture(autouse=True)
def minidcos_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test gets its own caches and workspaces."""
    home = tmp_path / "minidcos-home"
    monkeypatch.setenv("MINIDCOS_HOME", str(home))
    monkeypatch.delenv("MINIDCOS_CLUSTER_ID", raising=False)
    yield home


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> FakeProvider:
    """The fake provider, as the one every command and `Cluster` uses."""
    fake = FakeProvider()
    monkeypatch.setattr(cluster_module, "default_provider", lambda: fake)
    return fake


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


Cli = Callable[..., Result]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    """`minidcos ARGS...` through the CLI's one error boundary: (exit code, stdout, stderr)."""

    def invoke(*args: str) -> Result:
        capsys.readouterr()
        code = run(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return invoke
