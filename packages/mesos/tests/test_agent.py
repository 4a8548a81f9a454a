"""The agent: checkpoints, recovery after a restart, reliable status updates, /files."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from dcos_mesos.agent import core, files, launcher
from dcos_mesos.agent.core import Agent, termination
from dcos_mesos.agent.provisioner import Bundles
from dcos_mesos.agent.store import ContainerRecord, Store, TaskRecord
from dcos_mesos.resources import Resources


class FakeMaster:
    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, Any]]] = []

    async def post(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        self.posts.append((path, body))
        if path == "/internal/agent/register":
            return 200, {
                "agent_id": {"value": "S1"},
                "master_id": "m1",
                "ping_interval_seconds": 15,
            }
        return 202, {}


class NoImages:
    async def get(self, name: str) -> Any:
        raise AssertionError("no image expected")


def new_agent(tmp_path: Path, master: FakeMaster) -> Agent:
    store = Store(tmp_path / "work")
    return Agent(
        store,
        {"default_role": "*"},
        {"hostname": "192.0.2.10", "port": 5051},
        "192.0.2.10",
        Resources.parse("cpus:2;mem:1024"),
        master,
        NoImages(),
        Bundles(tmp_path / "bundles"),
    )


def record(container_id: str, task_id: str, state: str = "TASK_RUNNING") -> ContainerRecord:
    task = TaskRecord(
        info={
            "task_id": {"value": task_id},
            "name": task_id,
            "resources": Resources.parse("cpus:0.1;mem:32").to_v1("*"),
            "command": {"value": "sleep 100"},
        },
        state=state,
        launched=True,
    )
    return ContainerRecord(
        id=container_id,
        framework_id="F1",
        executor_id=task_id,
        kind="command",
        sandbox="/tmp/sandbox",
        executor_info={},
        framework_info={"id": {"value": "F1"}, "name": "fw"},
        tasks={task_id: task},
    )


def test_checkpoint_round_trip(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.set_agent_id("S1")
    store.save("S1", record("c1", "t1"))
    (loaded,) = store.load("S1")
    assert store.agent_id() == "S1"
    assert loaded.tasks["t1"].state == "TASK_RUNNING"
    assert loaded.framework_info["name"] == "fw"


def test_recovery_reports_tasks_that_ended_while_the_agent_was_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def scenario() -> None:
        master = FakeMaster()
        agent = new_agent(tmp_path, master)
        agent.store.set_agent_id("S1")
        agent.agent_id = "S1"
        for cid, tid in (("alive", "t-alive"), ("done", "t-done"), ("gone", "t-gone")):
            agent.store.save("S1", record(cid, tid))
        agent.store.exit_file("S1", "done").write_text(
            json.dumps({"result": "success", "code": "exited", "status": "0", "oom_kill": 0})
        )

        async def unit_active(ids: list[str]) -> dict[str, bool]:
            return {cid: cid == "alive" for cid in ids}

        monkeypatch.setattr(launcher, "unit_active", unit_active)
        await agent.recover()
        states = {t.id: t.state for r in agent.containers.values() for t in r.tasks.values()}
        assert states == {
            "t-alive": "TASK_RUNNING",
            "t-done": "TASK_FINISHED",
            "t-gone": "TASK_FAILED",
        }
        gone = agent.containers["gone"].tasks["t-gone"].statuses[-1]
        assert gone["reason"] == "REASON_EXECUTOR_TERMINATED"
        # Updates wait for registration, then go to the master one per task, in order.
        assert not master.posts
        assert await agent.register()
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        sent = [b["status"]["state"] for p, b in master.posts if p == "/internal/agent/status"]
        assert sorted(sent) == ["TASK_FAILED", "TASK_FINISHED"]
        body = next(b for p, b in master.posts if p == "/internal/agent/register")
        assert {t["task_id"]["value"] for t in body["tasks"]} == {"t-alive", "t-done", "t-gone"}
        # The acknowledgement of the last update lets the agent forget the container.
        done = agent.containers["done"].tasks["t-done"]
        agent.acknowledge("F1", "t-done", done.pending[0]["uuid"])
        assert "done" not in agent.containers
        assert not agent.store.exit_file("S1", "done").exists()
        for timer in agent._retry.values():
            timer.cancel()

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("exit_info", "killing", "expected"),
    [
        ({"code": "exited", "status": "0"}, False, ("TASK_FINISHED", "")),
        (
            {"code": "exited", "status": "3"},
            False,
            ("TASK_FAILED", "REASON_COMMAND_EXECUTOR_FAILED"),
        ),
        ({"code": "killed", "status": "TERM"}, True, ("TASK_KILLED", "")),
        ({}, False, ("TASK_FAILED", "REASON_EXECUTOR_TERMINATED")),
    ],
)
def test_termination_states(
    exit_info: dict[str, Any], killing: bool, expected: tuple[str, str]
) -> None:
    rec = record("c", "t")
    task = rec.tasks["t"]
    task.killing = killing
    state, reason, message, _ = termination(exit_info, task, rec)
    assert (state, reason) == expected
    if killing:
        assert message == "Command terminated with signal Terminated"


def test_files_stay_inside_the_sandboxes(tmp_path: Path) -> None:
    sandbox = tmp_path / "slaves" / "S1" / "frameworks" / "F1" / "executors" / "e" / "runs" / "c"
    sandbox.mkdir(parents=True)
    (sandbox / "stdout").write_text("hello\n")
    real = files.resolve(tmp_path, "S1", str(sandbox / "stdout"))
    assert files.read(real, 0, None) == {"data": "hello\n", "offset": 0}
    assert files.read(real, None, None) == {"data": "", "offset": 6}
    virtual = files.resolve(tmp_path, "S1", "/frameworks/F1/executors/e/runs/c/stdout")
    assert virtual == real
    with pytest.raises(files.FilesError) as err:
        files.resolve(tmp_path, "S1", "/etc/passwd")
    assert err.value.status == 404
    listing = files.browse(sandbox, "/sandbox")
    assert listing[0]["path"] == "/sandbox/stdout" and listing[0]["mode"].startswith("-rw")


def test_systemd_unit_carries_limits_and_exit_hook() -> None:
    spec = launcher.UnitSpec(
        container_id="c1",
        sandbox=Path("/s"),
        argv=["/bin/sh", "-c", "true"],
        resources=Resources.parse("cpus:0.5;mem:64"),
        exit_file=Path("/meta/c1.exit"),
        rlimits=[{"type": "RLMT_NOFILE", "soft": 512, "hard": 1024}],
    )
    argv = launcher.systemd_run_argv(spec)
    assert "--unit=mesos-c1.service" in argv
    assert f"--property=MemoryLimit={64 * 1024 * 1024}" in argv
    assert "--property=CPUQuota=50%" in argv
    assert "--property=LimitNOFILE=512:1024" in argv
    assert any(
        a.startswith("--property=ExecStopPost=+/opt/mesosphere/bin/mesos-container-exited")
        for a in argv
    )
    assert argv[-3:] == ["/bin/sh", "-c", "true"]


def test_command_argv_follows_shell_flag() -> None:
    assert launcher.command_argv({"value": "echo hi"}) == ["/bin/sh", "-c", "echo hi"]
    assert launcher.command_argv(
        {"shell": False, "value": "/bin/echo", "arguments": ["echo", "hi"]}
    ) == ["/bin/echo", "hi"]


def test_signal_names_are_strsignals() -> None:
    assert core.signal_name("KILL") == "Killed"


def test_kill_reports_task_killing_to_frameworks_that_ask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def scenario() -> None:
        agent = new_agent(tmp_path, FakeMaster())
        agent.agent_id = "S1"
        stopped: list[str] = []

        async def stop_unit(container_id: str) -> None:
            stopped.append(container_id)

        monkeypatch.setattr(launcher, "stop_unit", stop_unit)
        for cid, capabilities in (("c1", [{"type": "TASK_KILLING_STATE"}]), ("c2", [])):
            rec = record(cid, f"t-{cid}")
            rec.framework_id = f"F-{cid}"
            rec.framework_info = {"id": {"value": rec.framework_id}, "capabilities": capabilities}
            agent.containers[cid] = rec
            await agent.kill_task(rec.framework_id, f"t-{cid}")
        assert stopped == ["c1", "c2"]
        assert [s["state"] for s in agent.containers["c1"].tasks["t-c1"].statuses] == [
            "TASK_KILLING"
        ]
        assert agent.containers["c2"].tasks["t-c2"].statuses == []
        for timer in agent._retry.values():
            timer.cancel()

    asyncio.run(scenario())


def test_a_lost_exit_notice_is_caught_by_the_unit_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def scenario() -> None:
        agent = new_agent(tmp_path, FakeMaster())
        agent.agent_id = "S1"
        rec = record("c1", "t1")
        rec.tasks["t1"].unit = "mesos-c1.service"
        agent.containers["c1"] = rec
        agent.exit_file("c1").parent.mkdir(parents=True, exist_ok=True)
        agent.exit_file("c1").write_text(json.dumps({"code": "exited", "status": "0"}))

        async def unit_active(ids: list[str]) -> dict[str, bool]:
            return dict.fromkeys(ids, False)

        monkeypatch.setattr(launcher, "unit_active", unit_active)
        await agent.check_units()
        assert rec.tasks["t1"].state == "TASK_FINISHED"
        for timer in agent._retry.values():
            timer.cancel()

    asyncio.run(scenario())
