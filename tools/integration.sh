#!/usr/bin/env bash
# Create a 1-master, 1-agent, 1-public-agent cluster on the embedded installer,
# run the integration suite on its master (as DC/OS runs dcos-integration-test),
# and destroy the cluster whatever happened. Extra arguments go to pytest.
set -euo pipefail
cluster_id=${MINIDCOS_INTEGRATION_CLUSTER:-integration-$$}
trap 'minidcos docker destroy --cluster-id "$cluster_id" >/dev/null' EXIT
minidcos docker create --cluster-id "$cluster_id" --agents 1 --public-agents 1
minidcos docker run --cluster-id "$cluster_id" --test-env -- \
  python3 -m pytest -v -p no:cacheprovider "$@"
