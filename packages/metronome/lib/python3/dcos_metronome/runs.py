"""Job runs from start to finish, as Metronome's JobRunExecutorActor drives them.

A run is created INITIAL (what `POST .../runs` answers), stored STARTING and
queued for one task. The first active task update (staging, starting,
running) makes it ACTIVE. TASK_FINISHED makes it SUCCESS. TASK_FAILED,
TASK_KILLED (and TASK_LOST, TASK_ERROR, ...) make it FAILED unless the
restart policy is ON_FAILURE and `activeDeadlineSeconds` since the run's
creation has not passed, in which case another task is launched. A stop
(`actions/stop`, or deleting the job with `stopCurrentJobRuns=true`) kills the
run's tasks and fails it. A run started by a schedule that is not ACTIVE
within the schedule's `startingDeadlineSeconds` is aborted (failed).

A finished run leaves the active set (so `GET .../runs/<id>` answers 404, as
in Metronome) and is counted in the job's history.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
from collections.abc import Callable
from typing import Protocol

from dcos_metronome import model
from dcos_metronome.store import State, Store

log = logging.getLogger(__name__)

# Mesos task states as Metronome reports them in a run's tasks (its TaskState).
MESOS_TO_TASK_STATE = {
    "TASK_STAGING": "TASK_STAGING",
    "TASK_STARTING": "TASK_STARTING",
    "TASK_RUNNING": "TASK_RUNNING",
    "TASK_KILLING": "TASK_RUNNING",
    "TASK_FINISHED": "TASK_FINISHED",
    "TASK_FAILED": "TASK_FAILED",
    "TASK_KILLED": "TASK_KILLED",
    "TASK_ERROR": "TASK_FAILED",
    "TASK_LOST": "TASK_FAILED",
    "TASK_DROPPED": "TASK_FAILED",
    "TASK_GONE": "TASK_FAILED",
    "TASK_GONE_BY_OPERATOR": "TASK_FAILED",
    "TASK_UNKNOWN": "TASK_FAILED",
}
# Not terminal for a framework that is not partition-aware: wait for the agent to return.
WAIT_STATES = {"TASK_UNREACHABLE"}

RunKey = tuple[str, str]


class Launcher(Protocol):
    """What the run manager needs from the Mesos side."""

    def enqueue(self, run: model.JobRun) -> None:
        """Launch one task for `run` on the next offer that fits it."""

    def dequeue(self, run: model.JobRun) -> None:
        """Forget a queued launch for `run` (no-op if none is queued)."""

    def kill(self, task_id: str, agent_id: str | None) -> None:
        """Ask Mesos to kill a task."""


def task_run_key(task_id: str) -> RunKey | None:
    """The (job id, run id) a Metronome task id belongs to.

    Task ids are Marathon's: the run's path with `_` between its names, a dot,
    a UUID (`prod_backup_20171201120000aB3dE.3f1c...`).
    """
    path, dot, _uuid = task_id.rpartition(".")
    if not dot or "_" not in path:
        return None
    *job, run_id = path.split("_")
    return ".".join(job), run_id


def task_id_prefix(run: model.JobRun) -> str:
    return "_".join([*run.job_id.split("."), run.id])


class RunManager:
    def __init__(
        self,
        store: Store,
        launcher: Launcher,
        clock: Callable[[], dt.datetime] = model.now,
    ) -> None:
        self.store = store
        self.launcher = launcher
        self.clock = clock
        self.active: dict[RunKey, model.JobRun] = {}
        self.histories: dict[str, model.JobHistory] = {}
        # Tasks launched and not yet terminal: task id -> (run, agent id).
        self.live_tasks: dict[str, tuple[RunKey, str | None]] = {}
        self._deadline_timers: dict[RunKey, asyncio.TimerHandle] = {}
        self._waiters: dict[RunKey, list[asyncio.Future[model.JobRun]]] = {}

    # -- state ------------------------------------------------------------------

    def restore(self, state: State) -> None:
        """Take over the runs and histories a previous leader stored, and resume the runs."""
        self.histories = dict(state.histories)
        for key, run in state.runs.items():
            self.active[key] = run
            self._arm_starting_deadline(run)
            if run.status == model.STARTING or not any(
                t.status in model.TASK_ACTIVE for t in run.tasks.values()
            ):
                # No task known to be alive: reconciliation reports any that is, and
                # the queued launch is dropped again when it does.
                self.launcher.enqueue(run)
            for task in run.tasks.values():
                if task.status in model.TASK_ACTIVE:
                    self.live_tasks[task.id] = (key, None)

    def runs_of(self, job_id: str) -> list[model.JobRun]:
        return [r for (j, _), r in self.active.items() if j == job_id]

    def get(self, job_id: str, run_id: str) -> model.JobRun | None:
        return self.active.get((job_id, run_id))

    def history(self, job_id: str) -> model.JobHistory:
        return self.histories.get(job_id) or model.JobHistory()

    # -- starting and stopping --------------------------------------------------

    async def start(
        self, job: model.JobSpec, starting_deadline_s: int | None = None
    ) -> model.JobRun:
        """Start a run of `job`; returns it as created (status INITIAL)."""
        created_at = self.clock()
        run = model.JobRun(
            id=model.new_run_id(created_at),
            job=job,
            status=model.INITIAL,
            created_at=created_at,
            starting_deadline_s=starting_deadline_s,
        )
        answer = dataclasses.replace(run, tasks={})
        run.status = model.STARTING
        key = (job.id, run.id)
        self.active[key] = run
        if job.id not in self.histories:
            self.histories[job.id] = model.JobHistory()
        await self.store.put_run(run)
        log.info("run %s of job %s: starting", run.id, job.id)
        self._arm_starting_deadline(run)
        self.launcher.enqueue(run)
        return answer

    async def stop(self, job_id: str, run_id: str) -> model.JobRun | None:
        """Kill a run's tasks and fail it; None if no such run is active."""
        run = self.active.get((job_id, run_id))
        if run is None:
            return None
        await self._abort(run, "stopped")
        return run

    async def _abort(self, run: model.JobRun, why: str) -> None:
        log.info("run %s of job %s: aborted (%s)", run.id, run.job_id, why)
        self.launcher.dequeue(run)
        key = (run.job_id, run.id)
        for task_id, (task_key, agent_id) in list(self.live_tasks.items()):
            if task_key == key:
                self.launcher.kill(task_id, agent_id)
        run.status = model.FAILED
        run.completed_at = self.clock()
        await self._finish(run)

    async def forget_job(self, job_id: str) -> None:
        """A deleted job's history goes with it (its runs were stopped first)."""
        self.histories.pop(job_id, None)

    # -- what Mesos reports -----------------------------------------------------

    def task_launched(self, run: model.JobRun, task_id: str, agent_id: str) -> None:
        self.live_tasks[task_id] = ((run.job_id, run.id), agent_id)

    def is_wanted(self, run: model.JobRun) -> bool:
        """Whether a queued launch for `run` should still go ahead."""
        return self.active.get((run.job_id, run.id)) is run and not run.done

    async def status_update(
        self, task_id: str, mesos_state: str, timestamp: dt.datetime, agent_id: str | None
    ) -> None:
        if mesos_state in WAIT_STATES:
            return
        state = MESOS_TO_TASK_STATE.get(mesos_state, "TASK_FAILED")
        key = task_run_key(task_id)
        run = self.active.get(key) if key else None
        if run is None:
            if state in model.TASK_ACTIVE and key is not None:
                # A task of a run that no longer exists (deleted, or stopped while we
                # were away): nobody wants it any more.
                log.info("killing task %s of unknown run %s", task_id, key)
                self.launcher.kill(task_id, agent_id)
            self.live_tasks.pop(task_id, None)
            return
        if state in model.TASK_ACTIVE:
            self.live_tasks[task_id] = ((run.job_id, run.id), agent_id)
            self.launcher.dequeue(run)  # a task is alive: a pending relaunch is not needed
        else:
            self.live_tasks.pop(task_id, None)
        self._update_task(run, task_id, state, timestamp)
        if state in model.TASK_ACTIVE:
            if run.status == model.STARTING:
                run.status = model.ACTIVE
                self._disarm_starting_deadline(run)
                log.info("run %s of job %s: active", run.id, run.job_id)
            await self.store.put_run(run)
        elif state == model.TASK_FINISHED:
            run.status = model.SUCCESS
            run.completed_at = timestamp
            log.info("run %s of job %s: success", run.id, run.job_id)
            await self._finish(run)
        else:
            await self._task_failed(run)

    def _update_task(
        self, run: model.JobRun, task_id: str, state: str, timestamp: dt.datetime
    ) -> None:
        # Metronome sets completedAt only for a finished task.
        completed_at = timestamp if state == model.TASK_FINISHED else None
        task = run.tasks.get(task_id)
        if task is None:
            run.tasks[task_id] = model.RunTask(task_id, timestamp, state, completed_at)
        else:
            task.status = state
            task.completed_at = completed_at

    async def _task_failed(self, run: model.JobRun) -> None:
        restart = run.job.run["restart"]
        deadline = restart.get("activeDeadlineSeconds")
        in_time = deadline is None or (
            run.created_at + dt.timedelta(seconds=deadline) > self.clock()
        )
        if restart["policy"] == "ON_FAILURE" and in_time:
            log.info("run %s of job %s: task failed, launching another", run.id, run.job_id)
            await self.store.put_run(run)
            self.launcher.enqueue(run)
            return
        run.status = model.FAILED
        run.completed_at = self.clock()
        log.info("run %s of job %s: failed", run.id, run.job_id)
        await self._finish(run)

    async def _finish(self, run: model.JobRun) -> None:
        key = (run.job_id, run.id)
        self._disarm_starting_deadline(run)
        self.launcher.dequeue(run)
        self.active.pop(key, None)
        await self.store.delete_run(run)
        history = self.histories.setdefault(run.job_id, model.JobHistory())
        history.record(run, self.clock())
        await self.store.put_history(run.job_id, history)
        for waiter in self._waiters.pop(key, []):
            if not waiter.done():
                waiter.set_result(run)

    async def wait_finished(self, job_id: str, run_id: str) -> model.JobRun | None:
        """Until the run finishes (for tests and tools); None if it is not active."""
        key = (job_id, run_id)
        if key not in self.active:
            return None
        waiter: asyncio.Future[model.JobRun] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(key, []).append(waiter)
        return await waiter

    # -- starting deadline ------------------------------------------------------

    def _arm_starting_deadline(self, run: model.JobRun) -> None:
        if run.starting_deadline_s is None or run.status not in (model.INITIAL, model.STARTING):
            return
        deadline = run.created_at + dt.timedelta(seconds=run.starting_deadline_s)
        delay = max(0.0, (deadline - self.clock()).total_seconds())
        loop = asyncio.get_running_loop()
        key = (run.job_id, run.id)
        self._deadline_timers[key] = loop.call_later(
            delay, lambda: asyncio.ensure_future(self._starting_deadline_passed(key))
        )

    def _disarm_starting_deadline(self, run: model.JobRun) -> None:
        timer = self._deadline_timers.pop((run.job_id, run.id), None)
        if timer is not None:
            timer.cancel()

    async def _starting_deadline_passed(self, key: RunKey) -> None:
        self._deadline_timers.pop(key, None)
        run = self.active.get(key)
        if run is not None and run.status in (model.INITIAL, model.STARTING):
            await self._abort(run, f"not running within {run.starting_deadline_s} s")

    def close(self) -> None:
        for timer in self._deadline_timers.values():
            timer.cancel()
        self._deadline_timers.clear()
