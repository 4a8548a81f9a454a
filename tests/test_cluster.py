"""The orchestrator against the fake provider: order of steps, validation, cleanup, references."""

from __future__ import annotations

import ipaddress
import subprocess
from pathlib import Path

import pytest

from minidcos import wait as readiness
from minidcos.backends.base import Mount
from minidcos.cluster import Cluster, ClusterSpec, InstallSpec, resolve_node, validate_cluster_id
from minidcos.errors import (
    ClusterExistsError,
    ClusterNotFoundError,
    ConfigError,
    NodeNotFoundError,
    NotReadyError,
    StepError,
    UsageError,
)
from minidcos.installer import build
from tests.fake_provider import FakeProvider


@pytest.fixture(scope="module")
def installer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build.build(tmp_path_factory.mktemp("installer") / "dcos_generate_config.sh")


@pytest.mark.parametrize("bad", ["", "-x", "a b", "a/b", "ü", "x" * 41, ".hidden"])
def test_invalid_cluster_ids_are_rejected(bad: str) -> None:
    with pytest.raises(UsageError, match="invalid cluster id"):
        validate_cluster_id(bad)


@pytest.mark.parametrize("good", ["default", "ci-1", "a.b_c", "X9", "x" * 40])
def test_valid_cluster_ids(good: str) -> None:
    assert validate_cluster_id(good) == good


def test_static_addresses_in_role_order() -> None:
    plans = ClusterSpec(3, 2, 1).node_plans(ipaddress.IPv4Network("172.28.5.0/24"))
    assert [(p.role.value, p.index, p.ip_address) for p in plans] == [
        ("master", 0, "172.28.5.2"),
        ("master", 1, "172.28.5.3"),
        ("master", 2, "172.28.5.4"),
        ("agent", 0, "172.28.5.5"),
        ("agent", 1, "172.28.5.6"),
        ("public_agent", 0, "172.28.5.7"),
    ]


def test_create_bare_cluster() -> None:
    provider = FakeProvider()
    cluster = Cluster.create(ClusterSpec(1, 2, 1, "c1"), provider=provider)
    assert [n.reference for n in cluster.nodes] == [
        "master_0",
        "agent_0",
        "agent_1",
        "public_agent_0",
    ]
    assert provider.calls == [
        "ensure_image",
        "ensure_registry",
        "create_network c1",
        "attach_registry minidcos-c1",
        "provision c1",
    ]


def test_duplicate_cluster_id_makes_nothing() -> None:
    provider = FakeProvider()
    Cluster.create(ClusterSpec(1, 0, 0, "dup"), provider=provider)
    provider.calls.clear()
    with pytest.raises(ClusterExistsError, match="already exists"):
        Cluster.create(ClusterSpec(1, 0, 0, "dup"), provider=provider)
    assert provider.calls == []


