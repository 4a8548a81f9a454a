"""Interrupts and races on the real engine: nothing a run made is left, no run harms another.

Every cluster here has its own id under this run's prefix; the checks look
only at objects labelled with that id, so other clusters on the engine (other
people's) are never looked at nor touched.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import docker
import pytest

from minidcos.backends.docker import labels
from minidcos.backends.docker.provider import DockerProvider
from minidcos.cluster import Cluster

MINIDCOS = str(Path(sys.executable).parent / "minidcos")


@dataclass(frozen=True)
class EngineObject:
    kind: str
    name: str
    labels: dict[str, str]


def objects(cluster_id: str) -> list[EngineObject]:
    """Every container, network and volume labelled with the cluster's id, with its labels."""
    api = docker.from_env().api
    selector = {"label": f"{labels.CLUSTER}={cluster_id}"}
    found: list[EngineObject] = []
    for kind, items in (
        ("container", api.containers(all=True, filters=selector)),
        ("network", api.networks(filters=selector)),
        ("volume", api.volumes(filters=selector).get("Volumes") or []),
    ):
        for item in items:
            name = item.get("Name") or item.get("Names", ["?"])[0]
            found.append(EngineObject(kind, name, item.get("Labels") or {}))
    return found


@dataclass
class Run:
    """A `minidcos` process whose stderr is read as it comes, line by line."""

    proc: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    seen: threading.Condition = field(default_factory=threading.Condition)
    reader: threading.Thread | None = None
    reader_done: bool = False

    @classmethod
    def start(cls, *args: str) -> Run:
        proc = subprocess.Popen(
            [MINIDCOS, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        run = cls(proc)
        run.reader = threading.Thread(target=run._read, daemon=True)
        run.reader.start()
        return run

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            with self.seen:
                self.lines.append(line)
                self.seen.notify_all()
        with self.seen:  # the end of the output: the run is ending
            self.reader_done = True
            self.seen.notify_all()

    def wait_for_line(self, text: str, timeout_s: float = 300) -> bool:
        """True once a line containing `text` was printed; False if the run ended first."""
        with self.seen:
            self.seen.wait_for(
                lambda: any(text in line for line in self.lines) or self.reader_done, timeout_s
            )
            return any(text in line for line in self.lines)

    def finish(self) -> tuple[int, str, str]:
        """(exit status, stdout, stderr) once the run has ended."""
        assert self.proc.stdout is not None and self.reader is not None
        out = self.proc.stdout.read()  # stderr is the reader thread's alone
        self.proc.wait(timeout=300)
        self.reader.join(timeout=60)
        with self.seen:
            return self.proc.returncode, out, "".join(self.lines)


def create(cluster_id: str, *more: str) -> Run:
    return Run.start(
        "docker", "create", "-c", cluster_id, "--agents", "1", "--public-agents", "0", *more
    )


@pytest.fixture
def workspaces(minidcos_home: Path) -> Iterator[Path]:
    yield minidcos_home / "workspaces"


# A line of `create`'s progress, and the moment it marks.
POINTS = [
    ("Checking the config", signal.SIGINT),  # validating: nothing made yet
    ("Ensuring the node image", signal.SIGINT),  # just before the network
    ("Generating the config", signal.SIGTERM),  # the network exists
    ("Starting 2 nodes", signal.SIGINT),  # containers being made
    (" up (minidcos-", signal.SIGINT),  # one node booted, the other maybe not
    ("Installing DC/OS", signal.SIGTERM),  # dcos_install.sh running
    ("Waiting for DC/OS", signal.SIGINT),  # readiness checks
    ("DC/OS is installed: agent_0", signal.SIGINT),  # in the middle of them
]


@pytest.mark.parametrize(("point", "signum"), POINTS, ids=[p for p, _ in POINTS])
def test_an_interrupted_create_leaves_nothing(
    cluster_id: str, workspaces: Path, point: str, signum: signal.Signals
) -> None:
    run = create(cluster_id)
    reached = run.wait_for_line(point)
    if reached:
        os.kill(run.proc.pid, signum)
    code, _, err = run.finish()
    assert "Traceback" not in err, err
    if code == 0:
        # It finished before the signal landed: too late to undo, so it must
        # be a cluster that list shows and destroy removes.
        assert cluster_id in DockerProvider().list_clusters()
        assert Cluster(cluster_id).destroy() is True
    else:
        assert reached, f"create ended before {point!r}: {err}"
        assert code == 130 and "Interrupted." in err, err
    assert objects(cluster_id) == []
    assert not workspaces.exists() or list(workspaces.iterdir()) == []


def test_two_creates_with_one_id_have_one_winner(cluster_id: str) -> None:
    for attempt in range(3):
        contested = f"{cluster_id}-{attempt}"
        runs = [create(contested, "--no-wait") for _ in range(2)]
        results = [run.finish() for run in runs]
        try:
            codes = sorted(code for code, _, _ in results)
            assert codes == [0, 1], results
            (winner,) = [r for r in results if r[0] == 0]
            (loser,) = [r for r in results if r[0] == 1]
            assert winner[1].strip() == contested
            assert f"Error: a cluster with the id '{contested}' already exists" in loser[2]
            assert "Traceback" not in loser[2] and "NotFound" not in loser[2]
            # The winner's cluster is whole, and everything in it is the winner's own.
            tokens = {o.labels.get(labels.RUN) for o in objects(contested)}
            assert len(tokens) == 1, objects(contested)
            kinds = sorted(o.kind for o in objects(contested))
            assert kinds == ["container", "container", "network", "volume"]
            cluster = Cluster(contested)
            assert [n.reference for n in cluster.nodes] == ["master_0", "agent_0"]
            for node in cluster.nodes:
                node.run(["test", "-e", "/opt/mesosphere/etc/dcos-version.json"])
        finally:
            Cluster(contested).destroy()
        assert objects(contested) == []
