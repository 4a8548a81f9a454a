"""A Metronome whose Mesos side is a recorder: tests play the master's status updates."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from dcos_metronome import api, model, runs
from dcos_metronome.service import JobService
from dcos_metronome.store import MemoryStore


@dataclass
class RecordingLauncher:
    """Stands in for the framework's offer matching: records what it is asked to do."""

    queued: list[model.JobRun] = field(default_factory=list)
    killed: list[str] = field(default_factory=list)
    launched: int = 0

    def enqueue(self, run: model.JobRun) -> None:
        if run not in self.queued:
            self.queued.append(run)

    def dequeue(self, run: model.JobRun) -> None:
        if run in self.queued:
            self.queued.remove(run)

    def kill(self, task_id: str, agent_id: str | None) -> None:
        self.killed.append(task_id)


@dataclass
class Leader:
    service: JobService | None
    leader_host_port: str | None = "127.0.0.1:9000"
    local_host_port: str = "127.0.0.1:9000"


class Harness:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        base: str,
        service: JobService,
        launcher: RecordingLauncher,
        store: MemoryStore,
    ) -> None:
        self.session = session
        self.base = base
        self.service = service
        self.launcher = launcher
        self.store = store

    async def call(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        async with self.session.request(method, self.base + path, **kwargs) as response:
            text = await response.text()
            try:
                return response.status, await response.json(content_type=None)
            except ValueError:
                return response.status, text

    async def launch(self, run_id: str, agent: str = "agent-1") -> str:
        """Take the queued run's launch, as an offer would, and return its task id."""
        run = next(r for r in self.launcher.queued if r.id == run_id)
        self.launcher.dequeue(run)
        task_id = f"{runs.task_id_prefix(run)}.{len(self.launcher.killed)}-{run_id}"
        self.service.runs.task_launched(run, task_id, agent)
        self.launcher.launched += 1
        return task_id

    async def update(self, task_id: str, state: str) -> None:
        await self.service.runs.status_update(task_id, state, model.now(), "agent-1")


Scenario = Callable[[Harness], Coroutine[Any, Any, None]]


def serve(scenario: Scenario) -> None:
    """Run a scenario against a fresh Metronome served on loopback."""

    async def main() -> None:
        store = MemoryStore()
        launcher = RecordingLauncher()
        service = JobService(store, launcher)
        runner = web.AppRunner(api.make_app(Leader(service)))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            async with aiohttp.ClientSession() as session:
                harness = Harness(session, f"http://127.0.0.1:{port}", service, launcher, store)
                await scenario(harness)
        finally:
            service.close()
            await runner.cleanup()

    asyncio.run(main())


def job(job_id: str = "prod.backup", **run: Any) -> dict[str, Any]:
    return {"id": job_id, "run": {"cpus": 0.1, "mem": 32, "disk": 0, "cmd": "true", **run}}


async def wait(predicate: Callable[[], bool], timeout_s: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)
