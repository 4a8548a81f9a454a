"""dcos-log's HTTP API over an in-memory journal and a sandbox on disk."""

from __future__ import annotations

import asyncio
import gzip
import json
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from dcos_log import sandbox
from dcos_log.app import Mesos, make_app
from fake_journal import JournalStore, cursor_of

LINE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}: ", re.MULTILINE)
FID, EID, CID, AGENT = "fw-0000", "task-1.abc", "c0ffee", "agent-S1"


def journal_store() -> JournalStore:
    entries: list[dict[str, str]] = []
    for i in range(30):
        entries.append({"MESSAGE": f"system {i}", "_SYSTEMD_UNIT": "dcos-exhibitor.service"})
        if i % 7 == 0:
            entries.append({"_SYSTEMD_UNIT": "no-message.service"})  # nothing to show as text
    for stream in ("STDOUT", "STDERR"):
        entries.append(
            {
                "MESSAGE": f"{stream}_LOG",
                "STREAM": stream,
                "FRAMEWORK_ID": FID,
                "EXECUTOR_ID": EID,
                "CONTAINER_ID": CID,
                "AGENT_ID": AGENT,
            }
        )
    return JournalStore(entries)


class FakeMesos(Mesos):
    def __init__(self, sandbox: Path) -> None:
        super().__init__(agent_url=lambda: "http://agent.invalid")
        self.sandbox = sandbox

    def agent_state(self) -> dict[str, Any]:
        executor = {
            "id": EID,
            "name": "Command Executor",
            "source": "task-1",
            "container": CID,
            "directory": str(self.sandbox),
            "tasks": [],
        }
        return {
            "id": AGENT,
            "frameworks": [{"id": FID, "name": "marathon", "executors": [executor]}],
        }

    def master_state(self) -> dict[str, Any]:
        status = {"state": "TASK_RUNNING", "container_status": {"container_id": {"value": CID}}}
        task = {
            "id": "task-1",
            "framework_id": FID,
            "executor_id": "",
            "slave_id": AGENT,
            "statuses": [status],
        }
        return {"frameworks": [{"id": FID, "name": "marathon", "tasks": [task]}]}


Scenario = Callable[[TestClient, JournalStore, Path], Awaitable[None]]


def run(scenario: Scenario, tmp_path: Path) -> None:
    store = journal_store()
    sandbox = tmp_path / "sandbox"
    sandbox.mkdir()
    (sandbox / "stdout").write_text("".join(f"out {i}\n" for i in range(50)))

    async def go() -> None:
        client = TestClient(TestServer(make_app(store.open, FakeMesos(sandbox))))
        await client.start_server()
        try:
            await scenario(client, store, sandbox)
        finally:
            await client.close()

    asyncio.run(go())


def test_range_text_has_exactly_limit_lines(tmp_path: Path) -> None:
    async def scenario(client: TestClient, store: JournalStore, _: Path) -> None:
        response = await client.get("/v1/range/?limit=10")
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/plain"
        text = await response.text()
        # The entries without MESSAGE do not eat into the limit.
        assert len(LINE.findall(text)) == 10
        assert text.splitlines()[0].endswith(": system 0")

    run(scenario, tmp_path)


def test_range_json_and_event_stream(tmp_path: Path) -> None:
    async def scenario(client: TestClient, store: JournalStore, _: Path) -> None:
        response = await client.get("/v1/range/?limit=1", headers={"Accept": "application/json"})
        assert response.headers["Content-Type"] == "application/json"
        entry = json.loads(await response.text())
        assert set(entry) == {"fields", "cursor", "monotonic_timestamp", "realtime_timestamp"}
        assert entry["cursor"] == cursor_of(0)
        response = await client.get("/v1/range/?limit=1", headers={"Accept": "text/event-stream"})
        assert response.headers["Content-Type"] == "text/event-stream"
        assert response.headers["Cache-Control"] == "no-cache"
        text = await response.text()
        assert text.startswith("data: {") and text.endswith("\n\n")  # no id: on ranges

    run(scenario, tmp_path)


