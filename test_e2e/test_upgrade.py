"""An upgrade, node by node and masters first, from one installer build to another (the
same packages/, another version string), with an app serving throughout and no task lost."""

from __future__ import annotations

import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from minidcos import Cluster, Status
from minidcos.installer import build
from minidcos.installer.payload.config import DCOS_VERSION
from test_e2e.dcos import Api, deploy, seconds_since, server_app, wait_healthy

pytestmark = pytest.mark.minidcos_cluster(masters=1, agents=1, public_agents=0)

NEXT_VERSION = f"{DCOS_VERSION}.e2e-next"
APP = "/upgrade/web"


class Prober:
    """Asks each task's /ping once a second from the host, for as long as it runs."""

    def __init__(self, addresses: list[tuple[str, int]]) -> None:
        self.addresses = addresses
        self.answered = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            for host, port in self.addresses:
                try:
                    with urllib.request.urlopen(f"http://{host}:{port}/ping", timeout=3) as r:
                        r.read()
                    self.answered += 1
                except OSError as exc:
                    self.failures.append(f"{time.strftime('%X')} {host}:{port}: {exc}")

    def __enter__(self) -> Prober:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@pytest.fixture(scope="module")
def next_installer() -> Path:
    """The next build: the same packages/, another version string (cached once built)."""
    return build.build(dcos_version=NEXT_VERSION)


def test_upgrade_with_an_app_running_throughout(
    minidcos_cluster: Cluster, next_installer: Path, figure: Callable[..., None]
) -> None:
    cluster = minidcos_cluster
    api = Api(cluster)
    before_version = cluster.dcos_version()
    assert before_version != NEXT_VERSION
    tasks = deploy(api, server_app(APP, instances=2))
    addresses = [(t["host"], t["ports"][0]) for t in tasks.values()]

    start = time.monotonic()
    with Prober(addresses) as prober:
        after_version = cluster.upgrade(next_installer, status=Status())
        upgraded_s = seconds_since(start)
        after = wait_healthy(api, APP, 2)
    assert after_version == NEXT_VERSION
    assert {cluster.dcos_version(n) for n in cluster.nodes} == {NEXT_VERSION}
    assert set(after) == set(tasks), "the same tasks, none lost or replaced"
    assert prober.answered > 0 and not prober.failures, prober.failures[:10]
    figure("upgrade.all_nodes", upgraded_s)
    print(
        f"\nupgraded {len(cluster.nodes)} nodes from {before_version} to {after_version} in "
        f"{upgraded_s:.1f} s; the app answered {prober.answered} pings, none failed"
    )
