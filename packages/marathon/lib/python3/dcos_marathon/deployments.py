"""Carrying out deployment plans: steps in order, a step's actions together.

Each action converges rather than counts: it looks at the instances as they
are now, launches or kills what is missing or extra, and waits for the next
change until its goal holds. So an instance that fails mid-deployment is just
launched again, and a deployment resumed by a new leader picks up where the
old one stopped.

- Scale (TaskStartActor): kill the extra (the user's sentenced first, then by
  killSelection), launch the missing, done when `instances` run healthy and
  ready.
- Restart (TaskReplaceActor): within the upgrade strategy - at least
  ceil(n x minimumHealthCapacity) instances up, at most
  n x (1 + maximumOverCapacity) in all - start new ones and kill an old one
  for each new one that becomes healthy and ready.
- Stop: kill every instance and forget the run spec's tasks.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

from . import apps, health, runspecs
from .core import DeploymentRun, Marathon, select_to_kill
from .instances import Instance
from .plan import RESTART, SCALE, START, STOP, Action


async def execute(core: Marathon, run: DeploymentRun) -> None:
    p = run.plan
    for index, step in enumerate(p.steps, start=1):
        run.step_index = index
        current = {"actions": [a.to_json() for a in step]}
        if core.events.subscribers:
            core.events.publish(
                "deployment_info", plan=core.plan_event_json(p), currentStep=current
            )
        await asyncio.gather(*(perform(core, run, action) for action in step))
        if core.events.subscribers:
            core.events.publish(
                "deployment_step_success", plan=core.plan_event_json(p), currentStep=current
            )
    core.events.publish(
        "deployment_success",
        id=p.id,
        plan=core.plan_event_json(p) if core.events.subscribers else {},
    )


async def perform(core: Marathon, run: DeploymentRun, action: Action) -> None:
    if action.kind == START:
        return
    if action.kind == STOP:
        await stop(core, action.spec)
    elif action.kind == SCALE:
        await scale(core, run, action.spec, action.scale_to, set(action.kill))
    elif action.kind == RESTART:
        await restart(core, run, action.spec)


def _readiness_address(
    core: Marathon, spec: dict[str, Any], instance: Instance, port_name: str
) -> tuple[str, int] | None:
    task = next(iter(instance.tasks.values()))
    mappings = apps.port_mappings(spec)
    if mappings:
        for index, mapping in enumerate(mappings):
            if mapping.get("name") == port_name:
                if mapping.get("hostPort") is not None and index < len(task.host_ports):
                    return instance.host, task.host_ports[index]
                if task.ip_addresses:
                    return task.ip_addresses[0]["ipAddress"], int(mapping.get("containerPort", 0))
        return None
    for index, definition in enumerate(spec.get("portDefinitions") or []):
        if definition.get("name") == port_name and index < len(task.host_ports):
            return instance.host, task.host_ports[index]
    return None


def is_ready(core: Marathon, run: DeploymentRun, instance: Instance, spec: dict[str, Any]) -> bool:
    """Running, healthy if it has health checks, and ready if it has readiness checks."""
    if instance.condition != "Running" or not instance.counts_as_running:
        return False
    instance_spec = core.spec_of(instance) or spec
    if health.has_health_checks(instance_spec) and core.is_healthy(instance) is not True:
        return False
    checks = [] if runspecs.is_pod(spec) else spec.get("readinessChecks", [])
    if checks and instance.run_spec_version == spec["version"]:
        task_id = next(iter(instance.tasks))
        if not run.readiness.is_ready(task_id):
            address = _readiness_address(core, spec, instance, checks[0]["portName"])
            if address is not None:
                run.readiness.start(
                    core.http, checks[0], task_id, address[0], address[1], core.notify
                )
            return False
    return True


async def stop(core: Marathon, spec: dict[str, Any]) -> None:
    spec_id = spec["id"]
    core.queue.purge(spec_id)
    core.queue.reset_delays_of(spec_id)
    await core.kill_instances(core.active_instances(spec_id))
    while core.instances_of(spec_id):
        await core.wait_change()
    core.task_failures.pop(spec_id, None)
    await core.store.delete(f"task-failures/{spec_id.strip('/').replace('/', '_')}")
    await core.flush()
    core.events.publish("app_terminated_event", appId=spec_id)


async def scale(
    core: Marathon, run: DeploymentRun, spec: dict[str, Any], count: int, sentenced: set[str]
) -> None:
    spec_id = spec["id"]
    active = [i for i in core.active_instances(spec_id) if i.kill_requested_at is None]
    doomed = [i for i in active if i.instance_id in sentenced]
    others = [i for i in active if i.instance_id not in sentenced]
    kill_count = max(len(active) - count, len(doomed))
    victims = doomed + select_to_kill(
        others, max(0, kill_count - len(doomed)), runspecs.kill_selection(spec)
    )
    if victims:
        await core.kill_instances(victims)
    queued = core.queue.count(spec_id)
    surplus = len(active) - len(victims) + queued - count
    if surplus > 0:
        core.queue.reduce(spec_id, min(queued, surplus))
    while True:
        running = [i for i in core.active_instances(spec_id) if i.counts_as_running]
        missing = count - len(running) - core.queue.count(spec_id)
        if missing > 0:
            core.launch(spec, missing)
        ready = [i for i in running if is_ready(core, run, i, spec)]
        dying = [
            v for v in victims if v.is_active and core.task_index.get(next(iter(v.tasks))) is v
        ]
        if len(ready) >= count and len(running) <= count and not dying:
            return
        await core.wait_change()


async def restart(core: Marathon, run: DeploymentRun, spec: dict[str, Any]) -> None:
    spec_id = spec["id"]
    count = runspecs.instances(spec)
    strategy = runspecs.upgrade_strategy(spec)
    running_now = [i for i in core.active_instances(spec_id) if i.counts_as_running]
    min_healthy = math.ceil(count * strategy["minimumHealthCapacity"])
    max_capacity = int(count * (1 + strategy["maximumOverCapacity"]))
    kill_at_once = max(0, len(running_now) - min_healthy)
    if min_healthy == max_capacity and max_capacity <= len(running_now):
        max_capacity += 1
    core.queue.reset_delays_of(spec_id)
    old = [i for i in running_now if i.run_spec_version != spec["version"]]
    to_kill = select_to_kill(old, len(old), runspecs.kill_selection(spec))
    killed: list[Instance] = []
    while True:
        new = [
            i
            for i in core.active_instances(spec_id)
            if i.run_spec_version == spec["version"] and i.counts_as_running
        ]
        ready = [i for i in new if is_ready(core, run, i, spec)]
        allowed = kill_at_once + len(ready)
        batch = []
        while len(killed) < allowed and to_kill:
            victim = to_kill.pop(0)
            killed.append(victim)
            batch.append(victim)
        if batch:
            await core.kill_instances(batch)
        old_alive = [
            i for i in core.active_instances(spec_id) if i.run_spec_version != spec["version"]
        ]
        started = len(new) + core.queue.count(spec_id)
        capacity_left = max(0, max_capacity - len(old_alive) - started)
        to_start = min(count - started, capacity_left)
        if to_start > 0:
            core.launch(spec, to_start)
        if len(ready) >= count and not old_alive:
            return
        await core.wait_change()


__all__ = ["RESTART", "SCALE", "execute"]
