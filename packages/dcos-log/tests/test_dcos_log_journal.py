"""dcos-log's positioning rules (cursor, skip_next, skip_prev, limit, read_reverse)."""

from __future__ import annotations

import pytest
from dcos_log import formats, params
from dcos_log.journal import CursorError, Entry, JournalReader, Match, Position
from fake_journal import JournalStore, cursor_of


def store_of(count: int) -> JournalStore:
    return JournalStore(
        [{"MESSAGE": f"line {i}", "_SYSTEMD_UNIT": "a.service"} for i in range(count)]
    )


def read_all(reader: JournalReader) -> list[str]:
    out = []
    while (entry := reader.read()) is not None:
        out.append(entry.fields["MESSAGE"])
    return out


def test_from_the_head_with_a_limit() -> None:
    store = store_of(20)
    assert read_all(JournalReader(store.open(), Position(), limit=10)) == [
        f"line {i}" for i in range(10)
    ]


def test_skip_prev_counts_back_from_the_tail_and_includes_the_entry_reached() -> None:
    store = store_of(20)
    reader = JournalReader(store.open(), Position(skip_prev=10), limit=10)
    assert read_all(reader) == [f"line {i}" for i in range(10, 20)]
    assert reader.skipped_prev == 10


def test_skip_prev_beyond_the_head_reports_what_it_skipped() -> None:
    store = store_of(3)
    reader = JournalReader(store.open(), Position(skip_prev=10))
    assert reader.skipped_prev == 3
    assert read_all(reader) == ["line 0", "line 1", "line 2"]


def test_a_cursor_is_excluded_and_skip_prev_from_it_is_included() -> None:
    store = store_of(10)
    after = JournalReader(store.open(), Position(cursor=cursor_of(4)), limit=2)
    assert read_all(after) == ["line 5", "line 6"]
    around = JournalReader(store.open(), Position(cursor=cursor_of(4), skip_prev=2), limit=3)
    assert read_all(around) == ["line 2", "line 3", "line 4"]


def test_skip_next_from_the_head() -> None:
    store = store_of(10)
    reader = JournalReader(store.open(), Position(skip_next=3), limit=2)
    assert reader.skipped_next == 3
    assert read_all(reader) == ["line 2", "line 3"]


def test_read_reverse_from_the_tail() -> None:
    store = store_of(5)
    reader = JournalReader(store.open(), Position(skip_prev=1, read_reverse=True), limit=3)
    assert read_all(reader) == ["line 4", "line 3", "line 2"]


def test_bad_or_unknown_cursors() -> None:
    store = store_of(3)
    with pytest.raises(CursorError, match="Incorrect cursor string"):
        JournalReader(store.open(), Position(cursor="nonsense"))
    with pytest.raises(CursorError, match="not found"):
        JournalReader(store.open(), Position(cursor=cursor_of(99)))


def test_matches_and_alternatives() -> None:
    store = JournalStore(
        [
            {"MESSAGE": "a", "_SYSTEMD_UNIT": "x.service", "STREAM": "STDOUT"},
            {"MESSAGE": "b", "UNIT": "x.service", "STREAM": "STDERR"},
            {"MESSAGE": "c", "_SYSTEMD_UNIT": "y.service", "STREAM": "STDOUT"},
            {"MESSAGE": "d", "UNIT": "x.service", "STREAM": "STDOUT"},
        ]
    )
    either = [Match("UNIT", "x.service"), Match("_SYSTEMD_UNIT", "x.service")]
    assert read_all(JournalReader(store.open(), Position(), any_of=either)) == ["a", "b", "d"]
    stdout = [Match("STREAM", "STDOUT")]
    assert read_all(JournalReader(store.open(), Position(), matches=stdout, any_of=either)) == [
        "a",
        "d",
    ]
    both_streams = [Match("STREAM", "STDOUT"), Match("STREAM", "STDERR")]
    assert read_all(JournalReader(store.open(), Position(), matches=both_streams)) == [
        "a",
        "b",
        "c",
        "d",
    ]


def test_a_reader_at_the_end_sees_what_is_appended_later() -> None:
    store = store_of(2)
    reader = JournalReader(store.open(), Position(skip_prev=1))
    assert read_all(reader) == ["line 1"]
    store.append({"MESSAGE": "later"})
    assert read_all(reader) == ["later"]


def test_formats() -> None:
    entry = Entry({"MESSAGE": "hello"}, cursor_of(0), 1_500_000_000_000_000, 7)
    line = formats.render(entry, formats.Format.TEXT, with_id=False)
    assert line is not None and line.endswith(b": hello\n")
    assert formats.render(Entry({}, "c", 0, 0), formats.Format.TEXT, False) is None
    event = formats.render(entry, formats.Format.SSE, with_id=True)
    assert event is not None and event.startswith(f"id: {cursor_of(0)}\ndata: {{".encode())
    assert formats.from_accept("application/json") is formats.Format.JSON
    assert formats.from_accept("text/event-stream; q=1") is formats.Format.SSE
    assert formats.from_accept(None) is formats.Format.TEXT


@pytest.mark.parametrize(
    ("query", "stream", "message"),
    [
        ({"limit": "x"}, False, "Error parsing paramter `limit`"),
        ({"limit": "3"}, True, "Unable to stream events with `limit` parameter"),
        ({"skip_prev": "-1"}, False, "Error parsing parameter skip_prev"),
        ({"read_reverse": "true"}, True, "Unable to stream events with `read_reverse`"),
    ],
)
def test_parameter_errors(query: dict[str, str], stream: bool, message: str) -> None:
    with pytest.raises(params.ParamError, match=message):
        params.limit(query, stream)
        params.v1_position(query, stream, None)


def test_filter_format() -> None:
    assert params.filters(["stream:STDOUT"]) == [Match("STREAM", "STDOUT")]
    with pytest.raises(params.ParamError, match="must be"):
        params.filters(["a:b:c"])


def test_v2_cursor_words_and_signed_skip() -> None:
    assert params.v2_position({"cursor": "END"}, None) == Position(skip_prev=1)
    assert params.v2_position({"cursor": "BEG", "skip": "5"}, None) == Position(skip_next=5)
    assert params.v2_position({"skip": "-10"}, None) == Position(skip_prev=10)
    assert params.v2_position({"skip": "-10"}, "abc") == Position(cursor="abc", skip_prev=10)
