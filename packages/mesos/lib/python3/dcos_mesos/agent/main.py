"""dcos-mesos-slave / dcos-mesos-slave-public: the agent on port 5051.

It recovers its checkpointed containers, follows the leading master in
ZooKeeper (a watch, no polling), registers (or re-registers, with its tasks)
with each new leader, and pings it every `ping_interval_seconds` the leader
asks for; a ping the leader does not recognise makes it re-register.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import signal
import sys
from pathlib import Path
from typing import Any

from dcos_internal_utils import aio, mesos_leader, node, zk

from dcos_mesos.agent.container_logger import ContainerLogger
from dcos_mesos.agent.core import Agent
from dcos_mesos.agent.http import AgentHttp
from dcos_mesos.agent.provisioner import Bundles, DockerEngineImages
from dcos_mesos.agent.statsd import StatsdAddresses
from dcos_mesos.agent.store import Store
from dcos_mesos.master.model import parse_attributes
from dcos_mesos.protocol import HttpClient
from dcos_mesos.resources import DCOS_PORTS, Resources

log = logging.getLogger("mesos-agent")

PORT = 5051
# Each task's unit reports its own exit; this slow check only catches a lost report.
UNIT_CHECK_S = 30.0
WORK_DIR = Path(os.environ.get("MESOS_WORK_DIR", "/var/lib/mesos/slave"))


def default_flags(config: dict[str, Any], role: str) -> dict[str, str]:
    """DC/OS 1.10's agent flags, as far as they say what this agent does.

    Flags of machinery it does not have are left out (sandbox garbage
    collection: gc_delay; custom executors: executor_registration_timeout);
    the isolators are the ones whose job it does.
    """
    flags = {
        "attributes": "public_ip:true" if role == "slave_public" else "",
        "cgroups_enable_cfs": "true",
        "cgroups_hierarchy": "/sys/fs/cgroup",
        "cgroups_limit_swap": "false",
        # Every task's output goes to the journal with DC/OS's fields (container_logger.py).
        "container_logger": "com_mesosphere_mesos_JournaldLogger",
        "containerizers": "docker,mesos",
        "default_role": "slave_public" if role == "slave_public" else "*",
        "docker": "docker",
        # A task's Docker container is removed as soon as it ends (mesos-container-exited).
        "docker_remove_delay": "0ns",
        "docker_socket": "/var/run/docker.sock",
        "hostname_lookup": "false",
        "image_providers": "docker",
        # cgroups/*: each task unit's CPU shares and quota, memory limit and block I/O
        # counters; filesystem/linux and docker/runtime: an image's rootfs and its
        # entrypoint, env and cwd (crun); volume/sandbox_path and posix/rlimits as in
        # Mesos; com_mesosphere_MetricsIsolatorModule: each container's StatsD address.
        "isolation": "cgroups/cpu,cgroups/mem,cgroups/blkio,filesystem/linux,docker/runtime,"
        "volume/sandbox_path,posix/rlimits,com_mesosphere_MetricsIsolatorModule",
        "launcher": "linux",
        "log_dir": "/var/log/mesos",
        "master": zk.mesos_zk_url(config),
        "port": str(PORT),
        "recover": "reconnect",
        "strict": "true",
        "work_dir": str(WORK_DIR),
    }
    for key, val in os.environ.items():
        if key.startswith("MESOS_") and key != "MESOS_NATIVE_JAVA_LIBRARY":
            flags[key[6:].lower()] = val
    if not flags["attributes"]:
        del flags["attributes"]
    return flags


def node_resources(flags: dict[str, str], role: str) -> Resources:
    """The node's cpus, mem and disk as Mesos computes them and DC/OS's ports.

    The `resources` flag (MESOS_RESOURCES: text or JSON) overrides what it names.
    """
    reservation = "slave_public" if role == "slave_public" else "*"
    cpus = float(os.cpu_count() or 1)
    with open("/proc/meminfo") as f:
        total_mb = int(next(line for line in f if line.startswith("MemTotal")).split()[1]) // 1024
    mem = total_mb - 1024 if total_mb >= 2048 else total_mb // 2
    disk_mb = shutil.disk_usage(WORK_DIR if WORK_DIR.exists() else "/").total // (1024 * 1024)
    disk = disk_mb - 5120 if disk_mb >= 10240 else disk_mb // 2
    text = f"cpus:{cpus};mem:{mem};disk:{disk};ports:{DCOS_PORTS}"
    base = Resources.parse(text, reservation)
    override = flags.get("resources", "").strip()
    if override.startswith("["):
        items = json.loads(override)
        for item in items:
            item.setdefault("role", reservation)
        custom = Resources.from_v1(items)
    elif override:
        custom = Resources.parse(override, reservation)
    else:
        return base
    for key in list(base.scalars):
        if any(k.name == key.name for k in custom.scalars):
            del base.scalars[key]
    for key in list(base.ranges):
        if any(k.name == key.name for k in custom.ranges):
            del base.ranges[key]
    return base + custom


class LeaderLink:
    """Posts to whichever master currently leads."""

    def __init__(self, client: HttpClient) -> None:
        self.client = client
        self.url = ""
        self.leader_id = ""

    async def post(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        if not self.url:
            return 0, "no leading master"
        return await self.client.post_json(self.url + path, body)


async def run_agent() -> None:
    config = node.expanded_config()
    role = node.role()
    ip = node.detect_ip()
    flags = default_flags(config, role)
    resources = node_resources(flags, role)
    info: dict[str, Any] = {"hostname": ip, "port": PORT}
    if flags.get("attributes"):
        info["attributes"] = parse_attributes(flags["attributes"])
    client = HttpClient()
    link = LeaderLink(client)
    store = Store(WORK_DIR)
    container_logger = ContainerLogger()
    agent = Agent(
        store,
        flags,
        info,
        ip,
        resources,
        link,
        DockerEngineImages(WORK_DIR / "provisioner" / "images"),
        Bundles(Path("/run/mesos/bundles")),
        PORT,
        StatsdAddresses(),
        container_logger,
    )
    loop = asyncio.get_running_loop()
    # systemd stops the agent with SIGTERM: end cleanly, so that the container logger
    # checkpoints how far it got (a restarted agent then sends no line twice).
    current = asyncio.current_task()
    if current is not None:
        loop.add_signal_handler(signal.SIGTERM, current.cancel)
    await agent.recover()
    runner = await aio.serve(AgentHttp(agent).app(), tcp=[("0.0.0.0", PORT)])

    # A short session: it only carries the leader watch, and connects sooner while
    # ZooKeeper is still starting.
    zk_client = await asyncio.to_thread(zk.client, config, 4.0)
    # A watch on a missing znode would never fire: make sure /mesos exists first.
    await asyncio.to_thread(zk_client.ensure_path, mesos_leader.MESOS_ZNODE)

    def watch(children: list[str]) -> None:
        info_ = mesos_leader.leader(zk_client)
        url = info_.url if info_ else ""
        leader_id = info_.id if info_ else ""

        def apply() -> None:
            # A restarted master keeps its address but has a new id: re-register with it too.
            if (url, leader_id) != (link.url, link.leader_id):
                link.url, link.leader_id = url, leader_id
                agent.master_hostname = info_.hostname if info_ else ""
                agent.registered.clear()
                log.info("leading master is now %s", url or "nobody")
                agent.wakeup.set()

        loop.call_soon_threadsafe(apply)

    zk_client.ChildrenWatch(mesos_leader.MESOS_ZNODE, watch)

    async def unit_checker() -> None:
        while True:
            await asyncio.sleep(UNIT_CHECK_S)
            await agent.check_units()

    checker = asyncio.create_task(unit_checker())
    try:
        while True:
            if not agent.registered.is_set() and link.url:
                agent.wakeup.clear()
                if not await agent.register():
                    await asyncio.sleep(0.3)  # the leader may still be recovering
                    continue
            try:
                await asyncio.wait_for(agent.wakeup.wait(), agent.ping_interval)
                continue
            except TimeoutError:
                pass
            if agent.registered.is_set():
                code, _ = await link.post(
                    "/internal/agent/ping", {"agent_id": {"value": agent.agent_id}}
                )
                if code in (404, 503):
                    agent.registered.clear()
    finally:
        checker.cancel()
        await runner.cleanup()
        await client.close()
        container_logger.close()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("kazoo").setLevel(logging.WARNING)
    try:
        asyncio.run(run_agent())
    except (KeyboardInterrupt, asyncio.CancelledError):
        sys.exit(0)


if __name__ == "__main__":
    main()
