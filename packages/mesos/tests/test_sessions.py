"""Nested container sessions over the agent's v1 API: output, input, and a TTY."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

import aiohttp
from dcos_internal_utils import aio, recordio
from dcos_mesos.agent.http import AgentHttp
from test_agent import FakeMaster, new_agent, record


def session_call(parent: str, command: str, child: str, tty: bool = False) -> dict[str, Any]:
    container: dict[str, Any] = {"type": "MESOS"}
    if tty:
        container["tty_info"] = {"window_size": {"rows": 24, "columns": 80}}
    return {
        "type": "LAUNCH_NESTED_CONTAINER_SESSION",
        "launch_nested_container_session": {
            "container_id": {"parent": {"value": parent}, "value": child},
            "command": {"shell": True, "value": command},
            "container": container,
        },
    }


async def output_of(response: aiohttp.ClientResponse) -> bytes:
    decoder = recordio.Decoder()
    out = b""
    async for chunk in response.content.iter_any():
        for raw in decoder.feed(chunk):
            message = json.loads(raw)
            assert message["type"] == "DATA"
            out += base64.b64decode(message["data"]["data"])
    return out


def input_records(child: str, data: bytes) -> bytes:
    first = {
        "type": "ATTACH_CONTAINER_INPUT",
        "attach_container_input": {"type": "CONTAINER_ID", "container_id": {"value": child}},
    }
    records = [recordio.encode_json(first)]
    for payload in (data, b""):
        records.append(
            recordio.encode_json(
                {
                    "type": "ATTACH_CONTAINER_INPUT",
                    "attach_container_input": {
                        "type": "PROCESS_IO",
                        "process_io": {
                            "type": "DATA",
                            "data": {"type": "STDIN", "data": base64.b64encode(payload).decode()},
                        },
                    },
                }
            )
        )
    return b"".join(records)


def test_session_output_input_and_tty(tmp_path: Path) -> None:
    async def scenario() -> None:
        agent = new_agent(tmp_path, FakeMaster())
        parent = record("parent", "task")
        parent.sandbox = str(tmp_path)
        agent.containers["parent"] = parent
        runner = await aio.serve(AgentHttp(agent).app(), tcp=[("127.0.0.1", 0)])
        base = next(iter(runner.sites)).name + "/api/v1"
        try:
            async with aiohttp.ClientSession() as session:
                async with session.post(
                    base, json=session_call("parent", "echo meow; pwd", "c1")
                ) as response:
                    assert response.status == 200
                    assert response.headers["Content-Type"] == "application/recordio"
                    assert response.headers["Message-Content-Type"] == "application/json"
                    assert await output_of(response) == f"meow\n{tmp_path}\n".encode()
                async with session.post(base, json=session_call("parent", "head -n1", "c2")) as r:
                    feed = session.post(
                        base,
                        data=input_records("c2", b"typed\n"),
                        headers={
                            "Content-Type": "application/recordio",
                            "Message-Content-Type": "application/json",
                        },
                    )
                    async with feed as sent:
                        assert sent.status == 200
                    assert await output_of(r) == b"typed\n"
                async with session.post(
                    base, json=session_call("parent", "tty", "c3", tty=True)
                ) as response:
                    assert (await output_of(response)).startswith(b"/dev/pts/")
                async with session.post(base, json=session_call("nope", "true", "c4")) as r:
                    assert r.status == 404
                async with session.post(base, json=session_call("parent", "exit 3", "c5")) as r:
                    await output_of(r)
                wait = {
                    "type": "WAIT_NESTED_CONTAINER",
                    "wait_nested_container": {"container_id": {"value": "c5"}},
                }
                async with session.post(base, json=wait) as r:
                    answer = await r.json()
                    assert answer["wait_nested_container"]["exit_status"] == 3 << 8
        finally:
            await runner.cleanup()

    asyncio.run(asyncio.wait_for(scenario(), 20))
