"""Bad config.yaml values and the messages they get, worded as DC/OS words them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from minidcos.installer.payload import config

GOOD: dict[str, Any] = {
    "bootstrap_url": "file:///opt/dcos_install_tmp",
    "master_list": ["172.28.0.2"],
    "agent_list": ["172.28.0.3"],
    "resolvers": ["127.0.0.11"],
}


@pytest.fixture
def genconf(tmp_path: Path) -> Path:
    (tmp_path / "ip-detect").write_text("#!/bin/sh\necho 172.28.0.2\n")
    return tmp_path


BAD = [
    (
        {"master_list": ["172.28.0.2", "172.28.0.3"]},
        "master_list",
        "Must have 1, 3, 5, 7, or 9 masters. Found 2",
    ),
    (
        {"master_list": ["172.28.0.2", "not-an-ip"]},
        "master_list",
        "Invalid IPv4 addresses in list: not-an-ip",
    ),
    (
        {"master_list": ["172.28.0.2", "172.28.0.3", "172.28.0.2"]},
        "master_list",
        "List cannot contain duplicates: 172.28.0.2",
    ),
    ({"agent_list": ["300.1.1.1"]}, "agent_list", "Invalid IPv4 addresses in list: 300.1.1.1"),
    (
        {"resolvers": ["198.51.100.1"]},
        "resolvers",
        "Spartan addresses found in resolvers: 198.51.100.1",
    ),
    (
        {"resolvers": ["127.0.0.11:99999"]},
        "resolvers",
        "Invalid IPv4 addresses in list: 127.0.0.11:99999",
    ),
    ({"resolvers": []}, "resolvers", "Must set resolvers, no way to calculate value."),
    ({"bootstrap_url": "file:///opt/x/"}, "bootstrap_url", "Must not end in a '/'"),
    ({"oauth_enabled": "foo"}, "oauth_enabled", "Must be one of 'true', 'false'. Got 'foo'."),
    ({"enable_lb": "yes please"}, "enable_lb", "Must be one of 'true', 'false'. Got 'yes please'."),
    (
        {
            "dcos_overlay_network": {
                "vtep_subnet": "198.19.0.0/20",
                "vtep_mac_oui": "70:B3:D5:00:00:00",
                "overlays": [{"name": "dcos", "subnet": "198.19.0.0/17", "prefix": 24}],
            }
        },
        "dcos_overlay_network",
        "Overlay dcos: subnet 198.19.0.0/17 overlaps 198.19.0.0/20",
    ),
    (
        {
            "dcos_overlay_network": {
                "vtep_subnet": "198.19.128.0/20",
                "vtep_mac_oui": "70:B3:D5:00:00:00",
                "overlays": [{"name": "dcos", "subnet": "198.19.0.0/17", "prefix": 8}],
            }
        },
        "dcos_overlay_network",
        "Overlay dcos: prefix 8 must be between 17 and 30",
    ),
    (
        {"dcos_overlay_network": "not json"},
        "dcos_overlay_network",
        "Must be a JSON object. Got 'not json'.",
    ),
    (
        {"dcos_overlay_mtu": "9"},
        "dcos_overlay_mtu",
        "Must be an MTU between 576 and 9000. Got '9'.",
    ),
    (
        {"master_discovery": "dns"},
        "master_discovery",
        "Must be one of 'static', 'master_http_loadbalancer'. Got 'dns'.",
    ),
    (
        {"exhibitor_storage_backend": "nfs"},
        "exhibitor_storage_backend",
        "Must be one of 'static', 'zookeeper', 'aws_s3', 'azure', 'shared_filesystem'. Got 'nfs'.",
    ),
    (
        {"dns_search": "a.com,b.com"},
        "dns_search",
        "Must not contain commas; separate domains with spaces",
    ),
    ({"dns_search": "a b c d e f g"}, "dns_search", "Must contain no more than 6 domains"),
    (
        {"dcos_l4lb_min_named_ip": "198.18.9.0", "dcos_l4lb_max_named_ip": "198.18.1.0"},
        "dcos_l4lb_min_named_ip",
        "dcos_l4lb_min_named_ip (198.18.9.0) must not be greater than "
        "dcos_l4lb_max_named_ip (198.18.1.0)",
    ),
    (
        {"adminrouter_grpc_proxy_port": "70000"},
        "adminrouter_grpc_proxy_port",
        "Must be a port number between 1 and 65535. Got '70000'.",
    ),
    (
        {"mesos_dns_ip_sources": ["host", "rkt"]},
        "mesos_dns_ip_sources",
        "Unknown IP sources: rkt. Use host, netinfo, mesos, docker.",
    ),
    (
        {"mesos_dns_set_truncate_bit": "yes"},
        "mesos_dns_set_truncate_bit",
        "Must be one of 'true', 'false'. Got 'yes'.",
    ),
]


@pytest.mark.parametrize(
    ("change", "key", "message"), BAD, ids=[b[1] + ":" + b[2][:30] for b in BAD]
)
def test_bad_config_is_rejected_with_dcos_message(
    genconf: Path, change: dict[str, Any], key: str, message: str
) -> None:
    errors, _ = config.validate({**GOOD, **change}, genconf)
    assert errors.get(key) == message


def test_missing_required_keys_say_so(genconf: Path) -> None:
    errors, _ = config.validate({}, genconf)
    assert errors["bootstrap_url"] == "Must set bootstrap_url, no way to calculate value."
    assert errors["resolvers"] == "Must set resolvers, no way to calculate value."
    assert errors["master_list"] == "Must set master_list, no way to calculate value."


def test_every_problem_is_reported_at_once(genconf: Path) -> None:
    errors, _ = config.validate(
        {**GOOD, "oauth_enabled": "x", "master_list": ["192.0.2.1", "192.0.2.2"]}, genconf
    )
    assert set(errors) == {"oauth_enabled", "master_list"}


def test_missing_ip_detect(tmp_path: Path) -> None:
    errors, _ = config.validate(GOOD, tmp_path)
    assert errors == {"ip_detect_filename": "ip-detect script `genconf/ip-detect` must exist"}


def test_unknown_keys_are_warnings_not_errors(genconf: Path) -> None:
    errors, warnings = config.validate({**GOOD, "clustr_name": "typo"}, genconf)
    assert errors == {}
    assert warnings == ["clustr_name: unrecognized config key; it is ignored (check its spelling)"]


def test_good_config_expands_to_strings_as_dcos_does(genconf: Path) -> None:
    user = {**GOOD, "master_list": ["172.28.0.2", "172.28.0.3", "172.28.0.4"], "check_time": False}
    assert config.validate(user, genconf) == ({}, [])
    expanded = config.expand(user)
    assert expanded["master_list"] == '["172.28.0.2", "172.28.0.3", "172.28.0.4"]'
    assert expanded["num_masters"] == "3"
    assert expanded["master_quorum"] == "2"
    assert expanded["check_time"] == "false"
    assert expanded["mesos_dns_ip_sources"] == '["host", "netinfo"]'  # DC/OS's default
    assert all(isinstance(v, str) for v in expanded.values())


def test_defaults_keep_vips_and_overlay_off_public_space(genconf: Path) -> None:
    expanded = config.expand(GOOD)
    assert expanded["dcos_l4lb_min_named_ip"].startswith("198.18.")
    network = json.loads(expanded["dcos_overlay_network"])
    assert network["vtep_subnet"] == "198.19.128.0/20"
    assert network["overlays"] == [{"name": "dcos", "prefix": 24, "subnet": "198.19.0.0/17"}]


OAUTH_BAD = [
    ({"oauth_issuer_url": "dcos.auth0.com"}, "oauth_issuer_url"),
    ({"oauth_client_id": ""}, "oauth_client_id"),
    ({"oauth_jwks": "not json"}, "oauth_jwks"),
    ({"oauth_jwks": {"keys": [{"kid": "no-kty"}]}}, "oauth_jwks"),
    ({"oauth_claims_only_issuers": "https://dcos.auth0.com/"}, "oauth_claims_only_issuers"),
    ({"oauth_claims_only_issuers": ["https://issuer.example.com/"]}, "oauth_claims_only_issuers"),
]


@pytest.mark.parametrize(("change", "key"), OAUTH_BAD)
def test_bad_oauth_keys(genconf: Path, change: dict[str, Any], key: str) -> None:
    errors, _ = config.validate({**GOOD, **change}, genconf)
    assert set(errors) == {key}


def test_auth_is_on_by_default_and_claims_only_issuers_off(genconf: Path) -> None:
    expanded = config.expand(GOOD)
    assert expanded["oauth_enabled"] == "true"
    assert expanded["oauth_issuer_url"] == "https://dcos.auth0.com/"
    assert expanded["oauth_client_id"] == "3yF5TOSzdlI45Q1xspxzeoGBe9fNxm9m"
    assert expanded["oauth_claims_only_issuers"] == "[]"
    assert expanded["oauth_jwks"] == '{"keys": []}'


def test_claims_only_issuers_are_accepted_with_a_warning(genconf: Path) -> None:
    user = {**GOOD, "oauth_claims_only_issuers": ["https://dcos.auth0.com/"]}
    errors, warnings = config.validate(user, genconf)
    assert errors == {}
    assert warnings == [config.claims_only_warning(["https://dcos.auth0.com/"])]
    assert "anyone can log in as any user" in warnings[0]
    assert config.expand(user)["oauth_claims_only_issuers"] == '["https://dcos.auth0.com/"]'


def test_a_jwks_may_be_given_as_yaml_or_json(genconf: Path) -> None:
    jwks = {"keys": [{"kty": "RSA", "kid": "k1", "n": "AQAB", "e": "AQAB"}]}
    for value in (jwks, json.dumps(jwks)):
        user = {**GOOD, "oauth_jwks": value}
        assert config.validate(user, genconf) == ({}, [])
        assert json.loads(config.expand(user)["oauth_jwks"]) == jwks
