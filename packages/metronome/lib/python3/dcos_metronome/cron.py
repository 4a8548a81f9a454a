"""Cron expressions as Metronome accepts them, and their next firing time in a time zone.

Metronome 0.3 parses schedules with cron-utils under this definition:
minute, hour, day of month, month, day of week, and an optional year.
Every field takes `*`, numbers, ranges `a-b`, lists `a,b`, and steps
`*/n`, `a/n`, `a-b/n`. Months take JAN-DEC, days of week MON-SUN (0 and 7
are Sunday, 1 is Monday). Day of month also takes `L` (last day), `L-n`
(n days before the last), `nW` (the weekday nearest day n) and `LW` (the
last weekday); day of week takes `nL` (the last weekday n of the month) and
`n#k` (the k-th weekday n). `?` is not accepted. When both day of month and
day of week are restricted, a day must match both (cron-utils'
`matchDayOfWeekAndDayOfMonth`), unlike Vixie cron's either-or.

Times are evaluated in the schedule's IANA time zone (zoneinfo): a local
time that a DST gap skips does not fire, one that a DST fold repeats fires
once, at its first occurrence.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

MONTH_NAMES = {
    name: number
    for number, name in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1
    )
}
# Day-of-week numbers as Metronome's definition gives them: Monday is 1, Sunday 0 (and 7).
DOW_NAMES = {"MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6, "SUN": 0}
MAX_YEAR = 2099
# How far ahead to search before giving up (a 30 February never comes).
SEARCH_YEARS = 30


class CronError(ValueError):
    """The expression is not a cron expression Metronome accepts."""


DayRule = Callable[[int, int, int], bool]  # (year, month, day) -> matches


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: dict[str, int]


MINUTE = _Field("minute", 0, 59, {})
HOUR = _Field("hour", 0, 23, {})
DAY_OF_MONTH = _Field("day of month", 1, 31, {})
MONTH = _Field("month", 1, 12, MONTH_NAMES)
DAY_OF_WEEK = _Field("day of week", 0, 7, DOW_NAMES)
YEAR = _Field("year", 1970, MAX_YEAR, {})


def _number(token: str, field: _Field) -> int:
    upper = token.upper()
    if upper in field.names:
        return field.names[upper]
    if not token.isdigit():
        raise CronError(f"invalid value {token!r} in {field.name}")
    value = int(token)
    if not field.low <= value <= field.high:
        raise CronError(f"value {value} not in range [{field.low}, {field.high}] of {field.name}")
    return value


def _values(part: str, field: _Field) -> set[int]:
    """One comma-separated element of a plain field: `*`, `a`, `a-b`, with an optional `/n`."""
    step = 1
    if "/" in part:
        part, _, step_text = part.partition("/")
        if not step_text.isdigit() or int(step_text) == 0:
            raise CronError(f"invalid step {step_text!r} in {field.name}")
        step = int(step_text)
        if part in ("", "*"):
            part = "*"
        elif "-" not in part:
            # `a/n`: from a to the end of the range, every n.
            return set(range(_number(part, field), field.high + 1, step))
    if part == "*":
        low, high = field.low, field.high
    elif "-" in part:
        first, _, last = part.partition("-")
        low, high = _number(first, field), _number(last, field)
        if low > high:
            raise CronError(f"range {part!r} of {field.name} runs backwards")
    else:
        low = high = _number(part, field)
    return set(range(low, high + 1, step))


def _plain(text: str, field: _Field) -> set[int]:
    values: set[int] = set()
    for part in text.split(","):
        if not part:
            raise CronError(f"empty element in {field.name}")
        values |= _values(part, field)
    return values


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _nearest_weekday(year: int, month: int, day: int) -> int:
    """cron's `W`: the weekday nearest `day`, never leaving the month."""
    last = _last_day(year, month)
    day = min(day, last)
    weekday = dt.date(year, month, day).weekday()  # Monday 0 .. Sunday 6
    if weekday == 5:  # Saturday: Friday before, or Monday after on the 1st
        return day - 1 if day > 1 else day + 2
    if weekday == 6:  # Sunday: Monday after, or Friday before on the last day
        return day + 1 if day < last else day - 2
    return day


def _cron_weekday(year: int, month: int, day: int) -> int:
    """The day of week in cron's numbering: Sunday 0, Monday 1 ... Saturday 6."""
    return (dt.date(year, month, day).weekday() + 1) % 7


def _day_of_month_rule(text: str) -> DayRule | None:
    """None means `*` (no restriction)."""
    if text == "*":
        return None
    rules = [_day_of_month_element(part) for part in text.split(",")]
    return lambda y, m, d: any(rule(y, m, d) for rule in rules)


