"""Real clusters of bare nodes on the real engine."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import docker
import pytest

from minidcos.backends.base import Mount
from minidcos.backends.docker import labels
from minidcos.backends.docker.provider import DockerProvider
from minidcos.cluster import Cluster, ClusterSpec
from minidcos.errors import CommandError, NodeBootError, NotReadyError


def leftovers(cluster_id: str) -> list[str]:
    api = docker.from_env().api
    selector = {"label": f"{labels.CLUSTER}={cluster_id}"}
    return (
        [f"container {c['Names'][0]}" for c in api.containers(all=True, filters=selector)]
        + [f"network {n['Name']}" for n in api.networks(filters=selector)]
        + [f"volume {v['Name']}" for v in api.volumes(filters=selector).get("Volumes") or []]
    )


def test_commands_files_and_addresses(bare_cluster: Cluster, tmp_path: Path) -> None:
    master, agent = bare_cluster.masters[0], bare_cluster.agents[0]
    assert master.run(["hostname"]).stdout.decode().strip() == master.container_name
    assert agent.run(["sh", "-c", "echo $X"], env={"X": "y"}).stdout == b"y\n"
    assert master.run(["systemctl", "is-system-running"], check=False).stdout.strip() in (
        b"running",
        b"degraded",
    )
    with pytest.raises(CommandError) as info:
        agent.run(["sh", "-c", "echo oops >&2; exit 7"])
    assert info.value.returncode == 7 and b"oops" in info.value.stderr

    source = tmp_path / "hello.txt"
    source.write_text("hello from the host\n")
    agent.send_file(source, Path("/root/dir/hello.txt"))
    assert agent.run(["cat", "/root/dir/hello.txt"]).stdout == b"hello from the host\n"
    back = tmp_path / "back.txt"
    agent.download_file(Path("/root/dir/hello.txt"), back)
    assert back.read_text() == "hello from the host\n"

    # The nodes reach each other by IP, on their own bridge.
    agent.run(["ping", "-c", "1", "-W", "2", master.ip_address])
    master.run(["ping", "-c", "1", "-W", "2", agent.ip_address])
    # popen: stdin in, stdout out, while the command runs.
    proc = agent.popen(["cat"])
    out, _ = proc.communicate(b"through popen", timeout=30)
    assert out == b"through popen" and proc.returncode == 0
    # Every node runs Docker Engine, on a /var/lib/docker volume of its own.
    for node in (master, agent):
        assert b"/var/lib/docker" in node.run(["findmnt", "/var/lib/docker"]).stdout


def test_destroy_leaves_nothing(provider: DockerProvider, cluster_id: str) -> None:
    cluster = Cluster.create(ClusterSpec(1, 2, 1, cluster_id), provider=provider)
    workspace = provider.workspaces(cluster_id)
    assert len(cluster.nodes) == 4 and leftovers(cluster_id)
    assert cluster.destroy() is True
    assert leftovers(cluster_id) == []
    assert not any(w.exists() for w in workspace)
    assert cluster.destroy() is False  # idempotent


def test_two_clusters_coexist(provider: DockerProvider, cluster_id: str) -> None:
    one = Cluster.create(ClusterSpec(1, 0, 0, cluster_id + "a"), provider=provider)
    two = Cluster.create(ClusterSpec(1, 0, 0, cluster_id + "b"), provider=provider)
    try:
        a, b = one.masters[0], two.masters[0]
        assert a.ip_address != b.ip_address
        # Separate bridges: one cluster cannot reach the other.
        assert b.run(["ping", "-c", "1", "-W", "1", a.ip_address], check=False).returncode != 0
        one.destroy()
        assert leftovers(cluster_id + "a") == []
        assert b.run(["true"]).returncode == 0
    finally:
        one.destroy()
        two.destroy()


def test_node_that_does_not_boot_is_named_and_cleaned_up(
    provider: DockerProvider, cluster_id: str, tmp_path: Path
) -> None:
    # An empty directory over systemd's binaries: /sbin/init cannot start.
    empty = tmp_path / "empty"
    empty.mkdir()
    spec = ClusterSpec(
        1, 0, 0, cluster_id, custom_volumes=(Mount(str(empty), "/lib/systemd", True),)
    )
    with pytest.raises(NodeBootError) as info:
        Cluster.create(spec, provider=provider)
    assert info.value.node == f"minidcos-{cluster_id}-master-0"
    assert "did not boot" in str(info.value)
    assert leftovers(cluster_id) == []


def test_interrupted_create_leaves_nothing(cluster_id: str) -> None:
    minidcos = Path(sys.executable).parent / "minidcos"
    proc = subprocess.Popen(
        [str(minidcos), "docker", "provision", "-c", cluster_id, "--agents", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not leftovers(cluster_id) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert leftovers(cluster_id), "create never started"
    os.kill(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err.decode()
    assert leftovers(cluster_id) == []


def test_duplicate_id_cli_error(bare_cluster: Cluster) -> None:
    minidcos = Path(sys.executable).parent / "minidcos"
    proc = subprocess.run(
        [str(minidcos), "docker", "provision", "-c", bare_cluster.cluster_id],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    assert f"Error: a cluster with the id '{bare_cluster.cluster_id}' already exists" in proc.stderr
    assert len(bare_cluster.provider.list_nodes(bare_cluster.cluster_id)) == 2  # untouched


def test_doctor(tmp_path: Path) -> None:
    minidcos = Path(sys.executable).parent / "minidcos"
    proc = subprocess.run([str(minidcos), "docker", "doctor"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in (
        "docker engine",
        "node mode",
        "systemd boots",
        "cgroups",
        "storage driver",
        "address pool",
        "inotify instances",
        "disk (docker root)",
        "memory",
        "nftables",
        "vxlan",
        "bridge netfilter",
    ):
        assert f" {name}: " in proc.stdout


def test_wait_on_bare_nodes_fails_at_once(bare_cluster: Cluster, tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(NotReadyError, match="DC/OS is not installed on this node") as info:
        bare_cluster.wait(timeout_s=300, log_dir=tmp_path)
    assert time.monotonic() - started < 60
    bundle = next(tmp_path.glob("minidcos-logs-*"))
    assert str(bundle) in str(info.value)
    assert (bundle / "master_0" / "units.txt").is_file()
    assert "master_0" in (bundle / "summary.txt").read_text()


def test_named_volumes_made_by_create_go_with_destroy(
    provider: DockerProvider, cluster_id: str
) -> None:
    api = docker.from_env().api
    users = f"{cluster_id}-users-own"
    made = f"{cluster_id}-made-for-it"
    api.create_volume(users)  # the user's own: kept by destroy
    try:
        mounts = (Mount(users, "/users"), Mount(made, "/made"))
        cluster = Cluster.create(
            ClusterSpec(1, 0, 0, cluster_id, custom_volumes=mounts), provider=provider
        )
        master = cluster.masters[0]
        master.run(["sh", "-c", "echo kept > /users/file && echo gone > /made/file"])
        assert cluster.destroy() is True
        names = {v["Name"] for v in api.volumes().get("Volumes") or []}
        assert users in names and made not in names
    finally:
        api.remove_volume(users, force=True)
