"""Fetching and activating packages: the layout packages/README.md describes.

Every path comes from a `Layout`, so the whole of `setup` runs in a test
against a temporary folder; on a node the defaults are DC/OS's own paths.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pkgpanda.assemble import assemble
from pkgpanda.users import SystemUsers, Users, socket_groups

ALL_ROLES = ("master", "slave", "slave_public")
# The Python modules packages ship (their lib/python3/*) are linked here, where
# the `python` package's PYTHONPATH points, as DC/OS's python3.5/site-packages;
# /opt/mesosphere/lib/python3 stays as a short alias for scripts that add it.
SITE_PACKAGES = f"lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages"

DCOS_TARGET = """\
[Unit]
Description=DC/OS: every DC/OS unit of this node

[Install]
WantedBy=multi-user.target
"""


def environment_header(root: Path) -> tuple[str, str]:
    """The start of /opt/mesosphere/environment and environment.export, as DC/OS's pkgpanda
    writes them: its own PATH and LD_LIBRARY_PATH, then each package's variables."""
    plain = (
        "# Pkgpanda provided environment variables\n"
        f"LD_LIBRARY_PATH={root}/lib\n"
        f"PATH={root}/bin:/usr/bin:/bin:/sbin\n\n"
    )
    export = (
        "# Pkgpanda provided environment variables\n"
        f"export LD_LIBRARY_PATH={root}/lib\n"
        f'export PATH="{root}/bin:$PATH"\n\n'
    )
    return plain, export


Systemctl = Callable[[Sequence[str]], None]


@dataclass(frozen=True)
class Layout:
    """Where a node keeps what pkgpanda reads and writes."""

    root: Path = Path("/opt/mesosphere")
    etc_mesosphere: Path = Path("/etc/mesosphere")
    systemd: Path = Path("/etc/systemd/system")
    var_lib_dcos: Path = Path("/var/lib/dcos")
    profile_d: Path = Path("/etc/profile.d")
    # Packages name their state directories absolutely (/var/lib/dcos/...); a
    # test moves them under its own folder.
    state_root: Path = Path("/")

    @property
    def packages(self) -> Path:
        return self.root / "packages"

    @property
    def active(self) -> Path:
        return self.root / "active"

    @property
    def setup_flags(self) -> Path:
        return self.etc_mesosphere / "setup-flags"

    @property
    def roles(self) -> Path:
        return self.etc_mesosphere / "roles"

    @property
    def wants(self) -> Path:
        return self.systemd / "dcos.target.wants"

    def state_directory(self, path: str) -> Path:
        return self.state_root / path.lstrip("/")


def log(message: str) -> None:
    print(f"pkgpanda: {message}", file=sys.stderr, flush=True)


def systemctl(args: Sequence[str]) -> None:
    subprocess.run(["systemctl", *args], check=True)


def fetch(repository: str, path: str, dest: Path) -> None:
    """Copy `path` of the repository (file:// or http(s)://) to `dest`."""
    if repository.startswith("file://"):
        shutil.copyfile(repository[len("file://") :] + "/" + path, dest)
    else:
        with urllib.request.urlopen(f"{repository}/{path}", timeout=60) as response:
            dest.write_bytes(response.read())


def fetch_packages(layout: Layout, repository: str, package_ids: list[str]) -> list[str]:
    """Fetch and unpack every package the node lacks; returns the ids fetched."""
    missing = [p for p in package_ids if not (layout.packages / p).is_dir()]
    with tempfile.TemporaryDirectory() as tmp:
        for package_id in missing:
            name = package_id.split("--", 1)[0]
            tarball = Path(tmp) / f"{package_id}.tar.xz"
            fetch(repository, f"packages/{name}/{package_id}.tar.xz", tarball)
            # Unpack beside, then rename: a package folder is whole or absent.
            partial = layout.packages / f".{package_id}.partial"
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir(parents=True)
            with tarfile.open(tarball) as tar:
                tar.extractall(partial)
            assemble_into(partial, layout.packages / package_id)
            partial.rename(layout.packages / package_id)
            log(f"fetched {package_id}")
    return missing


ASSEMBLED = ".assembled"  # marks a package folder whose `assemble` step is done


