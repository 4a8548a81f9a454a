"""The one poll helper, on a fake clock: no test here sleeps."""

from __future__ import annotations

import pytest

from minidcos._util.polling import Poll, PollTimeoutError, wait_for


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_returns_the_value_once_done() -> None:
    answers = iter([Poll(False, detail="starting"), Poll(True, value=42)])
    clock = FakeClock()
    assert wait_for(lambda: next(answers), 10, clock=clock, sleep=clock.sleep) == 42
    assert clock.sleeps == [0.25]


def test_a_truthy_answer_is_done() -> None:
    clock = FakeClock()
    assert wait_for(lambda: "leader", 10, clock=clock, sleep=clock.sleep) == "leader"


def test_times_out_with_the_last_answer_and_backs_off() -> None:
    clock = FakeClock()
    with pytest.raises(PollTimeoutError) as info:
        wait_for(
            lambda: Poll(False, detail="0/3 agents"),
            5,
            "agents registered",
            clock=clock,
            sleep=clock.sleep,
        )
    assert info.value.last == "0/3 agents"
    assert "agents registered" in str(info.value)
    assert clock.now == pytest.approx(5)
    assert clock.sleeps[:3] == [0.25, 0.375, 0.5625]
    assert max(clock.sleeps) <= 2.0


def test_transient_errors_are_retried_and_recorded() -> None:
    clock = FakeClock()

    def refused() -> bool:
        raise ConnectionRefusedError("connection refused")

    with pytest.raises(PollTimeoutError, match="ConnectionRefusedError: connection refused"):
        wait_for(refused, 1, clock=clock, sleep=clock.sleep)


def test_other_errors_propagate_at_once() -> None:
    clock = FakeClock()

    def broken() -> bool:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        wait_for(broken, 10, clock=clock, sleep=clock.sleep)
    assert clock.sleeps == []
