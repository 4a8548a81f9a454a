"""What Cosmos asks Marathon and Mesos: apps to create, list and destroy, frameworks to tear down.

Cosmos forwards the caller's Authorization header, so that Marathon and Mesos
see the user who asked. Marathon is asked on this master (any Marathon
answers for its leader); Mesos at its leading master, as ZooKeeper names it.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import errors

JSON = dict[str, Any]
TIMEOUT_S = 30.0

_UNAVAILABLE = (urllib.error.URLError, OSError, http.client.HTTPException)


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body.strip() else None


def _request(
    method: str,
    url: str,
    authorization: str | None,
    body: bytes | None = None,
    content_type: str = "application/json",
) -> HttpAnswer:
    headers = {"Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = content_type
    if authorization:
        headers["Authorization"] = authorization
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=TIMEOUT_S) as response:
            return HttpAnswer(response.status, response.read())
    except urllib.error.HTTPError as exc:
        return HttpAnswer(exc.code, exc.read())


class Marathon:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def _call(
        self, method: str, path: str, authorization: str | None, body: Any = None
    ) -> HttpAnswer:
        payload = None if body is None else json.dumps(body).encode()
        try:
            return _request(method, self.base_url + path, authorization, payload)
        except _UNAVAILABLE as exc:
            raise errors.ServiceUnavailable("marathon") from exc

    def list_apps(self, authorization: str | None) -> list[JSON]:
        answer = self._call("GET", "/v2/apps", authorization)
        if answer.status != 200:
            raise _marathon_error(answer)
        return list((answer.json() or {}).get("apps", []))

    def get_app(self, app_id: str, authorization: str | None) -> JSON | None:
        answer = self._call("GET", "/v2/apps" + _app_path(app_id), authorization)
        if answer.status == 404:
            return None
        if answer.status != 200:
            raise _marathon_error(answer)
        app = (answer.json() or {}).get("app")
        return app if isinstance(app, dict) else None

    def create_app(self, app: JSON, authorization: str | None) -> JSON:
        answer = self._call("POST", "/v2/apps", authorization, app)
        if answer.status == 409:
            raise errors.PackageAlreadyInstalled()
        if 400 <= answer.status < 500:
            raise _marathon_error(answer)
        if answer.status >= 500:
            raise errors.MarathonBadGateway(answer.status)
        created = answer.json()
        return created if isinstance(created, dict) else {}

    def delete_app(self, app_id: str, authorization: str | None) -> None:
        answer = self._call("DELETE", "/v2/apps" + _app_path(app_id) + "?force=true", authorization)
        if answer.status != 200:
            raise errors.MarathonAppDeleteError(app_id)


def _app_path(app_id: str) -> str:
    return "/" + urllib.parse.quote(app_id.strip("/"), safe="/")


def _marathon_error(answer: HttpAnswer) -> errors.CosmosError:
    """Marathon's own error (message and details) when it gave one, else its status."""
    try:
        body = answer.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        details = body.get("details")
        return errors.MarathonBadResponse(
            body["message"], details if isinstance(details, list) else None
        )
    if answer.status >= 500:
        return errors.MarathonBadGateway(answer.status)
    return errors.MarathonGenericError(answer.status)


class Mesos:
    """The leading Mesos master; `leader_url` answers its URL, or None while there is none."""

    def __init__(self, leader_url: Callable[[], str | None]) -> None:
        self._leader_url = leader_url

    def _url(self) -> str:
        url = self._leader_url()
        if not url:
            raise errors.ServiceUnavailable("mesos")
        return url

    def framework_ids(self, name: str, authorization: str | None) -> list[str]:
        """The IDs of the active frameworks registered under `name`."""
        try:
            answer = _request("GET", self._url() + "/master/frameworks", authorization)
        except _UNAVAILABLE as exc:
            raise errors.ServiceUnavailable("mesos") from exc
        if answer.status != 200:
            raise errors.ServiceUnavailable("mesos")
        frameworks = (answer.json() or {}).get("frameworks", [])
        return [str(f["id"]) for f in frameworks if f.get("name") == name and "id" in f]

    def teardown(self, framework_id: str, authorization: str | None) -> None:
        form = urllib.parse.urlencode({"frameworkId": framework_id}).encode()
        try:
            answer = _request(
                "POST",
                self._url() + "/master/teardown",
                authorization,
                form,
                "application/x-www-form-urlencoded",
            )
        except _UNAVAILABLE as exc:
            raise errors.ServiceUnavailable("mesos") from exc
        if answer.status != 200:
            raise errors.GenericHttpError("POST", "master/teardown", answer.status)
