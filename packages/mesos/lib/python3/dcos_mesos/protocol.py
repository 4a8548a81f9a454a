"""The internal master <-> agent protocol: HTTP/JSON on the ports Mesos uses (5050, 5051).

Agent -> leading master (POST, JSON bodies):
  /internal/agent/register  {agent_info, ip, resources, version, capabilities,
                             frameworks, executors, tasks}   -> {agent_id, master_id,
                                                                  ping_interval_seconds}
  /internal/agent/ping      {agent_id}                       -> 200, or 404 "re-register"
  /internal/agent/status    {agent_id, framework_id, status, latest_state} -> 202
Master -> agent (POST, every body carries the sender's `master_id`; an agent
obeys only the master it is registered with):
  /internal/run_task        {framework_info, task | task_group, executor?}
  /internal/kill_task       {framework_id, task_id, kill_policy?}
  /internal/acknowledge     {framework_id, task_id, uuid}
  /internal/shutdown_framework {framework_id}
  /internal/shutdown_executor  {framework_id, executor_id}

All payloads are Mesos's v1 JSON messages (TaskInfo, TaskStatus, ...).
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp

log = logging.getLogger("mesos.protocol")

TIMEOUT = aiohttp.ClientTimeout(total=10, connect=3)


class HttpClient:
    """One pooled aiohttp session for internal calls."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        return self._session

    async def post_json(self, url: str, body: dict[str, Any]) -> tuple[int, Any]:
        """POST `body`; (status, decoded JSON or text). Status 0 means unreachable."""
        try:
            async with self.session.post(url, json=body) as response:
                raw = await response.read()
                try:
                    data: Any = await response.json(content_type=None) if raw else None
                except ValueError:
                    data = raw.decode(errors="replace")
                return response.status, data
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            log.debug("POST %s failed: %s", url, exc)
            return 0, str(exc)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
