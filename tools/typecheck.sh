#!/usr/bin/env bash
# mypy over all the project's Python, with pyproject.toml's one config:
#   1. the harness (minidcos, tests, test_e2e, bench): pyproject's `files`;
#   2. the packages' libraries, which share one namespace on the nodes
#      (/opt/mesosphere/lib/python3), and packages/conftest.py;
#   3. each package's tests/, on their own: their modules are top-level
#      (several packages have a conftest.py), as pytest imports them;
#   4. integration_tests/, which runs on a node beside the shipped polling.py.
# Every run happens; the exit status is 1 if any found a problem.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mypy=${MYPY:-mypy}
libs=$(printf '%s:' packages/*/lib/python3)
failed=0

"$mypy" || failed=1
MYPYPATH=$libs "$mypy" packages/*/lib/python3 packages/conftest.py || failed=1
for tests in packages/*/tests; do
  MYPYPATH=$libs "$mypy" "$tests" || failed=1
done
MYPYPATH=minidcos/_util "$mypy" integration_tests || failed=1
exit $failed
