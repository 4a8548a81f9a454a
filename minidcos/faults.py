"""Faults: break a running cluster the ways real clusters break, and undo it.

    faults = cluster.faults
    faults.kill(cluster.leader(), "dcos-mesos-master")          # kill -9 of the leading master
    faults.partition([cluster.agents[0]], cluster.masters)      # both directions
    faults.pause(cluster.marathon_leader())                     # the whole container frozen
    faults.heal()                                               # undo every one of them

Each fault is a value (`Fault`): what was done, to which nodes, and how it is
undone. While it is active it is recorded with the cluster (the provider keeps
a labelled marker per fault), so `minidcos docker status` shows it from any
process, and `heal` (or `destroy`) undoes it. A kill or a restart is over once
made (DC/OS's units restart by themselves), but it stays recorded until
`heal` has made sure the unit or node runs again: the record is also the
cluster's history of what was done to it.

How each fault is made and undone:

| kind         | made with                                    | undone by                       |
|--------------|----------------------------------------------|---------------------------------|
| kill         | `systemctl kill --kill-who=main --signal=S`  | SIGCONT, then start if not active |
| stop         | `systemctl stop UNIT`                        | `systemctl start UNIT`          |
| restart      | `systemctl restart UNIT`                     | start if not active             |
| pause        | the engine's freezer (`docker pause`)        | `docker unpause`                |
| restart-node | the engine's restart (same address and disk) | start the node if it is not up  |
| partition    | iptables DROP rules inside the nodes, in a   | the chain removed on every node |
|              | chain of the fault's own (`minidcos-<id>`)   |                                 |

Partitions never touch the cluster's bridge or the host: each node drops the
other side's packets itself (INPUT, OUTPUT and FORWARD, so a task in a Docker
container is cut off with its node).
"""

from __future__ import annotations

import json
import secrets
import signal as signals
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from minidcos.backends.base import NodeState, Provider
from minidcos.errors import CommandError, MiniDCOSError, UsageError
from minidcos.node import Node
from minidcos.status import Status

Kind = Literal["kill", "stop", "restart", "pause", "restart-node", "partition"]
Drop = Literal["both", "outgoing", "incoming"]
DROPS: tuple[Drop, ...] = ("both", "outgoing", "incoming")
# The order heal undoes kinds in: a frozen node answers no command, so it thaws
# first; nodes come back before the rules inside them are removed.
HEAL_ORDER: tuple[Kind, ...] = ("pause", "restart-node", "partition", "stop", "kill", "restart")
# Signals that leave the process stopped rather than ended.
STOPPING_SIGNALS = {"SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU"}
UNIT_START_TIMEOUT_S = 90
DCOS_WANTS = "/etc/systemd/system/dcos.target.wants"


class FaultError(MiniDCOSError):
    """A fault could not be made or undone; the message says where and why."""


