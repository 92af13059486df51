"""What Litestar's dependency injection costs a request, by how many dependencies the handler asks for.

Litestar resolves a handler's dependencies in batches (a dependency's own dependencies in an earlier batch); a batch
of more than one is resolved in an anyio task group, a task per dependency, even when every provider is a plain
synchronous function. This app has one handler asking for seven such dependencies and one asking for one; each is
driven in this process straight through the ASGI interface (no socket, no server), and its CPU time per request is
printed.

    python -m bench.dependency_batches [--requests 5000]

The gateway's callback routes asked for seven before they were given one object each (CallbackReception in
entrypoints/http/callbacks.py); docs/performance.md has the figures.
"""

import argparse
import asyncio
import time

from litestar import Litestar, post
from litestar.di import NamedDependency, Provide
from litestar.types import Message, Scope

NAMES = ("a", "b", "c", "d", "e", "f", "g")


def _provider(value: str) -> Provide:
    def provide() -> str:
        return value

    return Provide(provide, sync_to_thread=False, use_cache=False)


@post("/seven", status_code=200, sync_to_thread=False)
def seven(
    a: NamedDependency[str],
    b: NamedDependency[str],
    c: NamedDependency[str],
    d: NamedDependency[str],
    e: NamedDependency[str],
    f: NamedDependency[str],
    g: NamedDependency[str],
) -> str:
    return a + b + c + d + e + f + g


@post("/one", status_code=200, sync_to_thread=False)
def one(a: NamedDependency[str]) -> str:
    return a


def build_app() -> Litestar:
    return Litestar([seven, one], dependencies={name: _provider(name) for name in NAMES}, logging_config=None)


async def _request(app: Litestar, path: str) -> int:
    scope: Scope = {  # type: ignore[typeddict-item]
        "type": "http",
        "method": "POST",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [],
        "root_path": "",
        "scheme": "http",
        "server": ("127.0.0.1", 1),
        "client": ("127.0.0.1", 2),
        "http_version": "1.1",
        "asgi": {"version": "3.0"},
        "state": {},
    }
    status = 0

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)  # type: ignore[arg-type]
    return status


async def cpu_per_request(app: Litestar, path: str, requests: int) -> float:
    """CPU seconds per request, after a warm-up of a tenth as many."""
    for _ in range(requests // 10):
        assert await _request(app, path) == 200
    started = time.process_time()
    for _ in range(requests):
        await _request(app, path)
    return (time.process_time() - started) / requests


async def _main(requests: int) -> None:
    app = build_app()
    print("| handler | dependencies | CPU per request |")
    print("|---|---|---|")
    for path, asked in (("/one", 1), ("/seven", 7)):
        print(f"| {path} | {asked} | {await cpu_per_request(app, path, requests) * 1e6:.0f} µs |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5000)
    asyncio.run(_main(parser.parse_args().requests))
