"""A small webhook receiver for end-to-end tests: a threaded HTTP server on a loopback port that records every
request (raw body, headers, arrival time) and answers from a script (e.g. 500, 500, 500, then 200 forever)."""

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from adapters.local_process import free_port


@dataclass(frozen=True)
class Received:
    body: bytes
    headers: dict[str, str]
    at: float  # time.monotonic() on arrival
    answered: int

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    def header(self, name: str) -> str:
        return self.headers[name.lower()]


class WebhookReceiver:
    def __init__(self, port: int | None = None, answers: list[int] | None = None, host: str = "127.0.0.1") -> None:
        self.host, self.port = host, port or free_port()
        self.received: list[Received] = []
        self._answers = list(answers or [])
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/hooks"

    def start(self) -> "WebhookReceiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = receiver._next_answer()
                with receiver._lock:
                    receiver.received.append(
                        Received(body, {k.lower(): v for k, v in self.headers.items()}, time.monotonic(), status)
                    )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def script(self, *statuses: int) -> None:
        """Answer the next requests with `statuses`, then 200."""
        with self._lock:
            self._answers = list(statuses)

    def _next_answer(self) -> int:
        with self._lock:
            return self._answers.pop(0) if self._answers else 200

    def delivered(self) -> list[Received]:
        """The requests answered 2xx, in arrival order."""
        with self._lock:
            return [request for request in self.received if 200 <= request.answered < 300]

    def wait_for(self, condition: "Any", timeout: float = 30.0, what: str = "deliveries") -> list[Received]:
        """Poll until `condition(delivered)` holds; the delivered requests then."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            delivered = self.delivered()
            if condition(delivered):
                return delivered
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; received {[r.answered for r in self.received]}")


@contextmanager
def running_receiver(
    port: int | None = None, answers: list[int] | None = None, host: str = "127.0.0.1"
) -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(port, answers, host).start()
    try:
        yield receiver
    finally:
        receiver.stop()
