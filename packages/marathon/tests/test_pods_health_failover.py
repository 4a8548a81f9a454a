"""Pods, health checks, groups and failover against a fake Mesos master."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web
from dcos_internal_utils import aio
from dcos_marathon.store import MemoryStore
from fake_mesos import FakeAgent, FakeMaster
from harness import default_agents, harness, run

POD = {
    "id": "/pod",
    "containers": [
        {
            "name": "web",
            "resources": {"cpus": 0.1, "mem": 32},
            "exec": {"command": {"shell": "python3 -m http.server $ENDPOINT_HTTP"}},
            "endpoints": [{"name": "http", "protocol": ["tcp"]}],
            "volumeMounts": [{"name": "shared", "mountPath": "/shared"}],
        },
        {
            "name": "sidecar",
            "resources": {"cpus": 0.1, "mem": 32},
            "image": {"kind": "DOCKER", "id": "busybox"},
            "exec": {"command": {"shell": "sleep 1000"}},
            "volumeMounts": [{"name": "shared", "mountPath": "/shared"}],
        },
    ],
    "volumes": [{"name": "shared"}],
}


def test_pod_launches_as_a_task_group_and_scales() -> None:
    async def scenario() -> None:
        async with harness() as h:
            status, body, headers = await h.request("POST", "/v2/pods", POD)
            assert status == 201, body
            assert body["scaling"] == {"kind": "fixed", "instances": 1}
            assert body["executorResources"] == {"cpus": 0.1, "mem": 32, "disk": 10}
            await h.deployments_done()
            state = await h.get("/v2/pods/pod::status")
            assert state["status"] == "STABLE" and len(state["instances"]) == 1
            instance = state["instances"][0]
            assert instance["id"].startswith("pod.instance-")
            assert {c["name"] for c in instance["containers"]} == {"web", "sidecar"}
            group = next(
                op["launch_group"]
                for c in h.master.calls_of("ACCEPT")
                for op in c["accept"]["operations"]
                if op["type"] == "LAUNCH_GROUP"
            )
            assert group["executor"]["type"] == "DEFAULT"
            assert group["executor"]["executor_id"]["value"] == "instance-" + instance[
                "id"
            ].replace(".instance-", ".")
            tasks = {t["name"]: t for t in group["task_group"]["tasks"]}
            assert tasks["web"]["task_id"]["value"] == instance["id"] + ".web"
            assert tasks["sidecar"]["container"]["mesos"]["image"]["docker"]["name"] == "busybox"
            volume = tasks["web"]["container"]["volumes"][0]
            assert volume["source"]["sandbox_path"] == {"type": "PARENT", "path": "volumes/shared"}
            assert (
                group["executor"]["container"]["volumes"][0]["source"]["sandbox_path"]["type"]
                == "SELF"
            )
            env = {
                v["name"]: v["value"] for v in tasks["web"]["command"]["environment"]["variables"]
            }
            assert env["ENDPOINT_HTTP"] == env["EP_HOST_HTTP"]
            assert tasks["web"]["discovery"]["ports"]["ports"][0]["number"] == int(
                env["ENDPOINT_HTTP"]
            )
            status, _, _ = await h.request(
                "PUT", "/v2/pods/pod", {**POD, "scaling": {"kind": "fixed", "instances": 2}}
            )
            assert status == 200
            await h.deployments_done()
            state = await h.get("/v2/pods/pod::status")
            assert state["status"] == "STABLE" and len(state["instances"]) == 2
            assert [p["id"] for p in await h.get("/v2/pods")] == ["/pod"]
            status, _, headers = await h.request("DELETE", "/v2/pods/pod")
            assert status == 202 and headers["Marathon-Deployment-Id"]
            await h.deployments_done()
            assert await h.get("/v2/pods") == []
            status, body, _ = await h.request("GET", "/v2/pods/pod::status")
            assert (status, body) == (404, {"message": "Pod '/pod' does not exist"})

    run(scenario)


def test_mesos_health_gates_the_deployment() -> None:
    async def scenario() -> None:
        async with harness() as h:
            h.master.healthy = False
            app = {
                "id": "/checked",
                "cmd": "sleep 1",
                "cpus": 0.1,
                "mem": 16,
                "healthChecks": [{"protocol": "MESOS_HTTP", "path": "/"}],
            }
            status, _, _ = await h.request("POST", "/v2/apps", app)
            assert status == 201
            await h.until(lambda: h.master.tasks, what="a launched task")
            info = next(iter(h.master.tasks.values()))["info"]
            assert (
                info["health_check"]["type"] == "HTTP"
                and info["health_check"]["http"]["path"] == "/"
            )
            await asyncio.sleep(0.3)
            assert await h.get("/v2/deployments"), "the deployment waits for health"
            app_state = await h.app("/checked")
            assert app_state["tasksUnhealthy"] == 1 and app_state["tasksHealthy"] == 0
            task_id = next(iter(h.master.tasks))
            await h.master.status(task_id, "TASK_RUNNING", healthy=True)
            await h.deployments_done()
            assert (await h.app("/checked"))["tasksHealthy"] == 1

    run(scenario)


def test_marathon_http_health_check_kills_an_unhealthy_task() -> None:
    async def scenario() -> None:
        verdict = {"status": 200}

        async def health(request: web.Request) -> web.Response:
            return web.Response(status=verdict["status"])

        server = web.Application()
        server.router.add_get("/health", health)
        runner = await aio.serve(server, tcp=[("127.0.0.1", 0)])
        port = int(next(iter(runner.sites)).name.rsplit(":", 1)[1])
        agents = [FakeAgent("agent-1", "127.0.0.1", ports=(port, port))]
        try:
            async with harness(agents) as h:
                app = {
                    "id": "/web",
                    "cmd": "serve",
                    "cpus": 0.1,
                    "mem": 16,
                    "backoffSeconds": 0,
                    "healthChecks": [
                        {
                            "protocol": "HTTP",
                            "path": "/health",
                            "intervalSeconds": 1,
                            "gracePeriodSeconds": 0,
                            "maxConsecutiveFailures": 2,
                            "timeoutSeconds": 1,
                        }
                    ],
                }
                status, _, _ = await h.request("POST", "/v2/apps", app)
                assert status == 201
                await h.deployments_done(timeout=15)
                first = await h.app("/web")
                assert first["tasksHealthy"] == 1
                assert first["tasks"][0]["healthCheckResults"][0]["alive"] is True
                events = h.core.events.subscribe()
                verdict["status"] = 500

                async def replaced() -> bool:
                    tasks = (await h.app("/web"))["tasks"]
                    return bool(tasks) and tasks[0]["id"] != first["tasks"][0]["id"]

                verdict_task = asyncio.create_task(
                    h.until(replaced, timeout=15, what="a replaced task")
                )
                await asyncio.sleep(2.5)
                verdict["status"] = 200
                await verdict_task
                seen = set()
                while not events.empty():
                    frame = events.get_nowait()
                    if frame:
                        seen.add(frame[0])
                assert {
                    "failed_health_check_event",
                    "unhealthy_instance_kill_event",
                    "health_status_changed_event",
                } <= seen
        finally:
            await runner.cleanup()

    run(scenario)


def test_groups_nest_apps_and_delete_cleanly() -> None:
    async def scenario() -> None:
        async with harness() as h:
            group = {
                "id": "/prod",
                "apps": [{"id": "db", "cmd": "sleep 1", "cpus": 0.1, "mem": 16}],
                "groups": [
                    {
                        "id": "/prod/web",
                        "apps": [
                            {
                                "id": "/prod/web/front",
                                "cmd": "sleep 1",
                                "cpus": 0.1,
                                "mem": 16,
                                "dependencies": ["/prod/db"],
                            }
                        ],
                    }
                ],
            }
            status, body, _ = await h.request("POST", "/v2/groups", group)
            assert status == 201, body
            await h.deployments_done()
            root = await h.get("/v2/groups")
            prod = root["groups"][0]
            assert prod["id"] == "/prod" and prod["apps"][0]["id"] == "/prod/db"
            assert prod["groups"][0]["apps"][0]["dependencies"] == ["/prod/db"]
            assert (await h.app("/prod/web/front"))["tasksRunning"] == 1
            status, body, _ = await h.request("POST", "/v2/groups", group)
            assert status == 409
            status, _, _ = await h.request("PUT", "/v2/groups/prod", {"scaleBy": 2})
            assert status == 200
            await h.deployments_done()
            assert (await h.app("/prod/db"))["instances"] == 2
            status, _, _ = await h.request("DELETE", "/v2/groups/prod", force=True)
            assert status == 200
            await h.deployments_done()
            assert (await h.get("/v2/groups"))["groups"] == []
            assert (await h.get("/v2/apps"))["apps"] == []

    run(scenario)


def test_a_new_leader_keeps_apps_and_tasks() -> None:
    async def scenario() -> None:
        store = MemoryStore()
        master = FakeMaster(default_agents())
        await master.start()
        try:
            async with harness(store=store, master=master) as h:
                status, _, _ = await h.request(
                    "POST",
                    "/v2/apps",
                    {"id": "/keep", "cmd": "sleep 1", "cpus": 0.1, "mem": 16, "instances": 2},
                )
                assert status == 201
                await h.deployments_done()
                before = {t["id"] for t in (await h.app("/keep"))["tasks"]}
                framework = h.core.driver.framework_id
            master.calls.clear()
            await master.drop_stream()
            async with harness(store=store, master=master) as h:

                async def all_running() -> bool:
                    app = await h.app("/keep")
                    return app["tasksRunning"] == 2 and {t["id"] for t in app["tasks"]} == before

                await h.until(all_running, what="the same two tasks running")
                subscribe = master.calls_of("SUBSCRIBE")[0]
                assert subscribe["subscribe"]["framework_info"]["id"]["value"] == framework
                reconciled = {
                    t["task_id"]["value"]
                    for c in master.calls_of("RECONCILE")
                    for t in c["reconcile"]["tasks"]
                }
                assert reconciled == before
                await master.drop_stream()
                await h.until(
                    lambda: master.subscribed.is_set() and h.core.driver.subscribed,
                    what="subscribed again",
                )
                assert {t["id"] for t in (await h.app("/keep"))["tasks"]} == before
                info = await h.get("/v2/info")
                assert (
                    info["name"] == "marathon"
                    and info["frameworkId"] == framework
                    and info["elected"]
                )
        finally:
            await master.stop()

    run(scenario)


def test_event_stream_shows_deployments_and_status_updates() -> None:
    async def scenario() -> None:
        async with harness() as h:
            seen: list[str] = []

            async def listen() -> None:
                async with h.session.get(
                    h.url + "/v2/events", headers={"Accept": "text/event-stream"}
                ) as response:
                    assert response.headers["Content-Type"].startswith("text/event-stream")
                    async for line in response.content:
                        text = line.decode().strip()
                        if text.startswith("event: "):
                            seen.append(text[len("event: ") :])
                        if "deployment_success" in seen:
                            return

            listener = asyncio.create_task(listen())
            await h.until(lambda: "event_stream_attached" in seen, what="attached")
            status, _, _ = await h.request(
                "POST", "/v2/apps", {"id": "/ev", "cmd": "sleep 1", "cpus": 0.1, "mem": 16}
            )
            assert status == 201
            await asyncio.wait_for(listener, 10)
            for expected in (
                "api_post_event",
                "group_change_success",
                "deployment_info",
                "status_update_event",
                "deployment_step_success",
                "deployment_success",
            ):
                assert expected in seen, (expected, seen)

    run(scenario)


class GatedStore(MemoryStore):
    """Instance writes wait while the gate is closed (a slow ZooKeeper)."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.gate.set()
        self.waiting = 0

    async def put(self, path: str, document: Any) -> None:
        if path.startswith("instances/") and not self.gate.is_set():
            self.waiting += 1
            await self.gate.wait()
        await super().put(path, document)


