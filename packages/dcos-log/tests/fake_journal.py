"""An in-memory journal with sd-journal's matching and positioning rules.

The host has no libsystemd for python3-systemd, so the fast tests read this
instead; the integration suite reads the real journal on a node.

Rules kept from sd-journal: matches of one field are ORed, of different
fields ANDed, terms split by add_disjunction are ORed, groups split by
add_conjunction ANDed; after seek_cursor both next() and previous() land on
the cursor's entry; a move that finds nothing leaves the position where it was.
"""

from __future__ import annotations

import os
from collections import defaultdict

from dcos_log.journal import Entry

HEAD, TAIL = "head", "tail"


def cursor_of(index: int) -> str:
    return f"s=5ca1ab1e;i={index + 1:x};b=b007;m={index + 100:x};t={index + 1000:x};x=f00d"


class JournalStore:
    """The journal's contents, shared by every reader opened on it."""

    def __init__(self, entries: list[dict[str, str]], start_usec: int = 1_500_000_000_000_000):
        self.entries: list[Entry] = []
        self.readers: list[FakeJournal] = []
        self._start = start_usec
        for fields in entries:
            self.append(fields)

    def append(self, fields: dict[str, str]) -> Entry:
        """Write an entry, as journald would, and wake every reader that waits."""
        index = len(self.entries)
        entry = Entry(dict(fields), cursor_of(index), self._start + index * 1_000_000, index + 1)
        self.entries.append(entry)
        for reader in self.readers:
            if not reader.closed:
                os.write(reader._write_fd, b"x")
        return entry

    def open(self) -> FakeJournal:
        reader = FakeJournal(self)
        self.readers.append(reader)
        return reader


class FakeJournal:
    def __init__(self, store: JournalStore) -> None:
        self.store = store
        self._groups: list[list[list[tuple[str, str]]]] = []
        self._terms: list[list[tuple[str, str]]] = []
        self._term: list[tuple[str, str]] = []
        self._position: str | int = HEAD
        self._seek_target: int | None = None
        self._read_fd, self._write_fd = os.pipe()
        self.closed = False

    @property
    def entries(self) -> list[Entry]:
        return self.store.entries

    # -- matches --

    def add_match(self, match: str) -> None:
        field, _, value = match.partition("=")
        self._term.append((field, value))

    def add_disjunction(self) -> None:
        if self._term:
            self._terms.append(self._term)
            self._term = []

    def add_conjunction(self) -> None:
        self.add_disjunction()
        if self._terms:
            self._groups.append(self._terms)
            self._terms = []

    def _matches(self, entry: Entry) -> bool:
        groups = [*self._groups, self._terms + ([self._term] if self._term else [])]
        for terms in groups:
            if terms and not any(self._term_holds(entry, term) for term in terms):
                return False
        return True

    @staticmethod
    def _term_holds(entry: Entry, term: list[tuple[str, str]]) -> bool:
        by_field: dict[str, set[str]] = defaultdict(set)
        for field, value in term:
            by_field[field].add(value)
        return all(entry.fields.get(f) in values for f, values in by_field.items())

    # -- positioning --

    def seek_head(self) -> None:
        self._position, self._seek_target = HEAD, None

    def seek_tail(self) -> None:
        self._position, self._seek_target = TAIL, None

    def seek_cursor(self, cursor: str) -> None:
        for index, entry in enumerate(self.entries):
            if entry.cursor == cursor:
                self._seek_target = index
                return
        self._seek_target = len(self.entries)  # an unknown cursor: past everything

    def test_cursor(self, cursor: str) -> bool:
        return isinstance(self._position, int) and self.entries[self._position].cursor == cursor

    def _candidates(self, forward: bool) -> range:
        n = len(self.entries)
        if self._seek_target is not None:
            t = self._seek_target
            return range(t, n) if forward else range(min(t, n - 1), -1, -1)
        if self._position == HEAD:
            return range(0, n) if forward else range(0)
        if self._position == TAIL:
            return range(n, n) if forward else range(n - 1, -1, -1)
        p = int(self._position)
        return range(p + 1, n) if forward else range(p - 1, -1, -1)

    def _move(self, forward: bool) -> bool:
        for index in self._candidates(forward):
            if self._matches(self.entries[index]):
                self._position, self._seek_target = index, None
                return True
        return False

    def next(self) -> bool:
        return self._move(True)

    def previous(self) -> bool:
        return self._move(False)

    def entry(self) -> Entry:
        assert isinstance(self._position, int), "not on an entry"
        return self.entries[self._position]

    # -- change notification and the rest --

    def fileno(self) -> int:
        return self._read_fd

    def process(self) -> int:
        os.set_blocking(self._read_fd, False)
        try:
            os.read(self._read_fd, 4096)
        except BlockingIOError:
            return 0
        return 1

    def unique_values(self, field: str) -> list[str]:
        return sorted({e.fields[field] for e in self.entries if field in e.fields})

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            os.close(self._read_fd)
            os.close(self._write_fd)
