"""miniDC/OS's dcos-diagnostics: DC/OS unit health per node and, on masters, per cluster."""

# Reported as `dcos_diagnostics_version`; keep in step with buildinfo.json.
__version__ = "0.1.0"
