"""dcos-metrics: node, container and application metrics over DC/OS's /system/v1/metrics API."""
