"""The container logger's pieces: lines, journald's native format, the wrapper."""

from __future__ import annotations

import os
import socket
import struct
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from dcos_internal_utils import container_logger
from dcos_internal_utils.container_logger import MAX_LINE, JournalWriter, LineSplitter


def parse_entry(data: bytes) -> dict[str, str]:
    """journald's side of the native protocol, for checking what was sent."""
    fields, pos = {}, 0
    while pos < len(data):
        end = data.index(b"\n", pos)
        line = data[pos:end]
        if b"=" in line:
            name, _, value = line.partition(b"=")
            pos = end + 1
        else:
            name = line
            (size,) = struct.unpack("<Q", data[end + 1 : end + 9])
            value = data[end + 9 : end + 9 + size]
            pos = end + 9 + size + 1
        fields[name.decode()] = value.decode()
    return fields


def test_output_reaches_files_and_entries(tmp_path: Path) -> None:
    entries: list[Mapping[str, str]] = []
    labels = {"FRAMEWORK_ID": "fw", "CONTAINER_ID": "c1"}
    status = container_logger.run(
        ["/bin/sh", "-c", "echo STDOUT_LOG; echo STDERR_LOG >&2; printf 'no newline'; exit 3"],
        tmp_path,
        labels,
        entries.append,
    )
    assert status == 3
    assert (tmp_path / "stdout").read_text() == "STDOUT_LOG\nno newline"
    assert (tmp_path / "stderr").read_text() == "STDERR_LOG\n"
    assert {"MESSAGE": "STDOUT_LOG", "STREAM": "STDOUT", **labels} in entries
    assert {"MESSAGE": "STDERR_LOG", "STREAM": "STDERR", **labels} in entries
    assert {"MESSAGE": "no newline", "STREAM": "STDOUT", **labels} in entries


def test_a_killed_command_reports_its_signal(tmp_path: Path) -> None:
    status = container_logger.run(["/bin/sh", "-c", "kill -TERM $$"], tmp_path, {}, print)
    assert status == -15


def test_labels() -> None:
    assert container_logger.parse_labels(["framework_id=a=b"]) == {"FRAMEWORK_ID": "a=b"}


def test_lines_are_split_at_newlines_and_at_the_longest_entry() -> None:
    lines = LineSplitter()
    assert lines.feed(b"one\ntw") == [b"one"]
    assert lines.feed(b"o\n\nthree") == [b"two", b""]
    assert lines.flush() == [b"three"]
    assert lines.flush() == []
    long = b"x" * (MAX_LINE + 10)
    assert lines.feed(long) == [b"x" * MAX_LINE]
    assert lines.feed(b"\n") == [b"x" * 10]
    assert lines.feed(b"y" * MAX_LINE + b"\n") == [b"y" * MAX_LINE]


def test_native_format_carries_newlines_in_binary_fields() -> None:
    data = container_logger.entry_bytes({"MESSAGE": "a\nb", "STREAM": "STDOUT"})
    assert data == b"MESSAGE\n" + struct.pack("<Q", 3) + b"a\nb\nSTREAM=STDOUT\n"
    assert parse_entry(data) == {"MESSAGE": "a\nb", "STREAM": "STDOUT"}


def test_field_names_journald_keeps() -> None:
    assert container_logger.valid_field("DCOS_SPACE")
    assert not container_logger.valid_field("dcos_space")
    assert not container_logger.valid_field("_PID")
    assert not container_logger.valid_field("A-B")


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[socket.socket]:
    """A socket where journald's would be, that receives senders' credentials as journald does."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "journal.sock"))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    sock.settimeout(5)
    yield sock
    sock.close()


def receive(sock: socket.socket) -> tuple[dict[str, str], int]:
    data, ancillary, _, _ = sock.recvmsg(1 << 20, socket.CMSG_SPACE(12))
    (_, _, credentials) = ancillary[0]
    pid, _uid, _gid = struct.unpack("iII", credentials)
    return parse_entry(data), pid


def test_writer_sends_on_behalf_of_a_process_or_as_itself(
    tmp_path: Path, journal: socket.socket
) -> None:
    writer = JournalWriter(str(tmp_path / "journal.sock"))
    assert writer.send({"MESSAGE": "mine", "STREAM": "STDOUT"})
    assert receive(journal) == ({"MESSAGE": "mine", "STREAM": "STDOUT"}, os.getpid())
    gone = subprocess.Popen(["true"])
    gone.wait()
    # A process that is gone cannot be spoken for: the entry still goes, as the writer's own.
    assert writer.send({"MESSAGE": "late"}, pid=gone.pid)
    assert receive(journal) == ({"MESSAGE": "late"}, os.getpid())
    child = subprocess.Popen(["sleep", "30"])
    try:
        assert writer.send({"MESSAGE": "theirs"}, pid=child.pid)
        entry, pid = receive(journal)
        # Root may speak for another process (journald files it under that one's unit).
        assert entry == {"MESSAGE": "theirs"}
        assert pid == (child.pid if os.geteuid() == 0 else os.getpid())
    finally:
        child.kill()
        child.wait()
    writer.close()


def test_writer_without_journald_drops_the_entry(tmp_path: Path) -> None:
    writer = JournalWriter(str(tmp_path / "nobody-listens.sock"))
    assert writer.send({"MESSAGE": "lost"}) is False
    writer.close()
