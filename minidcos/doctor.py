"""`minidcos docker doctor`: can this machine run miniDC/OS clusters?

One finding per line: ok / warn / error, and for every problem what to do.
Sits above the provider: it asks the provider interface (info, the node
image) and boots a throwaway node through the Cluster facade.
"""

from __future__ import annotations

import ipaddress
import secrets
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from minidcos import registry as image_registry
from minidcos._util import paths
from minidcos.backends.base import Provider
from minidcos.cluster import Cluster, ClusterSpec
from minidcos.errors import MiniDCOSError
from minidcos.installer.payload.config import claims_only_warning
from minidcos.status import Status

GIB = 1024**3
MIN_FREE_GIB = 10


@dataclass(frozen=True)
class Finding:
    level: str  # ok | warn | error
    name: str
    detail: str
    fix: str = ""


def _free_gib(path: Path) -> float:
    while not path.exists():
        path = path.parent
    return shutil.disk_usage(path).free / GIB


def _disk(name: str, path: Path) -> Finding:
    free = _free_gib(path)
    if free < MIN_FREE_GIB:
        return Finding(
            "warn",
            name,
            f"{free:.1f} GiB free in {path}",
            f"free space: `minidcos docker clean`, `docker image prune`; "
            f"miniDC/OS wants {MIN_FREE_GIB} GiB",
        )
    return Finding("ok", name, f"{free:.1f} GiB free in {path}")


def _kernel_feature(name: str, present: bool, fix: str) -> Finding:
    return Finding("ok", name, "available") if present else Finding("error", name, "missing", fix)


def _nftables_works() -> bool:
    nft = shutil.which("nft")
    if nft is None:
        return Path("/proc/net/netfilter").exists() or Path("/proc/net/nf_conntrack").exists()
    return subprocess.run([nft, "list", "tables"], capture_output=True).returncode == 0


def _vxlan_works() -> bool:
    if shutil.which("ip") is None:
        return Path("/sys/module/vxlan").exists()
    name = "mdcos-doctor0"
    made = subprocess.run(
        ["ip", "link", "add", name, "type", "vxlan", "id", "42", "dstport", "4789", "dev", "lo"],
        capture_output=True,
    )
    subprocess.run(["ip", "link", "del", name], capture_output=True)
    return made.returncode == 0


def _subnet_pool(pool: ipaddress.IPv4Network) -> Finding:
    """Cluster networks are /24s of the pool; a host route there would shadow them."""
    if shutil.which("ip") is None:
        return Finding(
            "warn",
            "address pool",
            "cannot read the host's routes (no `ip`)",
            "apt-get install iproute2",
        )
    proc = subprocess.run(["ip", "-4", "route", "show"], capture_output=True, text=True)
    clashes = []
    for line in proc.stdout.splitlines():
        words = line.split()
        if not words or words[0] == "default" or "mdcos-" in line:
            continue  # our own cluster bridges are expected there
        try:
            route = ipaddress.IPv4Network(words[0], strict=False)
        except ValueError:
            continue
        if route.overlaps(pool):
            clashes.append(line.strip())
    if clashes:
        return Finding(
            "warn",
            "address pool",
            f"{pool} overlaps {'; '.join(clashes)}",
            "set MINIDCOS_SUBNET_POOL to a private range this host does not route",
        )
    return Finding("ok", "address pool", f"cluster networks come from {pool}")


def _inotify() -> Finding:
    """Each node's systemd takes inotify instances; the default 128 stops at ~20 nodes."""
    path = Path("/proc/sys/fs/inotify/max_user_instances")
    have = int(path.read_text()) if path.exists() else 0
    if have < 8192:
        return Finding(
            "warn",
            "inotify instances",
            f"{have}: clusters over ~20 nodes will not boot",
            "sysctl -w fs.inotify.max_user_instances=8192 (bash setup.sh --host-only does)",
        )
    return Finding("ok", "inotify instances", str(have))


