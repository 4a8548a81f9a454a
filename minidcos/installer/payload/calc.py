"""The keys DC/OS 1.10's genconf calculates, and the files it writes from them.

`config.expand` gives the keys the distribution's own components read. DC/OS's
genconf (`gen/calc.py`, `gen/__init__.py` on the 1.10 branch) writes many
more into `/opt/mesosphere/etc/expanded.config.json`: every argument it
resolved, each a string, including facts of the build (`dcos_image_commit`,
`bootstrap_id`, the package ids), the config package ids, and a few
templating helpers. Tools read that file (DC/OS's integration tests, dcos-e2e,
diagnostics bundles), so `calculate` writes every one of those keys, with
DC/OS's default where the key is about a feature, and the files are laid out
as genconf lays them out (`render_*`).

Standard library only, like the rest of the payload; YAML dumping is handed
in by the caller (genconf has PyYAML).
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import config as dcos_config

CONFIG_PACKAGE_NAMES = ["dcos-config", "dcos-metadata"]
TEMPLATE_FILENAMES = [
    "dcos-config.yaml",
    "cloud-config.yaml",
    "dcos-metadata.yaml",
    "dcos-services.yaml",
]
# What genconf keeps out of expanded.config.json (and masks in user.config.yaml).
SECRETS = frozenset(
    {
        "cluster_docker_credentials",
        "exhibitor_admin_password",
        "exhibitor_azure_account_key",
        "aws_secret_access_key",
    }
)
MASK = "**HIDDEN**"
# genconf's placeholder for the two builtins it fills in last.
PLACEHOLDER = "DO NOT USE THIS AS AN ARGUMENT TO OTHER ARGUMENTS. IT IS TEMPORARY"
# Keys only DC/OS Enterprise has: an Open node never shows them (dcos-e2e reads
# `security` in expanded.config.full.json to tell the variants apart).
ENTERPRISE_ONLY = frozenset({"security", "superuser_username", "superuser_password_hash"})
# Keys of later DC/OS versions that 1.10's expanded config does not have.
NOT_IN_110 = frozenset({"dcos_variant"})

# Feature switches and settings with DC/OS 1.10's defaults (gen/calc.py's
# 'default' and 'must' entries), as strings. A user's config.yaml overrides
# the ones DC/OS lets a user set.
DCOS_DEFAULTS: dict[str, str] = {
    "adminrouter_tls_1_0_enabled": "false",
    "bootstrap_tmp_dir": "tmp",
    "check_ld_library_path": "/opt/mesosphere/lib",
    "check_search_path": "/opt/mesosphere/bin:/usr/bin:/bin:/sbin",
    "cluster_docker_credentials": "{}",
    "cluster_docker_credentials_enabled": "false",
    "cluster_docker_credentials_write_to_etc": "false",
    "cluster_docker_registry_url": "",
    "cosmos_config": "{}",
    "curly_pound": "{#",
    "custom_auth": "false",
    "custom_checks": "{}",
    "customer_key": "",
    "dcos_cni_data_dir": "/var/run/dcos/cni/networks",
    "dcos_overlay_config_attempts": "4",
    "dcos_overlay_mtu": "1420",
    "dcos_overlay_network_default_name": "dcos",
    "dcos_remove_dockercfg_enable": "false",
    "dcos_ucr_default_bridge_network_name": "mesos-bridge",
    "dcos_ucr_default_bridge_subnet": "172.31.254.0/24",
    "dns_bind_ip_blacklist": "[]",
    "dns_forward_zones": "[]",
    "docker_remove_delay": "1hrs",
    "docker_stop_timeout": "20secs",
    "enable_gpu_isolation": "true",
    "exhibitor_admin_password": "",
    "gc_delay": "2days",
    "gpus_are_scarce": "true",
    "ip_detect_filename": "genconf/ip-detect",
    "ip_detect_public_filename": "",
    "marathon_java_args": "",
    "master_dns_bindall": "true",
    "master_external_loadbalancer": "",
    "mesos_cni_root_dir_persist": "false",
    "mesos_container_log_sink": "logrotate",
    "mesos_log_retention_mb": "4000",
    "mesos_max_completed_tasks_per_framework": "",
    "minuteman_forward_metrics": "false",
    "oauth_auth_host": "https://dcos.auth0.com",
    "oauth_auth_redirector": "https://auth.dcos.io",
    "oauth_available": "true",
    "platform": "onprem",
    "profile_symlink_source": "/opt/mesosphere/bin/add_dcos_path.sh",
    "profile_symlink_target": "/etc/profile.d/dcos.sh",
    "provider": "onprem",
    "rexray_config_preset": "",
    "ui_banner": "false",
    "ui_banner_background_color": "#1E232F",
    "ui_banner_dismissible": "null",
    "ui_banner_footer_content": "null",
    "ui_banner_foreground_color": "#FFFFFF",
    "ui_banner_header_content": "null",
    "ui_banner_header_title": "null",
    "ui_banner_image_path": "null",
    "ui_branding": "false",
    "ui_external_links": "false",
    "ui_telemetry_metadata": '{"openBuild": true}',
    "use_proxy": "false",
    "weights": "",
}

# REX-Ray's config (YAML, as JSON in config.yaml). DC/OS 1.10 ships the vfs
# service with the Docker module disabled; this distribution enables it, so
# Docker and Marathon apps get `rexray` volumes out of the box.
REXRAY_DEFAULT = {
    "rexray": {
        "loglevel": "info",
        "modules": {"default-docker": {"disabled": False}},
        "service": "vfs",
    }
}

MESOS_ISOLATION = (
    "cgroups/cpu,cgroups/mem,disk/du,network/cni,filesystem/linux,docker/runtime,"
    "docker/volume,volume/sandbox_path,volume/secret,posix/rlimits,namespaces/pid,"
    "linux/capabilities,com_mesosphere_MetricsIsolatorModule"
)


@dataclass(frozen=True)
class Build:
    """What genconf knows besides config.yaml: the installer's own facts."""

    dcos_image_commit: str
    bootstrap_id: str
    package_ids: list[str]  # the distribution's packages, without the config packages
    ip_detect: str  # the ip-detect script's text
    dcos_version: str = dcos_config.DCOS_VERSION  # what this installer installs (its build's)


