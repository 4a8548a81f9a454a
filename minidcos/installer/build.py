"""Build the installer: one self-extracting dcos_generate_config.sh.

Its inputs are packages/, integration_tests/ (as the dcos-integration-test
package, active on masters), fixtures/universe/ (as the `universe` package,
see universe.py), the web UI's bundle (built from ui/ into the dcos-ui
package, see ui.py) and the payload code beside this module (`payload/`).
The result is cached under a hash of them all, so it is rebuilt only when
one changes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from minidcos._util import paths
from minidcos.errors import UsageError
from minidcos.installer import ui
from minidcos.installer.packages import Package, load_package, package_folders, read_tree
from minidcos.installer.payload.config import DCOS_VERSION
from minidcos.installer.payload.genconf import tar_bytes
from minidcos.installer.universe import universe_package

INTEGRATION_TESTS_DIR = paths.PROJECT_ROOT / "integration_tests"
PAYLOAD_DIR = Path(__file__).resolve().parent / "payload"
# Shipped beside the integration tests, so that the suite on a node waits the
# way the harness does (one poll helper, not one per suite).
POLLING_MODULE = paths.PROJECT_ROOT / "minidcos" / "_util" / "polling.py"
# The Python modules of payload/, shipped as the artifact's `dcos_installer` package.
PAYLOAD_MODULES = ("__init__.py", "calc.py", "config.py", "genconf.py", "generate_config.py")
# The scripts genconf writes into serve/ for nodes, from these templates.
NODE_SCRIPTS = ("dcos_install.sh.in", "dcos_node_upgrade.sh.in")
VERSION_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")


def integration_test_package() -> Package:
    files, modes = read_tree(INTEGRATION_TESTS_DIR, ("__pycache__", ".pytest_cache"))
    files["polling.py"] = POLLING_MODULE.read_bytes()
    modes["polling.py"] = 0o644
    buildinfo: dict[str, object] = {
        "name": "dcos-integration-test",
        "version": "0.1.0",
        "description": "The integration suite, run on a master by `minidcos docker run --test-env`",
        # On every node, as in DC/OS: agents run the test app (util/python_test_server.py) from it.
        "roles": ["master", "slave", "slave_public"],
    }
    files["buildinfo.json"] = json.dumps(buildinfo, indent=2).encode()
    return Package("dcos-integration-test", files, modes, {}, buildinfo)


def load_packages() -> list[Package]:
    packages = [load_package(f) for f in package_folders()]
    packages = [ui.with_bundle(p) if p.name == ui.PACKAGE_NAME else p for p in packages]
    return [*packages, integration_test_package(), universe_package()]


def installer_hash(packages: list[Package], dcos_version: str = DCOS_VERSION) -> str:
    code = [
        (f"installer/{m}", (PAYLOAD_DIR / m).read_bytes())
        for m in (*PAYLOAD_MODULES, "header.sh", *NODE_SCRIPTS)
    ]
    code.append(("dcos_version", dcos_version.encode()))
    ids = [(p.id, b"") for p in packages]
    templates = [
        (f"{p.name}/templates/{k}", v) for p in packages for k, v in sorted(p.templates.items())
    ]
    return paths.content_hash(code + ids + templates)


def build(output: Path | None = None, dcos_version: str | None = None) -> Path:
    """The installer's path; builds it if no installer of the same inputs is cached.

    With `output`, the installer is also copied there (its folder must exist).
    `dcos_version` is the version it installs (dcos-version.json, `--version`);
    two builds of the same packages with different versions upgrade one to the other.
    """
    version = DCOS_VERSION if dcos_version is None else dcos_version
    if not VERSION_PATTERN.match(version):
        raise UsageError(
            f"--dcos-version {version!r}: use 1 to 64 letters, digits, '.', '_', '+' or '-', "
            f"starting with a letter or digit (for example {DCOS_VERSION}.1)"
        )
    if output is not None and not output.parent.is_dir():
        raise UsageError(
            f"--output {output}: the folder {output.parent} does not exist; create it first"
        )
    if output is not None and output.is_dir():
        raise UsageError(f"--output {output} is a folder; give the installer's file name")
    packages = load_packages()
    digest = installer_hash(packages, version)
    cached = paths.cache_dir() / "installers" / f"dcos_generate_config.{digest[:16]}.sh"
    if not cached.exists():
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{paths.unique_suffix()}.partial")
        partial.write_bytes(_installer_bytes(packages, digest, version))
        partial.chmod(0o755)
        partial.rename(cached)
    if output is not None:
        output.write_bytes(cached.read_bytes())
        output.chmod(0o755)
        return output
    return cached


def _installer_bytes(packages: list[Package], digest: str, version: str) -> bytes:
    payload: dict[str, bytes] = {}
    modes: dict[str, int] = {}
    bootstrap_entries: dict[str, bytes] = {}
    bootstrap_modes: dict[str, int] = {}
    manifest_packages = {}
    for package in packages:
        filename = f"packages/{package.name}/{package.id}.tar.xz"
        payload[f"artifacts/{filename}"] = tar_bytes(package.files, package.modes, compress=True)
        manifest_packages[package.name] = {"id": package.id, "filename": filename}
        for rel, data in package.files.items():
            bootstrap_entries[f"packages/{package.id}/{rel}"] = data
            bootstrap_modes[f"packages/{package.id}/{rel}"] = package.modes.get(rel, 0o644)
        for rel, data in package.templates.items():
            payload[f"artifacts/templates/{package.name}/{rel}"] = data

    package_ids = sorted(p.id for p in packages)
    bootstrap_id = paths.content_hash([(i, b"") for i in package_ids])
    payload[f"artifacts/bootstrap/{bootstrap_id}.bootstrap.tar.xz"] = tar_bytes(
        bootstrap_entries, bootstrap_modes, compress=True
    )
    payload[f"artifacts/bootstrap/{bootstrap_id}.active.json"] = json.dumps(package_ids).encode()
    payload["artifacts/manifest.json"] = json.dumps(
        {
            "packages": manifest_packages,
            "bootstrap_id": bootstrap_id,
            "installer_hash": digest,
            "dcos_version": version,
        },
        indent=2,
    ).encode()
    for script in NODE_SCRIPTS:
        payload[f"artifacts/{script}"] = (PAYLOAD_DIR / script).read_bytes()
    for module in PAYLOAD_MODULES:
        payload[f"dcos_installer/{module}"] = (PAYLOAD_DIR / module).read_bytes()

    header = (PAYLOAD_DIR / "header.sh").read_text()
    header = header.replace("@PAYLOAD_LINE@", str(header.count("\n") + 1))
    return header.encode() + tar_bytes(payload, modes, compress=False)
