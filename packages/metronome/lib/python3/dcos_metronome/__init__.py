"""Metronome: DC/OS's job scheduler, as a framework on the Mesos v1 scheduler API."""

VERSION = "0.3.4"
# The Marathon library version Metronome 0.3.4 was built on (its /info says so).
LIB_VERSION = "1.3.13"
