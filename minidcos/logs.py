"""Log export: everything needed to see why a cluster misbehaved, in one folder.

    export_logs(cluster_id, nodes, faults, Path("bundle"))

writes, per node (`<dest>/<reference>/`): the journal of every `dcos-*` unit
(`journal/<unit>.log`) and of the node's systemd (`systemd.log`), the units'
states and the failed ones, `/opt/mesosphere/etc/expanded.config.json` and
`dcos-version.json`, the Mesos master's or agent's `/state`, Exhibitor's
cluster status, the node's health and (on masters) the diagnostics report,
and Navstar's `/v1/vips` and `/v1/records` where Navstar answers. Beside them,
`summary.txt` names each node's state, its failed and unhealthy units and the
cluster's active faults; `faults.json` lists those faults.

It works on a half-broken cluster: a frozen or stopped node, a dead unit, a
service that does not answer are written down as such, never fatal. Each node
is read with one command (a script that gathers into a temporary folder on the
node) and one copy back, all nodes at once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from minidcos.backends.base import NodeState, Provider
from minidcos.errors import MiniDCOSError
from minidcos.faults import Fault
from minidcos.installer.packages import package_port
from minidcos.node import Node, Role

NAVSTAR_PORT = 62080  # DC/OS's; Navstar answers here once it is part of the distribution
JOURNAL_LINES = 100_000  # per unit: enough for any test cluster, bounded for a long-lived one
FETCH_TIMEOUT_S = 5

GATHER = r"""
set -u
out=$1 role=$2 ip=$3 health=$4
mkdir -p "$out/journal"
fetch() {  # fetch NAME URL: the answer, or why there is none
  curl -fsS --max-time {timeout} "$2" -o "$out/$1" 2>"$out/$1.error" && rm -f "$out/$1.error"
}
units=$( (systemctl list-units --all --plain --no-legend 'dcos-*' | awk '{print $1}'; \
          ls /etc/systemd/system/dcos.target.wants 2>/dev/null) | sort -u)
for unit in $units; do
  journalctl --no-pager -o short-precise -n {lines} -u "$unit" > "$out/journal/$unit.log" 2>&1
done
journalctl --no-pager -o short-precise -n {lines} _PID=1 > "$out/systemd.log" 2>&1
systemctl list-units --all --no-pager 'dcos-*' > "$out/units.txt" 2>&1
systemctl list-units --failed --plain --no-legend > "$out/failed-units.txt" 2>&1
systemctl is-system-running > "$out/system-state.txt" 2>&1
for f in expanded.config.json dcos-version.json; do
  cp "/opt/mesosphere/etc/$f" "$out/$f" 2>"$out/$f.error" && rm -f "$out/$f.error"
done
fetch diagnostics-health.json "$health"
if [ "$role" = master ]; then
  fetch mesos-master-state.json "http://$ip:{master_port}/state"
  fetch exhibitor-status.json "http://$ip:{exhibitor_port}/exhibitor/v1/cluster/status"
  fetch diagnostics-report.json "http://$ip:{diagnostics_port}/system/health/v1/report"
else
  fetch mesos-agent-state.json "http://$ip:{agent_port}/state"
fi
if curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:{navstar_port}/v1/vips" 2>/dev/null; then
  fetch navstar-vips.json "http://127.0.0.1:{navstar_port}/v1/vips"
  fetch navstar-records.json "http://127.0.0.1:{navstar_port}/v1/records"
