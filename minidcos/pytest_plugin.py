"""minidcos's pytest plugin: DC/OS clusters for suites that run on the host.

Installed with minidcos (the `minidcos` pytest11 entry point), so any suite
has it:

    def test_failover(cluster_factory):
        with cluster_factory(masters=3, agents=1) as cluster:      # destroyed after the block
            cluster.faults.kill(cluster.leader(), "dcos-mesos-master")

    @pytest.fixture(scope="module")                                # one cluster per module
    def cluster(cluster_factory):
        with cluster_factory(agents=2, extra_config={"dns_search": "mesos"}) as made:
            yield made

    pytestmark = pytest.mark.minidcos_cluster(masters=1, agents=1)  # or: the shape as a marker,
    def test_x(minidcos_cluster): ...                               # and the cluster as a fixture

What it gives:

- `cluster_factory` (session): `cluster_factory(spec=None, *, masters=1, agents=1,
  public_agents=0, extra_config=None, installer=None, name="")` creates a cluster,
  installs DC/OS on it and waits; the `Cluster` it returns destroys itself when
  its `with` block ends, and whatever is still alive is destroyed when the
  session ends, which then proves that nothing of this run is left.
- Cluster ids are unique per run and per pytest-xdist worker (`e3f9a1w0-name`),
  so `pytest -n 3 --dist loadfile` runs three modules' clusters side by side
  without collisions.
- `minidcos_cluster` (module): the cluster the `minidcos_cluster(...)` marker
  describes (`masters`, `agents`, `public_agents`, `extra_config`), shared by the
  module's tests; with `share="session"` also by the modules that run on the same
  worker and ask for the same cluster (kept until the session ends).
- On a failure, a log bundle of every node of each cluster the test used is
  written under `--minidcos-logs DIR` (default `minidcos-logs`), and its path and
  the units it found failed are printed in the failure report.
- `figure(name, value, unit="s")` records a measured figure: printed at once,
  kept in the test's JUnit properties, summed up at the end of the run (with
  each test's wall time), and written as JSON with `--minidcos-figures FILE`.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from minidcos import cluster as cluster_module
from minidcos.backends.base import Provider
from minidcos.cluster import (
    DEFAULT_WAIT_S,
    Cluster,
    ClusterSpec,
    ConfigFromAddresses,
    InstallSpec,
)
from minidcos.status import Status

FIGURE_PREFIX = "minidcos_figure:"
LOGS_KEY = pytest.StashKey["Path"]()
MAX_NAME = 16  # of the name part of an id: node hostnames must stay under 64 characters

P = TypeVar("P", bound=Provider)
ExtraConfig = Mapping[str, Any] | Path | ConfigFromAddresses


def new_run_prefix(letter: str) -> str:
    """A short, unique prefix for every cluster id of one test run (tests/engine uses it)."""
    return f"{letter}{secrets.token_hex(3)}"


def provider_proving_no_leftovers(run_prefix: str, provider: P) -> Iterator[P]:
    """Body of a session fixture: yields `provider`, then checks nothing of the run is left."""
    yield provider
    left = [c for c in provider.list_clusters() if c.startswith(run_prefix)]
    for cluster_id in left:
        provider.delete_cluster(cluster_id)
    assert not left, f"the test run left clusters behind: {left}"


def worker_run_prefix() -> str:
    """`e<run>w<worker>`: the same run part for every xdist worker of one run, and a worker
    part of its own, so that no two workers (and no two runs) make the same cluster id."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", "")[:6] or secrets.token_hex(3)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return f"e{run}" + (f"w{worker.removeprefix('gw')}" if worker else "")


def _short_name(text: str) -> str:
    name = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-").removeprefix("test-")
    return name[:MAX_NAME].strip("-") or "c"


