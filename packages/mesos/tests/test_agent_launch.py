"""A launch as the agent does it: StatsD addresses from dcos-metrics, output to the journal."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from dcos_mesos.agent import launcher, statsd
from dcos_mesos.agent.launcher import UnitSpec
from dcos_mesos.agent.statsd import StatsdAddresses
from dcos_mesos.resources import Resources
from test_agent import FakeMaster, new_agent

FRAMEWORK = {"id": {"value": "F1"}, "name": "fw", "user": "root"}
ADDRESS = {"STATSD_UDP_HOST": "198.51.100.1", "STATSD_UDP_PORT": "40001"}


class Metrics:
    """dcos-metrics' registration API, as statsd_registration calls it."""

    def __init__(self, delay: float = 0.0, answer: dict[str, str] | None = None) -> None:
        self.delay = delay
        self.answer = ADDRESS if answer is None else answer
        self.registered: list[str] = []
        self.released: list[str] = []
        self.lock = threading.Lock()

    def register(self, container_id: str) -> dict[str, str]:
        time.sleep(self.delay)
        with self.lock:
            self.registered.append(container_id)
        return dict(self.answer)

    def unregister(self, container_id: str) -> None:
        with self.lock:
            self.released.append(container_id)


class Logger:
    def __init__(self) -> None:
        self.followed: dict[str, tuple[Path, dict[str, str]]] = {}
        self.finished: list[str] = []

    def follow(
        self,
        key: str,
        directory: Path,
        fields: Mapping[str, str],
        pids: Callable[[], list[int]],
        checkpoint: Path | None = None,
    ) -> None:
        self.followed[key] = (directory, dict(fields))

    def finish(self, key: str) -> Future[None]:
        self.finished.append(key)
        done: Future[None] = Future()
        done.set_result(None)
        return done


def command_task(task_id: str, command: str = "sleep 100") -> dict[str, Any]:
    return {
        "task_id": {"value": task_id},
        "name": task_id,
        "agent_id": {"value": "S1"},
        "resources": Resources.parse("cpus:0.1;mem:32").to_v1("*"),
        "command": {"value": command},
    }


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[UnitSpec]:
    specs: list[UnitSpec] = []

    async def start_unit(spec: UnitSpec) -> None:
        specs.append(spec)

    monkeypatch.setattr(launcher, "start_unit", start_unit)
    return specs


def agent_with(tmp_path: Path, metrics: Metrics, logger: Logger | None = None) -> Any:
    agent = new_agent(tmp_path, FakeMaster())
    agent.agent_id = "S1"
    agent.statsd = StatsdAddresses(metrics.register, metrics.unregister)
    agent.container_logger = logger  # type: ignore[assignment]  # duck-typed stand-in
    return agent


def finish_timers(agent: Any) -> None:
    for timer in agent._retry.values():
        timer.cancel()


def test_a_task_gets_its_statsd_address_and_gives_it_back(
    tmp_path: Path, started: list[UnitSpec]
) -> None:
    metrics, logger = Metrics(), Logger()

    async def scenario() -> None:
        agent = agent_with(tmp_path, metrics, logger)
        await agent.run_task({"framework_info": FRAMEWORK, "task": command_task("t1")})
        (spec,) = started
        assert {k: spec.env[k] for k in ADDRESS} == ADDRESS
        assert metrics.registered == [spec.container_id]
        directory, fields = logger.followed[spec.container_id]
        assert directory == spec.sandbox
        assert fields["CONTAINER_ID"] == spec.container_id
        assert (fields["FRAMEWORK_ID"], fields["EXECUTOR_ID"], fields["AGENT_ID"]) == (
            "F1",
            "t1",
            "S1",
        )
        assert fields["SYSLOG_IDENTIFIER"].startswith("Command Executor (Task: t1)")
        agent.exit_file(spec.container_id).write_text(json.dumps({"code": "exited", "status": "0"}))
        await agent.container_exited(spec.container_id)
        await asyncio.gather(*agent._background)
        assert metrics.released == [spec.container_id]
        assert logger.finished == [spec.container_id]
        finish_timers(agent)

    asyncio.run(scenario())


