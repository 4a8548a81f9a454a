"""The `dcos-diagnostics` command line, as DC/OS 1.10's:

dcos-diagnostics daemon [--config PATH]      serve /system/health/v1 (the unit runs this)
dcos-diagnostics check <cluster|node-prestart|node-poststart> [CHECK...]
                 [--check-config PATH] [--list]
                                             run the checks, print their JSON
dcos-diagnostics --diag                      print every unhealthy unit of this node
dcos-diagnostics --version
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import __version__, checks, runner

ROLE_NAMES = {"master": "master", "slave": "agent", "slave_public": "agent_public"}


def node_role(flag: str, config_path: str) -> str:
    """--role, else the "role" of dcos-diagnostics-config.json, else the node's role file."""
    if flag:
        return flag
    try:
        role = json.loads(Path(config_path).read_text()).get("role", "")
        if role:
            return str(role)
    except (OSError, ValueError):
        pass
    from dcos_internal_utils import node

    return ROLE_NAMES[node.role()]


def _check(args: argparse.Namespace) -> int:
    role = node_role(args.check_role or args.role, args.config or str(checks.ROLE_CONFIG))
    try:
        config = runner.load(Path(args.check_config))
    except (OSError, ValueError) as exc:
        print(f"unable to open config file: {exc}", file=sys.stderr)
        return 1
    if args.type not in runner.CHECK_TYPES:
        print(f"invalid check type {args.type}", file=sys.stderr)
        return 1
    if args.list:
        listed = runner.listing(config, args.type, role, args.names)
        print(json.dumps(listed, indent=2))
        return 0
    report = runner.run(config, args.type, role, args.names)
    print(json.dumps(report.to_json(), indent=2))
    return report.status


def _diag() -> int:
    from dcos_internal_utils import systemd

    from . import units

    failed = [s for s in systemd.unit_states(units.discover()) if not s.healthy]
    for state in failed:
        print(f"[{state.id}]: {state.description} {state.problem}")
    if failed:
        print("Found unhealthy systemd units", file=sys.stderr)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dcos-diagnostics", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="store_true", help="print the version")
    parser.add_argument("--diag", action="store_true", help="check DC/OS components health")
    parser.add_argument("--role", default="", help="set node role")
    parser.add_argument("--config", default="", help="config file")
    parser.add_argument("--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command")
    daemon = sub.add_parser("daemon", help="serve the health API")
    daemon.add_argument("--config", dest="daemon_config", default="")
    check = sub.add_parser("check", help="execute a DC/OS check")
    check.add_argument("type", help="cluster, node-prestart or node-poststart")
    check.add_argument("names", nargs="*", help="only these checks")
    check.add_argument("--check-config", default=str(runner.DEFAULT_CONFIG))
    check.add_argument("--list", action="store_true", help="list the checks, do not run them")
    # cobra's persistent flags: accepted after the subcommand as well.
    check.add_argument("--role", dest="check_role", default="", help="set node role")
    args = parser.parse_args(argv)
    if args.version:
        print(f"Version: {__version__}")
        return 0
    if args.diag:
        return _diag()
    if args.command == "daemon":
        from .api import main as serve

        serve()
        return 0
    if args.command == "check":
        return _check(args)
    parser.print_help()
    return 0
