import asyncio
import os
import socket
import sys
from pathlib import Path

import httpx

import daraja_simulator
from tests.simulator.harness import until


async def test_run_serves_the_simulator_on_the_given_loopback_port(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source_root = str(Path(daraja_simulator.__file__).parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [source_root, os.environ.get("PYTHONPATH")]))}
    errors = tmp_path / "stderr.txt"
    with errors.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "daraja_simulator", "--host", "127.0.0.1", "--port", str(port),
            stdout=asyncio.subprocess.DEVNULL, stderr=stderr, env=env,
        )  # fmt: skip
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:

            async def healthy() -> bool:
                assert process.returncode is None, errors.read_text()
                try:
                    return (await http.get("/simulator/health")).status_code == 200
                except httpx.TransportError:
                    return False

            await until(healthy)
    finally:
        process.terminate()
        await process.wait()
