"""The provider contract: the same cases for the Docker provider and its in-memory twin.

A test module subclasses `ProviderContract` and supplies two fixtures:
`provider` (the one under test) and `new_cluster_id` (a callable giving a
fresh cluster id that the run's leftover check covers). The fake's half
runs in `tests/test_provider_contract.py` (seconds, no engine); the Docker
provider's in `tests/engine/test_provider_contract.py`.
"""

from __future__ import annotations

import secrets
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from minidcos.backends.base import ClusterPlan, NodeRecord, NodeState, Output, Provider, Role
from minidcos.cluster import ClusterSpec
from minidcos.errors import ClusterExistsError, CommandError, TransferError, UsageError
from minidcos.status import Status


def plan_for(provider: Provider, cluster_id: str, token: str, agents: int = 0) -> ClusterPlan:
    network = provider.create_network(cluster_id, token)
    return ClusterPlan(
        cluster_id=cluster_id,
        run_token=token,
        nodes=ClusterSpec(1, agents, 0, cluster_id).node_plans(network.subnet),
        network=network.name,
        workspace=Path("/nonexistent/minidcos-contract"),
        image=provider.ensure_image(Status.silent()),
    )


def run(provider: Provider, node: NodeRecord, argv: list[str], **kwargs: object) -> bytes:
    options: dict[str, object] = {
        "env": {},
        "output": Output.CAPTURE,
        "tty": False,
        "check": True,
        "input": None,
    }
    options.update(kwargs)
    return provider.exec(node, argv, **options).stdout  # type: ignore[arg-type]