def json_prettyprint(data: Any) -> str:
    """DC/OS's pkgpanda.util.json_prettyprint: sorted keys, two spaces, no space after ':'."""
    return json.dumps(data, sort_keys=True, indent=2, separators=(",", ":"))


def hash_checkout(data: Any) -> str:
    """A stable sha1 of JSON data, as pkgpanda hashes config sources."""
    return hashlib.sha1(json.dumps(data, sort_keys=True).encode()).hexdigest()


def stringify(user: dict[str, Any]) -> dict[str, str]:
    """config.yaml's values as genconf sees them: lists and mappings as JSON, booleans
    as true/false, numbers as text (gen.stringify_configuration)."""
    out = {}
    for key, value in user.items():
        if isinstance(value, (list, dict)):
            out[key] = json.dumps(value)
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        else:
            out[key] = str(value)
    return out


def _check_config(check_time: str) -> dict[str, Any]:
    """DC/OS 1.10's node checks, run by `dcos-diagnostics check node-poststart`."""

    def check(
        description: str, cmd: list[str], timeout: str, roles: list[str] | None = None
    ) -> dict[str, Any]:
        entry: dict[str, Any] = {"description": description, "cmd": cmd, "timeout": timeout}
        if roles:
            entry["roles"] = roles
        return entry

    checks_bin = "/opt/mesosphere/bin/dcos-checks"
    checks = {
        "components_master": check(
            "All DC/OS components are healthy.",
            [checks_bin, "--role", "master", "components"],
            "3s",
            ["master"],
        ),
        "components_agent": check(
            "All DC/OS components are healthy",
            [checks_bin, "--role", "agent", "components", "--port", "61001"],
            "3s",
            ["agent"],
        ),
        "xz": check("The xz utility is available", [checks_bin, "executable", "xz"], "1s"),
        "tar": check("The tar utility is available", [checks_bin, "executable", "tar"], "1s"),
        "curl": check("The curl utility is available", [checks_bin, "executable", "curl"], "1s"),
        "unzip": check("The unzip utility is available", [checks_bin, "executable", "unzip"], "1s"),
        "ip_detect_script": check(
            "The IP detect script produces valid output", [checks_bin, "ip"], "1s"
        ),
        "mesos_master_replog_synchronized": check(
            "The Mesos master has synchronized its replicated log",
            [checks_bin, "--role", "master", "mesos-metrics"],
            "30s",
            ["master"],
        ),
        "mesos_agent_registered_with_masters": check(
            "The Mesos agent has registered with the masters",
            [checks_bin, "--role", "agent", "mesos-metrics"],
            "1s",
            ["agent"],
        ),
        "journald_dir_permissions": check(
            "Journald directory has the right owners and permissions",
            [checks_bin, "journald"],
            "1s",
        ),
    }
    poststart = list(checks)
    if check_time == "true":
        checks["clock_sync"] = check("System clock is in sync.", [checks_bin, "time"], "1s")
        poststart.append("clock_sync")
    return {"node_checks": {"checks": checks, "prestart": [], "poststart": poststart}}


