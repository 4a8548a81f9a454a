"""Metronome (dcos-metronome.service): jobs, runs, history and cron schedules, end to end.

Runs on a master and talks to Metronome as DC/OS's clients do: HTTP through
Admin Router at /service/metronome/ with the cluster token (dcos-test-utils' jobs client: start a
run, poll it until it answers 404, read `?embed=history`). The runs are real
Mesos tasks on the agents.

The cron test's schedule is created when the module starts (an autouse
fixture), so that waiting for its minute overlaps the other tests.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from typing import Any

import acs
import pytest
import requests
from polling import Poll, wait_for

METRONOME = os.environ.get("METRONOME_URL", "http://127.0.0.1/service/metronome")
RUN_TIMEOUT_S = 120
# A per-minute schedule fires within a minute of its creation; its run then needs seconds.
CRON_TIMEOUT_S = 150


# Admin Router wants the cluster token on /service/ (auth is on by default, as in DC/OS).
api = requests.Session()
api.headers.update(acs.auth_headers())


def url(path: str) -> str:
    return f"{METRONOME}{path}"


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"


def create_job(
    job_id: str, cmd: str, labels: dict[str, str] | None = None, **run: Any
) -> dict[str, Any]:
    spec = {
        "id": job_id,
        "labels": labels or {},
        "run": {"cpus": 0.1, "mem": 32, "disk": 0, "cmd": cmd, **run},
    }
    response = api.post(url("/v1/jobs"), json=spec, timeout=10)
    assert response.status_code == 201, response.text
    return dict(response.json())


def delete_job(job_id: str) -> None:
    api.delete(url(f"/v1/jobs/{job_id}"), params={"stopCurrentJobRuns": "true"}, timeout=10)


def start_run(job_id: str) -> str:
    response = api.post(url(f"/v1/jobs/{job_id}/runs"), timeout=10)
    assert response.status_code == 201, response.text
    run = response.json()
    assert run["jobId"] == job_id and run["status"] == "INITIAL"
    return str(run["id"])


def wait_run_finished(job_id: str, run_id: str, timeout_s: float = RUN_TIMEOUT_S) -> None:
    """dcos-test-utils' wait: 200 while the run is active, 404 once it has finished."""

    def probe() -> Poll[None]:
        response = api.get(url(f"/v1/jobs/{job_id}/runs/{run_id}"), timeout=10)
        if response.status_code == 404:
            return Poll(True)
        assert response.status_code == 200, response.text
        return Poll(False, detail=f"run is {response.json()['status']}")

    wait_for(probe, timeout_s, f"run {run_id} of {job_id} to finish")


def history(job_id: str) -> dict[str, Any]:
    response = api.get(url(f"/v1/jobs/{job_id}"), params={"embed": "history"}, timeout=10)
    response.raise_for_status()
    return dict(response.json()["history"])


def run_ids(runs: list[dict[str, Any]]) -> list[str]:
    return [r["id"] for r in runs]


def wait_run_active(job_id: str, run_id: str) -> dict[str, Any]:
    def probe() -> Poll[dict[str, Any]]:
        response = api.get(url(f"/v1/jobs/{job_id}/runs/{run_id}"), timeout=10)
        assert response.status_code == 200, response.text
        run = response.json()
        running = any(t["status"] == "TASK_RUNNING" for t in run["tasks"])
        return Poll(run["status"] == "ACTIVE" and running, run, f"run: {run}")

    return dict(wait_for(probe, RUN_TIMEOUT_S, f"run {run_id} of {job_id} to be running"))