def assemble_into(work: Path, final: Path) -> None:
    """Run the package's `assemble` step (if it has one) in `work`, for a package at `final`."""
    spec = json.loads((work / "buildinfo.json").read_text()).get("assemble")
    if spec and not (work / ASSEMBLED).exists():
        assemble(spec, work, final)
        (work / ASSEMBLED).touch()
        log(f"assembled {final.name} from this node's software")


def assemble_packages(layout: Layout, package_ids: list[str]) -> None:
    """Assemble the packages that arrived unassembled (in the bootstrap): each is rebuilt
    beside the original and swapped in, so a package folder is never half assembled."""
    for package_id in package_ids:
        path = layout.packages / package_id
        info = json.loads((path / "buildinfo.json").read_text())
        if not info.get("assemble") or (path / ASSEMBLED).exists():
            continue
        partial = layout.packages / f".{package_id}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(path, partial, symlinks=True)
        assemble_into(partial, path)
        old = layout.packages / f".{package_id}.old"
        path.rename(old)
        partial.rename(path)
        shutil.rmtree(old)


def link(target: Path, link_path: Path) -> None:
    """Make `link_path` a symlink to `target`, replacing whatever is there."""
    link_path.parent.mkdir(parents=True, exist_ok=True)
    if link_path.is_symlink() or link_path.exists():
        link_path.unlink()
    link_path.symlink_to(target)


def activate(
    layout: Layout, package_ids: list[str], roles: set[str], users: Users | None = None
) -> list[str]:
    """Activate the packages meant for `roles`; returns the units dcos.target wants."""
    users = users or SystemUsers()
    env_plain, env_export = environment_header(layout.root)
    buildinfos: dict[str, dict[str, Any]] = {}
    wanted: list[str] = []
    site_packages = layout.root / SITE_PACKAGES
    site_packages.mkdir(parents=True, exist_ok=True)
    link(site_packages.relative_to(layout.root / "lib"), layout.root / "lib" / "python3")
    for package_id in sorted(package_ids):
        name = package_id.split("--", 1)[0]
        path = layout.packages / package_id
        info = json.loads((path / "buildinfo.json").read_text())
        if not set(info.get("roles", ALL_ROLES)) & roles:
            continue
        buildinfos[name] = {**info, "package_id": package_id}
        username = info.get("username")
        if username:
            users.ensure_user(str(username), info.get("group"))
        link(Path("../packages") / package_id, layout.active / name)
        # Well-known folders, and etc_<role>/ for each of the node's roles (DC/OS's layout).
        folders = [("bin", "bin"), ("etc", "etc"), ("lib/python3", SITE_PACKAGES)]
        folders += [(f"etc_{role}", "etc") for role in sorted(roles)]
        for kind, dest in folders:
            folder = path / kind
            if folder.is_dir():
                for item in sorted(folder.iterdir()):
                    link(layout.active / name / kind / item.name, layout.root / dest / item.name)
        for directory in info.get("state_directories", []):
            layout.state_directory(directory).mkdir(parents=True, exist_ok=True)
            if username:  # the package's services keep their state as its user
                users.own(layout.state_directory(directory), str(username))
        env_plain += f"# package: {package_id}\n"
        env_export += f"# package: {package_id}\n"
        for key, value in info.get("environment", {}).items():
            env_plain += f"{key}={value}\n"
            env_export += f"export {key}={value}\n"
        env_plain += "\n"
        env_export += "\n"
        unit_roles: dict[str, list[str]] = info.get("units", {})
        units_dir = path / "units"
        if units_dir.is_dir():
            layout.systemd.mkdir(parents=True, exist_ok=True)
            for unit in sorted(units_dir.iterdir()):
                if unit.name.endswith(".socket"):
                    for group in socket_groups(unit.read_text()):
                        users.ensure_group(group)
                shutil.copyfile(unit, layout.systemd / unit.name)
                if set(unit_roles.get(unit.name, [])) & roles:
                    link(layout.systemd / unit.name, layout.wants / unit.name)
                    wanted.append(unit.name)

    (layout.root / "environment").write_text(env_plain)
    (layout.root / "environment.export").write_text(env_export)
    (layout.root / "active.buildinfo.full.json").write_text(
        json.dumps(buildinfos, indent=2, sort_keys=True)
    )
    return wanted


