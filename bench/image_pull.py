"""Pulling images through the cluster's registry, against loading them on each agent.

In the same run, on one cluster of bare nodes (1 master, 2 agents):
- `docker pull` of a 100 MB image on agent 0 through the registry, against
  `docker load` of the same image (a `docker save` archive already on the
  node) on the same agent; the budget is a pull within 1.5x of the load;
- the same pull on agent 1 right after (the registry's cache is warm).
Then create-to-ready of a 1/2/1 DC/OS cluster as it is now (the image set is
in the registry; agents load nothing), against the same with every agent
loading the image set into its own engine after install, as it was before
the registry (the budget: no slower than that).

Prints the figures and writes bench/results/image_pull.json.

    python bench/image_pull.py [--repeat N] [--no-create]
"""

from __future__ import annotations

import argparse
import io
import secrets
import statistics
import sys
import tarfile
import tempfile
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import docker
from _common import timed, write_results

from minidcos import registry
from minidcos.backends.docker.provider import DockerProvider
from minidcos.backends.registry.client import RegistryClient
from minidcos.backends.registry.push import PushedImage
from minidcos.cluster import Cluster, ClusterSpec, InstallSpec
from minidcos.installer.build import build
from minidcos.node import Node
from minidcos.status import Status

IMAGE_MB = 100
ARCHIVE_ON_NODE = Path("/tmp/bench-image.tar")


def bench_image(client: docker.DockerClient, base: str) -> str:
    """A 100 MB image: minidcos/slim and a layer of incompressible data up to the size.

    Its tag is new each run, so no cache anywhere holds it before the run does.
    """
    base_mb = client.images.get(base).attrs["Size"] / 1e6
    fill = max(1, int(IMAGE_MB - base_mb))
    dockerfile = (
        f"FROM {base}\nRUN head -c {fill}000000 /dev/urandom > /bench-fill && "
        f"echo {secrets.token_hex(8)} > /bench-id\n"
    )
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        tar.addfile(info, io.BytesIO(dockerfile.encode()))
    context.seek(0)
    tag = f"minidcos-bench/pull:{secrets.token_hex(4)}"
    image, _ = client.images.build(fileobj=context, custom_context=True, tag=tag, rm=True)
    size_mb = image.attrs["Size"] / 1e6
    print(f"bench image {tag}: {size_mb:.0f} MB")
    return tag


def forget(node: Node, tag: str) -> None:
    """The node's engine without the image or any of its layers (nothing else runs there)."""
    node.run(["docker", "rmi", "-f", tag], check=False)
    node.run(["docker", "image", "prune", "-af"])


def pull(node: Node, tag: str) -> float:
    _, seconds = timed(partial(node.run, ["docker", "pull", "-q", tag]))
    return seconds


def load(node: Node) -> float:
    _, seconds = timed(partial(node.run, ["docker", "load", "-q", "-i", str(ARCHIVE_ON_NODE)]))
    return seconds


