"""Offers to tasks: resources, placement constraints, the TaskInfo and the launch queue."""

from __future__ import annotations

import asyncio
from typing import Any

from dcos_metronome import model, tasks
from dcos_metronome.framework import Framework
from dcos_metronome.service import JobService
from dcos_metronome.store import MemoryStore
from metronome_harness import job


def offer(
    offer_id: str, cpus: float, mem: float, hostname: str = "198.51.100.7", **attrs: str
) -> dict[str, Any]:
    return {
        "id": {"value": offer_id},
        "agent_id": {"value": f"agent-{offer_id}"},
        "hostname": hostname,
        "resources": [
            {"name": "cpus", "type": "SCALAR", "scalar": {"value": cpus}, "role": "*"},
            {"name": "mem", "type": "SCALAR", "scalar": {"value": mem}, "role": "*"},
            {"name": "disk", "type": "SCALAR", "scalar": {"value": 1000}, "role": "*"},
            {"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": 1, "end": 2}]}},
        ],
        "attributes": [{"name": k, "type": "TEXT", "text": {"value": v}} for k, v in attrs.items()],
    }


def a_run(job_id: str = "prod.backup", **run: Any) -> model.JobRun:
    spec = model.read_job(job(job_id, **run))
    return model.JobRun("20240101000000aB3dE", spec, model.STARTING, model.now())


def test_constraints() -> None:
    o = offer("o1", 1, 128, hostname="198.51.100.7", rack="r1")
    allows = tasks.placement_allows
    assert allows([{"attribute": "hostname", "operator": "EQ", "value": "198.51.100.7"}], o)
    assert not allows([{"attribute": "hostname", "operator": "EQ", "value": "198.51.100.8"}], o)
    assert allows([{"attribute": "rack", "operator": "LIKE", "value": "r[0-9]"}], o)
    assert not allows([{"attribute": "rack", "operator": "LIKE", "value": "r"}], o)  # whole value
    assert allows([{"attribute": "rack", "operator": "UNLIKE", "value": "r2"}], o)
    assert allows([{"attribute": "zone", "operator": "UNLIKE", "value": "x"}], o)
    assert not allows([{"attribute": "zone", "operator": "EQ", "value": "x"}], o)


def test_task_info_of_a_command_run() -> None:
    run = a_run(cmd="echo hi", env={"A": "1"}, user="nobody", taskKillGracePeriodSeconds=3)
    run.job.labels = {"team": "ops"}
    space = tasks.OfferSpace.of(offer("o1", 1, 128))
    assert space.fits(run)
    info = space.take(run)
    assert info["name"] == "20240101000000aB3dE.backup.prod"
    assert info["task_id"]["value"].startswith("prod_backup_20240101000000aB3dE.")
    assert info["agent_id"] == {"value": "agent-o1"}
    assert {r["name"]: r["scalar"]["value"] for r in info["resources"]} == {
        "cpus": 0.1,
        "mem": 32.0,
    }
    assert all(r["role"] == "*" for r in info["resources"])
    command = info["command"]
    assert command["shell"] is True and command["value"] == "echo hi"
    assert command["user"] == "nobody"
    env = {v["name"]: v["value"] for v in command["environment"]["variables"]}
    assert env["A"] == "1" and env["MARATHON_APP_ID"] == "/prod/backup/20240101000000aB3dE"
    assert env["MESOS_TASK_ID"] == info["task_id"]["value"]
    assert env["MARATHON_APP_LABEL_TEAM"] == "ops"
    assert info["labels"] == {"labels": [{"key": "team", "value": "ops"}]}
    assert info["kill_policy"] == {"grace_period": {"nanoseconds": 3_000_000_000}}
    assert "container" not in info
    assert space.free["cpus"] == 0.9


def test_task_info_of_a_docker_run_with_args() -> None:
    run = a_run(
        docker={"image": "python3", "forcePullImage": True},
        volumes=[{"containerPath": "/opt/mesosphere", "hostPath": "/opt/mesosphere", "mode": "RO"}],
        artifacts=[{"uri": "http://198.51.100.9/x.tgz", "executable": True}],
    )
    del run.job.run["cmd"]
    run.job.run["args"] = ["--flag"]
    info = tasks.OfferSpace.of(offer("o1", 1, 128)).take(run)
    assert info["container"] == {
        "type": "DOCKER",
        "docker": {"image": "python3", "network": "HOST", "force_pull_image": True},
        "volumes": [
            {"container_path": "/opt/mesosphere", "host_path": "/opt/mesosphere", "mode": "RO"}
        ],
    }
    assert info["command"]["shell"] is False and info["command"]["arguments"] == ["--flag"]
    assert "value" not in info["command"]
    assert info["command"]["uris"] == [
        {"value": "http://198.51.100.9/x.tgz", "executable": True, "extract": True, "cache": False}
    ]


