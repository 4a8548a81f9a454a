"""Metronome as a Mesos framework: offers in, one task per queued run out.

Queued runs (the launch queue) are matched first come, first served against
each batch of offers; an offer that fits a run's cpus, mem, disk and
placement constraints is accepted with a LAUNCH of that run's task, the rest
are declined. With nothing queued the framework SUPPRESSes offers, and
REVIVEs them when a run is queued. Task status updates go to the run manager
(and are acknowledged by the driver). After each subscription, and every
15 minutes, the framework reconciles: explicitly for the tasks it believes
alive, then implicitly, so that Mesos reports every task it still runs for
Metronome. A KILL is sent again every 10 s until the task is reported
terminal.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import OrderedDict
from typing import Any

from dcos_internal_utils.scheduler import CallError, Scheduler, SchedulerDriver

from dcos_metronome import model, tasks
from dcos_metronome.runs import RunKey

log = logging.getLogger(__name__)

FAILOVER_TIMEOUT_S = 7 * 24 * 3600  # metronome.mesos.failover.timeout: one week
# Offers a queued run cannot use come back soon; with nothing queued, offers are suppressed.
DECLINE_WHILE_QUEUED_S = 5.0
DECLINE_IDLE_S = 120.0
RECONCILIATION_INTERVAL_S = 15 * 60  # metronome.scheduler.reconciliation.interval
KILL_RETRY_S = 10.0  # metronome.killtask.kill_retry_timeout
TERMINAL = {
    "TASK_FINISHED",
    "TASK_FAILED",
    "TASK_KILLED",
    "TASK_ERROR",
    "TASK_LOST",
    "TASK_DROPPED",
    "TASK_GONE",
    "TASK_GONE_BY_OPERATOR",
    "TASK_UNKNOWN",
}


def framework_info(name: str, user: str, hostname: str, port: int) -> dict[str, Any]:
    return {
        "user": user,
        "name": name,
        "failover_timeout": FAILOVER_TIMEOUT_S,
        "checkpoint": True,
        "hostname": hostname,
        "webui_url": f"http://{hostname}:{port}",
    }


class Framework(Scheduler):
    """The launch queue and the scheduler callbacks (the run manager's Launcher)."""

    def __init__(self) -> None:
        self.queue: OrderedDict[RunKey, model.JobRun] = OrderedDict()
        self.driver: SchedulerDriver | None = None
        self.service: Any = None  # the JobService, set once it exists
        self._suppressed = False
        # Tasks to kill, until Mesos reports them terminal: task id -> agent id.
        self._killing: dict[str, str | None] = {}
        self._kill_retry: asyncio.TimerHandle | None = None
        self._reconciliation: asyncio.TimerHandle | None = None
        self._background: set[asyncio.Task[None]] = set()

    # -- Launcher ---------------------------------------------------------------

    def enqueue(self, run: model.JobRun) -> None:
        self.queue[(run.job_id, run.id)] = run
        if self._suppressed or self.driver is None or not self.driver.subscribed:
            self._spawn(self._revive())

    def dequeue(self, run: model.JobRun) -> None:
        self.queue.pop((run.job_id, run.id), None)

    def kill(self, task_id: str, agent_id: str | None) -> None:
        self._killing[task_id] = agent_id
        self._spawn(self._send_kills())

    # -- background calls ---------------------------------------------------------

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _revive(self) -> None:
        if self.driver is None or not self.driver.subscribed:
            return  # the next subscription gets offers anyway
        try:
            await self.driver.revive()
            self._suppressed = False
        except CallError as exc:
            log.info("REVIVE failed: %s", exc)

    async def _send_kills(self) -> None:
        """KILL every task not yet reported terminal; again every 10 s while any is left."""
        if self.driver is not None and self.driver.subscribed:
            for task_id, agent_id in list(self._killing.items()):
                try:
                    await self.driver.kill(task_id, agent_id)
                except CallError as exc:
                    log.info("KILL %s failed: %s", task_id, exc)
                    break
        if self._killing and self._kill_retry is None:
            loop = asyncio.get_running_loop()
            self._kill_retry = loop.call_later(KILL_RETRY_S, self._retry_kills)

    def _retry_kills(self) -> None:
        self._kill_retry = None
        if self._killing:
            self._spawn(self._send_kills())

    def _reconcile_later(self) -> None:
        if self._reconciliation is not None:
            self._reconciliation.cancel()
        loop = asyncio.get_running_loop()
        self._reconciliation = loop.call_later(
            RECONCILIATION_INTERVAL_S, lambda: self._spawn(self._reconcile())
        )

    async def _reconcile(self) -> None:
        """Explicitly for the tasks believed alive, then implicitly for all of them."""
        self._reconcile_later()
        if self.driver is None or not self.driver.subscribed:
            return
        live = list(self.service.runs.live_tasks.items()) if self.service is not None else []
        try:
            if live:
                await self.driver.reconcile([(task_id, agent) for task_id, (_, agent) in live])
            await self.driver.reconcile([])
        except CallError as exc:
            log.info("RECONCILE failed: %s", exc)

    # -- Scheduler callbacks ------------------------------------------------------

    async def subscribed(self, driver: SchedulerDriver, framework_id: str, master: str) -> None:
        self.driver = driver
        if self.service is not None:
            await self.service.set_framework_id(framework_id)
        await self._send_kills()
        # A master may keep a failed-over framework suppressed: say what we want now.
        try:
            if self.queue:
                await driver.revive()
                self._suppressed = False
            else:
                await driver.suppress()
                self._suppressed = True
        except CallError as exc:
            log.info("REVIVE/SUPPRESS failed: %s", exc)
            self._suppressed = True
        await self._reconcile()

    async def offers(self, driver: SchedulerDriver, offers: list[dict[str, Any]]) -> None:
        spaces = [tasks.OfferSpace.of(o) for o in offers]
        for key, run in list(self.queue.items()):
            if self.service is None or not self.service.runs.is_wanted(run):
                self.queue.pop(key, None)
                continue
            space = next((s for s in spaces if s.fits(run)), None)
            if space is None:
                continue
            info = space.take(run)
            self.queue.pop(key, None)
            self.service.runs.task_launched(
                run, info["task_id"]["value"], space.offer["agent_id"]["value"]
            )
            log.info(
                "launching task %s of run %s on %s",
                info["task_id"]["value"],
                run.id,
                space.offer.get("hostname"),
            )
        unused = []
        for space in spaces:
            if space.task_infos:
                try:
                    await driver.launch([space.offer["id"]], space.task_infos)
                except CallError as exc:
                    log.warning("ACCEPT failed: %s", exc)
            else:
                unused.append(space.offer["id"])
        refuse = DECLINE_WHILE_QUEUED_S if self.queue else DECLINE_IDLE_S
        try:
            await driver.decline(unused, refuse_seconds=refuse)
            if not self.queue and not self._suppressed:
                await driver.suppress()
                self._suppressed = True
        except CallError as exc:
            log.info("DECLINE/SUPPRESS failed: %s", exc)

    async def update(self, driver: SchedulerDriver, status: dict[str, Any]) -> None:
        if self.service is None:
            return
        timestamp = status.get("timestamp")
        moment = dt.datetime.fromtimestamp(float(timestamp), dt.UTC) if timestamp else model.now()
        agent_id = (status.get("agent_id") or {}).get("value")
        task_id = status["task_id"]["value"]
        state = status["state"]
        if state in TERMINAL:
            self._killing.pop(task_id, None)
        if state not in ("TASK_RUNNING", "TASK_STAGING", "TASK_STARTING"):
            log.info("task %s: %s %s", task_id, state, status.get("message", ""))
        await self.service.runs.status_update(task_id, state, moment, agent_id)

    async def error(self, driver: SchedulerDriver, message: str) -> None:
        log.error("Mesos refused Metronome: %s", message)
