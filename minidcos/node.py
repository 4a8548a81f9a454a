"""A node of a cluster, and the commands, files and roles that go with it."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from minidcos.backends.base import NodeRecord, Output, Provider, Role, Transfer
from minidcos.errors import UsageError

__all__ = ["Node", "Output", "Role", "Transfer"]


@dataclass(frozen=True, eq=False)
class Node(NodeRecord):
    """One node container, and the provider that reaches it. Equality is by container id."""

    provider: Provider = field(repr=False)

    @classmethod
    def of(cls, record: NodeRecord, provider: Provider) -> Node:
        return cls(
            cluster_id=record.cluster_id,
            role=record.role,
            index=record.index,
            container_name=record.container_name,
            container_id=record.container_id,
            ip_address=record.ip_address,
            provider=provider,
        )

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

    def send_file(self, local_path: Path, remote_path: Path) -> Transfer:
        """Copy a file or folder from the host to exactly `remote_path` on the node.

        Missing parents are made and modes kept; every file is checked by
        sha256 on both ends. A copy that cannot be made raises.
        """
        return self.provider.send_file(self, Path(local_path), _absolute(remote_path))

    def download_file(self, remote_path: Path, local_path: Path) -> Transfer:
        """Copy a file or folder from the node to exactly `local_path` on the host."""
        return self.provider.download_file(self, _absolute(remote_path), Path(local_path))


def _absolute(remote_path: Path | str) -> Path:
    path = PurePosixPath(remote_path)
    if not path.is_absolute():
        raise UsageError(
            f"the path on the node must be absolute, not {str(remote_path)!r} "
            f"(for example /root/{path})"
        )
    return Path(path)


def _argv(args: Sequence[str], shell: bool) -> list[str]:
    if isinstance(args, str):
        raise TypeError("pass the command as a list of arguments, e.g. ['echo', 'hi']")
    return ["sh", "-c", " ".join(args)] if shell else list(args)
