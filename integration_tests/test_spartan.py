"""Spartan (the node-local DNS forwarder), its watchdog and gen-resolvconf, checked on this master.

Spartan binds only loopback addresses (198.51.100.1-3, 127.0.0.1), so only
the local node can be asked. The tests ask the way a DC/OS client does: DNS
queries over UDP and TCP, and /etc/resolv.conf. The last tests break spartan
on purpose (kill, hang, stop) and check that it comes back.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Callable
from typing import Any

import pytest
from dnslib import QTYPE, RCODE, DNSError, DNSRecord
from kazoo.client import KazooClient
from polling import wait_for
from systemd_units import show

SPARTANS = ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
LISTEN = [*SPARTANS, "127.0.0.1"]
READY = "ready.spartan"
MESOS_DNS_PORT = 61053
UNITS = ["dcos-spartan.service", "dcos-spartan-watchdog.service"]
# How long spartan may stay down after a crash or hang: systemd's RestartSec
# (3 s), or one watchdog run's 3 failed probes a second apart, plus a wide margin.
RECOVERY_DEADLINE = 90


def ask(
    server: str,
    name: str,
    qtype: str = "A",
    tcp: bool = False,
    port: int = 53,
    timeout: float = 2.0,
) -> DNSRecord:
    question = DNSRecord.question(name, qtype)
    reply = DNSRecord.parse(question.send(server, port, tcp=tcp, timeout=timeout))
    assert reply.header.id == question.header.id, "reply to another question"
    return reply


def a_records(reply: DNSRecord) -> set[str]:
    return {str(rr.rdata) for rr in reply.rr if rr.rtype == QTYPE.A}


def answers_ready(server: str = SPARTANS[0]) -> bool:
    try:
        return a_records(ask(server, READY, timeout=1.0)) == {"127.0.0.1"}
    except (OSError, DNSError):  # timeout, refused, garbage
        return False


def main_pid(unit: str = "dcos-spartan.service") -> int:
    return int(show(unit, "MainPID")["MainPID"])


def seconds_until(condition: Callable[[], bool], deadline: float, what: str) -> float:
    """Poll until `condition` holds; returns the seconds it took."""
    start = time.monotonic()
    wait_for(condition, deadline, what)
    return time.monotonic() - start


def nameservers(path: str = "/etc/resolv.conf") -> list[str]:
    with open(path) as f:
        return [line.split()[1] for line in f if line.startswith("nameserver")]


def upstreams(expanded_config: dict[str, Any]) -> list[tuple[str, int]]:
    servers = []
    for text in json.loads(expanded_config["resolvers"]):
        host, _, port = text.rpartition(":") if text.count(":") == 1 else (text, "", "53")
        servers.append((host, int(port)))
    return servers


def run_gen_resolvconf() -> None:
    subprocess.run(["systemctl", "start", "dcos-gen-resolvconf.service"], check=True)
    assert show("dcos-gen-resolvconf.service", "Result")["Result"] == "success"


# --- running state ---------------------------------------------------------


def test_spartan_is_running() -> None:
    state = show("dcos-spartan.service", "ActiveState", "SubState")
    assert (state["ActiveState"], state["SubState"]) == ("active", "running"), state


def test_watchdog_timer_is_active_and_last_run_succeeded() -> None:
    """As DC/OS 1.10's: a one-shot its timer starts every two minutes."""
    assert show("dcos-spartan-watchdog.timer", "ActiveState")["ActiveState"] == "active"
    assert show("dcos-spartan-watchdog.service", "Type")["Type"] == "oneshot"
    assert show("dcos-spartan-watchdog.service", "Result")["Result"] == "success"


def test_gen_resolvconf_timer_is_active_and_last_run_succeeded() -> None:
    assert show("dcos-gen-resolvconf.timer", "ActiveState")["ActiveState"] == "active"
    assert show("dcos-gen-resolvconf.service", "Result")["Result"] == "success"


def test_descriptions_have_diagnostics_name() -> None:
    for unit in [
        *UNITS,
        "dcos-spartan-watchdog.timer",
        "dcos-gen-resolvconf.service",
        "dcos-gen-resolvconf.timer",
    ]:
        name, sep, description = show(unit, "Description")["Description"].partition(": ")
        assert sep and name and description, unit


# --- answers ----------------------------------------------------------------


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
@pytest.mark.parametrize("address", LISTEN)
def test_ready_spartan_answers(address: str, tcp: bool) -> None:
    reply = ask(address, READY, tcp=tcp)
    assert reply.header.rcode == RCODE.NOERROR
    assert a_records(reply) == {"127.0.0.1"}


def test_spartan_zone_is_answered_locally() -> None:
    reply = ask(SPARTANS[0], "no-such-name.spartan")
    assert reply.header.rcode == RCODE.NXDOMAIN


