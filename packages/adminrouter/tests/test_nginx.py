"""Admin Router's nginx config and lua, run by Debian's nginx in a node container.

The upstreams are recorded ones (upstreams.py) on 127.0.0.1; the master's
config is started with UPSTREAM_MESOS pointing there, everything else as on a
node. Needs the Docker engine and a built node image (`minidcos docker
create` builds it); skipped without them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

PACKAGE = Path(__file__).resolve().parents[1]
AGENT_ID = "8b8a4a1c-6c52-4f7e-9d3b-0f2b4c9e1a00-S0"


def node_image() -> str | None:
    if not shutil.which("docker"):
        return None
    out = subprocess.run(
        ["docker", "images", "minidcos/node", "--format", "{{.Repository}}:{{.Tag}}"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    return out[0] if out else None


class Node:
    def __init__(self, name: str) -> None:
        self.name = name

    def sh(self, script: str, check: bool = True) -> str:
        proc = subprocess.run(
            ["docker", "exec", self.name, "bash", "-c", script],
            capture_output=True,
            text=True,
            check=False,
        )
        if check and proc.returncode:
            raise AssertionError(f"{script}: {proc.stdout}{proc.stderr}")
        return proc.stdout

    def curl(self, path: str, *options: str, port: int = 80) -> tuple[int, dict[str, str], str]:
        out = self.sh(
            "curl -s -i --max-time 10 " + " ".join(options) + f" 'http://127.0.0.1:{port}{path}'"
        )
        head, _, body = out.replace("\r\n", "\n").partition("\n\n")
        lines = head.splitlines()
        status = int(lines[0].split()[1])
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])
        }
        return status, headers, body

    def json(self, path: str, *options: str, port: int = 80) -> Any:
        status, _, body = self.curl(path, *options, port=port)
        assert status == 200, (path, status, body)
        return json.loads(body)


@pytest.fixture(scope="module")
def node() -> Iterator[Node]:
    image = node_image()
    if image is None:
        pytest.skip("needs the Docker engine and a minidcos/node image")
    name = f"minidcos-artest-{uuid.uuid4().hex[:8]}"
    subprocess.run(
        [
            "docker",
            "run",
            "-d",
            "--rm",
            "--name",
            name,
            "--entrypoint",
            "sleep",
            "-v",
            f"{PACKAGE}:/opt/mesosphere/active/adminrouter:ro",
            "-v",
            f"{PACKAGE / 'tests'}:/tests:ro",
            image,
            "600",
        ],
        check=True,
        capture_output=True,
    )
    node = Node(name)
    try:
        node.sh(
            "mkdir -p /opt/mesosphere/active/dcos-metadata/etc /opt/mesosphere/etc /run/dcos "
            '&& echo \'{"version": "1.10-test"}\' '
            "> /opt/mesosphere/active/dcos-metadata/etc/dcos-version.json "
            "&& echo '{\"uiConfiguration\": {}}' > /opt/mesosphere/etc/ui-config.json "
            "&& echo '{\"mesos\": {}}' > /opt/mesosphere/active.buildinfo.full.json "
            "&& (python3 /tests/upstreams.py > /tmp/upstreams.log 2>&1 &)"
        )
        for role in ("master", "agent"):
            node.sh(
                f"mkdir -p /run/dcos/adminrouter/tmp /run/dcos/adminrouter/cache && "
                "printf 'upstream mesos_local "
                f"{{ server 127.0.0.1:{5050 if role == 'master' else 5051}; }}\\n'"
                f" > /run/dcos/adminrouter/node.conf && "
                f"(UPSTREAM_MESOS=http://127.0.0.1:5050 CACHE_POLL_PERIOD=1 nginx "
                f"-p /opt/mesosphere/active/adminrouter/nginx/ -c conf/nginx.{role}.conf "
                f"-g 'pid /run/dcos/adminrouter/{role}.pid;' > /tmp/nginx-{role}.log 2>&1 &)"
            )
            time.sleep(0.3)  # the next role rewrites node.conf: let this one read it first
        deadline = time.monotonic() + 20
        while "upstreams ready" not in node.sh("cat /tmp/upstreams.log", check=False):
            assert time.monotonic() < deadline, node.sh("cat /tmp/upstreams.log")
            time.sleep(0.2)
        yield node
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)


@pytest.mark.parametrize(
    ("path", "code", "location"),
    [
        ("/exhibitor", 301, "/exhibitor/"),
        ("/exhibitor/", 302, "/exhibitor/exhibitor/v1/ui/index.html"),
        ("/marathon", 307, "/marathon/"),
        ("/mesos", 301, "/mesos/"),
        ("/mesos/master/redirect", 307, "//127.0.0.1:5050"),
        ("/mesos_dns", 301, "/mesos_dns/"),
        ("/service/marathon", 301, "/service/marathon/"),
        ("/service/test-service", 301, "/service/test-service/"),
    ],
)
def test_redirects_never_echo_the_host(node: Node, path: str, code: int, location: str) -> None:
    status, headers, _ = node.curl(path, "-H 'Host: bad.host'")
    assert (status, headers["location"]) == (code, location)


def test_root_page_says_dcos(node: Node) -> None:
    status, _, body = node.curl("/")
    assert status == 200 and "DC/OS" in body


def test_mesos_goes_to_the_leader(node: Node) -> None:
    status, _, body = node.curl("/mesos/")
    assert status == 200 and "<title>Mesos</title>" in body
    assert node.json("/mesos/master/slaves")["path"] == "/master/slaves"


def test_agent_by_id_both_spellings(node: Node) -> None:
    for prefix in ("agent", "slave"):
        answer = node.json(f"/{prefix}/{AGENT_ID}/files/read?path=/x/stdout&offset=0")
        assert answer == {
            "port": 5051,
            "path": "/files/read",
            "query": "path=/x/stdout&offset=0",
            "cookie": "",
        }


def test_unknown_agent_is_404(node: Node) -> None:
    status, _, body = node.curl("/agent/no-such-agent/state")
    assert status == 404 and "no-such-agent" in body


def test_service_by_framework_name_and_id(node: Node) -> None:
    assert node.json("/service/marathon/v2/info")["port"] == 8080
    assert node.json("/service/fw-0000/v2/info")["path"] == "/v2/info"
    assert node.json("/marathon/v2/info")["port"] == 8080


def test_service_webui_path_is_kept(node: Node) -> None:
    assert node.json("/service/with-path/x")["path"] == "/ui/x"


def test_service_without_webui_through_mesos_dns(node: Node) -> None:
    assert node.json("/service/no-ui/ping")["port"] == 9200


def test_marathon_app_by_label_despite_broken_apps(node: Node) -> None:
    answer = node.json("/service/group/good/ping?x=1")
    assert (answer["port"], answer["path"], answer["query"]) == (9100, "/ping", "x=1")
    status, _, _ = node.curl("/service/group/bad/ping")
    assert status == 404


def test_unknown_service_is_404(node: Node) -> None:
    status, _, body = node.curl("/service/nothing/here")
    assert status == 404 and "service not found" in body


def test_dcos_cookies_never_reach_upstreams(node: Node) -> None:
    answer = node.json("/service/marathon/x", "-H 'Cookie: a=1; dcos-acs-auth-cookie=t; b=2'")
    assert answer["cookie"] == "a=1; b=2"


def test_metadata(node: Node) -> None:
    assert node.json("/dcos-metadata/dcos-version.json")["version"] == "1.10-test"
    assert "uiConfiguration" in node.json("/dcos-metadata/ui-config.json")
    assert "mesos" in node.json("/pkgpanda/active.buildinfo.full.json")


def test_cosmos_locations(node: Node) -> None:
    assert node.json("/package/search", "-X POST")["path"] == "/package/search"
    assert node.json("/cosmos/service/describe", "-X POST")["path"] == "/service/describe"
    assert node.json("/capabilities") == {
        "port": 7070,
        "path": "/capabilities",
        "query": "",
        "cookie": "",
    }


def test_local_universe_is_served_with_its_media_type(node: Node) -> None:
    node.sh(
        "mkdir -p /opt/mesosphere/active/universe/repo && "
        "echo '{\"packages\": []}' > /opt/mesosphere/active/universe/repo/universe.json"
    )
    status, headers, body = node.curl("/universe/repo")
    assert status == 200 and body.strip() == '{"packages": []}'
    assert headers["content-type"] == (
        "application/vnd.dcos.universe.repo+json;charset=utf-8;version=v4"
    )


def test_agent_admin_router_fronts_the_local_agent(node: Node) -> None:
    assert node.json("/state", port=61001)["path"] == "/state"
    status, _, _ = node.curl("/mesos/", port=61001)
    assert status == 200  # everything else is the agent's own
