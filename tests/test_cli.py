"""The CLI through its error boundary (`minidcos.cli.run`), against the fake provider."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from minidcos.cli import format_error
from minidcos.cli._options import parse_volume
from minidcos.errors import CommandError, MiniDCOSError, StepError, UsageError
from tests.conftest import Cli
from tests.fake_provider import FakeProvider


def test_provision_prints_the_cluster_id(cli: Cli, provider: FakeProvider) -> None:
    result = cli("docker", "provision", "--agents", "2", "-c", "p1")
    assert result.code == 0 and result.out.strip() == "p1"
    assert len(provider.list_nodes("p1")) == 4


def test_inspect_json(cli: Cli, provider: FakeProvider) -> None:
    cli("docker", "provision", "-c", "p2", "--public-agents", "0")
    for args in (("docker", "inspect", "-c", "p2"), ("docker", "inspect", "-c", "p2", "--json")):
        data = json.loads(cli(*args).out)
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


def test_list(cli: Cli, provider: FakeProvider) -> None:
    cli("docker", "provision", "-c", "b")
    cli("docker", "provision", "-c", "a")
    assert cli("docker", "list").out.split() == ["a", "b"]
    assert json.loads(cli("docker", "list", "--json").out) == ["a", "b"]


def test_status_json(cli: Cli, provider: FakeProvider) -> None:
    cli("docker", "provision", "-c", "st", "--agents", "0", "--public-agents", "0")
    report = json.loads(cli("docker", "status", "-c", "st", "--json").out)
    assert report["cluster_id"] == "st"
    (node,) = report["nodes"]
    assert set(node) == {
        "reference",
        "role",
        "ip_address",
        "container_name",
        "diagnostics_answering",
        "healthy",
        "units",
    }
    # The fake's addresses answer nothing: reported as such, not as healthy.
    assert node["diagnostics_answering"] is False and node["healthy"] is False


def test_bad_cluster_id_is_a_clear_error(cli: Cli, provider: FakeProvider) -> None:
    result = cli("docker", "provision", "-c", "bad id")
    assert result.code == 1
    assert "Error: invalid cluster id 'bad id' in --cluster-id" in result.err
    assert provider.calls == []


def test_a_bad_id_from_the_environment_names_the_variable(
    cli: Cli, provider: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MINIDCOS_CLUSTER_ID", "no/slashes")
    result = cli("docker", "provision")
    assert result.code == 1 and "in MINIDCOS_CLUSTER_ID" in result.err


def test_counts_are_refused_with_the_flags_name(cli: Cli, provider: FakeProvider) -> None:
    result = cli("docker", "provision", "--agents", "-1")
    assert result.code == 1 and "--agents must be 0 or more, not -1" in result.err
    result = cli("docker", "create", "--masters", "2")
    assert result.code == 1
    assert "--masters must be 1, 3, 5, 7 or 9 for DC/OS" in result.err
    assert "config.yaml" not in result.err
    assert provider.calls == []


def test_help_states_the_real_rule(cli: Cli) -> None:
    out = cli("docker", "create", "--help").out
    assert "1, 3, 5, 7 or 9" in out and "x>=0" not in out


def test_run_passes_env_and_node(cli: Cli, provider: FakeProvider) -> None:
    cli("docker", "provision", "-c", "r")
    result = cli("docker", "run", "-c", "r", "--node", "agent_0", "--env", "A=b", "--", "ls", "-l")
    assert result.code == 0
    assert provider.commands[-1] == ("agent_0", ["ls", "-l"], {"A": "b"})


def test_run_passes_on_the_exit_status(cli: Cli, provider: FakeProvider) -> None:
    cli("docker", "provision", "-c", "rc")
    provider.fail_command("exit-seven", returncode=7)
    assert cli("docker", "run", "-c", "rc", "--", "exit-seven").code == 7


def test_run_with_test_env(cli: Cli, provider: FakeProvider) -> None:
    cli("docker", "provision", "-c", "te")
    cli("docker", "run", "-c", "te", "--test-env", "pytest", "-x")
    ref, argv, env = provider.commands[-1]
    assert ref == "master_0" and argv[-2:] == ["pytest", "-x"]
    assert "environment.export" in argv[2] and "dcos-integration-test" in argv[2]
    assert env["MASTER_HOSTS"] and "DCOS_NUM_AGENTS" in env


def test_a_debug_flag_of_the_command_on_the_node_is_not_ours(
    cli: Cli, provider: FakeProvider
) -> None:
    """`--debug` after the command belongs to the command: the CLI's error stays one line."""
    result = cli("docker", "run", "-c", "nope", "--", "pytest", "--debug")
    assert result.code == 1
    assert result.err.startswith("Error: no cluster with the id 'nope'")
    assert "Traceback" not in result.err


