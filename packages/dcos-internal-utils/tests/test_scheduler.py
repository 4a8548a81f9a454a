"""The v1 scheduler driver against a small stand-in master that speaks the same HTTP API."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from aiohttp import web
from dcos_internal_utils import recordio
from dcos_internal_utils.scheduler import (
    RECONCILE_BATCH,
    CallError,
    Scheduler,
    SchedulerDriver,
)


class FakeZooKeeper:
    """The part of a kazoo client the driver uses: /mesos's children and their data."""

    def __init__(self) -> None:
        self.nodes: dict[str, bytes] = {}
        self.watchers: list[Callable[[list[str]], Any]] = []

    def set_leader(self, address: str) -> None:
        host, port = address.split(":")
        info = {"id": address, "address": {"ip": host, "port": int(port), "hostname": host}}
        self.nodes = {"json.info_0000000001": json.dumps(info).encode()}
        for watcher in self.watchers:
            watcher(list(self.nodes))

    def ensure_path(self, path: str) -> None:
        pass

    def get_children(self, path: str) -> list[str]:
        return list(self.nodes)

    def get(self, path: str) -> tuple[bytes, None]:
        return self.nodes[path.rsplit("/", 1)[1]], None

    def ChildrenWatch(self, path: str, func: Callable[[list[str]], Any]) -> None:
        self.watchers.append(func)
        func(list(self.nodes))


