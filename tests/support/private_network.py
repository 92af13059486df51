"""Run a command word for word as a document gives it, `localhost:3000` and all, against a gateway that listens
elsewhere: the command runs in a private network of its own (a user and network namespace, `unshare -rn`), where
localhost:3000 is forwarded through a Unix socket to the gateway's real port. Nothing else on the machine (another
gateway on 3000, a `make run`) is touched, and no text of the command is rewritten.

    with forwarded_to(port) as socket_path:
        subprocess.run(in_private_network(socket_path, ["bash", "-c", command]), ...)
"""

import asyncio
import contextlib
import fcntl
import shutil
import socket
import struct
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

LISTEN_PORT = 3000


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()
            await writer.wait_closed()


async def _join(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter],
) -> None:
    up_reader, up_writer = upstream
    await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))


@contextlib.contextmanager
def forwarded_to(port: int) -> Iterator[Path]:
    """A Unix socket whose every connection is joined to 127.0.0.1:`port`, served from a thread while open."""
    directory = Path(tempfile.mkdtemp(prefix="fwd-", dir="/tmp"))  # short: a Unix socket's path is at most 107 bytes
    path = directory / "gateway.sock"
    started = threading.Event()
    state: dict[str, object] = {}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            writer.close()
            return
        await _join(reader, writer, upstream)

    async def serve() -> None:
        stop = asyncio.Event()
        state["loop"], state["stop"] = asyncio.get_running_loop(), stop
        async with await asyncio.start_unix_server(handle, path=str(path)):
            started.set()
            await stop.wait()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    assert started.wait(10), "the forwarder did not start"
    try:
        yield path
    finally:
        loop, stop = state["loop"], state["stop"]
        loop.call_soon_threadsafe(stop.set)  # type: ignore[attr-defined]
        thread.join(10)
        shutil.rmtree(directory, ignore_errors=True)


def in_private_network(socket_path: Path, command: list[str]) -> list[str]:
    """The argument vector that runs `command` in a private network where localhost:3000 reaches `socket_path`."""
    unshare = shutil.which("unshare")
    assert unshare is not None, "unshare (util-linux) is needed to run the README's commands as written"
    return [unshare, "--user", "--map-root-user", "--net", sys.executable, __file__, str(socket_path), "--", *command]


async def _inside(socket_path: str, command: list[str]) -> int:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _join(reader, writer, await asyncio.open_unix_connection(socket_path))

    servers = [await asyncio.start_server(handle, "127.0.0.1", LISTEN_PORT)]
    with contextlib.suppress(OSError):  # ::1 as well, where the namespace has IPv6: some clients try it first
        servers.append(await asyncio.start_server(handle, "::1", LISTEN_PORT))
    process = await asyncio.create_subprocess_exec(*command)
    code = await process.wait()
    for server in servers:
        server.close()
    return code


def _loopback_up() -> None:
    """A new network namespace has its loopback down: `ip link set lo up`, without needing iproute2."""
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        request = struct.pack("16sH", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(probe, siocgifflags, request)[:18])[1]
        fcntl.ioctl(probe, siocsifflags, struct.pack("16sH", b"lo", flags | iff_up))


def main() -> int:
    socket_path, separator, *command = sys.argv[1:]
    assert separator == "--" and command
    _loopback_up()
    return asyncio.run(_inside(socket_path, command))


if __name__ == "__main__":
    sys.exit(main())