def link_profile(layout: Layout) -> None:
    """/etc/profile.d/dcos.sh -> add_dcos_path.sh, as DC/OS's dcos-link-env.service links it
    (ln -sf source target, both from the expanded config)."""
    source = str(layout.root / "bin" / "add_dcos_path.sh")
    target = layout.profile_d / "dcos.sh"
    config_path = layout.root / "etc" / "expanded.config.json"
    if config_path.exists():
        config = json.loads(config_path.read_text())
        source = config.get("profile_symlink_source", source)
        if layout.profile_d == Path("/etc/profile.d"):  # a test moves it; a node never does
            target = Path(config.get("profile_symlink_target", target))
    layout.profile_d.mkdir(parents=True, exist_ok=True)
    link(Path(source), target)


def node_roles(layout: Layout) -> set[str]:
    return {p.name for p in layout.roles.iterdir()} if layout.roles.is_dir() else set()


def read_package_list(layout: Layout, repository: str, list_id: str) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "list.json"
        fetch(repository, f"package_lists/{list_id}.package_list.json", listing)
        return list(json.loads(listing.read_text()))


def upgrade(
    layout: Layout,
    repository: str,
    list_id: str,
    run_systemctl: Systemctl = systemctl,
    users: Users | None = None,
) -> int:
    """Swap this node to another package list, as DC/OS's node upgrade does.

    Fetches what the node lacks, stops every DC/OS unit of the node, activates
    the new packages (old package folders stay: a task may still run from one),
    records the new list in the setup flags, and starts dcos.target again. Tasks
    run in units of their own and outlive the swap; the agent recovers them.
    """
    roles = node_roles(layout)
    if not roles:
        log(f"no role in {layout.roles}: DC/OS is not installed on this node")
        return 1
    package_ids = read_package_list(layout, repository, list_id)
    fetched = fetch_packages(layout, repository, package_ids)
    running = sorted(p.name for p in layout.wants.iterdir()) if layout.wants.is_dir() else []
    if running:
        run_systemctl(["stop", *running])
    for wanted in running:
        (layout.wants / wanted).unlink()
    wanted_now = activate(layout, package_ids, roles, users)
    active_names = set(json.loads((layout.root / "active.buildinfo.full.json").read_text()))
    for entry in sorted(layout.active.iterdir()):
        if entry.name not in active_names:
            entry.unlink()  # a package the new list no longer has
    (layout.setup_flags / "repository-url").write_text(repository + "\n")
    (layout.setup_flags / "cluster-package-list").write_text(list_id + "\n")
    run_systemctl(["daemon-reload"])
    run_systemctl(["start", "dcos.target", "--no-block"])
    log(
        f"upgraded to package list {list_id}: {len(fetched)} new packages, "
        f"{len(running)} units stopped, dcos.target wants {len(wanted_now)} units"
    )
    return 0


def setup(
    layout: Layout,
    block: bool,
    run_systemctl: Systemctl = systemctl,
    users: Users | None = None,
) -> int:
    """Fetch the cluster's package list, activate this node's packages, start dcos.target."""
    repository = (layout.setup_flags / "repository-url").read_text().strip()
    list_id = (layout.setup_flags / "cluster-package-list").read_text().strip()
    roles = node_roles(layout)
    if not roles:
        log(f"no role in {layout.roles}: run dcos_install.sh ROLE")
        return 1
    package_ids = read_package_list(layout, repository, list_id)
    layout.packages.mkdir(parents=True, exist_ok=True)
    fetch_packages(layout, repository, package_ids)
    assemble_packages(layout, package_ids)

    layout.wants.mkdir(parents=True, exist_ok=True)
    wanted = activate(layout, package_ids, roles, users)
    (layout.systemd / "dcos.target").write_text(DCOS_TARGET)
    link(layout.systemd / "dcos.target", layout.systemd / "multi-user.target.wants" / "dcos.target")

    cluster_id = layout.root / "etc" / "cluster-id"
    layout.var_lib_dcos.mkdir(parents=True, exist_ok=True)
    if cluster_id.exists() and not (layout.var_lib_dcos / "cluster-id").exists():
        shutil.copyfile(cluster_id, layout.var_lib_dcos / "cluster-id")
    link_profile(layout)

    run_systemctl(["daemon-reload"])
    run_systemctl(["start", "dcos.target"] + ([] if block else ["--no-block"]))
    log(
        f"activated {len(package_ids)} packages for {', '.join(sorted(roles))}; "
        f"dcos.target wants {len(wanted)} units"
    )
    return 0
