"""minidcos's pytest plugin: ids unique per run and worker, the factory's bookkeeping, and,
through pytester, log bundles on failure, figures, and ids under pytest-xdist."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from minidcos.cluster import Cluster, ClusterSpec, InstallSpec
from minidcos.installer import build
from minidcos.pytest_plugin import ClusterFactory, worker_run_prefix
from tests.fake_provider import FakeProvider

pytest_plugins = ["pytester"]

# A suite's conftest for pytester: every Cluster the plugin sees uses the fake provider.
FAKE_CONFTEST = """
import pytest
from minidcos import cluster as cluster_module
from tests.fake_provider import FakeProvider

FAKE = FakeProvider()
cluster_module.default_provider = lambda: FAKE
"""


def test_the_run_prefix_is_shared_by_workers_and_the_worker_part_is_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYTEST_XDIST_TESTRUNUID", "0123456789abcdef")
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw2")
    assert worker_run_prefix() == "e012345w2"
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw10")
    assert worker_run_prefix() == "e012345w10"
    monkeypatch.delenv("PYTEST_XDIST_TESTRUNUID")
    monkeypatch.delenv("PYTEST_XDIST_WORKER")
    alone = worker_run_prefix()
    assert alone.startswith("e") and len(alone) == 7 and alone != worker_run_prefix()


def test_ids_are_unique_short_and_make_valid_hostnames(tmp_path: Path) -> None:
    factory = ClusterFactory(FakeProvider(), "e012345w12", tmp_path)
    ids = [factory.new_cluster_id(n) for n in ("test_failover", "Test Failover!", "", "x" * 80)]
    assert len(set(ids)) == 4
    assert ids[0] == "e012345w12-failover1" and ids[1] == "e012345w12-failover2"
    for cluster_id in ids:
        spec = ClusterSpec(9, 99, 99, cluster_id)
        spec.validate(dcos=True)  # id pattern, and every node's hostname under 64 characters


@pytest.fixture(scope="module")
def installer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build.build(tmp_path_factory.mktemp("installer") / "dcos_generate_config.sh")


def test_the_factory_names_tracks_and_destroys_its_clusters(
    tmp_path: Path, installer: Path
) -> None:
    provider = FakeProvider()
    factory = ClusterFactory(provider, "e0000aa", tmp_path, installer=installer)
    spec = ClusterSpec(1, 2, 0, "ignored")
    with factory(spec, name="shape", wait=False) as first:
        assert first.cluster_id == "e0000aa-shape1"
        assert [n.reference for n in first.nodes] == ["master_0", "agent_0", "agent_1"]
    assert first.cluster_id not in provider.list_clusters()  # the with block destroyed it
    second = factory(masters=1, agents=0, wait=False, extra_config={"dns_search": "mesos"})
    assert factory.alive() == [second] and second.cluster_id in factory.create_times
    assert factory.destroy_all() == [second.cluster_id]
    assert provider.list_clusters() == []


def test_a_failure_writes_a_log_bundle_and_names_it(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(FAKE_CONFTEST)
    pytester.makepyfile(
        test_breaks="""
        import pytest
        from minidcos import Cluster, ClusterSpec
        from conftest import FAKE

        @pytest.fixture
        def cluster():
            with Cluster.create(ClusterSpec(1, 1, 0, "broken"), provider=FAKE) as made:
                yield made

        def test_passes(cluster):
            pass

        def test_fails(cluster):
            cluster.faults.pause(cluster.agents[0])
            assert False, "the scenario failed"
        """
    )
    logs = pytester.path / "bundles"
    result = pytester.runpytest("-p", "no:cacheprovider", f"--minidcos-logs={logs}")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*- minidcos log bundle -*", f"broken: {logs}/test_breaks.py-test_fails/broken-*"]
    )
    (bundle,) = (logs / "test_breaks.py-test_fails").iterdir()
    summary = (bundle / "summary.txt").read_text()
    assert "pause: agent_0 frozen" in summary and "agent_0" in summary
    assert not (logs / "test_breaks.py-test_passes").exists()  # only failures get bundles


def test_figures_are_summed_up_and_written(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_measures="""
        def test_failover(figure):
            figure("new_leader", 3.25)
            figure("agents_back", 7.5, "s")

        def test_nothing():
            pass
        """
    )
    out = pytester.path / "figures.json"
    result = pytester.runpytest("-p", "no:cacheprovider", f"--minidcos-figures={out}")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "*minidcos: wall time of each test, and its figures*",
            "*test_measures.py::test_failover",
            "*new_leader: 3.250 s",
            "*agents_back: 7.500 s",
        ]
    )
    figures = json.loads(out.read_text())
    entry = figures["test_measures.py::test_failover"]
    assert entry["figures"]["new_leader"] == {"value": 3.25, "unit": "s"}
    assert entry["outcome"] == "passed" and entry["wall_s"] >= 0


def test_xdist_workers_make_different_ids_from_one_run_part(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[1]))
    pytester.makeconftest(FAKE_CONFTEST)
    pytester.makepyfile(
        test_ids="""
        import pytest

        @pytest.mark.parametrize("n", range(6))
        def test_id(cluster_factory, n, tmp_path_factory):
            cluster_id = cluster_factory.new_cluster_id("same")
            # Beside the workers' own base folders (runpytest-0/popen-gwN): one for all.
            out = tmp_path_factory.getbasetemp().parent.parent / "ids"
            out.mkdir(exist_ok=True)
            (out / cluster_id).write_text("")
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    result.assert_outcomes(passed=6)
    ids = sorted(p.name for p in (pytester.path / "ids").iterdir())
    assert len(ids) == 6
    runs = {i.split("w")[0] for i in ids}
    workers = {i.split("-")[0] for i in ids}
    assert len(runs) == 1 and len(workers) == 2, ids


