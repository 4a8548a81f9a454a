"""Deployment plans: the steps from one root group to another (Marathon's DeploymentPlan).

1. stop the run specs the target no longer has;
2. start the new ones with 0 instances;
3. then, in dependency order (run specs whose longest dependency chain is
   equally long share a step), scale new and scale-only-changed specs and
   restart the changed ones.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from . import runspecs
from .groups import Group, dependency_graph, longest_path

START, STOP, SCALE, RESTART = "Start", "Stop", "Scale", "Restart"


@dataclass
class Action:
    kind: str  # START, STOP, SCALE or RESTART
    spec: dict[str, Any]
    scale_to: int = 0
    kill: list[str] = field(default_factory=list)  # instance ids sentenced by the user

    @property
    def spec_id(self) -> str:
        return str(self.spec["id"])

    @property
    def name(self) -> str:
        noun = "Pod" if runspecs.is_pod(self.spec) else "Application"
        return f"{self.kind}{noun}"

    def to_json(self) -> dict[str, Any]:
        return {"action": self.name, ("pod" if runspecs.is_pod(self.spec) else "app"): self.spec_id}

    def store_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "spec": self.spec, "scaleTo": self.scale_to, "kill": self.kill}

    @classmethod
    def from_store(cls, data: dict[str, Any]) -> Action:
        return cls(data["kind"], data["spec"], data.get("scaleTo", 0), data.get("kill", []))


@dataclass
class Plan:
    id: str
    original: Group
    target: Group
    steps: list[list[Action]]
    version: str

    @property
    def affected_ids(self) -> set[str]:
        return {a.spec_id for step in self.steps for a in step}

    @property
    def affected_apps(self) -> list[str]:
        return sorted(
            {a.spec_id for step in self.steps for a in step if not runspecs.is_pod(a.spec)}
        )

    @property
    def affected_pods(self) -> list[str]:
        return sorted({a.spec_id for step in self.steps for a in step if runspecs.is_pod(a.spec)})

    @property
    def deleted_ids(self) -> set[str]:
        return set(self.original.transitive_run_specs()) - set(self.target.transitive_run_specs())

    def is_affected_by(self, other: Plan) -> bool:
        return bool(self.affected_ids & other.affected_ids)

    def steps_json(self) -> list[dict[str, Any]]:
        return [{"actions": [a.to_json() for a in step]} for step in self.steps]

    def store_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "original": self.original.to_json(),
            "target": self.target.to_json(),
            "steps": [[a.store_json() for a in step] for step in self.steps],
        }

    @classmethod
    def from_store(cls, data: dict[str, Any]) -> Plan:
        return cls(
            id=data["id"],
            original=Group.from_json(data["original"]),
            target=Group.from_json(data["target"]),
            steps=[[Action.from_store(a) for a in step] for step in data["steps"]],
            version=data["version"],
        )


def compute(
    original: Group,
    target: Group,
    version: str,
    to_kill: dict[str, list[str]] | None = None,
    plan_id: str | None = None,
) -> Plan:
    to_kill = to_kill or {}
    old_specs = original.transitive_run_specs()
    new_specs = target.transitive_run_specs()
    steps: list[list[Action]] = [
        [Action(STOP, spec) for spec_id, spec in old_specs.items() if spec_id not in new_specs],
        [Action(START, spec, 0) for spec_id, spec in new_specs.items() if spec_id not in old_specs],
    ]
    changed = {spec_id for spec_id, spec in new_specs.items() if old_specs.get(spec_id) != spec}
    affected = changed | (set(old_specs) - set(new_specs))
    graph = dependency_graph(target)
    layers: dict[int, list[str]] = {}
    for spec_id in sorted(affected & set(new_specs)):
        layers.setdefault(longest_path(graph, spec_id), []).append(spec_id)
    for depth in sorted(layers):
        actions: list[Action] = []
        for spec_id in layers[depth]:
            new = new_specs[spec_id]
            old = old_specs.get(spec_id)
            count = runspecs.instances(new)
            if old is None:
                actions.append(Action(SCALE, new, count))
            elif runspecs.is_only_scale_change(old, new) or count == 0:
                actions.append(Action(SCALE, new, count, list(to_kill.get(spec_id, []))))
            elif runspecs.needs_restart(old, new):
                actions.append(Action(RESTART, new, count))
        steps.append(actions)
    return Plan(
        id=plan_id or str(uuid.uuid4()),
        original=original,
        target=target,
        steps=[s for s in steps if s],
        version=version,
    )


def revert(plan: Plan, current: Group) -> Group:
    """DeploymentPlanReverter: undo what `plan` changed, on top of `current`."""
    result = current.copy()
    old_specs = plan.original.transitive_run_specs()
    new_specs = plan.target.transitive_run_specs()
    for spec_id in set(old_specs) | set(new_specs):
        before, after = old_specs.get(spec_id), new_specs.get(spec_id)
        if before == after:
            continue
        if before is None:
            result = (
                result.without_pod(spec_id)
                if runspecs.is_pod(after or {})
                else result.without_app(spec_id)
            )
        elif runspecs.is_pod(before):
            result = result.with_pod(spec_id, before)
        else:
            result = result.put_app(before)
    for group in list(plan.target.transitive_groups()):
        if plan.original.group(group.id) is None:
            existing = result.group(group.id)
            if existing is not None and not existing.transitive_run_specs():
                result = result.without_group(group.id)
    return result
