"""Progress for long work: which step, which node, how long it took.

On a terminal a finished step gets a tick or a cross; otherwise every line is
plain text with the elapsed time, so CI logs read well too.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO


class Status:
    def __init__(self, stream: TextIO | None = None, quiet: bool = False) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._quiet = quiet
        self._lock = threading.Lock()
        self._tty = self._stream.isatty()
        self._start = time.monotonic()

    @classmethod
    def silent(cls) -> Status:
        return cls(quiet=True)

    def line(self, message: str) -> None:
        if self._quiet:
            return
        with self._lock:
            print(message, file=self._stream, flush=True)

    @contextmanager
    def step(self, title: str) -> Iterator[Step]:
        """Run a step: prints its title, then ✓/✗ (or ok/failed) with its duration."""
        step = Step(self, title)
        self.line(f" • {title} ..." if self._tty else f"[{self.elapsed():6.1f}s] {title} ...")
        try:
            yield step
        except BaseException:
            self._end(step, ok=False)
            raise
        self._end(step, ok=True)

    def elapsed(self) -> float:
        return time.monotonic() - self._start

    def _end(self, step: Step, ok: bool) -> None:
        took = time.monotonic() - step.started
        if self._tty:
            mark = "\u2713" if ok else "\u2717"
            self.line(f" {mark} {step.title} ({took:.1f} s)")
        else:
            self.line(
                f"[{self.elapsed():6.1f}s] {step.title}: {'ok' if ok else 'FAILED'} ({took:.1f} s)"
            )


class Step:
    def __init__(self, status: Status, title: str) -> None:
        self.status = status
        self.title = title
        self.started = time.monotonic()

    def update(self, message: str) -> None:
        """A sub-event of the step, such as one node finishing."""
        took = time.monotonic() - self.started
        self.status.line(f"     {message} ({took:.1f} s)")
