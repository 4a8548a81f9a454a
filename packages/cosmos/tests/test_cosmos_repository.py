"""Fetching a repository as Cosmos does, and the repository list's envelope in ZooKeeper."""

from __future__ import annotations

import base64
import gzip
import json

import pytest
from cosmos_fakes import DCOS_VERSION, FakeZooKeeper, RepoServer, fixture_repository
from dcos_cosmos import errors
from dcos_cosmos.repository import (
    REPOSITORIES_ZNODE,
    PackageRepository,
    RepositoryCache,
    RepositoryList,
    fetch,
)


def test_fetch_sends_cosmos_headers(repo_server: RepoServer) -> None:
    uri = repo_server.serve("/repo", fixture_repository())
    repo = fetch(PackageRepository("U", uri), DCOS_VERSION)
    assert [p.name for p in repo.packages] == ["nginx", "marathon", "greeter", "greeter"]
    assert [p.version for p in repo.by_name("greeter")] == ["0.2.0", "0.1.0"]
    headers = repo_server.requests[-1]
    assert headers["user-agent"] == f"cosmos/0.4.4 dcos/{DCOS_VERSION}"
    assert headers["accept"] == (
        "application/vnd.dcos.universe.repo+json;charset=utf-8;version=v4,"
        "application/vnd.dcos.universe.repo+json;charset=utf-8;version=v3"
    )


def test_gzip_encoded_repository(repo_server: RepoServer) -> None:
    body = gzip.compress(json.dumps(fixture_repository()).encode())
    repo_server.routes["/gz"] = (
        200,
        "application/vnd.dcos.universe.repo+json;charset=utf-8;version=v3",
        body,
        {"Content-Encoding": "gzip"},
    )
    assert len(fetch(PackageRepository("U", repo_server.url("/gz")), DCOS_VERSION).packages) == 4


def test_wrong_content_type(repo_server: RepoServer) -> None:
    uri = repo_server.serve("/plain", fixture_repository(), "application/json")
    with pytest.raises(errors.UnsupportedContentType) as caught:
        fetch(PackageRepository("U", uri), DCOS_VERSION)
    assert caught.value.message.startswith("Unsupported Content-Type: application/json Accept: [")


def test_redirects_are_not_followed(repo_server: RepoServer) -> None:
    repo_server.routes["/moved"] = (302, "text/plain", b"", {"Location": "https://192.0.2.1/r"})
    with pytest.raises(errors.CosmosError) as caught:
        fetch(PackageRepository("U", repo_server.url("/moved")), DCOS_VERSION)
    assert caught.value.type == "UnsupportedRedirect"
    assert caught.value.message == "Unsupported redirect scheme - supported: [http] actual: https"


def test_error_status_is_a_500(repo_server: RepoServer) -> None:
    with pytest.raises(errors.GenericHttpError) as caught:
        fetch(PackageRepository("U", repo_server.url("/none")), DCOS_VERSION)
    assert caught.value.status == 500
    assert (
        caught.value.message
        == f"Unexpected down stream http error: GET {repo_server.url('/none')} 404"
    )


def test_cache_refetches_after_a_minute(repo_server: RepoServer) -> None:
    uri = repo_server.serve("/repo", fixture_repository())
    now = [0.0]
    cache = RepositoryCache(lambda r: fetch(r, DCOS_VERSION), clock=lambda: now[0])
    source = PackageRepository("U", uri)
    cache.get(source)
    cache.get(source)
    assert len(repo_server.requests) == 1
    now[0] = 61.0
    cache.get(source)
    assert len(repo_server.requests) == 2


def test_list_is_kept_in_a_storage_envelope() -> None:
    zk = FakeZooKeeper()
    default = PackageRepository("Universe", "http://master.mesos/universe/repo")
    repositories = RepositoryList(zk, [default])
    assert repositories.current() == [default]
    repositories.add(PackageRepository("x", "http://192.0.2.1/r"), None)
    envelope = json.loads(zk.nodes[REPOSITORIES_ZNODE][0])
    assert envelope["metadata"] == {
        "Content-Type": "application/vnd.dcos.package.repository.repo-list+json;"
        "charset=utf-8;version=v1",
        "Content-Encoding": "gzip",
    }
    listed = json.loads(gzip.decompress(base64.b64decode(envelope["data"])))
    assert listed == [
        {"name": "Universe", "uri": "http://master.mesos/universe/repo"},
        {"name": "x", "uri": "http://192.0.2.1/r"},
    ]


def test_concurrent_changes_do_not_overwrite_each_other() -> None:
    zk = FakeZooKeeper()
    repositories = RepositoryList(zk, [])
    repositories.current()
    stale = repositories._read()
    repositories.add(PackageRepository("a", "http://192.0.2.1/a"), None)
    with pytest.raises(errors.ConcurrentAccess):
        repositories._write(stale[0], stale[1])
