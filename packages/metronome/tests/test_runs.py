"""Job runs through the API, with the master's task updates played by the test."""

from __future__ import annotations

import asyncio
import datetime as dt

from dcos_metronome import model
from dcos_metronome.runs import RunManager, task_run_key
from dcos_metronome.service import JobService
from dcos_metronome.store import MemoryStore
from metronome_harness import Harness, RecordingLauncher, job, serve, wait


async def start(m: Harness, job_id: str) -> str:
    status, run = await m.call("POST", f"/v1/jobs/{job_id}/runs")
    assert status == 201, run
    assert run["status"] == "INITIAL" and run["jobId"] == job_id
    assert run["completedAt"] is None and run["tasks"] == []
    return str(run["id"])


def test_a_run_to_success() -> None:
    async def scenario(m: Harness) -> None:
        await m.call("POST", "/v1/jobs", json=job("ok"))
        run_id = await start(m, "ok")
        assert len(run_id) == 19 and run_id[:14].isdigit()
        status, run = await m.call("GET", f"/v1/jobs/ok/runs/{run_id}")
        assert (status, run["status"]) == (200, "STARTING")
        task_id = await m.launch(run_id)
        assert task_id.startswith(f"ok_{run_id}.")
        await m.update(task_id, "TASK_STAGING")
        await m.update(task_id, "TASK_RUNNING")
        status, run = await m.call("GET", f"/v1/jobs/ok/runs/{run_id}")
        assert run["status"] == "ACTIVE"
        assert run["tasks"][0]["id"] == task_id and run["tasks"][0]["status"] == "TASK_RUNNING"
        assert "completedAt" not in run["tasks"][0]
        status, listed = await m.call("GET", "/v1/jobs/ok/runs")
        assert [r["id"] for r in listed] == [run_id]
        status, info = await m.call("GET", "/v1/jobs/ok?embed=activeRuns")
        assert [r["id"] for r in info["activeRuns"]] == [run_id]
        await m.update(task_id, "TASK_FINISHED")
        status, gone = await m.call("GET", f"/v1/jobs/ok/runs/{run_id}")
        assert (status, gone) == (
            404,
            {"jobSpec": "ok", "id": run_id, "message": "Job Run not found"},
        )
        status, info = await m.call("GET", "/v1/jobs/ok?embed=history&embed=historySummary")
        history = info["history"]
        assert history["successCount"] == 1 and history["failureCount"] == 0
        assert history["lastFailureAt"] is None and history["lastSuccessAt"].endswith("+0000")
        assert [r["id"] for r in history["successfulFinishedRuns"]] == [run_id]
        assert history["failedFinishedRuns"] == []
        assert info["historySummary"] == {
            k: history[k]
            for k in ("successCount", "failureCount", "lastSuccessAt", "lastFailureAt")
        }
        assert m.store.nodes.get(f"/metronome/state/runs/ok/{run_id}") is None

    serve(scenario)


def test_a_run_to_failure_never_restarts() -> None:
    async def scenario(m: Harness) -> None:
        await m.call("POST", "/v1/jobs", json=job("bad", cmd="false"))
        run_id = await start(m, "bad")
        task_id = await m.launch(run_id)
        await m.update(task_id, "TASK_RUNNING")
        await m.update(task_id, "TASK_FAILED")
        assert (await m.call("GET", f"/v1/jobs/bad/runs/{run_id}"))[0] == 404
        _, info = await m.call("GET", "/v1/jobs/bad?embed=history")
        assert [r["id"] for r in info["history"]["failedFinishedRuns"]] == [run_id]
        assert info["history"]["failureCount"] == 1
        assert m.launcher.launched == 1

    serve(scenario)


def test_on_failure_restarts_until_the_active_deadline() -> None:
    async def scenario(m: Harness) -> None:
        await m.call(
            "POST",
            "/v1/jobs",
            json=job("retry", restart={"policy": "ON_FAILURE", "activeDeadlineSeconds": 3600}),
        )
        run_id = await start(m, "retry")
        first = await m.launch(run_id)
        await m.update(first, "TASK_FAILED")
        status, _ = await m.call("GET", f"/v1/jobs/retry/runs/{run_id}")
        assert status == 200 and [r.id for r in m.launcher.queued] == [run_id]
        second = await m.launch(run_id)
        await m.update(second, "TASK_RUNNING")
        await m.update(second, "TASK_FINISHED")
        _, info = await m.call("GET", "/v1/jobs/retry?embed=history")
        assert info["history"]["successCount"] == 1
        # Past the deadline, a failure is final.
        await m.call(
            "PUT",
            "/v1/jobs/retry",
            json=job("retry", restart={"policy": "ON_FAILURE", "activeDeadlineSeconds": 0}),
        )
        run_id = await start(m, "retry")
        task = await m.launch(run_id)
        await m.update(task, "TASK_FAILED")
        assert (await m.call("GET", f"/v1/jobs/retry/runs/{run_id}"))[0] == 404
        _, info = await m.call("GET", "/v1/jobs/retry?embed=historySummary")
        assert info["historySummary"]["failureCount"] == 1

    serve(scenario)


