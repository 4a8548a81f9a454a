"""A DC/OS 1.10 Open node as tools see it from inside: config files, environment, units,
sockets and binaries, on every role (issue 17).

Expectations come from DC/OS 1.10 itself (dcos/dcos, branch 1.10: gen/calc.py and
gen/dcos-config.yaml for the config, packages/*/extra for units and binaries,
packages/dcos-integration-test/extra/test_misc.py, test_units.py and
test_composition.py for what DC/OS checks of a node), not from this distribution's
own output. The master is read directly; each agent through `node_probe.py` run
there as a Mesos task (as root, as DC/OS's tests reach an agent's inside).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import uuid
from pathlib import Path
from typing import Any

import node_probe
import pytest
import requests
import yaml
from mesos_tasks import MESOS_EXECUTE, run_task, session
from node_api import agent_ids

ETC = Path("/opt/mesosphere/etc")

# Every key DC/OS 1.10's genconf writes into expanded.config.json for an on-prem
# cluster with static master discovery (gen/calc.py's entry, gen/__init__.py's
# builtins, gen/build_deploy/bash.py's onprem source), secrets excluded.
DCOS_110_EXPANDED_KEYS = frozenset(
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
        "dcos_overlay_network",
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
# Calculated by genconf: never in user.config.yaml (test_misc.py checks master_quorum).
CALCULATED = (
    "master_quorum",
    "num_masters",
    "dcos_version",
    "exhibitor_static_ensemble",
    "cluster_packages",
    "config_id",
    "resolvers_str",
)

# DC/OS 1.10 Open's units, per role (packages/*/build's dcos.target.wants_<role>, and
# test_composition.py's signal test).
UNITS_EVERY_NODE = {
    "dcos-diagnostics.service",
    "dcos-diagnostics.socket",
    "dcos-epmd.service",
    "dcos-gen-resolvconf.service",
    "dcos-gen-resolvconf.timer",
    "dcos-navstar.service",
    "dcos-pkgpanda-api.service",
    "dcos-signal.timer",
    "dcos-spartan.service",
    "dcos-spartan-watchdog.service",
    "dcos-spartan-watchdog.timer",
}
UNITS_MASTER = {
    "dcos-adminrouter.service",
    "dcos-cosmos.service",
    "dcos-exhibitor.service",
    "dcos-history.service",
    "dcos-log-master.service",
    "dcos-log-master.socket",
    "dcos-logrotate-master.service",
    "dcos-logrotate-master.timer",
    "dcos-marathon.service",
    "dcos-mesos-dns.service",
    "dcos-mesos-master.service",
    "dcos-metrics-master.service",
    "dcos-metrics-master.socket",
    "dcos-metronome.service",
    "dcos-oauth.service",
    "dcos-signal.service",
}
UNITS_AGENT = {
    "dcos-adminrouter-agent.service",
    "dcos-docker-gc.service",
    "dcos-docker-gc.timer",
    "dcos-log-agent.service",
    "dcos-log-agent.socket",
    "dcos-logrotate-agent.service",
    "dcos-logrotate-agent.timer",
    "dcos-metrics-agent.service",
    "dcos-metrics-agent.socket",
    "dcos-rexray.service",
}
DCOS_110_UNITS = {
    "master": UNITS_EVERY_NODE | UNITS_MASTER,
    "slave": UNITS_EVERY_NODE | UNITS_AGENT | {"dcos-mesos-slave.service"},
    "slave_public": UNITS_EVERY_NODE | UNITS_AGENT | {"dcos-mesos-slave-public.service"},
}
# Components other issues are building: their unit is expected once their package
# is in the cluster's package list, and never faked before.
UNIT_PACKAGES = {
    "dcos-cosmos.service": "cosmos",
    "dcos-marathon.service": "marathon",
    "dcos-metronome.service": "metronome",
    "dcos-navstar.service": "navstar",
}
HEALTH_ROLES = {"master": "master", "slave": "agent", "slave_public": "agent_public"}

# DC/OS 1.10's node checks (gen/calc.py's calculate_check_config, check_time false).
POSTSTART_CHECKS = {
    "master": {
        "components_master",
        "xz",
        "tar",
        "curl",
        "unzip",
        "ip_detect_script",
        "mesos_master_replog_synchronized",
        "journald_dir_permissions",
    },
    "agent": {
        "components_agent",
        "xz",
        "tar",
        "curl",
        "unzip",
        "ip_detect_script",
        "mesos_agent_registered_with_masters",
        "journald_dir_permissions",
    },
}


def expected_units(role: str, cluster_packages: list[str]) -> set[str]:
    names = {p.split("--", 1)[0] for p in cluster_packages}
    return {
        unit
        for unit in DCOS_110_UNITS[role]
        if unit not in UNIT_PACKAGES or UNIT_PACKAGES[unit] in names
    }


def diff(actual: set[str], expected: set[str]) -> str:
    return f"extra: {sorted(actual - expected)}; missing: {sorted(expected - actual)}"


# -- the facts of every node ---------------------------------------------------------


def probe_agent(role: str) -> dict[str, Any]:
    """node_probe.py's facts of an agent of `role`, run there as a task."""
    name = f"node-contract-probe-{role}-{uuid.uuid4().hex[:8]}"
    source = Path(node_probe.__file__).read_text()
    extra = ("--role=slave_public",) if role == "slave_public" else ()
    done = run_task(
        name,
        "python3 - <<'PROBE'\n" + source + "\nPROBE\n",
        (*extra, "--resources=cpus:0.5;mem:128"),  # a CPU share that lets it finish soon
        timeout=300,
    )
    assert done.returncode == 0, (done.updates, done.stdout[-2000:], done.stderr[-2000:])
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.fixture(scope="module")
def nodes(agent_hosts: list[str], public_agent_hosts: list[str]) -> dict[str, dict[str, Any]]:
    """Facts of this master and of one agent of each agent role the cluster has."""
    facts = {"master": node_probe.collect()}
    if agent_hosts:
        facts["slave"] = probe_agent("slave")
    if public_agent_hosts:
        facts["slave_public"] = probe_agent("slave_public")
    return facts


