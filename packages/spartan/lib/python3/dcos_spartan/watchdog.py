"""Restart spartan when it stops answering.

systemd's Restart=always covers a dnsmasq that exits; this covers one that
is still running but no longer answers (hung, lost its addresses, ...).
As in DC/OS, it is a one-shot that dcos-spartan-watchdog.timer starts every
two minutes: one round asks a few times, a second apart, and restarts
spartan only if every try failed.
"""

from __future__ import annotations

import logging
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass

from dcos_spartan import READY_NAME, SPARTAN_ADDRESSES, SPARTAN_UNIT, probe

log = logging.getLogger("dcos-spartan-watchdog")


@dataclass
class Watchdog:
    probe: Callable[[], bool]  # does spartan answer ready.spartan?
    unit_active: Callable[[], bool]  # is the unit up (not stopped, not starting)?
    restart: Callable[[], None]
    failures_before_restart: int = 3
    failures: int = 0

    def check(self) -> bool:
        """One round; True if it restarted spartan."""
        if not self.unit_active():
            # Stopped on purpose, or systemd is (re)starting it: not ours to judge.
            self.failures = 0
            return False
        if self.probe():
            self.failures = 0
            return False
        self.failures += 1
        log.warning(
            "spartan did not answer (%d of %d failures before a restart)",
            self.failures,
            self.failures_before_restart,
        )
        if self.failures < self.failures_before_restart:
            return False
        log.error("spartan did not answer %d times in a row: restarting it", self.failures)
        self.failures = 0
        self.restart()
        return True

    def round(self, tries: int, interval: float, sleep: Callable[[float], None]) -> bool:
        """One watchdog run: up to `tries` checks; True if it restarted spartan."""
        for attempt in range(tries):
            if attempt:
                sleep(interval)
            restarted = self.check()
            if restarted or self.failures == 0:
                return restarted
        return False


def _unit_active(unit: str) -> bool:
    # `is-active` prints "active" only for a running unit, not for
    # "activating" (auto-restart in progress) or "inactive".
    out = subprocess.run(["systemctl", "is-active", unit], capture_output=True, text=True)
    return out.stdout.strip() == "active"


def _restart(unit: str) -> None:
    subprocess.run(["systemctl", "restart", "--no-block", unit], check=True)


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    interval = float(os.environ.get("SPARTAN_WATCHDOG_INTERVAL", "1"))
    timeout = float(os.environ.get("SPARTAN_WATCHDOG_TIMEOUT", "1"))
    failures = int(os.environ.get("SPARTAN_WATCHDOG_FAILURES", "3"))
    address = SPARTAN_ADDRESSES[0]
    watchdog = Watchdog(
        probe=lambda: probe.is_ready(address, timeout=timeout),
        unit_active=lambda: _unit_active(SPARTAN_UNIT),
        restart=lambda: _restart(SPARTAN_UNIT),
        failures_before_restart=failures,
    )
    if watchdog.round(tries=failures, interval=interval, sleep=time.sleep):
        log.error("%s did not answer %s: restarted %s", address, READY_NAME, SPARTAN_UNIT)
    else:
        log.info(
            "%s answers %s (or %s is not running: systemd's to restart)",
            address,
            READY_NAME,
            SPARTAN_UNIT,
        )
    return 0
