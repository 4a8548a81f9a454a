"""The leading Marathon: its state, the Mesos framework, and what keeps them in step.

One event loop owns everything here. Changes to the root group go through
`update_root` one at a time (Marathon's GroupManager); each makes a deployment
plan that `deployments` carries out. Offers are matched against the launch
queue; status updates move instances through their conditions, are written to
ZooKeeper, and only then acknowledged. Instances that end, outside of a
deployment, are replaced (after the launch backoff); extra ones are killed.

Mesos is reached through the shared v1 scheduler driver
(`dcos_internal_utils.scheduler`), with explicit acknowledgements: this
class is its `Scheduler`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from dcos_internal_utils.scheduler import CallError, Scheduler, SchedulerDriver

from . import apps, health, instances, matcher, plan, runspecs, taskinfo, timestamps
from .errors import AppLockedError
from .events import EventBus
from .groups import Group, assign_service_ports, empty_root, stamp_versions, validate_root
from .health import Health
from .instances import Instance, Task
from .launchqueue import LaunchQueue
from .readiness import ReadinessTracker
from .store import Store, spec_key
from .tasks import spawn

log = logging.getLogger("marathon")

TERMINAL_STATES = frozenset(
    {
        "TASK_FINISHED",
        "TASK_FAILED",
        "TASK_KILLED",
        "TASK_ERROR",
        "TASK_LOST",
        "TASK_DROPPED",
        "TASK_GONE",
        "TASK_GONE_BY_OPERATOR",
        "TASK_UNKNOWN",
    }
)
KILL_RETRY_S = 10.0


def _flag_seconds(name: str, default_s: float) -> float:
    """A Marathon flag given in milliseconds as MARATHON_<FLAG> (DC/OS sets them in
    /var/lib/dcos/marathon/environment), in seconds."""
    try:
        return max(0.1, float(os.environ[name]) / 1000.0)
    except (KeyError, ValueError):
        return default_s


RECONCILE_INITIAL_S = _flag_seconds("MARATHON_RECONCILIATION_INITIAL_DELAY", 15.0)
RECONCILE_INTERVAL_S = _flag_seconds("MARATHON_RECONCILIATION_INTERVAL", 600.0)
HOUSEKEEPING_S = 10.0
REVIVE_MIN_INTERVAL_S = 1.0
# Mesos sends one agent's offer after another; waiting this long sees them together.
OFFER_GATHER_S = 0.02
FLUSH_COALESCE_S = 0.01


@dataclass
class Config:
    hostname: str
    http_port: int = 8080
    zk_display: str = "zk://zk-1.zk:2181/marathon"
    master_display: str = "zk://zk-1.zk:2181/mesos"
    framework_name: str = "marathon"
    mesos_role: str = "slave_public"
    mesos_user: str = "root"
    principal: str = "dcos_marathon"
    failover_timeout_s: float = 604800.0
    decline_offer_duration_s: float = 300.0
    max_instances_per_offer: int = 100

    @property
    def host_port(self) -> str:
        return f"{self.hostname}:{self.http_port}"


@dataclass
class _OfferLaunches:
    """What one offer is used for in a launch round."""

    offer: dict[str, Any]
    pool: matcher.Pool = field(init=False)
    launches: list[tuple[Instance, dict[str, Any]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.pool = matcher.Pool.of(self.offer)

    @property
    def created(self) -> list[Instance]:
        return [instance for instance, _ in self.launches]

    def add(self, instance: Instance, operation: dict[str, Any]) -> None:
        self.launches.append((instance, operation))

    def operations(self) -> list[dict[str, Any]]:
        """LAUNCH for the apps' tasks, LAUNCH_GROUP per pod instance; none killed meanwhile."""
        wanted = [(i, op) for i, op in self.launches if i.kill_requested_at is None]
        infos = [op for i, op in wanted if not i.is_pod]
        launch = [{"type": "LAUNCH", "launch": {"task_infos": infos}}] if infos else []
        return launch + [op for i, op in wanted if i.is_pod]


@dataclass
class DeploymentRun:
    plan: plan.Plan
    step_index: int = 0
    task: asyncio.Task[None] | None = None
    readiness: ReadinessTracker = field(default_factory=ReadinessTracker)


