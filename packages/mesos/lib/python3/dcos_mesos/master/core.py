"""The master's logic: frameworks, agents, offers, tasks and status updates.

No HTTP lives here. The scheduler, operator and internal APIs call into a
`Master`; it answers frameworks through their event streams, agents through
an `AgentClient` (internal HTTP/JSON, see `dcos_mesos.protocol`), and keeps
the registry (admitted agents and frameworks) through a `Registry`, so that a
newly elected master knows the cluster.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from dcos_mesos import MESOS_VERSION
from dcos_mesos import ids as idlib
from dcos_mesos.ids import is_terminal, value, wrap
from dcos_mesos.master.allocator import DEFAULT_REFUSE_SECONDS, Allocator
from dcos_mesos.master.model import Agent, Framework, Offer, Task, time_info
from dcos_mesos.resources import Resources
from dcos_mesos.streams import EventStream

log = logging.getLogger("mesos-master")

HEARTBEAT_INTERVAL_S = 15.0


class Registry(Protocol):
    async def load(self) -> dict[str, Any]: ...

    async def save(self, data: dict[str, Any]) -> None: ...


class AgentClient(Protocol):
    async def post(self, agent: Agent, path: str, body: dict[str, Any]) -> bool: ...


class MemoryRegistry:
    """The registry kept in memory (tests; a single master without ZooKeeper)."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}

    async def load(self) -> dict[str, Any]:
        return dict(self.data)

    async def save(self, data: dict[str, Any]) -> None:
        self.data = data


class Flags:
    """The master's flags that change behaviour (all of them are shown by /flags)."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def seconds(self, name: str, default: float) -> float:
        return parse_duration(self.values.get(name, ""), default)

    def integer(self, name: str, default: int) -> int:
        try:
            return int(self.values.get(name, default))
        except ValueError:
            return default


def parse_duration(text: str, default: float) -> float:
    """Mesos's durations: `15secs`, `2mins`, `100ms`, `1hrs`, `10weeks`."""
    text = text.strip()
    if not text:
        return default
    units = (
        ("ns", 1e-9),
        ("us", 1e-6),
        ("ms", 1e-3),
        ("secs", 1.0),
        ("mins", 60.0),
        ("hrs", 3600.0),
        ("days", 86400.0),
        ("weeks", 604800.0),
    )
    for suffix, factor in units:
        if text.endswith(suffix):
            try:
                return float(text[: -len(suffix)]) * factor
            except ValueError:
                return default
    try:
        return float(text)
    except ValueError:
        return default


