"""Health: Marathon's own HTTP/HTTPS/TCP probes, and the results Mesos reports for the rest.

Marathon probes a running instance first after min(interval, 5 s), then every
`intervalSeconds`; a probe fails after `timeoutSeconds`. HTTP answers 200-399
are healthy (1xx ignored with `ignoreHttp1xx`). Failures do not count while
the instance has never been healthy and is within `gracePeriodSeconds` of
running; `maxConsecutiveFailures` counted failures (if above 0) kill it.
COMMAND/MESOS_HTTP/MESOS_HTTPS/MESOS_TCP checks run in Mesos, whose verdict
arrives in status updates (`healthy`).
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from typing import Any

import aiohttp

from . import timestamps

FIRST_CHECK_AFTER_S = 5.0
MARATHON_PROTOCOLS = ("HTTP", "HTTPS", "TCP")


@dataclass
class Health:
    instance_id: str
    alive: bool = False
    consecutive_failures: int = 0
    first_success: str | None = None
    last_success: str | None = None
    last_failure: str | None = None
    last_failure_cause: str | None = None
    checked: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "alive": self.alive,
            "consecutiveFailures": self.consecutive_failures,
            "firstSuccess": self.first_success,
            "lastFailure": self.last_failure,
            "lastSuccess": self.last_success,
            "lastFailureCause": self.last_failure_cause,
            "instanceId": self.instance_id,
        }

    def succeeded(self) -> None:
        now = timestamps.now()
        self.alive = True
        self.checked = True
        self.consecutive_failures = 0
        self.last_success = now
        self.first_success = self.first_success or now

    def failed(self, cause: str) -> None:
        self.alive = False
        self.checked = True
        self.consecutive_failures += 1
        self.last_failure = timestamps.now()
        self.last_failure_cause = cause


def marathon_checks(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in spec.get("healthChecks", []) if c["protocol"] in MARATHON_PROTOCOLS]


def has_health_checks(spec: dict[str, Any]) -> bool:
    if "containers" in spec:
        return any(c.get("healthCheck") is not None for c in spec["containers"])
    return bool(spec.get("healthChecks"))


_INSECURE = ssl.create_default_context()
_INSECURE.check_hostname = False
_INSECURE.verify_mode = ssl.CERT_NONE


async def probe(
    session: aiohttp.ClientSession, check: dict[str, Any], host: str, port: int
) -> tuple[bool | None, str]:
    """(healthy, cause); healthy is None when the answer is to be ignored (1xx)."""
    timeout = float(check.get("timeoutSeconds") or 20)
    protocol = check["protocol"]
    try:
        if protocol == "TCP":
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
            writer.close()
            return True, ""
        scheme = "https" if protocol == "HTTPS" else "http"
        path = check.get("path") or "/"
        url = f"{scheme}://{host}:{port}{path if path.startswith('/') else '/' + path}"
        async with session.get(
            url,
            timeout=aiohttp.ClientTimeout(total=timeout),
            ssl=_INSECURE if scheme == "https" else None,
            allow_redirects=False,
        ) as response:
            status = response.status
            if 200 <= status < 400:
                return True, ""
            if check.get("ignoreHttp1xx") and 100 <= status < 200:
                return None, ""
            return False, f"{status} {response.reason or ''}".strip()
    except TimeoutError:
        return False, f"{protocol} health check timed out after {int(timeout)} seconds"
    except (OSError, aiohttp.ClientError) as exc:
        return False, f"{type(exc).__name__}: {exc}"