def test_skip_prev_gives_the_last_entries(tmp_path: Path) -> None:
    async def scenario(client: TestClient, store: JournalStore, _: Path) -> None:
        response = await client.get("/v1/range/?skip_prev=3&limit=3")
        lines = (await response.text()).splitlines()
        assert [ln.split(": ", 1)[1] for ln in lines] == ["system 29", "STDOUT_LOG", "STDERR_LOG"]
        assert response.headers["X-Journal-Skip-Prev"] == "3"

    run(scenario, tmp_path)


def test_errors_and_no_content(tmp_path: Path) -> None:
    async def scenario(client: TestClient, store: JournalStore, _: Path) -> None:
        response = await client.get("/v1/range/?limit=abc")
        assert response.status == 400
        assert "Error parsing paramter `limit`" in await response.text()
        assert (await client.get("/v1/stream/?limit=1")).status == 400
        response = await client.get("/v1/range/?filter=_SYSTEMD_UNIT:none.service")
        assert response.status == 204
        response = await client.get("/v1/range/?cursor=garbage")
        assert response.status == 500
        assert "Incorrect cursor string" in await response.text()
        assert (await client.get("/v1/range")).status == 404  # only with the slash

    run(scenario, tmp_path)


def test_task_logs_by_container_and_stream(tmp_path: Path) -> None:
    async def scenario(client: TestClient, store: JournalStore, _: Path) -> None:
        base = f"/v1/range/framework/{FID}/executor/{EID}/container/{CID}"
        assert (await (await client.get(base + "?filter=STREAM:STDOUT")).text()).endswith(
            ": STDOUT_LOG\n"
        )
        text = await (await client.get(base + "?filter=STREAM:STDERR")).text()
        assert "STDERR_LOG" in text and "STDOUT_LOG" not in text
        response = await client.get(base + "/download?postfix=stdout&limit=10")
        assert response.headers["Content-Disposition"] == (
            f"attachment; filename=task-{CID}-stdout.log.gz"
        )
        assert b"STDOUT_LOG" in gzip.decompress(await response.read())

    run(scenario, tmp_path)


def test_root_download(tmp_path: Path) -> None:
    async def scenario(client: TestClient, store: JournalStore, _: Path) -> None:
        response = await client.get("/v1/range/download?limit=5")
        assert response.headers["Content-Disposition"] == "attachment; filename=root-range.log.gz"
        assert len(LINE.findall(gzip.decompress(await response.read()).decode())) == 5

    run(scenario, tmp_path)


def test_stream_delivers_an_entry_written_after_it_opened(tmp_path: Path) -> None:
    async def scenario(client: TestClient, store: JournalStore, _: Path) -> None:
        response = await client.get(
            "/v1/stream/?skip_prev=1", headers={"Accept": "text/event-stream"}
        )
        assert response.headers["Content-Type"] == "text/event-stream"
        first_id = await response.content.readline()
        assert first_id.startswith(b"id: ")
        data = json.loads((await response.content.readline())[len("data: ") :])
        assert data["fields"]["MESSAGE"] == "STDERR_LOG"
        await response.content.readline()  # the blank line ending the event
        await asyncio.sleep(0.1)
        written = store.append({"MESSAGE": "written later"})
        assert (await asyncio.wait_for(response.content.readline(), 5)) == (
            f"id: {written.cursor}\n".encode()
        )
        data = json.loads((await response.content.readline())[len("data: ") :])
        assert data["fields"]["MESSAGE"] == "written later"
        response.close()

    run(scenario, tmp_path)


def test_stream_resumes_after_last_event_id(tmp_path: Path) -> None:
    async def scenario(client: TestClient, store: JournalStore, _: Path) -> None:
        last = store.entries[-2].cursor
        response = await client.get(
            "/v1/stream/", headers={"Accept": "text/event-stream", "Last-Event-ID": last}
        )
        assert (await response.content.readline()) == f"id: {store.entries[-1].cursor}\n".encode()
        response.close()

    run(scenario, tmp_path)


