"""The master's logic with fake agents: registration, offers, launches, updates, failover."""

from __future__ import annotations

import asyncio
from typing import Any

from dcos_mesos.ids import value
from dcos_mesos.master import views
from dcos_mesos.master.core import MemoryRegistry
from dcos_mesos.streams import EventStream
from mesos_fakes import RecordingAgents, agent_body, events, new_master, settle, subscribe_call


def task_info(task_id: str, agent_id: str, cpus: float = 0.5, role: str = "*") -> dict[str, Any]:
    return {
        "name": task_id,
        "task_id": {"value": task_id},
        "agent_id": {"value": agent_id},
        "resources": [
            {"name": "cpus", "type": "SCALAR", "scalar": {"value": cpus}, "role": role},
            {"name": "mem", "type": "SCALAR", "scalar": {"value": 64}, "role": role},
        ],
        "command": {"value": "sleep 10"},
    }


def test_subscribe_register_offer_launch_update_ack() -> None:
    async def scenario() -> None:
        agents = RecordingAgents()
        master = new_master(agents=agents)
        await master.become_leader()
        registered = await master.register_agent(agent_body())
        agent_id = value(registered["agent_id"])
        assert agent_id == "m1-S0"
        stream = EventStream("s1")
        assert await master.subscribe(subscribe_call(), stream) is None
        await settle()
        got = events(stream)
        assert [e["type"] for e in got] == ["SUBSCRIBED", "HEARTBEAT", "OFFERS"]
        assert got[0]["subscribed"]["master_info"]["pid"] == "master@192.0.2.1:5050"
        offer = got[2]["offers"]["offers"][0]
        assert offer["hostname"] == "192.0.2.10"
        assert offer["allocation_info"] == {"role": "*"}
        framework = master.frameworks[value(got[0]["subscribed"]["framework_id"])]
        master.accept(
            framework,
            {
                "accept": {
                    "offer_ids": [offer["id"]],
                    "operations": [
                        {"type": "LAUNCH", "launch": {"task_infos": [task_info("t1", agent_id)]}}
                    ],
                }
            },
        )
        await settle()
        assert [c[1] for c in agents.calls] == ["/internal/run_task"]
        assert framework.tasks["t1"].state == "TASK_STAGING"
        summary = views.state_summary(master)
        assert summary["slaves"][0]["TASK_STAGING"] == 1
        running = {
            "task_id": {"value": "t1"},
            "state": "TASK_RUNNING",
            "uuid": "dXVpZA==",
            "agent_id": {"value": agent_id},
            "timestamp": 1.0,
            "source": "SOURCE_EXECUTOR",
        }
        master.status_from_agent(
            {
                "agent_id": {"value": agent_id},
                "framework_id": {"value": framework.id},
                "status": running,
            }
        )
        updates = [e for e in events(stream) if e["type"] == "UPDATE"]
        assert updates[0]["update"]["status"]["state"] == "TASK_RUNNING"
        finished = dict(running, state="TASK_FINISHED", uuid="ZG9uZQ==")
        master.status_from_agent(
            {
                "agent_id": {"value": agent_id},
                "framework_id": {"value": framework.id},
                "status": finished,
            }
        )
        assert framework.tasks["t1"].state == "TASK_FINISHED"
        master.acknowledge(
            framework,
            {
                "acknowledge": {
                    "agent_id": {"value": agent_id},
                    "task_id": {"value": "t1"},
                    "uuid": "ZG9uZQ==",
                }
            },
        )
        await settle()
        assert "t1" not in framework.tasks
        assert framework.completed_tasks[0].state == "TASK_FINISHED"
        assert agents.calls[-1][1] == "/internal/acknowledge"
        state = views.state(master)
        shown = state["frameworks"][0]["completed_tasks"][0]
        assert [s["state"] for s in shown["statuses"]] == ["TASK_RUNNING", "TASK_FINISHED"]
        assert shown["slave_id"] == agent_id and shown["role"] == "*"

    asyncio.run(scenario())


