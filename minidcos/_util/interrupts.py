"""Hold Ctrl-C (SIGINT) and SIGTERM while a step must not be cut in half.

An engine call interrupted half way (a network being created, a cleanup
being run) leaves an object behind that nobody knows of. Inside
`deferred_interrupts()` a signal is only noted; when the block ends, it is
raised as KeyboardInterrupt, so the caller's cleanup sees a whole step.
Signals reach only the main thread, so elsewhere this does nothing.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

HELD = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def deferred_interrupts() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def note(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    previous = {signum: signal.signal(signum, note) for signum in HELD}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if received:
            raise KeyboardInterrupt
