"""genconf: turn genconf/config.yaml into genconf/serve/, as DC/OS's installer does.

Runs inside the installer (standard library plus PyYAML). The distribution's
packages were built into `artifacts/` when the installer was built; genconf
only adds the two config packages and the files that tie them together
(the serve/ layout is DC/OS's: dcos_install.sh, bootstrap/, package_lists/,
packages/, bootstrap.latest, cluster-package-list.latest,
cluster-package-info.json).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import tarfile
import uuid
from pathlib import Path
from typing import Any

from . import calc
from . import config as dcos_config

TEMPLATE_KEY = re.compile(r"\{\{\s*([a-zA-Z0-9_]+)\s*\}\}")


class GenconfError(Exception):
    """Problems as `key: message` lines; the installer prints them and exits 1."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("\n".join(f"{k}: {v}" for k, v in errors.items()))


def load_user_config(genconf_dir: Path, yaml_load: Any) -> dict[str, Any]:
    path = genconf_dir / "config.yaml"
    if not path.is_file():
        raise GenconfError({"config.yaml": f"{path} must exist"})
    try:
        data = yaml_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise GenconfError({"config.yaml": f"is not UTF-8 text: {exc}"}) from exc
    except Exception as exc:  # the YAML library's own error types vary
        raise GenconfError({"config.yaml": f"is not valid YAML: {exc}"}) from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise GenconfError({"config.yaml": "must be a YAML mapping of config keys to values"})
    not_text = [repr(key) for key in data if not isinstance(key, str)]
    if not_text:
        raise GenconfError({"config.yaml": f"keys must be text; found {', '.join(not_text)}"})
    return data


def check(genconf_dir: Path, yaml_load: Any) -> tuple[dict[str, Any], list[str]]:
    """The user config and its warnings; raises GenconfError with every problem."""
    user = load_user_config(genconf_dir, yaml_load)
    errors, warnings = dcos_config.validate(user, genconf_dir)
    if errors:
        raise GenconfError(errors)
    return user, warnings


