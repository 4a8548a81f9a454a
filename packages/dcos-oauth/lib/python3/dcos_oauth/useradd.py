"""dcos_add_user.py's work: create /dcos/users/<email>, worded as DC/OS words it."""

from __future__ import annotations

import logging

from kazoo.client import KazooClient
from kazoo.retry import KazooRetry

from .store import Store, UserExistsError

# Retry briefly, as DC/OS's tool does: a user at a prompt wants an answer.
RETRY = {"max_tries": 3, "delay": 0.3, "backoff": 1, "max_jitter": 0.1, "max_delay": 1}


def add_user(email: str, hosts: str | None = None, timeout_s: float = 5.0) -> tuple[bool, str]:
    """(success, the message to print)."""
    if hosts is None:
        from dcos_internal_utils import zk

        hosts = zk.hosts()
    client = KazooClient(
        hosts=hosts,
        timeout=timeout_s,
        connection_retry=KazooRetry(**RETRY),
        command_retry=KazooRetry(**RETRY),
        logger=logging.getLogger("kazoo"),
    )
    try:
        client.start(timeout=timeout_s)
    except client.handler.timeout_exception:
        return False, f"Timeout connecting to {hosts}"
    try:
        Store(client).add_user(email)
        return True, f"User {email} successfully added"
    except UserExistsError:
        return False, f"User {email} already exists"
    finally:
        client.stop()
        client.close()
