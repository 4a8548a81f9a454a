"""The system users and groups DC/OS's packages run as.

A package's buildinfo names its user (`username`, `dcos_<name>`) and maybe
its primary `group`, as in DC/OS; its services run as that user and its state
directories belong to it. A socket unit that names a group (`SocketGroup=`,
DC/OS's `dcos_adminrouter` for every /run/dcos socket) needs that group too.
"""

from __future__ import annotations

import grp
import pwd
import shutil
import subprocess
from pathlib import Path
from typing import Protocol


class Users(Protocol):
    def ensure_group(self, name: str) -> None: ...
    def ensure_user(self, username: str, group: str | None) -> None: ...
    def own(self, path: Path, username: str) -> None: ...


class SystemUsers:
    """Users and groups of the node itself (useradd and groupadd)."""

    def ensure_group(self, name: str) -> None:
        try:
            grp.getgrnam(name)
        except KeyError:
            subprocess.run(["groupadd", "--system", name], check=True)

    def ensure_user(self, username: str, group: str | None) -> None:
        try:
            pwd.getpwnam(username)
            return
        except KeyError:
            pass
        primary = group or username
        command = [
            "useradd",
            "--system",
            "--home-dir",
            "/opt/mesosphere",
            "--no-create-home",
            "--shell",
            "/usr/sbin/nologin",
            "-c",
            "DCOS System User",
        ]
        try:
            grp.getgrnam(primary)
            command += ["-g", primary]  # a group that exists: useradd -U would refuse
        except KeyError:
            if primary == username:
                command.append("-U")
            else:
                self.ensure_group(primary)
                command += ["-g", primary]
        subprocess.run([*command, username], check=True)

    def own(self, path: Path, username: str) -> None:
        shutil.chown(path, username, pwd.getpwnam(username).pw_gid)


def socket_groups(unit_text: str) -> list[str]:
    """The groups a socket unit's `SocketGroup=` names."""
    groups = []
    for raw in unit_text.splitlines():
        key, sep, value = raw.strip().partition("=")
        if sep and key.strip() == "SocketGroup" and value.strip():
            groups.append(value.strip())
    return groups