def test_invalid_offer_and_oversized_task_are_rejected() -> None:
    async def scenario() -> None:
        master = new_master()
        await master.become_leader()
        agent_id = value((await master.register_agent(agent_body()))["agent_id"])
        stream = EventStream("s")
        await master.subscribe(subscribe_call(), stream)
        await settle()
        offer = next(e for e in events(stream) if e["type"] == "OFFERS")["offers"]["offers"][0]
        framework = next(iter(master.frameworks.values()))
        master.accept(
            framework,
            {
                "accept": {
                    "offer_ids": [{"value": "nope"}],
                    "operations": [
                        {"type": "LAUNCH", "launch": {"task_infos": [task_info("lost", agent_id)]}}
                    ],
                }
            },
        )
        master.accept(
            framework,
            {
                "accept": {
                    "offer_ids": [offer["id"]],
                    "operations": [
                        {
                            "type": "LAUNCH",
                            "launch": {"task_infos": [task_info("big", agent_id, cpus=64)]},
                        }
                    ],
                }
            },
        )
        statuses = [e["update"]["status"] for e in events(stream) if e["type"] == "UPDATE"]
        assert statuses[0]["state"] == "TASK_LOST"
        assert statuses[0]["reason"] == "REASON_INVALID_OFFERS"
        assert statuses[1]["state"] == "TASK_ERROR"
        assert statuses[1]["reason"] == "REASON_TASK_INVALID"
        assert "uuid" not in statuses[0]

    asyncio.run(scenario())


def test_a_new_leader_recovers_agents_frameworks_and_tasks_from_the_registry() -> None:
    async def scenario() -> None:
        registry = MemoryRegistry()
        first = new_master(registry)
        await first.become_leader()
        agent_id = value((await first.register_agent(agent_body()))["agent_id"])
        await first.subscribe(subscribe_call("marathon"), EventStream("s"))
        framework_id = next(iter(first.frameworks))

        second = new_master(registry)
        await second.become_leader()
        assert agent_id in second.recovered_agents
        assert second.frameworks[framework_id].recovered
        running = {
            "task_id": {"value": "t1"},
            "framework_id": {"value": framework_id},
            "name": "t1",
            "state": "TASK_RUNNING",
            "resources": task_info("t1", agent_id)["resources"],
            "statuses": [{"state": "TASK_RUNNING", "task_id": {"value": "t1"}}],
        }
        answer = await second.register_agent(agent_body(agent_id=agent_id, tasks=[running]))
        assert answer["removed_frameworks"] == []
        assert value(answer["agent_id"]) == agent_id
        assert second.frameworks[framework_id].tasks["t1"].state == "TASK_RUNNING"
        stream = EventStream("s2")
        assert (
            await second.subscribe(subscribe_call("marathon", framework_id=framework_id), stream)
            is None
        )
        second.reconcile(second.frameworks[framework_id], {"reconcile": {"tasks": []}})
        await settle()
        updates = [e["update"]["status"] for e in events(stream) if e["type"] == "UPDATE"]
        assert updates[0]["state"] == "TASK_RUNNING"
        assert updates[0]["reason"] == "REASON_RECONCILIATION"
        # A framework the registry never had is gone: its tasks' agent is told so.
        stray = dict(running, framework_id={"value": "gone"})
        answer = await second.register_agent(agent_body(agent_id=agent_id, tasks=[stray]))
        assert answer["removed_frameworks"] == ["gone"]

    asyncio.run(scenario())


def test_unreachable_agent_loses_tasks_of_non_partition_aware_frameworks() -> None:
    async def scenario() -> None:
        master = new_master()
        master.flags.values["max_agent_ping_timeouts"] = "2"
        await master.become_leader()
        agent_id = value((await master.register_agent(agent_body()))["agent_id"])
        stream = EventStream("s")
        await master.subscribe(subscribe_call(), stream)
        await settle()
        offer = next(e for e in events(stream) if e["type"] == "OFFERS")["offers"]["offers"][0]
        framework = next(iter(master.frameworks.values()))
        master.accept(
            framework,
            {
                "accept": {
                    "offer_ids": [offer["id"]],
                    "operations": [
                        {"type": "LAUNCH", "launch": {"task_infos": [task_info("t1", agent_id)]}}
                    ],
                }
            },
        )
        for _ in range(3):
            await master.check_agent_pings()
        assert agent_id in master.unreachable_agents
        lost = [e["update"]["status"] for e in events(stream) if e["type"] == "UPDATE"]
        assert lost[-1]["state"] == "TASK_LOST"
        assert lost[-1]["reason"] == "REASON_SLAVE_REMOVED"

    asyncio.run(scenario())


