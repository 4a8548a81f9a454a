from __future__ import annotations

import json
from pathlib import Path

import pytest
from dcos_exhibitor import main
from dcos_exhibitor.ensemble import EnsembleError
from dcos_internal_utils import node


def fake_node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, master_list: str, ip: str) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "bin").mkdir()
    (tmp_path / "etc/expanded.config.json").write_text(json.dumps({"master_list": master_list}))
    detect_ip = tmp_path / "bin/detect_ip"
    detect_ip.write_text(f"#!/bin/sh\necho {ip}\n")
    detect_ip.chmod(0o755)
    monkeypatch.setattr(node, "MESOSPHERE", tmp_path)


def test_ensemble_from_expanded_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # All expanded-config values are strings; master_list is a JSON-encoded list.
    fake_node(tmp_path, monkeypatch, '["172.28.0.2", "172.28.0.3", "172.28.0.4"]', "172.28.0.3")
    ensemble = main.load_ensemble()
    assert ensemble.servers == ("172.28.0.2", "172.28.0.3", "172.28.0.4")
    assert ensemble.my_id == 2


def test_a_node_outside_master_list_does_not_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_node(tmp_path, monkeypatch, '["172.28.0.2"]', "172.28.0.9")
    with pytest.raises(EnsembleError):
        main.load_ensemble()
    assert main.run() == 1


def test_a_bad_heap_setting_does_not_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_node(tmp_path, monkeypatch, '["172.28.0.2"]', "172.28.0.2")
    monkeypatch.setenv("ZOO_HEAP", "64m -Xdebug")
    # Refused before anything is written or started.
    assert main.run() == 1
