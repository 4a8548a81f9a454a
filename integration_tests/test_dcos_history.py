"""dcos-history (on masters) as DC/OS's test_endpoints.py checks it, through Admin Router:
ping, the latest /state-summary with every agent, and a minute of history.
"""

from __future__ import annotations

import json
from typing import Any

from mesos_tasks import session
from polling import Poll, wait_for

HISTORY = "http://127.0.0.1/dcos-history-service"


def test_unit_runs(host: Any) -> None:
    assert host.service("dcos-history").is_running
    assert host.socket("tcp://127.0.0.1:15055").is_listening


def test_ping() -> None:
    response = session.get(f"{HISTORY}/ping", timeout=10)
    assert response.status_code == 200
    assert response.text == "pong"


def test_last_is_the_state_summary_with_every_agent(
    agent_hosts: list[str], public_agent_hosts: list[str]
) -> None:
    def probe() -> Poll[dict[str, Any]]:
        response = session.get(f"{HISTORY}/history/last", timeout=10)
        summary = response.json() if response.status_code == 200 else {}
        agents = sorted(s.get("hostname", "") for s in summary.get("slaves", []))
        done = {"cluster", "frameworks", "slaves", "hostname"} <= set(summary) and agents == sorted(
            agent_hosts + public_agent_hosts
        )
        return Poll(done, summary, json.dumps(summary)[:300])

    summary = wait_for(probe, 20, "the state-summary with every agent")
    assert summary["hostname"]


def test_a_minute_of_history() -> None:
    """After a minute the minute buffer holds one summary per 2 s, and the hour one per minute."""

    def probe() -> Poll[list[Any]]:
        minute = session.get(f"{HISTORY}/history/minute", timeout=10).json()
        # A fetch that failed (Mesos still starting) is stored as `{}`.
        summaries = [entry for entry in minute if entry]
        done = len(minute) == 30 and len(summaries) >= 28
        return Poll(done, summaries, f"{len(minute)} entries, {len(summaries)} summaries")

    summaries = wait_for(probe, 130, "a full minute of history")
    assert all("slaves" in entry for entry in summaries)
    hour = session.get(f"{HISTORY}/history/hour", timeout=10).json()
    # One entry a minute: the first may be `{}`, from before Mesos answered.
    assert 1 <= len(hour) <= 60
    assert all("slaves" in entry for entry in hour if entry)
