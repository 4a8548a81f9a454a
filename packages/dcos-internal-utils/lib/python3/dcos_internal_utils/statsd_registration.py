"""For the Mesos agent: a container's StatsD address, from dcos-metrics on this agent.

Before launching a container the agent asks dcos-metrics for the container's
own UDP port and gives the task STATSD_UDP_HOST and STATSD_UDP_PORT, as DC/OS's
metrics module did; when the container is destroyed it gives the port back.

    env.update(statsd_registration.register(container_id))
    ...
    statsd_registration.unregister(container_id)

Both are best effort: a task still starts when dcos-metrics is not there
(it then gets no StatsD address, as on a DC/OS agent without the module).
"""

from __future__ import annotations

import logging
import urllib.parse

from dcos_internal_utils.httpclient import UNAVAILABLE, unix_request

SOCKET = "/run/dcos/dcos-metrics-statsd.sock"

log = logging.getLogger(__name__)


def register(container_id: str, socket_path: str = SOCKET, timeout: float = 2.0) -> dict[str, str]:
    """The task environment for `container_id`'s StatsD address ({} when unavailable)."""
    try:
        status, body = unix_request(
            socket_path,
            "PUT",
            "/containers/" + urllib.parse.quote(container_id, safe=""),
            timeout=timeout,
        )
    except UNAVAILABLE as exc:
        log.warning("no StatsD address for container %s: %s", container_id, exc)
        return {}
    if status not in (200, 201) or not isinstance(body, dict):
        log.warning("no StatsD address for container %s: HTTP %s %s", container_id, status, body)
        return {}
    return {
        "STATSD_UDP_HOST": str(body["statsd_host"]),
        "STATSD_UDP_PORT": str(body["statsd_port"]),
    }


def unregister(container_id: str, socket_path: str = SOCKET, timeout: float = 2.0) -> None:
    try:
        unix_request(
            socket_path,
            "DELETE",
            "/containers/" + urllib.parse.quote(container_id, safe=""),
            timeout=timeout,
        )
    except UNAVAILABLE as exc:
        log.warning("could not release the StatsD port of %s: %s", container_id, exc)
