"""The leader's state: jobs with their schedules, their runs and history, kept in the store."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from dcos_metronome import model
from dcos_metronome.runs import Launcher, RunManager
from dcos_metronome.schedules import CronScheduler
from dcos_metronome.store import Store

log = logging.getLogger(__name__)


class JobExists(Exception):
    pass


class NoSuchJob(Exception):
    pass


class JobService:
    def __init__(
        self, store: Store, launcher: Launcher, clock: Callable[[], dt.datetime] = model.now
    ) -> None:
        self.store = store
        self.clock = clock
        self.jobs: dict[str, model.JobSpec] = {}
        self.runs = RunManager(store, launcher, clock)
        self.cron = CronScheduler(self._scheduled_run, clock)
        self.framework_id: str | None = None

    async def restore(self) -> None:
        """Load what the store holds and resume it: schedules, active runs, history."""
        state = await self.store.load()
        self.framework_id = state.framework_id
        self.jobs = dict(state.jobs)
        self.runs.restore(state)
        for job in self.jobs.values():
            self.cron.update(job)
        log.info("restored %d jobs and %d active runs", len(self.jobs), len(state.runs))

    def close(self) -> None:
        self.cron.close()
        self.runs.close()

    async def create_job(self, job: model.JobSpec) -> model.JobSpec:
        if job.id in self.jobs:
            raise JobExists(job.id)
        self.jobs[job.id] = job
        await self.store.put_job(job)
        self.cron.update(job)
        return job

    async def update_job(
        self, job_id: str, change: Callable[[model.JobSpec], model.JobSpec]
    ) -> model.JobSpec:
        """Apply `change` to a job; it may raise ValueError to refuse the change."""
        current = self.jobs.get(job_id)
        if current is None:
            raise NoSuchJob(job_id)
        job = change(current)
        self.jobs[job_id] = job
        await self.store.put_job(job)
        self.cron.update(job)
        return job

    async def delete_job(self, job_id: str) -> model.JobSpec:
        job = self.jobs.pop(job_id, None)
        if job is None:
            raise NoSuchJob(job_id)
        self.cron.remove(job_id)
        await self.runs.forget_job(job_id)
        await self.store.delete_job(job_id)
        return job

    async def start_run(
        self, job: model.JobSpec, starting_deadline_s: int | None = None
    ) -> model.JobRun:
        return await self.runs.start(job, starting_deadline_s)

    async def _scheduled_run(self, job: model.JobSpec, schedule: model.Schedule) -> object:
        current = self.jobs.get(job.id)
        if current is None:
            return None
        return await self.start_run(current, schedule.starting_deadline_s)

    async def set_framework_id(self, framework_id: str) -> None:
        if framework_id != self.framework_id:
            self.framework_id = framework_id
            await self.store.put_framework_id(framework_id)
