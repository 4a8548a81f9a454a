from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from dcos_exhibitor.api import build_router, list_form, package_version, state_document
from dcos_exhibitor.ensemble import make_ensemble
from dcos_internal_utils.http import Request, Response, Router
from exhibitor_fakes import SRVR_LEADER, FakeZooKeeper

# Three loopback addresses stand in for three masters; each runs a fake
# ZooKeeper on the same port, as real masters do on 2181.
MASTERS = ["127.0.0.1", "127.0.0.2", "127.0.0.3"]
SRVR_FOLLOWER = SRVR_LEADER.replace("Mode: leader", "Mode: follower")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def zk_port() -> Iterator[int]:
    port = free_port()
    servers = [
        FakeZooKeeper({"srvr": SRVR_FOLLOWER, "ruok": "imok"}, host=MASTERS[0], port=port),
        FakeZooKeeper({"srvr": SRVR_LEADER, "ruok": "imok"}, host=MASTERS[1], port=port),
        # MASTERS[2]: nothing listens, as when its ZooKeeper is down.
    ]
    yield port
    for server in servers:
        server.close()


def get(router: Router, path: str, headers: dict[str, str] | None = None) -> Response:
    return router.dispatch(
        Request(method="GET", path=path, query={}, headers=headers or {}, body=b"")
    )


def get_json(router: Router, path: str) -> Any:
    response = get(router, path)
    assert response.status == 200, response.body
    return json.loads(response.body)


@pytest.fixture
def router(zk_port: int) -> Router:
    return build_router(make_ensemble(MASTERS, MASTERS[0]), "3.8.0", zk_port=zk_port, api_port=1)


def test_cluster_status_asks_every_server(router: Router) -> None:
    assert get_json(router, "/exhibitor/v1/cluster/status") == [
        {"code": 3, "description": "serving", "hostname": "127.0.0.1", "isLeader": False},
        {"code": 3, "description": "serving", "hostname": "127.0.0.2", "isLeader": True},
        {"code": 1, "description": "down", "hostname": "127.0.0.3", "isLeader": False},
    ]


def test_cluster_list(router: Router) -> None:
    assert get_json(router, "/exhibitor/v1/cluster/list") == {"servers": MASTERS, "port": 2181}


def test_cluster_list_form_for_curator(router: Router) -> None:
    response = get(
        router,
        "/exhibitor/v1/cluster/list",
        headers={"accept": "application/x-www-form-urlencoded"},
    )
    assert response.body.decode() == (
        "count=3&server0=127.0.0.1&server1=127.0.0.2&server2=127.0.0.3&port=2181"
    )
    assert (
        list_form(make_ensemble(["192.0.2.1"], "192.0.2.1"))
        == "count=1&server0=192.0.2.1&port=2181"
    )


def test_get_state(router: Router) -> None:
    state = get_json(router, "/exhibitor/v1/config/get-state")
    assert state["running"] is True
    assert state["backupActive"] is False
    assert state["standaloneMode"] is False
    config = state["config"]
    assert config["serversSpec"] == "1:127.0.0.1,2:127.0.0.2,3:127.0.0.3"
    assert config["hostname"] == "127.0.0.1"
    assert config["serverId"] == 1
    assert (config["clientPort"], config["connectPort"], config["electionPort"]) == (
        2181,
        2888,
        3888,
    )
    assert config["zookeeperDataDirectory"].startswith("/var/lib/dcos/exhibitor/zookeeper")
    assert config["zooCfgExtra"]["admin.enableServer"] == "false"


def test_get_state_not_running() -> None:
    ensemble = make_ensemble(["192.0.2.1"], "192.0.2.1")
    state = state_document(ensemble, "1", running=False)
    assert state["running"] is False
    assert state["standaloneMode"] is True


def test_local_state(router: Router) -> None:
    state = get_json(router, "/exhibitor/v1/cluster/state")
    assert (state["state"], state["description"]) == (3, "serving")
    remote = get_json(router, "/exhibitor/v1/cluster/state/127.0.0.1")
    assert remote["success"] is True
    assert remote["response"]["state"] == 3


def test_remote_state_of_an_unreachable_exhibitor_is_an_error(router: Router) -> None:
    # api_port=1: nothing answers there.
    remote = get_json(router, "/exhibitor/v1/cluster/state/127.0.0.3")
    assert remote["success"] is False
    assert remote["errorMessage"]


def test_remote_state_only_for_ensemble_members(router: Router) -> None:
    remote = get_json(router, "/exhibitor/v1/cluster/state/192.0.2.1")
    assert remote == {
        "response": {},
        "errorMessage": "192.0.2.1 is not in the ensemble",
        "success": False,
    }


def test_four_letter_words(router: Router) -> None:
    assert get_json(router, "/exhibitor/v1/cluster/4ltr/ruok") == "imok"
    assert get_json(router, "/exhibitor/v1/cluster/4ltr/srvr/127.0.0.2")["response"] == SRVR_LEADER
    assert get_json(router, "/exhibitor/v1/cluster/4ltr/nope!") == "* unknown *"
    down = get_json(router, "/exhibitor/v1/cluster/4ltr/srvr/127.0.0.3")
    assert down["success"] is False


def test_unknown_path_is_404(router: Router) -> None:
    assert get(router, "/exhibitor/v1/cluster/nothing").status == 404


def test_package_version_comes_from_buildinfo() -> None:
    assert package_version() == "3.8.0"


def test_root_sends_browsers_to_the_ui_by_path(router: Router) -> None:
    response = get(router, "/", headers={"host": "bad.host"})
    assert response.status == 302
    assert response.headers["Location"] == "/exhibitor/v1/ui/index.html"


def test_ui_shows_every_server(router: Router) -> None:
    response = get(router, "/exhibitor/v1/ui/index.html")
    page = response.body.decode()
    assert response.status == 200 and "<title>Exhibitor for ZooKeeper</title>" in page
    for ip in MASTERS:
        assert f"<td>{ip}</td>" in page
    assert page.count("leader</td>") == 1