fi
exit 0
"""


@dataclass
class NodeReport:
    node: Node
    state: NodeState
    failed_units: list[str] = field(default_factory=list)
    unhealthy_units: list[str] = field(default_factory=list)
    problem: str = ""  # why the node could not be read, or not all of it

    def line(self) -> str:
        head = f"{self.node.reference:<16} {self.node.ip_address:<15} {self.state.value:<8}"
        if self.state is not NodeState.RUNNING:
            why = {
                NodeState.PAUSED: "frozen (paused): nothing could be read from it",
                NodeState.STOPPED: "its container is stopped: nothing could be read from it",
                NodeState.GONE: "its container is gone",
            }.get(self.state, "")
            return f"{head} {why}"
        parts = [f"failed units: {', '.join(self.failed_units) or 'none'}"]
        parts.append(f"unhealthy (diagnostics): {', '.join(self.unhealthy_units) or 'none'}")
        if self.problem:
            parts.append(self.problem)
        return f"{head} " + "; ".join(parts)


def _health_url(node: Node) -> str:
    # Diagnostics listens on its own port on masters; on agents Admin Router Agent fronts it.
    if node.role is Role.MASTER:
        port = package_port("dcos-diagnostics")
    else:
        port = package_port("adminrouter", "agent")
    return f"http://{node.ip_address}:{port}/system/health/v1"


def _script() -> str:
    script = GATHER
    for key, value in {
        "timeout": FETCH_TIMEOUT_S,
        "lines": JOURNAL_LINES,
        "master_port": package_port("mesos", "master"),
        "agent_port": package_port("mesos", "agent"),
        "exhibitor_port": package_port("exhibitor"),
        "diagnostics_port": package_port("dcos-diagnostics"),
        "navstar_port": NAVSTAR_PORT,
    }.items():
        script = script.replace("{" + key + "}", str(value))
    return script


def export_node(provider: Provider, node: Node, dest: Path) -> NodeReport:
    """Gather one node's logs and state into `dest` (made); never raises for the node's state."""
    dest.mkdir(parents=True, exist_ok=True)
    state = provider.node_state(node)
    report = NodeReport(node, state)
    (dest / "node.txt").write_text(
        f"reference: {node.reference}\ncontainer: {node.container_name} ({node.container_id})\n"
        f"address: {node.ip_address}\nstate: {state.value}\n"
    )
    if state is not NodeState.RUNNING:
        return report
    remote = f"/tmp/minidcos-logs-{int(time.time() * 1000)}-{node.index}"
    role = "master" if node.role is Role.MASTER else "agent"
    try:
        gathered = node.run(
            [
                "bash",
                "-c",
                _script(),
                "minidcos-gather",
                remote,
                role,
                node.ip_address,
                _health_url(node),
            ],
            check=False,
        )
        if gathered.returncode != 0:
            report.problem = (
                f"gathering exited {gathered.returncode}: {gathered.stderr.decode()[-300:]}"
            )
        node.download_file(Path(remote), dest)
    except MiniDCOSError as exc:
        report.problem = f"could not copy its logs: {exc}"
        return report
    finally:
        node.run(["rm", "-rf", remote], check=False)
    failed = (dest / "failed-units.txt").read_text() if (dest / "failed-units.txt").exists() else ""
    report.failed_units = [line.split()[0] for line in failed.splitlines() if line.strip()]
    report.unhealthy_units = _unhealthy(dest / "diagnostics-health.json")
    return report


def _unhealthy(health_file: Path) -> list[str]:
    try:
        units = json.loads(health_file.read_text()).get("units", [])
    except (OSError, ValueError, AttributeError):
        return []
    return sorted(str(u.get("id")) for u in units if u.get("health") != 0)


def export_logs(
    cluster_id: str,
    provider: Provider,
    nodes: Sequence[Node],
    faults: Sequence[Fault],
    dest: Path,
) -> Path:
    """Write the cluster's log bundle to `dest` (made if missing); returns `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(nodes)))) as pool:
        reports = list(pool.map(lambda n: export_node(provider, n, dest / n.reference), nodes))
    (dest / "faults.json").write_text(json.dumps([f.as_dict() for f in faults], indent=2))
    counts = {
        role: sum(1 for n in nodes if n.role is role)
        for role in (Role.MASTER, Role.AGENT, Role.PUBLIC_AGENT)
    }
    lines = [
        f"cluster {cluster_id}: {counts[Role.MASTER]} master(s), {counts[Role.AGENT]} agent(s), "
        f"{counts[Role.PUBLIC_AGENT]} public agent(s); exported "
        f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}",
        "",
        "active faults:" if faults else "active faults: none",
    ]
    lines += [f"  {f.id}  {f.describe()} (for {f.age_s:.0f} s)" for f in faults]
    lines += ["", "nodes:"] + [f"  {r.line()}" for r in reports]
    failed = sorted({f"{r.node.reference}: {u}" for r in reports for u in r.failed_units})
    unhealthy = sorted({f"{r.node.reference}: {u}" for r in reports for u in r.unhealthy_units})
    lines += ["", f"failed units: {', '.join(failed) or 'none'}"]
    lines += [f"unhealthy units: {', '.join(unhealthy) or 'none'}"]
    (dest / "summary.txt").write_text("\n".join(lines) + "\n")
    return dest
