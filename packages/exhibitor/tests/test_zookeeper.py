from __future__ import annotations

import stat
from pathlib import Path

import pytest
from dcos_exhibitor.ensemble import make_ensemble
from dcos_exhibitor.zookeeper import MAIN_CLASS, java_command, prepare

THREE = ["172.28.0.2", "172.28.0.3", "172.28.0.4"]


def test_java_command_has_a_small_explicit_heap() -> None:
    command = java_command(zoo_cfg=Path("/x/zoo.cfg"), heap="96m")
    assert command[0] == "/usr/bin/java"
    assert "-Xmx96m" in command
    assert "-XX:+UseSerialGC" in command
    assert command[-2:] == [MAIN_CLASS, "/x/zoo.cfg"]
    classpath = command[command.index("-cp") + 1].split(":")
    assert "/usr/share/java/zookeeper.jar" in classpath


@pytest.mark.parametrize("heap", ["64m", "1g", "98304k", "100000000"])
def test_java_command_takes_jvm_sizes(heap: str) -> None:
    assert f"-Xmx{heap}" in java_command(heap=heap)


@pytest.mark.parametrize("heap", ["", "64mb", "-1m", "0m", "64m -Xdebug"])
def test_java_command_refuses_anything_else_as_heap(heap: str) -> None:
    # ZOO_HEAP comes from the environment file: it must not smuggle in flags.
    with pytest.raises(ValueError):
        java_command(heap=heap)


def test_prepare_writes_myid_and_zoo_cfg(tmp_path: Path) -> None:
    snapshot, transactions = tmp_path / "zk/snapshot", tmp_path / "zk/transactions"
    cfg = tmp_path / "conf/zoo.cfg"
    prepare(make_ensemble(THREE, "172.28.0.4"), snapshot, transactions, cfg)
    assert (snapshot / "myid").read_text() == "3\n"
    text = cfg.read_text()
    assert f"dataDir={snapshot}\n" in text
    assert f"dataLogDir={transactions}\n" in text
    assert "server.3=172.28.0.4:2888:3888\n" in text
    for directory in (snapshot, transactions):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700


def test_prepare_rewrites_on_every_start(tmp_path: Path) -> None:
    args = (tmp_path / "s", tmp_path / "t", tmp_path / "zoo.cfg")
    prepare(make_ensemble(["192.0.2.1"], "192.0.2.1"), *args)
    prepare(make_ensemble(THREE, "172.28.0.2"), *args)
    assert (tmp_path / "s/myid").read_text() == "1\n"
    assert "server.2=172.28.0.3:2888:3888" in (tmp_path / "zoo.cfg").read_text()
    assert not list(tmp_path.glob(".zoo.cfg.*"))
