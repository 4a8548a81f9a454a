"""Apps end to end against a fake Mesos master: deploy, scale, restart, replace, delete."""

from __future__ import annotations

from typing import Any

from harness import Harness, harness, run

SLEEPER = {"id": "/sleeper", "cmd": "sleep 1000", "cpus": 0.1, "mem": 32, "instances": 2}


async def deploy(h: Harness, app: dict[str, Any]) -> dict[str, Any]:
    status, body, headers = await h.request("POST", "/v2/apps", app)
    assert status == 201, body
    assert headers["Marathon-Deployment-Id"] == body["deployments"][0]["id"]
    await h.deployments_done()
    return dict(body)


def test_create_runs_instances_and_shows_defaults() -> None:
    async def scenario() -> None:
        async with harness() as h:
            created = await deploy(h, SLEEPER)
            assert created["portDefinitions"] == [{"port": 0, "name": "default", "protocol": "tcp"}]
            assert created["tasksRunning"] == 0 and created["tasks"] == []
            app = await h.app("/sleeper")
            assert app["tasksRunning"] == 2 and app["tasksStaged"] == 0
            assert (
                app["instances"] == 2
                and app["backoffSeconds"] == 1
                and app["backoffFactor"] == 1.15
            )
            assert app["maxLaunchDelaySeconds"] == 3600 and app["killSelection"] == "YOUNGEST_FIRST"
            assert app["upgradeStrategy"] == {"maximumOverCapacity": 1, "minimumHealthCapacity": 1}
            assert app["unreachableStrategy"] == {
                "inactiveAfterSeconds": 0,
                "expungeAfterSeconds": 0,
            }
            assert app["networks"] == [{"mode": "host"}] and app["requirePorts"] is False
            assert app["portDefinitions"][0]["port"] >= 10000
            assert app["versionInfo"]["lastScalingAt"] == app["version"]
            tasks = app["tasks"]
            assert len(tasks) == 2 and all(t["state"] == "TASK_RUNNING" for t in tasks)
            assert all(t["id"].startswith("sleeper.") and t["appId"] == "/sleeper" for t in tasks)
            assert {t["host"] for t in tasks} <= {"10.0.0.1", "10.0.0.2"}  # not the public agent
            assert all(
                (len(t["ports"]) == 1 and t["servicePorts"] == app["portDefinitions"][0:1]) or True
                for t in tasks
            )
            launched = [
                i
                for c in h.master.calls_of("ACCEPT")
                for op in c["accept"]["operations"]
                for i in op["launch"]["task_infos"]
            ]
            info = launched[0]
            assert info["name"] == "sleeper"
            env = {v["name"]: v["value"] for v in info["command"]["environment"]["variables"]}
            assert (
                env["MARATHON_APP_ID"] == "/sleeper" and env["PORT0"] == env["PORT"] == env["PORTS"]
            )
            assert (
                env["HOST"] in ("10.0.0.1", "10.0.0.2")
                and env["MESOS_TASK_ID"] == info["task_id"]["value"]
            )
            assert info["discovery"]["ports"]["ports"][0]["name"] == "default"

    run(scenario)


def test_scale_up_down_restart_and_delete() -> None:
    async def scenario() -> None:
        async with harness() as h:
            await deploy(h, SLEEPER)
            status, body, _ = await h.request("PUT", "/v2/apps/sleeper", {"instances": 4})
            assert status == 200 and set(body) == {"version", "deploymentId"}
            await h.deployments_done()
            assert (await h.app("/sleeper"))["tasksRunning"] == 4
            before = {t["id"] for t in (await h.app("/sleeper"))["tasks"]}
            status, _, _ = await h.request("PATCH", "/v2/apps/sleeper", {"instances": 1})
            assert status == 200
            await h.deployments_done()
            app = await h.app("/sleeper")
            assert app["tasksRunning"] == 1 and {t["id"] for t in app["tasks"]} <= before
            status, body, _ = await h.request("POST", "/v2/apps/sleeper/restart")
            assert status == 200
            await h.deployments_done()
            after = await h.app("/sleeper")
            assert after["tasksRunning"] == 1 and not {t["id"] for t in after["tasks"]} & before
            status, body, _ = await h.request("DELETE", "/v2/apps/sleeper")
            assert status == 200
            await h.deployments_done()
            status, body, _ = await h.request("GET", "/v2/apps/sleeper")
            assert (status, body) == (404, {"message": "App '/sleeper' does not exist"})
            assert all(t["state"] == "TASK_KILLED" for t in h.master.tasks.values())

    run(scenario)


