"""config.yaml: validation and expansion, worded as DC/OS words it.

This module runs in two places: in the harness (its tests) and inside the
installer, on whatever python3 runs `dcos_generate_config.sh`. So it uses only
the standard library; parsing YAML is the caller's job.

`validate(user_config, genconf_dir)` returns every problem at once as
`key: message` pairs, DC/OS's messages where DC/OS has one; `expand` returns
the full config every node gets as expanded.config.json (all values strings,
lists JSON-encoded, as DC/OS stores them).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

# DC/OS 1.10's last release, marked as miniDC/OS's build. DC/OS's own
# pre-release spelling is the same (`1.10.12-dev` on its 1.10 branch), so tools
# that read `major.minor[.patch][-suffix]` (Cosmos's DcosReleaseVersion, the
# CLI, dcos-e2e) read 1.10.11.
DCOS_VERSION = "1.10.11-minidcos"
VARIANT = ""  # open source; the Enterprise variant says "ee"

SPARTAN_ADDRESSES = ("198.51.100.1", "198.51.100.2", "198.51.100.3")
TRUE_FALSE = ("true", "false")

# Keys with the value the distribution uses when config.yaml does not set them.
DEFAULTS: dict[str, Any] = {
    "cluster_name": "DC/OS",
    "master_discovery": "static",
    "exhibitor_storage_backend": "static",
    "agent_list": [],
    "public_agent_list": [],
    "dns_search": "",
    # DC/OS's IAM (dcos-oauth) and Admin Router's auth: on, as in DC/OS.
    "oauth_enabled": "true",
    "oauth_issuer_url": "https://dcos.auth0.com/",
    "oauth_client_id": "3yF5TOSzdlI45Q1xspxzeoGBe9fNxm9m",
    # miniDC/OS's own: the issuer's signing keys (a JWKS), since the cluster
    # never fetches them, and issuers whose ID tokens are taken on their claims
    # alone (signature unchecked: throwaway test clusters only).
    "oauth_jwks": {"keys": []},
    "oauth_claims_only_issuers": [],
    "enable_lb": "true",
    "enable_ipv6": "false",
    "dcos_overlay_enable": "true",
    # DC/OS's own defaults (11.0.0.0/8 VIPs, 9.0.0.0/8 overlay) are public
    # address space; ours stay in the benchmarking range, which never leaves a machine.
    "dcos_l4lb_min_named_ip": "198.18.0.1",
    "dcos_l4lb_max_named_ip": "198.18.255.254",
    # DC/OS's dcos_overlay_network: VTEPs in 198.19.128.0/20, the `dcos` overlay in
    # 198.19.0.0/17 with a /24 per node (halves for the Mesos and Docker bridges).
    "dcos_overlay_network": {
        "vtep_subnet": "198.19.128.0/20",
        "vtep_mac_oui": "70:B3:D5:00:00:00",
        "overlays": [{"name": "dcos", "subnet": "198.19.0.0/17", "prefix": 24}],
    },
    "dcos_overlay_mtu": "1420",
    # DC/OS's default; the report stays on the masters (dcos-signal sends nothing).
    "telemetry_enabled": "true",
    "check_time": "false",
    "enable_docker_gc": "true",
    "adminrouter_grpc_proxy_port": "12379",
    # Mesos-DNS: where task A records come from, first source with an IP wins.
    "mesos_dns_ip_sources": ["host", "netinfo"],
    "mesos_dns_set_truncate_bit": "true",
}

# Keys DC/OS (or dcos-e2e) passes that this distribution accepts and ignores.
ACCEPTED_UNUSED = {
    "ssh_user",
    "ssh_port",
    "ssh_key_path",
    "process_timeout",
    "platform",
    "ip_detect_filename",
    "ip_detect_public_filename",
    "fault_domain_enabled",
    "license_key_contents",
    "security",
    "superuser_username",
    "superuser_password_hash",
    "docker_remove_delay",
    "gc_delay",
    "log_directory",
    "mesos_container_log_sink",
    "cluster_docker_credentials_enabled",
}

REQUIRED = ("bootstrap_url", "resolvers")
# Expanded as JSON lists of strings, as DC/OS stores lists.
LIST_KEYS = (
    "master_list",
    "agent_list",
    "public_agent_list",
    "resolvers",
    "oauth_claims_only_issuers",
    "mesos_dns_ip_sources",
)


def _as_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _as_list(value: Any) -> list[Any] | None:
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError:
            return None
        return decoded if isinstance(decoded, list) else None
    return None


# -- validators: each returns an error message or None -----------------------


def _true_false(value: Any) -> str | None:
    text = _as_str(value)
    if text not in TRUE_FALSE:
        return f"Must be one of 'true', 'false'. Got '{text}'."
    return None


def _one_of(*choices: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        text = _as_str(value)
        if text not in choices:
            listed = ", ".join(f"'{c}'" for c in choices)
            return f"Must be one of {listed}. Got '{text}'."
        return None

    return check


def _ipv4(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def _ip_list(value: Any, allow_port: bool = False) -> str | None:
    items = _as_list(value)
    if items is None:
        return (
            "Must be a JSON formatted list, but couldn't be parsed the given value "
            f"`{value}` as one because of: not a list"
        )
    bad = []
    for item in items:
        text = str(item)
        if allow_port and text.count(":") == 1:
            host, port = text.split(":")
            if not (_ipv4(host) and port.isdigit() and 0 < int(port) < 65536):
                bad.append(text)
        elif not _ipv4(text):
            bad.append(text)
    if bad:
        return f"Invalid IPv4 addresses in list: {', '.join(bad)}"
    dups = sorted({str(i) for i in items if items.count(i) > 1})
    if dups:
        return f"List cannot contain duplicates: {', '.join(dups)}"
    return None


def _master_list(value: Any) -> str | None:
    problem = _ip_list(value)
    if problem:
        return problem
    count = len(_as_list(value) or [])
    if count not in (1, 3, 5, 7, 9):
        return f"Must have 1, 3, 5, 7, or 9 masters. Found {count}"
    return None


def _resolvers(value: Any) -> str | None:
    problem = _ip_list(value, allow_port=True)
    if problem:
        return problem
    items = [str(i) for i in _as_list(value) or []]
    if not items:
        return "Must set resolvers, no way to calculate value."
    spartan = [i for i in items if i.split(":")[0] in SPARTAN_ADDRESSES]
    if spartan:
        return f"Spartan addresses found in resolvers: {', '.join(spartan)}"
    return None


def _dns_search(value: Any) -> str | None:
    text = _as_str(value)
    if "," in text:
        return "Must not contain commas; separate domains with spaces"
    if "\n" in text:
        return "Must not contain newlines"
    if len(text) >= 256:
        return "Must be fewer than 256 characters"
    if len(text.split()) > 6:
        return "Must contain no more than 6 domains"
    return None


def _bootstrap_url(value: Any) -> str | None:
    text = _as_str(value)
    if text.endswith("/"):
        return "Must not end in a '/'"
    if not text.startswith(("file://", "http://", "https://")):
        return f"Must be a file://, http:// or https:// URL. Got '{text}'."
    return None


def _cluster_name(value: Any) -> str | None:
    text = _as_str(value)
    if not text.strip():
        return "Must not be empty"
    return None


def _ipv4_value(value: Any) -> str | None:
    if not _ipv4(_as_str(value)):
        return f"Invalid IPv4 address: {_as_str(value)}"
    return None


def _overlay_network(value: Any) -> str | None:
    """DC/OS's dcos_overlay_network: a VTEP subnet, a MAC OUI and overlays that do not overlap."""
    data = _as_mapping(value)
    if data is None:
        return f"Must be a JSON object. Got {_as_str(value)!r}."
    try:
        vtep = ipaddress.IPv4Network(str(data["vtep_subnet"]))
        oui = str(data["vtep_mac_oui"])
        overlays = list(data["overlays"])
    except KeyError as exc:
        return f"Missing key {exc.args[0]!r} in dcos_overlay_network"
    except ValueError as exc:
        return f"Invalid vtep_subnet: {exc}"
    octets = oui.split(":")
    if len(octets) != 6 or octets[3:] != ["00", "00", "00"]:
        return f"Invalid vtep_mac_oui {oui}: six octets, the last three 00"
    seen: list[ipaddress.IPv4Network] = [vtep]
    for overlay in overlays:
        try:
            name = str(overlay["name"])
            subnet = ipaddress.IPv4Network(str(overlay["subnet"]))
            prefix = int(overlay["prefix"])
        except (KeyError, TypeError, ValueError) as exc:
            return f"Invalid overlay {overlay!r}: {exc}"
        if not subnet.prefixlen <= prefix <= 30:
            return f"Overlay {name}: prefix {prefix} must be between {subnet.prefixlen} and 30"
        clash = next((s for s in seen if s.overlaps(subnet)), None)
        if clash is not None:
            return f"Overlay {name}: subnet {subnet} overlaps {clash}"
        seen.append(subnet)
    return None


