"""The registry container: one per engine, shared by every cluster, kept across clusters.

It runs minidcos/registry (Debian's docker-registry) with its storage in a
named volume, so an image is pushed once and outlives the clusters that pull
it. This machine reaches it on a loopback port the engine picks; each
cluster's nodes reach it on their own network, where it joins with the
alias NODE_ALIAS at the network's last usable address (the nodes' Docker
Engine names it as its mirror and insecure registry, see
node_images/docker-daemon.json). It carries no cluster label, so `destroy`
and `clean` leave it; `clean --registry` removes it.
"""

from __future__ import annotations

import contextlib
import ipaddress
import time
from typing import Any

import docker
import docker.errors
import requests

from minidcos.backends.base import RegistryInfo
from minidcos.errors import ProviderError

NODE_ALIAS = "minidcos-registry"  # fixed: the nodes' Docker config names it
PORT = 5000
NODE_ADDRESS = f"{NODE_ALIAS}:{PORT}"
LABEL = "minidcos.registry"  # on the container and its volume; never minidcos.cluster
DEFAULT_NAME = "minidcos-registry"
START_TIMEOUT_S = 60.0
STORAGE = "/var/lib/docker-registry"


def registry_address(subnet: ipaddress.IPv4Network) -> str:
    """Its address on a cluster network: the last usable one, which no node takes."""
    return str(subnet.broadcast_address - 1)


class RegistryContainer:
    """The registry under one name (tests use names of their own)."""

    def __init__(self, client: docker.DockerClient, name: str = DEFAULT_NAME) -> None:
        self.client = client
        self.name = name
        self.volume = name

    # -- starting -----------------------------------------------------------

    def ensure(self, image: str) -> RegistryInfo:
        """Running and answering. Two runs may race: the engine lets one create the
        container (the name is the lock); both then start it, which is idempotent."""
        api = self.client.api
        api.create_volume(self.volume, labels={LABEL: self.name})  # idempotent by name
        try:
            api.create_container(
                image,
                name=self.name,
                labels={LABEL: self.name},
                ports=[PORT],
                host_config=api.create_host_config(
                    # Loopback only: nothing outside this machine reaches it.
                    port_bindings={PORT: ("127.0.0.1", None)},
                    binds=[f"{self.volume}:{STORAGE}:rw"],
                    restart_policy={"Name": "always"},
                ),
            )
        except docker.errors.APIError as exc:
            if exc.status_code != 409:  # 409: another run made it first
                raise ProviderError(f"creating the registry {self.name} failed: {exc}") from exc
        self._start()
        return self._wait_answering()

    def _start(self) -> None:
        # The engine reserves the name before the winner's container exists: the
        # loser of a race may see "no such container" for a moment.
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                self.client.api.start(self.name)
                return
            except docker.errors.NotFound as exc:
                if time.monotonic() > deadline:
                    raise ProviderError(f"the registry {self.name} was never made") from exc
            except docker.errors.APIError as exc:
                raise ProviderError(f"starting the registry {self.name} failed: {exc}") from exc
            time.sleep(0.1)

    def _wait_answering(self) -> RegistryInfo:
        deadline = time.monotonic() + START_TIMEOUT_S
        last = ""
        while time.monotonic() < deadline:
            info = self.info()
            if info is None:
                raise ProviderError(f"the registry {self.name} was removed while starting")
            if info.host_url:
                try:
                    with requests.Session() as session:
                        session.trust_env = False  # loopback: never through a proxy
                        response = session.get(f"{info.host_url}/v2/", timeout=2)
                    if response.status_code == 200:
                        return info
                    last = f"HTTP {response.status_code}"
                except requests.RequestException as exc:
                    last = str(exc)
            else:
                last = "not running"
            time.sleep(0.2)
        raise ProviderError(
            f"the registry {self.name} did not answer in {START_TIMEOUT_S:.0f} s ({last})\n"
            + self._logs(),
            hint=f"see `docker logs {self.name}`",
        )

    def _logs(self) -> str:
        try:
            return bytes(self.client.api.logs(self.name, tail=20)).decode(errors="replace")
        except docker.errors.APIError:
            return ""

    # -- inspecting ---------------------------------------------------------

    def _inspect(self) -> dict[str, Any] | None:
        try:
            return dict(self.client.api.inspect_container(self.name))
        except docker.errors.NotFound:
            return None

    def info(self) -> RegistryInfo | None:
        data = self._inspect()
        if data is None:
            return None
        running = bool(data["State"].get("Running"))
        bindings = (data["NetworkSettings"].get("Ports") or {}).get(f"{PORT}/tcp") or []
        host_url = ""
        if running and bindings:
            host_url = f"http://127.0.0.1:{bindings[0]['HostPort']}"
        networks = tuple(
            sorted(n for n in (data["NetworkSettings"].get("Networks") or {}) if n != "bridge")
        )
        return RegistryInfo(
            container_name=self.name,
            image=str(data["Config"].get("Image", "")),
            running=running,
            host_url=host_url,
            node_address=NODE_ADDRESS,
            volume=self.volume,
            networks=networks,
        )

    # -- networks -----------------------------------------------------------

    def attach(self, network: str, subnet: ipaddress.IPv4Network) -> None:
        try:
            self.client.api.connect_container_to_network(
                self.name,
                network,
                ipv4_address=registry_address(subnet),
                aliases=[NODE_ALIAS],
            )
        except docker.errors.APIError as exc:
            if "already exists" not in str(exc):
                raise ProviderError(
                    f"attaching the registry {self.name} to network {network} failed: {exc}"
                ) from exc

    # -- removing -----------------------------------------------------------

    def remove(self) -> bool:
        api = self.client.api
        found = False
        try:
            api.remove_container(self.name, force=True, v=False)
            found = True
        except docker.errors.NotFound:
            pass
        try:
            api.remove_volume(self.volume, force=True)
            found = True
        except docker.errors.NotFound:
            pass
        return found


def detach_registries(client: docker.DockerClient, network_id: str) -> None:
    """Take every registry (whatever its name) off a network that is about to be
    removed: the engine refuses to remove a network a container is attached to."""
    try:
        attached = client.api.inspect_network(network_id).get("Containers") or {}
    except docker.errors.NotFound:
        return
    for container_id in attached:
        with contextlib.suppress(docker.errors.NotFound):  # gone meanwhile
            labels = client.api.inspect_container(container_id)["Config"].get("Labels") or {}
            if LABEL in labels:
                client.api.disconnect_container_from_network(container_id, network_id, force=True)
