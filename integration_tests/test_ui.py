"""The web UI as Admin Router serves it (DC/OS's test_adminrouter_open checks):
index.html fresh on every load, the content-hashed assets gzip-encoded only
for clients that accept gzip and cached for good, and the component pages'
titles. The UI itself is tested in a real browser from the host
(test_e2e/test_ui.py).
"""

from __future__ import annotations

import gzip
import re

import pytest
import requests
from mesos_tasks import session

MASTER = "http://127.0.0.1"


def assets() -> list[str]:
    page = requests.get(MASTER + "/", timeout=10).text
    found = re.findall(r'(?:src|href)="(/assets/index\.[^"]+)"', page)
    assert any(a.endswith(".js") for a in found) and any(a.endswith(".css") for a in found)
    return found


def test_index_is_the_ui_and_never_cached() -> None:
    response = requests.get(MASTER + "/", timeout=10)
    assert response.status_code == 200 and "<title>DC/OS</title>" in response.text
    assert 'id="application"' in response.text
    assert "no-cache" in response.headers["Cache-Control"]


@pytest.mark.parametrize("accept", ["gzip", "identity"])
def test_assets_are_gzip_encoded_only_when_the_client_accepts_gzip(accept: str) -> None:
    for path in assets():
        response = requests.get(
            MASTER + path, headers={"Accept-Encoding": accept}, timeout=10, stream=True
        )
        assert response.status_code == 200
        raw = response.raw.read()
        if accept == "gzip":
            assert response.headers["Content-Encoding"] == "gzip"
            body = gzip.decompress(raw)
        else:
            assert "Content-Encoding" not in response.headers
            body = raw
        assert len(body) > 100
        assert "Accept-Encoding" in response.headers["Vary"]
        assert int(response.headers["Cache-Control"].split("max-age=")[1]) >= 86400


def test_the_ui_needs_no_login_but_its_apis_do() -> None:
    assert requests.get(MASTER + assets()[0], timeout=10).status_code == 200
    anonymous = requests.get(MASTER + "/service/marathon/v2/apps", timeout=10)
    assert anonymous.status_code in (200, 401)  # 401 with oauth_enabled
    assert session.get(MASTER + "/service/marathon/v2/apps", timeout=10).status_code == 200


@pytest.mark.parametrize(
    ("path", "title"),
    [
        ("/mesos/", "Mesos"),
        ("/marathon/ui/", "Marathon"),
        ("/service/marathon/ui/", "Marathon"),
        ("/exhibitor/", "Exhibitor for ZooKeeper"),
    ],
)
def test_component_pages_have_their_titles(path: str, title: str) -> None:
    response = session.get(MASTER + path, timeout=10)
    assert response.status_code == 200
    assert f"<title>{title}</title>" in response.text
