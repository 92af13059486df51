"""Where an idle socket's memory goes: tracemalloc snapshots of a server holding N/2 and then N idle sockets.

`python -m bench.socket_memory --sockets 4000` starts the embedded store, the simulator, the gateway and the bare
baseline the way the bench does (bench/run.py), each server under tracemalloc; opens N/2 idle sockets on each (from
the bench's idle load generators), snapshots it, opens N/2 more, snapshots it again, and prints, per server, the
RSS and the traced Python memory per added socket, by owner (the innermost frame of the gateway's code, Litestar's,
structlog's...; "transport" when none: uvicorn, websockets, asyncio, which the baseline has too), in bytes per
socket. Memory that Python does not allocate itself (OpenSSL, zlib) shows in RSS only. `--keep` keeps the snapshots;
`python -m bench.socket_memory analyse DIRECTORY ADDED` reads them again.

`python -m bench.socket_memory traced gateway|baseline ARGS…` is how each server is started: a thread that starts
tracing when the file `$SOCKET_MEMORY_DIR/start` appears and takes a snapshot whenever `take-K` appears there (into
`snapshot-K`): tracing from the start would make the gateway's imports take minutes.
"""

import argparse
import asyncio
import contextlib
import gc
import linecache
import math
import os
import shutil
import sys
import tempfile
import threading
import time
import tracemalloc
from dataclasses import replace
from pathlib import Path

from bench.measure import raise_open_files_limit, rss_bytes
from bench.run import FULL, Bench, Target

_DIRECTORY = "SOCKET_MEMORY_DIR"
_FRAMES = 30


def _watch(directory: Path) -> None:
    # Tracing from the start would make the gateway's imports take minutes: it starts when it is asked to.
    while not (directory / "start").exists():
        time.sleep(0.2)
    tracemalloc.start(_FRAMES)
    (directory / "started").touch()
    taken = 0
    while True:
        trigger = directory / f"take-{taken}"
        if trigger.exists():
            gc.collect()
            tracemalloc.take_snapshot().dump(str(directory / f"snapshot-{taken}.part"))
            (directory / f"snapshot-{taken}.part").rename(directory / f"snapshot-{taken}")
            taken += 1
        time.sleep(0.2)


def traced(server: str, arguments: list[str]) -> None:
    threading.Thread(target=_watch, args=(Path(os.environ[_DIRECTORY]),), daemon=True).start()
    if server == "gateway":
        from entrypoints.cli import main

        sys.argv = ["mpesa-gateway", *arguments]
        main()
    else:
        from bench import baseline_app

        sys.argv = ["baseline_app", *arguments]
        baseline_app.main()


async def _snapshot(directory: Path, index: int) -> tracemalloc.Snapshot:
    (directory / f"take-{index}").touch()
    path = directory / f"snapshot-{index}"
    for _ in range(600):
        if path.exists():
            return tracemalloc.Snapshot.load(str(path))
        await asyncio.sleep(0.5)
    raise TimeoutError(f"no snapshot {index} in {directory}")


def _short(frame: tracemalloc.Frame) -> str:
    name = frame.filename
    for marker in ("site-packages/", "/src/", "/bench/", "/lib/python3"):
        if marker in name:
            name = name.split(marker, 1)[1]
            break
    line = linecache.getline(frame.filename, frame.lineno).strip()
    return f"{name}:{frame.lineno}  {line[:90]}"


# Frames that say whose an allocation is: the innermost of these in its traceback (anything else is the transport,
# which the baseline has too). entrypoints/cli.py is only the process's outermost frame.
_OWNERS = ("/src/entrypoints/", "/src/adapters/", "/src/domain/", "/litestar/", "/structlog/", "/anyio/")


def _owner(traceback: tracemalloc.Traceback) -> str:
    frames = list(traceback)  # oldest first
    for frame in reversed(frames):
        if any(part in frame.filename for part in _OWNERS) and not frame.filename.endswith("entrypoints/cli.py"):
            return _short(frame)
    return "transport: " + _short(frames[-1])