def test_stop_a_run_and_delete_a_job_with_active_runs() -> None:
    async def scenario(m: Harness) -> None:
        await m.call("POST", "/v1/jobs", json=job("sleepy", cmd="sleep 1000"))
        run_id = await start(m, "sleepy")
        task = await m.launch(run_id)
        await m.update(task, "TASK_RUNNING")
        status, stopped = await m.call("POST", f"/v1/jobs/sleepy/runs/{run_id}/actions/stop")
        assert (status, stopped["status"]) == (200, "FAILED")
        assert stopped["completedAt"] is not None
        assert m.launcher.killed == [task]
        assert (await m.call("POST", f"/v1/jobs/sleepy/runs/{run_id}/actions/stop"))[0] == 404
        # The task's TASK_KILLED comes after: it changes nothing.
        await m.update(task, "TASK_KILLED")
        _, info = await m.call("GET", "/v1/jobs/sleepy?embed=history")
        assert info["history"]["failureCount"] == 1

        second = await start(m, "sleepy")
        status, body = await m.call("DELETE", "/v1/jobs/sleepy")
        assert (status, body) == (
            409,
            {"message": "There are active job runs. Override with stopCurrentJobRuns=true"},
        )
        status, body = await m.call("DELETE", "/v1/jobs/sleepy?stopCurrentJobRuns=true")
        assert status == 200 and body["id"] == "sleepy"
        assert not m.launcher.queued and (await m.call("GET", "/v1/jobs/sleepy"))[0] == 404
        assert m.service.runs.get("sleepy", second) is None
        assert not [p for p in m.store.nodes if "sleepy" in p]
        # A recreated job starts with an empty history.
        await m.call("POST", "/v1/jobs", json=job("sleepy"))
        _, info = await m.call("GET", "/v1/jobs/sleepy?embed=history")
        assert info["history"]["failureCount"] == 0

    serve(scenario)


def test_tasks_of_unknown_runs_are_killed() -> None:
    async def scenario(m: Harness) -> None:
        await m.update("gone_20240101000000abcde.1234", "TASK_RUNNING")
        assert m.launcher.killed == ["gone_20240101000000abcde.1234"]

    serve(scenario)


def test_task_ids_name_their_run() -> None:
    assert task_run_key("prod_db_20240101000000aB3dE.3f1c-77") == ("prod.db", "20240101000000aB3dE")
    assert task_run_key("no-uuid") is None


def test_a_schedule_fires_and_its_run_has_a_starting_deadline() -> None:
    """A schedule fires at nextRunAt; its run fails if not running within the deadline."""

    async def scenario() -> None:
        # A clock half a second before a minute boundary.
        real = model.now()
        offset = real.replace(second=59, microsecond=500_000) - real

        def clock() -> dt.datetime:
            return model.now() + offset

        launcher = RecordingLauncher()
        service = JobService(MemoryStore(), launcher, clock)
        spec = model.read_job(job("tick"))
        spec.schedules = [
            model.read_schedule(
                {"id": "every-minute", "cron": "* * * * *", "startingDeadlineSeconds": 60}
            )
        ]
        await service.create_job(spec)
        fired_for = service.cron.scheduled_at["tick"]
        assert fired_for.second == 0 and (fired_for - clock()).total_seconds() < 1
        await wait(lambda: bool(launcher.queued), timeout_s=3)
        run = launcher.queued[0]
        assert run.created_at >= fired_for and run.starting_deadline_s == 60
        assert service.cron.scheduled_at["tick"] == fired_for + dt.timedelta(minutes=1)
        # Nothing ever launches it: a minute after its creation it is aborted.
        service.runs.clock = lambda: clock() + dt.timedelta(seconds=61)
        service.runs._disarm_starting_deadline(run)
        service.runs._arm_starting_deadline(run)
        await wait(lambda: service.runs.get("tick", run.id) is None)
        assert service.runs.history("tick").failure_count == 1
        service.close()

    asyncio.run(scenario())


def test_a_new_leader_resumes_runs_and_history() -> None:
    async def scenario() -> None:
        store = MemoryStore()
        first = JobService(store, RecordingLauncher())
        await first.create_job(model.read_job(job("resume")))
        run = await first.start_run(first.jobs["resume"])
        live = first.runs.active[("resume", run.id)]
        first.runs.task_launched(live, "resume_" + run.id + ".t1", "agent-1")
        await first.runs.status_update(
            "resume_" + run.id + ".t1", "TASK_RUNNING", model.now(), "agent-1"
        )
        done = await first.start_run(first.jobs["resume"])
        await first.runs.stop("resume", done.id)
        first.close()

        launcher = RecordingLauncher()
        second = JobService(store, launcher)
        await second.restore()
        assert list(second.jobs) == ["resume"]
        resumed = second.runs.get("resume", run.id)
        assert resumed is not None and resumed.status == "ACTIVE"
        assert launcher.queued == []  # its task is alive: no second launch
        assert second.runs.history("resume").failure_count == 1
        await second.runs.status_update(
            "resume_" + run.id + ".t1", "TASK_FINISHED", model.now(), "agent-1"
        )
        assert second.runs.history("resume").success_count == 1
        second.close()

    asyncio.run(scenario())


def test_run_manager_waits_for_a_finish() -> None:
    async def scenario() -> None:
        manager = RunManager(MemoryStore(), RecordingLauncher())
        run = await manager.start(model.read_job(job("w")))
        waiter = asyncio.ensure_future(manager.wait_finished("w", run.id))
        await asyncio.sleep(0)
        await manager.stop("w", run.id)
        finished = await waiter
        assert finished is not None and finished.status == "FAILED"
        manager.close()

    asyncio.run(scenario())