def pull_figures(provider: DockerProvider, repeat: int) -> dict[str, object]:
    client = docker.from_env()
    info = registry.ensure(provider, Status())
    slim = next(r for r in provider.shipped_images(Status.silent()) if r.name == "minidcos/slim")
    tag = bench_image(client, slim.reference)
    cluster_id = f"bench-pull-{secrets.token_hex(3)}"
    first, second, loads = [], [], []
    pushed: list[PushedImage] = []
    try:
        pushed = registry.load_images([tag], provider=provider, status=Status())
        with (
            tempfile.TemporaryDirectory() as scratch,
            Cluster.create(ClusterSpec(1, 2, 0, cluster_id), provider=provider) as cluster,
        ):
            archive = Path(scratch) / "image.tar"
            provider.save_images([tag], archive)
            agent0, agent1 = cluster.agents
            agent0.send_file(archive, ARCHIVE_ON_NODE)
            for _ in range(repeat):
                forget(agent0, tag)
                forget(agent1, tag)
                first.append(pull(agent0, tag))
                second.append(pull(agent1, tag))
                forget(agent0, tag)
                loads.append(load(agent0))
    finally:
        client.api.remove_image(tag, force=True)
        remote = RegistryClient(info.host_url)
        for image in pushed:  # the next run makes its own
            remote.delete_manifest(image.repository, image.digest)
        remote.close()
    pull_s, second_s, load_s = (statistics.median(x) for x in (first, second, loads))
    print(f"registry: {info.container_name} ({info.image}), nodes use {info.node_address}")
    print(f"docker pull, {IMAGE_MB} MB, agent 0:        {pull_s:6.2f} s")
    print(f"docker pull, same image, agent 1:      {second_s:6.2f} s")
    print(
        f"docker load, same image, agent 0:      {load_s:6.2f} s  "
        f"(pull/load {pull_s / load_s:.2f}x; budget 1.5x)"
    )
    return {
        "image_mb": IMAGE_MB,
        "repeat": repeat,
        "pull_s": round(pull_s, 2),
        "second_agent_pull_s": round(second_s, 2),
        "load_s": round(load_s, 2),
        "ratio_pull_to_load": round(pull_s / load_s, 2),
        "budget_ratio_pull_to_load": 1.5,
        "runs": {
            "pull_s": [round(x, 2) for x in first],
            "second_agent_pull_s": [round(x, 2) for x in second],
            "load_s": [round(x, 2) for x in loads],
        },
    }


def load_image_set_on_agents(provider: DockerProvider, cluster: Cluster) -> None:
    """What agents did before the registry: every agent loads the image set itself."""
    refs = [r.reference for r in provider.shipped_images(Status.silent())]
    with tempfile.TemporaryDirectory() as scratch:
        archive = Path(scratch) / "image-set.tar"
        provider.save_images(refs, archive)
        agents = cluster.agents + cluster.public_agents

        def load_on(node: Node) -> None:
            node.send_file(archive, ARCHIVE_ON_NODE)
            node.run(["docker", "load", "-q", "-i", str(ARCHIVE_ON_NODE)])
            node.run(["rm", "-f", str(ARCHIVE_ON_NODE)])

        with ThreadPoolExecutor(max_workers=len(agents)) as pool:
            list(pool.map(load_on, agents))


def create_figures(provider: DockerProvider, repeat: int) -> dict[str, object]:
    installer = build()
    registry.ensure(provider, Status())  # built and pushed before either is timed
    with_registry, with_loading = [], []
    for run in range(repeat):
        spec = ClusterSpec(1, 2, 1, cluster_id=f"bench-reg-{run}")
        cluster, seconds = timed(
            partial(Cluster.create, spec, install=InstallSpec(installer), provider=provider)
        )
        with_registry.append(seconds)
        cluster.destroy()

        spec = ClusterSpec(1, 2, 1, cluster_id=f"bench-load-{run}")

        def create_and_load(spec: ClusterSpec = spec) -> Cluster:
            made = Cluster.create(spec, install=InstallSpec(installer), provider=provider)
            load_image_set_on_agents(provider, made)
            return made

        cluster, seconds = timed(create_and_load)
        with_loading.append(seconds)
        cluster.destroy()
    reg_s, load_s = statistics.median(with_registry), statistics.median(with_loading)
    print(f"1/2/1 create to ready, image set in the registry:   {reg_s:6.2f} s")
    print(
        f"1/2/1 create to ready, image set loaded per agent:  {load_s:6.2f} s  "
        f"(registry/loading {reg_s / load_s:.2f}x; budget 1.0x)"
    )
    return {
        "create_ready_with_registry_s": round(reg_s, 2),
        "create_ready_with_per_agent_loading_s": round(load_s, 2),
        "ratio_registry_to_loading": round(reg_s / load_s, 2),
        "budget_ratio_registry_to_loading": 1.0,
        "create_runs": {
            "with_registry_s": [round(x, 2) for x in with_registry],
            "with_per_agent_loading_s": [round(x, 2) for x in with_loading],
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-create", action="store_true", help="only the pull figures")
    args = parser.parse_args()
    provider = DockerProvider()
    provider.ensure_image(Status())
    figures = pull_figures(provider, args.repeat)
    if not args.no_create:
        figures |= create_figures(provider, args.repeat)
    path = write_results("image_pull", figures)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
