"""Marathon 1.5's REST API and scheduler, as DC/OS 1.10 runs it (unit dcos-marathon, port 8080)."""

MARATHON_VERSION = "1.5.6"
