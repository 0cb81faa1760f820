"""A real HTTP receiver on 127.0.0.1 for webhook tests (a threaded http.server in the test process).

    receiver = webhook_receiver(status=500)           # answers 500 to every POST
    receiver = webhook_receiver(delay=3)              # answers after 3 s (slower than the read timeout)
    receiver.wait_for(1)                              # the requests received, once there is at least one
    body, headers = receiver.requests[0].body, receiver.requests[0].headers
"""

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass(frozen=True)
class Received:
    arrived: float  # time.monotonic() when the request was read
    at: datetime  # the same moment on the wall clock (UTC), to compare with times stored in the database
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    def __init__(self, *, status: int = 200, delay: float = 0.0):
        self.status, self.delay = status, delay
        self.requests: list[Received] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received = Received(time.monotonic(), datetime.now(UTC), self.path, dict(self.headers), body)
                with receiver._lock:
                    receiver.requests.append(received)
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(receiver.status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if receiver.status < 400 else b"receiver is broken")

            def log_message(self, *args):  # keep the test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/audit"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def wait_for(self, count: int, timeout: float = 60) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} request(s), received {len(self.requests)}")
            time.sleep(0.05)
        return list(self.requests)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook_receiver():
    """Start receivers on 127.0.0.1 (each on a free port); all stop after the test."""
    receivers: list[Receiver] = []

    def start(*, status: int = 200, delay: float = 0.0) -> Receiver:
        receivers.append(Receiver(status=status, delay=delay))
        return receivers[-1]

    yield start
    for receiver in receivers:
        receiver.stop()
