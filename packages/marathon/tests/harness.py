"""Marathon in-process for fast tests: a fake Mesos master, a memory store, the real API."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
from dcos_internal_utils import aio
from dcos_marathon.api import Api
from dcos_marathon.core import Config, Marathon
from dcos_marathon.election import SoloElection
from dcos_marathon.events import EventBus
from dcos_marathon.store import MemoryStore
from fake_mesos import FakeAgent, FakeMaster


class Harness:
    def __init__(
        self, master: FakeMaster, core: Marathon, url: str, session: aiohttp.ClientSession
    ) -> None:
        self.master = master
        self.core = core
        self.url = url
        self.session = session

    async def request(
        self, method: str, path: str, body: Any = None, **params: Any
    ) -> tuple[int, Any, Any]:
        data = (
            None if body is None else (body if isinstance(body, str | bytes) else json.dumps(body))
        )
        query = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in params.items()}
        async with self.session.request(
            method,
            self.url + path,
            data=data,
            params=query,
            headers={"Content-Type": "application/json"},
        ) as response:
            text = await response.text()
            try:
                payload = json.loads(text) if text else None
            except json.JSONDecodeError:
                payload = text
            return response.status, payload, response.headers

    async def get(self, path: str, **params: Any) -> Any:
        status, payload, _ = await self.request("GET", path, **params)
        assert status == 200, (status, payload)
        return payload

    async def until(self, probe: Callable[[], Any], timeout: float = 10.0, what: str = "") -> Any:
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            last = probe()
            if asyncio.iscoroutine(last):
                last = await last
            if last:
                return last
            await asyncio.sleep(0.02)
        raise AssertionError(f"timed out waiting for {what or probe}: last {last!r}")

    async def deployments_done(self, timeout: float = 10.0) -> None:
        async def none_left() -> bool:
            return not await self.get("/v2/deployments")

        await self.until(none_left, timeout, "no deployments left")

    async def app(self, app_id: str) -> dict[str, Any]:
        return dict((await self.get(f"/v2/apps{app_id}"))["app"])


def default_agents() -> list[FakeAgent]:
    return [
        FakeAgent("agent-1", "10.0.0.1"),
        FakeAgent("agent-2", "10.0.0.2"),
        FakeAgent("agent-p", "10.0.0.3", role="slave_public"),
    ]


@contextlib.asynccontextmanager
async def harness(
    agents: list[FakeAgent] | None = None,
    store: MemoryStore | None = None,
    master: FakeMaster | None = None,
) -> AsyncIterator[Harness]:
    own_master = master is None
    if master is None:
        master = FakeMaster(agents or default_agents())
        await master.start()
    config = Config(hostname="127.0.0.1", http_port=8080)
    core = Marathon(config, store or MemoryStore(), EventBus(), master.address)
    election = SoloElection(config.host_port)
    api = Api(core, election)
    runner = await aio.serve(api.build(), tcp=[("127.0.0.1", 0)])
    url = next(iter(runner.sites)).name
    election.on_elected = lambda: None
    await election.start()
    await core.start()
    await asyncio.wait_for(master.subscribed.wait(), 5)
    session = aiohttp.ClientSession()
    try:
        yield Harness(master, core, url, session)
    finally:
        await session.close()
        await core.stop()
        await runner.cleanup()
        if own_master:
            await master.stop()


def run(scenario: Callable[[], Any]) -> None:
    asyncio.run(scenario())