@dataclass(frozen=True)
class Fault:
    """One fault made to a cluster: enough to describe it and to undo it."""

    id: str
    kind: Kind
    nodes: tuple[str, ...]  # references of the nodes it was made on: master_0, agent_1
    unit: str = ""  # kill, stop, restart
    signal: str = ""  # kill
    peers: tuple[str, ...] = ()  # partition: the other side
    drop: Drop = "both"  # partition: which way packets are dropped, seen from `nodes`
    hard: bool = False  # restart-node: killed rather than shut down
    down_s: float = 0.0  # restart-node: how long the node stayed off
    started: float = field(default_factory=time.time)

    def describe(self) -> str:
        where = ", ".join(self.nodes)
        if self.kind == "kill":
            return f"kill: {self.signal} to {self.unit}'s main process on {where}"
        if self.kind in ("stop", "restart"):
            return f"{self.kind}: {self.unit} on {where}"
        if self.kind == "pause":
            return f"pause: {where} frozen"
        if self.kind == "restart-node":
            how = "killed and started" if self.hard else "restarted"
            return f"restart-node: {where} {how}" + (
                f", off for {self.down_s:g} s" if self.down_s else ""
            )
        how = {
            "both": "both directions",
            "outgoing": f"packets from {where} dropped",
            "incoming": f"packets to {where} dropped",
        }[self.drop]
        return f"partition: {where} | {', '.join(self.peers)} ({how})"

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["description"] = self.describe()
        return data

    def to_record(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_record(cls, fault_id: str, record: str) -> Fault:
        try:
            data = json.loads(record)
            data["nodes"] = tuple(data.get("nodes", ()))
            data["peers"] = tuple(data.get("peers", ()))
            return cls(**data)
        except (ValueError, TypeError) as exc:
            raise FaultError(f"fault {fault_id}: unreadable record {record!r}: {exc}") from exc

    @property
    def age_s(self) -> float:
        return max(0.0, time.time() - self.started)


def signal_name(signal: str | int) -> str:
    """`SIGKILL` for 'SIGKILL', 'KILL', 'kill' or 9; UsageError naming the valid ones."""
    text = str(signal).strip().upper()
    try:
        if text.isdigit():
            return signals.Signals(int(text)).name
        return signals.Signals[text if text.startswith("SIG") else f"SIG{text}"].name
    except (KeyError, ValueError):
        raise UsageError(
            f"--signal {signal!r} is not a signal; use a name such as SIGKILL, SIGTERM, "
            "SIGSTOP or a number such as 9"
        ) from None


def partition_rules(fault_id: str, drop_from: Sequence[str], drop_to: Sequence[str]) -> str:
    """The shell script that cuts one node off: a chain of the fault's own, jumped to from
    INPUT, OUTPUT and FORWARD, dropping packets from `drop_from` and to `drop_to`."""
    chain = chain_name(fault_id)
    lines = ["set -e", f"iptables -w -N {chain}"]
    lines += [f"iptables -w -A {chain} -s {ip} -j DROP" for ip in drop_from]
    lines += [f"iptables -w -A {chain} -d {ip} -j DROP" for ip in drop_to]
    lines += [f"iptables -w -I {hook} 1 -j {chain}" for hook in ("INPUT", "OUTPUT", "FORWARD")]
    return "\n".join(lines)


def unpartition_rules(fault_id: str) -> str:
    """The shell script that removes one partition's chain (whatever is left of it)."""
    chain = chain_name(fault_id)
    lines = [
        f"while iptables -w -D {hook} -j {chain} 2>/dev/null; do :; done"
        for hook in ("INPUT", "OUTPUT", "FORWARD")
    ]
    lines += [
        f"iptables -w -F {chain} 2>/dev/null || true",
        f"iptables -w -X {chain} 2>/dev/null || true",
    ]
    return "\n".join(lines)


def chain_name(fault_id: str) -> str:
    return f"minidcos-{fault_id}"


@dataclass(frozen=True)
class PartitionPlan:
    """Per node of both sides: the addresses whose packets it drops, from and to."""

    drop_from: dict[str, tuple[str, ...]]  # node reference -> source addresses
    drop_to: dict[str, tuple[str, ...]]  # node reference -> destination addresses


def plan_partition(side: Sequence[Node], peers: Sequence[Node], drop: Drop) -> PartitionPlan:
    """Which node drops what. Both sides drop (each the packets it would receive or send),
    so a partition holds even where one side's rules are lost (a node restarted)."""
    side_ips = tuple(n.ip_address for n in side)
    peer_ips = tuple(n.ip_address for n in peers)
    drop_from: dict[str, tuple[str, ...]] = {}
    drop_to: dict[str, tuple[str, ...]] = {}
    for node in side:
        drop_from[node.reference] = peer_ips if drop in ("both", "incoming") else ()
        drop_to[node.reference] = peer_ips if drop in ("both", "outgoing") else ()
    for node in peers:
        drop_from[node.reference] = side_ips if drop in ("both", "outgoing") else ()
        drop_to[node.reference] = side_ips if drop in ("both", "incoming") else ()
    return PartitionPlan(drop_from, drop_to)


class Faults:
    """The faults of one cluster: make them, list the active ones, heal them."""

    def __init__(
        self,
        cluster_id: str,
        provider: Provider,
        nodes: Callable[[], list[Node]],
        status: Status | None = None,
    ) -> None:
        self.cluster_id = cluster_id
        self.provider = provider
        self._nodes = nodes
        self.status = status or Status.silent()

    # -- what is active ---------------------------------------------------------

    def active(self) -> list[Fault]:
        """The cluster's active faults, oldest first."""
        records = self.provider.fault_records(self.cluster_id)
        faults = [Fault.from_record(i, r) for i, r in records.items()]
        return sorted(faults, key=lambda f: (f.started, f.id))

    def _record(self, fault: Fault) -> Fault:
        self.provider.record_fault(self.cluster_id, fault.id, fault.to_record())
        self.status.line(f"     fault {fault.id}: {fault.describe()}")
        return fault

    # -- units --------------------------------------------------------------------

    def kill(self, node: Node, unit: str, signal: str | int = "SIGKILL") -> Fault:
        """Send `signal` to the main process of `unit` on `node` (kill -9 by default)."""
        name = signal_name(signal)
        self._check_unit(node, unit)
        self._run(node, ["systemctl", "kill", "--kill-who=main", f"--signal={name}", unit])
        return self._record(Fault(_new_id(), "kill", (node.reference,), unit=unit, signal=name))

    def stop(self, node: Node, unit: str) -> Fault:
        """Stop `unit` on `node` (it stays stopped until started or healed)."""
        self._check_unit(node, unit)
        self._run(node, ["systemctl", "stop", unit])
        return self._record(Fault(_new_id(), "stop", (node.reference,), unit=unit))

    def restart(self, node: Node, unit: str) -> Fault:
        """Restart `unit` on `node`."""
        self._check_unit(node, unit)
        self._run(node, ["systemctl", "restart", unit])
        return self._record(Fault(_new_id(), "restart", (node.reference,), unit=unit))

    def start(self, node: Node, unit: str) -> list[Fault]:
        """Start `unit` on `node`: the undoing of `stop`, whose records it removes."""
        self._check_unit(node, unit)
        self._run(node, ["systemctl", "start", unit])
        undone = [
            f
            for f in self.active()
            if f.kind == "stop" and f.unit == unit and f.nodes == (node.reference,)
        ]
        for fault in undone:
            self.provider.delete_fault_record(self.cluster_id, fault.id)
        return undone

    # -- whole nodes --------------------------------------------------------------

    def pause(self, node: Node) -> Fault:
        """Freeze every process of `node`, systemd included (`docker pause`)."""
        self._check_running(node)
        self.provider.pause(node)
        return self._record(Fault(_new_id(), "pause", (node.reference,)))

    def unpause(self, node: Node) -> list[Fault]:
        """Thaw `node`; removes the records of its pause."""
        if self.provider.node_state(node) is NodeState.PAUSED:
            self.provider.unpause(node)
        undone = [f for f in self.active() if f.kind == "pause" and f.nodes == (node.reference,)]
        for fault in undone:
            self.provider.delete_fault_record(self.cluster_id, fault.id)
        return undone

    def restart_node(self, node: Node, *, hard: bool = False, down_s: float = 0.0) -> Fault:
        """Restart `node`'s container; it keeps its address and its disk. Returns once its
        systemd is up (DC/OS's units then start as on a booting machine). `hard`: kill it
        first, as a power cut would; `down_s`: leave it off that long (a slow reboot, or a
        node away for longer than Mesos's agent ping timeout)."""
        if down_s < 0:
            raise UsageError(f"--down must be 0 seconds or more, not {down_s:g}")
        self._check_not_paused(node)
        fault = self._record(
            Fault(_new_id(), "restart-node", (node.reference,), hard=hard, down_s=down_s)
        )
        self.provider.restart(node, hard=hard, status=self.status, down_s=down_s)
        return fault

    # -- the network --------------------------------------------------------------

    def partition(
        self, side: Sequence[Node], peers: Sequence[Node] | None = None, drop: Drop = "both"
    ) -> Fault:
        """Cut `side` off from `peers` (every other node by default).

        `drop`: "both" (no packet crosses), "outgoing" (packets from `side` to
        `peers` are dropped), "incoming" (packets from `peers` to `side`).
        """
        if drop not in DROPS:
            raise UsageError(f"drop must be one of {', '.join(DROPS)}, not {drop!r}")
        side = _unique(side)
        if peers is None:
            peers = [n for n in self._nodes() if n not in side]
        peers = _unique(peers)
        if not side or not peers:
            raise UsageError("a partition needs a node on each side")
        both = sorted({n.reference for n in side} & {n.reference for n in peers})
        if both:
            raise UsageError(f"{', '.join(both)} cannot be on both sides of a partition")
        for node in (*side, *peers):
            self._check_running(node)
        fault = Fault(
            _new_id(),
            "partition",
            tuple(n.reference for n in side),
            peers=tuple(n.reference for n in peers),
            drop=drop,
        )
        plan = plan_partition(side, peers, drop)
        nodes = (*side, *peers)
        # Recorded first: if a node fails half-way, heal still finds the chain to remove.
        self._record(fault)
        try:
            _each(
                nodes,
                lambda n: self._run(
                    n,
                    [
                        "sh",
                        "-c",
                        partition_rules(
                            fault.id, plan.drop_from[n.reference], plan.drop_to[n.reference]
                        ),
                    ],
                ),
            )
        except BaseException:
            self._heal_one(fault)
            raise
        return fault

    # -- healing --------------------------------------------------------------------

    def heal(self, fault_ids: Sequence[str] = ()) -> list[Fault]:
        """Undo the given faults (every active one by default); returns what was healed.

        Heals as much as it can: a fault that cannot be undone keeps its record,
        and the error names it once the others are done.
        """
        active = self.active()
        if fault_ids:
            known = {f.id for f in active}
            unknown = [i for i in fault_ids if i not in known]
            if unknown:
                raise UsageError(
                    f"no active fault {', '.join(unknown)} in cluster {self.cluster_id!r}; "
                    f"active: {', '.join(sorted(known)) or 'none'}"
                )
            active = [f for f in active if f.id in fault_ids]
        healed: list[Fault] = []
        problems: list[str] = []
        for kind in HEAL_ORDER:
            for fault in (f for f in active if f.kind == kind):
                try:
                    self._heal_one(fault)
                except MiniDCOSError as exc:
                    problems.append(f"{fault.id} ({fault.describe()}): {exc}")
                    continue
                healed.append(fault)
                self.status.line(f"     healed {fault.id}: {fault.describe()}")
        if problems:
            raise FaultError("could not heal every fault:\n  " + "\n  ".join(problems))
        return healed

    def _heal_one(self, fault: Fault) -> None:
        nodes = {n.reference: n for n in self._nodes()}
        # A node removed since the fault has nothing left to undo.
        targets = [nodes[r] for r in fault.nodes if r in nodes]
        if fault.kind == "pause":
            for node in targets:
                if self.provider.node_state(node) is NodeState.PAUSED:
                    self.provider.unpause(node)
        elif fault.kind == "restart-node":
            for node in targets:
                if self.provider.node_state(node) is NodeState.STOPPED:
                    self.provider.restart(node, hard=False, status=self.status)
        elif fault.kind == "partition":
            everyone = [nodes[r] for r in (*fault.nodes, *fault.peers) if r in nodes]
            reachable = [n for n in everyone if self.provider.node_state(n) is NodeState.RUNNING]
            _each(reachable, lambda n: self._run(n, ["sh", "-c", unpartition_rules(fault.id)]))
        else:
            for node in targets:
                self._check_not_paused(node)
                if fault.kind == "kill" and fault.signal in STOPPING_SIGNALS:
                    self._run(
                        node,
                        ["systemctl", "kill", "--kill-who=main", "--signal=SIGCONT", fault.unit],
                    )
                self._ensure_active(node, fault.unit)
        self.provider.delete_fault_record(self.cluster_id, fault.id)

    # -- checks and commands --------------------------------------------------------

    def _run(self, node: Node, argv: list[str]) -> None:
        try:
            node.run(argv)
        except CommandError as exc:
            output = exc.output.strip().splitlines()
            raise FaultError(
                f"`{' '.join(argv[:4])}...` failed on {node}: {output[-1] if output else exc}"
            ) from exc

    def _ensure_active(self, node: Node, unit: str) -> None:
        state = node.run(["systemctl", "is-active", unit], check=False).stdout.decode().strip()
        if state in ("active", "activating", "reloading"):
            return
        node.run(["systemctl", "reset-failed", unit], check=False)
        self._run(node, ["timeout", str(UNIT_START_TIMEOUT_S), "systemctl", "start", unit])

    def _check_running(self, node: Node) -> None:
        state = self.provider.node_state(node)
        if state is not NodeState.RUNNING:
            hint = " (heal it or `fault unpause` it first)" if state is NodeState.PAUSED else ""
            raise FaultError(f"{node} is {state.value}, not running{hint}")

    def _check_not_paused(self, node: Node) -> None:
        if self.provider.node_state(node) is NodeState.PAUSED:
            raise FaultError(f"{node} is paused: unpause it first (`minidcos docker heal`)")

    def _check_unit(self, node: Node, unit: str) -> None:
        """UsageError naming the node's DC/OS units when `unit` is not one of its units."""
        self._check_running(node)
        if not unit or unit.startswith("-"):
            raise UsageError(f"--unit {unit!r} is not a unit name, e.g. dcos-mesos-master")
        load = node.run(["systemctl", "show", "-p", "LoadState", "--value", unit], check=False)
        if load.stdout.decode().strip() == "loaded":
            return
        # The node's own DC/OS units: those dcos.target wants on its role.
        listing = node.run(["ls", DCOS_WANTS], check=False).stdout.decode()
        units = sorted(line.strip() for line in listing.splitlines() if line.strip())
        raise UsageError(
            f"no unit {unit!r} on {node.reference}; its DC/OS units: {', '.join(units) or 'none'}"
        )


def _new_id() -> str:
    return secrets.token_hex(3)


def _unique(nodes: Sequence[Node]) -> list[Node]:
    seen: dict[str, Node] = {}
    for node in nodes:
        seen.setdefault(node.reference, node)
    return list(seen.values())


def _each(nodes: Sequence[Node], action: Callable[[Node], None]) -> None:
    """`action` on every node at once; the first error is raised once all are done."""
    if not nodes:
        return
    with ThreadPoolExecutor(max_workers=min(16, len(nodes))) as pool:
        futures = [pool.submit(action, n) for n in nodes]
    for future in futures:
        future.result()
