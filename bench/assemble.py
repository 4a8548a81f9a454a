"""What making /opt/mesosphere's self-contained python and curl costs a node at install time.

pkgpanda assembles them from the node's Debian packages (copy, library closure,
patchelf). This times that in a container of the node image, beside the plain
copy of the same standard library as the baseline, and reports the packages'
sizes. Prints the figures and writes bench/results/assemble.json.

    python bench/assemble.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import write_results

from minidcos._util import paths
from minidcos.backends.docker.provider import DockerProvider
from minidcos.status import Status

# Runs inside the node container: each package assembled into a fresh folder, timed.
SCRIPT = r"""
import json, shutil, subprocess, sys, time
from pathlib import Path
sys.path.insert(0, "/packages/pkgpanda/lib/python3")
from pkgpanda.assemble import assemble
repeat = int(sys.argv[1])
out = {}
for name in ("python", "curl"):
    spec = json.loads(Path(f"/packages/{name}/buildinfo.json").read_text())["assemble"]
    runs = []
    for i in range(repeat):
        work = Path(f"/opt/bench/{name}-{i}")
        start = time.monotonic()
        assemble(spec, work, work)
        runs.append(time.monotonic() - start)
        size = int(subprocess.run(["du", "-sb", str(work)], capture_output=True,
                                  text=True).stdout.split()[0])
        shutil.rmtree(work)
    out[name] = {"runs_s": runs, "bytes": size}
runs = []
for i in range(repeat):
    start = time.monotonic()
    shutil.copytree("/usr/lib/python3.11", f"/opt/bench/copy-{i}", symlinks=True)
    runs.append(time.monotonic() - start)
    shutil.rmtree(f"/opt/bench/copy-{i}")
out["plain_stdlib_copy"] = {"runs_s": runs}
print(json.dumps(out))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    image = DockerProvider().ensure_image(Status())
    packages = paths.PROJECT_ROOT / "packages"
    proc = subprocess.run(
        [
            "docker",
            "run",
            "--rm",
            "--entrypoint",
            "python3",
            "-v",
            f"{packages}:/packages:ro",
            image,
            "-c",
            SCRIPT,
            str(args.repeat),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    raw = json.loads(proc.stdout.strip().splitlines()[-1])
    baseline = statistics.median(raw["plain_stdlib_copy"]["runs_s"])
    figures: dict[str, dict[str, object]] = {}
    print(f"{'package':>18} {'median s':>9} {'MiB':>6} {'/ plain copy':>13}")
    for name in ("python", "curl", "plain_stdlib_copy"):
        entry = raw[name]
        median = statistics.median(entry["runs_s"])
        size = entry.get("bytes")
        figures[name] = {
            "median_s": round(median, 3),
            "runs_s": [round(r, 3) for r in entry["runs_s"]],
            "mib": round(size / 2**20, 1) if size else None,
            "ratio_to_plain_copy": round(median / baseline, 2),
        }
        mib = f"{size / 2**20:6.1f}" if size else " " * 6
        print(f"{name:>18} {median:>9.3f} {mib} {median / baseline:>13.2f}")
    path = write_results("assemble", {"repeat": args.repeat, "results": figures})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
