"""The boot sequence as DC/OS orders it, read from systemd on every node.

DC/OS's units order the boot with `ExecStartPre` pings: Mesos (master and
agents), Mesos-DNS and Navstar wait for `ready.spartan`; Marathon and
Metronome for `leader.mesos`; Admin Router for `ready.spartan`,
`marathon.mesos` and `leader.mesos` (the agent's for `ready.spartan` and
`leader.mesos`). A unit becomes active only once its pings answered, so each
unit's ActiveEnterTimestamp must come after those of the units it waited for.
Masters are read here; agents through a test-app task on each, whose
/run_cmd runs `systemctl show` on its node (tasks run as the node's own
systemd units). All nodes share the machine's monotonic clock, so the
timeline is one. It is printed.
"""

from __future__ import annotations

import subprocess
from typing import Any

import networking_apps as net

PROPS = ("InactiveExitTimestampMonotonic", "ActiveEnterTimestampMonotonic")
MASTER_UNITS = (
    "dcos-exhibitor",
    "dcos-spartan",
    "dcos-mesos-master",
    "dcos-mesos-dns",
    "dcos-navstar",
    "dcos-marathon",
    "dcos-metronome",
    "dcos-adminrouter",
)
AGENT_UNITS = ("dcos-spartan", "dcos-mesos-slave", "dcos-mesos-slave-public", "dcos-navstar",
               "dcos-adminrouter-agent")  # fmt: skip
# (unit that waits, what it waited for on its own node); "master:" names a master's unit.
MASTER_ORDER = [
    ("dcos-mesos-master", "dcos-spartan"),
    ("dcos-mesos-dns", "dcos-spartan"),
    ("dcos-navstar", "dcos-spartan"),
    ("dcos-marathon", "dcos-mesos-dns"),
    ("dcos-marathon", "dcos-mesos-master"),
    ("dcos-metronome", "dcos-mesos-dns"),
    ("dcos-adminrouter", "dcos-marathon"),
    ("dcos-adminrouter", "dcos-spartan"),
]
AGENT_ORDER = [
    ("dcos-mesos-slave", "dcos-spartan"),
    ("dcos-mesos-slave-public", "dcos-spartan"),
    ("dcos-navstar", "dcos-spartan"),
    ("dcos-adminrouter-agent", "dcos-spartan"),
    ("dcos-adminrouter-agent", "master:dcos-mesos-master"),
]


def show_command(units: tuple[str, ...]) -> str:
    return (
        "systemctl show --property=Id,"
        + ",".join(PROPS)
        + " "
        + " ".join(f"{u}.service" for u in units)
    )


def parse_show(text: str) -> dict[str, dict[str, int]]:
    """unit -> {property: microseconds}, for units that ran (0 means never)."""
    out: dict[str, dict[str, int]] = {}
    for block in text.strip().split("\n\n"):
        props = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        unit = props.get("Id", "").removesuffix(".service")
        times = {p: int(props.get(p) or 0) for p in PROPS}
        if unit and times["ActiveEnterTimestampMonotonic"]:
            out[unit] = times
    return out


def check_order(
    node: str, units: dict[str, dict[str, int]], master: dict[str, dict[str, int]],
    order: list[tuple[str, str]],
) -> list[str]:  # fmt: skip
    problems = []
    for later, earlier in order:
        source = master if earlier.startswith("master:") else units
        earlier_unit = earlier.removeprefix("master:")
        if later not in units or earlier_unit not in source:
            continue
        a = units[later]["ActiveEnterTimestampMonotonic"]
        b = source[earlier_unit]["ActiveEnterTimestampMonotonic"]
        if a < b:
            problems.append(f"{node}: {later} became active {(b - a) / 1e6:.2f} s before {earlier}")
    return problems


def test_units_start_in_dc_os_order_on_every_node(
    master_hosts: list[str], agent_hosts: list[str], public_agent_hosts: list[str]
) -> None:
    here = subprocess.run(
        ["bash", "-c", show_command(MASTER_UNITS)], capture_output=True, text=True, check=True
    ).stdout
    master = parse_show(here)
    timelines: dict[str, dict[str, dict[str, int]]] = {f"master {master_hosts[0]}": master}
    for host in agent_hosts + public_agent_hosts:
        definition, _ = net.app(host=host, name="boot-order")
        net.deploy(definition)
        [task] = net.tasks_of(net.wait_healthy(definition["id"], 1))
        result: dict[str, Any] = net.run_cmd(task, show_command(AGENT_UNITS))
        net.delete(definition["id"])
        assert result["status"] == 0, result
        timelines[f"agent {host}"] = parse_show(result["output"])
    start = min(t["InactiveExitTimestampMonotonic"] for u in timelines.values() for t in u.values()
                if t["InactiveExitTimestampMonotonic"])  # fmt: skip
    rows = sorted(
        (
            times["ActiveEnterTimestampMonotonic"],
            node,
            unit,
            times["InactiveExitTimestampMonotonic"],
        )
        for node, units in timelines.items()
        for unit, times in units.items()
    )
    print("\nboot timeline (s from the first unit's start): starting -> active")
    for active, node, unit, starting in rows:
        print(
            f"  {(starting - start) / 1e6:7.2f} -> {(active - start) / 1e6:7.2f}  {node:<22} {unit}"
        )
    problems = check_order(f"master {master_hosts[0]}", master, master, MASTER_ORDER)
    for node, units in timelines.items():
        if node.startswith("agent"):
            problems += check_order(node, units, master, AGENT_ORDER)
    assert set(MASTER_UNITS) <= set(master), sorted(master)
    assert not problems, problems
