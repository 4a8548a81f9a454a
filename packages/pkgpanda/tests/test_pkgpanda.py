"""pkgpanda's setup, run against a repository and a node laid out in a temporary folder."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from pkgpanda import assemble as assemble_module
from pkgpanda.activation import Layout, activate, fetch_packages, setup, upgrade
from pkgpanda.assemble import AssembleError
from pkgpanda.cli import main

BIN = Path(__file__).resolve().parents[1] / "bin" / "pkgpanda"


def package(repo: Path, name: str, buildinfo: dict[str, Any], files: dict[str, str]) -> str:
    """Write packages/<name>/<id>.tar.xz into the repository; returns the package id."""
    package_id = f"{name}--{len(files)}{len(json.dumps(buildinfo))}"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:xz") as tar:
        for path, text in {"buildinfo.json": json.dumps(buildinfo), **files}.items():
            data = text.encode()
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mode = 0o755 if path.startswith("bin/") else 0o644
            tar.addfile(info, io.BytesIO(data))
    target = repo / "packages" / name / f"{package_id}.tar.xz"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(buf.getvalue())
    return package_id


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, list[str]]:
    repo = tmp_path / "serve"
    ids = [
        package(
            repo,
            "exhibitor",
            {
                "name": "exhibitor",
                "roles": ["master"],
                "units": {"dcos-exhibitor.service": ["master"]},
                "state_directories": ["/var/lib/dcos/exhibitor"],
                "environment": {"ZOO_HEAP": "64m"},
            },
            {
                "units/dcos-exhibitor.service": "[Service]\nExecStart=/bin/true\n",
                "bin/exhibitor": "#!/bin/sh\n",
                "lib/python3/dcos_exhibitor/__init__.py": "",
                "etc_master/exhibitor_realm": "admin: secret,admin\n",
            },
        ),
        package(
            repo,
            "spartan",
            {
                "name": "spartan",
                "units": {"dcos-spartan.service": ["master", "slave", "slave_public"]},
            },
            {
                "units/dcos-spartan.service": "[Service]\nExecStart=/bin/true\n",
                "units/dcos-gen-resolvconf.service": "[Service]\nExecStart=/bin/true\n",
            },
        ),
        package(
            repo,
            "dcos-config",
            {"name": "dcos-config"},
            {
                "etc/expanded.config.json": "{}",
                "etc/cluster-id": "0f1e2d3c\n",
                "etc_master/master_count": "1\n",
                "etc_slave/dcos-diagnostics-config.json": '{"role": "agent"}',
            },
        ),
    ]
    (repo / "package_lists").mkdir()
    (repo / "package_lists" / "L1.package_list.json").write_text(json.dumps(ids))
    return repo, ids


def node(tmp_path: Path, repo: Path, role: str) -> Layout:
    layout = Layout(
        root=tmp_path / "node/opt/mesosphere",
        etc_mesosphere=tmp_path / "node/etc/mesosphere",
        systemd=tmp_path / "node/etc/systemd/system",
        var_lib_dcos=tmp_path / "node/var/lib/dcos",
        profile_d=tmp_path / "node/etc/profile.d",
        state_root=tmp_path / "node",
    )
    layout.setup_flags.mkdir(parents=True)
    (layout.setup_flags / "repository-url").write_text(f"file://{repo}\n")
    (layout.setup_flags / "cluster-package-list").write_text("L1\n")
    layout.roles.mkdir(parents=True)
    (layout.roles / role).touch()
    return layout


class Recorder:
    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, args: Sequence[str]) -> None:
        self.calls.append(list(args))


def test_setup_on_a_master(tmp_path: Path, repo: tuple[Path, list[str]]) -> None:
    serve, ids = repo
    layout = node(tmp_path, serve, "master")
    systemctl = Recorder()
    assert setup(layout, block=False, run_systemctl=systemctl) == 0

    for package_id in ids:
        name = package_id.split("--")[0]
        assert os.readlink(layout.active / name) == f"../packages/{package_id}"
    assert (layout.root / "bin/exhibitor").resolve() == (layout.packages / ids[0] / "bin/exhibitor")
    # Python modules go where the python package's PYTHONPATH points (DC/OS's
    # python3.X/site-packages); lib/python3 is an alias for scripts that add it.
    site = f"lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages"
    assert (layout.root / site / "dcos_exhibitor").is_dir()
    assert (layout.root / "lib/python3/dcos_exhibitor").is_dir()
    assert (layout.root / "etc/expanded.config.json").read_text() == "{}"
    # etc_<role>/ is linked into etc/ on nodes of that role only.
    assert (layout.root / "etc/master_count").read_text() == "1\n"
    assert (layout.root / "etc/exhibitor_realm").is_file()
    assert not (layout.root / "etc/dcos-diagnostics-config.json").exists()
    assert (tmp_path / "node/var/lib/dcos/exhibitor").is_dir()

    # DC/OS's layout: pkgpanda's own PATH and LD_LIBRARY_PATH, then each package's.
    root = layout.root
    env = (root / "environment").read_text()
    assert env.startswith(
        "# Pkgpanda provided environment variables\n"
        f"LD_LIBRARY_PATH={root}/lib\nPATH={root}/bin:/usr/bin:/bin:/sbin\n\n"
    )
    assert f"# package: {ids[0]}\nZOO_HEAP=64m\n\n" in env
    export = (root / "environment.export").read_text()
    assert export.startswith(
        "# Pkgpanda provided environment variables\n"
        f'export LD_LIBRARY_PATH={root}/lib\nexport PATH="{root}/bin:$PATH"\n\n'
    )
    assert "export ZOO_HEAP=64m\n" in export

    # Every unit is copied; dcos.target wants only the role's listed ones.
    assert (layout.systemd / "dcos-gen-resolvconf.service").is_file()
    assert sorted(p.name for p in layout.wants.iterdir()) == [
        "dcos-exhibitor.service",
        "dcos-spartan.service",
    ]
    assert (layout.systemd / "multi-user.target.wants/dcos.target").resolve() == (
        layout.systemd / "dcos.target"
    )
    full = json.loads((layout.root / "active.buildinfo.full.json").read_text())
    assert full["exhibitor"]["package_id"] == ids[0]
    assert (layout.var_lib_dcos / "cluster-id").read_text() == "0f1e2d3c\n"
    assert os.readlink(layout.profile_d / "dcos.sh").endswith("add_dcos_path.sh")
    assert systemctl.calls == [["daemon-reload"], ["start", "dcos.target", "--no-block"]]


def test_an_agent_gets_only_its_roles_packages(
    tmp_path: Path, repo: tuple[Path, list[str]]
) -> None:
    serve, _ = repo
    layout = node(tmp_path, serve, "slave")
    systemctl = Recorder()
    assert setup(layout, block=True, run_systemctl=systemctl) == 0
    assert sorted(p.name for p in layout.active.iterdir()) == ["dcos-config", "spartan"]
    assert (layout.root / "etc/dcos-diagnostics-config.json").read_text() == '{"role": "agent"}'
    assert not (layout.root / "etc/master_count").exists()
    assert [p.name for p in layout.wants.iterdir()] == ["dcos-spartan.service"]
    assert "ZOO_HEAP" not in (layout.root / "environment").read_text()
    assert systemctl.calls[-1] == ["start", "dcos.target"]


def test_setup_again_is_harmless_and_fetches_nothing(
    tmp_path: Path, repo: tuple[Path, list[str]]
) -> None:
    serve, ids = repo
    layout = node(tmp_path, serve, "master")
    setup(layout, block=False, run_systemctl=Recorder())
    assert fetch_packages(layout, f"file://{serve}", ids) == []
    assert setup(layout, block=False, run_systemctl=Recorder()) == 0
    assert len(list(layout.wants.iterdir())) == 2


def test_a_node_without_a_role_is_refused(
    tmp_path: Path, repo: tuple[Path, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    serve, _ = repo
    layout = node(tmp_path, serve, "master")
    (layout.roles / "master").unlink()
    systemctl = Recorder()
    assert setup(layout, block=False, run_systemctl=systemctl) == 1
    assert "no role in" in capsys.readouterr().err
    assert systemctl.calls == []


def test_activate_links_replace_what_was_there(
    tmp_path: Path, repo: tuple[Path, list[str]]
) -> None:
    serve, ids = repo
    layout = node(tmp_path, serve, "master")
    fetch_packages(layout, f"file://{serve}", ids)
    (layout.root / "bin").mkdir(parents=True)
    (layout.root / "bin/exhibitor").write_text("stale")
    activate(layout, ids, {"master"})
    assert (layout.root / "bin/exhibitor").is_symlink()


class FakeUsers:
    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def ensure_group(self, name: str) -> None:
        self.calls.append(("group", name))

    def ensure_user(self, username: str, group: str | None) -> None:
        self.calls.append(("user", username, group or ""))

    def own(self, path: Path, username: str) -> None:
        self.calls.append(("own", str(path), username))


def test_package_users_their_state_and_socket_groups(tmp_path: Path) -> None:
    serve = tmp_path / "serve"
    ids = [
        package(
            serve,
            "dcos-log",
            {
                "name": "dcos-log",
                "username": "dcos_log",
                "group": "systemd-journal",
                "state_directories": ["/var/lib/dcos/dcos-log"],
                "units": {"dcos-log-master.socket": ["master"]},
            },
            {
                "units/dcos-log-master.socket": "[Socket]\nListenStream=/run/dcos/x.sock\n"
                "SocketGroup=dcos_adminrouter\n"
            },
        ),
        package(serve, "plain", {"name": "plain"}, {}),
    ]
    layout = node(tmp_path, serve, "master")
    fetch_packages(layout, f"file://{serve}", ids)
    users = FakeUsers()
    assert activate(layout, ids, {"master"}, users) == ["dcos-log-master.socket"]
    assert users.calls == [
        ("user", "dcos_log", "systemd-journal"),
        ("own", str(tmp_path / "node/var/lib/dcos/dcos-log"), "dcos_log"),
        ("group", "dcos_adminrouter"),
    ]


@pytest.mark.parametrize("argv", [[], ["install"], ["setup", "--block"]])
def test_usage(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "usage: pkgpanda setup [--no-block]" in capsys.readouterr().err


def test_the_wrapper_finds_its_own_library() -> None:
    """bin/pkgpanda runs before anything is on PYTHONPATH, as dcos_install.sh runs it."""
    proc = subprocess.run(
        [sys.executable, str(BIN)], capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"}
    )
    assert proc.returncode == 2 and "usage: pkgpanda setup" in proc.stderr


def test_an_assembled_package_takes_files_from_the_node(tmp_path: Path) -> None:
    """`assemble` copies trees from the node, leaving out what is excluded, and adds links
    and files, before the package folder appears (it is whole or absent)."""
    source = tmp_path / "usr/lib/pythonX"
    (source / "test").mkdir(parents=True)
    (source / "test/test_os.py").write_text("")
    (source / "os.py").write_text("# os\n")
    (source / "encodings").mkdir()
    (source / "encodings/__init__.py").write_text("")
    serve = tmp_path / "serve"
    spec = {
        "trees": {"lib/pythonX": {"from": str(source), "exclude": ["test"]}},
        "links": {"bin/python": "pythonX"},
        "files": {"lib/pythonX/dist-packages/node.pth": ["/usr/lib/python3/dist-packages"]},
    }
    ids = [package(serve, "python", {"name": "python", "assemble": spec}, {})]
    layout = node(tmp_path, serve, "slave")
    assert fetch_packages(layout, f"file://{serve}", ids) == ids
    built = layout.packages / ids[0]
    assert (built / "lib/pythonX/os.py").read_text() == "# os\n"
    assert (built / "lib/pythonX/encodings/__init__.py").is_file()
    assert not (built / "lib/pythonX/test").exists()
    assert os.readlink(built / "bin/python") == "pythonX"
    pth = (built / "lib/pythonX/dist-packages/node.pth").read_text()
    assert pth == "/usr/lib/python3/dist-packages\n"


def test_assembling_fails_clearly_when_the_node_lacks_the_software(tmp_path: Path) -> None:
    serve = tmp_path / "serve"
    spec = {"executables": {"bin/nothing": str(tmp_path / "no/such/binary")}}
    ids = [package(serve, "nothing", {"name": "nothing", "assemble": spec}, {})]
    layout = node(tmp_path, serve, "slave")
    with pytest.raises(AssembleError, match="does not exist on this node"):
        fetch_packages(layout, f"file://{serve}", ids)
    assert not (layout.packages / ids[0]).exists()


def test_ldd_output_is_read_for_every_file(monkeypatch: pytest.MonkeyPatch) -> None:
    output = (
        "/a/python3.11:\n"
        "\tlinux-vdso.so.1 (0x00007ffd)\n"
        "\tlibm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x00007f4f)\n"
        "\t/lib64/ld-linux-x86-64.so.2 (0x00007f50)\n"
        "/a/_ssl.so:\n"
        "\tlibssl.so.3 => /lib/x86_64-linux-gnu/libssl.so.3 (0x00007f51)\n"
    )
    monkeypatch.setattr(assemble_module, "_run", lambda args: output)
    found = assemble_module.dependencies([Path("/a/python3.11"), Path("/a/_ssl.so")])
    assert found == {
        "libm.so.6": Path("/lib/x86_64-linux-gnu/libm.so.6"),
        "ld-linux-x86-64.so.2": Path("/lib64/ld-linux-x86-64.so.2"),
        "libssl.so.3": Path("/lib/x86_64-linux-gnu/libssl.so.3"),
    }
    monkeypatch.setattr(assemble_module, "_run", lambda args: "\tlibfoo.so.1 => not found\n")
    with pytest.raises(AssembleError, match=r"libfoo\.so\.1 => not found"):
        assemble_module.dependencies([Path("/a/python3.11")])


def test_a_package_from_the_bootstrap_is_assembled_at_setup(
    tmp_path: Path, repo: tuple[Path, list[str]]
) -> None:
    """The bootstrap tarball brings packages unassembled: setup assembles them once."""
    serve, ids = repo
    source = tmp_path / "usr/bin"
    source.mkdir(parents=True)
    spec = {"links": {"bin/python": "python3.11"}, "files": {"lib/x.pth": ["/usr/lib"]}}
    python_id = package(serve, "python", {"name": "python", "assemble": spec}, {})
    ids = [*ids, python_id]
    (serve / "package_lists" / "L1.package_list.json").write_text(json.dumps(ids))
    layout = node(tmp_path, serve, "slave")
    # As dcos_install.sh leaves it: the package folder unpacked, nothing assembled.
    (layout.packages / python_id).mkdir(parents=True)
    (layout.packages / python_id / "buildinfo.json").write_text(
        json.dumps({"name": "python", "assemble": spec})
    )
    assert setup(layout, block=False, run_systemctl=Recorder()) == 0
    assert os.readlink(layout.packages / python_id / "bin/python") == "python3.11"
    assert os.readlink(layout.root / "bin/python").endswith("active/python/bin/python")
    assert sorted(p.name for p in layout.packages.iterdir() if p.name.startswith(".")) == []
    assert setup(layout, block=False, run_systemctl=Recorder()) == 0  # assembled once


def test_the_python_package_s_pythonpath_is_where_pkgpanda_links_modules() -> None:
    """PYTHONPATH comes from the python package, as in DC/OS; pkgpanda links the packages'
    modules into the same folder, named after the node's python3 (the one it runs on)."""
    from pkgpanda.activation import SITE_PACKAGES

    packages = Path(__file__).resolve().parents[2]
    python = json.loads((packages / "python" / "buildinfo.json").read_text())
    assert python["environment"]["PYTHONPATH"] == f"/opt/mesosphere/{SITE_PACKAGES}"
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    assert python["assemble"]["executables"] == {f"bin/{version}": f"/usr/bin/{version}"}


