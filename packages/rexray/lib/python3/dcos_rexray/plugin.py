"""Docker's volume plugin protocol (v1), served on the plugin's Unix socket.

Docker POSTs JSON to /Plugin.Activate and /VolumeDriver.{Create,Remove,Mount,
Path,Unmount,Get,List,Capabilities}; every answer carries "Err", empty on
success, and errors are still HTTP 200 with Err set, as REX-Ray answers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from dcos_internal_utils.http import Request, Response, Router

from .store import Store, VolumeError

log = logging.getLogger("rexray")

CONTENT_TYPE = "application/vnd.docker.plugins.v1+json"
# The two answers Docker reads no "Err" from.
NO_ERR = ("/Plugin.Activate", "/VolumeDriver.Capabilities")


def _answer(value: dict[str, Any]) -> Response:
    response = Response.json(value)
    response.content_type = CONTENT_TYPE
    return response


def make_router(store: Store) -> Router:
    router = Router()

    def endpoint(path: str) -> Callable[[Callable[[dict[str, Any]], dict[str, Any]]], None]:
        def register(handler: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
            def handle(request: Request) -> Response:
                try:
                    body = request.json() or {}
                except ValueError:
                    body = {}
                try:
                    result = handler(body if isinstance(body, dict) else {})
                except VolumeError as exc:
                    log.warning("%s %s: %s", path, body.get("Name", ""), exc)
                    return _answer({"Err": str(exc)})
                return _answer(result if path in NO_ERR else {**result, "Err": ""})

            router.route("POST", path)(handle)

        return register

    @endpoint("/Plugin.Activate")
    def activate(body: dict[str, Any]) -> dict[str, Any]:
        return {"Implements": ["VolumeDriver"]}

    @endpoint("/VolumeDriver.Capabilities")
    def capabilities(body: dict[str, Any]) -> dict[str, Any]:
        return {"Capabilities": {"Scope": "local"}}

    @endpoint("/VolumeDriver.Create")
    def create(body: dict[str, Any]) -> dict[str, Any]:
        store.create(str(body.get("Name", "")), body.get("Opts") or {})
        log.info("created volume %s", body.get("Name"))
        return {}

    @endpoint("/VolumeDriver.Remove")
    def remove(body: dict[str, Any]) -> dict[str, Any]:
        store.remove(str(body.get("Name", "")))
        log.info("removed volume %s", body.get("Name"))
        return {}

    @endpoint("/VolumeDriver.Mount")
    def mount(body: dict[str, Any]) -> dict[str, Any]:
        name = str(body.get("Name", ""))
        if not store.exists(name):  # Docker may mount a volume it never created here
            store.create(name)
        path = store.mount(name, str(body.get("ID", "")))
        log.info("mounted volume %s for %s at %s", name, body.get("ID", "?"), path)
        return {"Mountpoint": str(path)}

    @endpoint("/VolumeDriver.Unmount")
    def unmount(body: dict[str, Any]) -> dict[str, Any]:
        store.unmount(str(body.get("Name", "")), str(body.get("ID", "")))
        log.info("unmounted volume %s for %s", body.get("Name"), body.get("ID", "?"))
        return {}

    @endpoint("/VolumeDriver.Path")
    def path(body: dict[str, Any]) -> dict[str, Any]:
        info = store.info(str(body.get("Name", "")))
        return {"Mountpoint": info.get("Mountpoint", "")}

    @endpoint("/VolumeDriver.Get")
    def get(body: dict[str, Any]) -> dict[str, Any]:
        return {"Volume": store.info(str(body.get("Name", "")))}

    @endpoint("/VolumeDriver.List")
    def list_volumes(body: dict[str, Any]) -> dict[str, Any]:
        return {"Volumes": [store.info(name) for name in store.names()]}

    return router
