"""The rest of the REST API against the fake master: replacement, rollback, cancelling,
the queue's backoff, readiness checks, selectors and pod instances."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from dcos_internal_utils import aio
from fake_mesos import FakeAgent
from harness import harness, run

APP = {
    "id": "/a",
    "cmd": "sleep 1000",
    "cpus": 0.1,
    "mem": 16,
    "env": {"KEEP": "1"},
    "labels": {"tier": "web"},
}


def test_put_replaces_unless_partial_and_versions_roll_back() -> None:
    async def scenario() -> None:
        async with harness() as h:
            assert (await h.request("POST", "/v2/apps", APP))[0] == 201
            await h.deployments_done()
            first = (await h.app("/a"))["version"]
            status, _, _ = await h.request("PUT", "/v2/apps/a", {"cmd": "sleep 2000"})
            assert status == 200
            await h.deployments_done()
            assert (await h.app("/a"))["env"] == {"KEEP": "1"}
            status, _, _ = await h.request(
                "PUT", "/v2/apps/a", {"cmd": "sleep 3000"}, partialUpdate=False
            )
            assert status == 200
            await h.deployments_done()
            replaced = await h.app("/a")
            assert (
                "env" not in replaced
                and replaced["labels"] == {}
                and replaced["cmd"] == "sleep 3000"
            )
            versions = (await h.get("/v2/apps/a/versions"))["versions"]
            assert len(versions) == 3 and versions[-1] == first
            old = await h.get(f"/v2/apps/a/versions/{first}")
            assert old["cmd"] == "sleep 1000"
            status, _, _ = await h.request("PUT", "/v2/apps/a", {"version": first})
            assert status == 200
            await h.deployments_done()
            rolled = await h.app("/a")
            assert rolled["cmd"] == "sleep 1000" and rolled["env"] == {"KEEP": "1"}
            assert all(t["version"] == rolled["version"] for t in rolled["tasks"])
            status, body, _ = await h.request("PUT", "/v2/apps/new", {"cmd": "sleep 5"})
            assert status == 201 and body["deploymentId"]
            status, body, _ = await h.request("PATCH", "/v2/apps/missing", {"cmd": "sleep 5"})
            assert (status, body) == (404, {"message": "App '/missing' does not exist"})

    run(scenario)


def test_cancelling_a_deployment_rolls_back_or_just_stops() -> None:
    async def scenario() -> None:
        async with harness() as h:
            h.master.auto_run = False  # tasks never run: deployments stay open
            status, _, headers = await h.request("POST", "/v2/apps", APP)
            deployment = headers["Marathon-Deployment-Id"]
            status, body, _ = await h.request("DELETE", f"/v2/deployments/{deployment}")
            assert status == 200 and body["deploymentId"] != deployment
            await h.deployments_done()
            status, _, _ = await h.request("GET", "/v2/apps/a")
            assert status == 404, "rolling back a creation removes the app"
            status, _, headers = await h.request("POST", "/v2/apps", APP)
            deployment = headers["Marathon-Deployment-Id"]
            status, body, _ = await h.request("DELETE", f"/v2/deployments/{deployment}", force=True)
            assert status == 202 and await h.get("/v2/deployments") == []
            assert (await h.app("/a"))["instances"] == 1, "a forced cancel keeps the new definition"
            status, body, _ = await h.request("DELETE", "/v2/deployments/nope")
            assert (status, body) == (404, {"message": "DeploymentPlan nope does not exist"})

    run(scenario)


def test_failures_back_off_and_the_delay_resets() -> None:
    async def scenario() -> None:
        async with harness() as h:
            flaky = {**APP, "id": "/flaky", "backoffSeconds": 60}
            assert (await h.request("POST", "/v2/apps", flaky))[0] == 201
            await h.until(lambda: h.master.tasks, what="a launch")
            task_id = next(iter(h.master.tasks))
            await h.master.status(task_id, "TASK_FAILED", message="boom")

            async def delayed() -> object:
                queue = (await h.get("/v2/queue"))["queue"]
                return queue and queue[0]["delay"]["timeLeftSeconds"] > 50 and queue

            queue = await h.until(delayed, what="a backoff in the queue")
            assert queue[0]["count"] == 1 and queue[0]["delay"]["overdue"] is False
            status, _, _ = await h.request("DELETE", "/v2/queue/flaky/delay")
            assert status == 204

            async def relaunched() -> bool:
                return len(h.master.tasks) == 2

            await h.until(relaunched, what="a launch right after the reset")
            status, body, _ = await h.request("DELETE", "/v2/queue/other/delay")
            assert (status, body) == (
                404,
                {"message": "Application /other not found in tasks queue."},
            )

    run(scenario)


def test_readiness_checks_hold_the_deployment_until_ready() -> None:
    async def scenario() -> None:
        ready = asyncio.Event()

        async def readiness(request: web.Request) -> web.Response:
            return web.Response(status=200 if ready.is_set() else 503)

        server = web.Application()
        server.router.add_get("/ready", readiness)
        runner = await aio.serve(server, tcp=[("127.0.0.1", 0)])
        port = int(next(iter(runner.sites)).name.rsplit(":", 1)[1])
        try:
            async with harness([FakeAgent("agent-1", "127.0.0.1", ports=(port, port))]) as h:
                app = {
                    **APP,
                    "portDefinitions": [{"port": 0, "name": "http"}],
                    "readinessChecks": [
                        {
                            "portName": "http",
                            "path": "/ready",
                            "intervalSeconds": 2,
                            "timeoutSeconds": 1,
                        }
                    ],
                }
                assert (await h.request("POST", "/v2/apps", app))[0] == 201
                await asyncio.sleep(1.5)
                deployments = await h.get("/v2/deployments")
                assert deployments, "not ready yet"
                results = deployments[0]["currentActions"][0]["readinessCheckResults"]
                assert (
                    results
                    and results[0]["ready"] is False
                    and results[0]["name"] == "readinessCheck"
                )
                ready.set()
                await h.deployments_done()
        finally:
            await runner.cleanup()

    run(scenario)


def test_listing_filters_and_group_views() -> None:
    async def scenario() -> None:
        async with harness() as h:
            for body in (APP, {**APP, "id": "/g/b", "cmd": "python3 x", "labels": {"tier": "db"}}):
                assert (await h.request("POST", "/v2/apps", body))[0] == 201
            await h.deployments_done()

            def ids(listing: Any) -> list[str]:
                return sorted(a["id"] for a in listing["apps"])

            assert ids(await h.get("/v2/apps", label="tier==db")) == ["/g/b"]
            assert ids(await h.get("/v2/apps", cmd="PYTHON")) == ["/g/b"]
            assert ids(await h.get("/v2/apps", id="/a")) == ["/a"]
            embedded = await h.get("/v2/apps", embed="apps.tasks")
            assert all(len(a["tasks"]) == 1 and "deployments" in a for a in embedded["apps"])
            group = await h.get("/v2/groups/g")
            assert [a["id"] for a in group["apps"]] == ["/g/b"] and "tasks" not in group["apps"][0]
            star = await h.get("/v2/apps/g/*")
            assert [a["id"] for a in star["*"]] == ["/g/b"]
            tasks = await h.get("/v2/apps/g/b/tasks")
            assert len(tasks["tasks"]) == 1 and tasks["tasks"][0]["appId"] == "/g/b"
            assert (await h.request("GET", "/v2/groups/nope"))[:2] == (
                404,
                {"message": "Group '/nope' does not exist"},
            )
            info = await h.get("/v2/info")
            assert info["marathon_config"]["mesos_role"] == "slave_public"
            leader = await h.get("/v2/leader")
            assert leader == {"leader": "127.0.0.1:8080"}
            metrics = await h.get("/metrics")
            assert metrics["gauges"]["service.mesosphere.marathon.app.count"] == {"value": 2}

    run(scenario)


def test_killing_one_pod_instance_replaces_it() -> None:
    async def scenario() -> None:
        async with harness() as h:
            pod = {
                "id": "/p",
                "containers": [
                    {
                        "name": "c",
                        "resources": {"cpus": 0.1, "mem": 16},
                        "exec": {"command": {"shell": "sleep 1000"}},
                    }
                ],
            }
            assert (await h.request("POST", "/v2/pods", pod))[0] == 201
            await h.deployments_done()
            first = (await h.get("/v2/pods/p::status"))["instances"][0]["id"]
            status, killed, _ = await h.request("DELETE", f"/v2/pods/p::instances/{first}")
            assert status == 200 and killed["id"] == first

            async def replaced() -> bool:
                instances = (await h.get("/v2/pods/p::status"))["instances"]
                return (
                    len(instances) == 1
                    and instances[0]["id"] != first
                    and instances[0]["status"] == "STABLE"
                )

            await h.until(replaced, what="a new pod instance")
            status, body, _ = await h.request("GET", "/v2/pods/missing")
            assert (status, body) == (404, {"message": "pod with /missing does not exist"})

    run(scenario)
