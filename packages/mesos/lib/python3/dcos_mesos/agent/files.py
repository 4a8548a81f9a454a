"""Mesos's `/files` endpoints over the agent's sandboxes: browse, read, download."""

from __future__ import annotations

import grp
import mimetypes
import os
import pwd
import stat
from pathlib import Path
from typing import Any

DEFAULT_READ_LENGTH = 16 * 4096


class FilesError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def resolve(work_dir: Path, agent_id: str, path: str) -> Path:
    """A requested path inside the agent's sandboxes (real, or Mesos's virtual /frameworks/...)."""
    if not path:
        raise FilesError(400, "Expecting 'path' query parameter")
    slaves = (work_dir / "slaves").resolve()
    if path.startswith("/frameworks/"):
        candidate = slaves / agent_id / path.lstrip("/")
    else:
        candidate = Path(path)
    try:
        real = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        raise FilesError(404, f"Failed to find '{path}'") from None
    if real != slaves and slaves not in real.parents:
        raise FilesError(404, f"Failed to find '{path}'")
    return real


def file_info(path: Path) -> dict[str, Any]:
    st = path.lstat()
    kind = "d" if stat.S_ISDIR(st.st_mode) else "l" if stat.S_ISLNK(st.st_mode) else "-"
    perms = "".join(
        ch if st.st_mode & bit else "-"
        for ch, bit in zip(
            "rwxrwxrwx",
            (
                stat.S_IRUSR,
                stat.S_IWUSR,
                stat.S_IXUSR,
                stat.S_IRGRP,
                stat.S_IWGRP,
                stat.S_IXGRP,
                stat.S_IROTH,
                stat.S_IWOTH,
                stat.S_IXOTH,
            ),
            strict=True,
        )
    )
    try:
        uid = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        uid = str(st.st_uid)
    try:
        gid = grp.getgrgid(st.st_gid).gr_name
    except KeyError:
        gid = str(st.st_gid)
    return {
        "path": str(path),
        "nlink": st.st_nlink,
        "size": st.st_size,
        "mtime": int(st.st_mtime),
        "mode": kind + perms,
        "uid": uid,
        "gid": gid,
    }


def browse(path: Path, shown_as: str) -> list[dict[str, Any]]:
    if path.is_dir():
        out = []
        for child in sorted(path.iterdir()):
            info = file_info(child)
            info["path"] = os.path.join(shown_as, child.name)
            out.append(info)
        return out
    info = file_info(path)
    info["path"] = shown_as
    return [info]


def read(path: Path, offset: int | None, length: int | None) -> dict[str, Any]:
    if path.is_dir():
        raise FilesError(400, "Cannot read a directory")
    size = path.stat().st_size
    if offset is None or offset == -1:
        return {"data": "", "offset": size}
    if offset < 0:
        raise FilesError(400, "Negative offset provided")
    length = DEFAULT_READ_LENGTH if length is None or length < 0 else length
    with open(path, "rb") as f:
        f.seek(offset)
        data = f.read(length)
    return {"data": data.decode("utf-8", errors="replace"), "offset": offset}


def content_type(path: Path) -> str:
    return mimetypes.guess_type(str(path))[0] or "application/octet-stream"
