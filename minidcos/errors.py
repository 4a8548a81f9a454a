"""One root exception for everything the library raises on purpose.

The library raises; it never prints or exits. The CLI's one boundary
(`minidcos.cli`) turns these into `Error: ...` and a non-zero exit.
"""

from __future__ import annotations

from collections.abc import Sequence


class MiniDCOSError(Exception):
    """Root of every error miniDC/OS raises on purpose."""


class ConfigError(MiniDCOSError):
    """The cluster's config is invalid. Carries every problem at once, worded as DC/OS words it."""

    def __init__(self, messages: Sequence[str], source: str = "config.yaml") -> None:
        self.messages = list(messages)
        self.source = source
        lines = "\n".join(f"  {m}" for m in self.messages)
        super().__init__(f"{source} is invalid:\n{lines}")


class UsageError(MiniDCOSError):
    """A bad argument: the message names it and says what to pass instead."""


class ClusterExistsError(MiniDCOSError):
    def __init__(self, cluster_id: str) -> None:
        self.cluster_id = cluster_id
        super().__init__(
            f"a cluster with the id {cluster_id!r} already exists: destroy it "
            f"(`minidcos docker destroy --cluster-id {cluster_id}`) or pick another --cluster-id"
        )


class ClusterNotFoundError(MiniDCOSError):
    def __init__(self, cluster_id: str, existing: Sequence[str] = ()) -> None:
        self.cluster_id = cluster_id
        known = ", ".join(existing) if existing else "none"
        super().__init__(f"no cluster with the id {cluster_id!r} (existing clusters: {known})")


class NodeNotFoundError(MiniDCOSError):
    def __init__(self, reference: str, cluster_id: str, candidates: Sequence[str]) -> None:
        self.reference = reference
        super().__init__(
            f"no node {reference!r} in cluster {cluster_id!r}; use an IP, a container name or "
            f"id, or a reference such as {', '.join(candidates[:6]) or 'master_0'}"
        )


class ProviderError(MiniDCOSError):
    """The container engine failed or cannot be used; `hint` says what to do."""

    def __init__(self, message: str, hint: str = "") -> None:
        self.hint = hint
        super().__init__(f"{message}\n  {hint}" if hint else message)


class CommandError(MiniDCOSError):
    """A command on a node (or on the host) exited non-zero."""

    def __init__(
        self, where: str, argv: Sequence[str], returncode: int, stdout: bytes, stderr: bytes
    ) -> None:
        self.where = where
        self.argv = list(argv)
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        super().__init__(f"command failed on {where} with exit status {returncode}")

    @property
    def output(self) -> str:
        return (self.stdout + self.stderr).decode(errors="replace")


class NodeBootError(MiniDCOSError):
    """A node's systemd did not reach its default target."""

    def __init__(self, node: str, reason: str, log_tail: str) -> None:
        self.node = node
        self.log_tail = log_tail
        tail = "\n".join("  | " + line for line in log_tail.splitlines()[-20:])
        message = f"node {node} did not boot: {reason}\n  last lines of its log:\n{tail}"
        if "inotify" in log_tail and "Too many open files" in log_tail:
            message += (
                "\n  The host ran out of inotify instances: raise them with "
                "`sysctl -w fs.inotify.max_user_instances=8192` (bash setup.sh --host-only does)"
            )
        super().__init__(message)


class TransferError(MiniDCOSError):
    """A copy to or from a node could not be made, or did not arrive intact."""


class StepError(MiniDCOSError):
    """A step of an orchestrated sequence failed; raised `from` its cause."""

    def __init__(self, step: str, detail: str) -> None:
        self.step = step
        super().__init__(f"{step}: {detail}")


class NotReadyError(MiniDCOSError):
    """A readiness check did not pass before its deadline."""

    def __init__(self, check: str, node: str, waited_s: float, last_detail: str) -> None:
        self.check = check
        self.node = node
        self.waited_s = waited_s
        self.last_detail = last_detail
        super().__init__(
            f"not ready after {waited_s:.0f} s: {check!r} on {node} did not pass; "
            f"last answer: {last_detail}"
        )
