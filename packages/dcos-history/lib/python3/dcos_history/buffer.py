"""The history of the leading Mesos master's /state-summary: last, minute, hour.

Every FETCH_PERIOD_S the service fetches the summary and offers it to each
buffer; a buffer takes one entry per period (2 s for `minute`, 60 s for
`hour`), at most window/period of them, oldest first. A fetch that fails is
stored as `{}`, so gaps in the data show as gaps. The hour buffer is also kept
on disk, one file per entry, so a restarted service still has the last hour
(the time it was down is filled with `{}`).
"""

from __future__ import annotations

import logging
import os
from collections import deque
from datetime import datetime, timedelta
from pathlib import Path

log = logging.getLogger("dcos-history")

FETCH_PERIOD_S = 2
FILE_SUFFIX = ".state-summary.json"
EMPTY = "{}"


class HistoryBuffer:
    def __init__(
        self,
        window_s: int,
        period_s: int,
        directory: Path | None = None,
        now: datetime | None = None,
    ) -> None:
        if window_s % period_s:
            raise ValueError("the window must be a whole number of periods")
        self.size = window_s // period_s
        self.period = timedelta(seconds=period_s)
        self.entries: deque[str] = deque(maxlen=self.size)
        self.directory = directory
        self.next_update: datetime | None = None
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
            self._restore(now or datetime.now())

    def _files(self) -> list[Path]:
        assert self.directory is not None
        return sorted(p for p in self.directory.iterdir() if p.name.endswith(FILE_SUFFIX))

    def _restore(self, now: datetime) -> None:
        """Load the entries left on disk, with `{}` for the periods nothing was stored."""
        previous: datetime | None = None
        for path in self._files()[-self.size :]:
            try:
                stamp = datetime.fromisoformat(path.name[: -len(FILE_SUFFIX)])
                content = path.read_text()
            except (OSError, ValueError):
                continue
            if previous is not None:
                self._fill_gap(previous, stamp)
            self.entries.append(content)
            previous = stamp
        if previous is not None:
            self._fill_gap(previous, now)
            self.next_update = previous + self.period
            while self.next_update <= now - self.period:
                self.next_update += self.period

    def _fill_gap(self, since: datetime, until: datetime) -> None:
        missing = int((until - since) / self.period) - 1
        for _ in range(min(max(missing, 0), self.size)):
            self.entries.append(EMPTY)

    def offer(self, when: datetime, summary: str) -> bool:
        """Store `summary` if this buffer's next period has come; returns whether it did."""
        if self.next_update is not None and when < self.next_update:
            return False
        self.entries.append(summary)
        self.next_update = (self.next_update or when) + self.period
        if self.next_update <= when:  # a long pause: align to now
            self.next_update = when + self.period
        if self.directory is not None:
            self._persist(when, summary)
        return True

    def _persist(self, when: datetime, summary: str) -> None:
        assert self.directory is not None
        path = self.directory / f"{when.isoformat(timespec='microseconds')}{FILE_SUFFIX}"
        tmp = path.with_suffix(".tmp")
        try:
            tmp.write_text(summary)
            os.replace(tmp, path)
            for old in self._files()[: -self.size]:
                old.unlink(missing_ok=True)
        except OSError as exc:  # the history in memory is what is served; disk is a bonus
            log.warning("cannot keep history on disk: %s", exc)

    def dump(self) -> list[str]:
        return list(self.entries)


class History:
    def __init__(self, directory: Path | None) -> None:
        self.last = HistoryBuffer(FETCH_PERIOD_S, FETCH_PERIOD_S)
        self.minute = HistoryBuffer(60, FETCH_PERIOD_S)
        self.hour = HistoryBuffer(3600, 60, directory / "hour" if directory else None)

    def add(self, when: datetime, summary: str) -> None:
        for buffer in (self.last, self.minute, self.hour):
            buffer.offer(when, summary)

    def buffer(self, name: str) -> HistoryBuffer:
        return {"last": self.last, "minute": self.minute, "hour": self.hour}[name]