def test_fields(tmp_path: Path) -> None:
    async def scenario(client: TestClient, store: JournalStore, _: Path) -> None:
        assert await (await client.get("/v1/fields/STREAM")).json() == ["STDERR", "STDOUT"]
        assert (await client.get("/v1/fields/MESSAGE")).status == 400

    run(scenario, tmp_path)


def test_v2_component(tmp_path: Path) -> None:
    async def scenario(client: TestClient, store: JournalStore, _: Path) -> None:
        text = await (await client.get("/v2/component/dcos-exhibitor?limit=2")).text()
        assert [ln.split(": ", 1)[1] for ln in text.splitlines()] == ["system 0", "system 1"]
        text = await (await client.get("/v2/component/dcos-exhibitor?skip=-2")).text()
        assert [ln.split(": ", 1)[1] for ln in text.splitlines()] == ["system 28", "system 29"]
        response = await client.get(
            "/v2/component?cursor=END", headers={"Accept": "text/event-stream"}
        )
        assert (await response.content.readline()).startswith(b"id: ")
        response.close()

    run(scenario, tmp_path)


def test_v2_task_redirect_and_sandbox_file(tmp_path: Path) -> None:
    async def scenario(client: TestClient, store: JournalStore, sandbox: Path) -> None:
        response = await client.get("/v2/task/task-1?skip=-2", allow_redirects=False)
        assert response.status == 303
        run_path = f"/v2/task/frameworks/{FID}/executors/task-1/runs/{CID}"
        assert response.headers["Location"] == (
            f"/system/v1/agent/{AGENT}/logs{run_path}/stdout?skip=-2"
        )
        own = f"/v2/task/frameworks/{FID}/executors/{EID}/runs/{CID}"
        text = await (await client.get(own + "/stdout?cursor=END&skip=-3")).text()
        assert text == "out 47\nout 48\nout 49\n"
        text = await (await client.get(own + "/stdout?limit=2&skip=5")).text()
        assert text == "out 5\nout 6\n"
        response = await client.get(
            own + "/stdout?cursor=END&skip=-1", headers={"Accept": "text/event-stream"}
        )
        event_id = int((await response.content.readline()).split(b": ")[1])
        data = json.loads((await response.content.readline())[len("data: ") :])
        assert data["fields"]["MESSAGE"] == "out 49" and data["fields"]["AGENT_ID"] == AGENT
        assert event_id == (sandbox / "stdout").stat().st_size - 1
        await response.content.readline()
        with open(sandbox / "stdout", "a") as f:
            f.write("appended\n")
        await asyncio.wait_for(response.content.readline(), 5)
        data = json.loads((await response.content.readline())[len("data: ") :])
        assert data["fields"]["MESSAGE"] == "appended"
        response.close()
        listing = await (await client.get(own + "/files/browse")).json()
        assert [Path(f["path"]).name for f in listing] == ["stdout"]
        response = await client.get(own + "/stdout/download")
        assert (await response.read()).startswith(b"out 0\n")
        assert (await client.get(own + "/missing")).status == 204
        assert (await client.get(own + "/..%2F..%2Fetc")).status in (204, 404)

    run(scenario, tmp_path)


def test_unknown_task_is_an_error(tmp_path: Path) -> None:
    async def scenario(client: TestClient, store: JournalStore, _: Path) -> None:
        response = await client.get("/v2/task/nope", allow_redirects=False)
        assert response.status == 500

    run(scenario, tmp_path)


@pytest.mark.parametrize(("cursor", "expected"), [("BEG", 0), ("12", 12), ("-3", 0)])
def test_sandbox_cursor(tmp_path: Path, cursor: str, expected: int) -> None:
    path = tmp_path / "f"
    path.write_text("abc\n")
    assert sandbox.start_offset(path, cursor) == expected
