"""dcos-history: the last minute and hour of the leading Mesos master's /state-summary."""