def report(name: str, before: tracemalloc.Snapshot, after: tracemalloc.Snapshot, added: int, rss: int, top: int,
           depth: int) -> None:  # fmt: skip
    stats = after.compare_to(before, "traceback")
    traced_growth = sum(stat.size_diff for stat in stats)
    print(f"\n=== {name}: {added} sockets added; RSS {rss / added / 1024:.1f} KiB per socket, "
          f"traced Python memory {traced_growth / added / 1024:.1f} KiB per socket", flush=True)  # fmt: skip
    owners: dict[str, list[int]] = {}
    for stat in stats:
        owner = owners.setdefault(_owner(stat.traceback), [0, 0])
        owner[0] += stat.size_diff
        owner[1] += stat.count_diff
    kinds: dict[str, int] = {}
    for owner, (size, _) in owners.items():
        kind = "transport" if owner.startswith("transport") else owner.split("/")[0].split(":")[0]
        kinds[kind] = kinds.get(kind, 0) + size
    print(f"--- {name}: by owner (B/socket)")
    for kind, size in sorted(kinds.items(), key=lambda item: -item[1]):
        print(f"{size / added:8.0f}  {kind}")
    print(f"--- {name}: by allocating line of its owner (B/socket, blocks/socket)")
    for owner, (size, count) in sorted(owners.items(), key=lambda item: -item[1][0])[:top]:
        if size / added < 16:
            break
        print(f"{size / added:8.0f} {count / added:6.2f}  {owner}")
    print(f"--- {name}: largest tracebacks")
    for stat in stats[: top // 3]:
        if stat.size_diff / added < 64:
            break
        print(f"\n{stat.size_diff / added:8.0f} B/socket  {stat.count_diff / added:5.2f} blocks/socket")
        for frame in list(stat.traceback)[-depth:]:
            print(f"      {_short(frame)}")


async def measure(bench: Bench, target: Target, directory: Path, sockets: int, top: int, depth: int,
                  rss_only: bool) -> None:  # fmt: skip
    half = sockets // 2
    tag = f"mem-{target.name}"
    ca = str(bench.certfile)

    async def open_sockets(start: int, count: int) -> None:
        answers = await asyncio.gather(
            *(
                generator.control.call("hold", 300, url=target.wss, paths=paths, ca=ca)
                for generator, paths in bench._spread(start, count, tag)
            )
        )
        failed = sum(answer["failed"] for answer in answers)
        if failed:
            raise RuntimeError(f"{target.name}: {failed} sockets failed: {answers[0]['errors']}")
        await asyncio.sleep(2.0)

    if rss_only:
        await open_sockets(0, half)
        rss_first = rss_bytes(target.pid)
        await open_sockets(half, sockets - half)
        added = (rss_bytes(target.pid) - rss_first) / (sockets - half)
        await asyncio.gather(*(generator.control.call("release", 120) for generator in bench.idle))
        print(f"=== {target.name}: RSS {added / 1024:.1f} KiB per socket ({sockets - half} added)", flush=True)
        return
    (directory / "start").touch()
    for _ in range(300):
        if (directory / "started").exists():
            break
        await asyncio.sleep(0.2)
    try:
        await open_sockets(0, half)
        first, rss_first = await _snapshot(directory, 0), rss_bytes(target.pid)
        await open_sockets(half, sockets - half)
        second, rss_second = await _snapshot(directory, 1), rss_bytes(target.pid)
    finally:
        await asyncio.gather(*(generator.control.call("release", 120) for generator in bench.idle))
    report(target.name, first, second, sockets - half, rss_second - rss_first, top, depth)


async def run(bench: Bench, servers: list[str], sockets: int, top: int, depth: int, rss_only: bool) -> None:
    baseline = bench.baseline_command
    for generator in bench.active + bench.idle:
        await generator.control.connect()
    try:
        for server in servers:
            directory = bench.workdir / f"trace-{server}"
            directory.mkdir()
            os.environ[_DIRECTORY] = str(directory)  # the servers inherit it
            with contextlib.ExitStack() as stack:
                await asyncio.to_thread(bench.start_backends, stack, server)
                start = bench.start_gateway if server == "gateway" else bench.start_baseline
                bench.baseline_command = [*baseline, "--litestar"] if server == "litestar" else baseline
                target = await asyncio.to_thread(start, server)
                target.name = server
                stack.callback(target.process.stop)
                await measure(bench, target, directory, sockets, top, depth, rss_only)
                await asyncio.to_thread(stack.close)
    finally:
        for generator in bench.active + bench.idle:
            await generator.control.close()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["traced"]:
        traced(argv[1], argv[2:])
        return 0
    if argv[:1] == ["analyse"]:  # analyse DIRECTORY ADDED [TOP]: the snapshots a --keep run left
        directory, added = Path(argv[1]), int(argv[2])
        snapshots = [tracemalloc.Snapshot.load(str(directory / f"snapshot-{i}")) for i in (0, 1)]
        report(directory.name, *snapshots, added, 0, int(argv[3]) if len(argv) > 3 else 60, 10)
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench.socket_memory", description=__doc__)
    parser.add_argument("--sockets", type=int, default=4000, help="idle sockets at the second snapshot")
    parser.add_argument(
        "--servers", default="gateway,baseline", help="of gateway, baseline, litestar (the baseline behind Litestar)"
    )
    parser.add_argument("--rss-only", action="store_true", help="RSS per socket alone, untraced")
    parser.add_argument("--top", type=int, default=30, help="tracebacks shown per server")
    parser.add_argument("--depth", type=int, default=8, help="innermost frames shown per traceback")
    parser.add_argument("--keep", action="store_true")
    arguments = parser.parse_args(argv)
    plan = replace(FULL, repeats=1, held_steps=(arguments.sockets,))
    raise_open_files_limit()
    workdir = Path(tempfile.mkdtemp(prefix="mpesa-socket-memory-"))
    bench = Bench(plan, workdir, "INFO", frozenset({"held"}))
    bench.gateway_command = [sys.executable, "-m", "bench.socket_memory", "traced", "gateway", "serve"]
    bench.baseline_command = [sys.executable, "-m", "bench.socket_memory", "traced", "baseline"]
    print(f"work directory {workdir}; {math.ceil(arguments.sockets / plan.sockets_per_loadgen)} idle load generators")
    try:
        with bench.services():
            import uvloop

            servers = arguments.servers.split(",")
            uvloop.run(run(bench, servers, arguments.sockets, arguments.top, arguments.depth, arguments.rss_only))
    finally:
        if not arguments.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
