#!/usr/bin/env bash
# The CI recipe: the one script a CI job calls to give a pull request its status check.
#
#   create a cluster, wait until DC/OS is ready on it, run the integration suite on a
#   master with its JUnit file copied back, export the cluster's logs if anything
#   failed, and destroy the cluster whatever happened (Ctrl-C and SIGTERM included).
#
# Extra arguments go to pytest (e.g. `-k test_mesos`). Settings, from the environment:
#   MINIDCOS_CI_CLUSTER    the cluster id (default: ci-<pid>)
#   MINIDCOS_CI_ARTIFACTS  where junit.xml and the logs go (default: ./ci-artifacts)
#   MINIDCOS_CI_CREATE     flags for `create` (default: --agents 1 --public-agents 1)
#   MINIDCOS_CI_INSTALLER  a dcos_generate_config.sh (default: the one built from packages/)
#   MINIDCOS               the minidcos command (default: minidcos)
# Exit status: the suite's; or the failing step's when the cluster never got that far.
set -uo pipefail
minidcos=${MINIDCOS:-minidcos}
cluster=${MINIDCOS_CI_CLUSTER:-ci-$$}
artifacts=$(realpath -m "${MINIDCOS_CI_ARTIFACTS:-ci-artifacts}")
read -r -a create_flags <<< "${MINIDCOS_CI_CREATE:---agents 1 --public-agents 1}"
installer=()
[ -n "${MINIDCOS_CI_INSTALLER:-}" ] && installer=("$MINIDCOS_CI_INSTALLER")
mkdir -p "$artifacts"

step() { echo "==> [ci $(date +%T)] $*" >&2; }
export_logs() {
  step "exporting the cluster's logs to $artifacts/logs/$cluster"
  $minidcos docker export-logs --cluster-id "$cluster" "$artifacts/logs/$cluster" >/dev/null
}
destroy() {
  step "destroying $cluster"
  $minidcos docker destroy --cluster-id "$cluster" >/dev/null
}
trap destroy EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step "creating $cluster (${create_flags[*]})"
# --retain: a failed install is kept for its logs; the trap destroys it after.
if ! $minidcos docker create --cluster-id "$cluster" --no-wait --retain "${installer[@]}" \
    "${create_flags[@]}"; then
  status=$?
  export_logs
  exit $status
fi
step "waiting for DC/OS"
$minidcos docker wait --cluster-id "$cluster" --log-dir "$artifacts/logs" || exit $?
step "running the integration suite (JUnit: $artifacts/junit.xml)"
$minidcos docker run --cluster-id "$cluster" --test-env \
  --copy-back "junit.xml:$artifacts/junit.xml" -- \
  python3 -m pytest -v -p no:cacheprovider --junitxml=junit.xml "$@"
status=$?
[ $status -eq 0 ] || export_logs
exit $status
