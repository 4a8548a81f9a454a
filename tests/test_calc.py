"""genconf's expansion against DC/OS 1.10's: the keys, their string forms and the files.

The expected values are what DC/OS 1.10's own gen (dcos/dcos, branch 1.10) writes for
the same config.yaml, so a drift from DC/OS's format shows here, without a cluster.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from minidcos.installer.payload import calc

USER: dict[str, Any] = {
    "agent_list": ["172.17.0.3"],
    "bootstrap_url": "file:///opt/dcos_install_tmp",
    "check_time": False,
    "cluster_name": "minidcos",
    "exhibitor_storage_backend": "static",
    "master_discovery": "static",
    "master_list": ["172.17.0.2"],
    "process_timeout": 10000,
    "public_agent_list": ["172.17.0.4"],
    "resolvers": ["127.0.0.11"],
}
BUILD = calc.Build("deadbeef", "abc123", ["mesos--abc", "marathon--def"], "#!/bin/sh\necho x\n")

# What DC/OS 1.10's gen writes as user.config.yaml for USER.
DCOS_USER_CONFIG_YAML = """\
"agent_list": |-
  ["172.17.0.3"]
"bootstrap_url": |-
  file:///opt/dcos_install_tmp
"check_time": |-
  false
"cluster_name": |-
  minidcos
"exhibitor_storage_backend": |-
  static
"master_discovery": |-
  static
"master_list": |-
  ["172.17.0.2"]
"process_timeout": |-
  10000
"public_agent_list": |-
  ["172.17.0.4"]
"resolvers": |-
  ["127.0.0.11"]
