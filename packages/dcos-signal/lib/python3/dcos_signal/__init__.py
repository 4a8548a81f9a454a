"""dcos-signal: DC/OS telemetry, written to the node's disk and never sent anywhere."""
