"""dcos-docker-gc against an in-memory Docker Engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dcos_docker_gc import gc
from dcos_internal_utils.docker import DockerError

NOW = 1_500_000_000.0
HOUR = 3600


def iso(ts: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.123456789Z")


class FakeDocker:
    def __init__(self) -> None:
        self.images_: dict[str, list[str]] = {}
        self.containers_: dict[str, dict[str, Any]] = {}

    def image(self, image_id: str, *tags: str) -> None:
        self.images_[image_id] = list(tags)

    def container(self, cid: str, name: str, image_id: str, status: str, finished: float) -> None:
        self.containers_[cid] = {
            "Id": cid,
            "Names": ["/" + name],
            "ImageID": image_id,
            "State": status,
            "FinishedAt": iso(finished),
        }

    def containers(self, all: bool = True, filters: dict[str, list[str]] | None = None) -> Any:
        wanted = (filters or {}).get("status")
        return [dict(c) for c in self.containers_.values() if not wanted or c["State"] in wanted]

    def inspect_container(self, cid: str) -> Any:
        c = self.containers_[cid]
        return {"Id": cid, "State": {"Status": c["State"], "FinishedAt": c["FinishedAt"]}}

    def remove_container(self, cid: str, volumes: bool = True) -> None:
        del self.containers_[cid]

    def images(self) -> Any:
        return [{"Id": i, "RepoTags": t or ["<none>:<none>"]} for i, t in self.images_.items()]

    def remove_image(self, image_id: str) -> Any:
        if any(c["ImageID"] == image_id for c in self.containers_.values()):
            raise DockerError("DELETE /images", 409, {"message": "image is in use"})
        del self.images_[image_id]


@pytest.fixture
def docker() -> FakeDocker:
    engine = FakeDocker()
    engine.image("sha256:task", "registry.local/app:1.0")
    engine.image("sha256:shipped", "busybox:latest")
    engine.image("sha256:running", "nginx:1.10.3")
    engine.container("c1", "mesos-1111", "sha256:task", "exited", NOW - 2 * HOUR)
    engine.container("c2", "mesos-2222", "sha256:running", "running", 0)
    engine.container("c3", "someones-own", "sha256:task", "exited", NOW - 2 * HOUR)
    engine.container("c4", "mesos-3333", "sha256:task", "exited", NOW - 60)
    return engine


def test_old_exited_task_containers_go(docker: FakeDocker, tmp_path: Path) -> None:
    result = gc.collect(docker, HOUR, ["busybox"], tmp_path, now=NOW)  # type: ignore[arg-type]
    assert result.removed_containers == ["mesos-1111"]
    assert set(docker.containers_) == {"c2", "c3", "c4"}  # running, not a task's, too recent


def test_unused_images_go_after_the_grace_period_but_shipped_ones_stay(
    docker: FakeDocker, tmp_path: Path
) -> None:
    del docker.containers_["c3"], docker.containers_["c4"]
    first = gc.collect(docker, HOUR, ["busybox"], tmp_path, now=NOW)  # type: ignore[arg-type]
    assert first.removed_containers == ["mesos-1111"]
    assert first.removed_images == []  # unused from now on: not yet for an hour
    assert first.kept_images == ["busybox:latest"]
    later = gc.collect(docker, HOUR, ["busybox"], tmp_path, now=NOW + HOUR + 1)  # type: ignore[arg-type]
    assert later.removed_images == ["registry.local/app:1.0"]
    assert set(docker.images_) == {"sha256:shipped", "sha256:running"}


def test_with_no_grace_everything_unused_goes_at_once(docker: FakeDocker, tmp_path: Path) -> None:
    result = gc.collect(docker, 0, [], tmp_path, now=NOW)  # type: ignore[arg-type]
    assert sorted(result.removed_containers) == ["mesos-1111", "mesos-3333"]
    # The task image is still used by someone's own exited container; busybox is not
    # excluded here, so it goes.
    assert result.removed_images == ["busybox:latest"]


@pytest.mark.parametrize(
    ("pattern", "kept"),
    [
        ("busybox", True),
        ("busybox:latest", True),
        ("busy*", True),
        ("busybox:1.0", False),
        ("sha256:shipped", True),
        ("shipped", True),
        ("nginx", False),
    ],
)
def test_exclude_patterns(pattern: str, kept: bool) -> None:
    image = {"Id": "sha256:shipped", "RepoTags": ["docker.io/library/busybox:latest"]}
    assert gc._excluded(image, [pattern]) is kept


def test_exclude_files_and_the_switch(tmp_path: Path) -> None:
    (tmp_path / "docker-gc-exclude").write_text("# comment\nbusybox  # shipped\n\n")
    (tmp_path / "docker-gc-exclude-extra").write_text("alpine:3.6\n")
    assert gc.exclude_patterns(str(tmp_path / "docker-gc-exclude*")) == ["busybox", "alpine:3.6"]
    env = tmp_path / "docker-gc.env"
    env.write_text("ENABLE_DOCKER_GC=false\n")
    assert gc.enabled(env) is False
    env.write_text("ENABLE_DOCKER_GC=true\n")
    assert gc.enabled(env) is True


def test_docker_time_format() -> None:
    assert gc._finished_at({"State": {"FinishedAt": iso(NOW)}}) == pytest.approx(NOW, abs=1)
    assert gc._finished_at({"State": {"FinishedAt": "0001-01-01T00:00:00Z"}}) is None
