from __future__ import annotations

from dcos_spartan.watchdog import Watchdog


class Fake:
    def __init__(self, answers: list[bool], active: bool = True) -> None:
        self.answers = answers
        self.active = active
        self.restarts = 0

    def watchdog(self, failures: int = 3) -> Watchdog:
        return Watchdog(
            probe=lambda: self.answers.pop(0),
            unit_active=lambda: self.active,
            restart=self.restart,
            failures_before_restart=failures,
        )

    def restart(self) -> None:
        self.restarts += 1


def test_restarts_after_consecutive_failures_only() -> None:
    fake = Fake([False, False, True, False, False, False])
    dog = fake.watchdog()
    results = [dog.check() for _ in range(6)]
    assert results == [False, False, False, False, False, True]
    assert fake.restarts == 1


def test_healthy_never_restarts() -> None:
    fake = Fake([True] * 10)
    dog = fake.watchdog()
    for _ in range(10):
        dog.check()
    assert fake.restarts == 0


def test_leaves_a_stopped_or_starting_unit_alone() -> None:
    fake = Fake([], active=False)  # probe would fail with IndexError if asked
    dog = fake.watchdog(failures=1)
    assert not dog.check()
    assert fake.restarts == 0


def test_counter_resets_after_restart() -> None:
    fake = Fake([False] * 4)
    dog = fake.watchdog(failures=2)
    assert [dog.check() for _ in range(4)] == [False, True, False, True]
