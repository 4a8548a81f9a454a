"""miniDC/OS: a whole DC/OS cluster on one machine, as a library and the `minidcos` CLI.

    from minidcos import Cluster, ClusterSpec, InstallSpec

    with Cluster.create(ClusterSpec(masters=1, agents=1, public_agents=0),
                        install=InstallSpec()) as cluster:
        print(cluster.masters[0].run(["cat", "/opt/mesosphere/etc/dcos-version.json"]).stdout)

Everything the CLI does is here: `Cluster.create` validates the spec and the
config, builds the embedded installer when `InstallSpec.installer` is None,
reads an extra config file, installs DC/OS and waits. Errors are the
subclasses of `MiniDCOSError`; the library raises, it never prints or exits.
"""

from minidcos.backends.base import Mount, Transfer
from minidcos.cluster import Cluster, ClusterSpec, InstallSpec, clean, list_clusters
from minidcos.errors import (
    ClusterExistsError,
    ClusterNotFoundError,
    CommandError,
    ConfigError,
    MiniDCOSError,
    NodeBootError,
    NodeNotFoundError,
    NotReadyError,
    ProviderError,
    StepError,
    TransferError,
    UsageError,
)
from minidcos.installer.build import build as build_installer
from minidcos.node import Node, Output, Role
from minidcos.status import Status

__all__ = [
    "Cluster",
    "ClusterExistsError",
    "ClusterNotFoundError",
    "ClusterSpec",
    "CommandError",
    "ConfigError",
    "InstallSpec",
    "MiniDCOSError",
    "Mount",
    "Node",
    "NodeBootError",
    "NodeNotFoundError",
    "NotReadyError",
    "Output",
    "ProviderError",
    "Role",
    "Status",
    "StepError",
    "Transfer",
    "TransferError",
    "UsageError",
    "build_installer",
    "clean",
    "list_clusters",
]
