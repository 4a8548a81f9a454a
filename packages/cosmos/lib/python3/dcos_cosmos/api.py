"""Cosmos's HTTP API: each RPC with its media types, request checks and error bodies.

Every RPC but `capabilities` is a POST whose Content-Type must be the RPC's
request type and whose Accept must name one of the types it answers in; the
three checks (Accept, Content-Type, body) are made together and their
failures reported together, as Cosmos does. Errors are answered with the
`application/vnd.dcos.package.error+json;charset=utf-8;version=v1` type.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dcos_internal_utils.http import Request, Response, Router

from . import errors, mediatypes
from .handlers import Cosmos, install_response_v1

log = logging.getLogger("cosmos")
JSON = dict[str, Any]


class _Body:
    """Reads one request body field by field, the way Cosmos's decoders check them."""

    def __init__(self, value: Any) -> None:
        if not isinstance(value, dict):
            raise errors.not_parsed("body", "Attempt to decode value on failed cursor: top")
        self.value: JSON = value

    def _get(self, key: str, kinds: tuple[type, ...], label: str, required: bool) -> Any:
        if key not in self.value or self.value[key] is None:
            if required:
                raise errors.not_parsed(
                    "body", f"Attempt to decode value on failed cursor: DownField({key})"
                )
            return None
        value = self.value[key]
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise errors.not_parsed("body", f"{label}: DownField({key})")
        return value

    def string(self, key: str, required: bool = False) -> str | None:
        value = self._get(key, (str,), "String", required)
        return None if value is None else str(value)

    def obj(self, key: str) -> JSON | None:
        value = self._get(key, (dict,), "JsonObject", False)
        return None if value is None else dict(value)

    def integer(self, key: str) -> int | None:
        value = self._get(key, (int,), "Int", False)
        return None if value is None else int(value)

    def boolean(self, key: str) -> bool | None:
        value = self._get(key, (bool,), "Boolean", False)
        return None if value is None else bool(value)

    def app_id(self, key: str) -> str | None:
        value = self.string(key)
        if value is None:
            return None
        return value if value.startswith("/") else "/" + value


Encoder = Callable[[Any], Any]


# Decoding a request body gives the call to make (with the caller's Authorization).
Call = Callable[[str | None], Any]


@dataclass(frozen=True)
class Rpc:
    """One RPC: the request type it takes, the response types it makes and how.

    `decode` reads the body (raising not_parsed for a field of the wrong kind)
    and returns the call that answers it.
    """

    path: str
    request_type: mediatypes.MediaType | None  # None: a GET without a body
    responses: list[tuple[mediatypes.MediaType, Encoder]]
    decode: Callable[[_Body], Call]


def _response(status: int, value: Any, media_type: mediatypes.MediaType) -> Response:
    body = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    return Response(status=status, body=body, content_type=media_type.show())


def error_response(error: errors.CosmosError) -> Response:
    return _response(error.status, error.body(), mediatypes.ERROR)


def _negotiate(
    request: Request, rpc: Rpc
) -> tuple[mediatypes.MediaType | None, list[errors.CosmosError]]:
    accept = request.headers.get("accept")
    produced = [m for m, _ in rpc.responses]
    if accept is None:
        return None, [errors.not_present("Accept")]
    try:
        wanted = mediatypes.parse_compound(accept)
    except ValueError as exc:
        return None, [errors.not_parsed("header 'Accept'", str(exc))]
    chosen = mediatypes.negotiate(wanted, produced)
    if chosen is None:
        rule = (
            f"Media type was [{', '.join(m.show() for m in wanted)}] but should be one of "
            f"[{', '.join(m.show() for m in produced)}]"
        )
        return None, [errors.not_valid("Accept", rule)]
    return chosen, []


def _check_content_type(request: Request, rpc: Rpc) -> list[errors.CosmosError]:
    assert rpc.request_type is not None
    given = request.headers.get("content-type")
    if given is None:
        return [errors.not_present("Content-Type")]
    try:
        actual = mediatypes.parse(given)
    except ValueError as exc:
        return [errors.not_parsed("header 'Content-Type'", str(exc))]
    if not rpc.request_type.accepts(actual):
        return [errors.not_valid("Content-Type", f"should match on of {rpc.request_type.show()}")]
    return []


def _decode_body(request: Request, rpc: Rpc) -> tuple[Call | None, list[errors.CosmosError]]:
    if not request.body.strip():
        return None, [errors.not_parsed("body", "exhausted input")]
    try:
        return rpc.decode(_Body(json.loads(request.body))), []
    except errors.CosmosError as exc:
        return None, [exc]
    except ValueError as exc:
        return None, [errors.not_parsed("body", str(exc))]


def handle(rpc: Rpc, request: Request) -> Response:
    """Check Accept, Content-Type and body together; answer the call when all three pass."""
    chosen, problems = _negotiate(request, rpc)
    if rpc.request_type is None:
        answer: Call | None = rpc.decode(_Body({}))
    else:
        problems += _check_content_type(request, rpc)
        answer, body_problems = _decode_body(request, rpc)
        problems += body_problems
    if problems or chosen is None or answer is None:
        return error_response(errors.multiple(problems))
    try:
        result = answer(request.headers.get("authorization"))
    except errors.CosmosError as exc:
        return error_response(exc)
    return _encode(rpc, chosen, result)


def _encode(rpc: Rpc, chosen: mediatypes.MediaType, result: Any) -> Response:
    encoder = next(e for m, e in rpc.responses if m == chosen)
    try:
        return _response(200, encoder(result), chosen)
    except errors.CosmosError as exc:
        return error_response(exc)


