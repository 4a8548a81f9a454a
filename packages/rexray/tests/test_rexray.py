"""REX-Ray's config, volume store and Docker plugin API, without a real mount."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from dcos_internal_utils.http import Request
from dcos_rexray import config
from dcos_rexray.plugin import CONTENT_TYPE, make_router
from dcos_rexray.store import Store, VolumeError


class FakeMounts:
    """Bind mounts as a symlink: the data lands in the volume's directory all the same."""

    def is_mounted(self, path: Path) -> bool:
        return path.is_symlink()

    def bind(self, source: Path, target: Path) -> None:
        target.rmdir()
        target.symlink_to(source)

    def unbind(self, target: Path) -> None:
        target.unlink()
        target.mkdir()


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "vfs", tmp_path / "volumes", mounts=FakeMounts())  # type: ignore[arg-type]


def call(store: Store, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    request = Request("POST", path, {}, {}, json.dumps(body or {}).encode())
    response = make_router(store).dispatch(request)
    assert response.status == 200 and response.content_type == CONTENT_TYPE
    return dict(json.loads(response.body))


def test_activate_says_it_is_a_volume_driver(store: Store) -> None:
    assert call(store, "/Plugin.Activate") == {"Implements": ["VolumeDriver"]}
    assert call(store, "/VolumeDriver.Capabilities") == {"Capabilities": {"Scope": "local"}}


def test_data_survives_unmount_and_a_new_mount(store: Store) -> None:
    assert call(store, "/VolumeDriver.Create", {"Name": "pgdata", "Opts": {"size": "1"}}) == {
        "Err": ""
    }
    mounted = call(store, "/VolumeDriver.Mount", {"Name": "pgdata", "ID": "c1"})
    assert mounted == {"Mountpoint": str(store.mount_root / "pgdata/data"), "Err": ""}
    (Path(str(mounted["Mountpoint"])) / "kept").write_text("42")
    assert (
        call(store, "/VolumeDriver.Path", {"Name": "pgdata"})["Mountpoint"] == mounted["Mountpoint"]
    )
    assert call(store, "/VolumeDriver.Unmount", {"Name": "pgdata", "ID": "c1"}) == {"Err": ""}
    assert call(store, "/VolumeDriver.Path", {"Name": "pgdata"})["Mountpoint"] == ""
    again = call(store, "/VolumeDriver.Mount", {"Name": "pgdata", "ID": "c2"})
    assert (Path(str(again["Mountpoint"])) / "kept").read_text() == "42"
    listed = call(store, "/VolumeDriver.List")
    assert listed["Volumes"] == [
        {"Name": "pgdata", "Mountpoint": again["Mountpoint"], "Status": {}}
    ]


def test_a_volume_in_use_is_not_removed(store: Store) -> None:
    call(store, "/VolumeDriver.Create", {"Name": "v"})
    call(store, "/VolumeDriver.Mount", {"Name": "v", "ID": "a"})
    call(store, "/VolumeDriver.Mount", {"Name": "v", "ID": "b"})
    assert call(store, "/VolumeDriver.Remove", {"Name": "v"}) == {"Err": "volume v is in use"}
    call(store, "/VolumeDriver.Unmount", {"Name": "v", "ID": "a"})
    assert store.mounts.is_mounted(store.mount_root / "v")  # b still uses it
    call(store, "/VolumeDriver.Unmount", {"Name": "v", "ID": "b"})
    assert call(store, "/VolumeDriver.Remove", {"Name": "v"}) == {"Err": ""}
    assert call(store, "/VolumeDriver.Get", {"Name": "v"}) == {"Err": "volume v does not exist"}


def test_bad_names_are_refused(store: Store) -> None:
    for name in ("", "../etc", "a/b"):
        assert call(store, "/VolumeDriver.Create", {"Name": name})["Err"].startswith(
            "invalid volume name"
        )
    with pytest.raises(VolumeError):
        store.mount("..", "x")


def test_config_defaults_and_dcos_s_disabled_module() -> None:
    assert config.parse({}) == config.Config()
    dcos_default = {
        "rexray": {
            "loglevel": "info",
            "modules": {"default-docker": {"disabled": True}},
            "service": "vfs",
        }
    }
    assert config.parse(dcos_default).docker_enabled is False
    custom = config.parse({"vfs": {"root": "/srv/vfs"}, "rexray": {"loglevel": "debug"}})
    assert custom.vfs_root == Path("/srv/vfs") and custom.loglevel == "debug"


def test_config_refuses_a_cloud_service() -> None:
    with pytest.raises(config.ConfigError, match="only storage service is vfs"):
        config.parse({"rexray": {"service": "ebs"}})