class Master:
    """Answers SUBSCRIBE with a RecordIO stream and records every other call."""

    def __init__(self, redirect_to: str | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.stream_ids: list[str | None] = []
        self.redirect_to = redirect_to
        self.stream: web.StreamResponse | None = None
        self.refuse_calls = False  # answer every call but SUBSCRIBE with 400

    async def handle(self, request: web.Request) -> web.StreamResponse:
        call = await request.json()
        if self.redirect_to:
            raise web.HTTPTemporaryRedirect(f"//{self.redirect_to}/api/v1/scheduler")
        if call["type"] != "SUBSCRIBE":
            self.calls.append(call)
            self.stream_ids.append(request.headers.get("Mesos-Stream-Id"))
            if self.refuse_calls:
                return web.Response(status=400, text="Framework is being refused")
            return web.Response(status=202)
        info = call["subscribe"]["framework_info"]
        framework_id = info.get("id", {}).get("value", "fw-1")
        stream = web.StreamResponse(headers={"Mesos-Stream-Id": "stream-1"})
        stream.content_type = "application/json"
        await stream.prepare(request)
        self.stream = stream
        await self.send(
            {
                "type": "SUBSCRIBED",
                "subscribed": {
                    "framework_id": {"value": framework_id},
                    "heartbeat_interval_seconds": 15,
                },
            }
        )
        await self.send(
            {"type": "OFFERS", "offers": {"offers": [{"id": {"value": "o1"}, "resources": []}]}}
        )
        await self.send(
            {
                "type": "UPDATE",
                "update": {
                    "status": {
                        "task_id": {"value": "t1"},
                        "agent_id": {"value": "a1"},
                        "state": "TASK_RUNNING",
                        "uuid": "dXVpZA==",
                    }
                },
            }
        )
        while True:
            await asyncio.sleep(0.05)
            if request.transport is None or request.transport.is_closing():
                return stream

    async def send(self, event: dict[str, Any]) -> None:
        assert self.stream is not None
        await self.stream.write(recordio.encode_json(event))


async def serve(master: Master) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_post("/api/v1/scheduler", master.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, shutdown_timeout=0.1)
    await site.start()
    return runner, f"127.0.0.1:{runner.addresses[0][1]}"


class Recorder(Scheduler):
    def __init__(self) -> None:
        self.events: list[str] = []
        self.ready = asyncio.Event()

    async def subscribed(self, driver: SchedulerDriver, framework_id: str, master: str) -> None:
        self.events.append(f"subscribed {framework_id}")

    async def update(self, driver: SchedulerDriver, status: dict[str, Any]) -> None:
        self.events.append(f"update {status['task_id']['value']} {status['state']}")
        self.ready.set()


def test_subscribe_decline_acknowledge_and_call() -> None:
    async def scenario() -> None:
        master = Master()
        runner, address = await serve(master)
        zk = FakeZooKeeper()
        zk.set_leader(address)
        recorder = Recorder()
        driver = SchedulerDriver({"user": "root", "name": "test"}, zk, recorder)
        running = asyncio.ensure_future(driver.run())
        await asyncio.wait_for(recorder.ready.wait(), 5)
        await asyncio.sleep(0.1)  # the acknowledgement follows the update callback
        assert recorder.events == ["subscribed fw-1", "update t1 TASK_RUNNING"]
        assert driver.framework_id == "fw-1" and driver.master == address
        kinds = [c["type"] for c in master.calls]
        assert kinds == ["DECLINE", "ACKNOWLEDGE"]  # the default offers() declines
        assert master.calls[0]["decline"]["offer_ids"] == [{"value": "o1"}]
        assert master.calls[1]["acknowledge"] == {
            "agent_id": {"value": "a1"},
            "task_id": {"value": "t1"},
            "uuid": "dXVpZA==",
        }
        assert set(master.stream_ids) == {"stream-1"}
        assert all(c["framework_id"] == {"value": "fw-1"} for c in master.calls)
        await driver.kill("t1", "a1")
        await driver.reconcile([])
        assert master.calls[-2]["kill"] == {"task_id": {"value": "t1"}, "agent_id": {"value": "a1"}}
        assert master.calls[-1] == {
            "framework_id": {"value": "fw-1"},
            "type": "RECONCILE",
            "reconcile": {"tasks": []},
        }
        driver.stop()
        await asyncio.wait_for(running, 5)
        await runner.cleanup()

    asyncio.run(scenario())


def test_a_new_leader_gets_a_failover_subscription() -> None:
    async def scenario() -> None:
        first, second = Master(), Master()
        runner1, address1 = await serve(first)
        runner2, address2 = await serve(second)
        zk = FakeZooKeeper()
        zk.set_leader(address1)
        recorder = Recorder()
        driver = SchedulerDriver({"user": "root", "name": "test"}, zk, recorder)
        running = asyncio.ensure_future(driver.run())
        await asyncio.wait_for(recorder.ready.wait(), 5)
        recorder.ready.clear()
        zk.set_leader(address2)  # ZooKeeper names another master
        await asyncio.wait_for(recorder.ready.wait(), 5)
        assert driver.master == address2
        assert recorder.events[-2:] == ["subscribed fw-1", "update t1 TASK_RUNNING"]
        driver.stop()
        await asyncio.wait_for(running, 5)
        await runner1.cleanup()
        await runner2.cleanup()

    asyncio.run(scenario())


def test_a_master_that_is_not_the_leader_is_not_followed() -> None:
    async def scenario() -> None:
        master = Master(redirect_to="192.0.2.1:5050")
        runner, address = await serve(master)
        zk = FakeZooKeeper()
        zk.set_leader(address)
        driver = SchedulerDriver({"user": "root", "name": "test"}, zk, Recorder())
        running = asyncio.ensure_future(driver.run())
        await asyncio.sleep(0.3)
        assert not driver.subscribed
        driver.stop()
        await asyncio.wait_for(running, 5)
        await runner.cleanup()

    asyncio.run(scenario())


def test_without_implicit_acknowledgements_the_framework_acknowledges() -> None:
    """As Marathon does: an update is acknowledged only once the framework has stored it."""

    class Storing(Recorder):
        def __init__(self) -> None:
            super().__init__()
            self.statuses: list[dict[str, Any]] = []

        async def update(self, driver: SchedulerDriver, status: dict[str, Any]) -> None:
            self.statuses.append(status)
            await super().update(driver, status)

    async def scenario() -> None:
        master = Master()
        runner, address = await serve(master)
        storing = Storing()
        # A fixed master (host:port) instead of ZooKeeper, as Mesos's drivers allow.
        driver = SchedulerDriver(
            {"user": "root", "name": "test"}, address, storing, implicit_acknowledgements=False
        )
        running = asyncio.ensure_future(driver.run())
        await asyncio.wait_for(storing.ready.wait(), 5)
        await asyncio.sleep(0.1)
        assert [c["type"] for c in master.calls] == ["DECLINE"]  # no ACKNOWLEDGE yet
        await driver.acknowledge(storing.statuses[0])
        assert master.calls[-1]["type"] == "ACKNOWLEDGE"
        assert master.calls[-1]["acknowledge"]["uuid"] == "dXVpZA=="
        driver.stop()
        await asyncio.wait_for(running, 5)
        await runner.cleanup()

    asyncio.run(scenario())


def test_failed_calls_raise_call_error_and_the_subscription_stays() -> None:
    async def scenario() -> None:
        master = Master()
        runner, address = await serve(master)
        recorder = Recorder()
        driver = SchedulerDriver({"user": "root", "name": "test"}, address, recorder)
        try:
            await driver.revive()
            raise AssertionError("a call without a subscription must fail")
        except CallError as exc:
            assert "REVIVE: not subscribed" in str(exc)
        running = asyncio.ensure_future(driver.run())
        await asyncio.wait_for(recorder.ready.wait(), 5)
        master.refuse_calls = True
        try:
            await driver.kill("t1")
            raise AssertionError("a refused call must fail")
        except CallError as exc:
            assert "KILL answered 400: Framework is being refused" in str(exc)
        assert driver.subscribed and driver.master == address
        driver.stop()
        await asyncio.wait_for(running, 5)
        await runner.cleanup()

    asyncio.run(scenario())


def test_explicit_reconciliation_goes_in_batches_and_implicit_in_one_call() -> None:
    async def scenario() -> None:
        master = Master()
        runner, address = await serve(master)
        recorder = Recorder()
        driver = SchedulerDriver({"user": "root", "name": "test"}, address, recorder)
        running = asyncio.ensure_future(driver.run())
        await asyncio.wait_for(recorder.ready.wait(), 5)
        await asyncio.sleep(0.1)
        master.calls.clear()
        tasks: list[tuple[str, str | None]] = [
            (f"t{i}", "a1" if i % 2 else None) for i in range(RECONCILE_BATCH * 2 + 1)
        ]
        await driver.reconcile(tasks)
        batches = [c["reconcile"]["tasks"] for c in master.calls]
        assert [len(b) for b in batches] == [RECONCILE_BATCH, RECONCILE_BATCH, 1]
        assert batches[0][:2] == [
            {"task_id": {"value": "t0"}},
            {"task_id": {"value": "t1"}, "agent_id": {"value": "a1"}},
        ]
        await driver.reconcile([])
        assert master.calls[-1]["reconcile"] == {"tasks": []}
        driver.stop()
        await asyncio.wait_for(running, 5)
        await runner.cleanup()

    asyncio.run(scenario())