def test_public_agent_offers_carry_slave_public() -> None:
    async def scenario() -> None:
        master = new_master()
        await master.become_leader()
        await master.register_agent(agent_body(role="slave_public"))
        star = EventStream("a")
        await master.subscribe(subscribe_call("star"), star)
        public = EventStream("b")
        await master.subscribe(subscribe_call("public", roles=["slave_public"]), public)
        await settle()
        assert not [e for e in events(star) if e["type"] == "OFFERS"]
        offers = [e for e in events(public) if e["type"] == "OFFERS"]
        resource = offers[0]["offers"]["offers"][0]["resources"][0]
        assert resource["role"] == "slave_public"
        assert resource["allocation_info"] == {"role": "slave_public"}
        slaves = views.slaves(master)["slaves"]
        assert "slave_public" in slaves[0]["reserved_resources"]

    asyncio.run(scenario())


def test_agent_back_from_unreachable_shuts_down_non_partition_aware_tasks() -> None:
    async def scenario() -> None:
        master = new_master()
        master.flags.values["max_agent_ping_timeouts"] = "1"
        await master.become_leader()
        agent_id = value((await master.register_agent(agent_body()))["agent_id"])
        await master.subscribe(subscribe_call(), EventStream("s"))
        framework_id = next(iter(master.frameworks))
        await master.check_agent_pings()
        await master.check_agent_pings()
        assert agent_id in master.unreachable_agents
        running = {
            "task_id": {"value": "t1"},
            "framework_id": {"value": framework_id},
            "name": "t1",
            "state": "TASK_RUNNING",
            "resources": task_info("t1", agent_id)["resources"],
            "statuses": [],
        }
        answer = await master.register_agent(agent_body(agent_id=agent_id, tasks=[running]))
        assert answer["removed_frameworks"] == [framework_id]
        assert "t1" not in master.frameworks[framework_id].tasks

    asyncio.run(scenario())


def test_subscribed_comes_first_even_when_an_allocation_runs_meanwhile() -> None:
    async def scenario() -> None:
        registry = MemoryRegistry()
        master = new_master(registry)
        await master.become_leader()
        await master.register_agent(agent_body())
        slow = asyncio.Event()
        save = registry.save

        async def slow_save(data: dict[str, Any]) -> None:
            master.schedule_allocation()  # something else changed while the registry is written
            await asyncio.sleep(0.01)
            slow.set()
            await save(data)

        registry.save = slow_save  # type: ignore[method-assign]
        stream = EventStream("s")
        await master.subscribe(subscribe_call(), stream)
        await settle()
        assert slow.is_set()
        assert [e["type"] for e in events(stream)][:3] == ["SUBSCRIBED", "HEARTBEAT", "OFFERS"]

    asyncio.run(scenario())


def test_a_removed_framework_is_refused_with_an_error_event() -> None:
    """As Mesos: the subscription's stream carries ERROR "Framework has been removed" and ends."""

    async def scenario() -> None:
        master = new_master()
        await master.become_leader()
        stream = EventStream("s1")
        assert await master.subscribe(subscribe_call(), stream) is None
        await settle()
        framework_id = value(events(stream)[0]["subscribed"]["framework_id"])
        await master.remove_framework(master.frameworks[framework_id])
        again = EventStream("s2")
        assert await master.subscribe(subscribe_call(framework_id=framework_id), again) is None
        assert events(again) == [
            {"type": "ERROR", "error": {"message": "Framework has been removed"}}
        ]
        assert again.closed and framework_id not in master.frameworks

    asyncio.run(scenario())
