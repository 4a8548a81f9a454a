"""The `rexray` command line, as REX-Ray's for the parts this implementation has.

rexray start -f              serve Docker's volume plugin API in the foreground
rexray volume ls             list the volumes (name, size in bytes, mounted at)
rexray volume create NAME    create a volume
rexray volume rm NAME        remove a volume that no container uses
rexray version
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from . import __version__, config
from .store import Store, VolumeError


def _store(cfg: config.Config) -> Store:
    return Store(vfs_root=cfg.vfs_root, mount_root=cfg.mount_root)


def start(cfg: config.Config) -> int:
    log = logging.getLogger("rexray")
    store = _store(cfg)
    store.volumes.mkdir(parents=True, exist_ok=True)
    if not cfg.docker_enabled:
        # DC/OS's default config: REX-Ray runs but is no Docker volume driver.
        log.info("the default-docker module is disabled: not serving Docker's plugin API")
        import signal

        signal.pause()
        return 0
    from dcos_internal_utils.http import serve

    from .plugin import make_router

    log.info(
        "serving Docker's volume plugin API on %s (vfs root %s)", cfg.socket_path, cfg.vfs_root
    )
    serve(make_router(store), unix=[cfg.socket_path])
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rexray", description=__doc__.splitlines()[0])
    parser.add_argument("--config", "-c", default=str(config.CONFIG_PATH))
    sub = parser.add_subparsers(dest="command", required=True)
    start_cmd = sub.add_parser("start", help="start the service")
    start_cmd.add_argument("-f", "--foreground", action="store_true")
    sub.add_parser("version", help="print the version")
    volume = sub.add_parser("volume", help="manage volumes")
    vsub = volume.add_subparsers(dest="verb", required=True)
    vsub.add_parser("ls")
    for verb in ("create", "rm"):
        vsub.add_parser(verb).add_argument("name")
    args = parser.parse_args(argv)

    if args.command == "version":
        print(f"REX-Ray\n-------\nBinary: {sys.argv[0]}\nSemVer: {__version__}")
        return 0
    try:
        cfg = config.load(Path(args.config))
    except (config.ConfigError, OSError, ValueError) as exc:
        print(f"rexray: {args.config}: {exc}", file=sys.stderr)
        return 1
    logging.basicConfig(
        level=getattr(logging, cfg.loglevel.upper(), logging.INFO),
        format="%(name)s: %(message)s",
    )
    if args.command == "start":
        return start(cfg)
    store = _store(cfg)
    try:
        if args.verb == "ls":
            print(f"{'NAME':<32} {'SIZE':>12}  MOUNTPOINT")
            for name in store.names():
                info = store.info(name)
                print(f"{name:<32} {store.usage(name):>12}  {info.get('Mountpoint', '')}")
        elif args.verb == "create":
            store.create(args.name)
            print(args.name)
        elif args.verb == "rm":
            store.remove(args.name)
            print(args.name)
    except VolumeError as exc:
        print(f"rexray: {exc}", file=sys.stderr)
        return 1
    return 0
