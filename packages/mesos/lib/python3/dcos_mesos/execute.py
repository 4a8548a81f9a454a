"""mesos-execute: launch one task (a command, or a Docker/UCR image) through the v1 scheduler API.

Flags as Mesos 1.4's (and DC/OS's tests) use them: --master, --name,
--command, --shell, --env, --resources, --docker_image, --containerizer,
--role, --rlimits, --kill_after, --framework_capabilities, --checkpoint,
--task, --task_group. It prints what Mesos's prints ("Subscribed with ID ...",
"Submitted task ...", "Received status update TASK_FINISHED for task '...'")
and exits once the task (every task of the group) is terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from typing import Any

import aiohttp
from dcos_internal_utils import recordio

from dcos_mesos.ids import is_terminal, value, wrap
from dcos_mesos.master.core import parse_duration
from dcos_mesos.resources import Resources


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="mesos-execute", allow_abbrev=False)
    p.add_argument("--master", required=True, help="Mesos master (e.g., IP:PORT)")
    p.add_argument("--name", help="Name for the command")
    p.add_argument("--command", help="Command to launch")
    p.add_argument("--shell", default="true")
    p.add_argument("--env", "--environment", dest="env", help="JSON object of variables")
    p.add_argument("--resources", default="cpus:1;mem:128")
    p.add_argument("--docker_image")
    p.add_argument("--appc_image")
    p.add_argument("--containerizer", default="mesos", choices=["mesos", "docker"])
    p.add_argument("--role", default="*")
    p.add_argument("--rlimits", help='JSON, e.g. {"rlimits": [{"type": "RLMT_CORE"}]}')
    p.add_argument("--kill_after")
    p.add_argument("--framework_capabilities", default="")
    p.add_argument("--checkpoint", default="false")
    p.add_argument("--task", help="JSON TaskInfo, or a path (file://) to one")
    p.add_argument("--task_group", help="JSON TaskGroupInfo, or a path (file://) to one")
    p.add_argument("--networks", default="")
    p.add_argument("--content_type", default="json", choices=["json"])
    p.add_argument("--partition_aware", default="false")
    args = p.parse_args(argv)
    if not args.task and not args.task_group:
        if not args.name:
            p.error("Missing required option --name")
        if not args.command and not args.docker_image:
            p.error("Missing required option --command")
    return args


def _json_or_file(text: str) -> Any:
    if text.startswith("file://") or text.startswith("/"):
        with open(text[7:] if text.startswith("file://") else text) as f:
            return json.load(f)
    return json.loads(text)


def build_task(args: argparse.Namespace) -> dict[str, Any]:
    if args.task:
        return dict(_json_or_file(args.task))
    command: dict[str, Any] = {"shell": args.shell.lower() != "false"}
    if args.command:
        command["value"] = args.command
    if args.env:
        env = json.loads(args.env)
        command["environment"] = {
            "variables": [{"name": k, "value": str(v)} for k, v in env.items()]
        }
    task: dict[str, Any] = {
        "name": args.name,
        "task_id": wrap(args.name),
        "agent_id": wrap(""),
        "command": command,
    }
    container: dict[str, Any] = {}
    if args.docker_image and args.containerizer == "docker":
        container = {"type": "DOCKER", "docker": {"image": args.docker_image, "network": "HOST"}}
        if not args.command:
            command["shell"] = False
    elif args.docker_image or args.appc_image:
        image = (
            {"type": "DOCKER", "docker": {"name": args.docker_image}}
            if args.docker_image
            else {"type": "APPC", "appc": {"name": args.appc_image}}
        )
        container = {"type": "MESOS", "mesos": {"image": image}}
    if args.rlimits:
        container.setdefault("type", "MESOS")
        container["rlimit_info"] = json.loads(args.rlimits)
    if args.networks:
        container.setdefault("type", "MESOS")
        container["network_infos"] = [{"name": n} for n in args.networks.split(",") if n]
    if container:
        task["container"] = container
    return task


class Execute:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.base = ""
        self.framework_id = ""
        self.stream_id = ""
        self.launched = False
        self.remaining: set[str] = set()
        self.session: aiohttp.ClientSession | None = None

    async def call(self, body: dict[str, Any]) -> None:
        assert self.session is not None
        async with self.session.post(
            self.base + "/api/v1/scheduler",
            json=body,
            headers={"Mesos-Stream-Id": self.stream_id, "Accept": "application/json"},
        ) as resp:
            if resp.status >= 400:
                print(
                    f"Call {body['type']} failed: {resp.status} {await resp.text()}",
                    file=sys.stderr,
                )

    async def run(self) -> int:
        master = self.args.master
        self.base = master if master.startswith("http") else f"http://{master}"
        capabilities = [c for c in self.args.framework_capabilities.split(",") if c]
        if self.args.partition_aware.lower() == "true":
            capabilities.append("PARTITION_AWARE")
        framework = {
            "user": getpass.getuser(),
            "name": "mesos-execute instance",
            "role": self.args.role,
            "checkpoint": self.args.checkpoint.lower() == "true",
            "capabilities": [
                {"type": c}
                for c in dict.fromkeys(
                    ["RESERVATION_REFINEMENT", "TASK_KILLING_STATE", *capabilities]
                )
            ],
        }
        subscribe = {"type": "SUBSCRIBE", "subscribe": {"framework_info": framework}}
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=10)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            self.session = session
            for _ in range(5):  # follow the redirects of non-leading masters
                resp = await session.post(
                    self.base + "/api/v1/scheduler",
                    json=subscribe,
                    headers={"Accept": "application/json"},
                    allow_redirects=False,
                )
                if resp.status == 307:
                    location = resp.headers["Location"]
                    self.base = "http:" + location if location.startswith("//") else location
                    self.base = self.base.split("/api/v1/scheduler")[0].rstrip("/")
                    resp.release()
                    continue
                break
            if resp.status != 200:
                print(f"Failed to subscribe: {resp.status} {await resp.text()}", file=sys.stderr)
                return 1
            self.stream_id = resp.headers.get("Mesos-Stream-Id", "")
            decoder = recordio.Decoder()
            async for chunk in resp.content.iter_any():
                for record in decoder.feed(chunk):
                    if await self.event(json.loads(record)):
                        resp.close()
                        return 0
        return 1

    async def event(self, event: dict[str, Any]) -> bool:
        kind = event.get("type")
        if kind == "SUBSCRIBED":
            self.framework_id = value(event["subscribed"]["framework_id"])
            print(f"Subscribed with ID {self.framework_id}", flush=True)
        elif kind == "OFFERS":
            for offer in event["offers"]["offers"]:
                await self.offer(offer)
        elif kind == "UPDATE":
            return await self.update(event["update"]["status"])
        elif kind == "ERROR":
            print(f"Received an ERROR event: {event['error']['message']}", file=sys.stderr)
            sys.exit(1)
        return False

    async def offer(self, offer: dict[str, Any]) -> None:
        offered = Resources.from_v1(offer.get("resources"))
        role = (offer.get("allocation_info") or {}).get("role", self.args.role)
        if self.args.task_group:
            group = dict(_json_or_file(self.args.task_group))
            tasks = group.get("tasks", [])
            needed = Resources()
            for task in tasks:
                task["agent_id"] = offer["agent_id"]
                needed = needed + Resources.from_v1(task.get("resources"))
        else:
            task = build_task(self.args)
            task["agent_id"] = offer["agent_id"]
            if "resources" not in task:
                task["resources"] = Resources.parse(self.args.resources, role).to_v1(role)
            tasks = [task]
            needed = Resources.from_v1(task["resources"])
        if self.launched or not offered.contains(needed):
            await self.call(
                {
                    "type": "DECLINE",
                    "framework_id": wrap(self.framework_id),
                    "decline": {"offer_ids": [offer["id"]]},
                }
            )
            if self.launched:
                await self.call({"type": "SUPPRESS", "framework_id": wrap(self.framework_id)})
            return
        self.launched = True
        self.remaining = {value(t["task_id"]) for t in tasks}
        if self.args.task_group:
            executor = {
                "type": "DEFAULT",
                "executor_id": wrap("default-executor"),
                "framework_id": wrap(self.framework_id),
                "resources": Resources.parse("cpus:0.1;mem:32;disk:10", role).to_v1(role),
            }
            operation = {
                "type": "LAUNCH_GROUP",
                "launch_group": {"executor": executor, "task_group": {"tasks": tasks}},
            }
        else:
            operation = {"type": "LAUNCH", "launch": {"task_infos": tasks}}
        await self.call(
            {
                "type": "ACCEPT",
                "framework_id": wrap(self.framework_id),
                "accept": {"offer_ids": [offer["id"]], "operations": [operation]},
            }
        )
        agent = value(offer["agent_id"])
        if self.args.task_group:
            print(
                f"Submitted task group with tasks {sorted(self.remaining)} to agent '{agent}'",
                flush=True,
            )
        else:
            print(f"Submitted task '{tasks[0]['name']}' to agent '{agent}'", flush=True)

    async def update(self, status: dict[str, Any]) -> bool:
        task_id = value(status.get("task_id"))
        print(f"Received status update {status['state']} for task '{task_id}'", flush=True)
        for key, label in (("message", "message"), ("source", "source"), ("reason", "reason")):
            if key in status:
                shown = f"'{status[key]}'" if key == "message" else status[key]
                print(f"  {label}: {shown}", flush=True)
        if "healthy" in status:
            print(f"  healthy?: {int(bool(status['healthy']))}", flush=True)
        if "uuid" in status:
            await self.call(
                {
                    "type": "ACKNOWLEDGE",
                    "framework_id": wrap(self.framework_id),
                    "acknowledge": {
                        "agent_id": status["agent_id"],
                        "task_id": status["task_id"],
                        "uuid": status["uuid"],
                    },
                }
            )
        if self.args.kill_after and status["state"] == "TASK_RUNNING":
            delay = parse_duration(self.args.kill_after, 0.0)
            asyncio.get_running_loop().call_later(
                delay,
                lambda: asyncio.ensure_future(
                    self.call(
                        {
                            "type": "KILL",
                            "framework_id": wrap(self.framework_id),
                            "kill": {"task_id": status["task_id"], "agent_id": status["agent_id"]},
                        }
                    )
                ),
            )
        if is_terminal(status["state"]):
            self.remaining.discard(task_id)
            if not self.remaining:
                await self.call({"type": "TEARDOWN", "framework_id": wrap(self.framework_id)})
                return True
        return False


def main(argv: list[str] | None = None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        sys.exit(asyncio.run(Execute(args).run()))
    except KeyboardInterrupt:
        sys.exit(130)
