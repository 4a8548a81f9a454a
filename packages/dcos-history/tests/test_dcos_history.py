"""dcos-history's buffers (one entry per period, a bounded window, kept on disk) and API."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from dcos_history import service
from dcos_history.buffer import History, HistoryBuffer
from dcos_internal_utils.http import Request

START = datetime(2017, 6, 6, 20, 0, 0)


def feed(history: History, seconds: int, start: datetime = START) -> list[str]:
    """One fetch every 2 s for `seconds`, each summary unique; returns what was fed."""
    fed = []
    for step in range(0, seconds, 2):
        summary = json.dumps({"hostname": f"m{step}", "slaves": []})
        history.add(start + timedelta(seconds=step), summary)
        fed.append(summary)
    return fed


def get(history: History, path: str) -> tuple[int, str, dict[str, str]]:
    response = service.make_router(history).dispatch(Request("GET", path, {}, {}, b""))
    return response.status, response.body.decode(), response.headers


def test_minute_holds_the_last_thirty_fetches_and_last_the_newest() -> None:
    history = History(None)
    fed = feed(history, 120)
    assert get(history, "/history/last")[1] == fed[-1]
    status, body, headers = get(history, "/history/minute")
    assert status == 200 and json.loads(body) == [json.loads(s) for s in fed[-30:]]
    assert headers["Access-Control-Allow-Origin"] == "*"


def test_hour_takes_one_fetch_a_minute_for_an_hour() -> None:
    history = History(None)
    fed = feed(history, 2 * 3600)
    hour = json.loads(get(history, "/history/hour")[1])
    assert len(hour) == 60
    assert hour == [json.loads(s) for s in fed[::30][-60:]]


def test_ping_and_usage() -> None:
    history = History(None)
    assert get(history, "/ping")[:2] == (200, "pong")
    assert "history/minute" in get(history, "/")[1]
    assert get(history, "/history/last")[1] == "{}"  # nothing fetched yet
    assert get(history, "/history/minute")[1] == "[]"


def test_the_hour_survives_a_restart_with_the_gap_filled(tmp_path: Path) -> None:
    history = History(tmp_path)
    fed = feed(history, 10 * 60)
    assert len(list((tmp_path / "hour").iterdir())) == 10
    # Back five minutes later: the hour has the ten stored entries, then the gap.
    later = START + timedelta(minutes=15)
    restored = HistoryBuffer(3600, 60, tmp_path / "hour", now=later)
    assert restored.dump()[:10] == fed[::30]
    assert 0 < len(restored.dump()) - 10 <= 6
    assert set(restored.dump()[10:]) == {"{}"}


def test_a_failed_fetch_is_stored_as_empty() -> None:
    assert service.fetch("http://127.0.0.1:1/state-summary", timeout_s=0.5) == "{}"


@pytest.fixture
def mesos() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(
                {"hostname": "m1", "cluster": "c", "frameworks": [], "slaves": [{"id": "S0"}]}
            ).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/state-summary"
    server.shutdown()


def test_fetch_keeps_the_summary_as_mesos_sent_it(mesos: str) -> None:
    assert json.loads(service.fetch(mesos))["slaves"] == [{"id": "S0"}]
