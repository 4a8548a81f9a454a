"""Following a master: records follow a state change, streamed or polled.

The master here is a small aiohttp app serving a recorded `/master/state` and,
when asked to, the v1 operator API's SUBSCRIBE stream (RecordIO events).
"""

from __future__ import annotations

import asyncio
import copy
import time
from typing import Any

import aiohttp
from aiohttp import web
from dcos_internal_utils import recordio
from dcos_internal_utils.mesos_leader import MasterInfo
from dcos_mesos_dns import config as mesos_dns_config
from dcos_mesos_dns.answer import Answerer
from dcos_mesos_dns.follower import Follower

CONFIG = mesos_dns_config.from_expanded({"master_list": '["127.0.0.1"]', "resolvers": "[]"})


class RecordedMaster:
    def __init__(self, state: dict[str, Any], streams: bool) -> None:
        self.state = state
        self.streams = streams
        self.state_requests = 0
        self.subscribers: list[asyncio.Queue[dict[str, Any]]] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/master/state", self.get_state)
        app.router.add_post("/api/v1", self.api)
        return app

    async def get_state(self, _: web.Request) -> web.Response:
        self.state_requests += 1
        return web.json_response(self.state)

    async def api(self, request: web.Request) -> web.StreamResponse:
        if not self.streams or (await request.json()).get("type") != "SUBSCRIBE":
            return web.Response(status=404)
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.subscribers.append(queue)
        await response.write(recordio.encode_json({"type": "SUBSCRIBED", "subscribed": {}}))
        while True:
            await response.write(recordio.encode_json(await queue.get()))

    def publish(self, event: dict[str, Any]) -> None:
        for queue in self.subscribers:
            queue.put_nowait(event)


def add_task(state: dict[str, Any], name: str) -> None:
    task = copy.deepcopy(state["frameworks"][0]["tasks"][3])
    task.update(id=f"{name}.1", name=name)
    state["frameworks"][0]["tasks"].append(task)


async def _follow(state: dict[str, Any], streams: bool) -> tuple[float, int]:
    master = RecordedMaster(state, streams)
    runner = web.AppRunner(master.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, shutdown_timeout=0.1)
    await site.start()
    port = runner.addresses[0][1]
    state["leader"] = f"master@127.0.0.1:{port}"
    answerer = Answerer(CONFIG.zone())
    follower = Follower(CONFIG, answerer, host_ips=lambda: [])
    async with aiohttp.ClientSession() as session:
        task = asyncio.ensure_future(follower.follow(session))
        follower.masters_changed([MasterInfo("id", "127.0.0.1", port, "", "1.4.0")])
        await _until(
            lambda: answerer.records is not None and "leader.mesos." in answerer.records.a, 5
        )
        if streams:
            await _until(lambda: bool(master.subscribers) and follower.stream_up, 5)
            await _settled(master)  # the fetch SUBSCRIBED asked for is done
        requests_before = master.state_requests
        add_task(state, "fresh")
        started = time.monotonic()
        if streams:
            master.publish({"type": "TASK_ADDED", "task_added": {"task": {"name": "fresh"}}})
        await _until(lambda: "fresh.marathon.mesos." in answerer.records.a, 5)  # type: ignore[union-attr]
        took = time.monotonic() - started
        if streams:
            await asyncio.sleep(1.5)  # longer than the poll period: show nothing polls
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    await runner.cleanup()
    return took, master.state_requests - requests_before


async def _settled(master: RecordedMaster, quiet_s: float = 1.0) -> None:
    """Until the master has had no state request for `quiet_s` (long enough that the
    fetch SUBSCRIBED asked for has been made even on a loaded machine)."""
    while True:
        seen = master.state_requests
        await asyncio.sleep(quiet_s)
        if master.state_requests == seen:
            return


async def _until(condition: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


def test_streamed_change_reaches_records(state: dict[str, Any]) -> None:
    took, requests = asyncio.run(_follow(state, streams=True))
    print(f"streamed change in records after {took * 1000:.0f} ms")
    assert requests == 1  # one event, one fetch: no polling while the stream is up


def test_change_reaches_records_without_a_stream(state: dict[str, Any]) -> None:
    took, requests = asyncio.run(_follow(state, streams=False))
    print(f"polled change in records after {took * 1000:.0f} ms")
    assert requests >= 1


def test_a_master_that_does_not_answer_keeps_the_old_records(state: dict[str, Any]) -> None:
    async def scenario() -> None:
        answerer = Answerer(CONFIG.zone())
        follower = Follower(CONFIG, answerer, host_ips=lambda: [])
        async with aiohttp.ClientSession() as session:
            task = asyncio.ensure_future(follower.follow(session))
            # Nothing listens on port 9 of 127.0.0.1: every fetch fails.
            follower.masters_changed([MasterInfo("id", "127.0.0.1", 9, "", "1.4.0")])
            await _until(
                lambda: "state" in follower._last_errors and bool(follower._last_errors["state"]), 5
            )
            assert answerer.records is None
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    asyncio.run(scenario())
