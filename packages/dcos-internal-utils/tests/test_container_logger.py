"""The container logger: a command's output to sandbox files and journal entries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dcos_internal_utils import container_logger


def test_output_reaches_files_and_entries(tmp_path: Path) -> None:
    entries: list[tuple[str, dict[str, Any]]] = []
    labels = {"FRAMEWORK_ID": "fw", "CONTAINER_ID": "c1"}
    status = container_logger.run(
        ["/bin/sh", "-c", "echo STDOUT_LOG; echo STDERR_LOG >&2; printf 'no newline'; exit 3"],
        tmp_path,
        labels,
        lambda message, **fields: entries.append((message, fields)),
    )
    assert status == 3
    assert (tmp_path / "stdout").read_text() == "STDOUT_LOG\nno newline"
    assert (tmp_path / "stderr").read_text() == "STDERR_LOG\n"
    assert ("STDOUT_LOG", {"STREAM": "STDOUT", **labels}) in entries
    assert ("STDERR_LOG", {"STREAM": "STDERR", **labels}) in entries
    assert ("no newline", {"STREAM": "STDOUT", **labels}) in entries


def test_a_killed_command_reports_its_signal(tmp_path: Path) -> None:
    status = container_logger.run(
        ["/bin/sh", "-c", "kill -TERM $$"], tmp_path, {}, lambda message, **fields: None
    )
    assert status == -15


def test_labels() -> None:
    assert container_logger.parse_labels(["framework_id=a=b"]) == {"FRAMEWORK_ID": "a=b"}
