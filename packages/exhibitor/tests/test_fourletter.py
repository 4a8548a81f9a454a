from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from dcos_exhibitor.fourletter import (
    InstanceState,
    ServerStatus,
    cluster_status,
    four_letter_word,
    parse_mntr,
    parse_mode,
    probe,
    status_from_answer,
)
from exhibitor_fakes import SRVR_LEADER, FakeZooKeeper

# Answers captured from Debian's ZooKeeper 3.8.0 (and SRVR_LEADER in exhibitor_fakes).
SRVR_FOLLOWER = SRVR_LEADER.replace("Mode: leader", "Mode: follower").replace(
    "Proposal sizes last/min/max: -1/-1/-1\n", ""
)
SRVR_STANDALONE = SRVR_FOLLOWER.replace("Mode: follower", "Mode: standalone")
MNTR_FOLLOWER = (
    "zk_version\t3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC\n"
    "zk_server_state\tfollower\nzk_peer_state\tfollowing - broadcast\nzk_znode_count\t5\n"
    "zk_quorum_size\t3\n"
)
NOT_SERVING = "This ZooKeeper instance is not currently serving requests\n"


@pytest.mark.parametrize(
    ("answer", "mode"),
    [
        (SRVR_LEADER, "leader"),
        (SRVR_FOLLOWER, "follower"),
        (SRVR_STANDALONE, "standalone"),
        (MNTR_FOLLOWER, "follower"),
        (MNTR_FOLLOWER.replace("follower", "leader"), "leader"),
        (NOT_SERVING, None),
        ("", None),
    ],
)
def test_parse_mode(answer: str, mode: str | None) -> None:
    assert parse_mode(answer) == mode


def test_parse_mntr() -> None:
    values = parse_mntr(MNTR_FOLLOWER)
    assert values["zk_server_state"] == "follower"
    assert values["zk_quorum_size"] == "3"
    assert values["zk_version"].startswith("3.8.0")


@pytest.mark.parametrize(
    ("answer", "state", "leader"),
    [
        (SRVR_LEADER, InstanceState.SERVING, True),
        (SRVR_STANDALONE, InstanceState.SERVING, True),
        (SRVR_FOLLOWER, InstanceState.SERVING, False),
        (MNTR_FOLLOWER, InstanceState.SERVING, False),
        (NOT_SERVING, InstanceState.NOT_SERVING, False),
        ("", InstanceState.NOT_SERVING, False),
        (SRVR_FOLLOWER.replace("follower", "read-only"), InstanceState.NOT_SERVING, False),
    ],
)
def test_status_from_answer(answer: str, state: InstanceState, leader: bool) -> None:
    status = status_from_answer("192.0.2.1", answer)
    assert (status.state, status.is_leader) == (state, leader)


def test_server_status_json_is_exhibitors_shape() -> None:
    assert ServerStatus("192.0.2.1", InstanceState.SERVING, is_leader=True).to_json() == {
        "code": 3,
        "description": "serving",
        "hostname": "192.0.2.1",
        "isLeader": True,
    }
    assert ServerStatus("192.0.2.2", InstanceState.NOT_SERVING).to_json()["description"] == (
        "not serving"
    )
    assert [s.description for s in InstanceState] == ["latent", "down", "not serving", "serving"]


@pytest.fixture
def leader() -> Iterator[FakeZooKeeper]:
    zk = FakeZooKeeper({"srvr": SRVR_LEADER, "ruok": "imok"})
    yield zk
    zk.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_four_letter_word_reads_the_whole_answer(leader: FakeZooKeeper) -> None:
    assert four_letter_word("127.0.0.1", "srvr", port=leader.port) == SRVR_LEADER
    assert four_letter_word("127.0.0.1", "ruok", port=leader.port) == "imok"
    assert leader.words == ["srvr", "ruok"]


def test_four_letter_word_refuses_other_words() -> None:
    with pytest.raises(ValueError):
        four_letter_word("127.0.0.1", "srvr\nx", port=1)


def test_probe_asks_srvr(leader: FakeZooKeeper) -> None:
    status = probe("127.0.0.1", port=leader.port)
    assert status == ServerStatus("127.0.0.1", InstanceState.SERVING, is_leader=True, mode="leader")
    assert leader.words == ["srvr"]


def test_a_server_that_does_not_listen_is_down() -> None:
    status = probe("127.0.0.1", port=free_port(), timeout=0.5)
    assert (status.state, status.is_leader) == (InstanceState.DOWN, False)


def test_cluster_status_keeps_master_list_order(leader: FakeZooKeeper) -> None:
    # 127.0.0.2 is loopback too, but nothing listens there on this port.
    statuses = cluster_status(["127.0.0.2", "127.0.0.1"], port=leader.port, timeout=0.5)
    assert [(s.hostname, s.state) for s in statuses] == [
        ("127.0.0.2", InstanceState.DOWN),
        ("127.0.0.1", InstanceState.SERVING),
    ]
