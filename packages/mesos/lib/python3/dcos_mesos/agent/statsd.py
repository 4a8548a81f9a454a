"""StatsD addresses for containers, from dcos-metrics (what DC/OS's metrics isolator did).

Before a container starts, the agent asks dcos-metrics for the container's own
StatsD port and gives the task STATSD_UDP_HOST and STATSD_UDP_PORT; when the
container ends, the port goes back. The question is asked as soon as the
launch begins, so the answer (a millisecond or so) arrives while the rest of
the launch goes on (fetching, images, the sandbox).

A launch never waits long for it: without dcos-metrics the answer is an
immediate "nothing"; while dcos-metrics answers promptly the launch waits for
it up to the registration's own limit (a socket-activated dcos-metrics takes a
moment to start, so the first answer may be slow); once an answer took longer
than `SLOW_S`,
launches stop waiting for it, and only one question at a time goes to it,
until it answers promptly again. A task that started without an address runs
without one, as on a DC/OS agent without the metrics module. The questions
have threads of their own, so a hung dcos-metrics holds up nothing else.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from dcos_internal_utils import statsd_registration

log = logging.getLogger("mesos-agent.statsd")

WAIT_S = 2.0  # statsd_registration's own limit
SLOW_S = 0.5
GRACE_S = 0.01

Register = Callable[[str], dict[str, str]]
Unregister = Callable[[str], None]


class StatsdAddresses:
    def __init__(
        self,
        register: Register = statsd_registration.register,
        unregister: Unregister = statsd_registration.unregister,
    ) -> None:
        self._register = register
        self._unregister = unregister
        self._threads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="statsd")
        self._lock = threading.Lock()
        self._asking = 0  # questions dcos-metrics has not answered yet
        self._answered = False  # any question at all (the first starts dcos-metrics)
        self.prompt = True  # the last answer came within SLOW_S

    def request(self, container_id: str) -> asyncio.Future[dict[str, str]] | None:
        """Ask for `container_id`'s address now (None: dcos-metrics is slow and already has
        a question); the launch awaits the answer with `environment`."""
        with self._lock:
            if not self.prompt and self._asking:
                return None
            self._asking += 1
        loop = asyncio.get_running_loop()
        request = loop.run_in_executor(self._threads, self._timed_register, container_id)
        # A launch that failed early never asks for the answer: take any error here.
        request.add_done_callback(lambda done: done.cancelled() or done.exception())
        return request

    def _timed_register(self, container_id: str) -> dict[str, str]:
        start = time.monotonic()
        try:
            return self._register(container_id)
        finally:
            with self._lock:
                self._asking -= 1
                # The first question starts a socket-activated dcos-metrics: its slowness
                # says nothing about the next answers.
                self.prompt = time.monotonic() - start < SLOW_S or not self._answered
                self._answered = True

    async def environment(self, request: asyncio.Future[dict[str, str]]) -> dict[str, str]:
        """The task's STATSD_UDP_HOST and STATSD_UDP_PORT, or {} if dcos-metrics has none
        for it in the time a launch may wait."""
        if not request.done():
            try:
                await asyncio.wait_for(asyncio.shield(request), WAIT_S if self.prompt else GRACE_S)
            except TimeoutError:
                log.warning("dcos-metrics is slow: launching without a StatsD address")
                return {}
        try:
            return dict(request.result())
        except Exception as exc:  # the registration is best effort, as the isolator's was
            log.warning("no StatsD address: %s", exc)
            return {}

    async def release(self, container_id: str) -> None:
        """Give the container's port back (it ended)."""
        await asyncio.get_running_loop().run_in_executor(
            self._threads, self._unregister, container_id
        )