@dataclass
class ClusterFactory:
    """Makes clusters for tests; see the module's docstring."""

    provider: Provider
    run_prefix: str
    logs_dir: Path
    installer: Path | None = None  # None: the embedded installer, built once
    made: list[Cluster] = field(default_factory=list)
    create_times: dict[str, float] = field(default_factory=dict)
    _count: int = 0

    def new_cluster_id(self, name: str = "") -> str:
        """A cluster id of this run that no other worker or run uses."""
        self._count += 1
        return f"{self.run_prefix}-{_short_name(name or 'c')}{self._count}"

    def __call__(
        self,
        spec: ClusterSpec | None = None,
        *,
        masters: int = 1,
        agents: int = 1,
        public_agents: int = 0,
        extra_config: ExtraConfig | None = None,
        installer: Path | None = None,
        name: str = "",
        wait: bool = True,
        wait_timeout_s: float = DEFAULT_WAIT_S,
    ) -> Cluster:
        """Create a cluster (DC/OS installed; ready, unless not `wait`) with this run's id;
        `spec`'s id is replaced by one of this run's, so specs can be shared by workers."""
        cluster_id = self.new_cluster_id(name)
        if spec is None:
            spec = ClusterSpec(masters, agents, public_agents, cluster_id)
        else:
            spec = ClusterSpec(
                spec.masters, spec.agents, spec.public_agents, cluster_id, spec.custom_volumes
            )
        install = InstallSpec(
            installer or self.installer_path(),
            extra_config if extra_config is not None else {},
        )
        started = time.monotonic()
        cluster = Cluster.create(
            spec,
            install=install,
            provider=self.provider,
            status=Status(),
            wait=wait,
            wait_timeout_s=wait_timeout_s,
            log_dir=self.logs_dir,
        )
        self.create_times[cluster_id] = time.monotonic() - started
        self.made.append(cluster)
        return cluster

    def installer_path(self) -> Path:
        if self.installer is None:
            from minidcos.installer import build

            self.installer = build.build()
        return self.installer

    def alive(self) -> list[Cluster]:
        existing = set(self.provider.list_clusters())
        return [c for c in self.made if c.cluster_id in existing]

    def destroy_all(self) -> list[str]:
        """Destroy what is left of the clusters made; the ids of those that were left."""
        left = [c.cluster_id for c in self.alive()]
        for cluster in self.made:
            cluster.destroy()
        return left


_FACTORY_KEY = pytest.StashKey[ClusterFactory]()

# -- fixtures -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def cluster_factory(request: pytest.FixtureRequest) -> Iterator[ClusterFactory]:
    """Creates clusters; destroys what is left when the session ends and proves that
    nothing with this run's ids remains in the engine."""
    factory = ClusterFactory(
        provider=cluster_module.default_provider(),  # looked up now: a suite may replace it
        run_prefix=worker_run_prefix(),
        logs_dir=request.config.stash[LOGS_KEY],
    )
    request.config.stash[_FACTORY_KEY] = factory
    yield factory
    factory.destroy_all()
    stray = [c for c in factory.provider.list_clusters() if c.startswith(factory.run_prefix + "-")]
    for cluster_id in stray:
        factory.provider.delete_cluster(cluster_id)
    assert not stray, f"clusters of this run were left behind (now destroyed): {stray}"


_SHARED: dict[str, Cluster] = {}  # session-shared clusters of this worker, by their marker


def _marker_key(kwargs: Mapping[str, Any]) -> str:
    return json.dumps(
        {k: v for k, v in kwargs.items() if k != "share"}, sort_keys=True, default=str
    )


@pytest.fixture(scope="module")
def minidcos_cluster(
    request: pytest.FixtureRequest, cluster_factory: ClusterFactory
) -> Iterator[Cluster]:
    """The cluster the module's `minidcos_cluster(...)` marker describes."""
    marker = request.node.get_closest_marker("minidcos_cluster")
    kwargs: dict[str, Any] = dict(marker.kwargs) if marker else {}
    share = kwargs.pop("share", "module")
    if share not in ("module", "session"):
        raise pytest.UsageError(f"minidcos_cluster(share=...) is module or session, not {share!r}")
    name = kwargs.pop("name", "") or request.node.name.rsplit("/", 1)[-1].removesuffix(".py")
    if share == "session":
        key = _marker_key(kwargs)
        if key not in _SHARED:
            _SHARED[key] = cluster_factory(name=name, **kwargs)
        yield _SHARED[key]
        return
    with cluster_factory(name=name, **kwargs) as cluster:
        yield cluster


