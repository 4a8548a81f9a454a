"""The Mesos agent: registers with the leader, runs tasks as systemd units, recovers them."""
