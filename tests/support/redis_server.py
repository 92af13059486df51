"""A redis-server of the test's own (never the machine's on 6379): on a free loopback port, without persistence,
stopped and started again on the same port to play an outage, and always stopped at teardown."""

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from adapters.local_process import LocalProcess, free_port


class RedisServer:
    def __init__(self, workdir: Path) -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            raise RuntimeError("redis-server is not on PATH (Debian: apt-get install redis-server)")
        self.port = free_port()
        self._process = LocalProcess(
            # --save "" and --appendonly no: every start is an empty Redis, as after losing a cache node.
            [executable, "--save", "", "--appendonly", "no", "--port", str(self.port), "--bind", "127.0.0.1"],
            port=self.port,
            log_file=workdir / f"redis-{self.port}.log",
        )

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self._process.running

    def start(self) -> None:
        self._process.start()

    def stop(self) -> None:
        self._process.stop()


@contextmanager
def redis_server(workdir: Path) -> Iterator[RedisServer]:
    server = RedisServer(workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()
