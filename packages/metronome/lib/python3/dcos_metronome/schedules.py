"""Firing jobs on their cron schedules (Metronome's JobSpecSchedulerActor).

Each job with an enabled schedule has one timer, set for the schedule's next
firing time after the previous one (after now, when the job is created,
changed, or a Metronome becomes leader: missed firings are not caught up).
A firing starts a run whose starting deadline is the schedule's
`startingDeadlineSeconds`; `concurrencyPolicy` ALLOW (the only one) starts it
even while earlier runs are active.

Unlike Metronome 0.3, which never fires sooner than 60 s after it set its
timer, a firing happens at the `nextRunAt` the API shows.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from dcos_metronome import model

log = logging.getLogger(__name__)

StartRun = Callable[[model.JobSpec, model.Schedule], Awaitable[object]]


class CronScheduler:
    def __init__(self, start_run: StartRun, clock: Callable[[], dt.datetime] = model.now) -> None:
        self._start_run = start_run
        self._clock = clock
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._jobs: dict[str, model.JobSpec] = {}
        self.scheduled_at: dict[str, dt.datetime] = {}

    def update(self, job: model.JobSpec) -> None:
        """(Re)schedule `job` after a create or an update: its next firing from now."""
        self.remove(job.id)
        if self._enabled_schedule(job) is not None:
            self._jobs[job.id] = job
            self._arm(job.id, self._clock())

    def remove(self, job_id: str) -> None:
        timer = self._timers.pop(job_id, None)
        if timer is not None:
            timer.cancel()
        self._jobs.pop(job_id, None)
        self.scheduled_at.pop(job_id, None)

    def close(self) -> None:
        for job_id in list(self._timers):
            self.remove(job_id)

    @staticmethod
    def _enabled_schedule(job: model.JobSpec) -> model.Schedule | None:
        return next((s for s in job.schedules if s.enabled), None)

    def _arm(self, job_id: str, after: dt.datetime) -> None:
        job = self._jobs[job_id]
        schedule = self._enabled_schedule(job)
        if schedule is None:
            return
        at = schedule.next_run_at(after)
        self.scheduled_at[job_id] = at
        self._set_timer(job_id, at)
        log.info("job %s: next run is scheduled for %s", job_id, model.format_time(at))

    def _set_timer(self, job_id: str, at: dt.datetime) -> None:
        delay = max(0.0, (at - self._clock()).total_seconds())
        loop = asyncio.get_running_loop()
        self._timers[job_id] = loop.call_later(
            delay, lambda: asyncio.ensure_future(self._fire(job_id, at))
        )

    async def _fire(self, job_id: str, at: dt.datetime) -> None:
        job = self._jobs.get(job_id)
        if job is None or self.scheduled_at.get(job_id) != at:
            return  # removed or rescheduled meanwhile
        early = (at - self._clock()).total_seconds()
        if early > 0:
            # The event loop's monotonic clock ran ahead of the wall clock: wait the rest.
            self._set_timer(job_id, at)
            return
        schedule = self._enabled_schedule(job)
        self._arm(job_id, at)
        if schedule is None:
            return
        log.info("job %s: starting the run scheduled for %s", job_id, model.format_time(at))
        try:
            await self._start_run(job, schedule)
        except Exception:
            log.exception("job %s: the scheduled run could not start", job_id)
