"""miniDC/OS's Mesos: master, agent and mesos-execute, speaking Mesos 1.4's public APIs.

DC/OS 1.10 ships Mesos 1.4, so every external shape (the v0 JSON endpoints,
the v1 operator, scheduler and agent APIs) is Mesos 1.4's. How the master and
its agents talk to each other is internal (see `protocol.py`).
"""

MESOS_VERSION = "1.4.0"
