"""systemd as the integration tests read it."""

from __future__ import annotations

import subprocess


def show(unit: str, *props: str) -> dict[str, str]:
    """`systemctl show` of the named properties of a unit, as a dict."""
    out = subprocess.run(
        ["systemctl", "show", unit, "--property=" + ",".join(props)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