def test_the_loser_of_a_race_removes_nothing_of_the_winners(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two creates passed the "exists?" check together; the network decides, and the loser's
    cleanup (by its own run token) leaves the winner whole."""
    provider = FakeProvider()
    winner = Cluster.create(ClusterSpec(1, 1, 0, "race"), provider=provider)
    monkeypatch.setattr(provider, "list_clusters", lambda: [])  # the loser looked too early
    with pytest.raises(ClusterExistsError):
        Cluster.create(ClusterSpec(1, 1, 0, "race"), provider=provider)
    assert provider.list_nodes("race") == winner.nodes
    assert "network race" in provider.objects("race")


@pytest.mark.parametrize("failure", [RuntimeError("boom"), KeyboardInterrupt()])
def test_failed_or_interrupted_create_removes_everything(
    failure: BaseException, minidcos_home: Path
) -> None:
    provider = FakeProvider(fail_provision=failure)
    with pytest.raises(type(failure)):
        Cluster.create(ClusterSpec(1, 1, 0, "broken"), provider=provider)
    assert provider.calls[-1] == "delete_cluster broken"
    assert provider.objects("broken") == []
    assert list((minidcos_home / "workspaces").iterdir()) == []


def test_retain_keeps_what_was_made() -> None:
    provider = FakeProvider(fail_provision=RuntimeError("boom"))
    with pytest.raises(RuntimeError):
        Cluster.create(ClusterSpec(1, 1, 0, "kept"), provider=provider, retain=True)
    assert "delete_cluster kept" not in provider.calls
    assert provider.list_clusters() == ["kept"]


def test_bad_config_is_rejected_before_anything_is_made(installer: Path) -> None:
    provider = FakeProvider()
    install = InstallSpec(
        installer,
        extra_config={"oauth_enabled": "maybe", "check_time": "sometimes"},
    )
    with pytest.raises(ConfigError) as info:
        Cluster.create(ClusterSpec(1, 1, 0, "badcfg"), install=install, provider=provider)
    assert "oauth_enabled: Must be one of 'true', 'false'. Got 'maybe'." in info.value.messages
    assert "check_time: Must be one of 'true', 'false'. Got 'sometimes'." in info.value.messages
    assert provider.calls == []


def test_node_lists_come_from_the_nodes_only(installer: Path) -> None:
    provider = FakeProvider()
    install = InstallSpec(installer, extra_config={"master_list": ["192.0.2.4"]})
    with pytest.raises(ConfigError, match="master_list: set from the cluster's nodes"):
        Cluster.create(ClusterSpec(1, 0, 0, "lists"), install=install, provider=provider)
    assert provider.calls == []


def test_dcos_needs_a_quorum_of_masters_before_anything_is_made(installer: Path) -> None:
    provider = FakeProvider()
    with pytest.raises(UsageError, match="--masters must be 1, 3, 5, 7 or 9 for DC/OS"):
        Cluster.create(
            ClusterSpec(2, 0, 0, "two"), install=InstallSpec(installer), provider=provider
        )
    assert provider.calls == []
    # Bare nodes may come in any number.
    Cluster.create(ClusterSpec(2, 0, 0, "two"), provider=provider)


def test_a_hostname_over_64_characters_is_refused_up_front() -> None:
    provider = FakeProvider()
    spec = ClusterSpec(1, 0, 11, "x" * 40)
    with pytest.raises(UsageError) as info:
        Cluster.create(spec, provider=provider)
    assert "would be 65 characters, over Linux's 64" in str(info.value)
    assert "use an id of at most 39 characters" in str(info.value)
    assert provider.calls == []
    Cluster.create(ClusterSpec(1, 0, 10, "x" * 40), provider=provider)  # 64: fits


def test_a_missing_host_path_is_not_created(tmp_path: Path) -> None:
    provider = FakeProvider()
    spec = ClusterSpec(1, 0, 0, "vol", custom_volumes=(Mount(str(tmp_path / "nope"), "/data"),))
    with pytest.raises(UsageError, match="does not exist; create it first"):
        Cluster.create(spec, provider=provider)
    assert not (tmp_path / "nope").exists() and provider.calls == []


def test_a_named_volume_create_made_goes_with_the_cluster() -> None:
    provider = FakeProvider()
    provider.volumes["users-own"] = ("someone-else", "t")
    mounts = (Mount("made-for-us", "/a"), Mount("users-own", "/b"))
    cluster = Cluster.create(ClusterSpec(1, 0, 0, "nv", custom_volumes=mounts), provider=provider)
    assert "volume made-for-us" in provider.objects("nv")
    cluster.destroy()
    assert "made-for-us" not in provider.volumes and "users-own" in provider.volumes


def test_install_runs_dcos_install_sh_with_each_role(installer: Path) -> None:
    provider = FakeProvider()
    Cluster.create(
        ClusterSpec(1, 1, 1, "inst"), install=InstallSpec(installer), wait=False, provider=provider
    )
    ran = sorted(
        (ref, argv[-1]) for ref, argv, _ in provider.commands if "dcos_install.sh" in argv[1]
    )
    assert ran == [("agent_0", "slave"), ("master_0", "master"), ("public_agent_0", "slave_public")]


def test_a_failed_install_names_the_command_and_its_output(installer: Path) -> None:
    provider = FakeProvider()
    provider.fail_command(
        "dcos_install.sh", returncode=1, stderr=b"PREFLIGHT: port 2181 is already in use\n"
    )
    with pytest.raises(StepError, match=r"dcos_install\.sh failed on master_0") as info:
        Cluster.create(
            ClusterSpec(1, 0, 0, "fails"), install=InstallSpec(installer), provider=provider
        )
    failed = info.value.__cause__
    assert failed is not None and "dcos_install.sh" in " ".join(failed.argv)  # type: ignore[attr-defined]
    assert b"port 2181 is already in use" in failed.stderr  # type: ignore[attr-defined]
    assert provider.objects("fails") == []


def test_an_interrupted_wait_removes_everything(
    installer: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(readiness, "wait_until", interrupted)
    provider = FakeProvider()
    with pytest.raises(KeyboardInterrupt):
        Cluster.create(
            ClusterSpec(1, 0, 0, "intw"), install=InstallSpec(installer), provider=provider
        )
    assert provider.objects("intw") == []


def test_a_failed_wait_keeps_nothing_and_says_which_check(
    installer: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    provider = FakeProvider()
    # The fake runs no dcos_install.sh for real: the check that DC/OS is there fails at once.
    with pytest.raises(NotReadyError, match="'DC/OS is installed' on master_0") as info:
        Cluster.create(
            ClusterSpec(1, 0, 0, "nw"),
            install=InstallSpec(installer),
            provider=provider,
            wait_timeout_s=0,
        )
    assert "logs of every node" in str(info.value)
    assert provider.objects("nw") == []


def test_unknown_cluster() -> None:
    with pytest.raises(ClusterNotFoundError, match="no cluster with the id 'nope'"):
        _ = Cluster("nope", FakeProvider()).nodes


def test_destroy_is_idempotent() -> None:
    provider = FakeProvider()
    cluster = Cluster.create(ClusterSpec(1, 0, 0, "gone"), provider=provider)
    assert cluster.destroy() is True
    assert cluster.destroy() is False


def test_context_manager_destroys() -> None:
    provider = FakeProvider()
    with Cluster.create(ClusterSpec(1, 0, 0, "ctx"), provider=provider):
        assert provider.list_clusters() == ["ctx"]
    assert provider.list_clusters() == []


def test_node_references() -> None:
    cluster = Cluster.create(ClusterSpec(1, 2, 0, "refs"), provider=FakeProvider())
    nodes = cluster.nodes
    agent = nodes[2]
    assert resolve_node(nodes, "agent_1", "refs") == agent
    assert resolve_node(nodes, agent.ip_address, "refs") == agent
    assert resolve_node(nodes, agent.container_name, "refs") == agent
    assert resolve_node(nodes, agent.container_id, "refs") == agent
    assert resolve_node(nodes, agent.container_id[:8], "refs") == agent
    with pytest.raises(NodeNotFoundError, match="master_0, agent_0, agent_1"):
        resolve_node(nodes, "agent_7", "refs")


def test_test_environment() -> None:
    cluster = Cluster.create(ClusterSpec(1, 2, 1, "env"), provider=FakeProvider())
    env = cluster.test_environment()
    assert env["MASTER_HOSTS"] == cluster.masters[0].ip_address
    assert env["SLAVE_HOSTS"].count(",") == 1
    assert env["DCOS_NUM_AGENTS"] == "3" and env["DCOS_NUM_MASTERS"] == "1"
    assert env["DCOS_DNS_ADDRESS"] == f"http://{cluster.masters[0].ip_address}"


class IamProvider(FakeProvider):
    """A fake whose master answers `dcos-oauth login` with a token, as ours does."""

    def exec(self, node, argv, **kwargs):  # type: ignore[no-untyped-def]
        proc = super().exec(node, argv, **kwargs)
        if argv[:2] == ["/opt/mesosphere/bin/dcos-oauth", "login"]:
            return subprocess.CompletedProcess(argv, 0, b"aaa.bbb.ccc\n", b"")
        return proc


def test_suites_get_a_token_for_dcos_ci_user() -> None:
    provider = IamProvider()
    cluster = Cluster.create(ClusterSpec(1, 0, 0, "tok"), provider=provider)
    cluster.run_with_test_environment(["pytest"], env={"X": "y"})
    login, run = provider.commands[-2:]
    assert login[1][-2:] == ["--add-user", "albert@bekstil.net"]
    assert run[2]["DCOS_ACS_TOKEN"] == "aaa.bbb.ccc" and run[2]["X"] == "y"


def test_no_token_where_the_iam_cannot_mint_one() -> None:
    provider = FakeProvider()  # answers every command with empty output
    cluster = Cluster.create(ClusterSpec(1, 0, 0, "notok"), provider=provider)
    cluster.run_with_test_environment(["pytest"])
    assert "DCOS_ACS_TOKEN" not in provider.commands[-1][2]
