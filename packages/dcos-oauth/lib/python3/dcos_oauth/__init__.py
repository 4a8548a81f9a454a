"""dcos-oauth: DC/OS 1.10 Open's identity and access management service."""
