from __future__ import annotations

import pytest
from dcos_exhibitor.ensemble import (
    EnsembleError,
    make_ensemble,
    my_id,
    render_zoo_cfg,
    servers_spec,
    validate_masters,
)

THREE = ["172.28.0.2", "172.28.0.3", "172.28.0.4"]


def cfg_lines(text: str) -> dict[str, str]:
    return dict(
        line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#")
    )


@pytest.mark.parametrize(
    ("ip", "expected"), [("172.28.0.2", 1), ("172.28.0.3", 2), ("172.28.0.4", 3)]
)
def test_my_id_is_the_1_based_position_in_master_list(ip: str, expected: int) -> None:
    assert my_id(THREE, ip) == expected


def test_a_node_not_in_master_list_has_no_id() -> None:
    with pytest.raises(EnsembleError, match=r"172\.28\.0\.9 is not in master_list"):
        make_ensemble(THREE, "172.28.0.9")


@pytest.mark.parametrize("count", [1, 3, 5])
def test_allowed_sizes(count: int) -> None:
    masters = [f"192.0.2.{i}" for i in range(1, count + 1)]
    assert validate_masters(masters) == masters


@pytest.mark.parametrize("count", [0, 2, 4, 6])
def test_even_or_empty_ensembles_are_refused(count: int) -> None:
    masters = [f"192.0.2.{i}" for i in range(1, count + 1)]
    with pytest.raises(EnsembleError, match=f"Must have 1, 3, 5, 7, or 9 masters. Found {count}"):
        validate_masters(masters)


def test_duplicates_and_bad_addresses_are_refused() -> None:
    with pytest.raises(EnsembleError, match="duplicates"):
        validate_masters(["192.0.2.1", "192.0.2.1", "192.0.2.2"])
    with pytest.raises(EnsembleError, match="not an IPv4 address: 'master-1'"):
        validate_masters(["master-1"])


def test_servers_spec_is_exhibitors_id_colon_host_list() -> None:
    assert servers_spec(THREE) == "1:172.28.0.2,2:172.28.0.3,3:172.28.0.4"


def test_zoo_cfg_for_three_masters() -> None:
    ensemble = make_ensemble(THREE, "172.28.0.3")
    cfg = cfg_lines(render_zoo_cfg(ensemble))
    assert cfg["server.1"] == "172.28.0.2:2888:3888"
    assert cfg["server.2"] == "172.28.0.3:2888:3888"
    assert cfg["server.3"] == "172.28.0.4:2888:3888"
    assert cfg["clientPort"] == "2181"
    assert cfg["dataDir"] == "/var/lib/dcos/exhibitor/zookeeper/snapshot"
    assert cfg["dataLogDir"] == "/var/lib/dcos/exhibitor/zookeeper/transactions"
    # Port 8080 is Marathon's; status needs the four-letter words.
    assert cfg["admin.enableServer"] == "false"
    assert cfg["4lw.commands.whitelist"] == "*"
    assert int(cfg["tickTime"]) <= 2000
    assert ensemble.my_id == 2
    assert not ensemble.standalone


def test_zoo_cfg_for_one_master_is_standalone_without_server_lines() -> None:
    ensemble = make_ensemble(["172.28.0.2"], "172.28.0.2")
    cfg = cfg_lines(render_zoo_cfg(ensemble))
    assert not [key for key in cfg if key.startswith("server.")]
    assert ensemble.standalone
    assert ensemble.my_id == 1


def test_every_master_renders_the_same_ensemble() -> None:
    # Only the myid file differs between masters; zoo.cfg must be identical.
    rendered = {render_zoo_cfg(make_ensemble(THREE, ip)) for ip in THREE}
    assert len(rendered) == 1