@pytest.fixture(scope="module", autouse=True)
def cron_job() -> Iterator[tuple[str, dt.datetime]]:
    """A job with a per-minute schedule, made before the other tests run."""
    job_id = unique("cron")
    create_job(job_id, "echo tick")
    response = api.post(
        url(f"/v1/jobs/{job_id}/schedules"),
        json={"id": "every-minute", "cron": "* * * * *", "timezone": "Europe/Berlin"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    schedule = response.json()
    next_run_at = dt.datetime.strptime(schedule["nextRunAt"], "%Y-%m-%dT%H:%M:%S.%f%z")
    yield job_id, next_run_at
    delete_job(job_id)


def test_unit_is_running_on_port_9000(host: Any) -> None:
    assert host.service("dcos-metronome").is_running
    assert host.socket("tcp://0.0.0.0:9000").is_listening


def test_ping_and_info() -> None:
    assert api.get(url("/ping"), timeout=10).text == "pong"
    assert api.get(url("/info"), timeout=10).json() == {
        "version": "0.3.4",
        "libVersion": "1.3.13",
    }


def test_a_job_run_to_success() -> None:
    job_id = unique("success")
    create_job(job_id, "echo hello from metronome")
    try:
        run_id = start_run(job_id)
        wait_run_finished(job_id, run_id)
        done = history(job_id)
        assert run_ids(done["successfulFinishedRuns"]) == [run_id]
        assert done["failedFinishedRuns"] == [] and done["successCount"] == 1
    finally:
        delete_job(job_id)


def test_a_job_run_to_failure() -> None:
    job_id = unique("failure")
    create_job(job_id, "echo failing; exit 3")
    try:
        run_id = start_run(job_id)
        wait_run_finished(job_id, run_id)
        done = history(job_id)
        assert run_ids(done["failedFinishedRuns"]) == [run_id]
        assert done["successfulFinishedRuns"] == [] and done["failureCount"] == 1
        assert done["lastFailureAt"] is not None and done["lastSuccessAt"] is None
    finally:
        delete_job(job_id)


def test_on_failure_restarts_a_failed_task(agent_hosts: list[str]) -> None:
    """The first task fails, the restart policy launches another, which succeeds."""
    job_id = unique("retry")
    marker = f"/tmp/{job_id}"
    create_job(
        job_id,
        f"test -e {marker} || {{ touch {marker}; exit 1; }}",
        restart={"policy": "ON_FAILURE", "activeDeadlineSeconds": 300},
        placement={
            "constraints": [{"attribute": "hostname", "operator": "EQ", "value": agent_hosts[0]}]
        },
    )
    try:
        run_id = start_run(job_id)
        wait_run_finished(job_id, run_id)
        done = history(job_id)
        assert run_ids(done["successfulFinishedRuns"]) == [run_id]
        assert done["failureCount"] == 0
    finally:
        delete_job(job_id)


def test_stop_a_run_and_delete_a_job_with_active_runs() -> None:
    job_id = unique("sleepy")
    create_job(job_id, "sleep 600")
    run_id = start_run(job_id)
    try:
        run = wait_run_active(job_id, run_id)
        assert api.get(url(f"/v1/jobs/{job_id}/runs"), timeout=10).json()[0]["id"] == run_id
        response = api.post(url(f"/v1/jobs/{job_id}/runs/{run_id}/actions/stop"), timeout=10)
        assert response.status_code == 200 and response.json()["status"] == "FAILED"
        assert api.get(url(f"/v1/jobs/{job_id}/runs/{run_id}"), timeout=10).status_code == 404
        assert run_ids(history(job_id)["failedFinishedRuns"]) == [run_id]

        second = start_run(job_id)
        wait_run_active(job_id, second)
        response = api.delete(url(f"/v1/jobs/{job_id}"), timeout=10)
        assert response.status_code == 409
        assert response.json() == {
            "message": "There are active job runs. Override with stopCurrentJobRuns=true"
        }
        response = api.delete(
            url(f"/v1/jobs/{job_id}"), params={"stopCurrentJobRuns": "true"}, timeout=10
        )
        assert response.status_code == 200 and response.json()["id"] == job_id
        assert api.get(url(f"/v1/jobs/{job_id}"), timeout=10).status_code == 404
        assert run["tasks"], "the run reported its task"
    finally:
        delete_job(job_id)


def test_validation_errors() -> None:
    response = api.post(
        url("/v1/jobs"), json={"id": "Bad_Id", "run": {"cpus": 0, "mem": 1}}, timeout=10
    )
    assert response.status_code == 422
    body = response.json()
    assert body["message"] == "Object is not valid"
    details = {d["path"]: d["errors"] for d in body["details"]}
    assert "/id" in details
    assert details["/run/cpus"] == ["minimum violated: 0 is less than 0.01"]
    assert details["/run/mem"] == ["minimum violated: 1 is less than 32"]
    assert details["/run"] == ["Property disk missing"]

    job_id = unique("dup")
    create_job(job_id, "true")
    try:
        again = api.post(
            url("/v1/jobs"),
            json={"id": job_id, "run": {"cpus": 0.1, "mem": 32, "disk": 0, "cmd": "true"}},
            timeout=10,
        )
        assert (again.status_code, again.json()) == (
            409,
            {"message": "Job with this id already exists"},
        )
        bad_cron = api.post(
            url(f"/v1/jobs/{job_id}/schedules"),
            json={"id": "bad", "cron": "61 * * * *"},
            timeout=10,
        )
        assert bad_cron.status_code == 422
        assert bad_cron.json()["details"] == [
            {"path": "/cron", "errors": ['Can not read cron expression "61 * * * *"']}
        ]
    finally:
        delete_job(job_id)
    missing = api.get(url("/v1/jobs/no-such-job"), timeout=10)
    assert (missing.status_code, missing.json()) == (
        404,
        {"id": "no-such-job", "message": "Job not found"},
    )


def test_jobs_survive_a_metronome_restart(host: Any) -> None:
    """Jobs live in ZooKeeper: a restarted Metronome (a new leader) still has them."""
    job_id = unique("persist")
    create_job(job_id, "true", labels={"kept": "yes"})
    try:
        host.run_expect([0], "systemctl restart dcos-metronome")

        def probe() -> Poll[dict[str, Any]]:
            response = api.get(url(f"/v1/jobs/{job_id}"), timeout=10)
            return Poll(response.status_code == 200, response.json(), response.text)

        job = wait_for(probe, 60, "Metronome to answer again after a restart")
        assert job["id"] == job_id and job["labels"] == {"kept": "yes"}
    finally:
        delete_job(job_id)


def test_a_cron_schedule_fires(cron_job: tuple[str, dt.datetime]) -> None:
    """The schedule made at the start runs the job at its nextRunAt, without being asked."""
    job_id, next_run_at = cron_job

    def probe() -> Poll[dict[str, Any]]:
        done = history(job_id)
        return Poll(bool(done["successfulFinishedRuns"]), done, f"history: {done}")

    done = wait_for(probe, CRON_TIMEOUT_S, f"the schedule of {job_id} to fire", max_interval_s=2)
    first = done["successfulFinishedRuns"][-1]
    created_at = dt.datetime.strptime(first["createdAt"], "%Y-%m-%dT%H:%M:%S.%f%z")
    assert created_at >= next_run_at