def render(text: str, expanded: dict[str, str], where: str) -> str:
    def value(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in expanded:
            raise GenconfError({where: f"template uses unknown config key '{key}'"})
        return expanded[key]

    return TEMPLATE_KEY.sub(value, text)


def tar_bytes(entries: dict[str, bytes], modes: dict[str, int], compress: bool) -> bytes:
    """A tarball of in-memory files (xz-compressed when `compress`), owned by root, dated 0."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:xz" if compress else "w") as tar:
        for name in sorted(entries):
            info = tarfile.TarInfo(name)
            info.size = len(entries[name])
            info.mode = modes.get(name, 0o644)
            tar.addfile(info, io.BytesIO(entries[name]))
    return buf.getvalue()


ROLE_DIRS = ("etc_master/", "etc_slave/", "etc_slave_public/")


def template_destination(rel: str) -> str:
    """Where a package template lands in dcos-config: etc/, or etc_<role>/ for one role's nodes."""
    return rel if rel.startswith(ROLE_DIRS) else "etc/" + rel


def version_json(values: dict[str, str]) -> bytes:
    """dcos-version.json, laid out as DC/OS 1.10's dcos-metadata template writes it."""
    return (
        "{\n"
        f'  "version": {json.dumps(values["dcos_version"])},\n'
        f'  "dcos-image-commit": {json.dumps(values["dcos_image_commit"])},\n'
        f'  "bootstrap-id": {json.dumps(values["bootstrap_id"])}\n'
        "}\n"
    ).encode()


def config_files(
    user: dict[str, Any], full: dict[str, str], yaml_dump: Any
) -> tuple[dict[str, bytes], dict[str, int]]:
    """The files DC/OS's own dcos-config template writes (besides the components' templates)."""
    masked = calc.masked_arguments(user)
    files = {
        "etc/expanded.config.json": calc.expanded_json(calc.scrubbed(full)).encode(),
        "etc/expanded.config.full.json": calc.expanded_json(full).encode(),
        "etc/user.config.yaml": calc.user_config_yaml(masked, yaml_dump).encode(),
        "etc/user.config.full.yaml": calc.user_config_yaml(
            calc.stringify(user), yaml_dump
        ).encode(),
        "etc/dcos-diagnostics-runner-config.json": calc.runner_config_json(full).encode(),
        # REX-Ray's config file, YAML (DC/OS renders it from rexray_config_contents).
        "etc/rexray.conf": yaml_dump(
            json.loads(full["rexray_config"]), default_flow_style=False
        ).encode(),
    }
    modes = {"etc/expanded.config.full.json": 0o600, "etc/user.config.full.yaml": 0o600}
    if full["exhibitor_admin_password_enabled"] == "true":
        # Exhibitor's realm: user admin, role admin (Jetty's HashLoginService format).
        files["etc_master/exhibitor_realm"] = (
            f"admin: {full['exhibitor_admin_password']},admin\n".encode()
        )
    return files, modes


def installer_version(artifacts: Path) -> str:
    """The DC/OS version this installer installs (set when it was built)."""
    manifest = json.loads((artifacts / "manifest.json").read_text())
    return str(manifest.get("dcos_version") or dcos_config.DCOS_VERSION)


def generate(
    genconf_dir: Path,
    artifacts: Path,
    yaml_load: Any,
    yaml_dump: Any,
    upgrade_from: str | None = None,
) -> tuple[list[str], Path | None]:
    """Write genconf/serve/ for the config in genconf/; returns the warnings, and with
    `upgrade_from` (the version the cluster runs) the node upgrade script it wrote.

    An upgrade adds to serve/ (nodes of the running cluster read from it) where an
    install replaces it.
    """
    user, warnings = check(genconf_dir, yaml_load)
    version = installer_version(artifacts)
    if upgrade_from is not None and upgrade_from == version:
        raise GenconfError(
            {"--generate-node-upgrade-script": f"the cluster already runs DC/OS {version}"}
        )
    manifest = json.loads((artifacts / "manifest.json").read_text())
    ip_detect = (genconf_dir / "ip-detect").read_bytes()
    build = calc.Build(
        dcos_image_commit=manifest["installer_hash"],
        bootstrap_id=manifest["bootstrap_id"],
        package_ids=sorted(entry["id"] for entry in manifest["packages"].values()),
        ip_detect=ip_detect.decode("utf-8", errors="replace"),
        dcos_version=version,
    )
    full = calc.calculate(user, build, yaml_dump)

    config_files_: dict[str, bytes] = {}
    for name, template_dir in sorted(
        (n, artifacts / "templates" / n) for n in manifest["packages"]
    ):
        if not template_dir.is_dir():
            continue
        for path in sorted(p for p in template_dir.rglob("*") if p.is_file()):
            rel = path.relative_to(template_dir).as_posix()
            config_files_[template_destination(rel)] = render(
                path.read_text(), full, f"{name}/templates/{rel}"
            ).encode()
    generated, config_modes = config_files(user, full, yaml_dump)
    config_files_.update(generated)
    config_files_["bin/detect_ip"] = ip_detect
    config_files_["bin/detect_ip_public"] = ip_detect
    config_files_["etc/cluster-id"] = (str(uuid.uuid4()) + "\n").encode()
    config_modes.update({"bin/detect_ip": 0o755, "bin/detect_ip_public": 0o755})
    config_id = full["config_id"]
    metadata_files = {"etc/dcos-version.json": version_json(full)}
    # What each config package adds to /opt/mesosphere/environment (DC/OS's pkginfo.json).
    environment = {
        "dcos-config": {
            "MESOS_IP_DISCOVERY_COMMAND": "/opt/mesosphere/bin/detect_ip",
            "PROVIDER": full["provider"],
        },
        "dcos-metadata": {
            "DCOS_VERSION": full["dcos_version"],
            "DCOS_IMAGE_COMMIT": full["dcos_image_commit"],
        },
    }

    serve = genconf_dir / "serve"
    if serve.exists() and upgrade_from is None:
        # Keep the directory itself: nodes may already have it bind-mounted.
        for child in serve.iterdir():
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    serve.mkdir(exist_ok=True)

    package_info: dict[str, dict[str, str]] = {}
    for name, entry in manifest["packages"].items():
        src = artifacts / entry["filename"]
        dest = serve / entry["filename"]
        dest.parent.mkdir(parents=True, exist_ok=True)
        if not dest.exists():
            _link_or_copy(src, dest)
        package_info[name] = {"id": entry["id"], "filename": entry["filename"]}

    for name, files, modes in (
        ("dcos-config", config_files_, config_modes),
        ("dcos-metadata", metadata_files, {}),
    ):
        pkg_id = f"{name}--setup_{config_id}"
        files = dict(files)
        files["buildinfo.json"] = json.dumps(
            {
                "name": name,
                "version": f"setup_{config_id}",
                "description": "Generated by genconf for this cluster's config",
                "environment": environment[name],
            },
            indent=2,
        ).encode()
        filename = f"packages/{name}/{pkg_id}.tar.xz"
        (serve / filename).parent.mkdir(parents=True, exist_ok=True)
        (serve / filename).write_bytes(tar_bytes(files, modes, compress=True))
        package_info[name] = {"id": pkg_id, "filename": filename}

    bootstrap_id = manifest["bootstrap_id"]
    (serve / "bootstrap").mkdir(exist_ok=True)
    for suffix in ("bootstrap.tar.xz", "active.json"):
        if (serve / "bootstrap" / f"{bootstrap_id}.{suffix}").exists():
            continue  # the same bootstrap as the running cluster's
        _link_or_copy(
            artifacts / "bootstrap" / f"{bootstrap_id}.{suffix}",
            serve / "bootstrap" / f"{bootstrap_id}.{suffix}",
        )
    (serve / "bootstrap.latest").write_text(bootstrap_id + "\n")

    package_ids = sorted(info["id"] for info in package_info.values())
    if json.loads(full["cluster_packages"]) != package_ids:
        raise GenconfError({"cluster_packages": f"{full['cluster_packages']} != {package_ids}"})
    list_id = full["cluster_package_list_id"]
    (serve / "package_lists").mkdir(exist_ok=True)
    (serve / "package_lists" / f"{list_id}.package_list.json").write_text(full["cluster_packages"])
    (serve / "cluster-package-list.latest").write_text(list_id + "\n")
    (serve / "cluster-package-info.json").write_text(
        json.dumps(package_info, indent=2, sort_keys=True)
    )
    (genconf_dir / "cluster_packages.json").write_text(
        json.dumps(package_info, indent=2, sort_keys=True)
    )

    def script(template: str) -> str:
        text = (artifacts / template).read_text()
        return (
            text.replace("@BOOTSTRAP_ID@", bootstrap_id)
            .replace("@PACKAGE_LIST_ID@", list_id)
            .replace("@REPOSITORY_URL@", full["bootstrap_url"])
            .replace("@DCOS_VERSION@", version)
            .replace("@FROM_VERSION@", upgrade_from or "")
        )

    # A node added after an upgrade installs the new version, as in DC/OS.
    (serve / "dcos_install.sh").write_text(script("dcos_install.sh.in"))
    os.chmod(serve / "dcos_install.sh", 0o755)
    if upgrade_from is None:
        return warnings, None
    upgrade_id = hashlib.sha1(f"{upgrade_from}:{list_id}".encode()).hexdigest()
    upgrade_script = serve / "upgrade" / upgrade_id / "dcos_node_upgrade.sh"
    upgrade_script.parent.mkdir(parents=True, exist_ok=True)
    upgrade_script.write_text(script("dcos_node_upgrade.sh.in"))
    os.chmod(upgrade_script, 0o755)
    return warnings, upgrade_script


def _link_or_copy(src: Path, dest: Path) -> None:
    try:
        os.link(src, dest)
    except OSError:  # another filesystem
        shutil.copy2(src, dest)
