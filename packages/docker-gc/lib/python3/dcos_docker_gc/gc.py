"""dcos-docker-gc: remove the Docker containers tasks left behind, and images no task uses.

Run hourly on agents by dcos-docker-gc.timer, as DC/OS runs spotify/docker-gc:

- a container of a task (Mesos names them `mesos-<container-id>`) that exited
  more than GRACE_PERIOD_SECONDS ago is removed, with its volumes;
- an image that no container uses is removed once it has been unused for
  GRACE_PERIOD_SECONDS (this run notes when it first saw each unused image,
  in STATE_DIR, so an image a task is about to use is not taken away);
- images named in an exclude file are always kept: the images the installer
  ships. Each line of /opt/mesosphere/etc/docker-gc-exclude* is a pattern
  (`repository:tag`, `*` allowed, or an image ID), as spotify/docker-gc reads
  its EXCLUDE_FROM_GC file.

`enable_docker_gc: false` in config.yaml turns it off.
"""

from __future__ import annotations

import fnmatch
import glob
import json
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from dcos_internal_utils.docker import Docker, DockerError

log = logging.getLogger("dcos-docker-gc")

TASK_CONTAINER_PREFIX = "mesos-"
DEFAULT_GRACE_S = 3600
EXCLUDE_GLOB = "/opt/mesosphere/etc/docker-gc-exclude*"
STATE_FILE = "unused-images.json"


@dataclass
class Result:
    removed_containers: list[str] = field(default_factory=list)
    removed_images: list[str] = field(default_factory=list)
    kept_images: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def exclude_patterns(files: str = EXCLUDE_GLOB) -> list[str]:
    """The patterns of every exclude file (`#` starts a comment)."""
    patterns = []
    for path in sorted(glob.glob(files)):
        try:
            lines = Path(path).read_text().splitlines()
        except OSError:
            continue
        patterns += [ln.split("#", 1)[0].strip() for ln in lines if ln.split("#", 1)[0].strip()]
    return patterns


def _finished_at(container: dict[str, Any]) -> float | None:
    text = str((container.get("State") or {}).get("FinishedAt", ""))
    if not text or text.startswith("0001-"):
        return None
    # Docker writes nanoseconds; Python reads microseconds.
    head, dot, rest = text.partition(".")
    if dot:
        digits = "".join(ch for ch in rest if ch.isdigit())
        zone = rest[len(digits) :]
        text = f"{head}.{digits[:6]}{zone}"
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _names(item: dict[str, Any]) -> list[str]:
    return [n.lstrip("/") for n in item.get("Names") or []]


def _excluded(image: dict[str, Any], patterns: list[str]) -> bool:
    tags = [t for t in image.get("RepoTags") or [] if t != "<none>:<none>"]
    image_id = str(image.get("Id", ""))
    for pattern in patterns:
        if image_id.startswith(pattern) or image_id.removeprefix("sha256:").startswith(pattern):
            return True
        for tag in tags:
            candidates = [tag]
            if tag.startswith("docker.io/library/"):
                candidates.append(tag.removeprefix("docker.io/library/"))
            # `busybox` names `busybox:latest`, as Docker reads a name without a tag.
            wanted = pattern if ":" in pattern.rsplit("/", 1)[-1] else pattern + ":*"
            if any(fnmatch.fnmatchcase(c, wanted) for c in candidates):
                return True
    return False


def _load_state(path: Path) -> dict[str, float]:
    try:
        return {str(k): float(v) for k, v in json.loads(path.read_text()).items()}
    except (OSError, ValueError, AttributeError):
        return {}


def _save_state(path: Path, state: dict[str, float]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, sort_keys=True))
    os.replace(tmp, path)


def collect(
    docker: Docker,
    grace_s: float,
    patterns: list[str],
    state_dir: Path,
    now: float | None = None,
) -> Result:
    now = time.time() if now is None else now
    result = Result()

    for item in docker.containers(all=True, filters={"status": ["exited", "dead"]}):
        names = _names(item)
        if not any(n.startswith(TASK_CONTAINER_PREFIX) for n in names):
            continue  # not a task's: leave it to whoever made it
        try:
            details = docker.inspect_container(item["Id"])
        except DockerError as exc:
            result.errors.append(str(exc))
            continue
        finished = _finished_at(details)
        if finished is None or now - finished < grace_s:
            continue
        try:
            docker.remove_container(item["Id"], volumes=True)
            result.removed_containers.append(names[0] if names else item["Id"])
        except DockerError as exc:
            result.errors.append(str(exc))

    in_use = {str(c.get("ImageID", "")) for c in docker.containers(all=True)}
    state_path = state_dir / STATE_FILE
    first_unused = _load_state(state_path)
    still_unused: dict[str, float] = {}
    for image in docker.images():
        image_id = str(image.get("Id", ""))
        label = ", ".join(image.get("RepoTags") or []) or image_id
        if image_id in in_use:
            continue
        if _excluded(image, patterns):
            result.kept_images.append(label)
            continue
        since = first_unused.get(image_id, now)
        if now - since < grace_s:
            still_unused[image_id] = since
            continue
        try:
            docker.remove_image(image_id)
            result.removed_images.append(label)
        except DockerError as exc:  # a container started using it meanwhile
            still_unused[image_id] = since
            result.errors.append(str(exc))
    _save_state(state_path, still_unused)
    return result


def enabled(env_file: Path = Path("/opt/mesosphere/etc/docker-gc.env")) -> bool:
    try:
        for line in env_file.read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "ENABLE_DOCKER_GC":
                return value.strip().lower() != "false"
    except OSError:
        pass
    return True


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if not enabled():
        log.info("Docker GC is disabled (enable_docker_gc: false)")
        return 0
    docker = Docker()
    if not docker.available():
        log.info("no Docker Engine on this node (%s): nothing to collect", docker.socket_path)
        return 0
    grace_s = float(os.environ.get("GRACE_PERIOD_SECONDS", DEFAULT_GRACE_S))
    state_dir = Path(os.environ.get("STATE_DIR", "/var/lib/dcos/docker-gc"))
    patterns = exclude_patterns(os.environ.get("EXCLUDE_FROM_GC", EXCLUDE_GLOB))
    result = collect(docker, grace_s, patterns, state_dir)
    for name in result.removed_containers:
        log.info("removed container %s", name)
    for name in result.removed_images:
        log.info("removed image %s", name)
    log.info(
        "removed %d containers and %d images; kept %d shipped images",
        len(result.removed_containers),
        len(result.removed_images),
        len(result.kept_images),
    )
    for error in result.errors:
        log.warning("%s", error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