class Master:
    def __init__(
        self,
        master_info: dict[str, Any],
        flags: Flags,
        registry: Registry,
        agent_client: AgentClient,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.info = master_info
        self.id = str(master_info["id"])
        self.flags = flags
        self.registry = registry
        self.agent_client = agent_client
        self.clock = clock
        self.start_time = clock()
        self.elected_time: float | None = None
        self.leader_info: dict[str, Any] | None = None
        self.ids = idlib.Sequence(self.id)
        self.allocator = Allocator()
        self.agents: dict[str, Agent] = {}
        self.unreachable_agents: dict[str, dict[str, Any]] = {}
        self.recovered_agents: dict[str, dict[str, Any]] = {}
        self.frameworks: dict[str, Framework] = {}
        self.completed_frameworks: list[Framework] = []
        self.subscribers: list[EventStream] = []
        self.metrics: dict[str, float] = {}
        self._allocation_pending = False
        self._allocation_timer: asyncio.TimerHandle | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self._persist_lock = asyncio.Lock()
        self._removed_here: set[str] = set()  # agents this master marked unreachable

    # -- helpers ------------------------------------------------------------------

    @property
    def elected(self) -> bool:
        return self.elected_time is not None

    def count(self, metric: str, by: float = 1.0) -> None:
        self.metrics[metric] = self.metrics.get(metric, 0.0) + by

    def spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def registry_data(self) -> dict[str, Any]:
        agents = {
            a.id: {"info": a.info_v1(), "ip": a.ip, "unreachable": False}
            for a in self.agents.values()
        }
        for agent_id, record in self.recovered_agents.items():
            agents.setdefault(agent_id, record)
        for agent_id, record in self.unreachable_agents.items():
            agents[agent_id] = {**record, "unreachable": True}
        frameworks = {f.id: {"info": f.info} for f in self.frameworks.values()}
        return {"agents": agents, "frameworks": frameworks}

    async def persist(self) -> None:
        # One write at a time, each of the newest data: saves never land out of order.
        async with self._persist_lock:
            await self.registry.save(self.registry_data())

    def broadcast(self, event: dict[str, Any]) -> None:
        self.subscribers = [s for s in self.subscribers if not s.closed]
        for stream in self.subscribers:
            stream.send(event)

    # -- election and recovery ----------------------------------------------------

    async def become_leader(self) -> None:
        """Recover the cluster from the registry, then act as the leading master."""
        data = await self.registry.load()
        for agent_id, record in (data.get("agents") or {}).items():
            if record.get("unreachable"):
                self.unreachable_agents[agent_id] = record
            else:
                self.recovered_agents[agent_id] = record
        for framework_id, record in (data.get("frameworks") or {}).items():
            framework = Framework(id=framework_id, info=record["info"], recovered=True)
            self.frameworks[framework_id] = framework
            self.allocator.add_framework(framework_id, framework.roles, active=False)
        self.elected_time = self.clock()
        self.leader_info = self.info
        # A recovered framework has its failover_timeout from now to re-subscribe.
        loop = asyncio.get_running_loop()
        for framework in self.frameworks.values():
            timeout = float(framework.info.get("failover_timeout", 0.0))

            def expire(fid: str = framework.id) -> None:
                self.spawn(self._failover_expired(fid))

            framework.failover_handle = loop.call_later(max(timeout, 0.0), expire)
        log.info(
            "elected leader %s; recovered %d agents, %d frameworks from the registry",
            self.id,
            len(self.recovered_agents),
            len(self.frameworks),
        )

    # -- agents -------------------------------------------------------------------

    async def register_agent(self, body: dict[str, Any]) -> dict[str, Any]:
        """An agent registers (no id) or re-registers (with its id, tasks and executors)."""
        info = dict(body.get("agent_info") or {})
        ip = str(body.get("ip", ""))
        total = Resources.from_v1(body.get("resources"))
        agent_id = value(info.get("id"))
        now = self.clock()
        reregister = bool(agent_id)
        if not agent_id:
            agent_id = self.ids.agent()
        info.pop("id", None)
        info.pop("resources", None)
        existing = self.agents.get(agent_id)
        agent = Agent(
            id=agent_id,
            info=info,
            ip=ip,
            total=total,
            registered_time=existing.registered_time if existing else now,
            reregistered_time=now if reregister else None,
            version=str(body.get("version", MESOS_VERSION)),
            capabilities=list(body.get("capabilities") or []),
        )
        if existing is not None:
            self.rescind_agent_offers(agent_id)
            self.allocator.remove_agent(agent_id)
        self.agents[agent_id] = agent
        self.recovered_agents.pop(agent_id, None)
        was_unreachable = self.unreachable_agents.pop(agent_id, None) is not None
        # As Mesos: if this master marked the agent unreachable, only partition-aware
        # frameworks keep their tasks; the others were told TASK_LOST and are shut down.
        removed_here = agent_id in self._removed_here
        self._removed_here.discard(agent_id)
        shutdown: set[str] = set()
        self.allocator.add_agent(agent_id, total)

        # The agent's own account of its executors and tasks wins (frameworks the
        # registry does not hold are gone: the agent is told to shut them down).
        for executor in body.get("executors") or []:
            framework_id = value(executor.get("framework_id"))
            framework = self.frameworks.get(framework_id)
            if framework is None:
                continue
            key = (framework_id, value(executor.get("executor_id")))
            agent.executors[key] = executor
            framework.executors[(agent_id, key[1])] = executor
            self.allocator.allocate_used(
                framework_id, agent_id, Resources.from_v1(executor.get("resources"))
            )
        for task_v1 in body.get("tasks") or []:
            framework = self.frameworks.get(value(task_v1.get("framework_id")))
            if removed_here and framework is not None and not framework.partition_aware:
                shutdown.add(framework.id)
                continue
            self._adopt_task(agent, task_v1, was_unreachable)
        if existing is not None:
            self._lose_unreported(existing, agent)
        await self.persist()
        event_agent = self.agent_v1(agent)
        self.broadcast({"type": "AGENT_ADDED", "agent_added": {"agent": event_agent}})
        self.count("master/slave_reregistrations" if reregister else "master/slave_registrations")
        log.info(
            "%s agent %s at %s (%s)",
            "re-registered" if reregister else "registered",
            agent_id,
            ip,
            total,
        )
        self.schedule_allocation()
        known = set(self.frameworks)
        return {
            "removed_frameworks": sorted(
                ({value(t.get("framework_id")) for t in body.get("tasks") or []} - known) | shutdown
            ),
            "agent_id": wrap(agent_id),
            "master_id": self.id,
            "ping_interval_seconds": self.ping_timeout(),
        }

    def _adopt_task(self, agent: Agent, task_v1: dict[str, Any], was_unreachable: bool) -> None:
        framework_id = value(task_v1.get("framework_id"))
        framework = self.frameworks.get(framework_id)
        if framework is None:
            return
        info: dict[str, Any] = {
            k: task_v1[k]
            for k in (
                "name",
                "task_id",
                "resources",
                "labels",
                "discovery",
                "container",
                "health_check",
                "kill_policy",
                "command",
            )
            if k in task_v1
        }
        info["agent_id"] = wrap(agent.id)
        role = "*"
        for res in task_v1.get("resources") or []:
            role = res.get("allocation_info", {}).get("role", role)
        task = Task(
            info=info,
            framework_id=framework_id,
            agent_id=agent.id,
            role=role,
            executor_id=value(task_v1.get("executor_id")),
            state=task_v1.get("state", "TASK_STAGING"),
            statuses=list(task_v1.get("statuses") or []),
            status_update_state=task_v1.get("status_update_state", ""),
            status_update_uuid=task_v1.get("status_update_uuid", ""),
            user=task_v1.get("user", ""),
        )
        framework.unreachable_tasks.pop(task.id, None)
        framework.tasks[task.id] = task
        agent.tasks[(framework_id, task.id)] = task
        if not is_terminal(task.state):
            self.allocator.allocate_used(framework_id, agent.id, task.resources)
        if was_unreachable:
            self.broadcast({"type": "TASK_ADDED", "task_added": {"task": task.to_v1()}})

    def _lose_unreported(self, before: Agent, after: Agent) -> None:
        """Tasks the master had on an agent that the re-registering agent no longer has."""
        for key, task in before.tasks.items():
            if key in after.tasks or is_terminal(task.state) or task.state == "TASK_STAGING":
                continue  # a launch may still be on its way to the agent
            framework = self.frameworks.get(task.framework_id)
            if framework is None:
                continue
            state = "TASK_DROPPED" if framework.partition_aware else "TASK_LOST"
            status = idlib.status(
                task.id,
                state,
                agent_id=after.id,
                source="SOURCE_MASTER",
                reason="REASON_RECONCILIATION",
                with_uuid=False,
                message="Task is unknown to the agent",
            )
            # Not apply_status: the re-added agent never counted this task's resources.
            task.statuses.append(status)
            task.state = state
            self._complete(framework, task)
            self.send_update(framework, status)
            self.broadcast_task_updated(framework.id, status, state)

    def agent_pinged(self, agent_id: str) -> bool:
        agent = self.agents.get(agent_id)
        if agent is None:
            return False
        agent.pinged = True
        agent.missed_pings = 0
        return True

    def ping_timeout(self) -> float:
        return self.flags.seconds("agent_ping_timeout", 15.0)

    async def check_agent_pings(self) -> None:
        """Each agent_ping_timeout: an agent missing max_agent_ping_timeouts pings is gone."""
        limit = self.flags.integer("max_agent_ping_timeouts", 5)
        for agent in list(self.agents.values()):
            if agent.pinged:
                agent.pinged = False
                continue
            agent.missed_pings += 1
            if agent.missed_pings >= limit:
                await self.mark_unreachable(agent)
        # Agents in the registry that never re-registered after failover.
        deadline = self.flags.seconds("agent_reregister_timeout", 600.0)
        if self.elected_time and self.clock() - self.elected_time > deadline:
            for agent_id, record in list(self.recovered_agents.items()):
                self.recovered_agents.pop(agent_id)
                self.unreachable_agents[agent_id] = record
            await self.persist()

    async def mark_unreachable(self, agent: Agent) -> None:
        log.warning(
            "agent %s (%s) is unreachable: %d pings missed", agent.id, agent.ip, agent.missed_pings
        )
        self.rescind_agent_offers(agent.id)
        self.allocator.remove_agent(agent.id)
        del self.agents[agent.id]
        self.unreachable_agents[agent.id] = {"info": agent.info_v1(), "ip": agent.ip}
        self._removed_here.add(agent.id)
        now = self.clock()
        for (framework_id, task_id), task in list(agent.tasks.items()):
            framework = self.frameworks.get(framework_id)
            if framework is None or is_terminal(task.state):
                continue
            state = "TASK_UNREACHABLE" if framework.partition_aware else "TASK_LOST"
            status = idlib.status(
                task_id,
                state,
                agent_id=agent.id,
                source="SOURCE_MASTER",
                reason="REASON_SLAVE_REMOVED",
                with_uuid=False,
                timestamp=now,
                message=f"Slave {agent.hostname} is unreachable",
            )
            task.state = state
            task.statuses.append(status)
            framework.tasks.pop(task_id, None)
            if framework.partition_aware:
                framework.unreachable_tasks[task_id] = task
            else:
                framework.completed_tasks.append(task)
            self.send_update(framework, status)
            self.broadcast_task_updated(framework_id, status, state)
        for key in list(agent.executors):
            framework = self.frameworks.get(key[0])
            if framework is not None:
                framework.executors.pop((agent.id, key[1]), None)
        self.count("master/slave_unreachable_completed")
        self.broadcast({"type": "AGENT_REMOVED", "agent_removed": {"agent_id": wrap(agent.id)}})
        await self.persist()

    def rescind_agent_offers(self, agent_id: str) -> None:
        for framework in self.frameworks.values():
            for offer in [o for o in framework.offers.values() if o.agent_id == agent_id]:
                self.rescind(framework, offer)

    # -- frameworks -----------------------------------------------------------------

    async def subscribe(self, call: dict[str, Any], stream: EventStream) -> str | None:
        """SUBSCRIBE: returns an error message, or None once SUBSCRIBED is queued."""
        subscribe = call.get("subscribe") or {}
        info = dict(subscribe.get("framework_info") or {})
        framework_id = value(info.get("id"))
        if framework_id and value(call.get("framework_id")) not in ("", framework_id):
            return "'framework_id' differs from 'subscribe.framework_info.id'"
        if not info.get("user") or not info.get("name"):
            return "Missing required fields: framework_info.user, framework_info.name"
        now = self.clock()
        if framework_id and framework_id in self.frameworks:
            framework = self.frameworks[framework_id]
            old = framework.stream
            if old is not None and old is not stream:
                old.send({"type": "ERROR", "error": {"message": "Framework failed over"}})
                old.close()
            # Offers made to the old connection go back; the new one gets fresh offers.
            for offer in list(framework.offers.values()):
                self.rescind(framework, offer, notify=False)
            if framework.failover_handle is not None:
                framework.failover_handle.cancel()
                framework.failover_handle = None
            info["id"] = wrap(framework_id)
            framework.info = info
            framework.reregistered_time = now
            framework.recovered = False
            event_type = "FRAMEWORK_UPDATED"
        elif framework_id:
            if any(f.id == framework_id for f in self.completed_frameworks):
                return "Framework has been removed"
            # A framework the master has not heard of (e.g. registry lost): admit it.
            framework = Framework(
                id=framework_id, info={**info, "id": wrap(framework_id)}, registered_time=now
            )
            self.frameworks[framework_id] = framework
            event_type = "FRAMEWORK_ADDED"
        else:
            framework_id = self.ids.framework()
            info["id"] = wrap(framework_id)
            framework = Framework(id=framework_id, info=info, registered_time=now)
            self.frameworks[framework_id] = framework
            event_type = "FRAMEWORK_ADDED"
        framework.stream = stream
        framework.connected = True
        framework.active = True
        framework.unregistered_time = 0.0
        self.allocator.add_framework(framework_id, framework.roles, active=True)
        suppressed = subscribe.get("suppressed_roles") or []
        if suppressed:
            self.allocator.suppress(framework_id, suppressed)
        # SUBSCRIBED goes first, before any await: an allocation that runs while the
        # registry is written must not put OFFERS ahead of it on the stream.
        stream.send(
            {
                "type": "SUBSCRIBED",
                "subscribed": {
                    "framework_id": wrap(framework_id),
                    "heartbeat_interval_seconds": HEARTBEAT_INTERVAL_S,
                    "master_info": self.info,
                },
            }
        )
        stream.send({"type": "HEARTBEAT"})
        await self.persist()
        key = "framework_added" if event_type == "FRAMEWORK_ADDED" else "framework_updated"
        self.broadcast({"type": event_type, key: {"framework": framework.to_v1(self.agents)}})
        log.info("framework %s (%s) subscribed", framework_id, framework.name)
        self.schedule_allocation()
        return None

    def disconnected(self, framework_id: str, stream: EventStream) -> None:
        """The scheduler's stream ended: deactivate; remove after its failover_timeout."""
        framework = self.frameworks.get(framework_id)
        if framework is None or framework.stream is not stream:
            return
        framework.stream = None
        framework.connected = False
        framework.active = False
        framework.unregistered_time = self.clock()
        self.allocator.set_framework_active(framework_id, False)
        for offer in list(framework.offers.values()):
            self.rescind(framework, offer, notify=False)
        timeout = float(framework.info.get("failover_timeout", 0.0))
        log.info("framework %s disconnected; failover timeout %.0f s", framework_id, timeout)
        loop = asyncio.get_running_loop()
        framework.failover_handle = loop.call_later(
            max(timeout, 0.0), lambda: self.spawn(self._failover_expired(framework_id))
        )
        self.broadcast(
            {
                "type": "FRAMEWORK_UPDATED",
                "framework_updated": {"framework": framework.to_v1(self.agents)},
            }
        )
        self.schedule_allocation()

    async def _failover_expired(self, framework_id: str) -> None:
        framework = self.frameworks.get(framework_id)
        if framework is not None and not framework.connected:
            log.info("framework %s did not fail over in time: removing it", framework_id)
            await self.remove_framework(framework)

    async def remove_framework(self, framework: Framework) -> None:
        """TEARDOWN, or a failover timeout: kill its tasks everywhere and forget it."""
        if framework.stream is not None:
            framework.stream.close()
            framework.stream = None
        for offer in list(framework.offers.values()):
            self.rescind(framework, offer, notify=False)
        for agent in self.agents.values():
            if any(fid == framework.id for fid, _ in agent.tasks) or any(
                fid == framework.id for fid, _ in agent.executors
            ):
                self.spawn(
                    self.agent_client.post(
                        agent,
                        "/internal/shutdown_framework",
                        {"framework_id": wrap(framework.id), "master_id": self.id},
                    )
                )
        now = self.clock()
        for task in list(framework.tasks.values()):
            holder = self.agents.get(task.agent_id)
            if holder is not None:
                holder.tasks.pop((framework.id, task.id), None)
            if not is_terminal(task.state):
                task.state = "TASK_KILLED"
                task.statuses.append(
                    idlib.status(
                        task.id,
                        "TASK_KILLED",
                        agent_id=task.agent_id,
                        source="SOURCE_MASTER",
                        reason="REASON_FRAMEWORK_REMOVED",
                        with_uuid=False,
                        timestamp=now,
                    )
                )
            framework.completed_tasks.append(task)
        framework.tasks.clear()
        for agent in self.agents.values():
            for key in [k for k in agent.executors if k[0] == framework.id]:
                del agent.executors[key]
        framework.executors.clear()
        framework.connected = False
        framework.active = False
        framework.unregistered_time = now
        if framework.failover_handle is not None:
            framework.failover_handle.cancel()
        self.frameworks.pop(framework.id, None)
        self.completed_frameworks.append(framework)
        del self.completed_frameworks[:-50]
        self.allocator.remove_framework(framework.id)
        await self.persist()
        self.broadcast(
            {"type": "FRAMEWORK_REMOVED", "framework_removed": {"framework_info": framework.info}}
        )
        self.schedule_allocation()

    # -- offers -----------------------------------------------------------------------

    def schedule_allocation(self, delay: float = 0.0) -> None:
        """Allocate soon (coalescing bursts of changes into one allocation)."""
        if self._allocation_pending:
            return
        self._allocation_pending = True
        loop = asyncio.get_running_loop()
        loop.call_later(delay, self._allocate)

    def _allocate(self) -> None:
        self._allocation_pending = False
        if not self.elected:
            return
        now = self.clock()
        for offerable in self.allocator.allocate(now):
            framework = self.frameworks.get(offerable.framework_id)
            agent = self.agents.get(offerable.agent_id)
            if framework is None or agent is None or framework.stream is None:
                self.allocator.recover(
                    offerable.framework_id, offerable.agent_id, offerable.resources
                )
                continue
            offer = Offer(
                self.ids.offer(), framework.id, agent.id, offerable.role, offerable.resources
            )
            framework.offers[offer.id] = offer
            framework.stream.send({"type": "OFFERS", "offers": {"offers": [offer.to_v1(agent)]}})
            timeout = self.flags.seconds("offer_timeout", 0.0)
            if timeout > 0:
                asyncio.get_running_loop().call_later(
                    timeout, self._expire_offer, framework.id, offer.id
                )
            self.count("master/outstanding_offers")
        expiry = self.allocator.next_expiry()
        if self._allocation_timer is not None:
            self._allocation_timer.cancel()
            self._allocation_timer = None
        if expiry is not None:
            loop = asyncio.get_running_loop()
            self._allocation_timer = loop.call_later(
                max(0.05, expiry - now + 0.01), self.schedule_allocation
            )

    def _expire_offer(self, framework_id: str, offer_id: str) -> None:
        """`offer_timeout`: an offer a framework sits on goes back to the allocator."""
        framework = self.frameworks.get(framework_id)
        offer = framework.offers.get(offer_id) if framework else None
        if framework is not None and offer is not None:
            self.rescind(framework, offer)
            self.schedule_allocation()

    def rescind(self, framework: Framework, offer: Offer, notify: bool = True) -> None:
        framework.offers.pop(offer.id, None)
        self.allocator.recover(framework.id, offer.agent_id, offer.resources)
        if notify and framework.stream is not None:
            framework.stream.send({"type": "RESCIND", "rescind": {"offer_id": wrap(offer.id)}})

    def decline(self, framework: Framework, call: dict[str, Any]) -> None:
        decline = call.get("decline") or {}
        refuse = float((decline.get("filters") or {}).get("refuse_seconds", DEFAULT_REFUSE_SECONDS))
        now = self.clock()
        for offer_id in decline.get("offer_ids") or []:
            offer = framework.offers.pop(value(offer_id), None)
            if offer is not None:
                self.allocator.recover(framework.id, offer.agent_id, offer.resources, refuse, now)
        self.schedule_allocation()

    def revive(self, framework: Framework, call: dict[str, Any]) -> None:
        roles = (call.get("revive") or {}).get("roles") or None
        self.allocator.revive(framework.id, roles)
        self.schedule_allocation()

    def suppress(self, framework: Framework, call: dict[str, Any]) -> None:
        roles = (call.get("suppress") or {}).get("roles") or None
        self.allocator.suppress(framework.id, roles)

    # -- accept: launching tasks ----------------------------------------------------

    def accept(self, framework: Framework, call: dict[str, Any]) -> None:
        accept = call.get("accept") or {}
        refuse = float((accept.get("filters") or {}).get("refuse_seconds", DEFAULT_REFUSE_SECONDS))
        offer_ids = [value(o) for o in accept.get("offer_ids") or []]
        operations = accept.get("operations") or []
        offers: list[Offer] = []
        error = ""
        for offer_id in offer_ids:
            offer = framework.offers.get(offer_id)
            if offer is None:
                error = f"Offer {offer_id} is no longer valid"
            else:
                offers.append(offer)
        if not offer_ids:
            error = "No offers specified"
        agent_ids = {o.agent_id for o in offers}
        if len(agent_ids) > 1:
            error = "Aggregated offers must belong to one single agent"
        roles = {o.role for o in offers}
        if len(roles) > 1:
            error = "Aggregated offers must be allocated to the same role"
        for offer in offers:
            framework.offers.pop(offer.id, None)
        now = self.clock()
        if error:
            for offer in offers:
                self.allocator.recover(framework.id, offer.agent_id, offer.resources)
            for task_info in _launched_tasks(operations):
                self._reject(
                    framework,
                    task_info,
                    "REASON_INVALID_OFFERS",
                    f"Task launched with invalid offers: {error}",
                    lost=True,
                )
            self.schedule_allocation()
            return
        agent = self.agents.get(offers[0].agent_id)
        role = offers[0].role
        available = Resources()
        for offer in offers:
            available = available + offer.resources
        if agent is None:
            for task_info in _launched_tasks(operations):
                self._reject(
                    framework,
                    task_info,
                    "REASON_AGENT_REMOVED",
                    "Agent is no longer registered",
                    lost=True,
                )
            return
        for operation in operations:
            kind = operation.get("type")
            if kind == "LAUNCH":
                for task_info in (operation.get("launch") or {}).get("task_infos") or []:
                    available = self._launch(framework, agent, role, available, task_info, None)
            elif kind == "LAUNCH_GROUP":
                group = operation.get("launch_group") or {}
                available = self._launch_group(framework, agent, role, available, group)
            # RESERVE/UNRESERVE/CREATE/DESTROY are not supported: their resources stay offered.
        self.allocator.recover(framework.id, agent.id, available, refuse, now)
        self.schedule_allocation()

    def _reject(
        self,
        framework: Framework,
        task_info: dict[str, Any],
        reason: str,
        message: str,
        lost: bool = False,
    ) -> None:
        state = "TASK_ERROR"
        if lost:
            state = "TASK_DROPPED" if framework.partition_aware else "TASK_LOST"
        status = idlib.status(
            value(task_info.get("task_id")),
            state,
            source="SOURCE_MASTER",
            reason=reason,
            message=message,
            with_uuid=False,
            agent_id=value(task_info.get("agent_id")),
        )
        self.send_update(framework, status)
        self.count(f"master/tasks_{state[5:].lower()}")

    def _validate(
        self,
        framework: Framework,
        agent: Agent,
        available: Resources,
        task_info: dict[str, Any],
        needed: Resources,
    ) -> str:
        task_id = value(task_info.get("task_id"))
        if not task_id:
            return "Task ID is missing"
        if task_id in framework.tasks:
            return f"Task has duplicate ID: {task_id}"
        if value(task_info.get("agent_id")) not in ("", agent.id):
            return (
                f"Task uses agent ID {value(task_info.get('agent_id'))} which does not "
                f"match offer's agent ID {agent.id}"
            )
        if not task_info.get("resources"):
            return "Task uses no resources"
        has_command = "command" in task_info
        has_executor = "executor" in task_info
        if has_command == has_executor:
            return (
                "Task should have at least one (but not both) of CommandInfo or "
                "ExecutorInfo present"
            )
        if not available.contains(needed):
            return f"Task uses more resources {needed.to_v0()} than available {available.to_v0()}"
        return ""

    def _launch(
        self,
        framework: Framework,
        agent: Agent,
        role: str,
        available: Resources,
        task_info: dict[str, Any],
        group_executor: dict[str, Any] | None,
    ) -> Resources:
        needed = Resources.from_v1(task_info.get("resources"))
        executor = task_info.get("executor")
        new_executor = False
        if executor is not None:
            executor_id = value(executor.get("executor_id"))
            if (agent.id, executor_id) not in framework.executors:
                needed = needed + Resources.from_v1(executor.get("resources"))
                new_executor = True
        error = self._validate(framework, agent, available, task_info, needed)
        if error:
            self._reject(framework, task_info, "REASON_TASK_INVALID", error)
            return available
        self._start_task(framework, agent, role, task_info, executor, new_executor)
        return available - needed

    def _launch_group(
        self,
        framework: Framework,
        agent: Agent,
        role: str,
        available: Resources,
        group: dict[str, Any],
    ) -> Resources:
        executor = dict(group.get("executor") or {})
        tasks = (group.get("task_group") or {}).get("tasks") or []
        executor_id = value(executor.get("executor_id"))
        error = ""
        if not executor_id:
            error = "ExecutorInfo must be specified for a task group"
        elif executor.get("type", "DEFAULT") != "DEFAULT":
            error = "The executor of a task group must be of type DEFAULT"
        needed = Resources()
        new_executor = (agent.id, executor_id) not in framework.executors
        if new_executor:
            needed = needed + Resources.from_v1(executor.get("resources"))
        for task_info in tasks:
            needed = needed + Resources.from_v1(task_info.get("resources"))
            if "executor" in task_info:
                error = error or "Task in a task group must not have an ExecutorInfo"
            if not error and value(task_info.get("task_id")) in framework.tasks:
                error = f"Task has duplicate ID: {value(task_info.get('task_id'))}"
        if not error and not tasks:
            error = "Task group is empty"
        if not error and not available.contains(needed):
            error = (
                f"Task group uses more resources {needed.to_v0()} than available "
                f"{available.to_v0()}"
            )
        if error:
            for task_info in tasks:
                self._reject(framework, task_info, "REASON_TASK_GROUP_INVALID", error)
            return available
        executor.setdefault("type", "DEFAULT")
        executor["framework_id"] = wrap(framework.id)
        self._register_executor(framework, agent, executor, new_executor)
        launched = []
        for task_info in tasks:
            task = self._track_task(framework, agent, role, task_info, executor_id)
            launched.append(task.info)
        self.spawn(
            self._send_run(
                framework,
                agent,
                {"task_group": {"tasks": launched}, "executor": executor},
                launched,
            )
        )
        return available - needed

    def _register_executor(
        self, framework: Framework, agent: Agent, executor: dict[str, Any], new_executor: bool
    ) -> None:
        if not new_executor:
            return
        executor_id = value(executor.get("executor_id"))
        framework.executors[(agent.id, executor_id)] = executor
        agent.executors[(framework.id, executor_id)] = executor

    def _track_task(
        self,
        framework: Framework,
        agent: Agent,
        role: str,
        task_info: dict[str, Any],
        executor_id: str,
    ) -> Task:
        info = dict(task_info)
        info["agent_id"] = wrap(agent.id)
        info["resources"] = Resources.from_v1(info.get("resources")).to_v1(role)
        task = Task(
            info=info,
            framework_id=framework.id,
            agent_id=agent.id,
            role=role,
            executor_id=executor_id,
            user=framework.info.get("user", ""),
        )
        framework.tasks[task.id] = task
        agent.tasks[(framework.id, task.id)] = task
        self.count("master/tasks_staging")
        self.broadcast({"type": "TASK_ADDED", "task_added": {"task": task.to_v1()}})
        return task

    def _start_task(
        self,
        framework: Framework,
        agent: Agent,
        role: str,
        task_info: dict[str, Any],
        executor: dict[str, Any] | None,
        new_executor: bool,
    ) -> None:
        executor_id = ""
        if executor is not None:
            executor = dict(executor)
            executor["framework_id"] = wrap(framework.id)
            executor_id = value(executor.get("executor_id"))
            self._register_executor(framework, agent, executor, new_executor)
        task = self._track_task(framework, agent, role, task_info, executor_id)
        body: dict[str, Any] = {"task": task.info}
        if executor is not None:
            body["executor"] = executor
        self.spawn(self._send_run(framework, agent, body, [task.info]))

    async def _send_run(
        self, framework: Framework, agent: Agent, body: dict[str, Any], tasks: list[dict[str, Any]]
    ) -> None:
        body["framework_info"] = framework.info
        body["master_id"] = self.id
        ok = await self.agent_client.post(agent, "/internal/run_task", body)
        if ok:
            return
        for task_info in tasks:
            task = framework.tasks.get(value(task_info.get("task_id")))
            if task is None or task.state != "TASK_STAGING":
                continue
            state = "TASK_DROPPED" if framework.partition_aware else "TASK_LOST"
            status = idlib.status(
                task.id,
                state,
                agent_id=agent.id,
                source="SOURCE_MASTER",
                reason="REASON_AGENT_DISCONNECTED",
                with_uuid=False,
                message="Agent could not be reached to launch the task",
            )
            self.apply_status(framework, task, status, state)
            self.send_update(framework, status)

    # -- status updates -----------------------------------------------------------

    def send_update(self, framework: Framework, status: dict[str, Any]) -> None:
        if framework.stream is not None:
            framework.stream.send({"type": "UPDATE", "update": {"status": status}})

    def broadcast_task_updated(self, framework_id: str, status: dict[str, Any], state: str) -> None:
        self.broadcast(
            {
                "type": "TASK_UPDATED",
                "task_updated": {
                    "framework_id": wrap(framework_id),
                    "status": status,
                    "state": state,
                },
            }
        )

    def apply_status(
        self, framework: Framework, task: Task, status: dict[str, Any], latest_state: str
    ) -> None:
        """Record a status on the master's task; free its resources when it ends."""
        was_terminal = is_terminal(task.state)
        uuid = status.get("uuid", "")
        if not uuid or all(s.get("uuid") != uuid for s in task.statuses):
            task.statuses.append(status)
        task.state = latest_state
        if uuid:
            task.status_update_state = status["state"]
            task.status_update_uuid = uuid
        if is_terminal(latest_state) and not was_terminal:
            self.count(f"master/tasks_{latest_state[5:].lower()}")
            self.allocator.recover(framework.id, task.agent_id, task.resources)
            self._maybe_remove_executor(framework, task)
            self.schedule_allocation()
        if not uuid and is_terminal(task.state):
            self._complete(framework, task)

    def _maybe_remove_executor(self, framework: Framework, task: Task) -> None:
        if not task.executor_id:
            return
        live = [
            t
            for t in framework.tasks.values()
            if t.executor_id == task.executor_id
            and t.agent_id == task.agent_id
            and not is_terminal(t.state)
        ]
        if live:
            return
        executor = framework.executors.pop((task.agent_id, task.executor_id), None)
        agent = self.agents.get(task.agent_id)
        if agent is not None:
            agent.executors.pop((framework.id, task.executor_id), None)
        if executor is not None:
            self.allocator.recover(
                framework.id, task.agent_id, Resources.from_v1(executor.get("resources"))
            )

    def _complete(self, framework: Framework, task: Task) -> None:
        if framework.tasks.pop(task.id, None) is not None:
            framework.completed_tasks.append(task)
        agent = self.agents.get(task.agent_id)
        if agent is not None:
            agent.tasks.pop((framework.id, task.id), None)

    def status_from_agent(self, body: dict[str, Any]) -> dict[str, Any]:
        """An agent's status update: record it and forward it to the framework."""
        framework_id = value(body.get("framework_id"))
        status = body.get("status") or {}
        latest = body.get("latest_state") or status.get("state", "")
        framework = self.frameworks.get(framework_id)
        if framework is None:
            # Unknown to the master and its registry: removed. The agent shuts it down.
            return {"framework_removed": True}
        task = framework.tasks.get(value(status.get("task_id")))
        if task is not None:
            self.apply_status(framework, task, status, latest)
        self.count("master/messages_status_update")
        self.send_update(framework, status)
        self.broadcast_task_updated(framework_id, status, latest)
        return {}

    def acknowledge(self, framework: Framework, call: dict[str, Any]) -> str | None:
        ack = call.get("acknowledge") or {}
        agent_id = value(ack.get("agent_id"))
        task_id = value(ack.get("task_id"))
        uuid = ack.get("uuid", "")
        agent = self.agents.get(agent_id)
        if agent is None:
            return None  # Mesos drops acknowledgements for unknown agents
        task = framework.tasks.get(task_id)
        if (
            task is not None
            and task.status_update_uuid == uuid
            and is_terminal(task.status_update_state)
        ):
            self._complete(framework, task)
        self.spawn(
            self.agent_client.post(
                agent,
                "/internal/acknowledge",
                {
                    "framework_id": wrap(framework.id),
                    "task_id": wrap(task_id),
                    "uuid": uuid,
                    "master_id": self.id,
                },
            )
        )
        return None

    def kill(self, framework: Framework, call: dict[str, Any]) -> None:
        kill = call.get("kill") or {}
        task_id = value(kill.get("task_id"))
        task = framework.tasks.get(task_id)
        if task is None:
            self.reconcile(
                framework,
                {
                    "reconcile": {
                        "tasks": [
                            {
                                "task_id": wrap(task_id),
                                **({"agent_id": kill["agent_id"]} if "agent_id" in kill else {}),
                            }
                        ]
                    }
                },
            )
            return
        agent = self.agents.get(task.agent_id)
        if agent is None:
            return
        body: dict[str, Any] = {
            "framework_id": wrap(framework.id),
            "task_id": wrap(task_id),
            "master_id": self.id,
        }
        if "kill_policy" in kill:
            body["kill_policy"] = kill["kill_policy"]
        self.spawn(self.agent_client.post(agent, "/internal/kill_task", body))

    def shutdown(self, framework: Framework, call: dict[str, Any]) -> None:
        shutdown = call.get("shutdown") or {}
        agent = self.agents.get(value(shutdown.get("agent_id")))
        if agent is not None:
            self.spawn(
                self.agent_client.post(
                    agent,
                    "/internal/shutdown_executor",
                    {
                        "framework_id": wrap(framework.id),
                        "executor_id": shutdown.get("executor_id"),
                        "master_id": self.id,
                    },
                )
            )

    def reconcile(self, framework: Framework, call: dict[str, Any]) -> None:
        wanted = (call.get("reconcile") or {}).get("tasks") or []
        now = self.clock()
        if not wanted:  # implicit: every task the master knows
            for task in list(framework.tasks.values()) + list(framework.unreachable_tasks.values()):
                self.send_update(framework, self._reconciled(task, now))
            return
        for item in wanted:
            task_id = value(item.get("task_id"))
            agent_id = value(item.get("agent_id"))
            known = framework.tasks.get(task_id) or framework.unreachable_tasks.get(task_id)
            if known is not None:
                self.send_update(framework, self._reconciled(known, now))
                continue
            if agent_id and agent_id in self.recovered_agents:
                continue  # the agent may still re-register: say nothing yet, as Mesos does
            if agent_id and agent_id in self.unreachable_agents:
                state = "TASK_UNREACHABLE" if framework.partition_aware else "TASK_LOST"
            else:
                state = "TASK_UNKNOWN" if framework.partition_aware else "TASK_LOST"
            self.send_update(
                framework,
                idlib.status(
                    task_id,
                    state,
                    agent_id=agent_id,
                    source="SOURCE_MASTER",
                    reason="REASON_RECONCILIATION",
                    message="Reconciliation: Task is unknown",
                    with_uuid=False,
                    timestamp=now,
                ),
            )

    def _reconciled(self, task: Task, now: float) -> dict[str, Any]:
        latest = task.statuses[-1] if task.statuses else {}
        status = idlib.status(
            task.id,
            task.state,
            agent_id=task.agent_id,
            executor_id=task.executor_id,
            source="SOURCE_MASTER",
            reason="REASON_RECONCILIATION",
            message="Reconciliation: Latest task state",
            with_uuid=False,
            timestamp=now,
            healthy=latest.get("healthy"),
            container_status=latest.get("container_status"),
        )
        if "labels" in latest:
            status["labels"] = latest["labels"]
        return status

    async def teardown(self, framework_id: str) -> bool:
        framework = self.frameworks.get(framework_id)
        if framework is None:
            return False
        await self.remove_framework(framework)
        return True

    # -- views ------------------------------------------------------------------------

    def agent_v1(self, agent: Agent) -> dict[str, Any]:
        out: dict[str, Any] = {
            "agent_info": agent.info_v1(),
            "active": agent.active,
            "version": agent.version,
            "pid": agent.pid,
            "registered_time": time_info(agent.registered_time),
            "total_resources": agent.total.to_v1(),
            "allocated_resources": agent.used().to_v1(),
            "offered_resources": self.offered_on(agent.id).to_v1(),
            "capabilities": agent.capabilities,
        }
        if agent.reregistered_time is not None:
            out["reregistered_time"] = time_info(agent.reregistered_time)
        return out

    def offered_on(self, agent_id: str) -> Resources:
        total = Resources()
        for framework in self.frameworks.values():
            for offer in framework.offers.values():
                if offer.agent_id == agent_id:
                    total = total + offer.resources
        return total

    def all_tasks(self) -> list[Task]:
        return [t for f in self.frameworks.values() for t in f.tasks.values()]


def _launched_tasks(operations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for operation in operations:
        if operation.get("type") == "LAUNCH":
            out.extend((operation.get("launch") or {}).get("task_infos") or [])
        elif operation.get("type") == "LAUNCH_GROUP":
            group = operation.get("launch_group") or {}
            out.extend((group.get("task_group") or {}).get("tasks") or [])
    return out