"""

DCOS_110_KEYS = set(
    [
        "adminrouter_auth_enabled",
        "adminrouter_tls_1_0_enabled",
        "bootstrap_id",
        "bootstrap_tmp_dir",
        "bootstrap_url",
        "check_config",
        "check_config_contents",
        "check_ld_library_path",
        "check_search_path",
        "check_time",
        "cluster_docker_credentials_dcos_owned",
        "cluster_docker_credentials_enabled",
        "cluster_docker_credentials_write_to_etc",
        "cluster_docker_registry_enabled",
        "cluster_docker_registry_url",
        "cluster_name",
        "cluster_package_list_id",
        "cluster_packages",
        "config_id",
        "config_package_ids",
        "config_package_names",
        "config_yaml",
        "cosmos_config",
        "cosmos_package_storage_uri_flag",
        "cosmos_staged_package_storage_uri_flag",
        "curly_pound",
        "custom_auth",
        "custom_checks",
        "dcos_cni_data_dir",
        "dcos_gen_resolvconf_search_str",
        "dcos_image_commit",
        "dcos_overlay_config_attempts",
        "dcos_overlay_enable",
        "dcos_overlay_mtu",
        "dcos_overlay_network_default_name",
        "dcos_remove_dockercfg_enable",
        "dcos_ucr_default_bridge_network_name",
        "dcos_ucr_default_bridge_subnet",
        "dcos_version",
        "dns_bind_ip_blacklist",
        "dns_forward_zones",
        "dns_search",
        "docker_remove_delay",
        "docker_stop_timeout",
        "enable_docker_gc",
        "enable_gpu_isolation",
        "enable_lb",
        "exhibitor_admin_password_enabled",
        "exhibitor_static_ensemble",
        "exhibitor_storage_backend",
        "expanded_config",
        "fair_sharing_excluded_resource_names",
        "gc_delay",
        "gpus_are_scarce",
        "has_master_external_loadbalancer",
        "has_mesos_max_completed_tasks_per_framework",
        "ip_detect_contents",
        "ip_detect_filename",
        "ip_detect_public_contents",
        "ip_detect_public_filename",
        "marathon_java_args",
        "master_discovery",
        "master_dns_bindall",
        "master_external_loadbalancer",
        "master_list",
        "master_quorum",
        "mesos_cni_root_dir_persist",
        "mesos_container_log_sink",
        "mesos_dns_ip_sources",
        "mesos_dns_resolvers_str",
        "mesos_dns_set_truncate_bit",
        "mesos_hooks",
        "mesos_isolation",
        "mesos_log_directory_max_files",
        "mesos_log_retention_count",
        "mesos_log_retention_mb",
        "mesos_max_completed_tasks_per_framework",
        "minuteman_forward_metrics",
        "minuteman_max_named_ip",
        "minuteman_max_named_ip_erltuple",
        "minuteman_min_named_ip",
        "minuteman_min_named_ip_erltuple",
        "num_masters",
        "oauth_auth_host",
        "oauth_auth_redirector",
        "oauth_available",
        "oauth_client_id",
        "oauth_enabled",
        "oauth_issuer_url",
        "package_ids",
        "platform",
        "profile_symlink_source",
        "profile_symlink_target",
        "profile_symlink_target_dir",
        "provider",
        "resolvers",
        "resolvers_str",
        "rexray_config",
        "rexray_config_contents",
        "rexray_config_preset",
        "sources_id",
        "telemetry_enabled",
        "template_filenames",
        "ui_banner",
        "ui_banner_background_color",
        "ui_banner_dismissible",
        "ui_banner_footer_content",
        "ui_banner_foreground_color",
        "ui_banner_header_content",
        "ui_banner_header_title",
        "ui_banner_image_path",
        "ui_branding",
        "ui_external_links",
        "ui_telemetry_metadata",
        "use_mesos_hooks",
        "use_proxy",
        "user_arguments",
        "weights",
    ]
)


def expand(user: dict[str, Any] = USER) -> dict[str, str]:
    return calc.calculate(user, BUILD, yaml.safe_dump)


def test_every_key_dcos_1_10_writes_and_nothing_of_enterprise() -> None:
    full = expand()
    assert set(full) >= DCOS_110_KEYS, sorted(DCOS_110_KEYS - set(full))
    assert all(isinstance(v, str) for v in full.values())
    assert "security" not in expand({**USER, "security": "strict"})
    assert "dcos_variant" not in full  # 1.12's key


def test_values_as_dcos_writes_them() -> None:
    full = expand()
    assert full["dcos_version"] == "1.10.11-minidcos"
    assert full["master_quorum"] == "1" and full["num_masters"] == "1"
    assert full["exhibitor_static_ensemble"] == "1:172.17.0.2"
    assert full["mesos_log_retention_count"] == "137"
    assert full["mesos_log_directory_max_files"] == "162"
    assert full["mesos_dns_resolvers_str"] == '"resolvers": ["127.0.0.11"]'
    assert full["resolvers_str"] == "127.0.0.11"
    assert full["ip_detect_contents"] == "'#!/bin/sh\n\n  echo x\n\n  '\n"
    assert full["template_filenames"] == (
        '[\n  "dcos-config.yaml",\n  "cloud-config.yaml",\n  "dcos-metadata.yaml",\n'
        '  "dcos-services.yaml"\n]'
    )
    assert full["config_package_names"] == '[\n  "dcos-config",\n  "dcos-metadata"\n]'
    assert full["package_ids"] == '["mesos--abc", "marathon--def"]'
    assert json.loads(full["cluster_packages"]) == sorted(
        [*json.loads(full["config_package_ids"]), "mesos--abc", "marathon--def"]
    )
    assert full["expanded_config"] == (
        '"DO NOT USE THIS AS AN ARGUMENT TO OTHER ARGUMENTS. IT IS TEMPORARY"'
    )
    assert json.loads(full["user_arguments"])["master_list"] == '["172.17.0.2"]'
    assert full["profile_symlink_target_dir"] == "/etc/profile.d"
    # The VIP range is ours (dcos_l4lb_*), in 1.10's spelling too.
    assert full["minuteman_min_named_ip"] == full["dcos_l4lb_min_named_ip"]
    assert full["minuteman_min_named_ip_erltuple"].startswith("{198,18,")


def test_user_config_yaml_is_dcos_s_literal_blocks() -> None:
    masked = calc.masked_arguments(USER)
    assert calc.user_config_yaml(masked, yaml.safe_dump) == DCOS_USER_CONFIG_YAML


def test_secrets_are_masked_and_scrubbed() -> None:
    user = {**USER, "exhibitor_admin_password": "s3cret"}
    full = expand(user)
    assert full["exhibitor_admin_password"] == "s3cret"
    assert full["exhibitor_admin_password_enabled"] == "true"
    scrubbed = calc.scrubbed(full)
    assert "exhibitor_admin_password" not in scrubbed
    assert "s3cret" not in json.dumps(scrubbed)
    assert (
        yaml.safe_load(calc.user_config_yaml(calc.masked_arguments(user), yaml.safe_dump))[
            "exhibitor_admin_password"
        ]
        == "**HIDDEN**"
    )


def test_the_check_runner_config_is_dcos_s() -> None:
    full = expand()
    runner = json.loads(calc.runner_config_json(full))
    assert runner["node_checks"]["poststart"] == [
        "components_master",
        "components_agent",
        "xz",
        "tar",
        "curl",
        "unzip",
        "ip_detect_script",
        "mesos_master_replog_synchronized",
        "mesos_agent_registered_with_masters",
        "journald_dir_permissions",
    ]
    assert runner["check_env"]["PATH"] == "/opt/mesosphere/bin:/usr/bin:/bin:/sbin"
    assert yaml.safe_load(full["check_config_contents"]) == calc.runner_config_json(full)
    with_time = json.loads(calc.runner_config_json(expand({**USER, "check_time": True})))
    assert with_time["node_checks"]["poststart"][-1] == "clock_sync"


def test_cosmos_flags_and_rexray_config() -> None:
    storage = {
        "package_storage_uri": "file:///var/lib/p",
        "staged_package_storage_uri": "file:///var/lib/s",
    }
    full = expand({**USER, "cosmos_config": storage})
    assert full["cosmos_package_storage_uri_flag"] == (
        "-com.mesosphere.cosmos.packageStorageUri=file:///var/lib/p"
    )
    assert full["cosmos_staged_package_storage_uri_flag"] == (
        "-com.mesosphere.cosmos.stagedPackageStorageUri=file:///var/lib/s"
    )
    rexray = yaml.safe_load(yaml.safe_load(expand()["rexray_config_contents"]))
    assert rexray["rexray"]["service"] == "vfs"
    assert rexray["rexray"]["modules"]["default-docker"]["disabled"] is False