def _runner_config(
    check_config: dict[str, Any], custom: dict[str, Any], values: dict[str, str]
) -> dict[str, Any]:
    """The runner's file: DC/OS's checks merged over the user's custom_checks, plus check_env."""
    node, user_node = check_config.get("node_checks", {}), custom.get("node_checks", {})
    merged: dict[str, Any] = {}
    cluster = {**custom.get("cluster_checks", {}), **check_config.get("cluster_checks", {})}
    if cluster:
        merged["cluster_checks"] = cluster
    checks = {**user_node.get("checks", {}), **node.get("checks", {})}
    if checks:
        merged["node_checks"] = {
            "checks": checks,
            "prestart": user_node.get("prestart", []) + node.get("prestart", []),
            "poststart": user_node.get("poststart", []) + node.get("poststart", []),
        }
    merged["check_env"] = {
        "PATH": values["check_search_path"],
        "LD_LIBRARY_PATH": values["check_ld_library_path"],
    }
    return merged


def _erltuple(ip: str) -> str:
    return "{" + ip.replace(".", ",") + "}"


def _log_retention_count(retention_mb: str) -> str:
    # 256 MB chunks, compressed 10:1 after two rotations (DC/OS's formula).
    return str(int(1 + (int(retention_mb) - 512) / 256 * 10))


def _cosmos_flag(cosmos_config: str, key: str, flag: str) -> str:
    value = json.loads(cosmos_config).get(key)
    return f"-com.mesosphere.cosmos.{flag}={value}" if value else ""


def _set(value: str) -> str:
    return "false" if value == "" else "true"


