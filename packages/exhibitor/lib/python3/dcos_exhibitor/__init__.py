"""ZooKeeper for the masters, supervised behind an Exhibitor-compatible REST API."""
