"""Stands between the simulator and a gateway as the gateway's CALLBACK_BASE_URL: records every callback Daraja
sends and forwards it, unless the test withholds callbacks of that path. A withheld callback is one Daraja sent
and the gateway never got (a lost callback), while Daraja's own queries still know how the transaction ended."""

import json
import ssl
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

WAIT_SECONDS = 10.0


@dataclass(frozen=True)
class RelayedCallback:
    path: str
    body: bytes
    forwarded: bool

    def json(self) -> Any:
        return json.loads(self.body)


class CallbackRelay:
    def __init__(self) -> None:
        self.received: list[RelayedCallback] = []
        self._withheld_prefixes: set[str] = set()
        self._target: str | None = None
        self._tls: ssl.SSLContext | None = None
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> "CallbackRelay":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def forward_to(self, base_url: str, tls: ssl.SSLContext) -> None:
        self._target, self._tls = base_url, tls

    def withhold(self, *path_prefixes: str) -> None:
        """Callbacks to paths with these prefixes are recorded and answered, never forwarded (until `release_all`)."""
        with self._lock:
            self._withheld_prefixes.update(path_prefixes)

    def release_all(self) -> None:
        with self._lock:
            self._withheld_prefixes.clear()

    def wait_for(self, path_part: str, timeout: float = WAIT_SECONDS) -> RelayedCallback:
        """The first callback whose path contains `path_part`, waiting a bounded time for it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                for callback in self.received:
                    if path_part in callback.path:
                        return callback
            time.sleep(0.05)
        raise TimeoutError(f"no callback to a path containing {path_part!r} within {timeout} s")

    def _relay(self, path: str, body: bytes) -> None:
        with self._lock:
            withheld = any(path.startswith(prefix) for prefix in self._withheld_prefixes)
            self.received.append(RelayedCallback(path, body, forwarded=not withheld))
        if withheld or self._target is None:
            return
        with httpx.Client(base_url=self._target, verify=self._tls or True, timeout=WAIT_SECONDS) as client:
            client.post(path, content=body, headers={"Content-Type": "application/json"})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        relay = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                relay._relay(self.path, body)
                answer = b'{"ResultCode": 0, "ResultDesc": "Accepted"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_: object) -> None:  # quiet: the test asserts on `received`
                return

        return Handler