class ProviderContract:
    @pytest.fixture(scope="class")
    @classmethod
    def node(cls, provider: Provider, new_cluster_id: Callable[[], str]) -> Iterator[NodeRecord]:
        """One bare master, shared by the read-and-write cases."""
        cluster_id = new_cluster_id()
        records = provider.provision(plan_for(provider, cluster_id, "t0"), Status.silent())
        yield records[0]
        provider.delete_cluster(cluster_id)

    # -- lifecycle --------------------------------------------------------------

    def test_provision_list_and_delete(
        self, provider: Provider, new_cluster_id: Callable[[], str]
    ) -> None:
        cluster_id = new_cluster_id()
        plan = plan_for(provider, cluster_id, secrets.token_hex(4), agents=1)
        assert plan.nodes[0].ip_address.endswith(".2")
        made = provider.provision(plan, Status.silent())
        assert [(r.role, r.index) for r in made] == [(Role.MASTER, 0), (Role.AGENT, 0)]
        assert [r.ip_address for r in made] == [p.ip_address for p in plan.nodes]
        assert made[0].container_name == f"minidcos-{cluster_id}-master-0"
        assert cluster_id in provider.list_clusters()
        assert provider.list_nodes(cluster_id) == made
        assert provider.delete_cluster(cluster_id) is True
        assert cluster_id not in provider.list_clusters()
        assert provider.list_nodes(cluster_id) == []
        assert provider.delete_cluster(cluster_id) is False  # idempotent

    def test_a_network_alone_is_a_cluster_that_destroy_removes(
        self, provider: Provider, new_cluster_id: Callable[[], str]
    ) -> None:
        """What an interrupted create could not undo still shows, and goes."""
        cluster_id = new_cluster_id()
        provider.create_network(cluster_id, "t1")
        assert cluster_id in provider.list_clusters()
        assert provider.delete_cluster(cluster_id) is True
        assert cluster_id not in provider.list_clusters()

    def test_the_network_claims_the_cluster_id(
        self, provider: Provider, new_cluster_id: Callable[[], str]
    ) -> None:
        cluster_id = new_cluster_id()
        provider.create_network(cluster_id, "winner")
        try:
            with pytest.raises(ClusterExistsError, match="already exists"):
                provider.create_network(cluster_id, "loser")
            # The loser's cleanup removes only what carries its token: nothing.
            assert provider.delete_cluster(cluster_id, run_token="loser") is False
            assert cluster_id in provider.list_clusters()
        finally:
            provider.delete_cluster(cluster_id)

    def test_a_runs_cleanup_removes_only_what_that_run_made(
        self, provider: Provider, new_cluster_id: Callable[[], str]
    ) -> None:
        cluster_id = new_cluster_id()
        made = provider.provision(plan_for(provider, cluster_id, "mine"), Status.silent())
        try:
            assert provider.delete_cluster(cluster_id, run_token="other") is False
            assert provider.list_nodes(cluster_id) == made
            assert provider.delete_cluster(cluster_id, run_token="mine") is True
            assert cluster_id not in provider.list_clusters()
        finally:
            provider.delete_cluster(cluster_id)

    # -- commands ---------------------------------------------------------------

    def test_exec_captures_output_and_passes_env_and_input(
        self, provider: Provider, node: NodeRecord
    ) -> None:
        assert run(provider, node, ["echo", "hello", "node"]) == b"hello node\n"
        assert run(provider, node, ["hostname"]).strip() == node.container_name.encode()
        assert run(provider, node, ["printenv", "GREETING"], env={"GREETING": "hi"}) == b"hi\n"
        assert run(provider, node, ["cat"], input=b"from stdin") == b"from stdin"

    def test_exec_exit_status(self, provider: Provider, node: NodeRecord) -> None:
        proc = provider.exec(
            node,
            ["cat", "/no/such/file"],
            env={},
            output=Output.CAPTURE,
            tty=False,
            check=False,
            input=None,
        )
        assert proc.returncode == 1 and b"No such file" in proc.stderr
        with pytest.raises(CommandError) as info:
            run(provider, node, ["false"])
        assert info.value.returncode == 1 and info.value.argv == ["false"]
        assert info.value.where == str(node)

    # -- files ------------------------------------------------------------------

    @pytest.mark.parametrize("folder", ["/tmp", "/run", "/root", "/root/missing/parent"])
    def test_a_file_goes_and_comes_back_byte_for_byte(
        self, provider: Provider, node: NodeRecord, tmp_path: Path, folder: str
    ) -> None:
        source = tmp_path / "data.bin"
        source.write_bytes(bytes(range(256)) * 9)
        remote = Path(folder) / f"contract-{secrets.token_hex(3)}.bin"
        sent = provider.send_file(node, source, remote)
        assert (sent.files, sent.bytes, sent.sha256_verified) == (1, 2304, True)
        assert run(provider, node, ["cat", str(remote)]) == source.read_bytes()
        back = tmp_path / "back" / "data.bin"
        received = provider.download_file(node, remote, back)
        assert back.read_bytes() == source.read_bytes() and received.files == 1

    def test_a_folder_keeps_its_modes(
        self, provider: Provider, node: NodeRecord, tmp_path: Path
    ) -> None:
        source = tmp_path / "tree"
        (source / "bin").mkdir(parents=True)
        (source / "bin" / "tool").write_text("#!/bin/sh\necho tool\n")
        (source / "bin" / "tool").chmod(0o755)
        (source / "README").write_text("read me\n")
        remote = Path("/tmp") / f"contract-tree-{secrets.token_hex(3)}"
        assert provider.send_file(node, source, remote).files == 2
        assert run(provider, node, ["cat", f"{remote}/README"]) == b"read me\n"
        back = tmp_path / "back"
        assert provider.download_file(node, remote, back).files == 2
        assert (back / "bin" / "tool").read_text() == "#!/bin/sh\necho tool\n"
        assert stat.S_IMODE((back / "bin" / "tool").stat().st_mode) == 0o755
        assert stat.S_IMODE((back / "README").stat().st_mode) == 0o644

    def test_copies_that_cannot_be_made_are_errors(
        self, provider: Provider, node: NodeRecord, tmp_path: Path
    ) -> None:
        source = tmp_path / "x.txt"
        source.write_text("x")
        remote = Path("/root") / f"contract-{secrets.token_hex(3)}.txt"
        provider.send_file(node, source, remote)
        with pytest.raises(TransferError, match="is a file, not a folder"):
            provider.send_file(node, source, remote / "child.txt")  # a file's child
        with pytest.raises(TransferError, match="does not exist"):
            provider.download_file(node, Path("/no/such/thing"), tmp_path / "nothing")
        with pytest.raises(UsageError, match="does not exist"):
            provider.send_file(node, tmp_path / "missing", Path("/root/missing"))

    # -- membership and fault primitives ------------------------------------------

    def test_layout_and_deleting_one_node(
        self, provider: Provider, new_cluster_id: Callable[[], str]
    ) -> None:
        cluster_id = new_cluster_id()
        plan = plan_for(provider, cluster_id, "lay", agents=1)
        master, agent = provider.provision(plan, Status.silent())
        try:
            layout = provider.layout(cluster_id)
            assert layout.network.name == plan.network
            assert str(layout.network.subnet.network_address).rsplit(".", 1)[0] in master.ip_address
            assert layout.image == plan.image and layout.mounts == plan.mounts
            provider.delete_node(agent)
            assert provider.list_nodes(cluster_id) == [master]
            assert provider.node_state(agent) is NodeState.GONE
            provider.delete_node(agent)  # idempotent
        finally:
            provider.delete_cluster(cluster_id)

    def test_pause_freezes_and_unpause_thaws(self, provider: Provider, node: NodeRecord) -> None:
        assert provider.node_state(node) is NodeState.RUNNING
        provider.pause(node)
        try:
            assert provider.node_state(node) is NodeState.PAUSED
            proc = provider.exec(
                node, ["true"], env={}, output=Output.CAPTURE, tty=False, check=False, input=None
            )
            assert proc.returncode != 0 and b"paused" in proc.stderr
        finally:
            provider.unpause(node)
        assert provider.node_state(node) is NodeState.RUNNING
        assert run(provider, node, ["echo", "thawed"]) == b"thawed\n"

    @pytest.mark.parametrize("hard", [False, True])
    def test_restart_keeps_the_address_and_the_disk(
        self, provider: Provider, node: NodeRecord, tmp_path: Path, hard: bool
    ) -> None:
        source = tmp_path / "kept.txt"
        source.write_text("still here\n")
        provider.send_file(node, source, Path("/root/kept.txt"))
        provider.restart(node, hard=hard, status=Status.silent())
        assert provider.node_state(node) is NodeState.RUNNING
        (after,) = [n for n in provider.list_nodes(node.cluster_id) if n == node]
        assert after.ip_address == node.ip_address
        assert run(provider, node, ["cat", "/root/kept.txt"]) == b"still here\n"
        assert run(provider, node, ["systemctl", "is-system-running"]).strip() in (
            b"running",
            b"degraded",
        )

    def test_fault_records_live_and_die_with_the_cluster(
        self, provider: Provider, new_cluster_id: Callable[[], str]
    ) -> None:
        cluster_id = new_cluster_id()
        provider.create_network(cluster_id, "rec")
        try:
            provider.record_fault(cluster_id, "aa11bb", '{"kind": "pause"}')
            provider.record_fault(cluster_id, "cc22dd", '{"kind": "stop"}')
            assert provider.fault_records(cluster_id) == {
                "aa11bb": '{"kind": "pause"}',
                "cc22dd": '{"kind": "stop"}',
            }
            provider.delete_fault_record(cluster_id, "aa11bb")
            provider.delete_fault_record(cluster_id, "aa11bb")  # idempotent
            assert list(provider.fault_records(cluster_id)) == ["cc22dd"]
        finally:
            provider.delete_cluster(cluster_id)
        assert provider.fault_records(cluster_id) == {}
        assert cluster_id not in provider.list_clusters()
