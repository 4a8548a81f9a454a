"""Lines of a file in a task's sandbox, addressed by byte offset (dcos-log's v2 task logs).

A client asks for lines from a cursor (a byte offset, `BEG` or `END`),
optionally skipping lines forward or back (`skip`), at most `limit` of them.
Each line carries the offset where it ends, which a server-sent-events client
sends back as Last-Event-ID to resume after it. Empty lines are not returned.
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHUNK = 64 * 1024

DEFAULT_WORK_DIR = "/var/lib/mesos/slave"


@dataclass(frozen=True)
class Line:
    text: str
    offset: int  # where the line starts in the file
    size: int  # its length in bytes, without the newline

    @property
    def end(self) -> int:
        return self.offset + self.size


def sandbox_path(
    work_dir: str, agent_id: str, framework_id: str, executor_id: str, container_id: str
) -> Path:
    """Mesos's layout of an executor run's sandbox under the agent's work_dir."""
    return (
        Path(work_dir)
        / "slaves"
        / agent_id
        / "frameworks"
        / framework_id
        / "executors"
        / executor_id
        / "runs"
        / container_id
    )


def inside(base: Path, relative: str) -> Path | None:
    """`base/relative` if it stays inside `base` (no `..` escapes), else None."""
    candidate = (base / relative).resolve()
    base = base.resolve()
    return candidate if candidate == base or base in candidate.parents else None


def start_offset(path: Path, cursor: str) -> int:
    if cursor in ("", "BEG"):
        return 0
    if cursor == "END":
        return path.stat().st_size
    if not cursor.lstrip("-").isdigit():
        raise ValueError(f"unable to parse cursor parameter. {cursor} not an integer")
    return max(0, int(cursor))


def back_lines(path: Path, offset: int, count: int) -> int:
    """The offset `count` non-empty lines before `offset` (0 if the file has fewer)."""
    if count <= 0:
        return offset
    found = 0
    position = offset
    carry = b""  # the start of a line that began in an earlier chunk
    with open(path, "rb") as f:
        while position > 0:
            step = min(CHUNK, position)
            position -= step
            f.seek(position)
            data = f.read(step) + carry
            first_newline = data.find(b"\n")
            if first_newline < 0:
                carry = data
                continue
            starts = []
            cursor = position + first_newline + 1
            for part in data[first_newline + 1 :].split(b"\n"):
                starts.append((cursor, bool(part)))
                cursor += len(part) + 1
            for line_start, has_text in reversed(starts):
                if has_text:
                    found += 1
                    if found == count:
                        return line_start
            carry = data[:first_newline]
    return 0


def read_lines(
    path: Path, offset: int, max_lines: int | None, complete_only: bool
) -> tuple[list[Line], int]:
    """Lines from `offset` on: (lines, offset to continue from).

    `complete_only` leaves a last line without its newline for later (a writer
    may be in the middle of it); otherwise it is returned as it is.
    """
    lines: list[Line] = []
    with open(path, "rb") as f:
        f.seek(offset)
        buffer = b""
        base = offset
        while max_lines is None or len(lines) < max_lines:
            data = f.read(CHUNK)
            if not data:
                break
            buffer += data
            start = 0
            while max_lines is None or len(lines) < max_lines:
                newline = buffer.find(b"\n", start)
                if newline < 0:
                    break
                raw = buffer[start:newline]
                if raw:
                    lines.append(Line(raw.decode("utf-8", "replace"), base + start, len(raw)))
                start = newline + 1
            base += start
            buffer = buffer[start:]
        if buffer and not complete_only and (max_lines is None or len(lines) < max_lines):
            lines.append(Line(buffer.decode("utf-8", "replace"), base, len(buffer)))
            base += len(buffer)
    return lines, base


def browse(directory: Path) -> list[dict[str, Any]]:
    """A sandbox directory listing in the shape of Mesos's /files/browse."""
    entries = []
    for child in sorted(directory.iterdir()):
        info = child.lstat()
        entries.append(
            {
                "gid": _group(info.st_gid),
                "mode": stat.filemode(info.st_mode),
                "mtime": int(info.st_mtime),
                "nlink": info.st_nlink,
                "path": str(child),
                "size": info.st_size,
                "uid": _user(info.st_uid),
            }
        )
    return entries


def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def exists(path: Path) -> bool:
    return os.path.isfile(path)
