"""dcos-exhibitor's main process: configure and run ZooKeeper, serve the REST API beside it.

ZooKeeper is this process's child, and the unit's whole cgroup stops with
the unit. If ZooKeeper exits, this process exits non-zero so that systemd
restarts the unit (Restart=always) and the failure shows in its state and
journal; if the API server dies, the process exits too.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from types import FrameType

from dcos_internal_utils import node
from dcos_internal_utils.http import serve

from . import api, auth, zookeeper
from .ensemble import API_PORT, Ensemble, EnsembleError, make_ensemble

log = logging.getLogger("dcos-exhibitor")


def load_ensemble() -> Ensemble:
    return make_ensemble(node.master_list(), node.detect_ip())


def _serve_api(ensemble: Ensemble) -> None:
    try:
        router = auth.protect(api.build_router(ensemble, api.package_version()))
        serve(router, tcp=[("0.0.0.0", API_PORT)])
    except BaseException:
        log.exception("the REST API on port %d failed", API_PORT)
    # serve() only returns by failing: without the API the unit is broken.
    os._exit(1)


def run() -> int:
    try:
        ensemble = load_ensemble()
        command = zookeeper.java_command(heap=os.environ.get("ZOO_HEAP") or zookeeper.DEFAULT_HEAP)
        zookeeper.prepare(ensemble)
    except (EnsembleError, OSError, ValueError, subprocess.CalledProcessError) as exc:
        # A config problem: say what it is in one line, for the journal.
        log.error("cannot configure ZooKeeper: %s", exc)
        return 1
    log.info(
        "ZooKeeper server %d of %s (%s)",
        ensemble.my_id,
        ensemble.servers_spec,
        "standalone" if ensemble.standalone else "quorum",
    )
    # Started before any thread exists: Popen's preexec_fn is not thread-safe.
    child = zookeeper.start(command)

    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    threading.Thread(target=_serve_api, args=(ensemble,), name="api", daemon=True).start()

    rc = child.wait()
    if stopping.is_set():
        log.info("stopped")
        return 0
    if rc < 0:
        log.error("ZooKeeper was killed by signal %d", -rc)
    else:
        log.error("ZooKeeper exited with status %d", rc)
    return 1


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    sys.exit(run())