def test_docker_tasks_get_the_address_as_docker_environment(
    tmp_path: Path, started: list[UnitSpec], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def present(image: str) -> tuple[bool, str]:
        return True, "sha256:0"

    async def no_ip(name: str, attempts: int = 40) -> str:
        return ""

    monkeypatch.setattr(launcher, "docker_image_present", present)
    monkeypatch.setattr(launcher, "docker_container_ip", no_ip)
    task = command_task("t-docker")
    task["container"] = {"type": "DOCKER", "docker": {"image": "busybox:latest"}}

    async def scenario() -> None:
        agent = agent_with(tmp_path, Metrics())
        await agent.run_task({"framework_info": FRAMEWORK, "task": task})
        (spec,) = started
        assert spec.argv[0:2] == ["docker", "run"]
        assert "STATSD_UDP_PORT=40001" in spec.argv
        finish_timers(agent)

    asyncio.run(scenario())


def test_a_slow_dcos_metrics_stops_holding_launches_up(
    tmp_path: Path, started: list[UnitSpec], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(statsd, "SLOW_S", 0.1)
    metrics = Metrics(delay=0.4)

    async def launch(task_id: str) -> float:
        start = time.monotonic()
        await agent.run_task({"framework_info": FRAMEWORK, "task": command_task(task_id)})
        return time.monotonic() - start

    async def scenario() -> None:
        # The first answer is waited for, and its slowness forgiven (a socket-activated
        # dcos-metrics starting up)...
        assert await launch("t1") >= 0.4
        assert "STATSD_UDP_PORT" in started[-1].env
        assert await launch("t2") >= 0.4
        assert "STATSD_UDP_PORT" in started[-1].env
        # ...but the second came late too, so the next launch does not wait for its own.
        assert await launch("t2b") < 0.3
        assert "STATSD_UDP_PORT" not in started[-1].env
        metrics.delay = 0.0  # dcos-metrics is quick again: launches wait for it again
        await asyncio.sleep(0.5)
        await launch("t3")
        await launch("t4")
        assert "STATSD_UDP_PORT" in started[-1].env
        finish_timers(agent)

    agent = agent_with(tmp_path, metrics)
    asyncio.run(scenario())


def test_without_dcos_metrics_tasks_start_without_an_address(
    tmp_path: Path, started: list[UnitSpec]
) -> None:
    async def scenario() -> None:
        agent = agent_with(tmp_path, Metrics(answer={}))
        await agent.run_task({"framework_info": FRAMEWORK, "task": command_task("t1")})
        assert not any(k.startswith("STATSD") for k in started[0].env)
        finish_timers(agent)

    asyncio.run(scenario())


def test_nested_containers_share_the_groups_address_and_are_journalled_as_parent_child(
    tmp_path: Path, started: list[UnitSpec]
) -> None:
    metrics, logger = Metrics(), Logger()
    executor = {
        "executor_id": {"value": "default-ex"},
        "framework_id": {"value": "F1"},
        "name": "pod-executor",
        "type": "DEFAULT",
        "labels": {
            "labels": [{"key": "DCOS_SPACE", "value": "/pod"}, {"key": "lower", "value": "x"}]
        },
    }
    group = {"tasks": [command_task("a"), command_task("b")]}

    async def scenario() -> None:
        agent = agent_with(tmp_path, metrics, logger)
        await agent.run_task(
            {"framework_info": FRAMEWORK, "executor": executor, "task_group": group}
        )
        (record,) = agent.containers.values()
        assert metrics.registered == [record.id]
        assert all(spec.env["STATSD_UDP_PORT"] == "40001" for spec in started)
        for task_id in ("a", "b"):
            nested = record.tasks[task_id].container_id
            directory, fields = logger.followed[nested]
            assert directory == Path(record.sandbox) / "tasks" / task_id
            assert fields["CONTAINER_ID"] == f"{record.id}.{nested}"
            assert fields["SYSLOG_IDENTIFIER"] == "pod-executor"
            assert fields["DCOS_SPACE"] == "/pod" and "lower" not in fields
        finish_timers(agent)

    asyncio.run(scenario())
