"""Progress for long work: which step, which node, how long it took.

On a terminal a finished step gets a tick or a cross, and long work (an
image build) shows its latest output on one line that keeps being
rewritten; otherwise every line is plain text with the elapsed time and the
rewritten line is left out, so CI logs read well too.
"""

from __future__ import annotations

import shutil
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
        self._progress_shown = False

    @classmethod
    def silent(cls) -> Status:
        return cls(quiet=True)

    def line(self, message: str) -> None:
        if self._quiet:
            return
        with self._lock:
            self._clear_progress()
            print(message, file=self._stream, flush=True)

    def progress(self, message: str) -> None:
        """Show `message` on the one rewritten line (terminals only; dropped otherwise)."""
        if self._quiet or not self._tty:
            return
        width = shutil.get_terminal_size().columns - 1
        indent = message[: len(message) - len(message.lstrip())]
        text = (indent + " ".join(message.split()))[:width]
        with self._lock:
            self._stream.write("\r\x1b[2K" + text)
            self._stream.flush()
            self._progress_shown = True

    def _clear_progress(self) -> None:
        if self._progress_shown:
            self._stream.write("\r\x1b[2K")
            self._progress_shown = False

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

    def progress(self, message: str) -> None:
        """The latest output of long work, on the rewritten line (terminals only)."""
        self.status.progress(f"     {message}")