@pytest.fixture
def figure(request: pytest.FixtureRequest) -> Callable[..., None]:
    """`figure(name, value, unit="s")`: record a figure the test measured."""

    def record(name: str, value: float, unit: str = "s") -> None:
        print(f"\n[figure] {request.node.name}: {name} = {value:.3f} {unit}")
        request.node.user_properties.append(
            (FIGURE_PREFIX + name, json.dumps({"value": value, "unit": unit}))
        )

    return record


# -- hooks ----------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("minidcos", "miniDC/OS clusters")
    group.addoption(
        "--minidcos-logs",
        metavar="DIR",
        default="minidcos-logs",
        help="Where a failing test's log bundles go (default: minidcos-logs).",
    )
    group.addoption(
        "--minidcos-figures",
        metavar="FILE",
        default=None,
        help="Write every figure the tests recorded, and their wall times, as JSON.",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "minidcos_cluster(masters=1, agents=1, public_agents=0, extra_config=None, "
        "share='module'): the shape of the `minidcos_cluster` fixture's cluster",
    )
    config.stash[LOGS_KEY] = Path(config.getoption("minidcos_logs")).resolve()
    config.pluginmanager.register(Figures(config), "minidcos-figures")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    if not report.failed or report.when == "teardown":
        return
    clusters = _clusters_of(item)
    if not clusters:
        return
    test = re.sub(r"[^a-zA-Z0-9_.-]+", "-", item.nodeid).strip("-")[:80]
    base = item.config.stash[LOGS_KEY] / test
    lines = []
    for cluster in clusters:
        dest = base / f"{cluster.cluster_id}-{int(time.time())}"
        try:
            cluster.export_logs(dest)
        except Exception as exc:  # a report must never fail because the logs could not be read
            lines.append(f"{cluster.cluster_id}: could not export logs: {exc}")
            continue
        summary = (dest / "summary.txt").read_text().splitlines()
        failed = [line for line in summary if line.startswith(("failed units", "unhealthy"))]
        lines.append(f"{cluster.cluster_id}: {dest}  ({'; '.join(failed)})")
    report.sections.append(("minidcos log bundle", "\n".join(lines)))


def _clusters_of(item: pytest.Item) -> list[Cluster]:
    """The clusters a test used: its fixtures' values; else every live one of this worker."""
    values = getattr(item, "funcargs", {}).values()
    used = {v.cluster_id: v for v in values if isinstance(v, Cluster)}  # one per cluster
    if used:
        return list(used.values())
    factory = item.config.stash.get(_FACTORY_KEY, None)
    return factory.alive() if factory is not None else []


class Figures:
    """Figures and wall times, gathered from test reports (on the xdist controller too,
    which receives the workers' reports with their properties)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.by_test: dict[str, dict[str, Any]] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        entry = self.by_test.setdefault(report.nodeid, {"wall_s": 0.0, "figures": {}})
        entry["wall_s"] += report.duration
        if report.failed:
            entry["outcome"] = "failed"
        elif report.when == "call":
            entry.setdefault("outcome", report.outcome)
        for key, value in report.user_properties:
            if isinstance(key, str) and key.startswith(FIGURE_PREFIX):
                entry["figures"][key.removeprefix(FIGURE_PREFIX)] = json.loads(str(value))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not any(e["figures"] for e in self.by_test.values()):
            return
        terminalreporter.section("minidcos: wall time of each test, and its figures")
        for nodeid, entry in self.by_test.items():
            terminalreporter.write_line(f"{entry['wall_s']:7.1f} s  {nodeid}")
            for name, figure in entry["figures"].items():
                terminalreporter.write_line(
                    f"             {name}: {figure['value']:.3f} {figure['unit']}"
                )
        total = sum(e["wall_s"] for e in self.by_test.values())
        terminalreporter.write_line(f"{total:7.1f} s  in all (summed over workers)")
        path = self.config.getoption("minidcos_figures")
        if path:
            Path(path).write_text(json.dumps(self.by_test, indent=2, sort_keys=True))
            terminalreporter.write_line(f"figures written to {path}")