def _mtu(value: Any) -> str | None:
    text = _as_str(value)
    if not text.isdigit() or not 576 <= int(text) <= 9000:
        return f"Must be an MTU between 576 and 9000. Got {text!r}."
    return None


def _port(value: Any) -> str | None:
    text = _as_str(value)
    if not text.isdigit() or not 0 < int(text) < 65536:
        return f"Must be a port number between 1 and 65535. Got '{text}'."
    return None


def _url(value: Any) -> str | None:
    text = _as_str(value)
    if not text.startswith(("https://", "http://")) or any(c in text for c in ' "<>'):
        return f"Must be an http:// or https:// URL. Got '{text}'."
    return None


def _non_empty(value: Any) -> str | None:
    return None if _as_str(value).strip() else "Must not be empty"


def _as_mapping(value: Any) -> dict[str, Any] | None:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) else None


def _jwks(value: Any) -> str | None:
    jwks = _as_mapping(value)
    if jwks is None or not isinstance(jwks.get("keys"), list):
        return 'Must be a JWKS: a mapping (or JSON object) with a list of keys, {"keys": [...]}'
    bad = [i for i, k in enumerate(jwks["keys"]) if not (isinstance(k, dict) and k.get("kty"))]
    if bad:
        return f"Keys {bad} are not JWKs: each needs at least a 'kty'"
    return None


