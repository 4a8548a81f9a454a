"""The installer, host side: build the artifact from packages/ and run it.

- `build`: build dcos_generate_config.sh from packages/, integration_tests/
  and `payload/` (cached by content).
- `packages`: the distribution's package folders as the harness reads them
  (buildinfo, units, the ports a component's readiness check uses).
- `install`: the installer contract on the host (`--validate-config`,
  `--genconf`) and `dcos_install.sh <role>` on each node.
- `extra_config`: a user's config file, read with bounds (size, encoding, YAML).
- `payload/`: what ships inside the artifact; never imported by the harness at
  run time except to build and test it.
"""
