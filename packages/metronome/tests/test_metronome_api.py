"""Metronome's REST API against a fresh Metronome: paths, codes, bodies and defaults."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from dcos_metronome import api
from metronome_harness import Harness, Leader, job, serve

FULL_RUN_DEFAULTS = {
    "cpus": 0.1,
    "mem": 32.0,
    "disk": 0.0,
    "cmd": "true",
    "env": {},
    "placement": {"constraints": []},
    "artifacts": [],
    "maxLaunchDelay": 3600,
    "volumes": [],
    "restart": {"policy": "NEVER"},
}


def test_create_get_list_and_defaults() -> None:
    async def scenario(m: Harness) -> None:
        status, body = await m.call("POST", "/v1/jobs", json=job())
        assert status == 201
        assert body == {"id": "prod.backup", "labels": {}, "run": FULL_RUN_DEFAULTS}
        assert await m.call("GET", "/v1/jobs/prod.backup") == (200, body)
        assert await m.call("GET", "/v1/jobs") == (200, [body])
        status, again = await m.call("POST", "/v1/jobs", json=job())
        assert (status, again) == (409, {"message": "Job with this id already exists"})

    serve(scenario)


def test_every_run_field_round_trips() -> None:
    spec = {
        "id": "full",
        "description": "all of it",
        "labels": {"owner": "ops"},
        "run": {
            "cpus": 0.5,
            "mem": 64,
            "disk": 10,
            "args": ["--verbose"],
            "user": "nobody",
            "env": {"A": "1"},
            "placement": {
                "constraints": [
                    {"attribute": "hostname", "operator": "EQ", "value": "198.51.100.7"}
                ]
            },
            "artifacts": [{"uri": "http://198.51.100.9/a.tgz"}],
            "maxLaunchDelay": 60,
            "docker": {"image": "python:3"},
            "volumes": [{"containerPath": "/data", "hostPath": "/tmp", "mode": "RW"}],
            "restart": {"policy": "ON_FAILURE", "activeDeadlineSeconds": 120},
            "taskKillGracePeriodSeconds": 5,
        },
    }

    async def scenario(m: Harness) -> None:
        status, body = await m.call("POST", "/v1/jobs", json=spec)
        assert status == 201
        run = body["run"]
        assert run["artifacts"] == [
            {
                "uri": "http://198.51.100.9/a.tgz",
                "extract": True,
                "executable": False,
                "cache": False,
            }
        ]
        assert run["docker"] == {"image": "python:3", "forcePullImage": False}
        assert run["restart"] == {"policy": "ON_FAILURE", "activeDeadlineSeconds": 120}
        assert run["taskKillGracePeriodSeconds"] == 5
        assert body["description"] == "all of it"
        assert list(run) == [
            "cpus",
            "mem",
            "disk",
            "args",
            "user",
            "env",
            "placement",
            "artifacts",
            "maxLaunchDelay",
            "docker",
            "volumes",
            "restart",
            "taskKillGracePeriodSeconds",
        ]

    serve(scenario)


def invalid(status: int, body: Any) -> dict[str, list[str]]:
    assert status == 422, body
    assert body["message"] == "Object is not valid"
    return {d["path"]: d["errors"] for d in body["details"]}


def test_validation_errors_name_path_and_reason() -> None:
    async def scenario(m: Harness) -> None:
        details = invalid(*await m.call("POST", "/v1/jobs", json={"id": "Not/Valid", "run": {}}))
        assert details["/id"] == [
            "Not/Valid does not match pattern "
            "^([a-z0-9]([a-z0-9-]*[a-z0-9]+)*)([.][a-z0-9]([a-z0-9-]*[a-z0-9]+)*)*$"
        ]
        assert set(details["/run"]) == {
            "Property cpus missing",
            "Property mem missing",
            "Property disk missing",
        }
        details = invalid(*await m.call("POST", "/v1/jobs", json=job(cpus=0.001, mem=8)))
        assert details["/run/cpus"] == ["minimum violated: 0.001 is less than 0.01"]
        assert details["/run/mem"] == ["minimum violated: 8 is less than 32"]
        details = invalid(*await m.call("POST", "/v1/jobs", json={"run": job()["run"], "x": 1}))
        assert details[""] == [
            "Property id missing",
            "Additional properties are not allowed but found 'x'.",
        ]
        details = invalid(
            *await m.call(
                "POST", "/v1/jobs", json=job(restart={"policy": "ALWAYS"}, maxLaunchDelay="1")
            )
        )
        assert details["/run/restart/policy"] == ["Instance is invalid enum value"]
        assert details["/run/maxLaunchDelay"] == ["Wrong type. Expected integer, was string."]
        details = invalid(
            *await m.call(
                "POST",
                "/v1/jobs",
                json=job(restart={"policy": "NEVER", "activeDeadlineSeconds": -1}),
            )
        )
        assert details == {"/run/restart/activeDeadlineSeconds": ["Can not read duration: -1"]}
        details = invalid(
            *await m.call("POST", "/v1/jobs", json=job(artifacts=[{"url": "x"}], env={"A": 1}))
        )
        assert details["/run/artifacts(0)"] == [
            "Property uri missing",
            "Additional properties are not allowed but found 'url'.",
        ]
        assert details["/run/env/A"] == ["Instance does not match any schema"]
        # v1 jobs carry no schedules (they have their own endpoint).
        details = invalid(*await m.call("POST", "/v1/jobs", json={**job(), "schedules": []}))
        assert details[""] == ["Additional properties are not allowed but found 'schedules'."]

    serve(scenario)


def test_ids_that_metronome_accepts_and_refuses() -> None:
    async def scenario(m: Harness) -> None:
        for good in ("a", "a1", "my-job", "prod.db.backup", "a--b", "0"):
            status, _ = await m.call("POST", "/v1/jobs", json=job(good))
            assert status == 201, good
        for bad in ("A", "-a", "a-", "a.", ".a", "a..b", "a_b", "a b", ""):
            status, _ = await m.call("POST", "/v1/jobs", json=job(bad))
            assert status == 422, bad

    serve(scenario)


def test_client_errors_of_routing_and_parsing() -> None:
    async def scenario(m: Harness) -> None:
        assert await m.call("GET", "/v1/nothing") == (
            404,
            {"message": "Unknown route.", "requestPath": "/v1/nothing"},
        )
        assert (await m.call("POST", "/v1/jobs/x"))[0] == 404  # no such method: unknown route
        assert await m.call("GET", "/v1/jobs/Bad_Id") == (
            400,
            {"message": "Not a valid id: Bad_Id", "requestPath": "/v1/jobs/Bad_Id"},
        )
        status, body = await m.call("GET", "/v1/jobs?embed=everything")
        assert status == 400
        assert body["message"] == (
            "Unknown embed options. Valid options are: activeRuns, schedules, history, "
            "historySummary"
        )
        status, body = await m.call(
            "POST", "/v1/jobs", data="{", headers={"Content-Type": "application/json"}
        )
        assert status == 400 and body["message"].startswith("Invalid Json")
        status, body = await m.call("POST", "/v1/jobs", data="id=x")
        assert (status, body["message"]) == (415, "Expecting text/json or application/json body")
        assert await m.call("GET", "/v1/jobs/none") == (
            404,
            {"id": "none", "message": "Job not found"},
        )
        status, body = await m.call("DELETE", "/v1/jobs/none?stopCurrentJobRuns=maybe")
        assert status == 400
        assert body["message"] == (
            "Cannot parse parameter stopCurrentJobRuns as Boolean: should be true, false, 0 or 1"
        )

    serve(scenario)


def test_update_keeps_schedules_and_takes_the_id_from_the_path() -> None:
    async def scenario(m: Harness) -> None:
        await m.call("POST", "/v1/jobs", json=job("nightly"))
        await m.call(
            "POST", "/v1/jobs/nightly/schedules", json={"id": "sched", "cron": "0 0 * * *"}
        )
        status, body = await m.call(
            "PUT", "/v1/jobs/nightly", json={**job("ignored"), "labels": {"a": "b"}}
        )
        assert status == 200
        assert body["id"] == "nightly" and body["labels"] == {"a": "b"}
        status, body = await m.call("GET", "/v1/jobs/nightly?embed=schedules")
        assert [s["id"] for s in body["schedules"]] == ["sched"]
        assert (await m.call("PUT", "/v1/jobs/other", json=job("other")))[0] == 404

    serve(scenario)


def test_schedules() -> None:
    async def scenario(m: Harness) -> None:
        await m.call("POST", "/v1/jobs", json=job("cronjob"))
        status, body = await m.call(
            "POST", "/v1/jobs/cronjob/schedules", json={"id": "every-minute", "cron": "* * * * *"}
        )
        assert status == 201
        assert body["timezone"] == "UTC"
        assert body["startingDeadlineSeconds"] == 900
        assert body["concurrencyPolicy"] == "ALLOW"
        assert body["enabled"] is True
        assert body["nextRunAt"].endswith(":00.000+0000")
        assert list(body) == [
            "id",
            "cron",
            "timezone",
            "startingDeadlineSeconds",
            "concurrencyPolicy",
            "enabled",
            "nextRunAt",
        ]
        assert "cronjob" in m.service.cron.scheduled_at
        status, again = await m.call(
            "POST", "/v1/jobs/cronjob/schedules", json={"id": "every-minute", "cron": "* * * * *"}
        )
        assert (status, again["message"]) == (409, "A schedule with id every-minute already exists")
        status, other = await m.call(
            "POST", "/v1/jobs/cronjob/schedules", json={"id": "other", "cron": "* * * * *"}
        )
        assert (status, other["message"]) == (409, "Only one schedule supported at the moment")
        status, changed = await m.call(
            "PUT",
            "/v1/jobs/cronjob/schedules/every-minute",
            json={
                "id": "whatever",
                "cron": "0 12 * * MON",
                "timezone": "Europe/Berlin",
                "enabled": False,
            },
        )
        assert status == 200 and changed["id"] == "every-minute"
        assert changed["timezone"] == "Europe/Berlin" and changed["enabled"] is False
        assert "cronjob" not in m.service.cron.scheduled_at  # disabled: no timer
        status, listed = await m.call("GET", "/v1/jobs/cronjob/schedules")
        assert [s["cron"] for s in listed] == ["0 12 * * MON"]
        assert (await m.call("GET", "/v1/jobs/cronjob/schedules/nope")) == (
            404,
            {"id": "nope", "message": "Schedule not found"},
        )
        assert (
            await m.call(
                "PUT", "/v1/jobs/cronjob/schedules/nope", json={"id": "nope", "cron": "* * * * *"}
            )
        )[0] == 404
        assert (await m.call("DELETE", "/v1/jobs/cronjob/schedules/every-minute"))[0] == 200
        assert await m.call("GET", "/v1/jobs/cronjob/schedules") == (200, [])
        assert (await m.call("DELETE", "/v1/jobs/cronjob/schedules/every-minute"))[0] == 404

    serve(scenario)


def test_schedule_validation() -> None:
    async def scenario(m: Harness) -> None:
        await m.call("POST", "/v1/jobs", json=job("cronjob"))
        details = invalid(
            *await m.call(
                "POST",
                "/v1/jobs/cronjob/schedules",
                json={"id": "sched", "cron": "every minute", "timezone": "Mars/Olympus"},
            )
        )
        assert details == {
            "/cron": ['Can not read cron expression "every minute"'],
            "/timezone": ['No time zone found with this id: "Mars/Olympus"'],
        }
        details = invalid(
            *await m.call(
                "POST",
                "/v1/jobs/cronjob/schedules",
                json={"id": "sched", "cron": "* * * * *", "startingDeadlineSeconds": 30},
            )
        )
        assert details == {"/startingDeadline": ["got 30 seconds, expected 1 minute or more"]}
        details = invalid(
            *await m.call(
                "POST",
                "/v1/jobs/cronjob/schedules",
                json={"id": "S", "cron": "* * * * *", "concurrencyPolicy": "FORBID"},
            )
        )
        assert details["/concurrencyPolicy"] == ["Instance is invalid enum value"]
        assert "/id" in details

    serve(scenario)


def test_v0_scheduled_jobs_carry_their_schedules() -> None:
    async def scenario(m: Harness) -> None:
        spec = {**job("v0job"), "schedules": [{"id": "daily", "cron": "0 3 * * *"}]}
        status, body = await m.call("POST", "/v0/scheduled-jobs", json=spec)
        assert status == 201
        assert [s["id"] for s in body["schedules"]] == ["daily"]
        assert "nightly" not in body
        spec["schedules"] = []
        status, body = await m.call("PUT", "/v0/scheduled-jobs/v0job", json=spec)
        assert (status, body["schedules"]) == (200, [])
        assert "v0job" not in m.service.cron.scheduled_at

    serve(scenario)


def test_ping_info_metrics() -> None:
    async def scenario(m: Harness) -> None:
        assert await m.call("GET", "/ping") == (200, "pong")
        assert await m.call("GET", "/info") == (200, {"version": "0.3.4", "libVersion": "1.3.13"})
        status, body = await m.call("GET", "/v1/metrics")
        assert status == 200 and body["gauges"]["metronome.leader"] == {"value": 1}

    serve(scenario)


def test_a_follower_proxies_to_the_leader() -> None:
    """Everything but /ping and /v1/metrics goes to the leader, marked X-LEADER and X-VIA."""

    async def scenario(m: Harness) -> None:
        leader = m.base.removeprefix("http://")
        follower = Leader(service=None, leader_host_port=leader, local_host_port="127.0.0.1:1")
        runner = web.AppRunner(api.make_app(follower))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        base = f"http://127.0.0.1:{runner.addresses[0][1]}"
        try:
            async with m.session.post(f"{base}/v1/jobs", json=job("via")) as response:
                assert response.status == 201
                assert response.headers["X-LEADER"] == leader
                assert response.headers["X-VIA"] == "127.0.0.1:1"
            assert "via" in m.service.jobs
            async with m.session.get(f"{base}/v1/jobs/via?embed=history") as response:
                assert (await response.json())["history"]["successCount"] == 0
            async with m.session.get(f"{base}/v1/metrics") as response:
                assert (await response.json())["gauges"]["metronome.leader"] == {"value": 0}
            async with m.session.get(
                f"{base}/v1/jobs", headers={"X-VIA": "127.0.0.1:1"}
            ) as response:
                assert response.status == 400
            follower.leader_host_port = None
            async with m.session.get(f"{base}/v1/jobs") as response:
                assert (response.status, await response.text()) == (
                    503,
                    "No consistent leadership",
                )
        finally:
            await runner.cleanup()

    serve(scenario)
