"""HTTP routes under /pkgpanda, as DC/OS clients call them through Admin Router.

Only the read side of DC/OS's pkgpanda API: activation and fetching stay with
the installer.
"""

from __future__ import annotations

import os
from pathlib import Path

from dcos_internal_utils.http import Request, Response, Router, serve

from . import packages

PREFIX = "/pkgpanda"
UNIX_SOCKET = "/run/dcos/pkgpanda-api.sock"
BUILDINFO = "active.buildinfo.full.json"


def _not_found(message: str) -> Response:
    # DC/OS's pkgpanda answers errors as {"error": message}.
    return Response.json({"error": message}, status=404)


def _package(root: Path, package_id: str) -> Response:
    if packages.parse_id(package_id) is None:
        return _not_found(f"Invalid package ID: {package_id}")
    if not packages.in_repository(root, package_id):
        return _not_found(f"Package {package_id} not found.")
    return Response.json(packages.describe(package_id))


def make_router(root: Path) -> Router:
    router = Router()

    # As DC/OS's pkgpanda (Flask) does, a listing without its slash redirects.
    # The Location is a path: Admin Router is the only client-facing host.
    def redirect_to_slash(listing: str) -> None:
        @router.get(f"{PREFIX}/{listing}")
        def redirect(request: Request) -> Response:
            return Response(status=301, headers={"Location": f"{PREFIX}/{listing}/"})

    for listing in ("repository", "active"):
        redirect_to_slash(listing)

    @router.get(PREFIX + "/repository/")
    def repository(request: Request) -> Response:
        return Response.json(packages.repository(root))

    @router.get(PREFIX + "/repository/{package_id}")
    def repository_package(request: Request) -> Response:
        return _package(root, request.params["package_id"])

    @router.get(PREFIX + "/active/")
    def active(request: Request) -> Response:
        return Response.json(packages.active(root))

    @router.get(PREFIX + "/active/{package_id}")
    def active_package(request: Request) -> Response:
        package_id = request.params["package_id"]
        response = _package(root, package_id)
        if response.status == 200 and package_id not in packages.active(root):
            return _not_found(f"Package {package_id} is not active.")
        return response

    @router.get(PREFIX + "/" + BUILDINFO)
    def buildinfo(request: Request) -> Response:
        # Served as pkgpanda wrote it: a name -> buildinfo map, already JSON.
        try:
            body = (root / BUILDINFO).read_bytes()
        except FileNotFoundError:
            return _not_found(f"{root / BUILDINFO} does not exist")
        return Response(body=body)

    return router


def main() -> None:
    root = Path(os.environ.get("DCOS_MESOSPHERE_DIR", "/opt/mesosphere"))
    serve(make_router(root), unix=[UNIX_SOCKET])
