"""The Mesos master: leader election, registry, allocator, and the HTTP APIs."""
