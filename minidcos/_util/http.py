"""A small JSON client for the harness's HTTP checks (standard library only)."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from typing import Any

# Errors that mean "not yet", or "not answering": the service is starting, stopped or frozen.
TRANSIENT = (urllib.error.URLError, ConnectionError, socket.timeout, TimeoutError, ValueError)


def http_json(url: str, timeout: float = 3.0, token: str | None = None) -> Any:
    """GET `url` as JSON; with `token`, as a logged-in client (Admin Router's protected
    locations want one: `iam.test_user_token(master)`)."""
    headers = {"Authorization": f"token={token}"} if token else {}
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response)
