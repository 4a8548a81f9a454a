from __future__ import annotations

import os
from pathlib import Path

from dcos_spartan import SPARTAN_ADDRESSES
from dcos_spartan.dnsmasq_conf import Server
from dcos_spartan.resolvconf import choose_nameservers, render, search_domains, write_in_place

UPSTREAMS = [Server("127.0.0.11")]


def no_shuffle(items: list[str]) -> None:
    pass


def test_all_live_spartans_are_named() -> None:
    choice = choose_nameservers(SPARTAN_ADDRESSES, lambda a: True, UPSTREAMS, no_shuffle)
    assert choice.nameservers == list(SPARTAN_ADDRESSES)
    assert not choice.fallback


def test_only_the_answering_spartans_are_named() -> None:
    live = {"198.51.100.1", "198.51.100.3"}
    choice = choose_nameservers(SPARTAN_ADDRESSES, live.__contains__, UPSTREAMS, no_shuffle)
    assert choice.nameservers == ["198.51.100.1", "198.51.100.3"]


def test_falls_back_to_upstreams_when_no_spartan_answers() -> None:
    choice = choose_nameservers(SPARTAN_ADDRESSES, lambda a: False, UPSTREAMS, no_shuffle)
    assert choice.nameservers == ["127.0.0.11"]
    assert choice.fallback


def test_fallback_skips_upstreams_on_other_ports_and_keeps_three() -> None:
    upstreams = [Server("192.0.2.1", 5353)] + [Server(f"192.0.2.{i}") for i in range(2, 7)]
    choice = choose_nameservers(SPARTAN_ADDRESSES, lambda a: False, upstreams, no_shuffle)
    assert choice.nameservers == ["192.0.2.2", "192.0.2.3", "192.0.2.4"]


def test_fallback_with_nothing_usable_is_empty() -> None:
    choice = choose_nameservers(SPARTAN_ADDRESSES, lambda a: False, [Server("192.0.2.1", 5353)])
    assert choice.nameservers == [] and choice.fallback


def test_render_search_and_nameservers() -> None:
    text = render(["198.51.100.1", "198.51.100.2"], search_domains("mesos  example.com"))
    body = [line for line in text.splitlines() if not line.startswith("#")]
    assert "search mesos example.com" in body
    assert [line for line in body if line.startswith("nameserver")] == [
        "nameserver 198.51.100.1",
        "nameserver 198.51.100.2",
    ]
    assert text.endswith("\n")


def test_render_without_search_has_no_search_line() -> None:
    text = render(["192.0.2.44"], [])
    assert not [line for line in text.splitlines() if line.startswith("search")]


def test_write_in_place_keeps_the_inode(tmp_path: Path) -> None:
    # A bind-mounted /etc/resolv.conf cannot be renamed over: same inode after.
    path = tmp_path / "resolv.conf"
    path.write_text("nameserver 127.0.0.11\noptions ndots:0\n")
    inode = os.stat(path).st_ino
    assert write_in_place(str(path), "nameserver 198.51.100.1\n")
    assert path.read_text() == "nameserver 198.51.100.1\n"
    assert os.stat(path).st_ino == inode
    assert not write_in_place(str(path), "nameserver 198.51.100.1\n")
