"""Readiness checks: during a deployment, a new task counts only once its endpoint says so.

Marathon GETs `protocol://host:port/path` (the port named `portName`) every
`intervalSeconds` until the answer's status is one of
`httpStatusCodesForReady`; the results show in `/v2/deployments`
(`currentActions[].readinessCheckResults`) and in `?embed=app.readiness`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from .health import _INSECURE


@dataclass
class ReadinessResult:
    name: str
    task_id: str
    ready: bool = False
    last_response: dict[str, Any] | None = None
    preserve: bool = False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "taskId": self.task_id, "ready": self.ready}
        if self.preserve and self.last_response is not None:
            out["lastResponse"] = self.last_response
        return out


@dataclass
class ReadinessTracker:
    results: dict[str, ReadinessResult] = field(default_factory=dict)  # by task id
    tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)

    def start(
        self,
        session: aiohttp.ClientSession,
        check: dict[str, Any],
        task_id: str,
        host: str,
        port: int,
        on_ready: Any,
    ) -> None:
        if task_id in self.tasks:
            return
        result = ReadinessResult(
            check["name"], task_id, preserve=bool(check.get("preserveLastResponse"))
        )
        self.results[task_id] = result
        self.tasks[task_id] = asyncio.create_task(
            self._run(session, check, result, host, port, on_ready)
        )

    async def _run(
        self,
        session: aiohttp.ClientSession,
        check: dict[str, Any],
        result: ReadinessResult,
        host: str,
        port: int,
        on_ready: Any,
    ) -> None:
        scheme = "https" if check["protocol"] == "HTTPS" else "http"
        url = f"{scheme}://{host}:{port}{check['path']}"
        codes = set(check.get("httpStatusCodesForReady") or [200])
        while not result.ready:
            try:
                async with session.get(
                    url,
                    timeout=aiohttp.ClientTimeout(total=float(check["timeoutSeconds"])),
                    ssl=_INSECURE if scheme == "https" else None,
                ) as response:
                    body = await response.text(errors="replace")
                    result.last_response = {
                        "status": response.status,
                        "contentType": response.headers.get("Content-Type", ""),
                        "body": body[:4096],
                    }
                    if response.status in codes:
                        result.ready = True
                        on_ready()
                        return
            except (TimeoutError, OSError, aiohttp.ClientError):
                pass
            await asyncio.sleep(float(check["intervalSeconds"]))

    def is_ready(self, task_id: str) -> bool:
        result = self.results.get(task_id)
        return result is not None and result.ready

    def stop(self) -> None:
        for task in self.tasks.values():
            task.cancel()
        self.tasks.clear()