class Marathon(Scheduler):
    def __init__(self, config: Config, store: Store, events: EventBus, master: Any) -> None:
        """`master`: a kazoo client (the leading Mesos master comes from ZooKeeper), or a
        fixed master's host:port (see SchedulerDriver)."""
        self.config = config
        self.store = store
        self.events = events
        self.driver = SchedulerDriver(
            self.framework_info(), master, self, implicit_acknowledgements=False
        )
        # Called when the driver stops for good (Mesos refused the framework): Marathon
        # then ends, as Marathon's suicide() does, and systemd starts it again.
        self.on_fatal: Callable[[], None] = lambda: None
        self._stopping = False
        self.root: Group = empty_root(timestamps.now())
        self.instances: dict[str, dict[str, Instance]] = {}
        self.task_index: dict[str, Instance] = {}
        self.task_failures: dict[str, dict[str, Any]] = {}
        self.versions: dict[tuple[str, str], dict[str, Any]] = {}
        self.deployments: dict[str, DeploymentRun] = {}
        self.queue = LaunchQueue()
        self.health: dict[str, dict[int, Health]] = {}
        self.health_tasks: dict[str, list[asyncio.Task[None]]] = {}
        self.loaded = asyncio.Event()
        self.change_lock = asyncio.Lock()
        self._waiters: list[asyncio.Future[None]] = []
        self._dirty: set[str] = set()
        self._acks: list[dict[str, Any]] = []  # statuses to acknowledge once written
        self._flush_waiters: list[asyncio.Future[None]] = []
        self._flush_wanted = asyncio.Event()
        self._background: list[asyncio.Task[Any]] = []
        self._suppressed = False
        self._last_revive = 0.0
        self._revive_handle: asyncio.TimerHandle | None = None
        self._pending_offers: list[dict[str, Any]] = []
        self._offer_round: asyncio.Task[None] | None = None
        self._http: aiohttp.ClientSession | None = None
        self.started_at = time.time()

    # --- lifecycle ----------------------------------------------------------------------

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._http is None:
            self._http = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=64, force_close=True)
            )
        return self._http

    def framework_info(self) -> dict[str, Any]:
        return {
            "user": self.config.mesos_user,
            "name": self.config.framework_name,
            "role": self.config.mesos_role,
            "failover_timeout": self.config.failover_timeout_s,
            "checkpoint": True,
            "hostname": self.config.hostname,
            "webui_url": f"http://{self.config.host_port}",
            "principal": self.config.principal,
            "capabilities": [
                {"type": "PARTITION_AWARE"},
                {"type": "TASK_KILLING_STATE"},
                {"type": "GPU_RESOURCES"},
            ],
        }

    async def start(self) -> None:
        """Load the state from ZooKeeper and start being the framework (we were elected)."""
        await self.load()
        self.loaded.set()
        self._background = [
            asyncio.create_task(self._drive(), name="mesos"),
            asyncio.create_task(self._flusher(), name="flusher"),
            asyncio.create_task(self._housekeeping(), name="housekeeping"),
            asyncio.create_task(self._reconciler(), name="reconciler"),
        ]
        for instance in self.all_instances():
            self.ensure_health_checks(instance)
        for stored in await self._stored_plans():
            self._run_deployment(stored)

    async def _drive(self) -> None:
        await self.driver.run()
        if not self._stopping:
            log.error("the Mesos scheduler driver stopped: Marathon ends")
            self.on_fatal()

    async def stop(self) -> None:
        self._stopping = True
        self.driver.stop()
        if self.loaded.is_set() and self._dirty:
            with contextlib.suppress(Exception):  # best effort: the next leader reconciles anyway
                await asyncio.wait_for(self.flush(), 5)
        for task in self._background:
            task.cancel()
        for run in self.deployments.values():
            if run.task is not None:
                run.task.cancel()
        for tasks in self.health_tasks.values():
            for task in tasks:
                task.cancel()
        if self._http is not None:
            await self._http.close()

    async def load(self) -> None:
        framework = await self.store.get("framework-id")
        self.driver.framework_id = (framework or {}).get("value")
        root = await self.store.get("root")
        self.root = Group.from_json(root) if root else empty_root(timestamps.now())
        keys = await self.store.children("instances")
        for data in await asyncio.gather(*(self.store.get(f"instances/{k}") for k in keys)):
            if data:
                self._track(Instance.from_json(data))
        for key in await self.store.children("task-failures"):
            failure = await self.store.get(f"task-failures/{key}")
            if failure:
                self.task_failures[failure["appId"]] = failure
        for spec_id, spec in self.root.transitive_run_specs().items():
            self.versions[(spec_id, spec["version"])] = spec
        wanted = {(i.run_spec_id, i.run_spec_version) for i in self.all_instances()} - set(
            self.versions
        )
        for spec_id in {s for s, _ in wanted}:
            for version, spec in (await self.store.versions(spec_id)).items():
                self.versions[(spec_id, version)] = spec
        log.info(
            "loaded %d run specs, %d instances, framework %s",
            len(self.root.transitive_run_specs()),
            len(self.task_index),
            self.driver.framework_id,
        )

    async def _stored_plans(self) -> list[plan.Plan]:
        plans = []
        for key in await self.store.children("deployments"):
            data = await self.store.get(f"deployments/{key}")
            if data:
                plans.append(plan.Plan.from_store(data))
        return sorted(plans, key=lambda p: p.version)

    # --- change notification (deployments wait on it) -----------------------------------

    def notify(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def wait_change(self, timeout: float = 5.0) -> None:
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(waiter, timeout)

    # --- instances ------------------------------------------------------------------------

    def _track(self, instance: Instance) -> None:
        self.instances.setdefault(instance.run_spec_id, {})[instance.instance_id] = instance
        for task_id in instance.tasks:
            self.task_index[task_id] = instance

    def _untrack(self, instance: Instance) -> None:
        specs = self.instances.get(instance.run_spec_id, {})
        specs.pop(instance.instance_id, None)
        if not specs:
            self.instances.pop(instance.run_spec_id, None)
        for task_id in instance.tasks:
            self.task_index.pop(task_id, None)
        self.stop_health_checks(instance.instance_id)
        self._dirty.add(instance.instance_id)

    def all_instances(self) -> list[Instance]:
        return [i for specs in self.instances.values() for i in specs.values()]

    def instances_of(self, spec_id: str) -> list[Instance]:
        return list(self.instances.get(spec_id, {}).values())

    def active_instances(self, spec_id: str) -> list[Instance]:
        return [i for i in self.instances_of(spec_id) if i.is_active]

    def spec_of(self, instance: Instance) -> dict[str, Any] | None:
        current = self.root.run_spec(instance.run_spec_id)
        if current is not None and current["version"] == instance.run_spec_version:
            return current
        return self.versions.get((instance.run_spec_id, instance.run_spec_version), current)

    def placed(self, spec_id: str) -> list[matcher.Placed]:
        return [matcher.Placed(i.host, i.agent_attributes) for i in self.active_instances(spec_id)]

    # --- health ---------------------------------------------------------------------------

    def is_healthy(self, instance: Instance) -> bool | None:
        """True/False when health is known; None when there are no checks or no verdict yet."""
        spec = self.spec_of(instance)
        if spec is None or not health.has_health_checks(spec):
            return None
        verdicts: list[bool | None] = []
        if runspecs.is_pod(spec):
            checked = {c["name"] for c in spec["containers"] if c.get("healthCheck") is not None}
            verdicts = [t.healthy for t in instance.tasks.values() if t.container_name in checked]
        else:
            results = self.health.get(instance.instance_id, {})
            for index, check in enumerate(spec.get("healthChecks", [])):
                if check["protocol"] in health.MARATHON_PROTOCOLS:
                    result = results.get(index)
                    verdicts.append(result.alive if result is not None and result.checked else None)
                else:
                    verdicts.append(next(iter(instance.tasks.values())).healthy)
        if any(v is False for v in verdicts):
            return False
        if verdicts and all(v is True for v in verdicts):
            return True
        return None

    def health_results(self, instance: Instance) -> list[dict[str, Any]]:
        spec = self.spec_of(instance)
        if spec is None or runspecs.is_pod(spec):
            return []
        out = []
        results = self.health.get(instance.instance_id, {})
        task = next(iter(instance.tasks.values()))
        for index, check in enumerate(spec.get("healthChecks", [])):
            if check["protocol"] in health.MARATHON_PROTOCOLS:
                if index in results and results[index].checked:
                    out.append(results[index].to_json())
            elif task.healthy is not None:
                h = Health(instance.instance_id, alive=bool(task.healthy))
                out.append(h.to_json())
        return out

    def ensure_health_checks(self, instance: Instance) -> None:
        if (
            instance.is_pod
            or instance.instance_id in self.health_tasks
            or instance.condition != "Running"
        ):
            return
        spec = self.spec_of(instance)
        if spec is None:
            return
        loops = [
            asyncio.create_task(self._health_loop(instance, index, check))
            for index, check in enumerate(spec.get("healthChecks", []))
            if check["protocol"] in health.MARATHON_PROTOCOLS
        ]
        if loops:
            self.health_tasks[instance.instance_id] = loops

    def stop_health_checks(self, instance_id: str) -> None:
        for task in self.health_tasks.pop(instance_id, []):
            task.cancel()
        self.health.pop(instance_id, None)

    async def _health_loop(self, instance: Instance, index: int, check: dict[str, Any]) -> None:
        interval = float(check["intervalSeconds"]) or 1.0
        task_id = next(iter(instance.tasks))
        await asyncio.sleep(min(interval, health.FIRST_CHECK_AFTER_S))
        while self.task_index.get(task_id) is instance and instance.condition == "Running":
            await self._check_once(instance, index, check)
            await asyncio.sleep(interval)

    def probe_address(
        self, instance: Instance, spec: dict[str, Any], check: dict[str, Any]
    ) -> tuple[str, int] | None:
        task = next(iter(instance.tasks.values()))
        if check.get("port") is not None:
            return instance.host, int(check["port"])
        index = check.get("portIndex") or 0
        if apps.is_host_networking(spec) or any(
            n["mode"] == "container/bridge" for n in spec["networks"]
        ):
            if index < len(task.host_ports):
                return instance.host, task.host_ports[index]
            return None
        mappings = apps.port_mappings(spec)
        if index < len(mappings) and task.ip_addresses:
            return task.ip_addresses[0]["ipAddress"], int(mappings[index].get("containerPort", 0))
        return None

    async def _check_once(self, instance: Instance, index: int, check: dict[str, Any]) -> None:
        spec = self.spec_of(instance)
        if spec is None:
            return
        address = self.probe_address(instance, spec, check)
        result = self.health.setdefault(instance.instance_id, {}).setdefault(
            index, Health(instance.instance_id)
        )
        healthy: bool | None
        if address is None:
            healthy, cause = False, "no port to probe"
        else:
            healthy, cause = await health.probe(self.http, check, *address)
        if healthy is None or self.task_index.get(next(iter(instance.tasks))) is not instance:
            return
        was_alive = result.alive if result.checked else None
        if healthy:
            result.succeeded()
        else:
            in_grace = result.first_success is None and (
                time.time() - timestamps.parse(instance.since) < float(check["gracePeriodSeconds"])
            )
            if in_grace:
                return
            result.failed(cause)
            self.events.publish(
                "failed_health_check_event",
                appId=spec["id"],
                taskId=instance.instance_id,
                healthCheck=apps.render_health_check(check),
            )
        if was_alive != result.alive:
            self.events.publish(
                "health_status_changed_event",
                appId=spec["id"],
                instanceId=instance.instance_id,
                version=instance.run_spec_version,
                alive=result.alive,
            )
            self.events.publish(
                "instance_health_changed_event",
                instanceId=instance.instance_id,
                runSpecId=spec["id"],
                healthy=result.alive,
                runSpecVersion=instance.run_spec_version,
            )
            self.notify()
        max_failures = int(check["maxConsecutiveFailures"])
        if not result.alive and max_failures > 0 and result.consecutive_failures >= max_failures:
            if (
                instance.condition in ("Unreachable", "UnreachableInactive")
                or instance.kill_requested_at
            ):
                return
            task = next(iter(instance.tasks.values()))
            self.events.publish(
                "unhealthy_instance_kill_event",
                appId=spec["id"],
                taskId=task.task_id,
                instanceId=instance.instance_id,
                version=instance.run_spec_version,
                reason=result.last_failure_cause or "unknown",
                host=instance.host,
                slaveId=instance.agent_id,
                timestamp=result.last_failure or timestamps.now(),
            )
            log.info("killing unhealthy %s (%s)", instance.instance_id, result.last_failure_cause)
            self.queue.add_delay(spec)
            await self.kill_instances([instance], by_health=True)

    # --- counts and views ------------------------------------------------------------------

    def counts(self, spec_id: str) -> dict[str, int]:
        staged = running = healthy = unhealthy = 0
        for instance in self.active_instances(spec_id):
            if instance.condition in ("Created", "Staging", "Starting"):
                staged += 1
            elif instance.condition == "Running":
                running += 1
            verdict = self.is_healthy(instance)
            if verdict is True:
                healthy += 1
            elif verdict is False:
                unhealthy += 1
        return {
            "tasksStaged": staged,
            "tasksRunning": running,
            "tasksHealthy": healthy,
            "tasksUnhealthy": unhealthy,
        }

    def deployments_of(self, spec_id: str) -> list[DeploymentRun]:
        return [r for r in self.deployments.values() if spec_id in r.plan.affected_ids]

    def enriched_tasks(self, spec_id: str) -> list[dict[str, Any]]:
        spec = self.root.run_spec(spec_id)
        service_ports = (
            apps.service_ports(spec) if spec is not None and not runspecs.is_pod(spec) else []
        )
        out = []
        for instance in self.instances_of(spec_id):
            results = self.health_results(instance)
            for task in instance.tasks.values():
                out.append(instances.render_task(instance, task, service_ports, results))
        return out

    # --- root group changes --------------------------------------------------------------

    async def update_root(
        self,
        change: Callable[[Group], Group],
        force: bool = False,
        to_kill: dict[str, list[str]] | None = None,
        version: str | None = None,
    ) -> plan.Plan:
        """Apply `change` to the root, start the deployment it implies (GroupManager.updateRoot)."""
        async with self.change_lock:
            version = version or timestamps.now()
            original = self.root
            target = change(original)
            target = assign_service_ports(original, target)
            target = stamp_versions(original, target, version)
            validate_root(target)
            new_plan = plan.compute(original, target, version, to_kill)
            conflicts = [r for r in self.deployments.values() if r.plan.is_affected_by(new_plan)]
            if conflicts and not force:
                raise AppLockedError([r.plan.id for r in conflicts])
            for run in conflicts:
                await self.cancel_deployment(run.plan.id, announce=True)
            changed = [
                s
                for s_id, s in target.transitive_run_specs().items()
                if original.run_spec(s_id) is None
                or original.run_spec(s_id)["version"] != s["version"]  # type: ignore[index]
            ]
            for spec in changed:
                await self.store.add_version(spec)
                self.versions[(spec["id"], spec["version"])] = spec
            if new_plan.steps:
                await self.store.put(f"deployments/{new_plan.id}", new_plan.store_json())
            await self.store.put("root", target.to_json())
            for spec_id in new_plan.deleted_ids:
                await self.store.delete(f"versions/{spec_key(spec_id)}")
            self.root = target
            for spec in changed:
                self.queue.set_spec(spec)
            self.events.publish("group_change_success", groupId="/", version=version)
            self._run_deployment(new_plan)
            return new_plan

    def _run_deployment(self, new_plan: plan.Plan) -> None:
        from .deployments import execute

        run = DeploymentRun(new_plan)
        self.deployments[new_plan.id] = run
        run.task = asyncio.create_task(self._deploy(run, execute))

    async def _deploy(
        self, run: DeploymentRun, execute: Callable[[Marathon, DeploymentRun], Awaitable[None]]
    ) -> None:
        try:
            await execute(self, run)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("deployment %s failed", run.plan.id)
            self.events.publish(
                "deployment_failed", id=run.plan.id, plan=self.plan_event_json(run.plan)
            )
        finally:
            if self.deployments.get(run.plan.id) is run:
                del self.deployments[run.plan.id]
                run.readiness.stop()
                with contextlib.suppress(Exception):
                    await self.store.delete(f"deployments/{run.plan.id}")
                for spec_id in run.plan.affected_ids:
                    self.scale_check(spec_id)
                self.notify()

    async def cancel_deployment(self, plan_id: str, announce: bool = True) -> None:
        run = self.deployments.pop(plan_id, None)
        if run is None:
            return
        if run.task is not None:
            run.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await run.task
        run.readiness.stop()
        await self.store.delete(f"deployments/{plan_id}")
        if announce:
            self.events.publish(
                "deployment_failed", id=plan_id, plan=self.plan_event_json(run.plan)
            )
        for spec_id in run.plan.affected_ids:
            self.scale_check(spec_id)

    def plan_event_json(self, p: plan.Plan) -> dict[str, Any]:
        from .views import render_group_raml

        return {
            "id": p.id,
            "original": render_group_raml(p.original),
            "target": render_group_raml(p.target),
            "steps": p.steps_json(),
            "version": p.version,
        }

    # --- launching --------------------------------------------------------------------------

    def launch(self, spec: dict[str, Any], count: int) -> None:
        if count > 0:
            self.queue.add(spec, count)
            self.want_offers()

    def scale_check(self, spec_id: str) -> None:
        """Outside deployments: as many instances as the spec says (SchedulerActions.scale)."""
        if self.deployments_of(spec_id) or not self.loaded.is_set():
            return
        spec = self.root.run_spec(spec_id)
        if spec is None:
            return
        running = [i for i in self.active_instances(spec_id) if i.counts_as_running]
        want = runspecs.instances(spec)
        queued = self.queue.count(spec_id)
        missing = want - len(running) - queued
        if missing > 0:
            log.info("%s: %d of %d instances, launching %d", spec_id, len(running), want, missing)
            self.launch(spec, missing)
        elif len(running) + queued > want:
            self.queue.reduce(spec_id, min(queued, len(running) + queued - want))
            extra = len(running) - want
            if extra > 0:
                victims = select_to_kill(running, extra, runspecs.kill_selection(spec))
                spawn(self.kill_instances(victims))

    def want_offers(self) -> None:
        """Revive (at most once a second) when there is something to launch."""
        if not self.queue.launchable() or self._revive_handle is not None:
            return
        wait = max(0.0, REVIVE_MIN_INTERVAL_S - (time.monotonic() - self._last_revive))

        def fire() -> None:
            self._revive_handle = None
            self._last_revive = time.monotonic()
            self._suppressed = False
            spawn(self._send(self.driver.revive()))

        self._revive_handle = asyncio.get_running_loop().call_later(wait, fire)

    async def _offers_not_needed(self) -> None:
        if not self.queue.entries and not self._suppressed:
            self._suppressed = True
            await self._send(self.driver.suppress())

    def _new_instance(
        self, spec: dict[str, Any], offer: dict[str, Any], match: matcher.Match
    ) -> tuple[Instance, dict[str, Any]]:
        now = timestamps.now()
        agent_id = offer["agent_id"]["value"]
        host = str(offer.get("hostname", ""))
        attributes = matcher.offer_attributes(offer)
        config_version = (spec.get("versionInfo") or {}).get("lastConfigChangeAt", spec["version"])
        if runspecs.is_pod(spec):
            instance_id = instances.new_pod_instance_id(spec["id"])
            executor_id = instances.pod_executor_id(instance_id)
            operation, task_ids = taskinfo.pod_launch_group(
                spec,
                instance_id,
                executor_id,
                self.driver.framework_id or "",
                offer,
                match.resources,
                match.container_resources,
                match.host_ports,
            )
            tasks = {}
            ports = list(match.host_ports)
            for container in spec["containers"]:
                mine = [ports.pop(0) for _ in container.get("endpoints", [])]
                task_id = task_ids[container["name"]]
                tasks[task_id] = Task(
                    task_id,
                    staged_at=now,
                    host_ports=[p for p in mine if p is not None],
                    container_name=container["name"],
                )
            instance = Instance(
                instance_id,
                spec["id"],
                spec["version"],
                config_version,
                agent_id,
                host,
                attributes,
                tasks,
                "Created",
                now,
                is_pod=True,
                executor_id=executor_id,
            )
            return instance, operation
        task_id = instances.new_app_task_id(spec["id"])
        info = taskinfo.app_task_info(spec, task_id, offer, match.resources, match.host_ports)
        task = Task(
            task_id, staged_at=now, host_ports=[p for p in match.host_ports if p is not None]
        )
        instance = Instance(
            instances.app_instance_id(task_id),
            spec["id"],
            spec["version"],
            config_version,
            agent_id,
            host,
            attributes,
            {task_id: task},
            "Created",
            now,
        )
        return instance, info

    # --- Mesos: calls, and the scheduler's callbacks ---------------------------------------

    async def _send(self, call: Awaitable[None]) -> bool:
        """Make a call to Mesos; False (and logged) if it failed: the caller decides what then.

        Calls that matter are repeated anyway: kills every 10 s, reconciliation on every
        subscription, revives whenever something is queued, acknowledgements by the agent
        sending the update again.
        """
        try:
            await call
            return True
        except CallError as exc:
            if self.driver.subscribed:
                log.warning("%s", exc)
            else:
                log.debug("%s", exc)
            return False

    async def subscribed(self, driver: SchedulerDriver, framework_id: str, master: str) -> None:
        stored = await self.store.get("framework-id")
        hostname = master.rsplit(":", 1)[0]  # MasterInfo's hostname: the master's address here
        if (stored or {}).get("value") != framework_id:
            await self.store.put("framework-id", {"value": framework_id})
            self.events.publish(
                "scheduler_registered_event", frameworkId=framework_id, master=hostname
            )
        else:
            self.events.publish("scheduler_reregistered_event", master=hostname)
        self._suppressed = False
        await self.reconcile_explicitly()
        for spec_id in list(self.root.transitive_run_specs()):
            self.scale_check(spec_id)
        if self.queue.launchable():
            await self._send(self.driver.revive())
        else:
            await self._offers_not_needed()

    async def disconnected(self, driver: SchedulerDriver) -> None:
        self.events.publish("scheduler_disconnected_event")

    async def error(self, driver: SchedulerDriver, message: str) -> None:
        """Mesos refused the framework: Marathon ends (its suicide), and systemd restarts it.

        As Marathon 1.5 does, "Framework has been removed" (its failover timeout ran out,
        or it was torn down) also forgets the framework id, so the next Marathon
        subscribes as a new framework.
        """
        log.error("Mesos refused the framework: %s", message)
        if message == "Framework has been removed":
            driver.framework_id = None
            await self.store.delete("framework-id")

    async def rescind(self, driver: SchedulerDriver, offer_id: str) -> None:
        self._pending_offers = [o for o in self._pending_offers if o["id"]["value"] != offer_id]

    async def offers(self, driver: SchedulerDriver, offers: list[dict[str, Any]]) -> None:
        """Offers wait a moment for their siblings, so that one launch round sees every agent."""
        self._pending_offers.extend(offers)
        if self._offer_round is None:
            self._offer_round = spawn(self._offer_rounds())

    async def _offer_rounds(self) -> None:
        try:
            while self._pending_offers:
                await asyncio.sleep(OFFER_GATHER_S)
                offers, self._pending_offers = self._pending_offers, []
                await self._use_offers(offers)
        finally:
            self._offer_round = None

    async def _use_offers(self, offers: list[dict[str, Any]]) -> None:
        if not self.loaded.is_set():
            await self._send(self.driver.decline([o["id"] for o in offers], refuse_seconds=5.0))
            return
        self.queue.expire_delays()
        launches: dict[str, _OfferLaunches] = {o["id"]["value"]: _OfferLaunches(o) for o in offers}
        for entry in sorted(self.queue.launchable(), key=lambda e: e.since):
            self._place(entry, list(launches.values()))
        if any(batch.created for batch in launches.values()):
            await self.flush()
        for batch in launches.values():
            for instance in batch.created:
                if instance.kill_requested_at is not None:  # killed while being written
                    self._untrack(instance)
            operations = batch.operations()
            if not operations:
                await self._send(
                    self.driver.decline(
                        [batch.offer["id"]], refuse_seconds=self.config.decline_offer_duration_s
                    )
                )
                continue
            accepted = await self._send(
                self.driver.accept([batch.offer["id"]], operations, refuse_seconds=5.0)
            )
            for instance in batch.created:
                if instance.kill_requested_at is not None:
                    continue
                self._publish_instance_changed(instance)
                if not accepted:
                    self._lost_launch(instance)
        self.queue.cleanup()
        if self.queue.launchable():
            self.want_offers()
        else:
            await self._offers_not_needed()
        self.notify()

    def _place(self, entry: Any, batches: list[_OfferLaunches]) -> None:
        """Launch `entry`'s instances on these offers, one per offer in turn (spreading them)."""
        spec = entry.spec
        placed = self.placed(spec["id"])
        seen: set[str] = set()
        candidates = batches
        while entry.to_launch > 0 and candidates:
            still_fitting = []
            for batch in candidates:
                if entry.to_launch <= 0:
                    break
                offer_id = batch.offer["id"]["value"]
                if len(batch.created) >= self.config.max_instances_per_offer:
                    continue
                result = matcher.match(spec, batch.offer, batch.pool, placed)
                if isinstance(result, matcher.Miss):
                    if offer_id not in seen:
                        entry.stats.unused_offer(batch.offer, result.reasons)
                        seen.add(offer_id)
                    continue
                if offer_id not in seen:
                    entry.stats.used(batch.offer)
                    seen.add(offer_id)
                instance, operation = self._new_instance(spec, batch.offer, result)
                batch.add(instance, operation)
                self._track(instance)
                self._dirty.add(instance.instance_id)
                placed.append(matcher.Placed(instance.host, instance.agent_attributes))
                entry.to_launch -= 1
                still_fitting.append(batch)
            candidates = still_fitting

    def _lost_launch(self, instance: Instance) -> None:
        """ACCEPT failed: the instance never reached Mesos; forget it and launch again."""
        self._untrack(instance)
        spec = self.root.run_spec(instance.run_spec_id)
        if spec is not None:
            self.scale_check(instance.run_spec_id)

    def _publish_instance_changed(self, instance: Instance) -> None:
        self.events.publish(
            "instance_changed_event",
            instanceId=instance.instance_id,
            condition=instance.condition,
            runSpecId=instance.run_spec_id,
            agentId=instance.agent_id,
            host=instance.host,
            runSpecVersion=instance.run_spec_version,
        )

    async def update(self, driver: SchedulerDriver, status: dict[str, Any]) -> None:
        """Apply a status update; it is acknowledged once the instance is in ZooKeeper."""
        task_id = status["task_id"]["value"]
        state = status.get("state", "TASK_STAGING")
        agent_id = (status.get("agent_id") or {}).get("value", "")
        instance = self.task_index.get(task_id)
        if instance is None:
            if state not in TERMINAL_STATES and state != "TASK_UNREACHABLE":
                log.info("killing unknown task %s (%s)", task_id, state)
                await self._send(driver.kill(task_id, agent_id or None))
            if status.get("uuid"):
                await self._send(driver.acknowledge(status))
            return
        self._apply_status(instance, instance.tasks[task_id], status)
        if status.get("uuid"):
            self._acks.append(status)
            self._flush_wanted.set()

    def _apply_status(self, instance: Instance, task: Task, status: dict[str, Any]) -> None:
        state = status.get("state", task.state)
        before = instance.condition
        was_healthy = task.healthy
        task.state = state
        task.message = status.get("message", "") or ""
        if "healthy" in status:
            task.healthy = bool(status["healthy"])
        if state == "TASK_RUNNING" and not task.started_at:
            task.started_at = _status_time(status)
        ips = [
            {"ipAddress": ip["ip_address"], "protocol": ip.get("protocol", "IPv4")}
            for network in (status.get("container_status") or {}).get("network_infos", [])
            for ip in network.get("ip_addresses", [])
            if ip.get("ip_address")
        ]
        if ips:
            task.ip_addresses = ips
        if state == "TASK_UNREACHABLE" and instance.unreachable_since is None:
            instance.unreachable_since = time.time()
        if state != "TASK_UNREACHABLE":
            instance.unreachable_since = None
        instance.condition = instance.derive_condition()
        if instance.condition != before:
            instance.since = timestamps.now()
        self._dirty.add(instance.instance_id)
        self.events.publish(
            "status_update_event",
            slaveId=instance.agent_id,
            taskId=task.task_id,
            taskStatus=state,
            message=task.message,
            appId=instance.run_spec_id,
            host=instance.host,
            ipAddresses=task.ip_addresses,
            ports=task.host_ports,
            version=instance.run_spec_version,
        )
        if instance.condition != before:
            self._publish_instance_changed(instance)
        if task.healthy != was_healthy and task.healthy is not None:
            self.events.publish(
                "instance_health_changed_event",
                instanceId=instance.instance_id,
                runSpecId=instance.run_spec_id,
                healthy=task.healthy,
                runSpecVersion=instance.run_spec_version,
            )
            if not instance.is_pod:
                self.events.publish(
                    "health_status_changed_event",
                    appId=instance.run_spec_id,
                    instanceId=instance.instance_id,
                    version=instance.run_spec_version,
                    alive=task.healthy,
                )
        if instance.is_terminal:
            self._instance_ended(instance, task, state)
        elif instance.condition == "Running":
            self.ensure_health_checks(instance)
        elif instance.condition == "Unreachable":
            self._maybe_inactive(instance)
        self.notify()

    def _instance_ended(self, instance: Instance, task: Task, state: str) -> None:
        self._untrack(instance)
        spec = self.spec_of(instance)
        if instance.kill_requested_at is None and spec is not None:
            delay = self.queue.add_delay(spec)
            log.info(
                "%s ended (%s); next launch of %s in %.1f s",
                instance.instance_id,
                state,
                spec["id"],
                delay,
            )
            if self.queue.is_delayed(spec):
                asyncio.get_running_loop().call_later(
                    self.queue.delay_left(spec) + 0.05, self.want_offers
                )
        if state in instances.FAILURES and not instance.is_pod:
            failure = {
                "appId": instance.run_spec_id,
                "host": instance.host,
                "message": task.message,
                "state": state,
                "taskId": task.task_id,
                "timestamp": timestamps.now(),
                "version": instance.run_spec_version,
                "slaveId": instance.agent_id or None,
            }
            self.task_failures[instance.run_spec_id] = failure
            spawn(self.store.put(f"task-failures/{spec_key(instance.run_spec_id)}", failure))
        self.scale_check(instance.run_spec_id)

    def _maybe_inactive(self, instance: Instance) -> None:
        spec = self.spec_of(instance)
        strategy = runspecs.unreachable_strategy(spec) if spec else None
        if not isinstance(strategy, dict) or instance.unreachable_since is None:
            return
        if (
            time.time() - instance.unreachable_since
            >= float(strategy.get("inactiveAfterSeconds", 0))
            and instance.condition != "UnreachableInactive"
        ):
            instance.condition = "UnreachableInactive"
            instance.since = timestamps.now()
            self._dirty.add(instance.instance_id)
            self._publish_instance_changed(instance)
            self.scale_check(instance.run_spec_id)
        if time.time() - instance.unreachable_since >= float(
            strategy.get("expungeAfterSeconds", 0)
        ):
            log.info(
                "expunging %s: unreachable since %.0f s",
                instance.instance_id,
                time.time() - instance.unreachable_since,
            )
            self._untrack(instance)
            self.scale_check(instance.run_spec_id)

    # --- killing ----------------------------------------------------------------------------

    async def kill_instances(self, victims: list[Instance], by_health: bool = False) -> None:
        del by_health
        now = time.time()
        for instance in victims:
            first = instance.kill_requested_at is None
            instance.kill_requested_at = now
            self._dirty.add(instance.instance_id)
            if instance.condition in ("Unreachable", "UnreachableInactive"):
                self._untrack(instance)
            for task in instance.tasks.values():
                if task.state not in TERMINAL_STATES:
                    await self._send(self.driver.kill(task.task_id, instance.agent_id))
            if first:
                self.notify()

    async def _retry_kills(self) -> None:
        now = time.time()
        for instance in self.all_instances():
            if (
                instance.kill_requested_at is not None
                and now - instance.kill_requested_at > KILL_RETRY_S
            ):
                instance.kill_requested_at = now
                for task in instance.tasks.values():
                    if task.state not in TERMINAL_STATES:
                        await self._send(self.driver.kill(task.task_id, instance.agent_id))

    # --- reconciliation, persistence, housekeeping -------------------------------------------

    async def reconcile_explicitly(self) -> None:
        """Ask Mesos for the state of every task Marathon knows of (after each subscription)."""
        known: list[tuple[str, str | None]] = [
            (t, i.agent_id) for i in self.all_instances() for t in i.tasks if i.agent_id
        ]
        if known:
            await self._send(self.driver.reconcile(known))

    async def _reconciler(self) -> None:
        """Implicit reconciliation now and then: Mesos reports every task it runs for us."""
        await asyncio.sleep(RECONCILE_INITIAL_S)
        while True:
            if self.driver.subscribed:
                await self._send(self.driver.reconcile([]))
            await asyncio.sleep(RECONCILE_INTERVAL_S)

    async def flush(self) -> None:
        """Wait until every instance change made so far is in ZooKeeper."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._flush_waiters.append(waiter)
        self._flush_wanted.set()
        await waiter

    async def _flusher(self) -> None:
        while True:
            await self._flush_wanted.wait()
            # A moment for the status updates of the same launch to join this write.
            await asyncio.sleep(FLUSH_COALESCE_S)
            self._flush_wanted.clear()
            dirty, self._dirty = self._dirty, set()
            acks, self._acks = self._acks, []
            waiters, self._flush_waiters = self._flush_waiters, []
            try:
                await asyncio.gather(*(self._write_instance(i) for i in dirty))
            except Exception:
                log.exception("writing instances to ZooKeeper failed; retrying")
                self._dirty |= dirty
                self._acks = acks + self._acks
                self._flush_waiters = waiters + self._flush_waiters
                await asyncio.sleep(0.5)
                self._flush_wanted.set()
                continue
            await asyncio.gather(*(self._send(self.driver.acknowledge(s)) for s in acks))
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)

    async def _write_instance(self, instance_id: str) -> None:
        spec_id = instances.run_spec_id_of_task(instance_id)
        instance = self.instances.get(spec_id, {}).get(instance_id)
        if instance is not None:
            await self.store.put(f"instances/{instance_id}", instance.to_json())
        else:
            await self.store.delete(f"instances/{instance_id}")

    async def _housekeeping(self) -> None:
        while True:
            await asyncio.sleep(HOUSEKEEPING_S)
            try:
                for instance in self.all_instances():
                    if instance.condition in ("Unreachable", "UnreachableInactive"):
                        self._maybe_inactive(instance)
                await self._retry_kills()
                self.queue.expire_delays()
                for spec_id in list(self.root.transitive_run_specs()):
                    self.scale_check(spec_id)
                if self._dirty:
                    self._flush_wanted.set()
            except Exception:
                log.exception("housekeeping failed")


def _status_time(status: dict[str, Any]) -> str:
    stamp = status.get("timestamp")
    return timestamps.format_epoch(float(stamp)) if stamp else timestamps.now()


_KILL_WEIGHT = {
    "Unreachable": 1,
    "UnreachableInactive": 1,
    "Created": 2,
    "Staging": 2,
    "Starting": 3,
    "Running": 4,
}


def select_to_kill(candidates: list[Instance], count: int, kill_selection: str) -> list[Instance]:
    """ScalingProposition's order: unreachable, staging, starting, running; then by age."""

    def key(instance: Instance) -> tuple[int, float]:
        started = instance.started_at() or instance.since
        moment = timestamps.parse(started) if started else 0.0
        return (
            _KILL_WEIGHT.get(instance.condition, 5),
            -moment if kill_selection == "YOUNGEST_FIRST" else moment,
        )

    return sorted(candidates, key=key)[:count]