class RecordingDriver:
    subscribed = True

    def __init__(self) -> None:
        self.launched: list[tuple[str, list[dict[str, Any]]]] = []
        self.declined: list[tuple[list[str], float | None]] = []
        self.suppressed = 0
        self.revived = 0
        self.reconciled: list[list[tuple[str, str | None]]] = []
        self.killed: list[str] = []

    async def launch(self, offer_ids: list[dict[str, str]], infos: list[dict[str, Any]]) -> None:
        self.launched.append((offer_ids[0]["value"], infos))

    async def decline(
        self, offer_ids: list[dict[str, str]], refuse_seconds: float | None = None
    ) -> None:
        self.declined.append(([o["value"] for o in offer_ids], refuse_seconds))

    async def suppress(self) -> None:
        self.suppressed += 1

    async def revive(self) -> None:
        self.revived += 1

    async def reconcile(self, tasks: list[tuple[str, str | None]]) -> None:
        self.reconciled.append(tasks)

    async def kill(self, task_id: str, agent_id: str | None = None) -> None:
        self.killed.append(task_id)


def test_offers_launch_queued_runs_first_come_first_served() -> None:
    async def scenario() -> None:
        framework = Framework()
        service = JobService(MemoryStore(), framework)
        framework.service = service
        driver = RecordingDriver()
        framework.driver = driver  # type: ignore[assignment]
        await service.create_job(model.read_job(job("small")))
        await service.create_job(model.read_job(job("big", cpus=2)))
        pinned = job("pinned")
        pinned["run"]["placement"] = {
            "constraints": [{"attribute": "hostname", "operator": "EQ", "value": "198.51.100.9"}]
        }
        await service.create_job(model.read_job(pinned))
        small = await service.start_run(service.jobs["small"])
        await service.start_run(service.jobs["big"])
        await service.start_run(service.jobs["pinned"])
        await framework.offers(driver, [offer("o1", 1, 256), offer("o2", 0.05, 256)])  # type: ignore[arg-type]
        assert [(o, [i["name"] for i in infos]) for o, infos in driver.launched] == [
            ("o1", [f"{small.id}.small"])
        ]
        assert driver.declined == [(["o2"], 5.0)]  # runs still queued: offers come back soon
        assert sorted(k[0] for k in framework.queue) == ["big", "pinned"]
        assert service.runs.live_tasks  # the launched task is tracked for kills
        await framework.offers(driver, [offer("o3", 4, 512, hostname="198.51.100.9")])  # type: ignore[arg-type]
        assert [o for o, _ in driver.launched] == ["o1", "o3"]
        assert [len(infos) for _, infos in driver.launched] == [1, 2]  # both fit on o3
        assert not framework.queue
        await framework.offers(driver, [offer("o4", 1, 128)])  # type: ignore[arg-type]
        assert driver.declined[-1] == (["o4"], 120.0) and driver.suppressed == 1
        await service.start_run(service.jobs["small"])
        await asyncio.sleep(0)
        assert driver.revived == 1
        service.close()

    asyncio.run(scenario())


def test_a_subscription_says_whether_offers_are_wanted_and_reconciles() -> None:
    """A master may keep a failed-over framework suppressed: every subscription says."""

    async def scenario() -> None:
        framework = Framework()
        service = JobService(MemoryStore(), framework)
        framework.service = service
        driver = RecordingDriver()
        await framework.subscribed(driver, "fw-1", "master")  # type: ignore[arg-type]
        assert (driver.suppressed, driver.revived) == (1, 0)
        assert driver.reconciled == [[]]  # nothing known alive: implicit reconciliation only
        assert service.framework_id == "fw-1"
        await service.create_job(model.read_job(job("later")))
        run = await service.start_run(service.jobs["later"])
        await asyncio.sleep(0)
        assert driver.revived == 1  # a queued run wants offers again
        service.runs.task_launched(service.runs.active[("later", run.id)], "later_x.1", "a1")
        await framework.subscribed(driver, "fw-1", "master")  # type: ignore[arg-type]
        assert driver.reconciled[-2:] == [[("later_x.1", "a1")], []]
        framework.kill("later_x.1", "a1")
        await asyncio.sleep(0)
        assert driver.killed == ["later_x.1"]
        killed = {"task_id": {"value": "later_x.1"}, "state": "TASK_KILLED"}
        await framework.update(driver, killed)  # type: ignore[arg-type]
        assert not framework._killing
        service.close()

    asyncio.run(scenario())
