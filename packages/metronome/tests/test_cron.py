"""Metronome's cron dialect: what parses, what does not, and when it fires."""

from __future__ import annotations

import datetime as dt

import pytest
from dcos_metronome import cron

UTC = dt.UTC


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("* * * * *", at(2024, 1, 1, 0, 0, 30), at(2024, 1, 1, 0, 1)),
        ("* * * * *", at(2024, 1, 1, 0, 1), at(2024, 1, 1, 0, 2)),  # strictly after
        ("*/15 * * * *", at(2024, 1, 1, 0, 16), at(2024, 1, 1, 0, 30)),
        ("5/20 * * * *", at(2024, 1, 1, 0, 46), at(2024, 1, 1, 1, 5)),
        ("0 9-17/4 * * *", at(2024, 1, 1, 13, 1), at(2024, 1, 1, 17, 0)),
        ("20 0 * * *", at(2024, 1, 1, 0, 20), at(2024, 1, 2, 0, 20)),
        ("0 0 1 JAN *", at(2024, 6, 1), at(2025, 1, 1)),
        ("0 0 * * MON-FRI", at(2024, 3, 9), at(2024, 3, 11)),  # Saturday -> Monday
        ("0 0 * * 0", at(2024, 3, 4), at(2024, 3, 10)),  # 0 is Sunday
        ("0 0 * * 7", at(2024, 3, 4), at(2024, 3, 10)),  # and so is 7
        ("0 0 L * *", at(2024, 2, 2), at(2024, 2, 29)),
        ("0 0 L-2 * *", at(2024, 2, 2), at(2024, 2, 27)),
        ("0 0 15W * *", at(2024, 6, 1), at(2024, 6, 14)),  # the 15th is a Saturday
        ("0 0 1W * *", at(2024, 5, 31), at(2024, 6, 3)),  # the 1st is a Saturday
        ("0 0 LW * *", at(2024, 3, 1), at(2024, 3, 29)),  # 31 March 2024 is a Sunday
        ("0 0 * * 5L", at(2024, 3, 1), at(2024, 3, 29)),
        ("0 0 * * 1#2", at(2024, 3, 1), at(2024, 3, 11)),
        ("0 0 13 * 5", at(2024, 1, 1), at(2024, 9, 13)),  # both: the next Friday the 13th
        ("0 0 29 2 *", at(2024, 3, 1), at(2028, 2, 29)),
        ("0 0 1 1 * 2030", at(2024, 3, 1), at(2030, 1, 1)),
    ],
)
def test_next_firing(expression: str, after: dt.datetime, expected: dt.datetime) -> None:
    assert cron.parse(expression).next_after(after) == expected


def test_time_zone_and_daylight_saving() -> None:
    expression = cron.parse("30 2 * * *")
    # 02:30 does not exist in New York on 10 March 2024: the next one is on the 11th (EDT).
    assert expression.next_after(at(2024, 3, 9, 12), "America/New_York") == at(2024, 3, 11, 6, 30)
    # 01:30 happens twice on 3 November 2024: it fires once, at the first (EDT, 05:30 UTC).
    fold = cron.parse("30 1 * * *")
    assert fold.next_after(at(2024, 11, 3, 4), "America/New_York") == at(2024, 11, 3, 5, 30)
    assert fold.next_after(at(2024, 11, 3, 5, 30), "America/New_York") == at(2024, 11, 4, 6, 30)
    # Half-hour zones shift the day boundary but not the minute grid.
    assert cron.parse("0 0 * * *").next_after(at(2024, 1, 1), "Asia/Kolkata") == at(
        2024, 1, 1, 18, 30
    )


@pytest.mark.parametrize(
    "expression",
    [
        "",
        "* * * *",
        "* * * * * * *",
        "60 * * * *",
        "* 24 * * *",
        "* * 0 * *",
        "* * * 13 *",
        "* * * * 8",
        "* * ? * MON",
        "*/0 * * * *",
        "5-1 * * * *",
        "a * * * *",
        "1,,2 * * * *",
        "* * * * 1#9",
    ],
)
def test_rejects(expression: str) -> None:
    assert not cron.is_valid(expression)


def test_text_is_normalised() -> None:
    assert str(cron.parse("  0   0 * * *  ")) == "0 0 * * *"


def test_never_fires_again() -> None:
    with pytest.raises(cron.CronError):
        cron.parse("0 0 1 1 * 2020").next_after(at(2024, 1, 1))
