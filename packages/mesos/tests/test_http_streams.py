"""The scheduler and operator APIs over real HTTP: RecordIO streams, headers, error texts."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
from dcos_internal_utils import aio, recordio
from dcos_mesos.master.http import MasterHttp
from mesos_fakes import agent_body, new_master, subscribe_call


async def read_records(response: aiohttp.ClientResponse, count: int) -> list[dict[str, Any]]:
    decoder = recordio.Decoder()
    out: list[dict[str, Any]] = []
    while len(out) < count:
        chunk = await asyncio.wait_for(response.content.readany(), 5)
        assert chunk, "the stream ended early"
        out += [json.loads(r) for r in decoder.feed(chunk)]
    return out


def test_subscribe_streams_recordio_with_a_stream_id() -> None:
    async def scenario() -> None:
        master = new_master()
        await master.become_leader()
        await master.register_agent(agent_body())
        runner = await aio.serve(MasterHttp(master).app(), tcp=[("127.0.0.1", 0)])
        base = next(iter(runner.sites)).name
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.post(base + "/api/v1/scheduler", json=subscribe_call()) as sub,
            ):
                assert sub.status == 200
                assert sub.headers["Content-Type"].startswith("application/json")
                stream_id = sub.headers["Mesos-Stream-Id"]
                events = await read_records(sub, 3)
                assert [e["type"] for e in events] == ["SUBSCRIBED", "HEARTBEAT", "OFFERS"]
                framework_id = events[0]["subscribed"]["framework_id"]
                call = {"type": "REVIVE", "framework_id": framework_id}
                async with session.post(
                    base + "/api/v1/scheduler", json=call, headers={"Mesos-Stream-Id": "other"}
                ) as bad:
                    assert bad.status == 400
                    assert "didn't match the stream ID" in await bad.text()
                async with session.post(
                    base + "/api/v1/scheduler",
                    json=call,
                    headers={"Mesos-Stream-Id": stream_id},
                ) as ok:
                    assert ok.status == 202
                async with session.post(base + "/api/v1", json={"type": "SUBSCRIBE"}) as op:
                    (first,) = await read_records(op, 1)
                    assert first["type"] == "SUBSCRIBED"
                    tasks = first["subscribed"]["get_state"]["get_frameworks"]["frameworks"]
                    assert tasks[0]["framework_info"]["name"] == "fw"
                async with session.post(
                    base + "/api/v1/scheduler", data=b"{}", skip_auto_headers=["Content-Type"]
                ) as no_type:
                    assert no_type.status == 400
                    assert await no_type.text() == "Expecting 'Content-Type' to be present"
        finally:
            await runner.cleanup()

    asyncio.run(scenario())


def test_non_leader_redirects_to_the_leader() -> None:
    async def scenario() -> None:
        master = new_master()
        master.leader_info = {"hostname": "192.0.2.99", "port": 5050}
        runner = await aio.serve(MasterHttp(master).app(), tcp=[("127.0.0.1", 0)])
        base = next(iter(runner.sites)).name
        try:
            async with aiohttp.ClientSession() as session:
                async with session.get(
                    base + "/master/redirect", allow_redirects=False
                ) as response:
                    assert response.status == 307
                    assert response.headers["Location"] == "//192.0.2.99:5050"
                async with session.post(
                    base + "/api/v1/scheduler", json=subscribe_call(), allow_redirects=False
                ) as response:
                    assert response.status == 307
                    assert response.headers["Location"] == "//192.0.2.99:5050/api/v1/scheduler"
        finally:
            await runner.cleanup()

    asyncio.run(scenario())
