"""The artifact's command line: `dcos_generate_config.sh [--genconf | --validate-config |
--version]`.

Runs inside the extracted installer as `python3 -m dcos_installer.generate_config`,
with the working directory the user ran the installer in (which holds genconf/).
Not to be confused with `minidcos installer ...` (`minidcos/cli/installer.py`),
the harness command that builds this artifact.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from types import ModuleType

from . import config as dcos_config
from .genconf import GenconfError, check, generate, installer_version

USAGE = """\
Usage: dcos_generate_config.sh [--genconf | --validate-config | --version | --help |
                                --generate-node-upgrade-script VERSION]

Run in a directory holding genconf/config.yaml and genconf/ip-detect.
  --genconf          validate the config and write genconf/serve/ (dcos_install.sh,
                     bootstrap, package lists and packages) for the nodes
  --validate-config  print every problem of genconf/config.yaml as `key: message`;
                     exit 1 if there is one
  --generate-node-upgrade-script VERSION
                     for a cluster that runs DC/OS VERSION, installed from this same
                     genconf/: add this build to genconf/serve/ and write the node
                     upgrade script (serve/upgrade/<id>/dcos_node_upgrade.sh)
  --version          print this installer's DC/OS version as JSON
  -v, --verbose      more output
"""


def _yaml() -> ModuleType:
    try:
        import yaml
    except ImportError:
        sys.stderr.write(
            "dcos_generate_config.sh needs PyYAML for the python3 that runs it: "
            "apt-get install python3-yaml (or set DCOS_INSTALLER_PYTHON to a python with it)\n"
        )
        sys.exit(2)
    return yaml


def _report(errors: dict[str, str]) -> None:
    for key, message in errors.items():
        sys.stderr.write(f"{key}: {message}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(add_help=False, usage=argparse.SUPPRESS)
    parser.add_argument("--genconf", action="store_true")
    parser.add_argument("--validate-config", action="store_true")
    parser.add_argument("--version", action="store_true")
    parser.add_argument("--generate-node-upgrade-script", metavar="VERSION", default=None)
    parser.add_argument("--help", "-h", action="store_true")
    parser.add_argument("--verbose", "-v", action="count", default=0)
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        sys.stderr.write(f"unknown option(s): {' '.join(unknown)}\n\n{USAGE}")
        return 2
    upgrade_from = args.generate_node_upgrade_script
    if args.help or not (args.genconf or args.validate_config or args.version or upgrade_from):
        sys.stdout.write(USAGE)
        return 0 if args.help else 2
    artifacts = Path(os.environ["DCOS_INSTALLER_ARTIFACTS"])
    if args.version:
        print(json.dumps({"version": installer_version(artifacts), "variant": dcos_config.VARIANT}))
        return 0

    yaml = _yaml()
    genconf_dir = Path.cwd() / "genconf"
    try:
        if args.validate_config:
            _, warnings = check(genconf_dir, yaml.safe_load)
            for warning in warnings:
                sys.stderr.write(f"WARNING: {warning}\n")
            sys.stderr.write("Configuration is valid.\n")
            return 0
        sys.stderr.write("====> EXECUTING CONFIGURATION GENERATION\n")
        warnings, upgrade_script = generate(
            genconf_dir, artifacts, yaml.safe_load, yaml.safe_dump, upgrade_from
        )
        for warning in warnings:
            sys.stderr.write(f"WARNING: {warning}\n")
        sys.stderr.write(f"Generated {genconf_dir / 'serve'}\n")
        if upgrade_script is not None:
            # DC/OS's wording: the URL is the bootstrap URL plus the script's path in serve/.
            config = yaml.safe_load((genconf_dir / "config.yaml").read_text())
            relative = upgrade_script.relative_to(genconf_dir / "serve").as_posix()
            print(f"Node upgrade script URL: {config['bootstrap_url'].rstrip('/')}/{relative}")
        return 0
    except GenconfError as exc:
        _report(exc.errors)
        return 1


if __name__ == "__main__":
    sys.exit(main())
