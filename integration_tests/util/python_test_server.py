#!/usr/bin/env python3
"""The test app every suite deploys: DC/OS's test server, with the standard library only.

    python3 /opt/mesosphere/active/dcos-integration-test/util/python_test_server.py $PORT0

It needs DCOS_TEST_UUID in its environment (each deployment's own UUID, so a
test knows it reached the app it deployed) and answers, always with JSON:

    GET  /ping                   {"pong": true}
    GET  /test_uuid              {"test_uuid": ...}
    GET  /reflect                {"test_uuid": ..., "request_ip": <the client's address>}
    GET  /dns_search             how `leader`, `leader.mesos` and `notasubdomainofmesos`
                                 resolve here: an address, or {"error": ...}
    GET  /operating_environment  {"uid": <the server's uid>}
    GET  /signal_test_cache      what was last POSTed there
    POST /signal_test_cache      keep the body
    POST /your_ip                form fields reflector_ip, reflector_port: ask that other
                                 test server's /reflect who we are; {"reflector_uuid",
                                 "test_uuid", "my_ip"}
    POST /run_cmd                run the body with /bin/sh; {"status": <exit>, "output": ...}

Anything else is 404. It serves each request in its own thread and stops on
SIGTERM or SIGINT.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

UUID_VARIABLE = "DCOS_TEST_UUID"
REFLECTOR_TIMEOUT_S = 1.0
_cache = ""


class RequestFailed(Exception):
    """A request the server answers with an error status (code, short reason, explanation)."""

    def __init__(self, code: int, reason: str, explanation: str = "") -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.explanation = explanation


def test_uuid() -> str:
    return os.environ[UUID_VARIABLE]


def resolve(name: str) -> Any:
    try:
        return socket.gethostbyname(name)
    except socket.gaierror as exc:
        return {"error": str(exc)}


def ask_reflector(ip: str, port: int) -> dict[str, Any]:
    url = f"http://{ip}:{port}/reflect"
    try:
        with urllib.request.urlopen(url, timeout=REFLECTOR_TIMEOUT_S) as response:
            body = response.read().decode()
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace").replace("\n", " ")
        raise RequestFailed(
            500,
            "Data fetch from reflector failed.",
            f"Reflector responded with code: {exc.code}, response body: {detail}",
        ) from exc
    except TimeoutError as exc:
        raise RequestFailed(
            500, "Reflector timed out", f"Reflector was unable to respond in timely manner: {exc}"
        ) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise RequestFailed(
            500, "Reflector connection error", f"Unable to connect to reflector: {exc}"
        ) from exc
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise RequestFailed(
            500, "Malformed reflector response", f"Reflectors response is not a valid JSON: {exc}"
        ) from exc
    return dict(data)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        logging.info("REQ: %s %s", self.address_string(), format % args)

    def reply(self, data: Any) -> None:
        body = json.dumps(data, sort_keys=True, indent=4, separators=(",", ": ")).encode()
        self.send_response(200)
        self.send_header("Content-type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self) -> None:
        if self.path == "/ping":
            self.reply({"pong": True})
        elif self.path == "/test_uuid":
            self.reply({"test_uuid": test_uuid()})
        elif self.path == "/reflect":
            self.reply({"test_uuid": test_uuid(), "request_ip": self.address_string()})
        elif self.path == "/dns_search":
            self.reply(
                {
                    "search_hit_leader": resolve("leader"),
                    "always_miss": resolve("notasubdomainofmesos"),
                    "always_hit_leader": resolve("leader.mesos"),
                    "test_uuid": test_uuid(),
                }
            )
        elif self.path == "/operating_environment":
            self.reply({"uid": os.getuid()})
        elif self.path == "/signal_test_cache":
            self.reply(_cache)
        else:
            self.send_error(404, "Not found", "Endpoint is not supported")

    def do_POST(self) -> None:
        global _cache
        if self.path == "/your_ip":
            try:
                self.reply(self.your_ip())
            except RequestFailed as exc:
                logging.error(
                    "Request processing exception occured: code: %s, reason: '%s', "
                    "explanation: '%s'",
                    exc.code,
                    exc.reason,
                    exc.explanation,
                )
                self.send_error(exc.code, exc.reason, exc.explanation)
        elif self.path == "/signal_test_cache":
            _cache = self.body().decode()
            self.reply(_cache)
        elif self.path == "/run_cmd":
            status, output = subprocess.getstatusoutput(self.body().decode())
            self.reply({"status": status, "output": output})
        else:
            self.send_error(404, "Not found", "Endpoint is not supported")

    def your_ip(self) -> dict[str, Any]:
        fields = urllib.parse.parse_qs(self.body().decode())
        if "reflector_ip" not in fields or "reflector_port" not in fields:
            raise RequestFailed(
                400,
                "Reflector data missing",
                "Reflector IP and/or port has not been provided, so the request cannot be "
                "processed.",
            )
        ip, port_text = fields["reflector_ip"][0], fields["reflector_port"][0]
        try:
            port = int(port_text)
        except ValueError as exc:
            raise RequestFailed(400, f'Reflector port "{port_text}" is not an integer') from exc
        try:
            socket.inet_aton(ip)
        except OSError as exc:
            raise RequestFailed(400, f'Reflector IP "{ip}" is invalid/not a proper ipv4') from exc
        reflected = ask_reflector(ip, port)
        return {
            "reflector_uuid": reflected["test_uuid"],
            "test_uuid": test_uuid(),
            "my_ip": reflected["request_ip"],
        }


def serve(port: int) -> None:
    if UUID_VARIABLE not in os.environ:
        logging.error("Unique test ID is missing in env vars, aborting.")
        sys.exit(1)
    logging.info("HTTP server is starting, port: %s, test-UUID: '%s'", port, test_uuid())
    server = ThreadingHTTPServer(("", port), Handler)
    server.daemon_threads = True

    def stop(_signo: int, _frame: Any) -> None:
        server.server_close()
        logging.info("HTTP server is terminating")
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.serve_forever()


def main() -> None:
    logging.basicConfig(level=logging.DEBUG, format="[%(asctime)s] %(levelname)s: %(message)s")
    serve(int(sys.argv[1]))


if __name__ == "__main__":
    main()