@pytest.fixture(scope="module")
def expanded() -> dict[str, Any]:
    return dict(json.loads((ETC / "expanded.config.json").read_text()))


# -- 1. the configuration the installer writes ------------------------------------


def test_expanded_config_has_every_key_dcos_1_10_calculates(expanded: dict[str, Any]) -> None:
    missing = DCOS_110_EXPANDED_KEYS - set(expanded)
    assert not missing, f"keys DC/OS 1.10 writes that are missing: {sorted(missing)}"
    not_strings = {k: v for k, v in expanded.items() if not isinstance(v, str)}
    assert not not_strings, f"genconf writes every value as a string: {not_strings}"
    assert "security" not in expanded  # DC/OS Open (dcos-e2e tells the variants by it)


def test_expanded_config_values_are_dcos_s(expanded: dict[str, Any]) -> None:
    version = json.loads((ETC / "dcos-version.json").read_text())
    masters = json.loads(expanded["master_list"])
    assert expanded["platform"] == "onprem" and expanded["provider"] == "onprem"
    assert expanded["dcos_version"] == version["version"] == os.environ["DCOS_VERSION"]
    assert re.fullmatch(r"1\.10\.\d+(-[a-z0-9.]+)?", expanded["dcos_version"])
    assert expanded["dcos_image_commit"] == version["dcos-image-commit"]
    assert expanded["bootstrap_id"] == version["bootstrap-id"]
    assert expanded["master_quorum"] == str(len(masters) // 2 + 1)
    assert expanded["num_masters"] == str(len(masters))
    assert expanded["exhibitor_static_ensemble"] == ",".join(
        f"{i + 1}:{ip}" for i, ip in enumerate(sorted(masters))
    )
    assert expanded["exhibitor_admin_password_enabled"] in ("true", "false")
    assert expanded["oauth_enabled"] in ("true", "false")
    assert expanded["adminrouter_auth_enabled"] == expanded["oauth_enabled"]
    assert expanded["enable_lb"] in ("true", "false")
    assert isinstance(expanded["dns_search"], str)
    assert expanded["cosmos_package_storage_uri_flag"] == ""  # cosmos_config is {}
    assert expanded["cosmos_staged_package_storage_uri_flag"] == ""
    assert expanded["profile_symlink_source"] == "/opt/mesosphere/bin/add_dcos_path.sh"
    assert expanded["profile_symlink_target"] == "/etc/profile.d/dcos.sh"
    assert json.loads(expanded["template_filenames"]) == [
        "dcos-config.yaml",
        "cloud-config.yaml",
        "dcos-metadata.yaml",
        "dcos-services.yaml",
    ]
    assert expanded["template_filenames"].startswith("[\n  ")  # pretty-printed, as genconf
    packages = json.loads(expanded["cluster_packages"])
    assert json.loads(expanded["config_package_ids"]) == [
        f"dcos-config--setup_{expanded['config_id']}",
        f"dcos-metadata--setup_{expanded['config_id']}",
    ]
    assert set(json.loads(expanded["config_package_ids"])) <= set(packages)
    assert expanded["expanded_config"] == (
        '"DO NOT USE THIS AS AN ARGUMENT TO OTHER ARGUMENTS. IT IS TEMPORARY"'
    )
    assert json.loads(expanded["check_config"])["node_checks"]["poststart"]


def test_expanded_config_is_laid_out_as_genconf_writes_it() -> None:
    text = (ETC / "expanded.config.json").read_text()
    # pkgpanda.util.json_prettyprint: sorted keys, two spaces, no space after ':'.
    assert text.startswith('{\n  "adminrouter_auth_enabled":"')
    assert (
        text == json.dumps(json.loads(text), sort_keys=True, indent=2, separators=(",", ":")) + "\n"
    )


def test_user_config_holds_only_what_the_user_wrote() -> None:
    text = (ETC / "user.config.yaml").read_text()
    user = yaml.safe_load(text)
    assert user and all(isinstance(v, str) for v in user.values()), user
    calculated = [k for k in CALCULATED if k in user]
    assert not calculated, f"calculated keys in user.config.yaml: {calculated}"
    # genconf dumps every value as a literal block: `"key": |-` then the value indented.
    keys = [line for line in text.splitlines() if not line.startswith(" ")]
    assert keys and all(re.fullmatch(r'"[a-z0-9_]+": \|[-+]?', line) for line in keys), keys


def test_full_config_files_are_readable_by_root_only(nodes: dict[str, dict[str, Any]]) -> None:
    for role, facts in nodes.items():
        for name in ("expanded.config.full.json", "user.config.full.yaml"):
            file = facts["files"][name]
            assert file and file["mode"] == "0600" and file["owner"] == "root", (role, name, file)
    full = json.loads((ETC / "expanded.config.full.json").read_text())
    expanded = json.loads((ETC / "expanded.config.json").read_text())
    assert set(expanded) < set(full) and "exhibitor_admin_password" in full
    assert "security" not in full


def test_adminrouter_env_follows_oauth_enabled(expanded: dict[str, Any]) -> None:
    lines = (ETC / "adminrouter.env").read_text().splitlines()
    assert f"ADMINROUTER_ACTIVATE_AUTH_MODULE={expanded['oauth_enabled']}" in lines


def test_signal_config(expanded: dict[str, Any]) -> None:
    config = json.loads((ETC / "dcos-signal-config.json").read_text())
    assert config["enabled"] == expanded["telemetry_enabled"]  # a string, as DC/OS writes it
    assert config["customer_key"] == ""  # DC/OS Open has none
    assert config["gen_platform"] == "onprem" and config["gen_provider"] == "onprem"
    assert config["diagnostics_urls"] == [
        "http://leader.mesos:1050/system/health/v1/report?cache=0"
    ]


def test_check_runner_config() -> None:
    config = json.loads((ETC / "dcos-diagnostics-runner-config.json").read_text())
    checks = config["node_checks"]["checks"]
    assert set(config["node_checks"]["poststart"]) == set(checks)
    assert set(checks) == POSTSTART_CHECKS["master"] | POSTSTART_CHECKS["agent"]
    assert config["node_checks"]["prestart"] == []
    assert config["check_env"] == {
        "PATH": "/opt/mesosphere/bin:/usr/bin:/bin:/sbin",
        "LD_LIBRARY_PATH": "/opt/mesosphere/lib",
    }
    for check in checks.values():
        assert check["cmd"][0] == "/opt/mesosphere/bin/dcos-checks"
        assert set(check) <= {"description", "cmd", "timeout", "roles"}


def test_role_files(nodes: dict[str, dict[str, Any]], expanded: dict[str, Any]) -> None:
    for role, facts in nodes.items():
        assert facts["roles"] == [role]
        diagnostics = json.loads(facts["diagnostics_config"])
        assert diagnostics["role"] == HEALTH_ROLES[role]
        realm = facts["files"]["exhibitor_realm"]
        wanted = role == "master" and expanded["exhibitor_admin_password_enabled"] == "true"
        assert bool(realm) == wanted, (role, realm)
        for name in (
            "adminrouter.env",
            "dcos-signal-config.json",
            "rexray.conf",
            "dcos-diagnostics-runner-config.json",
            "user.config.yaml",
        ):
            assert facts["files"][name], (role, name)


def test_one_cluster_id_on_every_node(nodes: dict[str, dict[str, Any]]) -> None:
    ids = {role: (facts["cluster_id"] or "").strip() for role, facts in nodes.items()}
    first = ids["master"]
    assert str(uuid.UUID(first)) == first
    assert set(ids.values()) == {first}, ids


def test_profile_script_is_linked_as_dcos_links_it(
    nodes: dict[str, dict[str, Any]], expanded: dict[str, Any]
) -> None:
    """test_misc.py's test_profile_symlink, on every role."""
    for role, facts in nodes.items():
        assert facts["profile"]["link"] == expanded["profile_symlink_source"], role
    assert os.readlink(expanded["profile_symlink_target"]) == expanded["profile_symlink_source"]


def test_environment_is_dcos_s(nodes: dict[str, dict[str, Any]], expanded: dict[str, Any]) -> None:
    for role, facts in nodes.items():
        env, export = facts["environment"], facts["environment_export"]
        assert env.startswith(
            "# Pkgpanda provided environment variables\n"
            "LD_LIBRARY_PATH=/opt/mesosphere/lib\n"
            "PATH=/opt/mesosphere/bin:/usr/bin:/bin:/sbin\n\n"
        ), role
        assert export.startswith(
            "# Pkgpanda provided environment variables\n"
            "export LD_LIBRARY_PATH=/opt/mesosphere/lib\n"
            'export PATH="/opt/mesosphere/bin:$PATH"\n\n'
        ), role
        lines = env.splitlines()
        assert f"DCOS_VERSION={expanded['dcos_version']}" in lines, role
        assert f"DCOS_IMAGE_COMMIT={expanded['dcos_image_commit']}" in lines, role
        pythonpath = [line for line in lines if line.startswith("PYTHONPATH=")]
        assert len(pythonpath) == 1, role
        assert re.fullmatch(
            r"PYTHONPATH=/opt/mesosphere/lib/python3\.\d+/site-packages", pythonpath[0]
        ), pythonpath
        assert f"export {pythonpath[0]}" in export.splitlines(), role
        assert "PROVIDER=onprem" in lines and (
            "MESOS_IP_DISCOVERY_COMMAND=/opt/mesosphere/bin/detect_ip" in lines
        )
        version = json.loads(facts["dcos_version"])
        assert sorted(version) == ["bootstrap-id", "dcos-image-commit", "version"], role


# -- 2. binaries -------------------------------------------------------------------


def test_dcos_shell_runs_python_in_dcos_s_environment(
    nodes: dict[str, dict[str, Any]], expanded: dict[str, Any]
) -> None:
    for role, facts in nodes.items():
        result = facts["shell_version"]
        assert result["rc"] == 0, (role, result)
        version, executable, prefix = result["out"].split()
        assert version == expanded["dcos_version"], role
        assert executable.startswith("/opt/mesosphere/") and prefix.startswith(
            "/opt/mesosphere/"
        ), (role, result)


def test_login_shells_find_dcos_shell(nodes: dict[str, dict[str, Any]]) -> None:
    """add_dcos_path.sh adds /opt/mesosphere/bin/dcos-path, as DC/OS's does."""
    for role, facts in nodes.items():
        assert facts["shell_path"]["out"].strip() == "/opt/mesosphere/bin/dcos-path/dcos-shell", (
            role,
            facts["shell_path"],
        )


def test_python_and_curl_run_in_a_container_that_mounts_opt_mesosphere(
    nodes: dict[str, dict[str, Any]],
) -> None:
    """An empty image: the Python and curl under /opt/mesosphere bring all they need."""
    for role, facts in nodes.items():
        python = facts["python_in_container"]
        assert python["rc"] == 0 and python["out"].startswith("(3, "), (role, python)
        curl = facts["curl_in_container"]
        assert curl["rc"] == 0 and curl["out"].startswith("curl "), (role, curl)
        assert facts["curl"]["rc"] == 0, (role, facts["curl"])


def test_node_poststart_checks_pass(nodes: dict[str, dict[str, Any]]) -> None:
    """`dcos-diagnostics check node-poststart` from a root shell, as dcos-e2e waits on it."""
    for role, facts in nodes.items():
        result = facts["poststart"]
        report = json.loads(result["out"])
        assert result["rc"] == 0 and report["status"] == 0, (role, report, result["err"])
        expected = POSTSTART_CHECKS["master" if role == "master" else "agent"]
        assert set(report["checks"]) == expected, (role, report)
        for check in report["checks"].values():
            assert set(check) == {"output", "status"}


def test_check_runner_reports_a_failing_check(tmp_path: Path) -> None:
    config = {
        "cluster_checks": {
            "fine": {"description": "ok", "cmd": ["/bin/true"], "timeout": "1s"},
            "broken": {
                "description": "fails",
                "cmd": ["/bin/sh", "-c", "echo no; exit 2"],
                "timeout": "1s",
            },
        },
        "check_env": {"PATH": "/usr/bin:/bin"},
    }
    path = tmp_path / "runner.json"
    path.write_text(json.dumps(config))
    done = subprocess.run(
        ["/opt/mesosphere/bin/dcos-diagnostics", "check", "cluster", "--check-config", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2, done
    assert json.loads(done.stdout) == {
        "status": 2,
        "checks": {"broken": {"output": "no\n", "status": 2}, "fine": {"output": "", "status": 0}},
    }
    listed = subprocess.run(
        [
            "/opt/mesosphere/bin/dcos-diagnostics",
            "check",
            "cluster",
            "--list",
            "--check-config",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert json.loads(listed.stdout)["fine"] == {
        "description": "ok",
        "cmd": ["/bin/true"],
        "timeout": "1s",
    }


def test_mesos_execute_runs_a_command_task_to_finished() -> None:
    name = f"node-contract-cmd-{uuid.uuid4().hex[:8]}"
    done = subprocess.run(
        [
            MESOS_EXECUTE,
            "--master=leader.mesos:5050",
            f"--name={name}",
            "--command=echo hello from mesos-execute",
            "--resources=cpus:0.1;mem:32",
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done
    assert f"Received status update TASK_FINISHED for task '{name}'" in done.stdout


def test_mesos_execute_runs_a_docker_task_to_finished(agent_hosts: list[str]) -> None:
    """The image is made on the agent first (nothing is pulled from outside the cluster)."""
    if len(agent_hosts) != 1:
        pytest.skip("the task's image is made on the one agent default-role tasks run on")
    image = f"minidcos-node-contract:{uuid.uuid4().hex[:8]}"
    make = (
        'set -eu; R=$(mktemp -d); for f in /bin/sh $(ldd /bin/sh | grep -o "/[^ ]*"); do '
        'mkdir -p "$R$(dirname "$f")"; cp -L "$f" "$R$f"; done; '
        f'tar -C "$R" -c . | docker import - {image} >/dev/null; echo made'
    )
    made = run_task(
        f"node-contract-image-{uuid.uuid4().hex[:8]}", make, ("--resources=cpus:0.1;mem:64",)
    )
    assert made.returncode == 0 and "made" in made.stdout, made
    name = f"node-contract-docker-{uuid.uuid4().hex[:8]}"
    try:
        done = subprocess.run(
            [
                MESOS_EXECUTE,
                "--master=leader.mesos:5050",
                f"--name={name}",
                "--containerizer=docker",
                f"--docker_image={image}",
                "--command=echo in docker",
                "--resources=cpus:0.1;mem:32",
            ],
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, done
        assert f"Received status update TASK_FINISHED for task '{name}'" in done.stdout, done
    finally:
        run_task(
            f"node-contract-rmi-{uuid.uuid4().hex[:8]}",
            f"docker rmi -f {image} >/dev/null; true",
            ("--resources=cpus:0.1;mem:32",),
        )


def test_octarine_proxies_to_a_srv_name(tmp_path: Path) -> None:
    """octarine's server and client meet over $TMPDIR/octarine; _leader._tcp.mesos is
    Mesos-DNS's SRV record of the leading master."""
    instance = f"node-contract-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    server = subprocess.Popen(
        ["/opt/mesosphere/bin/octarine", "-mode", "standard", instance],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port = subprocess.run(
            ["/opt/mesosphere/bin/octarine", "-client", "-port", instance],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout.strip()
        proxies = {"http": f"http://127.0.0.1:{port}"}
        response = requests.get("http://_leader._tcp.mesos/version", proxies=proxies, timeout=10)
        assert response.status_code == 200, response.text
        assert "version" in response.json()
    finally:
        server.terminate()
        server.wait(10)


# -- 3. units --------------------------------------------------------------------


def test_unit_set_per_role_is_dcos_1_10_s(
    nodes: dict[str, dict[str, Any]], expanded: dict[str, Any]
) -> None:
    packages = json.loads(expanded["cluster_packages"])
    for role, facts in nodes.items():
        wanted = {u for u in facts["wants"] if u.startswith("dcos-")}
        assert wanted == expected_units(role, packages), (
            role,
            diff(wanted, expected_units(role, packages)),
        )


def test_health_lists_the_same_units_all_healthy(
    master_hosts: list[str],
    agent_hosts: list[str],
    public_agent_hosts: list[str],
    expanded: dict[str, Any],
) -> None:
    packages = json.loads(expanded["cluster_packages"])
    roles = (
        [(h, "master") for h in master_hosts]
        + [(h, "slave") for h in agent_hosts]
        + [(h, "slave_public") for h in public_agent_hosts]
    )
    for host, role in roles:
        response = session.get(f"http://127.0.0.1/system/health/v1/nodes/{host}/units", timeout=30)
        assert response.status_code == 200, response.text
        units = response.json()["units"]
        ids = {u["id"] for u in units}
        assert ids == expected_units(role, packages), (
            host,
            diff(ids, expected_units(role, packages)),
        )
        unhealthy = [(u["id"], u["output"]) for u in units if u["health"] != 0]
        assert not unhealthy, (host, unhealthy)


def test_signal_report_counts_the_same_units(
    master_hosts: list[str],
    agent_hosts: list[str],
    public_agent_hosts: list[str],
    expanded: dict[str, Any],
) -> None:
    """dcos-signal's health track: `health-unit-dcos-<unit>-total` for DC/OS's units only."""
    done = subprocess.run(
        ["/opt/mesosphere/bin/dcos-signal", "-test"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done
    properties = json.loads(done.stdout)["diagnostics"]["properties"]
    totals = {
        key[len("health-unit-") : -len("-total")]: value
        for key, value in properties.items()
        if key.startswith("health-unit-") and key.endswith("-total")
    }
    packages = json.loads(expanded["cluster_packages"])
    count = {
        "master": len(master_hosts),
        "slave": len(agent_hosts),
        "slave_public": len(public_agent_hosts),
    }
    expected: dict[str, int] = {}
    for role, hosts in count.items():
        for unit in expected_units(role, packages) if hosts else ():
            key = unit.replace(".", "-")
            expected[key] = expected.get(key, 0) + hosts
    assert totals == expected, diff(set(totals), set(expected))


def test_systemd_analyze_verify_is_clean(nodes: dict[str, dict[str, Any]]) -> None:
    """test_units.py's test_verify_units, on every role."""
    for role, facts in nodes.items():
        assert facts["verify"] == {}, (role, facts["verify"])


def test_dcos_sockets_are_root_dcos_adminrouter_0660(nodes: dict[str, dict[str, Any]]) -> None:
    """test_units.py's test_socket_units and test_socket_files, on every role."""
    for role, facts in nodes.items():
        assert facts["users"] == {"dcos_adminrouter_user": True, "dcos_adminrouter_group": True}
        for name, unit in facts["socket_units"].items():
            if not unit["unix"]:
                continue
            assert all(p.startswith("/run/dcos/") for p in unit["unix"].split(",")), (role, unit)
            assert (unit["SocketUser"], unit["SocketGroup"], unit["SocketMode"]) == (
                "root",
                "dcos_adminrouter",
                "0660",
            ), (role, name, unit)
        sockets = {p: f for p, f in facts["run_dcos"].items() if f and f["socket"]}
        assert sockets, role
        for path, file in sockets.items():
            assert (file["owner"], file["group"], file["mode"]) == (
                "root",
                "dcos_adminrouter",
                "0660",
            ), (role, path, file)


# -- 4. Docker on masters, Exhibitor -----------------------------------------------


def test_docker_runs_on_every_node(nodes: dict[str, dict[str, Any]]) -> None:
    for role, facts in nodes.items():
        assert facts["docker_info"]["rc"] == 0, (role, facts["docker_info"])


def test_exhibitor_answers_on_8181_without_auth(master_hosts: list[str]) -> None:
    """As on DC/OS Open: test_composition.py reads every master's 8181 with no credentials."""
    bare = requests.Session()
    bare.trust_env = False
    statuses = []
    for master in master_hosts:
        status = bare.get(f"http://{master}:8181/exhibitor/v1/cluster/status", timeout=10)
        assert status.status_code == 200, status.text
        statuses.append(sorted(status.json(), key=lambda s: s["hostname"]))
        listed = bare.get(f"http://{master}:8181/exhibitor/v1/cluster/list", timeout=10)
        assert listed.status_code == 200, listed.text
        assert sorted(listed.json()["servers"]) == sorted(master_hosts)
        assert listed.json()["port"] == 2181
    assert all(s == statuses[0] for s in statuses)
    assert sorted(s["hostname"] for s in statuses[0]) == sorted(master_hosts)


# -- 5. what exists of the routes DC/OS kept -------------------------------------------


def test_slave_route_answers_the_agents_state(
    agent_hosts: list[str], public_agent_hosts: list[str]
) -> None:
    """dcos-test-utils' wait_for_dcos reads /slave/<id>/slave%281%29/state."""
    ids = agent_ids()
    for agent in agent_hosts + public_agent_hosts:
        agent_id = ids[agent]
        response = session.get(f"http://127.0.0.1/slave/{agent_id}/slave%281%29/state", timeout=30)
        assert response.status_code == 200, response.text
        assert response.json()["id"] == agent_id
