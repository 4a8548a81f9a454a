"""Docker-provider logic that needs no engine: capabilities, names, label queries, apt sources."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

from minidcos._util.apt_sources import host_mirrors
from minidcos.backends.docker import labels
from minidcos.backends.docker.provider import DockerProvider, missing_capabilities
from minidcos.node import Role


def test_missing_capabilities_of_this_kind_of_host() -> None:
    assert missing_capabilities("000001fffeffffff") == ["SYS_RESOURCE"]
    assert missing_capabilities("000001ffffffffff") == []


def test_names() -> None:
    assert labels.container_name("ci", Role.PUBLIC_AGENT, 0) == "minidcos-ci-public-agent-0"
    assert labels.network_name("ci") == "minidcos-ci"
    assert len(labels.bridge_name("x" * 40)) <= 15


class _Api:
    """The low-level API's listings, as the engine answers them (labels are ANDed)."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items
        self.filters: list[dict[str, list[str]]] = []

    def containers(self, all: bool, filters: dict[str, list[str]]) -> list[dict[str, Any]]:
        self.filters.append(filters)

        def matches(labels: dict[str, str], wanted: str) -> bool:
            key, _, value = wanted.partition("=")
            return key in labels and (not value or labels[key] == value)

        return [
            c for c in self.items if builtins.all(matches(c["Labels"], w) for w in filters["label"])
        ]

    def networks(self, filters: dict[str, list[str]]) -> list[dict[str, Any]]:
        return []

    def volumes(self, filters: dict[str, list[str]]) -> dict[str, Any]:
        return {"Volumes": None}


class _Client:
    def __init__(self, api: _Api) -> None:
        self.api = api


def _node(cluster: str, role: str, index: int) -> dict[str, Any]:
    name = f"minidcos-{cluster}-{role}-{index}"
    return {
        "Names": ["/" + name],
        "Id": name + "-id",
        "Labels": {
            labels.CLUSTER: cluster,
            labels.ROLE: role,
            labels.INDEX: str(index),
            labels.IP: f"172.28.0.{index + 2}",
        },
    }


def test_nodes_are_a_label_query_in_role_order() -> None:
    containers = _Api(
        [
            _node("a", "public_agent", 0),
            _node("a", "agent", 1),
            _node("b", "master", 0),
            _node("a", "master", 0),
            _node("a", "agent", 0),
        ]
    )
    provider = DockerProvider()
    client: Any = _Client(containers)
    provider._client = client
    nodes = provider.list_nodes("a")
    assert [n.reference for n in nodes] == ["master_0", "agent_0", "agent_1", "public_agent_0"]
    assert containers.filters[-1] == {"label": ["minidcos.cluster=a"]}
    assert provider.list_clusters() == ["a", "b"]
    assert containers.filters[-1] == {"label": ["minidcos.cluster"]}


def test_mirrors_from_deb822_and_one_line_sources(tmp_path: Path) -> None:
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list").write_text(
        "# comment\ndeb [arch=amd64] http://mirror.example/debian bookworm main\n"
    )
    (tmp_path / "sources.list.d" / "debian.sources").write_text(
        "Types: deb\nURIs: http://security.example/debian-security\nSuites: bookworm-security\n"
        "Components: main\n\nTypes: deb-src\nURIs: http://src.example\nSuites: bookworm\n"
    )
    mirrors = host_mirrors(tmp_path)
    assert mirrors.debian == "http://mirror.example/debian"
    assert mirrors.security == "http://security.example/debian-security"


def test_missing_mirror_says_what_to_do(tmp_path: Path) -> None:
    import pytest

    from minidcos.errors import ProviderError

    (tmp_path / "sources.list").write_text("deb http://mirror.example/debian bookworm main\n")
    with pytest.raises(ProviderError, match="bookworm-security"):
        host_mirrors(tmp_path)
