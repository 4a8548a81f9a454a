"""Health checks the agent runs itself (TaskInfo.health_check: COMMAND, HTTP and TCP).

As Mesos's checker does: the first check after `delay_seconds`, then every
`interval_seconds`; a check slower than `timeout_seconds` fails; failures
inside `grace_period_seconds` of the launch do not count until the task has
been healthy once. A change of health is a TASK_RUNNING update with
`healthy` and reason REASON_TASK_HEALTH_CHECK_STATUS_UPDATED; after
`consecutive_failures` failures the task is killed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

import aiohttp

if TYPE_CHECKING:
    from dcos_mesos.agent.core import Agent
    from dcos_mesos.agent.store import ContainerRecord, TaskRecord

log = logging.getLogger("mesos-agent.health")


class HealthChecker:
    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self._tasks: dict[int, asyncio.Task[Any]] = {}

    def start(self, record: ContainerRecord, task: TaskRecord) -> None:
        check = task.info.get("health_check")
        if not check or id(task) in self._tasks:
            return
        self._tasks[id(task)] = asyncio.ensure_future(self._loop(record, task, check))

    def stop(self, task: TaskRecord) -> None:
        running = self._tasks.pop(id(task), None)
        if running is not None:
            running.cancel()

    async def _loop(self, record: ContainerRecord, task: TaskRecord, check: dict[str, Any]) -> None:
        delay = float(check.get("delay_seconds", 15.0))
        interval = float(check.get("interval_seconds", 10.0))
        timeout = float(check.get("timeout_seconds", 20.0))
        limit = int(check.get("consecutive_failures", 3))
        grace = float(check.get("grace_period_seconds", 10.0))
        started = time.monotonic()
        failures = 0
        been_healthy = False
        await asyncio.sleep(delay)
        while not task.terminal and not task.killing:
            try:
                ok = await asyncio.wait_for(self.probe(record, task, check), timeout)
            except (TimeoutError, OSError, aiohttp.ClientError):
                ok = False
            if ok:
                failures = 0
                been_healthy = True
                if task.healthy is not True:
                    task.healthy = True
                    self._report(record, task, True)
            elif been_healthy or time.monotonic() - started > grace:
                failures += 1
                if task.healthy is not False:
                    task.healthy = False
                    self._report(record, task, False)
                if failures >= limit:
                    log.info("task %s failed %d health checks: killing it", task.id, failures)
                    await self.agent.kill_task(record.framework_id, task.id)
                    return
            await asyncio.sleep(interval)

    def _report(self, record: ContainerRecord, task: TaskRecord, healthy: bool) -> None:
        if task.terminal:
            return
        self.agent.send_status(
            record,
            task,
            "TASK_RUNNING",
            healthy=healthy,
            reason="REASON_TASK_HEALTH_CHECK_STATUS_UPDATED",
        )

    async def probe(self, record: ContainerRecord, task: TaskRecord, check: dict[str, Any]) -> bool:
        kind = check.get("type") or (
            "HTTP" if "http" in check else "TCP" if "tcp" in check else "COMMAND"
        )
        host = self.agent.container_ips.get(record.id) or "127.0.0.1"
        if kind == "HTTP":
            http = check.get("http") or {}
            port = self._port(record, task, int(http.get("port", 0)))
            url = f"{http.get('scheme', 'http')}://{host}:{port}{http.get('path', '/')}"
            async with aiohttp.ClientSession() as session, session.get(url, ssl=False) as resp:
                return 200 <= resp.status < 400
        if kind == "TCP":
            port = self._port(record, task, int((check.get("tcp") or {}).get("port", 0)))
            _, writer = await asyncio.open_connection(host, port)
            writer.close()
            return True
        command = check.get("command") or {}
        return await self._command(record, task, command)

    def _port(self, record: ContainerRecord, task: TaskRecord, port: int) -> int:
        """Docker bridge checks reach the container's own address, so use its container port."""
        docker = (task.info.get("container") or {}).get("docker") or {}
        if record.kind == "docker" and docker.get("network") == "BRIDGE":
            for mapping in docker.get("port_mappings") or []:
                if int(mapping.get("host_port", -1)) == port:
                    return int(mapping["container_port"])
        return port

    async def _command(
        self, record: ContainerRecord, task: TaskRecord, command: dict[str, Any]
    ) -> bool:
        from dcos_mesos.agent import launcher

        argv = launcher.command_argv(command)
        cid = self.agent.container_of(record, task)
        image = ((task.info.get("container") or {}).get("mesos") or {}).get("image")
        if record.kind == "docker":
            argv = ["docker", "exec", f"mesos-{cid}", *argv]
        elif image:
            argv = ["crun", "exec", f"mesos-{cid}", *argv]
        env = launcher.environment(
            launcher.command_env(task.info.get("command") or {}), launcher.command_env(command)
        )
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=record.sandbox if record.kind != "group" else None,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            return await proc.wait() == 0
        except asyncio.CancelledError:
            proc.kill()
            raise
