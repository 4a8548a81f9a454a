"""The agent's container networks: CNI configs, namespaces in units, Docker user networks."""

from __future__ import annotations

import json
from pathlib import Path

from dcos_internal_utils import overlay
from dcos_mesos.agent import cni
from dcos_mesos.agent.core import cni_network_name
from dcos_mesos.agent.launcher import UnitSpec, docker_argv, systemd_run_argv
from dcos_mesos.overlay import cni_config, docker_network_argv
from dcos_mesos.resources import Resources

NETWORK = overlay.NetworkConfig.parse(overlay.DEFAULT_NETWORK)
AGENT = overlay.plan(NETWORK, "192.0.2.11", bridges=True, taken=set())[0]


def test_the_dcos_network_for_the_mesos_containerizer() -> None:
    config = cni_config("dcos", AGENT, NETWORK)
    assert config["name"] == "dcos" and config["type"] == "bridge"
    assert config["bridge"] == "m-dcos" and config["ipMasq"] is False
    assert config["mtu"] == 1420
    assert config["ipam"]["subnet"] == "198.19.0.0/25"  # the first half of the agent's /24


def test_the_dcos_network_for_the_docker_containerizer() -> None:
    argv = docker_network_argv("dcos", AGENT, NETWORK)
    assert argv[-1] == "dcos"
    assert "--subnet=198.19.0.128/25" in argv
    assert "--opt=com.docker.network.bridge.name=d-dcos" in argv
    assert "--opt=com.docker.network.bridge.enable_ip_masquerade=false" in argv


def test_configs_are_found_by_network_name(tmp_path: Path) -> None:
    (tmp_path / "dcos.conf").write_text(json.dumps({"name": "dcos", "type": "bridge"}))
    (tmp_path / "broken.conf").write_text("{")
    assert cni.find_config(tmp_path, "dcos") == {"name": "dcos", "type": "bridge"}
    assert cni.find_config(tmp_path, "other") is None


def test_a_task_on_a_named_network_runs_in_its_namespace() -> None:
    info = {"container": {"type": "MESOS", "network_infos": [{"name": "dcos"}]}}
    assert cni_network_name(info) == "dcos"
    assert cni_network_name({"container": {"type": "MESOS"}}) == ""
    spec = UnitSpec("c1", Path("/tmp/sandbox"), ["true"], netns=cni.netns_path("c1"))
    assert "--property=NetworkNamespacePath=/var/run/netns/mesos-c1" in systemd_run_argv(spec)


def test_a_docker_user_network_is_the_one_container_info_names() -> None:
    container = {
        "type": "DOCKER",
        "docker": {"image": "img", "network": "USER"},
        "network_infos": [{"name": "dcos"}],
    }
    argv = docker_argv("mesos-c1", {}, container, Path("/tmp/s"), {}, Resources())
    assert argv[argv.index("--network") + 1] == "dcos"
