"""GET /system/health/v1/selftest/info: DC/OS diagnostics' self tests.

Two of them look for the agents the history service saw in the last minute
and the last hour (they pass while history has no snapshot with agents yet,
as in DC/OS); `dummyTest` always passes. The answer maps each test's name to
`{"Success", "ErrorMessage"}`.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from typing import Any

HISTORY_URL = "http://127.0.0.1:15055/history"
TIMEOUT_S = 3.0


class NodesNotFoundError(Exception):
    """History has no agents for the span: not a failure of diagnostics."""


def agents_in_history(span: str, base_url: str = HISTORY_URL) -> list[str]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"{base_url}/{span}", timeout=TIMEOUT_S) as response:
        snapshots = json.load(response)
    hostnames = {
        str(agent.get("hostname"))
        for snapshot in snapshots
        if isinstance(snapshot, dict)
        for agent in snapshot.get("slaves") or []
    }
    if not hostnames:
        raise NodesNotFoundError(
            f"Agent nodes were not found in history service for the past /{span}/"
        )
    return sorted(hostnames)


def self_tests(base_url: str = HISTORY_URL) -> dict[str, Callable[[], Any]]:
    return {
        "findAgentsInHistoryServicePastMinuteSelfTest": lambda: agents_in_history(
            "minute", base_url
        ),
        "findAgentsInHistoryServicePastHourSelfTest": lambda: agents_in_history("hour", base_url),
        "dummyTest": lambda: None,
    }


def run(base_url: str = HISTORY_URL) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    for name, test in self_tests(base_url).items():
        try:
            test()
            results[name] = {"Success": True, "ErrorMessage": ""}
        except NodesNotFoundError:
            results[name] = {"Success": True, "ErrorMessage": ""}
        except Exception as exc:  # any failure of a self test is its result
            results[name] = {"Success": False, "ErrorMessage": f"{type(exc).__name__}: {exc}"}
    return results