def _url_list(value: Any) -> str | None:
    items = _as_list(value)
    if items is None:
        return f"Must be a list of issuer URLs. Got '{_as_str(value)}'."
    problems = [p for p in (_url(i) for i in items) if p]
    return problems[0] if problems else None


MESOS_DNS_IP_SOURCES = ("host", "netinfo", "mesos", "docker")


def _mesos_dns_ip_sources(value: Any) -> str | None:
    items = _as_list(value)
    if items is None:
        return f"Must be a JSON formatted list. Got '{value}'."
    unknown = [str(i) for i in items if str(i) not in MESOS_DNS_IP_SOURCES]
    if unknown:
        return f"Unknown IP sources: {', '.join(unknown)}. Use {', '.join(MESOS_DNS_IP_SOURCES)}."
    return None


def _json_mapping(value: Any) -> str | None:
    if _as_mapping(value) is None:
        return f"Must be valid JSON. Got: {_as_str(value)}"
    return None


def _text(value: Any) -> str | None:
    if isinstance(value, (list, dict)):
        return f"Must be a string. Got: {json.dumps(value)}"
    return None


VALIDATORS: dict[str, Callable[[Any], str | None]] = {
    "cluster_name": _cluster_name,
    "master_discovery": _one_of("static", "master_http_loadbalancer"),
    "exhibitor_storage_backend": _one_of(
        "static", "zookeeper", "aws_s3", "azure", "shared_filesystem"
    ),
    "master_list": _master_list,
    "agent_list": _ip_list,
    "public_agent_list": _ip_list,
    "resolvers": _resolvers,
    "dns_search": _dns_search,
    "bootstrap_url": _bootstrap_url,
    "oauth_enabled": _true_false,
    "enable_lb": _true_false,
    "enable_ipv6": _true_false,
    "dcos_overlay_enable": _true_false,
    "telemetry_enabled": _true_false,
    "check_time": _true_false,
    "enable_docker_gc": _true_false,
    "dcos_l4lb_min_named_ip": _ipv4_value,
    "dcos_l4lb_max_named_ip": _ipv4_value,
    "dcos_overlay_network": _overlay_network,
    "dcos_overlay_mtu": _mtu,
    "adminrouter_grpc_proxy_port": _port,
    "oauth_issuer_url": _url,
    "oauth_client_id": _non_empty,
    "oauth_jwks": _jwks,
    "oauth_claims_only_issuers": _url_list,
    "mesos_dns_ip_sources": _mesos_dns_ip_sources,
    "mesos_dns_set_truncate_bit": _true_false,
    # Exhibitor's HTTP basic auth (user `admin`): on when set, as in DC/OS.
    "exhibitor_admin_password": _text,
    # REX-Ray's configuration, a JSON (or YAML) mapping (/opt/mesosphere/etc/rexray.conf).
    "rexray_config": _json_mapping,
    # dcos-signal's customer key (DC/OS Enterprise's; empty on Open).
    "customer_key": _text,
}

KNOWN_KEYS = set(VALIDATORS) | ACCEPTED_UNUSED


