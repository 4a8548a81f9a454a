#!/usr/bin/env bash
# Run every test: lint, fast and engine-backed harness tests, the integration
# suite on a real cluster, and the e2e suites. Sets the host up first
# (idempotent), so it works on a fresh Debian 12 machine as root.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bash "$here/setup.sh" --host-only
# The web UI's browser tests (test_e2e/test_ui.py) drive Debian's headless Chromium.
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    chromium chromium-driver >/dev/null
fi
cd "$here"
exec .venv/bin/tox -e "${MINIDCOS_TOX_ENVS:-lint,unit,integration,e2e}" "$@"
