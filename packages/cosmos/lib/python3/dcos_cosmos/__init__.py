"""miniDC/OS's Cosmos: DC/OS 1.10's package manager API (Cosmos 0.4) over a local Universe."""
