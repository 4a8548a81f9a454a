#!/usr/bin/env bash
# Run every test: lint, fast and engine-backed harness tests, the integration
# suite on a real cluster, and the e2e suites. Sets the host up first
# (idempotent), so it works on a fresh Debian 12 machine as root.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bash "$here/setup.sh" --host-only
cd "$here"
exec .venv/bin/tox -e "${MINIDCOS_TOX_ENVS:-lint,unit,integration,e2e}" "$@"
