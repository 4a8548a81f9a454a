"""The agent: checkpoints, recovery after a restart, reliable status updates, /files."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from dcos_mesos.agent import core, files, launcher
from dcos_mesos.agent.core import Agent, termination
from dcos_mesos.agent.provisioner import Bundles, Image
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
    address = "registry.invalid:5000"

    async def get(self, name: str, cached: bool = True) -> Any:
        raise AssertionError("no image expected")

    async def holds(self, name: str) -> bool | None:
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


# -- task groups: a failed launch and kills while the group is being launched ---------


class GatedImages:
    """An image source whose pulls wait for `release`, then fail (the image is missing)."""

    address = "registry.test:5000"

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.asked = asyncio.Event()

    async def get(self, name: str, cached: bool = True) -> Image:
        self.asked.set()
        await self.release.wait()
        raise launcher.LaunchError(f"Failed to launch container: no image '{name}'")

    async def holds(self, name: str) -> bool | None:
        return None


class RecordingBundles:
    def __init__(self) -> None:
        self.destroyed: list[str] = []

    async def create(self, container_id: str, *args: Any, **kwargs: Any) -> Path:
        raise AssertionError("no bundle expected: the image never arrives")

    async def destroy(self, container_id: str) -> None:
        self.destroyed.append(container_id)


class FakeUnits:
    """systemd as the agent sees it: units start; a stop makes the unit exit (the exit hook)."""

    def __init__(self, agent: Agent, monkeypatch: pytest.MonkeyPatch) -> None:
        self.agent = agent
        self.started: list[str] = []
        self.stopped: list[str] = []
        monkeypatch.setattr(launcher, "start_unit", self.start_unit)
        monkeypatch.setattr(launcher, "stop_unit", self.stop_unit)

    async def start_unit(self, spec: launcher.UnitSpec) -> None:
        self.started.append(spec.container_id)

    async def stop_unit(self, container_id: str) -> None:
        self.stopped.append(container_id)
        exit_file = self.agent.exit_file(container_id)
        exit_file.parent.mkdir(parents=True, exist_ok=True)
        exit_file.write_text(json.dumps({"code": "killed", "status": "TERM"}))
        self.agent.spawn(self.agent.container_exited(container_id))


def group_body(image: str = "minidcos-test/missing:1") -> dict[str, Any]:
    """A group of two: `server` on the host's filesystem, `client` in `image`."""

    def task(name: str, container: dict[str, Any] | None = None) -> dict[str, Any]:
        info: dict[str, Any] = {
            "name": name,
            "task_id": {"value": f"pod.instance-1.{name}"},
            "resources": Resources.parse("cpus:0.1;mem:32").to_v1("*"),
            "command": {"value": "sleep 100"},
        }
        if container:
            info["container"] = container
        return info

    client = task(
        "client",
        {"type": "MESOS", "mesos": {"image": {"type": "DOCKER", "docker": {"name": image}}}},
    )
    return {
        "framework_info": {
            "id": {"value": "F1"},
            "name": "marathon",
            "capabilities": [{"type": "TASK_KILLING_STATE"}],
        },
        "executor": {"executor_id": {"value": "instance-1"}, "type": "DEFAULT"},
        "task_group": {"tasks": [task("server"), client]},
    }


def group_agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Agent, GatedImages]:
    agent = new_agent(tmp_path, FakeMaster())
    agent.agent_id = "S1"
    images = GatedImages()
    agent.images = images
    agent.bundles = RecordingBundles()  # type: ignore[assignment]
    return agent, images


def states(agent: Agent) -> dict[str, list[tuple[str, str]]]:
    (record,) = [r for r in agent.containers.values() if r.kind == "group"]
    return {
        task.info["name"]: [(s["state"], s.get("reason", "")) for s in task.statuses]
        for task in record.tasks.values()
    }