def _same(value: Any) -> Any:
    return value


def _name(body: _Body, key: str = "packageName") -> str:
    value = body.string(key, required=True)
    assert value is not None
    return value


def rpcs(cosmos: Cosmos) -> list[Rpc]:
    """Every RPC of Cosmos 0.4 (DC/OS 1.10), bound to `cosmos`."""
    p = mediatypes.package
    s = mediatypes.service

    def capabilities(_body: _Body) -> Call:
        return lambda _auth: cosmos.capabilities()

    def describe(body: _Body) -> Call:
        name, version = _name(body), body.string("packageVersion")
        return lambda _auth: cosmos.describe(name, version)

    def install(body: _Body) -> Call:
        name, version = _name(body), body.string("packageVersion")
        options, app_id = body.obj("options"), body.app_id("appId")
        return lambda auth: cosmos.install(name, version, options, app_id, auth)

    def render(body: _Body) -> Call:
        name, version = _name(body), body.string("packageVersion")
        options, app_id = body.obj("options"), body.app_id("appId")
        return lambda _auth: cosmos.render(name, version, options, app_id)

    def list_installed(body: _Body) -> Call:
        name, app_id = body.string("packageName"), body.app_id("appId")
        return lambda auth: cosmos.list_installed(name, app_id, auth)

    def list_versions(body: _Body) -> Call:
        name = _name(body)
        body.boolean("includePackageVersions")
        return lambda _auth: cosmos.list_versions(name)

    def search(body: _Body) -> Call:
        query = body.string("query")
        return lambda _auth: cosmos.search(query)

    def uninstall(body: _Body) -> Call:
        name, app_id, remove_all = _name(body), body.app_id("appId"), body.boolean("all")
        return lambda auth: cosmos.uninstall(name, app_id, bool(remove_all), auth)

    def repository_add(body: _Body) -> Call:
        name, uri, index = _name(body, "name"), _name(body, "uri"), body.integer("index")
        return lambda _auth: cosmos.repository_add(name, uri, index)

    def repository_delete(body: _Body) -> Call:
        name, uri = body.string("name"), body.string("uri")
        return lambda _auth: cosmos.repository_delete(name, uri)

    def repository_list(_body: _Body) -> Call:
        return lambda _auth: cosmos.repository_list()

    def service_describe(body: _Body) -> Call:
        app_id = body.app_id("appId")
        if app_id is None:
            raise errors.not_parsed(
                "body", "Attempt to decode value on failed cursor: DownField(appId)"
            )
        return lambda auth: cosmos.service_describe(app_id, auth)

    def not_configured(operation: str) -> Callable[[_Body], Call]:
        # Cosmos serves package add and service start only with package storage
        # configured; DC/OS 1.10 configures none by default, so they answer 501.
        def decode(_body: _Body) -> Call:
            def answer(_auth: str | None) -> Any:
                raise errors.NotImplemented(operation)

            return answer

        return decode

    return [
        Rpc("/capabilities", None, [(mediatypes.CAPABILITIES, _same)], capabilities),
        Rpc(
            "/package/add",
            p("add-request"),
            [(p("add-response"), _same)],
            not_configured("package add"),
        ),
        Rpc(
            "/package/describe",
            p("describe-request"),
            [
                (p("describe-response", 3), lambda pkg: {"package": pkg.definition}),
                (p("describe-response", 2), lambda pkg: pkg.describe_v2()),
            ],
            describe,
        ),
        Rpc(
            "/package/install",
            p("install-request"),
            [(p("install-response", 2), _same), (p("install-response", 1), install_response_v1)],
            install,
        ),
        Rpc("/package/list", p("list-request"), [(p("list-response", 1), _same)], list_installed),
        Rpc(
            "/package/list-versions",
            p("list-versions-request"),
            [(p("list-versions-response"), _same)],
            list_versions,
        ),
        Rpc("/package/render", p("render-request"), [(p("render-response"), _same)], render),
        Rpc(
            "/package/repository/add",
            p("repository.add-request"),
            [(p("repository.add-response"), _same)],
            repository_add,
        ),
        Rpc(
            "/package/repository/delete",
            p("repository.delete-request"),
            [(p("repository.delete-response"), _same)],
            repository_delete,
        ),
        Rpc(
            "/package/repository/list",
            p("repository.list-request"),
            [(p("repository.list-response"), _same)],
            repository_list,
        ),
        Rpc("/package/search", p("search-request"), [(p("search-response"), _same)], search),
        Rpc(
            "/package/uninstall",
            p("uninstall-request"),
            [(p("uninstall-response"), _same)],
            uninstall,
        ),
        Rpc(
            "/service/describe",
            s("describe-request"),
            [(s("describe-response"), _same)],
            service_describe,
        ),
        Rpc(
            "/service/start",
            s("start-request"),
            [(s("start-response"), _same)],
            not_configured("service start"),
        ),
    ]


def make_router(cosmos: Cosmos) -> Router:
    router = Router()
    for rpc in rpcs(cosmos):
        method = "GET" if rpc.request_type is None else "POST"

        def handler(request: Request, rpc: Rpc = rpc) -> Response:
            try:
                return handle(rpc, request)
            except Exception as exc:  # Cosmos answers any other failure as a 500 error body
                log.exception("unhandled exception in %s", rpc.path)
                return _response(
                    500,
                    {"type": "unhandled_exception", "message": f"{type(exc).__name__}: {exc}"},
                    mediatypes.ERROR,
                )

        router.route(method, rpc.path)(handler)
    return router
