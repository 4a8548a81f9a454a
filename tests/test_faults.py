"""Faults against the fake provider: planning, records, refusals, heal, and the CLI."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from minidcos.backends.base import NodeState
from minidcos.cluster import Cluster, ClusterSpec, InstallSpec
from minidcos.errors import ConfigError, NodeNotFoundError, NotReadyError, UsageError
from minidcos.faults import (
    Fault,
    FaultError,
    partition_rules,
    plan_partition,
    signal_name,
    unpartition_rules,
)
from minidcos.installer import build
from minidcos.node import Node, Role
from tests.conftest import Cli
from tests.fake_provider import FakeProvider


@pytest.fixture
def cluster(provider: FakeProvider) -> Cluster:
    """3 masters, 2 agents (bare: the fake has no DC/OS); every unit asked about is loaded."""
    provider.fail_command("LoadState", returncode=0, stdout=b"loaded\n")
    return Cluster.create(ClusterSpec(3, 2, 0, "f"), provider=provider)


def commands(provider: FakeProvider, node: str) -> list[str]:
    return [" ".join(argv) for ref, argv, _ in provider.commands if ref == node]


@pytest.mark.parametrize(
    ("given", "name"),
    [
        ("SIGKILL", "SIGKILL"),
        ("kill", "SIGKILL"),
        ("9", "SIGKILL"),
        ("stop", "SIGSTOP"),
        (15, "SIGTERM"),
    ],
)
def test_signal_names(given: str | int, name: str) -> None:
    assert signal_name(given) == name


@pytest.mark.parametrize("bad", ["SIGNOPE", "", "999", "-9"])
def test_bad_signals_name_the_good_ones(bad: str) -> None:
    with pytest.raises(UsageError, match="is not a signal; use a name such as SIGKILL"):
        signal_name(bad)


def test_partition_plan_both_ways(cluster: Cluster) -> None:
    agent, masters = cluster.agents[0], cluster.masters
    plan = plan_partition([agent], masters, "both")
    master_ips = tuple(m.ip_address for m in masters)
    assert plan.drop_from["agent_0"] == master_ips and plan.drop_to["agent_0"] == master_ips
    for master in masters:
        assert plan.drop_from[master.reference] == (agent.ip_address,)
        assert plan.drop_to[master.reference] == (agent.ip_address,)
    assert "agent_1" not in plan.drop_from  # not part of the partition: untouched


def test_partition_plan_one_way(cluster: Cluster) -> None:
    agent, master = cluster.agents[0], cluster.masters[0]
    outgoing = plan_partition([agent], [master], "outgoing")
    assert outgoing.drop_to["agent_0"] == (master.ip_address,)
    assert outgoing.drop_from["agent_0"] == ()
    assert outgoing.drop_from["master_0"] == (agent.ip_address,)
    assert outgoing.drop_to["master_0"] == ()
    incoming = plan_partition([agent], [master], "incoming")
    assert incoming.drop_from["agent_0"] == (master.ip_address,)
    assert incoming.drop_to["master_0"] == (agent.ip_address,)


def test_partition_rules_live_in_a_chain_of_the_fault_s_own() -> None:
    script = partition_rules("ab12cd", ["192.0.2.1"], ["192.0.2.2"])
    assert "iptables -w -N minidcos-ab12cd" in script
    assert "-A minidcos-ab12cd -s 192.0.2.1 -j DROP" in script
    assert "-A minidcos-ab12cd -d 192.0.2.2 -j DROP" in script
    for hook in ("INPUT", "OUTPUT", "FORWARD"):
        assert f"iptables -w -I {hook} 1 -j minidcos-ab12cd" in script
        assert f"iptables -w -D {hook} -j minidcos-ab12cd" in unpartition_rules("ab12cd")
    assert "-X minidcos-ab12cd" in unpartition_rules("ab12cd")


def test_a_fault_record_round_trips() -> None:
    fault = Fault("abc123", "partition", ("agent_0",), peers=("master_0",), drop="outgoing")
    assert Fault.from_record("abc123", fault.to_record()) == fault
    assert fault.describe() == "partition: agent_0 | master_0 (packets from agent_0 dropped)"
    with pytest.raises(FaultError, match="unreadable record"):
        Fault.from_record("x", "{not json")


def test_kill_is_recorded_and_heal_makes_sure_the_unit_runs(
    cluster: Cluster, provider: FakeProvider
) -> None:
    master = cluster.masters[1]
    fault = cluster.faults.kill(master, "dcos-mesos-master")
    assert fault.kind == "kill" and fault.signal == "SIGKILL" and fault.nodes == ("master_1",)
    assert "systemctl kill --kill-who=main --signal=SIGKILL dcos-mesos-master" in commands(
        provider, "master_1"
    )
    assert [f.id for f in cluster.faults.active()] == [fault.id]
    # Another process sees it: the record lives with the cluster, not in this object.
    assert [f.id for f in Cluster("f", provider).faults.active()] == [fault.id]
    provider.fail_command("is-active dcos-mesos-master", returncode=3, stdout=b"failed\n")
    assert cluster.faults.heal() == [fault]
    assert "systemctl start dcos-mesos-master" in " ; ".join(commands(provider, "master_1"))
    assert cluster.faults.active() == []


def test_a_stopped_process_gets_sigcont_on_heal(cluster: Cluster, provider: FakeProvider) -> None:
    cluster.faults.kill(cluster.agents[0], "dcos-mesos-slave", "SIGSTOP")
    cluster.faults.heal()
    assert "systemctl kill --kill-who=main --signal=SIGCONT dcos-mesos-slave" in commands(
        provider, "agent_0"
    )


def test_stop_then_start_undoes_the_stop(cluster: Cluster, provider: FakeProvider) -> None:
    node = cluster.masters[0]
    stopped = cluster.faults.stop(node, "dcos-marathon")
    other = cluster.faults.stop(cluster.masters[1], "dcos-marathon")
    assert cluster.faults.start(node, "dcos-marathon") == [stopped]
    assert [f.id for f in cluster.faults.active()] == [other.id]


def test_pause_freezes_the_node_and_heal_thaws_it_first(
    cluster: Cluster, provider: FakeProvider
) -> None:
    leader = cluster.masters[2]
    killed = cluster.faults.kill(cluster.masters[0], "dcos-exhibitor")
    paused = cluster.faults.pause(leader)
    assert provider.node_state(leader) is NodeState.PAUSED
    with pytest.raises(FaultError, match="is paused, not running"):
        cluster.faults.pause(leader)
    with pytest.raises(FaultError, match="is paused"):
        cluster.faults.kill(leader, "dcos-mesos-master")
    healed = cluster.faults.heal()
    assert [f.id for f in healed] == [paused.id, killed.id]  # the thaw comes first
    assert provider.node_state(leader) is NodeState.RUNNING


def test_restart_node_keeps_its_address(cluster: Cluster, provider: FakeProvider) -> None:
    agent = cluster.agents[1]
    fault = cluster.faults.restart_node(agent, hard=True)
    assert "restart agent_1 hard" in provider.calls
    assert Cluster("f", provider).node("agent_1").ip_address == agent.ip_address
    assert fault.describe() == "restart-node: agent_1 killed and started"
    cluster.faults.heal([fault.id])
    assert cluster.faults.active() == []


def test_partition_applies_and_removes_its_rules_on_both_sides(
    cluster: Cluster, provider: FakeProvider
) -> None:
    fault = cluster.faults.partition([cluster.agents[0]], cluster.masters)
    assert fault.peers == ("master_0", "master_1", "master_2")
    for ref in ("agent_0", "master_0", "master_1", "master_2"):
        assert any(f"-N minidcos-{fault.id}" in c for c in commands(provider, ref)), ref
    assert not any("iptables" in c for c in commands(provider, "agent_1"))
    cluster.faults.heal()
    for ref in ("agent_0", "master_0"):
        assert any(f"-X minidcos-{fault.id}" in c for c in commands(provider, ref)), ref


def test_partition_from_everyone_else_by_default(cluster: Cluster) -> None:
    fault = cluster.faults.partition([cluster.masters[0]])
    assert fault.peers == ("master_1", "master_2", "agent_0", "agent_1")


def test_a_partition_that_fails_half_way_leaves_nothing(
    cluster: Cluster, provider: FakeProvider
) -> None:
    provider.fail_command("iptables -w -N", returncode=4, stderr=b"iptables: Permission denied")
    with pytest.raises(FaultError, match="Permission denied"):
        cluster.faults.partition([cluster.agents[0]], [cluster.masters[0]])
    assert cluster.faults.active() == []


@pytest.mark.parametrize(
    ("side", "peers", "message"),
    [
        (["agent_0"], ["agent_0", "master_0"], "agent_0 cannot be on both sides"),
        ([], ["master_0"], "needs a node on each side"),
    ],
)
def test_bad_partitions_are_refused(
    cluster: Cluster, side: list[str], peers: list[str], message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        cluster.faults.partition([cluster.node(r) for r in side], [cluster.node(r) for r in peers])


def test_a_paused_node_cannot_be_partitioned(cluster: Cluster) -> None:
    cluster.faults.pause(cluster.agents[0])
    with pytest.raises(FaultError, match=r"agent_0 .* is paused"):
        cluster.faults.partition([cluster.agents[0]], cluster.masters)


def test_an_unknown_unit_names_the_node_s_units(provider: FakeProvider) -> None:
    cluster = Cluster.create(ClusterSpec(1, 0, 0, "u"), provider=provider)
    provider.fail_command(
        "dcos.target.wants",
        returncode=0,
        stdout=b"dcos-exhibitor.service\ndcos-mesos-master.service\n",
    )
    with pytest.raises(
        UsageError,
        match=re.escape(
            "no unit 'dcos-nope' on master_0; its DC/OS units: "
            "dcos-exhibitor.service, dcos-mesos-master.service"
        ),
    ):
        cluster.faults.kill(cluster.masters[0], "dcos-nope")
    assert cluster.faults.active() == []


def test_heal_of_an_unknown_fault_names_the_active_ones(cluster: Cluster) -> None:
    fault = cluster.faults.pause(cluster.agents[0])
    with pytest.raises(UsageError, match=f"no active fault zzz .*active: {fault.id}"):
        cluster.faults.heal(["zzz"])


def test_heal_goes_on_after_a_fault_it_cannot_undo(
    cluster: Cluster, provider: FakeProvider
) -> None:
    stuck = cluster.faults.stop(cluster.masters[0], "dcos-marathon")
    paused = cluster.faults.pause(cluster.agents[0])
    provider.fail_command("systemctl is-active dcos-marathon", returncode=3)
    provider.fail_command("systemctl start dcos-marathon", returncode=1, stderr=b"start failed")
    with pytest.raises(FaultError, match=f"could not heal every fault:\n  {stuck.id}"):
        cluster.faults.heal()
    assert [f.id for f in cluster.faults.active()] == [stuck.id]
    assert provider.node_state(cluster.agents[0]) is NodeState.RUNNING, paused


def test_destroy_removes_the_records(cluster: Cluster, provider: FakeProvider) -> None:
    cluster.faults.pause(cluster.agents[0])
    cluster.destroy()
    assert provider.objects("f") == []


def test_heal_skips_nodes_removed_since(cluster: Cluster, provider: FakeProvider) -> None:
    cluster.faults.pause(cluster.agents[1])
    cluster.remove_node(cluster.agents[1])
    assert [n.reference for n in cluster.nodes][-1] == "agent_0"
    cluster.faults.heal()
    assert cluster.faults.active() == []


# -- roles at the moment of the fault --------------------------------------------


def test_role_references_resolve_through_the_masters(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    from minidcos import roles

    leader_ip = cluster.masters[1].ip_address

    def state(url: str, timeout: float) -> dict[str, object]:
        if cluster.masters[2].ip_address in url:
            raise ConnectionError("frozen")  # a master that does not answer is skipped
        return {"leader_info": {"hostname": leader_ip, "address": {"ip": leader_ip}}}

    monkeypatch.setattr(roles, "http_json", state)
    assert cluster.leader() == cluster.masters[1]
    assert cluster.node("mesos-leader") == cluster.masters[1]


def test_masters_that_disagree_give_no_leader(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    from minidcos import roles

    def leader(url: str, timeout: float) -> dict[str, str]:
        return {"leader": url.split("//")[1].split(":")[0] + ":8080"}  # each names itself

    monkeypatch.setattr(roles, "http_json", leader)
    with pytest.raises(roles.NoLeaderError, match=r"no Marathon leader .*master_0: 172"):
        cluster.marathon_leader(timeout_s=0)


# -- membership -------------------------------------------------------------------


@pytest.fixture(scope="module")
def installer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build.build(tmp_path_factory.mktemp("installer") / "dcos_generate_config.sh")


def installed(provider: FakeProvider, installer: Path, masters: int = 3) -> Cluster:
    return Cluster.create(
        ClusterSpec(masters, 1, 0, "m"),
        install=InstallSpec(installer),
        wait=False,
        provider=provider,
    )


def test_add_an_agent_from_the_same_installer_output(
    provider: FakeProvider, installer: Path
) -> None:
    cluster = installed(provider, installer)
    taken = {n.ip_address for n in cluster.nodes}
    node = cluster.add_node(Role.PUBLIC_AGENT, wait=False)
    assert (node.reference, node.ip_address in taken) == ("public_agent_0", False)
    assert "bash /opt/dcos_install_tmp/dcos_install.sh --no-block-dcos-setup slave_public" in (
        " ; ".join(commands(provider, "public_agent_0"))
    )
    assert cluster.add_node(Role.AGENT, wait=False).reference == "agent_1"
    assert [n.reference for n in Cluster("m", provider).nodes][-2:] == ["agent_1", "public_agent_0"]


def test_a_master_only_takes_a_removed_master_s_place(
    provider: FakeProvider, installer: Path
) -> None:
    cluster = installed(provider, installer)
    with pytest.raises(UsageError, match="a master can only take the place of one removed"):
        cluster.add_node(Role.MASTER, wait=False)
    gone = cluster.masters[1]
    cluster.remove_node(gone)
    replacement = cluster.add_node(Role.MASTER, wait=False)
    assert (replacement.reference, replacement.ip_address) == ("master_1", gone.ip_address)
    assert replacement.container_id != gone.container_id


def test_a_failed_add_removes_only_the_new_node(provider: FakeProvider, installer: Path) -> None:
    cluster = installed(provider, installer, masters=1)
    before = [n.container_id for n in cluster.nodes]
    provider.fail_command("dcos_install.sh --no-block-dcos-setup slave", returncode=1)
    with pytest.raises(Exception, match="installing DC/OS"):
        cluster.add_node(Role.AGENT, wait=False)
    assert [n.container_id for n in Cluster("m", provider).nodes] == before


def test_a_bare_cluster_has_nothing_to_install_a_node_from(cluster: Cluster) -> None:
    with pytest.raises(UsageError, match="made with `provision`"):
        cluster.add_node(Role.AGENT)


# -- log export -------------------------------------------------------------------


def test_export_logs_of_a_half_broken_cluster(cluster: Cluster, tmp_path: Path) -> None:
    fault = cluster.faults.pause(cluster.agents[0])
    bundle = cluster.export_logs(tmp_path / "bundle")
    summary = (bundle / "summary.txt").read_text()
    assert f"{fault.id}  pause: agent_0 frozen" in summary
    assert "agent_0" in summary and "frozen (paused): nothing could be read from it" in summary
    assert "state: paused" in (bundle / "agent_0" / "node.txt").read_text()
    # The fake cannot gather anything: said per node, not fatal.
    assert "could not copy its logs" in summary
    assert json.loads((bundle / "faults.json").read_text())[0]["kind"] == "pause"


# -- the CLI ----------------------------------------------------------------------


def test_cli_fault_kill_list_status_heal(cli: Cli, provider: FakeProvider) -> None:
    provider.fail_command("LoadState", returncode=0, stdout=b"loaded\n")
    cli("docker", "provision", "-c", "c", "--agents", "1", "--public-agents", "0")
    killed = cli("docker", "fault", "kill", "-c", "c", "--node", "master_0", "--unit", "dcos-x")
    assert killed.code == 0, killed.err
    fault_id = killed.out.strip()
    listed = json.loads(cli("docker", "fault", "list", "-c", "c", "--json").out)
    assert [(f["id"], f["kind"], f["nodes"]) for f in listed] == [(fault_id, "kill", ["master_0"])]
    status = cli("docker", "status", "-c", "c")
    assert "active faults: 1" in status.out and fault_id in status.out
    assert (
        json.loads(cli("docker", "status", "-c", "c", "--json").out)["faults"][0]["id"] == fault_id
    )
    healed = cli("docker", "heal", "-c", "c", "--json")
    assert [f["id"] for f in json.loads(healed.out)] == [fault_id]
    assert "active faults: 0" in cli("docker", "status", "-c", "c").out


def test_cli_partition_pause_and_restart_node(cli: Cli, provider: FakeProvider) -> None:
    cli("docker", "provision", "-c", "p", "--agents", "2", "--public-agents", "0")
    cut = cli(
        "docker",
        "fault",
        "partition",
        "-c",
        "p",
        "--node",
        "agent_0",
        "--from",
        "master_0",
        "--drop",
        "incoming",
        "--json",
    )
    assert cut.code == 0, cut.err
    assert json.loads(cut.out)[0]["description"] == (
        "partition: agent_0 | master_0 (packets to agent_0 dropped)"
    )
    assert cli("docker", "fault", "pause", "-c", "p", "--node", "agent_1").code == 0
    assert cli("docker", "fault", "unpause", "-c", "p", "--node", "agent_1").code == 0
    assert cli("docker", "fault", "restart-node", "-c", "p", "--node", "agent_1").code == 0
    assert len(json.loads(cli("docker", "fault", "list", "-c", "p", "--json").out)) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("kill", "--node", "agent_9", "--unit", "u"), "no node 'agent_9' in cluster 'b'; use"),
        (("kill", "--node", "master_0", "--unit", "u", "--signal", "BOGUS"), "is not a signal"),
        (("kill", "--node", "master_0"), "Missing option '--unit'"),
        (("pause",), "Missing option '--node'"),
        (("partition", "--node", "master_0", "--drop", "sideways"), "'sideways' is not one of"),
        (("partition", "--node", "master_0", "--from", "master_0"), "cannot be on both sides"),
    ],
)
def test_cli_bad_fault_arguments(
    cli: Cli, provider: FakeProvider, args: tuple[str, ...], message: str
) -> None:
    cli("docker", "provision", "-c", "b", "--agents", "0", "--public-agents", "0")
    result = cli("docker", "fault", *args, "-c", "b")
    assert result.code != 0 and message in result.err, result.err
    assert "Traceback" not in result.err
    assert provider.fault_records("b") == {}


def test_cli_heal_of_a_cluster_that_does_not_exist(cli: Cli, provider: FakeProvider) -> None:
    result = cli("docker", "heal", "-c", "nothere")
    assert result.code == 1 and "no cluster with the id 'nothere'" in result.err


def test_cli_add_and_remove_node(
    cli: Cli, provider: FakeProvider, installer: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    installed(provider, installer, masters=1)
    added = cli("docker", "add-node", "-c", "m", "--no-wait", "--json")
    assert added.code == 0, added.err
    assert json.loads(added.out)["reference"] == "agent_1"
    refused = cli("docker", "add-node", "-c", "m", "--role", "master", "--no-wait")
    assert refused.code == 1 and "take the place of one removed" in refused.err
    assert cli("docker", "add-node", "-c", "m", "--role", "boss").code == 2
    removed = cli("docker", "remove-node", "-c", "m", "--node", "agent_0")
    assert removed.code == 0 and removed.out.strip() == "agent_0"
    assert [n.reference for n in provider.list_nodes("m")] == ["master_0", "agent_1"]
    missing = cli("docker", "remove-node", "-c", "m", "--node", "agent_0")
    assert missing.code == 1 and "no node 'agent_0'" in missing.err


def test_cli_export_logs(cli: Cli, provider: FakeProvider, tmp_path: Path) -> None:
    cli("docker", "provision", "-c", "e", "--agents", "0", "--public-agents", "0")
    result = cli("docker", "export-logs", "-c", "e", str(tmp_path / "logs"))
    assert result.code == 0, result.err
    assert Path(result.out.strip()) == tmp_path / "logs"
    assert "cluster e: 1 master(s)" in (tmp_path / "logs" / "summary.txt").read_text()


def test_nodes_helper_is_the_facade_s_node(cluster: Cluster) -> None:
    assert isinstance(cluster.node("agent_1"), Node)
    with pytest.raises(NodeNotFoundError):
        cluster.node("agent_7")


# -- upgrades ---------------------------------------------------------------------


def test_an_upgrade_starts_with_the_masters_and_waits_for_each(
    provider: FakeProvider, installer: Path, tmp_path: Path
) -> None:
    cluster = installed(provider, installer, masters=1)
    version = tmp_path / "dcos-version.json"
    version.write_text(json.dumps({"version": "2.2.0-minidcos"}))
    for node in cluster.nodes:
        node.send_file(version, Path("/opt/mesosphere/etc/dcos-version.json"))
    upgrade_to = build.build(tmp_path / "next.sh", dcos_version="2.2.0-minidcos.next")
    # The fake's nodes answer no HTTP: the wait after the first node fails, naming its check.
    with pytest.raises(NotReadyError, match="on master_0") as info:
        cluster.upgrade(upgrade_to, wait_timeout_s=0.5, log_dir=tmp_path / "logs")
    assert "logs of every node" in str(info.value)
    scripts = [
        (ref, argv[1])
        for ref, argv, _ in provider.commands
        if argv[:1] == ["bash"] and argv[1].endswith("dcos_node_upgrade.sh")
    ]
    assert [ref for ref, _ in scripts] == ["master_0"]  # the agent waits for its turn
    assert scripts[0][1].startswith("/opt/dcos_install_tmp/upgrade/")


def test_an_upgrade_to_the_running_version_is_refused(
    provider: FakeProvider, installer: Path, tmp_path: Path
) -> None:
    cluster = installed(provider, installer, masters=1)
    version = tmp_path / "dcos-version.json"
    running = json.loads(
        subprocess.run(
            ["bash", str(installer), "--version"], capture_output=True, text=True, check=True
        ).stdout
    )["version"]
    version.write_text(json.dumps({"version": running}))
    cluster.masters[0].send_file(version, Path("/opt/mesosphere/etc/dcos-version.json"))
    with pytest.raises(ConfigError, match=f"already runs DC/OS {running}"):
        cluster.upgrade(installer)
    assert not any(
        argv[:1] == ["bash"] and "upgrade" in " ".join(argv) for _, argv, _ in provider.commands
    )


def test_cli_upgrade_refuses_a_missing_installer(
    cli: Cli, provider: FakeProvider, installer: Path, tmp_path: Path
) -> None:
    installed(provider, installer, masters=1)
    result = cli("docker", "upgrade", "-c", "m", str(tmp_path / "missing.sh"))
    assert result.code == 1 and "missing.sh does not exist" in result.err, result.err
    assert "Traceback" not in result.err