def test_a_status_update_is_acknowledged_only_once_it_is_in_the_store() -> None:
    async def scenario() -> None:
        store = GatedStore()
        master = FakeMaster(default_agents())
        master.auto_run = False  # TASK_STARTING only; the test sends TASK_RUNNING
        await master.start()
        try:
            async with harness(store=store, master=master) as h:
                app = {"id": "/acked", "cmd": "sleep 1000", "cpus": 0.1, "mem": 16}
                status, body, _ = await h.request("POST", "/v2/apps", app)
                assert status == 201, body
                await h.until(lambda: len(master.calls_of("ACKNOWLEDGE")) == 1, what="STARTING")
                (task_id,) = master.tasks
                store.gate.clear()
                running = await master.status(task_id, "TASK_RUNNING")

                async def applied() -> bool:
                    return bool((await h.app("/acked"))["tasksRunning"] == 1 and store.waiting)

                await h.until(applied, what="TASK_RUNNING applied, its write waiting")
                await asyncio.sleep(0.2)
                assert len(master.calls_of("ACKNOWLEDGE")) == 1  # not before it is stored
                store.gate.set()
                await h.until(lambda: len(master.calls_of("ACKNOWLEDGE")) == 2, what="the ack")
                assert master.calls_of("ACKNOWLEDGE")[-1]["acknowledge"] == {
                    "agent_id": running["agent_id"],
                    "task_id": {"value": task_id},
                    "uuid": running["uuid"],
                }
                (key,) = [k for k in store.documents if k.startswith("instances/")]
                stored = json.loads(store.documents[key])
                assert [t["state"] for t in stored["tasks"]] == ["TASK_RUNNING"]
        finally:
            await master.stop()

    run(scenario)


def test_a_removed_framework_forgets_its_id_and_ends_marathon() -> None:
    """Marathon 1.5's error(): "Framework has been removed" drops the stored id, then suicide."""

    async def scenario() -> None:
        store = MemoryStore()
        async with harness(store=store) as h:
            await h.until(lambda: store.get("framework-id"), what="the framework id stored")
            assert await store.get("framework-id") == {"value": h.master.framework_id}
            ended = asyncio.Event()
            h.core.on_fatal = ended.set
            await h.master.send(
                {"type": "ERROR", "error": {"message": "Framework has been removed"}}
            )
            await asyncio.wait_for(ended.wait(), 5)
            assert await store.get("framework-id") is None
            assert h.core.driver.framework_id is None

    run(scenario)
