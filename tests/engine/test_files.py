"""`minidcos docker send-file` and `get-file` on real nodes: what is copied arrives, byte for byte.

/tmp and /run are tmpfs mounts inside a node, where the engine's archive API
used to write beneath the mount (a reported success, and no file): each copy
here is read back through the node's own view, by `cat` on the node and by
`get-file`.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from minidcos.backends.docker.provider import DockerProvider
from minidcos.cluster import Cluster, ClusterSpec
from tests.engine.conftest import RUN_PREFIX

MINIDCOS = str(Path(sys.executable).parent / "minidcos")
FOLDERS = ["/tmp", "/run", "/root", "/root/missing/parent/folder"]


def minidcos(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MINIDCOS, "docker", *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def bare_cluster(provider: DockerProvider) -> Iterator[Cluster]:
    """One master and one agent, shared: every copy goes to its own path."""
    spec = ClusterSpec(1, 1, 0, f"{RUN_PREFIX}-files")
    with Cluster.create(spec, provider=provider) as cluster:
        yield cluster


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A folder with a nested file, an executable and an empty file."""
    root = tmp_path / "tree"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "sub" / "deeper" / "data.bin").write_bytes(os.urandom(70_000))
    (root / "run.sh").write_text("#!/bin/sh\necho run\n")
    (root / "run.sh").chmod(0o750)
    (root / "empty").write_bytes(b"")
    return root


@pytest.mark.parametrize("folder", FOLDERS)
@pytest.mark.parametrize("role", ["master_0", "agent_0"])
def test_a_file_and_a_folder_there_and_back(
    bare_cluster: Cluster, tmp_path: Path, tree: Path, folder: str, role: str
) -> None:
    cluster = bare_cluster.cluster_id
    node = bare_cluster.node(role)
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    remote = f"{folder}/{role}/big.bin"

    sent = minidcos("send-file", "-c", cluster, "--node", role, str(source), remote)
    assert sent.returncode == 0, sent.stderr
    assert "1 file(s), 3145745 bytes, sha256 verified" in sent.stderr
    on_node = node.run(["sha256sum", remote]).stdout.split()[0].decode()
    assert on_node == hashlib.sha256(source.read_bytes()).hexdigest()
    back = tmp_path / "back" / "big.bin"
    got = minidcos("get-file", "-c", cluster, "--node", role, remote, str(back))
    assert got.returncode == 0, got.stderr
    assert back.read_bytes() == source.read_bytes()

    remote_tree = f"{folder}/{role}/tree"
    sent = minidcos("send-file", "-c", cluster, "--node", role, str(tree), remote_tree)
    assert sent.returncode == 0 and "3 file(s)" in sent.stderr, sent.stderr
    assert node.run(["stat", "-c", "%a", f"{remote_tree}/run.sh"]).stdout.strip() == b"750"
    assert node.run([f"{remote_tree}/run.sh"]).stdout == b"run\n"
    back_tree = tmp_path / "back-tree"
    got = minidcos("get-file", "-c", cluster, "--node", role, remote_tree, str(back_tree))
    assert got.returncode == 0, got.stderr
    for path in ("sub/deeper/data.bin", "run.sh", "empty"):
        assert (back_tree / path).read_bytes() == (tree / path).read_bytes(), path
    assert (back_tree / "run.sh").stat().st_mode & 0o777 == 0o750


def test_copies_that_cannot_be_made_are_errors(bare_cluster: Cluster, tmp_path: Path) -> None:
    cluster = bare_cluster.cluster_id
    source = tmp_path / "x.txt"
    source.write_text("x\n")
    # /etc/hostname is a file: nothing can go beneath it.
    failed = minidcos("send-file", "-c", cluster, str(source), "/etc/hostname/x.txt")
    assert failed.returncode == 1
    assert "/etc/hostname is a file, not a folder" in failed.stderr
    assert "Traceback" not in failed.stderr
    missing = minidcos("get-file", "-c", cluster, "/no/such/file", str(tmp_path / "y"))
    assert missing.returncode == 1 and "/no/such/file does not exist" in missing.stderr
    assert not (tmp_path / "y").exists()
    relative = minidcos("send-file", "-c", cluster, str(source), "x.txt")
    assert relative.returncode == 1 and "must be absolute" in relative.stderr
