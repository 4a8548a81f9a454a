"""Reading the node's journal with dcos-log's positioning rules.

dcos-log moves a journal reader with `cursor`, `skip_next` and `skip_prev`
and then reads forward (or backward with `read_reverse`) up to `limit`
entries. Where the reader ends up decides whether the first entry read is the
one under the reader or the one after it; those rules are DC/OS's and are kept
here exactly:

- no position: reading starts with the first entry (the journal's head);
- `cursor`: the reader sits on that entry, which is *not* returned again;
- `skip_next=N` / `skip_prev=N` move N entries (`skip_prev` without a cursor
  counts back from the tail) and the entry reached *is* returned, so
  `skip_prev=10&limit=10` is the last ten entries.

The journal itself is anything with sd-journal's calls (`Journal` below wraps
python3-systemd's reader); the fast tests pass an in-memory one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

# A cursor is six `key=value` parts in this order (sd-journal's format).
_CURSOR = re.compile(
    r"^s=[^;]{0,33};i=[0-9a-fA-F]+;b=[^;]{0,33};m=[0-9a-fA-F]+;t=[0-9a-fA-F]+;x=[0-9a-fA-F]+$"
)


class CursorError(ValueError):
    pass


@dataclass(frozen=True)
class Entry:
    fields: dict[str, str]
    cursor: str
    realtime_usec: int
    monotonic_usec: int


@dataclass(frozen=True)
class Match:
    field: str
    value: str

    def __str__(self) -> str:
        return f"{self.field}={self.value}"


class JournalLike(Protocol):
    def add_match(self, match: str) -> None: ...
    def add_disjunction(self) -> None: ...
    def add_conjunction(self) -> None: ...
    def seek_head(self) -> None: ...
    def seek_tail(self) -> None: ...
    def seek_cursor(self, cursor: str) -> None: ...
    def test_cursor(self, cursor: str) -> bool: ...
    def next(self) -> bool: ...
    def previous(self) -> bool: ...
    def entry(self) -> Entry: ...
    def close(self) -> None: ...


class Journal:
    """python3-systemd's reader, seen through JournalLike (on nodes only)."""

    def __init__(self) -> None:
        from systemd import _reader  # Debian's python3-systemd

        self._reader: Any = _reader._Reader()
        self._reader.seek_head()

    def add_match(self, match: str) -> None:
        self._reader.add_match(match)

    def add_disjunction(self) -> None:
        self._reader.add_disjunction()

    def add_conjunction(self) -> None:
        self._reader.add_conjunction()

    def seek_head(self) -> None:
        self._reader.seek_head()

    def seek_tail(self) -> None:
        self._reader.seek_tail()

    def seek_cursor(self, cursor: str) -> None:
        try:
            self._reader.seek_cursor(cursor)
        except OSError as exc:
            raise CursorError(f"Cursor {cursor} not found: {exc}") from exc

    def test_cursor(self, cursor: str) -> bool:
        try:
            return bool(self._reader.test_cursor(cursor))
        except OSError:
            return False

    def next(self) -> bool:
        return bool(self._reader._next())

    def previous(self) -> bool:
        return bool(self._reader._previous())

    def entry(self) -> Entry:
        fields: dict[str, str] = {}
        for key, value in self._reader._get_all().items():
            if isinstance(value, list):  # a field that appears twice: keep the last
                value = value[-1]
            fields[key] = (
                value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
            )
        monotonic = self._reader._get_monotonic()
        return Entry(
            fields=fields,
            cursor=self._reader._get_cursor(),
            realtime_usec=int(self._reader._get_realtime()),
            monotonic_usec=int(monotonic[0] if isinstance(monotonic, tuple) else monotonic),
        )

    def fileno(self) -> int:
        return int(self._reader.fileno())

    def process(self) -> int:
        return int(self._reader.process())

    def unique_values(self, field: str) -> list[str]:
        values = self._reader.query_unique(field)
        return sorted(
            v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in values
        )

    def close(self) -> None:
        self._reader.close()


def validate_cursor(cursor: str) -> None:
    if not _CURSOR.match(cursor):
        raise CursorError("Incorrect cursor string")


@dataclass
class Position:
    cursor: str = ""
    skip_next: int = 0
    skip_prev: int = 0
    read_reverse: bool = False


class JournalReader:
    """Entries of a journal from a Position, at most `limit` of them (0: no limit)."""

    def __init__(
        self,
        journal: JournalLike,
        position: Position,
        limit: int = 0,
        matches: list[Match] | None = None,
        any_of: list[Match] | None = None,
    ) -> None:
        """`matches` must all hold; when `any_of` is given, one of it must hold as well."""
        self.journal = journal
        self.read_reverse = position.read_reverse
        self.remaining = limit if limit > 0 else None
        self.skipped_next = 0
        self.skipped_prev = 0
        # Whether the reader sits on an entry that the first read returns.
        self._on_unread_entry = False
        if any_of:
            for match in any_of:
                journal.add_match(str(match))
                journal.add_disjunction()
            if matches:
                journal.add_conjunction()
        for match in matches or []:
            journal.add_match(str(match))
        if position.cursor:
            validate_cursor(position.cursor)
            journal.seek_cursor(position.cursor)
            if not journal.next() or not journal.test_cursor(position.cursor):
                raise CursorError(f"Cursor {position.cursor} not found")
        if position.skip_next:
            self.skipped_next = self._step(position.skip_next, forward=True)
            self._on_unread_entry = self._on_unread_entry or self.skipped_next > 0
        if position.skip_prev:
            if not position.cursor:
                # Counting back from the end, whatever skip_next did.
                journal.seek_tail()
                self._on_unread_entry = False
            self.skipped_prev = self._step(position.skip_prev, forward=False)
            self._on_unread_entry = self._on_unread_entry or self.skipped_prev > 0

    def _step(self, count: int, forward: bool) -> int:
        moved = 0
        move = self.journal.next if forward else self.journal.previous
        while moved < count and move():
            moved += 1
        return moved

    @property
    def exhausted(self) -> bool:
        """The limit is reached: nothing more will be read, even if the journal grows."""
        return self.remaining is not None and self.remaining <= 0

    def read(self) -> Entry | None:
        """The next entry, or None at the end of the journal (for now) or of the limit."""
        if self.exhausted:
            return None
        if self._on_unread_entry:
            self._on_unread_entry = False
        elif not (self.journal.previous() if self.read_reverse else self.journal.next()):
            return None
        if self.remaining is not None:
            self.remaining -= 1
        return self.journal.entry()

    def give_back(self) -> None:
        """Un-count the entry just read (it produced no output, as text without MESSAGE)."""
        if self.remaining is not None:
            self.remaining += 1

    def close(self) -> None:
        self.journal.close()