async def until(probe: Any, what: str) -> None:
    for _ in range(200):
        if probe():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_group_whose_launch_fails_on_one_task_fails_every_task(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server's container runs when the client's image turns out missing: both end."""

    async def scenario() -> None:
        agent, images = group_agent(tmp_path, monkeypatch)
        units = FakeUnits(agent, monkeypatch)
        launch = asyncio.ensure_future(agent.run_task(group_body()))
        await images.asked.wait()
        assert len(units.started) == 1  # the server runs; the client waits for its image
        images.release.set()
        await launch
        executor_ended = ("TASK_FAILED", "REASON_EXECUTOR_TERMINATED")
        await until(lambda: states(agent)["server"] == [executor_ended], "the server's end")
        assert states(agent) == {"server": [executor_ended], "client": [executor_ended]}
        assert units.stopped == units.started  # the running container was stopped
        (record,) = agent.containers.values()
        for task in record.tasks.values():
            message = task.statuses[-1]["message"]
            assert message.startswith(
                "Abnormal executor termination: failed to launch task pod.instance-1.client: "
            )
            assert "no image 'minidcos-test/missing:1'" in message
            assert task.statuses[-1]["source"] == "SOURCE_AGENT"
        for timer in agent._retry.values():
            timer.cancel()

    asyncio.run(scenario())


def test_kill_ends_a_staging_group_while_a_sibling_still_waits_for_its_image(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def scenario() -> None:
        agent, images = group_agent(tmp_path, monkeypatch)
        units = FakeUnits(agent, monkeypatch)
        launch = asyncio.ensure_future(agent.run_task(group_body()))
        await images.asked.wait()
        await agent.kill_task("F1", "pod.instance-1.server")  # both still TASK_STAGING
        await until(
            lambda: all(s and s[-1][0] == "TASK_KILLED" for s in states(agent).values()),
            "both tasks killed",
        )
        assert [s[0] for s in states(agent)["server"]] == ["TASK_KILLED"]  # never RUNNING
        images.release.set()  # the pull ends (failing) after the kill: nothing more happens
        await launch
        assert [s[0] for s in states(agent)["client"]] == ["TASK_KILLED"]
        assert len(units.started) == 1
        for timer in agent._retry.values():
            timer.cancel()

    asyncio.run(scenario())


def test_a_repeated_kill_ends_a_task_whose_exit_waited_for_its_launch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server exited before its group finished launching: a KILL reports it at once."""

    async def scenario() -> None:
        agent, images = group_agent(tmp_path, monkeypatch)
        FakeUnits(agent, monkeypatch)
        launch = asyncio.ensure_future(agent.run_task(group_body()))
        await images.asked.wait()
        (record,) = agent.containers.values()
        server = next(t for t in record.tasks.values() if t.info["name"] == "server")
        await agent.container_exited(server.container_id)  # it crashed meanwhile
        assert server.exited and not server.statuses  # its report waits for the launch
        await agent.kill_task("F1", "pod.instance-1.client")
        await until(lambda: server.terminal, "the server reported")
        assert not [s for s in server.statuses if s["state"] == "TASK_RUNNING"]
        images.release.set()
        await launch
        assert all(t.terminal for t in record.tasks.values())
        for timer in agent._retry.values():
            timer.cancel()

    asyncio.run(scenario())


def test_relative_volume_mounts_are_bind_mounted_for_containers_with_an_image(
    tmp_path: Path,
) -> None:
    agent = new_agent(tmp_path, FakeMaster())
    executor_sandbox = tmp_path / "executor"
    volume = {
        "container_path": "shared",
        "mode": "RW",
        "source": {"type": "SANDBOX_PATH", "sandbox_path": {"type": "PARENT", "path": "shared"}},
    }
    image = {"type": "DOCKER", "docker": {"name": "minidcos/python3"}}
    with_image = {"type": "MESOS", "mesos": {"image": image}, "volumes": [volume]}
    on_host = {"type": "MESOS", "volumes": [volume]}
    source = str(executor_sandbox / "shared")

    in_image = tmp_path / "in-image"
    mounts = agent._volumes(with_image, in_image, executor_sandbox)
    assert mounts == [(source, "/mnt/mesos/sandbox/shared", False)]
    # A directory to mount on, inside the sandbox crun mounts at /mnt/mesos/sandbox: no link
    # to a host path that would not resolve in the container's root.
    assert (in_image / "shared").is_dir() and not (in_image / "shared").is_symlink()

    host = tmp_path / "on-host"
    assert agent._volumes(on_host, host, executor_sandbox) == mounts
    assert (host / "shared").is_symlink() and str((host / "shared").readlink()) == source