def test_upgrade_swaps_the_packages_and_restarts_the_units(
    tmp_path: Path, repo: tuple[Path, list[str]]
) -> None:
    serve, ids = repo
    layout = node(tmp_path, serve, "master")
    setup(layout, block=False, run_systemctl=Recorder())
    cluster_id = (layout.var_lib_dcos / "cluster-id").read_text()
    # The next build: a new config package, exhibitor unchanged, spartan gone.
    new_config = package(
        serve,
        "dcos-config",
        {"name": "dcos-config", "version": "2"},
        {"etc/expanded.config.json": '{"dcos_version": "2"}', "etc/cluster-id": "99\n"},
    )
    assert new_config != ids[2]
    (serve / "package_lists" / "L2.package_list.json").write_text(json.dumps([ids[0], new_config]))
    systemctl = Recorder()
    assert upgrade(layout, f"file://{serve}", "L2", run_systemctl=systemctl) == 0

    assert systemctl.calls == [
        ["stop", "dcos-exhibitor.service", "dcos-spartan.service"],
        ["daemon-reload"],
        ["start", "dcos.target", "--no-block"],
    ]
    assert os.readlink(layout.active / "dcos-config") == f"../packages/{new_config}"
    assert (layout.root / "etc/expanded.config.json").read_text() == '{"dcos_version": "2"}'
    assert not (layout.active / "spartan").exists()
    assert (layout.packages / ids[1]).is_dir()  # kept: a task may still run from it
    assert [p.name for p in layout.wants.iterdir()] == ["dcos-exhibitor.service"]
    assert (layout.setup_flags / "cluster-package-list").read_text() == "L2\n"
    assert (layout.var_lib_dcos / "cluster-id").read_text() == cluster_id  # the cluster's own


def test_upgrade_through_the_command_line(tmp_path: Path, repo: tuple[Path, list[str]]) -> None:
    serve, _ = repo
    layout = node(tmp_path, serve, "slave")
    assert main(["upgrade", f"file://{serve}"], layout) == 2  # the list id is missing
    (layout.roles / "slave").unlink()
    assert main(["upgrade", f"file://{serve}", "L1"], layout) == 1  # not installed
