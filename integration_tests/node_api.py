"""Reaching a node's own services the way DC/OS's test helpers do: Admin Router on
port 80 of a master and on 61001 of an agent (dcos-test-utils' ARNodeApiClientMixin),
and an agent's ID from the leading master's /slaves.
"""

from __future__ import annotations

from mesos_tasks import session

AGENT_ADMIN_ROUTER_PORT = 61001


def base_url(host: str, masters: list[str]) -> str:
    return f"http://{host}" if host in masters else f"http://{host}:{AGENT_ADMIN_ROUTER_PORT}"


def agent_ids() -> dict[str, str]:
    """Agent IP -> agent ID, from the leading master through Admin Router."""
    response = session.get("http://127.0.0.1/mesos/master/slaves", timeout=10)
    response.raise_for_status()
    return {a["hostname"]: a["id"] for a in response.json()["slaves"]}
