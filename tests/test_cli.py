"""The CLI through click's runner, against the fake provider."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from minidcos import cluster as cluster_module
from minidcos.cli import format_error, minidcos
from minidcos.cli.docker.lifecycle import parse_volume
from minidcos.errors import CommandError, MiniDCOSError, StepError, UsageError
from tests.fake_provider import FakeProvider


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> FakeProvider:
    fake = FakeProvider()
    monkeypatch.setattr(cluster_module, "default_provider", lambda: fake)
    return fake


def invoke(*args: str) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(minidcos, list(args), catch_exceptions=True)
    return result.exit_code, result.output, result.exception


def test_provision_prints_the_cluster_id(provider: FakeProvider) -> None:
    code, out, _ = invoke("docker", "provision", "--agents", "2", "-c", "p1")
    assert code == 0 and out.strip().endswith("p1")
    assert len(provider.list_nodes("p1")) == 4


def test_inspect_json(provider: FakeProvider) -> None:
    invoke("docker", "provision", "-c", "p2", "--public-agents", "0")
    _, out, _ = invoke("docker", "inspect", "-c", "p2")
    data = json.loads(out)
    assert data["cluster_id"] == "p2"
    master = data["nodes"]["masters"][0]
    assert set(master) == {
        "reference",
        "role",
        "index",
        "container_name",
        "container_id",
        "ip_address",
    }
    assert data["nodes"]["public_agents"] == []


def test_list(provider: FakeProvider) -> None:
    invoke("docker", "provision", "-c", "b")
    invoke("docker", "provision", "-c", "a")
    assert invoke("docker", "list")[1].split() == ["a", "b"]
    assert json.loads(invoke("docker", "list", "--json")[1]) == ["a", "b"]


def test_bad_cluster_id_is_a_clear_error(provider: FakeProvider) -> None:
    _, _, exc = invoke("docker", "provision", "-c", "bad id")
    assert isinstance(exc, UsageError) and "invalid cluster id 'bad id'" in str(exc)
    assert provider.calls == []


def test_negative_counts_are_refused(provider: FakeProvider) -> None:
    code, out, _ = invoke("docker", "provision", "--agents", "-1")
    assert code == 2 and "-1 is not in the range x>=0" in out


def test_run_passes_env_and_node(provider: FakeProvider) -> None:
    invoke("docker", "provision", "-c", "r")
    code, _, _ = invoke(
        "docker", "run", "-c", "r", "--node", "agent_0", "--env", "A=b", "--", "ls", "-l"
    )
    assert code == 0
    assert provider.commands[-1] == ("agent_0", ["ls", "-l"], {"A": "b"})


def test_run_with_test_env(provider: FakeProvider) -> None:
    invoke("docker", "provision", "-c", "te")
    invoke("docker", "run", "-c", "te", "--test-env", "pytest", "-x")
    ref, argv, env = provider.commands[-1]
    assert ref == "master_0" and argv[-2:] == ["pytest", "-x"]
    assert "environment.export" in argv[2] and "dcos-integration-test" in argv[2]
    assert env["MASTER_HOSTS"] and "DCOS_NUM_AGENTS" in env


def test_bad_env_pair(provider: FakeProvider) -> None:
    invoke("docker", "provision", "-c", "e")
    _, _, exc = invoke("docker", "run", "-c", "e", "--env", "NOEQUALS", "true")
    assert isinstance(exc, UsageError) and "use KEY=VALUE" in str(exc)


def test_destroy_of_missing_cluster_says_so_and_exits_0(provider: FakeProvider) -> None:
    code, out, _ = invoke("docker", "destroy", "-c", "missing")
    assert code == 0 and "does not exist; nothing to destroy" in out


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("/a:/b", True),
        ("/a:/b:ro", True),
        ("vol:/b:rw", True),
        ("/a", False),
        ("/a:b", False),
        ("/a:/b:xx", False),
    ],
)
def test_custom_volume_syntax(text: str, ok: bool) -> None:
    if ok:
        assert parse_volume(text).target == "/b"
    else:
        with pytest.raises(UsageError, match="--custom-volume"):
            parse_volume(text)


def test_error_names_the_command_and_its_output() -> None:
    failed = CommandError(
        "master_0 (minidcos-x-master-0, 172.28.0.2)",
        ["bash", "dcos install.sh"],
        3,
        b"line one\n",
        b"it broke\n",
    )
    err: MiniDCOSError
    try:
        try:
            raise failed
        except CommandError as inner:
            raise StepError("installing DC/OS", "dcos_install.sh failed") from inner
    except StepError as outer:
        err = outer
    text = format_error(err)
    assert text.startswith("Error: installing DC/OS: dcos_install.sh failed")
    assert "Command: bash 'dcos install.sh' (on master_0" in text and "exit 3" in text
    assert "  | it broke" in text


def test_engine_that_does_not_answer_is_one_clear_error(tmp_path: Path) -> None:
    minidcos_bin = Path(sys.executable).parent / "minidcos"
    proc = subprocess.run(
        [str(minidcos_bin), "docker", "list"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"},
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("Error: the Docker engine does not answer")
    assert "bash setup.sh --host-only" in proc.stderr
    assert "Traceback" not in proc.stderr
