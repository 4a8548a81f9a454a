"""A small Mesos v1 scheduler client for the suites (requests + one reader thread).

It subscribes to `/api/v1/scheduler`, keeps every event it receives,
acknowledges every status update that carries a `uuid` (as a well-behaved
framework must), and offers helpers to wait for offers and task states. It
speaks the public API only, exactly as any HTTP framework would.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import requests

TERMINAL = {
    "TASK_FINISHED",
    "TASK_FAILED",
    "TASK_KILLED",
    "TASK_ERROR",
    "TASK_LOST",
    "TASK_DROPPED",
    "TASK_GONE",
    "TASK_GONE_BY_OPERATOR",
}


def scalar(name: str, amount: float, role: str = "*") -> dict[str, Any]:
    return {"name": name, "type": "SCALAR", "scalar": {"value": amount}, "role": role}


def resources(
    cpus: float = 0.1, mem: float = 32, role: str = "*", ports: list[int] | None = None
) -> list[dict[str, Any]]:
    out = [scalar("cpus", cpus, role), scalar("mem", mem, role)]
    if ports:
        out.append(
            {
                "name": "ports",
                "type": "RANGES",
                "role": role,
                "ranges": {"range": [{"begin": p, "end": p} for p in ports]},
            }
        )
    return out


class Scheduler:
    def __init__(
        self,
        master: str,
        name: str = "mesos-integration-test",
        roles: list[str] | None = None,
        failover_timeout: float = 0.0,
        framework_id: str = "",
        capabilities: list[str] | None = None,
    ) -> None:
        self.master = master.rstrip("/")
        self.events: list[dict[str, Any]] = []
        self.cond = threading.Condition()
        self.framework_id = framework_id
        self.stream_id = ""
        self.closed = False
        self.received_at: dict[int, float] = {}
        self.wanting = False  # an offer() call is waiting for offers
        info: dict[str, Any] = {
            "user": "root",
            "name": name,
            "failover_timeout": failover_timeout,
            "capabilities": [{"type": c} for c in (capabilities or ["MULTI_ROLE"])],
            "roles": roles or ["*"],
        }
        if framework_id:
            info["id"] = {"value": framework_id}
        call: dict[str, Any] = {"type": "SUBSCRIBE", "subscribe": {"framework_info": info}}
        if framework_id:
            call["framework_id"] = {"value": framework_id}
        self.response = requests.post(
            self.master + "/api/v1/scheduler",
            json=call,
            stream=True,
            headers={"Accept": "application/json"},
            timeout=(5, None),
        )
        if self.response.status_code != 200:
            raise RuntimeError(f"SUBSCRIBE: {self.response.status_code} {self.response.text}")
        self.stream_id = self.response.headers["Mesos-Stream-Id"]
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        subscribed = self.wait_event(lambda e: e["type"] == "SUBSCRIBED", 10)
        self.framework_id = subscribed["subscribed"]["framework_id"]["value"]

    # -- the stream ---------------------------------------------------------------

    def _read(self) -> None:
        buffer = b""
        try:
            for chunk in self.response.iter_content(chunk_size=None):
                buffer += chunk
                while b"\n" in buffer:
                    header, rest = buffer.split(b"\n", 1)
                    length = int(header)
                    if len(rest) < length:
                        break
                    record, buffer = rest[:length], rest[length:]
                    self._event(json.loads(record))
        except (requests.RequestException, ValueError, AttributeError):
            pass
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def _event(self, event: dict[str, Any]) -> None:
        if event["type"] == "SUBSCRIBED":
            self.framework_id = event["subscribed"]["framework_id"]["value"]
        if event["type"] == "UPDATE" and "uuid" in event["update"]["status"]:
            status = event["update"]["status"]
            self.call(
                "ACKNOWLEDGE",
                {
                    "acknowledge": {
                        "agent_id": status["agent_id"],
                        "task_id": status["task_id"],
                        "uuid": status["uuid"],
                    }
                },
            )
        with self.cond:
            unwanted = event["type"] == "OFFERS" and not self.wanting
            self.received_at[len(self.events)] = time.monotonic()
            self.events.append(event)
            self.cond.notify_all()
        if unwanted:
            for offer in event["offers"]["offers"]:
                self.decline(offer)

    def wait_event(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 30, start: int = 0
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self.cond:
            index = start
            while True:
                while index < len(self.events):
                    if predicate(self.events[index]):
                        return self.events[index]
                    index += 1
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.closed:
                    kinds = [e["type"] for e in self.events[-10:]]
                    raise TimeoutError(
                        f"no matching event in {timeout} s; last events: {kinds}; "
                        f"closed: {self.closed}"
                    )
                self.cond.wait(remaining)

    # -- calls ------------------------------------------------------------------------

    def call(self, kind: str, body: dict[str, Any] | None = None) -> requests.Response:
        payload = {"type": kind, "framework_id": {"value": self.framework_id}, **(body or {})}
        return requests.post(
            self.master + "/api/v1/scheduler",
            json=payload,
            timeout=10,
            headers={"Mesos-Stream-Id": self.stream_id},
        )

    def offer(
        self, predicate: Callable[[dict[str, Any]], bool] = lambda o: True, timeout: float = 30
    ) -> dict[str, Any]:
        """A fresh offer that matches. Offers nobody asked for are declined as they come, as a
        framework with nothing to launch must (otherwise it would sit on the cluster)."""
        with self.cond:
            self.wanting = True
            start = len(self.events)
        self.call("REVIVE")
        deadline = time.monotonic() + timeout
        try:
            while True:
                event = self.wait_event(
                    lambda e: e["type"] == "OFFERS", deadline - time.monotonic(), start
                )
                with self.cond:
                    start = self.events.index(event) + 1
                chosen: dict[str, Any] | None = None
                for offer in event["offers"]["offers"]:
                    if chosen is None and predicate(offer):
                        chosen = offer
                    else:
                        self.decline(offer, 0.2)
                if chosen is not None:
                    return chosen
        finally:
            with self.cond:
                self.wanting = False
                late = [
                    o
                    for e in self.events[start:]
                    if e["type"] == "OFFERS"
                    for o in e["offers"]["offers"]
                ]
            for offer in late:
                self.decline(offer)

    def decline(self, offer: dict[str, Any], refuse_seconds: float = 5.0) -> None:
        self.call(
            "DECLINE",
            {
                "decline": {
                    "offer_ids": [offer["id"]],
                    "filters": {"refuse_seconds": refuse_seconds},
                }
            },
        )

    def launch(self, offer: dict[str, Any], tasks: list[dict[str, Any]]) -> None:
        for task in tasks:
            task["agent_id"] = offer["agent_id"]
        response = self.call(
            "ACCEPT",
            {
                "accept": {
                    "offer_ids": [offer["id"]],
                    "operations": [{"type": "LAUNCH", "launch": {"task_infos": tasks}}],
                    "filters": {"refuse_seconds": 0.5},
                }
            },
        )
        response.raise_for_status()

    def launch_group(
        self, offer: dict[str, Any], executor: dict[str, Any], tasks: list[dict[str, Any]]
    ) -> None:
        for task in tasks:
            task["agent_id"] = offer["agent_id"]
        response = self.call(
            "ACCEPT",
            {
                "accept": {
                    "offer_ids": [offer["id"]],
                    "operations": [
                        {
                            "type": "LAUNCH_GROUP",
                            "launch_group": {"executor": executor, "task_group": {"tasks": tasks}},
                        }
                    ],
                    "filters": {"refuse_seconds": 0.5},
                }
            },
        )
        response.raise_for_status()

    def wait_state(self, task_id: str, states: set[str], timeout: float = 60) -> dict[str, Any]:
        def match(event: dict[str, Any]) -> bool:
            if event["type"] != "UPDATE":
                return False
            status = event["update"]["status"]
            return status["task_id"]["value"] == task_id and (
                status["state"] in states or status["state"] in TERMINAL
            )

        status: dict[str, Any] = self.wait_event(match, timeout)["update"]["status"]
        if status["state"] not in states:
            raise AssertionError(
                f"task {task_id} reached {status['state']} instead of {states}: "
                f"{status.get('message', '')} ({status.get('reason', '')})"
            )
        return status

    def statuses(self, task_id: str) -> list[dict[str, Any]]:
        with self.cond:
            return [
                e["update"]["status"]
                for e in self.events
                if e["type"] == "UPDATE" and e["update"]["status"]["task_id"]["value"] == task_id
            ]

    def kill(self, task_id: str, agent_id: str) -> None:
        self.call(
            "KILL", {"kill": {"task_id": {"value": task_id}, "agent_id": {"value": agent_id}}}
        ).raise_for_status()

    def close(self) -> None:
        self.response.close()

    def teardown(self) -> None:
        self.call("TEARDOWN")
        self.close()


def command_task(
    name: str, command: str, cpus: float = 0.1, mem: float = 32, role: str = "*", **extra: Any
) -> dict[str, Any]:
    task = {
        "name": name,
        "task_id": {"value": f"{name}-{uuid.uuid4().hex[:8]}"},
        "agent_id": {"value": ""},
        "resources": resources(cpus, mem, role),
        "command": {"shell": True, "value": command},
    }
    task.update(extra)
    return task
