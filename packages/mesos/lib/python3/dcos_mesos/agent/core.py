"""The agent's logic: run, kill and recover containers; deliver status updates reliably.

Status updates are checkpointed with the container, sent to the leading
master one at a time per task, and re-sent (every 10 s, and at once after a
re-registration) until the scheduler's acknowledgement comes back.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import signal
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, Protocol

from dcos_internal_utils.container_logger import valid_field

from dcos_mesos import ids as idlib
from dcos_mesos.agent import launcher
from dcos_mesos.agent.container_logger import ContainerLogger
from dcos_mesos.agent.health import HealthChecker
from dcos_mesos.agent.launcher import LaunchError, UnitSpec
from dcos_mesos.agent.provisioner import Bundles, ImageSource, crun_argv, image_args
from dcos_mesos.agent.statsd import StatsdAddresses
from dcos_mesos.agent.store import ContainerRecord, Store, TaskRecord
from dcos_mesos.ids import is_terminal, value, wrap
from dcos_mesos.resources import Resources

log = logging.getLogger("mesos-agent")

STATUS_RETRY_S = 10.0
MAX_COMPLETED_EXECUTORS = 150
# Executor labels in a task's journal entries stop at this size, as DC/OS's logger caps them.
MAX_LABEL_FIELDS_BYTES = 10 * 1024


class MasterLink(Protocol):
    async def post(self, path: str, body: dict[str, Any]) -> tuple[int, Any]: ...


class Agent:
    def __init__(
        self,
        store: Store,
        flags: dict[str, str],
        info: dict[str, Any],
        ip: str,
        resources: Resources,
        master: MasterLink,
        images: ImageSource,
        bundles: Bundles,
        port: int = 5051,
        statsd: StatsdAddresses | None = None,
        container_logger: ContainerLogger | None = None,
    ) -> None:
        self.store = store
        self.flags = flags
        self.info = info  # v1 AgentInfo without id
        self.ip = ip
        self.port = port
        self.resources = resources
        self.master = master
        self.images = images
        self.bundles = bundles
        # DC/OS's metrics isolator and journald container logger; without them (in tests)
        # tasks get no StatsD address and their output stays in the sandbox files.
        self.statsd = statsd
        self.container_logger = container_logger
        self._statsd_requests: dict[str, asyncio.Future[dict[str, str]]] = {}
        self.agent_id = store.agent_id()
        self.master_id = ""
        self.master_hostname = ""
        self.registered = asyncio.Event()
        self.ping_interval = 15.0
        self.wakeup = asyncio.Event()  # the main loop: re-register now
        self.start_time = time.time()
        self.containers: dict[str, ContainerRecord] = {}
        self.completed: collections.deque[ContainerRecord] = collections.deque(
            maxlen=MAX_COMPLETED_EXECUTORS
        )
        self.frameworks: dict[str, dict[str, Any]] = {}
        self.container_ips: dict[str, str] = {}
        self.health = HealthChecker(self)
        self._retry: dict[tuple[str, str], asyncio.TimerHandle] = {}
        self._inflight: set[tuple[str, str]] = set()
        self._sent: dict[tuple[str, str], tuple[Any, int]] = {}
        self._generation = 0  # registrations so far: each new one re-sends every update
        self._background: set[asyncio.Task[Any]] = set()
        self.metrics: dict[str, float] = collections.defaultdict(float)

    # -- plumbing -----------------------------------------------------------------

    def spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    @property
    def pid(self) -> str:
        return f"slave(1)@{self.ip}:{self.port}"

    def save(self, record: ContainerRecord) -> None:
        if self.agent_id:
            self.store.save(self.agent_id, record)

    def exit_file(self, container_id: str) -> Path:
        return self.store.exit_file(self.agent_id, container_id)

    def find_task(
        self, framework_id: str, task_id: str
    ) -> tuple[ContainerRecord, TaskRecord] | None:
        for record in self.containers.values():
            if record.framework_id == framework_id and task_id in record.tasks:
                return record, record.tasks[task_id]
        return None

    def container_of(self, record: ContainerRecord, task: TaskRecord) -> str:
        return task.container_id or record.id

    def container_status(self, record: ContainerRecord, task: TaskRecord) -> dict[str, Any]:
        cid: dict[str, Any] = {"value": self.container_of(record, task)}
        if task.container_id and task.container_id != record.id:
            cid["parent"] = {"value": record.id}
        ip = self.container_ips.get(record.id) or self.ip
        out: dict[str, Any] = {
            "container_id": cid,
            "network_infos": [{"ip_addresses": [{"protocol": "IPv4", "ip_address": ip}]}],
        }
        docker = (task.info.get("container") or {}).get("docker") or {}
        if record.kind == "docker" and docker.get("port_mappings"):
            out["network_infos"][0]["port_mappings"] = docker["port_mappings"]
        return out

    # -- registration -----------------------------------------------------------

    def registration_body(self) -> dict[str, Any]:
        info = dict(self.info)
        if self.agent_id:
            info["id"] = wrap(self.agent_id)
        tasks, executors = [], []
        for record in self.containers.values():
            if record.kind == "group" and not record.done():
                executors.append(record.executor_info)  # command executors are implicit
            for task in record.tasks.values():
                tasks.append(self.task_v1(record, task))
        return {
            "agent_info": info,
            "ip": self.ip,
            "resources": self.resources.to_v1(),
            "version": "1.4.0",
            "capabilities": [
                {"type": t} for t in ("MULTI_ROLE", "HIERARCHICAL_ROLE", "RESERVATION_REFINEMENT")
            ],
            "frameworks": list(self.frameworks.values()),
            "executors": executors,
            "tasks": tasks,
        }

    async def register(self) -> bool:
        status, data = await self.master.post("/internal/agent/register", self.registration_body())
        if status != 200 or not isinstance(data, dict):
            log.warning("registration failed: %s %s", status, data)
            return False
        new_id = value(data.get("agent_id"))
        if new_id != self.agent_id:
            self.agent_id = new_id
            self.store.set_agent_id(new_id)
            for record in self.containers.values():
                self.save(record)
        self.master_id = str(data.get("master_id", ""))
        self.ping_interval = float(data.get("ping_interval_seconds", 15.0))
        self._generation += 1
        self.registered.set()
        log.info("registered with master %s as %s", self.master_id, self.agent_id)
        for framework_id in data.get("removed_frameworks") or []:
            log.info("framework %s is gone: shutting down its tasks", framework_id)
            await self.shutdown_framework(framework_id)
        for record in list(self.containers.values()):
            for task in record.tasks.values():
                if task.pending:
                    self.spawn(self._send_head(record, task))
        return True

    # -- recovery -------------------------------------------------------------------

    async def recover(self) -> None:
        if not self.agent_id:
            return
        records = self.store.load(self.agent_id)
        units: list[str] = []
        for record in records:
            self.containers[record.id] = record
            self.frameworks.setdefault(record.framework_id, record.framework_info)
            for task in record.tasks.values():
                task.launched = True
                units.append(self.container_of(record, task))
        active = await launcher.unit_active(units)
        for record in records:
            for task in list(record.tasks.values()):
                cid = self.container_of(record, task)
                if task.terminal:
                    continue
                if task.unit:
                    self._follow_output(record, task)
                if active.get(cid):
                    if record.kind == "docker":
                        self.container_ips[record.id] = await launcher.docker_container_ip(
                            f"mesos-{record.id}", attempts=1
                        )
                    self.health.start(record, task)
                    continue
                await self._container_exited(record, task)
            if record.done():
                self._forget(record)
        log.info(
            "recovered %d containers (%d still running)",
            len(self.containers),
            sum(len(r.live_tasks()) for r in self.containers.values()),
        )

    async def check_units(self) -> None:
        """A safety net for a lost exit notice: a live task whose unit is gone has ended."""
        live = [
            (r, t)
            for r in list(self.containers.values())
            for t in r.live_tasks()
            if t.launched and t.unit and not t.exited
        ]
        if not live:
            return
        active = await launcher.unit_active([self.container_of(r, t) for r, t in live])
        for record, task in live:
            if not active.get(self.container_of(record, task), True) and not task.terminal:
                await self._container_exited(record, task)

    # -- launching ------------------------------------------------------------------

    def accept_master(self, body: dict[str, Any]) -> bool:
        """Only the master this agent registered with may command it."""
        return not self.master_id or body.get("master_id") in (None, self.master_id)

    async def run_task(self, body: dict[str, Any]) -> None:
        framework_info = body.get("framework_info") or {}
        framework_id = value(framework_info.get("id"))
        self.frameworks[framework_id] = framework_info
        if "task_group" in body:
            await self._run_group(framework_info, body["executor"], body["task_group"]["tasks"])
            return
        task_info = body["task"]
        if "executor" in body:
            record = self._new_record(
                framework_info,
                value(body["executor"]["executor_id"]),
                "command",
                body["executor"],
                [task_info],
            )
            task = record.tasks[value(task_info["task_id"])]
            self.send_status(
                record,
                task,
                "TASK_FAILED",
                source="SOURCE_AGENT",
                reason="REASON_EXECUTOR_TERMINATED",
                message="Custom executors are not supported by this agent; "
                "use CommandInfo or a task group",
            )
            return
        container = task_info.get("container") or {}
        kind = "docker" if container.get("type") == "DOCKER" else "command"
        container_id = idlib.new_uuid()
        self._request_statsd(container_id)  # answered while the rest of the launch goes on
        record = self._new_record(
            framework_info, value(task_info["task_id"]), kind, {}, [task_info], container_id
        )
        task = record.tasks[value(task_info["task_id"])]
        self.metrics["slave/tasks_staging"] += 1
        try:
            await self._start(record, task, record.id, Path(record.sandbox), Path(record.sandbox))
        except LaunchError as exc:
            self._release_statsd(record)
            self.send_status(
                record,
                task,
                "TASK_FAILED",
                source="SOURCE_AGENT",
                reason="REASON_CONTAINER_LAUNCH_FAILED",
                message=str(exc),
            )
            return
        self._launched(record, task)

    def _launched(self, record: ContainerRecord, task: TaskRecord) -> None:
        """TASK_RUNNING once the container runs; an exit that raced the launch is reported after."""
        task.launched = True
        if task.terminal:
            return
        self.send_status(record, task, "TASK_RUNNING")
        if task.exited:
            self.spawn(self._container_exited(record, task))
        else:
            self.health.start(record, task)

    def _new_record(
        self,
        framework_info: dict[str, Any],
        executor_id: str,
        kind: str,
        executor_info: dict[str, Any],
        tasks: list[dict[str, Any]],
        container_id: str = "",
    ) -> ContainerRecord:
        framework_id = value(framework_info.get("id"))
        container_id = container_id or idlib.new_uuid()
        sandbox = self.store.sandbox(self.agent_id, framework_id, executor_id, container_id)
        sandbox.mkdir(parents=True, exist_ok=True)
        latest = sandbox.parent / "latest"
        try:
            if latest.is_symlink():
                latest.unlink()
            latest.symlink_to(container_id)
        except OSError:
            pass
        if not executor_info and tasks:
            task = tasks[0]
            command = task.get("command") or {}
            executor_info = {
                "executor_id": wrap(executor_id),
                "framework_id": wrap(framework_id),
                "name": f"Command Executor (Task: {executor_id}) (Command: sh -c "
                f"'{str(command.get('value', ''))[:64]}')",
                "source": executor_id,
                "command": command,
                "resources": task.get("resources", []),
            }
        record = ContainerRecord(
            id=container_id,
            framework_id=framework_id,
            executor_id=executor_id,
            kind=kind,
            sandbox=str(sandbox),
            executor_info=executor_info,
            framework_info=framework_info,
            launched_at=time.time(),
            statsd=container_id in self._statsd_requests,
        )
        for task_info in tasks:
            record.tasks[value(task_info["task_id"])] = TaskRecord(info=task_info)
        self.containers[container_id] = record
        self.save(record)
        return record

    def _env(self, record: ContainerRecord, task: TaskRecord, sandbox: Path) -> dict[str, str]:
        command = task.info.get("command") or {}
        env = {
            "MESOS_SANDBOX": str(sandbox),
            "MESOS_DIRECTORY": str(sandbox),
            "MESOS_TASK_ID": task.id,
            "MESOS_FRAMEWORK_ID": record.framework_id,
            "MESOS_EXECUTOR_ID": record.executor_id,
            "MESOS_AGENT_ENDPOINT": f"{self.ip}:{self.port}",
            "MESOS_SLAVE_ID": self.agent_id,
            "MESOS_CONTAINER_NAME": f"mesos-{self.container_of(record, task)}",
            "HOST": self.ip,
            "LIBPROCESS_IP": self.ip,
        }
        env.update(launcher.command_env(command))
        return env

    async def _start(
        self,
        record: ContainerRecord,
        task: TaskRecord,
        container_id: str,
        sandbox: Path,
        executor_sandbox: Path,
    ) -> None:
        info = task.info
        command = info.get("command") or {}
        resources = Resources.from_v1(info.get("resources"))
        container = info.get("container") or {}
        rlimits = (container.get("rlimit_info") or {}).get("rlimits", [])
        kill_policy = info.get("kill_policy") or {}
        grace = float((kill_policy.get("grace_period") or {}).get("nanoseconds", 3e9)) / 1e9
        env = self._env(record, task, sandbox)
        mounts = self._volumes(container, sandbox, executor_sandbox)
        await self._fetch(command, sandbox)
        image = (container.get("mesos") or {}).get("image") or {}
        docker_image = (container.get("docker") or {}).get("image", "")
        if record.kind == "docker":
            present, out = await launcher.docker_image_present(docker_image)
            if not present:
                raise LaunchError(
                    f"Failed to launch container: Failed to run 'docker pull {docker_image}': "
                    f"the image '{docker_image}' is not on this agent and there is no registry "
                    f"to pull it from: {out}"
                )
        elif image:
            name = (image.get("docker") or {}).get("name") or (image.get("appc") or {}).get("name")
            img = await self.images.get(str(name))
        # The task's own variables win over the isolator's, as in Mesos.
        env = {**await self._statsd_environment(record), **env}
        spec = UnitSpec(
            container_id=container_id,
            sandbox=sandbox,
            argv=[],
            env=env,
            resources=resources,
            exit_file=self.exit_file(container_id),
            grace_seconds=grace,
            rlimits=rlimits,
            user=str(command.get("user") or ""),
            description=f"Mesos task {task.id}",
        )
        if record.kind == "docker":
            spec.docker_name = f"mesos-{container_id}"
            spec.argv = launcher.docker_argv(
                spec.docker_name, info, container, sandbox, env, resources
            )
            spec.user = ""
        elif image:
            bundle = await self.bundles.create(
                container_id,
                img,
                image_args(img, command),
                {k: v for k, v in env.items() if k not in ("MESOS_SANDBOX", "MESOS_DIRECTORY")},
                sandbox,
                mounts,
                rlimits,
                container.get("hostname", ""),
            )
            spec.argv = crun_argv(bundle, container_id)
            spec.user = ""
        else:
            spec.argv = launcher.command_argv(command)
        task.unit = spec.unit
        self.save(record)
        await launcher.start_unit(spec)
        self._follow_output(record, task)
        if record.kind == "docker":
            self.container_ips[record.id] = await launcher.docker_container_ip(spec.docker_name)

    def _volumes(
        self, container: dict[str, Any], sandbox: Path, executor_sandbox: Path
    ) -> list[tuple[str, str, bool]]:
        """Volumes as (source, container path, read-only); relative paths become sandbox links."""
        mounts = []
        for volume in container.get("volumes") or []:
            source = volume.get("host_path", "")
            src = volume.get("source") or {}
            if src.get("type") == "SANDBOX_PATH":
                path = (src.get("sandbox_path") or {}).get("path", "")
                base = executor_sandbox if src["sandbox_path"].get("type") == "PARENT" else sandbox
                source = str(base / path)
                Path(source).mkdir(parents=True, exist_ok=True)
            if not source:
                continue
            target = str(volume.get("container_path", ""))
            read_only = volume.get("mode") == "RO"
            if not target.startswith("/"):
                link = sandbox / target
                link.parent.mkdir(parents=True, exist_ok=True)
                if not link.exists() and not link.is_symlink():
                    link.symlink_to(source)
                target = launcher.SANDBOX_IN_CONTAINER + "/" + target
            mounts.append((source, target, read_only))
        return mounts

    async def _fetch(self, command: dict[str, Any], sandbox: Path) -> None:
        from dcos_mesos.agent.fetcher import fetch_all

        uris = command.get("uris") or []
        if uris:
            await fetch_all(uris, sandbox, self.store.work_dir / "fetcher-cache")

    async def _run_group(
        self, framework_info: dict[str, Any], executor: dict[str, Any], tasks: list[dict[str, Any]]
    ) -> None:
        executor_id = value(executor.get("executor_id"))
        framework_id = value(framework_info.get("id"))
        record = next(
            (
                r
                for r in self.containers.values()
                if r.kind == "group"
                and r.executor_id == executor_id
                and r.framework_id == framework_id
                and not r.destroyed
            ),
            None,
        )
        if record is None:
            container_id = idlib.new_uuid()
            self._request_statsd(container_id)  # the group's, shared by its tasks
            record = self._new_record(
                framework_info, executor_id, "group", executor, [], container_id
            )
        executor_sandbox = Path(record.sandbox)
        for task_info in tasks:
            task = TaskRecord(info=task_info, container_id=idlib.new_uuid())
            record.tasks[task.id] = task
        self.save(record)
        for task_info in tasks:
            task = record.tasks[value(task_info["task_id"])]
            sandbox = executor_sandbox / "tasks" / task.id
            try:
                await self._start(record, task, task.container_id, sandbox, executor_sandbox)
            except LaunchError as exc:
                self.send_status(
                    record,
                    task,
                    "TASK_FAILED",
                    source="SOURCE_EXECUTOR",
                    reason="REASON_CONTAINER_LAUNCH_FAILED",
                    message=str(exc),
                )
                await self._kill_group(record, "A task of the group failed to launch")
                return
        for task_info in tasks:
            self._launched(record, record.tasks[value(task_info["task_id"])])

    # -- DC/OS's metrics isolator and journald container logger -------------------------

    def _request_statsd(self, container_id: str) -> None:
        request = self.statsd.request(container_id) if self.statsd is not None else None
        if request is not None:
            self._statsd_requests[container_id] = request

    async def _statsd_environment(self, record: ContainerRecord) -> dict[str, str]:
        request = self._statsd_requests.get(record.id)
        if self.statsd is None or request is None:
            return {}
        return await self.statsd.environment(request)

    def _release_statsd(self, record: ContainerRecord) -> None:
        """The container ended: its StatsD port goes back to dcos-metrics."""
        self._statsd_requests.pop(record.id, None)
        if self.statsd is not None and record.statsd:
            record.statsd = False
            self.spawn(self.statsd.release(record.id))

    def journal_fields(self, record: ContainerRecord, task: TaskRecord) -> dict[str, str]:
        """A task's journal fields, as DC/OS's journald container logger sets them."""
        info = record.executor_info
        fields: dict[str, str] = {}
        size = 0
        for label in (info.get("labels") or {}).get("labels", []):
            key, val = str(label.get("key", "")), str(label.get("value", ""))
            size += len(key) + len(val)
            if size > MAX_LABEL_FIELDS_BYTES:
                break
            if valid_field(key):  # journald keeps no other field names
                fields[key] = val
        container = record.id
        if task.container_id and task.container_id != record.id:
            container = f"{record.id}.{task.container_id}"
        fields.update(
            {
                "FRAMEWORK_ID": record.framework_id,
                "EXECUTOR_ID": record.executor_id,
                "AGENT_ID": self.agent_id,
                "CONTAINER_ID": container,
                "SYSLOG_IDENTIFIER": str(info.get("name") or record.executor_id),
            }
        )
        return fields

    def finish_output(self, container_id: str) -> asyncio.Future[None] | None:
        """The container ended: the journal gets the rest of its output (done when sent)."""
        if self.container_logger is None:
            return None
        return asyncio.wrap_future(self.container_logger.finish(container_id))

    def _follow_output(self, record: ContainerRecord, task: TaskRecord) -> None:
        """Send the task's sandbox stdout and stderr to the journal as they grow."""
        if self.container_logger is None:
            return
        cid = self.container_of(record, task)
        sandbox = Path(record.sandbox)
        if task.container_id:
            sandbox = sandbox / "tasks" / task.id
        self.container_logger.follow(
            cid,
            sandbox,
            self.journal_fields(record, task),
            lambda: launcher.unit_pids(cid),
            self.store.journal_checkpoint(self.agent_id, cid),
        )

    async def _kill_group(self, record: ContainerRecord, why: str) -> None:
        for task in record.live_tasks():
            if task.killing:
                continue
            task.killing = True
            self._report_killing(record, task)
            if not task.unit:
                self.send_status(record, task, "TASK_KILLED", message=why)
            else:
                await launcher.stop_unit(task.container_id)
        self.save(record)

    # -- termination --------------------------------------------------------------

    async def container_exited(self, container_id: str) -> None:
        for record in list(self.containers.values()):
            for task in list(record.tasks.values()):
                if self.container_of(record, task) == container_id and not task.terminal:
                    if not task.launched:
                        task.exited = True  # reported once the launch has sent TASK_RUNNING
                        return
                    await self._container_exited(record, task)
                    return

    async def _container_exited(self, record: ContainerRecord, task: TaskRecord) -> None:
        cid = self.container_of(record, task)
        self.health.stop(task)
        if self.container_logger is not None:
            self.container_logger.finish(cid)
        exit_info = launcher.read_exit(self.exit_file(cid)) or {}
        state, reason, message, source = termination(exit_info, task, record)
        if exit_info.get("oom_kill") or exit_info.get("docker", "").startswith("true"):
            mem = Resources.from_v1(task.info.get("resources")).scalar("mem")
            used = int(exit_info.get("max_usage", 0)) // (1024 * 1024)
            state, reason, source = (
                "TASK_FAILED",
                "REASON_CONTAINER_LIMITATION_MEMORY",
                "SOURCE_AGENT",
            )
            message = (
                f"Memory limit exceeded: Requested: {int(mem)}MB "
                f"Maximum Used: {max(used, int(mem))}MB"
            )
        task.exited = True
        self.send_status(record, task, state, reason=reason, message=message, source=source)
        if all(t.exited or t.terminal for t in record.tasks.values()):
            self._release_statsd(record)
        if (record.kind != "docker" and not task.container_id) or task.container_id:
            await self.bundles.destroy(cid)
        if (
            record.kind == "group"
            and task.state in ("TASK_FAILED", "TASK_KILLED")
            and not task.killing
        ):
            # The default executor kills the rest of the group when one task fails.
            await self._kill_group(record, f"Task {task.id} of the group ended with {task.state}")

    # -- status updates -------------------------------------------------------------

    def send_status(
        self,
        record: ContainerRecord,
        task: TaskRecord,
        state: str,
        *,
        reason: str = "",
        message: str = "",
        source: str = "SOURCE_EXECUTOR",
        healthy: bool | None = None,
    ) -> None:
        status = idlib.status(
            task.id,
            state,
            agent_id=self.agent_id,
            executor_id=record.executor_id,
            source=source,
            reason=reason,
            message=message,
            healthy=healthy,
            container_status=self.container_status(record, task),
        )
        if healthy is None and task.healthy is not None and state == "TASK_RUNNING":
            status["healthy"] = task.healthy
        task.state = state
        task.statuses.append(status)
        task.pending.append(status)
        self.metrics[f"slave/tasks_{state[5:].lower()}"] += 1
        self.save(record)
        if len(task.pending) == 1:
            self.spawn(self._send_head(record, task))

    async def _send_head(
        self, record: ContainerRecord, task: TaskRecord, retry: bool = False
    ) -> None:
        """Send a task's oldest unacknowledged update (once per registration, or as a retry)."""
        if not task.pending or not self.registered.is_set():
            return
        status = task.pending[0]
        key = (record.framework_id, task.id)
        sent = (status.get("uuid"), self._generation)
        if key in self._inflight or (self._sent.get(key) == sent and not retry):
            return  # one update of a task on the wire at a time, each sent once per master
        self._sent[key] = sent
        self._inflight.add(key)
        try:
            await self._post_head(record, task, status, key)
        finally:
            self._inflight.discard(key)

    async def _post_head(
        self,
        record: ContainerRecord,
        task: TaskRecord,
        status: dict[str, Any],
        key: tuple[str, str],
    ) -> None:
        code, data = await self.master.post(
            "/internal/agent/status",
            {
                "agent_id": wrap(self.agent_id),
                "framework_id": wrap(record.framework_id),
                "status": status,
                "latest_state": task.state,
            },
        )
        if code == 404:
            self.registered.clear()  # the master does not know us: re-register (main loop)
            self.wakeup.set()
        if isinstance(data, dict) and data.get("framework_removed"):
            await self.shutdown_framework(record.framework_id)
            return
        old = self._retry.pop(key, None)
        if old is not None:
            old.cancel()
        loop = asyncio.get_running_loop()
        uuid = status.get("uuid")
        self._retry[key] = loop.call_later(
            STATUS_RETRY_S, lambda: self._retry_if_pending(record, task, uuid)
        )

    def _retry_if_pending(self, record: ContainerRecord, task: TaskRecord, uuid: Any) -> None:
        if task.pending and task.pending[0].get("uuid") == uuid:
            self.spawn(self._send_head(record, task, retry=True))

    def acknowledge(self, framework_id: str, task_id: str, uuid: str) -> None:
        found = self.find_task(framework_id, task_id)
        if found is None:
            return
        record, task = found
        if not task.pending or task.pending[0].get("uuid") != uuid:
            return
        task.pending.pop(0)
        timer = self._retry.pop((framework_id, task_id), None)
        if timer is not None:
            timer.cancel()
        if task.pending:
            self.spawn(self._send_head(record, task))
        if record.done():
            self._forget(record)
        else:
            self.save(record)

    def _forget(self, record: ContainerRecord) -> None:
        self._release_statsd(record)
        if self.container_logger is not None:
            for task in record.tasks.values():
                self.container_logger.finish(self.container_of(record, task))
        self.containers.pop(record.id, None)
        self.container_ips.pop(record.id, None)
        record.destroyed = True
        self.completed.append(record)
        if self.agent_id:
            self.store.forget(self.agent_id, record.id)
            for task in record.tasks.values():
                if task.container_id:
                    self.store.forget(self.agent_id, task.container_id)

    # -- kills ------------------------------------------------------------------------

    async def kill_task(self, framework_id: str, task_id: str) -> None:
        found = self.find_task(framework_id, task_id)
        if found is None:
            return
        record, task = found
        if task.terminal:
            return
        if record.kind == "group":
            await self._kill_group(record, f"Task {task_id} was killed")
            return
        task.killing = True
        self._report_killing(record, task)
        self.save(record)
        await launcher.stop_unit(self.container_of(record, task))

    def _report_killing(self, record: ContainerRecord, task: TaskRecord) -> None:
        """TASK_KILLING first, for frameworks that opted in (TASK_KILLING_STATE), as Mesos."""
        capabilities = self.frameworks.get(record.framework_id, record.framework_info).get(
            "capabilities", []
        )
        if task.launched and any(c.get("type") == "TASK_KILLING_STATE" for c in capabilities):
            self.send_status(record, task, "TASK_KILLING")

    async def shutdown_framework(self, framework_id: str) -> None:
        for record in list(self.containers.values()):
            if record.framework_id != framework_id:
                continue
            for task in record.live_tasks():
                task.killing = True
                await launcher.stop_unit(self.container_of(record, task))
            for task in record.tasks.values():
                task.pending.clear()
            self.save(record)
            if record.done():
                self._forget(record)

    async def shutdown_executor(self, framework_id: str, executor_id: str) -> None:
        for record in list(self.containers.values()):
            if record.framework_id == framework_id and record.executor_id == executor_id:
                await self._kill_group(record, "Executor shut down by the scheduler")

    # -- views ----------------------------------------------------------------------

    def task_v1(self, record: ContainerRecord, task: TaskRecord) -> dict[str, Any]:
        role = "*"
        for res in task.info.get("resources") or []:
            role = res.get("allocation_info", {}).get("role", role)
        out: dict[str, Any] = {
            "name": task.info.get("name", ""),
            "task_id": wrap(task.id),
            "framework_id": wrap(record.framework_id),
            "executor_id": wrap(record.executor_id),
            "agent_id": wrap(self.agent_id),
            "state": task.state,
            "resources": Resources.from_v1(task.info.get("resources")).to_v1(role),
            "statuses": task.statuses,
        }
        if task.pending:
            out["status_update_state"] = task.pending[0]["state"]
            out["status_update_uuid"] = task.pending[0].get("uuid", "")
        elif task.statuses:
            out["status_update_state"] = task.statuses[-1]["state"]
            out["status_update_uuid"] = task.statuses[-1].get("uuid", "")
        for key in ("labels", "discovery", "container", "health_check", "kill_policy", "command"):
            if key in task.info:
                out[key] = task.info[key]
        user = self.frameworks.get(record.framework_id, {}).get("user")
        if user:
            out["user"] = user
        return out