def test_the_marker_is_registered(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_marked="""
        import pytest
        pytestmark = pytest.mark.minidcos_cluster(masters=3, agents=1)

        def test_x():
            pass
        """
    )
    pytester.runpytest("--strict-markers", "-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_install_spec_with_a_function_of_the_addresses(tmp_path: Path, installer: Path) -> None:
    provider = FakeProvider()
    seen: list[dict[str, str]] = []

    def resolvers(addresses: dict[str, str]) -> dict[str, object]:
        seen.append(dict(addresses))
        return {"resolvers": [addresses["master_0"]]}

    cluster = Cluster.create(
        ClusterSpec(1, 1, 0, "addr"),
        install=InstallSpec(installer, resolvers),  # type: ignore[arg-type]
        wait=False,
        provider=provider,
    )
    # Called with stand-in addresses to validate, then with the nodes' own to generate.
    assert seen[0]["master_0"].startswith("192.0.2.")
    assert seen[-1] == {n.reference: n.ip_address for n in cluster.nodes}
    workspace = next(iter(provider.layouts.values())).workspace
    config = (workspace / "genconf" / "config.yaml").read_text()
    assert f"- {cluster.masters[0].ip_address}" in config.split("resolvers:")[1]


def test_module_clusters_from_markers_shared_or_not(pytester: pytest.Pytester) -> None:
    # The factory's session teardown fails the run if any cluster were left.
    pytester.makeconftest(FAKE_CONFTEST + "\nSEEN = []\n")
    shared = 'pytest.mark.minidcos_cluster(masters=1, agents=0, wait=False, share="session")'
    for name, marker in (("test_one", shared), ("test_two", shared)):
        pytester.makepyfile(
            **{
                name: f"""
                import pytest
                from conftest import SEEN
                pytestmark = {marker}

                def test_it(minidcos_cluster):
                    SEEN.append(minidcos_cluster.cluster_id)
                """
            }
        )
    pytester.makepyfile(
        test_three="""
        import pytest
        from conftest import SEEN, FAKE
        pytestmark = pytest.mark.minidcos_cluster(masters=1, agents=1, wait=False)

        def test_it(minidcos_cluster):
            SEEN.append(minidcos_cluster.cluster_id)
            assert len(minidcos_cluster.agents) == 1
        """
    )
    pytester.makepyfile(
        test_zz_report="""
        from conftest import SEEN

        def test_report():
            print("SEEN", SEEN)
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-s")
    result.assert_outcomes(passed=4)
    line = next(x for x in result.outlines if "SEEN [" in x)
    one, three, two = eval(line.split("SEEN ", 1)[1])  # modules run in name order
    assert one == two != three
    assert one.endswith("-one1") and three.endswith("-three2")
