"""Running Debian's ZooKeeper: data directories, zoo.cfg, the JVM command line."""

from __future__ import annotations

import ctypes
import os
import re
import signal
import subprocess
import tempfile
from pathlib import Path

from .ensemble import CONF_DIR, SNAPSHOT_DIR, TRANSACTIONS_DIR, ZOO_CFG, Ensemble, render_zoo_cfg

JAVA = "/usr/bin/java"
JAVA_DIR = Path("/usr/share/java")
# zookeeper.jar's manifest Class-Path names its own dependencies (jute,
# slf4j-api, netty, jackson, ...); only a logging backend must be added.
# slf4j-simple logs to stderr, which systemd sends to the journal.
CLASSPATH_JARS = ("zookeeper.jar", "zookeeper-jute.jar", "slf4j-simple.jar")
MAIN_CLASS = "org.apache.zookeeper.server.quorum.QuorumPeerMain"

DEFAULT_HEAP = "64m"
HEAP_RE = re.compile(r"^[1-9][0-9]*[kKmMgG]?$")

PR_SET_PDEATHSIG = 1


def java_command(
    zoo_cfg: Path = ZOO_CFG,
    heap: str = DEFAULT_HEAP,
    log_level: str = "info",
    java: str = JAVA,
    java_dir: Path = JAVA_DIR,
) -> list[str]:
    """The command line that runs ZooKeeper with `zoo_cfg` in a small JVM.

    A whole master has to fit in ~700 MiB, so ZooKeeper gets an explicit heap
    and a JVM trimmed for footprint rather than throughput (its load here is
    a few clients and kilobytes of data).
    """
    if not HEAP_RE.match(heap):
        raise ValueError(f"ZOO_HEAP must look like 64m or 1g, not {heap!r}")
    classpath = ":".join(str(java_dir / jar) for jar in CLASSPATH_JARS)
    return [
        java,
        "-Xms16m",
        f"-Xmx{heap}",
        "-XX:+UseSerialGC",
        # C1 only: less code cache and compiler memory, faster warm-up.
        "-XX:TieredStopAtLevel=1",
        "-XX:ReservedCodeCacheSize=32m",
        "-XX:MaxMetaspaceSize=64m",
        "-Xss512k",
        # Thread pools are sized by CPU count; a big host would otherwise
        # give every ZooKeeper dozens of threads.
        "-XX:ActiveProcessorCount=2",
        # No /tmp/hsperfdata file per JVM.
        "-XX:-UsePerfData",
        # An OOM must crash the unit visibly instead of leaving a zombie JVM.
        "-XX:+ExitOnOutOfMemoryError",
        "-Djava.net.preferIPv4Stack=true",
        # Election traffic is between containers on one bridge: a peer that
        # does not connect within a second is down, and a peer that comes up
        # later must not wait out a long exponential backoff.
        "-Dzookeeper.cnxTimeout=1000",
        "-Dzookeeper.fastleader.maxNotificationInterval=2000",
        f"-Dorg.slf4j.simpleLogger.defaultLogLevel={log_level}",
        # One INFO line per four-letter word would flood the journal: status
        # and readiness checks ask every few seconds.
        "-Dorg.slf4j.simpleLogger.log.org.apache.zookeeper.server.NIOServerCnxn=warn",
        "-cp",
        classpath,
        MAIN_CLASS,
        str(zoo_cfg),
    ]


def write_atomic(path: Path, text: str, mode: int = 0o644) -> None:
    """Replace `path` with `text` so that a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def prepare(
    ensemble: Ensemble,
    snapshot_dir: Path = SNAPSHOT_DIR,
    transactions_dir: Path = TRANSACTIONS_DIR,
    zoo_cfg: Path = ZOO_CFG,
) -> None:
    """Create the data directories and write myid and zoo.cfg, as Exhibitor does before a start."""
    for directory in (snapshot_dir, transactions_dir):
        # 0700 as in DC/OS: ZooKeeper's data is not for other users to read.
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(0o700)
    write_atomic(snapshot_dir / "myid", f"{ensemble.my_id}\n")
    write_atomic(zoo_cfg, render_zoo_cfg(ensemble, snapshot_dir, transactions_dir))


def _die_with_parent() -> None:
    # Runs in the child before exec: if the supervisor dies (even by SIGKILL,
    # outside systemd), the kernel stops ZooKeeper too.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def start(command: list[str], cwd: Path = CONF_DIR) -> subprocess.Popen[bytes]:
    """Start ZooKeeper as a child; its output goes where ours goes (the journal)."""
    cwd.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
