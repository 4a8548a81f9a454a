"""The agent's container logger: sandbox files followed into journal entries."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from dcos_mesos.agent import container_logger
from dcos_mesos.agent.container_logger import ContainerLogger

FIELDS = {"FRAMEWORK_ID": "fw", "EXECUTOR_ID": "ex", "CONTAINER_ID": "c1", "AGENT_ID": "S1"}


class Journal:
    def __init__(self) -> None:
        self.entries: list[tuple[dict[str, str], int | None]] = []

    def send(self, fields: Mapping[str, str], pid: int | None = None) -> bool:
        self.entries.append((dict(fields), pid))
        return True

    def messages(self, stream: str = "STDOUT") -> list[str]:
        return [e["MESSAGE"] for e, _ in self.entries if e["STREAM"] == stream]


@pytest.fixture
def journal() -> Journal:
    return Journal()


@pytest.fixture
def logger(journal: Journal) -> Iterator[ContainerLogger]:
    follower = ContainerLogger(journal.send)
    yield follower
    follower.close()


def sandbox(tmp_path: Path) -> Path:
    path = tmp_path / "runs" / "c1"
    path.mkdir(parents=True)
    for name in ("stdout", "stderr"):
        (path / name).touch()
    return path


def append(path: Path, data: bytes) -> None:
    with open(path, "ab") as f:
        f.write(data)


def test_lines_reach_the_journal_with_the_containers_fields(
    tmp_path: Path, journal: Journal, logger: ContainerLogger
) -> None:
    box = sandbox(tmp_path)
    append(box / "stdout", b"before the logger\n")
    logger.follow("c1", box, FIELDS, lambda: [os.getpid()])
    append(box / "stdout", b"STDOUT_LOG\npartial")
    append(box / "stderr", b"STDERR_LOG\n")
    assert logger.flush()
    assert journal.messages("STDOUT") == ["before the logger", "STDOUT_LOG"]
    assert journal.messages("STDERR") == ["STDERR_LOG"]
    entry, pid = journal.entries[-1]
    assert entry == {"MESSAGE": "STDERR_LOG", **FIELDS, "STREAM": "STDERR"}
    assert pid == os.getpid()  # sent on behalf of the container's process
    append(box / "stdout", b" line\n")
    assert logger.flush()
    assert journal.messages()[-1] == "partial line"
    # The container ends: a last line without a newline is sent too.
    append(box / "stdout", b"last words")
    logger.finish("c1")
    assert logger.flush()
    assert journal.messages()[-1] == "last words"
    append(box / "stdout", b"after the end\n")
    assert logger.flush()
    assert "after the end" not in journal.messages()


def test_a_restarted_agent_carries_on_from_the_checkpoint(
    tmp_path: Path, journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(container_logger, "CHECKPOINT_S", 0.0)
    box = sandbox(tmp_path)
    checkpoint = tmp_path / "c1.journal"
    first = ContainerLogger(journal.send)
    first.follow("c1", box, FIELDS, lambda: [], checkpoint)
    append(box / "stdout", b"one\ntwo\nhalf")
    assert first.flush()
    first.close()
    assert json.loads(checkpoint.read_text()) == {"STDOUT": 8, "STDERR": 0}
    append(box / "stdout", b" done\nthree\n")
    second = ContainerLogger(journal.send)
    second.follow("c1", box, FIELDS, lambda: [], checkpoint)
    second.finish("c1")
    assert second.flush()
    second.close()
    assert journal.messages() == ["one", "two", "half done", "three"]
    assert not checkpoint.exists()  # the container ended: nothing left to carry on with
    assert all(pid is None for _, pid in journal.entries)  # no process left: sent as itself


def test_a_flooding_container_does_not_starve_another(
    tmp_path: Path, journal: Journal, logger: ContainerLogger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(container_logger, "READ_CHUNK", 1000)
    loud, quiet = sandbox(tmp_path / "loud"), sandbox(tmp_path / "quiet")
    append(loud / "stdout", (b"x" * 99 + b"\n") * 1000)  # 100 turns' worth
    append(quiet / "stdout", b"hello\n")
    logger.follow("loud", loud, {**FIELDS, "CONTAINER_ID": "loud"}, lambda: [])
    logger.follow("quiet", quiet, {**FIELDS, "CONTAINER_ID": "quiet"}, lambda: [])
    assert logger.flush(30)
    by_container = [e["CONTAINER_ID"] for e, _ in journal.entries]
    assert by_container.count("loud") == 1000
    assert by_container.index("quiet") < 500  # served while the loud one still had plenty


def test_a_truncated_file_is_read_again_from_its_start(
    tmp_path: Path, journal: Journal, logger: ContainerLogger
) -> None:
    box = sandbox(tmp_path)
    logger.follow("c1", box, FIELDS, lambda: [])
    append(box / "stdout", b"a long first line\n")
    assert logger.flush()
    (box / "stdout").write_bytes(b"new\n")
    assert logger.flush()
    assert journal.messages() == ["a long first line", "new"]
