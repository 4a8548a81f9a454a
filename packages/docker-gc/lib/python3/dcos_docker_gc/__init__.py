"""dcos-docker-gc: collects the Docker containers and images tasks leave on agents."""
