"""The bare baseline: what uvicorn's transport alone does on this machine, with nothing of the gateway in it.

A minimal ASGI app served exactly as `mpesa-gateway serve` serves the gateway (uvicorn, the same TLS certificate,
the same websocket protocol class (permessage-deflate without context takeover), the same maximum message size
and permessage-deflate setting, the default event loop and HTTP parser, no access log). It

- accepts a socket on any path, parses each text frame as JSON and answers it with a payment-shaped reply of the
  request's kind (what the gateway sends for `status` and `push`), one frame per request;
- answers `POST /api/v1/mpesa/stk/push` with `201` and the same reply;
- forwards `POST /hook/{hash}` (a Daraja-shaped STK callback) as an `update` frame to every socket on that hash,
  like the gateway does for a callback, and answers `200` as Daraja expects;
- answers `GET /health`.

`python -m bench.baseline_app --port P --certfile C --keyfile K`

With `--store URL --daraja-url URL` it is the store-backed baseline instead (bench/store_baseline.py): the same
transport, plus the least store and Daraja work per operation, on the store and simulator the gateway's run uses.
"""

import argparse
import asyncio
import os
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any

import msgspec
import uvicorn

from entrypoints.websocket_transport import StatelessDeflateProtocol

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_decode = msgspec.json.Decoder().decode
_encode = msgspec.json.Encoder().encode
_NOW = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
# The fields and sizes of the gateway's payment `data`, so both servers write frames of the same size.
PAYMENT: dict[str, Any] = {
    "id": "b1a5e1f0c2d34e5f8a9b0c1d2e3f4a5b",
    "checkout": "ws_CO_01012025120000000712345678",
    "merchant_request": "29115-34620561-1",
    "status": "pending",
    "phone": "254712345678",
    "amount": 9100,
    "description": "bench",
    "created_at": _NOW,
    "updated_at": _NOW,
    "result_code": None,
    "result_desc": None,
    "message": None,
    "receipt": None,
    "transaction_date": None,
    "outcome_unknown": False,
}
ACCEPTED = _encode({"ResultCode": 0, "ResultDesc": "Accepted"})


class Socket:
    """Sends are serialised: replies and forwarded updates are written from different tasks."""

    def __init__(self, send: Send) -> None:
        self._send, self._lock = send, asyncio.Lock()

    async def send(self, frame: bytes) -> None:
        async with self._lock:
            await self._send({"type": "websocket.send", "text": frame.decode()})


SOCKETS: dict[str, set[Socket]] = {}


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "websocket":
        await _websocket(scope, receive, send)
    elif scope["type"] == "http":
        await _http(scope, receive, send)