def _day_of_month_element(part: str) -> DayRule:
    upper = part.upper()
    if not part:
        raise CronError("empty element in day of month")
    if upper == "L":
        return lambda y, m, d: d == _last_day(y, m)
    if upper.startswith("L-") and upper[2:].isdigit():
        before = int(upper[2:])
        return lambda y, m, d: d == _last_day(y, m) - before
    if upper == "LW":
        return lambda y, m, d: d == _nearest_weekday(y, m, _last_day(y, m))
    if upper.endswith("W") and upper[:-1].isdigit():
        target = _number(upper[:-1], DAY_OF_MONTH)
        return lambda y, m, d: d == _nearest_weekday(y, m, target)
    days = frozenset(_values(part, DAY_OF_MONTH))
    return lambda y, m, d: d in days


def _day_of_week_rule(text: str) -> DayRule | None:
    if text == "*":
        return None
    rules = [_day_of_week_element(part) for part in text.split(",")]
    return lambda y, m, d: any(rule(y, m, d) for rule in rules)


def _day_of_week_element(part: str) -> DayRule:
    upper = part.upper()
    if not part:
        raise CronError("empty element in day of week")
    if "#" in upper:
        day_text, _, nth_text = upper.partition("#")
        weekday = _number(day_text, DAY_OF_WEEK) % 7
        if not nth_text.isdigit() or not 1 <= int(nth_text) <= 5:
            raise CronError(f"invalid occurrence {nth_text!r} in day of week")
        nth = int(nth_text)
        return lambda y, m, d: _cron_weekday(y, m, d) == weekday and (d - 1) // 7 + 1 == nth
    if upper.endswith("L") and len(upper) > 1:
        last_weekday = _number(upper[:-1], DAY_OF_WEEK) % 7
        return lambda y, m, d: _cron_weekday(y, m, d) == last_weekday and d + 7 > _last_day(y, m)
    days = frozenset(v % 7 for v in _values(part, DAY_OF_WEEK))
    return lambda y, m, d: _cron_weekday(y, m, d) in days


@dataclass(frozen=True)
class CronExpression:
    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    months: frozenset[int]
    years: frozenset[int] | None
    day_of_month: DayRule | None
    day_of_week: DayRule | None

    def __str__(self) -> str:
        return self.text

    def day_matches(self, year: int, month: int, day: int) -> bool:
        rules = [r for r in (self.day_of_month, self.day_of_week) if r is not None]
        return all(rule(year, month, day) for rule in rules)

    def next_after(self, after: dt.datetime, timezone: str = "UTC") -> dt.datetime:
        """The first firing strictly after `after` (aware), as an aware UTC datetime."""
        zone = ZoneInfo(timezone)
        local = after.astimezone(zone)
        # Start at the next whole minute of local wall time.
        candidate = local.replace(second=0, microsecond=0, tzinfo=None) + dt.timedelta(minutes=1)
        end_year = candidate.year + SEARCH_YEARS
        day = candidate.date()
        first_day = True
        while day.year <= end_year:
            if (self.years is None or day.year in self.years) and day.month in self.months:
                if self.day_matches(day.year, day.month, day.day):
                    for hour in sorted(self.hours):
                        for minute in sorted(self.minutes):
                            wall = dt.datetime(day.year, day.month, day.day, hour, minute)
                            if first_day and wall < candidate:
                                continue
                            fired = _resolve(wall, zone)
                            if fired is not None and fired > after:
                                return fired.astimezone(dt.UTC)
                day += dt.timedelta(days=1)
            else:
                day = _next_month_start(day)
            first_day = False
        raise CronError(f"{self.text!r} never fires again")


def _next_month_start(day: dt.date) -> dt.date:
    if day.month == 12:
        return dt.date(day.year + 1, 1, 1)
    return dt.date(day.year, day.month + 1, 1)


def _resolve(wall: dt.datetime, zone: ZoneInfo) -> dt.datetime | None:
    """The instant of a local wall time; None when a DST gap skips it."""
    aware = wall.replace(tzinfo=zone, fold=0)
    round_trip = aware.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None)
    if round_trip != wall:
        return None
    return aware


def parse(text: str) -> CronExpression:
    """Parse a cron expression; raises CronError with the reason."""
    fields = text.split()
    if len(fields) not in (5, 6):
        raise CronError(f"expected 5 or 6 fields, found {len(fields)}")
    for item in fields:
        if "?" in item:
            raise CronError(f"invalid expression: {item}")
    minute, hour, dom, month, dow = fields[:5]
    years = frozenset(_plain(fields[5], YEAR)) if len(fields) == 6 else None
    return CronExpression(
        text=" ".join(fields),
        minutes=frozenset(_plain(minute, MINUTE)),
        hours=frozenset(_plain(hour, HOUR)),
        months=frozenset(_plain(month, MONTH)),
        years=years,
        day_of_month=_day_of_month_rule(dom),
        day_of_week=_day_of_week_rule(dow),
    )


def is_valid(text: str) -> bool:
    try:
        parse(text)
    except CronError:
        return False
    return True
