"""The payload: the code that ships inside the installer artifact, as its `dcos_installer` package.

It runs on whatever python3 runs `dcos_generate_config.sh` (standard library,
plus PyYAML handed in by the caller), so it imports nothing from the rest of
`minidcos`; import-linter keeps it so. `generate_config` is the artifact's
command line; `config` validates and expands config.yaml; `genconf` writes
genconf/serve/. `header.sh` starts the artifact; `dcos_install.sh.in`
becomes the serve dir's dcos_install.sh.
"""
