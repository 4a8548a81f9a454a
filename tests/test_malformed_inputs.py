"""Malformed input, as a new user gives it: a clear message, never a traceback, nothing left.

Each row runs the CLI through its one error boundary against the fake
provider (and the embedded installer, for what reaches --validate-config)
and asserts the exit status, that the message names the problem, that no
traceback is printed, and that no engine object was made. The cluster
`existing` is there for the rows that need one; it must come out untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from minidcos.installer import build
from tests.conftest import Cli
from tests.fake_provider import FakeProvider

Args = Callable[[Path, Path], list[str]]  # (tmp_path, installer) -> argv


@dataclass(frozen=True)
class Case:
    name: str
    args: Args
    code: int
    says: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()


def extra(text: str | bytes) -> Args:
    """`create INSTALLER --extra-config FILE` with FILE holding `text`."""

    def args(tmp: Path, installer: Path) -> list[str]:
        path = tmp / "extra.yaml"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
        return ["docker", "create", str(installer), "-c", "c1", "--extra-config", str(path)]

    return args


def create(*more: str) -> Args:
    return lambda tmp, installer: ["docker", "create", str(installer), *more]


def plain(*argv: str) -> Args:
    return lambda tmp, installer: list(argv)


def installer_file(content: bytes | None, kind: str = "file") -> Args:
    def args(tmp: Path, installer: Path) -> list[str]:
        path = tmp / "dcos_generate_config.sh"
        if kind == "folder":
            path.mkdir()
        elif content is not None:
            path.write_bytes(content)
        return ["docker", "create", str(path), "-c", "c1"]

    return args


def with_file(make: Callable[[Path], list[str]]) -> Args:
    return lambda tmp, installer: make(tmp)


def _local_file(tmp: Path) -> Path:
    (tmp / "local.txt").write_text("local\n")
    return tmp / "local.txt"


ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(6)
)

CASES = [
    # -- counts ---------------------------------------------------------------------
    Case(
        "no masters",
        plain("docker", "provision", "--masters", "0"),
        1,
        ("--masters must be 1 or more, not 0",),
    ),
    Case(
        "negative agents",
        plain("docker", "provision", "--agents", "-1"),
        1,
        ("--agents must be 0 or more, not -1",),
    ),
    Case(
        "negative public agents",
        plain("docker", "provision", "--public-agents", "-3"),
        1,
        ("--public-agents must be 0 or more",),
    ),
    Case(
        "two masters for DC/OS",
        create("--masters", "2"),
        1,
        ("--masters must be 1, 3, 5, 7 or 9 for DC/OS", "not 2"),
    ),
    Case(
        "four masters for DC/OS",
        create("--masters", "4"),
        1,
        ("--masters must be 1, 3, 5, 7 or 9",),
    ),
    Case(
        "eleven masters for DC/OS",
        create("--masters", "11"),
        1,
        ("--masters must be 1, 3, 5, 7 or 9",),
    ),
    Case(
        "too many nodes",
        plain("docker", "provision", "--agents", "200", "--public-agents", "60"),
        1,
        ("must be at most 250", "not 261"),
    ),
    Case(
        "a count that is no number",
        plain("docker", "provision", "--agents", "three"),
        2,
        ("'three' is not a valid integer",),
    ),
    Case("a zero wait timeout", create("--wait-timeout", "0"), 2, ("--wait-timeout",)),
    # -- cluster ids ----------------------------------------------------------------
    Case(
        "id with a space",
        plain("docker", "provision", "-c", "bad id"),
        1,
        ("invalid cluster id 'bad id' in --cluster-id",),
    ),
    Case(
        "id with a slash",
        plain("docker", "provision", "-c", "a/b"),
        1,
        ("invalid cluster id 'a/b'",),
    ),
    Case(
        "id starting with a dash",
        plain("docker", "provision", "--cluster-id=-x"),
        1,
        ("invalid cluster id '-x'",),
    ),
    Case(
        "id starting with a dot",
        plain("docker", "provision", "-c", ".hidden"),
        1,
        ("invalid cluster id '.hidden'",),
    ),
    Case(
        "id that is not ASCII",
        plain("docker", "provision", "-c", "ünïcode"),
        1,
        ("invalid cluster id",),
    ),
    Case("empty id", plain("docker", "provision", "-c", ""), 1, ("invalid cluster id ''",)),
    Case(
        "id of 41 characters",
        plain("docker", "provision", "-c", "x" * 41),
        1,
        ("use 1 to 40 letters",),
    ),
    Case(
        "id from the environment",
        plain("docker", "provision"),
        1,
        ("invalid cluster id 'bad id' in MINIDCOS_CLUSTER_ID",),
        (("MINIDCOS_CLUSTER_ID", "bad id"),),
    ),
    Case(
        "hostname over 64 characters",
        plain("docker", "provision", "-c", "x" * 40, "--public-agents", "11"),
        1,
        ("would be 65 characters, over Linux's 64", "at most 39 characters"),
    ),
    Case(
        "hostname over 64 for DC/OS",
        create("-c", "y" * 39, "--agents", "0", "--public-agents", "101"),
        1,
        ("would be 65 characters",),
    ),
    # -- volumes --------------------------------------------------------------------
    Case(
        "volume without a target",
        plain("docker", "provision", "--custom-volume", "/srv"),
        1,
        ("use SRC:DST[:ro|rw]",),
    ),
    Case(
        "volume with a relative target",
        plain("docker", "provision", "--custom-volume", "/srv:data"),
        1,
        ("use SRC:DST[:ro|rw] with an absolute DST",),
    ),
    Case(
        "volume with a bad mode",
        plain("docker", "provision", "--custom-volume", "/srv:/data:rx"),
        1,
        ("the mode must be ro or rw, not 'rx'",),
    ),
    Case(
        "volume from a missing host path",
        plain("docker", "provision", "--custom-volume", "/nonexistent/minidcos-x:/data"),
        1,
        ("the host path /nonexistent/minidcos-x does not exist; create it first",),
    ),
    Case(
        "volume name with odd characters",
        plain("docker", "provision", "--custom-volume", "my vol!:/data"),
        1,
        ("neither an absolute host path nor a volume name",),
    ),
    # -- the extra config file ------------------------------------------------------
    Case(
        "extra config that does not exist",
        create("--extra-config", "/nonexistent/extra.yaml"),
        1,
        ("/nonexistent/extra.yaml: does not exist",),
    ),
    Case(
        "extra config that is a folder",
        with_file(lambda tmp: ["docker", "create", "--extra-config", str(tmp)]),
        1,
        ("is not a file",),
    ),
    Case(
        "extra config not UTF-8",
        extra(b"cluster_name: caf\xe9\n"),
        1,
        ("is not UTF-8 text (byte 0xe9 at offset 17)",),
    ),
    Case(
        "extra config binary",
        extra(b"\x7fELF\x02\x01\x01\x00\x00\x00"),
        1,
        ("is binary data, not a YAML text file",),
    ),
    Case(
        "extra config with a number as key",
        extra("1: one\n"),
        1,
        ("config keys must be text; found 1",),
    ),
    Case("extra config with a list as key", extra("? [a, b]\n: c\n"), 1, ("is not valid YAML",)),
    Case(
        "extra config that is a list",
        extra("- a\n- b\n"),
        1,
        ("must be a YAML mapping of config keys to values, not a list",),
    ),
    Case(
        "extra config that is a word", extra("hello\n"), 1, ("must be a YAML mapping", "not a str")
    ),
    Case(
        "extra config over 1 MiB",
        extra("# padding\n" * 110_000),
        1,
        ("bytes; a config file may be at most 1048576 (1 MiB)",),
    ),
    Case("extra config alias bomb", extra(ALIAS_BOMB), 1, ("aliases expand to over 10000 values",)),
    Case(
        "extra config recursive alias",
        extra("a: &a [1, *a]\n"),
        1,
        ("an alias refers to the mapping or list that contains it",),
    ),
    Case(
        "extra config nested too deep",
        extra("a: " + "[" * 5000 + "]" * 5000 + "\n"),
        1,
        ("nests too deeply",),
    ),
    Case("extra config unparsable", extra("resolvers: [unclosed\n"), 1, ("is not valid YAML",)),
    Case("extra config with a tab indent", extra("a:\n\tb: c\n"), 1, ("is not valid YAML",)),
    Case(
        "extra config setting master_list",
        extra("master_list: [192.0.2.4]\n"),
        1,
        ("master_list: set from the cluster's nodes",),
    ),
    Case(
        "extra config setting agent_list",
        extra("agent_list: [192.0.2.5]\n"),
        1,
        ("agent_list: set from the cluster's nodes",),
    ),
    # -- config values, as DC/OS words them -----------------------------------------
    Case(
        "oauth_enabled not a boolean",
        extra("oauth_enabled: maybe\n"),
        1,
        ("oauth_enabled: Must be one of 'true', 'false'. Got 'maybe'.",),
    ),
    Case(
        "spartan address as resolver",
        extra("resolvers: [198.51.100.1]\n"),
        1,
        ("resolvers: Spartan addresses found in resolvers: 198.51.100.1",),
    ),
    Case(
        "resolver that is no address",
        extra("resolvers: [dns.example]\n"),
        1,
        ("resolvers: Invalid IPv4 addresses in list: dns.example",),
    ),
    Case(
        "no resolvers",
        extra("resolvers: []\n"),
        1,
        ("resolvers: Must set resolvers, no way to calculate value.",),
    ),
    Case(
        "dns_search with commas",
        extra("dns_search: a.example,b.example\n"),
        1,
        ("dns_search: Must not contain commas",),
    ),
    Case(
        "bootstrap_url ending in a slash",
        extra("bootstrap_url: file:///opt/x/\n"),
        1,
        ("bootstrap_url: Must not end in a '/'",),
    ),
    Case(
        "unsupported master discovery",
        extra("master_discovery: master_http_loadbalancer\n"),
        1,
        ("supports only 'static' master discovery",),
    ),
    Case(
        "unsupported exhibitor backend",
        extra("exhibitor_storage_backend: zookeeper\n"),
        1,
        ("supports only the 'static' exhibitor_storage_backend",),
    ),
    Case(
        "VIP range upside down",
        extra("dcos_l4lb_min_named_ip: 198.18.9.0\ndcos_l4lb_max_named_ip: 198.18.1.0\n"),
        1,
        ("must not be greater than dcos_l4lb_max_named_ip",),
    ),
    Case(
        "port out of range",
        extra("adminrouter_grpc_proxy_port: 70000\n"),
        1,
        ("Must be a port number between 1 and 65535. Got '70000'.",),
    ),
    Case(
        "check_time not a boolean",
        extra("check_time: sometimes\n"),
        1,
        ("check_time: Must be one of 'true', 'false'. Got 'sometimes'.",),
    ),
    Case(
        "overlay subnet that is none",
        extra(
            'dcos_overlay_network: {"vtep_subnet": "198.19.128.0/33", '
            '"vtep_mac_oui": "70:B3:D5:00:00:00", "overlays": []}\n'
        ),
        1,
        ("dcos_overlay_network: Invalid vtep_subnet: '33' is not a valid netmask",),
    ),
    # -- the installer --------------------------------------------------------------
    Case(
        "installer that does not exist",
        plain("docker", "create", "/nonexistent/dcos_generate_config.sh"),
        1,
        ("does not exist; expected a DC/OS installer",),
    ),
    Case(
        "installer that is a folder",
        installer_file(None, "folder"),
        1,
        ("is not a file; expected a DC/OS installer",),
    ),
    Case(
        "installer that is empty",
        installer_file(b""),
        1,
        ("is an empty file; expected a DC/OS installer",),
    ),
    Case(
        "installer that is YAML",
        installer_file(b"master_list: []\n"),
        1,
        ("does not start with '#!'; expected a DC/OS installer (dcos_generate_config.sh",),
    ),
    Case(
        "installer that is no installer",
        installer_file(b"#!/bin/sh\necho 'no such thing' >&2\nexit 127\n"),
        1,
        ("--validate-config exited 127: is it a DC/OS installer?", "no such thing"),
    ),
    Case(
        "genconf dir that does not exist",
        create("--genconf-dir", "/nonexistent/genconf"),
        1,
        ("--genconf-dir /nonexistent/genconf is not a folder",),
    ),
    Case(
        "installer build into a missing folder",
        plain("installer", "build", "--output", "/nonexistent/dir/x.sh"),
        1,
        ("the folder /nonexistent/dir does not exist",),
    ),
    Case(
        "installer build onto a folder",
        with_file(lambda tmp: ["installer", "build", "--output", str(tmp)]),
        1,
        ("is a folder; give the installer's file name",),
    ),
    # -- commands on an existing cluster ---------------------------------------------
    Case(
        "send-file to a relative path",
        with_file(
            lambda tmp: ["docker", "send-file", "-c", "existing", str(_local_file(tmp)), "etc/x"]
        ),
        1,
        ("the path on the node must be absolute, not 'etc/x'",),
    ),
    Case(
        "send-file of a missing file",
        plain("docker", "send-file", "-c", "existing", "/nonexistent/x", "/root/x"),
        1,
        ("/nonexistent/x does not exist on this machine",),
    ),
    Case(
        "get-file from a relative path",
        with_file(lambda tmp: ["docker", "get-file", "-c", "existing", "root/x", str(tmp / "x")]),
        1,
        ("the path on the node must be absolute, not 'root/x'",),
    ),
    Case(
        "get-file of a missing file",
        with_file(
            lambda tmp: ["docker", "get-file", "-c", "existing", "/root/nothing", str(tmp / "x")]
        ),
        1,
        ("/root/nothing does not exist",),
    ),
    Case(
        "run on a node that is not there",
        plain("docker", "run", "-c", "existing", "--node", "agent_9", "true"),
        1,
        ("no node 'agent_9' in cluster 'existing'",),
    ),
    Case(
        "run with a bad variable",
        plain("docker", "run", "-c", "existing", "--env", "=v", "true"),
        1,
        ("--env '=v': use KEY=VALUE",),
    ),
    Case(
        "run without a command", plain("docker", "run", "-c", "existing"), 2, ("Missing argument",)
    ),
    Case(
        "create over an existing cluster",
        create("-c", "existing"),
        1,
        ("a cluster with the id 'existing' already exists",),
    ),
    Case(
        "wait on a missing cluster",
        plain("docker", "wait", "-c", "nope"),
        1,
        ("no cluster with the id 'nope' (existing clusters: existing)",),
    ),
    Case(
        "inspect a missing cluster",
        plain("docker", "inspect", "-c", "nope"),
        1,
        ("no cluster with the id 'nope'",),
    ),
    Case(
        "destroy a bad id",
        plain("docker", "destroy", "no way"),
        1,
        ("invalid cluster id 'no way'",),
    ),
    Case(
        "a command that does not exist",
        plain("docker", "explode"),
        2,
        ("No such command 'explode'",),
    ),
    Case(
        "an option that does not exist",
        plain("docker", "provision", "--nodes", "3"),
        2,
        ("No such option '--nodes'",),
    ),
]


def test_the_table_is_big_enough() -> None:
    assert len(CASES) >= 50
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.fixture(scope="module")
def installer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build.build(tmp_path_factory.mktemp("installer") / "dcos_generate_config.sh")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_malformed_input(
    case: Case,
    cli: Cli,
    provider: FakeProvider,
    installer: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # a wait that got this far would leave its log bundle here
    cli("docker", "provision", "-c", "existing", "--agents", "0", "--public-agents", "0")
    before = provider.objects("existing")
    provider.calls.clear()
    for key, value in case.env:
        monkeypatch.setenv(key, value)
    result = cli(*case.args(tmp_path, installer))
    output = result.out + result.err
    assert result.code == case.code, output
    for text in case.says:
        assert text in output, output
    assert "Traceback" not in output and "this is a bug" not in output
    # Nothing made, and the existing cluster untouched.
    assert provider.list_clusters() == ["existing"]
    assert provider.objects("existing") == before
    made = [c for c in provider.calls if c.split()[0] in ("create_network", "provision")]
    assert made == []
