"""Failover figures from the e2e scenarios, median of N runs each.

Runs the e2e scenarios that measure recovery (test_e2e/test_failover.py's Mesos
and Marathon leader kills, test_e2e/test_agents.py's agent node restart) with
minidcos's pytest plugin recording their figures (`--minidcos-figures`), N
times, and collects the medians into one JSON: time to a new Mesos leader, to
every agent re-registered, to Marathon answering again, and to an app healthy
again after its agent restarted. The budget (new Mesos leader and all agents
back in under 15 s) is printed beside the figures, never asserted.

    python bench/failover.py [--runs 3] [--workers 2]

Each run makes its own clusters (3 masters and 2 agents; 1 master and 2
agents), side by side with --workers 2. Prints the figures and writes
bench/results/failover.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import timed, write_results

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = [
    "test_e2e/test_failover.py::test_killing_the_mesos_leader",
    "test_e2e/test_failover.py::test_killing_the_marathon_leader",
    "test_e2e/test_agents.py::test_agent_node_restart",
]
# The figures reported, by the name the scenario records them under.
FIGURES = {
    "mesos_leader_kill.new_leader": "new Mesos leader",
    "mesos_leader_kill.agents_reregistered": "every agent re-registered",
    "mesos_leader_kill.marathon_reregistered": "Marathon re-registered with Mesos",
    "mesos_leader_kill.marathon_answering": "Marathon answering (Mesos leader killed)",
    "marathon_leader_kill.new_leader": "new Marathon leader",
    "marathon_leader_kill.same_tasks": "Marathon answering with the same tasks",
    "agent_restart.node_up": "agent node up again (off 10 s)",
    "agent_restart.apps_healthy": "app healthy again after its agent restarted",
}
BUDGET_S = {"mesos_leader_kill.new_leader": 15.0, "mesos_leader_kill.agents_reregistered": 15.0}


def one_run(workers: int, logs: Path) -> dict[str, float]:
    """One pytest run of the scenarios; the figures it recorded."""
    with tempfile.TemporaryDirectory(prefix="minidcos-failover-") as scratch:
        figures_file = Path(scratch) / "figures.json"
        command = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            *(["-n", str(workers), "--dist", "loadfile"] if workers > 1 else []),
            f"--minidcos-logs={logs}",
            f"--minidcos-figures={figures_file}",
            *SCENARIOS,
        ]
        proc = subprocess.run(command, cwd=ROOT)
        if proc.returncode != 0:
            raise SystemExit(f"the scenarios failed (exit {proc.returncode}); logs in {logs}")
        recorded: dict[str, Any] = json.loads(figures_file.read_text())
    found: dict[str, float] = {}
    for entry in recorded.values():
        for name, figure in entry["figures"].items():
            found[name] = float(figure["value"])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="pytest-xdist workers per run")
    args = parser.parse_args()
    logs = Path(tempfile.gettempdir()) / "minidcos-failover-logs"
    runs: list[dict[str, float]] = []
    durations = []
    for number in range(1, args.runs + 1):
        figures, seconds = timed(lambda: one_run(args.workers, logs))
        runs.append(figures)
        durations.append(seconds)
        print(f"run {number}/{args.runs}: {seconds:.0f} s", file=sys.stderr)

    results: dict[str, Any] = {}
    print(f"\nfailover figures, median of {args.runs} run(s) (each run makes its own clusters):")
    for name, words in FIGURES.items():
        values = [run[name] for run in runs if name in run]
        if not values:
            continue
        median = statistics.median(values)
        entry: dict[str, Any] = {"what": words, "median_s": round(median, 3), "runs_s": values}
        budget = BUDGET_S.get(name)
        line = f"  {words:<48} {median:7.2f} s"
        if budget is not None:
            entry["budget_s"] = budget
            entry["ratio_to_budget"] = round(median / budget, 3)
            line += f"   ({median / budget:.0%} of the {budget:.0f} s budget)"
        results[name] = entry
        print(line)
    path = write_results(
        "failover",
        {"runs": args.runs, "run_wall_s": [round(d, 1) for d in durations], "figures": results},
    )
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    main()
