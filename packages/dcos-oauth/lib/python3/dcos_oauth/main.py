"""`dcos-oauth serve` (the unit), `dcos-oauth id-token EMAIL` and `dcos-oauth login EMAIL`."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from dcos_internal_utils import zk as dcos_zk
from dcos_internal_utils.http import serve

from . import clustertoken, localissuer
from . import settings as dcos_settings
from .api import Api
from .store import ANYONE_READ, LOCAL_ISSUER_KEY, SECRET, Store, UserExistsError

log = logging.getLogger("dcos-oauth")

ADMINROUTER_UNIT = "dcos-adminrouter.service"
DEFAULT_ADDR = "127.0.0.1:8101"


def write_secret_file(path: Path, secret: bytes) -> bool:
    """Write the secret root-only (atomically); True if the file changed."""
    try:
        if path.read_bytes().strip() == secret:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".tmp")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(secret + b"\n")
    os.replace(partial, path)
    return True


def reload_adminrouter() -> None:
    """Make a running Admin Router read the new secret (one not running reads it at start)."""
    proc = subprocess.run(
        ["systemctl", "--no-block", "try-reload-or-restart", ADMINROUTER_UNIT],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0 and "not found" not in proc.stderr:
        log.warning("could not reload %s: %s", ADMINROUTER_UNIT, proc.stderr.strip())


class SecretKeeper:
    """The cluster's token secret: agreed in ZooKeeper, mirrored to a file for Admin Router."""

    def __init__(self, store: Store, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._value = store.agreed_value(SECRET, clustertoken.new_secret, acl=ANYONE_READ)
        self._publish(self._value)
        # ZooKeeper's copy only changes if someone recreates it (a wiped
        # ensemble): follow it, so tokens and Admin Router agree again.
        store.watch(SECRET, self._changed)

    def _publish(self, value: bytes) -> None:
        if write_secret_file(self.path, value):
            log.info("wrote the cluster token secret to %s", self.path)
            reload_adminrouter()

    def _changed(self, data: bytes | None) -> None:
        if not data:
            return
        with self._lock:
            if data != self._value:
                log.warning("the cluster token secret changed in ZooKeeper; following it")
                self._value = data
                self._publish(data)

    def __call__(self) -> bytes:
        return self._value


def notify_ready() -> None:
    try:
        from systemd import daemon  # Debian's python3-systemd, on nodes
    except ImportError:
        return
    daemon.notify("READY=1")


def cmd_serve(args: argparse.Namespace) -> int:
    settings = dcos_settings.load()
    zk = dcos_zk.client()
    store = Store(zk)
    zk.ensure_path("/dcos/users")
    secret = SecretKeeper(store, dcos_settings.SECRET_FILE)
    key = store.agreed_value(LOCAL_ISSUER_KEY, localissuer.new_key_pem)
    local_jwks = localissuer.jwks(key)
    api = Api(store, settings, secret, lambda: local_jwks)
    host, _, port = args.addr.rpartition(":")
    log.info(
        "serving on %s; ID tokens from %s and %s",
        args.addr,
        settings.issuer_url,
        settings.local_issuer,
    )
    if settings.claims_only_issuers:
        log.warning(
            "ID tokens of %s are accepted on their claims alone (oauth_claims_only_issuers): "
            "anyone can log in as anyone; use this only on throwaway test clusters",
            ", ".join(settings.claims_only_issuers),
        )
    notify_ready()  # the secret is on disk: Admin Router may start
    serve(api.router(), tcp=[(host, int(port))])
    return 0


def _local_key() -> tuple[Any, bytes]:
    zk = dcos_zk.client()
    return zk, Store(zk).agreed_value(LOCAL_ISSUER_KEY, localissuer.new_key_pem)


def cmd_id_token(args: argparse.Namespace) -> int:
    settings = dcos_settings.load()
    zk, key = _local_key()
    try:
        print(localissuer.mint(key, settings, args.email, ttl_s=args.ttl))
    finally:
        zk.stop()
    return 0


def cmd_login(args: argparse.Namespace) -> int:
    """Log in as EMAIL through this master's dcos-oauth; print the cluster token."""
    settings = dcos_settings.load()
    zk, key = _local_key()
    try:
        if args.add_user:
            with contextlib.suppress(UserExistsError):
                Store(zk).add_user(args.email)
        id_token = localissuer.mint(key, settings, args.email, ttl_s=args.ttl)
    finally:
        zk.stop()
    request = urllib.request.Request(
        f"http://{args.addr}/acs/api/v1/auth/login",
        data=json.dumps({"token": id_token}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            print(json.load(response)["token"])
    except urllib.error.HTTPError as exc:
        print(f"login as {args.email} failed: {exc.code} {exc.read().decode()}", file=sys.stderr)
        return 1
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="dcos-oauth", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)
    serve_cmd = sub.add_parser("serve", help="serve the API (the dcos-oauth unit)")
    serve_cmd.add_argument("--addr", default=DEFAULT_ADDR, help="<ip>:<port> to listen on")
    serve_cmd.set_defaults(func=cmd_serve)
    id_cmd = sub.add_parser(
        "id-token", help="print an OpenID Connect ID token for EMAIL from the cluster's issuer"
    )
    id_cmd.add_argument("email")
    id_cmd.add_argument("--ttl", type=int, default=localissuer.DEFAULT_TTL_S, help="seconds")
    id_cmd.set_defaults(func=cmd_id_token)
    login_cmd = sub.add_parser(
        "login", help="log in as EMAIL with a local ID token and print the cluster token"
    )
    login_cmd.add_argument("email")
    login_cmd.add_argument("--add-user", action="store_true", help="add EMAIL if it is no user")
    login_cmd.add_argument("--ttl", type=int, default=localissuer.DEFAULT_TTL_S, help="seconds")
    login_cmd.add_argument("--addr", default=DEFAULT_ADDR, help="dcos-oauth's <ip>:<port>")
    login_cmd.set_defaults(func=cmd_login)
    return top


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("kazoo").setLevel(logging.WARNING)
    args = parser().parse_args(argv)
    result: int = args.func(args)
    return result