async def _websocket(scope: Scope, receive: Receive, send: Send) -> None:
    if (await receive())["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    topic = "/mpesa/" + scope["path"].rstrip("/").rsplit("/", 1)[-1]
    socket = Socket(send)
    SOCKETS.setdefault(topic, set()).add(socket)
    try:
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            if text is None:
                continue
            try:
                document = _decode(text)
                reply = {"kind": document.get("kind"), "ok": True, "ref": document.get("ref"), "data": PAYMENT}
            except (msgspec.DecodeError, AttributeError):
                reply = {"kind": "error", "ok": False, "error": {"code": "INVALID_JSON"}}
            await socket.send(_encode(reply))
    finally:
        group = SOCKETS.get(topic)
        if group is not None:
            group.discard(socket)
            if not group:
                del SOCKETS[topic]


def litestar_app() -> Any:
    """The same socket answers behind Litestar (`--litestar`): a websocket route with one path parameter and one
    dependency, no middleware of the gateway's, HTTP as the bare app's. What Litestar itself keeps per socket."""
    from litestar import Litestar, WebSocket, websocket
    from litestar.di import Provide

    class Sockets:
        async def serve(self, socket: WebSocket[Any, Any, Any], topic: str) -> None:
            await socket.accept()
            _socket = Socket(socket.send)
            SOCKETS.setdefault(topic, set()).add(_socket)
            try:
                while True:
                    message = await socket.receive()
                    if message["type"] == "websocket.disconnect":
                        break
                    text = message.get("text")
                    if text is None:
                        continue
                    try:
                        document = _decode(text)
                        reply = {"kind": document.get("kind"), "ok": True, "ref": document.get("ref"), "data": PAYMENT}
                    except (msgspec.DecodeError, AttributeError):
                        reply = {"kind": "error", "ok": False, "error": {"code": "INVALID_JSON"}}
                    await _socket.send(_encode(reply))
            finally:
                group = SOCKETS.get(topic)
                if group is not None:
                    group.discard(_socket)
                    if not group:
                        del SOCKETS[topic]

    sockets = Sockets()

    @websocket("/mpesa/stk/{hash:str}")
    async def stk(socket: WebSocket[Any, Any, Any], hash: str, serving: Sockets) -> None:
        await serving.serve(socket, "/mpesa/" + hash)

    litestar = Litestar(
        route_handlers=[stk],
        dependencies={"serving": Provide(lambda: sockets, sync_to_thread=False)},
        logging_config=None,
        openapi_config=None,
    )

    async def application(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await litestar(scope, receive, send)  # type: ignore[arg-type]
        elif scope["type"] == "http":
            await _http(scope, receive, send)

    return application


async def _http(scope: Scope, receive: Receive, send: Send) -> None:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    path, method = scope["path"], scope["method"]
    if method == "GET" and path == "/health":
        await _respond(send, 200, b'{"status":"ok"}')
    elif method == "POST" and path == "/api/v1/mpesa/stk/push":
        _decode(body)
        await _respond(send, 201, _encode({"kind": "push", "ok": True, "ref": None, "data": PAYMENT}))
    elif method == "POST" and path.startswith("/hook/"):
        callback = _decode(body)["Body"]["stkCallback"]
        topic = "/mpesa/" + path.rsplit("/", 1)[-1]
        data = {**PAYMENT, "checkout": callback["CheckoutRequestID"], "status": "success"}
        frame = _encode({"kind": "update", "topic": topic, "data": data})
        for socket in list(SOCKETS.get(topic, ())):
            await socket.send(frame)
        await _respond(send, 200, ACCEPTED)
    else:
        await _respond(send, 404, b'{"error":"not found"}')


async def _respond(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--certfile", required=True)
    parser.add_argument("--keyfile", required=True)
    parser.add_argument("--max-message-bytes", type=int, default=16 * 1024 * 1024)
    parser.add_argument("--no-compression", action="store_true")
    parser.add_argument("--litestar", action="store_true", help="serve the sockets through a bare Litestar app")
    parser.add_argument("--max-seconds", type=float, default=3600.0, help="exit after this long, whatever happens")
    parser.add_argument("--store", help="the store-backed baseline on this store (a mongodb:// URL)")
    parser.add_argument("--database", default="bench_store_baseline", help="its database on that store")
    parser.add_argument("--daraja-url", help="the simulator the store-backed baseline sends its STK pushes to")
    arguments = parser.parse_args()
    if arguments.store and not arguments.daraja_url:
        parser.error("--store needs --daraja-url")
    # A watchdog, so a crashed orchestrator never leaves a baseline server behind.
    watchdog = threading.Timer(arguments.max_seconds, lambda: os._exit(3))
    watchdog.daemon = True
    watchdog.start()
    served: Any = litestar_app() if arguments.litestar else app
    if arguments.store:
        from bench.store_baseline import StoreBaseline

        callbacks = f"https://127.0.0.1:{arguments.port}/api/v1/hooks/stk"
        served = StoreBaseline(arguments.store, arguments.database, arguments.daraja_url, callbacks)
    config = uvicorn.Config(
        served,
        host="127.0.0.1",
        port=arguments.port,
        ssl_certfile=arguments.certfile,
        ssl_keyfile=arguments.keyfile,
        ws=StatelessDeflateProtocol,
        ws_max_size=arguments.max_message_bytes,
        ws_per_message_deflate=not arguments.no_compression,
        log_config=None,
        access_log=False,
        lifespan="on" if arguments.store else "off",  # the store-backed one connects at start-up
        interface="asgi3",
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