def diagnose(provider: Provider, status: Status | None = None) -> list[Finding]:
    """Every finding, in order; `status` shows the node image being built (the first time)."""
    status = status or Status.silent()
    findings: list[Finding] = []
    try:
        with status.step("Ensuring the node image"):
            provider.ensure_image(status)
        info = provider.info()
    except MiniDCOSError as exc:
        return [
            Finding(
                "error",
                "docker engine",
                str(exc).splitlines()[0],
                "run `bash setup.sh --host-only`, which installs and starts dockerd",
            )
        ]
    findings.append(Finding("ok", "docker engine", f"version {info.engine_version}"))
    findings.append(Finding("ok", "node mode", info.node_mode))
    findings.append(_boot_check(provider))
    findings.append(_registry(provider))
    cgroup = Finding("ok", "cgroups", f"v{info.cgroup_version}, driver {info.cgroup_driver}")
    if info.cgroup_version == "2":
        cgroup = Finding(
            "warn",
            "cgroups",
            f"v2, driver {info.cgroup_driver}",
            "nodes are tested on cgroup v1 (hybrid); v2 is untested",
        )
    findings.append(cgroup)
    storage = Finding("ok", "storage driver", info.storage_driver)
    if info.storage_driver not in ("overlay2", "overlay"):
        storage = Finding(
            "warn",
            "storage driver",
            info.storage_driver,
            'overlay2 is the tested driver; set "storage-driver": "overlay2" in '
            "/etc/docker/daemon.json",
        )
    findings.append(storage)
    findings.append(_subnet_pool(info.address_pool))
    findings += _claims_only_logins(provider)
    findings.append(_inotify())
    findings.append(_disk("disk (docker root)", Path(info.docker_root)))
    findings.append(_disk("disk (workspace)", paths.home()))
    mem_gib = info.memory_bytes / GIB
    findings.append(
        Finding("ok", "memory", f"{mem_gib:.1f} GiB")
        if mem_gib >= 4
        else Finding(
            "warn",
            "memory",
            f"{mem_gib:.1f} GiB",
            "a 1/2/1 cluster needs about 2 GiB; more nodes need more",
        )
    )
    findings.append(
        _kernel_feature(
            "nftables",
            _nftables_works(),
            "the kernel needs CONFIG_NF_TABLES (VIPs are nftables DNAT)",
        )
    )
    findings.append(
        _kernel_feature(
            "vxlan", _vxlan_works(), "the kernel needs CONFIG_VXLAN (the overlay network)"
        )
    )
    findings.append(
        _kernel_feature(
            "bridge netfilter",
            Path("/proc/sys/net/bridge").exists(),
            "the kernel needs CONFIG_BRIDGE_NETFILTER",
        )
    )
    return findings


def _claims_only_logins(provider: Provider) -> list[Finding]:
    """Clusters whose config takes some issuers' ID tokens unsigned: anyone logs in."""
    findings = []
    for cluster_id in provider.list_clusters():
        try:
            masters = Cluster(cluster_id, provider).masters
            if not masters:
                continue
            proc = masters[0].run(["cat", "/opt/mesosphere/etc/user.config.yaml"], check=False)
            user = yaml.safe_load(proc.stdout) if proc.returncode == 0 else {}
        except (MiniDCOSError, yaml.YAMLError):
            continue  # a cluster without DC/OS, or one that is going away
        issuers = (user or {}).get("oauth_claims_only_issuers") or []
        if issuers:
            findings.append(
                Finding(
                    "warn",
                    f"cluster {cluster_id}",
                    claims_only_warning([str(i) for i in issuers]),
                    "fine for a throwaway test cluster; otherwise re-create it without "
                    "oauth_claims_only_issuers",
                )
            )
    return findings


def _registry(provider: Provider) -> Finding:
    """The registry every cluster pulls through: where it is, and what it holds."""
    try:
        listing = image_registry.list_images(provider)
    except MiniDCOSError as exc:
        return Finding(
            "error",
            "image registry",
            str(exc).splitlines()[0],
            "`minidcos docker clean --registry` removes it; the next create starts a new one",
        )
    info = listing.registry
    if info is None:
        return Finding("ok", "image registry", "none yet: `minidcos docker create` starts it")
    if not info.running:
        return Finding(
            "warn",
            "image registry",
            f"{info.container_name} ({info.image}) is not running",
            f"docker start {info.container_name} (a create starts it too)",
        )
    return Finding(
        "ok",
        "image registry",
        f"{info.container_name} ({info.image}) at {info.host_url} on this machine, "
        f"{info.node_address} on nodes; {len(listing.images)} image tags in volume "
        f"{info.volume}; on {len(info.networks)} cluster networks",
    )


def _boot_check(provider: Provider) -> Finding:
    """Boot one throwaway node in the chosen mode and see systemd reach its target."""
    # Its own id each time: two doctors at once must not remove each other's node.
    spec = ClusterSpec(1, 0, 0, f"doctor-{secrets.token_hex(3)}")
    try:
        with Cluster.create(spec, provider=provider, registry=False):
            pass
    except MiniDCOSError as exc:
        return Finding(
            "error",
            "systemd boots",
            str(exc).splitlines()[0],
            "see `minidcos --debug docker doctor`; the node's log is in the error",
        )
    return Finding("ok", "systemd boots", "a node reached its default target")


def as_json(findings: list[Finding]) -> dict[str, Any]:
    """`doctor --json` (schema in the README): ok is false when any finding is an error."""
    return {
        "ok": not any(f.level == "error" for f in findings),
        "findings": [asdict(f) for f in findings],
    }
