"""A small Mesos master speaking the v1 scheduler API, for Marathon's fast tests.

It keeps agents and their free resources, offers them on SUBSCRIBE and REVIVE
(and after every ACCEPT, DECLINE with refuse_seconds 0, or KILL), launches
tasks at once (TASK_STARTING, then TASK_RUNNING unless told otherwise), kills
them on KILL, answers RECONCILE, and records every call so that tests can
look at exactly what Marathon sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from dcos_internal_utils import aio, recordio


@dataclass
class FakeAgent:
    agent_id: str
    hostname: str
    cpus: float = 4.0
    mem: float = 4096.0
    disk: float = 10000.0
    ports: tuple[int, int] = (31000, 32000)
    role: str = "*"
    attributes: list[dict[str, Any]] = field(default_factory=list)
    used_ports: set[int] = field(default_factory=set)

    def resources(self) -> list[dict[str, Any]]:
        free = [p for p in range(self.ports[0], self.ports[1] + 1) if p not in self.used_ports]
        ranges: list[dict[str, int]] = []
        for port in free:
            if ranges and ranges[-1]["end"] == port - 1:
                ranges[-1]["end"] = port
            else:
                ranges.append({"begin": port, "end": port})
        out = [
            {"name": n, "type": "SCALAR", "scalar": {"value": round(v, 6)}, "role": self.role}
            for n, v in (("cpus", self.cpus), ("mem", self.mem), ("disk", self.disk))
            if v > 1e-6
        ]
        if ranges:
            out.append(
                {"name": "ports", "type": "RANGES", "ranges": {"range": ranges}, "role": self.role}
            )
        return out

    def consume(self, resources: list[dict[str, Any]], sign: int = -1) -> None:
        for r in resources:
            if r["name"] in ("cpus", "mem", "disk"):
                setattr(self, r["name"], getattr(self, r["name"]) + sign * r["scalar"]["value"])
            elif r["name"] == "ports":
                for span in r["ranges"]["range"]:
                    for p in range(span["begin"], span["end"] + 1):
                        if sign < 0:
                            self.used_ports.add(p)
                        else:
                            self.used_ports.discard(p)


class FakeMaster:
    def __init__(self, agents: list[FakeAgent]) -> None:
        self.agents = {a.agent_id: a for a in agents}
        self.calls: list[dict[str, Any]] = []
        self.tasks: dict[str, dict[str, Any]] = {}
        self.offers: dict[str, str] = {}  # offer id -> agent id
        self.framework_id = "fake-framework-0001"
        self.stream: web.StreamResponse | None = None
        self.url = ""
        self.runner: Any = None
        self.auto_run = True  # launched tasks go TASK_RUNNING at once
        self.healthy: bool | None = None  # reported with TASK_RUNNING when set
        self.suppressed = False
        self._ids = itertools.count(1)
        self.subscribed = asyncio.Event()

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/api/v1/scheduler", self.handle)
        self.runner = await aio.serve(app, tcp=[("127.0.0.1", 0)])
        site = next(iter(self.runner.sites))
        self.url = site.name
        return self.url

    @property
    def address(self) -> str:
        """host:port, as a scheduler driver takes a fixed master."""
        return self.url.removeprefix("http://")

    async def stop(self) -> None:
        await self.runner.cleanup()

    async def send(self, event: dict[str, Any]) -> None:
        if self.stream is not None:
            with contextlib.suppress(ConnectionResetError):
                await self.stream.write(recordio.encode_json(event))

    def calls_of(self, kind: str) -> list[dict[str, Any]]:
        return [c for c in self.calls if c["type"] == kind]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        call = json.loads(await request.read())
        self.calls.append(call)
        kind = call["type"]
        if kind == "SUBSCRIBE":
            return await self.subscribe(request, call)
        handler = getattr(self, f"on_{kind.lower()}", None)
        if handler is not None:
            await handler(call.get(kind.lower()) or {})
        return web.Response(status=202)

    async def subscribe(self, request: web.Request, call: dict[str, Any]) -> web.StreamResponse:
        info = call["subscribe"]["framework_info"]
        self.framework_id = (info.get("id") or {}).get("value") or self.framework_id
        response = web.StreamResponse(headers={"Mesos-Stream-Id": str(uuid.uuid4())})
        response.content_type = "application/json"
        await response.prepare(request)
        self.stream = response
        await self.send(
            {
                "type": "SUBSCRIBED",
                "subscribed": {
                    "framework_id": {"value": self.framework_id},
                    "heartbeat_interval_seconds": 15,
                    "master_info": {
                        "id": "m1",
                        "address": {"ip": "127.0.0.1", "port": 5050},
                        "port": 5050,
                    },
                },
            }
        )
        self.subscribed.set()
        await self.send_offers()
        try:
            while self.stream is response:
                await asyncio.sleep(0.05)
        except asyncio.CancelledError:
            pass
        return response

    async def drop_stream(self) -> None:
        """End the subscription, as a dying master does."""
        if self.stream is not None:
            stream, self.stream = self.stream, None
            with contextlib.suppress(ConnectionResetError):
                await stream.write_eof()
        self.subscribed.clear()

    async def send_offers(self) -> None:
        if self.suppressed:
            return
        offered_agents = set(self.offers.values())
        offers = []
        for agent in self.agents.values():
            if agent.agent_id in offered_agents:
                continue
            offer_id = f"offer-{next(self._ids)}"
            self.offers[offer_id] = agent.agent_id
            offers.append(
                {
                    "id": {"value": offer_id},
                    "framework_id": {"value": self.framework_id},
                    "agent_id": {"value": agent.agent_id},
                    "hostname": agent.hostname,
                    "resources": agent.resources(),
                    "attributes": agent.attributes,
                }
            )
        if offers:
            await self.send({"type": "OFFERS", "offers": {"offers": offers}})

    async def status(self, task_id: str, state: str, **extra: Any) -> dict[str, Any]:
        task = self.tasks[task_id]
        task["state"] = state
        status: dict[str, Any] = {
            "task_id": {"value": task_id},
            "state": state,
            "agent_id": {"value": task["agent_id"]},
            "uuid": str(uuid.uuid4()),
            "source": "SOURCE_EXECUTOR",
            **extra,
        }
        if state in (
            "TASK_FINISHED",
            "TASK_FAILED",
            "TASK_KILLED",
            "TASK_ERROR",
            "TASK_LOST",
            "TASK_GONE",
        ) and not task.get("released"):
            task["released"] = True
            self.agents[task["agent_id"]].consume(task["resources"], sign=+1)
        await self.send({"type": "UPDATE", "update": {"status": status}})
        return status

    async def on_accept(self, accept: dict[str, Any]) -> None:
        for offer_id in [o["value"] for o in accept["offer_ids"]]:
            agent = self.agents[self.offers.pop(offer_id)]
            launched = []
            for operation in accept.get("operations", []):
                if operation["type"] == "LAUNCH":
                    infos = operation["launch"]["task_infos"]
                    executor_resources: list[dict[str, Any]] = []
                else:
                    group = operation["launch_group"]
                    infos = group["task_group"]["tasks"]
                    executor_resources = group["executor"]["resources"]
                    agent.consume(executor_resources)
                for info in infos:
                    task_id = info["task_id"]["value"]
                    agent.consume(info["resources"])
                    self.tasks[task_id] = {
                        "agent_id": agent.agent_id,
                        "info": info,
                        "resources": info["resources"] + executor_resources,
                        "state": "TASK_STAGING",
                    }
                    executor_resources = []
                    launched.append(task_id)
            for task_id in launched:
                await self.status(task_id, "TASK_STARTING")
                if self.auto_run:
                    extra = {} if self.healthy is None else {"healthy": self.healthy}
                    await self.status(task_id, "TASK_RUNNING", **extra)
        await self.send_offers()

    async def on_decline(self, decline: dict[str, Any]) -> None:
        for offer_id in [o["value"] for o in decline["offer_ids"]]:
            self.offers.pop(offer_id, None)

    async def on_revive(self, _: dict[str, Any]) -> None:
        self.suppressed = False
        await self.send_offers()

    async def on_suppress(self, _: dict[str, Any]) -> None:
        self.suppressed = True

    async def on_kill(self, kill: dict[str, Any]) -> None:
        task_id = kill["task_id"]["value"]
        if task_id in self.tasks and self.tasks[task_id]["state"] not in (
            "TASK_KILLED",
            "TASK_FAILED",
        ):
            await self.status(task_id, "TASK_KILLED")
        await self.send_offers()

    async def on_reconcile(self, reconcile: dict[str, Any]) -> None:
        wanted = [t["task_id"]["value"] for t in reconcile.get("tasks", [])] or list(self.tasks)
        for task_id in wanted:
            if task_id in self.tasks:
                await self.status(task_id, self.tasks[task_id]["state"])
            else:
                await self.send(
                    {
                        "type": "UPDATE",
                        "update": {
                            "status": {"task_id": {"value": task_id}, "state": "TASK_UNKNOWN"}
                        },
                    }
                )
