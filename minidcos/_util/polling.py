"""One way to wait: call a probe until it says yes, or give up with the last answer it gave.

Standard library only: the harness's readiness checks use it on the host,
and the installer ships this same file into the dcos-integration-test
package (as `polling.py`), so the integration suite on a node uses it too.

    answer = wait_for(lambda: probe_leader(), timeout_s=30, what="a Mesos leader")

A probe returns a `Poll` (or any value: truthy means done). Exceptions named
in `transient` mean "not yet" and are recorded as the last answer; any other
exception propagates at once. The clock and sleep are injectable, so tests
of waiting never sleep.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Poll(Generic[T]):
    """A probe's answer: whether it is done, the value to return, and what it saw."""

    done: bool
    value: T | None = None
    detail: str = ""


class PollTimeoutError(TimeoutError):
    """The probe did not say yes in time; carries what it last said."""

    def __init__(self, what: str, waited_s: float, last: str) -> None:
        self.what = what
        self.waited_s = waited_s
        self.last = last
        super().__init__(f"{what}: not done after {waited_s:.1f} s; last answer: {last}")


def wait_for(
    probe: Callable[[], Any],
    timeout_s: float,
    what: str = "condition",
    *,
    interval_s: float = 0.25,
    max_interval_s: float = 2.0,
    backoff: float = 1.5,
    transient: tuple[type[BaseException], ...] = (OSError, ValueError),
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Any:
    """Call `probe` until it is done; return its value (a Poll's `value`, or the truthy answer)."""
    start = clock()
    deadline = start + timeout_s
    delay = interval_s
    last = "no answer yet"
    while True:
        try:
            answer = probe()
        except transient as exc:
            answer = Poll(False, None, f"{type(exc).__name__}: {exc}")
        if isinstance(answer, Poll):
            if answer.done:
                return answer.value
            last = answer.detail or last
        elif answer:
            return answer
        else:
            last = repr(answer)
        now = clock()
        if now >= deadline:
            raise PollTimeoutError(what, now - start, last)
        sleep(min(delay, max(0.0, deadline - now)))
        delay = min(delay * backoff, max_interval_s)
