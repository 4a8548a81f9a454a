"""A node of a cluster, and the commands, files and roles that go with it."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from minidcos.backends.base import Provider


class Role(Enum):
    """A node's role. The value is the label value; `dcos_role` is what dcos_install.sh takes."""

    MASTER = "master"
    AGENT = "agent"
    PUBLIC_AGENT = "public_agent"

    @property
    def dcos_role(self) -> str:
        return {"master": "master", "agent": "slave", "public_agent": "slave_public"}[self.value]

    @property
    def container_word(self) -> str:
        """How the role reads in container names: master, agent, public-agent."""
        return self.value.replace("_", "-")


class Output(Enum):
    """What happens to a command's output."""

    CAPTURE = "capture"  # returned in the CompletedProcess
    LOG_AND_CAPTURE = "log_and_capture"  # returned, and copied to our stderr as it comes
    NO_CAPTURE = "no_capture"  # goes straight to our stdout/stderr


@dataclass(frozen=True)
class Node:
    """One node container. Equality is by container id."""

    cluster_id: str
    role: Role
    index: int
    container_name: str
    container_id: str
    ip_address: str
    provider: Provider = field(compare=False, repr=False)

    @property
    def reference(self) -> str:
        """The `master_0`-style name `minidcos docker run --node` accepts."""
        return f"{self.role.value}_{self.index}"

    def run(
        self,
        args: Sequence[str],
        *,
        output: Output = Output.CAPTURE,
        env: Mapping[str, str] | None = None,
        shell: bool = False,
        tty: bool = False,
        check: bool = True,
        input: bytes | None = None,
    ) -> subprocess.CompletedProcess[bytes]:
        """Run a command on the node; raise CommandError on a non-zero exit when `check`.

        With `shell`, the arguments are joined into one `sh -c` script, so
        pipes and globs work; otherwise they are passed as they are.
        """
        return self.provider.exec(
            self,
            _argv(args, shell),
            env=dict(env or {}),
            output=output,
            tty=tty,
            check=check,
            input=input,
        )

    def popen(
        self,
        args: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        shell: bool = False,
    ) -> subprocess.Popen[bytes]:
        """Start a command on the node and return at once, with pipes for stdout and stderr."""
        return self.provider.popen(self, _argv(args, shell), env=dict(env or {}))

    def send_file(self, local_path: Path, remote_path: Path) -> None:
        """Copy a file or a directory from the host to `remote_path` on the node."""
        self.provider.send_file(self, Path(local_path), Path(remote_path))

    def download_file(self, remote_path: Path, local_path: Path) -> None:
        """Copy a file from the node to `local_path` on the host."""
        self.provider.download_file(self, Path(remote_path), Path(local_path))

    def __str__(self) -> str:
        return f"{self.reference} ({self.container_name}, {self.ip_address})"


def _argv(args: Sequence[str], shell: bool) -> list[str]:
    if isinstance(args, str):
        raise TypeError("pass the command as a list of arguments, e.g. ['echo', 'hi']")
    return ["sh", "-c", " ".join(args)] if shell else list(args)
