"""The launch queue: how many instances of which run spec still wait for an offer.

Also the launch backoff (Marathon's RateLimiter): each failed task multiplies
the delay before the next launch of that run spec's configuration by
`backoffFactor`, from `backoffSeconds` up to `maxLaunchDelaySeconds`; a new
configuration, a restart or `DELETE /v2/queue/<id>/delay` resets it.
And the offer statistics `/v2/queue` reports (`processedOffersSummary`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from . import runspecs, timestamps
from .matcher import REASON_FUNNEL


@dataclass
class OfferStats:
    processed: int = 0
    unused: int = 0
    last_unused_at: str | None = None
    last_used_at: str | None = None
    launch_attempt: dict[str, int] = field(default_factory=dict)  # funnel reason -> offers
    last_by_agent: dict[str, tuple[dict[str, Any], list[str], str]] = field(default_factory=dict)

    def used(self, offer: dict[str, Any]) -> None:
        self.processed += 1
        self.last_used_at = timestamps.now()
        self.last_by_agent.pop(offer["agent_id"]["value"], None)

    def unused_offer(self, offer: dict[str, Any], reasons: list[str]) -> None:
        self.processed += 1
        self.unused += 1
        now = timestamps.now()
        self.last_unused_at = now
        reason = min(reasons, key=REASON_FUNNEL.index)
        self.launch_attempt[reason] = self.launch_attempt.get(reason, 0) + 1
        self.last_by_agent[offer["agent_id"]["value"]] = (offer, reasons, now)

    def summary(self) -> dict[str, Any]:
        last: dict[str, int] = {}
        for _, reasons, _ in self.last_by_agent.values():
            reason = min(reasons, key=REASON_FUNNEL.index)
            last[reason] = last.get(reason, 0) + 1
        out: dict[str, Any] = {
            "processedOffersCount": self.processed,
            "unusedOffersCount": self.unused,
        }
        if self.last_unused_at:
            out["lastUnusedOfferAt"] = self.last_unused_at
        if self.last_used_at:
            out["lastUsedOfferAt"] = self.last_used_at
        out["rejectSummaryLastOffers"] = funnel_steps(len(self.last_by_agent), last)
        out["rejectSummaryLaunchAttempt"] = funnel_steps(self.processed, self.launch_attempt)
        return out


def funnel_steps(processed: int, declined: dict[str, int]) -> list[dict[str, Any]]:
    """`DeclinedOfferStep`s: each reason with the offers it declined, of those still in play."""
    steps = []
    for reason in REASON_FUNNEL:
        count = declined.get(reason, 0)
        steps.append({"reason": reason, "declined": count, "processed": processed})
        processed -= count
    return steps


@dataclass
class Entry:
    spec: dict[str, Any]
    to_launch: int
    since: str
    stats: OfferStats = field(default_factory=OfferStats)


@dataclass
class Delay:
    current: float  # the delay the last failure set
    until: float  # no launches before this (monotonic seconds)
    max_delay: float


class LaunchQueue:
    def __init__(self, clock: Any = time.monotonic) -> None:
        self.entries: dict[str, Entry] = {}
        self.delays: dict[tuple[str, str], Delay] = {}
        self.clock = clock

    @staticmethod
    def _delay_key(spec: dict[str, Any]) -> tuple[str, str]:
        return (
            spec["id"],
            (spec.get("versionInfo") or {}).get("lastConfigChangeAt", spec.get("version", "")),
        )

    def add(self, spec: dict[str, Any], count: int) -> None:
        if count <= 0:
            return
        entry = self.entries.get(spec["id"])
        if entry is None:
            self.entries[spec["id"]] = Entry(spec, count, timestamps.now())
        else:
            entry.spec = spec
            entry.to_launch += count

    def set_spec(self, spec: dict[str, Any]) -> None:
        entry = self.entries.get(spec["id"])
        if entry is not None:
            entry.spec = spec

    def count(self, spec_id: str) -> int:
        entry = self.entries.get(spec_id)
        return entry.to_launch if entry else 0

    def reduce(self, spec_id: str, count: int) -> None:
        entry = self.entries.get(spec_id)
        if entry is None:
            return
        entry.to_launch = max(0, entry.to_launch - count)

    def launched(self, spec_id: str) -> None:
        self.reduce(spec_id, 1)

    def purge(self, spec_id: str) -> None:
        self.entries.pop(spec_id, None)

    def cleanup(self) -> None:
        """Forget finished entries (their statistics end with the launch attempt)."""
        for spec_id in [k for k, e in self.entries.items() if e.to_launch <= 0]:
            del self.entries[spec_id]

    # --- backoff ---------------------------------------------------------------------

    def delay_left(self, spec: dict[str, Any]) -> float:
        delay = self.delays.get(self._delay_key(spec))
        return 0.0 if delay is None else delay.until - self.clock()

    def is_delayed(self, spec: dict[str, Any]) -> bool:
        return self.delay_left(spec) > 0

    def add_delay(self, spec: dict[str, Any]) -> float:
        initial, factor, maximum = runspecs.backoff(spec)
        key = self._delay_key(spec)
        now = self.clock()
        delay = self.delays.get(key)
        current = (
            float(initial) if delay is None else min(delay.current * float(factor), float(maximum))
        )
        self.delays[key] = Delay(current, now + current, float(maximum))
        return current

    def reset_delay(self, spec: dict[str, Any]) -> None:
        self.delays.pop(self._delay_key(spec), None)

    def reset_delays_of(self, spec_id: str) -> None:
        for key in [k for k in self.delays if k[0] == spec_id]:
            del self.delays[key]

    def expire_delays(self) -> None:
        """A delay long over (by its maximum) is forgotten: the next failure starts afresh."""
        now = self.clock()
        for key in [k for k, d in self.delays.items() if d.until + d.max_delay < now]:
            del self.delays[key]

    def launchable(self) -> list[Entry]:
        return [e for e in self.entries.values() if e.to_launch > 0 and not self.is_delayed(e.spec)]

    def next_delay_end(self) -> float | None:
        ends = [
            self.delay_left(e.spec)
            for e in self.entries.values()
            if e.to_launch > 0 and self.is_delayed(e.spec)
        ]
        return min(ends) if ends else None