def termination(
    exit_info: dict[str, Any], task: TaskRecord, record: ContainerRecord
) -> tuple[str, str, str, str]:
    """The terminal state, reason, message and source for how a container ended."""
    code = exit_info.get("code", "")
    status = exit_info.get("status", "")
    if not exit_info:
        return (
            "TASK_FAILED",
            "REASON_EXECUTOR_TERMINATED",
            "Abnormal executor termination: the container is gone",
            "SOURCE_AGENT",
        )
    if task.killing:
        return (
            "TASK_KILLED",
            "",
            f"Command terminated with signal {signal_name(status or 'TERM')}",
            "SOURCE_EXECUTOR",
        )
    if code == "exited":
        rc = int(status or 0)
        if record.kind == "docker" and rc == 125:
            return (
                "TASK_FAILED",
                "REASON_CONTAINER_LAUNCH_FAILED",
                "Failed to launch container: docker run exited with status 125 "
                "(see the sandbox's stderr)",
                "SOURCE_EXECUTOR",
            )
        if rc == 0:
            return "TASK_FINISHED", "", "Command exited with status 0", "SOURCE_EXECUTOR"
        return (
            "TASK_FAILED",
            "REASON_COMMAND_EXECUTOR_FAILED",
            f"Command exited with status {rc}",
            "SOURCE_EXECUTOR",
        )
    return (
        "TASK_FAILED",
        "REASON_COMMAND_EXECUTOR_FAILED",
        f"Command terminated with signal {signal_name(status)}",
        "SOURCE_EXECUTOR",
    )


def signal_name(name: str) -> str:
    """`TERM` -> `Terminated`, as strsignal(3) words it (what Mesos's messages show)."""
    try:
        return signal.strsignal(getattr(signal, "SIG" + name)) or name
    except (AttributeError, ValueError):
        return name


def is_done(state: str) -> bool:
    return is_terminal(state)
