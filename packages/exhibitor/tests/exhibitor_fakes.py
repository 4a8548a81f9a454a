"""A fake ZooKeeper for the package's tests (four-letter words only)."""

from __future__ import annotations

import socket
import threading

SRVR_LEADER = (
    "Zookeeper version: 3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC\n"
    "Latency min/avg/max: 0/0.0/0\nReceived: 1\nSent: 0\nConnections: 1\nOutstanding: 0\n"
    "Zxid: 0x300000000\nMode: leader\nNode count: 5\nProposal sizes last/min/max: -1/-1/-1\n"
)


class FakeZooKeeper:
    """Answers four-letter words on loopback the way ZooKeeper does: answer, then close."""

    def __init__(self, answers: dict[str, str], host: str = "127.0.0.1", port: int = 0) -> None:
        self.answers = answers
        self.words: list[str] = []
        self.sock = socket.create_server((host, port))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                word = conn.recv(4).decode()
                self.words.append(word)
                conn.sendall(self.answers.get(word, "").encode())

    def close(self) -> None:
        self.sock.close()
