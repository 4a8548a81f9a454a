"""Who holds a role right now: the Mesos leader, the Marathon leader, the ZooKeeper leader.

Faults are aimed at roles ("kill the leading master"), and roles move, so each
helper asks the masters at the moment it is called. A master that does not
answer (paused, cut off, its service down) is skipped; the answer is the one
every answering master agrees on. While an election is under way they may
disagree or name nobody: the helper waits (up to `timeout_s`) for them to agree.

    leader = mesos_leader(cluster.masters)       # a Node
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from minidcos._util.http import TRANSIENT, http_json
from minidcos._util.polling import Poll, PollTimeoutError, wait_for
from minidcos.errors import MiniDCOSError
from minidcos.installer.packages import package_port
from minidcos.node import Node

ASK_TIMEOUT_S = 2.0  # per master: a frozen master must not hold the answer up
DEFAULT_TIMEOUT_S = 30.0

# References that name a role instead of a node (`--node mesos-leader`).
ROLE_REFERENCES = ("mesos-leader", "marathon-leader", "zookeeper-leader")


class NoLeaderError(MiniDCOSError):
    """The masters did not agree on a leader in time; says what each of them answered."""


def _agreed(
    masters: Sequence[Node], what: str, ask: Callable[[Node], str | None], timeout_s: float
) -> Node:
    by_ip = {m.ip_address: m for m in masters}

    def probe() -> Poll[Node]:
        answers: dict[str, str] = {}
        named: set[str] = set()
        for master in masters:
            try:
                leader = ask(master)
            except TRANSIENT as exc:
                answers[master.reference] = f"no answer ({type(exc).__name__})"
                continue
            answers[master.reference] = leader or "no leader"
            named.add(leader or "")
        detail = ", ".join(f"{ref}: {answer}" for ref, answer in answers.items())
        if len(named) == 1 and (ip := next(iter(named))) in by_ip:
            return Poll(True, by_ip[ip], detail)
        return Poll(False, None, detail)

    try:
        node: Node = wait_for(probe, timeout_s, what, interval_s=0.2, max_interval_s=1.0)
    except PollTimeoutError as exc:
        raise NoLeaderError(
            f"no {what} after {exc.waited_s:.0f} s: the masters do not agree on one ({exc.last})"
        ) from None
    return node


def mesos_leader(masters: Sequence[Node], timeout_s: float = DEFAULT_TIMEOUT_S) -> Node:
    """The leading Mesos master, as the answering masters' /state names it."""
    port = package_port("mesos", "master")

    def ask(master: Node) -> str | None:
        state = http_json(f"http://{master.ip_address}:{port}/state", timeout=ASK_TIMEOUT_S)
        info = state.get("leader_info") or {}
        return str((info.get("address") or {}).get("ip") or info.get("hostname") or "") or None

    return _agreed(masters, "Mesos leader", ask, timeout_s)


def marathon_leader(masters: Sequence[Node], timeout_s: float = DEFAULT_TIMEOUT_S) -> Node:
    """The master whose Marathon leads, as the answering Marathons' /v2/leader names it."""
    port = package_port("marathon")

    def ask(master: Node) -> str | None:
        leader = http_json(f"http://{master.ip_address}:{port}/v2/leader", timeout=ASK_TIMEOUT_S)
        return str(leader.get("leader") or "").rpartition(":")[0] or None

    return _agreed(masters, "Marathon leader", ask, timeout_s)


def zookeeper_leader(masters: Sequence[Node], timeout_s: float = DEFAULT_TIMEOUT_S) -> Node:
    """The master whose ZooKeeper leads the quorum, as the answering Exhibitors report it."""
    port = package_port("exhibitor")

    def ask(master: Node) -> str | None:
        servers = http_json(
            f"http://{master.ip_address}:{port}/exhibitor/v1/cluster/status",
            timeout=ASK_TIMEOUT_S,
        )
        leaders = [s["hostname"] for s in servers if s.get("isLeader") and s.get("code") == 3]
        return str(leaders[0]) if len(leaders) == 1 else None

    return _agreed(masters, "ZooKeeper leader", ask, timeout_s)


def by_reference(reference: str, masters: Sequence[Node]) -> Node:
    """The node a role reference (one of ROLE_REFERENCES) names at this moment."""
    finders = {
        "mesos-leader": mesos_leader,
        "marathon-leader": marathon_leader,
        "zookeeper-leader": zookeeper_leader,
    }
    return finders[reference](masters)
