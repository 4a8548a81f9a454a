"""The root group: every group, app and pod, and the changes made to it.

Marathon keeps one tree (RootGroup). Every change is a function from the
current root to a new one; the group manager then assigns service ports,
stamps versions on changed run specs (GroupVersioningUtil), validates the
result and computes a deployment plan from the two roots.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from . import apps, pathid, runspecs
from .errors import ValidationError

SERVICE_PORT_RANGE = range(10000, 20001)  # --local_port_min/--local_port_max, inclusive


@dataclass
class Group:
    id: str
    apps: dict[str, dict[str, Any]] = field(default_factory=dict)
    pods: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    dependencies: list[str] = field(default_factory=list)
    version: str = ""

    # --- lookups ------------------------------------------------------------------------

    def group(self, group_id: str) -> Group | None:
        node: Group | None = self
        for depth in range(1, len(pathid.segments(group_id)) + 1):
            assert node is not None
            node = node.groups.get("/" + "/".join(pathid.segments(group_id)[:depth]))
            if node is None:
                return None
        return node

    def app(self, app_id: str) -> dict[str, Any] | None:
        parent = self.group(pathid.parent(app_id))
        return None if parent is None else parent.apps.get(app_id)

    def pod(self, pod_id: str) -> dict[str, Any] | None:
        parent = self.group(pathid.parent(pod_id))
        return None if parent is None else parent.pods.get(pod_id)

    def run_spec(self, spec_id: str) -> dict[str, Any] | None:
        return self.app(spec_id) or self.pod(spec_id)

    def transitive_groups(self) -> Iterator[Group]:
        yield self
        for child in self.groups.values():
            yield from child.transitive_groups()

    def transitive_apps(self) -> dict[str, dict[str, Any]]:
        return {k: v for g in self.transitive_groups() for k, v in g.apps.items()}

    def transitive_pods(self) -> dict[str, dict[str, Any]]:
        return {k: v for g in self.transitive_groups() for k, v in g.pods.items()}

    def transitive_run_specs(self) -> dict[str, dict[str, Any]]:
        return {**self.transitive_apps(), **self.transitive_pods()}

    # --- changes (each returns a new tree) ----------------------------------------------

    def copy(self) -> Group:
        return copy.deepcopy(self)

    def _ensure_group(self, group_id: str) -> Group:
        node = self
        parts = pathid.segments(group_id)
        for depth in range(1, len(parts) + 1):
            gid = "/" + "/".join(parts[:depth])
            child = node.groups.get(gid)
            if child is None:
                child = Group(id=gid, version=node.version)
                node.groups[gid] = child
            node = child
        return node

    def with_app(
        self, app_id: str, change: Callable[[dict[str, Any] | None], dict[str, Any]]
    ) -> Group:
        root = self.copy()
        parent = root._ensure_group(pathid.parent(app_id))
        parent.apps[app_id] = change(parent.apps.get(app_id))
        return root

    def put_app(self, app: dict[str, Any]) -> Group:
        """`app` in place of whatever had its id (creating its groups)."""
        root = self.copy()
        root._ensure_group(pathid.parent(app["id"])).apps[app["id"]] = app
        return root

    def put_spec(self, spec: dict[str, Any]) -> Group:
        return self.with_pod(spec["id"], spec) if "containers" in spec else self.put_app(spec)

    def with_pod(self, pod_id: str, pod: dict[str, Any]) -> Group:
        root = self.copy()
        root._ensure_group(pathid.parent(pod_id)).pods[pod_id] = pod
        return root

    def without_app(self, app_id: str) -> Group:
        root = self.copy()
        parent = root.group(pathid.parent(app_id))
        if parent is not None:
            parent.apps.pop(app_id, None)
        return root

    def without_pod(self, pod_id: str) -> Group:
        root = self.copy()
        parent = root.group(pathid.parent(pod_id))
        if parent is not None:
            parent.pods.pop(pod_id, None)
        return root

    def without_group(self, group_id: str) -> Group:
        if pathid.is_root(group_id):
            return Group(id="/", version=self.version)
        root = self.copy()
        parent = root.group(pathid.parent(group_id))
        if parent is not None:
            parent.groups.pop(group_id, None)
        return root

    def with_group(self, group: Group) -> Group:
        """`group` put in place of whatever had its id (creating its parents)."""
        if pathid.is_root(group.id):
            return group.copy()
        root = self.copy()
        root._ensure_group(pathid.parent(group.id)).groups[group.id] = group.copy()
        return root

    def with_transitive_apps(
        self, group_id: str, change: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> Group:
        root = self.copy()
        target = root.group(group_id)
        if target is not None:
            for g in target.transitive_groups():
                g.apps = {k: change(v) for k, v in g.apps.items()}
        return root

    def stamped(self, version: str) -> Group:
        root = self.copy()
        root.version = version
        return root

    # --- storage ---------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "apps": list(self.apps.values()),
            "pods": list(self.pods.values()),
            "groups": [g.to_json() for g in self.groups.values()],
            "dependencies": self.dependencies,
            "version": self.version,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Group:
        return cls(
            id=data["id"],
            apps={a["id"]: a for a in data.get("apps", [])},
            pods={p["id"]: p for p in data.get("pods", [])},
            groups={g["id"]: cls.from_json(g) for g in data.get("groups", [])},
            dependencies=list(data.get("dependencies", [])),
            version=data.get("version", ""),
        )


def empty_root(version: str) -> Group:
    return Group(id="/", version=version)


# --- what the group manager does to every change ------------------------------------------


def assign_service_ports(original: Group, target: Group) -> Group:
    """AssignDynamicServiceLogic: every service port 0 of a new or changed app gets a port."""
    old_apps = original.transitive_apps()
    new_apps = target.transitive_apps()
    used = {
        p for a in list(old_apps.values()) + list(new_apps.values()) for p in apps.service_ports(a)
    }
    free = (p for p in SERVICE_PORT_RANGE if p not in used)
    result = target
    for app_id, app in new_apps.items():
        old = old_apps.get(app_id)
        if old is not None and not runspecs.is_upgrade(old, app):
            continue
        ports = apps.service_ports(app)
        if 0 not in ports:
            continue
        reusable = iter(
            [
                p
                for p in (apps.service_ports(old) if old else [])
                if p in SERVICE_PORT_RANGE and p not in ports
            ]
        )
        assigned = []
        for port in ports:
            if port != 0:
                assigned.append(port)
                continue
            chosen = next(reusable, None) or next(free, None)
            if chosen is None:
                raise ValidationError(
                    [("/", "All ports in the range [10000-20000) are already in use")]
                )
            assigned.append(chosen)
        updated = apps.with_service_ports(app, assigned)
        result = result.put_app(updated)
    return result


def _new_version_info(version: str) -> dict[str, str]:
    return {"lastScalingAt": version, "lastConfigChangeAt": version}


def stamp_versions(original: Group, target: Group, version: str) -> Group:
    """GroupVersioningUtil: new `version`/`versionInfo` for every new, changed or restarted spec.

    A run spec whose `versionInfo` is None in `target` is being restarted.
    """
    result = target.stamped(version)
    old_specs = original.transitive_run_specs()
    for spec_id, spec in target.transitive_run_specs().items():
        old = old_specs.get(spec_id)
        if old is None:
            info = _new_version_info(version)
        elif runspecs.is_upgrade(old, spec):
            info = {"lastScalingAt": version, "lastConfigChangeAt": version}
        elif runspecs.is_only_scale_change(old, spec) or spec.get("versionInfo", "") is None:
            info = {
                "lastScalingAt": version,
                "lastConfigChangeAt": old["versionInfo"]["lastConfigChangeAt"],
            }
        else:
            info = old["versionInfo"]
        new_version = version if info != (old or {}).get("versionInfo") else old["version"]  # type: ignore[index]
        stamped = {**spec, "version": new_version, "versionInfo": info}
        result = result.put_spec(stamped)
    _stamp_changed_groups(original, result, version)
    return result


def _stamp_changed_groups(original: Group, target: Group, version: str) -> None:
    """Groups whose content changed take the new version (in place on `target`)."""
    for group in target.transitive_groups():
        before = original.group(group.id)
        if before is None or before.to_json() != group.to_json():
            group.version = version


def validate_root(root: Group) -> None:
    violations: list[tuple[str, str]] = []
    for group in root.transitive_groups():
        child_ids = set(group.groups)
        if child_ids & set(group.apps):
            violations.append(("/", "Groups and Applications may not have the same identifier."))
        if child_ids & set(group.pods):
            violations.append(("/", "Groups and Pods may not have the same identifier."))
    if set(root.transitive_apps()) & set(root.transitive_pods()):
        violations.append(("/", "Applications and Pods may not share the same id"))
    if _has_cycle(root):
        violations.append(("/", "Dependency graph has cyclic dependencies."))
    if violations:
        raise ValidationError(violations)


def dependency_graph(root: Group) -> dict[str, set[str]]:
    """Run spec id -> the run specs it depends on (directly, or through its groups)."""
    specs = root.transitive_run_specs()
    graph: dict[str, set[str]] = {spec_id: set() for spec_id in specs}

    def targets(dep: str) -> set[str]:
        if dep in specs:
            return {dep}
        group = root.group(dep)
        return set(group.transitive_run_specs()) if group is not None else set()

    for spec_id, spec in specs.items():
        for dep in spec.get("dependencies", []):
            graph[spec_id] |= targets(dep)
        for ancestor in pathid.ancestors(spec_id):
            group = root.group(ancestor)
            for dep in group.dependencies if group else []:
                graph[spec_id] |= targets(dep)
        graph[spec_id].discard(spec_id)
    return graph


def _has_cycle(root: Group) -> bool:
    graph = dependency_graph(root)
    state: dict[str, int] = {}

    def visit(node: str) -> bool:
        if state.get(node) == 1:
            return True
        if state.get(node) == 2:
            return False
        state[node] = 1
        if any(visit(n) for n in graph.get(node, ())):
            return True
        state[node] = 2
        return False

    return any(visit(n) for n in graph)


def longest_path(graph: dict[str, set[str]], node: str, seen: frozenset[str] = frozenset()) -> int:
    if node in seen:
        return 1
    deps = graph.get(node, set())
    if not deps:
        return 1
    return 1 + max(longest_path(graph, d, seen | {node}) for d in deps)