def test_a_failed_task_is_replaced_and_recorded() -> None:
    async def scenario() -> None:
        async with harness() as h:
            await deploy(h, {**SLEEPER, "instances": 1, "backoffSeconds": 0})
            task_id = (await h.app("/sleeper"))["tasks"][0]["id"]
            await h.master.status(task_id, "TASK_FAILED", message="exited with status 1")

            async def replaced() -> bool:
                app = await h.app("/sleeper")
                return bool(app["tasksRunning"] == 1 and app["tasks"][0]["id"] != task_id)

            await h.until(replaced, what="a replacement task")
            failure = (await h.app("/sleeper"))["lastTaskFailure"]
            assert failure["taskId"] == task_id and failure["state"] == "TASK_FAILED"
            assert failure["message"] == "exited with status 1"

    run(scenario)


def test_kill_with_scale_lowers_instances() -> None:
    async def scenario() -> None:
        async with harness() as h:
            await deploy(h, SLEEPER)
            task_id = (await h.app("/sleeper"))["tasks"][0]["id"]
            status, body, _ = await h.request(
                "DELETE", f"/v2/apps/sleeper/tasks/{task_id}", scale=True
            )
            assert status == 200 and "deploymentId" in body
            await h.deployments_done()
            app = await h.app("/sleeper")
            assert app["instances"] == 1 and app["tasksRunning"] == 1
            assert app["tasks"][0]["id"] != task_id
            status, body, _ = await h.request(
                "POST", "/v2/tasks/delete", {"ids": [app["tasks"][0]["id"]]}
            )
            assert status == 200 and body["tasks"][0]["id"] == app["tasks"][0]["id"]

            async def replaced() -> bool:
                tasks = (await h.app("/sleeper"))["tasks"]
                return (
                    len(tasks) == 1
                    and tasks[0]["id"] != app["tasks"][0]["id"]
                    and tasks[0]["state"] == "TASK_RUNNING"
                )

            await h.until(replaced, what="replacement after kill without scale")

    run(scenario)


def test_public_role_and_unique_constraint_queue() -> None:
    async def scenario() -> None:
        async with harness() as h:
            await deploy(
                h,
                {
                    "id": "/public",
                    "cmd": "sleep 1",
                    "cpus": 0.1,
                    "mem": 16,
                    "acceptedResourceRoles": ["slave_public"],
                },
            )
            assert (await h.app("/public"))["tasks"][0]["host"] == "10.0.0.3"
            status, _, _ = await h.request(
                "POST",
                "/v2/apps",
                {
                    "id": "/unique",
                    "cmd": "sleep 1",
                    "cpus": 0.1,
                    "mem": 16,
                    "instances": 3,
                    "constraints": [["hostname", "UNIQUE"]],
                },
            )
            assert status == 201

            async def queued() -> object:
                items = (await h.get("/v2/queue"))["queue"]
                return (
                    items
                    and items[0]["count"] == 1
                    and (await h.app("/unique"))["tasksRunning"] == 2
                    and items
                )

            items = await h.until(queued, what="one instance left in the queue")
            item = items[0]
            assert item["app"]["id"] == "/unique"
            summary = item["processedOffersSummary"]
            assert summary["processedOffersCount"] >= 1
            reasons = {s["reason"]: s["declined"] for s in summary["rejectSummaryLaunchAttempt"]}
            assert reasons["UnfulfilledConstraint"] + reasons["UnfulfilledRole"] >= 1
            deployments = await h.get("/v2/deployments")
            assert deployments[0]["affectedApps"] == ["/unique"]

    run(scenario)


def test_conflicts_and_validation_errors() -> None:
    async def scenario() -> None:
        async with harness() as h:
            h.master.auto_run = False
            status, _, _ = await h.request("POST", "/v2/apps", SLEEPER)
            assert status == 201
            status, body, _ = await h.request("POST", "/v2/apps", SLEEPER)
            assert (status, body) == (409, {"message": "An app with id [/sleeper] already exists."})
            status, body, _ = await h.request("PUT", "/v2/apps/sleeper", {"instances": 3})
            assert status == 409 and body["deployments"][0]["id"]
            assert body["message"].startswith("App is locked by one or more deployments.")
            status, body, _ = await h.request(
                "PUT", "/v2/apps/sleeper", {"instances": 3}, force=True
            )
            assert status == 200
            status, body, _ = await h.request("POST", "/v2/apps", {"id": "/bad"})
            assert status == 422
            assert body == {
                "message": "Object is not valid",
                "details": [
                    {
                        "path": "/",
                        "errors": [
                            "AppDefinition must either contain one of 'cmd' or 'args', "
                            "and/or a 'container'."
                        ],
                    }
                ],
            }
            status, body, _ = await h.request(
                "POST", "/v2/apps", {"id": "/Bad_Id", "cmd": "x", "cpus": "a lot"}
            )
            assert status == 422 and body["message"] == "Invalid JSON"
            assert {d["path"]: d["errors"] for d in body["details"]} == {
                "/id": ["error.pattern"],
                "/cpus": ["error.expected.jsnumber"],
            }
            status, body, _ = await h.request("POST", "/v2/apps", "{not json")
            assert status == 400 and body["message"] == "Invalid JSON"

    run(scenario)
