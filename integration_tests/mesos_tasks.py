"""A command task run with Mesos's own `mesos-execute`, for tests that need a running task.

    with running_task("dns-probe", "sleep 300") as task:
        task.agent_id, task.framework_name, task.agent_ip ...

The task is found in the leading master's state through Admin Router; leaving
the block stops mesos-execute, which ends its framework and so the task.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import acs
import requests
from polling import Poll, wait_for

ADMIN_ROUTER = "http://127.0.0.1"
MESOS_EXECUTE = "/opt/mesosphere/bin/mesos-execute"
TASK_TIMEOUT = 120

session = requests.Session()
session.trust_env = False  # only the cluster's own nodes, never a proxy
session.headers.update(acs.auth_headers())  # Admin Router's protected locations


@dataclass(frozen=True)
class Task:
    id: str
    name: str
    agent_id: str
    agent_ip: str
    framework_id: str
    framework_name: str
    state: dict[str, Any]


def master_state() -> dict[str, Any]:
    response = session.get(f"{ADMIN_ROUTER}/mesos/master/state", timeout=10)
    response.raise_for_status()
    return dict(response.json())


def find_task(name: str, states: tuple[str, ...] = ("TASK_RUNNING",)) -> Poll[Task]:
    state = master_state()
    agents = {a["id"]: a for a in state.get("slaves", [])}
    for framework in state.get("frameworks", []):
        for task in framework.get("tasks", []):
            if task.get("name") == name and task.get("state") in states:
                agent = agents.get(task["slave_id"], {})
                pid = str(agent.get("pid", "@:"))
                return Poll(
                    True,
                    Task(
                        task["id"],
                        name,
                        task["slave_id"],
                        pid.split("@")[1].rsplit(":", 1)[0],
                        framework["id"],
                        framework["name"],
                        state,
                    ),
                )
    return Poll(False, detail=f"no {name} task in {states}")


@contextmanager
def running_task(name: str, command: str, extra: tuple[str, ...] = ()) -> Iterator[Task]:
    argv = [
        MESOS_EXECUTE,
        "--master=leader.mesos:5050",
        f"--name={name}",
        f"--command={command}",
        *extra,
    ]
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        yield wait_for(
            lambda: find_task(name),
            TASK_TIMEOUT,
            f"task {name} running",
            transient=(OSError, ValueError, requests.RequestException),
        )
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@dataclass(frozen=True)
class Finished:
    """A task run to its end with mesos-execute: its exit, mesos-execute's output and the
    task's own stdout and stderr (read through dcos-log, as DC/OS's CLI reads them)."""

    returncode: int
    updates: str
    stdout: str
    stderr: str


def run_task(
    name: str, command: str, extra: tuple[str, ...] = (), timeout: float = 180
) -> Finished:
    """Run `command` as a task (as root, on an agent the master picks) until it ends."""
    done = subprocess.run(
        [
            MESOS_EXECUTE,
            "--master=leader.mesos:5050",
            f"--name={name}",
            f"--command={command}",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
    )

    def task_file(which: str) -> str:
        url = f"{ADMIN_ROUTER}/system/v1/logs/v2/task/{name}/file/{which}"
        return session.get(url, timeout=10).text

    return Finished(
        done.returncode, done.stdout + done.stderr, task_file("stdout"), task_file("stderr")
    )