def test_the_cli_debug_option_shows_the_traceback(cli: Cli, provider: FakeProvider) -> None:
    result = cli("--debug", "docker", "run", "-c", "nope", "--", "true")
    assert result.code == 1 and "Traceback" in result.err and "ClusterNotFoundError" in result.err


def test_a_bug_shows_its_traceback_and_says_it_is_a_bug(
    cli: Cli, provider: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> list[str]:
        raise KeyError("oops")

    monkeypatch.setattr(provider, "list_clusters", broken)
    result = cli("docker", "list")
    assert result.code == 1
    assert "Traceback" in result.err and "KeyError" in result.err
    assert "this is a bug in minidcos" in result.err


def test_bad_env_pair(cli: Cli, provider: FakeProvider) -> None:
    cli("docker", "provision", "-c", "e")
    result = cli("docker", "run", "-c", "e", "--env", "NOEQUALS", "true")
    assert result.code == 1 and "use KEY=VALUE" in result.err


def test_destroy_of_missing_cluster_says_so_and_exits_0(cli: Cli, provider: FakeProvider) -> None:
    result = cli("docker", "destroy", "-c", "missing")
    assert result.code == 0 and "does not exist; nothing to destroy" in result.err


@pytest.mark.parametrize("verb", ["destroy", "destroy-list"])
def test_destroy_goes_on_past_a_bad_id_and_reports_each(
    cli: Cli, provider: FakeProvider, verb: str
) -> None:
    cli("docker", "provision", "-c", "a")
    cli("docker", "provision", "-c", "c")
    result = cli("docker", verb, "a", "bad id", "c", "gone")
    assert result.code == 1
    assert result.out.split() == ["a", "c"]
    assert "Error: invalid cluster id 'bad id'" in result.err
    assert "cluster 'gone' does not exist" in result.err
    assert provider.list_clusters() == []


def test_clean_removes_every_cluster(cli: Cli, provider: FakeProvider) -> None:
    cli("docker", "provision", "-c", "one")
    cli("docker", "provision", "-c", "two")
    result = cli("docker", "clean")
    assert result.code == 0 and provider.list_clusters() == []
    assert cli("docker", "clean").err.strip() == "nothing to clean"


def test_send_file_and_get_file(cli: Cli, provider: FakeProvider, tmp_path: Path) -> None:
    cli("docker", "provision", "-c", "f")
    source = tmp_path / "a.txt"
    source.write_text("payload\n")
    result = cli("docker", "send-file", "-c", "f", str(source), "/root/sub/a.txt")
    assert result.code == 0 and "1 file(s), 8 bytes, sha256 verified" in result.err
    back = tmp_path / "back.txt"
    assert cli("docker", "get-file", "-c", "f", "/root/sub/a.txt", str(back)).code == 0
    assert back.read_text() == "payload\n"


def test_send_file_refuses_a_relative_destination(
    cli: Cli, provider: FakeProvider, tmp_path: Path
) -> None:
    cli("docker", "provision", "-c", "rel")
    (tmp_path / "a").write_text("a")
    result = cli("docker", "send-file", "-c", "rel", str(tmp_path / "a"), "relative/a")
    assert result.code == 1
    assert "the path on the node must be absolute, not 'relative/a'" in result.err
    assert not any(c.startswith("send_file") for c in provider.calls)


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


def test_a_public_resolver_is_warned_about(
    cli: Cli, provider: FakeProvider, tmp_path: Path
) -> None:
    from minidcos.installer import build

    installer = build.build(tmp_path / "dcos_generate_config.sh")
    extra = tmp_path / "extra.yaml"
    extra.write_text("resolvers: [8.8.8.8]\n")
    result = cli(
        "docker", "create", str(installer), "-c", "pub", "--no-wait", "--extra-config", str(extra)
    )
    assert result.code == 0, result.err
    assert "warning: resolvers: 8.8.8.8 is public" in result.err
    assert "sent off this machine" in result.err
