"""A DRF allocator over cpus, mem, disk and ports, as Mesos's hierarchical allocator behaves.

Frameworks are offered resources in order of their dominant share (the
largest of their allocated fraction of the cluster's cpus, mem and disk),
smallest first. Each framework role gets the agent's unreserved resources
plus those statically reserved for that role (`slave_public` on public
agents). Declined resources are filtered for `refuse_seconds` (Mesos's
default is 5 s): an agent's resources that are a subset of what a framework
refused are not offered to it again until the filter expires. SUPPRESS stops
offers for a role; REVIVE resumes them and clears the framework's filters.

No timers or I/O live here: the master calls `allocate()` when something
changed and asks `next_expiry()` when to call it again.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from dcos_mesos.resources import Resources

DEFAULT_REFUSE_SECONDS = 5.0
# Mesos's MIN_CPUS and MIN_MEM: smaller leftovers are not offered.
MIN_CPUS = 0.01
MIN_MEM = 32.0
DRF_NAMES = ("cpus", "mem", "disk")


@dataclass
class Offerable:
    framework_id: str
    agent_id: str
    role: str
    resources: Resources


@dataclass
class _Agent:
    total: Resources
    allocated: dict[str, Resources] = field(default_factory=dict)  # framework -> resources
    active: bool = True

    def available(self) -> Resources:
        free = self.total
        for used in self.allocated.values():
            free = free - used
        return free


@dataclass
class _Filter:
    resources: Resources
    expires: float


@dataclass
class _Framework:
    roles: list[str]
    active: bool = True
    suppressed: set[str] = field(default_factory=set)
    filters: dict[str, list[_Filter]] = field(default_factory=dict)  # agent -> filters


def allocatable(resources: Resources) -> bool:
    return resources.scalar("cpus") >= MIN_CPUS or resources.scalar("mem") >= MIN_MEM


class Allocator:
    def __init__(self, rng: random.Random | None = None) -> None:
        self.agents: dict[str, _Agent] = {}
        self.frameworks: dict[str, _Framework] = {}
        self._rng = rng or random.Random()

    # -- membership ---------------------------------------------------------------

    def add_agent(
        self, agent_id: str, total: Resources, used: dict[str, Resources] | None = None
    ) -> None:
        self.agents[agent_id] = _Agent(total=total, allocated=dict(used or {}))

    def remove_agent(self, agent_id: str) -> None:
        self.agents.pop(agent_id, None)
        for framework in self.frameworks.values():
            framework.filters.pop(agent_id, None)

    def set_agent_active(self, agent_id: str, active: bool) -> None:
        if agent_id in self.agents:
            self.agents[agent_id].active = active

    def add_framework(
        self,
        framework_id: str,
        roles: list[str],
        used: dict[str, Resources] | None = None,
        active: bool = True,
    ) -> None:
        existing = self.frameworks.get(framework_id)
        if existing is not None:
            existing.roles = list(roles)
            existing.active = active
        else:
            self.frameworks[framework_id] = _Framework(roles=list(roles), active=active)
        for agent_id, resources in (used or {}).items():
            self.allocate_used(framework_id, agent_id, resources)

    def remove_framework(self, framework_id: str) -> None:
        self.frameworks.pop(framework_id, None)
        for agent in self.agents.values():
            agent.allocated.pop(framework_id, None)

    def set_framework_active(self, framework_id: str, active: bool) -> None:
        if framework_id in self.frameworks:
            self.frameworks[framework_id].active = active

    # -- usage ----------------------------------------------------------------

    def allocate_used(self, framework_id: str, agent_id: str, resources: Resources) -> None:
        """Resources already in use (tasks found at re-registration) count against the agent."""
        agent = self.agents.get(agent_id)
        if agent is None:
            return
        agent.allocated[framework_id] = agent.allocated.get(framework_id, Resources()) + resources

    def recover(
        self,
        framework_id: str,
        agent_id: str,
        resources: Resources,
        refuse_seconds: float | None = None,
        now: float = 0.0,
    ) -> None:
        """Resources come back (declined, unused, a task ended); optionally filter them."""
        agent = self.agents.get(agent_id)
        if agent is not None and framework_id in agent.allocated:
            left = agent.allocated[framework_id] - resources
            if left.empty():
                del agent.allocated[framework_id]
            else:
                agent.allocated[framework_id] = left
        framework = self.frameworks.get(framework_id)
        if (
            framework is not None
            and refuse_seconds
            and refuse_seconds > 0
            and not resources.empty()
        ):
            framework.filters.setdefault(agent_id, []).append(
                _Filter(resources, now + refuse_seconds)
            )

    def suppress(self, framework_id: str, roles: list[str] | None = None) -> None:
        framework = self.frameworks.get(framework_id)
        if framework is not None:
            framework.suppressed.update(roles or framework.roles)

    def revive(self, framework_id: str, roles: list[str] | None = None) -> None:
        framework = self.frameworks.get(framework_id)
        if framework is not None:
            framework.suppressed.difference_update(roles or framework.roles)
            framework.filters.clear()

    # -- allocation -------------------------------------------------------------

    def total(self) -> Resources:
        total = Resources()
        for agent in self.agents.values():
            total = total + agent.total
        return total

    def shares(self) -> dict[str, float]:
        total = self.total()
        used: dict[str, Resources] = {}
        for agent in self.agents.values():
            for fid, res in agent.allocated.items():
                used[fid] = used.get(fid, Resources()) + res
        out = {}
        for fid in self.frameworks:
            res = used.get(fid, Resources())
            out[fid] = max(
                (res.scalar(n) / total.scalar(n) for n in DRF_NAMES if total.scalar(n) > 0),
                default=0.0,
            )
        return out

    def _filtered(self, framework: _Framework, agent_id: str, offer: Resources, now: float) -> bool:
        filters = framework.filters.get(agent_id)
        if not filters:
            return False
        filters[:] = [f for f in filters if f.expires > now]
        return any(f.resources.contains(offer) for f in filters)

    def allocate(self, now: float) -> list[Offerable]:
        """Offer every agent's free resources to frameworks in DRF order."""
        out: list[Offerable] = []
        agent_ids = [a for a, agent in self.agents.items() if agent.active]
        self._rng.shuffle(agent_ids)
        for agent_id in agent_ids:
            agent = self.agents[agent_id]
            shares = self.shares()
            order = sorted(self.frameworks, key=lambda f: (shares.get(f, 0.0), f))
            for framework_id in order:
                framework = self.frameworks[framework_id]
                if not framework.active:
                    continue
                for role in framework.roles:
                    if role in framework.suppressed:
                        continue
                    offer = agent.available().for_roles([role])
                    if not allocatable(offer):
                        continue
                    if self._filtered(framework, agent_id, offer, now):
                        continue
                    self.allocate_used(framework_id, agent_id, offer)
                    out.append(Offerable(framework_id, agent_id, role, offer))
        return out

    def next_expiry(self) -> float | None:
        """When the earliest refuse filter runs out (the master allocates again then)."""
        times = [
            f.expires
            for framework in self.frameworks.values()
            for filters in framework.filters.values()
            for f in filters
        ]
        return min(times) if times else None