def test_listens_only_on_its_own_addresses() -> None:
    # A wildcard bind would take port 53 from Docker's embedded DNS and
    # anything else on the node.
    for flag in ("-u", "-t"):
        out = subprocess.run(
            ["ss", "-Hln", flag, "sport = :53"], check=True, capture_output=True, text=True
        ).stdout
        local = {line.split()[3].rsplit(":", 1)[0] for line in out.splitlines()}
        assert local == set(LISTEN), (flag, out)


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_other_names_resolve_through_the_upstream(
    expanded_config: dict[str, Any], tcp: bool
) -> None:
    # A name only Docker's resolver (the configured upstream) knows: this
    # node's container name, which Docker's DNS answers on the cluster network.
    name = socket.gethostname()
    host, port = upstreams(expanded_config)[0]
    expected = a_records(ask(host, name, port=port))
    assert expected, f"the upstream {host}:{port} does not know {name}: cannot check forwarding"
    assert a_records(ask(SPARTANS[0], name, tcp=tcp)) == expected


@pytest.mark.parametrize("name", ["leader.mesos", "master.mesos"])
def test_mesos_goes_to_mesos_dns(master_hosts: list[str], name: str) -> None:
    expected = a_records(ask(master_hosts[0], name, port=MESOS_DNS_PORT))
    assert expected, f"Mesos-DNS knows no {name}"
    for spartan in SPARTANS:
        assert a_records(ask(spartan, name)) == expected


def test_zk_names_are_the_masters(master_hosts: list[str]) -> None:
    for index, master in enumerate(master_hosts):
        assert a_records(ask(SPARTANS[0], f"zk-{index + 1}.zk")) == {master}
    # DC/OS's connection strings name five servers whatever the number of masters.
    assert a_records(ask(SPARTANS[0], "zk-5.zk")) <= set(master_hosts)
    assert ask(SPARTANS[0], "zk-6.zk").header.rcode == RCODE.NXDOMAIN


def test_kazoo_connects_through_zk_names(master_hosts: list[str]) -> None:
    # DC/OS's test_if_all_mesos_masters_have_registered.
    hosts = ",".join(f"zk-{i + 1}.zk:2181" for i in range(len(master_hosts)))
    zk = KazooClient(hosts=hosts)
    zk.start(timeout=30)
    try:
        infos = [c for c in zk.get_children("/mesos") if c.startswith("json.info_")]
        ips = sorted(json.loads(zk.get(f"/mesos/{c}")[0])["address"]["ip"] for c in infos)
    finally:
        zk.stop()
        zk.close()
    assert ips == sorted(master_hosts)


def test_resolv_conf_names_the_spartan_addresses(expanded_config: dict[str, Any]) -> None:
    servers = nameservers()
    assert servers, "/etc/resolv.conf names no nameserver"
    assert set(servers) <= set(SPARTANS), servers
    # Every spartan address answers here (test_ready_spartan_answers), so all
    # must be listed.
    assert sorted(servers) == SPARTANS
    search = (expanded_config.get("dns_search") or "").split()
    with open("/etc/resolv.conf") as f:
        search_lines = [line.split()[1:] for line in f if line.startswith("search")]
    assert search_lines == ([search] if search else [])


# --- recovery (these break spartan on purpose) -------------------------------


def test_spartan_comes_back_after_kill() -> None:
    before = main_pid()
    assert before > 0
    subprocess.run(["kill", "-9", str(before)], check=True)
    seconds_until(
        lambda: main_pid() not in (0, before) and answers_ready(),
        RECOVERY_DEADLINE,
        "spartan answering again after kill -9",
    )


def test_watchdog_restarts_a_hung_spartan() -> None:
    # A stopped process still holds its sockets and its unit stays "active":
    # only the watchdog's probes notice.
    # The timer starts a watchdog run every two minutes; start one now rather
    # than wait for it.
    before = main_pid()
    subprocess.run(["kill", "-STOP", str(before)], check=True)
    try:
        subprocess.run(["systemctl", "start", "dcos-spartan-watchdog.service"], check=True)
        seconds_until(
            lambda: main_pid() not in (0, before) and answers_ready(),
            RECOVERY_DEADLINE,
            "watchdog restarting a hung spartan",
        )
    finally:
        # Gone already if the restart killed it; harmless then.
        subprocess.run(["kill", "-CONT", str(before)], capture_output=True)


def test_gen_resolvconf_falls_back_to_upstreams_and_returns(
    expanded_config: dict[str, Any],
) -> None:
    fallback = [h for h, p in upstreams(expanded_config) if p == 53]
    subprocess.run(["systemctl", "stop", "dcos-spartan.service"], check=True)
    try:
        assert not answers_ready()
        run_gen_resolvconf()
        assert nameservers() and set(nameservers()) <= set(fallback), nameservers()
    finally:
        subprocess.run(["systemctl", "start", "dcos-spartan.service"], check=True)
        seconds_until(answers_ready, RECOVERY_DEADLINE, "spartan answering after start")
        run_gen_resolvconf()
    assert sorted(nameservers()) == SPARTANS
