"""dcos-log: the journal and task sandboxes over DC/OS's /system/v1/logs API."""
