"""dcos-log (dcos-log-master, dcos-log-agent) as DC/OS's test_dcos_log.py and its CLI use it,
through Admin Router: the journal of every node in text, JSON and server-sent events, exactly
`limit` entries, streams that deliver what is written after they opened, downloads, the
agent proxy, v2 component logs, and a task's logs from its sandbox and from the journal.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from mesos_tasks import Task, running_task, session
from node_api import agent_ids, base_url
from polling import Poll, wait_for

ENTRY = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}: ", re.MULTILINE)
MASTER = "http://127.0.0.1"
LOGS = "/system/v1/logs"


def validate_json_entry(entry: dict[str, Any]) -> None:
    assert set(entry) == {"fields", "cursor", "monotonic_timestamp", "realtime_timestamp"}, entry
    assert entry["fields"], entry


def events(response: requests.Response) -> Iterator[dict[str, str]]:
    """Server-sent events of a streaming response, one dict per event (comments skipped)."""
    event: dict[str, str] = {}
    for raw in response.iter_lines(decode_unicode=True):
        if raw == "":
            if event:
                yield event
            event = {}
        elif not raw.startswith(":"):
            key, _, value = raw.partition(": ")
            event[key] = value


def test_units_and_socket(host: Any) -> None:
    assert host.socket("unix:///run/dcos/dcos-log.sock").is_listening
    sock = host.file("/run/dcos/dcos-log.sock")
    assert (sock.user, sock.group, sock.mode) == ("root", "dcos_adminrouter", 0o660)
    assert host.service("dcos-log-master.socket").is_running


def test_range_text_has_exactly_the_limit_on_every_node(
    master_hosts: list[str], all_hosts: list[str]
) -> None:
    for node in all_hosts:
        response = session.get(
            base_url(node, master_hosts) + LOGS + "/v1/range/?limit=10", timeout=10
        )
        assert response.status_code == 200, (node, response.text)
        assert response.headers["Content-Type"] == "text/plain"
        assert len(ENTRY.findall(response.text)) == 10, (node, response.text)


def test_range_json_and_event_stream_on_every_node(
    master_hosts: list[str], all_hosts: list[str]
) -> None:
    for node in all_hosts:
        url = base_url(node, master_hosts) + LOGS + "/v1/range/?limit=1"
        response = session.get(url, headers={"Accept": "application/json"}, timeout=10)
        assert response.headers["Content-Type"] == "application/json"
        validate_json_entry(response.json())
        response = session.get(url, headers={"Accept": "text/event-stream"}, timeout=10)
        assert response.headers["Content-Type"] == "text/event-stream"
        assert response.headers["Cache-Control"] == "no-cache"
        assert response.text.startswith("data: ")
        validate_json_entry(json.loads(response.text.strip()[len("data: ") :]))


def test_stream_delivers_a_line_written_after_it_opened() -> None:
    tag = f"dcos-log-test-{uuid.uuid4().hex[:8]}"
    with session.get(
        f"{MASTER}{LOGS}/v1/stream/?skip_prev=1&filter=SYSLOG_IDENTIFIER:{tag}",
        headers={"Accept": "text/event-stream"},
        stream=True,
        timeout=30,
    ) as response:
        assert response.headers["Content-Type"] == "text/event-stream"
        assert response.headers["Cache-Control"] == "no-cache"
        subprocess.run(["logger", "-t", tag, "written after the stream opened"], check=True)
        event = next(events(response))
        assert event["id"].startswith("s=")  # the journal cursor: resume with Last-Event-ID
        entry = json.loads(event["data"])
        validate_json_entry(entry)
        assert entry["fields"]["MESSAGE"] == "written after the stream opened"
        assert entry["cursor"] == event["id"]


def test_stream_resumes_after_last_event_id() -> None:
    tag = f"dcos-log-test-{uuid.uuid4().hex[:8]}"
    for n in range(3):
        subprocess.run(["logger", "-t", tag, f"line {n}"], check=True)
    url = f"{MASTER}{LOGS}/v1/range/?filter=SYSLOG_IDENTIFIER:{tag}"
    entries = wait_for(
        lambda: Poll(
            len(
                lines := session.get(
                    url, headers={"Accept": "application/json"}, timeout=10
                ).text.splitlines()
            )
            == 3,
            lines,
        ),
        30,
        "three journal lines",
    )
    first_cursor = json.loads(entries[0])["cursor"]
    with session.get(
        f"{MASTER}{LOGS}/v1/stream/?filter=SYSLOG_IDENTIFIER:{tag}",
        headers={"Accept": "text/event-stream", "Last-Event-ID": first_cursor},
        stream=True,
        timeout=30,
    ) as response:
        event = next(events(response))
        assert json.loads(event["data"])["fields"]["MESSAGE"] == "line 1"


def test_limit_cannot_be_streamed() -> None:
    response = session.get(f"{MASTER}{LOGS}/v1/stream/?limit=3", timeout=10)
    assert response.status_code == 400
    assert "Unable to stream events with `limit` parameter" in response.text


def test_download_is_gzipped_and_named() -> None:
    response = session.get(f"{MASTER}{LOGS}/v1/range/download?limit=7&postfix=mine", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=root-range-mine.log.gz"
    )
    assert len(ENTRY.findall(gzip.decompress(response.content).decode())) == 7


def test_agent_proxy_gives_the_last_entries(agent_hosts: list[str]) -> None:
    ids = agent_ids()
    for agent in agent_hosts:
        response = session.get(
            f"{MASTER}/system/v1/agent/{ids[agent]}/logs/v1/range/?skip_prev=10&limit=10",
            timeout=10,
        )
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"] == "text/plain"
        lines = [ln for ln in response.text.split("\n") if ln]
        assert len(lines) == 10, lines


def test_v2_component_logs() -> None:
    response = session.get(
        f"{MASTER}{LOGS}/v2/component/dcos-mesos-master?skip=-3",
        headers={"Accept": "application/json"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    entries = [json.loads(line) for line in response.text.splitlines()]
    assert len(entries) == 3
    for entry in entries:
        fields = entry["fields"]
        assert "dcos-mesos-master.service" in (fields.get("_SYSTEMD_UNIT"), fields.get("UNIT"))
    with session.get(
        f"{MASTER}{LOGS}/v2/component/dcos-mesos-master?cursor=END",
        headers={"Accept": "text/event-stream"},
        stream=True,
        timeout=30,
    ) as response:
        event = next(events(response))
        assert event["id"].startswith("s=") and json.loads(event["data"])["fields"]


def test_the_leaders_logs_through_the_leader_proxy() -> None:
    """The DC/OS CLI's `dcos node log --leader` reads /system/v1/leader/mesos/logs/v2/..."""
    response = session.get(
        f"{MASTER}/system/v1/leader/mesos/logs/v2/component/dcos-mesos-master.service?skip=-2",
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert len(ENTRY.findall(response.text)) == 2, response.text


# -- a task's logs ----------------------------------------------------------------

TASK_COMMAND = (
    "echo STDOUT_LOG; echo STDERR_LOG >&2; "
    "i=0; while true; do echo tick $i; i=$((i+1)); sleep 1; done"
)


@pytest.fixture(scope="module")
def task() -> Iterator[Task]:
    name = f"dcos-log-task-{uuid.uuid4().hex[:8]}"
    with running_task(name, TASK_COMMAND, ("--resources=cpus:0.1;mem:32",)) as running:
        yield running


def task_file_url(task: Task, file: str) -> str:
    return f"{MASTER}{LOGS}/v2/task/{task.id}/file/{file}"


def test_task_file_logs_through_the_redirect(task: Task) -> None:
    response = session.get(
        task_file_url(task, "stdout") + "?cursor=BEG&limit=1", allow_redirects=False, timeout=10
    )
    assert response.status_code == 303
    assert response.headers["Location"].startswith(
        f"/system/v1/agent/{task.agent_id}/logs/v2/task/frameworks/{task.framework_id}/"
    )
    assert (
        session.get(task_file_url(task, "stdout") + "?cursor=BEG&limit=1", timeout=10).text
        == "STDOUT_LOG\n"
    )
    assert "STDERR_LOG" in session.get(task_file_url(task, "stderr"), timeout=10).text
    tail = wait_for(
        lambda: Poll(
            bool(
                re.fullmatch(
                    r"tick \d+\ntick \d+\n",
                    t := session.get(
                        task_file_url(task, "stdout") + "?cursor=END&skip=-2", timeout=10
                    ).text,
                )
            ),
            t,
            t,
        ),
        10,
        "the last two lines to be ticks",
    )
    first, second = (int(line.split()[1]) for line in tail.splitlines())
    assert second == first + 1


def test_task_file_stream_delivers_lines_written_after_it_opened(task: Task) -> None:
    url = task_file_url(task, "stdout") + "?cursor=END"
    with session.get(
        url, headers={"Accept": "text/event-stream"}, stream=True, timeout=30
    ) as response:
        assert response.headers["Content-Type"] == "text/event-stream"
        stream = events(response)
        first = next(stream)
        fields = json.loads(first["data"])["fields"]
        assert re.fullmatch(r"tick \d+", fields["MESSAGE"]), fields
        assert fields["AGENT_ID"] == task.agent_id and fields["FILE"] == "stdout"
        second = next(stream)
        assert int(second["id"]) > int(first["id"])


def test_task_sandbox_browse_and_download(task: Task) -> None:
    listing = session.get(f"{MASTER}{LOGS}/v2/task/{task.id}/browse", timeout=10).json()
    assert {"stdout", "stderr"} <= {entry["path"].rsplit("/", 1)[1] for entry in listing}
    response = session.get(f"{MASTER}{LOGS}/v2/task/{task.id}/file/stdout/download", timeout=10)
    assert response.status_code == 200 and response.content.startswith(b"STDOUT_LOG\n")


def journal_task_url(task: Task) -> str:
    """DC/OS's v1 container logs URL for the task, from the master's state (as its test does)."""
    for framework in task.state["frameworks"]:
        for t in framework["tasks"]:
            if t["id"] == task.id:
                container = t["statuses"][-1]["container_status"]["container_id"]
                chain = [container["value"]]
                while "parent" in container:
                    container = container["parent"]
                    chain.append(container["value"])
                executor = t.get("executor_id") or t["id"]
                return (
                    f"/system/v1/agent/{t['slave_id']}/logs/v1/range/framework/"
                    f"{t['framework_id']}/executor/{executor}/container/{'.'.join(reversed(chain))}"
                )
    raise AssertionError(f"task {task.id} not in the master's state")


def test_task_journal_entries_by_stream(task: Task) -> None:
    strategy = session.get(f"{MASTER}/dcos-metadata/ui-config.json", timeout=10).json()[
        "uiConfiguration"
    ]["plugins"]["mesos"]["logging-strategy"]
    # DC/OS's test skips when the cluster does not log tasks to the journal; ours does.
    assert strategy.startswith("journald"), strategy
    url = MASTER + journal_task_url(task)
    for stream, line in (("STDOUT", "STDOUT_LOG"), ("STDERR", "STDERR_LOG")):

        def logged(s: str = stream, ln: str = line) -> Poll[str]:
            t = session.get(f"{url}?filter=STREAM:{s}", timeout=10).text
            return Poll(ln in t, t)

        text = wait_for(
            logged,
            10,
            f"{line} in the task's journal",
        )
        assert line in text