def validate(user: dict[str, Any], genconf_dir: Path) -> tuple[dict[str, str], list[str]]:
    """(errors as {key: message}, warnings) for a user config.yaml."""
    config = {**DEFAULTS, **user}
    errors: dict[str, str] = {}
    for key, check in VALIDATORS.items():
        if key in config:
            problem = check(config[key])
            if problem:
                errors[key] = problem
    for key in REQUIRED:
        if key not in config and key not in errors:
            errors[key] = f"Must set {key}, no way to calculate value."
    if config.get("master_discovery") == "static" and "master_list" not in config:
        errors["master_list"] = "Must set master_list, no way to calculate value."
    if _as_str(config.get("master_discovery")) == "master_http_loadbalancer":
        errors.setdefault(
            "master_discovery",
            "miniDC/OS supports only 'static' master discovery; set master_discovery: static "
            "and list the masters in master_list",
        )
    if _as_str(config.get("exhibitor_storage_backend")) not in ("static", "") and (
        "exhibitor_storage_backend" not in errors
    ):
        errors["exhibitor_storage_backend"] = (
            "miniDC/OS supports only the 'static' exhibitor_storage_backend: the ensemble is "
            "the master_list"
        )
    if "dcos_l4lb_min_named_ip" not in errors and "dcos_l4lb_max_named_ip" not in errors:
        low = ipaddress.IPv4Address(_as_str(config["dcos_l4lb_min_named_ip"]))
        high = ipaddress.IPv4Address(_as_str(config["dcos_l4lb_max_named_ip"]))
        if low > high:
            errors["dcos_l4lb_min_named_ip"] = (
                f"dcos_l4lb_min_named_ip ({low}) must not be greater than "
                f"dcos_l4lb_max_named_ip ({high})"
            )
    claims_only = _as_list(config["oauth_claims_only_issuers"]) or []
    if "oauth_claims_only_issuers" not in errors:
        others = [str(i) for i in claims_only if str(i) != _as_str(config["oauth_issuer_url"])]
        if others:
            errors["oauth_claims_only_issuers"] = (
                f"Issuers {', '.join(others)} are not the cluster's oauth_issuer_url "
                f"({_as_str(config['oauth_issuer_url'])}): only its ID tokens log in"
            )
    if not (genconf_dir / "ip-detect").is_file():
        errors["ip_detect_filename"] = "ip-detect script `genconf/ip-detect` must exist"
    warnings = [
        f"{key}: unrecognized config key; it is ignored (check its spelling)"
        for key in sorted(user)
        if key not in KNOWN_KEYS
    ]
    if "resolvers" not in errors:
        public = _public_addresses(config.get("resolvers"))
        if public:
            warnings.append(
                f"resolvers: {', '.join(public)} is public: every name the cluster cannot "
                "answer itself is sent off this machine (the default, the node's own "
                "resolver, keeps DNS local)"
            )
    if claims_only and "oauth_claims_only_issuers" not in errors:
        warnings.append(claims_only_warning([str(i) for i in claims_only]))
    return errors, warnings


def _public_addresses(value: Any) -> list[str]:
    hosts = [str(item).split(":")[0] for item in _as_list(value) or []]
    return [h for h in hosts if _ipv4(h) and ipaddress.IPv4Address(h).is_global]


def claims_only_warning(issuers: list[str]) -> str:
    return (
        f"oauth_claims_only_issuers: ID tokens of {', '.join(issuers)} log in without their "
        "signature checked, so anyone can log in as any user: use it only on throwaway "
        "test clusters"
    )


def expand(user: dict[str, Any], version: str = DCOS_VERSION) -> dict[str, str]:
    """The expanded config of a valid user config: defaults, calculated keys, all strings.

    `version` is the DC/OS version the installer installs (its build sets it)."""
    config = {**DEFAULTS, **{k: v for k, v in user.items() if k in KNOWN_KEYS}}
    expanded: dict[str, str] = {}
    for key, value in config.items():
        if key in LIST_KEYS:
            expanded[key] = json.dumps([str(v) for v in _as_list(value) or []])
        elif key in ("oauth_jwks", "dcos_overlay_network"):
            expanded[key] = json.dumps(_as_mapping(value), sort_keys=True)
        elif isinstance(value, dict):  # a mapping, as DC/OS keeps one: JSON
            expanded[key] = json.dumps(value)
        else:
            expanded[key] = _as_str(value)
    masters = json.loads(expanded["master_list"])
    expanded["num_masters"] = str(len(masters))
    expanded["master_quorum"] = str(len(masters) // 2 + 1)
    expanded["dcos_version"] = version
    expanded["dcos_variant"] = VARIANT
    expanded["exhibitor_address"] = masters[0] if masters else ""
    return expanded