def calculate(user: dict[str, Any], build: Build, yaml_dump: Callable[..., str]) -> dict[str, str]:
    """Every key genconf resolves for a valid config, secrets included
    (expanded.config.full.json)."""
    strings = stringify(user)
    values: dict[str, str] = dict(DCOS_DEFAULTS)
    values["rexray_config"] = json.dumps(REXRAY_DEFAULT)
    values.update(dcos_config.expand(user, build.dcos_version))
    # DC/OS's own keys as the user wrote them (mappings as JSON, as genconf has them).
    values.update({k: v for k, v in strings.items() if k in DCOS_DEFAULTS or k == "rexray_config"})
    for key in ENTERPRISE_ONLY | NOT_IN_110:
        values.pop(key, None)

    masters = json.loads(values["master_list"])
    resolvers = json.loads(values["resolvers"])
    values["dcos_version"] = build.dcos_version
    values["dcos_image_commit"] = build.dcos_image_commit
    values["bootstrap_id"] = build.bootstrap_id
    values["package_ids"] = json.dumps(build.package_ids)
    values["adminrouter_auth_enabled"] = values["oauth_enabled"]
    values["master_quorum"] = str(int(values["num_masters"]) // 2 + 1)
    values["exhibitor_static_ensemble"] = ",".join(
        f"{i + 1}:{ip}" for i, ip in enumerate(sorted(masters))
    )
    values["exhibitor_admin_password_enabled"] = (
        "true" if values["exhibitor_admin_password"] else "false"
    )
    values["resolvers_str"] = ",".join(resolvers)
    values["mesos_dns_resolvers_str"] = (
        '"resolvers": ' + values["resolvers"] if resolvers else '"externalOn": false'
    )
    values["dcos_gen_resolvconf_search_str"] = (
        "SEARCH=" + values["dns_search"] if values["dns_search"] else ""
    )
    # The VIP range is this distribution's (dcos_l4lb_*); 1.10 spells it minuteman_*.
    values["minuteman_min_named_ip"] = values["dcos_l4lb_min_named_ip"]
    values["minuteman_max_named_ip"] = values["dcos_l4lb_max_named_ip"]
    values["minuteman_min_named_ip_erltuple"] = _erltuple(values["minuteman_min_named_ip"])
    values["minuteman_max_named_ip_erltuple"] = _erltuple(values["minuteman_max_named_ip"])
    values["mesos_log_retention_count"] = _log_retention_count(values["mesos_log_retention_mb"])
    values["mesos_log_directory_max_files"] = str(25 + int(values["mesos_log_retention_count"]))
    values["mesos_isolation"] = MESOS_ISOLATION + (
        ",cgroups/devices,gpu/nvidia" if values["enable_gpu_isolation"] == "true" else ""
    )
    values["fair_sharing_excluded_resource_names"] = (
        "gpus" if values["gpus_are_scarce"] == "true" else ""
    )
    values["has_mesos_max_completed_tasks_per_framework"] = _set(
        values["mesos_max_completed_tasks_per_framework"]
    )
    values["has_master_external_loadbalancer"] = _set(values["master_external_loadbalancer"])
    remover = values["dcos_remove_dockercfg_enable"] == "true"
    values["mesos_hooks"] = "com_mesosphere_dcos_RemoverHook" if remover else ""
    values["use_mesos_hooks"] = _set(values["mesos_hooks"])
    values["cluster_docker_credentials_dcos_owned"] = (
        "false" if values["cluster_docker_credentials"] == "{}" else "true"
    )
    values["cluster_docker_registry_enabled"] = _set(values["cluster_docker_registry_url"])
    values["cosmos_package_storage_uri_flag"] = _cosmos_flag(
        values["cosmos_config"], "package_storage_uri", "packageStorageUri"
    )
    values["cosmos_staged_package_storage_uri_flag"] = _cosmos_flag(
        values["cosmos_config"], "staged_package_storage_uri", "stagedPackageStorageUri"
    )
    values["profile_symlink_target_dir"] = posixpath.dirname(values["profile_symlink_target"])
    # genconf stores these as YAML scalars, ready to drop into its YAML templates.
    values["ip_detect_contents"] = yaml_dump(build.ip_detect)
    values["ip_detect_public_contents"] = values["ip_detect_contents"]
    values["rexray_config_contents"] = yaml_dump(
        yaml_dump(json.loads(values["rexray_config"]), default_flow_style=False)
    )
    check_config = _check_config(values["check_time"])
    values["check_config"] = json.dumps(check_config)
    values["check_config_contents"] = yaml_dump(runner_config_json(values))

    # The config packages and the cluster's package list.
    values["template_filenames"] = json_prettyprint(TEMPLATE_FILENAMES)
    values["config_package_names"] = json_prettyprint(CONFIG_PACKAGE_NAMES)
    values["sources_id"] = json_prettyprint(hash_checkout([strings, DCOS_DEFAULTS]))
    values["config_id"] = hash_checkout(
        {
            "commit": build.dcos_image_commit,
            "template_filenames": TEMPLATE_FILENAMES,
            "sources_id": values["sources_id"],
            "ip_detect": build.ip_detect,
        }
    )
    config_package_ids = sorted(f"{n}--setup_{values['config_id']}" for n in CONFIG_PACKAGE_NAMES)
    values["config_package_ids"] = json.dumps(config_package_ids)
    values["cluster_packages"] = json.dumps(sorted(config_package_ids + build.package_ids))
    list_digest = hashlib.sha1(values["cluster_packages"].encode())
    values["cluster_package_list_id"] = list_digest.hexdigest()

    # The builtins genconf fills in last: the user's arguments (secrets masked).
    masked = {k: (MASK if k in SECRETS else v) for k, v in strings.items()}
    values["user_arguments"] = json_prettyprint(masked)
    values["config_yaml"] = user_config_yaml(masked, yaml_dump, indent=6)
    values["expanded_config"] = json_prettyprint(PLACEHOLDER)
    return values


def runner_config_json(values: dict[str, str]) -> str:
    """/opt/mesosphere/etc/dcos-diagnostics-runner-config.json (the check runner's config)."""
    check_config = json.loads(values["check_config"])
    runner = _runner_config(check_config, json.loads(values["custom_checks"]), values)
    return json.dumps(runner, indent=2)


def scrubbed(full: dict[str, str]) -> dict[str, str]:
    """expanded.config.json: the full expansion without the secrets."""
    return {k: v for k, v in full.items() if k not in SECRETS}


def user_config_yaml(
    arguments: dict[str, str], yaml_dump: Callable[..., str], indent: int = 0
) -> str:
    """config.yaml as genconf writes it back: every value a literal-block string."""
    text = yaml_dump(arguments, default_style="|", default_flow_style=False, indent=2)
    return textwrap.indent(text, " " * indent) if indent else text


def expanded_json(values: dict[str, str]) -> str:
    return json_prettyprint(values) + "\n"


def masked_arguments(user: dict[str, Any]) -> dict[str, str]:
    return {k: (MASK if k in SECRETS else v) for k, v in stringify(user).items()}
