"""Where Metronome keeps its state: jobs (with schedules), active runs, run history and the
framework id, in ZooKeeper under `/metronome/state` (Metronome's default `zk://.../metronome`).

    /metronome/state/framework-id          the Mesos FrameworkID value
    /metronome/state/jobs/<job id>         the job with its schedules (JSON)
    /metronome/state/runs/<job id>/<run>   an active run (JSON), deleted when it finishes
    /metronome/state/history/<job id>      the job's run history (JSON)

Only the leader writes. Reads happen once, when a Metronome becomes leader.
`MemoryStore` keeps the same data in a dict, for fast tests of everything above it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from kazoo.exceptions import NoNodeError

from dcos_metronome import model

ROOT = "/metronome/state"


@dataclass
class State:
    jobs: dict[str, model.JobSpec] = field(default_factory=dict)
    runs: dict[tuple[str, str], model.JobRun] = field(default_factory=dict)
    histories: dict[str, model.JobHistory] = field(default_factory=dict)
    framework_id: str | None = None


class Store(Protocol):
    async def load(self) -> State: ...
    async def put_job(self, job: model.JobSpec) -> None: ...
    async def delete_job(self, job_id: str) -> None: ...
    async def put_run(self, run: model.JobRun) -> None: ...
    async def delete_run(self, run: model.JobRun) -> None: ...
    async def put_history(self, job_id: str, history: model.JobHistory) -> None: ...
    async def put_framework_id(self, framework_id: str) -> None: ...


def _encode(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


class MemoryStore:
    """The store's contract without ZooKeeper (documents kept as JSON, as ZooKeeper would)."""

    def __init__(self) -> None:
        self.nodes: dict[str, bytes] = {}

    async def load(self) -> State:
        state = State()
        for path, data in self.nodes.items():
            _load_node(state, path, data)
        return state

    async def put_job(self, job: model.JobSpec) -> None:
        self.nodes[f"{ROOT}/jobs/{job.id}"] = _encode(job.to_store())

    async def delete_job(self, job_id: str) -> None:
        for path in [p for p in self.nodes if _belongs_to(p, job_id)]:
            del self.nodes[path]

    async def put_run(self, run: model.JobRun) -> None:
        self.nodes[f"{ROOT}/runs/{run.job_id}/{run.id}"] = _encode(run.to_store())

    async def delete_run(self, run: model.JobRun) -> None:
        self.nodes.pop(f"{ROOT}/runs/{run.job_id}/{run.id}", None)

    async def put_history(self, job_id: str, history: model.JobHistory) -> None:
        self.nodes[f"{ROOT}/history/{job_id}"] = _encode(history.to_json())

    async def put_framework_id(self, framework_id: str) -> None:
        self.nodes[f"{ROOT}/framework-id"] = framework_id.encode()


def _belongs_to(path: str, job_id: str) -> bool:
    return path in (f"{ROOT}/jobs/{job_id}", f"{ROOT}/history/{job_id}") or path.startswith(
        f"{ROOT}/runs/{job_id}/"
    )


def _load_node(state: State, path: str, data: bytes) -> None:
    relative = path[len(ROOT) + 1 :]
    kind, _, rest = relative.partition("/")
    if kind == "framework-id":
        state.framework_id = data.decode() or None
    elif kind == "jobs":
        job = model.job_from_store(json.loads(data))
        state.jobs[job.id] = job
    elif kind == "runs":
        run = model.run_from_store(json.loads(data))
        state.runs[(run.job_id, run.id)] = run
    elif kind == "history":
        state.histories[rest] = model.history_from_store(json.loads(data))


class ZkStore:
    """The store in ZooKeeper (a started kazoo client in; its calls run in a worker thread).

    Writes are serialised, so a run's update and its deletion reach ZooKeeper
    in the order they were made.
    """

    def __init__(self, zk: Any) -> None:
        self._zk = zk
        self._lock = asyncio.Lock()

    async def _write(self, fn: Any, *args: Any) -> None:
        async with self._lock:
            await asyncio.to_thread(fn, *args)

    def _set(self, path: str, data: bytes) -> None:
        try:
            self._zk.set(path, data)
        except NoNodeError:
            self._zk.create(path, data, makepath=True)

    def _delete(self, path: str, recursive: bool = False) -> None:
        with contextlib.suppress(NoNodeError):
            self._zk.delete(path, recursive=recursive)

    async def load(self) -> State:
        return await asyncio.to_thread(self._load)

    def _load(self) -> State:
        state = State()
        self._zk.ensure_path(ROOT)

        def read(path: str) -> None:
            try:
                data, _ = self._zk.get(path)
            except NoNodeError:
                return
            _load_node(state, path, data)

        read(f"{ROOT}/framework-id")
        for kind in ("jobs", "history"):
            self._zk.ensure_path(f"{ROOT}/{kind}")
            for child in self._zk.get_children(f"{ROOT}/{kind}"):
                read(f"{ROOT}/{kind}/{child}")
        self._zk.ensure_path(f"{ROOT}/runs")
        for job_id in self._zk.get_children(f"{ROOT}/runs"):
            try:
                run_ids = self._zk.get_children(f"{ROOT}/runs/{job_id}")
            except NoNodeError:
                continue
            for run_id in run_ids:
                read(f"{ROOT}/runs/{job_id}/{run_id}")
        return state

    async def put_job(self, job: model.JobSpec) -> None:
        await self._write(self._set, f"{ROOT}/jobs/{job.id}", _encode(job.to_store()))

    async def delete_job(self, job_id: str) -> None:
        await self._write(self._delete_job, job_id)

    def _delete_job(self, job_id: str) -> None:
        self._delete(f"{ROOT}/runs/{job_id}", recursive=True)
        self._delete(f"{ROOT}/history/{job_id}")
        self._delete(f"{ROOT}/jobs/{job_id}")

    async def put_run(self, run: model.JobRun) -> None:
        await self._write(self._set, f"{ROOT}/runs/{run.job_id}/{run.id}", _encode(run.to_store()))

    async def delete_run(self, run: model.JobRun) -> None:
        await self._write(self._delete, f"{ROOT}/runs/{run.job_id}/{run.id}")

    async def put_history(self, job_id: str, history: model.JobHistory) -> None:
        await self._write(self._set, f"{ROOT}/history/{job_id}", _encode(history.to_json()))

    async def put_framework_id(self, framework_id: str) -> None:
        await self._write(self._set, f"{ROOT}/framework-id", framework_id.encode())
