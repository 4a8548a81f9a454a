"""The machine-wide lock that serialises registry pushes and UI builds."""

from __future__ import annotations

import threading
import time

from minidcos._util import paths


def test_machine_lock_lets_one_holder_in_at_a_time() -> None:
    inside = 0
    most_inside = 0
    count_lock = threading.Lock()

    def hold() -> None:
        nonlocal inside, most_inside
        with paths.machine_lock("test"):
            with count_lock:
                inside += 1
                most_inside = max(most_inside, inside)
            time.sleep(0.05)
            with count_lock:
                inside -= 1

    threads = [threading.Thread(target=hold) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most_inside == 1


def test_machine_locks_of_other_names_do_not_wait_for_each_other() -> None:
    with paths.machine_lock("one"):
        done = threading.Event()

        def other() -> None:
            with paths.machine_lock("two"):
                done.set()

        thread = threading.Thread(target=other)
        thread.start()
        assert done.wait(5), "a lock of another name waited"
        thread.join()
