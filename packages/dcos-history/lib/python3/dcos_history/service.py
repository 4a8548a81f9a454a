"""dcos-history's HTTP API (127.0.0.1:15055, /dcos-history-service/ through Admin Router).

GET /                usage
GET /ping            pong
GET /history/last    the latest /state-summary
GET /history/minute  a JSON array: one summary per 2 s of the last minute
GET /history/hour    a JSON array: one summary per minute of the last hour
"""

from __future__ import annotations

import logging
import os
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path

from dcos_internal_utils.http import Request, Response, Router, serve

from .buffer import EMPTY, FETCH_PERIOD_S, History

log = logging.getLogger("dcos-history")

PORT = 15055
DEFAULT_STATE_SUMMARY_URI = "http://leader.mesos:5050/state-summary"

# Sent with every answer, as DC/OS's history service does (the UI reads it cross-origin).
HEADERS = {
    "Access-Control-Allow-Credentials": "true",
    "Access-Control-Allow-Headers": (
        "accept, accept-charset, accept-encoding, accept-language, authorization, "
        "content-length, content-type, host, origin, proxy-connection, referer, user-agent, "
        "x-requested-with"
    ),
    "Access-Control-Allow-Methods": "HEAD, GET, PUT, POST, PATCH, DELETE",
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Max-Age": "86400",
}

USAGE = (
    "history/last - to get the last fetched state\n"
    "history/minute - to get the state array of the last minute\n"
    "history/hour - to get the state array of the last hour\n"
    "ping - to get a pong\n"
)


def _answer(content: str) -> Response:
    # DC/OS answers everything, even the pong, as application/json.
    return Response(body=content.encode(), content_type="application/json", headers=HEADERS)


def make_router(history: History) -> Router:
    router = Router()

    @router.get("/")
    def home(request: Request) -> Response:
        return _answer(USAGE)

    @router.get("/ping")
    def ping(request: Request) -> Response:
        return _answer("pong")

    @router.get("/history/last")
    def last(request: Request) -> Response:
        entries = history.last.dump()
        return _answer(entries[-1] if entries else EMPTY)

    @router.get("/history/minute")
    def minute(request: Request) -> Response:
        return _answer("[" + ",".join(history.minute.dump()) + "]")

    @router.get("/history/hour")
    def hour(request: Request) -> Response:
        return _answer("[" + ",".join(history.hour.dump()) + "]")

    return router


def fetch(uri: str, timeout_s: float = FETCH_PERIOD_S * 0.9) -> str:
    """The summary as Mesos sent it, or `{}` when it could not be had."""
    try:
        with urllib.request.urlopen(uri, timeout=timeout_s) as response:
            body = response.read().decode()
        return body if body.strip() else EMPTY
    except (urllib.error.URLError, OSError, ValueError) as exc:
        log.warning("Could not fetch state: %s", exc)
        return EMPTY


def keep_fetching(history: History, uri: str) -> None:
    """Fetch every FETCH_PERIOD_S, on a fixed schedule (a slow fetch does not shift it)."""
    next_at = time.monotonic()
    while True:
        history.add(datetime.now(), fetch(uri))
        next_at += FETCH_PERIOD_S
        delay = next_at - time.monotonic()
        if delay < 0:  # fell behind (a suspended node): start a fresh schedule
            next_at, delay = time.monotonic(), 0
        time.sleep(delay)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    directory = os.environ.get("HISTORY_BUFFER_DIR")
    history = History(Path(directory) if directory else None)
    uri = os.environ.get("STATE_SUMMARY_URI", DEFAULT_STATE_SUMMARY_URI)
    threading.Thread(target=keep_fetching, args=(history, uri), daemon=True).start()
    serve(make_router(history), tcp=[("127.0.0.1", PORT)])
